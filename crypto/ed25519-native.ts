/**
 * Native Ed25519 group operations (RFC 8032 §5.1, as used by RFC 9591 §6.5) over libsodium via
 * sodium-native, and the choice of crypto backend for the hot path.
 *
 * sodium-native ships prebuilt binaries; if it cannot be loaded (unsupported platform, missing
 * package) mpcid uses @noble/curves for everything, which stays the reference implementation.
 * This module only records why loading failed: the process that uses it logs it (crypto/ is pure).
 *
 * Every libsodium call that can fail is checked: sodium-native throws on a non-zero return code
 * (e.g. `crypto_scalarmult_ed25519_noclamp` on a zero scalar, an identity result, or a point
 * outside the prime-order subgroup) and the helpers here turn that into an CryptoError.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { equalBytes } from './bytes.js';
import { CryptoError } from './errors.js';

/** The libsodium functions mpcid uses (sodium-native 5.x); each throws on a non-zero return code. */
export interface SodiumEd25519 {
  crypto_core_ed25519_is_valid_point(p: Uint8Array): boolean;
  crypto_core_ed25519_add(r: Uint8Array, p: Uint8Array, q: Uint8Array): void;
  crypto_core_ed25519_sub(r: Uint8Array, p: Uint8Array, q: Uint8Array): void;
  crypto_core_ed25519_scalar_reduce(r: Uint8Array, s: Uint8Array): void;
  crypto_scalarmult_ed25519_noclamp(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_ed25519_base_noclamp(q: Uint8Array, n: Uint8Array): void;
  /** RFC 8032 §5.1.7 verification, cofactorless (crypto/ed25519.ts verifyEd25519: the rule's step 4). */
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
  /** X25519 (RFC 7748 §5), for the DKG's and ES256 setup's box keys (crypto/seal.ts). */
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
}

const REQUIRED: readonly (keyof SodiumEd25519)[] = [
  'crypto_core_ed25519_is_valid_point',
  'crypto_core_ed25519_add',
  'crypto_core_ed25519_sub',
  'crypto_core_ed25519_scalar_reduce',
  'crypto_scalarmult_ed25519_noclamp',
  'crypto_scalarmult_ed25519_base_noclamp',
  'crypto_sign_verify_detached',
  'crypto_scalarmult',
  'crypto_scalarmult_base',
];

/**
 * Loads sodium-native through `req` (Node's require by default) and checks that it has every
 * function mpcid uses; on any failure returns the reason instead of throwing.
 */
export function loadSodium(req: (id: string) => unknown = createRequire(import.meta.url)): {
  sodium?: SodiumEd25519;
  error?: string;
} {
  try {
    const mod = req('sodium-native') as Partial<SodiumEd25519>;
    for (const name of REQUIRED) {
      if (typeof mod[name] !== 'function') return { error: `sodium-native lacks ${name}` };
    }
    return { sodium: mod as SodiumEd25519 };
  } catch (e) {
    return { error: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
}

const loaded = loadSodium();

/** libsodium, if sodium-native loaded in this process; undefined otherwise. */
export const sodium: SodiumEd25519 | undefined = loaded.sodium;

/** Names of the two Ed25519 backends: libsodium (native) and @noble/curves (the reference). */
export type BackendName = 'sodium' | 'noble';

let active: BackendName = sodium ? 'sodium' : 'noble';

/**
 * Which Ed25519 backend the FROST signing path and point decoding use, and, when it is noble
 * although sodium was wanted, why sodium-native could not be loaded (for one startup log line).
 */
export function cryptoBackend(): { name: BackendName; nativeAvailable: boolean; loadError?: string } {
  return {
    name: active,
    nativeAvailable: sodium !== undefined,
    ...(loaded.error !== undefined ? { loadError: loaded.error } : {}),
  };
}

/**
 * Selects the process-wide backend (operators may pin noble). Choosing sodium when it did not
 * load is an error, never a silent fallback. Returns the backend now active.
 * May throw CryptoError: INTERNAL.
 */
export function setCryptoBackend(name: BackendName): BackendName {
  if (name === 'sodium' && !sodium) {
    throw new CryptoError('INTERNAL', `sodium-native is not available: ${loaded.error ?? 'not loaded'}`);
  }
  active = name;
  return active;
}

/**
 * The loaded libsodium, or an INTERNAL error (callers check `sodium` before choosing this path).
 * May throw CryptoError: INTERNAL.
 */
export function needSodium(): SodiumEd25519 {
  if (!sodium) throw new CryptoError('INTERNAL', 'sodium-native is not available');
  return sodium;
}

// ---------------------------------------------------------------------------------------------
// Points validated once
// ---------------------------------------------------------------------------------------------

/**
 * Points that passed RFC 9591 §3.1 DeserializeElement in this process, keyed by the very
 * Uint8Array that was checked, with a copy of its contents: a later mutation of the array makes
 * the entry void (the copy no longer matches), so a stale entry can never vouch for other bytes.
 * Entries go away with the arrays (WeakMap).
 */
const validated = new WeakMap<Uint8Array, Uint8Array>();

/** Records that `b` is a canonical encoding of a prime-order, non-identity point. */
export function rememberValidPoint(b: Uint8Array): void {
  validated.set(b, b.slice());
}

/** True if exactly these bytes, in this array, were validated before. */
export function knownValidPoint(b: Uint8Array): boolean {
  const copy = validated.get(b);
  return copy !== undefined && equalBytes(copy, b);
}

/**
 * RFC 9591 §3.1 DeserializeElement by libsodium: `crypto_core_ed25519_is_valid_point` accepts
 * exactly the canonical encodings of points in the prime-order subgroup other than the identity
 * (it rejects y >= p, off-curve y, the small-order blocklist with either x sign bit, and points
 * with a torsion component). Does not throw; lengths are the caller's concern.
 * May throw CryptoError: INTERNAL.
 */
export function isValidPointNative(b: Uint8Array): boolean {
  if (b.length !== 32) return false;
  if (knownValidPoint(b)) return true;
  const ok = needSodium().crypto_core_ed25519_is_valid_point(b);
  if (ok) rememberValidPoint(b);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Group operations (RFC 9591 §6.5 ScalarMult, ScalarBaseMult, element addition)
// ---------------------------------------------------------------------------------------------

function call(what: string, f: () => void): void {
  try {
    f();
  } catch {
    throw new CryptoError('MALFORMED_POINT', `${what}: libsodium refused (invalid point or identity result)`);
  }
}

/**
 * Element addition P + Q (both on the curve; the sum may be the identity).
 * May throw CryptoError: INTERNAL, MALFORMED_POINT.
 */
export function pointAdd(p: Uint8Array, q: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  call('point addition', () => needSodium().crypto_core_ed25519_add(out, p, q));
  return out;
}

/**
 * ScalarMult(P, k) for a prime-order P and 0 < k < L. libsodium re-checks P (canonical,
 * prime-order subgroup) and fails on an identity result, so a failure is an error here.
 * May throw CryptoError: INTERNAL, MALFORMED_POINT.
 */
export function pointMul(k: Uint8Array, p: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  call('scalar multiplication', () => needSodium().crypto_scalarmult_ed25519_noclamp(out, k, p));
  return out;
}

/**
 * ScalarBaseMult(k) for 0 < k < L (libsodium fails on k = 0).
 * May throw CryptoError: INTERNAL, MALFORMED_POINT.
 */
export function baseMul(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  call('base multiplication', () => needSodium().crypto_scalarmult_ed25519_base_noclamp(out, k));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scalars (integers mod L, 32-byte little-endian)
// ---------------------------------------------------------------------------------------------

/** The prime order of the Ed25519 base point (RFC 8032 §5.1). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** Little-endian bytes to bigint. */
export function scalarToBig(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  // Big-endian hex of the bytes (one native hex encoding of a reversed copy).
  return BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);
}

/** bigint in [0, 2^256) to 32 little-endian bytes. */
export function scalarFromBig(x: bigint): Uint8Array {
  const be = Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = be[31 - i]!;
  return out;
}

/** x mod L in [0, L). */
export function modL(x: bigint): bigint {
  const r = x % L;
  return r < 0n ? r + L : r;
}

/**
 * x^-1 mod L for x not divisible by L (extended Euclid; inputs are public Lagrange terms).
 * May throw CryptoError: INTERNAL.
 */
export function invL(x: bigint): bigint {
  let [a, b] = [modL(x), L];
  let [u, v] = [1n, 0n];
  if (a === 0n) throw new CryptoError('INTERNAL', 'inverse of zero');
  while (a !== 0n) {
    const q = b / a;
    [a, b] = [b - q * a, a];
    [u, v] = [v - q * u, u];
  }
  return modL(v);
}

/**
 * SHA-512 (node:crypto) of the concatenation of `parts`, reduced mod L by libsodium: the
 * hash-to-scalar of RFC 9591 §6.5 (H1, H2, H3 interpret the 64-byte digest little-endian).
 * May throw CryptoError: INTERNAL.
 */
export function hashToScalar(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  const digest = h.digest();
  const out = new Uint8Array(32);
  needSodium().crypto_core_ed25519_scalar_reduce(out, digest);
  digest.fill(0);
  return out;
}

/** SHA-512 (node:crypto) of the concatenation of `parts`: H4 and H5 of RFC 9591 §6.5. */
export function sha512Native(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
