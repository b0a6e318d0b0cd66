/**
 * GetNonces replays (docs/protocol.md §6.1) against a live 2-of-3 cluster: a captured request
 * sent again, sent to another oracle, or delivered after the agent has stepped on is refused
 * with REPLAYED_REQUEST (nothing minted, no pool evicted), without any clock; the real agent,
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
  connectHostile,
  expectRejected,
  getNonces,
  HostileRatchet,
  noncesRequest,
  Status,
  step,
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

  it("a request delivered after the agent stepped on is refused on its counter alone; one behind the oracle's counter is served", async () => {
    const c2 = clients[1]!;
    // Captured before delivery (never reached the oracle): counter 0.
    const late = noncesRequest(hostile, 2, { counter: ratchet.counter });
    await ratchet.commit(clients, ratchet.heartbeat());
    await ratchet.commit(clients, ratchet.heartbeat());
    expect(ratchet.counter).toBe(2);
    const err = await replayed(getNonces(c2, late));
    expect(errorInfoOf(err)!.metadata).toMatchObject({ counter: '0', oracleCounter: '2', nodeId: '2' });
    // The same request at counter 1 (an agent whose step 2 reached this oracle but was never
    // certified: a crash before the commits came back) and at counter 2 are served.
    for (const counter of [1, 2]) {
      const res = await getNonces(c2, noncesRequest(hostile, 2, { counter }));
      expect(res.commitments).toHaveLength(1);
    }
    // Step 3 reaches oracle 2 only: its counter is 3, and counter 1 is behind now.
    const s3 = ratchet.heartbeat();
    ratchet.checkCommit(2, s3.signed, await step(c2, s3.request));
    await replayed(getNonces(c2, noncesRequest(hostile, 2, { counter: 1 })));
    expect((await getNonces(c2, noncesRequest(hostile, 2, { counter: 2 }))).commitments).toHaveLength(1);
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
