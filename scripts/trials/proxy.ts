/**
 * A fault-injecting TCP proxy (node:net) that sits between an agent and one oracle. gRPC runs
 * over HTTP/2 on one long-lived connection, so faults are applied to byte chunks in order, never
 * by duplicating or reordering bytes (that would only break HTTP/2 framing, which `corrupt`
 * already covers). The faults:
 *
 *   pass       forward as is
 *   delay      hold each chunk ms + U(0, jitterMs) before forwarding, order kept (latency, jitter)
 *   stall      hold every byte until the fault changes, then forward them (a frozen path)
 *   blackhole  accept and swallow every byte both ways; nothing ever answers (a partition). A
 *              connection that lost bytes is reset when the fault is lifted: real TCP would
 *              have retransmitted or timed out, never delivered a stream with a hole in it
 *   refuse     reset every new connection on accept and every open one (a host that is gone)
 *   cut        reset a connection once it has carried `afterBytes` bytes since the fault began
 *              (a connection cut mid-call; new connections are cut after as many bytes)
 *   corrupt    flip one random byte of a chunk with probability `rate` (bad input on the wire)
 *
 * A fault is set for the whole proxy (`setFault`) or for one connection (`setConnectionFault`,
 * ids from `connections()`); a connection's own fault wins. `cut(id)` resets one connection now.
 */
import { createServer, type Server, Socket } from 'node:net';
import { Prng } from './prng.js';

export type Fault =
  | { kind: 'pass' }
  | { kind: 'delay'; ms: number; jitterMs: number }
  | { kind: 'stall' }
  | { kind: 'blackhole' }
  | { kind: 'refuse' }
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'corrupt'; rate: number };

export const PASS: Fault = { kind: 'pass' };

export interface ConnectionInfo {
  id: number;
  bytesUp: number;
  bytesDown: number;
  fault: Fault | undefined;
}

/** One direction of one connection: chunks queued with the time they may leave. */
class Pipe {
  readonly #queue: { chunk: Buffer; due: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lastDue = 0;
  constructor(readonly to: Socket) {}

  push(chunk: Buffer, due: number): void {
    // Order is kept: a chunk never leaves before the one ahead of it.
    const at = Math.max(due, this.#lastDue);
    this.#lastDue = at;
    this.#queue.push({ chunk, due: at });
    this.pump();
  }

  /** Held (stalled) chunks may leave now. */
  release(): void {
    const now = Date.now();
    for (const q of this.#queue) if (q.due === Number.POSITIVE_INFINITY) q.due = now;
    if (this.#lastDue === Number.POSITIVE_INFINITY) this.#lastDue = now;
    this.pump();
  }

  pump(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = Date.now();
    while (this.#queue.length > 0 && this.#queue[0]!.due <= now) {
      const { chunk } = this.#queue.shift()!;
      if (!this.to.destroyed) this.to.write(chunk);
    }
    const head = this.#queue[0];
    if (head && head.due !== Number.POSITIVE_INFINITY)
      this.#timer = setTimeout(() => this.pump(), head.due - now);
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

class Connection {
  bytesUp = 0;
  bytesDown = 0;
  /** Bytes carried since the current fault began (for `cut`). */
  sinceFault = 0;
  /** Bytes were swallowed (blackhole): the stream has a hole and is reset once the fault lifts. */
  damaged = false;
  fault: Fault | undefined;
  readonly up: Pipe;
  readonly down: Pipe;
  constructor(
    readonly id: number,
    readonly client: Socket,
    readonly server: Socket,
  ) {
    this.up = new Pipe(server);
    this.down = new Pipe(client);
  }
  reset(): void {
    this.up.stop();
    this.down.stop();
    this.client.resetAndDestroy();
    this.server.resetAndDestroy();
  }
}

export class FaultProxy {
  readonly #server: Server;
  readonly #conns = new Map<number, Connection>();
  readonly #rng: Prng;
  #fault: Fault = PASS;
  #nextId = 1;
  #port = 0;
  /** Every fault set, with its time, for the trial log. */
  readonly history: { at: number; fault: Fault; connection?: number }[] = [];
  /** Connections reset by the proxy (refuse, cut). */
  resets = 0;

  constructor(
    readonly target: { host: string; port: number },
    seed = 1,
  ) {
    this.#rng = new Prng(seed, `proxy:${target.port}`);
    this.#server = createServer({ noDelay: true }, (client) => this.#accept(client));
  }

  static async start(targetAddress: string, seed = 1): Promise<FaultProxy> {
    const i = targetAddress.lastIndexOf(':');
    const p = new FaultProxy(
      { host: targetAddress.slice(0, i), port: Number(targetAddress.slice(i + 1)) },
      seed,
    );
    await new Promise<void>((r) => p.#server.listen(0, '127.0.0.1', r));
    p.#port = (p.#server.address() as { port: number }).port;
    return p;
  }

  /** host:port agents dial instead of the oracle. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  get fault(): Fault {
    return this.#fault;
  }

  setFault(f: Fault): void {
    this.#fault = f;
    this.history.push({ at: Date.now(), fault: f });
    for (const c of this.#conns.values()) this.#onFaultChange(c);
  }

  setConnectionFault(id: number, f: Fault | undefined): void {
    const c = this.#conns.get(id);
    if (!c) return;
    c.fault = f;
    this.history.push({ at: Date.now(), fault: f ?? this.#fault, connection: id });
    this.#onFaultChange(c);
  }

  connections(): ConnectionInfo[] {
    return [...this.#conns.values()].map((c) => ({
      id: c.id,
      bytesUp: c.bytesUp,
      bytesDown: c.bytesDown,
      fault: c.fault,
    }));
  }

  /** Resets one connection now (RST both ways). */
  cut(id: number): void {
    const c = this.#conns.get(id);
    if (c) this.#reset(c);
  }

  cutAll(): void {
    for (const c of [...this.#conns.values()]) this.#reset(c);
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #faultOf(c: Connection): Fault {
    return c.fault ?? this.#fault;
  }

  #onFaultChange(c: Connection): void {
    c.sinceFault = 0;
    const f = this.#faultOf(c);
    if (f.kind === 'refuse' || (c.damaged && f.kind !== 'blackhole')) this.#reset(c);
    else if (f.kind !== 'stall') {
      c.up.release();
      c.down.release();
    }
  }

  #reset(c: Connection): void {
    if (!this.#conns.delete(c.id)) return;
    this.resets++;
    c.reset();
  }

  #accept(client: Socket): void {
    if (this.#fault.kind === 'refuse') {
      this.resets++;
      client.resetAndDestroy();
      return;
    }
    const server = new Socket();
    const c = new Connection(this.#nextId++, client, server);
    this.#conns.set(c.id, c);
    const close = () => {
      if (!this.#conns.delete(c.id)) return;
      c.up.stop();
      c.down.stop();
      client.destroy();
      server.destroy();
    };
    for (const s of [client, server]) {
      s.on('error', close);
      s.on('close', close);
    }
    server.connect({ host: this.target.host, port: this.target.port, noDelay: true });
    client.on('data', (chunk: Buffer) => this.#carry(c, chunk, 'up'));
    server.on('data', (chunk: Buffer) => this.#carry(c, chunk, 'down'));
  }

  #carry(c: Connection, chunk: Buffer, dir: 'up' | 'down'): void {
    if (!this.#conns.has(c.id)) return;
    const f = this.#faultOf(c);
    if (dir === 'up') c.bytesUp += chunk.length;
    else c.bytesDown += chunk.length;
    c.sinceFault += chunk.length;
    const pipe = dir === 'up' ? c.up : c.down;
    const now = Date.now();
    let chunkOut = chunk;
    let due = now;
    switch (f.kind) {
      case 'pass':
        break;
      case 'delay':
        due = now + f.ms + this.#rng.int(0, f.jitterMs);
        break;
      case 'stall':
        due = Number.POSITIVE_INFINITY;
        break;
      case 'blackhole':
        c.damaged = true;
        return;
      case 'refuse':
        this.#reset(c);
        return;
      case 'cut':
        if (c.sinceFault >= f.afterBytes) {
          this.#reset(c);
          return;
        }
        break;
      case 'corrupt':
        if (this.#rng.chance(f.rate)) {
          chunkOut = Buffer.from(chunk);
          const i = this.#rng.int(0, chunkOut.length - 1);
          chunkOut[i] = chunkOut[i]! ^ (1 << this.#rng.int(0, 7));
        }
        break;
    }
    pipe.push(chunkOut, due);
  }
}
