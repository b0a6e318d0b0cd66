/** The source tree the structural tests (architecture, domains) read. */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The top-level source folders. */
export const SOURCE = ['agent', 'oracle', 'common', 'crypto', 'cli', 'verifier', 'scripts'];

/** Every .ts file under `dir` (declaration files excluded), recursively. */
export function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
