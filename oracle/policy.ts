/**
 * The oracle's co-signing policy (docs/protocol.md §6, §8): what a signing step's payload may be.
 * A raw sign / es256 step over a JWS signing input is refused (tokens go through FetchJWT); a
 * jwt / jwt-es256 step's token must pass the token policy (issuer, subject, counter, lifetime,
 * and the claims its enrollment bound: CLAIM_MISMATCH); its registers must hold the values the
 * enrollment bound, and a quote's `registers` claim must be this node's registers
 * (REGISTER_MISMATCH, docs/protocol.md §6.4).
 * A refusal does not stop the step: the ratchet advances, and nothing is co-signed.
 */

import { clusterIssuer } from '../common/config.js';
import { asMpcidError, type ErrorCode, MpcidError } from '../common/errors.js';
import { ATTEST_TYP, checkTokenPolicy, looksLikeJws, parseSigningInput } from '../common/jwt.js';
import { LOG } from '../common/log.js';
import type { RegisterState } from '../common/measure-wire.js';
import { checkRegistersClaim, checkRequiredRegisters } from '../common/registers.js';
import type { StepKind } from '../crypto/ratchet.js';
import { initialRegisters } from '../crypto/registers.js';
import type { LoadedIdentity, OracleContext } from './context.js';

/** A refusal to co-sign: a stable code (e.g. POLICY_VIOLATION) and a message for humans. */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

/** Why this node will not co-sign the payload, or undefined if policy allows it. */
export function policyRefusal(
  ctx: OracleContext,
  id: LoadedIdentity,
  kind: StepKind,
  message: Uint8Array,
  counter: number,
  es256Kid?: string,
  registers?: RegisterState,
): Refusal | undefined {
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
    checkRegisterPolicy(id, message, registers);
    return undefined;
  } catch (err) {
    const e = asMpcidError(err);
    if (!e) throw err;
    ctx.log.warn(
      { [LOG.identity]: id.record.identityId, [LOG.errorCode]: e.code, [LOG.errorMessage]: e.message },
      'co-signing refused by policy',
    );
    return { code: e.code, message: e.message };
  }
}

/**
 * A token's or quote's registers: the values the enrollment bound must be held, and a quote's
 * `registers` claim must be exactly the held values. REGISTER_MISMATCH otherwise.
 */
export function checkRegisterPolicy(
  id: LoadedIdentity,
  message: Uint8Array,
  registers: RegisterState | undefined,
): void {
  checkRequiredRegisters(
    registers?.values ?? initialRegisters(),
    id.record.requiredRegisters,
    'token refused',
  );
  const parsed = parseSigningInput(message);
  if (parsed?.header['typ'] === ATTEST_TYP)
    checkRegistersClaim(parsed.claims['registers'], registers?.values);
}

/** The message of a signing step, refused past `limits.maxSignBytes` (MESSAGE_TOO_LARGE). */
export function signedMessage(ctx: OracleContext, bytes: Uint8Array): Uint8Array {
  const message = new Uint8Array(bytes);
  if (message.length > ctx.config.limits.maxSignBytes)
    throw new MpcidError('MESSAGE_TOO_LARGE', `message: at most ${ctx.config.limits.maxSignBytes} bytes`);
  return message;
}
