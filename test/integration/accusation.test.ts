/**
 * An oracle's accusation is bounded (docs/ecdsa.md §5): one oracle's signed abort claim only
 * SUSPENDS the identity (IDENTITY_SUSPENDED everywhere it is held, alert identity.suspended, not
 * revoked); accusations by two distinct oracles, or the agent's own session-signed abort claim,
 * revoke it. Real processes; the lying oracle is oracle 1's node key in a test double that signs
 * a claim about a real es256 step and pushes it to its peers, as an oracle does.
 *
 * Slow suite (tag `slow`): about 30 seconds on two cores (two ES256 enrollments).
 */

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, type OracleClient } from '../../agent/oracles.js';
import { type AgentState, readState } from '../../agent/state.js';
import { clusterNodeKeys } from '../../common/config.js';
import { detailsOf } from '../../common/errors.js';
import { call, errorCodeOf, errorInfoOf, fromServiceError } from '../../common/grpc.js';
import { readNodeKey } from '../../common/keys.js';
import { ecdsaPayloadDigest, stepToWire } from '../../common/protocol.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
import { sha256 } from '../../crypto/hash.js';
import { abortFields, type SignedStep, stepDigest, verifyEvidence } from '../../crypto/ratchet.js';
import type { Secret } from '../../crypto/secret.js';
import { signStatement } from '../../crypto/statement.js';
import type { AlertEvent } from '../../oracle/records.js';
import type { PeerClient } from '../../proto/gen/mpcid/oracle/v1/Peer.js';
import { type OracleProc, startCluster, type TestCluster, waitUntil } from '../helpers/cluster.js';
import {
  connectHostile,
  expectRejected,
  getNonces,
  HostileRatchet,
  noncesRequest,
  Status,
} from '../helpers/hostile.js';
import { peerClient, statusOn } from '../helpers/ratchet.js';

interface Session {
  step: SignedStep;
  messageDigest: Uint8Array;
  oracles: number[];
}

/** Every alert event oracle `o` holds for `identityId`, from the start of its log. */
async function alertsOn(o: OracleProc, identityId: string, atLeast: number): Promise<AlertEvent[]> {
  let got: AlertEvent[] = [];
  await waitUntil(`${atLeast} alerts for ${identityId} on oracle ${o.id}`, async () => {
    got = await new Promise<AlertEvent[]>((resolve) => {
      const out: AlertEvent[] = [];
      const stream = o.admin.WatchAlerts({ cursor: 0 });
      stream.on('data', (m: { json: string }) => {
        const e = JSON.parse(m.json) as AlertEvent;
        if (e.identityId === identityId) out.push(e);
      });
      stream.on('error', () => undefined);
      setTimeout(() => {
        stream.cancel();
        resolve(out);
      }, 300);
    });
    if (got.length < atLeast) throw new Error('not yet');
  });
  return got;
}

describe('accusations by oracles (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let clients: OracleClient[];
  let peers: PeerClient[];
  let nodeKeys: Secret[];
  const ids: { state: AgentState; ratchet: HostileRatchet }[] = [];
  let first: Session;

  /** A real es256 step of identity `i` naming `oracles`, committed by every oracle (its session opened). */
  async function session(i: number, oracles: number[]): Promise<Session> {
    const { ratchet } = ids[i]!;
    const message = new Uint8Array(randomBytes(32));
    const step = ratchet.make('es256', ecdsaPayloadDigest('es256', message, oracles));
    const request = { ...ratchet.request(step), ecdsa: { message: Buffer.from(message), oracles } };
    await ratchet.commit(clients, { signed: step, request });
    return { step, messageDigest: sha256(message), oracles };
  }

  /** The abort claim of `accuser` (0: the agent's session key, else that oracle's node key) about `s`. */
  function claim(i: number, s: Session, accuser: number, culprit: number, check = 'commitment') {
    const state = ids[i]!.state;
    const key = accuser === 0 ? state.sessionKey : nodeKeys[accuser - 1]!;
    const signature = signStatement(
      key,
      STATEMENT_DOMAINS.ecdsaAbort,
      ...abortFields(state.identityId, stepDigest(s.step.step), accuser, culprit, check),
    );
    return {
      accuser,
      culprit,
      check,
      signature: Buffer.from(signature),
      messageDigest: Buffer.from(s.messageDigest),
      oracles: s.oracles,
    };
  }

  /** Oracle `accuser`'s accusation pushed to oracle `to` as a revocation (what an oracle pushes). */
  function accuse(i: number, s: Session, accuser: number, to: number, check = 'commitment') {
    const state = ids[i]!.state;
    return call(
      peers[to - 1]!,
      peers[to - 1]!.PushRevocation,
      {
        revocation: {
          evidence: {
            identityId: state.identityId,
            steps: [stepToWire(s.step)],
            abort: claim(i, s, accuser, 0, check),
          },
          digest: randomBytes(32),
          reason: 'ecdsa-abort',
          detectedBy: accuser,
          detectedAt: Date.now(),
          peers: [],
          counter: s.step.step.counter,
        },
      },
      3_000,
    );
  }

  const suspended = (p: Promise<unknown>) =>
    expectRejected(p, Status.PERMISSION_DENIED, 'IDENTITY_SUSPENDED');

  beforeAll(async () => {
    cluster = await startCluster(3, 2);
    const enrolled = await Promise.all([
      cluster.enroll('spiffe://test.mpcid/accused/two-oracles'),
      cluster.enroll('spiffe://test.mpcid/accused/agent-claim'),
    ]);
    for (const e of enrolled) {
      const state = readState(e.stateDir);
      ids.push({ state, ratchet: HostileRatchet.load(e.stateDir, state) });
    }
    clients = connectHostile(ids[0]!.state.cluster);
    peers = cluster.oracles.map((o) => peerClient(o.address));
    nodeKeys = cluster.oracles.map((o) => readNodeKey(o.config.nodeKeyFile).seed);
  });

  afterAll(async () => {
    for (const p of peers ?? []) p.close();
    if (clients) closeOracles(clients);
    await cluster?.stop();
  });

  it("one lying oracle's accusation only suspends: refused IDENTITY_SUSPENDED, alerted, never revoked; the same accuser again changes nothing", async () => {
    const { state } = ids[0]!;
    const s = await session(0, [1, 2]);
    first = s;
    // Oracle 1 lies: it accuses the agent of a session nothing went wrong in, and pushes it.
    for (const to of [2, 3]) expect((await accuse(0, s, 1, to)).applied).toBe(true);
    for (const o of cluster.oracles.slice(1)) {
      expect(await statusOn(o, state.identityId)).toBe('active');
      await expectRejected(
        call(o.admin, o.admin.GetRevocation, { identityId: state.identityId }, 2_000),
        Status.NOT_FOUND,
        'UNKNOWN_IDENTITY',
      );
      const err = await suspended(getNonces(clients[o.id - 1]!, noncesRequest(state, o.id, { counter: 1 })));
      expect(errorInfoOf(err)!.metadata).toMatchObject({ accuser: '1', accused: '0' });
      // The accusation travels with the refusal, in its typed details, and verifies as oracle 1's
      // signed claim.
      const details = detailsOf(fromServiceError(err, 'GetNonces'), 'IDENTITY_SUSPENDED')!;
      expect(details).toMatchObject({ accuser: 1, accused: 0 });
      const ev = details.evidence;
      expect(verifyEvidence(state.sessionPublicKey, ev, clusterNodeKeys(state.cluster))).toBe('ecdsa-abort');
      const [alert] = await alertsOn(o, state.identityId, 1);
      expect(alert).toMatchObject({ type: 'identity.suspended', reason: 'ecdsa-abort', reportingNode: o.id });
    }
    await suspended(
      call(clients[1]!.signer, clients[1]!.signer.Step, ids[0]!.ratchet.heartbeat().request, 3_000),
    );
    // Another accusation by the same oracle (another check) corroborates nothing.
    expect((await accuse(0, s, 1, 2, 'relay')).applied).toBe(false);
    expect(await statusOn(cluster.oracles[1]!, state.identityId)).toBe('active');
  });

  it("a second oracle's accusation corroborates: revoked everywhere it is held, with both accusations", async () => {
    const { state } = ids[0]!;
    // Oracle 2 was in the same session: its accusation, pushed to oracle 3 and held by itself.
    for (const to of [3, 2]) expect((await accuse(0, first, 2, to)).applied).toBe(true);
    for (const o of cluster.oracles.slice(1)) {
      expect(await statusOn(o, state.identityId)).toBe('revoked');
      const r = await call(o.admin, o.admin.GetRevocation, { identityId: state.identityId }, 2_000);
      expect(r.reason).toBe('ecdsa-abort');
      const alerts = await alertsOn(o, state.identityId, 2);
      expect(alerts.map((a) => a.type)).toEqual(['identity.suspended', 'identity.ecdsa_aborted']);
      expect(alerts[1]!.id).toBe(r.digest);
      await expectRejected(
        getNonces(clients[o.id - 1]!, noncesRequest(state, o.id, { counter: 1 })),
        Status.PERMISSION_DENIED,
        'IDENTITY_REVOKED',
      );
    }
    // Both oracles report the same revocation id (over both accusations' digests).
    const digests = await Promise.all(
      cluster.oracles
        .slice(1)
        .map((o) => call(o.admin, o.admin.GetRevocation, { identityId: state.identityId }, 2_000)),
    );
    expect(digests[0]!.digest).toBe(digests[1]!.digest);
  });

  it("the agent's own abort claim revokes a suspended identity (and one nothing was held for)", async () => {
    const { state } = ids[1]!;
    const s = await session(1, [2, 3]);
    for (const to of [1, 2]) expect((await accuse(1, s, 3, to)).applied).toBe(true);
    for (const o of cluster.oracles.slice(0, 2)) expect(await statusOn(o, state.identityId)).toBe('active');
    // The agent reports its own abort of that session, as agent/ecdsa-abort.ts sendAbort does.
    const req = { identityId: state.identityId, step: stepToWire(s.step), abort: claim(1, s, 0, 3) };
    // The first oracle revokes on the report and answers so; it tells its peers at once, so the
    // others may hold the revocation before the report reaches them: then they refuse it as every
    // request for a revoked identity is refused (the agent counts both as held).
    const first = await call(clients[0]!.signer, clients[0]!.signer.ReportAbort, req, 3_000);
    expect(first.revoked).toBe(true);
    for (const c of clients.slice(1)) {
      const ack = await call(c.signer, c.signer.ReportAbort, req, 3_000).then(
        (res) => res.revoked,
        (e: unknown) => errorCodeOf(e) === 'IDENTITY_REVOKED',
      );
      expect(ack, `oracle ${c.nodeId}`).toBe(true);
    }
    for (const o of cluster.oracles) {
      expect(await statusOn(o, state.identityId)).toBe('revoked');
      const r = await call(o.admin, o.admin.GetRevocation, { identityId: state.identityId }, 2_000);
      expect(JSON.parse(r.evidenceJson)).toMatchObject({ abort: { accuser: 0, culprit: 3 } });
      expect(r.digest).toBe(Buffer.from(first.evidenceDigest).toString('base64url'));
    }
    // Reported again, it is refused as every request for a revoked identity is.
    await expectRejected(
      call(clients[0]!.signer, clients[0]!.signer.ReportAbort, req, 3_000),
      Status.PERMISSION_DENIED,
      'IDENTITY_REVOKED',
    );
    // An agent that predates ReportAbort reports on EcdsaRound (round 0) and gets IDENTITY_REVOKED.
    await expectRejected(
      call(
        clients[1]!.signer,
        clients[1]!.signer.EcdsaRound,
        { ...req, session: Buffer.from(stepDigest(s.step.step)), round: 0, envelopes: [] },
        3_000,
      ),
      Status.PERMISSION_DENIED,
      'IDENTITY_REVOKED',
    );
  });
});
