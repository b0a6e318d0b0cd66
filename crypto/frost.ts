/**
 * FROST(Ed25519, SHA-512) signing (RFC 9591 §5) over the access structure of ./access.ts:
 * commit (§5.1), signShare (§5.2), verifyShare (§5.4) and aggregate (§5.3), with the commitment
 * list checks. Key generation is ./frost-dkg.ts and the shared suites and key types are
 * ./frost-suite.ts; both are re-exported here, so callers import FROST from one module.
 *
 * Signing has two backends with identical outputs: libsodium (./frost-native.ts, the default
 * when sodium-native loads) and noble (this file, the reference and the fallback). Each signing
 * function takes an optional explicit backend; without one the process's active backend
 * (cryptoBackend() in ./ed25519-native.ts) is used. The Ed25519 DKG follows the same backend
 * (./frost-dkg.ts, ./frost-dkg-native.ts); the P-256 DKG runs on noble.
 */
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { type AccessStructure, checkSigningSet } from './access.js';
import { abytes } from './bytes.js';
import { decodePoint, decodeScalar, POINT_LEN, SIGNATURE_LEN, verifyEd25519 } from './ed25519.js';
import { type BackendName, cryptoBackend } from './ed25519-native.js';
import { CryptoError } from './errors.js';
import {
  aggregateNative,
  commitNative,
  type Rng,
  sessionNative,
  signShareNative,
  verifyShareNative,
} from './frost-native.js';
import {
  type GroupPublic,
  id,
  type KeyShare,
  type NonceCommitment,
  type SigningNonces,
  toNoblePublic,
  toNobleSecret,
} from './frost-suite.js';
import { Secret } from './secret.js';

export { checkRound1, DkgParticipant, round1Digest } from './frost-dkg.js';
export {
  checkGroupPublic,
  checkKeyShare,
  ED25519,
  type GroupPublic,
  type KeyShare,
  type NonceCommitment,
  P256,
  type Round1Package,
  type SigningNonces,
  type Suite,
} from './frost-suite.js';

const F = ed25519_FROST;

function toNobleCommitments(list: readonly NonceCommitment[]) {
  return list.map((c) => ({ identifier: id(c.participant), hiding: c.hiding, binding: c.binding }));
}

/**
 * Validates a commitment list from the wire: a signing set (agent + t oracles), valid points.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function checkCommitmentList(
  as: AccessStructure,
  list: readonly NonceCommitment[],
): NonceCommitment[] {
  checkSigningSet(
    as,
    list.map((c) => c.participant),
  );
  return [...list]
    .map((c, i) => ({
      participant: c.participant,
      hiding: decodePoint(c.hiding, `commitments[${i}].hiding`),
      binding: decodePoint(c.binding, `commitments[${i}].binding`),
    }))
    .sort((a, b) => a.participant - b.participant);
}

/**
 * A FROST(Ed25519, SHA-512) signing backend (RFC 9591 §5). Both implementations give
 * byte-identical results and reject the same inputs; only their speed differs.
 */
export interface FrostBackend {
  readonly name: BackendName;
  /** RFC 9591 §5.1 commit(); `rng` supplies the 32-byte nonce randomness (hiding, then binding). */
  commit(share: KeyShare, rng?: Rng): { nonces: SigningNonces; commitment: NonceCommitment };
  /** RFC 9591 §5.2 sign(); does not wipe the nonces. */
  signShare(
    group: GroupPublic,
    share: KeyShare,
    nonces: SigningNonces,
    list: readonly NonceCommitment[],
    message: Uint8Array,
  ): Uint8Array;
  /** RFC 9591 §5.4 verify_signature_share(); false on any invalid input. */
  verifyShare(
    group: GroupPublic,
    list: readonly NonceCommitment[],
    message: Uint8Array,
    participant: number,
    sigShare: Uint8Array,
  ): boolean;
  /** RFC 9591 §5.3 aggregate() plus the checks described at `aggregate` below. */
  aggregate(
    group: GroupPublic,
    list: readonly NonceCommitment[],
    message: Uint8Array,
    shares: ReadonlyMap<number, Uint8Array>,
  ): Uint8Array;
  /** signShare and aggregate for one (group, list, message), sharing what they derive (optional). */
  session?(
    group: GroupPublic,
    list: readonly NonceCommitment[],
    message: Uint8Array,
  ): {
    signShare(share: KeyShare, nonces: SigningNonces): Uint8Array;
    /** signShare for each pair, all of them known to the session at once (optional). */
    signShares?(pairs: readonly (readonly [KeyShare, SigningNonces])[]): Uint8Array[];
    aggregate(shares: ReadonlyMap<number, Uint8Array>): Uint8Array;
    /** The session's group commitment R, RFC 9591 §4.5 (optional). */
    groupCommitment?(): Uint8Array;
    /** The aggregator's shortcut against a reported R (optional; frost-native.ts aggregateAgainst). */
    aggregateAgainst?(
      R: Uint8Array,
      pairs: readonly (readonly [KeyShare, SigningNonces])[],
      shares: ReadonlyMap<number, Uint8Array>,
    ): Uint8Array | undefined;
  };
}

/**
 * The reference backend: @noble/curves' ed25519_FROST.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, BAD_SIGNATURE_SHARE, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export const NOBLE_FROST: FrostBackend = Object.freeze({
  name: 'noble' as const,
  commit(share: KeyShare, rng?: Rng) {
    const r = F.commit(toNobleSecret(share), rng ? (n?: number) => Uint8Array.from(rng(n ?? 32)) : undefined);
    return {
      nonces: {
        hiding: new Secret(r.nonces.hiding, 'nonce'),
        binding: new Secret(r.nonces.binding, 'nonce'),
      },
      commitment: {
        participant: share.participant,
        hiding: r.commitments.hiding,
        binding: r.commitments.binding,
      },
    };
  },
  signShare(
    group: GroupPublic,
    share: KeyShare,
    nonces: SigningNonces,
    list: readonly NonceCommitment[],
    message: Uint8Array,
  ) {
    // noble zeroes the copies it is given, not our Secrets: crypto/frost.ts's wrapper wipes those.
    return F.signShare(
      toNobleSecret(share),
      toNoblePublic(group),
      { hiding: nonces.hiding.expose().slice(), binding: nonces.binding.expose().slice() },
      toNobleCommitments(list),
      message,
    );
  },
  verifyShare(
    group: GroupPublic,
    list: readonly NonceCommitment[],
    message: Uint8Array,
    participant: number,
    sigShare: Uint8Array,
  ) {
    try {
      decodeScalar(sigShare, 'signatureShare');
      return F.verifyShare(
        toNoblePublic(group),
        toNobleCommitments(list),
        message,
        id(participant),
        sigShare,
      );
    } catch {
      return false;
    }
  },
  aggregate(
    group: GroupPublic,
    list: readonly NonceCommitment[],
    message: Uint8Array,
    shares: ReadonlyMap<number, Uint8Array>,
  ) {
    const rec: Record<string, Uint8Array> = {};
    for (const c of list) {
      const s = shares.get(c.participant);
      if (!s)
        throw new CryptoError('BAD_PARTICIPANT', `no signature share from participant ${c.participant}`, {
          culprits: [c.participant],
        });
      rec[id(c.participant)] = s;
    }
    let sig: Uint8Array | undefined;
    try {
      sig = F.aggregate(toNoblePublic(group), toNobleCommitments(list), message, rec);
    } catch {
      sig = undefined;
    }
    if (sig && sig.length === SIGNATURE_LEN && verifyEd25519(sig, message, group.groupPublicKey)) return sig;
    for (const c of list) {
      if (!this.verifyShare(group, list, message, c.participant, shares.get(c.participant)!)) {
        throw new CryptoError(
          'BAD_SIGNATURE_SHARE',
          `participant ${c.participant} sent an invalid signature share`,
          { culprits: [c.participant] },
        );
      }
    }
    throw new CryptoError('INTERNAL', 'aggregate signature does not verify although every share does');
  },
});

/** The native backend: libsodium group operations and node:crypto SHA-512 (./frost-native.ts). */
export const SODIUM_FROST: FrostBackend = Object.freeze({
  name: 'sodium' as const,
  commit: commitNative,
  signShare: signShareNative,
  verifyShare: verifyShareNative,
  aggregate: aggregateNative,
  session: sessionNative,
});

/** The signing backend in use: sodium if it loaded (and was not pinned to noble), else noble. */
export function frostBackend(): FrostBackend {
  return cryptoBackend().name === 'sodium' ? SODIUM_FROST : NOBLE_FROST;
}

/** RFC 9591 §5.1 commit(): fresh hiding and binding nonces and their commitments. */
export function commit(
  share: KeyShare,
  backend: FrostBackend = frostBackend(),
): { nonces: SigningNonces; commitment: NonceCommitment } {
  return backend.commit(share);
}

/**
 * RFC 9591 §5.2 sign(): this participant's signature share. Wipes the nonces.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function signShare(
  group: GroupPublic,
  share: KeyShare,
  nonces: SigningNonces,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  backend: FrostBackend = frostBackend(),
): Uint8Array {
  abytes(message, 'message');
  try {
    return backend.signShare(group, share, nonces, list, message);
  } finally {
    nonces.hiding.wipe();
    nonces.binding.wipe();
  }
}

/** RFC 9591 §5.4 verify_signature_share(). */
export function verifyShare(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  participant: number,
  sigShare: Uint8Array,
  backend: FrostBackend = frostBackend(),
): boolean {
  return backend.verifyShare(group, list, message, participant, sigShare);
}

/**
 * RFC 9591 §5.3 aggregate(), then the signature is checked against the group key (RFC 8032
 * verification) before it is returned. On failure each share is checked (§5.4) and the first
 * participant whose share is invalid is named.
 */
export function aggregate(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  shares: ReadonlyMap<number, Uint8Array>,
  backend: FrostBackend = frostBackend(),
): Uint8Array {
  return backend.aggregate(group, list, message, shares);
}

/** One party's part of one signature: its shares (each wipes its nonces) and the aggregate. */
export interface SigningSession {
  signShare(share: KeyShare, nonces: SigningNonces): Uint8Array;
  /**
   * signShare for each of this party's (share, nonces) pairs (the agent's w shares), known to the
   * session at once: on the native backend each of their terms of the group commitment is a base
   * multiplication. Wipes every pair's nonces.
   */
  signShares(pairs: readonly (readonly [KeyShare, SigningNonces])[]): Uint8Array[];
  aggregate(shares: ReadonlyMap<number, Uint8Array>): Uint8Array;
  /**
   * The group commitment R (RFC 9591 §4.5) this party computed for the session, which it may
   * report beside its share; undefined on a backend that does not expose it.
   */
  groupCommitment(): Uint8Array | undefined;
  /**
   * The aggregator's shortcut (crypto/frost-native.ts aggregateAgainst): this party's shares for
   * `pairs` computed against a group commitment R other signers reported, summed with the
   * others' `shares`, and the signature returned only if it verifies under the group key; then
   * the pairs' nonces are wiped. Undefined otherwise, nonces untouched (the caller runs
   * signShares and aggregate, which name a culprit), and always on a backend without it.
   */
  aggregateAgainst(
    R: Uint8Array,
    pairs: readonly (readonly [KeyShare, SigningNonces])[],
    shares: ReadonlyMap<number, Uint8Array>,
  ): Uint8Array | undefined;
}

/**
 * signShare and aggregate (RFC 9591 §5.2-5.3) for one group, commitment list and message, as one
 * party (the agent, with its w shares) makes them in one step: on the native backend the list and
 * keys are validated, and the binding factors (§4.4), group commitment (§4.5) and challenge
 * (§4.6) computed, once for all of them. Same results and errors as the per-call functions.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function signingSession(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  backend: FrostBackend = frostBackend(),
): SigningSession {
  abytes(message, 'message');
  const s = backend.session?.(group, list, message) ?? {
    signShare: (share: KeyShare, nonces: SigningNonces) =>
      backend.signShare(group, share, nonces, list, message),
    aggregate: (shares: ReadonlyMap<number, Uint8Array>) => backend.aggregate(group, list, message, shares),
  };
  return wiping(s);
}

/** A backend's session whose signShare(s) wipe the nonces they were given, whatever happens. */
function wiping(s: NonNullable<ReturnType<NonNullable<FrostBackend['session']>>>): SigningSession {
  const wipe = (nonces: SigningNonces) => {
    nonces.hiding.wipe();
    nonces.binding.wipe();
  };
  return {
    signShare(share, nonces) {
      try {
        return s.signShare(share, nonces);
      } finally {
        wipe(nonces);
      }
    },
    signShares(pairs) {
      try {
        return s.signShares
          ? s.signShares(pairs)
          : pairs.map(([share, nonces]) => s.signShare(share, nonces));
      } finally {
        for (const [, nonces] of pairs) wipe(nonces);
      }
    },
    aggregate: (shares) => s.aggregate(shares),
    groupCommitment: () => s.groupCommitment?.(),
    aggregateAgainst(R, pairs, shares) {
      const sig = s.aggregateAgainst?.(R, pairs, shares);
      if (sig) for (const [, nonces] of pairs) wipe(nonces);
      return sig;
    },
  };
}

/**
 * checkCommitmentList for a signer that is about to sign with `share` and the nonces of its own
 * commitment in `list` (an oracle in a step's signing set): the same checks and errors, and the
 * signing session, already computed. On the native backend each binding point is checked by the
 * computation of the group commitment (§4.5: libsodium checks the point inside the variable-base
 * multiplication rho * binding, and the signer's own is [e]B of its nonce) instead of once more
 * before it; hiding points are checked as in checkCommitmentList. Nothing is signed and the
 * nonces are not touched. Elsewhere: checkCommitmentList, then signingSession.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function checkSigningList(
  group: GroupPublic,
  list: readonly NonceCommitment[],
  message: Uint8Array,
  share: KeyShare,
  nonces: SigningNonces,
  backend: FrostBackend = frostBackend(),
): { list: NonceCommitment[]; session: SigningSession } {
  abytes(message, 'message');
  if (backend !== SODIUM_FROST) {
    const checked = checkCommitmentList(group.as, list);
    return { list: checked, session: signingSession(group, checked, message, backend) };
  }
  checkSigningSet(
    group.as,
    list.map((c) => c.participant),
  );
  const wire = list.map((c, i) => ({
    participant: c.participant,
    hiding: decodePoint(c.hiding, `commitments[${i}].hiding`),
    binding: abytes(c.binding, `commitments[${i}].binding`, POINT_LEN),
  }));
  // In wire order, so that an error names the entry as checkCommitmentList would.
  const s = sessionNative(group, wire, message);
  s.prepare([[share, nonces]]);
  return { list: [...wire].sort((a, b) => a.participant - b.participant), session: wiping(s) };
}

export { POINT_LEN };
