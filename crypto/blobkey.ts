/**
 * The threshold blob key of a sealed secret (docs/protocol.md §6.3): K = x·H(blob), where x is the
 * identity's Ed25519 (FROST) group secret and H(blob) = hash_to_curve(cluster id, identity id, blob
 * id) (RFC 9380, edwards25519_XMD:SHA-512_ELL2_RO_, DST HASH_DOMAINS.blobPoint).
 *
 * Each participant p returns its partial P_p = x_p·H with a DLEQ proof (Chaum-Pedersen, made
 * non-interactive with Fiat-Shamir, domain-separated) that log_B(Y_p) = log_H(P_p), Y_p being its
 * public verifying share from the DKG. The combiner verifies every proof, names a bad one's
 * participant as the culprit (BAD_UNSEAL_PARTIAL), then interpolates K = Σ λ_p·P_p over a
 * signing set of the identity's access structure (crypto/access.ts): the agent's w points and
 * exactly t oracles, n + 1 points of a degree-n sharing. Any n points (all n oracles, or the agent
 * with t - 1 oracles) interpolate to another point, so no such set learns K; no party learns
 * another's share (P_p reveals x_p only as a discrete log).
 */
import { randomBytes } from 'node:crypto';
import { ed25519, ed25519_hasher } from '@noble/curves/ed25519.js';
import { checkSigningSet, isAgentParticipant, isOracleParticipant } from './access.js';
import { abytes, concatBytes, framed } from './bytes.js';
import { HASH_DOMAINS } from './domains.js';
import { lagrangeAt0In } from './ecdsa/curve.js';
import { decodePoint, POINT_LEN, SCALAR_LEN } from './ed25519.js';
import { CryptoError } from './errors.js';
import type { GroupPublic, KeyShare } from './frost-suite.js';
import { sha512 } from './hash.js';
import { Secret } from './secret.js';

const Point = ed25519.Point;
const Fn = Point.Fn;

/** Length of a blob id (random, chosen by the sealing agent). */
export const BLOB_ID_LEN = 32;
/** A DLEQ proof: challenge c || response s, two little-endian scalars. */
export const DLEQ_PROOF_LEN = 2 * SCALAR_LEN;

/**
 * What a blob key is bound to: the cluster, the identity, the blob and, when the blob's policy
 * requires anything (docs/protocol.md §6.4), that policy's bytes, so an agent cannot ask the
 * oracles for a policy-bound blob's key while naming another policy. Blobs without requirements
 * leave `boundPolicy` out and keep the point they were sealed with. (Named apart from a parsed
 * blob's `policy`, which every blob has, so a ParsedBlob passed as a context binds nothing.)
 */
export interface BlobContext {
  readonly clusterId: string;
  readonly identityId: string;
  readonly blobId: Uint8Array;
  readonly boundPolicy?: Uint8Array;
}

/** One participant's partial x_p·H(blob) and its DLEQ proof. */
export interface BlobPartial {
  readonly participant: number;
  readonly partial: Uint8Array;
  readonly proof: Uint8Array;
}

function checkContext(ctx: BlobContext): void {
  if (typeof ctx.clusterId !== 'string' || ctx.clusterId.length === 0)
    throw new CryptoError('MALFORMED_INPUT', 'clusterId: expected a non-empty string');
  if (typeof ctx.identityId !== 'string' || ctx.identityId.length === 0)
    throw new CryptoError('MALFORMED_INPUT', 'identityId: expected a non-empty string');
  abytes(ctx.blobId, 'blobId', BLOB_ID_LEN);
}

/**
 * H(blob): RFC 9380 hash_to_curve onto edwards25519 of framed(cluster id, identity id, blob id),
 * with the policy as a fourth field when the context has one.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function blobPoint(ctx: BlobContext): Uint8Array {
  checkContext(ctx);
  const fields = [
    ctx.clusterId,
    ctx.identityId,
    ctx.blobId,
    ...(ctx.boundPolicy ? [abytes(ctx.boundPolicy, 'boundPolicy')] : []),
  ];
  const msg = framed(HASH_DOMAINS.blobPoint, ...fields);
  return ed25519_hasher.hashToCurve(msg, { DST: HASH_DOMAINS.blobPoint }).toBytes();
}

function scalarOf(s: Uint8Array): bigint {
  return Fn.fromBytes(s);
}

/** A scalar from 64 hash bytes, reduced mod L (as RFC 8032 reduces SHA-512). */
function hashScalar(bytes: Uint8Array): bigint {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]!);
  return Fn.create(x);
}

function challenge(
  participant: number,
  Y: Uint8Array,
  H: Uint8Array,
  P: Uint8Array,
  A1: Uint8Array,
  A2: Uint8Array,
) {
  return hashScalar(sha512(framed(HASH_DOMAINS.blobDleq, participant, Y, H, P, A1, A2)));
}

function pointOf(bytes: Uint8Array, field: string) {
  return Point.fromBytes(decodePoint(bytes, field));
}

/**
 * This participant's partial x_p·H(blob) with a DLEQ proof against its verifying share. The
 * proof's nonce is hedged: SHA-512 of the share, the statement and 32 fresh random bytes.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR, BAD_PARTICIPANT.
 */
export function blobPartial(group: GroupPublic, share: KeyShare, ctx: BlobContext): BlobPartial {
  const p = share.participant;
  if (!isAgentParticipant(group.as, p) && !isOracleParticipant(group.as, p))
    throw new CryptoError('BAD_PARTICIPANT', `participant ${String(p)} is outside the access structure`);
  const x = scalarOf(abytes(share.signingShare.expose(), 'signingShare', SCALAR_LEN));
  if (x === 0n) throw new CryptoError('MALFORMED_SCALAR', 'signingShare: zero');
  const Hb = blobPoint(ctx);
  const H = Point.fromBytes(Hb);
  const Y = group.verifyingShares[p - 1]!;
  const P = H.multiply(x).toBytes();
  const k = hashScalar(
    sha512(
      framed(HASH_DOMAINS.blobDleqNonce, share.signingShare.expose(), Hb, P, new Uint8Array(randomBytes(32))),
    ),
  );
  const kk = k === 0n ? 1n : k;
  const A1 = Point.BASE.multiply(kk).toBytes();
  const A2 = H.multiply(kk).toBytes();
  const c = challenge(p, Y, Hb, P, A1, A2);
  const s = Fn.add(kk, Fn.mul(c, x));
  return { participant: p, partial: P, proof: concatBytes(Fn.toBytes(c), Fn.toBytes(s)) };
}

/**
 * Checks one partial: shapes (a 32-byte canonical prime-order point, a 64-byte proof of two
 * canonical scalars), then the DLEQ proof against the participant's verifying share. Any failure
 * of a well-indexed partial is BAD_UNSEAL_PARTIAL naming it (culprits); the shape's own code
 * (BAD_LENGTH, MALFORMED_POINT, MALFORMED_SCALAR) is in the message.
 * May throw CryptoError: BAD_PARTICIPANT, BAD_UNSEAL_PARTIAL.
 */
export function verifyBlobPartial(group: GroupPublic, ctx: BlobContext, partial: BlobPartial): void {
  const p = partial.participant;
  if (!isAgentParticipant(group.as, p) && !isOracleParticipant(group.as, p))
    throw new CryptoError('BAD_PARTICIPANT', `participant ${String(p)} is outside the access structure`);
  const Hb = blobPoint(ctx);
  const blame = (why: string) =>
    new CryptoError('BAD_UNSEAL_PARTIAL', `participant ${p}: ${why}`, { culprits: [p] });
  let P: ReturnType<typeof pointOf>;
  let c: bigint;
  let s: bigint;
  try {
    P = pointOf(abytes(partial.partial, 'partial', POINT_LEN), 'partial');
    const proof = abytes(partial.proof, 'proof', DLEQ_PROOF_LEN);
    c = scalarOf(proof.subarray(0, SCALAR_LEN));
    s = scalarOf(proof.subarray(SCALAR_LEN));
  } catch (e) {
    throw blame(
      e instanceof CryptoError ? `${e.code}: ${e.message}` : 'malformed proof scalar (MALFORMED_SCALAR)',
    );
  }
  const Y = Point.fromBytes(group.verifyingShares[p - 1]!);
  const H = Point.fromBytes(Hb);
  const A1 = Point.BASE.multiplyUnsafe(s).subtract(Y.multiplyUnsafe(c)).toBytes();
  const A2 = H.multiplyUnsafe(s).subtract(P.multiplyUnsafe(c)).toBytes();
  if (challenge(p, Y.toBytes(), Hb, P.toBytes(), A1, A2) !== c) throw blame('DLEQ proof does not verify');
}

/**
 * Σ λ_p·P_p over exactly the given partials, whatever the set (no set check, no proof check):
 * the interpolation itself, exported so tests can show that sets short of the access structure
 * interpolate to another point. Use combineBlobKey.
 * May throw CryptoError: BAD_PARTICIPANT, MALFORMED_INPUT, MALFORMED_POINT, BAD_LENGTH.
 */
export function interpolateBlobKey(
  partials: readonly Pick<BlobPartial, 'participant' | 'partial'>[],
): Uint8Array {
  const xs = partials.map((p) => p.participant);
  let K = Point.ZERO;
  for (const p of partials) {
    const l = lagrangeAt0In(Fn, xs, p.participant);
    K = K.add(pointOf(p.partial, 'partial').multiplyUnsafe(l));
  }
  if (K.is0()) throw new CryptoError('MALFORMED_POINT', 'blob key: the identity point');
  return K.toBytes();
}

/**
 * K = x·H(blob) from the caller's own shares (computed here, trusted: no proof) and the others'
 * partials, which together must be a signing set (every agent point plus exactly t oracles).
 * Every partial is verified first; the first bad one (lowest participant) is named
 * (BAD_UNSEAL_PARTIAL, culprits), so the caller can leave it out and use another.
 * May throw CryptoError: BAD_PARTICIPANT, BAD_UNSEAL_PARTIAL, MALFORMED_INPUT, MALFORMED_POINT,
 * MALFORMED_SCALAR, BAD_LENGTH.
 */
export function combineBlobKey(
  group: GroupPublic,
  ctx: BlobContext,
  own: readonly KeyShare[],
  partials: readonly BlobPartial[],
): Secret {
  checkSigningSet(group.as, [...own.map((s) => s.participant), ...partials.map((p) => p.participant)]);
  for (const p of [...partials].sort((a, b) => a.participant - b.participant))
    verifyBlobPartial(group, ctx, p);
  const H = Point.fromBytes(blobPoint(ctx));
  const mine = own.map((s) => {
    const x = scalarOf(abytes(s.signingShare.expose(), 'signingShare', SCALAR_LEN));
    if (x === 0n) throw new CryptoError('MALFORMED_SCALAR', 'signingShare: zero');
    return { participant: s.participant, partial: H.multiply(x).toBytes() };
  });
  return new Secret(interpolateBlobKey([...mine, ...partials]), 'blob-key');
}
