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
 * oracles that exchange them. A coordinator (or network) that drops or alters anything before
 * round 8 makes the setup fail (ISSUER_SETUP_FAILED), which changes no key set: only round 8, with
 * every oracle's node-signed confirmation of the same key, adds the key to an oracle's set. The
 * two phases (round 7 keeps the key pending durably, round 8 commits it) and how an oracle that
 * missed round 8 converges are oracle/issuer-commit.ts; the coordinator retries round 8 a few
 * times and answers the oracles still uncommitted (RotateIssuerResponse.uncommitted).
 */

import { randomBytes } from 'node:crypto';
import { clusterNodeKeys, federationIssuer } from '../common/config.js';
import { setupEnvelopes } from '../common/ecdsa-wire.js';
import { MpcidError } from '../common/errors.js';
import { CLIENT_OPTIONS, call, fromServiceError, services, unary } from '../common/grpc.js';
import { LOG } from '../common/log.js';
import { relayedOracleRound1, signedOracleRound1 } from '../common/protocol.js';
import type { AccessStructure } from '../crypto/access.js';
import { abytes, equalBytes, toB64u } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { PairSetup } from '../crypto/ecdsa/index.js';
import { DkgParticipant, P256, round1Digest } from '../crypto/frost.js';
import { p256Thumbprint } from '../crypto/p256.js';
import { channelKey, generateBoxKey, openEnvelope, openShares, sealShares } from '../crypto/seal.js';
import { signStatement, verifyStatement } from '../crypto/statement.js';
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
import { confirmationFields, confirmationsOf, IssuerCommit, issuerSetupContext } from './issuer-commit.js';
import { finishPairs, type PairSetupProgress } from './pair-setup.js';
import type { IssuerKeyProof, IssuerKeyRecord } from './records.js';

export { issuerSetupContext } from './issuer-commit.js';

/** RPC rounds of IssuerSetup (see the proto): begin, DKG shares, four OT rounds, finish, commit. */
export const ISSUER_SETUP_ROUNDS = 8;
const SETUP_ID_LEN = 16;
/** Deadline of one setup round on one oracle (the OT rounds are CPU work on every pair). */
const ROUND_DEADLINE_MS = 60_000;
/** How long a rotation waits for each new peer channel to connect before round 1. */
const PEER_CONNECT_MS = 5_000;
/** Round 8 (a verify and one sync write): its deadline, and the retries for oracles that missed it. */
const COMMIT_DEADLINE_MS = 10_000;
const COMMIT_RETRIES = 3;
const COMMIT_BACKOFF_MS = 500;

/** The issuer key's access structure: any t of the n oracles, no agent points. */
export function issuerAccessStructure(n: number, t: number): AccessStructure {
  return Object.freeze({ n, t, w: 0, threshold: t, total: n });
}

interface Pending extends PairSetupProgress<IssuerSetupResponse> {
  coordinator: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class IssuerSetupService {
  readonly #ctx: OracleContext;
  readonly #issuer: IssuerService;
  readonly #nodeKeys: Map<number, Uint8Array>;
  readonly #as: AccessStructure;
  readonly #commit: IssuerCommit;
  #pending: Pending | undefined;
  #rotating = false;

  constructor(ctx: OracleContext, issuer: IssuerService) {
    this.#ctx = ctx;
    this.#issuer = issuer;
    this.#nodeKeys = clusterNodeKeys(ctx.config.cluster);
    this.#as = issuerAccessStructure(ctx.as.n, ctx.as.t);
    this.#commit = new IssuerCommit(ctx, issuer);
  }

  /** Settles pending keys left by a round 8 this oracle missed (now, then periodically). */
  start(): void {
    this.#commit.start();
  }

  handlers(): IssuerPeerHandlers {
    return { IssuerSetup: unary(this.#ctx.log, 'IssuerSetup', (req) => this.setup(req)) };
  }

  /** IssuerAdmin on the admin port (role admin). */
  adminHandlers(): IssuerAdminHandlers {
    return { RotateIssuer: unary(this.#ctx.log, 'RotateIssuer', () => this.rotate()) };
  }

  close(): void {
    this.#commit.close();
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
    if (req.round === ISSUER_SETUP_ROUNDS) {
      // Round 8 reads the durable pending key, not memory: it also commits after a restart.
      try {
        await this.#commit.commit(setupId, confirmationsOf(req.confirmations));
      } finally {
        if (this.#pending && equalBytes(this.#pending.setupId, setupId)) this.#drop(this.#pending);
      }
      return { keys: this.#issuer.keysToWire() };
    }
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
      return res;
    } catch (e) {
      // A failed setup cannot be resumed; the coordinator starts again with a new setup id.
      this.#drop(p);
      throw e;
    }
  }

  async #begin(setupId: Uint8Array, req: IssuerSetupRequest__Output): Promise<IssuerSetupResponse> {
    const ctx = this.#ctx;
    const coordinatorKey = this.#nodeKeys.get(req.coordinator);
    if (!coordinatorKey)
      throw new MpcidError('BAD_PARTICIPANT', `coordinator ${req.coordinator}: not a node of this cluster`);
    const context = issuerSetupContext(ctx.config.cluster.id, setupId, req.coordinator);
    verifyStatement(
      coordinatorKey,
      new Uint8Array(req.coordinatorSignature),
      'coordinator_signature',
      STATEMENT_DOMAINS.issuerSetup,
      [context],
    );
    const old = this.#pending;
    if (old && equalBytes(old.setupId, setupId)) return old.responses.get(1)!;
    // A key this oracle holds pending may be committed elsewhere: commit it before a newer one
    // (whose commit drops older pending keys), and begin nothing while a peer cannot say.
    if ((await this.#commit.reconcile()).unsettled)
      throw new MpcidError(
        'ISSUER_SETUP_FAILED',
        'this oracle holds a pending issuer key and cannot reach every peer to settle it',
      );
    if (old) this.#drop(old); // a newer setup replaces an unfinished one
    const dkg = new DkgParticipant(this.#as, ctx.nodeId, P256);
    const box = generateBoxKey();
    const res: IssuerSetupResponse = {
      round1: signedOracleRound1(ctx.nodeKey, ctx.nodeId, context, box.publicKey, dkg.round1),
    };
    const p: Pending = {
      setupId,
      context,
      coordinator: req.coordinator,
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
    // Round 7: finish every pair; keep the key pending (durably) until every oracle confirms it.
    const pairs = finishPairs(p.pairSetups!, p.channels!, incoming);
    const key = p.key!;
    const publicKey = key.group.groupPublicKey;
    const digest = round1Digest(p.context, p.all!);
    const record: IssuerKeyRecord & { proof: IssuerKeyProof } = {
      generation: 0, // set at commit
      kid: p256Thumbprint(publicKey),
      publicKey: toB64u(publicKey),
      commitments: key.group.commitments.map(toB64u),
      verifyingShares: key.group.verifyingShares.map(toB64u),
      createdAt: Date.now(),
      secrets: { signingShare: toB64u(key.share.expose()), pairs },
      proof: {
        setupId: toB64u(p.setupId),
        coordinator: p.coordinator,
        round1Digest: toB64u(digest),
        confirmations: [],
      },
    };
    await this.#commit.keepPending(record);
    const signature = signStatement(
      this.#ctx.nodeKey,
      STATEMENT_DOMAINS.issuerKey,
      ...confirmationFields(p.context, me, publicKey, digest),
    );
    return {
      confirmation: {
        nodeId: me,
        publicKey: Buffer.from(publicKey),
        round1Digest: Buffer.from(digest),
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

  // ---- Coordinator (IssuerAdmin.RotateIssuer) ----

  /**
   * Makes a new issuer key with every oracle and adds it to the set (the oldest of three leaves).
   * Needs all n oracles through round 7; a failure there is ISSUER_SETUP_FAILED and changes no key
   * set. Round 8 is retried for oracles that miss it; once one oracle committed, the key is the
   * cluster's, and the oracles still uncommitted are answered in `uncommitted` (each commits it
   * from its peers' proof when it is back, oracle/issuer-commit.ts). Round 8 committing nowhere is
   * ISSUER_SETUP_FAILED.
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
      // The peer channels are new: give each up to PEER_CONNECT_MS to connect before round 1, so a
      // peer that has just (re)started is not reported unreachable by a channel still connecting
      // (a peer that stays down then fails round 1 as before, PEER_CONNECT_MS later).
      await Promise.all(
        peers.map(
          (p) =>
            new Promise<void>((resolve) => {
              p.client.waitForReady(Date.now() + PEER_CONNECT_MS, () => resolve());
            }),
        ),
      );
      const setupId = new Uint8Array(randomBytes(SETUP_ID_LEN));
      const context = issuerSetupContext(ctx.config.cluster.id, setupId, ctx.nodeId);
      const base = {
        setupId: Buffer.from(setupId),
        coordinator: ctx.nodeId,
      };
      const all = [ctx.nodeId, ...peers.map((p) => p.nodeId)].sort((a, b) => a - b);
      const send = (nodeId: number, req: object, deadlineMs: number): Promise<IssuerSetupResponse> => {
        if (nodeId === ctx.nodeId) return this.setup(req as unknown as IssuerSetupRequest__Output);
        const peer = peers.find((x) => x.nodeId === nodeId)!;
        return call(peer.client, peer.client.IssuerSetup, req, deadlineMs) as Promise<IssuerSetupResponse>;
      };
      const failed = (round: number, nodeId: number, reason: unknown) => {
        const e = fromServiceError(reason, `oracle ${nodeId}`);
        return new MpcidError(
          'ISSUER_SETUP_FAILED',
          `issuer key setup round ${round}: oracle ${nodeId}: ${e.code}: ${e.message}`,
        );
      };
      const run = async (round: number, build: (nodeId: number) => Partial<IssuerSetupRequest>) => {
        const out = await Promise.allSettled(
          all.map((nodeId) => send(nodeId, { ...base, round, ...build(nodeId) }, ROUND_DEADLINE_MS)),
        );
        const res = new Map<number, IssuerSetupResponse>();
        out.forEach((r, i) => {
          if (r.status === 'rejected') throw failed(round, all[i]!, r.reason);
          res.set(all[i]!, r.value);
        });
        return res;
      };
      const signature = signStatement(ctx.nodeKey, STATEMENT_DOMAINS.issuerSetup, context);
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
      // Round 8, retried with backoff (each call with its deadline) for the oracles that miss it.
      const done = new Map<number, IssuerSetupResponse>();
      let left = all;
      let lastError: MpcidError | undefined;
      for (let attempt = 0; left.length > 0; attempt++) {
        if (attempt > 0) await sleep(COMMIT_BACKOFF_MS * 2 ** (attempt - 1));
        const out = await Promise.allSettled(
          left.map((o) =>
            send(o, { ...base, round: ISSUER_SETUP_ROUNDS, confirmations }, COMMIT_DEADLINE_MS),
          ),
        );
        const missed: number[] = [];
        out.forEach((r, i) => {
          if (r.status === 'fulfilled') done.set(left[i]!, r.value);
          else {
            missed.push(left[i]!);
            lastError = failed(ISSUER_SETUP_ROUNDS, left[i]!, r.reason);
          }
        });
        left = missed;
        if (attempt === COMMIT_RETRIES) break;
      }
      if (done.size === 0) throw lastError!;
      const keys = (done.get(ctx.nodeId) ?? done.values().next().value!).keys ?? [];
      const added = keys[keys.length - 1]!;
      const retired = before.find((k) => !keys.some((x) => x.kid === k.kid));
      if (left.length > 0)
        ctx.log.warn(
          { kid: added.kid, uncommitted: left.join(','), [LOG.errorMessage]: lastError?.message },
          'issuer key committed, but not yet on every oracle: the others commit it from their peers when back',
        );
      ctx.log.info({ kid: added.kid, retired: retired?.kid ?? '' }, 'issuer key rotated');
      return {
        addedKid: added.kid ?? '',
        retiredKid: retired?.kid ?? '',
        keys: keys.map((k) => ({
          kid: k.kid ?? '',
          publicKey: Buffer.from(k.publicKey as Uint8Array),
          state: k.state ?? '',
          generation: Number(k.generation ?? 0),
        })),
        uncommitted: left,
      };
    } finally {
      this.#rotating = false;
      for (const p of peers) p.client.close();
    }
  }
}
