/**
 * One agent thread of the multi-identity throughput benchmark (scripts/bench/throughput.ts): runs
 * the agent's own co-signer (agent/cosigner.ts, as `mpcid agent run` does) for each state dir it
 * is given, signs fresh 32-byte messages back to back on every identity until the deadline, and
 * posts the latencies back. Every signature is verified with node:crypto after the timed phase.
 * Several threads host the identities, as several agent processes would: an agent's CPU (and its
 * synchronous writes other than the EdDSA step's write-ahead fdatasync, which runs on the thread
 * pool) would otherwise be one event loop for every identity, a limit of this harness, not of
 * the cluster.
 */
import { createPublicKey, verify as nodeVerify, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Cosigner } from '../../agent/cosigner.js';
import { closeOracles, connectOracles } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { createLogger } from '../../common/log.js';

export interface AgentWorkerInput {
  stateDirs: string[];
  /** Untimed signatures per identity before startAt (connections, nonce caches, JIT). */
  warmup: number;
  deadlineMs: number;
}

export interface AgentWorkerOutput {
  /** Latencies (ms) of the signatures that started inside [startAt, endAt) and finished. */
  latenciesMs: number[];
  /** Signatures that started inside the window and finished after endAt (not counted). */
  late: number;
  verified: number;
  errors: string[];
}

/**
 * The window, sent by the main thread once every thread has warmed up (each posts 'warm'):
 * wall-clock times (Date.now()) when timing starts and ends.
 */
export interface AgentWindow {
  startAt: number;
  endAt: number;
}

const MSG_BYTES = 32;

async function run(input: AgentWorkerInput, window: () => Promise<AgentWindow>): Promise<AgentWorkerOutput> {
  const log = createLogger('bench-agent', 'error');
  const agents = input.stateDirs.map((dir) => {
    const state = readState(dir);
    const clients = connectOracles(state.cluster, null);
    const cosigner = new Cosigner(state, dir, readRatchet(dir, state), clients, log, {
      heartbeatMs: 0,
      deadlineMs: input.deadlineMs,
    });
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(state.group.groupPublicKey).toString('base64url') },
      format: 'jwk',
    });
    return { cosigner, clients, key, results: [] as { msg: Buffer; sig: Uint8Array }[] };
  });
  const out: AgentWorkerOutput = { latenciesMs: [], late: 0, verified: 0, errors: [] };
  for (const a of agents) a.cosigner.start();
  await Promise.all(
    agents.map(async (a) => {
      for (let i = 0; i < input.warmup; i++) await a.cosigner.sign(randomBytes(MSG_BYTES));
    }),
  );
  const { startAt, endAt } = await window();
  const wait = startAt - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await Promise.all(
    agents.map(async (a) => {
      for (;;) {
        const msg = randomBytes(MSG_BYTES);
        if (Date.now() >= endAt) return;
        const t0 = performance.now();
        try {
          const sig = await a.cosigner.sign(msg);
          const ms = performance.now() - t0;
          a.results.push({ msg, sig });
          if (Date.now() <= endAt) out.latenciesMs.push(ms);
          else out.late++;
        } catch (e) {
          out.errors.push((e as Error).message);
          if (out.errors.length > 20) return;
        }
      }
    }),
  );
  for (const a of agents) {
    for (const r of a.results) {
      if (!nodeVerify(null, r.msg, a.key, r.sig))
        out.errors.push(`a co-signature does not verify with node:crypto (msg ${r.msg.toString('hex')})`);
      else out.verified++;
    }
    await a.cosigner.stop();
    closeOracles(a.clients);
  }
  return out;
}

if (parentPort) {
  const port = parentPort;
  const window = () =>
    new Promise<AgentWindow>((res) => {
      port.once('message', (m: AgentWindow) => res(m));
      port.postMessage('warm');
    });
  run(workerData as AgentWorkerInput, window).then(
    (r) => port.postMessage(r),
    (e: unknown) => port.postMessage({ fatal: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
}
