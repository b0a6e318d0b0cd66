/**
 * Hash functions used across mpcid (FIPS 180-4 SHA-2), on node:crypto (OpenSSL): the same bytes
 * as @noble/hashes (test/crypto/node-primitives.test.ts), several times faster on large inputs.
 */
import { createHash, hkdfSync } from 'node:crypto';

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return view(createHash('sha256').update(data).digest());
}

/** SHA-512 of `data`. */
export function sha512(data: Uint8Array): Uint8Array {
  return view(createHash('sha512').update(data).digest());
}

/** HKDF-SHA256 (RFC 5869): `length` bytes from `ikm`, `salt` and `info`. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}
