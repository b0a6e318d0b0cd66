/**
 * Forensic fields of a pushed revocation (docs/protocol.md §7), real processes: the evidence
 * decides whether a peer's revocation applies; who detected it, when and from which network peers
 * is the detecting node's signed claim ('claimed'), or, without a valid report signature,
 * 'unverified' (detectingNode 0, no peers, the receiver's own time), never a local observation
 * ('observed', what the detecting node itself records). A local revocation is never replaced by
 * a peer's push.
 *
 * Slow suite (tag `slow`): about 10 seconds.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, type OracleClient } from '../../agent/oracles.js';
import { type AgentState, readState } from '../../agent/state.js';
import { call } from '../../common/grpc.js';
import { stepToWire } from '../../common/protocol.js';
import type { SignedStep } from '../../crypto/ratchet.js';
import { signStep } from '../../crypto/ratchet.js';
import type { AlertEvent } from '../../oracle/records.js';
import type { PeerClient } from '../../proto/gen/mpcid/oracle/v1/Peer.js';
import {
  EDDSA_ONLY,
  type OracleProc,
  startCluster,
  type TestCluster,
  waitUntil,
} from '../helpers/cluster.js';
import { connectHostile, expectRejected, HostileRatchet, Status, step } from '../helpers/hostile.js';
import { makeStep, peerClient, waitStatus } from '../helpers/ratchet.js';

/** The first alert event oracle `o` holds for `identityId` (its WatchAlerts log from the start). */
async function alertOn(o: OracleProc, identityId: string): Promise<AlertEvent> {
  let found: AlertEvent | undefined;
  await waitUntil(
    `an alert for ${identityId} on oracle ${o.id}`,
    () =>
      new Promise<void>((resolve, reject) => {
        const stream = o.admin.WatchAlerts({ cursor: 0 });
        const timer = setTimeout(() => {
          stream.cancel();
          reject(new Error('not yet'));
        }, 300);
        stream.on('data', (m: { json: string }) => {
          const e = JSON.parse(m.json) as AlertEvent;
          if (e.identityId !== identityId || found) return;
          found = e;
          clearTimeout(timer);
          stream.cancel();
          resolve();
        });
        stream.on('error', () => undefined);
      }),
  );
  return found!;
}

/** Two conflicting session-signed steps (counter `counter`, different bytes): valid fork evidence. */
function conflicting(state: AgentState, counter: number): SignedStep[] {
  const prevHead = new Uint8Array(randomBytes(32));
  return [1_000, 2_000].map((time) =>
    signStep(state.sessionKey, makeStep(state.identityId, { counter, prevHead, time })),
  );
}

describe('forensic fields of pushed revocations (3 oracles, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let clients: OracleClient[];
  let peers: PeerClient[];
  let forked: AgentState;
  let pushed: AgentState;
  let ratchet: HostileRatchet;

  const push = (p: PeerClient, identityId: string, steps: SignedStep[], over: Record<string, unknown> = {}) =>
    call(
      p,
      p.PushRevocation,
      {
        revocation: {
          evidence: { identityId, steps: steps.map(stepToWire) },
          digest: randomBytes(32),
          reason: 'equivocation',
          detectedBy: 1,
          detectedAt: 1,
          peers: ['ipv4:203.0.113.7:1', 'ipv4:203.0.113.7:2'],
          counter: 99,
          ...over,
        },
      },
      3_000,
    );

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    const [f, p] = await Promise.all([
      cluster.enroll('spiffe://test.mpcid/forensics/forked'),
      cluster.enroll('spiffe://test.mpcid/forensics/pushed'),
    ]);
    forked = readState(f.stateDir);
    pushed = readState(p.stateDir);
    ratchet = HostileRatchet.load(f.stateDir, forked);
    clients = connectHostile(forked.cluster);
    peers = cluster.oracles.map((o) => peerClient(o.address));
  });

  afterAll(async () => {
    for (const p of peers ?? []) p.close();
    if (clients) closeOracles(clients);
    await cluster?.stop();
  });

  it("a fork found by oracle 1: 'observed' there; its peers record oracle 1's signed claim as 'claimed'", async () => {
    const c1 = clients[0]!;
    const first = ratchet.heartbeat();
    ratchet.checkCommit(1, first.signed, await step(c1, first.request));
    await expectRejected(step(c1, ratchet.heartbeat().request), Status.PERMISSION_DENIED, 'FORK_DETECTED');
    await waitStatus(cluster.oracles, forked.identityId, 'revoked', 10_000);
    const [own, ...others] = await Promise.all(cluster.oracles.map((o) => alertOn(o, forked.identityId)));
    expect(own).toMatchObject({ detectingNode: 1, reportingNode: 1, forensics: 'observed' });
    expect(own!.peers).toHaveLength(2);
    others.forEach((e, i) => {
      expect(e).toMatchObject({
        id: own!.id,
        detectingNode: 1,
        reportingNode: i + 2,
        forensics: 'claimed',
        peers: own!.peers,
        time: own!.time,
        counter: own!.counter,
      });
    });
  });

  it("a locally detected revocation is not replaced by a peer's push of other valid evidence", async () => {
    const before = await call(
      cluster.oracles[0]!.admin,
      cluster.oracles[0]!.admin.GetRevocation,
      { identityId: forked.identityId },
      2_000,
    );
    const res = await push(peers[0]!, forked.identityId, conflicting(forked, 7), { detectedBy: 2 });
    expect(res.applied).toBe(false);
    const after = await call(
      cluster.oracles[0]!.admin,
      cluster.oracles[0]!.admin.GetRevocation,
      { identityId: forked.identityId },
      2_000,
    );
    expect({ digest: after.digest, detectedBy: after.detectedBy, peers: after.peers }).toEqual({
      digest: before.digest,
      detectedBy: 1,
      peers: before.peers,
    });
  });

  it("a push without a valid report signature applies on its evidence; its claims are 'unverified' and never pass as the receiver's own", async () => {
    const steps = conflicting(pushed, 3);
    const t0 = Date.now();
    // To oracle 2, claiming oracle 2 itself found it (no signature); to oracle 3, claiming oracle
    // 1 did, with a signature that is not oracle 1's.
    expect((await push(peers[1]!, pushed.identityId, steps, { detectedBy: 2 })).applied).toBe(true);
    expect(
      (await push(peers[2]!, pushed.identityId, steps, { reportSignature: randomBytes(64) })).applied,
    ).toBe(true);
    for (const o of cluster.oracles.slice(1)) {
      const e = await alertOn(o, pushed.identityId);
      expect(e).toMatchObject({ detectingNode: 0, reportingNode: o.id, forensics: 'unverified', peers: [] });
      // The receiver's own time, not the claimed 1970, and the counter from the evidence.
      expect(Date.parse(e.time)).toBeGreaterThanOrEqual(t0 - 1_000);
      expect(e.counter).toBe(3);
      const r = await call(o.admin, o.admin.GetRevocation, { identityId: pushed.identityId }, 2_000);
      expect({ detectedBy: r.detectedBy, peers: r.peers }).toEqual({ detectedBy: 0, peers: [] });
    }
    const metrics = await (await fetch(`http://${cluster.oracles[1]!.config.http!.listen}/metrics`)).text();
    expect(metrics).toMatch(/mpcid_revocations_total\{source="peer"\} 2/);
  });
});
