/**
 * The second phase of federation issuer key setup (docs/protocol.md §10): the pending key, the
 * confirmation check, the commit, and convergence after a failed round 8.
 *
 * Phase one ends at round 7: each oracle keeps its new key pending, durably (oracle/store.ts
 * `issuer!pending!<setup id>`, its secrets sealed under the KEK as a committed key's), and answers
 * its node-signed confirmation. Phase two (round 8) hands every oracle all n confirmations; an
 * oracle that verifies them commits the key: in one sync batch the key joins the set, with its
 * proof (setup id, coordinator, the n confirmations), and the pending entry leaves.
 *
 * The decision rule: a key with all n valid confirmations is committed, wherever it is first
 * committed; every oracle that holds it pending must commit it. So an oracle that missed round 8
 * (down, unreachable, or the coordinator died midway) asks its peers (Issuer.GetIssuerKeys, with a
 * deadline) at start-up, before it begins another setup, and every RECONCILE_INTERVAL_MS while it
 * holds a pending key, and commits its pending key once a peer serves that key with n
 * confirmations that verify, each under its oracle's node key over the setup's context and this
 * oracle's own copy of the key and round-1 digest. A peer's word alone is never enough: a lying
 * peer can delay convergence, never make an oracle commit a key without all n confirmations.
 * A pending key is dropped once a key made after it is committed here (superseded), once every
 * peer answers without it ABANDONED_AFTER_MS after round 7, or after PENDING_MAX_AGE_MS.
 */
import { clusterNodeKeys } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { CLIENT_OPTIONS, call, services } from '../common/grpc.js';
import { LOG } from '../common/log.js';
import { Mutex } from '../common/mutex.js';
import { equalBytes, framed, fromB64u, toB64u } from '../crypto/bytes.js';
import { HASH_DOMAINS, STATEMENT_DOMAINS } from '../crypto/domains.js';
import { sha256 } from '../crypto/hash.js';
import { verifyStatement } from '../crypto/statement.js';
import type { IssuerClient } from '../proto/gen/mpcid/oracle/v1/Issuer.js';
import type { IssuerKey__Output } from '../proto/gen/mpcid/oracle/v1/IssuerKey.js';
import type { IssuerKeyConfirmation__Output } from '../proto/gen/mpcid/oracle/v1/IssuerKeyConfirmation.js';
import type { OracleContext } from './context.js';
import type { IssuerService } from './issuer.js';
import type { IssuerKeyProof, IssuerKeyRecord } from './records.js';

/** How long a pending key may wait for its commit before it is dropped. */
export const PENDING_MAX_AGE_MS = 7 * 24 * 3600_000;
/**
 * A pending key no peer holds, with every peer answering, this long after round 7: no oracle can
 * commit it any more (only its coordinator held the n confirmations, and it retries round 8 for
 * well under a minute), so it is dropped.
 */
export const ABANDONED_AFTER_MS = 10 * 60_000;
/** How often an oracle holding a pending key asks its peers for it. */
const RECONCILE_INTERVAL_MS = 5_000;
/** Deadline of one GetIssuerKeys call to a peer. */
const PEER_DEADLINE_MS = 5_000;
/**
 * TEST ONLY, inert unless set: the node id whose round 8 never answers (after its key is pending),
 * so a test can kill that oracle between the two phases (test/integration/issuer-rotation.test.ts).
 */
const HOLD_ROUND8_ENV = 'MPCID_TEST_HOLD_ISSUER_COMMIT';

/** The context of one issuer key setup: binds every message and the channel keys to it. */
export function issuerSetupContext(clusterId: string, setupId: Uint8Array, coordinator: number): Uint8Array {
  return sha256(framed(HASH_DOMAINS.issuerSetupContext, clusterId, setupId, coordinator));
}

/** What an oracle's node key signs to confirm it holds a share of a new issuer key. */
export function confirmationFields(
  context: Uint8Array,
  nodeId: number,
  publicKey: Uint8Array,
  digest: Uint8Array,
) {
  return [context, nodeId, publicKey, digest];
}

/** One confirmation as it travels (IssuerKeyConfirmation). */
export interface Confirmation {
  nodeId: number;
  publicKey: Uint8Array;
  round1Digest: Uint8Array;
  signature: Uint8Array;
}

/**
 * Checks that `list` holds exactly one confirmation of every oracle of the cluster, each of this
 * key and round-1 digest, each verifying under its oracle's node key over the setup's context.
 * BAD_LENGTH, BAD_PARTICIPANT or ISSUER_SETUP_FAILED otherwise.
 */
export function verifyConfirmations(
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  context: Uint8Array,
  publicKey: Uint8Array,
  digest: Uint8Array,
  list: readonly Confirmation[],
): void {
  if (list.length !== nodeKeys.size)
    throw new MpcidError('BAD_LENGTH', `confirmations: expected ${nodeKeys.size}`);
  const seen = new Set<number>();
  for (const c of list) {
    const key = nodeKeys.get(c.nodeId);
    if (!key || seen.has(c.nodeId))
      throw new MpcidError('BAD_PARTICIPANT', `confirmations: unknown or repeated node ${c.nodeId}`);
    seen.add(c.nodeId);
    if (!equalBytes(c.publicKey, publicKey) || !equalBytes(c.round1Digest, digest))
      throw new MpcidError('ISSUER_SETUP_FAILED', `oracle ${c.nodeId} confirmed another key`);
    try {
      verifyStatement(
        key,
        c.signature,
        `confirmation of oracle ${c.nodeId}`,
        STATEMENT_DOMAINS.issuerKey,
        confirmationFields(context, c.nodeId, publicKey, digest),
      );
    } catch {
      throw new MpcidError('ISSUER_SETUP_FAILED', `oracle ${c.nodeId}'s key confirmation does not verify`);
    }
  }
}

/** The setup context of a pending or committed key's proof. */
export function proofContext(clusterId: string, proof: IssuerKeyProof): Uint8Array {
  return issuerSetupContext(clusterId, fromB64u(proof.setupId, 'setupId'), proof.coordinator);
}

/** Confirmations as they travel (round 8's request, a peer's IssuerKey), as the checks take them. */
export function confirmationsOf(list: readonly IssuerKeyConfirmation__Output[]): Confirmation[] {
  return list.map((c) => ({
    nodeId: c.nodeId,
    publicKey: new Uint8Array(c.publicKey),
    round1Digest: new Uint8Array(c.round1Digest),
    signature: new Uint8Array(c.signature),
  }));
}

/**
 * Checks a peer's committed key against our pending one: the same setup and n confirmations
 * that verify over OUR context, key and digest (never the peer's). Returns them, or throws.
 */
export function adoptableConfirmations(
  clusterId: string,
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  pending: IssuerKeyRecord & { proof: IssuerKeyProof },
  peerKey: IssuerKey__Output,
): Confirmation[] {
  const list = confirmationsOf(peerKey.confirmations);
  verifyConfirmations(
    nodeKeys,
    proofContext(clusterId, pending.proof),
    fromB64u(pending.publicKey, 'publicKey'),
    fromB64u(pending.proof.round1Digest, 'round1Digest'),
    list,
  );
  return list;
}

/** Whether a pending key is to be dropped: a key made after it is committed here, or too old. */
export function pendingSuperseded(
  pending: IssuerKeyRecord,
  committed: readonly IssuerKeyRecord[],
  now = Date.now(),
): boolean {
  return (
    now - pending.createdAt > PENDING_MAX_AGE_MS || committed.some((k) => k.createdAt > pending.createdAt)
  );
}

/** Whether a pending key is abandoned: every peer answered, none holds it, and it is old enough. */
export function pendingAbandoned(
  pending: IssuerKeyRecord,
  answers: ReadonlyMap<number, readonly IssuerKey__Output[]>,
  peers: number,
  now = Date.now(),
): boolean {
  return (
    answers.size === peers &&
    now - pending.createdAt > ABANDONED_AFTER_MS &&
    ![...answers.values()].some((keys) => keys.some((k) => k.kid === pending.kid))
  );
}

type Pending = IssuerKeyRecord & { proof: IssuerKeyProof };
const hasProof = (r: IssuerKeyRecord): r is Pending => r.proof !== undefined;

export class IssuerCommit {
  readonly #ctx: OracleContext;
  readonly #issuer: IssuerService;
  readonly #nodeKeys: Map<number, Uint8Array>;
  /** Commits, drops and reconciliations run one at a time. */
  readonly #lock = new Mutex();
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: OracleContext, issuer: IssuerService) {
    this.#ctx = ctx;
    this.#issuer = issuer;
    this.#nodeKeys = clusterNodeKeys(ctx.config.cluster);
  }

  /** Reconciles now (start-up), then every RECONCILE_INTERVAL_MS while a key is pending. */
  start(): void {
    const tick = () => {
      this.reconcile().catch((e: unknown) =>
        this.#ctx.log.warn({ [LOG.errorMessage]: (e as Error).message }, 'issuer key reconciliation failed'),
      );
    };
    tick();
    this.#timer = setInterval(tick, RECONCILE_INTERVAL_MS).unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** Round 7: the key is pending, durably, before this oracle confirms it. */
  async keepPending(rec: Pending): Promise<void> {
    await this.#lock.run(() => this.#ctx.store.putIssuerPending(rec));
  }

  /**
   * Round 8: commits the pending key of `setupId` once its n confirmations verify (a retry for a
   * key already committed is answered as done). UNKNOWN_ENROLLMENT when this oracle holds neither.
   */
  async commit(setupId: Uint8Array, list: readonly Confirmation[]): Promise<void> {
    const hold = process.env[HOLD_ROUND8_ENV];
    if (hold !== undefined && hold === String(this.#ctx.nodeId)) {
      this.#ctx.log.warn({}, `TEST HOOK ${HOLD_ROUND8_ENV}: issuer setup round 8 held, never answered`);
      await new Promise(() => undefined);
    }
    const id = toB64u(setupId);
    await this.#lock.run(async () => {
      if (this.#issuer.records().some((k) => k.proof?.setupId === id)) return;
      const pending = (await this.#ctx.store.getIssuerPending()).find((p) => p.proof?.setupId === id);
      if (!pending || !hasProof(pending))
        throw new MpcidError('UNKNOWN_ENROLLMENT', 'no pending issuer key with this setup id');
      verifyConfirmations(
        this.#nodeKeys,
        proofContext(this.#ctx.config.cluster.id, pending.proof),
        fromB64u(pending.publicKey, 'publicKey'),
        fromB64u(pending.proof.round1Digest, 'round1Digest'),
        list,
      );
      await this.#commitVerified(pending, list, 'round 8');
    });
  }

  /** Adds a verified key; pending keys it supersedes (itself included) leave in the same batch. */
  async #commitVerified(pending: Pending, list: readonly Confirmation[], via: string): Promise<void> {
    const committed = this.#issuer.records();
    if (pendingSuperseded(pending, committed)) {
      await this.#ctx.store.deleteIssuerPending([pending.proof.setupId]);
      throw new MpcidError('ISSUER_SETUP_FAILED', 'a newer issuer key is already committed here');
    }
    const others = (await this.#ctx.store.getIssuerPending()).filter(
      (p) => p.proof?.setupId !== pending.proof.setupId && p.createdAt < pending.createdAt,
    );
    const rec: IssuerKeyRecord = {
      ...pending,
      proof: {
        ...pending.proof,
        confirmations: [...list]
          .sort((a, b) => a.nodeId - b.nodeId)
          .map((c) => ({ nodeId: c.nodeId, signature: toB64u(c.signature) })),
      },
    };
    const keys = await this.#issuer.addKey(rec, [
      pending.proof.setupId,
      ...others.map((p) => p.proof!.setupId),
    ]);
    this.#ctx.log.info(
      { kid: rec.kid, via, [LOG.count]: keys.length },
      'issuer key added to the issuer key set',
    );
  }

  /**
   * Settles this oracle's pending keys: drops superseded or old ones, and commits each one a peer
   * serves as committed with n confirmations that verify. Returns the kids committed, and whether
   * a key is still pending while some peer did not answer (it may be committed there).
   */
  async reconcile(): Promise<{ committed: string[]; unsettled: boolean }> {
    return this.#lock.run(async () => {
      const ctx = this.#ctx;
      const none = { committed: [], unsettled: false };
      let pending = (await ctx.store.getIssuerPending()).filter(hasProof);
      if (pending.length === 0) return none;
      const stale = pending.filter((p) => pendingSuperseded(p, this.#issuer.records()));
      if (stale.length > 0) {
        await ctx.store.deleteIssuerPending(stale.map((p) => p.proof.setupId));
        ctx.log.info({ [LOG.count]: stale.length }, 'pending issuer keys dropped: superseded or too old');
        pending = pending.filter((p) => !stale.includes(p));
      }
      if (pending.length === 0) return none;
      const answers = await this.#peerKeys();
      const peers = this.#nodeKeys.size - 1;
      const abandoned = pending.filter((p) => pendingAbandoned(p, answers, peers));
      if (abandoned.length > 0) {
        await ctx.store.deleteIssuerPending(abandoned.map((p) => p.proof.setupId));
        ctx.log.info(
          { [LOG.count]: abandoned.length },
          'pending issuer keys dropped: no peer committed them',
        );
        pending = pending.filter((p) => !abandoned.includes(p));
      }
      const done: string[] = [];
      for (const p of pending.sort((a, b) => a.createdAt - b.createdAt)) {
        for (const [peer, keys] of answers) {
          const k = keys.find(
            (x) => x.kid === p.kid && toB64u(new Uint8Array(x.setupId)) === p.proof.setupId,
          );
          if (!k) continue;
          let list: Confirmation[];
          try {
            list = adoptableConfirmations(ctx.config.cluster.id, this.#nodeKeys, p, k);
          } catch (e) {
            ctx.log.warn(
              { peer, kid: p.kid, [LOG.errorMessage]: (e as Error).message },
              'a peer serves our pending issuer key without n valid confirmations: not adopted',
            );
            continue;
          }
          await this.#commitVerified(p, list, `proof from oracle ${peer}`);
          done.push(p.kid);
          break;
        }
      }
      const unsettled = done.length < pending.length && answers.size < peers;
      return { committed: done, unsettled };
    });
  }

  /** Every reachable peer's committed keys (Issuer.GetIssuerKeys, with a deadline). */
  async #peerKeys(): Promise<Map<number, IssuerKey__Output[]>> {
    const ctx = this.#ctx;
    const Client = services().oracle.mpcid.oracle.v1.Issuer;
    const peers = ctx.config.cluster.oracles
      .filter((o) => o.id !== ctx.nodeId)
      .map((o) => ({
        nodeId: o.id,
        client: new Client(o.address, ctx.peerCredentials, CLIENT_OPTIONS) as IssuerClient,
      }));
    try {
      const out = await Promise.allSettled(
        peers.map((p) => call(p.client, p.client.GetIssuerKeys, {}, PEER_DEADLINE_MS)),
      );
      const answers = new Map<number, IssuerKey__Output[]>();
      out.forEach((r, i) => {
        if (r.status === 'fulfilled') answers.set(peers[i]!.nodeId, r.value.keys);
      });
      return answers;
    } finally {
      for (const p of peers) p.client.close();
    }
  }
}
