/**
 * The wire forms both sides of an unseal step build or check (docs/protocol.md §6.3): the step's
 * payload digest over the blob id, and an oracle's partial of the blob key.
 */

import { BLOB_ID_LEN, type BlobPartial } from '../crypto/blobkey.js';
import { abytes } from '../crypto/bytes.js';
import { payloadDigest } from '../crypto/ratchet.js';
import type { UnsealResponse__Output } from '../proto/gen/mpcid/oracle/v1/UnsealResponse.js';

/**
 * Payload digest of an unseal step: H("unseal", cluster id, blob id). The identity is in the
 * step itself; H(blob) is over all three.
 */
export function unsealPayloadDigest(clusterId: string, blobId: Uint8Array): Uint8Array {
  return payloadDigest('unseal', clusterId, abytes(blobId, 'blob_id', BLOB_ID_LEN));
}

/** An oracle's partial as the agent checks it: the oracle's node id is its participant. */
export function partialFromWire(nodeId: number, res: UnsealResponse__Output): BlobPartial {
  return { participant: nodeId, partial: new Uint8Array(res.partial), proof: new Uint8Array(res.proof) };
}

export function partialToWire(p: BlobPartial): { partial: Buffer; proof: Buffer } {
  return { partial: Buffer.from(p.partial), proof: Buffer.from(p.proof) };
}
