/**
 * Confidential, authenticated transport of DKG round-2 shares through an untrusted relay
 * (PROTOCOL.md §3: "round-2 packages are secret to their recipient and never travel in clear").
 *
 * Each participant publishes an ephemeral X25519 key (RFC 7748 §5) in its signed round-1 message.
 * A share from sender s to recipient r is sealed with ChaCha20-Poly1305 (RFC 8439) under
 * HKDF-SHA256 (RFC 5869) of X25519(sender secret, recipient public), salted with the enrollment
 * context and bound to (s, r) in the info string, so each key seals exactly one message and a
 * relay can neither read, redirect nor replay a share into another enrollment.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { MpcidError } from '../common/errors.js';
import { abytes, framed } from './bytes.js';
import { sha256 } from './hash.js';
import { Secret } from './secret.js';

export const BOX_KEY_LEN = 32;
const TAG_LEN = 16;
const ZERO_NONCE = new Uint8Array(12);

export interface BoxKeyPair {
  readonly secretKey: Secret;
  readonly publicKey: Uint8Array;
}

export function generateBoxKey(): BoxKeyPair {
  const sk = x25519.utils.randomSecretKey();
  return { secretKey: new Secret(sk, 'box-key'), publicKey: x25519.getPublicKey(sk) };
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
    shared = x25519.getSharedSecret(mySecret.expose(), peerPublic);
  } catch {
    throw new MpcidError('MALFORMED_POINT', 'boxPublicKey: invalid X25519 public key');
  }
  if (shared.every((b) => b === 0))
    throw new MpcidError('MALFORMED_POINT', 'boxPublicKey: low-order X25519 key');
  const info = framed('mpcid/dkg/round2-seal/v1', sender, recipient);
  const key = hkdf(sha256, shared, context, info, 32);
  shared.fill(0);
  return key;
}

/** Seals a round-2 share from `sender` to `recipient`. */
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
    return chacha20poly1305(key, ZERO_NONCE, args.context).encrypt(args.share.expose());
  } finally {
    key.fill(0);
  }
}

/** Opens a sealed share; a tampered, misaddressed or replayed box fails with DKG_FAILED naming the sender. */
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
    return new Secret(chacha20poly1305(key, ZERO_NONCE, args.context).decrypt(args.sealed), 'dkg-share');
  } catch {
    throw new MpcidError('DKG_FAILED', `sealed round-2 share from participant ${args.sender} does not open`);
  } finally {
    key.fill(0);
  }
}
