/**
 * Hostile input to a LIVE cluster (real oracle processes, real LevelDB, a real enrolled agent).
 *
 * A hostile client speaks the real protocol and changes one thing at a time. For signing it has
 * an identity of its own (enrolled with the CLI, session key and ratchet read from its state dir,
 * the ratchet then tracked by the client itself): every step an oracle accepts moves that
 * identity's stored ratchet, and an accepted step made with the real agent's session key would
 * look like a second history of the real agent and revoke it. Every bad request must get a gRPC
 * error with the right status and mpcid code, no oracle may crash, and no bad request may change
 * what the oracles store: their LevelDBs are read (with the oracles stopped) before and after all
 * the cases and must be identical, but for the ratchet records of the two identities whose
 * accepted steps move them, and each of those is checked against its owner's own record.
 */

import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, type OracleClient } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { type AgentState, readState, STATE_FILE } from '../../agent/state.js';
import { call, errorCodeOf, MAX_MESSAGE_BYTES } from '../../common/grpc.js';
import { issueJoinToken, type JoinTokenClaims, parseJoinToken } from '../../common/jointoken.js';
import { readNodeKey } from '../../common/keys.js';
import { HEARTBEAT_DIGEST, signPayloadDigest, stepFromJSON, stepToJSON } from '../../common/protocol.js';
import { toB64u } from '../../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
import type { NonceCommitment, Round1Package } from '../../crypto/frost.js';
import { type Commit, headAfter, signCommit, verifyStep } from '../../crypto/ratchet.js';
import type { Secret } from '../../crypto/secret.js';
import { signStatement } from '../../crypto/statement.js';
import type { RatchetRecord } from '../../oracle/records.js';
import type { CreateJoinTokenResponse__Output } from '../../proto/gen/mpcid/admin/v1/CreateJoinTokenResponse.js';
import type { BeginEnrollmentResponse__Output } from '../../proto/gen/mpcid/oracle/v1/BeginEnrollmentResponse.js';
import type { StepRequest } from '../../proto/gen/mpcid/oracle/v1/StepRequest.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  mpcid,
  startCluster,
  type TestCluster,
  testCredentials,
  waitUntil,
} from '../helpers/cluster.js';
import {
  agentCommitments,
  type BeginParts,
  type Built,
  badPoints,
  begin,
  beginParts,
  beginRequest,
  complete,
  connectHostile,
  cosign,
  DEADLINE_MS,
  expectMpcidError,
  expectRejected,
  fetchNonce,
  getNonces,
  HostileRatchet,
  isValidElement,
  newSessionKey,
  noncesRequest,
  randomIdentityId,
  randomPoint,
  readLevel,
  rejection,
  Status,
  type StatusCode,
  sharesOf,
  signDigest,
  signPayloadWire,
  step,
  unlimitedSigner,
} from '../helpers/hostile.js';

const NAME = 'spiffe://test.mpcid/ns/default/sa/bad-input';
const HOSTILE_NAME = 'spiffe://test.mpcid/ns/default/sa/hostile';
const REVOKED_NAME = 'spiffe://test.mpcid/ns/default/sa/revoked';
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

describe('bad input to a live 2-of-3 cluster', { tags: ['slow'] }, () => {
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
  /** The hostile client's own identity, and its record of that identity's ratchet. */
  let hostile: AgentState;
  let ratchet: HostileRatchet;
  /** A throwaway identity, revoked before the first snapshot by two conflicting steps. */
  let revoked: AgentState;
  let revokedRatchet: HostileRatchet;
  let forkError: Awaited<ReturnType<typeof expectRejected>>;

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
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
    // No heartbeats: the real agent's ratchet moves only when a case makes it sign (the Workload
    // API case), so its stored record can be checked against its ratchet.json at the end.
    agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    clients = connectHostile(state.cluster);
    nodeKey = readNodeKey(cluster.oracles[0]!.config.nodeKeyFile).seed;
    // The hostile client's own identity and the throwaway one, enrolled with the CLI.
    const [h, x] = await Promise.all([cluster.enroll(HOSTILE_NAME), cluster.enroll(REVOKED_NAME)]);
    hostile = readState(h.stateDir);
    ratchet = HostileRatchet.load(h.stateDir, hostile);
    revoked = readState(x.stateDir);
    revokedRatchet = HostileRatchet.load(x.stateDir, revoked);
    // Revoke the throwaway identity: oracle 1 accepts a step at counter 1, then sees another
    // step at counter 1 (equivocation), revokes and pushes the revocation to its peers.
    const first = revokedRatchet.heartbeat();
    const committed = revokedRatchet.checkCommit(1, first.signed, await step(clients[0]!, first.request));
    const conflicting = revokedRatchet.heartbeat();
    revokedRatchet.accept(first, [committed]);
    forkError = await expectRejected(
      step(clients[0]!, conflicting.request),
      Status.PERMISSION_DENIED,
      'FORK_DETECTED',
    );
    await Promise.all(
      cluster.oracles.map((o) =>
        waitUntil(`the revocation on oracle ${o.id}`, () =>
          call(o.admin, o.admin.GetRevocation, { identityId: revoked.identityId }, 1000),
        ),
      ),
    );
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

  it('the snapshot holds the hostile identity without a ratchet, and the throwaway identity revoked by a fork', () => {
    const evidence = /evidence ([A-Za-z0-9_-]{43})/.exec(forkError.details)?.[1];
    expect(evidence).toBeDefined();
    for (const o of cluster.oracles) {
      const db = new Map(before[o.id]);
      expect(db.get(`identity!${hostile.identityId}`)).toMatchObject({ name: HOSTILE_NAME });
      expect(db.get(`identity!${revoked.identityId}`)).toMatchObject({ name: REVOKED_NAME });
      // No step of the real agent or of the hostile identity yet: both at genesis.
      expect(db.has(`ratchet!${state.identityId}`), `oracle ${o.id}`).toBe(false);
      expect(db.has(`ratchet!${hostile.identityId}`), `oracle ${o.id}`).toBe(false);
      // Every oracle applied the revocation detected by oracle 1 (its evidence verified).
      expect(db.get(`revocation!${revoked.identityId}`)).toMatchObject({
        digest: evidence,
        reason: 'equivocation',
        detectedBy: 1,
        counter: 1,
      });
    }
    // Only oracle 1 saw the throwaway identity's steps.
    expect(new Map(before[1]).get(`ratchet!${revoked.identityId}`)).toMatchObject({ counter: 1 });
    expect(new Map(before[2]).has(`ratchet!${revoked.identityId}`)).toBe(false);
    expect(new Map(before[3]).has(`ratchet!${revoked.identityId}`)).toBe(false);
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
      // The same session key with other contents (each validly signed) is not answered with what
      // was begun: ENROLLMENT_STATE; the begun enrollment is untouched.
      const other = beginParts(pendingToken, agentA.session);
      for (const req of [
        beginRequest(agentA, { box: other.box }),
        beginRequest(agentA, { round1: other.round1 }),
      ])
        await Promise.all(
          clients.map((c) => expectRejected(begin(c, req), Status.FAILED_PRECONDITION, 'ENROLLMENT_STATE')),
        );
      expect(await Promise.all(clients.map((c) => begin(c, beginRequest(agentA))))).toEqual(begunA);
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
            beginRequest(p, {
              signature: signStatement(p.session.key, STATEMENT_DOMAINS.nonceRequest, p.context),
            }),
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
    // Everything here uses the hostile client's own identity (see the top of the file), and its
    // ratchet as the client tracks it; every step an oracle accepts is sent to all three, so all
    // three stay where the tracked ratchet is.

    /** A commitment list for `participants` with fresh random points (no oracle issued them). */
    function listFor(participants: number[]): NonceCommitment[] {
      return participants.map((participant) => ({
        participant,
        hiding: randomPoint(),
        binding: randomPoint(),
      }));
    }

    /** A sign step over a short message with oracle commitments nobody issued and fresh agent ones. */
    function signStepWith(oracles: number[], o: Parameters<HostileRatchet['sign']>[2] = {}): Built {
      return ratchet.sign(
        new Uint8Array(8),
        [...listFor(oracles), ...agentCommitments(hostile).commitments],
        o,
      );
    }

    /** Sends `req` to every oracle in `targets`; each must refuse it with `status` / `code`. */
    async function expectStepRefused(
      req: StepRequest,
      status: StatusCode,
      code: Parameters<typeof expectRejected>[2],
      targets: readonly OracleClient[] = clients,
    ) {
      await Promise.all(targets.map((c) => expectRejected(step(c, req), status, code)));
    }

    it('positive control: the hostile client co-signs a maxSignBytes message; the same step again gets the same reply; its used nonces in a new step get a commit without a share', async () => {
      const message = new Uint8Array(randomBytes(maxSignBytes));
      const { signature, built, answers } = await cosign(
        [clients[0]!, clients[1]!],
        clients,
        ratchet,
        message,
      );
      expect(nodeVerify(hostile.group.groupPublicKey, message, signature)).toBe(true);
      expect(answers.map((a) => a.signatureShare.length)).toEqual([32, 32, 0]);
      // Each oracle hands out a fresh commitment for next time with a sign step.
      answers.forEach((a, i) => {
        expect(a.next?.participant).toBe(i + 1);
        expect(isValidElement(new Uint8Array(a.next!.hiding))).toBe(true);
      });
      // The very same bytes again (an agent's retry): each oracle replays its stored reply, the
      // same commit and the same share, and its ratchet does not move (the next step below is
      // accepted as the next one).
      const again = await Promise.all(clients.map((c) => step(c, built.request)));
      again.forEach((a, i) => {
        expect(a.commit).toEqual(answers[i]!.commit);
        expect(a.signatureShare.equals(answers[i]!.signatureShare)).toBe(true);
      });
      // The nonces were used (single use): the same message and commitments in a new step are
      // committed, but nobody signs with them again.
      const reuse = ratchet.sign(message, built.sign!.list);
      const res = await ratchet.commit(clients, reuse);
      expect(res.map((a) => a.signatureShare.length)).toEqual([0, 0, 0]);
    });

    it('GetNonces / Step for an unknown identity: NOT_FOUND / UNKNOWN_IDENTITY', async () => {
      const identityId = randomIdentityId();
      await Promise.all(
        clients.flatMap((c) => [
          expectRejected(
            getNonces(c, noncesRequest(hostile, c.nodeId, { identityId })),
            Status.NOT_FOUND,
            'UNKNOWN_IDENTITY',
          ),
          expectRejected(
            step(c, signStepWith([1, 2], { step: { identityId } }).request),
            Status.NOT_FOUND,
            'UNKNOWN_IDENTITY',
          ),
          expectRejected(
            step(c, ratchet.heartbeat({ step: { identityId } }).request),
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
      await expectRejected(
        getNonces(c, noncesRequest(hostile, c.nodeId, { identityId })),
        Status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
      await expectRejected(
        step(c, signStepWith([1, 2], { step: { identityId } }).request),
        Status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
      await expectRejected(
        step(c, ratchet.heartbeat({ step: { identityId } }).request),
        Status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
    });

    it.each([0, 15, 17, 64])('a request_id of %i bytes: INVALID_ARGUMENT / BAD_LENGTH', async (len) => {
      const c = clients[1]!;
      const rid = new Uint8Array(randomBytes(len));
      await expectRejected(
        getNonces(c, noncesRequest(hostile, c.nodeId, { requestId: rid })),
        Status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
      await expectRejected(
        step(c, signStepWith([1, 2], { step: { requestId: rid } }).request),
        Status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
      await expectRejected(
        step(c, ratchet.heartbeat({ step: { requestId: rid } }).request),
        Status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
    });

    it('GetNonces with a count outside 1..noncesPerIdentity: INVALID_ARGUMENT / MALFORMED_INPUT', async () => {
      const max = cluster.oracles[0]!.config.limits.noncesPerIdentity;
      for (const count of [0, max + 1, 2 ** 32 - 1]) {
        await expectRejected(
          getNonces(clients[2]!, noncesRequest(hostile, clients[2]!.nodeId, { count })),
          Status.INVALID_ARGUMENT,
          'MALFORMED_INPUT',
        );
      }
    });

    it('GetNonces signed with another key or over other fields: PERMISSION_DENIED / SESSION_AUTH_FAILED', async () => {
      for (const c of clients) {
        await expectRejected(
          getNonces(c, noncesRequest(hostile, c.nodeId, { signWith: newSessionKey().key })),
          Status.PERMISSION_DENIED,
          'SESSION_AUTH_FAILED',
        );
        await expectRejected(
          getNonces(c, noncesRequest(hostile, c.nodeId, { count: 2, signedCount: 1 })),
          Status.PERMISSION_DENIED,
          'SESSION_AUTH_FAILED',
        );
      }
    });

    describe('step shape', () => {
      it('a StepRequest without a step: INVALID_ARGUMENT / MALFORMED_INPUT', async () => {
        const hb = ratchet.heartbeat();
        await expectStepRefused({}, Status.INVALID_ARGUMENT, 'MALFORMED_INPUT');
        await expectStepRefused({ ...hb.request, step: null }, Status.INVALID_ARGUMENT, 'MALFORMED_INPUT');
        // A sign payload alone is no step either.
        const s = signStepWith([1, 2]);
        await expectStepRefused({ ...s.request, step: null }, Status.INVALID_ARGUMENT, 'MALFORMED_INPUT');
      });

      // Each step is signed by the session key over exactly what is sent: only the field is wrong.
      it.each([
        ['a counter of 0', 'MALFORMED_INPUT', () => ({ counter: 0 })],
        ['a prev_head of 0 bytes', 'BAD_LENGTH', () => ({ prevHead: new Uint8Array(0) })],
        ['a prev_head of 31 bytes', 'BAD_LENGTH', () => ({ prevHead: ratchet.head.slice(0, 31) })],
        [
          'a prev_head of 33 bytes',
          'BAD_LENGTH',
          () => ({ prevHead: Uint8Array.from([...ratchet.head, 0]) }),
        ],
        ['a payload_digest of 0 bytes', 'BAD_LENGTH', () => ({ payloadDigest: new Uint8Array(0) })],
        ['a payload_digest of 31 bytes', 'BAD_LENGTH', () => ({ payloadDigest: HEARTBEAT_DIGEST.slice(1) })],
        [
          'a payload_digest of 33 bytes',
          'BAD_LENGTH',
          () => ({ payloadDigest: Uint8Array.from([...HEARTBEAT_DIGEST, 0]) }),
        ],
        ['an empty kind', 'MALFORMED_INPUT', () => ({ kind: '' })],
        ['the kind "Heartbeat"', 'MALFORMED_INPUT', () => ({ kind: 'Heartbeat' })],
        ['the kind "sign " (a trailing space)', 'MALFORMED_INPUT', () => ({ kind: 'sign ' })],
        ['the kind "revoke"', 'MALFORMED_INPUT', () => ({ kind: 'revoke' })],
      ] as const)('a step with %s: INVALID_ARGUMENT / %s', async (_label, code, fields) => {
        await expectStepRefused(ratchet.heartbeat({ step: fields() }).request, Status.INVALID_ARGUMENT, code);
      });

      // Numbers the signing code cannot even encode: the signature is the honest step's, the
      // shape check comes first anyway.
      it.each([
        ['a counter of 2^53', { counter: 2 ** 53 }],
        ['a counter of 2^64 - 1', { counter: '18446744073709551615' }],
        ['a time of 2^64 - 1', { timeMs: '18446744073709551615' }],
      ])('a step with %s: INVALID_ARGUMENT / MALFORMED_INPUT', async (_label, wire) => {
        const hb = ratchet.heartbeat();
        await expectStepRefused(
          { ...hb.request, step: { ...hb.request.step!, ...wire } },
          Status.INVALID_ARGUMENT,
          'MALFORMED_INPUT',
        );
      });

      it.each([0, 63, 65])('a step signature of %i bytes: INVALID_ARGUMENT / BAD_LENGTH', async (len) => {
        await expectStepRefused(
          ratchet.heartbeat({ signature: new Uint8Array(randomBytes(len)) }).request,
          Status.INVALID_ARGUMENT,
          'BAD_LENGTH',
        );
      });
    });

    it('a step not signed by the session key is refused, changes no state and burns no nonce', async () => {
      const [c1, c2] = [clients[0]!, clients[1]!];
      const message = new Uint8Array(randomBytes(100));
      const oracle = await Promise.all([
        fetchNonce(c1, hostile, ratchet.counter),
        fetchNonce(c2, hostile, ratchet.counter),
      ]);
      const agentNonces = agentCommitments(hostile);
      const list = [...oracle, ...agentNonces.commitments];
      const auth = [Status.PERMISSION_DENIED, 'SESSION_AUTH_FAILED'] as const;
      // Each refused step is another step at the counter the honest one below takes: had any
      // been stored, the honest step would be a second step at that counter (a fork).
      const refused = [
        ratchet.sign(message, list, { signWith: newSessionKey().key }),
        // The real agent's session key signing for the hostile identity.
        ratchet.sign(message, list, { signWith: state.sessionKey }),
        ratchet.sign(message, list, { signed: { payloadDigest: signDigest(new Uint8Array(100), list) } }),
        ratchet.sign(message, list, { signed: { counter: ratchet.counter + 2 } }),
        ratchet.sign(message, list, { signed: { time: 0 } }),
        ratchet.sign(message, list, { signature: new Uint8Array(64) }), // R = 0 is no point, S = 0
        ratchet.heartbeat({ signWith: newSessionKey().key }),
      ];
      // One bit of a valid signature flipped (in R, so S stays canonical).
      const flipped = ratchet.sign(message, list);
      const sig = Buffer.from(flipped.request.step!.signature as Buffer);
      sig[3]! ^= 0x10;
      refused.push({
        ...flipped,
        request: { ...flipped.request, step: { ...flipped.request.step!, signature: sig } },
      });
      for (const r of refused) await expectStepRefused(r.request, ...auth);
      // A step for the real agent's identity signed with the hostile identity's session key.
      await expectStepRefused(ratchet.heartbeat({ step: { identityId: state.identityId } }).request, ...auth);
      // Nothing moved and the nonces survived: the honest step is the next one on every oracle,
      // and oracles 1 and 2 sign it.
      const built = ratchet.sign(message, list);
      const answers = await ratchet.commit(clients, built);
      const shares = sharesOf(clients, answers);
      expect([...shares.keys()]).toEqual([1, 2]);
      const signature = complete(hostile, message, list, agentNonces.nonces, shares);
      expect(nodeVerify(hostile.group.groupPublicKey, message, signature)).toBe(true);
    });

    it('a sign step without its sign payload: INVALID_ARGUMENT / MALFORMED_INPUT', async () => {
      const s = signStepWith([1, 2]);
      await expectStepRefused({ ...s.request, sign: null }, Status.INVALID_ARGUMENT, 'MALFORMED_INPUT');
    });

    it.each([
      ['another message', (l: NonceCommitment[]) => signDigest(new Uint8Array(9), l)],
      [
        'the commitments in the order sent (not sorted)',
        (l: NonceCommitment[]) => signPayloadDigest('sign', new Uint8Array(8), l),
      ],
      [
        'another commitment for oracle 2',
        (l: NonceCommitment[]) =>
          signDigest(
            new Uint8Array(8),
            l.map((c) => (c.participant === 2 ? { ...c, hiding: randomPoint() } : c)),
          ),
      ],
      ['nothing (the heartbeat digest)', (_l: NonceCommitment[]) => HEARTBEAT_DIGEST],
    ])(
      'a sign step whose payload_digest is over %s: INVALID_ARGUMENT / MALFORMED_INPUT',
      async (_label, digest) => {
        // Sent in descending order: the oracle sorts before it hashes.
        const list = [...listFor([1, 2]), ...agentCommitments(hostile).commitments].reverse();
        const s = ratchet.sign(new Uint8Array(8), list, { step: { payloadDigest: digest(list) } });
        await expectStepRefused(s.request, Status.INVALID_ARGUMENT, 'MALFORMED_INPUT');
      },
    );

    it.each([
      ['a sign digest', signDigest, false],
      ['a sign digest, carrying that sign payload', signDigest, true],
      ['random bytes', () => new Uint8Array(randomBytes(32)), false],
      ['zeros', () => new Uint8Array(32), false],
    ])(
      'a heartbeat whose payload_digest is %s: INVALID_ARGUMENT / MALFORMED_INPUT',
      async (_label, digest, carry) => {
        const message = new Uint8Array(8);
        const list = [...listFor([1, 2]), ...agentCommitments(hostile).commitments];
        const hb = ratchet.heartbeat({ step: { payloadDigest: digest(message, list) } });
        const req = carry ? { ...hb.request, sign: signPayloadWire(message, list) } : hb.request;
        await expectStepRefused(req, Status.INVALID_ARGUMENT, 'MALFORMED_INPUT');
      },
    );

    it.each(BAD_POINTS.map((b, i) => ({ ...b, i })))(
      'a sign step commitment that is $label: INVALID_ARGUMENT / $code',
      async ({ bytes, code, i }) => {
        const list = listFor([1, 2, 4, 5]);
        // Rotate through the oracle's own and the other participants' hiding and binding points.
        const j = i % list.length;
        list[j] = i % 2 === 0 ? { ...list[j]!, hiding: bytes } : { ...list[j]!, binding: bytes };
        await expectRejected(
          step(clients[0]!, ratchet.sign(new Uint8Array(8), list).request),
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
      ['nothing at all', []],
    ])('a signing set %s: INVALID_ARGUMENT / BAD_PARTICIPANT', async (_label, participants) => {
      await expectRejected(
        step(clients[0]!, ratchet.sign(new Uint8Array(8), listFor(participants)).request),
        Status.INVALID_ARGUMENT,
        'BAD_PARTICIPANT',
      );
    });

    it('a sign step sent to an oracle outside its signing set: a commit without a share (how a step is certified when a signer fails)', async () => {
      const message = new Uint8Array(randomBytes(100));
      const { signature, answers } = await cosign([clients[1]!, clients[2]!], clients, ratchet, message);
      expect(answers.map((a) => a.signatureShare.length)).toEqual([0, 32, 32]);
      expect(answers[0]!.commit?.nodeId).toBe(1);
      expect(nodeVerify(hostile.group.groupPublicKey, message, signature)).toBe(true);
    });

    it('a validly signed sign step naming nonce commitments an oracle never issued: a commit without a share, and no real nonce is burnt', async () => {
      const [c1, c2] = [clients[0]!, clients[1]!];
      const message = new Uint8Array(randomBytes(100));
      // Real commitments of oracles 1 and 2, kept for the end.
      const real = await Promise.all([
        fetchNonce(c1, hostile, ratchet.counter),
        fetchNonce(c2, hostile, ratchet.counter),
      ]);
      const committedWithoutShares = async (built: Built) => {
        const res = await ratchet.commit(clients, built);
        expect(res.map((a) => a.signatureShare.length)).toEqual([0, 0, 0]);
      };
      // Points nobody issued, for both oracles of the signing set.
      await committedWithoutShares(
        ratchet.sign(message, [...listFor([1, 2]), ...agentCommitments(hostile).commitments]),
      );
      // A commitment oracle 2 really issued, presented to oracle 1 as oracle 1's own.
      await committedWithoutShares(
        ratchet.sign(message, [
          { ...real[1]!, participant: 1 },
          ...listFor([2]),
          ...agentCommitments(hostile).commitments,
        ]),
      );
      // A heartbeat carrying a sign payload with the real commitments: a heartbeat never signs.
      const agentNonces = agentCommitments(hostile);
      const list = [...real, ...agentNonces.commitments];
      const hb = ratchet.heartbeat();
      await committedWithoutShares({
        ...hb,
        request: { ...hb.request, sign: signPayloadWire(message, list) },
      });
      // The real nonces survived all three steps: a sign step with them is signed by both.
      const built = ratchet.sign(message, list);
      const shares = sharesOf(clients, await ratchet.commit(clients, built));
      expect([...shares.keys()]).toEqual([1, 2]);
      expect(
        nodeVerify(
          hostile.group.groupPublicKey,
          message,
          complete(hostile, message, list, agentNonces.nonces, shares),
        ),
      ).toBe(true);
    });

    it('a step two ahead without a valid certificate: FAILED_PRECONDITION / NEED_CERTIFICATE, burning no nonce; with one it fast-forwards', async () => {
      const [c1, c2, c3] = [clients[0]!, clients[1]!, clients[2]!];
      // Every step two ahead is a sign step naming real commitments of oracles 2 and 3.
      const message = new Uint8Array(randomBytes(100));
      const real = await Promise.all([
        fetchNonce(c2, hostile, ratchet.counter),
        fetchNonce(c3, hostile, ratchet.counter),
      ]);
      const agentNonces = agentCommitments(hostile);
      const list = [...real, ...agentNonces.commitments];
      // Oracle 1 alone accepts the next step; oracles 2 and 3 stay one behind.
      const s1 = ratchet.heartbeat();
      const commit1 = ratchet.checkCommit(1, s1.signed, await step(c1, s1.request));
      const after1 = headAfter(s1.signed.step);
      const counter = s1.signed.step.counter + 1;
      const bogus = newSessionKey().key;
      const certificates: [string, Commit[]][] = [
        ['none', []],
        ['the certificate of the state before (one counter too low)', ratchet.certificate],
        ["oracle 1's commit alone", [commit1]],
        ["oracle 1's commit twice", [commit1, commit1]],
        ["oracle 1's commit and a copy labelled oracle 2's", [commit1, { ...commit1, nodeId: 2 }]],
        [
          "oracle 1's commit and one signed by a key outside the cluster as oracle 2",
          [commit1, signCommit(bogus, 2, hostile.identityId, counter - 1, after1)],
        ],
        [
          "oracle 1's commit and one of node 4 (not a member)",
          [commit1, signCommit(bogus, 4, hostile.identityId, counter - 1, after1)],
        ],
        [
          // At most n commits: a longer certificate is refused as MALFORMED_INPUT (fuzz.test.ts).
          'garbage',
          [
            {
              nodeId: 2 ** 32 - 1,
              identityId: hostile.identityId,
              counter: counter - 1,
              head: new Uint8Array(randomBytes(31)),
              signature: new Uint8Array(randomBytes(3)),
            },
            {
              nodeId: 2,
              identityId: hostile.identityId,
              counter: counter - 1,
              head: after1,
              signature: new Uint8Array(randomBytes(64)),
            },
            { nodeId: 0, identityId: '', counter: 0, head: new Uint8Array(0), signature: new Uint8Array(0) },
          ],
        ],
      ];
      for (const [label, certificate] of certificates) {
        // A fresh step each time: had a refused one been stored, the one below would be a second
        // step at its counter (a fork).
        const s2 = ratchet.make('sign', signDigest(message, list), { step: { counter, prevHead: after1 } });
        for (const c of [c2, c3]) {
          const err = await rejection(step(c, ratchet.request(s2, { message, list }, certificate)));
          expect({
            oracle: c.nodeId,
            certificate: label,
            status: Status[err.code],
            code: errorCodeOf(err),
          }).toEqual({
            oracle: c.nodeId,
            certificate: label,
            status: 'FAILED_PRECONDITION',
            code: 'NEED_CERTIFICATE',
          });
        }
      }
      // Positive control: oracle 2 accepts the next step too, and with t = 2 commits the step
      // after it fast-forwards oracle 3 (oracles 1 and 2 take it as their next); oracles 2 and
      // 3 still hold their nonces and sign it.
      const commit2 = ratchet.checkCommit(2, s1.signed, await step(c2, s1.request));
      ratchet.accept(s1, [commit1, commit2]);
      const built = ratchet.sign(message, list);
      const shares = sharesOf(clients, await ratchet.commit(clients, built));
      expect(ratchet.counter).toBe(counter);
      expect([...shares.keys()]).toEqual([2, 3]);
      expect(
        nodeVerify(
          hostile.group.groupPublicKey,
          message,
          complete(hostile, message, list, agentNonces.nonces, shares),
        ),
      ).toBe(true);
    });

    it('an old step replayed after the ratchet moved on: FAILED_PRECONDITION / STALE_STEP, and no revocation', async () => {
      const made: Built[] = [];
      for (let i = 0; i < 3; i++) {
        const hb = ratchet.heartbeat();
        await ratchet.commit(clients, hb);
        made.push(hb);
      }
      const stale = [Status.FAILED_PRECONDITION, 'STALE_STEP'] as const;
      // Two and one steps back, and the first co-signing step with its sign payload (if that case ran).
      for (const old of [made[0]!, made[1]!, ...ratchet.accepted.slice(0, 1)]) {
        expect(old.signed.step.counter).toBeLessThan(ratchet.counter);
        await expectStepRefused(old.request, ...stale);
      }
      // A new step at an old counter with an old time (an agent whose clock was set back).
      const old = made[0]!.signed.step;
      await expectStepRefused(
        ratchet.heartbeat({ step: { counter: old.counter, prevHead: old.prevHead, time: old.time } }).request,
        ...stale,
      );
      // The last step itself is a retry: its reply, again.
      const last = await Promise.all(clients.map((c) => step(c, made[2]!.request)));
      last.forEach((a, i) => {
        ratchet.checkCommit(i + 1, made[2]!.signed, a);
      });
      // No revocation anywhere, the identity is active, and its next step is accepted.
      for (const o of cluster.oracles) {
        await expectRejected(
          call(o.admin, o.admin.GetRevocation, { identityId: hostile.identityId }, DEADLINE_MS),
          Status.NOT_FOUND,
          'UNKNOWN_IDENTITY',
        );
        const found = await call(
          o.admin,
          o.admin.GetIdentity,
          { identityId: hostile.identityId },
          DEADLINE_MS,
        );
        expect(found.status).toBe('active');
      }
      await ratchet.commit(clients, ratchet.heartbeat());
    });

    it('GetNonces / Step for a revoked identity: PERMISSION_DENIED / IDENTITY_REVOKED on every oracle', async () => {
      const denied = [Status.PERMISSION_DENIED, 'IDENTITY_REVOKED'] as const;
      // The honest continuation of the step oracle 1 accepted (with its one commit), a sign step,
      // and the conflicting step again.
      const list = [...listFor([1, 2]), ...agentCommitments(revoked).commitments];
      await expectStepRefused(revokedRatchet.heartbeat().request, ...denied);
      await expectStepRefused(revokedRatchet.sign(new Uint8Array(8), list).request, ...denied);
      await expectStepRefused(revokedRatchet.accepted[0]!.request, ...denied);
      await Promise.all(
        clients.map((c) => expectRejected(getNonces(c, noncesRequest(revoked, c.nodeId)), ...denied)),
      );
    });

    it('a message larger than limits.maxSignBytes: INVALID_ARGUMENT / MESSAGE_TOO_LARGE', async () => {
      const message = new Uint8Array(maxSignBytes + 1);
      await Promise.all(
        clients.map((c) =>
          expectRejected(
            step(
              c,
              ratchet.sign(message, [
                ...listFor([c.nodeId, c.nodeId === 1 ? 2 : 1]),
                ...agentCommitments(hostile).commitments,
              ]).request,
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
        const list = [...listFor([1, 2]), ...agentCommitments(hostile).commitments];
        const req = ratchet.sign(new Uint8Array(MAX_MESSAGE_BYTES + 1024), list).request;
        const err = await expectRejected(
          call(big, big.Step, req, DEADLINE_MS, true),
          Status.RESOURCE_EXHAUSTED,
          undefined,
        );
        expect(err.details).toMatch(/larger than max/);
      } finally {
        big.close();
      }
      // The oracle still serves a normal request on a fresh connection.
      await fetchNonce(clients[0]!, hostile, ratchet.counter);
    });
  });

  describe('undecodable requests', () => {
    const GARBAGE: [string, Buffer][] = [
      ['an invalid wire type', Buffer.from([0xff, 0xff, 0xff, 0xff])],
      ['an end-group tag without a start', Buffer.from([0x0c])],
      // Field 1 (a string or bytes in every request) whose length prefix is a varint of 11 bytes.
      ['an over-long length prefix', Buffer.from([0x0a, ...Array(10).fill(0x80), 0x01])],
    ];
    /** Oracle ports: the test client's credentials (every role; mTLS under MPCID_TEST_TLS=1). */
    const raw = (address: string, path: string, bytes: Buffer, creds = testCredentials()) => {
      const client = new grpc.Client(address, creds);
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
        '/mpcid.oracle.v1.Signer/Step',
        '/mpcid.oracle.v1.Signer/ReportAbort',
        // Served on the same address: oracle to oracle.
        '/mpcid.oracle.v1.Peer/PushRevocation',
        '/mpcid.oracle.v1.Peer/ListRevocations',
      ];
      const admin = [
        '/mpcid.admin.v1.Admin/CreateJoinToken',
        '/mpcid.admin.v1.Admin/GetIdentity',
        '/mpcid.admin.v1.Admin/GetRevocation',
      ];
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
        // The Workload API is a local Unix socket: plaintext in every mode.
        raw(
          `unix://${agent.socket}`,
          '/mpcid.agent.v1.Workload/Sign',
          bytes,
          grpc.credentials.createInsecure(),
        ),
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
      // Sign was replaced by Step: nothing answers it any more.
      await expectRejected(
        raw(clients[0]!.address, '/mpcid.oracle.v1.Signer/Sign', Buffer.alloc(0)),
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

    it('a missing state file beside a ratchet.json is STATE_CORRUPT (a damaged dir, not one never enrolled)', () => {
      const dir = mkdtempSync(join(cluster.dir, 'halved-'));
      writeFileSync(join(dir, 'ratchet.json'), '{}');
      expectMpcidError(() => readState(dir), 'STATE_CORRUPT');
    });
  });

  it('afterwards: every oracle is running, stored state is unchanged, and the agent still signs', async () => {
    for (const o of cluster.oracles) expect(o.running, `oracle ${o.id}`).toBe(true);
    const after = await snapshotOracles(cluster);
    // Two records legitimately moved, and each only by steps its owner made and got accepted:
    // the hostile identity's ratchet (its positive controls) and the real agent's ratchet (the
    // Workload API case signs once). Each is checked against its owner's own record below;
    // everything else is deep-equal.
    const moved = new Set([`ratchet!${hostile.identityId}`, `ratchet!${state.identityId}`]);
    // Each accepted step also writes its audit entry (oracle/audit.ts) in the same batch: new
    // entries of these two identities are legitimate, and each must be a step its owner made.
    const audited = (k: string) =>
      k.startsWith(`audit!${hostile.identityId}!`) || k.startsWith(`audit!${state.identityId}!`);
    // Each entry's time key (oracle/audit-log.ts): `audit-time!<ms>!<id>!<counter>`.
    const entryOfTimeKey = (k: string) => {
      const [prefix, , id, counter] = k.split('!');
      return prefix === 'audit-time' ? `audit!${id}!${counter}` : undefined;
    };
    const indexed = (k: string) => {
      const e = entryOfTimeKey(k);
      return e !== undefined && audited(e);
    };
    const rest = (s: Snapshot): Snapshot =>
      Object.fromEntries(
        Object.entries(s).map(([id, kv]) => [
          id,
          kv.filter(([k]) => !moved.has(k) && !audited(k) && !indexed(k)),
        ]),
      );
    expect(rest(after)).toEqual(rest(before));
    // A time key of these two identities names an entry that is there.
    for (const o of cluster.oracles) {
      const keys = new Set(after[o.id]!.map(([k]) => k));
      for (const k of keys) if (indexed(k)) expect(keys.has(entryOfTimeKey(k)!), k).toBe(true);
    }
    const hostileCounters = new Set(ratchet.accepted.map((b) => b.signed.step.counter));
    for (const o of cluster.oracles) {
      const old = new Map(before[o.id]);
      for (const [k, v] of after[o.id]!) {
        if (!audited(k)) continue;
        if (old.has(k)) {
          expect(v, `${k} on oracle ${o.id}`).toEqual(old.get(k));
          continue;
        }
        const e = v as { identityId: string; counter: number; kind: string };
        if (e.identityId === hostile.identityId)
          expect(hostileCounters.has(e.counter), `${k} on oracle ${o.id}`).toBe(true);
        else expect(e.kind, `${k} on oracle ${o.id}`).toBe('sign');
      }
    }
    // The hostile identity: every oracle is exactly where the client's accepted steps left it.
    const last = ratchet.accepted.at(-1);
    expect(last, 'the hostile client made accepted steps').toBeDefined();
    for (const o of cluster.oracles) {
      expect(new Map(after[o.id]).get(`ratchet!${hostile.identityId}`), `oracle ${o.id}`).toMatchObject({
        counter: ratchet.counter,
        head: toB64u(ratchet.head),
        last: { step: stepToJSON(last!.signed) },
      });
    }
    // The real agent: only its own certified sign steps (one signature, but a step more for each
    // oracle whose commitment in the agent's cache the restart for the snapshot voided). At least
    // t oracles are where its ratchet.json is, none is ahead, and each record's last step is one
    // the agent signed, with the head after it.
    const agentRatchet = readRatchet(stateDir, state);
    expect(agentRatchet.counter).toBeGreaterThanOrEqual(1);
    let current = 0;
    for (const o of cluster.oracles) {
      const rec = new Map(after[o.id]).get(`ratchet!${state.identityId}`) as RatchetRecord | undefined;
      if (!rec) continue;
      const lastStep = stepFromJSON(rec.last?.step);
      verifyStep(state.sessionPublicKey, lastStep);
      expect(lastStep.step.kind).toBe('sign');
      expect(rec.counter).toBe(lastStep.step.counter);
      expect(rec.head).toBe(toB64u(headAfter(lastStep.step)));
      expect(rec.counter).toBeLessThanOrEqual(agentRatchet.counter);
      if (rec.counter === agentRatchet.counter) {
        expect(rec.head, `oracle ${o.id}`).toBe(toB64u(agentRatchet.head));
        current++;
      }
    }
    expect(current).toBeGreaterThanOrEqual(state.cluster.t);
    expect(readFileSync(join(stateDir, STATE_FILE)).equals(stateFileBefore)).toBe(true);
    for (const o of cluster.oracles) expect(o.running, `oracle ${o.id} after restart`).toBe(true);
    const message = new Uint8Array(randomBytes(256));
    const res = await agent.sign(message);
    expect(Buffer.from(res.publicKey).equals(Buffer.from(state.group.groupPublicKey))).toBe(true);
    expect(nodeVerify(res.publicKey, message, res.signature)).toBe(true);
    // And the hostile client's co-signing works too: nothing it sent left the oracles unusable.
    const { signature } = await cosign([clients[1]!, clients[2]!], clients, ratchet, message);
    expect(nodeVerify(hostile.group.groupPublicKey, message, signature)).toBe(true);
    // The token every malformed-token case was built from is still unused and unclaimed.
    const freshParts = beginParts(freshToken);
    const fresh = await Promise.all(clients.map((c) => begin(c, beginRequest(freshParts))));
    expect(fresh.map((r) => r.round1?.nodeId)).toEqual([1, 2, 3]);
  });
});
