/**
 * Two-party random-input VOLE with L = 2 (DKLs23 Functionality 3.5 "F_RVOLE(q, L)"), realised as
 * DKLs23 §5 prescribes: the multiplication of DKLs19 (eprint 2019/523, Protocol 1) with Bob's
 * input left random (γ_B = 0), Alice's L inputs sharing one batch of Bob's OTs ("force-reuse",
 * DKLs23 p. 8), the challenges derived by Fiat–Shamir, and Alice's check matrix r sent as a hash
 * (DKLs23 §5.1). Correlated OTs come from SoftSpokenOT (./softspoken.ts).
 *
 * Alice inputs a ∈ Z_q^2 and gets c; Bob gets a random χ and d, with c + d = χ·a.
 *
 *   1  Bob:   β ← {0,1}^ξ, χ = <g, β> (g the public gadget vector)               [round 1]
 *   2  Alice: pads ã ∈ Z_q^2, check values â ∈ Z_q^2, α = (ã, â)                 [round 2]
 *   3  COTe:  Alice's random-OT pads v0_j, v1_j = H(q_j), H(q_j ⊕ Δ) ∈ Z_q^4; Bob's H(t_j) = v_{β_j};
 *             Alice sends τ_j = v0_j − v1_j + α; z_A,j = −v0_j, z_B,j = v_{β_j} + β_j·τ_j
 *             (so z_A,j + z_B,j = β_j·α)
 *   4  χ̃, χ̂ = H(ctx, Bob's message, τ) ∈ Z_q^2 each
 *   5  Alice: r_{j,ℓ} = χ̃_ℓ·z̃_A,j,ℓ + χ̂_ℓ·ẑ_A,j,ℓ, sends H(r) and μ_ℓ = χ̃_ℓ·ã_ℓ + χ̂_ℓ·â_ℓ
 *   6  Bob:   checks H(r) against r_{j,ℓ} = β_j·μ_ℓ − χ̃_ℓ·z̃_B,j,ℓ − χ̂_ℓ·ẑ_B,j,ℓ      [round 3]
 *   7  Alice: γ_ℓ = a_ℓ − ã_ℓ
 *   8  Alice: c_ℓ = <g, z̃_A,·,ℓ>;  Bob: d_ℓ = χ·γ_ℓ + <g, z̃_B,·,ℓ>
 */
import { hash, randomBytes } from 'node:crypto';
import { equalBytes } from '../bytes.js';
import { HASH_DOMAINS } from '../domains.js';
import { Secret } from '../secret.js';
import { bit, readWords, writeWords } from './bits.js';
import {
  abort,
  bytesToBig,
  type Curve,
  h256,
  hashToScalars,
  mod,
  type PartyId,
  randomScalar,
  reducer,
  SCALAR_LEN,
  scalarBytes,
} from './curve.js';
import type { AliceKeys, BobKeys } from './setup.js';
import { OTE_MSG_LEN, oteReceive, oteSend, XI } from './softspoken.js';

/** Vector length L of DKLs23 Protocol 3.6: Alice inputs (r_i, sk_i). */
export const L = 2;
/** Scalars per OT payload: L pads and L check values. */
const P = 2 * L;
/** Bob's message (the OT-extension message). */
export const VOLE_BOB_LEN = OTE_MSG_LEN;
/** Alice's message: τ (ξ·2L scalars), H(r), μ (L), γ (L). */
export const VOLE_ALICE_LEN = XI * P * SCALAR_LEN + 32 + 2 * L * SCALAR_LEN;

const gadgets = new Map<string, bigint[]>();
const MASK256 = (1n << 256n) - 1n;

/** hex(r0) ‖ hex(r1) of two scalars in [0, 2^256), 64 digits each, with one conversion. */
function hexPair(r0: bigint, r1: bigint): string {
  const h = ((r0 << 256n) | r1).toString(16);
  return h.length === 128 ? h : h.padStart(128, '0');
}

/** The public gadget vector g ∈ Z_q^ξ (uniform, from a fixed hash; DKLs19 §3 "public gadget"). */
export function gadget(c: Curve): bigint[] {
  let g = gadgets.get(c.name);
  if (!g) {
    g = hashToScalars(c, XI, HASH_DOMAINS.dklsGadget, c.name);
    gadgets.set(c.name, g);
  }
  return g;
}

/**
 * Random-OT pads: H(ctx, j, row) ∈ Z_q^4 for each of `rows` (ξ rows of 32 bytes), flattened.
 * H is the random oracle SHA-512 over (K, j, row, i), K = SHA-256 of the domain and context,
 * i = 0, 1 giving 128 bytes = four 32-byte candidates; a candidate >= q is replaced by the next
 * block (i = 2, 3, ...), so every pad is exactly uniform in [0, q) (rejection sampling; on P-256 a
 * candidate is rejected with probability < 2^-32, on secp256k1 < 2^-127). Two one-shot native
 * SHA-512 calls per row (each input is one 128-byte compression block).
 */
function pads(q: bigint, ctx: Uint8Array, rows: Uint8Array, out: bigint[]): void {
  const input = new Uint8Array(32 + 2 + 32 + 1);
  input.set(h256(HASH_DOMAINS.dklsVoleRot, ctx), 0);
  for (let j = 0; j < XI; j++) {
    input[32] = j >>> 8;
    input[33] = j & 0xff;
    input.set(rows.subarray(32 * j, 32 * j + 32), 34);
    // Each 64-byte block is parsed as one 512-bit integer and split (one BigInt parse, not two).
    input[66] = 0;
    const x = BigInt('0x' + hash('sha512', input, 'hex'));
    input[66] = 1;
    const y = BigInt('0x' + hash('sha512', input, 'hex'));
    out[P * j] = x >> 256n;
    out[P * j + 1] = x & MASK256;
    out[P * j + 2] = y >> 256n;
    out[P * j + 3] = y & MASK256;
    if (out[P * j]! >= q || out[P * j + 1]! >= q || out[P * j + 2]! >= q || out[P * j + 3]! >= q) {
      let next = 2;
      const spare: bigint[] = [];
      for (let i = 0; i < P; i++) {
        while (out[P * j + i]! >= q) {
          if (spare.length === 0) {
            input[66] = next++;
            const z = BigInt('0x' + hash('sha512', input, 'hex'));
            spare.push(z & MASK256, z >> 256n);
          }
          out[P * j + i] = spare.pop()!;
        }
      }
    }
  }
  input.fill(0);
}

function rowBytes(rows: Uint32Array): Uint8Array {
  const b = new Uint8Array(rows.length * 4);
  writeWords(rows, 0, b, 0, rows.length);
  return b;
}

/** Step 4: χ̃_0, χ̃_1, χ̂_0, χ̂_1 from the whole transcript. */
function checkChallenges(c: Curve, ctx: Uint8Array, bobDigest: Uint8Array, tau: Uint8Array): bigint[] {
  return hashToScalars(c, 2 * L, HASH_DOMAINS.dklsVoleChallenge, ctx, bobDigest, tau);
}

function rDigest(ctx: Uint8Array, hex: string[]): Uint8Array {
  return h256(HASH_DOMAINS.dklsVoleR, ctx, Buffer.from(hex.join(''), 'latin1'));
}

/** Bob's state between its round-1 message and Alice's answer. */
export interface BobState {
  /** χ, Bob's random VOLE input. */
  readonly chi: Secret;
  /** β, ξ bits. */
  readonly beta: Secret;
  /** t_j rows, ξ × 32 bytes. */
  readonly rows: Secret;
  /** Digest of Bob's message, bound into the challenges. */
  readonly msgDigest: Uint8Array;
}

function msgDigest(ctx: Uint8Array, msg: Uint8Array): Uint8Array {
  return h256(HASH_DOMAINS.dklsVoleBobMsg, ctx, msg);
}

/**
 * Step 1 + Bob's side of the OT extension: returns Bob's message and state.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function voleBobStart(c: Curve, ctx: Uint8Array, keys: BobKeys): { msg: Uint8Array; state: BobState } {
  const g = gadget(c);
  const betaBytes = new Uint8Array(randomBytes(XI / 8));
  const beta = new Uint32Array(XI / 32);
  readWords(betaBytes, 0, beta, 0, XI / 32);
  let chi = 0n;
  for (let j = 0; j < XI; j++) if (bit(beta, j) === 1) chi += g[j]!;
  chi = mod(c, chi);
  const { msg, rows } = oteReceive(ctx, keys, beta);
  beta.fill(0);
  const rb = rowBytes(rows);
  rows.fill(0);
  return {
    msg,
    state: {
      chi: new Secret(scalarBytes(chi), 'vole-chi'),
      beta: new Secret(betaBytes, 'vole-beta'),
      rows: new Secret(rb, 'vole-rows'),
      msgDigest: msgDigest(ctx, msg),
    },
  };
}

/**
 * Steps 2-8 for Alice: input a = (a_0, a_1); returns her outputs c and her message to Bob.
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function voleAlice(
  c: Curve,
  ctx: Uint8Array,
  keys: AliceKeys,
  a: readonly [bigint, bigint],
  bobMsg: Uint8Array,
  culprit: PartyId,
): { out: [bigint, bigint]; msg: Uint8Array } {
  const q = c.q;
  const g = gadget(c);
  const { rows, delta } = oteSend(ctx, keys, bobMsg, culprit);
  const rowsD = new Uint32Array(rows.length);
  for (let j = 0; j < XI; j++) for (let i = 0; i < 8; i++) rowsD[8 * j + i] = rows[8 * j + i]! ^ delta[i]!;
  const v0: bigint[] = new Array(XI * P);
  const v1: bigint[] = new Array(XI * P);
  const qb = rowBytes(rows);
  const qdb = rowBytes(rowsD);
  pads(q, ctx, qb, v0);
  pads(q, ctx, qdb, v1);
  rows.fill(0);
  rowsD.fill(0);
  qb.fill(0);
  qdb.fill(0);
  // Step 2: pads and check values.
  const alpha = [randomScalar(c), randomScalar(c), randomScalar(c), randomScalar(c)];
  // Step 3: τ_j = v0_j − v1_j + α.
  const tauHex: string[] = new Array((XI * P) / 2);
  for (let n = 0; n < XI * P; n += 2) {
    // v0, v1, α in [0, q): t in (−q, 2q).
    let t0 = v0[n]! - v1[n]! + alpha[n % P]!;
    if (t0 < 0n) t0 += q;
    else if (t0 >= q) t0 -= q;
    let t1 = v0[n + 1]! - v1[n + 1]! + alpha[(n + 1) % P]!;
    if (t1 < 0n) t1 += q;
    else if (t1 >= q) t1 -= q;
    tauHex[n / 2] = hexPair(t0, t1);
  }
  const tau = Buffer.from(tauHex.join(''), 'hex');
  // Step 4.
  const ch = checkChallenges(c, ctx, msgDigest(ctx, bobMsg), tau);
  // Step 5: r (hashed) and μ. r_j,ℓ = −(χ̃_ℓ·ṽ0 + χ̂_ℓ·v̂0) = (q − χ̃_ℓ)·ṽ0 + (q − χ̂_ℓ)·v̂0 mod q: a
  // non-negative sum below 2q², reduced by Barrett (no BigInt division).
  const red = reducer(c);
  const n0 = q - ch[0]!;
  const n1 = q - ch[1]!;
  const n2 = q - ch[2]!;
  const n3 = q - ch[3]!;
  const rHex: string[] = new Array(XI);
  let acc0 = 0n;
  let acc1 = 0n;
  for (let j = 0; j < XI; j++) {
    const o = P * j;
    const zt0 = v0[o]!;
    const zt1 = v0[o + 1]!;
    rHex[j] = hexPair(red(n0 * zt0 + n2 * v0[o + 2]!), red(n1 * zt1 + n3 * v0[o + 3]!));
    acc0 += g[j]! * zt0;
    acc1 += g[j]! * zt1;
  }
  const acc = [acc0, acc1];
  const rHash = rDigest(ctx, rHex);
  const msg = new Uint8Array(VOLE_ALICE_LEN);
  msg.set(tau, 0);
  let off = tau.length;
  msg.set(rHash, off);
  off += 32;
  for (let l = 0; l < L; l++) {
    msg.set(scalarBytes(mod(c, ch[l]! * alpha[l]! + ch[L + l]! * alpha[L + l]!)), off);
    off += SCALAR_LEN;
  }
  // Step 7: γ = a − ã.
  for (let l = 0; l < L; l++) {
    msg.set(scalarBytes(mod(c, a[l]! - alpha[l]!)), off);
    off += SCALAR_LEN;
  }
  // Step 8: c_ℓ = <g, z̃_A> = −<g, ṽ0>.
  const out: [bigint, bigint] = [mod(c, -acc[0]!), mod(c, -acc[1]!)];
  v0.fill(0n);
  v1.fill(0n);
  alpha.fill(0n);
  return { out, msg };
}

/**
 * Steps 3 (Bob's side), 6 and 8 for Bob: checks Alice's message (blaming `culprit`), returns d.
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function voleBobFinish(
  c: Curve,
  ctx: Uint8Array,
  st: BobState,
  aliceMsg: Uint8Array,
  culprit: PartyId,
): [bigint, bigint] {
  const q = c.q;
  const g = gadget(c);
  if (aliceMsg.length !== VOLE_ALICE_LEN)
    abort(culprit, 'vole-payload', 'VOLE message has the wrong length', 'BAD_LENGTH');
  const tauLen = XI * P * SCALAR_LEN;
  const tauBytes = aliceMsg.subarray(0, tauLen);
  const tauHex = Buffer.from(tauBytes.buffer, tauBytes.byteOffset, tauLen).toString('hex');
  const tau: bigint[] = new Array(XI * P);
  for (let n = 0; n < XI * P; n += 2) {
    // Two scalars per parse: one 512-bit integer, split.
    const x = BigInt('0x' + tauHex.slice(64 * n, 64 * n + 128));
    const hi = x >> 256n;
    const lo = x & MASK256;
    if (hi >= q || lo >= q)
      abort(culprit, 'vole-payload', 'VOLE payload scalar not reduced modulo q', 'MALFORMED_SCALAR');
    tau[n] = hi;
    tau[n + 1] = lo;
  }
  let off = tauLen;
  const rHash = aliceMsg.subarray(off, off + 32);
  off += 32;
  const scalars: bigint[] = [];
  for (let i = 0; i < 2 * L; i++, off += SCALAR_LEN) {
    const v = bytesToBig(aliceMsg.subarray(off, off + SCALAR_LEN));
    if (v >= q) abort(culprit, 'vole-payload', 'VOLE scalar not reduced modulo q', 'MALFORMED_SCALAR');
    scalars.push(v);
  }
  const mu = scalars.slice(0, L);
  const gamma = scalars.slice(L);
  const ch = checkChallenges(c, ctx, st.msgDigest, tauBytes);
  const w: bigint[] = new Array(XI * P);
  pads(q, ctx, st.rows.expose(), w);
  const betaW = new Uint32Array(XI / 32);
  readWords(st.beta.expose(), 0, betaW, 0, XI / 32);
  // r_j,ℓ = β_j·μ_ℓ − χ̃_ℓ·z̃_B − χ̂_ℓ·ẑ_B = β_j·μ_ℓ + (q − χ̃_ℓ)·z̃_B + (q − χ̂_ℓ)·ẑ_B mod q, with
  // z_B = w + β_j·τ in [0, 2q): a non-negative sum below 5q², reduced by Barrett. β_j selects
  // (as the multiplication by 0 or 1 did: BigInt arithmetic is not constant time either way).
  const red = reducer(c);
  const n0 = q - ch[0]!;
  const n1 = q - ch[1]!;
  const n2 = q - ch[2]!;
  const n3 = q - ch[3]!;
  const mu0 = mu[0]!;
  const mu1 = mu[1]!;
  const rHex: string[] = new Array(XI);
  let acc0 = 0n;
  let acc1 = 0n;
  for (let j = 0; j < XI; j++) {
    const o = P * j;
    let r0: bigint;
    let r1: bigint;
    let zt0 = w[o]!;
    let zt1 = w[o + 1]!;
    if (bit(betaW, j) === 1) {
      zt0 += tau[o]!;
      zt1 += tau[o + 1]!;
      r0 = red(mu0 + n0 * zt0 + n2 * (w[o + 2]! + tau[o + 2]!));
      r1 = red(mu1 + n1 * zt1 + n3 * (w[o + 3]! + tau[o + 3]!));
    } else {
      r0 = red(n0 * zt0 + n2 * w[o + 2]!);
      r1 = red(n1 * zt1 + n3 * w[o + 3]!);
    }
    rHex[j] = hexPair(r0, r1);
    acc0 += g[j]! * zt0;
    acc1 += g[j]! * zt1;
  }
  const acc = [acc0, acc1];
  betaW.fill(0);
  w.fill(0n);
  if (!equalBytes(rDigest(ctx, rHex), rHash))
    abort(culprit, 'vole-consistency', 'VOLE consistency check failed');
  const chi = bytesToBig(st.chi.expose());
  return [mod(c, chi * gamma[0]! + acc[0]!), mod(c, chi * gamma[1]! + acc[1]!)];
}
