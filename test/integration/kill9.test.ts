/**
 * Issue 6's crash criterion, real processes on a 2-of-3 cluster: 500 ratchet steps (signatures
 * and heartbeats of one agent) while one oracle after another is killed with SIGKILL and
 * restarted. After every kill the dead oracle's LevelDB is read: each step it committed whose
 * signed commit the agent holds is there (never behind the agent's certificate), and it is never
 * ahead of what the agent sent. At the end every oracle is consistent with the agent's history,
 * and the agent was never revoked.
 *
 * Then a clone of that agent signs while the webhook receiver is down (503); right after an oracle
 * detects the fork it is killed with SIGKILL; the receiver comes back, the oracle restarts, and
 * every alert of every oracle's durable event log reaches the receiver at least once, with the
 * same id.
 *
 * Slow suite (tag `slow`): 500 steps are fsync-bound (agent and oracles write each step durably);
 * about 70-110 s on 2 shared cores, depending on load.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Level } from 'level';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { call, errorCodeOf } from '../../common/grpc.js';
import type { AlertEvent } from '../../oracle/records.js';
import { nodeVerify } from '../crypto/helpers.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  type OracleProc,
  startCluster,
  type TestCluster,
  waitUntil,
} from '../helpers/cluster.js';
import { HookReceiver, whsecSecret } from '../helpers/hook.js';
import {
  agentRatchetFile,
  copyStateDir,
  ratchetRecords,
  removeClusterDir,
  sleep,
  waitStatus,
} from '../helpers/ratchet.js';

const STEPS = 500;
/** Steps between two kills. */
const KILL_EVERY = 35;
/**
 * Kills the run makes at least: it goes on past STEPS until it has them (heartbeats, which come
 * with time, can take the counter to STEPS in fewer kills on a slow machine).
 */
const MIN_KILLS = 12;
const SECRET = whsecSecret();

interface RatchetFile {
  counter: number;
  head: string;
  certificate: { nodeId: number; counter: number; head: string }[];
  pending?: { step: { counter: number } };
}

describe('kill -9 during 500 steps loses no committed state; the outbox delivers every alert', {
  tags: ['slow'],
}, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let stateDir: string;
  let kid: string;
  let pk: Buffer;
  const hook = new HookReceiver();
  const received = hook.received;
  let failed = false;

  beforeAll(async () => {
    const url = await hook.listen();
    cluster = await startCluster(3, 2, {
      ...EDDSA_ONLY,
      oracleConfig: () => ({ alerts: { webhooks: [{ url, secret: SECRET, timeoutMs: 1000 }] } }),
    });
    ({ stateDir, kid } = await cluster.enroll('spiffe://test.mpcid/kill9'));
    // Heartbeats after 200 ms idle: the pauses below make heartbeat steps between signatures.
    agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 200 });
    pk = (await agent.sign(Buffer.from('warm-up'))).publicKey;
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await cluster?.stop();
    await hook.close();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}`);
  });

  /** The agent's ratchet.json as it is now (retried while the agent is renaming it into place). */
  async function agentFile(): Promise<RatchetFile> {
    for (;;) {
      const f = agentRatchetFile(stateDir) as RatchetFile | undefined;
      if (f) return f;
      await sleep(5);
    }
  }

  /**
   * A killed oracle's store against the agent: every commit of that oracle in the agent's
   * certificate is stored (counter and head), and the oracle is not ahead of the agent's last step.
   */
  async function checkAgainstAgent(
    o: OracleProc,
    f: RatchetFile,
    before?: RatchetFile,
  ): Promise<{ counter: number; commits: number }> {
    const [rec] = await ratchetRecords(o, [kid]);
    expect(rec, `oracle ${o.id} has a ratchet record`).toBeDefined();
    const mine = [...(before?.certificate ?? []), ...f.certificate].filter((c) => c.nodeId === o.id);
    for (const c of mine) {
      expect(rec!.counter, `oracle ${o.id} lost committed step ${c.counter}`).toBeGreaterThanOrEqual(
        c.counter,
      );
      if (rec!.counter === c.counter) expect(rec!.head).toBe(c.head);
    }
    expect(rec!.counter).toBeLessThanOrEqual(f.pending?.step.counter ?? f.counter);
    return { counter: rec!.counter, commits: mine.length };
  }

  it(`${STEPS} steps (signatures and heartbeats) with kill -9 of the oracles in turn: nothing committed is lost`, {
    timeout: 150_000,
  }, async () => {
    const t0 = Date.now();
    const stats = { signs: 0, kills: 0, checkedCommits: 0, heartbeatPauses: 0 };
    const errors: string[] = [];
    let next = 0;
    let down: OracleProc | undefined;
    /** The killed oracle's restart, running while the agent signs on with the other two. */
    let restarting: Promise<void> | undefined;
    let lastKillAt = (await agentFile()).counter;
    for (let i = 0; ; i++) {
      const f = await agentFile();
      if (f.counter >= STEPS && stats.kills >= MIN_KILLS) break;
      if (i > 3 * STEPS) throw new Error(`only ${f.counter} steps after ${i} iterations`);
      if (down && f.counter - lastKillAt >= 8) {
        restarting = down.start();
        down = undefined;
      }
      if (!down && f.counter - lastKillAt >= KILL_EVERY) {
        await restarting;
        // kill -9 with a signature in flight; then its store must hold everything the agent
        // holds a commit of it for.
        const o = cluster.oracles[next++ % 3]!;
        const before = await agentFile();
        const inFlight = agent.sign(randomBytes(32), 30_000).then(
          () => undefined,
          (e: unknown) => e,
        );
        await sleep(Math.floor(Math.random() * 60));
        await o.kill('SIGKILL');
        const e = await inFlight;
        if (e) errors.push(`sign failed while oracle ${o.id} was killed: ${String(e)}`);
        else stats.signs++;
        const after = await agentFile();
        stats.checkedCommits += (await checkAgainstAgent(o, after, before)).commits;
        stats.kills++;
        down = o;
        lastKillAt = after.counter;
        continue;
      }
      const msg = randomBytes(48);
      try {
        const res = await agent.sign(msg, 30_000);
        expect(nodeVerify(res.signature, msg, pk)).toBe(true);
        stats.signs++;
      } catch (e) {
        errors.push(`sign failed: ${String(e)}`);
        if (errorCodeOf(e) === 'IDENTITY_REVOKED') break;
      }
      if (i % 3 === 0) {
        await sleep(250); // idle: the agent sends a heartbeat step
        stats.heartbeatPauses++;
      }
    }
    await restarting;
    if (down) await down.start();
    const seconds = (Date.now() - t0) / 1000;
    const final = await agentFile();
    console.info(
      `kill -9 loop: ${final.counter} steps (${stats.signs} signatures, the rest heartbeats) in ${seconds.toFixed(1)} s, ${JSON.stringify(stats)}`,
    );
    expect(errors).toEqual([]);
    expect(final.counter).toBeGreaterThanOrEqual(STEPS);
    expect(stats.kills).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(stats.checkedCommits, 'commits of killed oracles checked in their stores').toBeGreaterThan(0);
    expect(final.counter - stats.signs, 'heartbeat steps').toBeGreaterThan(50);
    await waitStatus(cluster.oracles, kid, 'active', 2_000);

    // Every oracle, stopped, against the agent's final state: never ahead, at most t hold it.
    await agent.kill('SIGTERM');
    const rs = readRatchet(stateDir, readState(stateDir));
    expect(rs.pending).toBeUndefined();
    await Promise.all(cluster.oracles.map((o) => o.kill('SIGTERM')));
    const f = await agentFile();
    const counters = [];
    for (const o of cluster.oracles) counters.push((await checkAgainstAgent(o, f)).counter);
    expect(counters.filter((c) => c === rs.counter).length).toBeGreaterThanOrEqual(2);
    await Promise.all(cluster.oracles.map((o) => o.start()));
    await agent.start();
  });

  it('a clone detected while the receiver is down and the detecting oracle killed: every alert arrives after restart', {
    timeout: 60_000,
  }, async () => {
    hook.status = 503;
    const copyDir = join(dirname(stateDir), 'clone');
    copyStateDir(stateDir, copyDir);
    const clone = await cluster.startAgent(copyDir, undefined, { heartbeatMs: 0 });
    await Promise.allSettled([agent.sign(Buffer.from('original')), clone.sign(Buffer.from('clone'))]);
    await Promise.allSettled([agent.sign(Buffer.from('original')), clone.sign(Buffer.from('clone'))]);
    // The first oracle to hold the revocation is killed at once.
    let detecting: OracleProc | undefined;
    await waitUntil('a revocation', async () => {
      for (const o of cluster.oracles) {
        const ok = await call(o.admin, o.admin.GetRevocation, { identityId: kid }, 1000).then(
          () => true,
          () => false,
        );
        if (ok) {
          detecting = o;
          return;
        }
      }
      throw new Error('not yet');
    });
    await detecting!.kill('SIGKILL');
    const others = cluster.oracles.filter((o) => o !== detecting);
    await waitStatus(others, kid, 'revoked', 10_000);
    expect(received).toEqual([]);

    hook.status = 200;
    await detecting!.start();
    await waitUntil(
      'an alert from every oracle',
      async () => {
        if (new Set(received.map((e) => e.reportingNode)).size < 3) throw new Error('not yet');
      },
      undefined,
      30_000,
    );
    // Every outbox empty (the gauge every oracle exports), so every durable event was delivered.
    await waitUntil(
      'empty outboxes',
      async () => {
        for (const o of cluster.oracles) {
          const text = await (await fetch(`http://${o.config.http!.listen}/metrics`)).text();
          const depth = [...text.matchAll(/^mpcid_alert_outbox_depth(?:\{[^}]*\})? (\d+)/gm)];
          if (depth.some((m) => m[1] !== '0')) throw new Error(`oracle ${o.id}: outbox not empty`);
        }
      },
      undefined,
      30_000,
    );
    await Promise.all([agent.kill('SIGTERM'), clone.kill('SIGTERM')]);
    await Promise.all(cluster.oracles.map((o) => o.kill('SIGTERM')));

    // Each oracle's durable event log against what the receiver got from it.
    const stats = { events: 0 };
    for (const o of cluster.oracles) {
      const db = new Level<string, AlertEvent>(o.config.dataDir, { valueEncoding: 'json' });
      await db.open();
      const log: AlertEvent[] = [];
      const outbox: string[] = [];
      try {
        for await (const v of db.values({ gte: 'event!', lt: 'event!\xff' })) log.push(v);
        for await (const k of db.keys({ gte: 'outbox!', lt: 'outbox!\xff' })) outbox.push(k);
      } finally {
        await db.close();
      }
      // Usually one event; two oracles of a signing set can catch the fork on their own with
      // different evidence (two ids), and an oracle may then log both.
      expect(log.length, `events of oracle ${o.id}`).toBeGreaterThanOrEqual(1);
      stats.events += log.length;
      const got = received.filter((e) => e.reportingNode === o.id).map((e) => e.id);
      for (const e of log) expect(got, `oracle ${o.id} event ${e.id}`).toContain(e.id);
      expect(outbox, `oracle ${o.id} outbox after delivery`).toEqual([]);
    }
    expect(received.every((e) => e.identityId === kid)).toBe(true);
    console.info(
      `outbox: ${stats.events} durable events on 3 oracles, ${received.length} deliveries (${new Set(received.map((e) => e.id)).size} distinct ids) after oracle ${detecting!.id} was killed right after detection`,
    );
  });
});
