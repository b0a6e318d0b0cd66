/**
 * Base OT: Verified Simplest OT ("VSOT", Doerner–Kondi–Lee–shelat, "Secure Two-party Threshold
 * ECDSA from ECDSA Assumptions", eprint 2018/499, Protocol 7), batched: one sender key B = b·G
 * with a Fiat–Shamir Schnorr proof of knowledge of b, and KAPPA random OTs against it.
 *
 *   Setup     S -> R  B, π_DL(b)                       (msg1)
 *   Choose    R -> S  A_k = a_k·G + ω_k·B               (msg2);  R: ρ_k = H(a_k·B)
 *   Transfer  S: ρ0_k = H(b·A_k), ρ1_k = H(b·A_k − b·B)
 *   Verify    S -> R  ξ_k = H²(ρ0_k) ⊕ H²(ρ1_k)         (msg3)
 *             R -> S  ρ'_k = H²(ρ_k) ⊕ ω_k·ξ_k           (msg4);  S checks ρ'_k = H²(ρ0_k)
 *             S -> R  H(ρ0_k), H(ρ1_k)                   (msg5);  R checks H(ρ_k) = H(ρ^{ω_k}_k) and ξ_k
 *
 * Outputs: S gets (ρ0_k, ρ1_k), R gets (ω_k, ρ^{ω_k}_k). In the OT extension the roles swap: the
 * extension receiver (VOLE receiver, "Bob") is the base-OT sender and the extension sender
 * ("Alice") is the base-OT receiver whose choice bits are its correlation Δ.
 *
 * The group is the prime-order subgroup of edwards25519 (./ot-group.ts; VSOT is proven for any
 * group of prime order in which CDH is hard, and the OTs' outputs are only seeds, so the group
 * need not be the ECDSA curve's): one variable-base multiplication per OT on each side (the
 * sender's second value is b·A_k − b·B, B's multiple computed once), where x-only P-256 ECDH
 * needed two on the sender's. Every hash is bound to the setup tag, the ECDSA curve, both party
 * ids, the OT index and its purpose; group elements enter as their canonical encodings.
 * A failure of any check aborts the setup (the pair state is never produced), so what a cheating
 * peer learns from an abort concerns a discarded Δ only.
 */
import { hash, randomBytes } from 'node:crypto';
import { equalBytes } from '../bytes.js';
import { HASH_DOMAINS } from '../domains.js';
import { CryptoError } from '../errors.js';
import { Secret } from '../secret.js';
import { abort, type Curve, h256, type PartyId, shake } from './curve.js';
import {
  OT_ORDER,
  OT_POINT_LEN,
  OT_SCALAR_LEN,
  otGroup,
  otScalar,
  otScalarToBig,
  randomOtScalars,
} from './ot-group.js';

/** Number of base OTs per direction (κ, the bit length of Δ). */
export const KAPPA = 256;
/** Bytes of one base-OT output. */
export const SEED_LEN = 32;

/** Byte layouts of the five VSOT flows (elements OT_POINT_LEN, scalars OT_SCALAR_LEN bytes). */
export const VSOT_LEN = {
  msg1: OT_POINT_LEN + OT_POINT_LEN + OT_SCALAR_LEN,
  msg2: KAPPA * OT_POINT_LEN,
  msg3: KAPPA * 32,
  msg4: KAPPA * 32,
  msg5: KAPPA * 64,
} as const;

/** Public context of one VSOT batch. */
export interface VsotContext {
  /** The ECDSA curve the OTs serve (bound into every hash; the OT group is ./ot-group.ts). */
  readonly curve: Curve;
  /** Setup tag binding the enrollment session and the pair. */
  readonly tag: Uint8Array;
  readonly sender: PartyId;
  readonly receiver: PartyId;
}

function ids(x: VsotContext): Uint8Array {
  return new Uint8Array([x.sender, x.receiver]);
}

function hashPrefix(x: VsotContext, purpose: string): Uint8Array {
  return h256(HASH_DOMAINS.dklsVsotEd25519, purpose, x.curve.name, x.tag, ids(x));
}

/** One hash input: a 32-byte prefix, the 2-byte OT index and a 32-byte value (erased after use). */
const H_IN = new Uint8Array(32 + 2 + 32);

/**
 * H(prefix, k, v) = SHA-256(prefix ‖ u16(k) ‖ v): the random-OT pad of instance k (v an element),
 * and its hashes H, H² (v a pad or a hash). One native call on a scratch buffer: the OTs make
 * about 14 of these per instance and side.
 */
function hOnce(prefix: Uint8Array, k: number, v: Uint8Array): Uint8Array {
  if (prefix.length !== 32 || v.length !== 32) throw new CryptoError('INTERNAL', 'VSOT hash input length');
  H_IN.set(prefix, 0);
  H_IN[32] = k >>> 8;
  H_IN[33] = k & 0xff;
  H_IN.set(v, 34);
  const d = hash('sha256', H_IN, 'buffer');
  H_IN.fill(0, 34);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(32);
  for (let i = 0; i < 32; i++) o[i] = a[i]! ^ b[i]!;
  return o;
}

/** Fiat–Shamir challenge of the sender's Schnorr proof (DKLs18 F_ZK^RDL instantiated in the ROM), mod ℓ. */
function dlogChallenge(x: VsotContext, B: Uint8Array, T: Uint8Array): bigint {
  const e = shake(48, HASH_DOMAINS.dklsVsotDlogEd25519, x.curve.name, x.tag, ids(x), B, T);
  return BigInt(`0x${Buffer.from(e).toString('hex')}`) % OT_ORDER;
}

/** A peer's element: canonical, in the prime-order subgroup, not the identity; else MALFORMED_POINT. */
function checkElement(culprit: PartyId, b: Uint8Array, check: string): Uint8Array {
  if (!otGroup().valid(b))
    abort(culprit, check, `${check}: not a valid element of the base-OT group (Ed25519)`, 'MALFORMED_POINT');
  return b;
}

/**
 * VSOT sender (the OT-extension receiver's side of the base OTs).
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export class VsotSender {
  readonly #x: VsotContext;
  #b: Secret | undefined;
  #B: Uint8Array | undefined;
  #rho0: Secret | undefined;
  #rho1: Secret | undefined;
  #h2rho0: Uint8Array | undefined;
  #badResponse: boolean | undefined;

  constructor(x: VsotContext) {
    this.#x = x;
  }

  /** Setup (msg1): B = b·G and a Schnorr proof (T, z) of knowledge of b (z = k + e·b ≠ 0). */
  msg1(): Uint8Array {
    const g = otGroup();
    const [b] = randomOtScalars(1) as [Uint8Array];
    this.#b = new Secret(b, 'vsot-b');
    const B = g.base(b);
    this.#B = B;
    const bBig = otScalarToBig(b);
    for (;;) {
      const [k] = randomOtScalars(1) as [Uint8Array];
      const T = g.base(k);
      const z = (otScalarToBig(k) + dlogChallenge(this.#x, B, T) * bBig) % OT_ORDER;
      k.fill(0);
      if (z === 0n) continue; // probability 2^-252; z·G would be the identity
      const out = new Uint8Array(VSOT_LEN.msg1);
      out.set(B, 0);
      out.set(T, OT_POINT_LEN);
      out.set(otScalar(z), 2 * OT_POINT_LEN);
      return out;
    }
  }

  /**
   * b·B′ for the peer's (validated, proven) VSOT sender key B′: in a pair setup both sides are
   * VSOT senders (one per direction), so this Diffie–Hellman value b·b′·G is a secret the two
   * share. Available until msg3 (which wipes b).
   */
  shared(peerB: Uint8Array): Uint8Array {
    const b = this.#b;
    if (!b) throw new Error('VSOT sender key is not made yet');
    const dh = otGroup().mulPeer(b.expose(), peerB);
    if (!dh) throw new CryptoError('INTERNAL', 'VSOT peer key is not a valid element');
    return dh;
  }

  /** Transfer + Verify step 1 (msg3): from the receiver's A_k, the pads ρ0, ρ1 and challenges ξ. */
  msg3(msg2: Uint8Array): Uint8Array {
    const x = this.#x;
    const g = otGroup();
    const culprit = x.receiver;
    if (msg2.length !== VSOT_LEN.msg2)
      abort(culprit, 'ot-choose', 'base-OT choice message has the wrong length', 'BAD_LENGTH');
    const B = this.#B!;
    const b = this.#b!.expose();
    const bB = g.base(otScalar(otScalarToBig(b) * otScalarToBig(b)));
    const pRho = hashPrefix(x, 'rho');
    const pH1 = hashPrefix(x, 'h1');
    const pH2 = hashPrefix(x, 'h2');
    const rho0 = new Uint8Array(KAPPA * SEED_LEN);
    const rho1 = new Uint8Array(KAPPA * SEED_LEN);
    const h2r0 = new Uint8Array(KAPPA * 32);
    const out = new Uint8Array(VSOT_LEN.msg3);
    for (let k = 0; k < KAPPA; k++) {
      const A = msg2.subarray(k * OT_POINT_LEN, (k + 1) * OT_POINT_LEN);
      // b·A_k, which also checks A_k (canonical, prime order, not the identity).
      const bA = g.mulPeer(b, A);
      if (!bA)
        abort(
          culprit,
          'ot-choose',
          'ot-choose: not a valid element of the base-OT group (Ed25519)',
          'MALFORMED_POINT',
        );
      if (equalBytes(A, B)) abort(culprit, 'ot-choose', 'base-OT choice point equals the sender key');
      const r0 = hOnce(pRho, k, bA);
      const r1 = hOnce(pRho, k, g.sub(bA, bB));
      rho0.set(r0, k * SEED_LEN);
      rho1.set(r1, k * SEED_LEN);
      const h0 = hOnce(pH2, k, hOnce(pH1, k, r0));
      const h1 = hOnce(pH2, k, hOnce(pH1, k, r1));
      h2r0.set(h0, k * 32);
      out.set(xor32(h0, h1), k * 32);
    }
    bB.fill(0);
    this.#rho0 = new Secret(rho0, 'vsot-rho0');
    this.#rho1 = new Secret(rho1, 'vsot-rho1');
    this.#h2rho0 = h2r0;
    this.#b!.wipe();
    return out;
  }

  /**
   * Verify steps 2-3 (msg5): checks every response ρ'_k = H²(ρ0_k) and opens H(ρ0_k), H(ρ1_k).
   * A wrong response is reported by `output()` rather than here, so that the peer still gets the
   * openings and can itself check this side's challenges: each honest side then blames the
   * other's flow it can verify. The openings are hashes of the pads, and a failed setup is
   * discarded on both sides, so opening before aborting reveals nothing usable.
   */
  msg5(msg4: Uint8Array): Uint8Array {
    const x = this.#x;
    const culprit = x.receiver;
    if (msg4.length !== VSOT_LEN.msg4)
      abort(culprit, 'ot-response', 'base-OT response has the wrong length', 'BAD_LENGTH');
    this.#badResponse = !equalBytes(msg4, this.#h2rho0!);
    const pH1 = hashPrefix(x, 'h1');
    const out = new Uint8Array(VSOT_LEN.msg5);
    const r0 = this.#rho0!.expose();
    const r1 = this.#rho1!.expose();
    for (let k = 0; k < KAPPA; k++) {
      out.set(hOnce(pH1, k, r0.subarray(k * SEED_LEN, (k + 1) * SEED_LEN)), k * 64);
      out.set(hOnce(pH1, k, r1.subarray(k * SEED_LEN, (k + 1) * SEED_LEN)), k * 64 + 32);
    }
    return out;
  }

  /** Output: (ρ0_k, ρ1_k) for every k, as two KAPPA·SEED_LEN byte strings; aborts on a wrong response. */
  output(): { seeds0: Secret; seeds1: Secret } {
    if (this.#badResponse !== false)
      abort(this.#x.receiver, 'ot-response', 'base-OT verification response is wrong');
    return { seeds0: this.#rho0!, seeds1: this.#rho1! };
  }

  wipe(): void {
    this.#b?.wipe();
    this.#rho0?.wipe();
    this.#rho1?.wipe();
  }
}

/**
 * VSOT receiver (the OT-extension sender's side; choice bits = its correlation Δ).
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export class VsotReceiver {
  readonly #x: VsotContext;
  readonly #choice: Secret;
  #rho: Secret | undefined;
  #xi: Uint8Array | undefined;

  /** `choice` holds KAPPA bits, bit k = byte k>>3, bit k&7. */
  constructor(x: VsotContext, choice: Secret) {
    this.#x = x;
    this.#choice = choice;
  }

  #bit(k: number): number {
    return (this.#choice.expose()[k >>> 3]! >>> (k & 7)) & 1;
  }

  /** Checks the sender's proof, then Choose (msg2): A_k = a_k·G + ω_k·B and ρ_k = H(a_k·B). */
  msg2(msg1: Uint8Array): Uint8Array {
    const x = this.#x;
    const g = otGroup();
    const culprit = x.sender;
    if (msg1.length !== VSOT_LEN.msg1)
      abort(culprit, 'ot-setup', 'base-OT setup message has the wrong length', 'BAD_LENGTH');
    const B = checkElement(culprit, msg1.subarray(0, OT_POINT_LEN), 'ot-setup');
    const T = checkElement(culprit, msg1.subarray(OT_POINT_LEN, 2 * OT_POINT_LEN), 'ot-setup');
    const zBytes = msg1.subarray(2 * OT_POINT_LEN);
    const z = otScalarToBig(zBytes);
    if (z >= OT_ORDER) abort(culprit, 'ot-setup', 'proof scalar is not reduced', 'MALFORMED_SCALAR');
    const e = dlogChallenge(x, B, T);
    // z·G = T + e·B; an honest prover never sends z = 0 (whose multiple libsodium refuses).
    const eB = e === 0n ? undefined : g.mulPeer(otScalar(e), B);
    if (z === 0n || !equalBytes(g.base(zBytes), eB ? g.add(T, eB) : T)) {
      abort(culprit, 'ot-setup', 'proof of knowledge of the base-OT key does not verify');
    }
    const pRho = hashPrefix(x, 'rho');
    const rhoOut = new Uint8Array(KAPPA * SEED_LEN);
    const out = new Uint8Array(VSOT_LEN.msg2);
    const as = randomOtScalars(KAPPA);
    for (let k = 0; k < KAPPA; k++) {
      const a = as[k]!;
      const p0 = g.base(a);
      const p1 = g.add(p0, B);
      const aB = g.mulPeer(a, B)!;
      rhoOut.set(hOnce(pRho, k, aB), k * SEED_LEN);
      aB.fill(0);
      a.fill(0);
      // Constant-time select of a·G or a·G + B by the choice bit.
      const mask = -this.#bit(k) & 0xff;
      const o = k * OT_POINT_LEN;
      for (let i = 0; i < OT_POINT_LEN; i++) out[o + i] = p0[i]! ^ ((p0[i]! ^ p1[i]!) & mask);
    }
    this.#rho = new Secret(rhoOut, 'vsot-rho');
    return out;
  }

  /** Verify step 2 (msg4): ρ'_k = H²(ρ_k) ⊕ ω_k·ξ_k. */
  msg4(msg3: Uint8Array): Uint8Array {
    const x = this.#x;
    const culprit = x.sender;
    if (msg3.length !== VSOT_LEN.msg3)
      abort(culprit, 'ot-challenge', 'base-OT challenge has the wrong length', 'BAD_LENGTH');
    this.#xi = msg3.slice();
    const pH1 = hashPrefix(x, 'h1');
    const pH2 = hashPrefix(x, 'h2');
    const r = this.#rho!.expose();
    const out = new Uint8Array(VSOT_LEN.msg4);
    for (let k = 0; k < KAPPA; k++) {
      const h = hOnce(pH2, k, hOnce(pH1, k, r.subarray(k * SEED_LEN, (k + 1) * SEED_LEN)));
      const mask = -this.#bit(k) & 0xff;
      for (let i = 0; i < 32; i++) out[k * 32 + i] = h[i]! ^ (msg3[k * 32 + i]! & mask);
    }
    return out;
  }

  /** Verify step 4: the opened H(ρ0_k), H(ρ1_k) match ξ_k and this receiver's H(ρ_k); returns ρ. */
  finish(msg5: Uint8Array): Secret {
    const x = this.#x;
    const culprit = x.sender;
    if (msg5.length !== VSOT_LEN.msg5)
      abort(culprit, 'ot-open', 'base-OT opening has the wrong length', 'BAD_LENGTH');
    const pH1 = hashPrefix(x, 'h1');
    const pH2 = hashPrefix(x, 'h2');
    const r = this.#rho!.expose();
    let bad = 0;
    for (let k = 0; k < KAPPA; k++) {
      const o0 = msg5.subarray(k * 64, k * 64 + 32);
      const o1 = msg5.subarray(k * 64 + 32, k * 64 + 64);
      const mine = hOnce(pH1, k, r.subarray(k * SEED_LEN, (k + 1) * SEED_LEN));
      const mask = -this.#bit(k) & 0xff;
      for (let i = 0; i < 32; i++) bad |= mine[i]! ^ (o0[i]! ^ ((o0[i]! ^ o1[i]!) & mask));
      const xi = xor32(hOnce(pH2, k, o0), hOnce(pH2, k, o1));
      for (let i = 0; i < 32; i++) bad |= xi[i]! ^ this.#xi![k * 32 + i]!;
    }
    if (bad !== 0)
      abort(culprit, 'ot-open', 'base-OT opening does not match the challenge or the received pad');
    return this.#rho!;
  }

  wipe(): void {
    this.#rho?.wipe();
  }
}

/**
 * KAPPA fresh random choice bits (Δ), as KAPPA/8 bytes.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function randomChoice(): Secret {
  return new Secret(new Uint8Array(randomBytes(KAPPA / 8)), 'ot-delta');
}
