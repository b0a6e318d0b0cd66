/**
 * The oracle's durable state, one LevelDB per node. Every write that a reply depends on is a
 * sync write (fsync) made before the reply is sent. Values are JSON; byte fields are base64url.
 *
 * Keys:  meta                 node and cluster this data dir belongs to
 *        identity!<id>        enrolled identities (includes this node's signing share)
 *        token!<jti>          join tokens issued here or used here
 *        ratchet!<id>         ratchet state: counter, head, last accepted step and its reply
 *        revocation!<id>      revocations with their evidence (permanent)
 *        event!<seq>          the durable alert event log (seq: 16 decimal digits)
 *        outbox!<w>!<seq>     alert events not yet delivered to webhook w (index in alerts.webhooks)
 */
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import { MpcidError } from '../common/errors.js';
import type { CommitJSON, EvidenceJSON, StepJSON } from '../common/protocol.js';

export const STORE_SCHEMA = 1;

export interface MetaRecord {
  schema: number;
  clusterId: string;
  nodeId: number;
  nodePublicKey: string;
}

export interface IdentityRecord {
  identityId: string;
  name: string;
  alg: 'EdDSA';
  /** Group public key, base64url. */
  publicKey: string;
  n: number;
  t: number;
  /** This node's participant index (= node id). */
  participant: number;
  /** SECRET: this node's signing share, base64url. */
  signingShare: string;
  commitments: string[];
  verifyingShares: string[];
  sessionPublicKey: string;
  tokenId: string;
  round1Digest: string;
  enrolledAt: number;
  status: 'active';
  /** The identity's ES256 key (threshold ECDSA, DKLs23), once ES256 setup has finished. */
  ecdsa?: EcdsaRecord;
}

export interface EcdsaRecord {
  curve: 'P-256';
  /** Compressed SEC 1 public key, base64url. */
  publicKey: string;
  /** RFC 7638 thumbprint of the EC JWK: the JWS kid of ES256 tokens. */
  kid: string;
  commitments: string[];
  verifyingShares: string[];
  /** SECRET: this node's P-256 Shamir share, base64url. */
  signingShare: string;
  /** SECRET: per other party (agent = 0), the channel key and the DKLs23 OT-extension pair state. */
  pairs: { party: number; channelKey: string; state: string }[];
  setupDigest: string;
}

export interface TokenRecord {
  tokenId: string;
  name: string;
  issuedBy: number;
  expiresAt: number;
  state: 'issued' | 'used';
  identityId?: string;
  usedAt?: number;
}

/** A sealed DKLs23 message (ciphertext only: safe to store). */
export interface EnvelopeJSON {
  from: number;
  to: number;
  round: number;
  sealed: string;
}

export interface RatchetRecord {
  identityId: string;
  counter: number;
  /** h_c, base64url. */
  head: string;
  /** The last accepted step L, the network peer that sent it, and the reply (replayed on retry). */
  last?: {
    step: StepJSON;
    peer: string;
    reply: { commit: CommitJSON; signatureShare?: string; refusal?: string; envelopes?: EnvelopeJSON[] };
  };
}

export interface RevocationRecord {
  identityId: string;
  name: string;
  evidence: EvidenceJSON;
  /** Evidence digest, base64url: the alert id. */
  digest: string;
  reason: string;
  detectedBy: number;
  detectedAt: number;
  peers: string[];
  counter: number;
  /** When this node applied it. */
  appliedAt: number;
}

/** One alert (docs/protocol.md §7); `id` is the evidence digest, the receivers' dedupe key. */
export interface AlertEvent {
  id: string;
  type: 'identity.clone_detected';
  identityId: string;
  name: string;
  kids: string[];
  counter: number;
  reason: string;
  peers: string[];
  detectingNode: number;
  reportingNode: number;
  time: string;
}

export interface StoredEvent {
  seq: number;
  event: AlertEvent;
}

/** An alert event waiting to be delivered to one webhook. */
export interface OutboxEntry {
  seq: number;
  event: AlertEvent;
}

const SYNC = { sync: true } as const;
const pad = (seq: number) => String(seq).padStart(16, '0');
const seqKey = (seq: number) => `event!${pad(seq)}`;
const outboxPrefix = (webhook: number) => `outbox!${webhook}!`;
/** Key of the outbox entry of event `seq` for webhook `webhook` (written with commitRevocation's `extra`). */
export const outboxKey = (webhook: number, seq: number) => `${outboxPrefix(webhook)}${pad(seq)}`;

export class OracleStore {
  readonly #db: Level<string, unknown>;
  private constructor(db: Level<string, unknown>) {
    this.#db = db;
  }

  /** Opens (creating if needed) the store and checks it belongs to this node of this cluster. */
  static async open(dir: string, meta: Omit<MetaRecord, 'schema'>): Promise<OracleStore> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (e) {
      throw new MpcidError('CONFIG_INVALID', `cannot open data dir ${dir}: ${(e as Error).message}`);
    }
    const store = new OracleStore(db);
    const existing = (await db.get('meta')) as MetaRecord | undefined;
    if (!existing) {
      await db.put('meta', { schema: STORE_SCHEMA, ...meta }, SYNC);
    } else if (
      existing.schema !== STORE_SCHEMA ||
      existing.clusterId !== meta.clusterId ||
      existing.nodeId !== meta.nodeId ||
      existing.nodePublicKey !== meta.nodePublicKey
    ) {
      await db.close();
      throw new MpcidError(
        'CONFIG_INVALID',
        `data dir ${dir} belongs to node ${existing.nodeId} of cluster ${existing.clusterId} (schema ${existing.schema}), not this node`,
      );
    }
    return store;
  }

  async getIdentity(identityId: string): Promise<IdentityRecord | undefined> {
    return (await this.#db.get(`identity!${identityId}`)) as IdentityRecord | undefined;
  }

  /** Values under `prefix!` in key order, starting after key `prefix!after` (from the start if empty). */
  async #page<T>(prefix: string, after: string, limit: number): Promise<T[]> {
    const out: T[] = [];
    const lower = after ? { gt: `${prefix}!${after}` } : { gte: `${prefix}!` };
    for await (const v of this.#db.values({ ...lower, lt: `${prefix}!\xff`, limit })) out.push(v as T);
    return out;
  }

  /** Identities in id order, starting after `after`. */
  listIdentities(after: string, limit: number): Promise<IdentityRecord[]> {
    return this.#page('identity', after, limit);
  }

  /** Replaces an identity record (sync write), e.g. to add its ES256 key material. */
  async putIdentity(rec: IdentityRecord): Promise<void> {
    await this.#db.put(`identity!${rec.identityId}`, rec, SYNC);
  }

  async getToken(tokenId: string): Promise<TokenRecord | undefined> {
    return (await this.#db.get(`token!${tokenId}`)) as TokenRecord | undefined;
  }

  async putToken(rec: TokenRecord): Promise<void> {
    await this.#db.put(`token!${rec.tokenId}`, rec, SYNC);
  }

  /** Atomically stores a new identity and marks its join token used. */
  async commitEnrollment(identity: IdentityRecord, token: TokenRecord): Promise<void> {
    await this.#db
      .batch()
      .put(`identity!${identity.identityId}`, identity)
      .put(`token!${token.tokenId}`, token)
      .write(SYNC);
  }

  async getRatchet(identityId: string): Promise<RatchetRecord | undefined> {
    return (await this.#db.get(`ratchet!${identityId}`)) as RatchetRecord | undefined;
  }

  async putRatchet(rec: RatchetRecord): Promise<void> {
    await this.#db.put(`ratchet!${rec.identityId}`, rec, SYNC);
  }

  async getRevocation(identityId: string): Promise<RevocationRecord | undefined> {
    return (await this.#db.get(`revocation!${identityId}`)) as RevocationRecord | undefined;
  }

  /** Revocations in identity-id order, starting after `after`. */
  listRevocations(after: string, limit: number): Promise<RevocationRecord[]> {
    return this.#page('revocation', after, limit);
  }

  /** The highest event sequence number in the log (0 if empty). */
  async lastEventSeq(): Promise<number> {
    for await (const k of this.#db.keys({ gte: 'event!', lt: 'event!\xff', reverse: true, limit: 1 })) {
      return Number(k.slice('event!'.length));
    }
    return 0;
  }

  /** Events with seq > after, in order. */
  async eventsAfter(after: number, limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for await (const [k, v] of this.#db.iterator({ gt: seqKey(after), lt: 'event!\xff', limit })) {
      out.push({ seq: Number(k.slice('event!'.length)), event: v as AlertEvent });
    }
    return out;
  }

  /**
   * Atomically records a revocation and its alert event (one sync batch), so an alert is never
   * lost for a revocation this node holds, nor emitted for one it does not.
   */
  async commitRevocation(
    rec: RevocationRecord,
    event: AlertEvent,
    seq: number,
    extra: [string, unknown][] = [],
  ): Promise<void> {
    let b = this.#db.batch().put(`revocation!${rec.identityId}`, rec).put(seqKey(seq), event);
    for (const [k, v] of extra) b = b.put(k, v);
    await b.write(SYNC);
  }

  /** The oldest `limit` undelivered events of one webhook, in seq order. */
  async outbox(webhook: number, limit: number): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    const p = outboxPrefix(webhook);
    for await (const v of this.#db.values({ gte: p, lt: `${p}\xff`, limit })) out.push(v as OutboxEntry);
    return out;
  }

  /** Webhook indexes that have undelivered events (to find entries of webhooks no longer configured). */
  async outboxWebhooks(): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for await (const k of this.#db.keys({ gte: 'outbox!', lt: 'outbox!\xff' })) {
      const w = Number(k.split('!')[1]);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    return counts;
  }

  /** Removes a delivered entry (sync: a delivered alert is not sent again after a restart). */
  async deleteOutbox(webhook: number, seq: number): Promise<void> {
    await this.#db.del(outboxKey(webhook, seq), SYNC);
  }

  /** Whether the database is open (false once closing). */
  get isOpen(): boolean {
    return this.#db.status === 'open';
  }

  /** Number of enrolled identities (a key-only scan). */
  async countIdentities(): Promise<number> {
    let n = 0;
    for await (const _ of this.#db.keys({ gte: 'identity!', lt: 'identity!\xff' })) n++;
    return n;
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
