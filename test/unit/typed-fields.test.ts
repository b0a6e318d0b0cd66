/**
 * "Protocol meaning travels in typed fields, never parsed back out of message strings": a scan
 * of agent/, oracle/ and common/ for code that reads an error's (or a status's) text to decide
 * something: string tests on `.message` / `.details`, regular expressions run over them, or a
 * "CODE: " prefix stripped from them. Typed details are common/error-details.ts's job.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sources } from '../helpers/sources.js';

const SCANNED = ['agent', 'oracle', 'common'];

/** What reads meaning out of text: each pattern, and why it is refused. */
const RULES: { re: RegExp; why: string }[] = [
  {
    re: /\.(?:message|details)\s*(?:\?\?\s*'[^']*'\s*\)?\s*)?\.(?:includes|match|matchAll|startsWith|endsWith|replace|replaceAll|search|split|indexOf)\(/,
    why: 'a string test on error text',
  },
  { re: /\.(?:test|exec)\([^)]*\.(?:message|details)\b/, why: 'a regular expression over error text' },
  { re: /\[A-Z_\]\+: /, why: 'a "CODE: message" prefix parsed or stripped' },
  { re: /\/[^/\n]*\b[A-Z]+_[A-Z_]+: [^/\n]*\//, why: 'an error code matched in text' },
];

/** The places in `text` (comments stripped) that parse error text: "file:line: why". */
function textParsing(file: string, text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/\/\/.*$/gm, '');
  const out: string[] = [];
  code.split('\n').forEach((line, i) => {
    for (const r of RULES) if (r.re.test(line)) out.push(`${file}:${i + 1}: ${r.why}`);
  });
  return out;
}

describe('protocol meaning in typed fields', () => {
  it('no code in agent/, oracle/, common/ parses meaning out of an error message', () => {
    const found = SCANNED.flatMap((d) =>
      sources(join(ROOT, d)).flatMap((f) => textParsing(relative(ROOT, f), readFileSync(f, 'utf8'))),
    );
    expect(found).toEqual([]);
  });

  it('the scan catches each way of doing it (deliberate violations)', () => {
    const cases = [
      "const culprit = chosen.find((c) => e.message.includes('participant ' + c.nodeId));",
      'if (err.message.match(/participant (\\d+)/)) blame();',
      "const msg = (se.details ?? '').replace(/^[A-Z_]+: /, '');",
      "throw new MpcidError('POLICY_VIOLATION', refusal.replace(/POLICY_VIOLATION: /, ''));",
      'if (/STALE_STEP/.test(err.message)) retry();',
      'const [code] = status.details.split(": ");',
    ];
    for (const c of cases) expect(textParsing('x.ts', c).length, c).toBeGreaterThan(0);
    // Comments and typed reads pass.
    expect(
      textParsing('x.ts', '// e.message.includes("participant")\nconst d = detailsOf(e, "STALE_STEP");'),
    ).toEqual([]);
  });
});
