/**
 * `npm run bench`: co-signed Ed25519 on a real local cluster (3 oracle processes, t=2, one
 * agent) against baselines measured in the same run, since the machine is shared and noisy:
 * every co-sign figure is also given as a multiple of a local Ed25519 sign (node:crypto) and of
 * one gRPC round trip to an oracle.
 *
 *   baselines   node:crypto sign, @noble/curves sign, admin GetNodeInfo round trip; each measured
 *               in two halves (before and after the cluster work) and pooled, so drift shows
 *   co-sign     Workload API Sign of a 32-byte message: c=1 (sequential) and c=8 (8 in flight
 *               from one client); every signature verified with node:crypto afterwards (untimed)
 *   enrollment  cluster.enroll (join token + `mpcid agent enroll` CLI process) for new identities
 *
 * MPCID_BENCH_SCALE (default 1) multiplies every count, e.g. 0.2 for a quick run. Prints a table
 * to stdout (progress goes to stderr) and writes bench-results/bench-<timestamp>.json and
 * bench-results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import {
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
} from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { type AgentProc, LocalCluster } from '../cli/localcluster.js';
import { call } from '../common/grpc.js';
import {
  measureConcurrent,
  measureSeq,
  measureSync,
  merge,
  type Row,
  type Samples,
  type Summary,
  scaled,
  summarize,
  table,
} from './bench-lib.js';

const N = 3;
const T = 2;
const MSG_BYTES = 32;
const CONCURRENCY = 8;
const RPC_DEADLINE_MS = 10_000;

function parseScale(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const x = Number(raw);
  if (!Number.isFinite(x) || x <= 0)
    throw new Error(`MPCID_BENCH_SCALE must be a positive number, got '${raw}'`);
  return x;
}

const SCALE = parseScale(process.env['MPCID_BENCH_SCALE']);
/** Measured operations (warm-up excluded); baselines are split over two passes. */
const COUNTS = {
  nodeSign: scaled(4000, SCALE, 100),
  nobleSign: scaled(1000, SCALE, 50),
  grpcRoundTrip: scaled(1000, SCALE, 50),
  cosignC1: scaled(100, SCALE, 10),
  cosignC8: scaled(200, SCALE, 2 * CONCURRENCY),
  enroll: scaled(5, SCALE, 2),
};
/** Untimed operations before each measured pass. */
const WARMUP = {
  nodeSign: scaled(500, SCALE, 50),
  nobleSign: scaled(100, SCALE, 20),
  grpcRoundTrip: scaled(100, SCALE, 20),
  cosignC1: scaled(10, SCALE, 3),
  cosignC8: scaled(2 * CONCURRENCY, SCALE, CONCURRENCY),
};

/** Repository root: dist/scripts/bench.js → ../.., scripts/bench.ts → .. */
const ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  import.meta.url.endsWith('.ts') ? '..' : join('..', '..'),
);
const RESULTS_DIR = join(ROOT, 'bench-results');

const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

let cluster: LocalCluster | undefined;

/** The two halves of a baseline count (before / after the cluster work). */
function halves(n: number): [number, number] {
  return [Math.ceil(n / 2), Math.floor(n / 2)];
}

interface Baselines {
  nodeSign: Samples;
  nobleSign: Samples;
  grpcRoundTrip: Samples;
}

/** One pass of the three baselines; `half` picks which half of each count to run. */
async function baselinePass(half: 0 | 1, nodeKey: KeyObject, nobleKey: Uint8Array, c: LocalCluster) {
  const msgs = Array.from({ length: 64 }, () => randomBytes(MSG_BYTES));
  const msg = (i: number) => msgs[i % msgs.length]!;
  const admin = c.oracles[0]!.admin;
  const out: Baselines = {
    nodeSign: measureSync(halves(COUNTS.nodeSign)[half], WARMUP.nodeSign, (i) =>
      nodeSign(null, msg(i), nodeKey),
    ),
    nobleSign: measureSync(halves(COUNTS.nobleSign)[half], WARMUP.nobleSign, (i) =>
      ed25519.sign(msg(i), nobleKey),
    ),
    grpcRoundTrip: await measureSeq(halves(COUNTS.grpcRoundTrip)[half], WARMUP.grpcRoundTrip, () =>
      call(admin, admin.GetNodeInfo, {}, RPC_DEADLINE_MS),
    ),
  };
  return out;
}

/** The Workload API as a benchmark target: signs fresh 32-byte messages, keeps results for verification. */
class Signer {
  readonly results: { msg: Buffer; sig: Buffer; publicKey: Buffer }[] = [];
  constructor(readonly agent: AgentProc) {}

  /** Pre-generates the messages so that no timed call draws randomness. */
  prepare(n: number): () => Promise<void> {
    const msgs = Array.from({ length: n }, () => randomBytes(MSG_BYTES));
    let next = 0;
    return async () => {
      const msg = msgs[next++];
      if (!msg) throw new Error('bench: ran out of prepared messages');
      const res = await this.agent.sign(msg, RPC_DEADLINE_MS);
      this.results.push({ msg, sig: res.signature, publicKey: res.publicKey });
    };
  }

  /** Verifies (and forgets) every signature collected so far; throws on the first bad one. */
  verifyAll(groupPublicKey: Buffer): number {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: groupPublicKey.toString('base64url') },
      format: 'jwk',
    });
    const n = this.results.length;
    for (const [i, r] of this.results.entries()) {
      if (!r.publicKey.equals(groupPublicKey))
        throw new Error(`co-signature ${i}: response carries a different public key`);
      if (r.sig.length !== 64) throw new Error(`co-signature ${i}: ${r.sig.length} bytes, expected 64`);
      if (!nodeVerify(null, r.msg, key, r.sig))
        throw new Error(
          `co-signature ${i} does not verify with node:crypto (msg ${r.msg.toString('hex')}, sig ${r.sig.toString('hex')})`,
        );
    }
    this.results.length = 0;
    return n;
  }
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const roundSummary = (s: Summary): Summary => ({
  count: s.count,
  concurrency: s.concurrency,
  meanMs: round(s.meanMs),
  p50Ms: round(s.p50Ms),
  p99Ms: round(s.p99Ms),
  minMs: round(s.minMs),
  maxMs: round(s.maxMs),
  wallMs: round(s.wallMs, 1),
  opsPerSec: round(s.opsPerSec, 1),
});

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadavgStart = os.loadavg();
  const phases: { phase: string; atMs: number; loadavg: number[] }[] = [];
  const t0 = performance.now();
  const mark = (phase: string) => {
    phases.push({ phase, atMs: round(performance.now() - t0, 0), loadavg: os.loadavg() });
    progress(phase);
  };
  progress(`scale ${SCALE}; counts ${JSON.stringify(COUNTS)}`);

  const { privateKey: nodeKey } = generateKeyPairSync('ed25519');
  const nobleKey = ed25519.utils.randomSecretKey();
  {
    // The baselines must produce real signatures too.
    const m = randomBytes(MSG_BYTES);
    const pub = createPublicKey(nodeKey);
    if (!nodeVerify(null, m, pub, nodeSign(null, m, nodeKey))) throw new Error('node:crypto sign self-check');
    if (!ed25519.verify(ed25519.sign(m, nobleKey), m, ed25519.getPublicKey(nobleKey)))
      throw new Error('@noble/curves sign self-check');
  }

  mark(`starting ${N} oracles (t=${T})`);
  const c = await LocalCluster.start({ n: N, t: T, clusterId: 'bench' });
  cluster = c;

  mark('enrolling the bench identity');
  let t = performance.now();
  const { stateDir } = await c.enroll('spiffe://bench.mpcid/ns/bench/sa/signer');
  const enrollColdMs = performance.now() - t;
  const agent = await c.startAgent(stateDir);
  const identity = await call(agent.workload, agent.workload.GetIdentity, {}, RPC_DEADLINE_MS);
  const groupPublicKey = Buffer.from(identity.publicKey);
  if (identity.n !== N || identity.t !== T)
    throw new Error(`agent reports n=${identity.n} t=${identity.t}, expected n=${N} t=${T}`);

  mark('baselines, pass 1 of 2');
  const pass1 = await baselinePass(0, nodeKey, nobleKey, c);

  const signer = new Signer(agent);
  let verified = 0;

  mark(`co-sign c=1: ${WARMUP.cosignC1} warm-up + ${COUNTS.cosignC1}`);
  const cosignC1 = await measureSeq(
    COUNTS.cosignC1,
    WARMUP.cosignC1,
    signer.prepare(WARMUP.cosignC1 + COUNTS.cosignC1),
  );
  verified += signer.verifyAll(groupPublicKey);

  mark(`co-sign c=${CONCURRENCY}: ${WARMUP.cosignC8} warm-up + ${COUNTS.cosignC8}`);
  const cosignC8 = await measureConcurrent(
    COUNTS.cosignC8,
    WARMUP.cosignC8,
    CONCURRENCY,
    signer.prepare(WARMUP.cosignC8 + COUNTS.cosignC8),
  );
  verified += signer.verifyAll(groupPublicKey);

  mark(`enrollment: ${COUNTS.enroll} identities`);
  const enrollMs: number[] = [];
  t = performance.now();
  for (let i = 0; i < COUNTS.enroll; i++) {
    const t1 = performance.now();
    await c.enroll(`spiffe://bench.mpcid/ns/bench/sa/enroll-${i}`);
    enrollMs.push(performance.now() - t1);
  }
  const enroll: Samples = { latenciesMs: enrollMs, wallMs: performance.now() - t, concurrency: 1 };

  mark('baselines, pass 2 of 2');
  const pass2 = await baselinePass(1, nodeKey, nobleKey, c);

  mark('stopping the cluster');
  cluster = undefined;
  await c.stop();
  rmSync(c.dir, { recursive: true, force: true });
  const loadavgEnd = os.loadavg();
  const finishedAt = new Date();

  const pooled = (k: keyof Baselines) => {
    const m = merge([pass1[k], pass2[k]]);
    return summarize(m.latenciesMs, m.wallMs);
  };
  const base = {
    nodeSign: pooled('nodeSign'),
    nobleSign: pooled('nobleSign'),
    grpcRoundTrip: pooled('grpcRoundTrip'),
  };
  const cs1 = summarize(cosignC1.latenciesMs, cosignC1.wallMs, 1);
  const cs8 = summarize(cosignC8.latenciesMs, cosignC8.wallMs, CONCURRENCY);
  const en = summarize(enroll.latenciesMs, enroll.wallMs, 1);

  const ratios = {
    cosignC1P50_over_grpcRoundTripP50: cs1.p50Ms / base.grpcRoundTrip.p50Ms,
    cosignC1P50_over_nodeSignP50: cs1.p50Ms / base.nodeSign.p50Ms,
    cosignC8P50_over_grpcRoundTripP50: cs8.p50Ms / base.grpcRoundTrip.p50Ms,
    cosignC8P50_over_nodeSignP50: cs8.p50Ms / base.nodeSign.p50Ms,
    cosignC8OpsPerSec_over_cosignC1OpsPerSec: cs8.opsPerSec / cs1.opsPerSec,
    nodeSignOpsPerSec_over_cosignC1OpsPerSec: base.nodeSign.opsPerSec / cs1.opsPerSec,
    nobleSignP50_over_nodeSignP50: base.nobleSign.p50Ms / base.nodeSign.p50Ms,
    enrollP50_over_grpcRoundTripP50: en.p50Ms / base.grpcRoundTrip.p50Ms,
    enrollP50_over_cosignC1P50: en.p50Ms / cs1.p50Ms,
  };
  /** p50 of pass 2 over pass 1 for each baseline: far from 1 means the machine's load changed mid-run. */
  const p50 = (s: Samples) => summarize(s.latenciesMs, s.wallMs).p50Ms;
  const drift = {
    nodeSign: p50(pass2.nodeSign) / p50(pass1.nodeSign),
    nobleSign: p50(pass2.nobleSign) / p50(pass1.nobleSign),
    grpcRoundTrip: p50(pass2.grpcRoundTrip) / p50(pass1.grpcRoundTrip),
  };

  const x = (r: number) => `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}x`;
  const vsCosign = (s: Summary) =>
    `${x(s.p50Ms / base.grpcRoundTrip.p50Ms)} gRPC RTT, ${x(s.p50Ms / base.nodeSign.p50Ms)} node sign (p50)`;
  const rows: Row[] = [
    { name: 'node:crypto Ed25519 sign', s: base.nodeSign, vs: 'baseline' },
    {
      name: '@noble/curves ed25519.sign',
      s: base.nobleSign,
      vs: `${x(ratios.nobleSignP50_over_nodeSignP50)} node sign (p50)`,
    },
    { name: 'gRPC round trip (GetNodeInfo)', s: base.grpcRoundTrip, vs: 'baseline' },
    { name: 'co-sign c=1 (Workload Sign)', s: cs1, vs: vsCosign(cs1) },
    {
      name: `co-sign c=${CONCURRENCY} (Workload Sign)`,
      s: cs8,
      vs: `${vsCosign(cs8)}; ${x(ratios.cosignC8OpsPerSec_over_cosignC1OpsPerSec)} c=1 ops/s`,
    },
    {
      name: 'enrollment (cluster.enroll)',
      s: en,
      vs: `${x(ratios.enrollP50_over_grpcRoundTripP50)} gRPC RTT (p50)`,
    },
  ];

  const cpus = os.cpus();
  const report = {
    schema: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: round(finishedAt.getTime() - startedAt.getTime(), 0),
    git: { commit: gitCommit() },
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      platform: os.platform(),
      release: os.release(),
      arch: os.arch(),
      totalMemBytes: os.totalmem(),
      node: process.version,
      loadavgStart,
      loadavgEnd,
    },
    config: {
      scale: SCALE,
      n: N,
      t: T,
      messageBytes: MSG_BYTES,
      concurrency: CONCURRENCY,
      counts: COUNTS,
      warmup: WARMUP,
      percentiles: 'nearest-rank',
      notes: [
        'opsPerSec = count / wall time of the measured phase',
        'baselines are measured in two halves (before and after the cluster work) and pooled',
        'gRPC round trip: admin GetNodeInfo to oracle 1 over loopback TCP, via common/grpc call()',
        'co-sign: Workload API Sign over the agent Unix socket; the agent asks t oracles; signatures verified by node:crypto, untimed',
        'enrollment: cluster.enroll = CreateJoinToken + a `mpcid agent enroll` CLI process (includes Node start-up)',
      ],
    },
    results: {
      nodeSign: roundSummary(base.nodeSign),
      nobleSign: roundSummary(base.nobleSign),
      grpcRoundTrip: roundSummary(base.grpcRoundTrip),
      cosignC1: roundSummary(cs1),
      cosignC8: roundSummary(cs8),
      enroll: roundSummary(en),
      enrollColdMs: round(enrollColdMs, 1),
    },
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v, 3)])),
    baselineDrift_pass2p50_over_pass1p50: Object.fromEntries(
      Object.entries(drift).map(([k, v]) => [k, round(v, 3)]),
    ),
    verifiedSignatures: verified,
    phases,
  };

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `bench-${report.startedAt.replaceAll(':', '-')}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);

  const out = [
    '',
    `mpcid bench — ${report.machine.cpus} x ${report.machine.cpuModel}, node ${report.machine.node}, ` +
      `loadavg ${loadavgStart.map((l) => l.toFixed(2)).join(' ')} -> ${loadavgEnd.map((l) => l.toFixed(2)).join(' ')}`,
    `cluster n=${N} t=${T} on loopback, ${MSG_BYTES}-byte messages, scale ${SCALE}, ` +
      `${verified} co-signatures verified with node:crypto`,
    '',
    table(rows),
    '',
    `first enrollment (cold): ${enrollColdMs.toFixed(0)} ms; baseline drift (pass 2 p50 / pass 1 p50): ` +
      Object.entries(drift)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', '),
    `wrote ${file} and ${join(RESULTS_DIR, 'latest.json')}`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

/** Stops the cluster if it is still up (idempotent: the variable is cleared first). */
async function stopCluster(): Promise<void> {
  const c = cluster;
  cluster = undefined;
  if (!c) return;
  try {
    await c.stop();
  } catch (e) {
    progress(`stopping the cluster failed: ${(e as Error).message}`);
  }
  progress(`cluster logs kept in ${join(c.dir, 'logs')}`);
}

/** Set by SIGINT/SIGTERM: the run then exits with this code, whatever fails as a consequence. */
let interruptedCode: number | undefined;
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(sig, () => {
    interruptedCode = code;
    progress(`${sig}: stopping the cluster`);
    void stopCluster().finally(() => process.exit(code));
  });
}

try {
  await main();
  process.exit(0);
} catch (e) {
  process.stderr.write(`[bench] FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  await stopCluster();
  process.exit(interruptedCode ?? 1);
}
