/**
 * Group and field plumbing for threshold ECDSA (DKLs23, eprint 2023/765) on P-256 and secp256k1:
 * curve parameters, strict scalar/point codecs, native (node:crypto) scalar multiplication,
 * hashing helpers and the `CryptoError` shapes every ECDSA module throws.
 *
 * Pure computation only: node:crypto is used for SHA-2/SHAKE and for constant-time elliptic-curve
 * scalar multiplication (ECDH), never for I/O. Group arithmetic on public values is @noble/curves.
 */
import { createECDH, createHash, randomBytes } from 'node:crypto';
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import type { WeierstrassPoint, WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { concatBytes, equalBytes, u32be, utf8Bytes } from '../bytes.js';
import { CryptoError } from '../errors.js';

/** The two curves threshold ECDSA supports (ES256 uses P-256). */
export type EcdsaCurve = 'P-256' | 'secp256k1';
/** A signer: the agent is 0, oracles are their node id. Encoded as one byte on the wire. */
export type PartyId = number;
export type Point = WeierstrassPoint<bigint>;

/** Largest party id the one-byte wire encoding carries. */
export const MAX_PARTY_ID = 254;
/** Bytes of a scalar (both curves have 256-bit group orders). */
export const SCALAR_LEN = 32;
/** Bytes of a wire point: SEC1 uncompressed (validated without a square root). */
export const POINT_LEN = 65;

/** Parameters of one supported curve. */
export interface Curve {
  readonly name: EcdsaCurve;
  /** One-byte wire code. */
  readonly code: number;
  readonly Point: WeierstrassPointCons<bigint>;
  /** Group order q. */
  readonly q: bigint;
  /** OpenSSL curve name for node:crypto ECDH. */
  readonly native: string;
}

const CURVES: Record<EcdsaCurve, Curve> = {
  'P-256': { name: 'P-256', code: 1, Point: p256.Point, q: p256.Point.Fn.ORDER, native: 'prime256v1' },
  secp256k1: {
    name: 'secp256k1',
    code: 2,
    Point: secp256k1.Point,
    q: secp256k1.Point.Fn.ORDER,
    native: 'secp256k1',
  },
};

/**
 * Looks up a supported curve; anything else is MALFORMED_INPUT.
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function getCurve(name: unknown): Curve {
  if (name !== 'P-256' && name !== 'secp256k1') {
    throw new CryptoError('MALFORMED_INPUT', 'curve: expected P-256 or secp256k1');
  }
  return CURVES[name];
}

/** The curve with wire code `code`, or undefined. */
export function curveByCode(code: number): Curve | undefined {
  return code === 1 ? CURVES['P-256'] : code === 2 ? CURVES.secp256k1 : undefined;
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Throws the error for a failed check on `culprit`'s message (details: culprits [culprit], check). `code` is ECDSA_ABORT for a
 * consistency failure, or the specific malformed-encoding code. Messages never carry secrets.
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function abort(
  culprit: PartyId,
  check: string,
  message: string,
  code:
    | 'ECDSA_ABORT'
    | 'BAD_LENGTH'
    | 'MALFORMED_POINT'
    | 'MALFORMED_SCALAR'
    | 'MALFORMED_INPUT' = 'ECDSA_ABORT',
): never {
  throw new CryptoError(code, `party ${culprit}: ${message}`, { culprits: [culprit], check });
}

// ---------------------------------------------------------------------------------------------
// Scalars

const HEX64 = '0'.repeat(64);

export function mod(c: Curve, x: bigint): bigint {
  const r = x % c.q;
  return r < 0n ? r + c.q : r;
}

const reducers = new Map<string, (x: bigint) => bigint>();

/**
 * x ↦ x mod q for x >= 0, by Barrett reduction (μ = ⌊2^512 / q⌋, 256-bit q): two multiplications
 * and shifts in place of a BigInt division, about twice as fast on the VOLE's sums of products of
 * two scalars. The quotient estimate never exceeds ⌊x / q⌋, so the remainder starts non-negative,
 * and the loop subtracts the q it falls short by: at most about 2^s + 2 of them for x < 2^(512+s)
 * (the VOLE's sums are below 5q² < 2^515). The same result as `mod`; like all BigInt arithmetic
 * here, not constant time.
 */
export function reducer(c: Curve): (x: bigint) => bigint {
  let f = reducers.get(c.name);
  if (!f) {
    const q = c.q;
    const mu = (1n << 512n) / q;
    f = (x: bigint) => {
      let r = x - (((x >> 255n) * mu) >> 257n) * q;
      while (r >= q) r -= q;
      return r;
    };
    reducers.set(c.name, f);
  }
  return f;
}

/** Big-endian bytes -> bigint (any length). */
export function bytesToBig(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

/** 64 hex characters of a scalar in [0, 2^256). */
export function scalarHex(x: bigint): string {
  const h = x.toString(16);
  return h.length === 64 ? h : (HEX64 + h).slice(-64);
}

/** 32-byte big-endian encoding of a scalar in [0, 2^256). */
export function scalarBytes(x: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(scalarHex(x), 'hex'));
}

/** Modular inverse mod q (x != 0). */
export function invert(c: Curve, x: bigint): bigint {
  return c.Point.Fn.inv(mod(c, x));
}

/** A uniform scalar in [1, q): 48 random bytes reduced mod q (bias < 2^-128), rejecting 0. */
export function randomScalar(c: Curve): bigint {
  for (;;) {
    const x = bytesToBig(randomBytes(48)) % c.q;
    if (x !== 0n) return x;
  }
}

/** FIPS 186-5 §6.4.1 / SEC1 §4.1.3 step 5 for a 256-bit order: the 32-byte hash as an integer mod q. */
export function hashToInt(c: Curve, h: Uint8Array): bigint {
  return bytesToBig(h) % c.q;
}

// ---------------------------------------------------------------------------------------------
// Points

/**
 * SEC1 uncompressed encoding (65 bytes) of a non-identity point.
 * May throw CryptoError: INTERNAL.
 */
export function encodePoint(p: Point): Uint8Array {
  if (p.is0()) throw new CryptoError('INTERNAL', 'cannot encode the identity point');
  return p.toBytes(false);
}

/**
 * Decodes a caller-supplied SEC1 point (compressed or uncompressed): on the curve and not the
 * identity. `field` names it in errors (culprit-free: these are the caller's own inputs).
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function decodeInputPoint(c: Curve, bytes: unknown, field: string): Point {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('MALFORMED_INPUT', `${field}: expected bytes`);
  if (bytes.length !== 33 && bytes.length !== 65) {
    throw new CryptoError('BAD_LENGTH', `${field}: expected a 33- or 65-byte SEC1 point`);
  }
  let p: Point;
  try {
    p = c.Point.fromBytes(bytes);
  } catch {
    throw new CryptoError('MALFORMED_POINT', `${field}: not a valid ${c.name} point`);
  }
  if (p.is0()) throw new CryptoError('MALFORMED_POINT', `${field}: identity element`);
  return p;
}

/** Affine points from projective ones with one field inversion (Montgomery's trick). */
export function normalizeAll(c: Curve, points: Point[]): Point[] {
  return normalizeZ(c.Point, points);
}

// ---------------------------------------------------------------------------------------------
// Native scalar multiplication (node:crypto ECDH, constant time in OpenSSL)

function ecdhWith(c: Curve, k: bigint) {
  const e = createECDH(c.native);
  e.setPrivateKey(Buffer.from(scalarHex(k), 'hex'));
  return e;
}

/** k·G as SEC1 uncompressed bytes, for k in [1, q). */
export function baseMulBytes(c: Curve, k: bigint): Uint8Array {
  return new Uint8Array(ecdhWith(c, k).getPublicKey());
}

/** k·G as a point (the identity for k = 0). */
export function baseMul(c: Curve, k: bigint): Point {
  const r = mod(c, k);
  if (r === 0n) return c.Point.ZERO;
  return c.Point.fromBytes(baseMulBytes(c, r));
}

/**
 * Native multi-use ECDH context for a secret scalar k in [1, q): x-coordinates of k·P for
 * many points P, and k·G.
 */
export class ScalarMul {
  readonly #e: ReturnType<typeof createECDH>;
  constructor(c: Curve, k: bigint) {
    this.#e = ecdhWith(c, k);
  }
  /** x(k·P) (32 bytes) for a valid non-identity point P given as SEC1 bytes. */
  x(p: Uint8Array): Uint8Array {
    return this.#e.computeSecret(p);
  }
  /** k·G, SEC1 uncompressed. */
  base(): Uint8Array {
    return this.#e.getPublicKey();
  }
}

function xOf(p: Point): Uint8Array {
  return p.toBytes(true).subarray(1);
}

/**
 * Whether k·P = T, for a secret scalar k, computed natively from two x-coordinate-only
 * multiplications: x(k·P) = x(T) and x(k·(P+G)) = x(T + k·G) together rule out k·P = -T
 * (in a group of odd prime order). Used for the Γ checks of DKLs23 Protocol 3.6 step 8.
 */
export function mulEquals(c: Curve, k: bigint, p: Point, t: Point): boolean {
  return mulEqualsAll(c, k, [[p, t]])[0]!;
}

/**
 * `mulEquals` for several (P, T) with one secret k: one native context and one k·G for all
 * (the Γu and Γv checks of a peer share Bob's χ).
 */
export function mulEqualsAll(c: Curve, k: bigint, checks: readonly (readonly [Point, Point])[]): boolean[] {
  const kk = mod(c, k);
  let m: ScalarMul | undefined;
  let kG: Point | undefined;
  return checks.map(([p, t]) => {
    if (kk === 0n || p.is0()) return t.is0();
    const pg = p.add(c.Point.BASE);
    // Degenerate public inputs (P = -G, or T the identity): noble's constant-time ladder instead.
    if (pg.is0() || t.is0()) return p.multiply(kk).equals(t);
    m ??= new ScalarMul(c, kk);
    kG ??= c.Point.fromBytes(m.base());
    const t2 = t.add(kG);
    if (t2.is0()) return false;
    const [pa, pga, ta, t2a] = normalizeAll(c, [p, pg, t, t2]) as [Point, Point, Point, Point];
    const ok1 = equalBytes(m.x(pa.toBytes(false)), xOf(ta));
    const ok2 = equalBytes(m.x(pga.toBytes(false)), xOf(t2a));
    return ok1 && ok2;
  });
}

// ---------------------------------------------------------------------------------------------
// Hashing

function frame(parts: (Uint8Array | string | number)[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const f of parts) {
    const b = typeof f === 'string' ? utf8Bytes(f) : typeof f === 'number' ? u32be(f) : f;
    out.push(u32be(b.length), b);
  }
  return out;
}

/** Unambiguous (length-prefixed) encoding of a domain label and fields, as bytes.ts `framed`. */
export function framedBytes(domain: string, ...fields: (Uint8Array | string | number)[]): Uint8Array {
  return concatBytes(...frame([domain, ...fields]));
}

/** SHA-256 over `framedBytes(domain, ...fields)`. */
export function h256(domain: string, ...fields: (Uint8Array | string | number)[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of frame([domain, ...fields])) h.update(p);
  return new Uint8Array(h.digest());
}

/** SHAKE256 over `framedBytes(domain, ...fields)`, `len` bytes of output. */
export function shake(len: number, domain: string, ...fields: (Uint8Array | string | number)[]): Uint8Array {
  const h = createHash('shake256', { outputLength: len });
  for (const p of frame([domain, ...fields])) h.update(p);
  return new Uint8Array(h.digest());
}

/** `n` scalars mod q from one SHAKE256 call (48 bytes per scalar, bias < 2^-128). */
export function hashToScalars(
  c: Curve,
  n: number,
  domain: string,
  ...fields: (Uint8Array | string | number)[]
): bigint[] {
  const hex = Buffer.from(shake(48 * n, domain, ...fields)).toString('hex');
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(BigInt('0x' + hex.slice(96 * i, 96 * i + 96)) % c.q);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shamir -> additive

/**
 * Lagrange coefficient at 0 of evaluation point `x` within the set `xs` (all distinct, non-zero,
 * in [1, q)): λ_x = Π_{m ≠ x} m / (m − x) mod q. The caller turns its Shamir shares into the
 * additive share sk_i = Σ λ_x·share_x that DKLs23 Protocol 3.6 consumes.
 * May throw CryptoError: BAD_PARTICIPANT, MALFORMED_INPUT.
 */
export function lagrangeAt0(curve: EcdsaCurve, xs: readonly number[], x: number): bigint {
  return lagrangeAt0In(getCurve(curve).Point.Fn, xs, x);
}

/**
 * lagrangeAt0 in any prime field (e.g. Ed25519's scalars, crypto/blobkey.ts): the one Lagrange
 * coefficient of crypto/.
 * May throw CryptoError: BAD_PARTICIPANT, MALFORMED_INPUT.
 */
export function lagrangeAt0In(
  Fn: { create(x: bigint): bigint; inv(x: bigint): bigint },
  xs: readonly number[],
  x: number,
): bigint {
  if (!Array.isArray(xs) || xs.length === 0) throw new CryptoError('MALFORMED_INPUT', 'xs: expected points');
  const seen = new Set<number>();
  for (const v of xs) {
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new CryptoError('BAD_PARTICIPANT', 'xs: evaluation points must be positive integers');
    }
    if (seen.has(v)) throw new CryptoError('BAD_PARTICIPANT', `xs: repeated evaluation point ${v}`);
    seen.add(v);
  }
  if (!seen.has(x)) throw new CryptoError('BAD_PARTICIPANT', `x = ${x} is not one of xs`);
  let num = 1n;
  let den = 1n;
  for (const m of xs) {
    if (m === x) continue;
    num = Fn.create(num * BigInt(m));
    den = Fn.create(den * BigInt(m - x));
  }
  return Fn.create(num * Fn.inv(den));
}
