/**
 * Enrollment service (docs/protocol.md §4): the oracle's side of the DKG between the agent's w
 * participants and the n oracles, relayed by the agent.
 *
 *   BeginEnrollment   token + session key + agent round-1  ->  this oracle's signed round-1
 *   ExchangeShares    all oracles' signed round-1 + agent's sealed shares  ->  our sealed shares
 *   FinishEnrollment  other oracles' sealed shares  ->  share stored (sync), token used, Enrolled
 *
 * The DKG polynomial lives only in memory; a restart abandons enrollments in progress (the token
 * stays unused, so the agent simply starts again). Each step is idempotent for retries.
 */

import { clusterNodeKeys } from '../common/config.js';
import { ensure, MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import { type JoinTokenClaims, verifyJoinToken } from '../common/jointoken.js';
import { LOG } from '../common/log.js';
import {
  ALG_EDDSA,
  agentRound1FromWire,
  beginFields,
  enrolledFields,
  enrollmentContext,
  relayedOracleRound1,
  signedOracleRound1,
} from '../common/protocol.js';
import { agentParticipants } from '../crypto/access.js';
import { abytes, equalBytes, toB64u } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { decodePoint } from '../crypto/ed25519.js';
import { DkgParticipant, type Round1Package, round1Digest } from '../crypto/frost.js';
import { jwkThumbprint } from '../crypto/jwk.js';
import { BOX_KEY_LEN, type BoxKeyPair, generateBoxKey, openShares, sealShares } from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import { signStatement, verifyStatement } from '../crypto/statement.js';
import type { BeginEnrollmentRequest__Output } from '../proto/gen/mpcid/oracle/v1/BeginEnrollmentRequest.js';
import type { BeginEnrollmentResponse } from '../proto/gen/mpcid/oracle/v1/BeginEnrollmentResponse.js';
import type { EnrollmentHandlers } from '../proto/gen/mpcid/oracle/v1/Enrollment.js';
import type { ExchangeSharesRequest__Output } from '../proto/gen/mpcid/oracle/v1/ExchangeSharesRequest.js';
import type { ExchangeSharesResponse } from '../proto/gen/mpcid/oracle/v1/ExchangeSharesResponse.js';
import type { FinishEnrollmentRequest__Output } from '../proto/gen/mpcid/oracle/v1/FinishEnrollmentRequest.js';
import type { FinishEnrollmentResponse } from '../proto/gen/mpcid/oracle/v1/FinishEnrollmentResponse.js';
import type { SealedShare__Output } from '../proto/gen/mpcid/oracle/v1/SealedShare.js';
import type { OracleContext } from './context.js';
import type { EcdsaService } from './ecdsa.js';
import type { IdentityRecord } from './records.js';

interface Pending {
  claims: JoinTokenClaims;
  context: Uint8Array;
  sessionPublicKey: Uint8Array;
  agentBoxPublicKey: Uint8Array;
  agentRound1: Round1Package[];
  /** The agent's signature over the begin request: a retry must resend it unchanged. */
  sessionSignature: Uint8Array;
  dkg: DkgParticipant;
  box: BoxKeyPair;
  begin: BeginEnrollmentResponse;
  /** Set by ExchangeShares. */
  exchanged?: {
    all: Round1Package[];
    oracleBoxKeys: Map<number, Uint8Array>;
    agentShares: Map<number, Secret>;
    response: ExchangeSharesResponse;
  };
  /** Set by FinishEnrollment. */
  finished?: FinishEnrollmentResponse;
  busy: boolean;
  timer: NodeJS.Timeout;
}

const TOKEN_ID = /^[A-Za-z0-9_-]{22}$/;

export class EnrollmentService {
  readonly #ctx: OracleContext;
  readonly #pending = new Map<string, Pending>();

  readonly #ecdsa: EcdsaService;

  constructor(ctx: OracleContext, ecdsa: EcdsaService) {
    this.#ctx = ctx;
    this.#ecdsa = ecdsa;
  }

  handlers(): EnrollmentHandlers {
    const log = this.#ctx.log;
    return {
      BeginEnrollment: unary(log, 'BeginEnrollment', (req) => this.begin(req)),
      ExchangeShares: unary(log, 'ExchangeShares', (req) => this.exchange(req)),
      FinishEnrollment: unary(log, 'FinishEnrollment', (req) => this.finish(req)),
      EcdsaSetup: unary(log, 'EcdsaSetup', (req) => this.#ecdsa.setup(req)),
    };
  }

  /** Abandons every enrollment in progress (shutdown). */
  close(): void {
    for (const p of this.#pending.values()) this.#drop(p);
  }

  #drop(p: Pending): void {
    clearTimeout(p.timer);
    p.dkg.abandon();
    p.box.secretKey.wipe();
    this.#pending.delete(p.claims.jti);
  }

  async begin(req: BeginEnrollmentRequest__Output): Promise<BeginEnrollmentResponse> {
    const ctx = this.#ctx;
    const claims = verifyJoinToken(req.joinToken, ctx.config.cluster);
    const sessionPublicKey = decodePoint(new Uint8Array(req.sessionPublicKey), 'session_public_key');
    const existing = this.#pending.get(claims.jti);
    if (existing) {
      // A retry from the same agent gets the same answer; anyone else is refused.
      if (!equalBytes(existing.sessionPublicKey, sessionPublicKey) || existing.exchanged)
        throw new MpcidError('TOKEN_USED', 'join token is already being used');
      // A retry resends the same bytes (the session signature is deterministic); other contents
      // under this session key are refused rather than answered for what was begun.
      const same =
        equalBytes(existing.agentBoxPublicKey, new Uint8Array(req.agentBoxPublicKey)) &&
        equalBytes(existing.sessionSignature, new Uint8Array(req.sessionSignature)) &&
        equalBytes(
          round1Digest(existing.context, existing.agentRound1),
          round1Digest(existing.context, agentRound1FromWire(ctx.as, req.agentRound1)),
        );
      if (!same) throw new MpcidError('ENROLLMENT_STATE', 'this enrollment was begun with other contents');
      return existing.begin;
    }
    const used = await ctx.store.getToken(claims.jti);
    if (used?.state === 'used') throw new MpcidError('TOKEN_USED', 'join token was already used');
    if (this.#inProgress() >= ctx.config.limits.maxPendingEnrollments) {
      throw new MpcidError('RATE_LIMITED', 'too many enrollments in progress');
    }
    const agentBoxPublicKey = abytes(
      new Uint8Array(req.agentBoxPublicKey),
      'agent_box_public_key',
      BOX_KEY_LEN,
    );
    const agentRound1 = agentRound1FromWire(ctx.as, req.agentRound1);
    const context = enrollmentContext(claims, sessionPublicKey);
    const sessionSignature = new Uint8Array(req.sessionSignature);
    verifyStatement(
      sessionPublicKey,
      sessionSignature,
      'session_signature',
      STATEMENT_DOMAINS.enrollBegin,
      beginFields(context, agentBoxPublicKey, agentRound1),
    );

    const dkg = new DkgParticipant(ctx.as, ctx.nodeId);
    const box = generateBoxKey();
    const begin: BeginEnrollmentResponse = {
      round1: signedOracleRound1(ctx.nodeKey, ctx.nodeId, context, box.publicKey, dkg.round1),
    };
    const pending: Pending = {
      claims,
      context,
      sessionPublicKey,
      agentBoxPublicKey,
      agentRound1,
      sessionSignature,
      dkg,
      box,
      begin,
      busy: false,
      timer: setTimeout(() => this.#drop(pending), ctx.config.limits.enrollmentTimeoutSeconds * 1000).unref(),
    };
    this.#pending.set(claims.jti, pending);
    ctx.log.info({ [LOG.tokenId]: claims.jti, [LOG.name]: claims.name }, 'enrollment started');
    return begin;
  }

  /**
   * Enrollments begun and not yet finished. A finished one stays in #pending until its timeout
   * only to answer the agent's retries, holding no secret, so it does not count against the cap:
   * counting it refused every enrollment past the 64th in one timeout window, however quickly
   * each finished.
   */
  #inProgress(): number {
    let count = 0;
    for (const p of this.#pending.values()) if (!p.finished) count++;
    return count;
  }

  #get(tokenId: unknown): Pending {
    ensure(typeof tokenId === 'string' && TOKEN_ID.test(tokenId), 'MALFORMED_INPUT', 'token_id: malformed');
    const p = this.#pending.get(tokenId);
    if (!p) throw new MpcidError('UNKNOWN_ENROLLMENT', 'no enrollment in progress for this token');
    return p;
  }

  async exchange(req: ExchangeSharesRequest__Output): Promise<ExchangeSharesResponse> {
    const ctx = this.#ctx;
    const p = this.#get(req.tokenId);
    if (p.exchanged) return p.exchanged.response;
    const { n } = ctx.as;
    const { oracleBox: oracleBoxKeys, pkgs: oraclePkgs } = relayedOracleRound1(
      ctx.as,
      req.oracleRound1,
      clusterNodeKeys(ctx.config.cluster),
      p.context,
      { nodeId: ctx.nodeId, boxPublicKey: p.box.publicKey, round1: p.dkg.round1 },
    );
    const all = [...oraclePkgs, ...p.agentRound1];
    const agentShares = this.#open(p, req.agentShares, agentParticipants(ctx.as), (s) =>
      s > n ? p.agentBoxPublicKey : undefined,
    );
    const shares = sealShares(p.dkg.round2(all), {
      senderKey: p.box.secretKey,
      context: p.context,
      sender: ctx.nodeId,
      recipientPublic: (r) => (r > n ? p.agentBoxPublicKey : oracleBoxKeys.get(r)!),
    });
    p.exchanged = { all, oracleBoxKeys, agentShares, response: { shares } };
    return p.exchanged.response;
  }

  /** Opens sealed shares addressed to this node, exactly one from each expected sender. */
  #open(
    p: Pending,
    sealed: SealedShare__Output[],
    senders: number[],
    senderKey: (sender: number) => Uint8Array | undefined,
  ): Map<number, Secret> {
    return openShares(sealed, {
      recipient: this.#ctx.nodeId,
      recipientKey: p.box.secretKey,
      context: p.context,
      senders,
      senderPublic: senderKey,
    });
  }

  async finish(req: FinishEnrollmentRequest__Output): Promise<FinishEnrollmentResponse> {
    const ctx = this.#ctx;
    const p = this.#get(req.tokenId);
    if (p.finished) return p.finished;
    if (!p.exchanged)
      throw new MpcidError('ENROLLMENT_STATE', 'ExchangeShares must come before FinishEnrollment');
    if (p.busy) throw new MpcidError('ENROLLMENT_STATE', 'enrollment is already finishing');
    const ex = p.exchanged;
    const others = ctx.config.cluster.oracles.map((o) => o.id).filter((id) => id !== ctx.nodeId);
    const fromOracles = this.#open(p, req.shares, others, (s) => ex.oracleBoxKeys.get(s));
    const received = new Map([...ex.agentShares, ...fromOracles]);
    p.busy = true;
    try {
      const { share, group } = p.dkg.finish(ex.all, received);
      for (const s of received.values()) s.wipe();
      const identityId = jwkThumbprint(group.groupPublicKey);
      const digest = round1Digest(p.context, ex.all);
      const token = await ctx.store.getToken(p.claims.jti);
      if (token?.state === 'used') throw new MpcidError('TOKEN_USED', 'join token was already used');
      const now = Date.now();
      const record: IdentityRecord = {
        identityId,
        name: p.claims.name,
        alg: ALG_EDDSA,
        publicKey: toB64u(group.groupPublicKey),
        n: ctx.as.n,
        t: ctx.as.t,
        participant: ctx.nodeId,
        signingShare: toB64u(share.signingShare.expose()),
        commitments: group.commitments.map(toB64u),
        verifyingShares: group.verifyingShares.map(toB64u),
        sessionPublicKey: toB64u(p.sessionPublicKey),
        tokenId: p.claims.jti,
        round1Digest: toB64u(digest),
        enrolledAt: now,
        status: 'active',
        // Bound by the signed join token: its tokens and quotes must carry these claims.
        ...(p.claims.require ? { requiredClaims: p.claims.require } : {}),
        ...(p.claims.registers ? { requiredRegisters: p.claims.registers } : {}),
      };
      await ctx.store.commitEnrollment(record, {
        tokenId: p.claims.jti,
        name: p.claims.name,
        issuedBy: p.claims.iss,
        expiresAt: p.claims.exp,
        state: 'used',
        identityId,
        usedAt: now,
      });
      ctx.remember({ record, group, share, sessionPublicKey: p.sessionPublicKey });
      const signature = signStatement(
        ctx.nodeKey,
        STATEMENT_DOMAINS.enrolled,
        ...enrolledFields(p.context, ctx.nodeId, identityId, group.groupPublicKey, digest),
      );
      // Only retries are answered from here on; nothing secret is needed for them.
      p.dkg.abandon();
      p.box.secretKey.wipe();
      p.finished = {
        enrolled: {
          nodeId: ctx.nodeId,
          identityId,
          groupPublicKey: Buffer.from(group.groupPublicKey),
          round1Digest: Buffer.from(digest),
          signature: Buffer.from(signature),
        },
      };
      ctx.log.info(
        { [LOG.identity]: identityId, [LOG.name]: p.claims.name, [LOG.tokenId]: p.claims.jti },
        'identity enrolled',
      );
      return p.finished;
    } catch (e) {
      // A failed DKG cannot be resumed: drop it so the agent can start over with the token.
      this.#drop(p);
      throw e;
    } finally {
      p.busy = false;
    }
  }
}
