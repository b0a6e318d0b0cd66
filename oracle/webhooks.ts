/**
 * Alert webhooks (docs/protocol.md §7, Webhooks). Each configured webhook has a durable outbox in the
 * oracle's LevelDB: an entry per event is written in the same sync batch as the revocation and
 * its event (AlertHub.durableEntries), so an alert survives a crash at any point. One delivery
 * loop per webhook POSTs the oldest entry, signed with HMAC-SHA256, and deletes it on a 2xx;
 * anything else is retried with exponential backoff and jitter, for as long as it takes.
 *
 * Delivery is at least once (a crash between the receiver's 2xx and the delete sends the event
 * again, and every oracle of the cluster sends its own copy): receivers dedupe by the event id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WebhookConfig } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { LOG, type Logger } from '../common/log.js';
import type { AlertHub } from './alerts.js';
import type { OracleStore, OutboxEntry } from './store.js';

export const SIGNATURE_HEADER = 'x-mpcid-signature';
export const TIMESTAMP_HEADER = 'x-mpcid-timestamp';
export const EVENT_ID_HEADER = 'x-mpcid-event-id';
/** How far a receiver should let the timestamp drift from its clock (seconds). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A webhook with its secret resolved. */
export interface Webhook {
  readonly index: number;
  readonly url: string;
  /** SECRET: the HMAC key. */
  readonly secret: string;
  readonly timeoutMs: number;
}

/** Resolves `secretEnv` references; CONFIG_INVALID if a named variable is unset or empty. */
export function resolveWebhooks(configs: readonly WebhookConfig[], env = process.env): Webhook[] {
  return configs.map((c, index) => {
    const secret = c.secret ?? (c.secretEnv ? env[c.secretEnv] : undefined);
    if (!secret)
      throw new MpcidError(
        'CONFIG_INVALID',
        `alerts.webhooks.${index}: environment variable ${c.secretEnv} is not set`,
      );
    return { index, url: c.url, secret, timeoutMs: c.timeoutMs };
  });
}

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export function webhookSignature(secret: string, timestamp: string | number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver checks: the signature over (timestamp, raw body) with the shared secret, and a
 * timestamp within `toleranceSeconds` of its clock (so a captured request cannot be replayed later).
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  nowSeconds = Date.now() / 1000,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signature) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const want = Buffer.from(webhookSignature(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface WebhookOptions {
  /** First retry delay; doubles per failed attempt up to `maxBackoffMs` (each with jitter). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** On stop: how long the final delivery attempt of what is left may take. */
  flushMs?: number;
  /** Safety poll of an empty outbox (new events also wake the loop at once). */
  pollMs?: number;
}

const DEFAULTS: Required<WebhookOptions> = {
  initialBackoffMs: 250,
  maxBackoffMs: 30_000,
  flushMs: 1_000,
  pollMs: 30_000,
};

/** The URL without credentials, query or fragment: what logs may show. */
function safeUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

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
    this.#log = log.child({ webhook: hook.index, url: safeUrl(hook.url) });
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
      if (await this.#deliver(entry, attempt + 1)) {
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
      await this.#sleep(this.#backoff(attempt));
    }
  }

  /** One POST; true on a 2xx. Never throws. */
  async #deliver(entry: OutboxEntry, attempt: number): Promise<boolean> {
    const hook = this.#hook;
    const body = JSON.stringify(entry.event);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const started = Date.now();
    const fields = { seq: entry.seq, eventId: entry.event.id, attempt };
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'mpcid-oracle',
      [EVENT_ID_HEADER]: entry.event.id,
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: webhookSignature(hook.secret, timestamp, body),
    };
    try {
      const status = await postOnce(hook.url, headers, body, hook.timeoutMs, this.#stop.signal);
      if (status >= 200 && status < 300) {
        this.#log.info({ ...fields, [LOG.durationMs]: Date.now() - started }, 'alert delivered to webhook');
        return true;
      }
      this.#log.warn({ ...fields, status }, 'webhook refused the alert; will retry');
    } catch (err) {
      const e = err as Error & { code?: string };
      this.#log.warn(
        { ...fields, [LOG.errorMessage]: e.code ?? e.message },
        'webhook unreachable; will retry',
      );
    }
    return false;
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
