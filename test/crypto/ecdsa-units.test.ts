/**
 * Building blocks of threshold ECDSA checked against simple references: GF(2^256) multiplication
 * (bit-serial carry-less product), bit-matrix transposition, the SoftSpokenOT correlation
 * q_j = t_j ⊕ x_j·Δ, the random VOLE c + d = χ·a (DKLs23 Functionality 3.5), the native
 * x-only scalar-multiplication check used by the Γ checks, the PRG's XChaCha20 keystream, the
 * Barrett reduction of the VOLE (against BigInt `%`), and the base OTs' correlation
 * ρ^{Δ_k}_k = Bob's ρ^{Δ_k} on both Ed25519 backends, each against the other.
 */
import { randomBytes } from 'node:crypto';
import { xchacha20 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import { KAPPA, SEED_LEN } from '../../crypto/ecdsa/baseot.js';
import { GfMul, gfReduce, readWords, transpose } from '../../crypto/ecdsa/bits.js';
import { getCurve, mulEquals, randomScalar, reducer } from '../../crypto/ecdsa/curve.js';
import { PairSetup, pairKeys, SETUP_ROUNDS } from '../../crypto/ecdsa/setup.js';
import { oteReceive, oteSend, XI } from '../../crypto/ecdsa/softspoken.js';
import { voleAlice, voleBobFinish, voleBobStart } from '../../crypto/ecdsa/vole.js';
import { xchachaWords } from '../../crypto/ecdsa/xchacha.js';
import { type BackendName, cryptoBackend, setCryptoBackend } from '../../crypto/ed25519-native.js';
import { expectBlame, flip, setupPair, thrown } from './ecdsa-helpers.js';

const POLY = (1n << 256n) | (1n << 10n) | (1n << 5n) | (1n << 2n) | 1n;

function gfRef(a: bigint, b: bigint): bigint {
  let r = 0n;
  for (let i = 0n; i < 256n; i++) if ((b >> i) & 1n) r ^= a << i;
  for (let i = 511n; i >= 256n; i--) if ((r >> i) & 1n) r ^= POLY << (i - 256n);
  return r;
}

function toWords(x: bigint): Uint32Array {
  const w = new Uint32Array(8);
  for (let i = 0; i < 8; i++) w[i] = Number((x >> BigInt(32 * i)) & 0xffffffffn);
  return w;
}

function fromWords(w: Uint32Array): bigint {
  let x = 0n;
  for (let i = 7; i >= 0; i--) x = (x << 32n) | BigInt(w[i]!);
  return x;
}

const rand256 = () => BigInt('0x' + randomBytes(32).toString('hex'));

describe('GF(2^256) = GF(2)[x]/(x^256 + x^10 + x^5 + x^2 + 1)', () => {
  it('table multiplication and reduction match the bit-serial reference', () => {
    const cases: [bigint, bigint][] = [
      [1n, 1n],
      [(1n << 255n) | 1n, (1n << 255n) | (1n << 128n)],
      [(1n << 256n) - 1n, (1n << 256n) - 1n],
    ];
    for (let i = 0; i < 40; i++) cases.push([rand256(), rand256()]);
    for (const [a, b] of cases) {
      const acc = new Uint32Array(16);
      new GfMul(toWords(a)).mulAcc(toWords(b), 0, acc);
      const out = new Uint32Array(8);
      gfReduce(acc, out);
      expect(fromWords(out)).toBe(gfRef(a, b));
    }
  });
});

describe('bit-matrix transpose', () => {
  it('bit c of row r equals bit r of column c', () => {
    const nCols = 64;
    const colWords = 5;
    const cols = new Uint32Array(nCols * colWords);
    readWords(randomBytes(cols.length * 4), 0, cols, 0, cols.length);
    const rows = transpose(cols, nCols, colWords, 128);
    for (let r = 0; r < 128; r++) {
      for (let c = 0; c < nCols; c++) {
        const colBit = (cols[c * colWords + (r >>> 5)]! >>> (r & 31)) & 1;
        const rowBit = (rows[r * (nCols / 32) + (c >>> 5)]! >>> (c & 31)) & 1;
        expect(rowBit).toBe(colBit);
      }
    }
  });
});

describe('SoftSpokenOT and the random VOLE over one pair setup', () => {
  const curve = getCurve('P-256');
  const pair = setupPair('P-256', 1, 2);
  const alice = pairKeys(pair.a).alice; // party 1 -> party 2
  const bob = pairKeys(pair.b).bob;
  const ctx = randomBytes(32);

  it('OT extension: q_j = t_j ⊕ x_j·Δ for every used row', () => {
    const choice = new Uint32Array(XI / 32);
    readWords(randomBytes(XI / 8), 0, choice, 0, XI / 32);
    const { msg, rows: t } = oteReceive(ctx, bob, choice);
    const { rows: q, delta } = oteSend(ctx, alice, msg, 2);
    for (let j = 0; j < XI; j++) {
      const x = (choice[j >>> 5]! >>> (j & 31)) & 1;
      for (let i = 0; i < KAPPA / 32; i++)
        expect(q[8 * j + i]).toBe((t[8 * j + i]! ^ (x ? delta[i]! : 0)) >>> 0);
    }
    expectBlame(
      thrown(() => oteSend(randomBytes(32), alice, msg, 2)),
      2,
      'ot-extension',
      'ECDSA_ABORT',
    );
  });

  it('random VOLE: c + d = χ·a for L = 2, in both roles', () => {
    for (let k = 0; k < 3; k++) {
      const a: [bigint, bigint] = [randomScalar(curve), randomScalar(curve)];
      const { msg, state } = voleBobStart(curve, ctx, bob);
      const { out: c, msg: reply } = voleAlice(curve, ctx, alice, a, msg, 2);
      const d = voleBobFinish(curve, ctx, state, reply, 1);
      const chi = BigInt('0x' + Buffer.from(state.chi.expose()).toString('hex'));
      for (const l of [0, 1]) expect((c[l]! + d[l]!) % curve.q).toBe((chi * a[l]!) % curve.q);
      expectBlame(
        thrown(() => voleBobFinish(curve, ctx, state, flip(reply, 5000), 1)),
        1,
        'vole-consistency',
        'ECDSA_ABORT',
      );
    }
  });
});

describe('Barrett reduction (reducer) equals x % q', () => {
  for (const name of ['P-256', 'secp256k1'] as const) {
    it(name, () => {
      const c = getCurve(name);
      const red = reducer(c);
      const q = c.q;
      const edges = [0n, 1n, q - 1n, q, q + 1n, 2n * q - 1n, 2n * q, (q - 1n) * (q - 1n), 5n * q * q - 1n];
      edges.push((1n << 512n) - 1n, 1n << 512n, (1n << 520n) - 1n);
      for (let i = 0; i < 2000; i++) {
        // Products and sums of the shapes the VOLE reduces: below 2q² and 5q², and random widths.
        edges.push(rand256() * rand256(), (rand256() % q) * (rand256() % q) * 5n);
        edges.push(BigInt('0x' + randomBytes(1 + (i % 65)).toString('hex')));
      }
      for (const x of edges) expect(red(x)).toBe(x % q);
    });
  }
});

describe('mulEquals (native x-only check of k·P = T)', () => {
  for (const name of ['P-256', 'secp256k1'] as const) {
    it(name, () => {
      const c = getCurve(name);
      for (let i = 0; i < 5; i++) {
        const k = randomScalar(c);
        const P = c.Point.BASE.multiply(randomScalar(c));
        const T = P.multiply(k);
        expect(mulEquals(c, k, P, T)).toBe(true);
        expect(mulEquals(c, k, P, T.negate())).toBe(false);
        expect(mulEquals(c, k, P, T.add(c.Point.BASE))).toBe(false);
        expect(mulEquals(c, c.q - k, P, T.negate())).toBe(true);
      }
      const minusG = c.Point.BASE.negate();
      expect(mulEquals(c, 5n, minusG, minusG.multiply(5n))).toBe(true);
      expect(mulEquals(c, 5n, minusG, minusG.multiply(6n))).toBe(false);
      expect(mulEquals(c, 0n, minusG, c.Point.ZERO)).toBe(true);
    });
  }
});

describe('XChaCha20 keystream of the SoftSpokenOT PRG', () => {
  it('matches @noble/ciphers xchacha20 (assigned and XORed), for any length up to 3 blocks', () => {
    const state = new Uint32Array(16);
    const tmp = new Uint32Array(16);
    for (let i = 0; i < 200; i++) {
      const key = new Uint8Array(randomBytes(32 + (i % 5)));
      const kOff = i % 5;
      const nonce = new Uint8Array(randomBytes(24));
      const n = 1 + (i % 48);
      const ref = xchacha20(key.subarray(kOff, kOff + 32), nonce, new Uint8Array(4 * n));
      const refWords = new Uint32Array(n);
      readWords(ref, 0, refWords, 0, n);
      const out = new Uint32Array(n + 2);
      xchachaWords(key, kOff, nonce, out, 1, n, false, state, tmp);
      expect([...out.subarray(1, n + 1)]).toEqual([...refWords]);
      expect(out[0]).toBe(0);
      expect(out[n + 1]).toBe(0);
      const mask = new Uint32Array(randomBytes(4 * n).buffer.slice(0));
      const x = mask.slice();
      xchachaWords(key, kOff, nonce, x, 0, n, true, state, tmp);
      for (let w = 0; w < n; w++) expect(x[w]).toBe((mask[w]! ^ refWords[w]!) >>> 0);
    }
  });
});

describe('base OTs (VSOT over Ed25519) on libsodium and on noble, each against the other', () => {
  /** A pair setup between parties 1 and 2 whose sides compute on backends `b1` and `b2`. */
  function setupOn(b1: BackendName, b2: BackendName) {
    const before = cryptoBackend().name;
    const sessionId = randomBytes(32);
    const sides = [
      new PairSetup({ curve: 'P-256', self: 1, peer: 2, sessionId }),
      new PairSetup({ curve: 'P-256', self: 2, peer: 1, sessionId }),
    ];
    const on = <T>(i: number, f: () => T): T => {
      setCryptoBackend(i === 0 ? b1 : b2);
      return f();
    };
    try {
      let last: (Uint8Array | undefined)[] = [undefined, undefined];
      for (let r = 1; r <= SETUP_ROUNDS; r++) last = sides.map((s, i) => on(i, () => s.next(last[1 - i])));
      return [on(0, () => sides[0]!.finish(last[1]!)), on(1, () => sides[1]!.finish(last[0]!))] as const;
    } finally {
      setCryptoBackend(before);
    }
  }

  it('runs on libsodium in this process', () => {
    expect(cryptoBackend()).toMatchObject({ name: 'sodium', nativeAvailable: true });
  });

  const combos: [BackendName, BackendName][] = [
    ['sodium', 'sodium'],
    ['noble', 'noble'],
    ['sodium', 'noble'],
    ['noble', 'sodium'],
  ];
  it.each(combos)('party 1 on %s, party 2 on %s: every OT delivers the chosen seed', (b1, b2) => {
    const [s1, s2] = setupOn(b1, b2);
    const k1 = pairKeys(s1);
    const k2 = pairKeys(s2);
    expect(Buffer.from(k1.zero!)).toEqual(Buffer.from(k2.zero!));
    for (const [alice, bob] of [
      [k1.alice, k2.bob],
      [k2.alice, k1.bob],
    ] as const) {
      for (let k = 0; k < KAPPA; k++) {
        const bit = (alice.delta[k >>> 3]! >>> (k & 7)) & 1;
        const seed = (b: Uint8Array) => Buffer.from(b.subarray(k * SEED_LEN, (k + 1) * SEED_LEN));
        expect(seed(alice.seeds)).toEqual(seed(bit ? bob.seeds1 : bob.seeds0));
        expect(seed(bob.seeds0)).not.toEqual(seed(bob.seeds1));
      }
    }
  });
});
