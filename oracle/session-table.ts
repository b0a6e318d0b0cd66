/**
 * The oracle's one table of short-lived per-identity state held in memory (docs/ecdsa.md §3-4):
 * the online DKLs23 sessions (oracle/ecdsa.ts) and the ES256 presignatures
 * (oracle/ecdsa-presign.ts) are two instances, each with its own TTL, caps and refusal.
 *
 * Memory only (never persisted: a restart empties it). Entries are keyed by identity and a
 * 32-byte session id (a step digest). Each leaves the table once: taken out (`take`, the caller
 * owns the value), removed (`delete`), replaced by a new entry of the same key, evicted as its
 * identity's oldest beyond `perIdentity`, expired after `ttlMs`, or at `close`; in every case but
 * `take`, `drop` gets the value (e.g. to wipe its secrets). A full table (`total` entries)
 * refuses a new entry with the instance's `refusal()` (`makeRoom`, `checkRoom`), or drops the
 * value at `put`, so one identity cannot fill it beyond its cap and the table never grows past
 * `total`. Timers are unref'd and cleared when their entry leaves, so none outlives `close`.
 */
import type { MpcidError } from '../common/errors.js';
import { toHex } from '../crypto/bytes.js';

/** The caps of a table, read at each use (the config may be reloaded). */
export interface TableLimits {
  /** Entries per identity; a new one beyond it evicts the identity's oldest. */
  readonly perIdentity: number;
  /** Entries in all; beyond it a new entry is refused. */
  readonly total: number;
}

/** Runs `fn` after `ms`; the returned function cancels it. Injected by tests (a manual clock). */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realTimers: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms).unref();
  return () => clearTimeout(t);
};

export interface SessionTableOptions<V> {
  readonly ttlMs: number;
  readonly limits: () => TableLimits;
  /** The error a full table refuses a new entry with. */
  readonly refusal: () => MpcidError;
  /** A value leaving the table other than by `take` (wipe its secrets here). */
  readonly drop?: (value: V) => void;
  /** An identity's oldest entry was evicted for a new one beyond its cap. */
  readonly evicted?: (identityId: string, perIdentity: number) => void;
  readonly schedule?: Schedule;
}

interface Entry<V> {
  readonly identityId: string;
  readonly value: V;
  readonly cancel: () => void;
}

export class SessionTable<V> {
  readonly #entries = new Map<string, Entry<V>>();
  /** Keys of each identity's entries, oldest first. */
  readonly #byIdentity = new Map<string, Set<string>>();
  readonly #o: SessionTableOptions<V>;
  readonly #schedule: Schedule;

  constructor(options: SessionTableOptions<V>) {
    this.#o = options;
    this.#schedule = options.schedule ?? realTimers;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value held for (identityId, session), left in the table. */
  get(identityId: string, session: Uint8Array): V | undefined {
    return this.#entries.get(keyOf(identityId, session))?.value;
  }

  /** The instance's refusal if the table is full. */
  checkRoom(): void {
    if (this.#entries.size >= this.#o.limits().total) throw this.#o.refusal();
  }

  /**
   * Room for a new entry of `identityId` (none needed if `session` is held: `put` replaces it):
   * evicts the identity's oldest beyond its cap, then refuses if the table is still full.
   */
  makeRoom(identityId: string, session: Uint8Array): void {
    if (this.#entries.has(keyOf(identityId, session))) return;
    this.#evictFor(identityId);
    this.checkRoom();
  }

  /**
   * Holds `value` for (identityId, session) for ttlMs, replacing the entry of that key and
   * evicting the identity's oldest beyond its cap. False if the table is full: `value` is dropped.
   */
  put(identityId: string, session: Uint8Array, value: V): boolean {
    const key = keyOf(identityId, session);
    this.#remove(key, true);
    this.#evictFor(identityId);
    if (this.#entries.size >= this.#o.limits().total) {
      this.#o.drop?.(value);
      return false;
    }
    const entry: Entry<V> = {
      identityId,
      value,
      cancel: this.#schedule(() => {
        if (this.#entries.get(key) === entry) this.#remove(key, true);
      }, this.#o.ttlMs),
    };
    this.#entries.set(key, entry);
    const mine = this.#byIdentity.get(identityId) ?? new Set<string>();
    this.#byIdentity.set(identityId, mine.add(key));
    return true;
  }

  /** Takes the value out (it is never in the table again, and not dropped): the caller owns it. */
  take(identityId: string, session: Uint8Array): V | undefined {
    return this.#remove(keyOf(identityId, session), false);
  }

  /** Removes and drops the entry of (identityId, session), only if it holds `value` when given. */
  delete(identityId: string, session: Uint8Array, value?: V): void {
    const key = keyOf(identityId, session);
    const entry = this.#entries.get(key);
    if (entry && (value === undefined || entry.value === value)) this.#remove(key, true);
  }

  /** Drops every entry and cancels every timer. */
  close(): void {
    for (const key of [...this.#entries.keys()]) this.#remove(key, true);
  }

  #evictFor(identityId: string): void {
    const mine = this.#byIdentity.get(identityId);
    const { perIdentity } = this.#o.limits();
    while (mine && mine.size >= perIdentity) {
      this.#remove(mine.values().next().value!, true);
      this.#o.evicted?.(identityId, perIdentity);
    }
  }

  #remove(key: string, drop: boolean): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    entry.cancel();
    this.#entries.delete(key);
    const mine = this.#byIdentity.get(entry.identityId);
    mine?.delete(key);
    if (mine?.size === 0) this.#byIdentity.delete(entry.identityId);
    if (drop) this.#o.drop?.(entry.value);
    return entry.value;
  }
}

function keyOf(identityId: string, session: Uint8Array): string {
  return `${identityId}:${toHex(session)}`;
}
