/**
 * Bit-level helpers for the OT extension (SoftSpokenOT, eprint 2022/192): bit matrices in 32-bit
 * words, their transposition, and multiplication in GF(2^256) for the consistency check's
 * universal hash. Vectors of bits are Uint32Array words, bit i at word i >>> 5, bit i & 31
 * (little-endian); byte conversions are explicit little-endian so encodings are
 * platform-independent.
 */

/** Reads `n` little-endian 32-bit words from `src` at byte `off` into `dst` at word `dOff`. */
export function readWords(src: Uint8Array, off: number, dst: Uint32Array, dOff: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const o = off + 4 * i;
    dst[dOff + i] = (src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24)) >>> 0;
  }
}

/** Writes `n` words of `src` from word `sOff` as little-endian bytes into `dst` at byte `off`. */
export function writeWords(src: Uint32Array, sOff: number, dst: Uint8Array, off: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const w = src[sOff + i]!;
    const o = off + 4 * i;
    dst[o] = w & 0xff;
    dst[o + 1] = (w >>> 8) & 0xff;
    dst[o + 2] = (w >>> 16) & 0xff;
    dst[o + 3] = w >>> 24;
  }
}

/** Bit i of a word vector, as 0 or 1. */
export function bit(v: Uint32Array, i: number): number {
  return (v[i >>> 5]! >>> (i & 31)) & 1;
}

const MASKS = [0x0000ffff, 0x00ff00ff, 0x0f0f0f0f, 0x33333333, 0x55555555];

/** In-place transpose of a 32x32 bit block: afterwards bit j of a[i] is the old bit i of a[j]. */
function transpose32(a: Uint32Array): void {
  let j = 16;
  for (let s = 0; s < 5; s++, j >>>= 1) {
    const m = MASKS[s]!;
    for (let k = 0; k < 32; k++) {
      if (k & j) continue;
      const t = ((a[k]! >>> j) ^ a[k + j]!) & m;
      a[k + j] = a[k + j]! ^ t;
      a[k] = a[k]! ^ (t << j);
    }
  }
}

/**
 * Transposes a column-major bit matrix: `cols` holds `nCols` columns (a multiple of 32) of
 * `colWords` words each; returns the first `nRows` rows (a multiple of 32), each of nCols/32
 * words, so that bit c of row r equals bit r of column c.
 */
export function transpose(cols: Uint32Array, nCols: number, colWords: number, nRows: number): Uint32Array {
  const rowWords = nCols >>> 5;
  const out = new Uint32Array(nRows * rowWords);
  const blk = new Uint32Array(32);
  for (let cb = 0; cb < rowWords; cb++) {
    for (let rb = 0; rb < nRows >>> 5; rb++) {
      for (let i = 0; i < 32; i++) blk[i] = cols[(32 * cb + i) * colWords + rb]!;
      transpose32(blk);
      for (let i = 0; i < 32; i++) out[(32 * rb + i) * rowWords + cb] = blk[i]!;
    }
  }
  return out;
}

/**
 * Multiplication by a fixed element χ of GF(2^256) = GF(2)[x]/(x^256 + x^10 + x^5 + x^2 + 1)
 * (an irreducible pentanomial), with byte-indexed tables of χ·n·x^s for s in {0, 8, 16, 24}:
 * one product is 32 table look-ups of 9 words each, then one reduction.
 */
export class GfMul {
  /** tables[s][n] (s = shift/8, n = byte) as 9 words, flattened. */
  readonly #t: Uint32Array;
  constructor(chi: Uint32Array) {
    const t = new Uint32Array(4 * 256 * 9);
    // Shift 0: χ·n for every byte n, built by doubling.
    for (let n = 1; n < 256; n++) {
      const o = n * 9;
      const h = (n >>> 1) * 9;
      let carry = 0;
      for (let w = 0; w < 9; w++) {
        const v = t[h + w]!;
        t[o + w] = (v << 1) | carry;
        carry = v >>> 31;
      }
      if (n & 1) for (let w = 0; w < 8; w++) t[o + w] = t[o + w]! ^ chi[w]!;
    }
    for (let s = 1; s < 4; s++) {
      const sh = 8 * s;
      const base = s * 256 * 9;
      for (let n = 1; n < 256; n++) {
        const src = n * 9;
        const dst = base + n * 9;
        t[dst] = t[src]! << sh;
        for (let w = 1; w < 9; w++) t[dst + w] = (t[src + w]! << sh) | (t[src + w - 1]! >>> (32 - sh));
      }
    }
    this.#t = t;
  }

  /** acc (16 words, unreduced) ^= χ · a, where a is the 8 words of `src` from `off`. */
  mulAcc(src: Uint32Array, off: number, acc: Uint32Array): void {
    const t = this.#t;
    for (let w = 0; w < 8; w++) {
      const v = src[off + w]!;
      for (let s = 0; s < 4; s++) {
        const e = s * 2304 + ((v >>> (8 * s)) & 0xff) * 9;
        for (let i = 0; i < 9; i++) acc[w + i] = acc[w + i]! ^ t[e + i]!;
      }
    }
  }
}

/** Reduces a 512-bit product (16 words) modulo x^256 + x^10 + x^5 + x^2 + 1 into `out` (8 words). */
export function gfReduce(acc: Uint32Array, out: Uint32Array): void {
  // acc = L + H·x^256 ≡ L + H·(x^10 + x^5 + x^2 + 1); H has degree <= 254, so H·(...) < 2^265.
  let over = 0;
  for (let i = 0; i < 8; i++) out[i] = acc[i]!;
  for (const s of [0, 2, 5, 10]) {
    for (let i = 0; i < 8; i++) {
      const lo = acc[8 + i]! << s;
      const carry = s === 0 || i === 0 ? 0 : acc[7 + i]! >>> (32 - s);
      out[i] = out[i]! ^ lo ^ carry;
    }
    if (s !== 0) over ^= acc[15]! >>> (32 - s);
  }
  // The overflow (< 2^9) folds once more into the low word.
  out[0] = out[0]! ^ over ^ (over << 2) ^ (over << 5) ^ (over << 10);
}
