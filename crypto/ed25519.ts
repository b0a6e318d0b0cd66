/**
 * Validated wire encodings for the Ed25519 group (RFC 8032 §5.1.2-5.1.3, RFC 9591 §6.5).
 *
 * Every point that enters from the network goes through `decodePoint`: canonical 32-byte
 * encoding, on the curve, not the identity and in the prime-order subgroup (RFC 9591 §3.1
 * DeserializeElement). Scalars go through `decodeScalar`: 32 bytes little-endian, < L.
 *
 * The check runs on libsodium when sodium-native is loaded (./ed25519-native.ts) and on
 * @noble/curves otherwise; both accept exactly the same set (test/crypto/frost-native.test.ts) and
 * a rejection is always explained by the noble rule, so error codes and messages do not depend on
 * the backend. A point validated once is remembered (by array and contents) and not re-checked.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { MpcidError } from '../common/errors.js';
import { abytes, equalBytes } from './bytes.js';
import {
  type BackendName,
  cryptoBackend,
  isValidPointNative,
  knownValidPoint,
  rememberValidPoint,
} from './ed25519-native.js';

export const POINT_LEN = 32;
export const SCALAR_LEN = 32;
export const SIGNATURE_LEN = 64;

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

/**
 * RFC 9591 §3.1 DeserializeElement for FROST(Ed25519, SHA-512): returns the bytes if valid.
 * `backend` defaults to the process's active one (cryptoBackend()).
 */
export function decodePoint(bytes: unknown, field: string, backend?: BackendName): Uint8Array {
  const b = abytes(bytes, field, POINT_LEN);
  if (knownValidPoint(b)) return b;
  if ((backend ?? cryptoBackend().name) === 'sodium') {
    if (isValidPointNative(b)) return b;
    decodePointNoble(b, field);
    // Unreachable unless the two libraries disagree: fail closed.
    throw new MpcidError('MALFORMED_POINT', `${field}: rejected by libsodium`);
  }
  decodePointNoble(b, field);
  rememberValidPoint(b);
  return b;
}

/** RFC 9591 §3.1 DeserializeElement by @noble/curves (the reference rule), without the cache. */
export function decodePointNoble(bytes: unknown, field: string): Uint8Array {
  const b = abytes(bytes, field, POINT_LEN);
  let p: InstanceType<typeof Point>;
  try {
    p = Point.fromBytes(b, false);
  } catch {
    throw new MpcidError('MALFORMED_POINT', `${field}: not a valid curve point`);
  }
  if (!equalBytes(p.toBytes(), b))
    throw new MpcidError('MALFORMED_POINT', `${field}: non-canonical encoding`);
  if (p.is0()) throw new MpcidError('MALFORMED_POINT', `${field}: identity element`);
  if (!p.isTorsionFree())
    throw new MpcidError('MALFORMED_POINT', `${field}: not in the prime-order subgroup`);
  return b;
}

function leToBigint(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

/** RFC 9591 §6.5 DeserializeScalar: 32 bytes little-endian, canonical (< L). */
export function decodeScalar(bytes: unknown, field: string, opts: { nonZero?: boolean } = {}): Uint8Array {
  const b = abytes(bytes, field, SCALAR_LEN);
  const x = leToBigint(b);
  if (x >= L) throw new MpcidError('MALFORMED_SCALAR', `${field}: scalar not reduced modulo the group order`);
  if (opts.nonZero && x === 0n) throw new MpcidError('MALFORMED_SCALAR', `${field}: zero scalar`);
  return b;
}

/** An Ed25519 signature (R || S, RFC 8032 §5.1.6): R a canonical point encoding, S < L. */
export function decodeSignature(bytes: unknown, field: string): Uint8Array {
  const b = abytes(bytes, field, SIGNATURE_LEN);
  decodeScalar(b.subarray(32), `${field}.S`);
  return b;
}

/** RFC 8032 §5.1.7 verification (strict, cofactorless as in node:crypto / OpenSSL). */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** RFC 8032 §5.1.6 signing with a 32-byte seed. */
export function signEd25519(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed);
}

/** Generates an Ed25519 key pair (RFC 8032 §5.1.5). */
export function generateEd25519(): { seed: Uint8Array; publicKey: Uint8Array } {
  const seed = ed25519.utils.randomSecretKey();
  return { seed, publicKey: ed25519.getPublicKey(seed) };
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(abytes(seed, 'seed', 32));
}
