/**
 * The wire forms both sides of an unseal step build or check (docs/protocol.md §6.3): the step's
 * payload digest over the blob id (and the blob's policy when it requires anything), an oracle's
 * partial of the blob key, and the blob policy itself, which the agent and every oracle parse the
 * same way (§6.4: `registers`, the register values sealing and unsealing require).
 */

import { BLOB_ID_LEN, type BlobPartial } from '../crypto/blobkey.js';
import { abytes, equalBytes, utf8Bytes } from '../crypto/bytes.js';
import { payloadDigest } from '../crypto/ratchet.js';
import type { UnsealResponse__Output } from '../proto/gen/mpcid/oracle/v1/UnsealResponse.js';
import { MpcidError } from './errors.js';
import { jsonObjectOf } from './json-input.js';
import { parseRequiredRegisters, type RequiredRegisters } from './registers.js';

/** Longest policy JSON text a blob takes. */
export const MAX_POLICY_JSON = 4096;

/** A blob's policy: its canonical JSON bytes (bound to the blob) and what it requires. */
export interface SealPolicy {
  readonly bytes: Uint8Array;
  readonly registers?: RequiredRegisters;
}

/**
 * Parses a policy (JSON text; '' is {}). One field is defined, `registers` ({"N": "<64 hex>"});
 * any other field is refused (MALFORMED_INPUT), so a requirement is never silently ignored.
 * Bytes are the canonical JSON (JSON.stringify of the parsed object, registers lowercased).
 */
export function parseSealPolicy(json: string, field = 'policy_json'): SealPolicy {
  const v = jsonObjectOf(json, field, MAX_POLICY_JSON);
  const unknown = Object.keys(v).find((k) => k !== 'registers');
  if (unknown !== undefined)
    throw new MpcidError(
      'MALFORMED_INPUT',
      `${field}: unknown field ${JSON.stringify(unknown)} (only "registers" is defined)`,
    );
  const raw = (v as { registers?: unknown }).registers;
  if (raw === undefined) return { bytes: utf8Bytes('{}') };
  const registers = parseRequiredRegisters(raw, `${field}.registers`);
  return { bytes: utf8Bytes(JSON.stringify({ registers })), registers };
}

/**
 * A policy as an oracle gets it (the bytes the blob binds; empty is {}): parsed as the agent
 * parses it, and refused (MALFORMED_INPUT) unless the bytes are the canonical form.
 */
export function sealPolicyFromBytes(bytes: Uint8Array, field = 'policy'): SealPolicy {
  const text = Buffer.from(bytes).toString('utf8');
  const p = parseSealPolicy(text, field);
  if (text !== '' && !equalBytes(p.bytes, bytes))
    throw new MpcidError('MALFORMED_INPUT', `${field}: not in canonical form`);
  return p;
}

/** The policy bytes H(blob) and the unseal digest bind: only a policy that requires something. */
export function boundPolicy(p: SealPolicy): Uint8Array | undefined {
  return p.registers ? p.bytes : undefined;
}

/**
 * Payload digest of an unseal step: H("unseal", cluster id, blob id[, policy]). The identity is
 * in the step itself; H(blob) is over all of them.
 */
export function unsealPayloadDigest(clusterId: string, blobId: Uint8Array, policy?: Uint8Array): Uint8Array {
  return payloadDigest(
    'unseal',
    clusterId,
    abytes(blobId, 'blob_id', BLOB_ID_LEN),
    ...(policy ? [policy] : []),
  );
}

/** An oracle's partial as the agent checks it: the oracle's node id is its participant. */
export function partialFromWire(nodeId: number, res: UnsealResponse__Output): BlobPartial {
  return { participant: nodeId, partial: new Uint8Array(res.partial), proof: new Uint8Array(res.proof) };
}

export function partialToWire(p: BlobPartial): { partial: Buffer; proof: Buffer } {
  return { partial: Buffer.from(p.partial), proof: Buffer.from(p.proof) };
}
