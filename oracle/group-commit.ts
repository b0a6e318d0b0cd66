/**
 * Group commit of the oracle store's sync writes (oracle/store.ts makes every write through it):
 * the writes of concurrent callers share one sync LevelDB batch, each caller resolves only once
 * its batch is durable, one identity's writes keep their order, and the first failed write stops
 * all later ones (fail-stop) until the process restarts.
 */
import type { Level } from 'level';
import { MpcidError } from '../common/errors.js';

/** Values are JSON-encoded when queued (encodeValue) and written as that text. */
const ENCODED_SYNC = { sync: true, valueEncoding: 'utf8' } as const;
/** Callers' writes in one sync batch at most (a bound on one batch's size and latency). */
const MAX_GROUP_WRITES = 1024;
/** A write of one key: a value to put, or DELETE. */
export const DELETE: unique symbol = Symbol('delete');
export type WriteOp = readonly [key: string, value: unknown];
type EncodedOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };
interface QueuedWrite {
  ops: EncodedOp[];
  resolve: () => void;
  reject: (e: unknown) => void;
  whileSyncing: (() => void) | undefined;
}

/** The JSON text stored for `value` (what the db's 'json' value encoding reads back). */
function encodeValue(key: string, value: unknown): string {
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw new MpcidError('INTERNAL', `store: ${key}: value has no JSON form`);
  return text;
}

export class GroupCommit {
  readonly #db: Level<string, unknown>;
  #failure: string | undefined;
  #onFailure: ((err: unknown) => void) | undefined;
  /** Writes waiting for the next sync batch, in call order. */
  readonly #queue: QueuedWrite[] = [];
  /** The running flush of #queue, if any. */
  #flushing: Promise<void> | undefined;
  #syncBatches = 0;
  #syncedWrites = 0;

  constructor(db: Level<string, unknown>) {
    this.#db = db;
  }

  /**
   * Commits one caller's writes (an atomic unit: all or none) with group commit: every write
   * queued while the previous sync batch ran goes into the next one, so concurrent steps of
   * different identities share one fsync instead of queueing for one each. The promise resolves
   * only once the batch holding the caller's writes is durable (a sync LevelDB batch). Writes are
   * applied in the order the calls were made (a later write of a key wins), so one identity's
   * writes keep their order. Values are encoded when queued: a value that cannot be encoded fails
   * that caller alone.
   *
   * Fail-stop: after any write error (a full disk, an I/O error) the store refuses every later
   * write with NOT_READY until the process restarts; every caller whose writes were in the failed
   * batch gets the error, and writes queued behind it NOT_READY. LevelDB may have left a torn
   * record in its log; writes acknowledged after it could be dropped when the log is replayed, so
   * a commit this node signed afterwards could be lost (found by `npm run trials`: 50-65 signed
   * counters lost after an ENOSPC episode and a SIGKILL). A restart replays the log up to the last
   * intact record, which holds every write that was acknowledged.
   *
   * `whileSyncing` runs once the batch holding these writes is handed to LevelDB, while its sync
   * runs (work the caller needs after the write, e.g. the answer's next nonce commitment, done
   * meanwhile instead of after). It must not throw (an exception is swallowed: the write goes on)
   * and it does not run if the writes fail before their batch starts.
   */
  write(ops: readonly WriteOp[], whileSyncing?: () => void): Promise<void> {
    if (this.#failure) return Promise.reject(this.#writeRefusal());
    let encoded: EncodedOp[];
    try {
      encoded = ops.map(
        ([key, value]): EncodedOp =>
          value === DELETE ? { type: 'del', key } : { type: 'put', key, value: encodeValue(key, value) },
      );
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops: encoded, resolve, reject, whileSyncing });
      this.#flushing ??= this.#flush();
    });
  }

  /**
   * Writes the queue out, one sync batch per group (see write), until it is empty. Starts on a
   * microtask, so writes queued in the same tick go into the same batch; clears #flushing in the
   * same microtask that finds the queue empty, so a write queued later starts a new flush.
   */
  async #flush(): Promise<void> {
    await Promise.resolve();
    for (;;) {
      if (this.#queue.length === 0) {
        // Cleared here, in the microtask that found the queue empty (no await in between).
        this.#flushing = undefined;
        return;
      }
      const group = this.#queue.splice(0, MAX_GROUP_WRITES);
      if (this.#failure) {
        for (const w of group) w.reject(this.#writeRefusal());
        continue;
      }
      try {
        const batch = this.#db.batch(
          group.flatMap((w) => w.ops),
          ENCODED_SYNC,
        );
        for (const w of group) {
          try {
            w.whileSyncing?.();
          } catch {
            // the caller's own work; the write is not affected
          }
        }
        await batch;
      } catch (e) {
        if (this.#db.status === 'open' && !this.#failure) {
          this.#failure = (e as { code?: string }).code ?? 'WRITE_FAILED';
          try {
            this.#onFailure?.(e);
          } catch {
            // the handler only reports; the callers below still get the error
          }
        }
        for (const w of group) w.reject(e);
        continue;
      }
      this.#syncBatches++;
      this.#syncedWrites += group.length;
      for (const w of group) w.resolve();
    }
  }

  /**
   * Sync batches written and the callers' writes they held since the store opened: their ratio is
   * the mean group size (1 when writes never overlap).
   */
  get stats(): { syncBatches: number; writes: number } {
    return { syncBatches: this.#syncBatches, writes: this.#syncedWrites };
  }

  #writeRefusal(): MpcidError {
    return new MpcidError(
      'NOT_READY',
      `this oracle's store refused writes after a write failed (${this.#failure}); restart the oracle`,
    );
  }

  /** Set once a write failed: the store takes no more writes (see write). */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Called once, with the error, when the first write fails. */
  set onFailure(fn: ((err: unknown) => void) | undefined) {
    this.#onFailure = fn;
  }

  /** Resolves once every queued write has been written (or refused). */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }
}
