/**
 * Signer service (docs/protocol.md §5-6): GetNonces, Step and EcdsaRound. A step is checked the
 * same way whatever its kind (shape, identity not revoked, session signature, rate limits), then
 * its kind checks its payload and says what co-signing does once the ratchet (oracle/ratchet.ts)
 * accepts it. Each kind plugs in through `StepKindHandler`, one file each: oracle/eddsa.ts (sign,
 * jwt), oracle/ecdsa.ts (es256, jwt-es256), oracle/heartbeat.ts, oracle/issuer.ts (jwt-issuer, the
 * federation issuer key), oracle/unseal.ts, oracle/measure.ts; their agent counterparts share
 * their names. Each accepted step gets an
 * audit entry (oracle/audit.ts) with the client and, for tokens, the token's fields.
 */

import { MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import { proofFromWire } from '../common/measure-wire.js';
import {
  abortFromParts,
  abortSessionFromParts,
  commitFromWire,
  commitToWire,
  stepFromWire,
} from '../common/protocol.js';
import { type SignedStep, STEP_KINDS, type StepKind, verifyStep } from '../crypto/ratchet.js';
import type { EcdsaRoundRequest__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundRequest.js';
import type { EcdsaRoundResponse } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundResponse.js';
import type { ReportAbortRequest__Output } from '../proto/gen/mpcid/oracle/v1/ReportAbortRequest.js';
import type { ReportAbortResponse } from '../proto/gen/mpcid/oracle/v1/ReportAbortResponse.js';
import type { SignerHandlers } from '../proto/gen/mpcid/oracle/v1/Signer.js';
import type { StepRequest__Output } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import type { StepResponse } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { AuditContext, TokenAudit } from './audit.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import type { Drain } from './drain.js';
import type { EcdsaService } from './ecdsa.js';
import { EddsaSteps } from './eddsa.js';
import { HeartbeatSteps } from './heartbeat.js';
import type { IssuerService } from './issuer.js';
import { MeasureSteps } from './measure.js';
import type { RatchetService, SignFn } from './ratchet.js';
import { type CallPeer, peerKeyOf, RateLimiter } from './ratelimit.js';
import { stepsHandler } from './step-stream.js';
import { UnsealService } from './unseal.js';

const KNOWN_KINDS: ReadonlySet<string> = new Set(STEP_KINDS);

/** A step whose payload its kind checked: what co-signing does, and what the answer adds. */
export interface CheckedStep {
  /** Runs once, for a newly accepted step, with the identity's lock held. */
  sign: SignFn;
  /** Fields the answer adds once the step is accepted (e.g. a fresh nonce commitment). */
  answer?: () => Partial<StepResponse>;
  /** A token step's audited fields (oracle/audit.ts). */
  token?: TokenAudit;
  /** A measure step's audited fields. */
  measure?: AuditContext['measure'];
}

/** One or more step kinds on this oracle. */
export interface StepKindHandler {
  readonly kinds: readonly StepKind[];
  /**
   * Checks the payload of `signed` (its session signature already verified), before the accept
   * rule; throws a clear MpcidError for a bad one.
   */
  check(id: LoadedIdentity, signed: SignedStep, req: StepRequest__Output): CheckedStep;
}

export class SignerService {
  readonly #ctx: OracleContext;
  readonly #ratchet: RatchetService;
  readonly #limits: RateLimiter;
  readonly #ecdsa: EcdsaService;
  readonly #eddsa: EddsaSteps;
  readonly #kinds = new Map<StepKind, StepKindHandler>();
  readonly #unseal: UnsealService;

  constructor(ctx: OracleContext, ratchet: RatchetService, ecdsa: EcdsaService, issuer?: IssuerService) {
    this.#ctx = ctx;
    this.#ratchet = ratchet;
    this.#ecdsa = ecdsa;
    this.#limits = new RateLimiter(ctx.config.rateLimits, ctx.metrics);
    this.#unseal = new UnsealService(ctx, ratchet, this.#limits);
    this.#eddsa = new EddsaSteps(ctx, this.#limits);
    // The federation issuer's jwt-issuer steps only where an issuer service runs.
    for (const h of [
      this.#eddsa,
      ecdsa,
      new HeartbeatSteps(),
      this.#unseal,
      new MeasureSteps(ctx),
      ...(issuer ? [issuer] : []),
    ])
      for (const k of h.kinds) this.#kinds.set(k, h);
  }

  /** The service's handlers; `drain` gates the steps that arrive on a Steps stream. */
  handlers(drain: Drain): SignerHandlers {
    const log = this.#ctx.log;
    return {
      GetNonces: unary(log, 'GetNonces', (req, call) => this.#eddsa.getNonces(req, peerKeyOf(call))),
      Step: unary(log, 'Step', (req, call) => this.#measuredStep(req, call)),
      Steps: stepsHandler(log, drain, (req, call) => this.#measuredStep(req, call)),
      EcdsaRound: unary(log, 'EcdsaRound', (req, call) => this.ecdsaRound(req, peerKeyOf(call))),
      ReportAbort: unary(log, 'ReportAbort', (req, call) => this.reportAbort(req, peerKeyOf(call))),
      Unseal: unary(log, 'Unseal', (req, call) => this.#unseal.unseal(req, call.getPeer(), peerKeyOf(call))),
      GetCapabilities: unary(log, 'GetCapabilities', async () => ({ stepKinds: [...this.#kinds.keys()] })),
    };
  }

  /** `step` for one Step call or one step on a Steps stream, timed in the step metrics. */
  async #measuredStep(req: StepRequest__Output, call: CallPeer): Promise<StepResponse> {
    const done = this.#ctx.metrics.startStep();
    try {
      return await this.step(req, call.getPeer(), peerKeyOf(call));
    } finally {
      // Label only known kinds: the wire value is attacker-chosen (label cardinality).
      const kind = req.step?.kind ?? '';
      done(KNOWN_KINDS.has(kind) ? kind : 'invalid');
    }
  }

  close(): void {
    this.#eddsa.close();
    this.#limits.clear();
  }

  /**
   * One ratchet step. Checks, cheapest first: shape, identity (not revoked), session signature,
   * payload (its kind's check: for signing steps message size, signing set, digest); then the
   * accept rule, which co-signs only for a newly accepted step in whose signing set this node is.
   * Rate limits as for GetNonces: per peer first, per identity once the step's signature verified.
   */
  async step(req: StepRequest__Output, peer: string, limitKey: string): Promise<StepResponse> {
    const ctx = this.#ctx;
    this.#limits.check('Step', 'peer', limitKey);
    const signed = stepFromWire(req.step);
    const id = await ctx.identity(signed.step.identityId);
    verifyStep(id.sessionPublicKey, signed, 'step.signature');
    this.#limits.check('Step', 'identity', id.record.identityId);
    const handler = this.#kinds.get(signed.step.kind);
    if (!handler)
      throw new MpcidError('MALFORMED_INPUT', `step.kind: ${signed.step.kind} is not served here`);
    const checked = handler.check(id, signed, req);
    const audit: AuditContext = {
      client: limitKey,
      ...(checked.token ? { token: checked.token } : {}),
      ...(checked.measure ? { measure: checked.measure } : {}),
    };
    // Checked only for a step ahead, at most one signature verification per node (verifyCertificate).
    const certificate = req.certificate.map(commitFromWire);
    const proof = req.registers ? proofFromWire(req.registers) : undefined;
    const out = await this.#ratchet.accept(id, signed, certificate, peer, checked.sign, audit, proof);
    return {
      commit: commitToWire(out.commit),
      signatureShare: out.signatureShare ? Buffer.from(out.signatureShare) : Buffer.alloc(0),
      next: null,
      // Both forms: the typed field, and the deprecated string for agents that predate it.
      refusal: out.refusal ? `${out.refusal.code}: ${out.refusal.message}` : '',
      policyRefusal: out.refusal ?? null,
      envelopes: (out.envelopes ?? []).map((e) => ({
        from: e.from,
        to: e.to,
        round: e.round,
        sealed: Buffer.from(e.sealed, 'base64url'),
        signature: Buffer.from(e.signature ?? '', 'base64url'),
      })),
      ...checked.answer?.(),
    };
  }

  /**
   * DKLs23 rounds 2-3. Rate limits as for Step: per peer first; per identity once the agent's own
   * message authenticated the request (before the session advances, so a refused round can be
   * retried). A request with `abort` set comes from an agent that predates ReportAbort: it is
   * reported as ReportAbort does, and its success answered as such agents expect, with the error
   * IDENTITY_REVOKED.
   */
  async ecdsaRound(req: EcdsaRoundRequest__Output, limitKey: string): Promise<EcdsaRoundResponse> {
    this.#limits.check('EcdsaRound', 'peer', limitKey);
    if (!req.abort)
      return this.#ecdsa.round(req, (identityId) => this.#limits.check('EcdsaRound', 'identity', identityId));
    await this.reportAbort(req as ReportAbortRequest__Output, limitKey, false);
    throw new MpcidError('IDENTITY_REVOKED', "ECDSA session aborted: identity revoked on the agent's report");
  }

  /**
   * The agent's report that its side of a session aborted (docs/ecdsa.md §5): revokes the identity
   * with its session-signed claim as evidence, also when the identity is suspended (the claim
   * corroborates an accusation). A revoked identity is refused with its evidence, as every other
   * request is. Rate limits: the EcdsaRound buckets.
   */
  async reportAbort(
    req: ReportAbortRequest__Output,
    limitKey: string,
    limit = true,
  ): Promise<ReportAbortResponse> {
    if (limit) this.#limits.check('EcdsaRound', 'peer', limitKey);
    if (!req.abort) throw new MpcidError('MALFORMED_INPUT', 'abort: missing');
    const id = await this.#ctx.identity(req.identityId, { allowRevoked: true });
    const step = stepFromWire(req.step);
    const a = abortFromParts(0, req.abort.culprit, req.abort.check, new Uint8Array(req.abort.signature));
    const facts = abortSessionFromParts(new Uint8Array(req.abort.messageDigest), req.abort.oracles);
    const rec = await this.#ecdsa.reportAbort(id, step, a, facts);
    return { revoked: rec.status !== 'suspended', evidenceDigest: Buffer.from(rec.digest, 'base64url') };
  }
}
