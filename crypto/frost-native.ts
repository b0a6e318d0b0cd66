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
 *   signShares, every one of the party's own terms is a base multiplication;
 * - aggregateAgainst, the aggregator's shortcut (docs/protocol.md §6.1): an aggregating signer's
 *   shares against a reported group commitment, kept only if the signature verifies.
 * The per-call context those use (§4.2-4.6 and the input checks) is ./frost-native-context.ts.
 *
 * Scalar arithmetic on secrets uses bigint, as noble does (same timing posture as before).
 */
import { randomBytes } from 'node:crypto';
import { abytes, concatBytes } from './bytes.js';
import { verifyEd25519 } from './ed25519.js';
import {
  baseMul,
  hashToScalar,
  L,
  modL,
  rememberValidPoint,
  scalarFromBig,
  scalarToBig,
} from './ed25519-native.js';
import { CryptoError } from './errors.js';
import type { GroupPublic, KeyShare, NonceCommitment, SigningNonces } from './frost.js';
import {
  addMaybe,
  aid,
  apoint,
  ascalar,
  bindingFactors,
  challenge,
  checkBounds,
  checkCount,
  commitsTo,
  committedTo,
  H3_PREFIX,
  lagrange,
  mulOrIdentity,
  type OwnBinding,
  prepare,
  type Session,
  schnorrHolds,
  sortedList,
} from './frost-native-context.js';
import { Secret } from './secret.js';

/** A source of random bytes (node:crypto by default; fixed bytes in tests). */
export type Rng = (len: number) => Uint8Array;
const defaultRng: Rng = (len) => new Uint8Array(randomBytes(len));

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
 * That must stay so: on undefined the caller runs the full session with the same nonces, and
 * two published shares over one nonce pair and two challenges would give away the signing share.
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
