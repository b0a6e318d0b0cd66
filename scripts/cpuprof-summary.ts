/**
 * Sums V8 CPU profiles (.cpuprofile, as `node --cpu-prof` or MPCID_CPU_PROF_DIR write them) by
 * function and by file, one table per profile (= per process or thread), for reading where the
 * co-signing CPU goes:
 *
 *   node dist/scripts/cpuprof-summary.js DIR_OR_FILE... [--top N] [--min-ms MS] [--tail MS]
 *
 * Self time of a sample is its time delta; profiles shorter than --min-ms of sampled time
 * (default 1000, e.g. the enrolment CLI runs) are left out. "(idle)", "(program)" and "(garbage
 * collector)" are V8's own buckets.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const top = opt('--top', 25);
const minMs = opt('--min-ms', 1000);
/** Only the samples of the profile's last --tail ms (e.g. a benchmark's timed window), 0 = all. */
const tailMs = opt('--tail', 0);

const files = args.flatMap((a) =>
  statSync(a).isDirectory()
    ? readdirSync(a)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(a, f))
    : [a],
);

/** A short file name: the part after node_modules/ or dist/, or the node: builtin. */
function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const d = url.lastIndexOf('/dist/');
  if (d >= 0) return url.slice(d + '/dist/'.length);
  return url.replace(/^file:\/\//, '');
}

const ms = (us: number) => (us / 1000).toFixed(1).padStart(9);
const pct = (x: number, total: number) => `${((100 * x) / total).toFixed(1).padStart(5)}%`;

function rows(m: Map<string, number>, busy: number): string[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${ms(v)} ms ${pct(v, busy)}  ${k}`);
}

for (const file of files.sort()) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let at = p.startTime;
  const from = tailMs > 0 ? p.endTime - tailMs * 1000 : p.startTime;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    at += dt;
    if (at < from) return;
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    total += dt;
    if (functionName === '(idle)') {
      idle += dt;
      return;
    }
    const f = shortUrl(url);
    const fn = `${functionName || '(anonymous)'} ${f}${url ? `:${lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + dt);
    byFile.set(f, (byFile.get(f) ?? 0) + dt);
  });
  if (total / 1000 < minMs) continue;
  const busy = total - idle;
  process.stdout.write(
    [
      `== ${basename(file)}: ${ms(total)} ms sampled, ${ms(busy)} ms busy (${pct(busy, total)})`,
      '-- by function (self)',
      ...rows(byFn, busy),
      '-- by file (self)',
      ...rows(byFile, busy),
      '',
    ].join('\n'),
  );
}
