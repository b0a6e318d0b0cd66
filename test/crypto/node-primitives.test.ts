/**
 * The hashes, HKDF and ChaCha20-Poly1305 of sealed messages run on node:crypto (crypto/hash.ts,
 * crypto/seal.ts): byte for byte what @noble/hashes and @noble/ciphers give, over random inputs of
 * every size class (empty, small, one block boundary, the ~54 KB of an ES256 round), and every
 * altered sealed message still fails to open. X25519 of the box keys runs on libsodium when it is
 * the active backend: the same keys and shared secrets as noble's, and the same refusals.
 */
import { randomBytes } from 'node:crypto';
import { chacha20poly1305, xchacha20poly1305 as nobleXchacha } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { xchacha20poly1305 } from '../../crypto/atrest.js';
import { framed } from '../../crypto/bytes.js';
import { cryptoBackend, setCryptoBackend } from '../../crypto/ed25519-native.js';
import { hkdfSha256, sha256, sha512 } from '../../crypto/hash.js';
import {
  type BoxKeyPair,
  channelKey,
  generateBoxKey,
  openEnvelope,
  openShare,
  sealEnvelope,
  sealShare,
} from '../../crypto/seal.js';
import { Secret } from '../../crypto/secret.js';
import { expectMpcidError } from './helpers.js';

const SIZES = [0, 1, 31, 32, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 54_321];

/** `share` sealed by party 1 (box key `a`) for party 2 (`b`), and such a box opened by party 2. */
const seal12 = (a: BoxKeyPair, b: BoxKeyPair, context: Uint8Array, share: Secret) =>
  sealShare({
    senderKey: a.secretKey,
    recipientPublic: b.publicKey,
    context,
    sender: 1,
    recipient: 2,
    share,
  });
const open12 = (a: BoxKeyPair, b: BoxKeyPair, context: Uint8Array, sealed: Uint8Array) =>
  openShare({
    recipientKey: b.secretKey,
    senderPublic: a.publicKey,
    context,
    sender: 1,
    recipient: 2,
    sealed,
  });
const bytes = (n: number) => new Uint8Array(randomBytes(n));

describe('node:crypto primitives = noble, byte for byte', () => {
  it('SHA-256 and SHA-512', () => {
    for (const n of SIZES) {
      const m = bytes(n);
      expect(sha256(m)).toEqual(nobleSha256(m));
      expect(sha512(m)).toEqual(nobleSha512(m));
      expect(sha256(m)).toBeInstanceOf(Uint8Array);
    }
  });

  it('HKDF-SHA256', () => {
    for (const n of [0, 16, 32, 80]) {
      const [ikm, salt, info] = [bytes(32), bytes(n), bytes(n % 50)];
      expect(hkdfSha256(ikm, salt, info, 32)).toEqual(hkdf(nobleSha256, ikm, salt, info, 32));
    }
  });

  it('sealed envelopes: the ciphertext and tag noble makes, opened by both, bound to their context', () => {
    const a = generateBoxKey();
    const b = generateBoxKey();
    const ctx = bytes(32);
    const key = channelKey(a.secretKey, b.publicKey, ctx, 0, 2);
    expect(channelKey(b.secretKey, a.publicKey, ctx, 2, 0).expose()).toEqual(key.expose());
    const session = bytes(32);
    for (const n of SIZES) {
      const plain = bytes(n);
      const bound = n % 2 ? bytes(32) : undefined;
      const sealed = sealEnvelope(key, 'test', session, 2, 0, 2, plain, bound);
      // The reference: noble's chacha20poly1305 with the same nonce and associated data.
      const ad = sha256(framed('mpcid/ecdsa/envelope/v1', 'test', session, 2, 0, 2));
      const aad = bound ? new Uint8Array([...ad, ...bound]) : ad;
      const ref = chacha20poly1305(key.expose(), ad.subarray(0, 12), aad);
      expect(sealed).toEqual(ref.encrypt(plain));
      expect(openEnvelope(key, 'test', session, 2, 0, 2, sealed, bound)).toEqual(plain);
      expect(ref.decrypt(sealed)).toEqual(plain);
      // Any altered byte, another round, or a truncated tag: ECDSA_ABORT naming the sender.
      const bad = sealed.slice();
      bad[(n * 7) % bad.length]! ^= 1;
      expectMpcidError(() => openEnvelope(key, 'test', session, 2, 0, 2, bad, bound), 'ECDSA_ABORT');
      expectMpcidError(() => openEnvelope(key, 'test', session, 3, 0, 2, sealed, bound), 'ECDSA_ABORT');
      expectMpcidError(
        () => openEnvelope(key, 'test', session, 2, 0, 2, sealed.subarray(0, sealed.length - 1), bound),
        'ECDSA_ABORT',
      );
    }
    expectMpcidError(() => openEnvelope(key, 'test', session, 2, 0, 2, new Uint8Array(5)), 'ECDSA_ABORT');
  });

  it('sealed DKG shares: the bytes noble makes; a tampered box does not open', () => {
    const a = generateBoxKey();
    const b = generateBoxKey();
    const context = bytes(32);
    const share = new Secret(bytes(32), 'share');
    const sealed = seal12(a, b, context, share);
    expect(sealed).toHaveLength(48);
    const opened = open12(a, b, context, sealed);
    expect(opened.expose()).toEqual(share.expose());
    // The reference path: same HKDF key, noble's AEAD.
    const shared = x25519.getSharedSecret(a.secretKey.expose(), b.publicKey);
    const k = hkdf(nobleSha256, shared, context, framed('mpcid/dkg/round2-seal/v1', 1, 2), 32);
    expect(chacha20poly1305(k, new Uint8Array(12), context).encrypt(share.expose())).toEqual(sealed);
    const bad = sealed.slice();
    bad[40]! ^= 0x80;
    expectMpcidError(() => open12(a, b, context, bad), 'DKG_FAILED');
  });
});

describe('XChaCha20-Poly1305 of keys at rest: HChaCha20 + node:crypto = noble', () => {
  it('seals byte for byte as @noble/ciphers, and refuses every altered byte', () => {
    for (const n of SIZES) {
      const key = bytes(32);
      const nonce = bytes(24);
      const aad = bytes(n % 40);
      const m = bytes(n);
      const sealed = xchacha20poly1305(key, nonce, aad).encrypt(m);
      expect(sealed).toEqual(nobleXchacha(key, nonce, aad).encrypt(m));
      expect(xchacha20poly1305(key, nonce, aad).decrypt(sealed)).toEqual(m);
      expect(nobleXchacha(key, nonce, aad).decrypt(sealed)).toEqual(m);
      for (const i of [0, Math.floor(sealed.length / 2), sealed.length - 1]) {
        const bad = sealed.slice();
        bad[i]! ^= 0x01;
        expect(() => xchacha20poly1305(key, nonce, aad).decrypt(bad)).toThrow();
      }
      const otherNonce = nonce.slice();
      otherNonce[3]! ^= 1; // the HChaCha20 part of the nonce
      expect(() => xchacha20poly1305(key, otherNonce, aad).decrypt(sealed)).toThrow();
      otherNonce[3]! ^= 1;
      otherNonce[20]! ^= 1; // the ChaCha20 part
      expect(() => xchacha20poly1305(key, otherNonce, aad).decrypt(sealed)).toThrow();
    }
  });
});

describe('X25519 of the box keys: libsodium = noble', () => {
  it('public keys and shared secrets, byte for byte, on both backends', () => {
    expect(cryptoBackend().name).toBe('sodium');
    const context = bytes(32);
    for (let i = 0; i < 50; i++) {
      const a = generateBoxKey();
      setCryptoBackend('noble');
      const b = generateBoxKey();
      setCryptoBackend('sodium');
      expect(a.publicKey).toEqual(x25519.getPublicKey(a.secretKey.expose()));
      expect(b.publicKey).toEqual(x25519.getPublicKey(b.secretKey.expose()));
      // A share sealed on one backend opens on the other.
      const share = new Secret(bytes(32), 'share');
      const sealed = seal12(a, b, context, share);
      setCryptoBackend('noble');
      try {
        const opened = open12(a, b, context, sealed);
        expect(opened.expose()).toEqual(share.expose());
        const onNoble = channelKey(b.secretKey, a.publicKey, context, 2, 1).expose();
        setCryptoBackend('sodium');
        expect(onNoble).toEqual(channelKey(a.secretKey, b.publicKey, context, 1, 2).expose());
      } finally {
        setCryptoBackend('sodium');
      }
    }
  });

  it('a low-order public key is refused on both backends', () => {
    // u = 0, u = 1 and a point of order 8 (RFC 7748 §6.1's "all-zero output" cases).
    const lowOrder = [
      new Uint8Array(32),
      Uint8Array.from([1, ...new Uint8Array(31)]),
      Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')),
    ];
    for (const backend of ['sodium', 'noble'] as const) {
      setCryptoBackend(backend);
      try {
        const a = generateBoxKey();
        for (const pk of lowOrder) {
          expectMpcidError(
            () =>
              sealShare({
                senderKey: a.secretKey,
                recipientPublic: pk,
                context: bytes(32),
                sender: 1,
                recipient: 2,
                share: new Secret(bytes(32), 'share'),
              }),
            'MALFORMED_POINT',
          );
        }
      } finally {
        setCryptoBackend('sodium');
      }
    }
  });
});
