/**
 * XChaCha20 keystream (RFC 8439 ChaCha20 with the HChaCha20 extended nonce of
 * draft-irtf-cfrg-xchacha-03) in plain 32-bit JavaScript arithmetic, for the SoftSpokenOT PRG
 * (./softspoken.ts): one call per base-OT seed, no native call, no allocation; and HChaCha20 alone,
 * for XChaCha20-Poly1305 over node:crypto's ChaCha20-Poly1305 (../atrest.ts). Pure computation;
 * checked against @noble/ciphers' xchacha20 in test/crypto/ecdsa-units.test.ts and its
 * xchacha20poly1305 in test/crypto/node-primitives.test.ts.
 */

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const;

/** 20 ChaCha rounds of state `s` into `o`, with the feed-forward addition of `s` when `ff`. */
function core(s: Uint32Array, o: Uint32Array, ff: boolean): void {
  let x0 = s[0]!;
  let x1 = s[1]!;
  let x2 = s[2]!;
  let x3 = s[3]!;
  let x4 = s[4]!;
  let x5 = s[5]!;
  let x6 = s[6]!;
  let x7 = s[7]!;
  let x8 = s[8]!;
  let x9 = s[9]!;
  let x10 = s[10]!;
  let x11 = s[11]!;
  let x12 = s[12]!;
  let x13 = s[13]!;
  let x14 = s[14]!;
  let x15 = s[15]!;
  for (let i = 0; i < 10; i++) {
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 7) | (x4 >>> 25);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 7) | (x5 >>> 25);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 7) | (x6 >>> 25);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 7) | (x7 >>> 25);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 7) | (x5 >>> 25);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 7) | (x6 >>> 25);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 7) | (x7 >>> 25);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 7) | (x4 >>> 25);
  }
  if (ff) {
    o[0] = (x0 + s[0]!) >>> 0;
    o[1] = (x1 + s[1]!) >>> 0;
    o[2] = (x2 + s[2]!) >>> 0;
    o[3] = (x3 + s[3]!) >>> 0;
    o[4] = (x4 + s[4]!) >>> 0;
    o[5] = (x5 + s[5]!) >>> 0;
    o[6] = (x6 + s[6]!) >>> 0;
    o[7] = (x7 + s[7]!) >>> 0;
    o[8] = (x8 + s[8]!) >>> 0;
    o[9] = (x9 + s[9]!) >>> 0;
    o[10] = (x10 + s[10]!) >>> 0;
    o[11] = (x11 + s[11]!) >>> 0;
    o[12] = (x12 + s[12]!) >>> 0;
    o[13] = (x13 + s[13]!) >>> 0;
    o[14] = (x14 + s[14]!) >>> 0;
    o[15] = (x15 + s[15]!) >>> 0;
  } else {
    o[0] = x0 >>> 0;
    o[1] = x1 >>> 0;
    o[2] = x2 >>> 0;
    o[3] = x3 >>> 0;
    o[4] = x4 >>> 0;
    o[5] = x5 >>> 0;
    o[6] = x6 >>> 0;
    o[7] = x7 >>> 0;
    o[8] = x8 >>> 0;
    o[9] = x9 >>> 0;
    o[10] = x10 >>> 0;
    o[11] = x11 >>> 0;
    o[12] = x12 >>> 0;
    o[13] = x13 >>> 0;
    o[14] = x14 >>> 0;
    o[15] = x15 >>> 0;
  }
}

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * The first `n` little-endian words of XChaCha20(key, nonce) (a 32-byte key at `key[kOff..]`, a
 * 24-byte nonce), written to `out[off..]`, or XORed into it when `xor`. `state` and `tmp` are 16
 * words of scratch space; the caller wipes them.
 */
export function xchachaWords(
  key: Uint8Array,
  kOff: number,
  nonce: Uint8Array,
  out: Uint32Array,
  off: number,
  n: number,
  xor: boolean,
  state: Uint32Array,
  tmp: Uint32Array,
): void {
  state[0] = SIGMA[0];
  state[1] = SIGMA[1];
  state[2] = SIGMA[2];
  state[3] = SIGMA[3];
  for (let i = 0; i < 8; i++) state[4 + i] = le32(key, kOff + 4 * i);
  for (let i = 0; i < 4; i++) state[12 + i] = le32(nonce, 4 * i);
  // HChaCha20: the subkey is words 0-3 and 12-15 of the rounds' output (no feed-forward).
  core(state, tmp, false);
  for (let i = 0; i < 4; i++) {
    state[4 + i] = tmp[i]!;
    state[8 + i] = tmp[12 + i]!;
  }
  state[13] = 0;
  state[14] = le32(nonce, 16);
  state[15] = le32(nonce, 20);
  for (let blk = 0; 16 * blk < n; blk++) {
    state[12] = blk;
    core(state, tmp, true);
    const m = Math.min(16, n - 16 * blk);
    const o = off + 16 * blk;
    if (xor) for (let i = 0; i < m; i++) out[o + i] = (out[o + i]! ^ tmp[i]!) >>> 0;
    else for (let i = 0; i < m; i++) out[o + i] = tmp[i]!;
  }
}

/**
 * HChaCha20(key, nonce16) (draft-irtf-cfrg-xchacha-03 §2.2): the 32-byte subkey of
 * XChaCha20 for a 32-byte key and the first 16 bytes of its 24-byte nonce.
 */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const state = new Uint32Array(16);
  const tmp = new Uint32Array(16);
  state.set(SIGMA, 0);
  for (let i = 0; i < 8; i++) state[4 + i] = le32(key, 4 * i);
  for (let i = 0; i < 4; i++) state[12 + i] = le32(nonce16, 4 * i);
  core(state, tmp, false);
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) {
    view.setUint32(4 * i, tmp[i]!, true);
    view.setUint32(16 + 4 * i, tmp[12 + i]!, true);
  }
  state.fill(0);
  tmp.fill(0);
  return out;
}
