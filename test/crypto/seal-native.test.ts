import { randomBytes } from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, framed } from '../../crypto/bytes.js';
import { sha256 } from '../../crypto/hash.js';
import { openEnvelope, sealEnvelope } from '../../crypto/seal.js';
import { Secret } from '../../crypto/secret.js';

/** The envelope AEAD as it was built on @noble/ciphers (the reference for the node:crypto one). */
function nobleSeal(
  key: Uint8Array,
  session: Uint8Array,
  round: number,
  from: number,
  to: number,
  m: Uint8Array,
  bound?: Uint8Array,
) {
  const ad = sha256(framed('mpcid/ecdsa/envelope/v1', 'sign', session, round, from, to));
  return chacha20poly1305(key, ad.subarray(0, 12), bound ? concatBytes(ad, bound) : ad).encrypt(m);
}

describe('ECDSA envelopes on node:crypto ChaCha20-Poly1305', () => {
  it('seal the same bytes as @noble/ciphers and open them; any change fails as ECDSA_ABORT', () => {
    for (let i = 0; i < 200; i++) {
      const key = new Uint8Array(randomBytes(32));
      const session = new Uint8Array(randomBytes(32));
      const len = [0, 1, 15, 16, 63, 64, 65, 1000, 54_000][i % 9]!;
      const m = new Uint8Array(randomBytes(len));
      const bound = i % 2 === 0 ? new Uint8Array(randomBytes(32)) : undefined;
      const sealed = sealEnvelope(new Secret(key.slice(), 'k'), 'sign', session, 2, 1, 0, m, bound);
      expect(Buffer.from(sealed).equals(Buffer.from(nobleSeal(key, session, 2, 1, 0, m, bound)))).toBe(true);
      expect(
        Buffer.from(openEnvelope(new Secret(key.slice(), 'k'), 'sign', session, 2, 1, 0, sealed, bound)),
      ).toEqual(Buffer.from(m));
      const bad = sealed.slice();
      bad[i % bad.length]! ^= 1 << (i % 8);
      expect(() => openEnvelope(new Secret(key.slice(), 'k'), 'sign', session, 2, 1, 0, bad, bound)).toThrow(
        expect.objectContaining({ code: 'ECDSA_ABORT', details: { culprits: [1], check: 'envelope' } }),
      );
      expect(() =>
        openEnvelope(new Secret(key.slice(), 'k'), 'sign', session, 3, 1, 0, sealed, bound),
      ).toThrow(expect.objectContaining({ code: 'ECDSA_ABORT' }));
    }
    expect(() =>
      openEnvelope(
        new Secret(new Uint8Array(32), 'k'),
        'sign',
        new Uint8Array(32),
        1,
        2,
        0,
        new Uint8Array(15),
      ),
    ).toThrow(expect.objectContaining({ code: 'ECDSA_ABORT' }));
  });
});
