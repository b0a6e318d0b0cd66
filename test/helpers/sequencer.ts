/**
 * The order in which vitest hands test files to its workers (vitest.config.ts `sequence.sequencer`).
 *
 * Both projects share one pool of workers, so the order decides how busy the two cores are and
 * how much the files slow each other down. Vitest's own order puts the projects one after the
 * other by name (so `in-process` first) and, with no timings cached (a fresh clone), the largest
 * file first within each. This order differs in two ways:
 *
 * - the longest process suites start first, and then the in-process files are dealt out between
 *   the remaining process suites, one in-process file for each process suite: the process suites
 *   spend much of their time waiting on real processes, the in-process files are short and
 *   CPU-bound, so each runs beside waiting suites rather than beside other CPU-bound files (run
 *   three at a time at the end, the in-process files took twice their summed time alone);
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
    const longestFirst = (a: TestSpecification, b: TestSpecification) => {
      const ra = cache.getFileTestResults(key(a));
      const rb = cache.getFileTestResults(key(b));
      if (ra && rb) {
        if (ra.failed !== rb.failed) return ra.failed ? -1 : 1;
        return rb.duration - ra.duration;
      }
      return weights.get(b)! - weights.get(a)!;
    };
    const processes = files.filter((s) => s.project.name === PROCESSES).sort(longestFirst);
    const others = files.filter((s) => s.project.name !== PROCESSES).sort(longestFirst);
    // As many process suites as there are workers first, then one of each in turn.
    const head = processes[0]?.project.config.maxWorkers ?? 1;
    const out = processes.splice(0, head);
    while (processes.length > 0 || others.length > 0) {
      const o = others.shift();
      if (o) out.push(o);
      const p = processes.shift();
      if (p) out.push(p);
    }
    return out;
  }
}
