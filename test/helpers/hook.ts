/**
 * A plain webhook receiver for tests that count deliveries: it keeps each CloudEvent's `data` (the
 * alert) and checks no signature (alerts.test.ts and webhooks.test.ts verify with standardwebhooks).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertEvent } from '../../oracle/store.js';

export class HookReceiver {
  /** The status it answers; 0 leaves the request hanging (never answered). */
  status: number;
  /** Events of the deliveries answered with a 2xx status. */
  readonly received: AlertEvent[] = [];
  readonly #server: Server;

  constructor(status = 200) {
    this.status = status;
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        if (this.status === 0) return;
        if (this.status < 300) this.received.push((JSON.parse(body) as { data: AlertEvent }).data);
        res.writeHead(this.status).end();
      });
    });
  }

  /** Listens on a free loopback port; returns the webhook URL. */
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}
