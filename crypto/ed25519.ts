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
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
} from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { abytes, equalBytes } from './bytes.js';
import {
  type BackendName,
  cryptoBackend,
  isValidPointNative,
  knownValidPoint,
  rememberValidPoint,
  sodium,
} from './ed25519-native.js';
import { CryptoError } from './errors.js';

export const POINT_LEN = 32;
export const SCALAR_LEN = 32;
export const SIGNATURE_LEN = 64;

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

/**
 * RFC 9591 §3.1 DeserializeElement for FROST(Ed25519, SHA-512): returns the bytes if valid.
 * `backend` defaults to the process's active one (cryptoBackend()).
 * May throw CryptoError: BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function decodePoint(bytes: unknown, field: string, backend?: BackendName): Uint8Array {
  const b = abytes(bytes, field, POINT_LEN);
  if (knownValidPoint(b)) return b;
  if ((backend ?? cryptoBackend().name) === 'sodium') {
    if (isValidPointNative(b)) return b;
    decodePointNoble(b, field);
    // Unreachable unless the two libraries disagree: fail closed.
    throw new CryptoError('MALFORMED_POINT', `${field}: rejected by libsodium`);
  }
  decodePointNoble(b, field);
  rememberValidPoint(b);
  return b;
}

/**
 * RFC 9591 §3.1 DeserializeElement by @noble/curves (the reference rule), without the cache.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function decodePointNoble(bytes: unknown, field: string): Uint8Array {
  const b = abytes(bytes, field, POINT_LEN);
  let p: InstanceType<typeof Point>;
  try {
    p = Point.fromBytes(b, false);
  } catch {
    throw new CryptoError('MALFORMED_POINT', `${field}: not a valid curve point`);
  }
  if (!equalBytes(p.toBytes(), b))
    throw new CryptoError('MALFORMED_POINT', `${field}: non-canonical encoding`);
  if (p.is0()) throw new CryptoError('MALFORMED_POINT', `${field}: identity element`);
  if (!p.isTorsionFree())
    throw new CryptoError('MALFORMED_POINT', `${field}: not in the prime-order subgroup`);
  return b;
}

function leToBigint(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

/**
 * RFC 9591 §6.5 DeserializeScalar: 32 bytes little-endian, canonical (< L).
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_SCALAR.
 */
export function decodeScalar(bytes: unknown, field: string, opts: { nonZero?: boolean } = {}): Uint8Array {
  const b = abytes(bytes, field, SCALAR_LEN);
  const x = leToBigint(b);
  if (x >= L)
    throw new CryptoError('MALFORMED_SCALAR', `${field}: scalar not reduced modulo the group order`);
  if (opts.nonZero && x === 0n) throw new CryptoError('MALFORMED_SCALAR', `${field}: zero scalar`);
  return b;
}

/**
 * An Ed25519 signature (R || S, RFC 8032 §5.1.6): R a canonical point encoding, S < L.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_SCALAR.
 */
export function decodeSignature(bytes: unknown, field: string): Uint8Array {
  const b = abytes(bytes, field, SIGNATURE_LEN);
  // S < L by bytes (as the verification rule checks it), without a bigint per signature.
  if (!isCanonicalScalar(b.subarray(32)))
    throw new CryptoError('MALFORMED_SCALAR', `${field}.S: scalar not reduced modulo the group order`);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Single-key Ed25519 (RFC 8032): statements, steps, commits, evidence. node:crypto (OpenSSL).
// ---------------------------------------------------------------------------------------------

/** DER prefixes of an Ed25519 PKCS#8 private key (RFC 8410 §7) and SPKI public key (§4). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** L in 32 little-endian bytes, for the S < L check. */
const L_LE = (() => {
  const out = new Uint8Array(32);
  let x = L;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
})();

/** True if the 32 little-endian bytes are an integer < L (RFC 8032 §5.1.7 step 1, S in [0, L)). */
export function isCanonicalScalar(s: Uint8Array): boolean {
  if (s.length !== 32) return false;
  for (let i = 31; i >= 0; i--) {
    if (s[i]! !== L_LE[i]!) return s[i]! < L_LE[i]!;
  }
  return false; // s = L
}

/** Public keys seen: key bytes (latin1) -> KeyObject, or null when the key fails the rule. */
const MAX_CACHED_KEYS = 10_000;
const publicKeys = new Map<string, KeyObject | null>();

/**
 * The verification rule's check of A, and the key's node:crypto KeyObject: made once per key and
 * cached (bounded, oldest first out). A must be a canonical encoding of a point of the
 * prime-order subgroup other than the identity (decodePoint, RFC 9591 §3.1): so no small-order
 * and no mixed-torsion key is ever accepted. null if it is not.
 */
function verifyingKey(publicKey: Uint8Array): KeyObject | null {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
  const hit = publicKeys.get(id);
  if (hit !== undefined) return hit;
  let key: KeyObject | null;
  try {
    decodePoint(publicKey.slice(), 'publicKey');
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch {
    key = null;
  }
  if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
  publicKeys.set(id, key);
  return key;
}

/** The encoding of the identity point (x = 0, y = 1). */
const IDENTITY_BYTES = (() => {
  const b = new Uint8Array(32);
  b[0] = 1;
  return b;
})();

/**
 * Ed25519 verification, one rule on every node (docs/protocol.md §6.1, "One Ed25519 verification
 * rule"): strict RFC 8032 §5.1.7, cofactorless. A signature (R || S) of M under A is valid iff
 *   1. the signature is 64 bytes and A 32 bytes;
 *   2. S < L (canonical; S + L aliases are refused);
 *   3. A is a canonical encoding of a prime-order-subgroup point, not the identity (so neither
 *      small-order nor mixed-torsion);
 *   4. R's bytes equal the encoding of [S]B - [k]A, k = SHA-512(R || A || M) mod L;
 *   5. R is not the identity (libsodium refuses a small-order R; honest signers never make it:
 *      it needs a nonce r = 0 mod L).
 * Checks 1-3 and 5 run here, before libsodium (crypto_sign_verify_detached, when the sodium
 * backend is active) or OpenSSL (node:crypto) does 4. Because A and B are torsion-free,
 * [S]B - [k]A is too, so 4 implies R is canonical and torsion-free, and with 5 not of small
 * order; hence the cofactored equation ([8][S]B = [8]R + [8][k]A) and the cofactorless one agree
 * on every input that passes 1-3, libsodium's own extra checks (canonical S, canonical A, no
 * small-order A or R) hold whenever 1-5 do, and libsodium, OpenSSL and @noble/curves give one
 * answer (test/crypto/ed25519-rule.test.ts checks both paths against noble over random and
 * adversarial inputs). Never throws.
 * May throw CryptoError: BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LEN) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== POINT_LEN) return false;
  if (!(message instanceof Uint8Array)) return false;
  if (!isCanonicalScalar(signature.subarray(32))) return false;
  if (equalBytes(signature.subarray(0, 32), IDENTITY_BYTES)) return false;
  const key = verifyingKey(publicKey);
  if (!key) return false;
  try {
    // libsodium's verification takes about 40 % of OpenSSL's time here.
    if (sodium && cryptoBackend().name === 'sodium') {
      return sodium.crypto_sign_verify_detached(signature, message, publicKey);
    }
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

/**
 * Private KeyObjects, made once per seed array. The fingerprint (SHA-256 of the seed) makes a
 * wiped or rewritten array build a new key instead of signing with the old one.
 */
const signingKeys = new WeakMap<Uint8Array, { key: KeyObject; fingerprint: Buffer }>();

function seedFingerprint(seed: Uint8Array): Buffer {
  return createHash('sha256').update(seed).digest();
}

function signingKey(seed: Uint8Array): KeyObject {
  abytes(seed, 'seed', 32);
  const fp = seedFingerprint(seed);
  const hit = signingKeys.get(seed);
  if (hit?.fingerprint.equals(fp)) return hit.key;
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  signingKeys.set(seed, { key, fingerprint: fp });
  return key;
}

/**
 * RFC 8032 §5.1.6 signing with a 32-byte seed (node:crypto; deterministic, same bytes as noble).
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function signEd25519(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, signingKey(seed)));
}

/**
 * Generates an Ed25519 key pair (RFC 8032 §5.1.5).
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function generateEd25519(): { seed: Uint8Array; publicKey: Uint8Array } {
  const seed = new Uint8Array(randomBytes(32));
  return { seed, publicKey: ed25519PublicKey(seed) };
}

/**
 * The public key A of a 32-byte seed (RFC 8032 §5.1.5).
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const jwk = createPublicKey(signingKey(abytes(seed, 'seed', 32))).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
}
