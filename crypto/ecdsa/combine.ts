/**
 * Threshold ECDSA signing, DKLs23 Protocol 3.6 step 10: anyone holding the round-3 broadcast
 * shares of all signers (the agent) combines them into the signature (r, s) and verifies it
 * against the public key. The rounds before are ./sign.ts.
 */
import { equalBytes } from '../bytes.js';
import { CryptoError } from '../errors.js';
import {
  baseMul,
  decodeInputPoint,
  type EcdsaCurve,
  getCurve,
  hashToInt,
  invert,
  mod,
  mulEquals,
  type PartyId,
  type Point,
  scalarBytes,
} from './curve.js';
import { checkSessionId } from './setup.js';
import { checkSortedParties, presignTag, R3_BODY, SHARE_LEN, sessionTag } from './sign.js';
import { BROADCAST, HEADER_LEN, KIND, Reader, unframe } from './wire.js';

function unattributable(check: string, message: string): never {
  throw new CryptoError('ECDSA_ABORT', `${message} (not attributable to one party)`, {
    check,
  });
}

/**
 * DKLs23 Protocol 3.6 step 10: combines the round-3 shares of ALL signers into (r, s) with
 * s = Σ w_i / Σ u_i, normalises to low-S and verifies the signature against pk. A malformed share
 * is blamed on its sender; shares that disagree on the session or on R, and a signature that
 * does not verify, are not attributable to one party (the error says so: details.culprits is
 * empty). With `sessionId` (and the signer set = the keys of `shares`), shares
 * bound to another session are blamed on their senders.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, ECDSA_ABORT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function combineSignature(o: {
  curve: EcdsaCurve;
  messageHash: Uint8Array;
  publicKey: Uint8Array;
  shares: ReadonlyMap<PartyId, Uint8Array>;
  sessionId?: Uint8Array;
  /** The shares come from presignatures (./presign.ts): with `sessionId`, the tag is presignTag. */
  presign?: boolean;
}): { r: Uint8Array; s: Uint8Array; signature: Uint8Array } {
  if (typeof o !== 'object' || o === null)
    throw new CryptoError('MALFORMED_INPUT', 'options: expected an object');
  const c = getCurve(o.curve);
  if (!(o.messageHash instanceof Uint8Array))
    throw new CryptoError('MALFORMED_INPUT', 'messageHash: expected bytes');
  if (o.messageHash.length !== 32) throw new CryptoError('BAD_LENGTH', 'messageHash: expected 32 bytes');
  const pk = decodeInputPoint(c, o.publicKey, 'publicKey');
  if (!(o.shares instanceof Map)) throw new CryptoError('MALFORMED_INPUT', 'shares: expected a Map');
  const parties = checkSortedParties([...o.shares.keys()], [...o.shares.keys()][0]!);
  let tag: Uint8Array;
  if (o.sessionId !== undefined) {
    const sid = checkSessionId(o.sessionId);
    tag =
      o.presign === true ? presignTag(c, sid, parties, pk) : sessionTag(c, sid, parties, pk, o.messageHash);
  } else {
    const first = o.shares.get(parties[0]!);
    tag =
      first instanceof Uint8Array && first.length === SHARE_LEN
        ? first.slice(5, HEADER_LEN)
        : new Uint8Array(32);
    for (const p of parties) {
      const s = o.shares.get(p);
      if (s instanceof Uint8Array && s.length === SHARE_LEN && !equalBytes(s.subarray(5, HEADER_LEN), tag)) {
        unattributable('session', 'signature shares belong to different sessions');
      }
    }
  }
  let R: Point | undefined;
  let Rbytes: Uint8Array | undefined;
  let u = 0n;
  let w = 0n;
  for (const p of parties) {
    const body = unframe(o.shares.get(p), {
      curve: c,
      kind: KIND.sign3,
      from: p,
      to: BROADCAST,
      tag,
      bodyLen: R3_BODY,
    });
    const rd = new Reader(c, body, p);
    const Ri = rd.point('share');
    u += rd.scalar('share');
    w += rd.scalar('share');
    rd.end();
    if (!Rbytes) {
      R = Ri.p;
      Rbytes = Ri.bytes;
    } else if (!equalBytes(Ri.bytes, Rbytes)) {
      unattributable('nonce', 'signature shares disagree on the nonce R');
    }
  }
  u = mod(c, u);
  w = mod(c, w);
  const r = mod(c, R!.toAffine().x);
  if (u === 0n || r === 0n) unattributable('signature', 'degenerate signature');
  let s = mod(c, w * invert(c, u));
  if (s === 0n) unattributable('signature', 'degenerate signature');
  let nonce = R!;
  if (s > c.q >> 1n) {
    s = c.q - s;
    nonce = nonce.negate();
  }
  // FIPS 186-5 §6.4.2 verification: X = e/s·G + r/s·pk must be the nonce point (whose x gave r).
  // Checked as (r/s)·pk = nonce − (e/s)·G with native scalar multiplication.
  const sInv = invert(c, s);
  const u1 = mod(c, hashToInt(c, o.messageHash) * sInv);
  const u2 = mod(c, r * sInv);
  if (!mulEquals(c, u2, pk, nonce.subtract(baseMul(c, u1)))) {
    unattributable('signature', 'the combined signature does not verify');
  }
  const signature = new Uint8Array(64);
  signature.set(scalarBytes(r), 0);
  signature.set(scalarBytes(s), 32);
  return { r: signature.slice(0, 32), s: signature.slice(32), signature };
}
