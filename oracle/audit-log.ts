/**
 * The audit log's keys and queries in the oracle store (oracle/store.ts owns the database and
 * writes every entry in its step's own sync batch; oracle/audit.ts runs retention).
 *
 * Keys:  audit!<id>!<counter>               one entry per accepted step (16 decimal digits)
 *        audit-time!<time>!<id>!<counter>   the same entry by the time it was accepted (Unix ms,
 *                                           16 digits): retention by age reads only what expired
 *        audit-index                        { maxEntriesPerIdentity } of the last full pass
 *
 * Retention keeps the entries of the last `retentionSeconds` and, per identity, at most
 * `maxEntriesPerIdentity`. A full pass reads the whole log once; it runs when the time index is
 * not known to be complete (a log written before it existed: the pass also builds it) or the
 * per-identity bound changed. Every other pass reads the expired part of the time index and,
 * for each identity that wrote since the last pass, its newest entry: the entries more than
 * `maxEntriesPerIdentity` counters behind it go (counters may skip, so fewer may be kept, never
 * more). An identity that wrote just before a restart is bounded again at its next write.
 */
import type { Level } from 'level';
import { DELETE, type WriteOp } from './group-commit.js';
import type { AuditEntry } from './records.js';

const pad = (n: number) => String(n).padStart(16, '0');
const ENTRY_PREFIX = 'audit!';
const entryPrefix = (identityId: string) => `${ENTRY_PREFIX}${identityId}!`;
const entryKey = (identityId: string, counter: number) => `${entryPrefix(identityId)}${pad(counter)}`;
const TIME_PREFIX = 'audit-time!';
const timeKey = (e: Pick<AuditEntry, 'identityId' | 'counter' | 'time'>) =>
  `${TIME_PREFIX}${pad(Math.max(0, e.time))}!${e.identityId}!${pad(e.counter)}`;
const INDEX_KEY = 'audit-index';
/** Deletes per write: each chunk is one sync batch through group commit. */
const CHUNK = 512;

interface IndexRecord {
  maxEntriesPerIdentity: number;
}

export class AuditLog {
  readonly #db: Level<string, unknown>;
  readonly #write: (ops: readonly WriteOp[]) => Promise<void>;
  /** Identities that wrote an entry since the last retention pass began. */
  #touched = new Set<string>();

  constructor(db: Level<string, unknown>, write: (ops: readonly WriteOp[]) => Promise<void>) {
    this.#db = db;
    this.#write = write;
  }

  /** The writes that store `e` (in its step's batch). */
  ops(e: AuditEntry): WriteOp[] {
    this.#touched.add(e.identityId);
    return [
      [entryKey(e.identityId, e.counter), e],
      [timeKey(e), 0],
    ];
  }

  async get(identityId: string, counter: number): Promise<AuditEntry | undefined> {
    return (await this.#db.get(entryKey(identityId, counter))) as AuditEntry | undefined;
  }

  /** An identity's entries in counter order, after counter `after` (-1: from the start). */
  async list(identityId: string, after: number, limit: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    const prefix = entryPrefix(identityId);
    const lower = after < 0 ? { gte: prefix } : { gt: entryKey(identityId, after) };
    for await (const v of this.#db.values({ ...lower, lt: `${prefix}\xff`, limit }))
      out.push(v as AuditEntry);
    return out;
  }

  /**
   * Deletes the entries older than `before` (Unix ms) and those beyond `maxPerIdentity` per
   * identity (see the header); returns how many entries it deleted.
   */
  async prune(before: number, maxPerIdentity: number): Promise<number> {
    const touched = this.#touched;
    this.#touched = new Set();
    try {
      return await this.#prune(before, maxPerIdentity, touched);
    } catch (e) {
      // Checked again at the next pass.
      for (const id of touched) this.#touched.add(id);
      throw e;
    }
  }

  async #prune(before: number, maxPerIdentity: number, touched: ReadonlySet<string>): Promise<number> {
    const index = (await this.#db.get(INDEX_KEY)) as IndexRecord | undefined;
    if (index?.maxEntriesPerIdentity !== maxPerIdentity) return this.#fullPass(before, maxPerIdentity);
    const out = new Deletes(this.#write);
    for await (const k of this.#db.keys({
      gte: TIME_PREFIX,
      lt: `${TIME_PREFIX}${pad(Math.max(0, before))}`,
    })) {
      const [, , identityId, counter] = k.split('!');
      await out.delete(entryKey(identityId!, Number(counter)), k);
    }
    for (const identityId of touched) {
      const prefix = entryPrefix(identityId);
      let newest: number | undefined;
      for await (const v of this.#db.values({ gte: prefix, lt: `${prefix}\xff`, reverse: true, limit: 1 }))
        newest = (v as AuditEntry).counter;
      if (newest === undefined || newest < maxPerIdentity) continue;
      const upTo = entryKey(identityId, newest - maxPerIdentity);
      for await (const [k, v] of this.#db.iterator({ gte: prefix, lte: upTo }))
        await out.delete(k, timeKey(v as AuditEntry));
    }
    return out.finish();
  }

  /** One read of the whole log: both bounds, the time index written for every entry kept. */
  async #fullPass(before: number, maxPerIdentity: number): Promise<number> {
    const out = new Deletes(this.#write);
    let identity = '';
    let entries: Pick<AuditEntry, 'identityId' | 'counter' | 'time'>[] = [];
    const endIdentity = async () => {
      const excess = entries.length - maxPerIdentity;
      for (const [i, e] of entries.entries()) {
        if (i < excess || e.time < before) await out.delete(entryKey(e.identityId, e.counter), timeKey(e));
        else await out.put([timeKey(e), 0]);
      }
      entries = [];
    };
    for await (const [k, v] of this.#db.iterator({ gte: ENTRY_PREFIX, lt: `${ENTRY_PREFIX}\xff` })) {
      const id = k.slice(ENTRY_PREFIX.length, k.lastIndexOf('!'));
      if (id !== identity) {
        await endIdentity();
        identity = id;
      }
      const { identityId, counter, time } = v as AuditEntry;
      entries.push({ identityId, counter, time });
    }
    await endIdentity();
    const deleted = await out.finish();
    await this.#write([[INDEX_KEY, { maxEntriesPerIdentity: maxPerIdentity } satisfies IndexRecord]]);
    return deleted;
  }
}

/** Retention's writes, in chunks; counts the entries deleted. */
class Deletes {
  readonly #write: (ops: readonly WriteOp[]) => Promise<void>;
  #chunk: WriteOp[] = [];
  #deleted = 0;

  constructor(write: (ops: readonly WriteOp[]) => Promise<void>) {
    this.#write = write;
  }

  /** Deletes one entry and its time key (counted as one deleted entry). */
  async delete(entry: string, time: string): Promise<void> {
    this.#chunk.push([entry, DELETE], [time, DELETE]);
    this.#deleted++;
    if (this.#chunk.length >= CHUNK) await this.#flush();
  }

  async put(op: WriteOp): Promise<void> {
    this.#chunk.push(op);
    if (this.#chunk.length >= CHUNK) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#chunk.length === 0) return;
    const ops = this.#chunk;
    this.#chunk = [];
    await this.#write(ops);
  }

  async finish(): Promise<number> {
    await this.#flush();
    return this.#deleted;
  }
}
