/**
 * Helpers for scripts/bench.ts: timing loops, summaries (nearest-rank percentiles) and the
 * stdout table. No mpcid imports, so it stays a plain measuring kit.
 */
import { performance } from 'node:perf_hooks';

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
