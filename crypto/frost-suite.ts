/**
 * What FROST key generation (./frost-dkg.ts) and signing (./frost.ts) share: the two
 * ciphersuites (RFC 9591 §6.1 Ed25519, §6.4 P-256), the key material types, their conversion to
 * @noble/curves' shapes, and the checks of a group's stored public material and a key share.
 */
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { p256_FROST } from '@noble/curves/nist.js';
import { type AccessStructure, accessStructure } from './access.js';
import { decodePoint, decodeScalar, decodeSignature } from './ed25519.js';
import { CryptoError } from './errors.js';
import { decodeP256Point, decodeP256Proof, decodeP256Scalar } from './p256.js';
import type { Secret } from './secret.js';

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

/** noble's identifier of participant `p` (RFC 9591 §4.1: the scalar p). */
export const id = (p: number, suite: Suite = ED25519): string => suite.F.Identifier.fromNumber(p);
/** noble's signer bounds of an access structure. */
export const signers = (as: AccessStructure) => ({ min: as.threshold, max: as.total });

/** A group's public material in noble's shape. */
export function toNoblePublic(g: GroupPublic, suite: Suite = ED25519) {
  const verifyingShares: Record<string, Uint8Array> = {};
  g.verifyingShares.forEach((v, i) => {
    verifyingShares[id(i + 1, suite)] = v;
  });
  return { signers: signers(g.as), commitments: [...g.commitments], verifyingShares };
}

/** A key share in noble's shape. */
export function toNobleSecret(s: KeyShare, suite: Suite = ED25519) {
  return { identifier: id(s.participant, suite), signingShare: s.signingShare.expose() };
}

/**
 * Decodes a group's public material from the wire/storage, checking every point.
 * May throw CryptoError: BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function checkGroupPublic(
  as: AccessStructure,
  commitments: readonly unknown[],
  verifyingShares: readonly unknown[],
  suite: Suite = ED25519,
): GroupPublic {
  if (commitments.length !== as.threshold)
    throw new CryptoError('BAD_LENGTH', `expected ${as.threshold} commitments`);
  if (verifyingShares.length !== as.total)
    throw new CryptoError('BAD_LENGTH', `expected ${as.total} verifying shares`);
  const c = commitments.map((x, i) => suite.decodePoint(x, `commitments[${i}]`));
  const v = verifyingShares.map((x, i) => suite.decodePoint(x, `verifyingShares[${i}]`));
  return { as, groupPublicKey: c[0]!, commitments: c, verifyingShares: v };
}

/**
 * Rebuilds an access structure and checks a share against the group's commitments (RFC 9591 App. C.2).
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_SCALAR, STATE_CORRUPT.
 */
export function checkKeyShare(group: GroupPublic, share: KeyShare, suite: Suite = ED25519): void {
  accessStructure(group.as.n, group.as.t);
  suite.decodeScalar(share.signingShare.expose(), 'signingShare', { nonZero: true });
  try {
    suite.F.validateSecret(toNobleSecret(share, suite), toNoblePublic(group, suite));
  } catch {
    throw new CryptoError(
      'STATE_CORRUPT',
      `signing share of participant ${share.participant} does not match the group`,
    );
  }
}
