/**
 * Alerts (docs/protocol.md §7). Every revocation this node applies is written to the durable
 * event log in the same sync batch as the revocation (oracle/store.ts commitRevocation); the hub
 * then fans the event out to live sinks: a structured log line and in-process subscribers
 * (the admin WatchAlerts stream).
 */
import { EventEmitter } from 'node:events';
import { LOG, type Logger } from '../common/log.js';
import type { StoredEvent } from './store.js';

export class AlertHub {
  readonly #log: Logger;
  readonly #bus = new EventEmitter();
  constructor(log: Logger) {
    this.#log = log;
    this.#bus.setMaxListeners(0);
  }

  /** Called after the event is durable. */
  published(e: StoredEvent): void {
    this.#log.error(
      { alert: e.event, seq: e.seq, [LOG.identity]: e.event.identityId },
      `ALERT ${e.event.type}: identity ${e.event.name} revoked (evidence ${e.event.id})`,
    );
    this.#bus.emit('event', e);
  }

  subscribe(fn: (e: StoredEvent) => void): () => void {
    this.#bus.on('event', fn);
    return () => this.#bus.off('event', fn);
  }
}
