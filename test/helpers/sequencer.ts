/**
 * The order in which vitest hands test files to its workers (vitest.config.ts `sequence.sequencer`).
 *
 * Both projects share one pool of workers, so the order decides how busy the two cores are at the
 * end of a run. Vitest's own order puts the projects one after the other by name (so
 * `in-process` first) and, with no timings cached (a fresh clone), the largest file first within
 * each. This order differs in two ways:
 *
 * - the process suites go first and the in-process suites last: the process suites spend much of
 *   their time waiting on real processes, and the short, CPU-bound in-process files then fill
 *   the workers that the last process suites leave idle;
 * - a file's size counts the test files it imports (tls-suites.test.ts is 25 lines that run
 *   cosign.test.ts and ratchet-clone.test.ts again over mTLS, about 45 s: by its own size it
 *   started last and ran alone at the end).
 *
 * With timings cached from an earlier run (node_modules/.vite/vitest), the longest file goes
 * first, as in vitest's own order.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The process suites' project (vitest.config.ts). */
const PROCESSES = 'processes';

/** Size in bytes of a test file plus the test files it imports (`./x.test.js`), each counted once. */
function weight(file: string, seen = new Set<string>()): number {
  if (seen.has(file)) return 0;
  seen.add(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  let size = statSync(file).size;
  for (const m of text.matchAll(/['"](\.{1,2}\/[^'"]+\.test)\.js['"]/g))
    size += weight(resolve(dirname(file), `${m[1]}.ts`), seen);
  return size;
}

export default class SuiteSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const key = (s: TestSpecification) => `${s.project.name}:${relative(this.ctx.config.root, s.moduleId)}`;
    const weights = new Map(files.map((s) => [s, weight(s.moduleId)]));
    return [...files].sort((a, b) => {
      const pa = a.project.name === PROCESSES ? 0 : 1;
      const pb = b.project.name === PROCESSES ? 0 : 1;
      if (pa !== pb) return pa - pb;
      const ra = cache.getFileTestResults(key(a));
      const rb = cache.getFileTestResults(key(b));
      if (ra && rb) {
        if (ra.failed !== rb.failed) return ra.failed ? -1 : 1;
        return rb.duration - ra.duration;
      }
      return weights.get(b)! - weights.get(a)!;
    });
  }
}
