/**
 * The one Ed25519 verification rule (crypto/ed25519.ts verifyEd25519, docs/protocol.md §6.1):
 * libsodium (the sodium backend) or node:crypto (OpenSSL, the noble backend) behind our own
 * pre-checks, both against a reference built on @noble/curves that states the rule directly:
 * S < L; A canonical, prime-order subgroup, not the identity; R canonical, torsion-free and not
 * the identity; and the (cofactored) RFC 8032 equation. On torsion-free A and R
 * the cofactored and cofactorless equations agree, so one answer holds whichever library a node
 * runs. Random cases, mutations of them, and adversarial edge cases (non-canonical R and A,
 * S >= L, small-order A and R, mixed-torsion A and R built so that cofactored verification
 * accepts them, the identity) must all get the reference's answer. Also: signatures are
 * byte-identical to noble's, and node:crypto verifies every signature we make.
 */
import { createPublicKey, verify as nodeVerify, randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, equalBytes } from '../../crypto/bytes.js';
import {
  ed25519PublicKey,
  generateEd25519,
  isCanonicalScalar,
  signEd25519,
  verifyEd25519,
} from '../../crypto/ed25519.js';
import { cryptoBackend, setCryptoBackend } from '../../crypto/ed25519-native.js';
import { hex, L, le32 } from './helpers.js';

const Point = ed25519.Point;
type Pt = InstanceType<typeof Point>;
const P = 2n ** 255n - 19n;

const leToBig = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`);
const modL = (x: bigint) => ((x % L) + L) % L;
const H = (...parts: Uint8Array[]) => modL(leToBig(sha512(concatBytes(...parts))));

/** The rule, stated on noble: every check explicit, then noble's RFC 8032 (cofactored) equation. */
function reference(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  if (sig.length !== 64 || pk.length !== 32) return false;
  let A: Pt;
  let R: Pt;
  try {
    A = Point.fromBytes(pk, false);
    R = Point.fromBytes(sig.subarray(0, 32), false);
  } catch {
    return false;
  }
  if (!equalBytes(A.toBytes(), pk) || A.is0() || !A.isTorsionFree()) return false;
  if (!equalBytes(R.toBytes(), sig.subarray(0, 32)) || !R.isTorsionFree() || R.is0()) return false;
  if (leToBig(sig.subarray(32)) >= L) return false;
  return ed25519.verify(sig, msg, pk, { zip215: false });
}

/** node:crypto alone (no pre-checks), for the record: where it differs from the rule. */
function opensslAlone(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') },
      format: 'jwk',
    });
    return nodeVerify(null, msg, key, sig);
  } catch {
    return false;
  }
}

/** The 8-torsion subgroup, from an order-8 point. */
const T8 = Point.fromBytes(hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'), false);
const TORSION: Pt[] = Array.from({ length: 8 }, (_, i) =>
  i === 0 ? Point.ZERO : T8.multiplyUnsafe(BigInt(i)),
);

/** A key pair with its secret scalar a (A = [a]B), for signing by hand. */
function keyPair() {
  const { seed, publicKey } = generateEd25519();
  const { scalar } = ed25519.utils.getExtendedPublicKey(seed);
  return { seed, publicKey, a: scalar, A: Point.fromBytes(publicKey) };
}

/** A signature made by hand: R = [r]B + Tr, S = r + H(R || A' || m)·a with A' given (maybe torsioned). */
function handSign(a: bigint, Abytes: Uint8Array, msg: Uint8Array, Rtorsion: Pt = Point.ZERO): Uint8Array {
  const r = modL(leToBig(randomBytes(64)));
  const R = Point.BASE.multiply(r).add(Rtorsion);
  const Rb = R.toBytes();
  const S = modL(r + H(Rb, Abytes, msg) * a);
  return concatBytes(Rb, le32(S));
}

/** Non-canonical encodings: y in [p, 2^255) with either sign bit (those that decode at all, and not). */
function nonCanonical(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let y = P; y < 2n ** 255n; y++) {
    const b = le32(y);
    out.push(b);
    const s = b.slice();
    s[31]! |= 0x80;
    out.push(s);
  }
  // x = 0 with the sign bit set (y = 1 and y = -1 have x = 0): also non-canonical.
  const one = le32(1n);
  one[31]! |= 0x80;
  out.push(one);
  const minus1 = le32(P - 1n);
  minus1[31]! |= 0x80;
  out.push(minus1);
  return out;
}

interface Tally {
  cases: number;
  valid: number;
  opensslAloneDiffers: number;
  nobleAloneDiffers: number;
}

/** verifyEd25519 with the given backend active (libsodium or node:crypto does the equation). */
function verifyWith(backend: 'sodium' | 'noble', sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  const before = cryptoBackend().name;
  setCryptoBackend(backend);
  try {
    return verifyEd25519(sig, msg, pk);
  } finally {
    setCryptoBackend(before);
  }
}

function check(t: Tally, sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, what: string): void {
  const want = reference(sig, msg, pk);
  for (const backend of ['sodium', 'noble'] as const) {
    const got = verifyWith(backend, sig, msg, pk);
    if (got !== want) throw new Error(`${what}: rule (${backend}) says ${got}, reference ${want}`);
  }
  t.cases++;
  if (want) t.valid++;
  if (opensslAlone(sig, msg, pk) !== want) t.opensslAloneDiffers++;
  let noble = false;
  try {
    noble = ed25519.verify(sig, msg, pk, { zip215: false });
  } catch {
    noble = false;
  }
  if (noble !== want) t.nobleAloneDiffers++;
}

const tally = (): Tally => ({ cases: 0, valid: 0, opensslAloneDiffers: 0, nobleAloneDiffers: 0 });

describe('one Ed25519 verification rule (node:crypto behind our pre-checks) = the noble reference', () => {
  it('signatures are byte-identical to noble, public keys too, and node:crypto verifies them', () => {
    for (let i = 0; i < 200; i++) {
      const seed = new Uint8Array(randomBytes(32));
      const msg = new Uint8Array(randomBytes(i % 70));
      const pk = ed25519PublicKey(seed);
      expect(pk).toEqual(ed25519.getPublicKey(seed));
      const sig = signEd25519(msg, seed);
      expect(sig).toEqual(ed25519.sign(msg, seed));
      expect(opensslAlone(sig, msg, pk)).toBe(true);
      expect(verifyEd25519(sig, msg, pk)).toBe(true);
    }
  });

  it('a rewritten or wiped seed array signs with its new contents, not a cached key', () => {
    const seed = new Uint8Array(randomBytes(32));
    const msg = new Uint8Array([1, 2, 3]);
    expect(signEd25519(msg, seed)).toEqual(ed25519.sign(msg, seed));
    seed.set(randomBytes(32));
    expect(signEd25519(msg, seed)).toEqual(ed25519.sign(msg, seed));
    seed.fill(0);
    expect(signEd25519(msg, seed)).toEqual(ed25519.sign(msg, seed));
  });

  it('agrees on random signatures and on random mutations of them (bits of R, S, A, message)', () => {
    const t = tally();
    for (let i = 0; i < 250; i++) {
      const { seed, publicKey } = generateEd25519();
      const msg = new Uint8Array(randomBytes(1 + (i % 40)));
      const sig = signEd25519(msg, seed);
      check(t, sig, msg, publicKey, `random ${i}`);
      const s2 = sig.slice();
      s2[i % 64]! ^= 1 << (i % 8);
      check(t, s2, msg, publicKey, `sig bit ${i}`);
      const pk2 = publicKey.slice();
      pk2[i % 32]! ^= 1 << (i % 8);
      check(t, sig, msg, pk2, `key bit ${i}`);
      const m2 = msg.slice();
      m2[0]! ^= 1;
      check(t, sig, m2, publicKey, `message bit ${i}`);
      check(t, new Uint8Array(randomBytes(64)), msg, publicKey, `random bytes ${i}`);
    }
    expect(t.valid).toBeGreaterThanOrEqual(250);
  });

  it('agrees on S >= L: S + L, L, 2^256 - 1, and the top-byte boundary', () => {
    const t = tally();
    const { seed, publicKey } = generateEd25519();
    const msg = new Uint8Array([7]);
    const sig = signEd25519(msg, seed);
    const S = leToBig(sig.subarray(32));
    for (const s of [S + L, L, L - 1n, L + 1n, 2n ** 256n - 1n, 2n ** 253n, 2n ** 252n, S]) {
      const bad = sig.slice();
      bad.set(le32(s % 2n ** 256n), 32);
      check(t, bad, msg, publicKey, `S = ${s}`);
      expect(isCanonicalScalar(le32(s % 2n ** 256n))).toBe(s < L);
    }
    // S + L verifies under the bare cofactorless equation in libraries that skip the S < L check.
    expect(t.valid).toBe(1);
  });

  it('agrees on non-canonical A and R, and on the identity and small-order A and R', () => {
    const t = tally();
    const msg = new Uint8Array([9, 9]);
    const { seed, publicKey, a } = keyPair();
    const sig = signEd25519(msg, seed);
    const smallOrder = TORSION.flatMap((p) => {
      const b = p.toBytes();
      const flipped = b.slice();
      flipped[31]! ^= 0x80;
      return [b, flipped];
    });
    for (const enc of [...nonCanonical(), ...smallOrder]) {
      check(t, sig, msg, enc, 'odd A');
      check(t, concatBytes(enc, sig.subarray(32)), msg, publicKey, 'odd R');
      // The classic: small-order A and R with S = 0 pass cofactored verification.
      check(t, concatBytes(enc, new Uint8Array(32)), msg, enc, 'odd A and R, S = 0');
    }
    check(t, handSign(a, publicKey, msg), msg, publicKey, 'hand-made');
    // The identity key with S = 0 and R = identity: ZIP-215 accepts it, the rule does not.
    expect(ed25519.verify(new Uint8Array(64), msg, le32(1n), { zip215: true })).toBe(true);
    check(t, concatBytes(le32(1n), new Uint8Array(32)), msg, le32(1n), 'identity A and R');
    // R = identity with the equation holding (nonce r = 0, S = H(R || A || m)·a): OpenSSL alone
    // accepts it, libsodium refuses a small-order R; the rule refuses it (step 5) on both paths.
    const zeroR = concatBytes(le32(1n), le32(modL(H(le32(1n), publicKey, msg) * a)));
    expect(opensslAlone(zeroR, msg, publicKey)).toBe(true);
    expect(reference(zeroR, msg, publicKey)).toBe(false);
    check(t, zeroR, msg, publicKey, 'identity R, equation holding');
    expect(t.cases).toBeGreaterThan(100);
  });

  it('agrees on mixed-torsion R and A built so that cofactored verification accepts them', () => {
    const t = tally();
    let cofactoredOnly = 0;
    for (let i = 0; i < 48; i++) {
      const { publicKey, a, A } = keyPair();
      const msg = new Uint8Array(randomBytes(16));
      const T = TORSION[1 + (i % 7)]!;
      // Mixed-torsion R: R = [r]B + T, S = r + k·a. [8]-equation holds, the exact one does not.
      const sigR = handSign(a, publicKey, msg, T);
      if (ed25519.verify(sigR, msg, publicKey, { zip215: false })) cofactoredOnly++;
      check(t, sigR, msg, publicKey, `mixed-torsion R ${i}`);
      // Mixed-torsion A' = A + T, signed over A' with the scalar of A: cofactored verification
      // accepts; cofactorless accepts when k·T = 0 (libsodium, which checks only small order,
      // accepts those); the rule refuses A' whatever the equation says.
      const Ap = A.add(T).toBytes();
      const sigA = handSign(a, Ap, msg);
      if (ed25519.verify(sigA, msg, Ap, { zip215: false })) cofactoredOnly++;
      check(t, sigA, msg, Ap, `mixed-torsion A ${i}`);
      // Both at once.
      check(t, handSign(a, Ap, msg, T), msg, Ap, `mixed-torsion A and R ${i}`);
    }
    expect(t.valid).toBe(0);
    // The cases are real edge cases: noble's own verify accepts them (it is cofactored).
    expect(cofactoredOnly).toBeGreaterThan(48);
    expect(t.nobleAloneDiffers).toBeGreaterThan(48);
  });

  it('is false, never a throw, on wrong lengths and non-bytes', () => {
    const { seed, publicKey } = generateEd25519();
    const msg = new Uint8Array([1]);
    const sig = signEd25519(msg, seed);
    expect(verifyEd25519(sig.subarray(0, 63), msg, publicKey)).toBe(false);
    expect(verifyEd25519(concatBytes(sig, new Uint8Array(1)), msg, publicKey)).toBe(false);
    expect(verifyEd25519(sig, msg, publicKey.subarray(1))).toBe(false);
    expect(verifyEd25519(sig, 'x' as unknown as Uint8Array, publicKey)).toBe(false);
    expect(verifyEd25519(null as unknown as Uint8Array, msg, publicKey)).toBe(false);
  });
});
