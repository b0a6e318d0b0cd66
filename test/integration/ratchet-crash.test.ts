/**
 * Crash safety of the ratchet (docs/protocol.md §1 promise 4, §5): an honest agent is never
 * revoked because it or an oracle crashed, restarted, retried or lost a reply. Real processes,
 * kill -9 at random points (also with a step in flight and on disk), SIGSTOP/SIGCONT to push an
 * oracle past the agent's deadline; every signature returned verifies with node:crypto.
 *
 * The steps are of every kind: EdDSA and ES256 signatures, EdDSA and ES256 tokens (a full
 * enrollment), and heartbeats while idle; kills with a step written ahead go through the
 * signing kinds in turn. Kills at precise points of each kind are in ratchet-crash-kinds.test.ts.
 *
 * Slow suite (tag `slow`): ES256 signatures and agent restarts dominate; 2.5-3.5 min on 2 cores
 * shared with other suites (load 4-5).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { call, errorCodeOf } from '../../common/grpc.js';
import { nodeVerify } from '../crypto/helpers.js';
import { type AgentProc, type OracleProc, startCluster, type TestCluster } from '../helpers/cluster.js';
import { nodeVerifyEs256 } from '../helpers/es256.js';
import {
  agentRatchetFile,
  randInt,
  ratchetRecords,
  removeClusterDir,
  sleep,
  statusOn,
  waitCounters,
  waitStatus,
} from '../helpers/ratchet.js';

const SIGNS = 200;
/** What the loop signs: EdDSA and ES256 signatures and tokens (jwt and jwt-es256 steps). */
const KINDS = ['sign', 'es256', 'jwt', 'jwt-es256'] as const;
type SignKind = (typeof KINDS)[number];
const AUD = 'https://rp.example/crash';

describe('crash safety: kill -9, restarts and lost replies never revoke an honest agent', {
  tags: ['slow'],
}, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let kid: string;
  let stateDir: string;
  let pk: Buffer;
  let p256: Buffer;

  let failed = false;

  beforeAll(async () => {
    cluster = await startCluster(3, 2);
    ({ stateDir, kid } = await cluster.enroll('spiffe://test.mpcid/crash'));
    agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    pk = (await agent.sign(Buffer.from('warm-up'))).publicKey;
    p256 = (await call(agent.workload, agent.workload.GetIdentity, {}, 5_000)).es256PublicKey;
    expect(p256, 'a full enrollment sets up ES256').toHaveLength(65);
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    for (const o of cluster?.oracles ?? []) o.proc?.kill('SIGCONT');
    await cluster?.stop();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}/logs`);
  });

  /**
   * Signs (or fetches a token) with a step of `kind`, a random signing kind by default, and checks
   * the signature with node:crypto; returns the error if the call failed.
   */
  async function sign(kind: SignKind = KINDS[randInt(0, KINDS.length - 1)]!): Promise<unknown> {
    const wl = agent.workload;
    const es = kind === 'es256' || kind === 'jwt-es256';
    const alg = es ? 'ES256' : 'EdDSA';
    const verifies = (m: Uint8Array, sig: Uint8Array) =>
      es ? nodeVerifyEs256(p256, m, sig) : nodeVerify(sig, m, pk);
    try {
      if (kind === 'sign' || kind === 'es256') {
        const msg = randomBytes(randInt(0, 300));
        const res = await call(wl, wl.Sign, { message: msg, alg }, 30_000);
        expect(verifies(msg, res.signature), `a returned ${kind} signature verifies`).toBe(true);
      } else {
        const req = { audience: [AUD], ttlSeconds: 60, extraClaimsJson: '', alg };
        const [h, p, sig] = (await call(wl, wl.FetchJWT, req, 30_000)).token.split('.') as [
          string,
          string,
          string,
        ];
        const m = Buffer.from(`${h}.${p}`);
        expect(verifies(m, Buffer.from(sig, 'base64url')), `a returned ${kind} token verifies`).toBe(true);
      }
      return undefined;
    } catch (e) {
      return e;
    }
  }

  /** Resolves once the agent has a step written ahead (pending) in ratchet.json, or `p` settled. */
  async function untilPending(p: Promise<unknown>): Promise<boolean> {
    let settled = false;
    void p.finally(() => {
      settled = true;
    });
    while (!settled) {
      if (agentRatchetFile(stateDir)?.pending) return true;
      await new Promise((r) => setImmediate(r));
    }
    return false;
  }

  it('a step persisted by an oracle whose reply was lost is resent with the same bytes and replayed', async () => {
    const [o1, o2, o3] = cluster.oracles as [OracleProc, OracleProc, OracleProc];
    for (let i = 0; i < 3; i++) expect(await sign()).toBeUndefined();
    // Oracle 3 down, oracle 2 frozen: the step reaches oracle 2's socket, the agent's deadline
    // passes, no quorum certifies it, and the sign fails with the step still pending on disk.
    await o3.kill();
    o2.proc!.kill('SIGSTOP');
    const err = await sign('sign');
    expect(errorCodeOf(err), String(err)).toBe('QUORUM_UNAVAILABLE');
    const pending = agentRatchetFile(stateDir)?.pending;
    expect(pending, 'the uncertified step stays pending on disk').toBeDefined();
    // Oracle 2 wakes up, handles the queued step and persists it; its reply goes nowhere.
    o2.proc!.kill('SIGCONT');
    // Until it has stored the step (its counter reaches the step's).
    await waitCounters([o2], kid, pending!.step.counter, 10_000);
    await o2.kill('SIGTERM');
    const [rec2] = await ratchetRecords(o2, [kid]);
    expect(rec2?.last?.step, 'oracle 2 persisted the step whose reply was lost').toEqual(
      (pending as { step: unknown }).step,
    );
    await Promise.all([o2.start(), o3.start()]);
    // The agent resends the same bytes: oracle 2 replays its stored reply, nobody sees a fork.
    expect(await sign()).toBeUndefined();
    const rs = readRatchet(stateDir, readState(stateDir));
    expect(rs.pending).toBeUndefined();
    expect(rs.counter).toBeGreaterThan(rec2!.counter);
    for (const o of [o1, o2, o3]) expect(await statusOn(o, kid)).toBe('active');
    expect(rs.certificate.length).toBeGreaterThanOrEqual(2);
  });

  it(`${SIGNS} signs with kill -9 of the agent and of oracles at random points: never revoked`, {
    timeout: 240_000,
  }, async () => {
    const stats = {
      signs: 0,
      agentKills: 0,
      agentKillsWithPending: 0,
      oracleKills: 0,
      oracleKillsWithPending: 0,
      stops: 0,
      failedWhileAgentKilled: 0,
      /** Agent kills by the kind of the step pending on its disk then ('none': nothing pending). */
      agentKillsByPendingKind: {} as Record<string, number>,
    };
    // Heartbeats on (every 500 ms idle), so kills also hit heartbeat steps in flight.
    await agent.kill('SIGTERM');
    agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 500 });
    const unexpected: string[] = [];
    // A random schedule: which of the SIGNS iterations also crashes something, and how.
    type Event = 'agent-random' | 'agent-pending' | 'oracle-random' | 'oracle-pending' | 'freeze';
    const schedule = new Map<number, Event>();
    const place = (e: Event, times: number) => {
      for (let k = 0; k < times; k++) {
        let i: number;
        do i = randInt(5, SIGNS - 5);
        while (schedule.has(i));
        schedule.set(i, e);
      }
    };
    place('agent-random', 6);
    place('agent-pending', 6);
    place('oracle-random', 5);
    place('oracle-pending', 5);
    place('freeze', 3);
    let down: OracleProc | undefined;
    let downFor = 0;
    let pendingKills = 0;

    // Stops at the first unexpected failure (e.g. a revocation: nothing would sign after it).
    for (let i = 0; stats.signs < SIGNS && unexpected.length === 0 && i < 3 * SIGNS; i++) {
      const event = schedule.get(i);
      if (down && (downFor-- <= 0 || event?.startsWith('oracle') || event === 'freeze')) {
        await down.start();
        down = undefined;
      }
      if (event === 'agent-random' || event === 'agent-pending') {
        // kill -9 the agent with a sign in flight: at a random moment (an ES256 signature takes a
        // few EcdsaRound calls after its step), or exactly while its step is written ahead on
        // disk, of each signing kind in turn; restart it; its pending step is resent.
        const inFlight = event === 'agent-pending' ? sign(KINDS[pendingKills++ % KINDS.length]) : sign();
        if (event === 'agent-pending') await untilPending(inFlight);
        else await sleep(randInt(0, 150));
        await agent.kill('SIGKILL');
        const e = await inFlight;
        if (e) stats.failedWhileAgentKilled++;
        else stats.signs++;
        if (e && errorCodeOf(e) === 'IDENTITY_REVOKED') unexpected.push(`revoked: ${String(e)}`);
        stats.agentKills++;
        const pendingKind = agentRatchetFile(stateDir)?.pending?.step.kind;
        if (pendingKind) stats.agentKillsWithPending++;
        const by = stats.agentKillsByPendingKind;
        by[pendingKind ?? 'none'] = (by[pendingKind ?? 'none'] ?? 0) + 1;
        await agent.start();
      } else if (event === 'oracle-random' || event === 'oracle-pending') {
        // kill -9 one oracle with a sign in flight (maybe right when the step is on the agent's
        // disk); it stays down for a few signs, then restarts.
        const o = cluster.oracles[randInt(0, 2)]!;
        const inFlight = sign();
        if (event === 'oracle-pending') {
          if (await untilPending(inFlight)) stats.oracleKillsWithPending++;
        } else {
          await sleep(randInt(0, 40));
        }
        await o.kill('SIGKILL');
        const e = await inFlight;
        if (e) unexpected.push(`sign failed while oracle ${o.id} was killed: ${String(e)}`);
        else stats.signs++;
        stats.oracleKills++;
        down = o;
        downFor = randInt(0, 8);
      } else if (event === 'freeze') {
        // Freeze one oracle with a sign in flight; thaw it at a random moment, often after the
        // agent's deadline (it then handles the old requests and its replies go nowhere).
        const o = cluster.oracles[randInt(0, 2)]!;
        o.proc!.kill('SIGSTOP');
        const thaw = sleep(randInt(0, 4_000)).then(() => o.proc!.kill('SIGCONT'));
        const e = await sign();
        if (e) unexpected.push(`sign failed while oracle ${o.id} was frozen: ${String(e)}`);
        else stats.signs++;
        await thaw;
        stats.stops++;
      } else {
        // Between crashes, mostly cheap EdDSA signatures; crash events sign any kind alike.
        const e = await sign(Math.random() < 0.6 ? 'sign' : undefined);
        if (e) unexpected.push(`sign failed: ${String(e)}`);
        else stats.signs++;
      }
    }
    if (down) await down.start();
    console.info(`crash loop: ${JSON.stringify(stats)}`);
    expect(unexpected).toEqual([]);
    // Kills of the agent left a step in flight on its disk (resent after the restart), also an
    // ES256 one (the agent used to resend it without its ECDSA part and never sign again).
    expect(stats.agentKillsWithPending).toBeGreaterThan(0);
    const by = stats.agentKillsByPendingKind;
    expect((by['es256'] ?? 0) + (by['jwt-es256'] ?? 0), JSON.stringify(by)).toBeGreaterThan(0);

    // Never revoked, still signing, and every oracle's state is a prefix of the agent's history.
    await waitStatus(cluster.oracles, kid, 'active', 1_000);
    for (let i = 0; i < 3; i++) expect(await sign()).toBeUndefined();
    await agent.kill('SIGTERM');
    const rs = readRatchet(stateDir, readState(stateDir));
    expect(rs.pending).toBeUndefined();
    await Promise.all(cluster.oracles.map((o) => o.kill('SIGTERM')));
    for (const o of cluster.oracles) {
      const [rec] = await ratchetRecords(o, [kid]);
      expect(rec!.counter).toBeLessThanOrEqual(rs.counter);
      expect(rec!.counter).toBeGreaterThan(0);
    }
    const counters = await Promise.all(
      cluster.oracles.map(async (o) => (await ratchetRecords(o, [kid]))[0]!.counter),
    );
    // The agent's certified counter is held by at least t oracles.
    expect(counters.filter((c) => c === rs.counter).length).toBeGreaterThanOrEqual(2);
  });
});
