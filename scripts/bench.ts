/**
 * `npm run bench`: co-signed Ed25519 (FROST) and ES256 (threshold ECDSA, DKLs23) on a real local
 * cluster (3 oracle processes, t=2, one agent) against baselines measured in the same run, since
 * the machine is shared and noisy: every co-sign figure is also given as a multiple of a local
 * sign (node:crypto) and of one gRPC round trip to an oracle.
 *
 *   baselines   node:crypto Ed25519 sign, node:crypto P-256 sign (ECDSA, SHA-256), @noble/curves
 *               Ed25519 sign, admin GetNodeInfo round trip; each measured in two halves (before
 *               and after the cluster work) and pooled, so drift shows
 *   co-sign     Workload API Sign of a 32-byte message: EdDSA c=1 (sequential) and c=8 (8 in
 *               flight from one client); ES256 (alg 'ES256') c=1, set against the EdDSA c=1 p50
 *               of the same run and the goal (ES256_GOAL_P50_MS); every signature verified with
 *               node:crypto afterwards (untimed; ES256 as IEEE P1363 r || s against the identity's
 *               P-256 key). The agent keeps 2 ES256 presignatures (its default), so the
 *               back-to-back ES256 row includes the pool's refills competing for the cores; the
 *               'ES256 c=1, paced' row waits (untimed) before each request until the agent logged
 *               a full pool ('ES256 presignature ready'), and the oracles' presign hit/miss counts
 *               (mpcid_es256_presigns_total) are reported with it
 *   enrollment  join token + `mpcid agent enroll` CLI process (as cluster.enroll) for new
 *               identities: the Ed25519 DKG and then ES256 setup (P-256 DKG + DKLs23 pairwise
 *               setup). Split with the agent's own 'ES256 key set up' log line (durationMs):
 *               ES256 setup = that; EdDSA part = total - ES256 setup (token, Node start-up, DKG)
 *   detection   clone detection, one fresh identity per trial: agent A signs, its state dir is
 *               copied (a VM snapshot), A signs again, the copy B starts and signs the same counter
 *               (a conflicting step). From just before B's call to (a) B's call failing with
 *               IDENTITY_REVOKED, (b) every oracle's admin GetIdentity reporting 'revoked' (each
 *               polled every 5 ms), (c) a local webhook receiver holding the alert, HMAC checked,
 *               from every oracle
 *   throughput  32 EdDSA identities signing at once for 10 s on a fresh local 3-oracle cluster,
 *               agents in this process (the agent's Cosigner in worker threads): signatures/s
 *               against one identity alone, p50/p99, CPU ms per signature of every process
 *               (scripts/bench/throughput.ts)
 *   store       one oracle's store with up to 1,000,000 synthetic identities written through
 *               OracleStore (time box MPCID_BENCH_STORE_SECONDS, default 600): step latency (read +
 *               decide + sync put) at 1k vs N, bytes per identity, RSS (scripts/bench/store.ts)
 *   ratchet     the ratchet's cost per signature, in-process: each component a sign step adds to
 *               plain FROST co-signing (agent: step + session signature, one fdatasynced ratchet.json
 *               write and the certified hint, t commit verifications; oracle: step verification,
 *               LevelDB read, decide(), commit signature, sync LevelDB put), summed and set
 *               against the co-sign p50 of the same run. A component sum, not an A/B of the system
 *
 * MPCID_BENCH_SCALE (default 1) multiplies every count (and the throughput window and the store's
 * target), e.g. 0.2 for a quick run; MPCID_BENCH_STORE_SECONDS bounds the store phase's writing.
 * MPCID_BENCH_ONLY=eddsa runs only the baselines and EdDSA co-signing (c=1, c=8) on an identity
 * enrolled with the Ed25519 key alone (for profiling the EdDSA path); MPCID_BENCH_ONLY=es256 runs
 * only the baselines, EdDSA c=1, ES256 c=1 and the enrollment section (both keys, with the oracles'
 * CPU per enrollment; for profiling the ES256 path and enrollment). Prints a table
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
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Level } from 'level';
import {
  CertifiedHint,
  initialRatchet,
  prepareStep,
  type RatchetState,
  certified as ratchetCertified,
  writeRatchet,
} from '../agent/ratchet.js';
import { readState } from '../agent/state.js';
import { type AgentProc, LocalCluster, mpcid } from '../cli/localcluster.js';
import { call, errorCodeOf } from '../common/grpc.js';
import { commitToJSON, signPayloadDigest, stepFromJSON, stepToJSON } from '../common/protocol.js';
import { equalBytes, fromB64u, toB64u } from '../crypto/bytes.js';
import { generateEd25519 } from '../crypto/ed25519.js';
import { checkCommitmentList, commit as frostCommit } from '../crypto/frost.js';
import { type Commit, headAfter, signCommit, verifyCertificate, verifyStep } from '../crypto/ratchet.js';
import { Secret } from '../crypto/secret.js';
import { decide, type RatchetView } from '../oracle/ratchet.js';
import type { RatchetRecord } from '../oracle/records.js';
import { runStoreBench, storeLines } from './bench/store.js';
import { procCpuMs, runThroughput, throughputLines } from './bench/throughput.js';
import {
  measureConcurrent,
  measureSeq,
  measureSync,
  merge,
  newWebhookSecret,
  type Row,
  type Samples,
  type Summary,
  scaled,
  sleep,
  summarize,
  summarizeLatency,
  table,
  type WebhookDelivery,
  WebhookReceiver,
} from './bench-lib.js';

const N = 3;
const T = 2;
const MSG_BYTES = 32;
const CONCURRENCY = 8;
const RPC_DEADLINE_MS = 10_000;
/** The goal for the ES256 co-sign p50 on the 3-oracle local cluster (reported, not tuned for). */
const ES256_GOAL_P50_MS = 60;
/** The goal for enrollment with both keys (EdDSA + ES256), p50 of the whole CLI run. */
const ENROLL_GOAL_MS = 800;
/** Identities signing at once in the throughput phase (issue 12), and its window. */
const THROUGHPUT_IDENTITIES = 32;

function parseScale(raw: string | undefined, name = 'MPCID_BENCH_SCALE'): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const x = Number(raw);
  if (!Number.isFinite(x) || x <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return x;
}

const SCALE = parseScale(process.env['MPCID_BENCH_SCALE']);
/** MPCID_BENCH_ONLY=eddsa | es256: baselines and one co-signing part only (see the header). */
const ONLY = process.env['MPCID_BENCH_ONLY'] ?? '';
if (ONLY !== '' && ONLY !== 'eddsa' && ONLY !== 'es256')
  throw new Error(`MPCID_BENCH_ONLY must be 'eddsa', 'es256' or unset, got '${ONLY}'`);
const EDDSA_ONLY = ONLY === 'eddsa';
const ES256_ONLY = ONLY === 'es256';
/** Time box of the store phase's writing (it reports the count reached). */
const STORE_SECONDS = parseScale(
  process.env['MPCID_BENCH_STORE_SECONDS'] ?? '600',
  'MPCID_BENCH_STORE_SECONDS',
);
/** Measured operations (warm-up excluded); baselines are split over two passes. */
const COUNTS = {
  nodeSign: scaled(4000, SCALE, 100),
  nodeSignP256: scaled(4000, SCALE, 100),
  nobleSign: scaled(1000, SCALE, 50),
  grpcRoundTrip: scaled(1000, SCALE, 50),
  cosignC1: scaled(300, SCALE, 10),
  cosignC8: scaled(200, SCALE, 2 * CONCURRENCY),
  es256CosignC1: scaled(100, SCALE, 10),
  enroll: scaled(5, SCALE, 2),
  /** Clone-detection trials (one fresh identity and two agent processes each). */
  detection: scaled(8, SCALE, 3),
  throughputMs: scaled(10_000, SCALE, 3_000),
  storeIdentities: scaled(1_000_000, SCALE, 10_000),
  /** Each in-process ratchet component; the fsynced ones dominate the time. */
  ratchetComponent: scaled(300, SCALE, 40),
};
/** Untimed operations before each measured pass. */
const WARMUP = {
  nodeSign: scaled(500, SCALE, 50),
  nodeSignP256: scaled(500, SCALE, 50),
  nobleSign: scaled(100, SCALE, 20),
  grpcRoundTrip: scaled(100, SCALE, 20),
  /**
   * Long enough for the agent's and the oracles' JIT to reach steady state (a running agent is
   * warm): after 10 signatures the next 100 have a p50 ~1.15x the steady one.
   */
  cosignC1: scaled(200, SCALE, 3),
  cosignC8: scaled(2 * CONCURRENCY, SCALE, CONCURRENCY),
  es256CosignC1: scaled(10, SCALE, 3),
  ratchetComponent: scaled(30, SCALE, 5),
};
/** Poll interval of each oracle's GetIdentity while waiting for a revocation. */
const POLL_MS = 5;
/** Longest any detection milestone may take before the trial counts as a failure. */
const DETECTION_TIMEOUT_MS = 15_000;

/** Repository root: dist/scripts/bench.js → ../.., scripts/bench.ts → .. */
const ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  import.meta.url.endsWith('.ts') ? '..' : join('..', '..'),
);
const RESULTS_DIR = join(ROOT, 'bench-results');

const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

let cluster: LocalCluster | undefined;
let receiver: WebhookReceiver | undefined;

/** The two halves of a baseline count (before / after the cluster work). */
function halves(n: number): [number, number] {
  return [Math.ceil(n / 2), Math.floor(n / 2)];
}

interface Baselines {
  nodeSign: Samples;
  nodeSignP256: Samples;
  nobleSign: Samples;
  grpcRoundTrip: Samples;
}

/** One pass of the four baselines; `half` picks which half of each count to run. */
async function baselinePass(
  half: 0 | 1,
  nodeKey: KeyObject,
  p256Key: KeyObject,
  nobleKey: Uint8Array,
  c: LocalCluster,
) {
  const msgs = Array.from({ length: 64 }, () => randomBytes(MSG_BYTES));
  const msg = (i: number) => msgs[i % msgs.length]!;
  const admin = c.oracles[0]!.admin;
  const out: Baselines = {
    nodeSign: measureSync(halves(COUNTS.nodeSign)[half], WARMUP.nodeSign, (i) =>
      nodeSign(null, msg(i), nodeKey),
    ),
    nodeSignP256: measureSync(halves(COUNTS.nodeSignP256)[half], WARMUP.nodeSignP256, (i) =>
      nodeSign('sha256', msg(i), p256Key),
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

/** The identity's P-256 key (SEC 1 uncompressed, as the Workload API returns it) as a node:crypto key. */
function p256PublicKey(point: Buffer): KeyObject {
  if (point.length !== 65 || point[0] !== 0x04)
    throw new Error(`ES256 public key: ${point.length} bytes, expected a 65-byte uncompressed point`);
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** Workload API Sign with an explicit `alg` (AgentProc.sign asks for the default, EdDSA). */
function workloadSign(agent: AgentProc, message: Uint8Array, alg: 'EdDSA' | 'ES256') {
  return call(agent.workload, agent.workload.Sign, { message: Buffer.from(message), alg }, RPC_DEADLINE_MS);
}

/** The Workload API as a benchmark target: signs fresh 32-byte messages, keeps results for verification. */
class Signer {
  readonly results: { msg: Buffer; sig: Buffer; publicKey: Buffer; alg: string }[] = [];
  constructor(
    readonly agent: AgentProc,
    readonly alg: 'EdDSA' | 'ES256' = 'EdDSA',
  ) {}

  /** Pre-generates the messages so that no timed call draws randomness. */
  prepare(n: number): () => Promise<void> {
    const msgs = Array.from({ length: n }, () => randomBytes(MSG_BYTES));
    let next = 0;
    return async () => {
      const msg = msgs[next++];
      if (!msg) throw new Error('bench: ran out of prepared messages');
      const res =
        this.alg === 'EdDSA'
          ? await this.agent.sign(msg, RPC_DEADLINE_MS)
          : await workloadSign(this.agent, msg, this.alg);
      this.results.push({ msg, sig: res.signature, publicKey: res.publicKey, alg: res.alg });
    };
  }

  /**
   * Verifies (and forgets) every signature collected so far; throws on the first bad one.
   * `publicKey`: the Ed25519 group key (EdDSA) or the uncompressed P-256 point (ES256).
   */
  verifyAll(publicKey: Buffer): number {
    const es256 = this.alg === 'ES256';
    const key = es256
      ? p256PublicKey(publicKey)
      : createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') },
          format: 'jwk',
        });
    const n = this.results.length;
    for (const [i, r] of this.results.entries()) {
      const what = `${this.alg} co-signature ${i}`;
      if (r.alg !== this.alg) throw new Error(`${what}: response says alg '${r.alg}'`);
      if (!r.publicKey.equals(publicKey)) throw new Error(`${what}: response carries a different public key`);
      if (r.sig.length !== 64) throw new Error(`${what}: ${r.sig.length} bytes, expected 64`);
      const ok = es256
        ? nodeVerify('sha256', r.msg, { key, dsaEncoding: 'ieee-p1363' }, r.sig)
        : nodeVerify(null, r.msg, key, r.sig);
      if (!ok)
        throw new Error(
          `${what} does not verify with node:crypto (msg ${r.msg.toString('hex')}, sig ${r.sig.toString('hex')})`,
        );
    }
    this.results.length = 0;
    return n;
  }
}

interface Enrolled {
  stateDir: string;
  kid: string;
  publicKey: string;
}

/** One enrollment, split with the agent's own log of its ES256 setup. */
interface EnrollTiming {
  totalMs: number;
  /** durationMs of the CLI's 'ES256 key set up' log line (Date.now() resolution, inside the process). */
  es256SetupMs: number;
  /** totalMs - es256SetupMs: join token, Node start-up, Ed25519 DKG, state write, exit. */
  eddsaMs: number;
}

/**
 * cluster.enroll (a join token, then the `mpcid agent enroll` CLI process) done here so that the
 * CLI's stderr (pino JSON lines) can be read: its 'ES256 key set up' line carries the duration
 * of ES256 setup, which runs after the Ed25519 DKG in the same process.
 */
async function enrollTimed(c: LocalCluster, name: string): Promise<Enrolled & EnrollTiming> {
  const dir = join(mkdtempSync(join(c.dir, 'agent-')), 'state');
  const t0 = performance.now();
  const token = await c.createToken(name);
  const r = await mpcid(['agent', 'enroll', '--token', token, '--state', dir, ...c.agentTransportArgs]);
  const totalMs = performance.now() - t0;
  if (r.code !== 0) throw new Error(`enroll ${name} failed: ${r.stderr.trim()}`);
  const out = JSON.parse(r.stdout) as { kid: string; publicKey: string; es256?: { kid: string } };
  if (!out.es256) throw new Error(`enroll ${name}: no ES256 key (ES256 setup failed): ${r.stderr.trim()}`);
  let es256SetupMs: number | undefined;
  for (const line of r.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const rec = JSON.parse(line) as { msg?: string; durationMs?: number };
    if (rec.msg === 'ES256 key set up' && typeof rec.durationMs === 'number') es256SetupMs = rec.durationMs;
  }
  if (es256SetupMs === undefined)
    throw new Error(`enroll ${name}: no 'ES256 key set up' line with durationMs in the CLI's log`);
  return {
    stateDir: dir,
    kid: out.kid,
    publicKey: out.publicKey,
    totalMs,
    es256SetupMs,
    eddsaMs: totalMs - es256SetupMs,
  };
}

/** One clone-detection trial: milestones in ms from just before the clone's conflicting call. */
interface DetectionTrial {
  kid: string;
  /** (a) the clone's Sign call returned IDENTITY_REVOKED. */
  refusedMs: number;
  /** (b) oracle i (index i-1) first reported the identity 'revoked' on its admin API. */
  revokedMs: number[];
  /** (c) the webhook receiver held a verified alert from oracle i (index i-1). */
  webhookMs: number[];
  eventId: string;
  reason: string;
  detectingNodes: number[];
}

/** Signs a fresh message through an agent and checks the signature with node:crypto. */
async function signChecked(agent: AgentProc, groupPublicKey: Buffer): Promise<void> {
  const msg = randomBytes(MSG_BYTES);
  const res = await agent.sign(msg, RPC_DEADLINE_MS);
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: groupPublicKey.toString('base64url') },
    format: 'jwk',
  });
  if (!nodeVerify(null, msg, key, res.signature))
    throw new Error('detection trial: a signature of the original agent does not verify');
}

/** Polls one oracle's GetIdentity every POLL_MS until it reports 'revoked'; ms since t0. */
async function pollRevoked(
  c: LocalCluster,
  i: number,
  identityId: string,
  t0: number,
  stop: AbortSignal,
): Promise<number> {
  const admin = c.oracles[i]!.admin;
  for (;;) {
    const r = await call(admin, admin.GetIdentity, { identityId }, RPC_DEADLINE_MS);
    const at = performance.now() - t0;
    if (r.status === 'revoked') return at;
    if (stop.aborted) throw new Error('detection trial aborted');
    if (at > DETECTION_TIMEOUT_MS)
      throw new Error(
        `oracle ${i + 1} still reports '${r.status}' ${DETECTION_TIMEOUT_MS} ms after the clone's step`,
      );
    await sleep(POLL_MS);
  }
}

/**
 * A fresh identity's agent A signs; its state dir is copied (a VM snapshot / disk image); A signs
 * again (step c+1); the copy B starts and signs: its step c+1 conflicts with A's. Measures from
 * just before B's call to B's refusal, to 'revoked' on every oracle, to the webhook from every oracle.
 */
async function detectionTrial(
  c: LocalCluster,
  receiver: WebhookReceiver,
  id: Enrolled,
): Promise<DetectionTrial> {
  const pk = Buffer.from(id.publicKey, 'base64url');
  const agents: AgentProc[] = [];
  const stop = new AbortController();
  try {
    // Heartbeats off: the two signatures are the only steps, so the conflict is B's sign step.
    // No presigning: a background es256-presign step of either copy would expose the clone before
    // the trial's own request, and the trial measures detection from that request.
    const a = await c.startAgent(id.stateDir, undefined, { heartbeatMs: 0, es256Presigns: 0 });
    agents.push(a);
    await signChecked(a, pk);
    const cloneDir = join(dirname(id.stateDir), 'clone');
    cpSync(id.stateDir, cloneDir, { recursive: true });
    await signChecked(a, pk);
    const b = await c.startAgent(cloneDir, undefined, { heartbeatMs: 0, es256Presigns: 0 });
    agents.push(b);
    await sleep(200); // B's nonce prefetch (started with the agent) settles
    for (const o of c.oracles) {
      const r = await call(o.admin, o.admin.GetIdentity, { identityId: id.kid }, RPC_DEADLINE_MS);
      if (r.status !== 'active')
        throw new Error(`oracle ${o.id} reports '${r.status}' before the clone acted`);
    }
    const mine = (d: WebhookDelivery) => d.event['identityId'] === id.kid;
    const msg = randomBytes(MSG_BYTES);

    const t0 = performance.now();
    const refused = b.sign(msg, RPC_DEADLINE_MS).then(
      () => {
        throw new Error(`the clone's conflicting step was accepted: clone of ${id.kid} not detected`);
      },
      (e: unknown) => {
        const at = performance.now() - t0;
        const code = errorCodeOf(e);
        if (code !== 'IDENTITY_REVOKED')
          throw new Error(
            `the clone's call failed with ${code ?? (e as Error).message}, expected IDENTITY_REVOKED`,
          );
        return at;
      },
    );
    const revoked = Promise.all(c.oracles.map((_, i) => pollRevoked(c, i, id.kid, t0, stop.signal)));
    const hooks = receiver.waitFor(
      mine,
      (ds) => new Set(ds.map((d) => d.event['reportingNode'])).size >= c.oracles.length,
      DETECTION_TIMEOUT_MS,
    );
    const [refusedMs, revokedMs, deliveries] = await Promise.all([refused, revoked, hooks]);

    const ids = new Set(deliveries.map((d) => d.eventId));
    if (ids.size !== 1) throw new Error(`the oracles' alerts carry ${ids.size} different event ids`);
    if (deliveries.some((d) => d.event['type'] !== 'identity.clone_detected'))
      throw new Error('an alert is not identity.clone_detected');
    const webhookMs = c.oracles.map((o) => {
      const first = deliveries.find((d) => d.event['reportingNode'] === o.id);
      if (!first) throw new Error(`no webhook from oracle ${o.id}`);
      return first.at - t0;
    });
    return {
      kid: id.kid,
      refusedMs,
      revokedMs,
      webhookMs,
      eventId: deliveries[0]!.eventId,
      reason: String(deliveries[0]!.event['reason']),
      detectingNodes: [...new Set(deliveries.map((d) => Number(d.event['detectingNode'])))].sort(),
    };
  } finally {
    stop.abort();
    await Promise.all(agents.map((x) => x.kill()));
  }
}

/** One ratchet component of a sign step, measured in-process. */
interface Component {
  key: string;
  label: string;
  side: 'agent' | 'oracle';
  samples: Samples;
}

/**
 * What a sign step adds to plain FROST co-signing, piece by piece, with the real functions on the
 * bench identity's real state (session key, shares, signing set of t oracles + the agent):
 *   agent   the step (payload digest, session Ed25519 signature); ratchet.json written with the
 *           step pending (the one durable write: in place into a slot of the preallocated file, one fdatasync),
 *           then the certified hint (ratchet.certified.json, no fsync);
 *           the t commits checked (one Ed25519 verification each, plus the head)
 *   oracle  (each of the t, in parallel) session signature and payload digest checked; the
 *           ratchet record read from LevelDB; decide() and the new head; the commit signed
 *           (Ed25519); the new record put to LevelDB with sync
 * Node keys are fresh stand-ins of the same kind; files and LevelDB live in a temp dir on the
 * same file system as the cluster.
 */
async function ratchetComponents(stateDir: string, workDir: string): Promise<Component[]> {
  const state = readState(stateDir);
  const as = state.group.as;
  const identityId = state.identityId;
  const count = COUNTS.ratchetComponent;
  const warmup = WARMUP.ratchetComponent;
  const nodes = Array.from({ length: as.n }, (_, i) => {
    const { seed, publicKey } = generateEd25519();
    return { id: i + 1, key: new Secret(seed, 'node key'), publicKey };
  });
  const signers = nodes.slice(0, as.t);
  const list = checkCommitmentList(as, [
    ...signers.map((o) => ({ ...frostCommit(state.shares[0]!).commitment, participant: o.id })),
    ...state.shares.map((x) => frostCommit(x).commitment),
  ]);
  const POOL = 64;
  const msgs = Array.from({ length: POOL }, () => new Uint8Array(randomBytes(MSG_BYTES)));
  const step = (st: RatchetState, i: number) =>
    prepareStep(st, identityId, state.sessionKey, 'sign', signPayloadDigest('sign', msgs[i % POOL]!, list), {
      message: msgs[i % POOL]!,
      list,
    });
  const commitsFor = (st: RatchetState): Commit[] => {
    const s = st.pending!.signed.step;
    const head = headAfter(s);
    return signers.map((o) => signCommit(o.key, o.id, identityId, s.counter, head));
  };
  // The agent between two signatures: certified at counter 1. Then one pending step per message.
  const first = step(initialRatchet(state), 0);
  const base = ratchetCertified(first, commitsFor(first));
  const pending = Array.from({ length: POOL }, (_, i) => step(base, i));
  const commits = pending.map(commitsFor);
  const certifiedStates = pending.map((p, i) => ratchetCertified(p, commits[i]!));
  const at = (i: number) => i % POOL;

  const agentDir = join(workDir, 'agent');
  mkdirSync(agentDir, { recursive: true, mode: 0o700 });
  const db = new Level<string, unknown>(join(workDir, 'leveldb'), { valueEncoding: 'json' });
  await db.open();
  const key = `ratchet!${identityId}`;
  const lastSigned = first.pending!.signed;
  const stored: RatchetRecord = {
    identityId,
    counter: base.counter,
    head: toB64u(base.head),
    last: {
      step: stepToJSON(lastSigned),
      peer: 'ipv4:127.0.0.1:50000',
      reply: { commit: commitToJSON(base.certificate[0]!), signatureShare: toB64u(randomBytes(32)) },
    },
  };
  await db.put(key, stored, { sync: true });
  const view: RatchetView = { counter: base.counter, head: base.head, last: lastSigned.step };
  const heads = pending.map((p) => headAfter(p.pending!.signed.step));
  const share = toB64u(randomBytes(32));

  try {
    const out: Component[] = [];
    const add = (key: string, side: Component['side'], label: string, samples: Samples) => {
      out.push({ key, label, side, samples });
    };
    add(
      'agentStep',
      'agent',
      'agent: step (payload digest + session sign)',
      measureSync(count, warmup, (i) => step(base, i)),
    );
    add(
      'agentWritePending',
      'agent',
      'agent: ratchet.json pending (in place, fdatasync)',
      measureSync(count, warmup, (i) => writeRatchet(agentDir, identityId, pending[at(i)]!)),
    );
    // As the agent keeps it: one open file, rewritten in place (agent/ratchet.ts CertifiedHint).
    const hint = new CertifiedHint(agentDir, identityId);
    add(
      'agentWriteCertified',
      'agent',
      'agent: certified hint (no fsync)',
      measureSync(count, warmup, (i) => hint.write(certifiedStates[at(i)]!)),
    );
    hint.close();
    add(
      'agentVerifyCommits',
      'agent',
      `agent: verify ${as.t} commits`,
      measureSync(count, warmup, (i) => {
        const s = pending[at(i)]!.pending!.signed.step;
        const head = headAfter(s);
        for (const c of commits[at(i)]!) {
          if (c.counter !== s.counter || !equalBytes(c.head, head)) throw new Error('commit mismatch');
          verifyCertificate(
            new Map([[c.nodeId, nodes[c.nodeId - 1]!.publicKey]]),
            1,
            identityId,
            s.counter,
            head,
            [c],
          );
        }
      }),
    );
    add(
      'oracleVerifyStep',
      'oracle',
      'oracle: verify step (session sig + digest)',
      measureSync(count, warmup, (i) => {
        const p = pending[at(i)]!.pending!;
        verifyStep(state.sessionPublicKey, p.signed, 'step.signature');
        if (!equalBytes(signPayloadDigest('sign', p.sign!.message, list), p.signed.step.payloadDigest))
          throw new Error('payload digest mismatch');
      }),
    );
    add(
      'oracleGet',
      'oracle',
      'oracle: LevelDB get ratchet record',
      await measureSeq(count, warmup, async () => {
        const rec = (await db.get(key)) as RatchetRecord;
        fromB64u(rec.head, 'head', 32);
        stepFromJSON(rec.last!.step);
      }),
    );
    add(
      'oracleDecide',
      'oracle',
      'oracle: decide() + new head',
      measureSync(count, warmup, (i) => {
        const s = pending[at(i)]!.pending!.signed.step;
        if (decide(view, s, () => false).kind !== 'next') throw new Error('decide: expected next');
        headAfter(s);
      }),
    );
    add(
      'oracleSignCommit',
      'oracle',
      'oracle: sign commit (node key)',
      measureSync(count, warmup, (i) => {
        const s = pending[at(i)]!.pending!.signed.step;
        signCommit(signers[0]!.key, signers[0]!.id, identityId, s.counter, heads[at(i)]!);
      }),
    );
    add(
      'oraclePut',
      'oracle',
      'oracle: LevelDB put ratchet record (sync)',
      await measureSeq(count, warmup, async (i) => {
        const p = pending[at(i)]!.pending!;
        const rec: RatchetRecord = {
          identityId,
          counter: p.signed.step.counter,
          head: toB64u(heads[at(i)]!),
          last: {
            step: stepToJSON(p.signed),
            peer: 'ipv4:127.0.0.1:50000',
            reply: { commit: commitToJSON(commits[at(i)]![0]!), signatureShare: share },
          },
        };
        await db.put(key, rec, { sync: true });
      }),
    );
    return out;
  } finally {
    await db.close();
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
  const { privateKey: p256Key } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const nobleKey = ed25519.utils.randomSecretKey();
  {
    // The baselines must produce real signatures too.
    const m = randomBytes(MSG_BYTES);
    const pub = createPublicKey(nodeKey);
    if (!nodeVerify(null, m, pub, nodeSign(null, m, nodeKey))) throw new Error('node:crypto sign self-check');
    if (!nodeVerify('sha256', m, createPublicKey(p256Key), nodeSign('sha256', m, p256Key)))
      throw new Error('node:crypto P-256 sign self-check');
    if (!ed25519.verify(ed25519.sign(m, nobleKey), m, ed25519.getPublicKey(nobleKey)))
      throw new Error('@noble/curves sign self-check');
  }

  // Every oracle POSTs its alerts to this receiver (HMAC-checked), for the detection trials.
  const hookSecret = newWebhookSecret();
  const hooks = await WebhookReceiver.start(hookSecret);
  receiver = hooks;

  mark(`starting ${N} oracles (t=${T}), alert webhook ${hooks.url}`);
  const c = await LocalCluster.start({
    n: N,
    t: T,
    clusterId: 'bench',
    ...(EDDSA_ONLY ? { algs: ['EdDSA'] as const } : {}),
    oracleConfig: () => ({ alerts: { webhooks: [{ url: hooks.url, secret: hookSecret, timeoutMs: 2000 }] } }),
  });
  cluster = c;

  if (EDDSA_ONLY) {
    await eddsaOnly({ c, nodeKey, p256Key, nobleKey, startedAt, loadavgStart });
    return;
  }
  if (ES256_ONLY) {
    await es256Only({ c, nodeKey, p256Key, nobleKey, startedAt, loadavgStart });
    return;
  }

  mark('enrolling the bench identity');
  const cold = await enrollTimed(c, 'spiffe://bench.mpcid/ns/bench/sa/signer');
  const { stateDir } = cold;
  const enrollColdMs = cold.totalMs;
  const agent = await c.startAgent(stateDir);
  const identity = await call(agent.workload, agent.workload.GetIdentity, {}, RPC_DEADLINE_MS);
  const groupPublicKey = Buffer.from(identity.publicKey);
  const es256PublicKey = Buffer.from(identity.es256PublicKey);
  if (identity.n !== N || identity.t !== T)
    throw new Error(`agent reports n=${identity.n} t=${identity.t}, expected n=${N} t=${T}`);
  if (es256PublicKey.length === 0 || identity.es256Kid === '')
    throw new Error('the bench identity has no ES256 key after enrollment');

  mark('baselines, pass 1 of 2');
  const pass1 = await baselinePass(0, nodeKey, p256Key, nobleKey, c);

  const { c1: cosignC1, c8: cosignC8, verified } = await eddsaCosign(agent, groupPublicKey, mark);

  // ES256 steps are serialised per identity like every step, so only c=1 is measured.
  mark(`ES256 co-sign c=1: ${WARMUP.es256CosignC1} warm-up + ${COUNTS.es256CosignC1}`);
  const es256Signer = new Signer(agent, 'ES256');
  const es256CosignC1 = await measureSeq(
    COUNTS.es256CosignC1,
    WARMUP.es256CosignC1,
    es256Signer.prepare(WARMUP.es256CosignC1 + COUNTS.es256CosignC1),
  );
  mark(
    `ES256 co-sign c=1, paced (pool refilled before each): ${WARMUP.es256CosignC1} warm-up + ${COUNTS.es256CosignC1}`,
  );
  const {
    samples: es256Paced,
    before: presignsBefore,
    after: presignsAfter,
  } = await es256PacedRun(c, agent, es256Signer);
  const verifiedEs256 = es256Signer.verifyAll(es256PublicKey);

  mark(`ratchet components in-process: ${COUNTS.ratchetComponent} each`);
  const workDir = mkdtempSync(join(c.dir, 'ratchet-components-'));
  const components = await ratchetComponents(stateDir, workDir);
  rmSync(workDir, { recursive: true, force: true });

  mark(`enrollment: ${COUNTS.enroll} identities`);
  const enrollTimings: EnrollTiming[] = [];
  const enrolled: Enrolled[] = [];
  const t = performance.now();
  for (let i = 0; i < COUNTS.enroll; i++) {
    const e = await enrollTimed(c, `spiffe://bench.mpcid/ns/bench/sa/enroll-${i}`);
    enrolled.push(e);
    enrollTimings.push(e);
  }
  const enroll: Samples = {
    latenciesMs: enrollTimings.map((e) => e.totalMs),
    wallMs: performance.now() - t,
    concurrency: 1,
  };

  mark(`clone detection: ${COUNTS.detection} trials (identities from the enrollment phase, more if needed)`);
  const trials: DetectionTrial[] = [];
  for (let i = 0; i < COUNTS.detection; i++) {
    const id = enrolled[i] ?? (await c.enroll(`spiffe://bench.mpcid/ns/bench/sa/clone-${i}`));
    trials.push(await detectionTrial(c, hooks, id));
  }
  if (hooks.rejected.length > 0)
    throw new Error(`the webhook receiver refused ${hooks.rejected.length} deliveries: ${hooks.rejected[0]}`);

  mark('baselines, pass 2 of 2');
  const pass2 = await baselinePass(1, nodeKey, p256Key, nobleKey, c);

  mark('stopping the cluster');
  cluster = undefined;
  await c.stop();
  receiver = undefined;
  await hooks.close();
  rmSync(c.dir, { recursive: true, force: true });

  mark(`multi-identity throughput: ${THROUGHPUT_IDENTITIES} identities, ${COUNTS.throughputMs} ms`);
  const throughput = await runThroughput({
    identities: THROUGHPUT_IDENTITIES,
    threads: 4,
    durationMs: COUNTS.throughputMs,
    baselineMs: Math.max(2_000, COUNTS.throughputMs / 2),
    progress,
  });
  mark(`one oracle's store: up to ${COUNTS.storeIdentities} identities`);
  const store = await runStoreBench({
    identities: COUNTS.storeIdentities,
    timeBoxMs: STORE_SECONDS * 1000,
    steps: scaled(500, SCALE, 100),
    progress,
  });
  const loadavgEnd = os.loadavg();
  const finishedAt = new Date();

  const pooled = (k: keyof Baselines) => {
    const m = merge([pass1[k], pass2[k]]);
    return summarize(m.latenciesMs, m.wallMs);
  };
  const base = {
    nodeSign: pooled('nodeSign'),
    nodeSignP256: pooled('nodeSignP256'),
    nobleSign: pooled('nobleSign'),
    grpcRoundTrip: pooled('grpcRoundTrip'),
  };
  const cs1 = summarize(cosignC1.latenciesMs, cosignC1.wallMs, 1);
  const cs8 = summarize(cosignC8.latenciesMs, cosignC8.wallMs, CONCURRENCY);
  const en = summarize(enroll.latenciesMs, enroll.wallMs, 1);
  const es1 = summarize(es256CosignC1.latenciesMs, es256CosignC1.wallMs, 1);
  const esPaced = summarize(es256Paced.latenciesMs, es256Paced.wallMs, 1);
  const enEddsa = summarizeLatency(enrollTimings.map((e) => e.eddsaMs));
  const enEs256 = summarizeLatency(enrollTimings.map((e) => e.es256SetupMs));
  const es256Goal = {
    goalP50Ms: ES256_GOAL_P50_MS,
    measuredP50Ms: es1.p50Ms,
    met: es1.p50Ms <= ES256_GOAL_P50_MS,
  };
  const detection = {
    signRefused: summarizeLatency(trials.map((x) => x.refusedMs)),
    revokedAllOracles: summarizeLatency(trials.map((x) => Math.max(...x.revokedMs))),
    webhookAllOracles: summarizeLatency(trials.map((x) => Math.max(...x.webhookMs))),
  };
  const comp = components.map((x) => ({ ...x, s: summarize(x.samples.latenciesMs, x.samples.wallMs) }));
  const sideSum = (side: Component['side']) =>
    comp.filter((x) => x.side === side).reduce((a, x) => a + x.s.p50Ms, 0);
  const ratchet = {
    agentP50SumMs: sideSum('agent'),
    oracleP50SumMs: sideSum('oracle'),
    /** Critical path of one signature: the agent's part plus one oracle's (the t oracles work in parallel). */
    criticalPathP50SumMs: sideSum('agent') + sideSum('oracle'),
    /** Work done per signature across processes: the agent's part plus t oracles'. */
    workP50SumMs: sideSum('agent') + T * sideSum('oracle'),
    cosignC1P50Ms: cs1.p50Ms,
  };
  const ratchetShare = ratchet.criticalPathP50SumMs / cs1.p50Ms;

  const ratios = {
    cosignC1P50_over_grpcRoundTripP50: cs1.p50Ms / base.grpcRoundTrip.p50Ms,
    cosignC1P50_over_nodeSignP50: cs1.p50Ms / base.nodeSign.p50Ms,
    cosignC8P50_over_grpcRoundTripP50: cs8.p50Ms / base.grpcRoundTrip.p50Ms,
    cosignC8P50_over_nodeSignP50: cs8.p50Ms / base.nodeSign.p50Ms,
    cosignC8OpsPerSec_over_cosignC1OpsPerSec: cs8.opsPerSec / cs1.opsPerSec,
    nodeSignOpsPerSec_over_cosignC1OpsPerSec: base.nodeSign.opsPerSec / cs1.opsPerSec,
    nobleSignP50_over_nodeSignP50: base.nobleSign.p50Ms / base.nodeSign.p50Ms,
    nodeSignP256P50_over_nodeSignP50: base.nodeSignP256.p50Ms / base.nodeSign.p50Ms,
    es256CosignC1P50_over_grpcRoundTripP50: es1.p50Ms / base.grpcRoundTrip.p50Ms,
    es256CosignC1P50_over_cosignC1P50: es1.p50Ms / cs1.p50Ms,
    es256CosignC1P99_over_cosignC1P99: es1.p99Ms / cs1.p99Ms,
    es256CosignC1P50_over_nodeSignP256P50: es1.p50Ms / base.nodeSignP256.p50Ms,
    es256CosignC1P50_over_goalP50: es1.p50Ms / ES256_GOAL_P50_MS,
    es256CosignC1PacedP50_over_grpcRoundTripP50: esPaced.p50Ms / base.grpcRoundTrip.p50Ms,
    es256CosignC1PacedP50_over_es256CosignC1P50: esPaced.p50Ms / es1.p50Ms,
    enrollP50_over_goalP50: en.p50Ms / ENROLL_GOAL_MS,
    enrollEddsaP50_over_grpcRoundTripP50: enEddsa.p50Ms / base.grpcRoundTrip.p50Ms,
    enrollEs256SetupP50_over_grpcRoundTripP50: enEs256.p50Ms / base.grpcRoundTrip.p50Ms,
    enrollEs256SetupP50_over_enrollEddsaP50: enEs256.p50Ms / enEddsa.p50Ms,
    enrollEs256SetupP50_over_es256CosignC1P50: enEs256.p50Ms / es1.p50Ms,
    enrollP50_over_grpcRoundTripP50: en.p50Ms / base.grpcRoundTrip.p50Ms,
    enrollP50_over_cosignC1P50: en.p50Ms / cs1.p50Ms,
    detectionRefusedP50_over_grpcRoundTripP50: detection.signRefused.p50Ms / base.grpcRoundTrip.p50Ms,
    detectionRevokedAllP50_over_grpcRoundTripP50:
      detection.revokedAllOracles.p50Ms / base.grpcRoundTrip.p50Ms,
    detectionWebhookAllP50_over_grpcRoundTripP50:
      detection.webhookAllOracles.p50Ms / base.grpcRoundTrip.p50Ms,
    detectionRefusedP50_over_cosignC1P50: detection.signRefused.p50Ms / cs1.p50Ms,
    ratchetCriticalPathP50Sum_over_cosignC1P50: ratchetShare,
  };
  /** p50 of pass 2 over pass 1 for each baseline: far from 1 means the machine's load changed mid-run. */
  const p50 = (s: Samples) => summarize(s.latenciesMs, s.wallMs).p50Ms;
  const drift = {
    nodeSign: p50(pass2.nodeSign) / p50(pass1.nodeSign),
    nodeSignP256: p50(pass2.nodeSignP256) / p50(pass1.nodeSignP256),
    nobleSign: p50(pass2.nobleSign) / p50(pass1.nobleSign),
    grpcRoundTrip: p50(pass2.grpcRoundTrip) / p50(pass1.grpcRoundTrip),
  };

  const x = (r: number) => `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}x`;
  const vsCosign = (s: Summary) =>
    `${x(s.p50Ms / base.grpcRoundTrip.p50Ms)} gRPC RTT, ${x(s.p50Ms / base.nodeSign.p50Ms)} node sign (p50)`;
  const rows: Row[] = [
    { name: 'node:crypto Ed25519 sign', s: base.nodeSign, vs: 'baseline' },
    {
      name: 'node:crypto P-256 sign (ES256)',
      s: base.nodeSignP256,
      vs: `baseline; ${x(ratios.nodeSignP256P50_over_nodeSignP50)} node Ed25519 sign (p50)`,
    },
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
      name: 'ES256 co-sign c=1 (Workload Sign)',
      s: es1,
      vs:
        `${x(ratios.es256CosignC1P50_over_grpcRoundTripP50)} gRPC RTT, ` +
        `${x(ratios.es256CosignC1P50_over_cosignC1P50)} EdDSA co-sign c=1, ` +
        `${x(ratios.es256CosignC1P50_over_nodeSignP256P50)} node P-256 sign (p50); ` +
        `goal p50 <= ${ES256_GOAL_P50_MS} ms: ${es256Goal.met ? 'met' : 'NOT met'}`,
    },
    {
      name: 'ES256 co-sign c=1, paced (pool refilled)',
      s: esPaced,
      vs:
        `${x(ratios.es256CosignC1PacedP50_over_grpcRoundTripP50)} gRPC RTT (p50; goal <= 30x), ` +
        `${x(ratios.es256CosignC1PacedP50_over_es256CosignC1P50)} ES256 back to back; presign hits ` +
        `${presignsAfter.hit - presignsBefore.hit}, misses ${presignsAfter.miss - presignsBefore.miss} (oracle shares)`,
    },
    {
      name: 'enrollment total (EdDSA + ES256)',
      s: en,
      vs:
        `${x(ratios.enrollP50_over_grpcRoundTripP50)} gRPC RTT (p50); ` +
        `goal p50 <= ${ENROLL_GOAL_MS} ms: ${en.p50Ms <= ENROLL_GOAL_MS ? 'met' : 'NOT met'}`,
    },
    {
      name: '  enrollment: EdDSA part',
      s: enEddsa,
      vs: `${x(ratios.enrollEddsaP50_over_grpcRoundTripP50)} gRPC RTT (p50); total - ES256 setup`,
    },
    {
      name: '  enrollment: ES256 setup',
      s: enEs256,
      vs:
        `${x(ratios.enrollEs256SetupP50_over_grpcRoundTripP50)} gRPC RTT, ` +
        `${x(ratios.enrollEs256SetupP50_over_enrollEddsaP50)} EdDSA part (p50); agent log`,
    },
    ...(
      [
        ['clone step -> clone refused', detection.signRefused],
        [`clone step -> revoked on ${N}/${N} oracles`, detection.revokedAllOracles],
        [`clone step -> webhook from ${N}/${N}`, detection.webhookAllOracles],
      ] as const
    ).map(([name, s]) => ({
      name,
      s,
      vs: `${x(s.p50Ms / base.grpcRoundTrip.p50Ms)} gRPC RTT, ${x(s.p50Ms / cs1.p50Ms)} co-sign c=1 (p50)`,
    })),
  ];
  const pct = (r: number) => `${(100 * r).toFixed(r < 0.1 ? 1 : 0)}%`;
  const ratchetRows: Row[] = comp.map((k) => ({
    name: k.label,
    s: k.s,
    vs: `${pct(k.s.p50Ms / cs1.p50Ms)} of co-sign c=1 (p50)`,
  }));

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
      es256GoalP50Ms: ES256_GOAL_P50_MS,
      enrollGoalP50Ms: ENROLL_GOAL_MS,
      throughputIdentities: THROUGHPUT_IDENTITIES,
      storeSeconds: STORE_SECONDS,
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
        'co-sign ES256: Workload API Sign with alg ES256 (a certified es256 step, then DKLs23 rounds 2-3 via EcdsaRound with t oracles); c=1 only, since an identity runs one step at a time; every signature verified by node:crypto (sha256, ieee-p1363) against the P-256 key of GetIdentity, untimed',
        'enrollment: as cluster.enroll = CreateJoinToken + a `mpcid agent enroll` CLI process (includes Node start-up), which runs the Ed25519 DKG and then ES256 setup',
        "enrollment split: es256Setup = durationMs of the CLI's 'ES256 key set up' log line (measured inside the process, Date.now() resolution); eddsa = total - es256Setup (token, Node start-up, Ed25519 DKG, state write, exit)",
        "detection: per trial a fresh identity (from the enrollment phase), agents with heartbeats off; A signs, state dir copied, A signs, copy B started, B signs the same counter; times from just before B's Sign call",
        `detection: (a) B's call fails with IDENTITY_REVOKED; (b) the last oracle whose admin GetIdentity (polled every ${POLL_MS} ms, so up to ~${POLL_MS} ms late) reports 'revoked'; (c) the last oracle whose webhook POST (HMAC-SHA256 checked by the receiver) arrived; p99 of a few trials is their maximum`,
        'ratchet: components of one sign step measured in-process on the real functions (agent/ratchet.ts, oracle/ratchet.ts decide, crypto/ratchet.ts, LevelDB with sync), each p50 summed; critical path = agent + one oracle (the t oracles work in parallel); work = agent + t oracles',
        'ratchet: a component sum, not an A/B of the whole system: it leaves out the step and certificate bytes on the wire, the per-identity lock and scheduling; set against the co-sign c=1 p50 of this run',
      ],
    },
    results: {
      nodeSign: roundSummary(base.nodeSign),
      nobleSign: roundSummary(base.nobleSign),
      grpcRoundTrip: roundSummary(base.grpcRoundTrip),
      cosignC1: roundSummary(cs1),
      cosignC8: roundSummary(cs8),
      nodeSignP256: roundSummary(base.nodeSignP256),
      es256CosignC1: roundSummary(es1),
      es256CosignC1Paced: roundSummary(esPaced),
      es256Presigns: { before: presignsBefore, after: presignsAfter },
      es256Goal: { ...es256Goal, measuredP50Ms: round(es256Goal.measuredP50Ms) },
      enroll: roundSummary(en),
      enrollGoal: {
        goalP50Ms: ENROLL_GOAL_MS,
        measuredP50Ms: round(en.p50Ms, 1),
        met: en.p50Ms <= ENROLL_GOAL_MS,
      },
      throughput,
      store,
      enrollEddsa: roundSummary(enEddsa),
      enrollEs256Setup: roundSummary(enEs256),
      enrollTrials: enrollTimings.map((e) => ({
        totalMs: round(e.totalMs, 1),
        eddsaMs: round(e.eddsaMs, 1),
        es256SetupMs: e.es256SetupMs,
      })),
      enrollColdMs: round(enrollColdMs, 1),
      enrollColdEs256SetupMs: cold.es256SetupMs,
      detection: {
        signRefused: roundSummary(detection.signRefused),
        revokedAllOracles: roundSummary(detection.revokedAllOracles),
        webhookAllOracles: roundSummary(detection.webhookAllOracles),
        trials: trials.map((x) => ({
          ...x,
          refusedMs: round(x.refusedMs, 2),
          revokedMs: x.revokedMs.map((v) => round(v, 2)),
          webhookMs: x.webhookMs.map((v) => round(v, 2)),
        })),
        webhookDeliveriesVerified: hooks.deliveries.length,
      },
      ratchetComponents: Object.fromEntries(comp.map((k) => [k.key, { side: k.side, ...roundSummary(k.s) }])),
      ratchetPerSignature: {
        ...Object.fromEntries(Object.entries(ratchet).map(([k, v]) => [k, round(v)])),
        criticalPathShareOfCosign: round(ratchetShare, 4),
      },
    },
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v, 3)])),
    baselineDrift_pass2p50_over_pass1p50: Object.fromEntries(
      Object.entries(drift).map(([k, v]) => [k, round(v, 3)]),
    ),
    verifiedSignatures: verified,
    verifiedEs256Signatures: verifiedEs256,
    detectionTrials: trials.length,
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
      `${verified} EdDSA + ${verifiedEs256} ES256 co-signatures verified with node:crypto`,
    '',
    table(rows),
    '',
    `ES256 co-sign c=1: p50 ${es1.p50Ms.toFixed(1)} ms, p99 ${es1.p99Ms.toFixed(1)} ms ` +
      `(goal p50 <= ${ES256_GOAL_P50_MS} ms on the ${N}-oracle local cluster: ` +
      `${es256Goal.met ? 'met' : 'NOT met'}, ${x(ratios.es256CosignC1P50_over_goalP50)} the goal); ` +
      `p50 = ${x(ratios.es256CosignC1P50_over_grpcRoundTripP50)} gRPC RTT, ` +
      `${x(ratios.es256CosignC1P50_over_cosignC1P50)} EdDSA co-sign c=1 ` +
      `(${cs1.p50Ms.toFixed(2)} ms), ${x(ratios.es256CosignC1P50_over_nodeSignP256P50)} node P-256 sign`,
    `EdDSA co-sign c=1: p50 ${cs1.p50Ms.toFixed(2)} ms, p99 ${cs1.p99Ms.toFixed(2)} ms; ` +
      `p50 = ${x(ratios.cosignC1P50_over_grpcRoundTripP50)} gRPC RTT, ${x(ratios.cosignC1P50_over_nodeSignP50)} node Ed25519 sign`,
    `enrollment (${en.count}): total p50 ${en.p50Ms.toFixed(0)} ms = EdDSA part p50 ${enEddsa.p50Ms.toFixed(0)} ms ` +
      `+ ES256 setup p50 ${enEs256.p50Ms.toFixed(0)} ms (from the agent's 'ES256 key set up' log line; ` +
      `EdDSA part = total - ES256 setup, incl. Node start-up); ES256 setup = ` +
      `${x(ratios.enrollEs256SetupP50_over_enrollEddsaP50)} EdDSA part, ` +
      `${x(ratios.enrollEs256SetupP50_over_grpcRoundTripP50)} gRPC RTT; goal total p50 <= ${ENROLL_GOAL_MS} ms: ` +
      `${en.p50Ms <= ENROLL_GOAL_MS ? 'met' : 'NOT met'} (${x(ratios.enrollP50_over_goalP50)} the goal)`,
    '',
    ...throughputLines(throughput),
    '',
    ...storeLines(store),
    '',
    `ratchet cost per signature: components of one sign step, measured in-process in this run (p50 of each)`,
    '',
    table(ratchetRows),
    '',
    `ratchet share of a signature: agent ${ratchet.agentP50SumMs.toFixed(2)} ms + one oracle ` +
      `${ratchet.oracleP50SumMs.toFixed(2)} ms (the ${T} oracles run in parallel) = ` +
      `${ratchet.criticalPathP50SumMs.toFixed(2)} ms = ${pct(ratchetShare)} of the co-sign c=1 p50 ` +
      `(${cs1.p50Ms.toFixed(2)} ms); work across processes ${ratchet.workP50SumMs.toFixed(2)} ms per signature.`,
    `  This is a sum of component p50s, not an A/B of the whole system (there is no ratchet-free build ` +
      `to compare against); it leaves out wire bytes, locking and scheduling.`,
    `clone detection: ${trials.length} trials, ${hooks.deliveries.length} webhook deliveries HMAC-verified, ` +
      `reasons ${[...new Set(trials.map((x) => x.reason))].join(', ')}; GetIdentity polled every ${POLL_MS} ms, ` +
      `p99 of ${trials.length} trials = their maximum`,
    '',
    `first enrollment (cold): ${enrollColdMs.toFixed(0)} ms (ES256 setup ${cold.es256SetupMs} ms); baseline drift (pass 2 p50 / pass 1 p50): ` +
      Object.entries(drift)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', '),
    `wrote ${file} and ${join(RESULTS_DIR, 'latest.json')}`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

/**
 * EdDSA co-signing through the agent's Workload API, c=1 then c=8, each signature verified with
 * node:crypto afterwards (untimed): the one measurement of both the full run and
 * MPCID_BENCH_ONLY=eddsa.
 */
async function eddsaCosign(
  agent: AgentProc,
  groupPublicKey: Buffer,
  say: (phase: string) => void,
): Promise<{ c1: Samples; c8: Samples; verified: number }> {
  const signer = new Signer(agent);
  say(`co-sign c=1: ${WARMUP.cosignC1} warm-up + ${COUNTS.cosignC1}`);
  const c1 = await measureSeq(
    COUNTS.cosignC1,
    WARMUP.cosignC1,
    signer.prepare(WARMUP.cosignC1 + COUNTS.cosignC1),
  );
  let verified = signer.verifyAll(groupPublicKey);
  say(`co-sign c=${CONCURRENCY}: ${WARMUP.cosignC8} warm-up + ${COUNTS.cosignC8}`);
  const c8 = await measureConcurrent(
    COUNTS.cosignC8,
    WARMUP.cosignC8,
    CONCURRENCY,
    signer.prepare(WARMUP.cosignC8 + COUNTS.cosignC8),
  );
  verified += signer.verifyAll(groupPublicKey);
  return { c1, c8, verified };
}

/** What a MPCID_BENCH_ONLY part gets from main(). */
interface PartArgs {
  c: LocalCluster;
  nodeKey: KeyObject;
  p256Key: KeyObject;
  nobleKey: Uint8Array;
  startedAt: Date;
  loadavgStart: number[];
}

/** The identity of a MPCID_BENCH_ONLY part: enrolled (with the cluster's algs), its agent started. */
async function partIdentity(c: LocalCluster, keys: string) {
  progress(`enrolling the bench identity (${keys})`);
  const { stateDir } = await c.enroll('spiffe://bench.mpcid/ns/bench/sa/signer');
  const agent = await c.startAgent(stateDir);
  const identity = await call(agent.workload, agent.workload.GetIdentity, {}, RPC_DEADLINE_MS);
  return { agent, identity };
}

/**
 * MPCID_BENCH_ONLY=eddsa: baselines (two passes) around EdDSA co-signing c=1 and c=8 on an
 * EdDSA-only identity; prints the ratios and writes bench-results/eddsa-<timestamp>.json.
 */
async function eddsaOnly({
  c,
  nodeKey,
  p256Key,
  nobleKey,
  startedAt,
  loadavgStart,
}: PartArgs): Promise<void> {
  const { agent, identity } = await partIdentity(c, 'EdDSA only');
  const groupPublicKey = Buffer.from(identity.publicKey);
  progress('baselines, pass 1 of 2');
  const pass1 = await baselinePass(0, nodeKey, p256Key, nobleKey, c);
  const { c1, c8, verified } = await eddsaCosign(agent, groupPublicKey, progress);
  progress('baselines, pass 2 of 2');
  const pass2 = await baselinePass(1, nodeKey, p256Key, nobleKey, c);
  cluster = undefined;
  await c.stop();
  rmSync(c.dir, { recursive: true, force: true });
  const pooled = (k: keyof Baselines) => {
    const m = merge([pass1[k], pass2[k]]);
    return summarize(m.latenciesMs, m.wallMs);
  };
  const rtt = pooled('grpcRoundTrip');
  const nodeSignS = pooled('nodeSign');
  const cs1 = summarize(c1.latenciesMs, c1.wallMs, 1);
  const cs8 = summarize(c8.latenciesMs, c8.wallMs, CONCURRENCY);
  const x = (r: number) => `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}x`;
  const rows: Row[] = [
    { name: 'node:crypto Ed25519 sign', s: nodeSignS, vs: 'baseline' },
    { name: 'gRPC round trip (GetNodeInfo)', s: rtt, vs: 'baseline' },
    { name: 'co-sign c=1 (Workload Sign)', s: cs1, vs: `${x(cs1.p50Ms / rtt.p50Ms)} gRPC RTT (p50)` },
    {
      name: `co-sign c=${CONCURRENCY} (Workload Sign)`,
      s: cs8,
      vs: `${x(cs8.p50Ms / rtt.p50Ms)} gRPC RTT (p50); ${x(cs8.opsPerSec / cs1.opsPerSec)} c=1 ops/s`,
    },
  ];
  const body = {
    results: {
      nodeSign: roundSummary(nodeSignS),
      grpcRoundTrip: roundSummary(rtt),
      cosignC1: roundSummary(cs1),
      cosignC8: roundSummary(cs8),
    },
    ratios: {
      cosignC1P50_over_grpcRoundTripP50: round(cs1.p50Ms / rtt.p50Ms, 3),
      cosignC8P50_over_grpcRoundTripP50: round(cs8.p50Ms / rtt.p50Ms, 3),
      cosignC8OpsPerSec_over_cosignC1OpsPerSec: round(cs8.opsPerSec / cs1.opsPerSec, 3),
    },
    verifiedSignatures: verified,
  };
  writePartReport({ only: 'eddsa', title: 'EdDSA', startedAt, loadavgStart }, body, rows, [
    `EdDSA co-sign c=1: p50 ${cs1.p50Ms.toFixed(2)} ms = ${x(cs1.p50Ms / rtt.p50Ms)} gRPC RTT (${rtt.p50Ms.toFixed(3)} ms)`,
  ]);
}

/**
 * Writes bench-results/<only>-<timestamp>.json (`body` under the run's header) and prints the
 * table of a MPCID_BENCH_ONLY part.
 */
function writePartReport(
  part: { only: string; title: string; startedAt: Date; loadavgStart: number[] },
  body: { verifiedSignatures: number } & Record<string, unknown>,
  rows: Row[],
  lines: string[],
): void {
  const report = {
    schema: 1,
    only: part.only,
    startedAt: part.startedAt.toISOString(),
    git: { commit: gitCommit() },
    loadavgStart: part.loadavgStart,
    loadavgEnd: os.loadavg(),
    scale: SCALE,
    ...body,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${report.only}-${report.startedAt.replaceAll(':', '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(
    [
      '',
      `mpcid bench (${part.title} only) — loadavg ${load(report.loadavgStart)} -> ${load(report.loadavgEnd)}; ` +
        `${report.verifiedSignatures} co-signatures verified with node:crypto`,
      '',
      table(rows),
      '',
      ...lines,
      `wrote ${file}`,
      '',
    ].join('\n'),
  );
}

/** The oracles' mpcid_es256_presigns_total, summed over the cluster, by outcome. */
async function presignCounts(c: LocalCluster): Promise<{ made: number; hit: number; miss: number }> {
  const out = { made: 0, hit: 0, miss: 0 };
  for (const o of c.oracles) {
    const text = await (await fetch(`http://${o.config.http!.listen}/metrics`)).text();
    for (const m of text.matchAll(/^mpcid_es256_presigns_total\{outcome="(made|hit|miss)"\} (\d+)/gm))
      out[m[1] as 'made' | 'hit' | 'miss'] += Number(m[2]);
  }
  return out;
}

/** Lines of the agent's log announcing a ready presignature, with the pool's count after each. */
function presignReadyCounts(agent: AgentProc): number[] {
  return readFileSync(agent.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"ES256 presignature ready"'))
    .map((l) => (JSON.parse(l) as { count: number }).count);
}

/** ES256 c=1 paced (measurePaced) through `signer`, with the oracles' presign counts before and after. */
async function es256PacedRun(c: LocalCluster, agent: AgentProc, signer: Signer) {
  const before = await presignCounts(c);
  const samples = await measurePaced(
    agent,
    COUNTS.es256CosignC1,
    WARMUP.es256CosignC1,
    signer.prepare(WARMUP.es256CosignC1 + COUNTS.es256CosignC1),
  );
  const after = await presignCounts(c);
  return { samples, before, after };
}

/**
 * ES256 c=1, paced: before each (timed) request, waits (untimed) until the agent logged that its
 * pool is full again (the 'ES256 presignature ready' line with count = the pool size, after the
 * previous request), then a 20 ms idle gap. The signal is the agent's own log line.
 */
async function measurePaced(
  agent: AgentProc,
  count: number,
  warmup: number,
  fn: () => Promise<void>,
): Promise<{ latenciesMs: number[]; wallMs: number }> {
  const POOL = 2;
  const latenciesMs: number[] = [];
  const start = performance.now();
  // Lines logged before the previous request: the refill after it logs a full pool past them.
  let mark = 0;
  for (let i = 0; i < warmup + count; i++) {
    const until = Date.now() + 60_000;
    while (!presignReadyCounts(agent).slice(mark).includes(POOL)) {
      if (Date.now() > until) throw new Error('bench: the agent did not refill its ES256 presignature pool');
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 20));
    mark = presignReadyCounts(agent).length;
    const t0 = performance.now();
    await fn();
    if (i >= warmup) latenciesMs.push(performance.now() - t0);
  }
  return { latenciesMs, wallMs: performance.now() - start };
}

/**
 * MPCID_BENCH_ONLY=es256: baselines (two passes) around EdDSA c=1 and ES256 c=1 on one identity
 * with both keys; prints the ratios and writes bench-results/es256-<timestamp>.json.
 */
async function es256Only({
  c,
  nodeKey,
  p256Key,
  nobleKey,
  startedAt,
  loadavgStart,
}: PartArgs): Promise<void> {
  const { agent, identity } = await partIdentity(c, 'EdDSA + ES256');
  const groupPublicKey = Buffer.from(identity.publicKey);
  const es256PublicKey = Buffer.from(identity.es256PublicKey);
  if (es256PublicKey.length === 0) throw new Error('the bench identity has no ES256 key after enrollment');
  progress('baselines, pass 1 of 2');
  const pass1 = await baselinePass(0, nodeKey, p256Key, nobleKey, c);
  // CPU ms per signature of the agent and of each oracle (/proc utime + stime, warm-up
  // excluded): less sensitive to other load on the machine than latency.
  const pids = [agent.proc!.pid!, ...c.oracles.map((o) => o.proc!.pid!)];
  const cpuPerSig = async (count: number, warmup: number, fn: () => Promise<void>) => {
    let before: number[] = [];
    let n = 0;
    const samples = await measureSeq(count, warmup, async () => {
      if (n++ === warmup) before = pids.map(procCpuMs);
      await fn();
    });
    const used = pids.map((pid, i) => (procCpuMs(pid) - before[i]!) / count);
    return {
      samples,
      cpuMs: { agent: used[0]!, oracles: used.slice(1), total: used.reduce((a, b) => a + b, 0) },
    };
  };
  const eddsa = new Signer(agent);
  progress(`co-sign c=1: ${WARMUP.cosignC1} warm-up + ${COUNTS.cosignC1}`);
  const ed = await cpuPerSig(
    COUNTS.cosignC1,
    WARMUP.cosignC1,
    eddsa.prepare(WARMUP.cosignC1 + COUNTS.cosignC1),
  );
  const c1 = ed.samples;
  let verified = eddsa.verifyAll(groupPublicKey);
  progress(`ES256 co-sign c=1: ${WARMUP.es256CosignC1} warm-up + ${COUNTS.es256CosignC1}`);
  const es = new Signer(agent, 'ES256');
  const esr = await cpuPerSig(
    COUNTS.es256CosignC1,
    WARMUP.es256CosignC1,
    es.prepare(WARMUP.es256CosignC1 + COUNTS.es256CosignC1),
  );
  const e1 = esr.samples;
  verified += es.verifyAll(es256PublicKey);
  progress(
    `ES256 co-sign c=1, paced (pool refilled before each): ${WARMUP.es256CosignC1} warm-up + ${COUNTS.es256CosignC1}`,
  );
  const { samples: ep, before: presigns0, after: presigns1 } = await es256PacedRun(c, agent, es);
  verified += es.verifyAll(es256PublicKey);
  progress(`enrollment: ${COUNTS.enroll} identities (both keys), oracle CPU per enrollment`);
  const oraclePids = c.oracles.map((o) => o.proc!.pid!);
  const enrollCpu0 = oraclePids.map(procCpuMs);
  const enrollTimings: EnrollTiming[] = [];
  for (let i = 0; i < COUNTS.enroll; i++)
    enrollTimings.push(await enrollTimed(c, `spiffe://bench.mpcid/ns/bench/sa/enroll-${i}`));
  const enrollOracleCpuMs = oraclePids.map((pid, i) => (procCpuMs(pid) - enrollCpu0[i]!) / COUNTS.enroll);
  progress('baselines, pass 2 of 2');
  const pass2 = await baselinePass(1, nodeKey, p256Key, nobleKey, c);
  cluster = undefined;
  await c.stop();
  rmSync(c.dir, { recursive: true, force: true });
  const m = merge([pass1.grpcRoundTrip, pass2.grpcRoundTrip]);
  const rtt = summarize(m.latenciesMs, m.wallMs);
  const cs1 = summarize(c1.latenciesMs, c1.wallMs, 1);
  const es1 = summarize(e1.latenciesMs, e1.wallMs, 1);
  const en = summarizeLatency(enrollTimings.map((e) => e.totalMs));
  const enEs256 = summarizeLatency(enrollTimings.map((e) => e.es256SetupMs));
  const enEddsa = summarizeLatency(enrollTimings.map((e) => e.eddsaMs));
  const esp = summarize(ep.latenciesMs, ep.wallMs, 1);
  const pacedHits = presigns1.hit - presigns0.hit;
  const pacedMisses = presigns1.miss - presigns0.miss;
  const x = (r: number) => `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}x`;
  const rows: Row[] = [
    { name: 'gRPC round trip (GetNodeInfo)', s: rtt, vs: 'baseline' },
    { name: 'co-sign c=1 (Workload Sign)', s: cs1, vs: `${x(cs1.p50Ms / rtt.p50Ms)} gRPC RTT (p50)` },
    {
      name: 'ES256 co-sign c=1 (Workload Sign)',
      s: es1,
      vs: `${x(es1.p50Ms / rtt.p50Ms)} gRPC RTT (p50); ${x(es1.p50Ms / cs1.p50Ms)} EdDSA c=1`,
    },
    {
      name: 'ES256 co-sign c=1, paced (pool refilled)',
      s: esp,
      vs: `${x(esp.p50Ms / rtt.p50Ms)} gRPC RTT (p50); ${x(esp.p50Ms / es1.p50Ms)} ES256 back to back`,
    },
    {
      name: 'enrollment, total (both keys)',
      s: en,
      vs: `${x(en.p50Ms / rtt.p50Ms)} gRPC RTT (p50); goal ${ENROLL_GOAL_MS} ms: ${x(en.p50Ms / ENROLL_GOAL_MS)}`,
    },
    {
      name: 'enrollment, ES256 setup part',
      s: enEs256,
      vs: `${x(enEs256.p50Ms / en.p50Ms)} the total (p50)`,
    },
  ];
  const body = {
    results: {
      grpcRoundTrip: roundSummary(rtt),
      cosignC1: roundSummary(cs1),
      es256CosignC1: roundSummary(es1),
      es256CosignC1Paced: roundSummary(esp),
    },
    // Oracle-side counts (mpcid_es256_presigns_total, summed over the oracles; t shares per use).
    es256Presigns: { all: presigns1, pacedHits, pacedMisses },
    cpuMsPerSignature: { eddsa: ed.cpuMs, es256: esr.cpuMs },
    ratios: {
      es256CosignC1P50_over_grpcRoundTripP50: round(es1.p50Ms / rtt.p50Ms, 3),
      es256CosignC1P50_over_cosignC1P50: round(es1.p50Ms / cs1.p50Ms, 3),
      es256CosignC1PacedP50_over_grpcRoundTripP50: round(esp.p50Ms / rtt.p50Ms, 3),
      es256CosignC1PacedP50_over_es256CosignC1P50: round(esp.p50Ms / es1.p50Ms, 3),
      cosignC1P50_over_grpcRoundTripP50: round(cs1.p50Ms / rtt.p50Ms, 3),
      enrollP50_over_goalP50: round(en.p50Ms / ENROLL_GOAL_MS, 3),
      enrollEs256SetupP50_over_enrollP50: round(enEs256.p50Ms / en.p50Ms, 3),
    },
    enrollment: {
      count: COUNTS.enroll,
      totalMs: roundSummary(en),
      es256SetupMs: roundSummary(enEs256),
      eddsaPartMs: roundSummary(enEddsa),
      oracleCpuMsPerEnrollment: enrollOracleCpuMs.map((v) => round(v, 1)),
      goalP50Ms: ENROLL_GOAL_MS,
      met: en.p50Ms <= ENROLL_GOAL_MS,
    },
    verifiedSignatures: verified,
  };
  writePartReport({ only: 'es256', title: 'ES256', startedAt, loadavgStart }, body, rows, [
    `enrollment (${COUNTS.enroll}, both keys): total p50 ${en.p50Ms.toFixed(0)} ms = EdDSA part ${enEddsa.p50Ms.toFixed(0)} ms + ES256 setup ${enEs256.p50Ms.toFixed(0)} ms (goal p50 <= ${ENROLL_GOAL_MS} ms: ${en.p50Ms <= ENROLL_GOAL_MS ? 'met' : 'NOT met'}, ${x(en.p50Ms / ENROLL_GOAL_MS)} the goal); oracle CPU per enrollment ${enrollOracleCpuMs.map((v) => v.toFixed(0)).join(' / ')} ms`,
    `ES256 co-sign c=1: p50 ${es1.p50Ms.toFixed(2)} ms = ${x(es1.p50Ms / rtt.p50Ms)} gRPC RTT (${rtt.p50Ms.toFixed(3)} ms)`,
    `ES256 co-sign c=1, paced: p50 ${esp.p50Ms.toFixed(2)} ms = ${x(esp.p50Ms / rtt.p50Ms)} gRPC RTT (goal <= 30x: ${esp.p50Ms / rtt.p50Ms <= 30 ? 'met' : 'NOT met'}); oracle presign shares hit ${pacedHits}, miss ${pacedMisses}`,
    ...(
      [
        ['EdDSA', ed.cpuMs],
        ['ES256', esr.cpuMs],
      ] as const
    ).map(
      ([alg, u]) =>
        `CPU ms per ${alg} signature: agent ${u.agent.toFixed(1)}, oracles ${u.oracles.map((o) => o.toFixed(1)).join(' / ')}, total ${u.total.toFixed(1)}`,
    ),
  ]);
}

/** Stops the cluster if it is still up (idempotent: the variable is cleared first). */
async function stopCluster(): Promise<void> {
  const c = cluster;
  cluster = undefined;
  const r = receiver;
  receiver = undefined;
  await r?.close();
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
