/**
 * A DKLs23 presignature (docs/ecdsa.md §3, "Precomputation of the message-independent rounds"):
 * what one signer keeps after rounds 1-3 of Protocol 3.6 ran, and checked, without the message.
 * Only w_i = e·φ_i + r_x·v_i depends on the message hash e; everything else (R, r_x, u_i, v_i,
 * φ_i) is fixed by rounds 1-3. `EcdsaSigner` with `presign: true` makes one (`presign3`); its
 * session tag omits e (./sign.ts presignTag), and every check of round 3 has run before it
 * exists.
 *
 * Rules (DKLs23 on precomputation, docs/ecdsa.md §3): bound to the session id and the signer
 * set (the tag names both, and every message of rounds 1-3 carried it); `finish` runs at most
 * once, and the secrets are wiped by it and by `wipe`, whatever happens, so a presignature is
 * never used for two messages (two messages with one nonce reveal the key). Memory only: it has
 * no serialisation, and redacts itself in JSON, String and inspect.
 */
import { CryptoError } from '../errors.js';
import { Secret } from '../secret.js';
import {
  bytesToBig,
  type Curve,
  encodePoint,
  hashToInt,
  mod,
  type PartyId,
  POINT_LEN,
  type Point,
  SCALAR_LEN,
  scalarBytes,
} from './curve.js';
import { BROADCAST, frame, HEADER_LEN, KIND } from './wire.js';

const inspect = Symbol.for('nodejs.util.inspect.custom');

/** @internal A framed round-3 broadcast share (R, u_i, w_i) of party `self` under `tag`. */
export function shareOf(
  c: Curve,
  self: PartyId,
  tag: Uint8Array,
  R: Point,
  u: bigint,
  w: bigint,
): Uint8Array {
  const bodyLen = POINT_LEN + 2 * SCALAR_LEN;
  const out = frame(c, KIND.sign3, self, BROADCAST, tag, bodyLen);
  out.set(encodePoint(R), HEADER_LEN);
  out.set(scalarBytes(u), HEADER_LEN + POINT_LEN);
  out.set(scalarBytes(w), HEADER_LEN + POINT_LEN + SCALAR_LEN);
  return out;
}

/**
 * One signer's presignature. `finish(messageHash)` returns its round-3 share for that message,
 * once; afterwards, after `wipe`, and after a failed `finish`, it refuses (INTERNAL).
 * May throw CryptoError: BAD_LENGTH, INTERNAL, MALFORMED_INPUT.
 */
export class Presignature {
  readonly #c: Curve;
  readonly #self: PartyId;
  readonly #tag: Uint8Array;
  readonly #R: Point;
  /** u_i, v_i, φ_i and r_x (32 bytes each). */
  readonly #secrets: Secret;
  #used = false;

  /** @internal Made by EcdsaSigner.presign3 only. */
  constructor(
    c: Curve,
    self: PartyId,
    tag: Uint8Array,
    R: Point,
    rx: bigint,
    u: bigint,
    v: bigint,
    phi: bigint,
  ) {
    this.#c = c;
    this.#self = self;
    this.#tag = tag;
    this.#R = R;
    const b = new Uint8Array(4 * SCALAR_LEN);
    b.set(scalarBytes(u), 0);
    b.set(scalarBytes(v), SCALAR_LEN);
    b.set(scalarBytes(phi), 2 * SCALAR_LEN);
    b.set(scalarBytes(rx), 3 * SCALAR_LEN);
    this.#secrets = new Secret(b, 'ecdsa-presignature');
  }

  /** The session tag (presignTag): the shares made from this presignature carry it. */
  get tag(): Uint8Array {
    return this.#tag.slice();
  }

  /** The combined nonce R (public: every party of the session computed it in round 3). */
  get nonce(): Uint8Array {
    return encodePoint(this.#R);
  }

  /** Whether it was used or wiped (then `finish` refuses). */
  get spent(): boolean {
    return this.#used;
  }

  /** The round-3 share (R, u_i, w_i) for the message hashed to `messageHash` (32 bytes); once. */
  finish(messageHash: Uint8Array): Uint8Array {
    if (this.#used)
      throw new CryptoError('INTERNAL', 'Presignature: already used or wiped (never used twice)');
    this.#used = true;
    try {
      if (!(messageHash instanceof Uint8Array))
        throw new CryptoError('MALFORMED_INPUT', 'messageHash: expected bytes');
      if (messageHash.length !== 32) throw new CryptoError('BAD_LENGTH', 'messageHash: expected 32 bytes');
      const c = this.#c;
      const s = this.#secrets.expose();
      const at = (i: number) => bytesToBig(s.subarray(i * SCALAR_LEN, (i + 1) * SCALAR_LEN));
      const [u, v, phi, rx] = [at(0), at(1), at(2), at(3)];
      const w = mod(c, hashToInt(c, messageHash) * phi + rx * v);
      return shareOf(c, this.#self, this.#tag, this.#R, u, w);
    } finally {
      this.#secrets.wipe();
    }
  }

  /** Drops the secrets unused (a failure, an expiry): `finish` refuses from now on. */
  wipe(): void {
    this.#used = true;
    this.#secrets.wipe();
  }

  toJSON(): Record<string, unknown> {
    return { curve: this.#c.name, self: this.#self, secrets: '[REDACTED]' };
  }
  toString(): string {
    return `Presignature<${this.#c.name} ${this.#self}>[REDACTED]`;
  }
  [inspect](): string {
    return this.toString();
  }
}
