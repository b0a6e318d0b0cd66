/**
 * FROST(Ed25519, SHA-512) (RFC 9591) over the access structure of ./access.ts, on
 * @noble/curves' `ed25519_FROST`. This module adapts noble's API to participant indices and
 * validated wire types; all group math is noble's.
 *
 * Files follow the protocol steps: DKG rounds 1-3, then commit (RFC 9591 §5.1), signShare
 * (§5.2), verifyShare (§5.4) and aggregate (§5.3).
 *
 * Signing (§5) has two backends with identical outputs: libsodium (./frost-native.ts, the
 * default when sodium-native loads) and noble (this file, the reference and the fallback). Each
 * signing function takes an optional explicit backend; without one the process's active backend
 * (cryptoBackend() in ./ed25519-native.ts) is used. The DKG always runs on noble.
 */
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { p256_FROST } from '@noble/curves/nist.js';
import { MpcidError } from '../common/errors.js';
import { type AccessStructure, accessStructure, checkSigningSet } from './access.js';
import { abytes, framed } from './bytes.js';
import {
  decodePoint,
  decodeScalar,
  decodeSignature,
  POINT_LEN,
  SIGNATURE_LEN,
  verifyEd25519,
} from './ed25519.js';
import { type BackendName, cryptoBackend } from './ed25519-native.js';
import {
  aggregateNative,
  commitNative,
  type Rng,
  sessionNative,
  signShareNative,
  verifyShareNative,
} from './frost-native.js';
import { sha256 } from './hash.js';
import { decodeP256Point, decodeP256Proof, decodeP256Scalar } from './p256.js';
import { Secret } from './secret.js';

/**
 * A FROST ciphersuite (RFC 9591 §6): the DKG runs on Ed25519 for EdDSA keys and on P-256 for
 * the same identity's ES256 key (signed with DKLs23, crypto/ecdsa), over one access structure.
 */
export interface Suite {
  readonly name: 'ed25519' | 'p256';
  readonly F: typeof ed25519_FROST;
  decodePoint(bytes: unknown, field: string): Uint8Array;
  decodeScalar(bytes: unknown, field: string, opts?: { nonZero?: boolean }): Uint8Array;
  decodeProof(bytes: unknown, field: string): Uint8Array;
}

/** FROST(Ed25519, SHA-512), RFC 9591 §6.1. */
export const ED25519: Suite = {
  name: 'ed25519',
  F: ed25519_FROST,
  decodePoint,
  decodeScalar,
  decodeProof: decodeSignature,
};
/** FROST(P-256, SHA-256), RFC 9591 §6.4. */
export const P256: Suite = {
  name: 'p256',
  F: p256_FROST as typeof ed25519_FROST,
  decodePoint: decodeP256Point,
  decodeScalar: decodeP256Scalar,
  decodeProof: decodeP256Proof,
};
const F = ed25519_FROST;

/** Public key material of one identity, identical on every participant. */
export interface GroupPublic {
  readonly as: AccessStructure;
  /** The identity's Ed25519 public key (RFC 8032 encoding). */
  readonly groupPublicKey: Uint8Array;
  /** The T summed VSS commitments; commitments[0] is the group public key. */
  readonly commitments: readonly Uint8Array[];
  /** Verifying share of participant p at index p - 1, for p in 1..N. */
  readonly verifyingShares: readonly Uint8Array[];
}

/** One participant's secret signing share. */
export interface KeyShare {
  readonly participant: number;
  readonly signingShare: Secret;
}

/** A DKG round-1 broadcast: VSS commitment and proof of knowledge of the constant term. */
export interface Round1Package {
  readonly participant: number;
  readonly commitment: readonly Uint8Array[];
  readonly proofOfKnowledge: Uint8Array;
}

/** RFC 9591 §5.1 public nonce commitments of one participant. */
export interface NonceCommitment {
  readonly participant: number;
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}

/** RFC 9591 §5.1 secret nonces. Single use: `signShare` wipes them. */
export interface SigningNonces {
  readonly hiding: Secret;
  readonly binding: Secret;
}

const id = (p: number, suite: Suite = ED25519): string => suite.F.Identifier.fromNumber(p);
const signers = (as: AccessStructure) => ({ min: as.threshold, max: as.total });

function toNoblePublic(g: GroupPublic, suite: Suite = ED25519) {
  const verifyingShares: Record<string, Uint8Array> = {};
  g.verifyingShares.forEach((v, i) => {
    verifyingShares[id(i + 1, suite)] = v;
  });
  return { signers: signers(g.as), commitments: [...g.commitments], verifyingShares };
}

function toNobleSecret(s: KeyShare, suite: Suite = ED25519) {
  return { identifier: id(s.participant, suite), signingShare: s.signingShare.expose() };
}

function toNobleCommitments(list: readonly NonceCommitment[]) {
  return list.map((c) => ({ identifier: id(c.participant), hiding: c.hiding, binding: c.binding }));
}

/** Validates a decoded round-1 package from the wire against the access structure. */
export function checkRound1(
  as: AccessStructure,
  pkg: Round1Package,
  field = 'round1',
  suite: Suite = ED25519,
): Round1Package {
  if (!Number.isSafeInteger(pkg.participant) || pkg.participant < 1 || pkg.participant > as.total) {
    throw new MpcidError('BAD_PARTICIPANT', `${field}: participant outside 1..${as.total}`);
  }
  if (!Array.isArray(pkg.commitment) || pkg.commitment.length !== as.threshold) {
    throw new MpcidError('BAD_LENGTH', `${field}: expected ${as.threshold} commitments`);
  }
  const commitment = pkg.commitment.map((c, i) => suite.decodePoint(c, `${field}.commitment[${i}]`));
  return {
    participant: pkg.participant,
    commitment,
    proofOfKnowledge: suite.decodeProof(pkg.proofOfKnowledge, `${field}.proofOfKnowledge`),
  };
}

/**
 * Digest binding the full round-1 set and the enrollment context; every participant confirms it
 * so that all saw the same broadcasts (PROTOCOL.md §3).
 */
export function round1Digest(context: Uint8Array, all: readonly Round1Package[]): Uint8Array {
  const sorted = [...all].sort((a, b) => a.participant - b.participant);
  const fields: (Uint8Array | number)[] = [context];
  for (const p of sorted) fields.push(p.participant, ...p.commitment, p.proofOfKnowledge);
  return sha256(framed('mpcid/dkg/round1-set/v1', ...fields));
}

/**
 * One participant's side of the DKG (Pedersen DKG with proofs of knowledge, as in frost-rs and
 * noble's `DKG`). The polynomial lives only in memory and is wiped after `finish`.
 */
export class DkgParticipant {
  readonly as: AccessStructure;
  readonly suite: Suite;
  readonly round1: Round1Package;
  #state: ReturnType<typeof F.DKG.round1>['secret'];
  #done = false;

  constructor(as: AccessStructure, participant: number, suite: Suite = ED25519) {
    if (!Number.isSafeInteger(participant) || participant < 1 || participant > as.total) {
      throw new MpcidError('BAD_PARTICIPANT', `participant ${participant} is outside 1..${as.total}`);
    }
    this.as = as;
    this.suite = suite;
    const r = suite.F.DKG.round1(id(participant, suite), signers(as));
    this.#state = r.secret;
    this.round1 = {
      participant,
      commitment: r.public.commitment,
      proofOfKnowledge: r.public.proofOfKnowledge,
    };
  }

  #others(all: readonly Round1Package[]) {
    const others = all.filter((p) => p.participant !== this.round1.participant);
    const seen = new Set(others.map((p) => p.participant));
    if (others.length !== this.as.total - 1 || seen.size !== others.length) {
      throw new MpcidError(
        'DKG_FAILED',
        `round-1 set must hold each of the ${this.as.total} participants once`,
      );
    }
    return others.map((p) => ({
      identifier: id(p.participant, this.suite),
      commitment: [...p.commitment],
      proofOfKnowledge: p.proofOfKnowledge,
    }));
  }

  /**
   * Round 2: checks every other participant's proof of knowledge and returns the secret share
   * for each recipient (participant index -> 32-byte scalar). These must travel encrypted.
   */
  round2(all: readonly Round1Package[]): Map<number, Secret> {
    let out: Record<string, { signingShare: Uint8Array }>;
    try {
      out = this.suite.F.DKG.round2(this.#state, this.#others(all));
    } catch (e) {
      if (e instanceof MpcidError) throw e;
      throw new MpcidError('DKG_FAILED', 'a round-1 package failed verification');
    }
    const res = new Map<number, Secret>();
    for (let p = 1; p <= this.as.total; p++) {
      if (p === this.round1.participant) continue;
      const pkg = out[id(p, this.suite)];
      if (!pkg) throw new MpcidError('DKG_FAILED', `no round-2 share for participant ${p}`);
      res.set(p, new Secret(pkg.signingShare, 'dkg-share'));
    }
    return res;
  }

  /**
   * Round 3: verifies each received share against its sender's commitment and derives this
   * participant's signing share and the group's public material. Names the sender of a bad share.
   */
  finish(
    all: readonly Round1Package[],
    received: ReadonlyMap<number, Secret>,
  ): { share: KeyShare; group: GroupPublic } {
    if (this.#done) throw new MpcidError('ENROLLMENT_STATE', 'DKG already finished');
    const others = this.#others(all);
    const r2 = others.map((o) => {
      const sender = Number(this.suite.F.utils.Fn.fromBytes(Buffer.from(o.identifier, 'hex')));
      const s = received.get(sender);
      if (!s) throw new MpcidError('DKG_FAILED', `missing round-2 share from participant ${sender}`);
      return {
        identifier: o.identifier,
        signingShare: this.suite.decodeScalar(s.expose(), `round2 share from ${sender}`),
      };
    });
    let key: ReturnType<typeof F.DKG.round3>;
    try {
      key = this.suite.F.DKG.round3(this.#state, others, r2);
    } catch {
      throw new MpcidError(
        'DKG_FAILED',
        `${blameShares(this.as, all, this.round1.participant, received, this.suite)}`,
      );
    } finally {
      this.#done = true;
      this.suite.F.DKG.clean(this.#state);
    }
    const verifyingShares: Uint8Array[] = [];
    for (let p = 1; p <= this.as.total; p++) {
      const v = key.public.verifyingShares[id(p, this.suite)];
      if (!v) throw new MpcidError('DKG_FAILED', `no verifying share for participant ${p}`);
      verifyingShares.push(v);
    }
    const group: GroupPublic = {
      as: this.as,
      groupPublicKey: key.public.commitments[0]!,
      commitments: key.public.commitments,
      verifyingShares,
    };
    return {
      share: {
        participant: this.round1.participant,
        signingShare: new Secret(key.secret.signingShare, 'signing-share'),
      },
      group,
    };
  }

  /** Best-effort erasure of the polynomial if the enrollment is abandoned. */
  abandon(): void {
    if (!this.#done) this.suite.F.DKG.clean(this.#state);
    this.#done = true;
  }
}

/** Finds which sender's round-2 share does not match its commitment (RFC 9591 App. C.2 vss_verify). */
function blameShares(
  as: AccessStructure,
  all: readonly Round1Package[],
  me: number,
  received: ReadonlyMap<number, Secret>,
  suite: Suite,
): string {
  for (const pkg of all) {
    if (pkg.participant === me) continue;
    const s = received.get(pkg.participant);
    if (!s) continue;
    try {
      // Evaluate the sender's commitment polynomial at our index and compare with share * G.
      suite.F.validateSecret(
        { identifier: id(me, suite), signingShare: s.expose() },
        { signers: signers(as), commitments: [...pkg.commitment], verifyingShares: {} },
      );
    } catch {
      return `round-2 share from participant ${pkg.participant} does not match its commitment`;
    }
  }
  return 'round-2 shares are inconsistent with the round-1 commitments';
}

/** Decodes a group's public material from the wire/storage, checking every point. */
export function checkGroupPublic(
  as: AccessStructure,
  commitments: readonly unknown[],
  verifyingShares: readonly unknown[],
  suite: Suite = ED25519,
): GroupPublic {
  if (commitments.length !== as.threshold)
    throw new MpcidError('BAD_LENGTH', `expected ${as.threshold} commitments`);
  if (verifyingShares.length !== as.total)
    throw new MpcidError('BAD_LENGTH', `expected ${as.total} verifying shares`);
  const c = commitments.map((x, i) => suite.decodePoint(x, `commitments[${i}]`));
  const v = verifyingShares.map((x, i) => suite.decodePoint(x, `verifyingShares[${i}]`));
  return { as, groupPublicKey: c[0]!, commitments: c, verifyingShares: v };
}

/** Rebuilds an access structure and checks a share against the group's commitments (RFC 9591 App. C.2). */
export function checkKeyShare(group: GroupPublic, share: KeyShare, suite: Suite = ED25519): void {
  accessStructure(group.as.n, group.as.t);
  suite.decodeScalar(share.signingShare.expose(), 'signingShare', { nonZero: true });
  try {
    suite.F.validateSecret(toNobleSecret(share, suite), toNoblePublic(group, suite));
  } catch {
    throw new MpcidError(
      'STATE_CORRUPT',
      `signing share of participant ${share.participant} does not match the group`,
    );
  }
}

/** Validates a commitment list from the wire: a signing set (agent + t oracles), valid points. */
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
    aggregate(shares: ReadonlyMap<number, Uint8Array>): Uint8Array;
  };
}

/** The reference backend: @noble/curves' ed25519_FROST. */
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
      if (!s) throw new MpcidError('BAD_PARTICIPANT', `no signature share from participant ${c.participant}`);
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
        throw new MpcidError(
          'BAD_SIGNATURE_SHARE',
          `participant ${c.participant} sent an invalid signature share`,
          { metadata: { culprit: String(c.participant) } },
        );
      }
    }
    throw new MpcidError('INTERNAL', 'aggregate signature does not verify although every share does');
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

/** RFC 9591 §5.2 sign(): this participant's signature share. Wipes the nonces. */
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
  aggregate(shares: ReadonlyMap<number, Uint8Array>): Uint8Array;
}

/**
 * signShare and aggregate (RFC 9591 §5.2-5.3) for one group, commitment list and message, as one
 * party (the agent, with its w shares) makes them in one step: on the native backend the list and
 * keys are validated, and the binding factors (§4.4), group commitment (§4.5) and challenge
 * (§4.6) computed, once for all of them. Same results and errors as the per-call functions.
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
  return {
    signShare(share, nonces) {
      try {
        return s.signShare(share, nonces);
      } finally {
        nonces.hiding.wipe();
        nonces.binding.wipe();
      }
    },
    aggregate: (shares) => s.aggregate(shares),
  };
}

export { POINT_LEN };
