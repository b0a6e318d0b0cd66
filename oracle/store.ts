/**
 * The oracle's durable state, one LevelDB per node (one concern, its key schema and queries, at
 * about 520 lines). Every write that a reply depends on is a
 * sync write (fsync) made before the reply is sent. Values are JSON; byte fields are base64url.
 *
 * Keys:  meta                 node and cluster this data dir belongs to
 *        identity!<id>        enrolled identities (this node's shares sealed under the KEK)
 *        kid!<kid>            identity id of an ES256 key id (the P-256 key's RFC 7638 thumbprint)
 *        token!<jti>          join tokens issued here or used here
 *        ratchet!<id>         ratchet state: counter, head, last accepted step and its reply
 *        revocation!<id>      revocations with their evidence (permanent)
 *        event!<seq>          the durable alert event log (seq: 16 decimal digits)
 *        outbox!<w>!<seq>     alert events not yet delivered to webhook w (index in alerts.webhooks)
 *        dead!<w>!<seq>       dead letters: events webhook w refused past the alerts.deadLetter bound
 *        audit!<id>!<counter> the audit log: one entry per accepted step, written in the step's own
 *        audit-time!...       sync batch, and its time index (keys and retention: oracle/audit-log.ts)
 *        issuer!keys          the federation issuer's key set, each key's shares sealed under the KEK
 *        issuer!pending!<setup id>  a key made by issuer setup round 7, not committed yet (sealed alike)
 *
 * The records' shapes are in oracle/records.ts, every write goes through oracle/group-commit.ts
 * (group commit, fail-stop), and identity secrets are sealed by oracle/identity-sealing.ts.
 */
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import { MpcidError } from '../common/errors.js';
import { kekCheckValue, openAtRest, sealAtRest } from '../crypto/atrest.js';
import { equalBytes, framed, fromB64u, toB64u, utf8Bytes } from '../crypto/bytes.js';
import { HASH_DOMAINS } from '../crypto/domains.js';
import type { Secret } from '../crypto/secret.js';
import { AuditLog } from './audit-log.js';
import { DELETE, GroupCommit, type WriteOp } from './group-commit.js';
import { IdentitySealing } from './identity-sealing.js';
import type {
  AlertEvent,
  AuditEntry,
  DeadLetter,
  EcdsaSecrets,
  IdentityPublic,
  IdentityRecord,
  IssuerKeyProof,
  IssuerKeyRecord,
  MetaRecord,
  OutboxEntry,
  RatchetRecord,
  RevocationRecord,
  StoredEvent,
  TokenRecord,
} from './records.js';

/**
 * 1: identity secrets in clear. 2: identity secrets sealed under the KEK, KEK check value in
 * meta. A schema-1 store is migrated (one way) the first time it is opened with a KEK.
 */
export const STORE_SCHEMA = 2;

const SYNC = { sync: true } as const;
/** Ratchet records kept in memory (about 2 KB each), least recently used evicted first. */
const RATCHET_CACHE = 16_384;
const pad = (seq: number) => String(seq).padStart(16, '0');
const seqKey = (seq: number) => `event!${pad(seq)}`;
const outboxPrefix = (webhook: number) => `outbox!${webhook}!`;
/** Key of the outbox entry of event `seq` for webhook `webhook` (written with commitRevocation's `extra`). */
export const outboxKey = (webhook: number, seq: number) => `${outboxPrefix(webhook)}${pad(seq)}`;
const deadKey = (webhook: number, seq: number) => `dead!${webhook}!${pad(seq)}`;
const issuerPendingKey = (setupId: string) => `issuer!pending!${setupId}`;

/** What opening the store did to an older schema (logged by the node). */
export interface Migration {
  from: number;
  to: number;
  identitiesSealed: number;
}

export class OracleStore {
  readonly #db: Level<string, unknown>;
  readonly #kek: Secret;
  readonly #meta: Omit<MetaRecord, 'schema' | 'kekCheck'>;
  /** HKDF salt of the at-rest keys: they belong to this node of this cluster. */
  readonly #context: Uint8Array;
  /** Set when open() migrated an older store. */
  migration: Migration | undefined;
  /** Seals and opens identity records under the KEK (oracle/identity-sealing.ts). */
  readonly #sealing: IdentitySealing;
  /** Every write goes through this one group-commit queue (oracle/group-commit.ts). */
  readonly #writes: GroupCommit;
  /** The audit log's keys and retention (oracle/audit-log.ts). */
  readonly #audit: AuditLog;
  /**
   * Write-through cache of ratchet records (see getRatchet), least recently used first. Every
   * `ratchet!` write goes through putRatchet, and this process is the database's only writer.
   */
  readonly #ratchets = new Map<string, RatchetRecord>();
  /** putRatchet calls that completed: a read that overlapped one is not cached (it may be older). */
  #ratchetPuts = 0;

  private constructor(
    db: Level<string, unknown>,
    kek: Secret,
    meta: Omit<MetaRecord, 'schema' | 'kekCheck'>,
  ) {
    this.#db = db;
    this.#kek = kek;
    this.#meta = meta;
    this.#writes = new GroupCommit(db);
    this.#audit = new AuditLog(db, (ops) => this.#write(ops));
    this.#context = framed(HASH_DOMAINS.oracleStore, meta.clusterId, meta.nodeId);
    this.#sealing = new IdentitySealing(kek, this.#context, STORE_SCHEMA, meta.clusterId, meta.nodeId);
  }

  /**
   * Opens (creating if needed) the store, checks it belongs to this node of this cluster and that
   * `kek` is the key its secrets are sealed with (KEK_MISMATCH otherwise). A schema-1 store is
   * migrated: its identities' secrets are sealed in one sync batch, and old values compacted away.
   */
  static async open(
    dir: string,
    meta: Omit<MetaRecord, 'schema' | 'kekCheck'>,
    kek: Secret,
  ): Promise<OracleStore> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (e) {
      throw new MpcidError('CONFIG_INVALID', `cannot open data dir ${dir}: ${(e as Error).message}`);
    }
    const store = new OracleStore(db, kek, meta);
    try {
      await store.#checkMeta(dir);
    } catch (e) {
      await db.close();
      throw e;
    }
    return store;
  }

  async #checkMeta(dir: string): Promise<void> {
    const meta = this.#meta;
    const check = toB64u(kekCheckValue(this.#kek, this.#context));
    const existing = (await this.#db.get('meta')) as MetaRecord | undefined;
    if (!existing) {
      await this.#db.put('meta', { schema: STORE_SCHEMA, ...meta, kekCheck: check }, SYNC);
      return;
    }
    if (
      (existing.schema !== 1 && existing.schema !== STORE_SCHEMA) ||
      existing.clusterId !== meta.clusterId ||
      existing.nodeId !== meta.nodeId ||
      existing.nodePublicKey !== meta.nodePublicKey
    ) {
      throw new MpcidError(
        'CONFIG_INVALID',
        `data dir ${dir} belongs to node ${existing.nodeId} of cluster ${existing.clusterId} (schema ${existing.schema}), not this node`,
      );
    }
    if (existing.schema === STORE_SCHEMA) {
      if (
        typeof existing.kekCheck !== 'string' ||
        !equalBytes(fromB64u(existing.kekCheck, 'kekCheck'), fromB64u(check, 'kekCheck'))
      ) {
        throw new MpcidError(
          'KEK_MISMATCH',
          `the key-encryption key is not the one the secrets in ${dir} are sealed with`,
        );
      }
      return;
    }
    // Schema 1: seal every identity's secrets and record the KEK, in one sync batch.
    let batch = this.#db.batch();
    let sealed = 0;
    for await (const [k, v] of this.#db.iterator({ gte: 'identity!', lt: 'identity!\xff' })) {
      const rec = v as IdentityRecord;
      batch = batch.put(k, this.#sealing.seal(rec, k.slice('identity!'.length)));
      sealed++;
    }
    await batch.put('meta', { ...existing, schema: STORE_SCHEMA, kekCheck: check }).write(SYNC);
    // The clear values are now superseded; compaction drops them from the table files and logs.
    // (`level` resolves to classic-level on Node, which has compactRange; its types do not say so.)
    const compactable = this.#db as unknown as { compactRange?: (a: string, b: string) => Promise<void> };
    await compactable.compactRange?.('identity!', 'identity!\xff').catch(() => undefined);
    this.migration = { from: existing.schema, to: STORE_SCHEMA, identitiesSealed: sealed };
  }

  /** An identity with its secrets (opened with the KEK); STATE_CORRUPT if they do not open. */
  async getIdentity(identityId: string): Promise<IdentityRecord | undefined> {
    const raw = await this.#db.get(`identity!${identityId}`);
    return raw === undefined ? undefined : this.#sealing.open(raw, identityId);
  }

  /** An identity's public fields only (nothing is decrypted). */
  async getIdentityPublic(identityId: string): Promise<IdentityPublic | undefined> {
    const raw = await this.#db.get(`identity!${identityId}`);
    return raw === undefined ? undefined : this.#sealing.public(raw, identityId);
  }

  /** Values under `prefix!` in key order, starting after key `prefix!after` (from the start if empty). */
  async #page<T>(prefix: string, after: string, limit: number): Promise<T[]> {
    const out: T[] = [];
    const lower = after ? { gt: `${prefix}!${after}` } : { gte: `${prefix}!` };
    for await (const v of this.#db.values({ ...lower, lt: `${prefix}!\xff`, limit })) out.push(v as T);
    return out;
  }

  /** Identities' public fields in id order, starting after `after` (nothing is decrypted). */
  async listIdentities(after: string, limit: number): Promise<IdentityPublic[]> {
    const page = await this.#page<IdentityPublic>('identity', after, limit);
    return page.map((r) => this.#sealing.public(r, r.identityId));
  }

  /**
   * Replaces an identity record (sync write, secrets sealed), e.g. to add its ES256 key material;
   * its ES256 key id is indexed in the same batch.
   */
  async putIdentity(rec: IdentityRecord): Promise<void> {
    const ops: WriteOp[] = [[`identity!${rec.identityId}`, this.#sealing.seal(rec, rec.identityId)]];
    if (rec.ecdsa) ops.push([`kid!${rec.ecdsa.kid}`, rec.identityId]);
    await this.#write(ops);
  }

  /** The identity a key id names: an identity id itself, or the kid of an identity's ES256 key. */
  async identityIdOfKid(kid: string): Promise<string | undefined> {
    if ((await this.#db.get(`identity!${kid}`)) !== undefined) return kid;
    const id = await this.#db.get(`kid!${kid}`);
    return typeof id === 'string' ? id : undefined;
  }

  async getToken(tokenId: string): Promise<TokenRecord | undefined> {
    return (await this.#db.get(`token!${tokenId}`)) as TokenRecord | undefined;
  }

  async putToken(rec: TokenRecord): Promise<void> {
    await this.#write([[`token!${rec.tokenId}`, rec]]);
  }

  /** Atomically stores a new identity and marks its join token used. */
  async commitEnrollment(identity: IdentityRecord, token: TokenRecord): Promise<void> {
    await this.#write([
      [`identity!${identity.identityId}`, this.#sealing.seal(identity, identity.identityId)],
      [`token!${token.tokenId}`, token],
    ]);
  }

  /**
   * An identity's ratchet record: from the write-through cache when it holds it (the hot path
   * reads it on every step and every GetNonces), else from LevelDB. The record is shared with the
   * cache: callers must not change it.
   */
  async getRatchet(identityId: string): Promise<RatchetRecord | undefined> {
    const hit = this.#ratchets.get(identityId);
    if (hit) {
      this.#ratchets.delete(identityId);
      this.#ratchets.set(identityId, hit);
      return hit;
    }
    const puts = this.#ratchetPuts;
    const rec = (await this.#db.get(`ratchet!${identityId}`)) as RatchetRecord | undefined;
    if (rec && puts === this.#ratchetPuts && !this.#ratchets.has(identityId)) this.#cacheRatchet(rec);
    return rec;
  }

  /**
   * Stores the ratchet state; `audit`, the accepted step's audit entry, in the same sync batch.
   * The cache holds the record once it is durable. `whileSyncing`: GroupCommit.write.
   */
  async putRatchet(rec: RatchetRecord, audit?: AuditEntry, whileSyncing?: () => void): Promise<void> {
    try {
      await this.#write(
        [[`ratchet!${rec.identityId}`, rec], ...(audit ? this.#audit.ops(audit) : [])],
        whileSyncing,
      );
    } catch (e) {
      // Not known to be durable, nor known not to be: the next read goes to LevelDB.
      this.#ratchets.delete(rec.identityId);
      this.#ratchetPuts++;
      throw e;
    }
    this.#ratchetPuts++;
    this.#ratchets.delete(rec.identityId);
    this.#cacheRatchet(rec);
  }

  #cacheRatchet(rec: RatchetRecord): void {
    this.#ratchets.set(rec.identityId, rec);
    if (this.#ratchets.size > RATCHET_CACHE) this.#ratchets.delete(this.#ratchets.keys().next().value!);
  }

  /** The audit entry of an identity's step at `counter`, if this node holds it. */
  getAudit(identityId: string, counter: number): Promise<AuditEntry | undefined> {
    return this.#audit.get(identityId, counter);
  }

  /** An identity's audit entries in counter order, after counter `after` (-1: from the start). */
  listAudit(identityId: string, after: number, limit: number): Promise<AuditEntry[]> {
    return this.#audit.list(identityId, after, limit);
  }

  /**
   * Retention: deletes audit entries older than `before` (Unix ms) and, per identity, those
   * beyond `maxPerIdentity` (oracle/audit-log.ts), through the group-commit write path in chunks.
   * Returns how many were deleted.
   */
  pruneAudit(before: number, maxPerIdentity: number): Promise<number> {
    return this.#audit.prune(before, maxPerIdentity);
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
    await this.#write([[`revocation!${rec.identityId}`, rec], [seqKey(seq), event], ...extra]);
  }

  /** Rewrites a revocation this node already holds and alerted on (sync write, no new event). */
  async putRevocation(rec: RevocationRecord): Promise<void> {
    await this.#write([[`revocation!${rec.identityId}`, rec]]);
  }

  /** The oldest `limit` undelivered events of one webhook, in seq order. */
  async outbox(webhook: number, limit: number): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    const p = outboxPrefix(webhook);
    for await (const v of this.#db.values({ gte: p, lt: `${p}\xff`, limit })) out.push(v as OutboxEntry);
    return out;
  }

  /** Webhook indexes that have undelivered events (to find entries of webhooks no longer configured). */
  outboxWebhooks(): Promise<Map<number, number>> {
    return this.#countByWebhook('outbox');
  }

  /** Keys `<space>!<w>!<seq>` counted per webhook index w (a key-only scan). */
  async #countByWebhook(space: 'outbox' | 'dead'): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for await (const k of this.#db.keys({ gte: `${space}!`, lt: `${space}!\xff` })) {
      const w = Number(k.split('!')[1]);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    return counts;
  }

  /** Removes a delivered entry (sync: a delivered alert is not sent again after a restart). */
  async deleteOutbox(webhook: number, seq: number): Promise<void> {
    await this.#write([[outboxKey(webhook, seq), DELETE]]);
  }

  /** Moves an outbox entry to the dead-letter list (one sync batch: it is never in both, nor lost). */
  async deadLetter(d: DeadLetter): Promise<void> {
    await this.#write([
      [outboxKey(d.webhook, d.seq), DELETE],
      [deadKey(d.webhook, d.seq), d],
    ]);
  }

  /** Dead letters of every webhook, by webhook then seq. */
  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (const v of this.#db.values({ gte: 'dead!', lt: 'dead!\xff', limit }))
      out.push(v as DeadLetter);
    return out;
  }

  /** Dead letters per webhook index (a key-only scan, for /metrics and the console). */
  deadLetterCounts(): Promise<Map<number, number>> {
    return this.#countByWebhook('dead');
  }

  /** One caller's writes, atomically, once durable (group commit and fail-stop: GroupCommit.write). */
  #write(ops: readonly WriteOp[], whileSyncing?: () => void): Promise<void> {
    return this.#writes.write(ops, whileSyncing);
  }

  /** Sync batches written and the callers' writes they held since the store opened. */
  get writeStats(): { syncBatches: number; writes: number } {
    return this.#writes.stats;
  }

  /** Set once a write failed: the store takes no more writes (fail-stop, see GroupCommit). */
  get writeFailure(): string | undefined {
    return this.#writes.failure;
  }

  /** Called once, with the error, when the first write fails. */
  set onWriteFailure(fn: ((err: unknown) => void) | undefined) {
    this.#writes.onFailure = fn;
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

  /** Additional data of an issuer key's sealed secrets. */
  #issuerAad(kid: string): Uint8Array {
    return framed(
      HASH_DOMAINS.oracleStoreIssuerSecrets,
      STORE_SCHEMA,
      this.#meta.clusterId,
      this.#meta.nodeId,
      kid,
    );
  }

  /** The federation issuer's key set, oldest first (empty before the first rotation). */
  async getIssuerKeys(): Promise<IssuerKeyRecord[]> {
    const raw = (await this.#db.get('issuer!keys')) as { keys?: unknown } | undefined;
    if (!raw) return [];
    if (!Array.isArray(raw.keys)) throw new MpcidError('STATE_CORRUPT', 'stored issuer keys: not a key list');
    return raw.keys.map((k: Record<string, unknown>) => this.#openIssuerKey(k));
  }

  /**
   * Replaces the issuer key set; the pending keys of setups `settled` (base64url setup ids) are
   * deleted in the same sync batch, so a key is never both pending and committed, nor lost.
   */
  async putIssuerKeys(keys: readonly IssuerKeyRecord[], settled: readonly string[] = []): Promise<void> {
    await this.#write([
      ['issuer!keys', { keys: keys.map((k) => this.#sealIssuerKey(k)) }],
      ...settled.map((id) => [issuerPendingKey(id), DELETE] as const),
    ]);
  }

  /**
   * Keeps a key made at issuer setup round 7 until round 8 (or a peer's proof) commits it
   * (sync write; its secrets sealed under the KEK as a committed key's). `proof.setupId` is the key.
   */
  async putIssuerPending(rec: IssuerKeyRecord & { proof: IssuerKeyProof }): Promise<void> {
    await this.#write([[issuerPendingKey(rec.proof.setupId), this.#sealIssuerKey(rec)]]);
  }

  /** Pending issuer keys (setup round 7 done, not committed), in setup id order. */
  async getIssuerPending(): Promise<IssuerKeyRecord[]> {
    const out: IssuerKeyRecord[] = [];
    for await (const v of this.#db.values({ gte: 'issuer!pending!', lt: 'issuer!pending!\xff' }))
      out.push(this.#openIssuerKey(v as Record<string, unknown>));
    return out;
  }

  /** Drops pending issuer keys (superseded or too old) by setup id (one sync batch). */
  async deleteIssuerPending(setupIds: readonly string[]): Promise<void> {
    if (setupIds.length > 0) await this.#write(setupIds.map((id) => [issuerPendingKey(id), DELETE] as const));
  }

  #sealIssuerKey({ secrets, ...pub }: IssuerKeyRecord): Record<string, unknown> {
    const plain = utf8Bytes(JSON.stringify(secrets));
    try {
      return {
        ...pub,
        sealed: toB64u(sealAtRest(this.#kek, this.#context, this.#issuerAad(pub.kid), plain)),
      };
    } finally {
      plain.fill(0);
    }
  }

  #openIssuerKey(k: Record<string, unknown>): IssuerKeyRecord {
    const { sealed, ...pub } = k;
    if (typeof sealed !== 'string' || typeof pub['kid'] !== 'string')
      throw new MpcidError('STATE_CORRUPT', 'stored issuer key: no sealed secrets');
    const plain = openAtRest(
      this.#kek,
      this.#context,
      this.#issuerAad(pub['kid']),
      fromB64u(sealed, 'sealed'),
      'stored issuer key',
    );
    try {
      const secrets = JSON.parse(Buffer.from(plain.expose()).toString('utf8')) as EcdsaSecrets;
      return { ...(pub as Omit<IssuerKeyRecord, 'secrets'>), secrets };
    } catch {
      throw new MpcidError('STATE_CORRUPT', 'stored issuer key: sealed secrets are not a valid record');
    } finally {
      plain.wipe();
    }
  }

  /** Closes the database once every queued write has been written (or refused). */
  async close(): Promise<void> {
    await this.#writes.drain();
    await this.#db.close();
  }
}
