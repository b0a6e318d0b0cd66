/**
 * The Ed25519 DKG of ./frost-dkg.ts (RFC 9591 App. C.1-C.2, Pedersen DKG with proofs of
 * knowledge, as @noble/curves' `ed25519_FROST.DKG` runs it) over libsodium (./ed25519-native.ts)
 * and node:crypto's SHA-512. Every enrollment runs it once per party; on noble each party spent
 * ~200 ms of CPU in it, here a few milliseconds.
 *
 * It reproduces noble byte for byte from the same random bytes (test/crypto/frost-dkg-native.test.ts:
 * round-1 packages, round-2 shares, group commitments, verifying shares and signing shares), so
 * parties on either backend run one DKG together, and keeps every check of the noble path:
 * - every commitment point is a canonical prime-order non-identity encoding (§3.1);
 * - each proof of knowledge (App. C.1: R || mu, c = H_dkg(id || C_0 || R)) satisfies
 *   [mu]B == R + [c]C_0, and its mu is canonical;
 * - each received share is canonical and satisfies [s]B == sum_k [i^k] C_k (App. C.2 vss_verify);
 * - random scalars are drawn as noble draws them (48 bytes, mod (L - 1), plus 1: never zero).
 * Secret scalars are bigints, as in noble (same timing posture).
 */
import { concatBytes, utf8Bytes } from './bytes.js';
import {
  baseMul,
  hashToScalar,
  isValidPointNative,
  L,
  modL,
  pointAdd,
  pointMul,
  scalarFromBig,
  scalarToBig,
} from './ed25519-native.js';
import { CryptoError } from './errors.js';

/** noble's HDKG prefix for the Ed25519 suite: contextString || "dkg". */
const HDKG_PREFIX = utf8Bytes('FROST-ED25519-SHA512-v1dkg');

/** A source of random bytes. */
export type DkgRng = (len: number) => Uint8Array;

/** noble's randomScalar: 48 random bytes read little-endian, mod (L - 1), plus 1 (in 1..L-1). */
function randomScalar(rng: DkgRng): bigint {
  const b = rng(48);
  if (!(b instanceof Uint8Array) || b.length !== 48)
    throw new CryptoError('INTERNAL', 'rng: expected 48 bytes');
  return (scalarToBig(b) % (L - 1n)) + 1n;
}

/** f(x) for coefficients a_0..a_{t-1} (Horner, mod L). */
function evaluate(coefficients: readonly bigint[], x: number): bigint {
  let acc = 0n;
  const X = BigInt(x);
  for (let i = coefficients.length - 1; i >= 0; i--) acc = modL(acc * X + coefficients[i]!);
  return acc;
}

/** sum_k [x^k] C_k (App. C.2): the public image of f(x); the identity gives undefined. */
function evaluateCommitment(commitment: readonly Uint8Array[], x: number): Uint8Array | undefined {
  let acc: Uint8Array | undefined;
  let power = 1n;
  const X = BigInt(x);
  for (const c of commitment) {
    const term = pointMul(scalarFromBig(power), c);
    acc = acc ? addOrIdentity(acc, term) : term;
    power = modL(power * X);
  }
  return acc;
}

/** P + Q, undefined for the identity (libsodium adds to the identity without complaint). */
function addOrIdentity(p: Uint8Array | undefined, q: Uint8Array): Uint8Array | undefined {
  if (!p) return q;
  const s = pointAdd(p, q);
  return isIdentity(s) ? undefined : s;
}

const IDENTITY = scalarFromBig(1n);
const isIdentity = (p: Uint8Array): boolean => p.every((b, i) => b === IDENTITY[i]);

/** The PoK challenge H_dkg(SerializeScalar(id) || C_0 || R). */
function pokChallenge(participant: number, c0: Uint8Array, R: Uint8Array): bigint {
  return scalarToBig(hashToScalar(HDKG_PREFIX, scalarFromBig(BigInt(participant)), c0, R));
}

/** One party's secret polynomial and its public round-1 package. */
export interface NativeRound1 {
  coefficients: bigint[];
  commitment: Uint8Array[];
  proofOfKnowledge: Uint8Array;
}

/**
 * App. C.1 round 1: a random polynomial of degree threshold-1 (a_0 first), its commitments
 * [a_k]B, and the proof of knowledge of a_0.
 * May throw CryptoError: INTERNAL, MALFORMED_POINT.
 */
export function round1Native(participant: number, threshold: number, rng: DkgRng): NativeRound1 {
  const coefficients: bigint[] = [];
  for (let i = 0; i < threshold; i++) coefficients.push(randomScalar(rng));
  const commitment = coefficients.map((a) => baseMul(scalarFromBig(a)));
  const k = randomScalar(rng);
  const R = baseMul(scalarFromBig(k));
  const c = pokChallenge(participant, commitment[0]!, R);
  const mu = modL(k + coefficients[0]! * c);
  return { coefficients, commitment, proofOfKnowledge: concatBytes(R, scalarFromBig(mu)) };
}

/**
 * App. C.1 round 2 for one other party's package: checks its points and its proof of knowledge
 * (false when they fail), nothing else.
 * May throw CryptoError: INTERNAL.
 */
export function checkPackageNative(
  participant: number,
  commitment: readonly Uint8Array[],
  proof: Uint8Array,
): boolean {
  if (proof.length !== 64) return false;
  if (!commitment.every((c) => isValidPointNative(c))) return false;
  const R = proof.subarray(0, 32);
  const mu = scalarToBig(proof.subarray(32));
  if (mu >= L || !isValidPointNative(R)) return false;
  const c = pokChallenge(participant, commitment[0]!, R);
  try {
    // [mu]B == R + [c]C_0 (noble: R == [mu]B - [c]C_0); all public.
    const left = mu === 0n ? undefined : baseMul(scalarFromBig(mu));
    const right = c === 0n ? R : addOrIdentity(R, pointMul(scalarFromBig(c), commitment[0]!));
    if (!left || !right) return left === right;
    return left.every((b, i) => b === right[i]);
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
}

/** f(recipient) as 32 bytes: the share this party sends `recipient` in round 2. */
export function shareForNative(coefficients: readonly bigint[], recipient: number): Uint8Array {
  return scalarFromBig(evaluate(coefficients, recipient));
}

/**
 * App. C.2 vss_verify: share `s` (canonical) from a sender whose commitment is `commitment`
 * satisfies [s]B == sum_k [me^k] C_k.
 * May throw CryptoError: INTERNAL.
 */
export function shareMatchesNative(
  commitment: readonly Uint8Array[],
  me: number,
  share: Uint8Array,
): boolean {
  const s = scalarToBig(share);
  if (s >= L) return false;
  try {
    const expected = evaluateCommitment(commitment, me);
    const got = s === 0n ? undefined : baseMul(share);
    if (!expected || !got) return expected === got;
    return expected.every((b, i) => b === got[i]);
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
}

/**
 * App. C.2 round 3 after every share was checked: the signing share (own f(me) plus the received
 * shares), the group commitments (sum of every party's C_k) and each participant's verifying share.
 * May throw CryptoError: DKG_FAILED, INTERNAL, MALFORMED_POINT.
 */
export function finishNative(
  coefficients: readonly bigint[],
  me: number,
  commitments: readonly (readonly Uint8Array[])[],
  received: readonly Uint8Array[],
  total: number,
): { signingShare: Uint8Array; commitments: Uint8Array[]; verifyingShares: Uint8Array[] } {
  let share = evaluate(coefficients, me);
  for (const s of received) share = modL(share + scalarToBig(s));
  const threshold = coefficients.length;
  const merged: Uint8Array[] = [];
  for (let k = 0; k < threshold; k++) {
    let acc: Uint8Array | undefined;
    for (const c of commitments) acc = addOrIdentity(acc, c[k]!);
    if (!acc) throw new CryptoError('DKG_FAILED', `group commitment ${k} is the identity`);
    merged.push(acc);
  }
  const verifyingShares: Uint8Array[] = [];
  for (let p = 1; p <= total; p++) {
    const v = evaluateCommitment(merged, p);
    if (!v) throw new CryptoError('DKG_FAILED', `verifying share of participant ${p} is the identity`);
    verifyingShares.push(v);
  }
  return { signingShare: scalarFromBig(share), commitments: merged, verifyingShares };
}
