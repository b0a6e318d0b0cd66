/**
 * A sealed blob (docs/protocol.md §6.3): its encoding, and its AEAD under the threshold blob key.
 *
 *   blob = "MPCIDBLOB" || 0x01 || framed fields (u32 big-endian length, then bytes):
 *          cluster id, identity id, blob id (32), policy (JSON text, <= 4 KiB), nonce (12),
 *          ciphertext || tag (ChaCha20-Poly1305, RFC 8439)
 *   key  = HKDF-SHA256(K, salt = blob id, info = framed(blobKey, cluster, identity, blob id))
 *   AAD  = framed(blobAead, cluster, identity, blob id, policy)
 *
 * K = x·H(blob) comes from crypto/blobkey.ts. Changing any byte of the blob (the context, the
 * policy, the nonce or the ciphertext) makes it fail to open (BLOB_INVALID): the context changes
 * H(blob) and so K, and the AEAD binds all of it.
 */
import { randomBytes } from 'node:crypto';
import { BLOB_ID_LEN, type BlobContext } from './blobkey.js';
import { concatBytes, equalBytes, framed, u32be, utf8Bytes } from './bytes.js';
import { HASH_DOMAINS } from './domains.js';
import { CryptoError } from './errors.js';
import { hkdfSha256 } from './hash.js';
import { aead } from './seal.js';
import type { Secret } from './secret.js';

/** Largest plaintext a blob holds: 64 KiB. */
export const MAX_PLAINTEXT = 65_536;
/** Largest policy a blob carries (JSON text). */
export const MAX_POLICY = 4_096;
const MAGIC = utf8Bytes('MPCIDBLOB');
const VERSION = 1;
const NONCE_LEN = 12;
const TAG_LEN = 16;
const MAX_ID = 256;
/** Largest blob: every field at its limit, plus framing. */
export const MAX_BLOB =
  MAGIC.length + 1 + 6 * 4 + 2 * MAX_ID + BLOB_ID_LEN + MAX_POLICY + NONCE_LEN + MAX_PLAINTEXT + TAG_LEN;

export interface ParsedBlob extends BlobContext {
  readonly policy: Uint8Array;
  readonly nonce: Uint8Array;
  readonly sealed: Uint8Array;
}

function blobAead(key: Secret, b: Omit<ParsedBlob, 'sealed'>) {
  const k = hkdfSha256(
    key.expose(),
    b.blobId,
    framed(HASH_DOMAINS.blobKey, b.clusterId, b.identityId, b.blobId),
    32,
  );
  return aead(k, b.nonce, framed(HASH_DOMAINS.blobAead, b.clusterId, b.identityId, b.blobId, b.policy));
}

/**
 * Seals `plaintext` under K for `ctx` with `policy` bound, and encodes the blob.
 * May throw CryptoError: MALFORMED_INPUT, BAD_LENGTH.
 */
export function sealBlob(
  key: Secret,
  ctx: BlobContext,
  policy: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  if (!(plaintext instanceof Uint8Array) || plaintext.length > MAX_PLAINTEXT)
    throw new CryptoError('MALFORMED_INPUT', `plaintext: at most ${MAX_PLAINTEXT} bytes`);
  if (!(policy instanceof Uint8Array) || policy.length > MAX_POLICY)
    throw new CryptoError('MALFORMED_INPUT', `policy: at most ${MAX_POLICY} bytes`);
  if (utf8Bytes(ctx.clusterId).length > MAX_ID || utf8Bytes(ctx.identityId).length > MAX_ID)
    throw new CryptoError('MALFORMED_INPUT', `cluster and identity ids: at most ${MAX_ID} bytes`);
  const nonce = new Uint8Array(randomBytes(NONCE_LEN));
  const sealed = blobAead(key, { ...ctx, policy, nonce }).encrypt(plaintext);
  const fields = [utf8Bytes(ctx.clusterId), utf8Bytes(ctx.identityId), ctx.blobId, policy, nonce, sealed];
  return concatBytes(MAGIC, Uint8Array.of(VERSION), ...fields.flatMap((f) => [u32be(f.length), f]));
}

/**
 * Decodes a blob without opening it (its context says which identity and blob it is for).
 * May throw CryptoError: BLOB_INVALID.
 */
export function parseBlob(blob: Uint8Array): ParsedBlob {
  const bad = (why: string) => new CryptoError('BLOB_INVALID', `blob: ${why}`);
  if (!(blob instanceof Uint8Array)) throw bad('expected bytes');
  if (blob.length > MAX_BLOB) throw bad(`larger than ${MAX_BLOB} bytes`);
  if (blob.length < MAGIC.length + 1 || !equalBytes(blob.subarray(0, MAGIC.length), MAGIC))
    throw bad('not an mpcid sealed blob');
  if (blob[MAGIC.length] !== VERSION) throw bad(`unknown version ${blob[MAGIC.length]}`);
  let at = MAGIC.length + 1;
  const limits = [MAX_ID, MAX_ID, BLOB_ID_LEN, MAX_POLICY, NONCE_LEN, MAX_PLAINTEXT + TAG_LEN];
  const fields: Uint8Array[] = [];
  for (const max of limits) {
    if (at + 4 > blob.length) throw bad('truncated');
    const len = new DataView(blob.buffer, blob.byteOffset + at, 4).getUint32(0);
    at += 4;
    if (len > max || at + len > blob.length) throw bad('a field is longer than allowed or truncated');
    fields.push(blob.slice(at, at + len));
    at += len;
  }
  if (at !== blob.length) throw bad('trailing bytes');
  const [cluster, identity, blobId, policy, nonce, sealed] = fields as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  if (blobId.length !== BLOB_ID_LEN || nonce.length !== NONCE_LEN || sealed.length < TAG_LEN)
    throw bad('wrong field length');
  const text = (b: Uint8Array) => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      throw bad('ids are not UTF-8');
    }
  };
  const clusterId = text(cluster);
  const identityId = text(identity);
  if (!clusterId || !identityId) throw bad('empty cluster or identity id');
  return { clusterId, identityId, blobId, policy, nonce, sealed };
}

/**
 * Opens a parsed blob under K; any authentication failure is BLOB_INVALID (no plaintext is
 * released before the tag verified).
 * May throw CryptoError: BLOB_INVALID.
 */
export function openBlob(key: Secret, b: ParsedBlob): Uint8Array {
  try {
    return blobAead(key, b).decrypt(b.sealed);
  } catch {
    throw new CryptoError('BLOB_INVALID', 'blob: does not open (tampered with, or sealed under another key)');
  }
}
