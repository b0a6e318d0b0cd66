/** Wire codecs (points, scalars, signatures, base64url, hex) and redaction of Secret. */
import { Console } from 'node:console';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { MpcidError } from '../../common/errors.js';
import { framed, fromB64u, fromHex, toB64u, toHex } from '../../crypto/bytes.js';
import {
  decodePoint,
  decodeScalar,
  decodeSignature,
  generateEd25519,
  signEd25519,
  verifyEd25519,
} from '../../crypto/ed25519.js';
import { Secret } from '../../crypto/secret.js';
import { expectMpcidError, hex, L, le32 } from './helpers.js';

const Point = ed25519.Point;
const P = 2n ** 255n - 19n;
const G = Point.BASE.toBytes();

/** Parses with noble's strict RFC 8032 decoder; true when the bytes are some curve point. */
const nobleParses = (b: Uint8Array): boolean => {
  try {
    Point.fromBytes(b, false);
    return true;
  } catch {
    return false;
  }
};

/** An order-8 point (RFC 8032 / "Taming the many EdDSAs" small-order list). */
const ORDER8 = hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

describe('decodePoint', () => {
  it('accepts valid prime-order points and returns the same bytes', () => {
    expect(decodePoint(G, 'G')).toBe(G);
    for (let i = 0; i < 5; i++) {
      const b = Point.BASE.multiply(BigInt(`0x${randomBytes(31).toString('hex')}`) + 1n).toBytes();
      expect(toHex(decodePoint(b, 'p'))).toBe(toHex(b));
    }
  });

  it.each([0, 31, 33, 64])('rejects %i bytes with BAD_LENGTH', (len) => {
    const b = new Uint8Array(len);
    b.set(G.subarray(0, Math.min(len, 32)));
    expectMpcidError(() => decodePoint(b, 'pt'), 'BAD_LENGTH', /^pt: /);
  });

  it('rejects non-bytes with MALFORMED_INPUT', () => {
    for (const x of [undefined, null, 'ab', [1, 2], toHex(G), Buffer.from(G).toJSON()]) {
      expectMpcidError(() => decodePoint(x, 'pt'), 'MALFORMED_INPUT');
    }
  });

  it('rejects non-canonical y >= p', () => {
    // y = p (0xed ff..ff 7f) would be y = 0; y = p + 1 would be the identity; p + 2 -> y = 2.
    for (const y of [P, P + 1n, P + 2n, 2n ** 255n - 1n]) {
      const b = le32(y);
      expect(b[31]! & 0x80).toBe(0);
      expectMpcidError(() => decodePoint(b, 'pt'), 'MALFORMED_POINT');
    }
    expect(toHex(le32(P))).toBe(`ed${'ff'.repeat(30)}7f`);
    // The same y with the x-sign bit set.
    const b = le32(P + 1n);
    b[31]! |= 0x80;
    expectMpcidError(() => decodePoint(b, 'pt'), 'MALFORMED_POINT');
  });

  it("rejects 'negative zero': x = 0 with the sign bit set", () => {
    // Identity (0, 1) and the order-2 point (0, -1) both have x = 0; setting bit 255 is non-canonical.
    const negIdentity = le32(1n);
    negIdentity[31]! |= 0x80;
    expect(toHex(negIdentity)).toBe(`01${'00'.repeat(30)}80`);
    expectMpcidError(() => decodePoint(negIdentity, 'pt'), 'MALFORMED_POINT');
    const negOrder2 = le32(P - 1n);
    negOrder2[31]! |= 0x80;
    expectMpcidError(() => decodePoint(negOrder2, 'pt'), 'MALFORMED_POINT');
  });

  it('rejects a y with no x on the curve', () => {
    let y = 2n;
    while (nobleParses(le32(y))) y++;
    expect(y).toBeLessThan(100n);
    expectMpcidError(() => decodePoint(le32(y), 'pt'), 'MALFORMED_POINT', /not a valid curve point/);
  });

  it('rejects the identity', () => {
    const id = le32(1n);
    expect(toHex(id)).toBe(`01${'00'.repeat(31)}`);
    expect(nobleParses(id)).toBe(true);
    expectMpcidError(() => decodePoint(id, 'pt'), 'MALFORMED_POINT', /identity/);
  });

  it('rejects small-order points', () => {
    const order2 = le32(P - 1n); // (0, -1)
    expect(toHex(order2)).toBe(`ec${'ff'.repeat(30)}7f`);
    const small = [order2, ORDER8];
    // Every point of order 4 and 8: multiples of the order-8 point.
    const p8 = Point.fromBytes(ORDER8);
    expect(p8.multiplyUnsafe(8n).is0()).toBe(true);
    expect(p8.multiplyUnsafe(4n).is0()).toBe(false);
    for (let k = 1n; k < 8n; k++) small.push(p8.multiplyUnsafe(k).toBytes());
    for (const b of small) {
      expect(nobleParses(b), toHex(b)).toBe(true);
      expectMpcidError(() => decodePoint(b, 'pt'), 'MALFORMED_POINT', /prime-order subgroup/);
    }
  });

  it('rejects a point with a torsion component (G + order-8 point)', () => {
    const mixed = Point.BASE.add(Point.fromBytes(ORDER8)).toBytes();
    expect(nobleParses(mixed)).toBe(true);
    expectMpcidError(() => decodePoint(mixed, 'pt'), 'MALFORMED_POINT', /prime-order subgroup/);
    const mixed2 = Point.BASE.multiply(12345n)
      .add(Point.fromBytes(le32(P - 1n)))
      .toBytes();
    expectMpcidError(() => decodePoint(mixed2, 'pt'), 'MALFORMED_POINT', /prime-order subgroup/);
  });

  it('errors are MpcidErrors mapping to INVALID_ARGUMENT', () => {
    const err = expectMpcidError(() => decodePoint(le32(1n), 'pt'), 'MALFORMED_POINT');
    expect(err).toBeInstanceOf(MpcidError);
    expect(err.status).toBe('INVALID_ARGUMENT');
  });
});

describe('decodeScalar', () => {
  it('accepts 0, 1 and L - 1', () => {
    for (const x of [0n, 1n, L - 1n]) expect(toHex(decodeScalar(le32(x), 's'))).toBe(toHex(le32(x)));
    expect(() => decodeScalar(le32(1n), 's', { nonZero: true })).not.toThrow();
  });

  it('rejects L, L + 1, 2^255 and 2^256 - 1 with MALFORMED_SCALAR', () => {
    for (const x of [L, L + 1n, 2n ** 255n, 2n ** 256n - 1n]) {
      expectMpcidError(() => decodeScalar(le32(x), 's'), 'MALFORMED_SCALAR', /^s: /);
    }
  });

  it('rejects zero when nonZero is set', () => {
    expectMpcidError(
      () => decodeScalar(new Uint8Array(32), 's', { nonZero: true }),
      'MALFORMED_SCALAR',
      /zero/,
    );
  });

  it('rejects wrong lengths with BAD_LENGTH and non-bytes with MALFORMED_INPUT', () => {
    for (const len of [0, 31, 33, 64])
      expectMpcidError(() => decodeScalar(new Uint8Array(len), 's'), 'BAD_LENGTH');
    expectMpcidError(() => decodeScalar('00'.repeat(32), 's'), 'MALFORMED_INPUT');
  });
});

describe('decodeSignature and RFC 8032 helpers', () => {
  const { seed, publicKey } = generateEd25519();
  const msg = new TextEncoder().encode('hello');
  const sig = signEd25519(msg, seed);

  it('accepts a real signature and rejects S >= L (malleated S + L)', () => {
    expect(decodeSignature(sig, 'sig')).toBe(sig);
    expect(verifyEd25519(sig, msg, publicKey)).toBe(true);
    const S = BigInt(`0x${Buffer.from(sig.subarray(32)).reverse().toString('hex')}`);
    const malleated = sig.slice();
    malleated.set(le32(S + L), 32);
    expectMpcidError(() => decodeSignature(malleated, 'sig'), 'MALFORMED_SCALAR', /sig\.S/);
    expect(verifyEd25519(malleated, msg, publicKey)).toBe(false);
    const maxS = sig.slice();
    maxS.set(le32(L), 32);
    expectMpcidError(() => decodeSignature(maxS, 'sig'), 'MALFORMED_SCALAR');
  });

  it('rejects wrong lengths', () => {
    expectMpcidError(() => decodeSignature(sig.subarray(0, 63), 'sig'), 'BAD_LENGTH');
    expectMpcidError(() => decodeSignature(new Uint8Array(65), 'sig'), 'BAD_LENGTH');
  });

  it('verifyEd25519 is false (not throwing) on garbage and on small-order public keys', () => {
    expect(verifyEd25519(sig, msg, new Uint8Array(32))).toBe(false);
    expect(verifyEd25519(sig.subarray(1), msg, publicKey)).toBe(false);
    expect(verifyEd25519(sig, new TextEncoder().encode('hellp'), publicKey)).toBe(false);
    // All-zero signature under the identity key: ZIP-215 (cofactored) verification accepts it,
    // strict RFC 8032 verification as in node:crypto must not.
    expect(ed25519.verify(new Uint8Array(64), msg, le32(1n), { zip215: true })).toBe(true);
    expect(verifyEd25519(new Uint8Array(64), msg, le32(1n))).toBe(false);
  });
});

describe('base64url and hex', () => {
  it('roundtrips bytes of every length 0..40', () => {
    for (let len = 0; len <= 40; len++) {
      const b = new Uint8Array(randomBytes(len));
      expect(toHex(fromB64u(toB64u(b), 'f'))).toBe(toHex(b));
      expect(toHex(fromHex(toHex(b), 'f'))).toBe(toHex(b));
    }
  });

  it('fromB64u rejects non-alphabet characters and padding', () => {
    const good = toB64u(new Uint8Array([0xfb, 0xff, 0xfe, 1])); // '-__-AQ'
    expect(good).toMatch(/[-_]/);
    for (const s of ['+__-AQ', '/__-AQ', `${good}==`, 'AQ==', 'AQ=', ' AQ', 'AQ\n', 'A Q', 'Ä', 'AQ.']) {
      expectMpcidError(() => fromB64u(s, 'f'), 'MALFORMED_INPUT', /^f: /);
    }
    for (const x of [undefined, null, 1, new Uint8Array(1)])
      expectMpcidError(() => fromB64u(x, 'f'), 'MALFORMED_INPUT');
  });

  it('fromB64u rejects non-canonical trailing bits and impossible lengths', () => {
    // 'AQ' is 0x01; 'AR' decodes to the same byte with non-zero padding bits.
    expect(toHex(fromB64u('AQ', 'f'))).toBe('01');
    for (const s of ['AR', 'AB', 'AAB', 'A', 'AAAAA']) {
      expectMpcidError(() => fromB64u(s, 'f'), 'MALFORMED_INPUT', /non-canonical/);
    }
  });

  it('fromB64u and fromHex enforce the expected length', () => {
    expect(fromB64u(toB64u(new Uint8Array(32)), 'f', 32).length).toBe(32);
    expectMpcidError(() => fromB64u(toB64u(new Uint8Array(31)), 'f', 32), 'BAD_LENGTH');
    expectMpcidError(() => fromHex('00'.repeat(33), 'f', 32), 'BAD_LENGTH');
    for (const s of ['0', 'zz', '0x00', ' 00', 1]) expectMpcidError(() => fromHex(s, 'f'), 'MALFORMED_INPUT');
  });

  it('framed encoding is unambiguous across field boundaries and types', () => {
    const a = toHex(framed('d', 'ab', 'c'));
    expect(toHex(framed('d', 'a', 'bc'))).not.toBe(a);
    expect(toHex(framed('da', 'b', 'c'))).not.toBe(a);
    expect(toHex(framed('d', 'abc'))).not.toBe(a);
    // A number field is its 4-byte big-endian value.
    expect(toHex(framed('d', 258))).toBe(toHex(framed('d', new Uint8Array([0, 0, 1, 2]))));
  });
});

describe('Secret redaction', () => {
  const raw = new Uint8Array(randomBytes(32));
  const forms = (b: Uint8Array) => {
    const buf = Buffer.from(b);
    return [
      buf.toString('hex'),
      buf.toString('hex').toUpperCase(),
      buf.toString('base64'),
      buf.toString('base64url'),
    ];
  };
  /** Every way the bytes could leak; decimal byte lists too (how a Uint8Array prints). */
  const leaks = (text: string): string[] => {
    const found = forms(raw).filter((f) => text.includes(f));
    // util.inspect pads and wraps numeric arrays, so compare with all whitespace removed.
    const decimal = Array.from(raw.subarray(0, 8)).join(',');
    if (text.replace(/\s+/g, '').includes(decimal)) found.push(decimal);
    return found;
  };

  it('JSON, String, template literals, util.inspect, util.format and console never show the bytes', () => {
    const secret = new Secret(raw, 'signing-share');
    const holder = {
      id: 'x',
      share: secret,
      nested: { deeper: { list: [secret], map: new Map([['k', secret]]) } },
    };
    let consoleOut = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        consoleOut += String(chunk);
        cb();
      },
    });
    const con = new Console({ stdout: sink, stderr: sink });
    con.log(holder);
    con.log('%o', holder);
    con.log('%O %s %j', holder, holder, holder);
    con.error(secret);
    con.dir(holder, { depth: null, showHidden: true });
    con.table([holder]);

    const outputs: Record<string, string> = {
      json: JSON.stringify(holder),
      jsonSecret: JSON.stringify(secret),
      string: String(secret),
      template: `${secret}`,
      concat: 'v=' + secret,
      inspect: inspect(holder),
      inspectDeep: inspect(holder, { depth: null, showHidden: true, getters: true }),
      inspectNoCustom: inspect(holder, { depth: null, customInspect: false, showHidden: true }),
      formatO: format('%o', holder),
      formatS: format('%s', holder),
      formatJ: format('%j', holder),
      formatSecretS: format('%s', secret),
      console: consoleOut,
      keys: JSON.stringify(Object.keys(secret)) + JSON.stringify(Object.getOwnPropertyNames(secret)),
    };
    // Positive control: the detector finds the bytes when they are printed.
    expect(leaks(inspect(raw)).length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify({ s: toB64u(raw) })).length).toBeGreaterThan(0);
    for (const [how, text] of Object.entries(outputs)) {
      expect(text.length, how).toBeGreaterThan(0);
      expect(leaks(text), how).toEqual([]);
    }
    expect(outputs.json).toContain('[REDACTED signing-share]');
    expect(outputs.inspect).toContain('REDACTED');
    expect(consoleOut).toContain('REDACTED');
    // The bytes are still there for expose().
    expect(toHex(secret.expose())).toBe(toHex(raw));
  });

  it('wipe zeroes the bytes; length and label are kept; non-bytes are rejected', () => {
    const s = new Secret(raw.slice(), 'nonce');
    expect(s.length).toBe(32);
    expect(s.label).toBe('nonce');
    s.wipe();
    expect(s.expose().every((b) => b === 0)).toBe(true);
    expectMpcidError(() => new Secret('00' as unknown as Uint8Array), 'MALFORMED_INPUT');
  });
});
