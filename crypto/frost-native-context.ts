/**
 * The per-call signing context of FROST(Ed25519, SHA-512) on libsodium (RFC 9591 §4.2-4.6, with
 * the §3.1 and §6.5 input checks): boundary assertions, the sorted commitment list, binding
 * factors, group commitment, challenge and Lagrange coefficients, computed once per party per
 * step. The §5 operations that use it are ./frost-native.ts; see there for the checks kept.
 */
import { abytes, concatBytes, equalBytes, utf8Bytes } from './bytes.js';
import { decodePoint } from './ed25519.js';
import {
  baseMul,
  hashToScalar,
  invL,
  isValidPointNative,
  knownValidPoint,
  L,
  modL,
  pointAdd,
  pointMul,
  rememberValidPoint,
  scalarFromBig,
  scalarToBig,
  sha512Native,
} from './ed25519-native.js';
import { CryptoError } from './errors.js';
import type { GroupPublic, NonceCommitment } from './frost.js';
import type { Secret } from './secret.js';

/** RFC 9591 §6.1 contextString. */
const CONTEXT = 'FROST-ED25519-SHA512-v1';
const H1_PREFIX = utf8Bytes(`${CONTEXT}rho`);
export const H3_PREFIX = utf8Bytes(`${CONTEXT}nonce`);
const H4_PREFIX = utf8Bytes(`${CONTEXT}msg`);
const H5_PREFIX = utf8Bytes(`${CONTEXT}com`);

// ---------------------------------------------------------------------------------------------
// Boundary assertions
// ---------------------------------------------------------------------------------------------

/** RFC 9591 §3.1 DeserializeElement (libsodium), remembered per array. */
export function apoint(b: unknown, field: string): Uint8Array {
  const p = abytes(b, field, 32);
  if (!isValidPointNative(p)) throw new CryptoError('MALFORMED_POINT', `${field}: not a valid group element`);
  return p;
}

/** RFC 9591 §6.5 DeserializeScalar: canonical (< L); returns the integer. */
export function ascalar(b: unknown, field: string): bigint {
  const x = scalarToBig(abytes(b, field, 32));
  if (x >= L)
    throw new CryptoError('MALFORMED_SCALAR', `${field}: scalar not reduced modulo the group order`);
  return x;
}

/** A participant index used as a FROST identifier: a positive safe integer. */
export function aid(p: unknown, field: string): number {
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 1) {
    throw new CryptoError('BAD_PARTICIPANT', `${field}: identifier must be a positive integer`);
  }
  return p;
}

/** RFC 9591 §6.5 SerializeScalar of identifier p. */
const idBytes = (p: number): Uint8Array => scalarFromBig(BigInt(p));

// ---------------------------------------------------------------------------------------------
// Per-call signing context (RFC 9591 §4.2-4.6)
// ---------------------------------------------------------------------------------------------

/** Everything a signing call derives from (group, commitment list, message), computed once. */
export interface Session {
  /** The FROST group public key, commitments[0] (noble's choice; it equals groupPublicKey). */
  readonly gpk: Uint8Array;
  /** Commitments sorted by participant. */
  readonly list: readonly NonceCommitment[];
  /** RFC 9591 §4.4 binding factor of each participant. */
  readonly rho: ReadonlyMap<number, bigint>;
  /** RFC 9591 §4.5 group commitment R. */
  readonly R: Uint8Array;
  /** RFC 9591 §4.6 challenge c = H2(R || PK || msg), over `gpk`. */
  readonly c: bigint;
}

/** RFC 8032 / RFC 9591 §6.1 H2: SHA-512 of R || A || msg, reduced mod L. */
export function challenge(R: Uint8Array, pk: Uint8Array, msg: Uint8Array): bigint {
  return scalarToBig(hashToScalar(R, pk, msg));
}

/**
 * The commitment point each nonce was made for by commitNative ([k]B, public), so that a signer's
 * own commitment is checked, and its own term of the group commitment computed, without a
 * variable-base multiplication or two more base multiplications per step. Nonce bytes change only
 * when they are wiped, and wiped (zero) nonces are refused before this is consulted.
 */
export const committedTo = new WeakMap<Secret, Uint8Array>();

/** Whether `nonce` is the nonce of commitment point `point` ([nonce]B == point). */
export function commitsTo(nonce: Secret, point: Uint8Array): boolean {
  return equalBytes(committedTo.get(nonce) ?? baseMul(nonce.expose()), point);
}

/** A signer's own binding nonce: its term rho * binding of §4.5 is [rho * e]B (no variable-base multiplication). */
export interface OwnBinding {
  participant: number;
  nonce: Secret;
}

/** ScalarMult(P, k) for any k mod L; k = 0 gives undefined (the identity, no encoding needed). */
export function mulOrIdentity(k: bigint, p: Uint8Array): Uint8Array | undefined {
  return k === 0n ? undefined : pointMul(scalarFromBig(k), p);
}

/**
 * [k]P for 0 < k < L with P's §3.1 check done by libsodium inside the multiplication: a refusal is
 * decodePoint's error for P (so the same code and message as a check before it), and P is
 * remembered as valid otherwise.
 */
function mulChecking(k: bigint, p: Uint8Array, field: string): Uint8Array {
  let out: Uint8Array;
  try {
    out = pointMul(scalarFromBig(k), p);
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    decodePoint(p, field);
    // Unreachable unless the two checks disagree: fail closed.
    throw new CryptoError('MALFORMED_POINT', `${field}: rejected by libsodium`);
  }
  rememberValidPoint(p);
  return out;
}

export function addMaybe(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array | undefined {
  if (!a) return b;
  if (!b) return a;
  return pointAdd(a, b);
}

/** A list entry as the session keeps it: identifier, both points, and the field name for errors. */
interface ListEntry extends NonceCommitment {
  field: string;
}

/**
 * RFC 9591 §4.3 input checks of a commitment list: identifiers positive and distinct, points 32
 * bytes; hiding points §3.1-checked (libsodium, remembered), binding points too when
 * `checkBinding` (else the caller checks them, e.g. by its multiplication). Sorted by participant.
 */
export function sortedList(list: readonly NonceCommitment[], checkBinding: boolean): ListEntry[] {
  if (!Array.isArray(list)) throw new CryptoError('MALFORMED_INPUT', 'commitment list: expected an array');
  const sorted = list
    .map((c, i) => ({
      participant: aid(c.participant, `commitments[${i}].participant`),
      hiding: apoint(c.hiding, `commitments[${i}].hiding`),
      binding: checkBinding
        ? apoint(c.binding, `commitments[${i}].binding`)
        : abytes(c.binding, `commitments[${i}].binding`, 32),
      field: `commitments[${i}].binding`,
    }))
    .sort((a, b) => a.participant - b.participant);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.participant === sorted[i - 1]!.participant) {
      throw new CryptoError('BAD_PARTICIPANT', `participant ${sorted[i]!.participant} appears twice`);
    }
  }
  return sorted;
}

/** RFC 9591 §4.3 encode_group_commitment_list and §4.4 compute_binding_factors over the sorted list. */
export function bindingFactors(
  gpk: Uint8Array,
  sorted: readonly NonceCommitment[],
  message: Uint8Array,
): Map<number, bigint> {
  const encoded: Uint8Array[] = [];
  for (const c of sorted) encoded.push(idBytes(c.participant), c.hiding, c.binding);
  const prefix = concatBytes(gpk, sha512Native(H4_PREFIX, message), sha512Native(H5_PREFIX, ...encoded));
  const rho = new Map<number, bigint>();
  for (const c of sorted) {
    rho.set(c.participant, scalarToBig(hashToScalar(H1_PREFIX, prefix, idBytes(c.participant))));
  }
  return rho;
}

/** noble's validateSigners (frost-rs compatible: MIN_PARTICIPANTS >= 2). */
export function checkBounds(group: GroupPublic): void {
  const { threshold, total } = group.as;
  if (!(threshold >= 2 && total >= threshold)) {
    throw new CryptoError('MALFORMED_INPUT', `bad signer bounds min=${threshold} max=${total}`);
  }
}

/**
 * RFC 9591 §4.3-4.6: validates the list and the group key, then computes the binding factors
 * (§4.4 compute_binding_factors), the group commitment (§4.5) and the challenge (§4.6), once.
 */
export function prepare(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  own: readonly OwnBinding[] = [],
): Session {
  abytes(message, 'message');
  checkBounds(group);
  if (!Array.isArray(list)) throw new CryptoError('MALFORMED_INPUT', 'commitment list: expected an array');
  const gpk = apoint(group.commitments[0], 'commitments[0]');
  // Binding points are checked below, by the multiplication rho * binding (or as a signer's own [e]B).
  const sorted = sortedList(list, false);
  const rho = bindingFactors(gpk, sorted, message);
  // §4.5 compute_group_commitment: sum of hiding_i + rho_i * binding_i. A signer's own term (each
  // of its shares'), when its binding point is [e]B of its own nonce e, is the same point
  // computed as [rho * e]B. Every other binding point is checked (§3.1) by the multiplication
  // itself: libsodium's crypto_scalarmult_ed25519_noclamp refuses a non-canonical, small-order or
  // torsioned point (the checks of crypto_core_ed25519_is_valid_point), so it is not checked a
  // second time before; a refusal gives decodePoint's error for that point.
  let R: Uint8Array | undefined;
  for (const c of sorted) {
    const r = rho.get(c.participant)!;
    let term: Uint8Array | undefined;
    const mine = own.find((o) => o.participant === c.participant);
    const e = mine && commitsTo(mine.nonce, c.binding) ? scalarToBig(mine.nonce.expose()) : 0n;
    if (e !== 0n) {
      const k = modL(r * e);
      term = k === 0n ? undefined : baseMul(scalarFromBig(k));
    } else if (r === 0n || knownValidPoint(c.binding)) {
      term = mulOrIdentity(r, apoint(c.binding, c.field));
    } else {
      term = mulChecking(r, c.binding, c.field);
    }
    R = addMaybe(addMaybe(R, c.hiding), term);
  }
  // SerializeElement fails on the identity (§3.1); negligible for honest lists, fatal otherwise.
  if (!R || isIdentity(R)) throw new CryptoError('MALFORMED_POINT', 'group commitment is the identity');
  return { gpk, list: sorted, rho, R, c: challenge(R, gpk, message) };
}

/** RFC 9591 §5.2/§5.3: MIN_PARTICIPANTS <= NUM_PARTICIPANTS <= MAX_PARTICIPANTS (not §5.4, as in noble). */
export function checkCount(group: GroupPublic, list: readonly NonceCommitment[]): void {
  const { threshold, total } = group.as;
  if (list.length < threshold || list.length > total) {
    throw new CryptoError('BAD_PARTICIPANT', `commitment list must hold ${threshold}..${total} entries`);
  }
}

const IDENTITY = scalarFromBig(1n);
const isIdentity = (p: Uint8Array): boolean => equalBytes(p, IDENTITY);

/**
 * Lagrange coefficients already derived, by signing set and participant: public values (they
 * depend on the identifiers alone), and a cluster signs with few distinct sets. Bounded.
 */
const lagrangeCache = new Map<string, bigint>();
const LAGRANGE_CACHE_MAX = 4096;

/** RFC 9591 §4.2 derive_interpolating_value for x_i = participant over the session's set. */
export function lagrange(s: Session, participant: number): bigint {
  const key = `${participant}:${s.list.map((c) => c.participant).join(',')}`;
  const hit = lagrangeCache.get(key);
  if (hit !== undefined) return hit;
  let num = 1n;
  let den = 1n;
  let found = false;
  for (const c of s.list) {
    if (c.participant === participant) {
      found = true;
      continue;
    }
    const x = BigInt(c.participant);
    num = modL(num * x);
    den = modL(den * (x - BigInt(participant)));
  }
  if (!found)
    throw new CryptoError('BAD_PARTICIPANT', `participant ${participant} is not in the signing set`);
  const value = modL(num * invL(den));
  if (lagrangeCache.size >= LAGRANGE_CACHE_MAX) lagrangeCache.clear();
  lagrangeCache.set(key, value);
  return value;
}

/** [z]B == R + [k]A for prime-order R and A (cofactored and cofactorless checks agree there). */
export function schnorrHolds(z: bigint, R: Uint8Array, k: bigint, A: Uint8Array): boolean {
  try {
    const left = z === 0n ? undefined : baseMul(scalarFromBig(z));
    const right = addMaybe(R, mulOrIdentity(k, A));
    if (!left || !right) return left === right;
    return equalBytes(left, right);
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
}
