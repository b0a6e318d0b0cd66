/**
 * `npm run docs:errors`: writes docs/protocol.md's two code tables (mpcid error codes and the
 * verifier's reasons) from common/errors.ts, the one error table. `--check` writes nothing and
 * exits 1 when the document differs (test/unit/error-table.test.ts runs the same check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, VERIFY_CODES } from '../common/errors.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The markdown table of ERROR_CODES: code, gRPC status, meaning. */
export function errorTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, e]) => `| \`${code}\` | ${e.status} | ${cell(e.meaning)} |`,
  );
  return ['| code | gRPC status | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The markdown table of VERIFY_CODES: reason, meaning. */
export function verifyTable(): string {
  const rows = Object.entries(VERIFY_CODES).map(([code, meaning]) => `| \`${code}\` | ${cell(meaning)} |`);
  return ['| reason | meaning |', '| --- | --- |', ...rows].join('\n');
}

const TABLES: Record<string, () => string> = { 'error-codes': errorTable, 'verify-codes': verifyTable };

/** `doc` with every generated table (between its begin/end markers) written anew. */
export function withTables(doc: string): string {
  let out = doc;
  for (const [name, render] of Object.entries(TABLES)) {
    const begin = `<!-- generated: ${name} (npm run docs:errors) -->`;
    const end = `<!-- end: ${name} -->`;
    const a = out.indexOf(begin);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`docs/protocol.md: markers for ${name} missing`);
    out = `${out.slice(0, a + begin.length)}\n${render()}\n${out.slice(b)}`;
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const PROTOCOL_DOC = resolve('docs', 'protocol.md'); // npm runs scripts at the package root
  const doc = readFileSync(PROTOCOL_DOC, 'utf8');
  const next = withTables(doc);
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      console.error(
        'docs/protocol.md: the code tables differ from common/errors.ts; run npm run docs:errors',
      );
      process.exit(1);
    }
  } else if (next !== doc) {
    writeFileSync(PROTOCOL_DOC, next);
    console.log('docs/protocol.md: code tables written');
  }
}
