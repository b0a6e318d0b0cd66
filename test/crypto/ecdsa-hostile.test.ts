/**
 * Hostile peers and relays against threshold ECDSA: every field of every message (pair setup,
 * signing rounds 1-2, the round-3 share) mutated, truncated or replaced makes the honest receiver
 * throw naming the sender (metadata.culprit) and a stable check name. A peer that feeds the VOLE a
 * different r_j (or sk_j) than the one behind R_j (or pk_j) is caught by the Γ checks. What the
 * receiver cannot see (a wrong ψ, or a wrong share) is caught when the signature is combined,
 * and reported as not attributable.
 */
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MpcidError } from '../../common/errors.js';
import { getCurve } from '../../crypto/ecdsa/curve.js';
import { pairKeys } from '../../crypto/ecdsa/setup.js';
import { commitR, sessionTag, voleCtx, zeroShare } from '../../crypto/ecdsa/sign.js';
import { voleAlice } from '../../crypto/ecdsa/vole.js';
import {
  expectBlame,
  flip,
  type Key,
  type Pairs,
  randomKey,
  setupAll,
  setupPair,
  sha256,
  signOnce,
  thrown,
} from './ecdsa-helpers.js';

const H = 37; // header length
const G = p256.Point.BASE.toBytes(false);
const G2 = p256.Point.BASE.double().toBytes(false);
const FF = new Uint8Array(32).fill(0xff);
// Ed25519 elements for the base OTs: the generator, the identity, a point of order 4 (y = 0) and
// the generator plus that point (on the curve, outside the prime-order subgroup).
const ED_G = ed25519.Point.BASE.toBytes();
const ED_IDENTITY = ed25519.Point.ZERO.toBytes();
const ED_ORDER4 = new Uint8Array(32);
const ED_TORSIONED = ed25519.Point.BASE.add(ed25519.Point.fromBytes(ED_ORDER4)).toBytes();

function put(m: Uint8Array, off: number, b: Uint8Array): Uint8Array {
  const c = m.slice();
  c.set(b, off);
  return c;
}

// Round-1 body: commitment | u (256 x 96) | x~ (32) | t~ (256 x 32)
const R1 = { com: 0, u: 32, xt: 32 + 24576, tt: 32 + 24576 + 32, end: 32832 };
// Round-2 body: R | salt | pk | psi | Gu | Gv | tau (416 x 4 x 32) | H(r) | mu (2) | gamma (2)
const R2 = {
  R: 0,
  salt: 65,
  pk: 97,
  psi: 162,
  gu: 194,
  gv: 259,
  tau: 324,
  rh: 53572,
  mu: 53604,
  gamma: 53668,
  end: 53732,
};

describe('hostile signing peers (P-256, parties 0, 1, 2; party 1 misbehaves towards party 0)', () => {
  const curve = 'P-256';
  const ids = [0, 1, 2];
  let pairs: Pairs;
  let key: Key;
  beforeAll(() => {
    pairs = setupAll(curve, ids);
    key = randomKey(curve, ids);
  });

  /** Runs a session where party 1's round-`round` message to party 0 is rewritten by `f`. */
  function attack(round: 1 | 2, f: (m: Uint8Array) => Uint8Array) {
    return signOnce(key, pairs, sha256(randomBytes(8)), {
      tamper: (r, from, to, m) => (r === round && from === 1 && to === 0 ? f(m) : m),
    });
  }

  const header: [string, (m: Uint8Array) => Uint8Array, string, string][] = [
    ['version byte', (m) => put(m, 0, new Uint8Array([2])), 'version', 'MALFORMED_INPUT'],
    ['round byte', (m) => put(m, 1, new Uint8Array([0x23])), 'round', 'MALFORMED_INPUT'],
    ['curve byte', (m) => put(m, 2, new Uint8Array([2])), 'curve', 'MALFORMED_INPUT'],
    ['sender byte', (m) => put(m, 3, new Uint8Array([2])), 'routing', 'MALFORMED_INPUT'],
    ['receiver byte', (m) => put(m, 4, new Uint8Array([2])), 'routing', 'MALFORMED_INPUT'],
    ['session tag', (m) => flip(m, 20), 'session', 'ECDSA_ABORT'],
    ['truncated', (m) => m.subarray(0, m.length - 1), 'length', 'BAD_LENGTH'],
    ['extended', (m) => new Uint8Array([...m, 0]), 'length', 'BAD_LENGTH'],
    ['empty', () => new Uint8Array(0), 'length', 'BAD_LENGTH'],
  ];
  for (const round of [1, 2] as const) {
    it.each(header)(`round ${round}: %s`, (_name, f, check, code) => {
      expectBlame(attack(round, f).errors.get(0), 1, check, code);
    });
    it(`round ${round}: random garbage of the right length`, () => {
      const e = attack(round, (m) => new Uint8Array(randomBytes(m.length))).errors.get(0) as MpcidError;
      expect(e.metadata.culprit).toBe('1');
    });
  }

  const body: [string, 1 | 2, (m: Uint8Array) => Uint8Array, string, string][] = [
    ['commitment', 1, (m) => flip(m, H + R1.com + 3), 'commitment', 'ECDSA_ABORT'],
    ['OT-extension correction u', 1, (m) => flip(m, H + R1.u + 1000, 0x10), 'ot-extension', 'ECDSA_ABORT'],
    ['OT-extension check value x~', 1, (m) => flip(m, H + R1.xt + 5), 'ot-extension', 'ECDSA_ABORT'],
    ['OT-extension check value t~', 1, (m) => flip(m, H + R1.tt + 4000), 'ot-extension', 'ECDSA_ABORT'],
    ['R_j: another valid point', 2, (m) => put(m, H + R2.R, G), 'commitment', 'ECDSA_ABORT'],
    ['R_j: not on the curve', 2, (m) => flip(m, H + R2.R + 7), 'nonce', 'MALFORMED_POINT'],
    ['R_j: compressed prefix', 2, (m) => put(m, H + R2.R, new Uint8Array([2])), 'nonce', 'MALFORMED_POINT'],
    ['decommitment salt', 2, (m) => flip(m, H + R2.salt + 9), 'commitment', 'ECDSA_ABORT'],
    ['pk_j: another valid point', 2, (m) => put(m, H + R2.pk, G), 'public-share', 'ECDSA_ABORT'],
    ['pk_j: not on the curve', 2, (m) => flip(m, H + R2.pk + 40), 'public-share', 'MALFORMED_POINT'],
    ['ψ: not reduced', 2, (m) => put(m, H + R2.psi, FF), 'psi', 'MALFORMED_SCALAR'],
    ['Γu: another valid point', 2, (m) => put(m, H + R2.gu, G), 'gamma-u', 'ECDSA_ABORT'],
    ['Γu: not on the curve', 2, (m) => flip(m, H + R2.gu + 60), 'gamma-u', 'MALFORMED_POINT'],
    ['Γv: another valid point', 2, (m) => put(m, H + R2.gv, G2), 'gamma-v', 'ECDSA_ABORT'],
    ['Γv: not on the curve', 2, (m) => flip(m, H + R2.gv + 33), 'gamma-v', 'MALFORMED_POINT'],
    [
      'VOLE payload τ: a flipped bit',
      2,
      (m) => flip(m, H + R2.tau + 12345, 0x04),
      'vole-consistency',
      'ECDSA_ABORT',
    ],
    [
      'VOLE payload τ: not reduced',
      2,
      (m) => put(m, H + R2.tau + 32 * 77, FF),
      'vole-payload',
      'MALFORMED_SCALAR',
    ],
    ['VOLE check hash H(r)', 2, (m) => flip(m, H + R2.rh), 'vole-consistency', 'ECDSA_ABORT'],
    ['VOLE check value μ', 2, (m) => flip(m, H + R2.mu + 31), 'vole-consistency', 'ECDSA_ABORT'],
    ['VOLE μ: not reduced', 2, (m) => put(m, H + R2.mu, FF), 'vole-payload', 'MALFORMED_SCALAR'],
    ['VOLE γ for r_j', 2, (m) => flip(m, H + R2.gamma + 31), 'gamma-u', 'ECDSA_ABORT'],
    ['VOLE γ for sk_j', 2, (m) => flip(m, H + R2.gamma + 63), 'gamma-v', 'ECDSA_ABORT'],
  ];
  it.each(body)('round %i… %s', (_name, round, f, check, code) => {
    const run = attack(round, f);
    expectBlame(run.errors.get(0), 1, check, code);
    expect(run.signature).toBeUndefined();
  });

  it('a wrong (well-formed) ψ passes party 0’s checks and is caught at combination, not attributable', () => {
    const run = attack(2, (m) => flip(m, H + R2.psi + 31));
    expect(run.errors.size).toBe(0);
    expect(run.combineError?.code).toBe('ECDSA_ABORT');
    expect(run.combineError?.metadata).toEqual({ check: 'signature', attributable: 'false' });
  });

  /**
   * Party 1 commits to a nonce R′ = r′·G of the test's choosing (so the test knows r′), then runs
   * the VOLE towards party 0 with input `input(r′, sk_1)` (sk_1 re-randomised by its zero share)
   * and sends the matching Γu, Γv: DKLs23 step 8 must catch any input other than (r′, sk_1).
   */
  function withVoleInput(input: (r: bigint, sk: bigint) => [bigint, bigint]) {
    const c = getCurve(curve);
    const Fn = c.Point.Fn;
    const sessionId = randomBytes(32);
    const e = sha256(randomBytes(8));
    const tag = sessionTag(c, sessionId, ids, p256.Point.fromBytes(key.publicKey), e);
    const r = Fn.create(BigInt('0x' + randomBytes(40).toString('hex')));
    const R = c.Point.BASE.multiply(r).toBytes(false);
    const salt = randomBytes(32);
    let bobMsg: Uint8Array | undefined;
    return signOnce(key, pairs, e, {
      sessionId,
      tamper: (round, from, to, m) => {
        if (round === 1 && from === 0 && to === 1) bobMsg = m.subarray(H + 32);
        if (round === 1 && from === 1 && to === 0) return put(m, H + R1.com, commitR(tag, 1, R, salt));
        if (!(round === 2 && from === 1 && to === 0)) return m;
        const st = pairs.get(1)!.get(0)!;
        const ctx = voleCtx(tag, st.tag, 1, 0);
        // Party 1's share for this session: sk_1 + ζ_1 (F_Zero, from its pairs with 0 and 2).
        const zero = new Map([0, 2].map((p) => [p, pairKeys(pairs.get(1)!.get(p)!).zero!] as const));
        const sk1 = (key.shares.get(1)! + zeroShare(c, 1, tag, zero)) % Fn.ORDER;
        const { out, msg } = voleAlice(c, ctx, pairKeys(st).alice, input(r, sk1), bobMsg!, 0);
        let x = put(m, H + R2.R, R);
        x = put(x, H + R2.salt, salt);
        x = put(x, H + R2.tau, msg);
        x = put(x, H + R2.gu, c.Point.BASE.multiply(out[0]).toBytes(false));
        return put(x, H + R2.gv, c.Point.BASE.multiply(out[1]).toBytes(false));
      },
    });
  }

  it('control: a substituted but consistent (r′, sk_1) passes party 0’s checks', () => {
    expect(withVoleInput((r, sk) => [r, sk]).errors.get(0)).toBeUndefined();
  });

  it('a VOLE input r″ ≠ r′ behind R′ (with Γu consistent with r″) is caught by the Γu check', () => {
    expectBlame(
      withVoleInput((r, sk) => [(r + 1n) % p256.Point.Fn.ORDER, sk]).errors.get(0),
      1,
      'gamma-u',
      'ECDSA_ABORT',
    );
  });

  it('a VOLE input sk′ ≠ sk_1 behind pk_1 is caught by the Γv check', () => {
    expectBlame(
      withVoleInput((r, sk) => [r, (sk + 1n) % p256.Point.Fn.ORDER]).errors.get(0),
      1,
      'gamma-v',
      'ECDSA_ABORT',
    );
  });

  describe('round-3 shares at combination', () => {
    function combineWith(f: (m: Uint8Array) => Uint8Array, combineSessionId = false) {
      return signOnce(key, pairs, sha256(randomBytes(8)), {
        combineSessionId,
        tamper: (r, from, _to, m) => (r === 3 && from === 1 ? f(m) : m),
      });
    }
    const blamed: [string, (m: Uint8Array) => Uint8Array, string, string][] = [
      ['truncated', (m) => m.subarray(1), 'length', 'BAD_LENGTH'],
      ['sender byte', (m) => put(m, 3, new Uint8Array([2])), 'routing', 'MALFORMED_INPUT'],
      ['round byte', (m) => put(m, 1, new Uint8Array([0x22])), 'round', 'MALFORMED_INPUT'],
      ['R not on the curve', (m) => flip(m, H + 20), 'share', 'MALFORMED_POINT'],
      ['u not reduced', (m) => put(m, H + 65, FF), 'share', 'MALFORMED_SCALAR'],
      ['w not reduced', (m) => put(m, H + 97, FF), 'share', 'MALFORMED_SCALAR'],
    ];
    it.each(blamed)('%s: blamed on its sender', (_n, f, check, code) => {
      const run = combineWith(f);
      expect(run.errors.size).toBe(0);
      expectBlame(run.combineError, 1, check, code);
    });

    it('another session’s tag: blamed when the combiner passes the session id, else not attributable', () => {
      expectBlame(combineWith((m) => flip(m, 9), true).combineError, 1, 'session', 'ECDSA_ABORT');
      expect(combineWith((m) => flip(m, 9)).combineError?.metadata).toEqual({
        check: 'session',
        attributable: 'false',
      });
    });

    const unattributable: [string, (m: Uint8Array) => Uint8Array, string][] = [
      ['a different valid R', (m) => put(m, H, G), 'nonce'],
      ['a wrong u', (m) => flip(m, H + 96), 'signature'],
      ['a wrong w', (m) => flip(m, H + 128), 'signature'],
    ];
    it.each(unattributable)('%s: the signature is refused, not attributable', (_n, f, check) => {
      const e = combineWith(f).combineError;
      expect(e?.code).toBe('ECDSA_ABORT');
      expect(e?.metadata).toEqual({ check, attributable: 'false' });
    });
  });
});

describe('hostile pair-setup peers (P-256, party 9 misbehaves towards party 4)', () => {
  const curve = 'P-256';
  const attack = (round: number, f: (m: Uint8Array) => Uint8Array) =>
    thrown(() =>
      setupPair(curve, 4, 9, { tamper: (r, from, _to, m) => (r === round && from === 9 ? f(m) : m) }),
    );

  for (let round = 1; round <= 5; round++) {
    it(`round ${round}: header (session tag, round, routing) and length`, () => {
      expectBlame(
        attack(round, (m) => flip(m, 30)),
        9,
        'session',
        'ECDSA_ABORT',
      );
      expectBlame(
        attack(round, (m) => put(m, 1, new Uint8Array([0x10 + (round % 5) + 1]))),
        9,
        'round',
        'MALFORMED_INPUT',
      );
      expectBlame(
        attack(round, (m) => put(m, 4, new Uint8Array([7]))),
        9,
        'routing',
        'MALFORMED_INPUT',
      );
      expectBlame(
        attack(round, (m) => m.subarray(0, m.length - 2)),
        9,
        'length',
        'BAD_LENGTH',
      );
    });
  }

  // Setup bodies: msg1 = B | T | z (Ed25519 elements and a little-endian scalar, 32 bytes each),
  // msg2 = A_k (256 x 32), msg3 = ξ_k (256 x 32), msg4 = ρ′_k (256 x 32), msg5 = H(ρ0_k) | H(ρ1_k).
  const body: [string, number, (m: Uint8Array) => Uint8Array, string, string][] = [
    ['VSOT key B not on the curve', 1, (m) => put(m, H, FF), 'ot-setup', 'MALFORMED_POINT'],
    ['VSOT key B of small order', 1, (m) => put(m, H, ED_ORDER4), 'ot-setup', 'MALFORMED_POINT'],
    ['VSOT key B with a torsion component', 1, (m) => put(m, H, ED_TORSIONED), 'ot-setup', 'MALFORMED_POINT'],
    ['VSOT key B the identity', 1, (m) => put(m, H, ED_IDENTITY), 'ot-setup', 'MALFORMED_POINT'],
    ['VSOT key B replaced', 1, (m) => put(m, H, ED_G), 'ot-setup', 'ECDSA_ABORT'],
    ['VSOT proof commitment T replaced', 1, (m) => put(m, H + 32, ED_G), 'ot-setup', 'ECDSA_ABORT'],
    ['VSOT proof commitment T not on the curve', 1, (m) => put(m, H + 32, FF), 'ot-setup', 'MALFORMED_POINT'],
    ['VSOT proof response z', 1, (m) => flip(m, H + 64), 'ot-setup', 'ECDSA_ABORT'],
    ['VSOT proof response z not reduced', 1, (m) => put(m, H + 64, FF), 'ot-setup', 'MALFORMED_SCALAR'],
    ['VSOT proof response z zero', 1, (m) => put(m, H + 64, new Uint8Array(32)), 'ot-setup', 'ECDSA_ABORT'],
    [
      'VSOT choice point A_k not on the curve',
      2,
      (m) => put(m, H + 32 * 17, FF),
      'ot-choose',
      'MALFORMED_POINT',
    ],
    [
      'VSOT choice point A_k of small order',
      2,
      (m) => put(m, H + 32 * 17, ED_ORDER4),
      'ot-choose',
      'MALFORMED_POINT',
    ],
    [
      'VSOT choice point A_k with a torsion component',
      2,
      (m) => put(m, H + 32 * 255, ED_TORSIONED),
      'ot-choose',
      'MALFORMED_POINT',
    ],
    ['VSOT choice point A_k the identity', 2, (m) => put(m, H, ED_IDENTITY), 'ot-choose', 'MALFORMED_POINT'],
    ['VSOT choice point A_k replaced', 2, (m) => put(m, H + 32 * 200, ED_G), 'ot-response', 'ECDSA_ABORT'],
    ['VSOT challenge ξ_k', 3, (m) => flip(m, H + 32 * 100 + 3), 'ot-open', 'ECDSA_ABORT'],
    ['VSOT response ρ′_k', 4, (m) => flip(m, H + 32 * 255 + 31), 'ot-response', 'ECDSA_ABORT'],
    ['VSOT opening H(ρ0_k)', 5, (m) => flip(m, H + 64 * 3), 'ot-open', 'ECDSA_ABORT'],
    ['VSOT opening H(ρ1_k)', 5, (m) => flip(m, H + 64 * 3 + 32), 'ot-open', 'ECDSA_ABORT'],
  ];
  it.each(body)('%s (round %i)', (_n, round, f, check, code) => {
    expectBlame(attack(round, f), 9, check, code);
  });

  it("a choice point A_k equal to the peer's VSOT key B is refused", () => {
    let b4: Uint8Array | undefined;
    const err = thrown(() =>
      setupPair(curve, 4, 9, {
        tamper: (r, from, _to, m) => {
          if (r === 1 && from === 4) b4 = m.slice(H, H + 32);
          return r === 2 && from === 9 ? put(m, H + 32 * 7, b4!) : m;
        },
      }),
    );
    expectBlame(err, 9, 'ot-choose', 'ECDSA_ABORT');
  });

  it('a setup message of version 1 (VSOT over P-256, an older release) is refused by its version', () => {
    for (let round = 1; round <= 5; round++) {
      const err = attack(round, (m) => put(m, 0, new Uint8Array([1])));
      expectBlame(err, 9, 'version', 'MALFORMED_INPUT');
      expect((err as MpcidError).message).toContain('incompatible mpcid release');
    }
    // An old release's round-1 message also has the old length (B, T as 65-byte P-256 points).
    const old = new Uint8Array(H + 65 + 65 + 32);
    old[0] = 1;
    expectBlame(
      attack(1, () => old),
      9,
      'version',
      'MALFORMED_INPUT',
    );
  });

  it('a setup message replayed from another enrollment is refused', () => {
    let old: Uint8Array | undefined;
    setupPair(curve, 4, 9, {
      tamper: (r, from, _to, m) => {
        if (r === 2 && from === 9) old = m;
        return m;
      },
    });
    expectBlame(
      attack(2, () => old!),
      9,
      'session',
      'ECDSA_ABORT',
    );
  });
});
