/**
 * Graceful shutdown's gate: counts the unary requests an oracle is handling (and the steps that
 * arrive on a Signer.Steps stream, through track) and, once draining, refuses new ones with
 * NOT_READY ("shutting down") while the ones already in flight finish. The gRPC health service is
 * not gated: it keeps answering NOT_SERVING until the servers close.
 */
import type * as grpc from '@grpc/grpc-js';
import { MpcidError } from '../common/errors.js';
import { toServiceError } from '../common/grpc.js';
import type { Logger } from '../common/log.js';

/** What a request gets once draining has started. */
const refusal = () => new MpcidError('NOT_READY', 'oracle is shutting down');

type UnaryHandler = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

export class Drain {
  readonly #log: Logger;
  #inflight = 0;
  #draining = false;
  #idle: (() => void)[] = [];
  readonly #onStart = new Set<() => void>();

  constructor(log: Logger) {
    this.#log = log;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Requests being handled now. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Wraps the unary handlers of `def` (streaming ones are left alone: they are ended on close). */
  gate<H extends object>(def: grpc.ServiceDefinition, handlers: H): H {
    const out = { ...handlers } as Record<string, unknown>;
    for (const [name, m] of Object.entries(def)) {
      const h = out[name];
      if (m.requestStream || m.responseStream || typeof h !== 'function') continue;
      out[name] = this.#wrap(name, h as UnaryHandler);
    }
    return out as H;
  }

  /**
   * One request that arrives on a stream (Signer.Steps), gated like a unary one: refused with
   * NOT_READY once draining, counted in flight until `run` settles.
   */
  async track<T>(run: () => Promise<T>): Promise<T> {
    if (this.#draining) throw refusal();
    this.#inflight++;
    try {
      return await run();
    } finally {
      this.#finished();
    }
  }

  /** One request in flight has finished; the waiters are woken once none is left. */
  #finished(): void {
    this.#inflight--;
    if (this.#inflight === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  #wrap(method: string, h: UnaryHandler): UnaryHandler {
    return (call, callback) => {
      if (this.#draining) {
        callback(toServiceError(refusal(), this.#log, method));
        return;
      }
      this.#inflight++;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.#finished();
      };
      try {
        h(call, (err, res, ...rest) => {
          finish();
          callback(err, res, ...rest);
        });
      } catch (e) {
        finish();
        throw e;
      }
    };
  }

  /** From now on new requests are refused; the streams that asked (onStart) are told. */
  start(): void {
    this.#draining = true;
    for (const fn of [...this.#onStart]) fn();
  }

  /**
   * Runs `fn` when draining starts (at once if it has): how a Signer.Steps stream ends itself
   * once its steps in flight are answered, so open streams do not hold up the servers' close.
   * Returns the function that cancels it.
   */
  onStart(fn: () => void): () => void {
    if (this.#draining) {
      fn();
      return () => undefined;
    }
    this.#onStart.add(fn);
    return () => {
      this.#onStart.delete(fn);
    };
  }

  /** Resolves true once nothing is in flight, false if `timeoutMs` passes first. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.#inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idle = this.#idle.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      this.#idle.push(wake);
    });
  }
}
