/**
 * OT extension: SoftSpokenOT (L. Roy, CRYPTO 2022, eprint 2022/192) with k = 1, i.e. IKNP-style
 * correlated OT extension with SoftSpokenOT's subspace-VOLE consistency check (a universal hash
 * over the extension dimension of every column, chosen by Fiat–Shamir after the receiver's
 * correction is fixed), as DKLs23 §5 prescribes in place of the original KOS check.
 *
 * Notation (one direction, once per signing session):
 *   Bob (extension receiver) holds the base-OT seed pairs (ρ0_k, ρ1_k), k < KAPPA;
 *   Alice (extension sender) holds Δ ∈ {0,1}^KAPPA and ρ^{Δ_k}_k.
 *   Columns are MP = M + W bits: M = 512 >= ξ = 416 OT instances used by the VOLE plus one
 *   W = 256-bit block of uniform masking bits that hides the receiver's choices in the check.
 *
 *   Extend  Bob:   t_k = G(ρ0_k), u_k = t_k ⊕ G(ρ1_k) ⊕ x          (x = choice bits ‖ padding)
 *           Alice: q_k = G(ρ^{Δ_k}_k) ⊕ Δ_k·u_k  (= t_k ⊕ Δ_k·x)
 *   Check   χ1, χ2 = H(ctx, u) ∈ GF(2^256);  h(v) = χ1·v[0:256] + χ2·v[256:512] + v[512:768]
 *           Bob sends x̃ = h(x), t̃_k = h(t_k);  Alice checks h(q_k) = t̃_k ⊕ Δ_k·x̃ for every k.
 *   Output  rows: Bob t_j, Alice q_j (= t_j ⊕ x_j·Δ), j < ξ, hashed by the caller (./vole.ts).
 *
 * G(seed) is the XChaCha20 keystream under the seed with a 24-byte nonce hashed from the
 * per-session, per-direction context `ctx` (which binds the signing session id): a PRF of the
 * uniformly random seed, so a session never reuses a correlation of another session.
 */
import { randomBytes } from 'node:crypto';
import { HASH_DOMAINS } from '../domains.js';
import { KAPPA, SEED_LEN } from './baseot.js';
import { GfMul, gfReduce, readWords, transpose, writeWords } from './bits.js';
import { abort, h256, type PartyId, shake } from './curve.js';
import type { AliceKeys, BobKeys } from './setup.js';
import { xchachaWords } from './xchacha.js';

/** ξ = κ + 2λ_s = 256 + 2·80: OT instances (gadget length) per VOLE (DKLs19 Protocol 1). */
export const XI = 416;
/** Width of the consistency-check hash, bits (GF(2^256)). */
export const W = 256;
/** Extended OTs: ξ rounded up to whole hash blocks (512), plus one masking block. */
export const MP = 768;
const COL_WORDS = MP / 32;
const COL_BYTES = MP / 8;
const ROW_WORDS = KAPPA / 32;

/** Bob's extension message: u (KAPPA columns), x̃, t̃ (KAPPA hashes). */
export const OTE_MSG_LEN = KAPPA * COL_BYTES + W / 8 + KAPPA * (W / 8);

/** The PRG G's per-session state for (ctx): its 24-byte XChaCha20 nonce and scratch space. */
interface Prg {
  readonly nonce: Uint8Array;
  readonly state: Uint32Array;
  readonly tmp: Uint32Array;
}

function prgBase(ctx: Uint8Array): Prg {
  return {
    nonce: h256(HASH_DOMAINS.dklsSoftspokenPrg, ctx).subarray(0, 24),
    state: new Uint32Array(16),
    tmp: new Uint32Array(16),
  };
}

function prgWipe(p: Prg): void {
  p.state.fill(0);
  p.tmp.fill(0);
}

/**
 * Column k of G(seed) = the first COL_BYTES of XChaCha20(seed, N), N = SHA-256(label, ctx)[0..24]
 * (a PRF of the uniformly random seed on a per-session nonce), as little-endian words at `out[off..]`
 * (XORed in unless `assign`). The column index needs no input: every column has its own seed.
 */
function prg(p: Prg, _k: number, seed: Uint8Array, out: Uint32Array, off: number, assign: boolean) {
  xchachaWords(seed, 0, p.nonce, out, off, COL_WORDS, !assign, p.state, p.tmp);
}

/** Fiat–Shamir challenges χ1, χ2 of the consistency check, from the context and u. */
function challenges(ctx: Uint8Array, u: Uint8Array): [GfMul, GfMul] {
  const b = shake(64, HASH_DOMAINS.dklsSoftspokenCheck, ctx, u);
  const w = new Uint32Array(16);
  readWords(b, 0, w, 0, 16);
  return [new GfMul(w.subarray(0, 8)), new GfMul(w.subarray(8, 16))];
}

/** h(v) for the MP-bit vector at `cols[off..]`, into `out[oOff..oOff+8)`. */
function checkHash(
  m: [GfMul, GfMul],
  cols: Uint32Array,
  off: number,
  acc: Uint32Array,
  out: Uint32Array,
  oOff: number,
) {
  acc.fill(0);
  m[0].mulAcc(cols, off, acc);
  m[1].mulAcc(cols, off + 8, acc);
  const red = out.subarray(oOff, oOff + 8);
  gfReduce(acc, red);
  for (let i = 0; i < 8; i++) red[i] = red[i]! ^ cols[off + 16 + i]!;
}

/**
 * Extension receiver (Bob): `choice` holds the ξ choice bits (XI/32 words). Returns the message
 * for Alice and Bob's rows t_j (j < ξ, KAPPA bits each = 8 words).
 */
export function oteReceive(
  ctx: Uint8Array,
  keys: BobKeys,
  choice: Uint32Array,
): { msg: Uint8Array; rows: Uint32Array } {
  const x = new Uint32Array(COL_WORDS);
  readWords(randomBytes(4 * COL_WORDS), 0, x, 0, COL_WORDS);
  x.set(choice.subarray(0, XI / 32), 0);
  const prefix = prgBase(ctx);
  const t = new Uint32Array(KAPPA * COL_WORDS);
  const u = new Uint32Array(KAPPA * COL_WORDS);
  for (let k = 0; k < KAPPA; k++) {
    const off = k * COL_WORDS;
    prg(prefix, k, keys.seeds0.subarray(k * SEED_LEN, (k + 1) * SEED_LEN), t, off, true);
    prg(prefix, k, keys.seeds1.subarray(k * SEED_LEN, (k + 1) * SEED_LEN), u, off, true);
    for (let i = 0; i < COL_WORDS; i++) u[off + i] = u[off + i]! ^ t[off + i]! ^ x[i]!;
  }
  prgWipe(prefix);
  const msg = new Uint8Array(OTE_MSG_LEN);
  writeWords(u, 0, msg, 0, KAPPA * COL_WORDS);
  const ubytes = msg.subarray(0, KAPPA * COL_BYTES);
  const m = challenges(ctx, ubytes);
  const acc = new Uint32Array(16);
  const h = new Uint32Array((KAPPA + 1) * 8);
  checkHash(m, x, 0, acc, h, 0);
  for (let k = 0; k < KAPPA; k++) checkHash(m, t, k * COL_WORDS, acc, h, (k + 1) * 8);
  writeWords(h, 0, msg, KAPPA * COL_BYTES, (KAPPA + 1) * 8);
  const rows = transpose(t, KAPPA, COL_WORDS, XI);
  t.fill(0);
  x.fill(0);
  return { msg, rows };
}

/**
 * Extension sender (Alice): expands her seeds, checks Bob's message (blaming `culprit`) and
 * returns the rows q_j (j < ξ) and Δ as 8 words.
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function oteSend(
  ctx: Uint8Array,
  keys: AliceKeys,
  msg: Uint8Array,
  culprit: PartyId,
): { rows: Uint32Array; delta: Uint32Array } {
  if (msg.length !== OTE_MSG_LEN)
    abort(culprit, 'ot-extension', 'OT-extension message has the wrong length', 'BAD_LENGTH');
  const delta = new Uint32Array(ROW_WORDS);
  readWords(keys.delta, 0, delta, 0, ROW_WORDS);
  const prefix = prgBase(ctx);
  const q = new Uint32Array(KAPPA * COL_WORDS);
  readWords(msg, 0, q, 0, KAPPA * COL_WORDS); // u, masked by Δ_k below
  for (let k = 0; k < KAPPA; k++) {
    const off = k * COL_WORDS;
    const mask = -((delta[k >>> 5]! >>> (k & 31)) & 1);
    for (let i = 0; i < COL_WORDS; i++) q[off + i] = q[off + i]! & mask;
    prg(prefix, k, keys.seeds.subarray(k * SEED_LEN, (k + 1) * SEED_LEN), q, off, false);
  }
  prgWipe(prefix);
  const m = challenges(ctx, msg.subarray(0, KAPPA * COL_BYTES));
  const recv = new Uint32Array((KAPPA + 1) * 8);
  readWords(msg, KAPPA * COL_BYTES, recv, 0, (KAPPA + 1) * 8);
  const acc = new Uint32Array(16);
  const mine = new Uint32Array(8);
  let bad = 0;
  for (let k = 0; k < KAPPA; k++) {
    checkHash(m, q, k * COL_WORDS, acc, mine, 0);
    const mask = -((delta[k >>> 5]! >>> (k & 31)) & 1);
    for (let i = 0; i < 8; i++) bad |= mine[i]! ^ recv[(k + 1) * 8 + i]! ^ (recv[i]! & mask);
  }
  if (bad !== 0) abort(culprit, 'ot-extension', 'OT-extension consistency check failed');
  const rows = transpose(q, KAPPA, COL_WORDS, XI);
  q.fill(0);
  return { rows, delta };
}
