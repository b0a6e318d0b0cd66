/**
 * Generation of a federation issuer key among the oracles alone (docs/protocol.md §10): a P-256
 * DKG with threshold t over the n oracles' points (no agent points), then DKLs23's pairwise OT
 * setup between every two oracles, so any t of them can later sign with it (oracle/issuer.ts).
 *
 * One oracle, the one an operator asked to rotate (IssuerAdmin.RotateIssuer), is the
 * coordinator: it drives every oracle, itself included, through the eight rounds of
 * IssuerPeer.IssuerSetup, relaying their messages. Relaying is all it can do with them: the
 * round-1 messages (box keys, DKG commitments) are signed with each sender's node key and checked
 * by every recipient, DKG shares and OT setup messages are sealed under keys of the pair of
 * oracles that exchange them. A coordinator (or network) that drops or alters anything makes the
 * setup fail (ISSUER_SETUP_FAILED), which changes nothing: only round 8, with every oracle's
 * node-signed confirmation of the same key, adds the key to an oracle's set.
 */
import { randomBytes } from 'node:crypto';
import { clusterNodeKeys, federationIssuer } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { CLIENT_OPTIONS, call, fromServiceError, services, unary } from '../common/grpc.js';
import { LOG } from '../common/log.js';
import { relayedOracleRound1, signedOracleRound1 } from '../common/protocol.js';
import type { AccessStructure } from '../crypto/access.js';
import { abytes, equalBytes, framed, toB64u } from '../crypto/bytes.js';
import { HASH_DOMAINS } from '../crypto/domains.js';
import { PairSetup } from '../crypto/ecdsa/index.js';
import { DkgParticipant, type GroupPublic, P256, type Round1Package, round1Digest } from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import { p256Thumbprint } from '../crypto/p256.js';
import {
  type BoxKeyPair,
  channelKey,
  generateBoxKey,
  openEnvelope,
  openShares,
  sealShares,
} from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import { DOMAINS, signStatement, verifyStatement } from '../crypto/statement.js';
import type { IssuerAdminHandlers } from '../proto/gen/mpcid/admin/v1/IssuerAdmin.js';
import type { RotateIssuerResponse } from '../proto/gen/mpcid/admin/v1/RotateIssuerResponse.js';
import type { Envelope, Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { IssuerKeyConfirmation } from '../proto/gen/mpcid/oracle/v1/IssuerKeyConfirmation.js';
import type { IssuerPeerClient, IssuerPeerHandlers } from '../proto/gen/mpcid/oracle/v1/IssuerPeer.js';
import type {
  IssuerSetupRequest,
  IssuerSetupRequest__Output,
} from '../proto/gen/mpcid/oracle/v1/IssuerSetupRequest.js';
import type { IssuerSetupResponse } from '../proto/gen/mpcid/oracle/v1/IssuerSetupResponse.js';
import type { OracleContext } from './context.js';
import type { IssuerService } from './issuer.js';
import { finishPairs, setupEnvelopes } from './pair-setup.js';
import type { IssuerKeyRecord } from './store.js';

/** RPC rounds of IssuerSetup (see the proto): begin, DKG shares, four OT rounds, finish, commit. */
export const ISSUER_SETUP_ROUNDS = 8;
const SETUP_ID_LEN = 16;
/** Deadline of one setup round on one oracle (the OT rounds are CPU work on every pair). */
const ROUND_DEADLINE_MS = 60_000;

/** The issuer key's access structure: any t of the n oracles, no agent points. */
export function issuerAccessStructure(n: number, t: number): AccessStructure {
  return Object.freeze({ n, t, w: 0, threshold: t, total: n });
}

/** The context of one issuer key setup: binds every message and the channel keys to it. */
export function issuerSetupContext(clusterId: string, setupId: Uint8Array, coordinator: number): Uint8Array {
  return sha256(framed(HASH_DOMAINS.issuerSetupContext, clusterId, setupId, coordinator));
}

function confirmationFields(context: Uint8Array, nodeId: number, publicKey: Uint8Array, digest: Uint8Array) {
  return [context, nodeId, publicKey, digest];
}

interface Pending {
  setupId: Uint8Array;
  context: Uint8Array;
  round: number;
  dkg: DkgParticipant;
  box: BoxKeyPair;
  responses: Map<number, IssuerSetupResponse>;
  all?: Round1Package[];
  oracleBox?: Map<number, Uint8Array>;
  channels?: Map<number, Secret>;
  pairSetups?: Map<number, PairSetup>;
  key?: { group: GroupPublic; share: Secret };
  record?: IssuerKeyRecord;
  digest?: Uint8Array;
  timer: NodeJS.Timeout;
}

export class IssuerSetupService {
  readonly #ctx: OracleContext;
  readonly #issuer: IssuerService;
  readonly #nodeKeys: Map<number, Uint8Array>;
  readonly #as: AccessStructure;
  #pending: Pending | undefined;
  #rotating = false;

  constructor(ctx: OracleContext, issuer: IssuerService) {
    this.#ctx = ctx;
    this.#issuer = issuer;
    this.#nodeKeys = clusterNodeKeys(ctx.config.cluster);
    this.#as = issuerAccessStructure(ctx.as.n, ctx.as.t);
  }

  handlers(): IssuerPeerHandlers {
    return { IssuerSetup: unary(this.#ctx.log, 'IssuerSetup', (req) => this.setup(req)) };
  }

  /** IssuerAdmin on the admin port (role admin). */
  adminHandlers(): IssuerAdminHandlers {
    return { RotateIssuer: unary(this.#ctx.log, 'RotateIssuer', () => this.rotate()) };
  }

  close(): void {
    if (this.#pending) this.#drop(this.#pending);
  }

  #drop(p: Pending): void {
    clearTimeout(p.timer);
    p.dkg.abandon();
    p.box.secretKey.wipe();
    for (const c of p.channels?.values() ?? []) c.wipe();
    if (this.#pending === p) this.#pending = undefined;
  }

  // ---- Participant (every oracle, the coordinator included) ----

  async setup(req: IssuerSetupRequest__Output): Promise<IssuerSetupResponse> {
    const setupId = abytes(new Uint8Array(req.setupId), 'setup_id', SETUP_ID_LEN);
    if (!Number.isSafeInteger(req.round) || req.round < 1 || req.round > ISSUER_SETUP_ROUNDS)
      throw new MpcidError('MALFORMED_INPUT', `round: expected 1..${ISSUER_SETUP_ROUNDS}`);
    if (req.round === 1) return this.#begin(setupId, req);
    const p = this.#pending;
    if (!p || !equalBytes(p.setupId, setupId))
      throw new MpcidError('UNKNOWN_ENROLLMENT', 'no issuer key setup in progress with this id');
    const done = p.responses.get(req.round);
    if (done) return done; // a retry of a round we answered
    if (req.round !== p.round + 1)
      throw new MpcidError('ENROLLMENT_STATE', `issuer setup is at round ${p.round}; got round ${req.round}`);
    try {
      const res = await this.#step(p, req);
      p.round = req.round;
      p.responses.set(req.round, res);
      if (req.round === ISSUER_SETUP_ROUNDS) this.#drop(p);
      return res;
    } catch (e) {
      // A failed setup cannot be resumed; the coordinator starts again with a new setup id.
      this.#drop(p);
      throw e;
    }
  }

  #begin(setupId: Uint8Array, req: IssuerSetupRequest__Output): IssuerSetupResponse {
    const ctx = this.#ctx;
    const coordinatorKey = this.#nodeKeys.get(req.coordinator);
    if (!coordinatorKey)
      throw new MpcidError('BAD_PARTICIPANT', `coordinator ${req.coordinator}: not a node of this cluster`);
    const context = issuerSetupContext(ctx.config.cluster.id, setupId, req.coordinator);
    verifyStatement(
      coordinatorKey,
      new Uint8Array(req.coordinatorSignature),
      'coordinator_signature',
      DOMAINS.issuerSetup,
      [context],
    );
    const old = this.#pending;
    if (old && equalBytes(old.setupId, setupId)) return old.responses.get(1)!;
    if (old) this.#drop(old); // a newer setup replaces an unfinished one
    const dkg = new DkgParticipant(this.#as, ctx.nodeId, P256);
    const box = generateBoxKey();
    const res: IssuerSetupResponse = {
      round1: signedOracleRound1(ctx.nodeKey, ctx.nodeId, context, box.publicKey, dkg.round1),
    };
    const p: Pending = {
      setupId,
      context,
      round: 1,
      dkg,
      box,
      responses: new Map([[1, res]]),
      timer: setTimeout(() => this.#drop(p), ctx.config.limits.enrollmentTimeoutSeconds * 1000).unref(),
    };
    this.#pending = p;
    return res;
  }

  async #step(p: Pending, req: IssuerSetupRequest__Output): Promise<IssuerSetupResponse> {
    const me = this.#ctx.nodeId;
    if (req.round === 2) {
      const { oracleBox, pkgs } = relayedOracleRound1(
        this.#as,
        req.oracleRound1,
        this.#nodeKeys,
        p.context,
        { nodeId: me, boxPublicKey: p.box.publicKey, round1: p.dkg.round1 },
        P256,
      );
      const shares = sealShares(p.dkg.round2(pkgs), {
        senderKey: p.box.secretKey,
        context: p.context,
        sender: me,
        recipientPublic: (r) => oracleBox.get(r)!,
      });
      p.all = pkgs;
      p.oracleBox = oracleBox;
      p.channels = new Map();
      p.pairSetups = new Map();
      for (const [peer, pub] of oracleBox) {
        if (peer === me) continue;
        p.channels.set(peer, channelKey(p.box.secretKey, pub, p.context, me, peer));
        p.pairSetups.set(peer, new PairSetup({ curve: 'P-256', self: me, peer, sessionId: p.context }));
      }
      return {
        shares: shares.map((s) => ({ ...s, sealed: Buffer.from(s.sealed) })),
        envelopes: this.#messages(p, 1, new Map()),
      };
    }
    if (req.round === ISSUER_SETUP_ROUNDS) return this.#commit(p, req.confirmations);
    const setupRound = req.round - 2; // the OT setup round of the messages we receive
    const incoming = this.#open(p, req.envelopes, setupRound);
    if (req.round === 3) {
      const received = openShares(
        req.shares.map((s) => ({ ...s, sealed: new Uint8Array(s.sealed) })),
        {
          recipient: me,
          recipientKey: p.box.secretKey,
          context: p.context,
          senders: [...p.oracleBox!.keys()].filter((o) => o !== me),
          senderPublic: (o) => p.oracleBox!.get(o),
        },
      );
      const { share, group } = p.dkg.finish(p.all!, received);
      for (const s of received.values()) s.wipe();
      p.key = { group, share: share.signingShare };
    }
    if (req.round < ISSUER_SETUP_ROUNDS - 1)
      return { envelopes: this.#messages(p, setupRound + 1, incoming) };
    // Round 7: finish every pair; keep the key pending until every oracle confirms it.
    const pairs = finishPairs(p.pairSetups!, p.channels!, incoming);
    const key = p.key!;
    const publicKey = key.group.groupPublicKey;
    p.digest = round1Digest(p.context, p.all!);
    p.record = {
      generation: 0, // set at commit
      kid: p256Thumbprint(publicKey),
      publicKey: toB64u(publicKey),
      commitments: key.group.commitments.map(toB64u),
      verifyingShares: key.group.verifyingShares.map(toB64u),
      createdAt: Date.now(),
      secrets: { signingShare: toB64u(key.share.expose()), pairs },
    };
    const signature = signStatement(
      this.#ctx.nodeKey,
      DOMAINS.issuerKey,
      ...confirmationFields(p.context, me, publicKey, p.digest),
    );
    return {
      confirmation: {
        nodeId: me,
        publicKey: Buffer.from(publicKey),
        round1Digest: Buffer.from(p.digest),
        signature: Buffer.from(signature),
      },
    };
  }

  /** Own OT setup messages of setup round `round`, given the peers' messages of round - 1. */
  #messages(p: Pending, round: number, incoming: Map<number, Uint8Array>): Envelope[] {
    return setupEnvelopes(this.#ctx.nodeId, p.pairSetups!, p.channels!, p.context, round, incoming);
  }

  /** Opens the OT setup messages of `round` addressed to us: exactly one from every other oracle. */
  #open(p: Pending, envelopes: readonly Envelope__Output[], round: number): Map<number, Uint8Array> {
    const me = this.#ctx.nodeId;
    const channels = p.channels!;
    if (envelopes.length !== channels.size)
      throw new MpcidError('BAD_LENGTH', `expected ${channels.size} messages for setup round ${round}`);
    const out = new Map<number, Uint8Array>();
    for (const e of envelopes) {
      if (e.to !== me || e.round !== round || !channels.has(e.from) || out.has(e.from))
        throw new MpcidError(
          'BAD_PARTICIPANT',
          `message from ${e.from} to ${e.to} (round ${e.round}) is not expected here`,
        );
      out.set(
        e.from,
        openEnvelope(channels.get(e.from)!, 'setup', p.context, round, e.from, me, new Uint8Array(e.sealed)),
      );
    }
    return out;
  }

  /** Round 8: every oracle confirmed the same key; it joins the issuer key set (sync write). */
  async #commit(p: Pending, list: IssuerSetupRequest__Output['confirmations']): Promise<IssuerSetupResponse> {
    const rec = p.record!;
    const publicKey = p.key!.group.groupPublicKey;
    if (list.length !== this.#as.n)
      throw new MpcidError('BAD_LENGTH', `confirmations: expected ${this.#as.n}`);
    const seen = new Set<number>();
    for (const c of list) {
      const key = this.#nodeKeys.get(c.nodeId);
      if (!key || seen.has(c.nodeId))
        throw new MpcidError('BAD_PARTICIPANT', `confirmations: unknown or repeated node ${c.nodeId}`);
      seen.add(c.nodeId);
      if (
        !equalBytes(new Uint8Array(c.publicKey), publicKey) ||
        !equalBytes(new Uint8Array(c.round1Digest), p.digest!)
      )
        throw new MpcidError('ISSUER_SETUP_FAILED', `oracle ${c.nodeId} confirmed another key`);
      try {
        verifyStatement(
          key,
          new Uint8Array(c.signature),
          `confirmation of oracle ${c.nodeId}`,
          DOMAINS.issuerKey,
          confirmationFields(p.context, c.nodeId, publicKey, p.digest!),
        );
      } catch {
        throw new MpcidError('ISSUER_SETUP_FAILED', `oracle ${c.nodeId}'s key confirmation does not verify`);
      }
    }
    const keys = await this.#issuer.addKey(rec);
    this.#ctx.log.info({ kid: rec.kid, [LOG.count]: keys.length }, 'issuer key added to the issuer key set');
    return { keys: this.#issuer.keysToWire() };
  }

  // ---- Coordinator (IssuerAdmin.RotateIssuer) ----

  /**
   * Makes a new issuer key with every oracle and adds it to the set (the oldest of three leaves).
   * Needs all n oracles; any failure is ISSUER_SETUP_FAILED and changes nothing.
   */
  async rotate(): Promise<RotateIssuerResponse> {
    const ctx = this.#ctx;
    if (!ctx.config.cluster.federation)
      throw new MpcidError(
        'ISSUER_NOT_CONFIGURED',
        'this cluster has no federation issuer (cluster.federation in every oracle config)',
      );
    federationIssuer(ctx.config.cluster); // an http(s) issuer URL, or ISSUER_NOT_CONFIGURED
    if (this.#rotating)
      throw new MpcidError('RATE_LIMITED', 'an issuer rotation is already running on this oracle');
    this.#rotating = true;
    const peers = ctx.config.cluster.oracles
      .filter((o) => o.id !== ctx.nodeId)
      .map((o) => {
        const Client = services().oracle.mpcid.oracle.v1.IssuerPeer;
        return {
          nodeId: o.id,
          client: new Client(o.address, ctx.peerCredentials, CLIENT_OPTIONS) as IssuerPeerClient,
        };
      });
    const before = this.#issuer.keysToWire();
    try {
      const setupId = new Uint8Array(randomBytes(SETUP_ID_LEN));
      const context = issuerSetupContext(ctx.config.cluster.id, setupId, ctx.nodeId);
      const base = {
        setupId: Buffer.from(setupId),
        coordinator: ctx.nodeId,
      };
      const all = [ctx.nodeId, ...peers.map((p) => p.nodeId)].sort((a, b) => a - b);
      const run = async (round: number, build: (nodeId: number) => Partial<IssuerSetupRequest>) => {
        const out = await Promise.allSettled(
          all.map(async (nodeId) => {
            const req = { ...base, round, ...build(nodeId) };
            if (nodeId === ctx.nodeId) return this.setup(req as unknown as IssuerSetupRequest__Output);
            const peer = peers.find((x) => x.nodeId === nodeId)!;
            return call(
              peer.client,
              peer.client.IssuerSetup,
              req,
              ROUND_DEADLINE_MS,
            ) as Promise<IssuerSetupResponse>;
          }),
        );
        const res = new Map<number, IssuerSetupResponse>();
        out.forEach((r, i) => {
          if (r.status === 'rejected') {
            const e = fromServiceError(r.reason, `oracle ${all[i]}`);
            throw new MpcidError(
              'ISSUER_SETUP_FAILED',
              `issuer key setup round ${round}: oracle ${all[i]}: ${e.code}: ${e.message}`,
            );
          }
          res.set(all[i]!, r.value);
        });
        return res;
      };
      const signature = signStatement(ctx.nodeKey, DOMAINS.issuerSetup, context);
      const r1 = await run(1, () => ({ coordinatorSignature: Buffer.from(signature) }));
      const round1 = all.map((o) => r1.get(o)!.round1!);
      let prev = await run(2, () => ({ oracleRound1: round1 }));
      const addressed = (res: Map<number, IssuerSetupResponse>, to: number) =>
        [...res.values()].flatMap((r) => (r.envelopes ?? []).filter((e) => e.to === to));
      for (let round = 3; round <= 7; round++) {
        const from = prev;
        prev = await run(round, (o) => ({
          envelopes: addressed(from, o),
          ...(round === 3
            ? { shares: [...from.values()].flatMap((r) => (r.shares ?? []).filter((s) => s.recipient === o)) }
            : {}),
        }));
      }
      const confirmations = all.map((o) => prev.get(o)!.confirmation as IssuerKeyConfirmation);
      const done = await run(8, () => ({ confirmations }));
      const keys = done.get(ctx.nodeId)!.keys ?? [];
      const added = keys[keys.length - 1]!;
      const retired = before.find((k) => !keys.some((x) => x.kid === k.kid));
      ctx.log.info({ kid: added.kid, retired: retired?.kid ?? '' }, 'issuer key rotated');
      return {
        addedKid: added.kid ?? '',
        retiredKid: retired?.kid ?? '',
        keys: keys.map((k) => ({ ...k, publicKey: Buffer.from(k.publicKey as Uint8Array) })),
      };
    } finally {
      this.#rotating = false;
      for (const p of peers) p.client.close();
    }
  }
}
