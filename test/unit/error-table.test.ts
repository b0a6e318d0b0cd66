/**
 * One error table: docs/protocol.md's tables of error codes and verifier reasons are generated
 * from common/errors.ts (`npm run docs:errors`); this fails when the document differs, e.g. a code
 * added, removed or reworded in one place only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, VERIFY_CODES } from '../../common/errors.js';
import { errorTable, verifyTable, withTables } from '../../scripts/docs-errors.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'protocol.md'), 'utf8');

describe('the error table in docs/protocol.md', () => {
  it('is exactly what common/errors.ts generates (run npm run docs:errors after a change)', () => {
    expect(withTables(doc) === doc, 'docs/protocol.md differs from common/errors.ts').toBe(true);
  });

  it('lists every code once, and a code missing from the source would show', () => {
    for (const code of Object.keys(ERROR_CODES))
      expect(errorTable().split(`| \`${code}\` |`)).toHaveLength(2);
    for (const code of Object.keys(VERIFY_CODES))
      expect(verifyTable().split(`| \`${code}\` |`)).toHaveLength(2);
    const stale = doc.replace('| `KEK_MISMATCH` |', '| `KEK_MISMATCHED` |');
    expect(withTables(stale)).not.toBe(stale);
  });
});
