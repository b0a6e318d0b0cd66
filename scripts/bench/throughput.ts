/**
 * Multi-identity throughput (issue 12 item 4): `identities` EdDSA identities signing at once for
 * `durationMs` on a local 3-oracle cluster (real oracle processes, t=2), against baselines of the
 * same run: one identity signing alone with the same harness, and one gRPC round trip.
 *
 * The agents run in this process, in `threads` worker threads (scripts/bench/agent-worker.ts),
 * each hosting identities / threads co-signers (the agent's own Cosigner class). CPU per
 * signature: each oracle's utime + stime from /proc/PID/stat, and this process's
 * process.cpuUsage() (every agent thread), over the timed window, divided by the signatures made
 * in it. The oracles' mean Step handling time comes from their /metrics histogram.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { LocalCluster } from '../../cli/localcluster.js';
import { call } from '../../common/grpc.js';
import { measureSeq, type Summary, summarize } from '../bench-lib.js';
import type { AgentWindow, AgentWorkerInput, AgentWorkerOutput } from './agent-worker.js';

export interface ThroughputOptions {
  identities: number;
  threads: number;
  durationMs: number;
  /** Duration of the one-identity baseline. */
  baselineMs: number;
  progress: (msg: string) => void;
}

/** One timed phase: signatures, latencies and CPU per signature of every process. */
export interface ThroughputPhase {
  identities: number;
  threads: number;
  windowMs: number;
  signatures: number;
  signaturesPerSec: number;
  latency: Summary;
  /** CPU ms per signature: each oracle (by node id) and the agents' process. */
  cpuMsPerSignature: { oracles: Record<string, number>; agents: number; total: number };
  /** The kernel's part of it (stime: syscalls, fsync, sockets). */
  systemMsPerSignature: { oracles: Record<string, number>; agents: number };
  /** CPU utilisation over the window (1 = one core busy). */
  cores: { oracles: Record<string, number>; agents: number };
  /** Mean Step handling time on each oracle (mpcid_step_duration_seconds sum / count), ms. */
  oracleStepMeanMs: Record<string, number>;
  verified: number;
  late: number;
  errors: string[];
}

export interface ThroughputReport {
  grpcRoundTrip: Summary;
  single: ThroughputPhase;
  multi: ThroughputPhase;
  ratios: Record<string, number>;
  /** The issue's target: signatures/s in total from 32 identities. */
  targetSignaturesPerSec: number;
}

export const TARGET_SIGNATURES_PER_SEC = 300;

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime and stime of a process in ms (/proc/PID/stat fields 14 and 15). */
export function procCpu(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1000) / CLK_TCK, system: (Number(fields[12]) * 1000) / CLK_TCK };
}

/** utime + stime of a process in ms. */
export function procCpuMs(pid: number): number {
  const { user, system } = procCpu(pid);
  return user + system;
}

const selfCpu = () => {
  const u = process.cpuUsage();
  return { user: u.user / 1000, system: u.system / 1000 };
};

/** Step histogram sum and count from an oracle's /metrics. */
async function stepHistogram(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    const m = /^mpcid_step_duration_seconds_(sum|count)\{[^}]*\} ([0-9.eE+-]+)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'sum') sum += Number(m[2]);
    else count += Number(m[2]);
  }
  return { sum, count };
}

/** Starts an agent thread; `warm` resolves once its identities have warmed up. */
function startWorker(input: AgentWorkerInput) {
  const file = new URL(`./agent-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const w = new Worker(file, { workerData: input });
  let warmed: () => void = () => undefined;
  const warm = new Promise<void>((res) => {
    warmed = res;
  });
  const done = new Promise<AgentWorkerOutput>((resolve, reject) => {
    w.on('message', (m: 'warm' | AgentWorkerOutput | { fatal: string }) => {
      if (m === 'warm') return warmed();
      if ('fatal' in m) reject(new Error(`agent thread: ${m.fatal}`));
      else resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
  return { warm, done, go: (window: AgentWindow) => w.postMessage(window) };
}

async function phase(
  c: LocalCluster,
  stateDirs: string[],
  threads: number,
  durationMs: number,
  warmup: number,
): Promise<ThroughputPhase> {
  const httpUrls = c.oracles.map((o) => `http://${o.config.http!.listen}`);
  const groups: string[][] = Array.from({ length: Math.min(threads, stateDirs.length) }, () => []);
  stateDirs.forEach((d, i) => {
    groups[i % groups.length]!.push(d);
  });
  const workers = groups.map((g) => startWorker({ stateDirs: g, warmup, deadlineMs: 10_000 }));
  // The window starts once every identity has warmed up (connections, nonce caches, JIT).
  await Promise.race([Promise.all(workers.map((w) => w.warm)), Promise.all(workers.map((w) => w.done))]);
  const startAt = Date.now() + 300;
  const endAt = startAt + durationMs;
  for (const w of workers) w.go({ startAt, endAt });
  const sample = async () => ({
    oracles: c.oracles.map((o) => procCpu(o.proc!.pid!)),
    self: selfCpu(),
    at: performance.now(),
    steps: await Promise.all(httpUrls.map(stepHistogram)),
  });
  // Sampled at the window's edges, whatever the agents are doing then.
  const at = (t: number) =>
    new Promise<Awaited<ReturnType<typeof sample>>>((res, rej) => {
      setTimeout(() => sample().then(res, rej), Math.max(0, t - Date.now()));
    });
  const edges = Promise.all([at(startAt), at(endAt)]);
  const outs = await Promise.all(workers.map((w) => w.done));
  const [before, after] = await edges;
  const latencies = outs.flatMap((o) => o.latenciesMs);
  const signatures = latencies.length;
  const windowMs = after.at - before.at;
  const per = (ms: number) => (signatures > 0 ? ms / signatures : Number.NaN);
  const used = (a: { user: number; system: number }, b: { user: number; system: number }) =>
    a.user + a.system - b.user - b.system;
  const oracleCpu = c.oracles.map((_, i) => used(after.oracles[i]!, before.oracles[i]!));
  const oracleSys = c.oracles.map((_, i) => after.oracles[i]!.system - before.oracles[i]!.system);
  const agentCpu = used(after.self, before.self);
  const agentSys = after.self.system - before.self.system;
  const byNode = (xs: number[]) => Object.fromEntries(c.oracles.map((o, i) => [String(o.id), xs[i]!]));
  return {
    identities: stateDirs.length,
    threads: groups.length,
    windowMs,
    signatures,
    signaturesPerSec: signatures / (windowMs / 1000),
    latency: summarize(latencies, windowMs, stateDirs.length),
    cpuMsPerSignature: {
      oracles: byNode(oracleCpu.map(per)),
      agents: per(agentCpu),
      total: per(agentCpu + oracleCpu.reduce((a, b) => a + b, 0)),
    },
    systemMsPerSignature: { oracles: byNode(oracleSys.map(per)), agents: per(agentSys) },
    cores: { oracles: byNode(oracleCpu.map((x) => x / windowMs)), agents: agentCpu / windowMs },
    oracleStepMeanMs: byNode(
      after.steps.map((s, i) => {
        const b = before.steps[i]!;
        return s.count > b.count ? ((s.sum - b.sum) * 1000) / (s.count - b.count) : Number.NaN;
      }),
    ),
    verified: outs.reduce((a, o) => a + o.verified, 0),
    late: outs.reduce((a, o) => a + o.late, 0),
    errors: outs.flatMap((o) => o.errors).slice(0, 20),
  };
}

/** Enrolls `count` EdDSA identities with the real CLI, `parallel` at a time. */
async function enrollMany(c: LocalCluster, count: number, parallel: number): Promise<string[]> {
  const dirs: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      dirs[i] = (await c.enroll(`spiffe://bench.mpcid/ns/throughput/sa/id-${i}`)).stateDir;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return dirs;
}

export async function runThroughput(o: ThroughputOptions): Promise<ThroughputReport> {
  o.progress(`throughput: starting 3 oracles (t=2), enrolling ${o.identities} EdDSA identities`);
  const c = await LocalCluster.start({ n: 3, t: 2, clusterId: 'bench-throughput', algs: ['EdDSA'] });
  try {
    const dirs = await enrollMany(c, o.identities, 4);
    const admin = c.oracles[0]!.admin;
    const rtt = await measureSeq(300, 50, () => call(admin, admin.GetNodeInfo, {}, 10_000));
    o.progress(`throughput: one identity alone for ${o.baselineMs} ms`);
    const single = await phase(c, dirs.slice(0, 1), 1, o.baselineMs, 5);
    o.progress(
      `throughput: ${single.signaturesPerSec.toFixed(1)} sig/s; now ${o.identities} identities on ${o.threads} agent threads for ${o.durationMs} ms`,
    );
    const multi = await phase(c, dirs, o.threads, o.durationMs, 3);
    o.progress(`throughput: ${multi.signaturesPerSec.toFixed(1)} sig/s from ${o.identities} identities`);
    if (multi.errors.length > 0 || single.errors.length > 0)
      throw new Error(`throughput: signing failed: ${[...single.errors, ...multi.errors][0]}`);
    const grpcRoundTrip = summarize(rtt.latenciesMs, rtt.wallMs);
    return {
      grpcRoundTrip,
      single,
      multi,
      targetSignaturesPerSec: TARGET_SIGNATURES_PER_SEC,
      ratios: {
        multiOverSingleSignaturesPerSec: multi.signaturesPerSec / single.signaturesPerSec,
        multiP50_over_singleP50: multi.latency.p50Ms / single.latency.p50Ms,
        multiP50_over_grpcRoundTripP50: multi.latency.p50Ms / grpcRoundTrip.p50Ms,
        multiP99_over_grpcRoundTripP50: multi.latency.p99Ms / grpcRoundTrip.p50Ms,
        singleP50_over_grpcRoundTripP50: single.latency.p50Ms / grpcRoundTrip.p50Ms,
        multiSignaturesPerSec_over_target: multi.signaturesPerSec / TARGET_SIGNATURES_PER_SEC,
      },
    };
  } finally {
    await c.stop();
  }
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const xr = (r: number) => `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}x`;

/** The throughput section of the bench's printed output. */
export function throughputLines(r: ThroughputReport): string[] {
  const m = r.multi;
  const s = r.single;
  const cpu = (p: ThroughputPhase) =>
    `oracles ${Object.entries(p.cpuMsPerSignature.oracles)
      .map(([id, v]) => `${id}: ${f1(v)}`)
      .join(', ')}; agents ${f1(p.cpuMsPerSignature.agents)}; total ${f1(p.cpuMsPerSignature.total)}`;
  const cores = (p: ThroughputPhase) =>
    `oracles ${Object.values(p.cores.oracles)
      .map((v) => v.toFixed(2))
      .join('/')}, agents ${p.cores.agents.toFixed(2)}`;
  return [
    `multi-identity throughput: ${m.identities} EdDSA identities at once for ${(m.windowMs / 1000).toFixed(1)} s ` +
      `(${m.threads} agent threads in this process, the agent's Cosigner), ${m.signatures} signatures, ` +
      `${m.verified + s.verified} verified with node:crypto`,
    `  ${f1(m.signaturesPerSec)} signatures/s in total = ${xr(r.ratios['multiOverSingleSignaturesPerSec']!)} one identity alone ` +
      `(${f1(s.signaturesPerSec)}/s); target >= ${r.targetSignaturesPerSec}/s: ` +
      `${m.signaturesPerSec >= r.targetSignaturesPerSec ? 'met' : 'NOT met'} (${xr(r.ratios['multiSignaturesPerSec_over_target']!)} the target)`,
    `  latency p50 ${f1(m.latency.p50Ms)} ms, p99 ${f1(m.latency.p99Ms)} ms = ${xr(r.ratios['multiP50_over_grpcRoundTripP50']!)} / ` +
      `${xr(r.ratios['multiP99_over_grpcRoundTripP50']!)} gRPC RTT (${r.grpcRoundTrip.p50Ms.toFixed(2)} ms); ` +
      `one identity alone p50 ${f1(s.latency.p50Ms)} ms (${xr(r.ratios['singleP50_over_grpcRoundTripP50']!)} RTT)`,
    `  CPU ms per signature (32 identities): ${cpu(m)}`,
    `  CPU ms per signature (one identity):  ${cpu(s)}`,
    `  cores busy (32 identities): ${cores(m)}; oracle Step handling mean ${Object.values(m.oracleStepMeanMs)
      .map(f1)
      .join('/')} ms (one identity: ${Object.values(s.oracleStepMeanMs).map(f1).join('/')} ms)`,
  ];
}
