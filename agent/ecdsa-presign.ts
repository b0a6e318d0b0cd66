/**
 * The agent's ES256 presignature pool (docs/ecdsa.md §3-4): DKLs23 sessions run ahead of time by
 * es256-presign steps, so that an ES256 signature takes one step (one round trip) instead of a
 * step and two EcdsaRounds. Counterpart: oracle/ecdsa-presign.ts.
 *
 * Memory only (a restart empties it); at most `size` ready in all (so at most `size` per signing
 * set; 0 turns presigning off: exactly the online path); each is taken out before use, used once
 * (`Presignature.finish` wipes it) and dropped on any error and after its TTL (`ttlMs`, default
 * AGENT_PRESIGN_TTL_MS), shorter than the oracles' PRESIGN_TTL_MS (10 min), so a presignature the
 * agent still offers is one the oracles still hold unless they restarted (then the step answers
 * PRESIGN_UNAVAILABLE and the request signs online: agent/ecdsa.ts).
 *
 * Refills run in the background after start, after ES256 setup, after each use and when one
 * expires if a request took one within the last TTL (an identity that does not sign with ES256
 * stops presigning after one TTL), only while the identity is otherwise idle (no step queued or
 * running: a refill that finds the engine busy waits for its `onIdle` signal, no polling). The
 * presign step itself takes the step engine's lock like any step, so a workload request waits
 * behind at most that one step; its DKLs23 rounds 2-3 run after the lock is released. That is
 * safe: the step is certified before they start (the ratchet is done with it), the rounds touch
 * no ratchet state, only the session and the pool, and steps stay serial. An abort in them is
 * reported and revokes exactly as in an online session (the evidence is the es256-presign step),
 * and stops the engine for the requests that follow.
 */

import * as grpc from '@grpc/grpc-js';
import { asMpcidError, MpcidError } from '../common/errors.js';
import { call } from '../common/grpc.js';
import { LOG } from '../common/log.js';
import { stepDigest } from '../crypto/ratchet.js';
import {
  checkZeroSharing,
  openSession,
  type PresignSource,
  type ReadyPresign,
  round,
  roundFailure,
} from './ecdsa.js';
import type { Es256Key } from './ecdsa-setup.js';
import { newAttempts } from './quorum.js';
import { type RETRY, REVOKED_CODES, type StepEngine, type StepFlow } from './steps.js';

/** How long the agent offers a presignature by default (the oracles keep theirs 10 min). */
export const AGENT_PRESIGN_TTL_MS = 5 * 60_000;
/** Pause after a failed refill before the next try. */
const FAILED_PAUSE_MS = 2_000;
/** Pause before asking the oracles again whether t of them serve es256-presign steps. */
const CAPABILITY_RECHECK_MS = 60_000;

interface Pooled extends ReadyPresign {
  readonly key: Es256Key;
  readonly timer: NodeJS.Timeout;
}

/** Counters for the pool (tests, benchmark). */
export interface PresignStats {
  /** Ready presignatures now. */
  ready: number;
  /** Requests signed with a presignature. */
  hits: number;
  /** Requests that named a presignature an oracle no longer held, and signed online. */
  misses: number;
  /** Presignatures made (their rounds 2-3 passed). */
  made: number;
}

export class PresignPool implements PresignSource {
  readonly #engine: StepEngine;
  readonly #keyOf: () => Es256Key | undefined;
  readonly #size: number;
  readonly #ttlMs: number;
  readonly #ready: Pooled[] = [];
  #refilling = false;
  #stopped = false;
  readonly #stats = { hits: 0, misses: 0, made: 0 };
  readonly #waiters = new Set<() => void>();
  /** Ends the refill loop's wait (engine idle, or the pause after a failure); stop() calls it. */
  #wake: (() => void) | undefined;
  /** When a request last took a presignature (Date.now()), or when the pool started. */
  #lastUse = Date.now();
  /** Set once t oracles said they serve es256-presign steps (#servedByQuorum: not asked again). */
  #served = false;
  #waitLogged = false;

  /**
   * `size` ready at most (0: off); each offered for `ttlMs` (default AGENT_PRESIGN_TTL_MS; keep it
   * shorter than the oracles' 10 min, or a request may name one they dropped: a miss).
   */
  constructor(
    engine: StepEngine,
    keyOf: () => Es256Key | undefined,
    size: number,
    ttlMs = AGENT_PRESIGN_TTL_MS,
  ) {
    if (!(ttlMs > 0))
      throw new MpcidError('CONFIG_INVALID', `es256 presignature TTL must be positive, got ${ttlMs}`);
    this.#engine = engine;
    this.#keyOf = keyOf;
    this.#size = size;
    this.#ttlMs = ttlMs;
  }

  get stats(): PresignStats {
    return { ready: this.#ready.length, ...this.#stats };
  }

  /** The source for an ES256 flow: undefined when presigning is off. */
  get source(): PresignSource | undefined {
    return this.#size > 0 ? this : undefined;
  }

  take(key: Es256Key, failed: ReadonlyMap<number, unknown>): ReadyPresign | undefined {
    const i = this.#ready.findIndex((p) => p.key === key && !p.oracles.some((o) => failed.has(o)));
    if (i < 0) return undefined;
    const [p] = this.#ready.splice(i, 1);
    clearTimeout(p!.timer);
    this.#lastUse = Date.now();
    // Refill once this request's step is done (the engine is busy until then).
    this.refill();
    return p;
  }

  hit(): void {
    this.#stats.hits++;
  }

  missed(): void {
    this.#stats.misses++;
    this.#engine.log.info(
      { [LOG.count]: this.#stats.misses },
      'ES256 presignature missing on an oracle: signing in a fresh online step, the pool is emptied',
    );
    // The oracles lost what we hold (a restart): drop the rest too, nothing of it is reused.
    this.#clear();
  }

  /** Resolves once the pool holds `n` ready presignatures (tests and the benchmark). */
  async whenReady(n = this.#size): Promise<void> {
    while (this.#ready.length < Math.min(n, this.#size) && !this.#stopped) {
      await new Promise<void>((r) => this.#waiters.add(r));
    }
  }

  /** Starts a background refill (no-op if one runs, presigning is off, or there is no key). */
  refill(): void {
    if (this.#size <= 0 || this.#refilling || this.#stopped) return;
    this.#refilling = true;
    void this.#loop().finally(() => {
      this.#refilling = false;
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
    this.#wake?.();
    for (const w of this.#waiters) w();
  }

  /**
   * Waits until `arm`'s wake-up (it returns its own cancel) or stop(): either way nothing armed
   * is left behind (no listener, no timer).
   */
  #sleep(arm: (wake: () => void) => () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      let cancel: (() => void) | undefined;
      let woken = false;
      const wake = () => {
        if (woken) return;
        woken = true;
        cancel?.();
        if (this.#wake === wake) this.#wake = undefined;
        resolve();
      };
      this.#wake = wake;
      cancel = arm(wake);
      if (woken) cancel();
    });
  }

  /** #sleep for `ms` (an unref'd timer, cleared if stop() ends the wait first). */
  #pause(ms: number): Promise<void> {
    return this.#sleep((wake) => {
      const t = setTimeout(wake, ms).unref();
      return () => clearTimeout(t);
    });
  }

  #clear(): void {
    for (const p of this.#ready.splice(0)) {
      clearTimeout(p.timer);
      p.presignature.wipe();
    }
  }

  async #loop(): Promise<void> {
    const engine = this.#engine;
    while (!this.#stopped && this.#ready.length < this.#size) {
      const key = this.#keyOf();
      if (!key || engine.revoked) return;
      if (engine.busy) {
        // Checked and subscribed in one turn of the event loop: the signal cannot be missed.
        await this.#sleep((wake) => engine.onIdle(wake));
        continue;
      }
      if (!(await this.#servedByQuorum())) {
        await this.#pause(CAPABILITY_RECHECK_MS);
        continue;
      }
      try {
        checkZeroSharing(key);
        const p = await this.#presignOnce(key);
        if (p) this.#add(key, p);
      } catch (e) {
        const err = asMpcidError(e) ?? new MpcidError('INTERNAL', String(e));
        if (REVOKED_CODES.has(err.code) || engine.revoked || err.code === 'NO_ES256_KEY') return;
        engine.log.warn(
          { [LOG.errorCode]: err.code, [LOG.errorMessage]: err.message },
          'ES256 presigning failed; requests sign online meanwhile',
        );
        await this.#pause(FAILED_PAUSE_MS);
      }
    }
  }

  /**
   * Whether a presign step can be certified: at least t oracles are not known to refuse the kind.
   * GetCapabilities names the step kinds an oracle serves; one older than it answers
   * UNIMPLEMENTED, and one with presignatures off omits es256-presign. A presign step is written
   * ahead like any step and must be certified before any later one, so one that fewer than t
   * oracles accept would stay pending and stop every request of the identity. An oracle that does
   * not answer (down, slow) may serve the kind and is not counted against it. Once t oracles said
   * they serve it, never asked again for this process; while fewer than t may, asked again every
   * CAPABILITY_RECHECK_MS.
   */
  async #servedByQuorum(): Promise<boolean> {
    if (this.#served) return true;
    const engine = this.#engine;
    const { t, n } = engine.state.group.as;
    const answers = await Promise.allSettled(
      engine.quorum.clients.map((c) =>
        call(c.signer, c.signer.GetCapabilities, {}, engine.quorum.deadlineMs),
      ),
    );
    let serving = 0;
    let refusing = 0;
    for (const a of answers) {
      if (a.status === 'fulfilled') {
        if (a.value.stepKinds.includes('es256-presign')) serving++;
        else refusing++;
      } else if ((a.reason as { code?: unknown }).code === grpc.status.UNIMPLEMENTED) refusing++;
    }
    if (serving >= t) this.#served = true;
    if (n - refusing >= t) return true;
    if (!this.#waitLogged) {
      this.#waitLogged = true;
      engine.log.warn(
        { refusing, n, t },
        'ES256 presigning waits until t oracles serve es256-presign steps (older ones, or ones with presignatures off, do not); ES256 requests sign online meanwhile',
      );
    }
    return false;
  }

  #add(key: Es256Key, p: ReadyPresign): void {
    if (this.#stopped || this.#keyOf() !== key) {
      p.presignature.wipe();
      return;
    }
    const pooled: Pooled = {
      ...p,
      key,
      timer: setTimeout(() => {
        const i = this.#ready.indexOf(pooled);
        if (i >= 0) this.#ready.splice(i, 1);
        p.presignature.wipe();
        // Replaced only for an identity that signs with ES256: one that took none for a whole
        // TTL would otherwise cost the cluster a presign step and its DKLs23 rounds every TTL
        // for nothing. Its next request signs online, and the pool refills after it.
        if (Date.now() - this.#lastUse < this.#ttlMs) this.refill();
      }, this.#ttlMs).unref(),
    };
    this.#ready.push(pooled);
    this.#stats.made++;
    // The readiness signal tests and the benchmark wait for (no secret in it).
    this.#engine.log.info(
      { [LOG.count]: this.#ready.length, oracles: p.oracles.join(',') },
      'ES256 presignature ready',
    );
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  /**
   * One presignature: the es256-presign step (with the engine's lock), then rounds 2-3 outside
   * it. Undefined if an oracle failed a round (it counts as failed; the next refill tries again).
   */
  async #presignOnce(key: Es256Key): Promise<ReadyPresign | undefined> {
    const engine = this.#engine;
    const opened = await engine.run(presignFlow(engine, key));
    const { session, round1, signed } = opened;
    const a = newAttempts();
    try {
      const presignature = await session.presign(round1, (o, r, envelopes) =>
        round(engine, o, session.session, r, envelopes, true),
      );
      return { signed, digest: stepDigest(signed.step), oracles: session.oracles, presignature };
    } catch (e) {
      await roundFailure(engine, e, a, signed, {
        messageDigest: session.messageHash,
        oracles: session.oracles,
      });
      return undefined;
    }
  }
}

/** The es256-presign step: opens a presigning session on t oracles (rounds 2-3 follow outside the lock). */
function presignFlow(
  engine: StepEngine,
  key: Es256Key,
): StepFlow<Exclude<Awaited<ReturnType<typeof openSession>>, typeof RETRY>> {
  return {
    targets: 'set',
    prepare: () => checkZeroSharing(key),
    attempt: (picked, a) => openSession(engine, key, 'es256-presign', undefined, picked, a),
  };
}
