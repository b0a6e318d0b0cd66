/**
 * FROST(Ed25519, SHA-512) signing (RFC 9591 §5: commit, sign, aggregate, verify_signature_share)
 * over libsodium (./ed25519-native.ts) and node:crypto's SHA-512. The DKG is
 * ./frost-dkg-native.ts; this module is the hot path of every co-signature.
 *
 * It reproduces @noble/curves' `ed25519_FROST` byte for byte (test/crypto/frost-native.test.ts)
 * and keeps every check of the noble path:
 * - every point is a canonical prime-order non-identity encoding (§3.1), checked once per array
 *   (points from checkGroupPublic / checkCommitmentList are not checked again) and again by
 *   libsodium inside every variable-base multiplication; a binding point that is multiplied
 *   for the group commitment is checked by that multiplication alone (crypto/frost.ts
 *   checkSigningList: the oracle's list), a signer's own by matching its nonce;
 * - every scalar from outside is canonical (< L); identifiers are distinct and non-zero;
 * - a signer's own commitment in the list must match its nonces (the point commitNative made for
 *   them, else [nonce]B), and used (zeroed) nonces fail; a signer's own term of the group
 *   commitment is [rho * e]B, the same point as rho * binding without a variable-base
 *   multiplication;
 * - binding factors per §4.4 over the sorted list, the group commitment (§4.5) and the challenge
 *   (§4.6) are computed once per call;
 * - aggregate checks the final signature once (the cluster's Ed25519 rule, crypto/ed25519.ts)
 *   and verifies single shares (§5.4) only when it fails, naming the first invalid one;
 * - sessionNative: one party's shares and aggregate share one prepared session per step; with
 *   signShares, every one of the party's own terms is a base multiplication.
 *
 * Scalar arithmetic on secrets uses bigint, as noble does (same timing posture as before).
 */
import { randomBytes } from 'node:crypto';
import { abytes, concatBytes, equalBytes, utf8Bytes } from './bytes.js';
import { decodePoint, verifyEd25519 } from './ed25519.js';
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
import type { GroupPublic, KeyShare, NonceCommitment, SigningNonces } from './frost.js';
import { Secret } from './secret.js';

/** RFC 9591 §6.1 contextString. */
const CONTEXT = 'FROST-ED25519-SHA512-v1';
const H1_PREFIX = utf8Bytes(`${CONTEXT}rho`);
const H3_PREFIX = utf8Bytes(`${CONTEXT}nonce`);
const H4_PREFIX = utf8Bytes(`${CONTEXT}msg`);
const H5_PREFIX = utf8Bytes(`${CONTEXT}com`);

/** A source of random bytes (node:crypto by default; fixed bytes in tests). */
export type Rng = (len: number) => Uint8Array;
const defaultRng: Rng = (len) => new Uint8Array(randomBytes(len));

// ---------------------------------------------------------------------------------------------
// Boundary assertions
// ---------------------------------------------------------------------------------------------

/** RFC 9591 §3.1 DeserializeElement (libsodium), remembered per array. */
function apoint(b: unknown, field: string): Uint8Array {
  const p = abytes(b, field, 32);
  if (!isValidPointNative(p)) throw new CryptoError('MALFORMED_POINT', `${field}: not a valid group element`);
  return p;
}

/** RFC 9591 §6.5 DeserializeScalar: canonical (< L); returns the integer. */
function ascalar(b: unknown, field: string): bigint {
  const x = scalarToBig(abytes(b, field, 32));
  if (x >= L)
    throw new CryptoError('MALFORMED_SCALAR', `${field}: scalar not reduced modulo the group order`);
  return x;
}

/** A participant index used as a FROST identifier: a positive safe integer. */
function aid(p: unknown, field: string): number {
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
interface Session {
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
function challenge(R: Uint8Array, pk: Uint8Array, msg: Uint8Array): bigint {
  return scalarToBig(hashToScalar(R, pk, msg));
}

/**
 * The commitment point each nonce was made for by commitNative ([k]B, public), so that a signer's
 * own commitment is checked, and its own term of the group commitment computed, without a
 * variable-base multiplication or two more base multiplications per step. Nonce bytes change only
 * when they are wiped, and wiped (zero) nonces are refused before this is consulted.
 */
const committedTo = new WeakMap<Secret, Uint8Array>();

/** Whether `nonce` is the nonce of commitment point `point` ([nonce]B == point). */
function commitsTo(nonce: Secret, point: Uint8Array): boolean {
  return equalBytes(committedTo.get(nonce) ?? baseMul(nonce.expose()), point);
}

/** A signer's own binding nonce: its term rho * binding of §4.5 is [rho * e]B (no variable-base multiplication). */
interface OwnBinding {
  participant: number;
  nonce: Secret;
}

/** ScalarMult(P, k) for any k mod L; k = 0 gives undefined (the identity, no encoding needed). */
function mulOrIdentity(k: bigint, p: Uint8Array): Uint8Array | undefined {
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

function addMaybe(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array | undefined {
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
function sortedList(list: readonly NonceCommitment[], checkBinding: boolean): ListEntry[] {
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
function bindingFactors(
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
function checkBounds(group: GroupPublic): void {
  const { threshold, total } = group.as;
  if (!(threshold >= 2 && total >= threshold)) {
    throw new CryptoError('MALFORMED_INPUT', `bad signer bounds min=${threshold} max=${total}`);
  }
}

/**
 * RFC 9591 §4.3-4.6: validates the list and the group key, then computes the binding factors
 * (§4.4 compute_binding_factors), the group commitment (§4.5) and the challenge (§4.6), once.
 */
function prepare(
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
function checkCount(group: GroupPublic, list: readonly NonceCommitment[]): void {
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
function lagrange(s: Session, participant: number): bigint {
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
function schnorrHolds(z: bigint, R: Uint8Array, k: bigint, A: Uint8Array): boolean {
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

// ---------------------------------------------------------------------------------------------
// RFC 9591 §5
// ---------------------------------------------------------------------------------------------

/**
 * RFC 9591 §5.1 commit() with §4.1 nonce_generate(): nonce = H3(random_bytes(32) ||
 * SerializeScalar(sk)), hiding first, then binding, as noble draws them; commitments are
 * ScalarBaseMult of the nonces.
 * May throw CryptoError: BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function commitNative(
  share: KeyShare,
  rng: Rng = defaultRng,
): { nonces: SigningNonces; commitment: NonceCommitment } {
  const sk = abytes(share.signingShare.expose(), 'signingShare', 32);
  ascalar(sk, 'signingShare');
  const nonce = (): Uint8Array => {
    const random = abytes(rng(32), 'rng output', 32);
    return hashToScalar(H3_PREFIX, random, sk);
  };
  const hiding = nonce();
  const binding = nonce();
  const commitment = { participant: share.participant, hiding: baseMul(hiding), binding: baseMul(binding) };
  // [k]B for 0 < k < L is a prime-order non-identity point: no need to check it again.
  rememberValidPoint(commitment.hiding);
  rememberValidPoint(commitment.binding);
  const nonces = { hiding: new Secret(hiding, 'nonce'), binding: new Secret(binding, 'nonce') };
  committedTo.set(nonces.hiding, commitment.hiding);
  committedTo.set(nonces.binding, commitment.binding);
  return { nonces, commitment };
}

/**
 * RFC 9591 §5.2 sign(): z_i = d_i + e_i * rho_i + lambda_i * s_i * c. Checks that the list holds
 * this signer's commitment to exactly these nonces. Does not wipe the nonces (crypto/frost.ts does).
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function signShareNative(
  group: GroupPublic,
  share: KeyShare,
  nonces: SigningNonces,
  list: readonly NonceCommitment[],
  message: Uint8Array,
): Uint8Array {
  return signShareWith((own) => prepare(group, list, message, own), group, share, nonces, list);
}

/** signShareNative over a session computed by `session()` (once per party per step). */
function signShareWith(
  session: (own: readonly OwnBinding[]) => Session,
  group: GroupPublic,
  share: KeyShare,
  nonces: SigningNonces,
  list: readonly NonceCommitment[],
): Uint8Array {
  const me = aid(share.participant, 'share.participant');
  const sk = ascalar(share.signingShare.expose(), 'signingShare');
  const d = ascalar(nonces.hiding.expose(), 'nonces.hiding');
  const e = ascalar(nonces.binding.expose(), 'nonces.binding');
  if (d === 0n || e === 0n) throw new CryptoError('INTERNAL', 'signing nonces already used');
  const s = session([{ participant: me, nonce: nonces.binding }]);
  checkCount(group, list);
  const mine = s.list.find((c) => c.participant === me);
  if (!mine) throw new CryptoError('BAD_PARTICIPANT', `no commitment of signer ${me} in the list`);
  if (!commitsTo(nonces.hiding, mine.hiding) || !commitsTo(nonces.binding, mine.binding)) {
    throw new CryptoError('INTERNAL', `commitment of signer ${me} does not match its nonces`);
  }
  const z = modL(d + e * s.rho.get(me)! + lagrange(s, me) * sk * s.c);
  return scalarFromBig(z);
}

/**
 * One party's signing of one message with one commitment list (RFC 9591 §5.2-5.3): the list and
 * group key are validated, and the binding factors, group commitment and challenge computed, once
 * (on first use), for all of this party's shares and its aggregate. Each call checks and fails
 * exactly as the per-call functions do.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, BAD_SIGNATURE_SHARE, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function sessionNative(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
): {
  signShare(share: KeyShare, nonces: SigningNonces): Uint8Array;
  signShares(pairs: readonly (readonly [KeyShare, SigningNonces])[]): Uint8Array[];
  /** Validates the list and computes the session now, with these own nonces (nothing is signed). */
  prepare(pairs: readonly (readonly [KeyShare, SigningNonces])[]): void;
  aggregate(shares: ReadonlyMap<number, Uint8Array>): Uint8Array;
  /** The group commitment R (RFC 9591 §4.5) of the session, computed if it was not yet. */
  groupCommitment(): Uint8Array;
  /** aggregateAgainst within this session (see there); does not wipe the nonces. */
  aggregateAgainst(
    R: Uint8Array,
    pairs: readonly (readonly [KeyShare, SigningNonces])[],
    shares: ReadonlyMap<number, Uint8Array>,
  ): Uint8Array | undefined;
} {
  let prepared: Session | undefined;
  const session = (own: readonly OwnBinding[]): Session => {
    prepared ??= prepare(group, list, message, own);
    return prepared;
  };
  const ownOf = (pairs: readonly (readonly [KeyShare, SigningNonces])[]) =>
    pairs.map(([share, nonces]) => ({ participant: share.participant, nonce: nonces.binding }));
  return {
    signShare: (share, nonces) => signShareWith(session, group, share, nonces, list),
    prepare: (pairs) => {
      session(ownOf(pairs));
    },
    // All of this party's own terms of the group commitment by base multiplication: prepared
    // with every pair's binding nonce (an agent holds w shares), then each share as signShare.
    signShares: (pairs) => {
      const own = ownOf(pairs);
      return pairs.map(([share, nonces]) => signShareWith(() => session(own), group, share, nonces, list));
    },
    aggregate: (shares) => aggregateWith(() => session([]), group, list, message, shares),
    groupCommitment: () => session([]).R.slice(),
    aggregateAgainst: (R, pairs, shares) => aggregateAgainst(group, list, message, R, pairs, shares),
  };
}

/**
 * The aggregator's shortcut (docs/protocol.md §6.1, "The agent's shortcut"): a party that signs
 * with `pairs` and aggregates, and never discloses its own shares, computes them against a group
 * commitment R that other signers reported instead of computing R itself (RFC 9591 §4.5, two
 * variable-base multiplications per other signer), and keeps the result only if it is a valid
 * signature: R || z with z = the sum of every share (§5.3), checked once under the group key by
 * the cluster's Ed25519 rule. A valid signature is what §5.3 would have produced: the final
 * check fixes R and z, and the party's own shares never leave it, so a wrong R reveals nothing.
 * Undefined when R is not 32 bytes, a share is missing or not canonical, or the signature does
 * not verify: the caller then runs the full session (which names a culprit). Every other check
 * is signShare's: the list's points and identifiers (§3.1, checked once per array), the count,
 * each pair's commitment in the list matching its unused nonces. Does not wipe the nonces.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function aggregateAgainst(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  R: Uint8Array,
  pairs: readonly (readonly [KeyShare, SigningNonces])[],
  shares: ReadonlyMap<number, Uint8Array>,
): Uint8Array | undefined {
  abytes(message, 'message');
  checkBounds(group);
  const gpk = apoint(group.commitments[0], 'commitments[0]');
  const sorted = sortedList(list, true);
  checkCount(group, sorted);
  if (!(R instanceof Uint8Array) || R.length !== 32) return undefined;
  const rho = bindingFactors(gpk, sorted, message);
  const s: Session = { gpk, list: sorted, rho, R, c: challenge(R, gpk, message) };
  const own = new Map<number, bigint>();
  for (const [share, nonces] of pairs) {
    const me = aid(share.participant, 'share.participant');
    const sk = ascalar(share.signingShare.expose(), 'signingShare');
    const d = ascalar(nonces.hiding.expose(), 'nonces.hiding');
    const e = ascalar(nonces.binding.expose(), 'nonces.binding');
    if (d === 0n || e === 0n) throw new CryptoError('INTERNAL', 'signing nonces already used');
    const mine = sorted.find((c) => c.participant === me);
    if (!mine) throw new CryptoError('BAD_PARTICIPANT', `no commitment of signer ${me} in the list`);
    if (!commitsTo(nonces.hiding, mine.hiding) || !commitsTo(nonces.binding, mine.binding)) {
      throw new CryptoError('INTERNAL', `commitment of signer ${me} does not match its nonces`);
    }
    own.set(me, modL(d + e * rho.get(me)! + lagrange(s, me) * sk * s.c));
  }
  let z = 0n;
  for (const c of sorted) {
    const mine = own.get(c.participant);
    if (mine !== undefined) {
      z += mine;
      continue;
    }
    const share = shares.get(c.participant);
    if (!(share instanceof Uint8Array) || share.length !== 32) return undefined;
    const x = scalarToBig(share);
    if (x >= L) return undefined;
    z += x;
  }
  const pk = apoint(group.groupPublicKey, 'groupPublicKey');
  const sig = concatBytes(R, scalarFromBig(modL(z)));
  return verifyEd25519(sig, message, pk) ? sig : undefined;
}

/** RFC 9591 §5.4 verify_signature_share() within a prepared session. */
function verifyShareIn(s: Session, group: GroupPublic, participant: number, sigShare: unknown): boolean {
  try {
    const z = ascalar(sigShare, 'signatureShare');
    const comm = s.list.find((c) => c.participant === participant);
    if (!comm) return false;
    const pk = apoint(group.verifyingShares[participant - 1], `verifyingShares[${participant - 1}]`);
    // commShare = hiding + rho * binding; check [z]B == commShare + [c * lambda] PK.
    const commShare = addMaybe(comm.hiding, mulOrIdentity(s.rho.get(participant)!, comm.binding))!;
    return schnorrHolds(z, commShare, modL(s.c * lagrange(s, participant)), pk);
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
}

/**
 * RFC 9591 §5.4 verify_signature_share(): false on any invalid input.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function verifyShareNative(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  participant: number,
  sigShare: Uint8Array,
): boolean {
  let s: Session;
  try {
    aid(participant, 'participant');
    s = prepare(group, list, message);
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
  return verifyShareIn(s, group, participant, sigShare);
}

/**
 * RFC 9591 §5.3 aggregate(): R || sum(z_i). The signature is checked once, as RFC 8032 would
 * ([z]B == R + [H2(R || A || msg)]A) against `groupPublicKey`; only if that fails is every share
 * checked (§5.4), in list order, and the first invalid one named (BAD_SIGNATURE_SHARE). If every
 * share verifies the public material is inconsistent (INTERNAL).
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, BAD_SIGNATURE_SHARE, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function aggregateNative(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  shares: ReadonlyMap<number, Uint8Array>,
): Uint8Array {
  return aggregateWith(() => prepare(group, list, message), group, list, message, shares);
}

/** aggregateNative over a session computed by `session()`. */
function aggregateWith(
  session: () => Session,
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  shares: ReadonlyMap<number, Uint8Array>,
): Uint8Array {
  for (const c of list) {
    if (!shares.get(c.participant)) {
      throw new CryptoError('BAD_PARTICIPANT', `no signature share from participant ${c.participant}`);
    }
  }
  let s: Session | undefined;
  try {
    s = session();
    checkCount(group, list);
    let z = 0n;
    for (const c of s.list) {
      if (!group.verifyingShares[c.participant - 1]) {
        throw new CryptoError('BAD_PARTICIPANT', `participant ${c.participant} has no verifying share`);
      }
    }
    for (const c of s.list) z += ascalar(shares.get(c.participant), 'signatureShare');
    z = modL(z);
    const pk = apoint(group.groupPublicKey, 'groupPublicKey');
    // The one check of the final signature: the cluster's Ed25519 rule (node:crypto behind our
    // pre-checks, crypto/ed25519.ts), as every relying party will check it.
    const sig = concatBytes(s.R, scalarFromBig(z));
    if (verifyEd25519(sig, message, pk)) return sig;
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
  }
  for (const c of list) {
    if (!s || !verifyShareIn(s, group, c.participant, shares.get(c.participant))) {
      throw new CryptoError(
        'BAD_SIGNATURE_SHARE',
        `participant ${c.participant} sent an invalid signature share`,
        { culprits: [c.participant] },
      );
    }
  }
  throw new CryptoError('INTERNAL', 'aggregate signature does not verify although every share does');
}
