/**
 * The agent's side of sealed secrets (docs/protocol.md §6.3): Seal(plaintext, policy) -> blob and
 * Unseal(blob) -> plaintext, for the identity this agent holds.
 *
 * Choice: the blob id is random (32 bytes), and sealing is itself an unseal-kind step: the agent
 * computes the blob's key K = x·H(blob) with t oracles exactly as an unseal does, seals, and
 * forgets K. So there is one threshold path, sealing is audited like unsealing, and a revoked
 * identity can neither seal nor unseal. Each step goes to every oracle (as a heartbeat does); t
 * partials' DLEQ proofs are checked, a bad one is logged with its oracle and replaced by the next,
 * and t good ones with the agent's own w shares give K.
 *
 * Checks before any step, so a refused request changes nothing stored: the plaintext's size
 * (PLAINTEXT_TOO_LARGE), the policy (MALFORMED_INPUT), the blob's encoding (BLOB_INVALID) and
 * whether it names this cluster and identity (BLOB_WRONG_IDENTITY). A tampered blob that still
 * names this identity costs one unseal step (in the oracles' audit logs) and fails to open
 * (BLOB_INVALID); nothing is written.
 */
import { randomBytes } from 'node:crypto';
import { MpcidError } from '../common/errors.js';
import { LOG, type Logger } from '../common/log.js';
import { partialFromWire, unsealPayloadDigest } from '../common/unseal-wire.js';
import { MAX_PLAINTEXT, openBlob, parseBlob, sealBlob } from '../crypto/blob.js';
import { BLOB_ID_LEN, type BlobContext, type BlobPartial, combineBlobKey } from '../crypto/blobkey.js';
import { utf8Bytes } from '../crypto/bytes.js';
import { CryptoError, isCryptoError } from '../crypto/errors.js';
import type { Secret } from '../crypto/secret.js';
import type { UnsealResponse__Output } from '../proto/gen/mpcid/oracle/v1/UnsealResponse.js';
import type { Cosigner } from './cosigner.js';
import type { AgentState } from './state.js';

export { MAX_PLAINTEXT };

const MAX_POLICY_JSON = 4096;

/**
 * The policy bound to a blob, as canonical JSON text. No policy field is defined yet (measurement
 * registers will be the first): any field is refused, so a requirement is never silently ignored.
 */
export function sealPolicy(json: string): Uint8Array {
  if (json.length > MAX_POLICY_JSON)
    throw new MpcidError('MESSAGE_TOO_LARGE', `policy_json: at most ${MAX_POLICY_JSON} characters`);
  let v: unknown = {};
  if (json !== '') {
    try {
      v = JSON.parse(json);
    } catch {
      throw new MpcidError('MALFORMED_INPUT', 'policy_json: not JSON');
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new MpcidError('MALFORMED_INPUT', 'policy_json: expected a JSON object');
  const keys = Object.keys(v);
  if (keys.length > 0)
    throw new MpcidError(
      'MALFORMED_INPUT',
      `policy_json: unknown field ${JSON.stringify(keys[0])} (none is defined yet)`,
    );
  return utf8Bytes(JSON.stringify(v));
}

export class Unsealer {
  readonly #state: AgentState;
  readonly #cosigner: Cosigner;
  readonly #log: Logger;

  constructor(state: AgentState, cosigner: Cosigner, log: Logger) {
    this.#state = state;
    this.#cosigner = cosigner;
    this.#log = log;
  }

  /** Seals `plaintext` (at most 64 KiB) to this identity, binding `policyJson`. */
  async seal(plaintext: Uint8Array, policyJson: string): Promise<Uint8Array> {
    if (plaintext.length > MAX_PLAINTEXT)
      throw new MpcidError(
        'PLAINTEXT_TOO_LARGE',
        `plaintext: ${plaintext.length} bytes, at most ${MAX_PLAINTEXT}`,
      );
    const policy = sealPolicy(policyJson);
    const ctx = this.#context(new Uint8Array(randomBytes(BLOB_ID_LEN)));
    const key = await this.#key(ctx);
    try {
      return sealBlob(key, ctx, policy, plaintext);
    } finally {
      key.wipe();
    }
  }

  /** Opens a blob sealed by this identity; returns its plaintext and policy. */
  async unseal(blob: Uint8Array): Promise<{ plaintext: Uint8Array; policy: string }> {
    const parsed = parseBlob(blob);
    const { cluster, identityId } = this.#state;
    if (parsed.clusterId !== cluster.id || parsed.identityId !== identityId)
      throw new MpcidError(
        'BLOB_WRONG_IDENTITY',
        `blob: sealed by identity ${parsed.identityId} of cluster ${parsed.clusterId}, not this agent's`,
      );
    const key = await this.#key(this.#context(parsed.blobId));
    try {
      return { plaintext: openBlob(key, parsed), policy: new TextDecoder().decode(parsed.policy) };
    } finally {
      key.wipe();
    }
  }

  #context(blobId: Uint8Array): BlobContext {
    return { clusterId: this.#state.cluster.id, identityId: this.#state.identityId, blobId };
  }

  /** K for `ctx`: one unseal step on every oracle, t good partials and the agent's own w. */
  async #key(ctx: BlobContext): Promise<Secret> {
    const blobId = Buffer.from(ctx.blobId);
    const answers = await this.#cosigner.stepEveryOracle<UnsealResponse__Output>(
      'unseal',
      unsealPayloadDigest(ctx.clusterId, ctx.blobId),
      (c, step, certificate, patient, call) =>
        call(c.signer, c.signer.Unseal, { step, certificate, blobId }, patient),
    );
    const { group } = this.#state;
    const { t } = group.as;
    // Partials by node id; a bad one is named by combineBlobKey, left out, and the next tried.
    let pool: BlobPartial[] = [...answers]
      .sort(([a], [b]) => a - b)
      .map(([nodeId, res]) => partialFromWire(nodeId, res));
    const culprits: number[] = [];
    while (pool.length >= t) {
      try {
        return combineBlobKey(group, ctx, this.#state.shares, pool.slice(0, t));
      } catch (e) {
        if (!isCryptoError(e, 'BAD_UNSEAL_PARTIAL')) throw e;
        const bad = e.culprits();
        culprits.push(...bad);
        pool = pool.filter((p) => !bad.includes(p.participant));
        this.#log.warn(
          { [LOG.peer]: bad.join(','), [LOG.errorCode]: e.code },
          'an oracle sent a bad unseal partial; left out',
        );
      }
    }
    if (culprits.length > 0) {
      const msg = `oracles ${culprits.join(', ')} sent unseal partials that do not verify; ${pool.length} good, quorum is ${t}`;
      // The culprits travel typed (culpritsOf), never parsed back out of the message.
      throw new MpcidError('BAD_UNSEAL_PARTIAL', msg, {
        cause: new CryptoError('BAD_UNSEAL_PARTIAL', msg, { culprits }),
      });
    }
    throw new MpcidError(
      'QUORUM_UNAVAILABLE',
      `only ${pool.length} oracles answered the unseal step, quorum is ${t}`,
    );
  }
}
