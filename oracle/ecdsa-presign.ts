/**
 * The oracle's ES256 presignatures (docs/ecdsa.md §3-4): what this node keeps after an
 * es256-presign step's DKLs23 rounds 1-3 passed every check, until an es256 / jwt-es256 step of the
 * same identity names it. Counterpart: agent/ecdsa-presign.ts (the agent's pool).
 *
 * Memory only (never persisted, never logged: a restart loses them, and the agent then signs
 * online); keyed by identity and the presign step's digest; taken out before use, so each is used
 * at most once whatever happens next; dropped after PRESIGN_TTL_MS, and beyond
 * `limits.es256PresignsPerIdentity` the identity's oldest is dropped. The whole table holds at
 * most `limits.maxEcdsaSessions`; a presign step beyond that is refused with RATE_LIMITED before
 * it is accepted, as an online session is.
 */
import { MpcidError } from '../common/errors.js';
import { toHex } from '../crypto/bytes.js';
import type { Presignature } from '../crypto/ecdsa/index.js';

/** How long an oracle keeps an unused presignature (the agent drops its own sooner). */
export const PRESIGN_TTL_MS = 10 * 60_000;

interface Held {
  readonly identityId: string;
  readonly oracles: readonly number[];
  readonly presignature: Presignature;
  readonly timer: NodeJS.Timeout;
}

/** A presignature taken out of the table: the signing set it was made for, and itself. */
export interface TakenPresign {
  readonly oracles: readonly number[];
  readonly presignature: Presignature;
}

export class PresignTable {
  readonly #held = new Map<string, Held>();
  /** Keys of each identity's presignatures, oldest first. */
  readonly #byIdentity = new Map<string, Set<string>>();
  readonly #limits: () => { perIdentity: number; total: number };

  constructor(limits: () => { perIdentity: number; total: number }) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#held.size;
  }

  /** RATE_LIMITED (scope oracle, rpc Step) if the table is full: checked before a presign step is accepted. */
  checkRoom(): void {
    if (this.#held.size >= this.#limits().total)
      throw new MpcidError('RATE_LIMITED', 'too many ES256 presignatures held on this oracle', {
        details: { scope: 'oracle', rpc: 'Step' },
      });
  }

  /** Keeps `presignature`, made by the es256-presign step of digest `session` for `oracles`. */
  put(identityId: string, session: Uint8Array, oracles: readonly number[], presignature: Presignature): void {
    const key = `${identityId}:${toHex(session)}`;
    this.#drop(key);
    const mine = this.#byIdentity.get(identityId) ?? new Set<string>();
    while (mine.size >= this.#limits().perIdentity) this.#drop(mine.values().next().value!);
    if (this.#held.size >= this.#limits().total) {
      presignature.wipe();
      return;
    }
    const timer = setTimeout(() => this.#drop(key), PRESIGN_TTL_MS).unref();
    this.#held.set(key, { identityId, oracles: [...oracles], presignature, timer });
    this.#byIdentity.set(identityId, mine.add(key));
  }

  /** Takes the presignature out of the table (it is never there again); undefined if not held. */
  take(identityId: string, session: Uint8Array): TakenPresign | undefined {
    const key = `${identityId}:${toHex(session)}`;
    const h = this.#held.get(key);
    if (!h) return undefined;
    this.#forget(key, h);
    return { oracles: h.oracles, presignature: h.presignature };
  }

  #forget(key: string, h: Held): void {
    clearTimeout(h.timer);
    this.#held.delete(key);
    const mine = this.#byIdentity.get(h.identityId);
    mine?.delete(key);
    if (mine?.size === 0) this.#byIdentity.delete(h.identityId);
  }

  #drop(key: string): void {
    const h = this.#held.get(key);
    if (!h) return;
    this.#forget(key, h);
    h.presignature.wipe();
  }

  close(): void {
    for (const key of [...this.#held.keys()]) this.#drop(key);
  }
}
