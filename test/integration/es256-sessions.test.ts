/**
 * ES256 session limits (oracle/ecdsa.ts, docs/ecdsa.md §7): an identity that opens sessions and
 * never finishes them holds at most `limits.ecdsaSessionsPerIdentity` on an oracle (a new one
 * ends its oldest), so it cannot fill the oracle's table (`limits.maxEcdsaSessions`) and lock the
 * other identities out of ES256; the global cap still refuses with RATE_LIMITED.
 *
 * Oracles 1 and 2: table of 6, 2 per identity (without the per-identity cap the hog's 10 open
 * sessions fill it). Oracle 3: table of 1, 2 per identity (a full table, below the identity cap).
 *
 * Slow suite (tag `slow`): about 35 seconds on two cores (two ES256 enrollments).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, type OracleClient } from '../../agent/oracles.js';
import { type AgentState, readState } from '../../agent/state.js';
import { call, errorInfoOf } from '../../common/grpc.js';
import { ecdsaPayloadDigest } from '../../common/protocol.js';
import { stepDigest } from '../../crypto/ratchet.js';
import { type AgentProc, startCluster, type TestCluster } from '../helpers/cluster.js';
import { Es256Double, nodeVerifyEs256 } from '../helpers/es256.js';
import { connectHostile, expectRejected, HostileRatchet, Status, step } from '../helpers/hostile.js';

const TABLE = 6;
const PER_IDENTITY = 2;

describe('ES256 session limits (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let victim: AgentState;
  let hog: AgentState;
  let hogDir: string;
  let clients: OracleClient[];
  let hogRatchet: HostileRatchet;

  /** An es256 step naming `oracles`, committed by every oracle, whose session is never run. */
  async function openAndAbandon(r: HostileRatchet, oracles: number[]) {
    const message = new Uint8Array(randomBytes(32));
    const signed = r.make('es256', ecdsaPayloadDigest('es256', message, oracles));
    const request = { ...r.request(signed), ecdsa: { message: Buffer.from(message), oracles } };
    await r.commit(clients, { signed, request });
    return stepDigest(signed.step);
  }

  /** A round-2 request for `session` of `state` on oracle `c` (garbage envelopes: no session, no look). */
  function round2(c: OracleClient, state: AgentState, session: Uint8Array) {
    return call(
      c.signer,
      c.signer.EcdsaRound,
      { identityId: state.identityId, session: Buffer.from(session), round: 2, envelopes: [] },
      5_000,
    );
  }

  beforeAll(async () => {
    cluster = await startCluster(3, 2, {
      oracleConfig: (i) => ({
        limits: { maxEcdsaSessions: i === 3 ? 1 : TABLE, ecdsaSessionsPerIdentity: PER_IDENTITY },
      }),
    });
    const [v, h] = await Promise.all([
      cluster.enroll('spiffe://test.mpcid/sessions/victim'),
      cluster.enroll('spiffe://test.mpcid/sessions/hog'),
    ]);
    victim = readState(v.stateDir);
    hog = readState(h.stateDir);
    hogDir = h.stateDir;
    agent = await cluster.startAgent(v.stateDir, undefined, { heartbeatMs: 0 });
    clients = connectHostile(hog.cluster);
  });

  afterAll(async () => {
    if (clients) closeOracles(clients);
    await cluster?.stop();
  });

  it('an identity that never finishes its sessions cannot stop another from ES256 signing', async () => {
    hogRatchet = HostileRatchet.load(hogDir, hog);
    const sessions: Uint8Array[] = [];
    // More open sessions on oracles 1 and 2 than their whole table holds: every step is accepted.
    for (let i = 0; i < TABLE + 4; i++) sessions.push(await openAndAbandon(hogRatchet, [1, 2]));
    // The honest agent of another identity signs ES256, again and again.
    for (let i = 0; i < 3; i++) {
      const message = new Uint8Array(randomBytes(64));
      const res = await call(
        agent.workload,
        agent.workload.Sign,
        { message: Buffer.from(message), alg: 'ES256' },
        20_000,
      );
      expect(res.alg).toBe('ES256');
      expect(nodeVerifyEs256(victim.es256!.publicKey, message, new Uint8Array(res.signature))).toBe(true);
    }
    // The hog's oldest sessions were ended (never resumed); its newest is still there (a round 2
    // without messages is refused for its shape, not as a lost session).
    for (const c of clients.slice(0, 2)) {
      await expectRejected(round2(c, hog, sessions[0]!), Status.FAILED_PRECONDITION, 'ECDSA_SESSION_LOST');
      await expectRejected(round2(c, hog, sessions.at(-1)!), Status.INVALID_ARGUMENT, 'BAD_LENGTH');
    }
    // The hog itself still signs in a fresh session: its cap ends its oldest, never its newest.
    const message = new Uint8Array(randomBytes(32));
    const done = await new Es256Double(hog, hogDir, clients, hogRatchet).sign(message);
    expect(done.error).toBeUndefined();
    expect(nodeVerifyEs256(hog.es256!.publicKey, message, done.signature!)).toBe(true);
  });

  it('the global cap stays: a full table refuses a new session of an identity below its cap (RATE_LIMITED)', async () => {
    const c3 = clients[2]!;
    // Oracle 3's table holds one session: the hog's fills it (the hog is below its cap of 2).
    await openAndAbandon(hogRatchet, [2, 3]);
    const message = new Uint8Array(randomBytes(32));
    const signed = hogRatchet.make('es256', ecdsaPayloadDigest('es256', message, [1, 3]));
    const request = {
      ...hogRatchet.request(signed),
      ecdsa: { message: Buffer.from(message), oracles: [1, 3] },
    };
    const err = await expectRejected(step(c3, request), Status.RESOURCE_EXHAUSTED, 'RATE_LIMITED');
    expect(errorInfoOf(err)!.metadata).toMatchObject({ scope: 'oracle', rpc: 'Step' });
    expect(err.details).toMatch(/too many ECDSA sessions/);
  });
});
