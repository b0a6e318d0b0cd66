/**
 * Confidential, authenticated transport of DKG round-2 shares through an untrusted relay
 * (PROTOCOL.md §3: "round-2 packages are secret to their recipient and never travel in clear").
 *
 * Each participant publishes an ephemeral X25519 key (RFC 7748 §5) in its signed round-1 message.
 * A share from sender s to recipient r is sealed with ChaCha20-Poly1305 (RFC 8439) under
 * HKDF-SHA256 (RFC 5869) of X25519(sender secret, recipient public), salted with the enrollment
 * context and bound to (s, r) in the info string, so each key seals exactly one message and a
 * relay can neither read, redirect nor replay a share into another enrollment.
 *
 * X25519 runs on libsodium (`crypto_scalarmult`, constant time) when sodium-native is the active
 * backend (./ed25519-native.ts) and on @noble/curves otherwise: the same function of RFC 7748, the
 * same bytes (test/crypto/node-primitives.test.ts), about 20x faster natively.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { abytes, concatBytes, framed } from './bytes.js';
import { HASH_DOMAINS } from './domains.js';
import { cryptoBackend, needSodium } from './ed25519-native.js';
import { CryptoError } from './errors.js';
import { hkdfSha256, sha256 } from './hash.js';
import { Secret } from './secret.js';

export const BOX_KEY_LEN = 32;
const TAG_LEN = 16;
const ZERO_NONCE = new Uint8Array(12);

/**
 * ChaCha20-Poly1305 (RFC 8439) on node:crypto: ciphertext || 16-byte tag, as @noble/ciphers'
 * chacha20poly1305 produces it (byte-identical, test/crypto/node-primitives.test.ts).
 * `decrypt` throws on any authentication failure.
 */
export function aead(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array) {
  return {
    encrypt(plaintext: Uint8Array): Uint8Array {
      const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LEN });
      c.setAAD(aad, { plaintextLength: plaintext.length });
      const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
    decrypt(sealed: Uint8Array): Uint8Array {
      if (sealed.length < TAG_LEN) throw new Error('sealed message too short');
      const n = sealed.length - TAG_LEN;
      const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LEN });
      d.setAuthTag(sealed.subarray(n));
      d.setAAD(aad, { plaintextLength: n });
      const out = Buffer.concat([d.update(sealed.subarray(0, n)), d.final()]);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}

export interface BoxKeyPair {
  readonly secretKey: Secret;
  readonly publicKey: Uint8Array;
}

/**
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function generateBoxKey(): BoxKeyPair {
  const sk = x25519.utils.randomSecretKey();
  let pk: Uint8Array;
  if (cryptoBackend().name === 'sodium') {
    pk = new Uint8Array(BOX_KEY_LEN);
    needSodium().crypto_scalarmult_base(pk, sk);
  } else pk = x25519.getPublicKey(sk);
  return { secretKey: new Secret(sk, 'box-key'), publicKey: pk };
}

/** X25519(sk, pk); all zeros for a low-order pk (libsodium refuses that result, noble returns it). */
function x25519Shared(sk: Uint8Array, pk: Uint8Array): Uint8Array {
  if (cryptoBackend().name !== 'sodium') return x25519.getSharedSecret(sk, pk);
  const out = new Uint8Array(BOX_KEY_LEN);
  try {
    needSodium().crypto_scalarmult(out, sk, pk);
  } catch {
    out.fill(0);
  }
  return out;
}

function pairKey(
  mySecret: Secret,
  peerPublic: Uint8Array,
  context: Uint8Array,
  sender: number,
  recipient: number,
) {
  abytes(peerPublic, 'boxPublicKey', BOX_KEY_LEN);
  let shared: Uint8Array;
  try {
    shared = x25519Shared(mySecret.expose(), peerPublic);
  } catch {
    throw new CryptoError('MALFORMED_POINT', 'boxPublicKey: invalid X25519 public key');
  }
  if (shared.every((b) => b === 0))
    throw new CryptoError('MALFORMED_POINT', 'boxPublicKey: low-order X25519 key');
  const info = framed(HASH_DOMAINS.dkgRound2Seal, sender, recipient);
  const key = hkdfSha256(shared, context, info, 32);
  shared.fill(0);
  return key;
}

/**
 * Seals a round-2 share from `sender` to `recipient`.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function sealShare(args: {
  senderKey: Secret;
  recipientPublic: Uint8Array;
  context: Uint8Array;
  sender: number;
  recipient: number;
  share: Secret;
}): Uint8Array {
  const key = pairKey(args.senderKey, args.recipientPublic, args.context, args.sender, args.recipient);
  try {
    return aead(key, ZERO_NONCE, args.context).encrypt(args.share.expose());
  } finally {
    key.fill(0);
  }
}

/**
 * Seals `sender`'s round-2 share for each recipient (recipient -> share), and wipes the shares.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function sealShares(
  shares: ReadonlyMap<number, Secret>,
  a: {
    senderKey: Secret;
    context: Uint8Array;
    sender: number;
    recipientPublic: (recipient: number) => Uint8Array;
  },
): { sender: number; recipient: number; sealed: Uint8Array }[] {
  const out = [...shares].map(([recipient, share]) => ({
    sender: a.sender,
    recipient,
    sealed: sealShare({
      senderKey: a.senderKey,
      recipientPublic: a.recipientPublic(recipient),
      context: a.context,
      sender: a.sender,
      recipient,
      share,
    }),
  }));
  for (const s of shares.values()) s.wipe();
  return out;
}

/**
 * Opens a sealed share; a tampered, misaddressed or replayed box fails with DKG_FAILED naming the sender.
 * May throw CryptoError: BAD_LENGTH, DKG_FAILED, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function openShare(args: {
  recipientKey: Secret;
  senderPublic: Uint8Array;
  context: Uint8Array;
  sender: number;
  recipient: number;
  sealed: Uint8Array;
}): Secret {
  abytes(args.sealed, 'sealedShare', 32 + TAG_LEN);
  const key = pairKey(args.recipientKey, args.senderPublic, args.context, args.sender, args.recipient);
  try {
    return new Secret(aead(key, ZERO_NONCE, args.context).decrypt(args.sealed), 'dkg-share');
  } catch {
    throw new CryptoError(
      'DKG_FAILED',
      `sealed round-2 share from participant ${args.sender} does not open`,
      {
        culprits: [args.sender],
      },
    );
  } finally {
    key.fill(0);
  }
}

/**
 * Opens the sealed round-2 shares addressed to `recipient`: exactly one from each of `senders`
 * (BAD_LENGTH / BAD_PARTICIPANT otherwise), each under its sender's box key.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, DKG_FAILED, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function openShares(
  sealed: readonly { sender: number; recipient: number; sealed: Uint8Array }[],
  a: {
    recipient: number;
    recipientKey: Secret;
    context: Uint8Array;
    senders: readonly number[];
    senderPublic: (sender: number) => Uint8Array | undefined;
  },
): Map<number, Secret> {
  if (sealed.length !== a.senders.length)
    throw new CryptoError('BAD_LENGTH', `expected ${a.senders.length} sealed shares`);
  const out = new Map<number, Secret>();
  for (const s of sealed) {
    const key = a.senders.includes(s.sender) ? a.senderPublic(s.sender) : undefined;
    if (!key || out.has(s.sender) || s.recipient !== a.recipient)
      throw new CryptoError(
        'BAD_PARTICIPANT',
        `sealed share from ${s.sender} to ${s.recipient} is not expected here`,
        { culprits: [s.sender] },
      );
    out.set(
      s.sender,
      openShare({
        recipientKey: a.recipientKey,
        senderPublic: key,
        context: a.context,
        sender: s.sender,
        recipient: a.recipient,
        sealed: new Uint8Array(s.sealed),
      }),
    );
  }
  return out;
}

/**
 * Pairwise channel of one identity's threshold-ECDSA parties (docs/protocol.md §6.2): the agent
 * (party 0) and every oracle (party = node id) derive, from the X25519 keys they exchanged during
 * ES256 setup, one ChaCha20-Poly1305 key per pair. Every DKLs23 message between two parties is
 * sealed under it, so the agent, which relays oracle-to-oracle messages, can neither read nor
 * alter them, and an oracle knows a message from party 0 came from the identity's agent.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function channelKey(
  mySecret: Secret,
  peerPublic: Uint8Array,
  context: Uint8Array,
  a: number,
  b: number,
): Secret {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  const key = pairKey(mySecret, peerPublic, context, lo, hi);
  // pairKey's info string names the DKG; re-derive so the channel key is domain-separated.
  const out = hkdfSha256(key, context, framed(HASH_DOMAINS.ecdsaChannel, lo, hi), 32);
  key.fill(0);
  return new Secret(out, 'channel-key');
}

/** The AEAD of one envelope: nonce and associated data from (purpose, session, round, from, to), plus `bound`. */
function envelopeCipher(
  key: Secret,
  purpose: string,
  session: Uint8Array,
  round: number,
  from: number,
  to: number,
  bound?: Uint8Array,
) {
  const ad = sha256(framed(HASH_DOMAINS.ecdsaEnvelope, purpose, session, round, from, to));
  return aead(key.expose(), ad.subarray(0, 12), bound ? concatBytes(ad, bound) : ad);
}

/**
 * Seals one message from `from` to `to` for round `round` of `session`. The nonce and associated
 * data are derived from (purpose, session, round, from, to), so a relay cannot replay, reorder or
 * redirect a message, and each (key, nonce) seals one plaintext. `bound` (optional) is further
 * associated data the message is bound to (e.g. the digest of what travels with it).
 */
export function sealEnvelope(
  key: Secret,
  purpose: string,
  session: Uint8Array,
  round: number,
  from: number,
  to: number,
  plaintext: Uint8Array,
  bound?: Uint8Array,
): Uint8Array {
  return envelopeCipher(key, purpose, session, round, from, to, bound).encrypt(plaintext);
}

/**
 * Opens a sealed envelope; anything but the exact message fails with ECDSA_ABORT naming `from`.
 * May throw CryptoError: BAD_LENGTH, ECDSA_ABORT, MALFORMED_INPUT.
 */
export function openEnvelope(
  key: Secret,
  purpose: string,
  session: Uint8Array,
  round: number,
  from: number,
  to: number,
  sealed: Uint8Array,
  bound?: Uint8Array,
): Uint8Array {
  try {
    return envelopeCipher(key, purpose, session, round, from, to, bound).decrypt(abytes(sealed, 'envelope'));
  } catch {
    throw new CryptoError('ECDSA_ABORT', `message from party ${from} (round ${round}) does not open`, {
      culprits: [from],
      check: 'envelope',
    });
  }
}
