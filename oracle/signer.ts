/**
 * Signer service (docs/protocol.md §5-6): hands out FROST nonce commitments ahead of time, and
 * takes ratchet steps; a sign step is co-signed with exactly one of those nonces.
 *
 * Nonces live only in memory, a bounded set per identity; a nonce is removed from the pool
 * before it is used, so a retry or a replay can never use it twice, and a restart loses unused
 * nonces rather than reusing them. Requests are authenticated with the identity's session key
 * before any nonce is touched.
 */

import { clusterIssuer } from '../common/config.js';
import { asMpcidError, ensure, MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import { checkTokenPolicy, looksLikeJws } from '../common/jwt.js';
import { LOG } from '../common/log.js';
import {
  abortFromParts,
  abortSessionFromParts,
  checkEcdsaOracles,
  commitFromWire,
  commitmentFromWire,
  commitmentToWire,
  commitToWire,
  DOMAINS,
  ecdsaPayloadDigest,
  HEARTBEAT_DIGEST,
  nonceRequestFields,
  signPayloadDigest,
  stepFromWire,
} from '../common/protocol.js';
import { abytes, concatBytes, equalBytes, toHex } from '../crypto/bytes.js';
import { rememberValidPoint } from '../crypto/ed25519-native.js';
import {
  checkCommitmentList,
  commit,
  type NonceCommitment,
  type SigningNonces,
  signShare,
} from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import { STEP_KINDS, type StepKind, verifyStep } from '../crypto/ratchet.js';
import { verifyStatement } from '../crypto/statement.js';
import type { EcdsaRoundRequest__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundRequest.js';
import type { EcdsaRoundResponse } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundResponse.js';
import type { GetNoncesRequest__Output } from '../proto/gen/mpcid/oracle/v1/GetNoncesRequest.js';
import type { GetNoncesResponse } from '../proto/gen/mpcid/oracle/v1/GetNoncesResponse.js';
import type { SignerHandlers } from '../proto/gen/mpcid/oracle/v1/Signer.js';
import type { StepRequest__Output } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import type { StepResponse } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import { type AuditContext, tokenAudit } from './audit.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import type { EcdsaService } from './ecdsa.js';
import type { IssuerService } from './issuer.js';
import type { RatchetService, SignResult } from './ratchet.js';
import { peerKeyOf, RateLimiter } from './ratelimit.js';
import { UnsealService } from './unseal.js';

export const REQUEST_ID_LEN = 16;
const KNOWN_KINDS: ReadonlySet<string> = new Set(STEP_KINDS);
/** Identities with a nonce pool at once; the least recently used pool is dropped beyond this. */
const MAX_POOLS = 100_000;

/** Per-identity pools of unused nonces, keyed by their commitment. Insertion order = age. */
class NoncePools {
  readonly #pools = new Map<string, Map<string, SigningNonces>>();
  readonly #perIdentity: number;
  constructor(perIdentity: number) {
    this.#perIdentity = perIdentity;
  }

  static key(c: NonceCommitment): string {
    return toHex(concatBytes(c.hiding, c.binding));
  }

  #pool(identityId: string): Map<string, SigningNonces> {
    let pool = this.#pools.get(identityId);
    if (pool) {
      this.#pools.delete(identityId);
    } else {
      pool = new Map();
      if (this.#pools.size >= MAX_POOLS) {
        const oldest = this.#pools.keys().next().value!;
        this.#wipe(this.#pools.get(oldest)!);
        this.#pools.delete(oldest);
      }
    }
    this.#pools.set(identityId, pool);
    return pool;
  }

  #wipe(pool: Map<string, SigningNonces>): void {
    for (const n of pool.values()) {
      n.hiding.wipe();
      n.binding.wipe();
    }
    pool.clear();
  }

  /** Makes a fresh nonce pair; evicts (and wipes) the oldest when the pool is full. */
  fresh(id: LoadedIdentity): NonceCommitment {
    const pool = this.#pool(id.record.identityId);
    const { nonces, commitment } = commit(id.share);
    while (pool.size >= this.#perIdentity) {
      const oldest = pool.keys().next().value!;
      const n = pool.get(oldest)!;
      n.hiding.wipe();
      n.binding.wipe();
      pool.delete(oldest);
    }
    pool.set(NoncePools.key(commitment), nonces);
    return commitment;
  }

  /** Whether this node handed out this commitment and it is unused (nothing is removed). */
  has(identityId: string, c: NonceCommitment): boolean {
    return this.#pools.get(identityId)?.has(NoncePools.key(c)) ?? false;
  }

  /** Removes and returns the nonces for a commitment, if this node handed it out and it is unused. */
  take(identityId: string, c: NonceCommitment): SigningNonces | undefined {
    const pool = this.#pools.get(identityId);
    const k = NoncePools.key(c);
    const nonces = pool?.get(k);
    pool?.delete(k);
    return nonces;
  }

  clear(): void {
    for (const p of this.#pools.values()) this.#wipe(p);
    this.#pools.clear();
  }
}

/** GetNonces request ids remembered per identity (at counters this oracle still accepts). */
export const SEEN_REQUESTS_PER_IDENTITY = 32;

/**
 * GetNonces request ids seen per identity, with the agent counter each was signed at (docs/
 * protocol.md §6.1). Only ids at counters >= the floor (this oracle's counter - 1) are kept: a
 * request below the floor is refused on its counter alone. Bounded: at most
 * SEEN_REQUESTS_PER_IDENTITY ids per identity (the oldest is forgotten first) and MAX_POOLS
 * identities (the least recently used is forgotten first).
 */
export class SeenRequests {
  readonly #ids = new Map<string, Map<string, number>>();
  readonly #perIdentity: number;
  readonly #maxIdentities: number;
  constructor(perIdentity = SEEN_REQUESTS_PER_IDENTITY, maxIdentities = MAX_POOLS) {
    this.#perIdentity = perIdentity;
    this.#maxIdentities = maxIdentities;
  }

  /** Whether `requestId` was seen; forgets the identity's ids below `floor` first. */
  has(identityId: string, requestId: string, floor: number): boolean {
    const seen = this.#ids.get(identityId);
    if (!seen) return false;
    for (const [id, c] of seen) if (c < floor) seen.delete(id);
    return seen.has(requestId);
  }

  /** Records `requestId` at `counter` (the oldest id is forgotten when the identity's set is full). */
  add(identityId: string, requestId: string, counter: number): void {
    let seen = this.#ids.get(identityId);
    if (seen) {
      this.#ids.delete(identityId);
    } else {
      seen = new Map();
      if (this.#ids.size >= this.#maxIdentities) this.#ids.delete(this.#ids.keys().next().value!);
    }
    this.#ids.set(identityId, seen);
    while (seen.size >= this.#perIdentity) seen.delete(seen.keys().next().value!);
    seen.set(requestId, counter);
  }

  clear(): void {
    this.#ids.clear();
  }
}

export class SignerService {
  readonly #ctx: OracleContext;
  readonly #nonces: NoncePools;
  readonly #seen = new SeenRequests();
  readonly #ratchet: RatchetService;
  readonly #limits: RateLimiter;

  readonly #ecdsa: EcdsaService;
  readonly #unseal: UnsealService;
  readonly #issuer: IssuerService | undefined;

  constructor(ctx: OracleContext, ratchet: RatchetService, ecdsa: EcdsaService, issuer?: IssuerService) {
    this.#ctx = ctx;
    this.#issuer = issuer;
    this.#ratchet = ratchet;
    this.#ecdsa = ecdsa;
    this.#nonces = new NoncePools(ctx.config.limits.noncesPerIdentity);
    this.#limits = new RateLimiter(ctx.config.rateLimits, ctx.metrics);
    this.#unseal = new UnsealService(ctx, ratchet, this.#limits);
  }

  handlers(): SignerHandlers {
    const log = this.#ctx.log;
    return {
      GetNonces: unary(log, 'GetNonces', (req, call) => this.getNonces(req, peerKeyOf(call))),
      Step: unary(log, 'Step', async (req, call) => {
        const done = this.#ctx.metrics.startStep();
        try {
          return await this.step(req, call.getPeer(), peerKeyOf(call));
        } finally {
          // Label only known kinds: the wire value is attacker-chosen (label cardinality).
          const kind = req.step?.kind ?? '';
          done(KNOWN_KINDS.has(kind) ? kind : 'invalid');
        }
      }),
      EcdsaRound: unary(log, 'EcdsaRound', (req, call) => this.ecdsaRound(req, peerKeyOf(call))),
      Unseal: unary(log, 'Unseal', (req, call) => this.#unseal.unseal(req, call.getPeer(), peerKeyOf(call))),
    };
  }

  close(): void {
    this.#nonces.clear();
    this.#seen.clear();
    this.#limits.clear();
  }

  /**
   * Nonce commitments for an identity. Rate limits: per peer before anything else, per identity
   * once the session signature verified (forged requests cannot drain an identity's bucket).
   * Replays (docs/protocol.md §6.1) are handled after the signature and before the per-identity
   * bucket, so a replayed request neither fills the pool nor drains the identity's budget: one
   * whose signed `counter` (the agent's certified ratchet counter) is below this oracle's
   * counter - 1 gets decoy commitments; a request id already served at a counter still accepted,
   * or a request for another oracle, is refused (REPLAYED_REQUEST).
   */
  async getNonces(req: GetNoncesRequest__Output, limitKey: string): Promise<GetNoncesResponse> {
    const ctx = this.#ctx;
    this.#limits.check('GetNonces', 'peer', limitKey);
    const max = ctx.config.limits.noncesPerIdentity;
    ensure(
      Number.isSafeInteger(req.count) && req.count >= 1 && req.count <= max,
      'MALFORMED_INPUT',
      `count: expected 1..${max}`,
    );
    const requestId = abytes(new Uint8Array(req.requestId), 'request_id', REQUEST_ID_LEN);
    ensure(
      Number.isSafeInteger(req.counter) && req.counter >= 0,
      'MALFORMED_INPUT',
      'counter: expected a non-negative safe integer',
    );
    const id = await ctx.identity(req.identityId);
    const identityId = id.record.identityId;
    verifyStatement(
      id.sessionPublicKey,
      new Uint8Array(req.sessionSignature),
      'session_signature',
      DOMAINS.nonceRequest,
      nonceRequestFields(req.identityId, req.count, requestId, req.counter, req.nodeId),
    );
    // An honest agent's certified counter is never below ours - 1: we accept only steps it made,
    // and it makes step c+2 only once c+1 is certified (its counter never goes back).
    const oracleCounter = (await ctx.store.getRatchet(identityId))?.counter ?? 0;
    const floor = Math.max(0, oracleCounter - 1);
    const replayed = (why: string) => {
      ctx.log.warn(
        { [LOG.identity]: identityId, counter: req.counter, stored: oracleCounter },
        `GetNonces replay refused (${why})`,
      );
      return new MpcidError('REPLAYED_REQUEST', `GetNonces ${why}`, {
        metadata: {
          counter: String(req.counter),
          oracleCounter: String(oracleCounter),
          nodeId: String(req.nodeId),
        },
      });
    };
    if (req.nodeId !== ctx.nodeId) throw replayed(`made for oracle ${req.nodeId}, not this one`);
    if (req.counter < floor) {
      // Behind us: an old request replayed, or a copy of the agent that is behind the cluster (a
      // clone, a rollback). Decoys: real commitments whose nonces are wiped at once. They touch no
      // pool, spend no identity budget and can never be signed with, yet let a copy that is
      // behind make its step, which exposes it (a refusal would hide it: docs/protocol.md §6.1).
      ctx.log.warn(
        { [LOG.identity]: identityId, counter: req.counter, stored: oracleCounter },
        'GetNonces behind this oracle: answered with decoy commitments (a replay, or a copy of the agent that is behind)',
      );
      const decoys = [];
      for (let i = 0; i < req.count; i++) {
        const { nonces, commitment } = commit(id.share);
        nonces.hiding.wipe();
        nonces.binding.wipe();
        decoys.push(commitmentToWire(commitment));
      }
      return { commitments: decoys };
    }
    const rid = toHex(requestId);
    if (this.#seen.has(identityId, rid, floor)) throw replayed('request id already answered');
    // Recorded only once the request is served: a RATE_LIMITED request may be resent as it is.
    this.#limits.check('GetNonces', 'identity', identityId);
    this.#seen.add(identityId, rid, req.counter);
    const commitments = [];
    for (let i = 0; i < req.count; i++) commitments.push(commitmentToWire(this.#nonces.fresh(id)));
    return { commitments };
  }

  /**
   * One ratchet step. Checks, cheapest first: shape, identity (not revoked), session signature,
   * payload (for sign steps: message size, signing set, digest); then the accept rule, which signs
   * with this node's nonce only for a newly accepted step in whose signing set this node is.
   * Rate limits as for GetNonces: per peer first, per identity once the step's signature verified.
   */
  async step(req: StepRequest__Output, peer: string, limitKey: string): Promise<StepResponse> {
    const ctx = this.#ctx;
    this.#limits.check('Step', 'peer', limitKey);
    const signed = stepFromWire(req.step);
    const id = await ctx.identity(signed.step.identityId);
    verifyStep(id.sessionPublicKey, signed, 'step.signature');
    this.#limits.check('Step', 'identity', id.record.identityId);
    const kind = signed.step.kind;
    const audit: AuditContext = { client: limitKey };
    let sign: () => SignResult = () => ({});
    if (kind === 'sign' || kind === 'jwt') {
      if (!req.sign) throw new MpcidError('MALFORMED_INPUT', `sign: missing for a ${kind} step`);
      const message = new Uint8Array(req.sign.message);
      if (message.length > ctx.config.limits.maxSignBytes) {
        throw new MpcidError('MESSAGE_TOO_LARGE', `message: at most ${ctx.config.limits.maxSignBytes} bytes`);
      }
      const wire = req.sign.commitments.map(commitmentFromWire);
      // Our own commitment, if it is one we handed out, is [k]B of our nonces: a valid point that
      // needs no second check (the others are each checked once, in checkCommitmentList).
      for (const c of wire) {
        if (c.participant === ctx.nodeId && this.#nonces.has(id.record.identityId, c)) {
          rememberValidPoint(c.hiding);
          rememberValidPoint(c.binding);
        }
      }
      const list = checkCommitmentList(id.group.as, wire);
      if (!equalBytes(signPayloadDigest(kind, message, list), signed.step.payloadDigest)) {
        throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the sign payload');
      }
      const mine = list.find((c) => c.participant === ctx.nodeId);
      if (kind === 'jwt') audit.token = tokenAudit(message);
      sign = () => {
        // Policy first: a refused payload never consumes a nonce.
        const refusal = this.#policyRefusal(id, kind, message, signed.step.counter);
        if (refusal) {
          ctx.metrics.policyRefusals.inc({ kind });
          return refusal;
        }
        if (!mine) return {};
        const nonces = this.#nonces.take(id.record.identityId, mine);
        if (!nonces) return {};
        const share = signShare(id.group, id.share, nonces, list, message);
        ctx.metrics.signatureShares.inc({ kind });
        return { share };
      };
    } else if (kind === 'es256' || kind === 'jwt-es256') {
      if (!req.ecdsa) throw new MpcidError('MALFORMED_INPUT', `ecdsa: missing for a ${kind} step`);
      const message = new Uint8Array(req.ecdsa.message);
      if (message.length > ctx.config.limits.maxSignBytes) {
        throw new MpcidError('MESSAGE_TOO_LARGE', `message: at most ${ctx.config.limits.maxSignBytes} bytes`);
      }
      const oracles = checkEcdsaOracles(id.group.as, req.ecdsa.oracles);
      if (!equalBytes(ecdsaPayloadDigest(kind, message, oracles), signed.step.payloadDigest)) {
        throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the ecdsa payload');
      }
      const ecdsa = this.#ecdsa.ecdsaOf(id);
      if (kind === 'jwt-es256') audit.token = tokenAudit(message);
      sign = () => {
        const refusal = this.#policyRefusal(id, kind, message, signed.step.counter, ecdsa.kid);
        if (refusal) {
          ctx.metrics.policyRefusals.inc({ kind });
          return refusal;
        }
        if (!oracles.includes(ctx.nodeId)) return {};
        return { envelopes: this.#ecdsa.open(id, signed, oracles, sha256(message)) };
      };
    } else if (kind === 'jwt-issuer' && this.#issuer) {
      sign = this.#issuer.stepPayload(id, signed, req.ecdsa);
    } else if (kind !== 'unseal' && !equalBytes(signed.step.payloadDigest, HEARTBEAT_DIGEST)) {
      // An unseal step resent through Step (to certify it, agent/cosigner.ts) is committed like a
      // heartbeat: it carries no blob id here, and Step never returns a partial (oracle/unseal.ts).
      throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest must be the heartbeat digest');
    }
    // Checked only for a step ahead, at most one signature verification per node (verifyCertificate).
    const certificate = req.certificate.map(commitFromWire);
    const out = await this.#ratchet.accept(id, signed, certificate, peer, sign, audit);
    return {
      commit: commitToWire(out.commit),
      signatureShare: out.signatureShare ? Buffer.from(out.signatureShare) : Buffer.alloc(0),
      next: kind === 'sign' || kind === 'jwt' ? commitmentToWire(this.#nonces.fresh(id)) : null,
      refusal: out.refusal ?? '',
      envelopes: (out.envelopes ?? []).map((e) => ({
        from: e.from,
        to: e.to,
        round: e.round,
        sealed: Buffer.from(e.sealed, 'base64url'),
        signature: Buffer.from(e.signature ?? '', 'base64url'),
      })),
    };
  }

  /**
   * DKLs23 rounds 2-3, or the agent's report that its side of a session aborted. Rate limits as
   * for Step: per peer first; per identity once the agent's own message authenticated the request
   * (before the session advances, so a refused round can be retried).
   */
  async ecdsaRound(req: EcdsaRoundRequest__Output, limitKey: string): Promise<EcdsaRoundResponse> {
    this.#limits.check('EcdsaRound', 'peer', limitKey);
    if (!req.abort)
      return this.#ecdsa.round(req, (identityId) => this.#limits.check('EcdsaRound', 'identity', identityId));
    // A suspended identity's agent may still report its own abort (it revokes); reportAbort
    // refuses a revoked identity with its evidence, as every other request is refused.
    const id = await this.#ctx.identity(req.identityId, { allowRevoked: true });
    const step = stepFromWire(req.step);
    const a = abortFromParts(0, req.abort.culprit, req.abort.check, new Uint8Array(req.abort.signature));
    const facts = abortSessionFromParts(new Uint8Array(req.abort.messageDigest), req.abort.oracles);
    await this.#ecdsa.reportAbort(id, step, a, facts);
    throw new MpcidError('IDENTITY_REVOKED', "ECDSA session aborted: identity revoked on the agent's report");
  }

  /** Why this node will not co-sign the payload, or undefined if policy allows it. */
  #policyRefusal(
    id: LoadedIdentity,
    kind: StepKind,
    message: Uint8Array,
    counter: number,
    es256Kid?: string,
  ): { refusal: string; refusalCode: string } | undefined {
    const ctx = this.#ctx;
    try {
      if (kind === 'sign' || kind === 'es256') {
        if (looksLikeJws(message)) {
          throw new MpcidError(
            'POLICY_VIOLATION',
            'a raw signature over a JWS signing input is refused; tokens go through FetchJWT',
          );
        }
        return undefined;
      }
      checkTokenPolicy(message, {
        identityId: id.record.identityId,
        name: id.record.name,
        counter,
        ...(es256Kid ? { alg: 'ES256' as const, kid: es256Kid } : {}),
        required: id.record.requiredClaims,
        policy: {
          issuer: clusterIssuer(ctx.config.cluster),
          maxTtlSeconds: ctx.config.policy.maxTokenTtlSeconds,
          clockSkewSeconds: ctx.config.policy.clockSkewSeconds,
        },
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      return undefined;
    } catch (err) {
      const e = asMpcidError(err);
      if (!e) throw err;
      ctx.log.warn(
        { [LOG.identity]: id.record.identityId, [LOG.errorCode]: e.code, [LOG.errorMessage]: e.message },
        'co-signing refused by policy',
      );
      return { refusal: `${e.code}: ${e.message}`, refusalCode: e.code };
    }
  }
}
