/**
 * Encryption at rest of the secrets an oracle persists (docs/protocol.md §9): an AEAD under a
 * key-encryption key (KEK, 32 random bytes the operator keeps outside the data dir).
 *
 * The KEK is never used directly: HKDF-SHA256 derives one subkey for sealing and one for the
 * check value stored beside the data, so a wrong KEK is caught at startup without decrypting
 * anything. Sealing is XChaCha20-Poly1305 (RFC 8439 with a 192-bit nonce): random nonces are safe
 * for any number of records under one key. It runs as its draft (draft-irtf-cfrg-xchacha-03 §2.3)
 * defines it: HChaCha20 (./ecdsa/xchacha.ts) makes the subkey from the first 16 nonce bytes, then
 * node:crypto's ChaCha20-Poly1305 (./seal.ts aead) seals under it with nonce 0^4 || the last 8;
 * the same bytes as @noble/ciphers' xchacha20poly1305 (test/crypto/node-primitives.test.ts), in an
 * eighth of the time on an identity record with its ES256 pair states (~75 KB, seal + open). The
 * caller's AAD binds each ciphertext to its place (record, node, field names, schema), so a
 * ciphertext copied to another record does not open.
 */
import { randomBytes } from 'node:crypto';
import { abytes, concatBytes, framed } from './bytes.js';
import { HASH_DOMAINS } from './domains.js';
import { hchacha20 } from './ecdsa/xchacha.js';
import { CryptoError } from './errors.js';
import { hkdfSha256 } from './hash.js';
import { aead } from './seal.js';
import { Secret } from './secret.js';

export const KEK_LEN = 32;
const NONCE_LEN = 24;
const TAG_LEN = 16;

/** XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2.3) under `key` with a 24-byte nonce. */
export function xchacha20poly1305(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) {
  abytes(nonce, 'nonce', NONCE_LEN);
  const sub = hchacha20(key, nonce.subarray(0, 16));
  const n12 = new Uint8Array(12);
  n12.set(nonce.subarray(16), 4);
  const c = aead(sub, n12, aad);
  return {
    encrypt(plaintext: Uint8Array): Uint8Array {
      try {
        return c.encrypt(plaintext);
      } finally {
        sub.fill(0);
      }
    },
    decrypt(sealed: Uint8Array): Uint8Array {
      try {
        return c.decrypt(sealed);
      } finally {
        sub.fill(0);
      }
    },
  };
}

function subkey(kek: Secret, purpose: string, salt: Uint8Array): Uint8Array {
  abytes(kek.expose(), 'kek', KEK_LEN);
  return hkdfSha256(kek.expose(), salt, framed(HASH_DOMAINS.kek, purpose), 32);
}

/**
 * The KEK check value: HKDF(KEK, salt = `context`, "check"), 32 bytes. Reveals nothing about the
 * KEK (nor about the sealing subkey); equal check values mean the same KEK for the same context.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function kekCheckValue(kek: Secret, context: Uint8Array): Uint8Array {
  return subkey(kek, 'check', context);
}

/**
 * Seals `plaintext` under the KEK with `aad`: nonce (24) || ciphertext || tag (16).
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function sealAtRest(
  kek: Secret,
  context: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const key = subkey(kek, 'seal', context);
  try {
    const nonce = new Uint8Array(randomBytes(NONCE_LEN));
    return concatBytes(nonce, xchacha20poly1305(key, nonce, aad).encrypt(plaintext));
  } finally {
    key.fill(0);
  }
}

/**
 * Opens a sealed value; STATE_CORRUPT (naming `what`, never the bytes) if it is truncated, was
 * altered, was sealed for another place (AAD) or under another KEK. Nothing is returned then.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, STATE_CORRUPT.
 */
export function openAtRest(
  kek: Secret,
  context: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  what: string,
): Secret {
  if (sealed.length < NONCE_LEN + TAG_LEN)
    throw new CryptoError('STATE_CORRUPT', `${what}: sealed value is truncated`);
  const key = subkey(kek, 'seal', context);
  try {
    const plain = xchacha20poly1305(key, sealed.subarray(0, NONCE_LEN), aad).decrypt(
      sealed.subarray(NONCE_LEN),
    );
    return new Secret(plain, 'at-rest-plaintext');
  } catch {
    throw new CryptoError(
      'STATE_CORRUPT',
      `${what}: sealed secrets fail authentication (altered, moved from another record, or sealed under another key)`,
    );
  } finally {
    key.fill(0);
  }
}
