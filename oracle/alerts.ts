/**
 * Alerts (docs/protocol.md §7). Every revocation this node applies is written to the durable
 * event log in the same sync batch as the revocation (oracle/store.ts commitRevocation), together
 * with one outbox entry per configured webhook (`durableEntries`). The hub then fans the event out
 * to live sinks: a structured log line and in-process subscribers (the admin WatchAlerts streams
 * and the webhook delivery loops, which it wakes).
 */
import { LOG, type Logger } from '../common/log.js';
import { isOperatorRevocation } from '../common/operator-revocation.js';
import { EXPOSING_TIME } from '../crypto/ratchet.js';
import type { AlertHistory, OutboxEntry, RevocationEvidenceJSON, StoredEvent } from './records.js';
import { type OracleStore, outboxKey } from './store.js';

/**
 * The two histories of a fork, for the alert: the evidence's first step is the one the detecting
 * node had accepted, the second the one that contradicts it; `peers` are their senders in the
 * same order. Undefined for abort evidence.
 */
export function historiesOf(
  evidence: RevocationEvidenceJSON,
  peers: readonly string[],
): AlertHistory[] | undefined {
  if (isOperatorRevocation(evidence) || evidence.abort || evidence.steps.length !== 2) return undefined;
  return evidence.steps.map((s, i) => {
    const exposing = s.time >= EXPOSING_TIME;
    return {
      role: i === 0 ? 'accepted' : 'conflicting',
      peer: peers[i] ?? 'unknown',
      counter: s.counter,
      kind: s.kind,
      time: exposing || !Number.isFinite(new Date(s.time).getTime()) ? null : new Date(s.time).toISOString(),
      exposing,
    };
  });
}

export class AlertHub {
  readonly #log: Logger;
  readonly #subscribers = new Set<(e: StoredEvent) => void>();
  readonly #webhooks: number;
  /**
   * @param webhooks how many webhooks are configured: each event gets one outbox entry per webhook,
   *   written atomically with the event.
   */
  constructor(log: Logger, webhooks = 0) {
    this.#log = log;
    this.#webhooks = webhooks;
  }

  /** Key/values to write in the same sync batch as event `e` (the webhook outbox entries). */
  durableEntries(e: StoredEvent): [string, OutboxEntry][] {
    return Array.from({ length: this.#webhooks }, (_, w) => [
      outboxKey(w, e.seq),
      { seq: e.seq, event: e.event, queuedAt: Date.now() },
    ]);
  }

  /** Called after the event is durable. */
  published(e: StoredEvent): void {
    this.#log.error(
      { alert: e.event, seq: e.seq, [LOG.identity]: e.event.identityId },
      `ALERT ${e.event.type}: identity ${e.event.name} revoked (evidence ${e.event.id})`,
    );
    // A throwing subscriber must not undo a revocation that is already durable.
    for (const fn of [...this.#subscribers]) {
      try {
        fn(e);
      } catch (err) {
        this.#log.error({ [LOG.err]: err }, 'alert subscriber failed');
      }
    }
  }

  /** Calls `fn` for every event published from now on; returns the unsubscribe function. */
  subscribe(fn: (e: StoredEvent) => void): () => void {
    const sub = (e: StoredEvent) => fn(e);
    this.#subscribers.add(sub);
    return () => {
      this.#subscribers.delete(sub);
    };
  }
}

/** Where a watch sends events: write() returns false when the consumer is behind (wait for drain()). */
export interface AlertSink {
  write(e: StoredEvent): boolean;
  drain(): Promise<void>;
}

export interface AlertWatch {
  /** Settles when the backlog has been sent and live events flow (rejects if the store fails). */
  readonly ready: Promise<void>;
  close(): void;
}

const WATCH_PAGE = 100;

/**
 * Sends every event with seq > `cursor`: the stored ones (paged from the log), then live ones,
 * with no gap and no duplicate. It subscribes before reading the log, buffers what is published
 * meanwhile and drops anything at or below the last seq sent: an event published before the
 * subscription was committed before it, so the log read that follows sees it.
 */
export function watchAlerts(
  store: Pick<OracleStore, 'eventsAfter'>,
  hub: AlertHub,
  cursor: number,
  sink: AlertSink,
): AlertWatch {
  let last = cursor;
  let live = false;
  let closed = false;
  const buffered: StoredEvent[] = [];
  const send = (e: StoredEvent): boolean => {
    if (closed || e.seq <= last) return true;
    last = e.seq;
    return sink.write(e);
  };
  const unsubscribe = hub.subscribe((e) => {
    if (live) send(e);
    else buffered.push(e);
  });
  const close = () => {
    closed = true;
    unsubscribe();
  };
  const ready = (async () => {
    for (;;) {
      const page = await store.eventsAfter(last, WATCH_PAGE);
      for (const e of page) if (!send(e) && !closed) await sink.drain();
      if (closed || page.length < WATCH_PAGE) break;
    }
    buffered.sort((a, b) => a.seq - b.seq);
    for (const e of buffered.splice(0)) send(e);
    live = true;
  })();
  ready.catch(close);
  return { ready, close };
}
