/**
 * GetNonces replays (docs/protocol.md §6.1) against a live 2-of-3 cluster: a captured request
 * sent again or sent to another oracle is refused with REPLAYED_REQUEST, one delivered after the
 * agent has stepped on gets decoys (no pool evicted), without any clock; the real agent,
 * whose requests carry its certified counter, is never refused and keeps signing, also across
 * a restart. An oracle one step ahead of the agent's certified counter (the agent crashed before
 * certifying) still serves it.
 *
 * Slow suite (tag `slow`): about 10 seconds.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, type OracleClient } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { type AgentState, readState } from '../../agent/state.js';
import { errorInfoOf } from '../../common/grpc.js';
import { nodeVerify } from '../crypto/helpers.js';
import { type AgentProc, EDDSA_ONLY, startCluster, type TestCluster } from '../helpers/cluster.js';
import {
  agentCommitments,
  byParticipant,
  complete,
  connectHostile,
  expectRejected,
  fetchNonce,
  getNonces,
  HostileRatchet,
  noncesRequest,
  Status,
  sharesOf,
} from '../helpers/hostile.js';

describe('GetNonces replays (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let agentDir: string;
  let agentState: AgentState;
  let hostile: AgentState;
  let ratchet: HostileRatchet;
  let clients: OracleClient[];

  async function agentSigns() {
    const message = new Uint8Array(randomBytes(100));
    const res = await agent.sign(message);
    expect(nodeVerify(new Uint8Array(res.signature), message, agentState.group.groupPublicKey)).toBe(true);
  }

  const replayed = (p: Promise<unknown>) => expectRejected(p, Status.FAILED_PRECONDITION, 'REPLAYED_REQUEST');

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    const [a, h] = await Promise.all([
      cluster.enroll('spiffe://test.mpcid/replay/agent'),
      cluster.enroll('spiffe://test.mpcid/replay/hostile'),
    ]);
    agentDir = a.stateDir;
    agentState = readState(a.stateDir);
    hostile = readState(h.stateDir);
    ratchet = HostileRatchet.load(h.stateDir, hostile);
    agent = await cluster.startAgent(a.stateDir, undefined, { heartbeatMs: 0 });
    clients = connectHostile(hostile.cluster);
    await agentSigns();
  });

  afterAll(async () => {
    if (clients) closeOracles(clients);
    await cluster?.stop();
  });

  it("a request of the agent's sent again, or to another oracle: REPLAYED_REQUEST; the agent keeps signing", async () => {
    const counter = readRatchet(agentDir, agentState).counter;
    expect(counter).toBeGreaterThanOrEqual(1);
    // As the agent makes it (its session key, its certified counter), captured on the wire.
    const captured = noncesRequest(agentState, 1, { count: 4, counter });
    expect((await getNonces(clients[0]!, captured)).commitments).toHaveLength(4);
    for (let i = 0; i < 3; i++) {
      const err = await replayed(getNonces(clients[0]!, captured));
      expect(errorInfoOf(err)!.metadata).toMatchObject({ counter: String(counter), nodeId: '1' });
    }
    // Made for oracle 1: oracles 2 and 3 never saw it, and still refuse it.
    for (const c of clients.slice(1)) {
      const err = await replayed(getNonces(c, captured));
      expect(errorInfoOf(err)!.metadata['nodeId']).toBe('1');
    }
    await agentSigns();
    await agentSigns();
  });

  it("a request delivered after the agent stepped on gets decoys: the identity's pool is untouched, and one behind the oracle's counter is served", async () => {
    const [c1, c2] = [clients[0]!, clients[1]!];
    const max = cluster.oracles[0]!.config.limits.noncesPerIdentity;
    // Captured before delivery (it never reached the oracles): counter 0, a whole pool's worth.
    const late = [1, 2].map((id) => noncesRequest(hostile, id, { count: max, counter: ratchet.counter }));
    await ratchet.commit(clients, ratchet.heartbeat());
    await ratchet.commit(clients, ratchet.heartbeat());
    expect(ratchet.counter).toBe(2);
    // The agent's nonces, fetched now; then the late requests arrive. Served from the pool they
    // would evict these nonces (a full pool's worth); as decoys they touch nothing.
    const real = [await fetchNonce(c1, hostile, 2), await fetchNonce(c2, hostile, 2)];
    for (const [k, c] of [c1, c2].entries())
      expect((await getNonces(c, late[k]!)).commitments).toHaveLength(max);
    const agent = agentCommitments(hostile);
    const message = new Uint8Array(randomBytes(32));
    const built = ratchet.sign(message, byParticipant([...real, ...agent.commitments]));
    const answers = await ratchet.commit(clients, built);
    const shares = sharesOf(clients, answers);
    expect([...shares.keys()].sort()).toEqual([1, 2]);
    complete(hostile, message, built.sign!.list, agent.nonces, shares); // aggregates and verifies
    // Counter 2 (an agent whose step 3 reached this oracle but was never certified: a crash
    // before the commits came back) and 3 are served from the pool.
    for (const counter of [2, 3]) {
      const res = await getNonces(c2, noncesRequest(hostile, 2, { counter }));
      expect(res.commitments).toHaveLength(1);
    }
    const log = readFileSync(cluster.oracles[1]!.logFile, 'utf8');
    expect(log).toContain('GetNonces behind this oracle: answered with decoy commitments');
  });

  it('the real agent is never refused, also after a restart (its first requests carry its certified counter)', async () => {
    await agent.kill('SIGTERM');
    await agent.start();
    await agentSigns();
    await agentSigns();
    expect(readFileSync(agent.logFile, 'utf8')).not.toContain('REPLAYED_REQUEST');
    const logs = cluster.oracles.map((o) => readFileSync(o.logFile, 'utf8'));
    expect(logs.join('\n')).toContain('GetNonces replay refused');
  });
});
