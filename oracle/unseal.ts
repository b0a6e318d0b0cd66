/**
 * The oracle's side of an unseal step (docs/protocol.md §6.3). An unseal is a ratchet step of its
 * own kind, checked exactly as a signing step (shape, identity not revoked, session signature,
 * payload digest, then the accept rule), so a revoked identity or a caught copy never unseals.
 * Only once the step is accepted (new, or the same bytes as the last step: the agent's retry)
 * does the oracle answer with its share of the identity key times H(cluster, identity, blob id)
 * and a DLEQ proof against its verifying share (crypto/blobkey.ts). It never sees a blob or a
 * plaintext; the partial is recomputed on a retry, so nothing is stored but the step.
 */
import { MpcidError } from '../common/errors.js';
import { commitFromWire, commitToWire, stepFromWire } from '../common/protocol.js';
import { partialToWire, unsealPayloadDigest } from '../common/unseal-wire.js';
import { BLOB_ID_LEN, blobPartial } from '../crypto/blobkey.js';
import { abytes, equalBytes, toB64u } from '../crypto/bytes.js';
import { verifyStep } from '../crypto/ratchet.js';
import type { UnsealRequest__Output } from '../proto/gen/mpcid/oracle/v1/UnsealRequest.js';
import type { UnsealResponse } from '../proto/gen/mpcid/oracle/v1/UnsealResponse.js';
import type { OracleContext } from './context.js';
import type { RatchetService } from './ratchet.js';
import type { RateLimiter } from './ratelimit.js';
import type { CheckedStep, StepKindHandler } from './signer.js';

export class UnsealService implements StepKindHandler {
  /**
   * Through Step, an unseal step comes only resent to certify it (agent/steps.ts): it is committed
   * like a heartbeat, and Step never returns a partial (it carries no blob id there).
   */
  readonly kinds = ['unseal'] as const;

  readonly #ctx: OracleContext;
  readonly #ratchet: RatchetService;
  readonly #limits: RateLimiter;

  constructor(ctx: OracleContext, ratchet: RatchetService, limits: RateLimiter) {
    this.#ctx = ctx;
    this.#ratchet = ratchet;
    this.#limits = limits;
  }

  check(): CheckedStep {
    return { sign: () => ({}) };
  }

  /** One unseal step. Rate limits as for Step (it is one): per peer first, per identity once signed. */
  async unseal(req: UnsealRequest__Output, peer: string, limitKey: string): Promise<UnsealResponse> {
    const ctx = this.#ctx;
    this.#limits.check('Step', 'peer', limitKey);
    const blobId = abytes(new Uint8Array(req.blobId), 'blob_id', BLOB_ID_LEN);
    const signed = stepFromWire(req.step);
    if (signed.step.kind !== 'unseal')
      throw new MpcidError('MALFORMED_INPUT', 'step.kind: Unseal takes unseal steps only');
    const id = await ctx.identity(signed.step.identityId);
    verifyStep(id.sessionPublicKey, signed, 'step.signature');
    this.#limits.check('Step', 'identity', id.record.identityId);
    const clusterId = ctx.config.cluster.id;
    if (!equalBytes(unsealPayloadDigest(clusterId, blobId), signed.step.payloadDigest))
      throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the blob id');
    const out = await this.#ratchet.accept(
      id,
      signed,
      req.certificate.map(commitFromWire),
      peer,
      () => ({}),
      { client: limitKey, blobId: toB64u(blobId) },
    );
    const partial = blobPartial(id.group, id.share, { clusterId, identityId: id.record.identityId, blobId });
    return { commit: commitToWire(out.commit), ...partialToWire(partial) };
  }
}
