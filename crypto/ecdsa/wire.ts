/**
 * Wire framing of every threshold-ECDSA message: a fixed header that binds the message to its
 * protocol version, kind/round, curve, sender, receiver and session (or setup) tag, then a
 * fixed-length body. Decoding is strict and blames the sender: exact lengths, canonical scalars
 * (< q), valid non-identity points.
 *
 *   byte 0       version: 1 for signing messages, SETUP_WIRE_VERSION (2) for pair-setup messages
 *                (their base OTs run on Ed25519 since version 2; version 1 ran them on P-256)
 *   byte 1       kind: 0x11..0x15 pair-setup rounds, 0x21..0x23 signing rounds
 *   byte 2       curve code (1 = P-256, 2 = secp256k1)
 *   byte 3       sender party id
 *   byte 4       receiver party id (BROADCAST for the round-3 share)
 *   bytes 5..36  tag (SHA-256 binding the session/setup id and its public parameters)
 */

import { equalBytes } from '../bytes.js';
import { abort, bytesToBig, type Curve, type PartyId, POINT_LEN, type Point, SCALAR_LEN } from './curve.js';

export const WIRE_VERSION = 1;
/**
 * Version of the pair-setup messages: 2 = VSOT over Ed25519 (./ot-group.ts). A peer still on
 * version 1 (VSOT over P-256, before this release) is refused on its first setup message, by
 * version before anything else (docs/ecdsa.md §2).
 */
export const SETUP_WIRE_VERSION = 2;
export const HEADER_LEN = 37;
export const TAG_LEN = 32;
/** Receiver byte of a broadcast message. */
export const BROADCAST = 0xff;

export const KIND = {
  setup: (round: number) => 0x10 + round,
  sign1: 0x21,
  sign2: 0x22,
  sign3: 0x23,
} as const;

/** Expected header of an incoming message. */
export interface Expect {
  readonly curve: Curve;
  readonly kind: number;
  readonly from: PartyId;
  readonly to: PartyId;
  readonly tag: Uint8Array;
  readonly bodyLen: number;
  /** The header's version byte (WIRE_VERSION unless given). */
  readonly version?: number;
}

/** Writes a header for a message of `bodyLen` bytes and returns the whole buffer. */
export function frame(
  curve: Curve,
  kind: number,
  from: PartyId,
  to: PartyId,
  tag: Uint8Array,
  bodyLen: number,
  version = WIRE_VERSION,
): Uint8Array {
  const out = new Uint8Array(HEADER_LEN + bodyLen);
  out[0] = version;
  out[1] = kind;
  out[2] = curve.code;
  out[3] = from;
  out[4] = to;
  out.set(tag, 5);
  return out;
}

/**
 * Checks an incoming message's header against `e` and returns its body. Every mismatch names
 * the expected sender `e.from` as culprit (the message is its, or was substituted in its place).
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function unframe(msg: unknown, e: Expect): Uint8Array {
  const who = e.from;
  if (!(msg instanceof Uint8Array)) return abort(who, 'length', 'message is not bytes', 'MALFORMED_INPUT');
  const version = e.version ?? WIRE_VERSION;
  const badVersion = () =>
    abort(
      who,
      'version',
      `message version ${msg[0]} is not the expected ${version}: the peer runs an incompatible mpcid release`,
      'MALFORMED_INPUT',
    );
  // A pair-setup message of another release has another length too: its version says why first.
  if (e.version !== undefined && msg.length > 0 && msg[0] !== version) return badVersion();
  if (msg.length !== HEADER_LEN + e.bodyLen) {
    return abort(
      who,
      'length',
      `expected a ${HEADER_LEN + e.bodyLen}-byte message, got ${msg.length}`,
      'BAD_LENGTH',
    );
  }
  if (msg[0] !== version) return badVersion();
  if (msg[1] !== e.kind)
    return abort(who, 'round', 'message is for another protocol round', 'MALFORMED_INPUT');
  if (msg[2] !== e.curve.code) return abort(who, 'curve', 'message is for another curve', 'MALFORMED_INPUT');
  if (msg[3] !== e.from || msg[4] !== e.to) {
    return abort(who, 'routing', 'message has the wrong sender or receiver', 'MALFORMED_INPUT');
  }
  if (!equalBytes(msg.subarray(5, HEADER_LEN), e.tag)) {
    return abort(who, 'session', 'message belongs to another session', 'ECDSA_ABORT');
  }
  return msg.subarray(HEADER_LEN);
}

/**
 * Sequential strict reader of a message body; every failure blames `culprit`.
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export class Reader {
  #off = 0;
  constructor(
    readonly curve: Curve,
    readonly buf: Uint8Array,
    readonly culprit: PartyId,
  ) {}

  bytes(n: number): Uint8Array {
    const b = this.buf.subarray(this.#off, this.#off + n);
    if (b.length !== n) abort(this.culprit, 'length', 'message is truncated', 'BAD_LENGTH');
    this.#off += n;
    return b;
  }

  /** A canonical scalar in [0, q) (32 bytes big-endian). */
  scalar(check: string): bigint {
    const x = bytesToBig(this.bytes(SCALAR_LEN));
    if (x >= this.curve.q)
      abort(this.culprit, check, `${check}: scalar not reduced modulo q`, 'MALFORMED_SCALAR');
    return x;
  }

  /** A valid non-identity point, SEC1 uncompressed. */
  point(check: string): { p: Point; bytes: Uint8Array } {
    const b = this.bytes(POINT_LEN);
    let p: Point;
    try {
      if (b[0] !== 0x04) throw new Error('not uncompressed');
      p = this.curve.Point.fromBytes(b);
    } catch {
      return abort(this.culprit, check, `${check}: not a valid ${this.curve.name} point`, 'MALFORMED_POINT');
    }
    if (p.is0()) return abort(this.culprit, check, `${check}: identity element`, 'MALFORMED_POINT');
    return { p, bytes: b };
  }

  get offset(): number {
    return this.#off;
  }

  end(): void {
    if (this.#off !== this.buf.length) abort(this.culprit, 'length', 'trailing bytes', 'BAD_LENGTH');
  }
}
