/** The TypeScript source files under a folder, recursively (for tests that scan the code). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
