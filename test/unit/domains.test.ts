/**
 * One registry of domain-separation strings (crypto/domains.ts): no `mpcid/...` string literal
 * appears in source outside it, no two entries share a value, and the values are the ones stored
 * data, vectors and the wire were made with. Each check also runs on a deliberate violation.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HASH_DOMAINS, STATEMENT_DOMAINS } from '../../crypto/domains.js';
import { ROOT, SOURCE, sources } from '../helpers/sources.js';

const REGISTRY = 'crypto/domains.ts';

/** The `mpcid/...` string literals in `text` (comments stripped; proto file paths are not domains). */
function domainLiterals(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/(['"`])(mpcid\/[^'"`\n]*)\1/g)]
    .map((m) => m[2]!)
    .filter((s) => !s.endsWith('.proto'));
}

/** Values held by more than one entry of `registry`, with the entries. */
function shared(registry: Record<string, string>): string[] {
  const by = new Map<string, string[]>();
  for (const [k, v] of Object.entries(registry)) by.set(v, [...(by.get(v) ?? []), k]);
  return [...by.entries()].filter(([, ks]) => ks.length > 1).map(([v, ks]) => `${v}: ${ks.join(', ')}`);
}

const ALL: Record<string, string> = {
  ...Object.fromEntries(Object.entries(STATEMENT_DOMAINS).map(([k, v]) => [`statement.${k}`, v])),
  ...Object.fromEntries(Object.entries(HASH_DOMAINS).map(([k, v]) => [`hash.${k}`, v])),
};

describe('the domain-string registry', () => {
  it('holds every mpcid/... literal of the source tree', () => {
    const files = SOURCE.flatMap((d) => sources(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(100);
    const outside = files
      .map((p) => relative(ROOT, p))
      .filter((f) => f !== REGISTRY)
      .flatMap((f) => domainLiterals(readFileSync(join(ROOT, f), 'utf8')).map((s) => `${f}: ${s}`));
    expect(outside).toEqual([]);
    // The registry itself is found by the same scan.
    expect(domainLiterals(readFileSync(join(ROOT, REGISTRY), 'utf8')).sort()).toEqual(
      Object.values(ALL).sort(),
    );
  });

  it('gives every entry its own value, under mpcid/', () => {
    expect(Object.keys(ALL).length).toBeGreaterThan(40);
    expect(shared(ALL)).toEqual([]);
    for (const v of Object.values(ALL)) expect(v).toMatch(/^mpcid\/[a-z0-9-]+(\/[a-z0-9-]+)+$/);
  });

  it('keeps the values byte for byte (a change is a protocol change: add an entry instead)', () => {
    // SHA-256 over the sorted values, one per line; stored data, vectors and the wire depend on them.
    // Adding an entry updates the pin in the same commit; a changed value never should.
    const digest = createHash('sha256').update(Object.values(ALL).sort().join('\n')).digest('hex');
    expect(digest).toBe(PINNED);
  });

  it('fails on deliberate violations', () => {
    const src = [
      "const D = 'mpcid/ratchet/step/v1';",
      'const e = framed("mpcid/new/thing/v1", x);',
      'const t = `mpcid/tmpl/v1`;',
      "// 'mpcid/in/a/comment' is fine",
      "load('mpcid/oracle/v1/oracle.proto');",
    ].join('\n');
    expect(domainLiterals(src)).toEqual(['mpcid/ratchet/step/v1', 'mpcid/new/thing/v1', 'mpcid/tmpl/v1']);
    expect(shared({ ...ALL, copy: HASH_DOMAINS.ratchetHead })).toEqual([
      `${HASH_DOMAINS.ratchetHead}: hash.ratchetHead, copy`,
    ]);
  });
});

/** The 45 literals as they stood in 12 files before the registry (main d15d319), plus operatorRevocation (issue 15) and the four federation-issuer entries (issue 14), and the five sealed-blob entries (issue 15), and the three entries of VSOT over Ed25519 (setup wire version 2). */
const PINNED = '5c535c151faee4f59a1e7df501bbb7e61e6fbacf2fa2fa2887d19fe523082156';
