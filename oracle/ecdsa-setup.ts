import {
  checkRelayed,
  ECDSA_SETUP_RPC_ROUNDS,
  ecdsaSetupContext,
  relayBinding,
  SETUP_ID_LEN,
  setupEnvelopes,
} from '../common/ecdsa-wire.js';
import { MpcidError } from '../common/errors.js';
import { LOG } from '../common/log.js';
import {
  agentRound1FromWire,
  beginFields,
  enrolledFields,
  relayedOracleRound1,
  signedOracleRound1,
} from '../common/protocol.js';
import { agentParticipants } from '../crypto/access.js';
import { abytes, equalBytes, toB64u } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { PairSetup } from '../crypto/ecdsa/index.js';
import { AGENT_PARTY } from '../crypto/es256.js';
import { DkgParticipant, P256, type Round1Package, round1Digest } from '../crypto/frost.js';
import { p256Thumbprint } from '../crypto/p256.js';
import {
  BOX_KEY_LEN,
  channelKey,
  generateBoxKey,
  openEnvelope,
  openShares,
  sealShares,
} from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import { signStatement, verifyStatement } from '../crypto/statement.js';
import type { EcdsaSetupRequest__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupRequest.js';
import type { EcdsaSetupResponse } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupResponse.js';
import type { Envelope, Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import { finishPairs, type PairSetupProgress } from './pair-setup.js';

interface PendingSetup extends PairSetupProgress<EcdsaSetupResponse> {
  beginSignature: Uint8Array;
  agentRound1: Round1Package[];
  agentBox: Uint8Array;
  agentShares?: Map<number, Secret>;
  /** Every DKG share for us (the agent's and the other oracles'), opened in RPC round 3. */
  received?: Map<number, Secret>;
}

/**
 * The RPC round in which an oracle finishes its P-256 DKG: the shares arrive (and are opened,
 * which authenticates them) in round 3, whose OT work (the base-OT receiver's multiplications) is
 * the heaviest of setup; round 5's (hashes only) is the lightest, and the key is needed only when
 * it is stored in the last round. A bad share fails the setup two rounds later, with the same error.
 */
const DKG_FINISH_ROUND = 5;

export class EcdsaSetup {
  readonly #ctx: OracleContext;
  readonly #nodeKeys: ReadonlyMap<number, Uint8Array>;
  readonly #setups = new Map<string, PendingSetup>();
  readonly #onStored: (identityId: string) => void;

  /** `onStored` runs once an identity's new ES256 key is stored (e.g. to drop a cached one). */
  constructor(
    ctx: OracleContext,
    nodeKeys: ReadonlyMap<number, Uint8Array>,
    onStored: (identityId: string) => void,
  ) {
    this.#ctx = ctx;
    this.#nodeKeys = nodeKeys;
    this.#onStored = onStored;
  }

  close(): void {
    for (const p of this.#setups.values()) this.#dropSetup(p, '');
  }

  #dropSetup(p: PendingSetup, identityId: string): void {
    clearTimeout(p.timer);
    p.dkg.abandon();
    for (const s of p.received?.values() ?? []) s.wipe();
    p.box.secretKey.wipe();
    if (identityId) this.#setups.delete(identityId);
  }

  async setup(req: EcdsaSetupRequest__Output): Promise<EcdsaSetupResponse> {
    const ctx = this.#ctx;
    const id = await ctx.identity(req.identityId);
    const identityId = id.record.identityId;
    if (id.record.ecdsa) throw new MpcidError('ENROLLMENT_STATE', 'this identity already has an ES256 key');
    const setupId = abytes(new Uint8Array(req.setupId), 'setup_id', SETUP_ID_LEN);
    if (req.round === 1) return this.#begin(id, setupId, req);
    const p = this.#setups.get(identityId);
    if (!p || !equalBytes(p.setupId, setupId))
      throw new MpcidError('UNKNOWN_ENROLLMENT', 'no ES256 setup in progress with this id');
    const done = p.responses.get(req.round);
    if (done) return done; // a retry of a round we answered
    if (req.round !== p.round + 1)
      throw new MpcidError('ENROLLMENT_STATE', `ES256 setup is at round ${p.round}; got round ${req.round}`);
    try {
      const res = req.round === 2 ? this.#exchange(p, req) : await this.#continue(id, p, req);
      p.round = req.round;
      p.responses.set(req.round, res);
      return res;
    } catch (e) {
      // A failed setup cannot be resumed; the agent starts again with a new setup id.
      this.#dropSetup(p, identityId);
      throw e;
    }
  }

  #begin(id: LoadedIdentity, setupId: Uint8Array, req: EcdsaSetupRequest__Output): EcdsaSetupResponse {
    const ctx = this.#ctx;
    const identityId = id.record.identityId;
    const agentBox = abytes(new Uint8Array(req.agentBoxPublicKey), 'agent_box_public_key', BOX_KEY_LEN);
    const agentRound1 = agentRound1FromWire(ctx.as, req.agentRound1, P256);
    const context = ecdsaSetupContext(identityId, setupId, id.sessionPublicKey);
    const signature = new Uint8Array(req.sessionSignature);
    verifyStatement(
      id.sessionPublicKey,
      signature,
      'session_signature',
      STATEMENT_DOMAINS.ecdsaSetup,
      beginFields(context, agentBox, agentRound1),
    );
    // Authenticated first: only the agent's own retry of this begin gets the stored answer.
    const old = this.#setups.get(identityId);
    if (old && equalBytes(old.setupId, setupId)) {
      if (!equalBytes(old.beginSignature, signature))
        throw new MpcidError('ENROLLMENT_STATE', 'this ES256 setup id was begun with other contents');
      return old.responses.get(1)!;
    }
    if (old) this.#dropSetup(old, identityId);
    if (this.#setups.size >= ctx.config.limits.maxPendingEnrollments)
      throw new MpcidError('RATE_LIMITED', 'too many ES256 setups in progress');
    const dkg = new DkgParticipant(ctx.as, ctx.nodeId, P256);
    const box = generateBoxKey();
    const res: EcdsaSetupResponse = {
      round1: signedOracleRound1(ctx.nodeKey, ctx.nodeId, context, box.publicKey, dkg.round1),
    };
    const p: PendingSetup = {
      setupId,
      beginSignature: signature,
      context,
      round: 1,
      agentRound1,
      agentBox,
      dkg,
      box,
      responses: new Map([[1, res]]),
      timer: setTimeout(
        () => this.#dropSetup(p, identityId),
        ctx.config.limits.enrollmentTimeoutSeconds * 1000,
      ).unref(),
    };
    this.#setups.set(identityId, p);
    return res;
  }

  #exchange(p: PendingSetup, req: EcdsaSetupRequest__Output): EcdsaSetupResponse {
    const ctx = this.#ctx;
    const { n } = ctx.as;
    const { oracleBox, pkgs } = relayedOracleRound1(
      ctx.as,
      req.oracleRound1,
      this.#nodeKeys,
      p.context,
      { nodeId: ctx.nodeId, boxPublicKey: p.box.publicKey, round1: p.dkg.round1 },
      P256,
    );
    const all = [...pkgs, ...p.agentRound1];
    const agentShares = openShares(req.shares, {
      recipient: ctx.nodeId,
      recipientKey: p.box.secretKey,
      context: p.context,
      senders: agentParticipants(ctx.as),
      senderPublic: () => p.agentBox,
    });
    const shares = sealShares(p.dkg.round2(all), {
      senderKey: p.box.secretKey,
      context: p.context,
      sender: ctx.nodeId,
      recipientPublic: (r) => (r > n ? p.agentBox : oracleBox.get(r)!),
    });
    // Channel keys and the OT setup with every other party.
    const channels = new Map<number, Secret>();
    const pairSetups = new Map<number, PairSetup>();
    const peers = [AGENT_PARTY, ...[...oracleBox.keys()].filter((o) => o !== ctx.nodeId)];
    for (const peer of peers) {
      const pub = peer === AGENT_PARTY ? p.agentBox : oracleBox.get(peer)!;
      channels.set(peer, channelKey(p.box.secretKey, pub, p.context, ctx.nodeId, peer));
      pairSetups.set(peer, new PairSetup({ curve: 'P-256', self: ctx.nodeId, peer, sessionId: p.context }));
    }
    p.all = all;
    p.oracleBox = oracleBox;
    p.agentShares = agentShares;
    p.channels = channels;
    p.pairSetups = pairSetups;
    return { shares, envelopes: this.#setupMessages(p, 1, new Map()) };
  }

  /** Own OT setup messages of setup round `round`, given the peers' messages of round - 1. */
  #setupMessages(p: PendingSetup, round: number, incoming: Map<number, Uint8Array>): Envelope[] {
    return setupEnvelopes(this.#ctx.nodeId, p.pairSetups!, p.channels!, p.context, round, incoming);
  }

  async #continue(
    id: LoadedIdentity,
    p: PendingSetup,
    req: EcdsaSetupRequest__Output,
  ): Promise<EcdsaSetupResponse> {
    const ctx = this.#ctx;
    const setupRound = req.round - 2; // the round of the messages we receive
    const incoming = openMessages(
      this.#ctx.nodeId,
      this.#nodeKeys,
      req.envelopes,
      p.channels!,
      'setup',
      p.context,
      setupRound,
    );
    if (req.round === 3) {
      const fromOracles = openShares(req.shares, {
        recipient: ctx.nodeId,
        recipientKey: p.box.secretKey,
        context: p.context,
        senders: [...p.oracleBox!.keys()].filter((o) => o !== ctx.nodeId),
        senderPublic: (o) => p.oracleBox!.get(o),
      });
      p.received = new Map([...p.agentShares!, ...fromOracles]);
    }
    if (req.round === DKG_FINISH_ROUND) {
      const { share, group } = p.dkg.finish(p.all!, p.received!);
      for (const s of p.received!.values()) s.wipe();
      p.key = { group, share: share.signingShare };
    }
    if (req.round < ECDSA_SETUP_RPC_ROUNDS) {
      return { envelopes: this.#setupMessages(p, setupRound + 1, incoming) };
    }
    // Last round: finish every pair, store, confirm.
    const pairs = finishPairs(p.pairSetups!, p.channels!, incoming);
    const key = p.key!;
    const digest = round1Digest(p.context, p.all!);
    const publicKey = key.group.groupPublicKey;
    const record = {
      ...id.record,
      ecdsa: {
        curve: 'P-256' as const,
        publicKey: toB64u(publicKey),
        kid: p256Thumbprint(publicKey),
        commitments: key.group.commitments.map(toB64u),
        verifyingShares: key.group.verifyingShares.map(toB64u),
        setupDigest: toB64u(digest),
      },
      ecdsaSecrets: { signingShare: toB64u(key.share.expose()), pairs },
    };
    await ctx.store.putIdentity(record);
    ctx.remember({ ...id, record });
    this.#onStored(id.record.identityId);
    this.#dropSetup(p, id.record.identityId);
    ctx.log.info({ [LOG.identity]: id.record.identityId }, 'ES256 key set up');
    const signature = signStatement(
      ctx.nodeKey,
      STATEMENT_DOMAINS.ecdsaEnrolled,
      ...enrolledFields(p.context, ctx.nodeId, id.record.identityId, publicKey, digest),
    );
    return {
      enrolled: {
        nodeId: ctx.nodeId,
        identityId: id.record.identityId,
        publicKey: Buffer.from(publicKey),
        round1Digest: Buffer.from(digest),
        signature: Buffer.from(signature),
      },
    };
  }
}

/**
 * Opens the messages of `round` addressed to us, the agent's first. With `relayedFor` (signing),
 * each message from another oracle must carry its sender's signature (else the relay, the
 * agent, altered it: culprit 0) and then open (else its sender is to blame).
 */
export function openMessages(
  me: number,
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  envelopes: readonly Envelope__Output[],
  channels: ReadonlyMap<number, Secret>,
  purpose: string,
  session: Uint8Array,
  round: number,
  relayedFor?: string,
): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  // The agent's own message first: it authenticates the request (only the agent and this
  // oracle hold their channel key), so unauthenticated garbage is refused without an abort.
  const sorted = [...envelopes].sort((a, b) => a.from - b.from);
  if (sorted.length !== channels.size)
    throw new MpcidError('BAD_LENGTH', `expected ${channels.size} messages for round ${round}`);
  const bound =
    relayedFor === undefined ? undefined : relayBinding(sorted.filter((e) => e.from !== AGENT_PARTY));
  for (const e of sorted) {
    if (e.to !== me || e.round !== round || !channels.has(e.from) || out.has(e.from))
      throw new MpcidError(
        'BAD_PARTICIPANT',
        `message from ${e.from} to ${e.to} (round ${e.round}) is not expected here`,
      );
    const sealed = new Uint8Array(e.sealed);
    if (e.from === AGENT_PARTY) {
      try {
        out.set(
          e.from,
          openEnvelope(channels.get(e.from)!, purpose, session, round, e.from, me, sealed, bound),
        );
      } catch {
        throw new MpcidError(
          'SESSION_AUTH_FAILED',
          'the agent message does not open: not from this identity, or what it relays was altered',
        );
      }
    } else {
      if (relayedFor !== undefined) checkRelayed(nodeKeys, relayedFor, session, e, AGENT_PARTY, 'relay');
      out.set(e.from, openEnvelope(channels.get(e.from)!, purpose, session, round, e.from, me, sealed));
    }
  }
  return out;
}
