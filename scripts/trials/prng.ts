/**
 * A small deterministic PRNG (mulberry32 over a 32-bit seed mixed with a label), so every fault
 * choice of a trial follows from its seed: `npm run trials -- --seed N --only KIND` replays it.
 */
export class Prng {
  #s: number;
  constructor(
    readonly seed: number,
    label = '',
  ) {
    let h = (seed ^ 0x9e3779b9) >>> 0;
    for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 0x85ebca6b) >>> 0;
    this.#s = h;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let x = this.next() * entries.reduce((a, [, w]) => a + w, 0);
    for (const [k, w] of entries) {
      x -= w;
      if (x < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}
