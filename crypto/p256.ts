/**
 * Validated wire encodings for the P-256 group (SEC 1 v2 §2.3, RFC 9591 §6.4 FROST(P-256,
 * SHA-256)), and the JWK / thumbprint of a P-256 key (RFC 7518 §6.2, RFC 7638).
 *
 * Points enter through `decodeP256Point`: 33-byte compressed SEC 1, on the curve, not the
 * identity (P-256 has cofactor 1). Scalars through `decodeP256Scalar`: 32 bytes big-endian, < n.
 */
import { p256 } from '@noble/curves/nist.js';
import { abytes, toB64u, utf8Bytes } from './bytes.js';
import { CryptoError } from './errors.js';
import { sha256 } from './hash.js';

export const P256_POINT_LEN = 33;
export const P256_SCALAR_LEN = 32;
/** A FROST proof of knowledge on P-256: R (compressed point) || z (scalar). */
export const P256_PROOF_LEN = P256_POINT_LEN + P256_SCALAR_LEN;

const Point = p256.Point;
export const P256_ORDER = Point.Fn.ORDER;

/**
 * RFC 9591 §6.4 DeserializeElement: compressed SEC 1, valid, not the identity. Returns the bytes.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function decodeP256Point(bytes: unknown, field: string): Uint8Array {
  const b = abytes(bytes, field, P256_POINT_LEN);
  try {
    const p = Point.fromBytes(b);
    p.assertValidity();
    if (p.is0()) throw new Error('identity');
  } catch {
    throw new CryptoError('MALFORMED_POINT', `${field}: not a valid P-256 point`);
  }
  return b;
}

/**
 * SEC 1 §2.3.3 uncompressed encoding (65 bytes) of a compressed P-256 point.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function p256Uncompressed(point: Uint8Array): Uint8Array {
  return Point.fromBytes(decodeP256Point(point, 'point')).toBytes(false);
}

/**
 * RFC 9591 §6.4 DeserializeScalar: 32 bytes big-endian, < n.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_SCALAR.
 */
export function decodeP256Scalar(
  bytes: unknown,
  field: string,
  opts: { nonZero?: boolean } = {},
): Uint8Array {
  const b = abytes(bytes, field, P256_SCALAR_LEN);
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  if (x >= P256_ORDER) throw new CryptoError('MALFORMED_SCALAR', `${field}: scalar not reduced modulo n`);
  if (opts.nonZero && x === 0n) throw new CryptoError('MALFORMED_SCALAR', `${field}: zero scalar`);
  return b;
}

/**
 * A FROST proof of knowledge (R || z) on P-256.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function decodeP256Proof(bytes: unknown, field: string): Uint8Array {
  const b = abytes(bytes, field, P256_PROOF_LEN);
  decodeP256Point(b.subarray(0, P256_POINT_LEN), `${field}.R`);
  decodeP256Scalar(b.subarray(P256_POINT_LEN), `${field}.z`);
  return b;
}

export interface EcJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/**
 * RFC 7518 §6.2.1: the public JWK of a P-256 key.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function p256Jwk(publicKey: Uint8Array): EcJwk {
  const u = p256Uncompressed(publicKey);
  return { kty: 'EC', crv: 'P-256', x: toB64u(u.subarray(1, 33)), y: toB64u(u.subarray(33, 65)) };
}

/**
 * RFC 7638 §3.2 thumbprint of a P-256 key (members crv, kty, x, y in order): its JWS `kid`.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function p256Thumbprint(publicKey: Uint8Array): string {
  const j = p256Jwk(publicKey);
  return toB64u(sha256(utf8Bytes(`{"crv":"${j.crv}","kty":"${j.kty}","x":"${j.x}","y":"${j.y}"}`)));
}
