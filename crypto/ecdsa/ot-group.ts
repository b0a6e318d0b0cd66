/**
 * The group of the base OTs (./baseot.ts): the prime-order subgroup of edwards25519 (order ℓ =
 * 2^252 + 27742317777372353535851937790883648493, RFC 8032 §5.1), independent of the ECDSA curve
 * the OTs serve (the OT extension consumes only the OT outputs, docs/ecdsa.md §2).
 *
 * Elements travel as canonical 32-byte encodings; scalars as 32 bytes little-endian, < ℓ. Every
 * element from a peer is accepted only if it is a canonical encoding of a non-identity point of
 * the prime-order subgroup (the rule of RFC 9591 §3.1 DeserializeElement, crypto/ed25519.ts), so
 * the protocol runs in a group of prime order as VSOT's proof requires.
 *
 * The operations run on libsodium when sodium-native is the active backend (crypto/ed25519-native.ts,
 * about 2.5x faster than node:crypto's P-256 ECDH for one base OT) and on @noble/curves otherwise;
 * both compute the same bytes (test/crypto/ecdsa-units.test.ts runs a pair setup across the two).
 */
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { decodePointNoble } from '../ed25519.js';
import { cryptoBackend, L, modL, needSodium, scalarFromBig, scalarToBig } from '../ed25519-native.js';

/** Bytes of a base-OT group element and of a scalar. */
export const OT_POINT_LEN = 32;
export const OT_SCALAR_LEN = 32;
/** The order ℓ of the base-OT group. */
export const OT_ORDER = L;

const Point = ed25519.Point;

/** Element operations; `add`/`sub` take elements known to be valid (own, or checked by `mulPeer`/`valid`). */
interface Ops {
  /** k·G for 0 < k < ℓ. */
  base(k: Uint8Array): Uint8Array;
  /** k·P for 0 < k < ℓ, or undefined if P is not a valid element (see the header). */
  mulPeer(k: Uint8Array, p: Uint8Array): Uint8Array | undefined;
  /** Whether `p` is a valid element (see the header). */
  valid(p: Uint8Array): boolean;
  add(p: Uint8Array, q: Uint8Array): Uint8Array;
  sub(p: Uint8Array, q: Uint8Array): Uint8Array;
}

const SODIUM: Ops = {
  base(k) {
    const out = new Uint8Array(OT_POINT_LEN);
    needSodium().crypto_scalarmult_ed25519_base_noclamp(out, k);
    return out;
  },
  mulPeer(k, p) {
    // libsodium refuses a non-canonical, off-curve, small-order or torsioned P (the same set as
    // crypto_core_ed25519_is_valid_point) and an identity result (impossible for 0 < k < ℓ).
    if (p.length !== OT_POINT_LEN) return undefined;
    const out = new Uint8Array(OT_POINT_LEN);
    try {
      needSodium().crypto_scalarmult_ed25519_noclamp(out, k, p);
    } catch {
      return undefined;
    }
    return out;
  },
  valid(p) {
    return p.length === OT_POINT_LEN && needSodium().crypto_core_ed25519_is_valid_point(p);
  },
  add(p, q) {
    const out = new Uint8Array(OT_POINT_LEN);
    needSodium().crypto_core_ed25519_add(out, p, q);
    return out;
  },
  sub(p, q) {
    const out = new Uint8Array(OT_POINT_LEN);
    needSodium().crypto_core_ed25519_sub(out, p, q);
    return out;
  },
};

function validNoble(p: Uint8Array): boolean {
  try {
    decodePointNoble(p, 'point');
    return true;
  } catch {
    return false;
  }
}

const NOBLE: Ops = {
  base: (k) => Point.BASE.multiply(scalarToBig(k)).toBytes(),
  mulPeer: (k, p) => (validNoble(p) ? Point.fromBytes(p).multiply(scalarToBig(k)).toBytes() : undefined),
  valid: validNoble,
  add: (p, q) => Point.fromBytes(p).add(Point.fromBytes(q)).toBytes(),
  sub: (p, q) => Point.fromBytes(p).subtract(Point.fromBytes(q)).toBytes(),
};

/** The operations of the process's active Ed25519 backend (cryptoBackend()). */
export function otGroup(): Ops {
  return cryptoBackend().name === 'sodium' ? SODIUM : NOBLE;
}

/** `n` uniform scalars in [1, ℓ), each from 48 random bytes (bias < 2^-130), as OT_SCALAR_LEN bytes. */
export function randomOtScalars(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (out.length < n) {
    const raw = randomBytes(48 * (n - out.length));
    for (let i = 0; i < raw.length; i += 48) {
      const x = BigInt(`0x${raw.subarray(i, i + 48).toString('hex')}`) % L;
      if (x !== 0n) out.push(scalarFromBig(x));
    }
    raw.fill(0);
  }
  return out;
}

/** A scalar's little-endian bytes as a bigint (no range check). */
export const otScalarToBig = scalarToBig;
/** x mod ℓ as OT_SCALAR_LEN little-endian bytes. */
export function otScalar(x: bigint): Uint8Array {
  return scalarFromBig(modL(x));
}
