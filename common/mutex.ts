/**
 * The one mutex helper: promise-chain locks that run callbacks one at a time, in call order.
 * A callback that throws releases the lock like one that returns; its error goes to its caller
 * only.
 */

/** Runs callbacks one at a time, in the order they were given. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every callback given before it has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every callback given so far has settled. */
  async idle(): Promise<void> {
    await this.#tail;
  }
}

/** One Mutex per key, held only while a callback for that key is queued or running. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every callback given before it for `key` has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.#tails.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with a callback queued or running (tests: nothing is left behind). */
  get size(): number {
    return this.#tails.size;
  }
}
