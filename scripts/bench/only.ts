/**
 * One part of `npm run bench` on its own, for quick runs:
 *   node dist/scripts/bench/only.js throughput    # MPCID_BENCH_IDENTITIES, _AGENT_THREADS, _DURATION_MS
 *   node dist/scripts/bench/only.js store         # MPCID_BENCH_STORE_IDENTITIES, _STORE_SECONDS
 * Prints the part's JSON report to stdout.
 */
import { runStoreBench } from './store.js';
import { runThroughput } from './throughput.js';

const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const num = (name: string, dflt: number) => {
  const raw = process.env[name];
  const x = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(x) || x <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return x;
};

const part = process.argv[2];
if (part === 'throughput') {
  const r = await runThroughput({
    identities: num('MPCID_BENCH_IDENTITIES', 32),
    threads: num('MPCID_BENCH_AGENT_THREADS', 4),
    durationMs: num('MPCID_BENCH_DURATION_MS', 10_000),
    baselineMs: num('MPCID_BENCH_BASELINE_MS', 4_000),
    progress,
  });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
} else if (part === 'store') {
  const r = await runStoreBench({
    identities: num('MPCID_BENCH_STORE_IDENTITIES', 1_000_000),
    timeBoxMs: num('MPCID_BENCH_STORE_SECONDS', 600) * 1000,
    steps: num('MPCID_BENCH_STORE_STEPS', 500),
    progress,
  });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
} else {
  process.stderr.write('usage: only.js throughput|store\n');
  process.exit(2);
}
process.exit(0);
