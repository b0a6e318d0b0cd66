/**
 * Crash safety of the ratchet (docs/protocol.md §1 promise 4, §5): an honest agent is never
 * revoked because it or an oracle crashed, restarted, retried or lost a reply. Real processes,
 * kill -9 at random points (also with a step in flight and on disk), SIGSTOP/SIGCONT to push an
 * oracle past the agent's deadline; every signature returned verifies with node:crypto.
 *
 * Slow suite (tag `slow`): about a minute.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { errorCodeOf } from '../../common/grpc.js';
import { nodeVerify } from '../crypto/helpers.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  type OracleProc,
  startCluster,
  type TestCluster,
} from '../helpers/cluster.js';
import {
  agentRatchetFile,
  randInt,
  ratchetRecords,
  removeClusterDir,
  sleep,
  statusOn,
  waitStatus,
} from '../helpers/ratchet.js';

const SIGNS = 200;

describe('crash safety: kill -9, restarts and lost replies never revoke an honest agent', {
  tags: ['slow'],
}, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let kid: string;
  let stateDir: string;
  let pk: Buffer;

  let failed = false;

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    ({ stateDir, kid } = await cluster.enroll('spiffe://test.mpcid/crash'));
    agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    pk = (await agent.sign(Buffer.from('warm-up'))).publicKey;
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

  /** Signs and checks the signature with node:crypto; returns the error if the call failed. */
  async function sign(): Promise<unknown> {
    const msg = randomBytes(randInt(0, 300));
    try {
      const res = await agent.sign(msg, 30_000);
      expect(nodeVerify(res.signature, msg, pk), 'a returned signature verifies').toBe(true);
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
    const err = await sign();
    expect(errorCodeOf(err), String(err)).toBe('QUORUM_UNAVAILABLE');
    const pending = agentRatchetFile(stateDir)?.pending;
    expect(pending, 'the uncertified step stays pending on disk').toBeDefined();
    // Oracle 2 wakes up, handles the queued step and persists it; its reply goes nowhere.
    o2.proc!.kill('SIGCONT');
    await sleep(500);
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
    place('agent-random', 5);
    place('agent-pending', 5);
    place('oracle-random', 5);
    place('oracle-pending', 5);
    place('freeze', 3);
    let down: OracleProc | undefined;
    let downFor = 0;

    // Stops at the first unexpected failure (e.g. a revocation: nothing would sign after it).
    for (let i = 0; stats.signs < SIGNS && unexpected.length === 0 && i < 3 * SIGNS; i++) {
      const event = schedule.get(i);
      if (down && (downFor-- <= 0 || event?.startsWith('oracle') || event === 'freeze')) {
        await down.start();
        down = undefined;
      }
      if (event === 'agent-random' || event === 'agent-pending') {
        // kill -9 the agent with a sign in flight: at a random moment, or exactly while its step
        // is written ahead on disk; restart it; its pending step is resent.
        const inFlight = sign();
        if (event === 'agent-pending') await untilPending(inFlight);
        else await sleep(randInt(0, 40));
        await agent.kill('SIGKILL');
        const e = await inFlight;
        if (e) stats.failedWhileAgentKilled++;
        else stats.signs++;
        if (e && errorCodeOf(e) === 'IDENTITY_REVOKED') unexpected.push(`revoked: ${String(e)}`);
        stats.agentKills++;
        if (agentRatchetFile(stateDir)?.pending) stats.agentKillsWithPending++;
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
        const e = await sign();
        if (e) unexpected.push(`sign failed: ${String(e)}`);
        else stats.signs++;
      }
    }
    if (down) await down.start();
    console.info(`crash loop: ${JSON.stringify(stats)}`);
    expect(unexpected).toEqual([]);
    // Kills of the agent left a step in flight on its disk (resent after the restart).
    expect(stats.agentKillsWithPending).toBeGreaterThan(0);

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
