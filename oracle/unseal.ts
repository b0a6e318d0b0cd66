/**
 * The oracle's side of an unseal step (docs/protocol.md §6.3). An unseal is a ratchet step of its
 * own kind, checked exactly as a signing step (shape, identity not revoked, session signature,
 * payload digest, then the accept rule), so a revoked identity or a caught copy never unseals.
 * Only once the step is accepted (new, or the same bytes as the last step: the agent's retry)
 * does the oracle answer with its share of the identity key times H(cluster, identity, blob id)
 * and a DLEQ proof against its verifying share (crypto/blobkey.ts). It never sees a blob or a
 * plaintext; the partial is recomputed on a retry, so nothing is stored but the step.
 *
 * A blob whose policy requires register values (docs/protocol.md §6.4) names that policy in the
 * request; it is bound into H(blob) and the step's digest, so naming another one gets a partial
 * of another point. When this node's registers (after the request's register proof) do not hold
 * the required values, or those the join token bound, it refuses the partial (REGISTER_MISMATCH
 * in policy_refusal): the step still counts, as a token refused by policy does.
 */
import { MpcidError } from '../common/errors.js';
import { proofFromWire, type RegisterState } from '../common/measure-wire.js';
import { commitFromWire, commitToWire, stepFromWire } from '../common/protocol.js';
import { checkRequiredRegisters } from '../common/registers.js';
import {
  boundPolicy,
  partialToWire,
  type SealPolicy,
  sealPolicyFromBytes,
  unsealPayloadDigest,
} from '../common/unseal-wire.js';
import { BLOB_ID_LEN, blobPartial } from '../crypto/blobkey.js';
import { abytes, equalBytes, toB64u } from '../crypto/bytes.js';
import { verifyStep } from '../crypto/ratchet.js';
import { initialRegisters } from '../crypto/registers.js';
import type { UnsealRequest__Output } from '../proto/gen/mpcid/oracle/v1/UnsealRequest.js';
import type { UnsealResponse } from '../proto/gen/mpcid/oracle/v1/UnsealResponse.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import type { Refusal } from './policy.js';
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
    const policy = sealPolicyFromBytes(new Uint8Array(req.policy));
    const bound = boundPolicy(policy);
    if (!equalBytes(unsealPayloadDigest(clusterId, blobId, bound), signed.step.payloadDigest))
      throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the blob id and policy');
    const out = await this.#ratchet.accept(
      id,
      signed,
      req.certificate.map(commitFromWire),
      peer,
      (registers) => {
        const refusal = this.#refusal(id, policy, registers);
        if (refusal) ctx.metrics.policyRefusals.inc({ kind: 'unseal' });
        return refusal ? { refusal } : {};
      },
      { client: limitKey, blobId: toB64u(blobId) },
      req.registers ? proofFromWire(req.registers) : undefined,
    );
    if (out.refusal) return { commit: commitToWire(out.commit), policyRefusal: out.refusal };
    const partial = blobPartial(id.group, id.share, {
      clusterId,
      identityId: id.record.identityId,
      blobId,
      ...(bound ? { boundPolicy: bound } : {}),
    });
    return { commit: commitToWire(out.commit), ...partialToWire(partial) };
  }

  /** REGISTER_MISMATCH when the registers in force lack a value the policy or the join token requires. */
  #refusal(
    id: LoadedIdentity,
    policy: SealPolicy,
    registers: RegisterState | undefined,
  ): Refusal | undefined {
    const values = registers?.values ?? initialRegisters();
    try {
      checkRequiredRegisters(values, policy.registers, 'unseal refused by the blob policy');
      checkRequiredRegisters(values, id.record.requiredRegisters, 'unseal refused by the join token');
      return undefined;
    } catch (e) {
      if (!(e instanceof MpcidError)) throw e;
      return { code: e.code, message: e.message };
    }
  }
}
