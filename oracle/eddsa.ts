/**
 * The oracle's EdDSA step kinds (docs/protocol.md §6.1): `sign` and `jwt`, FROST Ed25519
 * co-signing with one of this node's prefetched nonces, and GetNonces, which hands them out.
 * Counterpart: agent/eddsa.ts.
 *
 * Requests are authenticated with the identity's session key before any nonce is touched; a step
 * signs with this node's nonce only when it is newly accepted, its payload passes policy, and
 * this node is in its signing set (oracle/nonces.ts: a nonce is removed before it is used).
 */

import { ensure, MpcidError } from '../common/errors.js';
import { LOG } from '../common/log.js';
import type { RegisterState } from '../common/measure-wire.js';
import {
  commitmentFromWire,
  commitmentToWire,
  nonceRequestFields,
  signPayloadDigest,
} from '../common/protocol.js';
import { abytes, equalBytes, toHex } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { rememberValidPoint } from '../crypto/ed25519-native.js';
import {
  checkCommitmentList,
  checkSigningList,
  commit,
  type NonceCommitment,
  type SigningNonces,
  type SigningSession,
  signShare,
} from '../crypto/frost.js';
import type { SignedStep } from '../crypto/ratchet.js';
import { verifyStatement } from '../crypto/statement.js';
import type { GetNoncesRequest__Output } from '../proto/gen/mpcid/oracle/v1/GetNoncesRequest.js';
import type { GetNoncesResponse } from '../proto/gen/mpcid/oracle/v1/GetNoncesResponse.js';
import type { StepRequest__Output } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import { tokenAudit } from './audit.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import { NoncePools, SeenRequests } from './nonces.js';
import { policyRefusal, signedMessage } from './policy.js';
import type { SignResult } from './ratchet.js';
import type { RateLimiter } from './ratelimit.js';
import type { CheckedStep, StepKindHandler } from './signer.js';

export const REQUEST_ID_LEN = 16;

export class EddsaSteps implements StepKindHandler {
  readonly kinds = ['sign', 'jwt'] as const;
  readonly #ctx: OracleContext;
  readonly #limits: RateLimiter;
  readonly #nonces: NoncePools;
  readonly #seen = new SeenRequests();

  constructor(ctx: OracleContext, limits: RateLimiter) {
    this.#ctx = ctx;
    this.#limits = limits;
    this.#nonces = new NoncePools(ctx.config.limits.noncesPerIdentity);
  }

  close(): void {
    this.#nonces.clear();
    this.#seen.clear();
  }

  /**
   * Nonce commitments for an identity. Rate limits: per peer before anything else, per identity
   * once the session signature verified (forged requests cannot drain an identity's bucket).
   * Replays (docs/protocol.md §6.1) are handled after the signature and before the per-identity
   * bucket, so a replayed request neither fills the pool nor drains the identity's budget: one
   * whose signed `counter` (the agent's certified ratchet counter) is below this oracle's
   * counter - 1 gets decoy commitments; a request id already served at a counter still accepted,
   * or a request for another oracle, is refused (REPLAYED_REQUEST).
   */
  async getNonces(req: GetNoncesRequest__Output, limitKey: string): Promise<GetNoncesResponse> {
    const ctx = this.#ctx;
    this.#limits.check('GetNonces', 'peer', limitKey);
    const max = ctx.config.limits.noncesPerIdentity;
    ensure(
      Number.isSafeInteger(req.count) && req.count >= 1 && req.count <= max,
      'MALFORMED_INPUT',
      `count: expected 1..${max}`,
    );
    const requestId = abytes(new Uint8Array(req.requestId), 'request_id', REQUEST_ID_LEN);
    ensure(
      Number.isSafeInteger(req.counter) && req.counter >= 0,
      'MALFORMED_INPUT',
      'counter: expected a non-negative safe integer',
    );
    const id = await ctx.identity(req.identityId);
    const identityId = id.record.identityId;
    verifyStatement(
      id.sessionPublicKey,
      new Uint8Array(req.sessionSignature),
      'session_signature',
      STATEMENT_DOMAINS.nonceRequest,
      nonceRequestFields(req.identityId, req.count, requestId, req.counter, req.nodeId),
    );
    // An honest agent's certified counter is never below ours - 1: we accept only steps it made,
    // and it makes step c+2 only once c+1 is certified (its counter never goes back).
    const oracleCounter = (await ctx.store.getRatchet(identityId))?.counter ?? 0;
    const floor = Math.max(0, oracleCounter - 1);
    const replayed = (why: string) => {
      ctx.log.warn(
        { [LOG.identity]: identityId, counter: req.counter, stored: oracleCounter },
        `GetNonces replay refused (${why})`,
      );
      return new MpcidError('REPLAYED_REQUEST', `GetNonces ${why}`, {
        details: { counter: req.counter, oracleCounter, nodeId: req.nodeId },
      });
    };
    if (req.nodeId !== ctx.nodeId) throw replayed(`made for oracle ${req.nodeId}, not this one`);
    if (req.counter < floor) {
      // Behind us: an old request replayed, or a copy of the agent that is behind the cluster (a
      // clone, a rollback). Decoys: real commitments whose nonces are wiped at once. They touch no
      // pool, spend no identity budget and can never be signed with, yet let a copy that is
      // behind make its step, which exposes it (a refusal would hide it: docs/protocol.md §6.1).
      ctx.log.warn(
        { [LOG.identity]: identityId, counter: req.counter, stored: oracleCounter },
        'GetNonces behind this oracle: answered with decoy commitments (a replay, or a copy of the agent that is behind)',
      );
      const decoys = [];
      for (let i = 0; i < req.count; i++) {
        const { nonces, commitment } = commit(id.share);
        nonces.hiding.wipe();
        nonces.binding.wipe();
        decoys.push(commitmentToWire(commitment));
      }
      return { commitments: decoys };
    }
    const rid = toHex(requestId);
    if (this.#seen.has(identityId, rid, floor)) throw replayed('request id already answered');
    // Recorded only once the request is served: a RATE_LIMITED request may be resent as it is.
    this.#limits.check('GetNonces', 'identity', identityId);
    this.#seen.add(identityId, rid, req.counter);
    const commitments = [];
    for (let i = 0; i < req.count; i++) commitments.push(commitmentToWire(this.#nonces.fresh(id)));
    return { commitments };
  }

  /** A sign / jwt step's payload: the message and a well-formed commitment list it names. */
  check(id: LoadedIdentity, signed: SignedStep, req: StepRequest__Output): CheckedStep {
    const ctx = this.#ctx;
    const kind = signed.step.kind as 'sign' | 'jwt';
    if (!req.sign) throw new MpcidError('MALFORMED_INPUT', `sign: missing for a ${kind} step`);
    const message = signedMessage(ctx, req.sign.message);
    const wire = req.sign.commitments.map(commitmentFromWire);
    // Our own commitment, if it is one we handed out, is [k]B of our nonces: a valid point that
    // needs no second check (the others are each checked once, in checkCommitmentList).
    const identityId = id.record.identityId;
    let ours: SigningNonces | undefined;
    for (const c of wire) {
      if (c.participant !== ctx.nodeId) continue;
      ours = this.#nonces.peek(identityId, c);
      if (ours) {
        rememberValidPoint(c.hiding);
        rememberValidPoint(c.binding);
      }
    }
    // When we will sign with it, the list is checked by computing our signing session now, before
    // the step is accepted (crypto/frost.ts checkSigningList: each binding point is checked by
    // its multiplication for the group commitment, not twice); else as any list.
    let session: SigningSession | undefined;
    let list: NonceCommitment[];
    if (ours) ({ list, session } = checkSigningList(id.group, wire, message, id.share, ours));
    else list = checkCommitmentList(id.group.as, wire);
    if (!equalBytes(signPayloadDigest(kind, message, list), signed.step.payloadDigest)) {
      throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the sign payload');
    }
    const mine = list.find((c) => c.participant === ctx.nodeId);
    // Set when this call made a share with the session: the answer carries the R it computed.
    let groupCommitment: Uint8Array | undefined;
    // The answer's next nonce commitment, once made (while the step's write syncs, or at the answer).
    let next: NonceCommitment | undefined;
    const sign = (registers?: RegisterState): SignResult => {
      // Policy first: a refused payload never consumes a nonce.
      const refusal = policyRefusal(ctx, id, kind, message, signed.step.counter, undefined, registers);
      if (refusal) {
        ctx.metrics.policyRefusals.inc({ kind });
        return { refusal };
      }
      if (!mine) return {};
      const nonces = this.#nonces.take(identityId, mine);
      if (!nonces) return {};
      let share: Uint8Array;
      if (session && nonces === ours) {
        share = session.signShare(id.share, nonces);
        groupCommitment = session.groupCommitment();
      } else {
        share = signShare(id.group, id.share, nonces, list, message);
      }
      ctx.metrics.signatureShares.inc({ kind });
      // The answer's next commitment is made while the step's sync write runs.
      const whileSyncing = () => {
        next ??= this.#nonces.fresh(id);
      };
      return { share, whileSyncing };
    };
    // A fresh nonce commitment for the next signature rides the answer, saving a round trip.
    return {
      sign,
      answer: () => ({
        next: commitmentToWire(next ?? this.#nonces.fresh(id)),
        ...(groupCommitment ? { groupCommitment: Buffer.from(groupCommitment) } : {}),
      }),
      ...(kind === 'jwt' ? { token: tokenAudit(message) } : {}),
    };
  }
}
