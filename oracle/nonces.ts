/**
 * The oracle's FROST nonces (docs/protocol.md §6.1): per-identity pools of unused nonces handed
 * out ahead of time, and the GetNonces request ids already answered.
 *
 * Nonces live only in memory, a bounded set per identity; a nonce is removed from the pool
 * before it is used, so a retry or a replay can never use it twice, and a restart loses unused
 * nonces rather than reusing them.
 */

import { concatBytes, toHex } from '../crypto/bytes.js';
import { commit, type NonceCommitment, type SigningNonces } from '../crypto/frost.js';
import type { LoadedIdentity } from './context.js';

/** Identities with a nonce pool at once; the least recently used pool is dropped beyond this. */
const MAX_POOLS = 100_000;

/** Per-identity pools of unused nonces, keyed by their commitment. Insertion order = age. */
export class NoncePools {
  readonly #pools = new Map<string, Map<string, SigningNonces>>();
  readonly #perIdentity: number;
  constructor(perIdentity: number) {
    this.#perIdentity = perIdentity;
  }

  static key(c: NonceCommitment): string {
    return toHex(concatBytes(c.hiding, c.binding));
  }

  #pool(identityId: string): Map<string, SigningNonces> {
    let pool = this.#pools.get(identityId);
    if (pool) {
      this.#pools.delete(identityId);
    } else {
      pool = new Map();
      if (this.#pools.size >= MAX_POOLS) {
        const oldest = this.#pools.keys().next().value!;
        this.#wipe(this.#pools.get(oldest)!);
        this.#pools.delete(oldest);
      }
    }
    this.#pools.set(identityId, pool);
    return pool;
  }

  #wipe(pool: Map<string, SigningNonces>): void {
    for (const n of pool.values()) {
      n.hiding.wipe();
      n.binding.wipe();
    }
    pool.clear();
  }

  /** Makes a fresh nonce pair; evicts (and wipes) the oldest when the pool is full. */
  fresh(id: LoadedIdentity): NonceCommitment {
    const pool = this.#pool(id.record.identityId);
    const { nonces, commitment } = commit(id.share);
    while (pool.size >= this.#perIdentity) {
      const oldest = pool.keys().next().value!;
      const n = pool.get(oldest)!;
      n.hiding.wipe();
      n.binding.wipe();
      pool.delete(oldest);
    }
    pool.set(NoncePools.key(commitment), nonces);
    return commitment;
  }

  /** Whether this node handed out this commitment and it is unused (nothing is removed). */
  has(identityId: string, c: NonceCommitment): boolean {
    return this.#pools.get(identityId)?.has(NoncePools.key(c)) ?? false;
  }

  /** The nonces for a commitment this node handed out and that is unused, left in the pool. */
  peek(identityId: string, c: NonceCommitment): SigningNonces | undefined {
    return this.#pools.get(identityId)?.get(NoncePools.key(c));
  }

  /** Removes and returns the nonces for a commitment, if this node handed it out and it is unused. */
  take(identityId: string, c: NonceCommitment): SigningNonces | undefined {
    const pool = this.#pools.get(identityId);
    const k = NoncePools.key(c);
    const nonces = pool?.get(k);
    pool?.delete(k);
    return nonces;
  }

  clear(): void {
    for (const p of this.#pools.values()) this.#wipe(p);
    this.#pools.clear();
  }
}

/** GetNonces request ids remembered per identity (at counters this oracle still accepts). */
export const SEEN_REQUESTS_PER_IDENTITY = 32;

/**
 * GetNonces request ids seen per identity, with the agent counter each was signed at (docs/
 * protocol.md §6.1). Only ids at counters >= the floor (this oracle's counter - 1) are kept: a
 * request below the floor is refused on its counter alone. Bounded: at most
 * SEEN_REQUESTS_PER_IDENTITY ids per identity (the oldest is forgotten first) and MAX_POOLS
 * identities (the least recently used is forgotten first).
 */
export class SeenRequests {
  readonly #ids = new Map<string, Map<string, number>>();
  readonly #perIdentity: number;
  readonly #maxIdentities: number;
  constructor(perIdentity = SEEN_REQUESTS_PER_IDENTITY, maxIdentities = MAX_POOLS) {
    this.#perIdentity = perIdentity;
    this.#maxIdentities = maxIdentities;
  }

  /** Whether `requestId` was seen; forgets the identity's ids below `floor` first. */
  has(identityId: string, requestId: string, floor: number): boolean {
    const seen = this.#ids.get(identityId);
    if (!seen) return false;
    for (const [id, c] of seen) if (c < floor) seen.delete(id);
    return seen.has(requestId);
  }

  /** Records `requestId` at `counter` (the oldest id is forgotten when the identity's set is full). */
  add(identityId: string, requestId: string, counter: number): void {
    let seen = this.#ids.get(identityId);
    if (seen) {
      this.#ids.delete(identityId);
    } else {
      seen = new Map();
      if (this.#ids.size >= this.#maxIdentities) this.#ids.delete(this.#ids.keys().next().value!);
    }
    this.#ids.set(identityId, seen);
    while (seen.size >= this.#perIdentity) seen.delete(seen.keys().next().value!);
    seen.set(requestId, counter);
  }

  clear(): void {
    this.#ids.clear();
  }
}
