/**
 * Quorum and failover for the agent's steps: which t oracles a step goes to, the cache of their
 * prefetched FROST nonce commitments, the deadline of every call, RATE_LIMITED retries, and the
 * error a step ends with when no quorum answers (docs/protocol.md §6).
 *
 * Oracle choice: healthy oracles with a cached nonce commitment first, an oracle that failed
 * recently last (for PENALTY_MS); among equals, the last signing set is kept for STICKY_STEPS
 * steps, then a fresh one is drawn at random. Sticky sets spare the oracle left out a
 * certificate check on every fast-forward (it checks one each time it is brought back in),
 * while every oracle is still asked regularly (an oracle left out with no cached commitment is
 * refilled in the background: warmOthers). A pass that leaves fewer than t fails fast; then up to
 * PATIENT_PASSES patient passes wait (up to the deadline) for unreachable oracles to reconnect.
 * An oracle's RATE_LIMITED is retried on the same oracle with backoff (its retryAfterMs hint, at
 * least an exponential floor), a few times, before it counts as that oracle failing.
 */

import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { type ErrorCode, MpcidError } from '../common/errors.js';
import { call, errorInfoOf, type UnaryMethod } from '../common/grpc.js';
import { LOG, type Logger } from '../common/log.js';
import { commitmentFromWire, nonceRequestFields } from '../common/protocol.js';
import type { AccessStructure } from '../crypto/access.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { decodePoint } from '../crypto/ed25519.js';
import type { NonceCommitment } from '../crypto/frost.js';
import { signStatement } from '../crypto/statement.js';
import type { StepRequest } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import type { StepResponse__Output } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { OracleClient } from './oracles.js';
import type { AgentState } from './state.js';

/** After a failure, an oracle is tried last for this long. */
const PENALTY_MS = 2_000;
/** Picks a signing set is kept for among equally good oracles before a fresh one is drawn. */
export const STICKY_STEPS = 8;
/** Patient passes over unreachable oracles before a sign gives up with QUORUM_UNAVAILABLE. */
const PATIENT_PASSES = 2;
/** Retries of one call refused with RATE_LIMITED, and the backoff between them. */
const RATE_LIMIT_RETRIES = 5;
const RATE_LIMIT_BASE_MS = 50;
const RATE_LIMIT_MAX_MS = 2_000;

/** How long to wait before retry `attempt` (0-based) of a call refused with RATE_LIMITED. */
export function rateLimitBackoffMs(
  attempt: number,
  hint: number | string | undefined,
  random = Math.random(),
): number {
  const floor = RATE_LIMIT_BASE_MS * 2 ** attempt;
  const h = Number(hint);
  const wait = Math.min(RATE_LIMIT_MAX_MS, Math.max(floor, Number.isFinite(h) && h > 0 ? h : 0));
  // Jitter, so agents refused together do not come back together.
  return Math.round(wait * (1 + 0.25 * random));
}

/** Where one signing call stands: failed oracles, and whether it waits for reconnecting ones. */
export interface Attempts {
  failed: Map<number, MpcidError>;
  patient: boolean;
  patientPasses: number;
}

export function newAttempts(): Attempts {
  return { failed: new Map(), patient: false, patientPasses: 0 };
}

export interface QuorumOptions {
  /** Deadline of each call to an oracle. */
  deadlineMs: number;
  /** Commitments fetched per GetNonces call. */
  prefetch: number;
}

export class Quorum {
  readonly clients: readonly OracleClient[];
  readonly deadlineMs: number;
  readonly #state: AgentState;
  readonly #log: Logger;
  readonly #prefetch: number;
  readonly #cache = new Map<number, NonceCommitment[]>();
  readonly #penalty = new Map<number, number>();
  /** The last signing set and how many more picks prefer it (sticky sets, see the header). */
  #sticky: { ids: ReadonlySet<number>; left: number } | undefined;
  /** Oracles whose nonce commitments warmOthers is fetching. */
  readonly #warming = new Set<number>();

  constructor(state: AgentState, clients: readonly OracleClient[], log: Logger, opts: QuorumOptions) {
    this.#state = state;
    this.clients = clients;
    this.#log = log;
    this.deadlineMs = opts.deadlineMs;
    this.#prefetch = opts.prefetch;
  }

  get #as(): AccessStructure {
    return this.#state.group.as;
  }

  client(nodeId: number): OracleClient {
    return this.clients.find((c) => c.nodeId === nodeId)!;
  }

  /** `call` with this agent's deadline; RATE_LIMITED is retried with backoff (see the header). */
  call<Req, Res>(
    client: grpc.Client,
    method: UnaryMethod<Req, Res>,
    req: Req,
    patient: boolean,
  ): Promise<Res> {
    return this.#retrying(() => call(client, method, req, this.deadlineMs, patient));
  }

  /** One Step to `c` over its step stream (agent/step-stream.ts), with `call`'s deadline and retries. */
  step(c: OracleClient, req: StepRequest, patient: boolean): Promise<StepResponse__Output> {
    return this.#retrying(() => c.steps.step(req, this.deadlineMs, patient));
  }

  async #retrying<Res>(send: () => Promise<Res>): Promise<Res> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (e) {
        const info = errorInfoOf(e);
        if (info?.code !== 'RATE_LIMITED' || attempt >= RATE_LIMIT_RETRIES) throw e;
        const hint = info.details && 'retryAfterMs' in info.details ? info.details.retryAfterMs : undefined;
        const wait = rateLimitBackoffMs(attempt, hint);
        this.#log.info(
          { [LOG.errorCode]: info.code, attempt: attempt + 1, waitMs: wait },
          'rate limited; retrying',
        );
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /**
   * Fetches nonce commitments from one oracle into the cache. `counter` is the certified one:
   * oracles refuse requests behind them (replays).
   */
  async fetchNonces(c: OracleClient, counter: number, patient = false): Promise<void> {
    const rid = new Uint8Array(randomBytes(16));
    const count = this.#prefetch;
    const sig = signStatement(
      this.#state.sessionKey,
      STATEMENT_DOMAINS.nonceRequest,
      ...nonceRequestFields(this.#state.identityId, count, rid, counter, c.nodeId),
    );
    const res = await this.call(
      c.signer,
      c.signer.GetNonces,
      {
        identityId: this.#state.identityId,
        count,
        requestId: Buffer.from(rid),
        sessionSignature: Buffer.from(sig),
        counter,
        nodeId: c.nodeId,
      },
      patient,
    );
    this.remember(
      c.nodeId,
      res.commitments.map(commitmentFromWire).filter((x) => x.participant === c.nodeId),
    );
  }

  remember(nodeId: number, commitments: NonceCommitment[]): void {
    const list = this.#cache.get(nodeId) ?? [];
    list.push(...commitments);
    this.#cache.set(nodeId, list);
    // Check them now, off the signing path: decodePoint remembers a valid array, so the
    // checkCommitmentList of the step that uses it does not check it again. An invalid one is
    // left as it is and refused there, as before.
    setImmediate(() => {
      for (const c of commitments) {
        for (const p of [c.hiding, c.binding]) {
          try {
            decodePoint(p, 'commitment');
          } catch {
            // refused when used
          }
        }
      }
    });
  }

  /**
   * Fetches nonce commitments in the background for every oracle outside `chosen` that has none
   * cached and is not penalised. The oracles of a signing set get a fresh commitment with each
   * answer, so without this an oracle left out with an empty cache (it failed once, which empties
   * it, or the agent never prefetched) would rank below them at every draw and never be asked
   * again. A failed fetch penalises the oracle (tried again after PENALTY_MS, not at every step).
   */
  warmOthers(chosen: readonly OracleClient[], counter: number): void {
    const now = Date.now();
    for (const c of this.clients) {
      if (chosen.includes(c) || this.hasNonce(c.nodeId) || this.#warming.has(c.nodeId)) continue;
      if ((this.#penalty.get(c.nodeId) ?? 0) > now) continue;
      this.#warming.add(c.nodeId);
      this.fetchNonces(c, counter)
        .catch(() => {
          this.#penalty.set(c.nodeId, Date.now() + PENALTY_MS);
        })
        .finally(() => {
          this.#warming.delete(c.nodeId);
        });
    }
  }

  /** Whether a nonce commitment of `nodeId` is cached. */
  hasNonce(nodeId: number): boolean {
    return (this.#cache.get(nodeId)?.length ?? 0) > 0;
  }

  /** Takes the oldest cached nonce commitment of `nodeId` (hasNonce must hold). */
  takeNonce(nodeId: number): NonceCommitment {
    return this.#cache.get(nodeId)!.shift()!;
  }

  /** Forgets the cached commitments of `nodeId` (it had no nonce for us: refetch). */
  forgetNonces(nodeId: number): void {
    this.#cache.delete(nodeId);
  }

  /** Warms the nonce cache of every oracle (best effort). */
  async prefetch(counter: number): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => this.fetchNonces(c, counter)));
  }

  #order(excluded: ReadonlySet<number>): OracleClient[] {
    const now = Date.now();
    const sticky = this.#sticky && this.#sticky.left > 0 ? this.#sticky.ids : undefined;
    const score = (c: OracleClient) =>
      ((this.#penalty.get(c.nodeId) ?? 0) > now ? 4 : 0) +
      (this.hasNonce(c.nodeId) ? 0 : 2) +
      (sticky && !sticky.has(c.nodeId) ? 1 : 0);
    return this.clients
      .filter((c) => !excluded.has(c.nodeId))
      .map((c) => ({ c, s: score(c), r: Math.random() }))
      .sort((a, b) => a.s - b.s || a.r - b.r)
      .map((x) => x.c);
  }

  /** Records that oracle `c` failed this attempt: it is tried last for a while. */
  fail(c: OracleClient, e: MpcidError, failed: Map<number, MpcidError>): void {
    failed.set(c.nodeId, e);
    this.#penalty.set(c.nodeId, Date.now() + PENALTY_MS);
    this.#cache.delete(c.nodeId);
    this.#log.warn(
      {
        [LOG.peer]: c.nodeId,
        [LOG.address]: c.address,
        [LOG.errorCode]: e.code,
        [LOG.errorMessage]: e.message,
      },
      'oracle failed',
    );
  }

  /**
   * The t oracles of the next attempt, or undefined when none is left. First pass: fail fast on
   * oracles that are down and use others. If that leaves fewer than t, patient passes wait (up to
   * the deadline) for unreachable oracles to reconnect, e.g. right after they restarted (a
   * connection torn down by a peer's crash can fail one call more).
   */
  pick(a: Attempts): OracleClient[] | undefined {
    const { t } = this.#as;
    for (;;) {
      const chosen = this.#order(new Set(a.failed.keys())).slice(0, t);
      if (chosen.length === t) {
        this.#keep(chosen);
        return chosen;
      }
      const unreachable = [...a.failed].filter(([, e]) => e.code === 'PEER_UNAVAILABLE');
      if (a.patientPasses >= PATIENT_PASSES || unreachable.length === 0) return undefined;
      a.patientPasses++;
      a.patient = true;
      for (const [id] of unreachable) a.failed.delete(id);
    }
  }

  /** Counts a pick against the sticky set, or makes `chosen` the new one. */
  #keep(chosen: readonly OracleClient[]): void {
    const s = this.#sticky;
    if (s && s.left > 0 && chosen.every((c) => s.ids.has(c.nodeId))) s.left--;
    else this.#sticky = { ids: new Set(chosen.map((c) => c.nodeId)), left: STICKY_STEPS - 1 };
  }

  /** The error of a step that found no quorum: a cheat, a shared refusal, or QUORUM_UNAVAILABLE. */
  quorumError(failed: Map<number, MpcidError>): MpcidError {
    const { n, t } = this.#as;
    const cheat = [...failed.values()].find((e) => e.code === 'BAD_SIGNATURE_SHARE');
    const refusals = [...failed.values()].filter(
      (e) => e.code !== 'PEER_UNAVAILABLE' && e.code !== 'BAD_SIGNATURE_SHARE',
    );
    const unreachable = [...failed.entries()]
      .filter(([, e]) => e.code === 'PEER_UNAVAILABLE')
      .map(([id]) => id);
    const reachable = n - unreachable.length;
    const detail = [...failed.entries()].map(([id, e]) => `oracle ${id}: ${e.code}`).join(', ');
    let code: ErrorCode = 'QUORUM_UNAVAILABLE';
    if (cheat) code = 'BAD_SIGNATURE_SHARE';
    else if (refusals.length > 0 && unreachable.length === 0) code = refusals[0]!.code;
    return new MpcidError(code, `only ${reachable} of ${n} oracles reachable, quorum is ${t} (${detail})`);
  }
}
