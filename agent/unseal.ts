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
 * A policy that requires register values (docs/protocol.md §6.4) is bound into H(blob) and sent
 * to the oracles with the step; each refuses its partial (REGISTER_MISMATCH, the step still
 * counts) unless its registers hold those values, when sealing as when unsealing.
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
import {
  boundPolicy,
  parseSealPolicy,
  partialFromWire,
  sealPolicyFromBytes,
  unsealPayloadDigest,
} from '../common/unseal-wire.js';
import { MAX_PLAINTEXT, openBlob, parseBlob, sealBlob } from '../crypto/blob.js';
import { BLOB_ID_LEN, type BlobContext, type BlobPartial, combineBlobKey } from '../crypto/blobkey.js';
import { CryptoError, isCryptoError } from '../crypto/errors.js';
import type { Secret } from '../crypto/secret.js';
import type { UnsealResponse__Output } from '../proto/gen/mpcid/oracle/v1/UnsealResponse.js';
import type { Cosigner } from './cosigner.js';
import type { AgentState } from './state.js';
import { refusalError } from './steps.js';

export { MAX_PLAINTEXT };

/**
 * The policy bound to a blob, as canonical JSON bytes (common/unseal-wire.ts): `registers`, the
 * register values the oracles must hold to seal and to unseal, is the one field defined; any
 * other is refused, so a requirement is never silently ignored.
 */
export function sealPolicy(json: string): Uint8Array {
  return parseSealPolicy(json).bytes;
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
    const parsed = parseSealPolicy(policyJson);
    const policy = parsed.bytes;
    const ctx = this.#context(new Uint8Array(randomBytes(BLOB_ID_LEN)), boundPolicy(parsed));
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
    // An oracle refuses a policy that is not canonical, as a tampered blob's would be.
    let policy: Uint8Array | undefined;
    try {
      policy = boundPolicy(sealPolicyFromBytes(parsed.policy));
    } catch {
      throw new MpcidError('BLOB_INVALID', 'blob: its policy is not one this agent seals');
    }
    const key = await this.#key(this.#context(parsed.blobId, policy));
    try {
      return { plaintext: openBlob(key, parsed), policy: new TextDecoder().decode(parsed.policy) };
    } finally {
      key.wipe();
    }
  }

  #context(blobId: Uint8Array, policy: Uint8Array | undefined): BlobContext {
    return {
      clusterId: this.#state.cluster.id,
      identityId: this.#state.identityId,
      blobId,
      ...(policy ? { boundPolicy: policy } : {}),
    };
  }

  /** K for `ctx`: one unseal step on every oracle, t good partials and the agent's own w. */
  async #key(ctx: BlobContext): Promise<Secret> {
    const blobId = Buffer.from(ctx.blobId);
    const policy = Buffer.from(ctx.boundPolicy ?? new Uint8Array(0));
    const answers = await this.#cosigner.stepEveryOracle<UnsealResponse__Output>(
      'unseal',
      unsealPayloadDigest(ctx.clusterId, ctx.blobId, ctx.boundPolicy),
      (c, step, certificate, patient, call, registers) =>
        call(c.signer, c.signer.Unseal, { step, certificate, blobId, policy, registers }, patient),
    );
    // A refusal (REGISTER_MISMATCH: the registers differ from what the policy or the join token
    // requires) is the same on every oracle; the step still counted.
    for (const [nodeId, res] of answers) if (res.policyRefusal) throw refusalError(nodeId, res.policyRefusal);
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
