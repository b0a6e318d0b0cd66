/**
 * Lagging oracles (docs/protocol.md §5, §7): an oracle that was down while the identity stepped
 * catches up by fast-forwarding on the certificate the agent sends with its next step, and a
 * revocation made while an oracle was down reaches it when it starts.
 *
 * Slow suite (tag `slow`): about half a minute.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
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
  copyStateDir,
  expectRevokedError,
  failure,
  ratchetRecords,
  removeClusterDir,
  sleep,
  statusOn,
  waitStatus,
} from '../helpers/ratchet.js';

const LAG_STEPS = 50;

/** Resolves as soon as a TCP connection to host:port succeeds (polls every 5 ms, up to 30 s). */
async function waitForPort(address: string): Promise<void> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((res) => {
      const sock = connect({ host, port }, () => {
        sock.destroy();
        res(true);
      });
      sock.on('error', () => res(false));
    });
    if (ok) return;
    await sleep(5);
  }
  throw new Error(`${address} never accepted a connection`);
}

async function signVerified(agent: AgentProc, publicKey: Buffer): Promise<void> {
  const msg = randomBytes(48);
  const res = await agent.sign(msg);
  expect(nodeVerify(res.signature, msg, publicKey)).toBe(true);
}

/** The oracle's log lines (pino JSON) about one identity with the given message. */
function logLines(o: OracleProc, identityId: string, msg: string): Record<string, unknown>[] {
  return readFileSync(o.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(identityId) && l.includes(msg))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('lagging oracles (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let failed = false;

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
  });
  beforeEach(async () => {
    await Promise.all(cluster.oracles.filter((o) => !o.running).map((o) => o.start()));
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await cluster?.stop();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}/logs`);
  });

  it(`an oracle down for ${LAG_STEPS} steps fast-forwards on the certificate and signs again`, async () => {
    const [o1, o2, o3] = cluster.oracles as [OracleProc, OracleProc, OracleProc];
    const { stateDir, kid, publicKey } = await cluster.enroll('spiffe://test.mpcid/lag');
    const pk = Buffer.from(publicKey, 'base64url');
    let agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    await signVerified(agent, pk);

    await o3.kill();
    const before = agentRatchetFile(stateDir)!.counter;
    while (agentRatchetFile(stateDir)!.counter < before + LAG_STEPS) await signVerified(agent, pk);

    // Oracle 3 comes back and oracle 1 goes away: the only quorum is {2, 3}, so oracle 3's first
    // step back is a sign step 50 counters ahead of it, carrying the certificate. (The pause lets
    // the agent's connection to oracle 3 leave its reconnect backoff, at most ~1.2 s; signing
    // inside that window is the subject of the last test below.)
    await o3.start();
    await sleep(1_500);
    await o1.kill();
    await signVerified(agent, pk);
    const ff = logLines(o3, kid, 'fast-forwarded on a certificate');
    expect(ff.length, 'oracle 3 fast-forwarded exactly once').toBe(1);
    expect(ff[0]!['from'] as number).toBeLessThanOrEqual(before);
    expect(ff[0]!['to'] as number).toBeGreaterThan(before + LAG_STEPS);
    for (let i = 0; i < 3; i++) await signVerified(agent, pk);

    // Everyone back; a few heartbeats reach all three; then all three hold the agent's counter.
    await o1.start();
    await agent.kill('SIGTERM');
    agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 200 });
    await sleep(1_000);
    for (const o of cluster.oracles) expect(await statusOn(o, kid)).toBe('active');
    await agent.kill('SIGTERM');
    const rs = readRatchet(stateDir, readState(stateDir));
    expect(rs.pending).toBeUndefined();
    await Promise.all(cluster.oracles.map((o) => o.kill('SIGTERM')));
    const counters = await Promise.all(
      cluster.oracles.map(async (o) => (await ratchetRecords(o, [kid]))[0]?.counter),
    );
    expect(counters).toEqual([rs.counter, rs.counter, rs.counter]);
    await Promise.all(cluster.oracles.map((o) => o.start()));
    expect([o1, o2, o3].every((o) => o.running)).toBe(true);
  });

  it('a revocation made while an oracle was down reaches it when it starts', async () => {
    const o3 = cluster.oracles[2]!;
    const { stateDir, kid, publicKey } = await cluster.enroll('spiffe://test.mpcid/revoked-while-down');
    const pk = Buffer.from(publicKey, 'base64url');
    const original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    await signVerified(original, pk);
    const copyDir = join(dirname(stateDir), 'copy');
    copyStateDir(stateDir, copyDir);
    expect(agentRatchetFile(copyDir)!.pending).toBeUndefined();

    await o3.kill();
    // A fork while oracle 3 is down: the original moves on, then the copy steps.
    for (let i = 0; i < 2; i++) await signVerified(original, pk);
    const copy = await cluster.startAgent(copyDir, undefined, { heartbeatMs: 0 });
    expectRevokedError(await failure(copy.sign(Buffer.from('the copy'))));
    await waitStatus(cluster.oracles.slice(0, 2), kid, 'revoked', 3_000);

    await o3.start();
    await waitStatus([o3], kid, 'revoked', 3_000);
    await Promise.all([original.kill(), copy.kill()]);
  });

  it('right after an oracle restarts, a sign that needs it waits for it instead of failing', async () => {
    // With one oracle down, the other two are the only quorum. The one that just came back is
    // still in the agent's reconnect backoff; the documented patient pass must wait for it.
    const { stateDir, publicKey } = await cluster.enroll('spiffe://test.mpcid/restart-window');
    const pk = Buffer.from(publicKey, 'base64url');
    const agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    await signVerified(agent, pk);
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const [back, away] =
        attempt % 2 ? [cluster.oracles[0]!, cluster.oracles[2]!] : [cluster.oracles[2]!, cluster.oracles[0]!];
      await back.kill();
      for (let i = 0; i < 2; i++) await signVerified(agent, pk);
      await away.kill();
      // Sign the moment the restarted oracle accepts connections.
      const starting = back.start();
      await waitForPort(back.address);
      const msg = randomBytes(32);
      try {
        const res = await agent.sign(msg);
        outcomes.push(nodeVerify(res.signature, msg, pk) ? 'ok' : 'bad signature');
      } catch (e) {
        outcomes.push(String((e as Error).message));
      }
      await starting;
      await away.start();
      if (attempt === 0) await sleep(1_500); // out of the reconnect backoff before the next round
    }
    expect(outcomes).toEqual(['ok', 'ok']);
    await agent.kill();
  });
});
