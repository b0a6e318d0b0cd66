/**
 * One oracle node's store with many identities (issue 12 item 4): synthetic identities written
 * through OracleStore's own API, then the cost of a ratchet step at 1k and at N identities.
 *
 * Template: a real identity (EdDSA + ES256) enrolled on a local 3-oracle cluster and signed with
 * twice, read back from oracle 1's store (identity record with its secrets, ratchet record). Each
 * synthetic identity is that template with every byte field (base64url strings of 16 bytes or
 * more: keys, commitments, shares, pair states, heads, signatures) replaced by random bytes of the
 * same length, so records are as large as real ones and do not compress against each other. Per
 * identity: putIdentity (secrets sealed under the KEK, kid index), putToken (its used join token)
 * and putRatchet, issued `concurrency` identities at a time (group commit makes each wave a few
 * sync batches). The writing stops at N or at the time box, whichever comes first.
 *
 * Step: getRatchet of a random identity, decide() on the next step, headAfter, putRatchet (sync),
 * one at a time: what the oracle's accept rule does around its crypto. Bytes per identity: the
 * size of every file in the LevelDB directory over the identities written (no manual compaction).
 * RSS of this process with the store open.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Cosigner } from '../../agent/cosigner.js';
import { closeOracles, connectOracles } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { LocalCluster } from '../../cli/localcluster.js';
import { call } from '../../common/grpc.js';
import { loadKek } from '../../common/kek.js';
import { createLogger } from '../../common/log.js';
import { stepFromJSON, stepToJSON } from '../../common/protocol.js';
import { fromB64u, toB64u } from '../../crypto/bytes.js';
import { headAfter, type Step } from '../../crypto/ratchet.js';
import type { Secret } from '../../crypto/secret.js';
import { decide } from '../../oracle/ratchet.js';
import type { IdentityRecord, RatchetRecord } from '../../oracle/records.js';
import { OracleStore } from '../../oracle/store.js';
import { measureSeq, type Summary, summarize } from '../bench-lib.js';

export interface StoreBenchOptions {
  /** Identities to write (N). */
  identities: number;
  /** Stop writing after this long, whatever N is. */
  timeBoxMs: number;
  /** Steps measured at each size. */
  steps: number;
  progress: (msg: string) => void;
}

export interface StoreSize {
  identities: number;
  step: Summary;
  diskBytes: number;
  bytesPerIdentity: number;
  rssBytes: number;
}

export interface StoreBenchReport {
  /**
   * Identities with both keys (the template as enrolled): bytes on disk per identity, from a
   * store of `bothKeys.identities`. The DKLs23 pair states make these records ~100 KB, so the
   * N-identity store below holds EdDSA-only identities (the template without its ES256 key).
   */
  bothKeys: { identities: number; diskBytes: number; bytesPerIdentity: number; identitiesPerSec: number };
  target: number;
  reached: number;
  timedOut: boolean;
  writeSeconds: number;
  identitiesPerSec: number;
  /** Mean callers' writes per sync batch while writing (group commit). */
  writesPerSyncBatch: number;
  small: StoreSize;
  large: StoreSize;
  ratios: Record<string, number>;
  /** Sizes of the template's records as stored (JSON text), for reference. */
  templateBytes: { identity: number; identityEddsaOnly: number; ratchet: number };
}

const SMALL = 1_000;
const WAVE = 256;

/** Every base64url string of >= 16 bytes in `v` replaced by random bytes of the same length. */
function randomised<T>(v: T): T {
  if (typeof v === 'string') {
    if (v.length >= 22 && /^[A-Za-z0-9_-]+$/.test(v)) {
      const n = Math.floor((v.length * 3) / 4);
      return toB64u(randomBytes(n)) as T;
    }
    return v;
  }
  if (Array.isArray(v)) return v.map(randomised) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = randomised(x);
    return out as T;
  }
  return v;
}

/** A real identity (both keys) and its ratchet record after two signatures, from oracle 1. */
async function template(progress: (m: string) => void) {
  progress('store: enrolling a template identity (EdDSA + ES256) on a local cluster');
  const c = await LocalCluster.start({ n: 3, t: 2, clusterId: 'bench-store' });
  let stateDir: string;
  try {
    ({ stateDir } = await c.enroll('spiffe://bench.mpcid/ns/store/sa/template'));
    const state = readState(stateDir);
    const clients = connectOracles(state.cluster, null);
    const cosigner = new Cosigner(
      state,
      stateDir,
      readRatchet(stateDir, state),
      clients,
      createLogger('t', 'error'),
      {
        heartbeatMs: 0,
      },
    );
    // Oracle 1's record is the template, and signing sets are sticky (8 steps each), so a fixed
    // number of signatures may never reach it: sign until its admin API reports a step it took.
    const o1 = c.oracles[0]!;
    const identityId = state.identityId;
    const counterOf1 = async () =>
      Number((await call(o1.admin, o1.admin.GetIdentity, { identityId }, 5_000)).counter);
    for (let i = 0; (await counterOf1()) < 2; i++) {
      if (i >= 100) throw new Error('store bench: oracle 1 took no step in 100 signatures');
      await cosigner.sign(randomBytes(32));
    }
    await cosigner.stop();
    closeOracles(clients);
  } finally {
    await c.stop();
  }
  const o = c.oracles[0]!;
  const kek = loadKek(o.config);
  const meta = {
    clusterId: o.config.cluster.id,
    nodeId: o.config.nodeId,
    nodePublicKey: o.config.cluster.oracles.find((x) => x.id === o.config.nodeId)!.publicKey,
  };
  const store = await OracleStore.open(o.config.dataDir, meta, kek);
  try {
    const id = readState(stateDir).identityId;
    const identity = await store.getIdentity(id);
    const ratchet = await store.getRatchet(id);
    if (!identity?.ecdsa || !ratchet?.last)
      throw new Error('store bench: the template identity is incomplete');
    return { identity, ratchet, meta, kek, dir: c.dir };
  } finally {
    await store.close();
  }
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n;
}

export async function runStoreBench(o: StoreBenchOptions): Promise<StoreBenchReport> {
  const t = await template(o.progress);
  const work = mkdtempSync(join(tmpdir(), 'mpcid-bench-store-'));
  try {
    const both = await fill(t, t.identity, join(work, 'both'), SMALL, Number.POSITIVE_INFINITY, o, false);
    const { ecdsa: _e, ecdsaSecrets: _s, ...eddsaOnly } = t.identity;
    const r = await fill(t, eddsaOnly, join(work, 'eddsa'), o.identities, o.timeBoxMs, o, true);
    if (!r.report) throw new Error('store bench: no report from the large store');
    return {
      bothKeys: {
        identities: both.small.identities,
        diskBytes: both.small.diskBytes,
        bytesPerIdentity: both.small.bytesPerIdentity,
        identitiesPerSec: both.firstPerSec,
      },
      ...r.report,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(t.dir, { recursive: true, force: true });
  }
}

type Template = Awaited<ReturnType<typeof template>>;

/**
 * Writes identities made from `tpl` into a new store at `dataDir`: SMALL of them, the step
 * latency there, then (if `large`) up to `n` within `timeBoxMs` and the step latency again.
 */
async function fill(
  t: Template,
  tpl: IdentityRecord,
  dataDir: string,
  n: number,
  timeBoxMs: number,
  o: StoreBenchOptions,
  large: boolean,
) {
  const store = await OracleStore.open(dataDir, t.meta, t.kek as Secret);
  const ids: string[] = [];
  try {
    const one = (i: number) => {
      const identityId = toB64u(randomBytes(32));
      const rec = randomised(tpl);
      const identity: IdentityRecord = {
        ...rec,
        identityId,
        name: `spiffe://bench.mpcid/ns/store/sa/id-${i}`,
        ...(rec.ecdsa ? { ecdsa: { ...rec.ecdsa, kid: toB64u(randomBytes(32)) } } : {}),
      };
      const r = randomised(t.ratchet);
      const step = { ...r.last!.step, identityId, counter: r.counter };
      // The stored head follows the stored step, as the accept rule leaves it.
      const head = toB64u(headAfter(stepFromJSON(step).step));
      const ratchet: RatchetRecord = { ...r, identityId, head, last: { ...r.last!, step } };
      const token = {
        tokenId: toB64u(randomBytes(16)),
        name: identity.name,
        issuedBy: 1,
        expiresAt: Date.now(),
        state: 'used' as const,
        identityId,
        usedAt: Date.now(),
      };
      ids.push(identityId);
      return Promise.all([store.putIdentity(identity), store.putToken(token), store.putRatchet(ratchet)]);
    };
    const writeUpTo = async (upTo: number, deadline: number) => {
      while (ids.length < upTo && performance.now() < deadline) {
        const wave = Math.min(WAVE, upTo - ids.length);
        const from = ids.length;
        await Promise.all(Array.from({ length: wave }, (_, k) => one(from + k)));
        if (ids.length % 50_000 < WAVE) o.progress(`store: ${ids.length} identities written`);
      }
    };
    const stepOnce = async () => {
      const id = ids[Math.floor(Math.random() * ids.length)]!;
      const rec = (await store.getRatchet(id))!;
      const last = stepFromJSON(rec.last!.step);
      const view = { counter: rec.counter, head: fromB64u(rec.head, 'head', 32), last: last.step };
      const step: Step = {
        ...last.step,
        counter: rec.counter + 1,
        prevHead: view.head,
        time: last.step.time + 1,
        requestId: new Uint8Array(randomBytes(16)),
      };
      const d = decide(view, step, () => false);
      if (d.kind !== 'next') throw new Error(`store bench: decide says ${d.kind}, expected next`);
      await store.putRatchet({
        ...rec,
        counter: step.counter,
        head: toB64u(headAfter(step)),
        last: { ...rec.last!, step: stepToJSON({ step, signature: new Uint8Array(randomBytes(64)) }) },
      });
    };
    const size = async (): Promise<StoreSize> => {
      // Let the writes' flush and compaction settle a little before timing single steps.
      await new Promise((r) => setTimeout(r, 2_000));
      const s = await measureSeq(o.steps, Math.min(50, o.steps), stepOnce);
      const diskBytes = dirBytes(dataDir);
      return {
        identities: ids.length,
        step: summarize(s.latenciesMs, s.wallMs),
        diskBytes,
        bytesPerIdentity: diskBytes / ids.length,
        rssBytes: process.memoryUsage().rss,
      };
    };

    const t0 = performance.now();
    await writeUpTo(Math.min(SMALL, n), Number.POSITIVE_INFINITY);
    const firstPerSec = ids.length / ((performance.now() - t0) / 1000);
    o.progress(`store: step latency at ${ids.length} identities (${tpl.ecdsa ? 'both keys' : 'EdDSA only'})`);
    const small = await size();
    if (!large) return { small, firstPerSec };
    const w0 = performance.now();
    const stats0 = store.writeStats;
    o.progress(`store: writing up to ${n} EdDSA identities (time box ${Math.round(timeBoxMs / 1000)} s)`);
    await writeUpTo(n, w0 + timeBoxMs);
    const writeMs = performance.now() - w0;
    const stats1 = store.writeStats;
    o.progress(`store: step latency at ${ids.length} identities`);
    const big = await size();
    const report = {
      target: n,
      reached: ids.length,
      timedOut: ids.length < o.identities,
      writeSeconds: writeMs / 1000,
      identitiesPerSec: (ids.length - small.identities) / (writeMs / 1000),
      writesPerSyncBatch:
        (stats1.writes - stats0.writes) / Math.max(1, stats1.syncBatches - stats0.syncBatches),
      small,
      large: big,
      templateBytes: {
        identity: JSON.stringify(t.identity).length,
        identityEddsaOnly: JSON.stringify(tpl).length,
        ratchet: JSON.stringify(t.ratchet).length,
      },
      ratios: {
        stepP50_large_over_small: big.step.p50Ms / small.step.p50Ms,
        stepP99_large_over_small: big.step.p99Ms / small.step.p99Ms,
        rss_large_over_small: big.rssBytes / small.rssBytes,
      },
    };
    return { small, firstPerSec, report };
  } finally {
    await store.close();
  }
}

/** The store section of the bench's printed output. */
export function storeLines(r: StoreBenchReport): string[] {
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const st = (x: StoreSize) => `p50 ${x.step.p50Ms.toFixed(2)} ms, p99 ${x.step.p99Ms.toFixed(2)} ms`;
  return [
    `one oracle's store: ${r.reached} EdDSA identities written through OracleStore ` +
      `(${r.timedOut ? `time box reached before the target ${r.target}` : `target ${r.target}`}; ` +
      `${r.identitiesPerSec.toFixed(0)} identities/s, ${r.writesPerSyncBatch.toFixed(0)} writes per sync batch)`,
    `  step (ratchet read + decide + sync put): at ${r.small.identities} ${st(r.small)}; at ${r.large.identities} ` +
      `${st(r.large)}; ratio p50 ${r.ratios['stepP50_large_over_small']!.toFixed(2)}x, p99 ${r.ratios['stepP99_large_over_small']!.toFixed(2)}x`,
    `  bytes on disk per identity: ${r.large.bytesPerIdentity.toFixed(0)} (EdDSA only, ${mb(r.large.diskBytes)} in all); ` +
      `${r.bothKeys.bytesPerIdentity.toFixed(0)} with both keys (${r.bothKeys.identities} identities; ` +
      `1,000,000 would take ${(r.bothKeys.bytesPerIdentity / 1e3).toFixed(0)} GB)`,
    `  RSS: ${mb(r.small.rssBytes)} at ${r.small.identities}, ${mb(r.large.rssBytes)} at ${r.large.identities}`,
  ];
}
