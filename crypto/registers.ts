/**
 * Measurement registers (docs/protocol.md §6.4): PCR-like, SHA-256, extend-only. An identity has
 * REGISTER_COUNT registers, each 32 bytes, all zero at enrollment; extending register i with the
 * SHA-256 digest d of what was measured sets
 *
 *   new = SHA-256(utf8("mpcid/register/extend/v1") || old || d)
 *
 * (the TPM 2.0 PCR_Extend form, old || digest, with a domain prefix; every part has a fixed length
 * but the domain, which comes first, so the concatenation is unambiguous). Pure: no I/O.
 */

import { abytes, aint, concatBytes, equalBytes, utf8Bytes } from './bytes.js';
import { HASH_DOMAINS } from './domains.js';
import { CryptoError } from './errors.js';
import { sha256 } from './hash.js';

/** Registers per identity: 0..15. */
export const REGISTER_COUNT = 16;
/** Bytes of a register value and of a measured digest (SHA-256). */
export const REGISTER_LEN = 32;

const EXTEND_PREFIX = utf8Bytes(HASH_DOMAINS.registerExtend);

/** The 16 registers of an identity that never measured anything: all zero. */
export function initialRegisters(): Uint8Array[] {
  return Array.from({ length: REGISTER_COUNT }, () => new Uint8Array(REGISTER_LEN));
}

/**
 * One extend: SHA-256(domain || old || digest).
 * May throw CryptoError: BAD_LENGTH.
 */
export function extendRegister(old: Uint8Array, digest: Uint8Array): Uint8Array {
  abytes(old, 'register', REGISTER_LEN);
  abytes(digest, 'digest', REGISTER_LEN);
  return sha256(concatBytes(EXTEND_PREFIX, old, digest));
}

/**
 * The register values after extending register `index` of `values` with `digest` (a new array;
 * `values` is not changed).
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function extendRegisters(
  values: readonly Uint8Array[],
  index: number,
  digest: Uint8Array,
): Uint8Array[] {
  checkRegisters(values);
  aint(index, 'register', 0, REGISTER_COUNT - 1);
  return values.map((v, i) => (i === index ? extendRegister(v, digest) : new Uint8Array(v)));
}

/**
 * Checks a full set of register values: exactly REGISTER_COUNT values of REGISTER_LEN bytes.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function checkRegisters(values: readonly Uint8Array[], field = 'registers'): Uint8Array[] {
  if (!Array.isArray(values) || values.length !== REGISTER_COUNT)
    throw new CryptoError('MALFORMED_INPUT', `${field}: expected ${REGISTER_COUNT} values`);
  return values.map((v, i) => abytes(v, `${field}[${i}]`, REGISTER_LEN));
}

/** Whether two full sets of register values are equal. */
export function sameRegisters(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((v, i) => equalBytes(v, b[i]!));
}
