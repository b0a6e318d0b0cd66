/**
 * Alert webhooks (docs/protocol.md §7, Webhooks). Each configured sink (a Standard Webhooks
 * endpoint, PagerDuty Events v2 or a Slack incoming webhook; oracle/sinks.ts formats them) has a
 * durable outbox in the oracle's LevelDB: an entry per event is written in the same sync batch as
 * the revocation and its event (AlertHub.durableEntries), so an alert survives a crash at any
 * point. One delivery loop per sink POSTs the oldest entry and deletes it on a 2xx; anything else
 * is retried with exponential backoff and jitter until the entry passes the dead-letter bound
 * (`alerts.deadLetter`: attempts or age), when it moves to the dead-letter list in one sync batch
 * (kept, logged, counted in /metrics, listed by `mpcid alerts dead`) and the next entry goes out.
 *
 * Delivery is at least once (a crash between the receiver's 2xx and the delete sends the event
 * again, and every oracle of the cluster sends its own copy): receivers dedupe by the event id.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DeadLetterConfig } from '../common/config.js';
import { LOG, type Logger } from '../common/log.js';
import type { AlertHub } from './alerts.js';
import type { OutboxEntry } from './records.js';
import { type AlertOrigin, deliveryFor, sinkLabel, type Webhook } from './sinks.js';
import type { OracleStore } from './store.js';

export { resolveWebhooks, type Webhook } from './sinks.js';

export interface WebhookOptions {
  /** First retry delay; doubles per failed attempt up to `maxBackoffMs` (each with jitter). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** On stop: how long the final delivery attempt of what is left may take. */
  flushMs?: number;
  /** Safety poll of an empty outbox (new events also wake the loop at once). */
  pollMs?: number;
  /** When a refused event leaves the queue for the dead-letter list (alerts.deadLetter). */
  deadLetter?: DeadLetterConfig;
  /** The sending oracle: the CloudEvents source. */
  origin?: AlertOrigin;
}

const DEFAULTS: Required<WebhookOptions> = {
  initialBackoffMs: 250,
  maxBackoffMs: 30_000,
  flushMs: 1_000,
  pollMs: 30_000,
  deadLetter: { maxAttempts: 20, maxAgeSeconds: 86_400 },
  origin: { clusterId: 'mpcid', nodeId: 0 },
};

class DeliveryLoop {
  readonly #hook: Webhook;
  readonly #store: OracleStore;
  readonly #log: Logger;
  readonly #opts: Required<WebhookOptions>;
  readonly #stop = new AbortController();
  #stopping = false;
  #flushUntil = Infinity;
  /** An event was published since the loop last read the outbox. */
  #pending = true;
  #wake: (() => void) | undefined;
  #idle = false;
  done: Promise<void> = Promise.resolve();

  constructor(hook: Webhook, store: OracleStore, log: Logger, opts: Required<WebhookOptions>) {
    this.#hook = hook;
    this.#store = store;
    this.#log = log.child({ webhook: hook.index, sink: hook.kind, url: sinkLabel(hook) });
    this.#opts = opts;
  }

  start(): void {
    this.done = this.#run().catch((err: unknown) => {
      this.#log.error({ [LOG.err]: err }, 'webhook delivery loop failed');
    });
  }

  notify(): void {
    this.#pending = true;
    if (this.#idle) this.#wake?.();
  }

  /** Stops waiting: what is left gets one last attempt, all within `flushMs`. */
  stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#flushUntil = Date.now() + this.#opts.flushMs;
      setTimeout(() => this.#stop.abort(), this.#opts.flushMs).unref();
      this.#wake?.();
    }
    return this.done;
  }

  /** Waits `ms`; stop() ends the wait, and so does a new event when `idle` (not during a backoff). */
  #sleep(ms: number, idle = false): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#idle = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      this.#idle = idle;
    });
  }

  #backoff(attempt: number): number {
    const cap = Math.min(
      this.#opts.maxBackoffMs,
      this.#opts.initialBackoffMs * 2 ** Math.min(attempt - 1, 30),
    );
    return Math.round(cap * (0.5 + Math.random() / 2));
  }

  async #run(): Promise<void> {
    let attempt = 0;
    /** The head entry's seq and when this loop first tried it (for entries without queuedAt). */
    let head = { seq: -1, firstTriedAt: 0 };
    for (;;) {
      if (this.#stopping && Date.now() >= this.#flushUntil) return;
      let entry: OutboxEntry | undefined;
      try {
        this.#pending = false;
        [entry] = await this.#store.outbox(this.#hook.index, 1);
      } catch (err) {
        if (this.#stopping) return;
        this.#log.error({ [LOG.err]: err }, 'cannot read the webhook outbox; retrying');
        await this.#sleep(this.#opts.maxBackoffMs);
        continue;
      }
      if (!entry) {
        if (this.#stopping) return;
        if (!this.#pending) await this.#sleep(this.#opts.pollMs, true);
        continue;
      }
      if (entry.seq !== head.seq) {
        head = { seq: entry.seq, firstTriedAt: Date.now() };
        attempt = 0;
      }
      const refusal = await this.#deliver(entry, attempt + 1);
      if (refusal === undefined) {
        attempt = 0;
        try {
          await this.#store.deleteOutbox(this.#hook.index, entry.seq);
        } catch (err) {
          // Delivered but still in the outbox: it is sent again later, and the receiver dedupes.
          if (this.#stopping) return;
          this.#log.error({ [LOG.err]: err }, 'cannot delete a delivered outbox entry');
          await this.#sleep(this.#opts.maxBackoffMs);
        }
        continue;
      }
      attempt++;
      // That was the final attempt: the entry stays in the outbox for the next start.
      if (this.#stopping) return;
      if (await this.#deadLetterIfDue(entry, attempt, entry.queuedAt ?? head.firstTriedAt, refusal)) continue;
      await this.#sleep(this.#backoff(attempt));
    }
  }

  /**
   * Past the bound (attempts, or age since it was queued), the entry moves to the dead-letter
   * list and the loop goes on with the next one. True if it moved.
   */
  async #deadLetterIfDue(entry: OutboxEntry, attempts: number, queuedAt: number, lastError: string) {
    const { maxAttempts, maxAgeSeconds } = this.#opts.deadLetter;
    const now = Date.now();
    const bound =
      attempts >= maxAttempts ? 'attempts' : now - queuedAt >= maxAgeSeconds * 1000 ? 'age' : undefined;
    if (!bound) return false;
    try {
      await this.#store.deadLetter({
        webhook: this.#hook.index,
        seq: entry.seq,
        event: entry.event,
        attempts,
        queuedAt,
        deadAt: now,
        bound,
        lastError,
      });
    } catch (err) {
      this.#log.error({ [LOG.err]: err, seq: entry.seq }, 'cannot move a refused alert to the dead letters');
      return false;
    }
    this.#log.error(
      { seq: entry.seq, eventId: entry.event.id, attempts, bound, lastError, queuedAt },
      `DEAD LETTER: the webhook refused alert ${entry.event.id} past the dead-letter bound (${bound}); it is kept in the dead letters (mpcid alerts dead) and later alerts go on`,
    );
    return true;
  }

  /** One POST; undefined on a 2xx, else why it failed (a status or an error code). Never throws. */
  async #deliver(entry: OutboxEntry, attempt: number): Promise<string | undefined> {
    const hook = this.#hook;
    const started = Date.now();
    const fields = { seq: entry.seq, eventId: entry.event.id, attempt };
    let req: { headers: Record<string, string>; body: string };
    try {
      req = deliveryFor(hook, entry.event, this.#opts.origin, new Date(started));
    } catch (err) {
      this.#log.error({ ...fields, [LOG.errorMessage]: (err as Error).message }, 'cannot format the alert');
      return 'FORMAT';
    }
    try {
      const status = await postOnce(
        hook.url,
        { ...req.headers, 'user-agent': 'mpcid-oracle' },
        req.body,
        hook.timeoutMs,
        this.#stop.signal,
      );
      if (status >= 200 && status < 300) {
        this.#log.info({ ...fields, [LOG.durationMs]: Date.now() - started }, 'alert delivered to webhook');
        return undefined;
      }
      this.#log.warn({ ...fields, status }, 'webhook refused the alert; will retry');
      return `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { code?: string };
      this.#log.warn(
        { ...fields, [LOG.errorMessage]: e.code ?? e.message },
        'webhook unreachable; will retry',
      );
      return e.code ?? e.message;
    }
  }
}

/**
 * POSTs `body` and resolves with the response status (the response body is discarded). Redirects
 * are not followed: a 3xx would send the signed event elsewhere, and counts as a failure.
 *
 * Built on node:http(s) rather than fetch: the attempt's deadline and the stop signal destroy the
 * request through a timer and a listener this function holds. With fetch, an AbortSignal given to
 * an in-flight request can lose its link to the request after a garbage collection
 * (nodejs/node#55428), and a receiver that never answers then holds the delivery loop forever.
 */
function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<number> {
  return new Promise((resolve, reject) => {
    if (stop.aborted) {
      reject(new Error('stopping'));
      return;
    }
    const u = new URL(url);
    const payload = Buffer.from(body, 'utf8');
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(payload.length) },
    });
    let settled = false;
    const finish = (err: Error | undefined, status = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      if (err) reject(err);
      else resolve(status);
    };
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    const onStop = () => req.destroy(new Error('stopping'));
    stop.addEventListener('abort', onStop, { once: true });
    // `on`, not `once`: a late second error must find a listener rather than crash the process.
    req.on('error', (e) => finish(e));
    req.once('response', (res) => {
      res.on('error', () => undefined);
      res.resume(); // the body is not needed; draining it frees the socket
      finish(undefined, res.statusCode ?? 0);
    });
    req.end(payload);
  });
}

/** Runs one delivery loop per configured webhook. */
export class WebhookDispatcher {
  readonly #store: OracleStore;
  readonly #log: Logger;
  readonly #loops: DeliveryLoop[];
  #unsubscribe: (() => void) | undefined;

  constructor(
    hooks: readonly Webhook[],
    store: OracleStore,
    alerts: AlertHub,
    log: Logger,
    opts: WebhookOptions = {},
  ) {
    this.#store = store;
    this.#log = log;
    const o = { ...DEFAULTS, ...opts };
    this.#loops = hooks.map((h) => new DeliveryLoop(h, store, log, o));
    if (this.#loops.length > 0) this.#unsubscribe = alerts.subscribe(() => this.#notify());
  }

  #notify(): void {
    for (const l of this.#loops) l.notify();
  }

  /** Starts delivering, beginning with whatever the outbox kept from before a restart. */
  async start(): Promise<void> {
    const counts = await this.#store.outboxWebhooks();
    for (const [w, count] of counts) {
      if (w >= this.#loops.length)
        this.#log.warn(
          { webhook: w, [LOG.count]: count },
          'undelivered alerts for a webhook that is no longer configured (they stay in the outbox)',
        );
      else if (count > 0) this.#log.info({ webhook: w, [LOG.count]: count }, 'resuming webhook deliveries');
    }
    for (const l of this.#loops) l.start();
  }

  /** Stops every loop after a final, bounded delivery attempt; undelivered events stay in the outbox. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await Promise.all(this.#loops.map((l) => l.stop()));
  }
}
