/**
 * The dependency rule (README, Layout), enforced on every source file's imports:
 * - crypto/ is a pure leaf: it imports nothing of ours outside crypto/, and no I/O or logging
 *   modules (node:fs, node:net, node:http(s), node:child_process, pino, level, @grpc/*);
 * - agent/ and oracle/ never import each other: they meet on the wire, through common/;
 * - no import cycle between top-level folders.
 * KNOWN lists what still breaks the rule on main, each with why (empty today: the rule holds
 * with no exception); a test fails when an entry is fixed and not removed, so the list only shrinks. Each check is also run on a deliberate
 * violation, so a rule that cannot fail would show.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, SOURCE, sources } from '../helpers/sources.js';

const IO_MODULES =
  /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|tls)$|^(pino|level|@grpc\/.*)$/;

/**
 * Breaks of the rule that are on main today, "from -> to" as folder edges or file imports.
 * Remove an entry when its break is fixed (a test fails until you do).
 */
const KNOWN: Record<string, string> = {};

interface Import {
  file: string;
  spec: string;
  /** The imported file's top-level folder, for imports of ours. */
  folder?: string;
}

/** Every static and dynamic import / re-export in `text` (comments stripped first). */
function importsOf(file: string, text: string): Import[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs = [
    ...code.matchAll(/\b(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/g),
    ...code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g),
    ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((spec) => {
    if (!spec.startsWith('.')) return { file, spec };
    const target = relative(ROOT, resolve(dirname(join(ROOT, file)), spec));
    return { file, spec, folder: target.split('/')[0]! };
  });
}

function folderOf(file: string): string {
  return file.split('/')[0]!;
}

/** The rule's findings for a set of imports: "from -> to" edges that break it, with examples. */
function violations(imports: Import[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (edge: string, why: string) => out.set(edge, [...(out.get(edge) ?? []), why]);
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    const from = folderOf(i.file);
    if (from === 'crypto' && i.folder === undefined && IO_MODULES.test(i.spec))
      add(`crypto -> ${i.spec}`, `${i.file}: I/O or logging module ${i.spec}`);
    if (i.folder === undefined || i.folder === from) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)!.add(i.folder);
    if (from === 'crypto' && i.folder !== 'proto')
      add(`crypto -> ${i.folder}`, `${i.file} imports ${i.spec}`);
    if ((from === 'agent' && i.folder === 'oracle') || (from === 'oracle' && i.folder === 'agent'))
      add(`${from} -> ${i.folder}`, `${i.file} imports ${i.spec}`);
  }
  // Folder cycles: any folder that reaches itself.
  for (const start of edges.keys()) {
    const seen = new Set<string>();
    const stack = [...(edges.get(start) ?? [])].map((n) => [start, n]);
    while (stack.length) {
      const path = stack.pop()!;
      const last = path.at(-1)!;
      if (last === start) {
        const cycle = path.join(' -> ');
        const key = [...path.slice(0, -1)].sort().join(',');
        if (![...out.keys()].some((k) => k.startsWith('cycle ') && k.endsWith(key)))
          add(`cycle ${key}`, cycle);
        continue;
      }
      if (seen.has(last)) continue;
      seen.add(last);
      for (const n of edges.get(last) ?? []) stack.push([...path, n]);
    }
  }
  return out;
}

const all: Import[] = SOURCE.flatMap((dir) =>
  sources(join(ROOT, dir)).map((p) => importsOf(relative(ROOT, p), readFileSync(p, 'utf8'))),
).flat();

/** A folder cycle is allowed only as the consequence of a KNOWN edge. */
function unexplained(found: Map<string, string[]>, known: Record<string, string> = KNOWN): string[] {
  return [...found.entries()]
    .filter(([edge, examples]) => {
      if (known[edge]) return false;
      if (edge.startsWith('cycle '))
        return !examples.some((c) => Object.keys(known).some((k) => c.includes(k)));
      return true;
    })
    .map(([edge, examples]) => `${edge}: ${examples.slice(0, 3).join('; ')}`);
}

describe('the dependency rule', () => {
  const found = violations(all);

  it('holds on main, apart from the KNOWN breaks', () => {
    expect(all.length).toBeGreaterThan(200);
    expect(unexplained(found)).toEqual([]);
  });

  it('every KNOWN break still exists (remove an entry once it is fixed)', () => {
    for (const edge of Object.keys(KNOWN)) expect(found.has(edge), `${edge} no longer happens`).toBe(true);
  });

  it('fails on deliberate violations', () => {
    const bad = [
      ...importsOf('crypto/x.ts', "import { readFileSync } from 'node:fs';"),
      ...importsOf('crypto/y.ts', "import { log } from '../oracle/node.js';"),
      ...importsOf('crypto/ecdsa/e.ts', "import { MpcidError } from '../../common/errors.js';"),
      ...importsOf('agent/z.ts', "export { decide } from '../oracle/ratchet.js';"),
      ...importsOf('oracle/w.ts', "const m = await import('../agent/state.js');"),
      ...importsOf('verifier/a.ts', "import { x } from '../cli/main.js';"),
      ...importsOf('cli/b.ts', "import type { V } from '../verifier/index.js';"),
    ];
    const v = violations(bad);
    expect([...v.keys()].sort()).toEqual(
      [
        'agent -> oracle',
        'crypto -> common',
        'crypto -> node:fs',
        'crypto -> oracle',
        'cycle agent,oracle',
        'cycle cli,verifier',
        'oracle -> agent',
      ].sort(),
    );
    expect(unexplained(v, {})).toHaveLength(7);
    // crypto -> common was the last KNOWN break (crypto/ threw common/errors' MpcidError until it
    // got CryptoError): it fails like any other now.
    expect(unexplained(v)).toHaveLength(7);
    expect(KNOWN).toEqual({});
  });
});
