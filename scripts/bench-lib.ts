/**
 * Helpers for scripts/bench.ts and scripts/demo-clone.ts: timing loops, summaries (nearest-rank
 * percentiles), the stdout table, and a local alert-webhook receiver. No mpcid imports, so it
 * stays a plain measuring kit, and the receiver checks the webhook contract of docs/protocol.md §7
 * (headers, HMAC-SHA256 over timestamp + "." + raw body) independently of the oracle's own code.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HTTP } from 'cloudevents';
import { Webhook } from 'standardwebhooks';

export interface Summary {
  /** Measured operations (warm-up excluded). */
  count: number;
  /** Operations in flight at once. */
  concurrency: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  /** Wall time of the measured phase. */
  wallMs: number;
  /** count / wall time. */
  opsPerSec: number;
}

/** Nearest-rank percentile of sorted samples (p in (0, 100]). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samplesMs: readonly number[], wallMs: number, concurrency = 1): Summary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    concurrency,
    meanMs: sum / sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    wallMs,
    opsPerSec: sorted.length / (wallMs / 1000),
  };
}

/**
 * A summary of latencies that are not a throughput phase (e.g. one detection per trial with
 * set-up in between): ops/s is left undefined (NaN, printed as '-').
 */
export function summarizeLatency(samplesMs: readonly number[]): Summary {
  return summarize(samplesMs, Number.NaN);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Per-operation latencies and wall time of a measured phase. */
export interface Samples {
  latenciesMs: number[];
  wallMs: number;
  concurrency: number;
}

/** Runs `fn(i)` for i in [0, warmup) untimed, then [0, count) timed one at a time. */
export async function measureSeq(
  count: number,
  warmup: number,
  fn: (i: number) => unknown,
): Promise<Samples> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const latenciesMs = new Array<number>(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await fn(i);
    latenciesMs[i] = performance.now() - t0;
  }
  return { latenciesMs, wallMs: performance.now() - start, concurrency: 1 };
}

/** Like measureSeq for synchronous work: no await between operations (no microtask hop). */
export function measureSync(count: number, warmup: number, fn: (i: number) => unknown): Samples {
  for (let i = 0; i < warmup; i++) fn(i);
  const latenciesMs = new Array<number>(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    fn(i);
    latenciesMs[i] = performance.now() - t0;
  }
  return { latenciesMs, wallMs: performance.now() - start, concurrency: 1 };
}

/**
 * Runs `fn(i)` for i in [0, count) with `concurrency` operations in flight (a fixed pool of
 * workers taking the next index), after `warmup` untimed operations at the same concurrency.
 */
export async function measureConcurrent(
  count: number,
  warmup: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<Samples> {
  const pool = async (n: number, op: (i: number) => Promise<void>) => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) await op(i);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  };
  await pool(warmup, async (i) => {
    await fn(i);
  });
  const latenciesMs = new Array<number>(count);
  const start = performance.now();
  await pool(count, async (i) => {
    const t0 = performance.now();
    await fn(i);
    latenciesMs[i] = performance.now() - t0;
  });
  return { latenciesMs, wallMs: performance.now() - start, concurrency };
}

/** Merges samples of the same operation measured in several passes (wall times add up). */
export function merge(parts: readonly Samples[]): Samples {
  return {
    latenciesMs: parts.flatMap((p) => p.latenciesMs),
    wallMs: parts.reduce((a, p) => a + p.wallMs, 0),
    concurrency: parts[0]?.concurrency ?? 1,
  };
}

/** `count` scaled by `scale`, never below `min`. */
export function scaled(count: number, scale: number, min: number): number {
  return Math.max(min, Math.round(count * scale));
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (x >= 1000) return x.toFixed(0);
  if (x >= 100) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(4);
}

export interface Row {
  name: string;
  s: Summary;
  vs?: string;
}

/** A fixed-width text table: name, count, mean, p50, p99 (ms), ops/s, vs baseline. */
export function table(rows: readonly Row[]): string {
  const head = ['benchmark', 'count', 'mean ms', 'p50 ms', 'p99 ms', 'ops/s', 'vs baseline'];
  const body = rows.map((r) => [
    r.name,
    String(r.s.count),
    fmt(r.s.meanMs),
    fmt(r.s.p50Ms),
    fmt(r.s.p99Ms),
    fmt(r.s.opsPerSec),
    r.vs ?? '',
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) =>
        c === 0 || c === cells.length - 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...body.map(line)].join('\n');
}

// ---- Alert webhooks (docs/protocol.md §7) ----

/** One accepted delivery: signature, timestamp and event id all checked. */
export interface WebhookDelivery {
  /** performance.now() when the whole body had arrived. */
  at: number;
  eventId: string;
  /** The alert: the CloudEvent's `data`. */
  event: Record<string, unknown>;
}

/** A fresh Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
}

/**
 * A local HTTP endpoint for the oracles' alert webhooks, as a receiver would write one with the
 * `standardwebhooks` and `cloudevents` libraries alone. It accepts (204) only a POST to its path
 * whose Standard Webhooks signature verifies (the library also refuses a timestamp more than
 * 300 s away), whose body `cloudevents` parses as a CloudEvent, and whose `webhook-id` is the
 * event's id; anything else is refused (401/400/404) and counted in `rejected`.
 */
export class WebhookReceiver {
  readonly deliveries: WebhookDelivery[] = [];
  readonly rejected: string[] = [];
  readonly #listeners = new Set<(d: WebhookDelivery) => void>();
  private constructor(
    readonly server: Server,
    readonly url: string,
    readonly path: string,
    readonly secret: string,
  ) {}

  /** Listens on 127.0.0.1:`port` (0: any free port). */
  static async start(secret: string, opts: { port?: number; path?: string } = {}): Promise<WebhookReceiver> {
    const path = opts.path ?? '/mpcid-alerts';
    let receiver: WebhookReceiver | undefined;
    const server = createServer((req, res) => receiver!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as { port: number };
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}${path}`, path, secret);
    return receiver;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const refuse = (status: number, why: string) => {
        this.rejected.push(why);
        res.writeHead(status).end();
      };
      if (req.method !== 'POST' || req.url !== this.path) return refuse(404, `${req.method} ${req.url}`);
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (h: string) => {
        const v = req.headers[h];
        return typeof v === 'string' ? v : undefined;
      };
      try {
        new Webhook(this.secret).verify(body, req.headers as Record<string, string>);
      } catch (e) {
        return refuse(401, `standardwebhooks: ${(e as Error).message}`);
      }
      let event: Record<string, unknown>;
      let eventId: string;
      try {
        const ce = HTTP.toEvent({ headers: req.headers, body });
        if (Array.isArray(ce)) throw new Error('a batch');
        event = ce.data as Record<string, unknown>;
        eventId = ce.id;
      } catch (e) {
        return refuse(400, `cloudevents: ${(e as Error).message}`);
      }
      if (header('webhook-id') !== eventId || event['id'] !== eventId)
        return refuse(400, 'webhook-id does not match the event id');
      res.writeHead(204).end();
      const d: WebhookDelivery = { at, eventId, event };
      this.deliveries.push(d);
      for (const fn of [...this.#listeners]) fn(d);
    });
  }

  /** Resolves with the deliveries `pick` accepts once `done` holds for them; rejects after `timeoutMs`. */
  waitFor(
    pick: (d: WebhookDelivery) => boolean,
    done: (ds: WebhookDelivery[]) => boolean,
    timeoutMs: number,
  ): Promise<WebhookDelivery[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const ds = this.deliveries.filter(pick);
        if (!done(ds)) return false;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve(ds);
        return true;
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        const n = this.deliveries.filter(pick).length;
        reject(new Error(`webhook: after ${timeoutMs} ms only ${n} matching deliveries arrived`));
      }, timeoutMs);
      if (!check()) this.#listeners.add(check);
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
