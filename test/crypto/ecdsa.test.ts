/**
 * Threshold ECDSA (DKLs23 Protocol 3.6) end to end, in process: pair setup, then many sessions
 * over the same pairs with fresh random keys and messages, every signature checked by node:crypto
 * (P-256) or noble (secp256k1, prehashed) and asserted low-S; Shamir shares turned additive with
 * lagrangeAt0; replays across sessions; no party ever holding the whole key; PairState
 * serialisation and redaction; misuse of the signer.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MpcidError } from '../../common/errors.js';
import { getCurve } from '../../crypto/ecdsa/curve.js';
import {
  combineSignature,
  type EcdsaCurve,
  EcdsaSigner,
  lagrangeAt0,
  PairSetup,
  PairState,
  type PartyId,
} from '../../crypto/ecdsa/index.js';
import { pairKeys } from '../../crypto/ecdsa/setup.js';
import { zeroShare } from '../../crypto/ecdsa/sign.js';
import { CryptoError } from '../../crypto/errors.js';
import { Secret } from '../../crypto/secret.js';
import {
  expectBlame,
  type Key,
  NOBLE,
  type Pairs,
  randomKey,
  scalar32,
  setupAll,
  sha256,
  signOnce,
  thrown,
  verifyIndependently,
} from './ecdsa-helpers.js';

const hex = (x: bigint) => x.toString(16).padStart(64, '0');

function signAndCheck(curve: EcdsaCurve, pairs: Pairs, ids: PartyId[]): { key: Key; sig: Uint8Array } {
  const key = randomKey(curve, ids);
  const msg = randomBytes(1 + (randomBytes(1)[0]! % 200));
  const run = signOnce(key, pairs, sha256(msg));
  expect([...run.errors.values()]).toEqual([]);
  expect(run.combineError).toBeUndefined();
  const sig = run.signature!;
  expect(sig.length).toBe(64);
  expect(verifyIndependently(curve, msg, sig, key.publicKey)).toBe(true);
  const q = NOBLE[curve].Point.Fn.ORDER;
  const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
  expect(s > 0n && s <= q >> 1n).toBe(true);
  return { key, sig };
}

const CASES: { curve: EcdsaCurve; ids: PartyId[]; n: number }[] = [
  { curve: 'P-256', ids: [0, 3], n: 70 },
  { curve: 'P-256', ids: [0, 1, 2], n: 70 },
  { curve: 'P-256', ids: [7, 0, 5, 2], n: 50 },
  { curve: 'secp256k1', ids: [0, 1], n: 6 },
  { curve: 'secp256k1', ids: [0, 2, 1], n: 6 },
];

describe.each(CASES)('$curve with parties $ids', ({ curve, ids, n }) => {
  let pairs: Pairs;
  beforeAll(() => {
    pairs = setupAll(curve, ids);
  });

  it(`signs ${n} random messages under ${n} random keys over the same pairs; node:crypto verifies, low-S`, () => {
    for (let k = 0; k < n; k++) signAndCheck(curve, pairs, ids);
  }, 300_000);
});

describe('Shamir shares made additive with lagrangeAt0 (PROTOCOL.md §3: agent with w points + t oracles)', () => {
  const curve = 'P-256';
  const { Point } = NOBLE[curve];
  const Fn = Point.Fn;
  let pairs: Pairs;
  beforeAll(() => {
    pairs = setupAll(curve, [0, 1, 3]);
  });

  it('n = 3, t = 2: the agent (points 4, 5) and oracles 1 and 3 sign with the key f(0)', () => {
    // T = 4 of N = 5: f of degree 3; oracles hold f(1..3), the agent f(4), f(5).
    const coeffs = [0, 1, 2, 3].map(() => Fn.create(BigInt('0x' + randomBytes(48).toString('hex'))));
    const f = (x: number) => coeffs.reduceRight((acc, c) => Fn.add(Fn.mul(acc, BigInt(x)), c), 0n);
    const xs = [4, 5, 1, 3];
    const lam = (x: number) => lagrangeAt0(curve, xs, x);
    const shares = new Map<PartyId, bigint>([
      [0, Fn.add(Fn.mul(lam(4), f(4)), Fn.mul(lam(5), f(5)))],
      [1, Fn.mul(lam(1), f(1))],
      [3, Fn.mul(lam(3), f(3))],
    ]);
    expect([...shares.values()].reduce((a, b) => Fn.add(a, b), 0n)).toBe(coeffs[0]);
    const publicShares = new Map(
      [...shares].map(([i, s]) => [i, Point.BASE.multiply(s).toBytes(true)] as const),
    );
    const key: Key = {
      curve,
      sk: coeffs[0]!,
      shares,
      publicShares,
      publicKey: Point.BASE.multiply(coeffs[0]!).toBytes(),
    };
    const msg = randomBytes(77);
    const run = signOnce(key, pairs, sha256(msg));
    expect(verifyIndependently(curve, msg, run.signature!, key.publicKey)).toBe(true);
  });

  it('lagrangeAt0 rejects repeated, zero and absent points', () => {
    expect(thrown(() => lagrangeAt0(curve, [1, 1, 2], 1))).toMatchObject({ code: 'BAD_PARTICIPANT' });
    expect(thrown(() => lagrangeAt0(curve, [0, 1], 1))).toMatchObject({ code: 'BAD_PARTICIPANT' });
    expect(thrown(() => lagrangeAt0(curve, [1, 2], 3))).toMatchObject({ code: 'BAD_PARTICIPANT' });
  });
});

describe('sessions', () => {
  const curve = 'P-256';
  const ids = [0, 1, 2];
  let pairs: Pairs;
  beforeAll(() => {
    pairs = setupAll(curve, ids);
  });

  it('a round-1 message replayed from another session is caught, naming its sender', () => {
    const key = randomKey(curve, ids);
    const e = sha256(randomBytes(10));
    const old = signOnce(key, pairs, e);
    expect(old.signature).toBeDefined();
    const replayed = old.messages.get(1)!.get(1)!.get(0)!;
    const run = signOnce(key, pairs, e, {
      tamper: (round, from, to, m) => (round === 1 && from === 1 && to === 0 ? replayed : m),
    });
    expectBlame(run.errors.get(0), 1, 'session', 'ECDSA_ABORT');
    expect(run.signature).toBeUndefined();
  });

  it('a replayed round-1 message re-labelled for the new session fails the OT-extension check', () => {
    const key = randomKey(curve, ids);
    const e = sha256(randomBytes(10));
    const old = signOnce(key, pairs, e);
    const replayed = old.messages.get(1)!.get(1)!.get(0)!;
    const run = signOnce(key, pairs, e, {
      tamper: (round, from, to, m) => {
        if (!(round === 1 && from === 1 && to === 0)) return m;
        const r = replayed.slice();
        r.set(m.subarray(0, 37), 0); // the new session's header
        return r;
      },
    });
    expectBlame(run.errors.get(0), 1, 'ot-extension', 'ECDSA_ABORT');
  });

  it('messages are addressed: party 1’s round-2 message for party 2 delivered to party 0 is refused', () => {
    const key = randomKey(curve, ids);
    const run = signOnce(key, pairs, sha256(randomBytes(5)), {
      tamper: (round, from, to, m, outbox) => (round === 2 && from === 1 && to === 0 ? outbox.get(2)! : m),
    });
    expectBlame(run.errors.get(0), 1, 'routing', 'MALFORMED_INPUT');
  });

  it('the same pairs sign many independent sessions, and the signer set may change', () => {
    for (const set of [
      [0, 1],
      [0, 2],
      [1, 2],
      [0, 1, 2],
    ]) {
      const sub: Pairs = new Map(
        set.map((i) => [i, new Map(set.filter((j) => j !== i).map((j) => [j, pairs.get(i)!.get(j)!]))]),
      );
      signAndCheck(curve, sub, set);
    }
  });
});

describe('no party holds the whole key', () => {
  const curve = 'P-256';
  const ids = [0, 1, 2];
  let pairs: Pairs;
  beforeAll(() => {
    pairs = setupAll(curve, ids);
  });

  it('signers, their messages and shares never contain sk; each party only has its additive share', () => {
    const key = randomKey(curve, ids);
    const skHex = hex(key.sk);
    const e = sha256(randomBytes(20));
    const run = signOnce(key, pairs, e);
    expect(run.signature).toBeDefined();
    for (const [i, signer] of run.signers) {
      expect(key.shares.get(i)).not.toBe(key.sk);
      const views = [
        JSON.stringify(signer),
        String(signer),
        inspect(signer, { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true }),
        JSON.stringify(Object.getOwnPropertyDescriptors(signer)),
      ];
      for (const v of views) {
        expect(v).not.toContain(skHex);
        expect(v).not.toContain(hex(key.shares.get(i)!));
      }
      for (const v of views.slice(0, 3)) expect(v).toContain('REDACTED');
    }
    const skBytes = Buffer.from(skHex, 'hex');
    for (const round of run.messages.values()) {
      for (const out of round.values())
        for (const m of out.values()) expect(Buffer.from(m).indexOf(skBytes)).toBe(-1);
    }
    for (const s of run.shares.values()) expect(Buffer.from(s).indexOf(skBytes)).toBe(-1);
  });

  it('a signer wipes its copy of the share after round 3 and after an abort, never the caller’s', () => {
    const key = randomKey(curve, ids);
    const share = new Secret(scalar32(key.shares.get(0)!));
    const s = new EcdsaSigner({
      curve,
      self: 0,
      parties: ids,
      sessionId: randomBytes(16),
      messageHash: sha256(randomBytes(3)),
      additiveShare: share,
      publicShares: key.publicShares,
      publicKey: key.publicKey,
      pairs: pairs.get(0)!,
    });
    s.round1();
    expect(() => s.round2(new Map([[1, new Uint8Array(3)]]))).toThrow(CryptoError);
    expect(Buffer.from(share.expose()).toString('hex')).toBe(hex(key.shares.get(0)!));
    expect(thrown(() => s.round3(new Map()))).toMatchObject({ code: 'INTERNAL' });
  });
});

describe('PairState', () => {
  const curve = 'P-256';
  let pairs: Pairs;
  beforeAll(() => {
    pairs = setupAll(curve, [0, 4]);
  });

  it('round-trips through toBytes/fromBytes (bytes or Secret) and still signs', () => {
    const restored: Pairs = new Map();
    for (const [i, m] of pairs) {
      restored.set(i, new Map());
      for (const [j, st] of m) {
        const enc = st.toBytes();
        expect(enc).toBeInstanceOf(Secret);
        const back = PairState.fromBytes(j % 2 ? enc : enc.expose());
        expect([back.curve, back.self, back.peer]).toEqual([st.curve, st.self, st.peer]);
        expect(Buffer.from(back.toBytes().expose()).equals(Buffer.from(enc.expose()))).toBe(true);
        restored.get(i)!.set(j, back);
      }
    }
    signAndCheck(curve, restored, [0, 4]);
  });

  it('rejects wrong version, length, curve and party ids', () => {
    const enc = pairs.get(0)!.get(4)!.toBytes().expose();
    const mutate = (i: number, v: number) => {
      const c = enc.slice();
      c[i] = v;
      return c;
    };
    expect(thrown(() => PairState.fromBytes(enc.subarray(1)))).toMatchObject({ code: 'BAD_LENGTH' });
    expect(thrown(() => PairState.fromBytes(new Uint8Array([...enc, 0])))).toMatchObject({
      code: 'BAD_LENGTH',
    });
    // Version 2 is current (zero-sharing seed), 1 the earlier layout: 0x7f is no version.
    expect(thrown(() => PairState.fromBytes(mutate(0, 0x7f)))).toMatchObject({ code: 'MALFORMED_INPUT' });
    expect(thrown(() => PairState.fromBytes(mutate(1, 9)))).toMatchObject({ code: 'MALFORMED_INPUT' });
    expect(thrown(() => PairState.fromBytes(mutate(3, enc[2]!)))).toMatchObject({ code: 'MALFORMED_INPUT' });
    expect(thrown(() => PairState.fromBytes('x' as unknown as Uint8Array))).toMatchObject({
      code: 'MALFORMED_INPUT',
    });
  });

  /** Party 0's signer of a fresh key for [0, 4] over the pair state `ps`. */
  function signerWith(ps: PairState): EcdsaSigner {
    const key = randomKey(curve, [0, 4]);
    return new EcdsaSigner({
      curve,
      self: 0,
      parties: [0, 4],
      sessionId: randomBytes(16),
      messageHash: sha256(randomBytes(3)),
      additiveShare: new Secret(scalar32(key.shares.get(0)!)),
      publicShares: key.publicShares,
      publicKey: key.publicKey,
      pairs: new Map([[4, ps]]),
    });
  }

  it('a restored state for another curve is refused by the signer', () => {
    const enc = pairs.get(0)!.get(4)!.toBytes().expose().slice();
    enc[1] = 2; // secp256k1
    const wrong = PairState.fromBytes(enc);
    expect(thrown(() => signerWith(wrong))).toMatchObject({ code: 'MALFORMED_INPUT' });
  });

  it('both sides of a pair derive the same zero-sharing seed; the zero shares of a set sum to 0', () => {
    const a = pairKeys(pairs.get(0)!.get(4)!).zero!;
    const b = pairKeys(pairs.get(4)!.get(0)!).zero!;
    expect(a.length).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = getCurve(curve);
    const tag = new Uint8Array(randomBytes(32));
    const set = [...pairs.keys()];
    let sum = 0n;
    for (const i of set) {
      const seeds = new Map(
        set.filter((j) => j !== i).map((j) => [j, pairKeys(pairs.get(i)!.get(j)!).zero!]),
      );
      const z = zeroShare(c, i, tag, seeds);
      expect(z).not.toBe(0n);
      sum += z;
    }
    expect(sum % c.q).toBe(0n);
  });

  it('a version-1 state (set up before zero-sharing) decodes but cannot sign: NO_ES256_KEY', () => {
    const enc = pairs.get(0)!.get(4)!.toBytes().expose();
    const v1 = enc.slice(0, enc.length - 32);
    v1[0] = 1;
    const old = PairState.fromBytes(v1);
    expect(old.zeroSharing).toBe(false);
    expect(pairs.get(0)!.get(4)!.zeroSharing).toBe(true);
    const e = thrown(() => signerWith(old)) as MpcidError;
    expect(e.code).toBe('NO_ES256_KEY');
    expect(e.message).toContain('before zero-sharing');
  });

  it('redacts itself and PairSetup in JSON, String and inspect', () => {
    const st = pairs.get(0)!.get(4)!;
    const seedsHex = Buffer.from(st.toBytes().expose().subarray(40, 72)).toString('hex');
    const setup = new PairSetup({ curve, self: 0, peer: 4, sessionId: randomBytes(16) });
    setup.next();
    for (const o of [st, setup]) {
      for (const v of [
        JSON.stringify(o),
        String(o),
        inspect(o, { showHidden: true, depth: Number.POSITIVE_INFINITY }),
      ]) {
        expect(v).toContain('REDACTED');
        expect(v).not.toContain(seedsHex);
      }
    }
    expect(JSON.stringify(st.toBytes())).toContain('REDACTED');
  });
});

describe('input validation and misuse', () => {
  const curve = 'P-256';
  const ids = [0, 1];
  let pairs: Pairs;
  let key: Key;
  beforeAll(() => {
    pairs = setupAll(curve, ids);
    key = randomKey(curve, ids);
  });
  const opts = () => ({
    curve: curve as EcdsaCurve,
    self: 0,
    parties: ids,
    sessionId: randomBytes(16),
    messageHash: sha256(randomBytes(3)),
    additiveShare: new Secret(scalar32(key.shares.get(0)!)),
    publicShares: key.publicShares,
    publicKey: key.publicKey,
    pairs: pairs.get(0)!,
  });

  it('rejects malformed options without naming a culprit', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ curve: 'P-384' }, 'MALFORMED_INPUT'],
      [{ self: 2 }, 'BAD_PARTICIPANT'],
      [{ parties: [0, 0, 1] }, 'BAD_PARTICIPANT'],
      [{ parties: [0] }, 'BAD_PARTICIPANT'],
      [{ self: 300, parties: [300, 1] }, 'BAD_PARTICIPANT'],
      [{ sessionId: new Uint8Array(15) }, 'BAD_LENGTH'],
      [{ messageHash: new Uint8Array(31) }, 'BAD_LENGTH'],
      [{ additiveShare: scalar32(1n) }, 'MALFORMED_INPUT'],
      [{ additiveShare: new Secret(new Uint8Array(32)) }, 'MALFORMED_SCALAR'],
      [{ additiveShare: new Secret(new Uint8Array(32).fill(0xff)) }, 'MALFORMED_SCALAR'],
      [{ additiveShare: new Secret(scalar32(12345n)) }, 'MALFORMED_INPUT'],
      [{ publicShares: new Map([[0, key.publicShares.get(0)!]]) }, 'BAD_PARTICIPANT'],
      [{ publicShares: new Map([...key.publicShares, [1, new Uint8Array(33)]]) }, 'MALFORMED_POINT'],
      [{ publicKey: key.publicShares.get(1) }, 'MALFORMED_INPUT'],
      [{ publicKey: new Uint8Array(64) }, 'BAD_LENGTH'],
      [{ pairs: new Map() }, 'BAD_PARTICIPANT'],
      [{ pairs: new Map([[1, pairs.get(1)!.get(0)!]]) }, 'MALFORMED_INPUT'],
    ];
    for (const [patch, code] of bad) {
      const e = thrown(() => new EcdsaSigner({ ...opts(), ...patch } as never));
      expect(e, JSON.stringify(Object.keys(patch))).toMatchObject({ code });
      expect((e as MpcidError).metadata.culprit).toBeUndefined();
    }
  });

  it('rounds run once each, in order', () => {
    const s = new EcdsaSigner(opts());
    expect(thrown(() => s.round2(new Map()))).toMatchObject({ code: 'INTERNAL' });
    const s2 = new EcdsaSigner(opts());
    s2.round1();
    expect(thrown(() => s2.round1())).toMatchObject({ code: 'INTERNAL' });
  });

  it('a missing or extra incoming message is reported', () => {
    const s = new EcdsaSigner(opts());
    s.round1();
    expectBlame(
      thrown(() => s.round2(new Map())),
      1,
      'missing',
      'MALFORMED_INPUT',
    );
    const s2 = new EcdsaSigner(opts());
    s2.round1();
    expect(
      thrown(() =>
        s2.round2(
          new Map([
            [1, new Uint8Array(0)],
            [5, new Uint8Array(0)],
          ]),
        ),
      ),
    ).toMatchObject({
      code: 'BAD_PARTICIPANT',
    });
  });

  it('PairSetup rejects bad options and out-of-order use', () => {
    expect(
      thrown(() => new PairSetup({ curve, self: 1, peer: 1, sessionId: randomBytes(16) })),
    ).toMatchObject({
      code: 'BAD_PARTICIPANT',
    });
    expect(thrown(() => new PairSetup({ curve, self: 1, peer: 2, sessionId: randomBytes(8) }))).toMatchObject(
      {
        code: 'BAD_LENGTH',
      },
    );
    const p = new PairSetup({ curve, self: 1, peer: 2, sessionId: randomBytes(16) });
    expect(thrown(() => p.finish(new Uint8Array(0)))).toMatchObject({ code: 'INTERNAL' });
    const p2 = new PairSetup({ curve, self: 1, peer: 2, sessionId: randomBytes(16) });
    expect(thrown(() => p2.next(new Uint8Array(1)))).toMatchObject({ code: 'INTERNAL' });
  });

  it('combineSignature with another message hash: the signature does not verify, not attributable', () => {
    const k3 = randomKey(curve, ids);
    const run = signOnce(k3, pairs, sha256(randomBytes(4)));
    const e = thrown(() =>
      combineSignature({
        curve,
        messageHash: sha256(randomBytes(4)),
        publicKey: k3.publicKey,
        shares: run.shares,
      }),
    ) as MpcidError;
    expect(e.code).toBe('ECDSA_ABORT');
    expect(e.metadata).toMatchObject({ check: 'signature', attributable: 'false' });
  });
});
