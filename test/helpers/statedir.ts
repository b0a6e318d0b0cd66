/**
 * Copying an agent's state dir as a snapshot would, for the suites and for `npm run trials`
 * (no vitest import, so scripts can use it too).
 */
import { cpSync, rmSync } from 'node:fs';

/**
 * Copies a state dir the way a VM snapshot or disk image would (every file, as it is now). The
 * agent may be writing meanwhile: its temp files (renamed away at any moment) are skipped, as a
 * snapshot taken just before their rename would hold only the previous file; a file that
 * vanishes mid-copy is retried.
 */
export function copyStateDir(from: string, to: string): void {
  for (let attempt = 0; ; attempt++) {
    rmSync(to, { recursive: true, force: true });
    try {
      cpSync(from, to, { recursive: true, filter: (src) => !/\/\.[0-9a-f]+\.tmp$/.test(src) });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 20) throw e;
    }
  }
}
