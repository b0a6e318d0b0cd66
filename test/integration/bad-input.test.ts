/**
 * Hostile input to a LIVE cluster (real oracle processes, real LevelDB, a real enrolled agent).
 *
 * A hostile client holding the agent's real session key speaks the real protocol and changes one
 * thing at a time. Every bad request must get a gRPC error with the right status and mpcid code,
 * no oracle may crash, and no bad request may change what the oracles store: their LevelDBs are
 * read (with the oracles stopped) before and after all the cases and must be identical.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, connectOracles, type OracleClient } from '../../agent/oracles.js';
import { type AgentState, readState, STATE_FILE } from '../../agent/state.js';
import { call, MAX_MESSAGE_BYTES } from '../../common/grpc.js';
import { issueJoinToken, type JoinTokenClaims, parseJoinToken } from '../../common/jointoken.js';
import { readNodeKey } from '../../common/keys.js';
import { DOMAINS } from '../../common/protocol.js';
import { toB64u } from '../../crypto/bytes.js';
import type { NonceCommitment, Round1Package } from '../../crypto/frost.js';
import type { Secret } from '../../crypto/secret.js';
import { signStatement } from '../../crypto/statement.js';
import type { CreateJoinTokenResponse__Output } from '../../proto/gen/mpcid/admin/v1/CreateJoinTokenResponse.js';
import type { BeginEnrollmentResponse__Output } from '../../proto/gen/mpcid/oracle/v1/BeginEnrollmentResponse.js';
import { type AgentProc, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';
import {
  agentCommitments,
  type BeginParts,
  badPoints,
  begin,
  beginParts,
  beginRequest,
  cosign,
  DEADLINE_MS,
  expectMpcidError,
  expectRejected,
  fetchNonce,
  getNonces,
  isValidElement,
  newSessionKey,
  noncesRequest,
  randomIdentityId,
  randomPoint,
  readLevel,
  Status,
  type StatusCode,
  sign,
  signRequest,
  unlimitedSigner,
} from '../helpers/hostile.js';

const NAME = 'spiffe://test.mpcid/ns/default/sa/bad-input';
const BAD_POINTS = badPoints();

function nodeVerify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: toB64u(publicKey) },
    format: 'jwk',
  });
  return verify(null, msg, key, sig);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Snapshot = Record<number, [string, unknown][]>;

/** Stops every oracle gracefully, reads each LevelDB, and starts them again. */
async function snapshotOracles(cluster: TestCluster): Promise<Snapshot> {
  await Promise.all(cluster.oracles.map((o) => o.kill('SIGTERM')));
  const out: Snapshot = {};
  for (const o of cluster.oracles) {
    // A graceful stop (SIGTERM handled, store closed) exits 0; a SIGKILL escalation would not.
    expect(o.proc?.exitCode, `oracle ${o.id} exit code`).toBe(0);
    out[o.id] = await readLevel(o.config.dataDir);
  }
  await Promise.all(cluster.oracles.map((o) => o.start()));
  return out;
}

describe('bad input to a live 2-of-3 cluster', () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let stateDir: string;
  let state: AgentState;
  let clients: OracleClient[];
  let maxSignBytes: number;
  /** Join tokens: used by the enrollment above, short-lived, never used, being used by agent A. */
  let usedToken: string;
  let expired: CreateJoinTokenResponse__Output;
  let freshToken: string;
  let pendingToken: string;
  let before: Snapshot;
  let stateFileBefore: Buffer;
  /** Oracle 1's node key (read from its key file) to mint valid tokens without CreateJoinToken. */
  let nodeKey: Secret;

  beforeAll(async () => {
    cluster = await startCluster(3, 2);
    maxSignBytes = cluster.oracles[0]!.config.limits.maxSignBytes;
    // Everything that legitimately changes stored state happens before the first snapshot:
    // issuing tokens, and one real enrollment (what cluster.enroll does, keeping the token).
    usedToken = await cluster.createToken(NAME);
    expired = await call(
      cluster.admin,
      cluster.admin.CreateJoinToken,
      { name: 'spiffe://test.mpcid/expires-soon', ttlSeconds: 1 },
      5000,
    );
    freshToken = await cluster.createToken('spiffe://test.mpcid/never-used');
    pendingToken = await cluster.createToken('spiffe://test.mpcid/being-enrolled');
    stateDir = join(mkdtempSync(join(cluster.dir, 'agent-')), 'state');
    const r = await mpcid(['agent', 'enroll', '--token', usedToken, '--state', stateDir]);
    if (r.code !== 0) throw new Error(`enroll failed: ${r.stderr}`);
    state = readState(stateDir);
    stateFileBefore = readFileSync(join(stateDir, STATE_FILE));
    agent = await cluster.startAgent(stateDir);
    clients = connectOracles(state.cluster);
    nodeKey = readNodeKey(cluster.oracles[0]!.config.nodeKeyFile).seed;
    before = await snapshotOracles(cluster);
  });

  /**
   * A join token like freshToken's (same cluster and name) with a new id, signed by `key`. With
   * oracle 1's real node key it is valid and recorded nowhere, so it costs no stored state.
   */
  function forged(change: (claims: JoinTokenClaims) => JoinTokenClaims, key = newSessionKey().key) {
    const { claims } = parseJoinToken(freshToken);
    const now = Date.now();
    return issueJoinToken(
      change({ ...claims, jti: toB64u(new Uint8Array(randomBytes(16))), iat: now, exp: now + 600_000 }),
      key,
    );
  }

  afterEach(() => {
    // No case may take an oracle down.
    for (const o of cluster?.oracles ?? []) expect(o.running, `oracle ${o.id} is running`).toBe(true);
  });

  afterAll(async () => {
    if (clients) closeOracles(clients);
    await cluster?.stop();
  });

  it('the snapshot holds the enrolled identity and every issued token', () => {
    const used = parseJoinToken(usedToken).claims.jti;
    for (const o of cluster.oracles) {
      const db = new Map(before[o.id]);
      expect(db.get('meta')).toMatchObject({ nodeId: o.id, clusterId: 'test' });
      expect(db.get(`identity!${state.identityId}`)).toMatchObject({ name: NAME, participant: o.id });
      expect(db.get(`token!${used}`)).toMatchObject({ state: 'used', identityId: state.identityId });
    }
    // Tokens are recorded by the oracle that issued them (oracle 1) until they are used.
    const db1 = new Map(before[1]);
    for (const t of [expired.token, freshToken, pendingToken]) {
      expect(db1.get(`token!${parseJoinToken(t).claims.jti}`)).toMatchObject({ state: 'issued' });
    }
  });

  it('the invalid group elements are what their labels say (checked with @noble/curves)', () => {
    for (const p of BAD_POINTS) expect(isValidElement(p.bytes), p.label).toBe(false);
    expect(isValidElement(randomPoint())).toBe(true);
  });

  describe('join tokens (BeginEnrollment)', () => {
    /** A fully valid request for every oracle, except for the token under test. */
    async function expectBeginRefused(
      parts: BeginParts,
      code: 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'TOKEN_USED',
    ) {
      await Promise.all(
        clients.map((c) => expectRejected(begin(c, beginRequest(parts)), Status.PERMISSION_DENIED, code)),
      );
    }

    it('an expired token: PERMISSION_DENIED / TOKEN_EXPIRED', async () => {
      await sleep(Math.max(0, expired.expiresAt - Date.now() + 200));
      await expectBeginRefused(beginParts(expired.token), 'TOKEN_EXPIRED');
    });

    it.each([
      ['an empty string', ''],
      ['a garbage string', 'this is not a token'],
      ['the right prefix and garbage', 'mpcid-jt1.garbage.garbage'],
      ['four parts', 'mpcid-jt1.e30.AAAA.AAAA'],
      ['an oversized token', `mpcid-jt1.${'A'.repeat(9000)}.AAAA`],
    ])('%s: PERMISSION_DENIED / TOKEN_INVALID', async (_label, garbage) => {
      const parts = beginParts(freshToken);
      await Promise.all(
        clients.map((c) =>
          expectRejected(
            begin(c, beginRequest(parts, { joinToken: garbage })),
            Status.PERMISSION_DENIED,
            'TOKEN_INVALID',
          ),
        ),
      );
    });

    it('a well-formed token signed by a key outside the cluster: TOKEN_INVALID', async () => {
      await expectBeginRefused(beginParts(forged((c) => c)), 'TOKEN_INVALID');
    });

    it('a token claiming an issuer that is not a member: TOKEN_INVALID', async () => {
      await expectBeginRefused(beginParts(forged((c) => ({ ...c, iss: 9 }))), 'TOKEN_INVALID');
    });

    it('a token signed by a real node key but naming another issuer or another cluster: TOKEN_INVALID', async () => {
      const attacker = toB64u(newSessionKey().publicKey);
      // Positive control: the same forging path with the real key and honest claims is accepted.
      const honest = forged((c) => c, nodeKey);
      const ok = await begin(clients[0]!, beginRequest(beginParts(honest)));
      expect(ok.round1?.nodeId).toBe(1);
      await expectBeginRefused(beginParts(forged((c) => ({ ...c, iss: 2 }), nodeKey)), 'TOKEN_INVALID');
      await expectBeginRefused(
        beginParts(forged((c) => ({ ...c, cluster: { ...c.cluster, id: 'other' } }), nodeKey)),
        'TOKEN_INVALID',
      );
      // The cluster description with oracle 2's key replaced by an attacker's key.
      await expectBeginRefused(
        beginParts(
          forged(
            (c) => ({
              ...c,
              cluster: {
                ...c.cluster,
                oracles: c.cluster.oracles.map((o) => (o.id === 2 ? { ...o, publicKey: attacker } : o)),
              },
            }),
            nodeKey,
          ),
        ),
        'TOKEN_INVALID',
      );
    });

    it('a real token with one payload character changed: TOKEN_INVALID', async () => {
      const [prefix, payload, sig] = freshToken.split('.') as [string, string, string];
      const json = Buffer.from(payload, 'base64url').toString('utf8');
      const claims = JSON.parse(json) as JoinTokenClaims;
      // One character of the name, and one digit of the expiry (a longer life), re-encoded.
      const renamed = json.replace(claims.name, `${claims.name.slice(0, -1)}X`);
      const exp = String(claims.exp);
      const extended = json.replace(`"exp":${exp}`, `"exp":${Number(exp[0]) + 1}${exp.slice(1)}`);
      for (const changed of [renamed, extended]) {
        expect(changed).not.toBe(json);
        expect(changed.length).toBe(json.length);
        const token = `${prefix}.${Buffer.from(changed).toString('base64url')}.${sig}`;
        await expectBeginRefused(beginParts(token), 'TOKEN_INVALID');
      }
      // A raw base64url character changed in the middle of the payload.
      const i = Math.floor(payload.length / 2);
      const raw = `${prefix}.${payload.slice(0, i)}${payload[i] === 'A' ? 'B' : 'A'}${payload.slice(i + 1)}.${sig}`;
      const parts = beginParts(freshToken);
      await Promise.all(
        clients.map((c) =>
          expectRejected(
            begin(c, beginRequest(parts, { joinToken: raw })),
            Status.PERMISSION_DENIED,
            'TOKEN_INVALID',
          ),
        ),
      );
    });

    it('a token already used for a successful enrollment: TOKEN_USED', async () => {
      await expectBeginRefused(beginParts(usedToken), 'TOKEN_USED');
    });

    let agentA: BeginParts;
    let begunA: BeginEnrollmentResponse__Output[];
    it("a token in the middle of another agent's enrollment: TOKEN_USED", async () => {
      agentA = beginParts(pendingToken);
      // Agent A's valid BeginEnrollment is accepted by every oracle (the request builder works).
      begunA = await Promise.all(clients.map((c) => begin(c, beginRequest(agentA))));
      expect(begunA.map((r) => r.round1?.nodeId)).toEqual([1, 2, 3]);
      // Agent B, with its own session key, is refused.
      await expectBeginRefused(beginParts(pendingToken), 'TOKEN_USED');
      // A's retry still gets the same answer: B did not disturb A's enrollment.
      const retry = await Promise.all(clients.map((c) => begin(c, beginRequest(agentA))));
      expect(retry).toEqual(begunA);
    });

    it.each([
      ['an expired token', 'TOKEN_EXPIRED', () => expired.token],
      ['a garbage token', 'TOKEN_INVALID', () => 'garbage'],
      ['a token signed outside the cluster', 'TOKEN_INVALID', () => forged((c) => c)],
      ['a used token', 'TOKEN_USED', () => usedToken],
      ['a token being used by another agent', 'TOKEN_USED', () => pendingToken],
    ])('mpcid agent enroll with %s exits 1 with %s and writes no state', async (_label, code, token) => {
      const dir = join(mkdtempSync(join(cluster.dir, 'bad-enroll-')), 'state');
      const r = await mpcid(['agent', 'enroll', '--token', token(), '--state', dir], { timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${code}:`);
      expect(r.stdout).toBe('');
      expect(existsSync(join(dir, STATE_FILE))).toBe(false);
    });

    describe('enrollment messages', () => {
      async function expectBadBegin(
        req: (p: BeginParts) => ReturnType<typeof beginRequest>,
        status: StatusCode,
        code: Parameters<typeof expectRejected>[2],
      ) {
        // A fresh agent (session key, DKG round-1) with a valid token of its own, so that one
        // wrongly accepted request cannot turn the following cases into TOKEN_USED.
        const parts = beginParts(forged((c) => c, nodeKey));
        await Promise.all(clients.map((c) => expectRejected(begin(c, req(parts)), status, code)));
      }

      function withPackages(p: BeginParts, f: (pkgs: Round1Package[]) => Round1Package[]) {
        return beginRequest(p, { round1: f(p.round1.map((x) => ({ ...x, commitment: [...x.commitment] }))) });
      }

      it.each(BAD_POINTS.map((b, i) => ({ ...b, i })))(
        'a commitment point that is $label: INVALID_ARGUMENT / $code',
        async ({ bytes, code, i }) => {
          await expectBadBegin(
            (p) =>
              withPackages(p, (pkgs) => {
                const pkg = pkgs[i % pkgs.length]!;
                const commitment = [...pkg.commitment];
                commitment[i % commitment.length] = bytes;
                pkgs[i % pkgs.length] = { ...pkg, commitment };
                return pkgs;
              }),
            Status.INVALID_ARGUMENT,
            code,
          );
        },
      );

      it.each([0, 1, 3])('%i round-1 packages instead of 2: BAD_LENGTH', async (count) => {
        await expectBadBegin(
          (p) =>
            withPackages(p, (pkgs) =>
              Array.from({ length: count }, (_, i) => ({ ...pkgs[i % 2]!, participant: 4 + i })),
            ),
          Status.INVALID_ARGUMENT,
          'BAD_LENGTH',
        );
      });

      it.each([
        ['one commitment too few', -1],
        ['one commitment too many', 1],
      ])('a package with %s: BAD_LENGTH', async (_label, delta) => {
        await expectBadBegin(
          (p) =>
            withPackages(p, (pkgs) => {
              const c = pkgs[0]!.commitment;
              pkgs[0] = {
                ...pkgs[0]!,
                commitment: delta < 0 ? c.slice(0, p.as.threshold - 1) : [...c, randomPoint()],
              };
              return pkgs;
            }),
          Status.INVALID_ARGUMENT,
          'BAD_LENGTH',
        );
      });

      it.each([
        ['swapped (5, 4)', [5, 4]],
        ['repeated (4, 4)', [4, 4]],
        ['an oracle index (1, 5)', [1, 5]],
        ['zero (0, 5)', [0, 5]],
        ['beyond N (4, 6)', [4, 6]],
        ['2^32 - 1', [4, 2 ** 32 - 1]],
      ])('participant indices %s: BAD_PARTICIPANT', async (_label, indices) => {
        await expectBadBegin(
          (p) => withPackages(p, (pkgs) => pkgs.map((x, i) => ({ ...x, participant: indices[i]! }))),
          Status.INVALID_ARGUMENT,
          'BAD_PARTICIPANT',
        );
      });

      it('a proof of knowledge of the wrong length or with S >= L: BAD_LENGTH / MALFORMED_SCALAR', async () => {
        await expectBadBegin(
          (p) =>
            withPackages(p, (pkgs) => {
              pkgs[1] = { ...pkgs[1]!, proofOfKnowledge: pkgs[1]!.proofOfKnowledge.slice(0, 63) };
              return pkgs;
            }),
          Status.INVALID_ARGUMENT,
          'BAD_LENGTH',
        );
        await expectBadBegin(
          (p) =>
            withPackages(p, (pkgs) => {
              const pok = Uint8Array.from(pkgs[0]!.proofOfKnowledge);
              pok.fill(0xff, 32); // S = 2^256 - 1 (top bit included): far above the group order
              pkgs[0] = { ...pkgs[0]!, proofOfKnowledge: pok };
              return pkgs;
            }),
          Status.INVALID_ARGUMENT,
          'MALFORMED_SCALAR',
        );
      });

      it('a bad session signature: PERMISSION_DENIED / SESSION_AUTH_FAILED', async () => {
        const auth = [Status.PERMISSION_DENIED, 'SESSION_AUTH_FAILED'] as const;
        // Signed by another key.
        await expectBadBegin((p) => beginRequest(p, { signWith: newSessionKey().key }), ...auth);
        // One bit of a valid signature flipped (in R, so S stays canonical).
        await expectBadBegin(
          (p) => {
            const r = beginRequest(p);
            const sig = Buffer.from(r.sessionSignature as Buffer);
            sig[3]! ^= 0x10;
            return { ...r, sessionSignature: sig };
          },
          ...auth,
        );
        // Signed over another box key than the one sent.
        await expectBadBegin(
          (p) => ({ ...beginRequest(p), agentBoxPublicKey: Buffer.from(randomBytes(32)) }),
          ...auth,
        );
        // A valid signature by the session key, but in another domain (a nonce request).
        await expectBadBegin(
          (p) =>
            beginRequest(p, { signature: signStatement(p.session.key, DOMAINS.nonceRequest, p.context) }),
          ...auth,
        );
        // Missing or truncated.
        await expectBadBegin(
          (p) => beginRequest(p, { signature: new Uint8Array(0) }),
          Status.INVALID_ARGUMENT,
          'BAD_LENGTH',
        );
      });

      it('a malformed session or box public key: BAD_LENGTH / MALFORMED_POINT', async () => {
        await expectBadBegin(
          (p) => beginRequest(p, { sessionPublicKey: p.session.publicKey.slice(0, 31) }),
          Status.INVALID_ARGUMENT,
          'BAD_LENGTH',
        );
        for (const b of BAD_POINTS.filter((x) => x.code === 'MALFORMED_POINT').slice(0, 3)) {
          await expectBadBegin(
            (p) => beginRequest(p, { sessionPublicKey: b.bytes }),
            Status.INVALID_ARGUMENT,
            'MALFORMED_POINT',
          );
        }
        await expectBadBegin(
          (p) => beginRequest(p, { box: new Uint8Array(33) }),
          Status.INVALID_ARGUMENT,
          'BAD_LENGTH',
        );
      });

      const unknownTokenId = () => toB64u(new Uint8Array(randomBytes(16)));

      it('ExchangeShares / FinishEnrollment for an unknown token id: NOT_FOUND / UNKNOWN_ENROLLMENT', async () => {
        await Promise.all(
          clients.flatMap((c) => [
            expectRejected(
              call(
                c.enrollment,
                c.enrollment.ExchangeShares,
                { tokenId: unknownTokenId(), oracleRound1: begunA.map((r) => r.round1!) },
                DEADLINE_MS,
              ),
              Status.NOT_FOUND,
              'UNKNOWN_ENROLLMENT',
            ),
            expectRejected(
              call(c.enrollment, c.enrollment.FinishEnrollment, { tokenId: unknownTokenId() }, DEADLINE_MS),
              Status.NOT_FOUND,
              'UNKNOWN_ENROLLMENT',
            ),
            // The used token's enrollment is over (and the oracles restarted since).
            expectRejected(
              call(
                c.enrollment,
                c.enrollment.FinishEnrollment,
                { tokenId: parseJoinToken(usedToken).claims.jti },
                DEADLINE_MS,
              ),
              Status.NOT_FOUND,
              'UNKNOWN_ENROLLMENT',
            ),
          ]),
        );
      });

      it.each([
        ['empty', ''],
        ['too short', 'abc'],
        ['23 characters', `${unknownTokenId()}A`],
        ['outside base64url', `${unknownTokenId().slice(0, 21)}.`],
      ])('a malformed token id (%s): INVALID_ARGUMENT / MALFORMED_INPUT', async (_label, tokenId) => {
        const c = clients[0]!;
        await expectRejected(
          call(c.enrollment, c.enrollment.ExchangeShares, { tokenId }, DEADLINE_MS),
          Status.INVALID_ARGUMENT,
          'MALFORMED_INPUT',
        );
        await expectRejected(
          call(c.enrollment, c.enrollment.FinishEnrollment, { tokenId }, DEADLINE_MS),
          Status.INVALID_ARGUMENT,
          'MALFORMED_INPUT',
        );
      });

      it('bad ExchangeShares for a real enrollment are refused and leave it where it was', async () => {
        const tokenId = agentA.claims.jti;
        const round1 = begunA.map((r) => r.round1!);
        const exchange = (c: OracleClient, oracleRound1: typeof round1) =>
          call(c.enrollment, c.enrollment.ExchangeShares, { tokenId, oracleRound1 }, DEADLINE_MS);
        await Promise.all(
          clients.flatMap((c) => [
            expectRejected(exchange(c, round1.slice(0, 2)), Status.INVALID_ARGUMENT, 'BAD_LENGTH'),
            expectRejected(
              exchange(c, [round1[0]!, round1[0]!, round1[2]!]),
              Status.INVALID_ARGUMENT,
              'BAD_PARTICIPANT',
            ),
            // Oracle 2's round-1 with another box key: its node signature no longer verifies.
            expectRejected(
              exchange(c, [
                round1[0]!,
                { ...round1[1]!, boxPublicKey: Buffer.from(randomBytes(32)) },
                round1[2]!,
              ]),
              Status.FAILED_PRECONDITION,
              'DKG_FAILED',
            ),
            // Right round-1 set, but no sealed shares from the agent.
            expectRejected(exchange(c, round1), Status.INVALID_ARGUMENT, 'BAD_LENGTH'),
          ]),
        );
      });

      it('FinishEnrollment before ExchangeShares: FAILED_PRECONDITION / ENROLLMENT_STATE', async () => {
        await Promise.all(
          clients.map((c) =>
            expectRejected(
              call(c.enrollment, c.enrollment.FinishEnrollment, { tokenId: agentA.claims.jti }, DEADLINE_MS),
              Status.FAILED_PRECONDITION,
              'ENROLLMENT_STATE',
            ),
          ),
        );
        // Agent A's enrollment is still in its first step: its retry gets the same round-1.
        const retry = await Promise.all(clients.map((c) => begin(c, beginRequest(agentA))));
        expect(retry).toEqual(begunA);
      });
    });
  });

  describe('signer', () => {
    /** A commitment list for `participants` with fresh random points (no oracle issued them). */
    function listFor(participants: number[]): NonceCommitment[] {
      return participants.map((participant) => ({
        participant,
        hiding: randomPoint(),
        binding: randomPoint(),
      }));
    }

    it('positive control: the hostile client co-signs a maxSignBytes message; replaying the request is UNKNOWN_NONCE', async () => {
      const message = new Uint8Array(randomBytes(maxSignBytes));
      const { signature, request } = await cosign([clients[0]!, clients[1]!], state, message);
      expect(nodeVerify(state.group.groupPublicKey, message, signature)).toBe(true);
      // The very same bytes again: the nonces were used, so the oracles refuse (single use).
      await Promise.all(
        [clients[0]!, clients[1]!].map((c) =>
          expectRejected(sign(c, request), Status.NOT_FOUND, 'UNKNOWN_NONCE'),
        ),
      );
    });

    it('GetNonces / Sign for an unknown identity: NOT_FOUND / UNKNOWN_IDENTITY', async () => {
      const identityId = randomIdentityId();
      const list = [...listFor([1, 2]), ...agentCommitments(state).commitments];
      await Promise.all(
        clients.flatMap((c) => [
          expectRejected(
            getNonces(c, noncesRequest(state, { identityId })),
            Status.NOT_FOUND,
            'UNKNOWN_IDENTITY',
          ),
          expectRejected(
            sign(c, signRequest(state, new Uint8Array(8), list, { identityId })),
            Status.NOT_FOUND,
            'UNKNOWN_IDENTITY',
          ),
        ]),
      );
    });

    it.each([
      ['empty', ''],
      ['short', 'not-an-identity'],
      ['44 characters', `${randomIdentityId()}A`],
      ['outside base64url', `${randomIdentityId().slice(0, 42)}+`],
      ['a path', '../../../../etc/passwd'],
      ['a LevelDB key prefix', 'token!'],
    ])('a malformed identity id (%s): INVALID_ARGUMENT / MALFORMED_INPUT', async (_label, identityId) => {
      const c = clients[0]!;
      const list = [...listFor([1, 2]), ...agentCommitments(state).commitments];
      await expectRejected(
        getNonces(c, noncesRequest(state, { identityId })),
        Status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
      await expectRejected(
        sign(c, signRequest(state, new Uint8Array(8), list, { identityId })),
        Status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
    });

    it.each([0, 15, 17, 64])('a request_id of %i bytes: INVALID_ARGUMENT / BAD_LENGTH', async (len) => {
      const c = clients[1]!;
      const rid = new Uint8Array(randomBytes(len));
      const list = [...listFor([1, 2]), ...agentCommitments(state).commitments];
      await expectRejected(
        getNonces(c, noncesRequest(state, { requestId: rid })),
        Status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
      await expectRejected(
        sign(c, signRequest(state, new Uint8Array(8), list, { requestId: rid })),
        Status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
    });

    it('GetNonces with a count outside 1..noncesPerIdentity: INVALID_ARGUMENT / MALFORMED_INPUT', async () => {
      const max = cluster.oracles[0]!.config.limits.noncesPerIdentity;
      for (const count of [0, max + 1, 2 ** 32 - 1]) {
        await expectRejected(
          getNonces(clients[2]!, noncesRequest(state, { count })),
          Status.INVALID_ARGUMENT,
          'MALFORMED_INPUT',
        );
      }
    });

    it('GetNonces signed with another key or over other fields: PERMISSION_DENIED / SESSION_AUTH_FAILED', async () => {
      for (const c of clients) {
        await expectRejected(
          getNonces(c, noncesRequest(state, { signWith: newSessionKey().key })),
          Status.PERMISSION_DENIED,
          'SESSION_AUTH_FAILED',
        );
        await expectRejected(
          getNonces(c, noncesRequest(state, { count: 2, signedCount: 1 })),
          Status.PERMISSION_DENIED,
          'SESSION_AUTH_FAILED',
        );
      }
    });

    it.each(BAD_POINTS.map((b, i) => ({ ...b, i })))(
      'a Sign commitment that is $label: INVALID_ARGUMENT / $code',
      async ({ bytes, code, i }) => {
        const list = listFor([1, 2, 4, 5]);
        // Rotate through the oracle's own and the other participants' hiding and binding points.
        const j = i % list.length;
        list[j] = i % 2 === 0 ? { ...list[j]!, hiding: bytes } : { ...list[j]!, binding: bytes };
        await expectRejected(
          sign(clients[0]!, signRequest(state, new Uint8Array(8), list)),
          Status.INVALID_ARGUMENT,
          code,
        );
      },
    );

    it.each([
      ['missing an agent participant', [1, 2, 4]],
      ['t - 1 oracles', [1, 4, 5]],
      ['t + 1 oracles', [1, 2, 3, 4, 5]],
      ['a duplicate oracle', [1, 1, 4, 5]],
      ['a duplicate agent participant', [1, 2, 4, 4, 5]],
      ['participant 0', [0, 1, 4, 5]],
      ['a participant beyond N', [1, 2, 4, 5, 6]],
      ['without the oracle it is sent to', [2, 3, 4, 5]],
      ['nothing at all', []],
    ])('a signing set %s: INVALID_ARGUMENT / BAD_PARTICIPANT', async (_label, participants) => {
      await expectRejected(
        sign(clients[0]!, signRequest(state, new Uint8Array(8), listFor(participants))),
        Status.INVALID_ARGUMENT,
        'BAD_PARTICIPANT',
      );
    });

    it('a validly signed Sign with a nonce commitment the oracle never issued: NOT_FOUND / UNKNOWN_NONCE', async () => {
      await Promise.all(
        clients.map((c) => {
          const others = [1, 2, 3].filter((x) => x !== c.nodeId).slice(0, 1);
          const list = [...listFor([c.nodeId, ...others]), ...agentCommitments(state).commitments];
          return expectRejected(
            sign(c, signRequest(state, new Uint8Array(8), list)),
            Status.NOT_FOUND,
            'UNKNOWN_NONCE',
          );
        }),
      );
      // A commitment oracle 2 really issued, presented to oracle 1 as oracle 1's own.
      const issued = await fetchNonce(clients[1]!, state);
      const list = [{ ...issued, participant: 1 }, ...listFor([2]), ...agentCommitments(state).commitments];
      await expectRejected(
        sign(clients[0]!, signRequest(state, new Uint8Array(8), list)),
        Status.NOT_FOUND,
        'UNKNOWN_NONCE',
      );
    });

    it('a Sign not signed by the session key is refused and does not burn the nonce', async () => {
      const [c1, c2] = [clients[0]!, clients[1]!];
      const message = new Uint8Array(randomBytes(100));
      const oracle = await Promise.all([fetchNonce(c1, state), fetchNonce(c2, state)]);
      const agentNonces = agentCommitments(state);
      const list = [...oracle, ...agentNonces.commitments];
      const auth = [Status.PERMISSION_DENIED, 'SESSION_AUTH_FAILED'] as const;
      await expectRejected(
        sign(c1, signRequest(state, message, list, { signWith: newSessionKey().key })),
        ...auth,
      );
      await expectRejected(
        sign(c1, signRequest(state, message, list, { signedMessage: new Uint8Array(randomBytes(100)) })),
        ...auth,
      );
      await expectRejected(
        sign(c1, signRequest(state, message, list, { signature: new Uint8Array(64) })),
        ...auth, // R = 0 is not a valid point, S = 0: a well-formed but false signature
      );
      // The nonces survived the refused requests: the real request with them is served.
      const req = signRequest(state, message, list);
      const answers = await Promise.all([sign(c1, req), sign(c2, req)]);
      expect(answers.map((a) => a.nodeId)).toEqual([1, 2]);
    });

    it('a message larger than limits.maxSignBytes: INVALID_ARGUMENT / MESSAGE_TOO_LARGE', async () => {
      const message = new Uint8Array(maxSignBytes + 1);
      await Promise.all(
        clients.map((c) =>
          expectRejected(
            sign(
              c,
              signRequest(state, message, [
                ...listFor([c.nodeId, c.nodeId === 1 ? 2 : 1]),
                ...agentCommitments(state).commitments,
              ]),
            ),
            Status.INVALID_ARGUMENT,
            'MESSAGE_TOO_LARGE',
          ),
        ),
      );
    });

    it('a message over the 1 MiB transport limit: RESOURCE_EXHAUSTED (grpc-js), no mpcid code', async () => {
      const big = unlimitedSigner(clients[0]!.address);
      try {
        const list = [...listFor([1, 2]), ...agentCommitments(state).commitments];
        const req = signRequest(state, new Uint8Array(MAX_MESSAGE_BYTES + 1024), list);
        const err = await expectRejected(
          call(big, big.Sign, req, DEADLINE_MS, true),
          Status.RESOURCE_EXHAUSTED,
          undefined,
        );
        expect(err.details).toMatch(/larger than max/);
      } finally {
        big.close();
      }
      // The oracle still serves a normal request on a fresh connection.
      await fetchNonce(clients[0]!, state);
    });
  });

  describe('undecodable requests', () => {
    const GARBAGE: [string, Buffer][] = [
      ['an invalid wire type', Buffer.from([0xff, 0xff, 0xff, 0xff])],
      ['an end-group tag without a start', Buffer.from([0x0c])],
      // Field 1 (a string or bytes in every request) whose length prefix is a varint of 11 bytes.
      ['an over-long length prefix', Buffer.from([0x0a, ...Array(10).fill(0x80), 0x01])],
    ];
    const raw = (address: string, path: string, bytes: Buffer) => {
      const client = new grpc.Client(address, grpc.credentials.createInsecure());
      return new Promise<unknown>((resolve, reject) => {
        client.makeUnaryRequest(
          path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          { deadline: Date.now() + DEADLINE_MS },
          (err, res) => {
            client.close();
            if (err) reject(err);
            else resolve(res);
          },
        );
      });
    };

    it.each(GARBAGE)('a request body with %s: INVALID_ARGUMENT / MALFORMED_INPUT', async (_label, bytes) => {
      const agentFacing = [
        '/mpcid.oracle.v1.Enrollment/BeginEnrollment',
        '/mpcid.oracle.v1.Enrollment/ExchangeShares',
        '/mpcid.oracle.v1.Enrollment/FinishEnrollment',
        '/mpcid.oracle.v1.Signer/GetNonces',
        '/mpcid.oracle.v1.Signer/Sign',
      ];
      const admin = ['/mpcid.admin.v1.Admin/CreateJoinToken', '/mpcid.admin.v1.Admin/GetIdentity'];
      await Promise.all(
        cluster.oracles.flatMap((o) => [
          ...agentFacing.map((m) =>
            expectRejected(raw(o.address, m, bytes), Status.INVALID_ARGUMENT, 'MALFORMED_INPUT'),
          ),
          ...admin.map((m) =>
            expectRejected(raw(o.config.adminListen, m, bytes), Status.INVALID_ARGUMENT, 'MALFORMED_INPUT'),
          ),
        ]),
      );
      await expectRejected(
        raw(`unix://${agent.socket}`, '/mpcid.agent.v1.Workload/Sign', bytes),
        Status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
    });

    it('an unknown method: UNIMPLEMENTED (grpc-js), and the oracle keeps serving', async () => {
      await expectRejected(
        raw(clients[0]!.address, '/mpcid.oracle.v1.Signer/SignEverything', Buffer.alloc(0)),
        Status.UNIMPLEMENTED,
        undefined,
      );
      await fetchNonce(clients[0]!, state);
    });
  });

  describe('admin', () => {
    it.each([
      ['with a space', 'spiffe://test.mpcid/has space'],
      ['empty', ''],
      ['of 256 characters', `spiffe://${'a'.repeat(247)}`],
      ['of 300 characters', 'x'.repeat(300)],
      ['with a newline', 'spiffe://test.mpcid/a\nb'],
      ['with non-ASCII characters', 'spiffe://tést.mpcid/web'],
    ])('CreateJoinToken with a name %s: INVALID_ARGUMENT / MALFORMED_INPUT', async (_label, name) => {
      await Promise.all(
        cluster.oracles.map((o) =>
          expectRejected(
            call(o.admin, o.admin.CreateJoinToken, { name, ttlSeconds: 60 }, DEADLINE_MS),
            Status.INVALID_ARGUMENT,
            'MALFORMED_INPUT',
          ),
        ),
      );
    });

    it('CreateJoinToken with a ttl above the maximum: INVALID_ARGUMENT / MALFORMED_INPUT', async () => {
      const max = cluster.oracles[0]!.config.tokens.maxTtlSeconds;
      for (const ttlSeconds of [max + 1, 2 ** 32 - 1]) {
        await expectRejected(
          call(
            cluster.admin,
            cluster.admin.CreateJoinToken,
            { name: 'spiffe://test.mpcid/ttl', ttlSeconds },
            DEADLINE_MS,
          ),
          Status.INVALID_ARGUMENT,
          'MALFORMED_INPUT',
        );
      }
    });

    it('GetIdentity: the enrolled one is found, an unknown one is NOT_FOUND, a malformed one INVALID_ARGUMENT', async () => {
      for (const o of cluster.oracles) {
        const found = await call(o.admin, o.admin.GetIdentity, { identityId: state.identityId }, DEADLINE_MS);
        expect(found.name).toBe(NAME);
        expect(found.publicKey.equals(Buffer.from(state.group.groupPublicKey))).toBe(true);
        await expectRejected(
          call(o.admin, o.admin.GetIdentity, { identityId: randomIdentityId() }, DEADLINE_MS),
          Status.NOT_FOUND,
          'UNKNOWN_IDENTITY',
        );
        await expectRejected(
          call(o.admin, o.admin.GetIdentity, { identityId: 'nope' }, DEADLINE_MS),
          Status.INVALID_ARGUMENT,
          'MALFORMED_INPUT',
        );
        await expectRejected(
          call(o.admin, o.admin.ListIdentities, { pageSize: 10, pageToken: 'token!' }, DEADLINE_MS),
          Status.INVALID_ARGUMENT,
          'MALFORMED_INPUT',
        );
      }
    });
  });

  describe('Workload API (agent)', () => {
    it('a Sign over 64 KiB: INVALID_ARGUMENT / MESSAGE_TOO_LARGE; exactly 64 KiB is signed', async () => {
      await expectRejected(
        agent.sign(new Uint8Array(64 * 1024 + 1)),
        Status.INVALID_ARGUMENT,
        'MESSAGE_TOO_LARGE',
      );
      const message = new Uint8Array(randomBytes(64 * 1024));
      const res = await agent.sign(message);
      expect(nodeVerify(res.publicKey, message, res.signature)).toBe(true);
    });
  });

  describe('agent state file', () => {
    let pristine: string;
    beforeAll(() => {
      pristine = readFileSync(join(stateDir, STATE_FILE), 'utf8');
    });

    function stateDirWith(text: string): string {
      const dir = mkdtempSync(join(cluster.dir, 'corrupt-'));
      writeFileSync(join(dir, STATE_FILE), text, { mode: 0o600 });
      return dir;
    }

    function edit(f: (o: { shares: { signingShare: string }[]; checksum: string }) => void, reseal: boolean) {
      const o = JSON.parse(pristine) as Record<string, unknown> & {
        shares: { signingShare: string }[];
        checksum: string;
      };
      f(o);
      if (reseal) {
        const { checksum: _old, ...body } = o;
        o.checksum = createHash('sha256').update(JSON.stringify(body)).digest('base64url');
      }
      return `${JSON.stringify(o, null, 2)}\n`;
    }

    const flipShare = (o: { shares: { signingShare: string }[] }) => {
      const b = Buffer.from(o.shares[0]!.signingShare, 'base64url');
      b[0]! ^= 0x01;
      o.shares[0]!.signingShare = b.toString('base64url');
    };

    it('positive control: an untouched copy loads, and a resealed but unchanged copy too', () => {
      expect(readState(stateDirWith(pristine)).identityId).toBe(state.identityId);
      expect(edit(() => {}, true)).toBe(pristine);
    });

    it.each([
      ['truncated to half', () => pristine.slice(0, Math.floor(pristine.length / 2))],
      ['truncated by its last 3 bytes', () => pristine.slice(0, -3)],
      ['empty', () => ''],
      ['with a flipped byte in a share', () => edit(flipShare, false)],
      ['with a flipped byte in a share and a matching checksum', () => edit(flipShare, true)],
      [
        'with an edited checksum',
        () =>
          edit((o) => {
            o.checksum = `${o.checksum[0] === 'A' ? 'B' : 'A'}${o.checksum.slice(1)}`;
          }, false),
      ],
    ])('a state file %s: STATE_CORRUPT, and it is never rewritten', async (_label, make) => {
      const text = make();
      expect(text).not.toBe(pristine);
      const dir = stateDirWith(text);
      const file = join(dir, STATE_FILE);
      const mtime = statSync(file).mtimeMs;
      const listing = readdirSync(dir);
      expectMpcidError(() => readState(dir), 'STATE_CORRUPT');
      const r = await mpcid(['agent', 'run', '--state', dir, '--socket', join(dir, 'agent.sock')], {
        timeoutMs: 15_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('STATE_CORRUPT');
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(statSync(file).mtimeMs).toBe(mtime);
      expect(readdirSync(dir)).toEqual(listing);
    });

    it('a missing state file is NOT_READY, not STATE_CORRUPT', () => {
      expectMpcidError(() => readState(mkdtempSync(join(cluster.dir, 'empty-'))), 'NOT_READY');
    });
  });

  it('afterwards: every oracle is running, stored state is unchanged, and the agent still signs', async () => {
    for (const o of cluster.oracles) expect(o.running, `oracle ${o.id}`).toBe(true);
    const after = await snapshotOracles(cluster);
    expect(after).toEqual(before);
    expect(readFileSync(join(stateDir, STATE_FILE)).equals(stateFileBefore)).toBe(true);
    for (const o of cluster.oracles) expect(o.running, `oracle ${o.id} after restart`).toBe(true);
    const message = new Uint8Array(randomBytes(256));
    const res = await agent.sign(message);
    expect(Buffer.from(res.publicKey).equals(Buffer.from(state.group.groupPublicKey))).toBe(true);
    expect(nodeVerify(res.publicKey, message, res.signature)).toBe(true);
    // And the hostile client's co-signing works too: nothing it sent left the oracles unusable.
    const { signature } = await cosign([clients[1]!, clients[2]!], state, message);
    expect(nodeVerify(state.group.groupPublicKey, message, signature)).toBe(true);
    // The token every malformed-token case was built from is still unused and unclaimed.
    const freshParts = beginParts(freshToken);
    const fresh = await Promise.all(clients.map((c) => begin(c, beginRequest(freshParts))));
    expect(fresh.map((r) => r.round1?.nodeId)).toEqual([1, 2, 3]);
  });
});
