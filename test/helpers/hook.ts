/**
 * A plain webhook receiver for tests that count deliveries: it keeps each CloudEvent's `data` (the
 * alert) and checks no signature (alerts.test.ts and webhooks.test.ts verify with standardwebhooks).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudEventV1, HTTP } from 'cloudevents';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { AlertEvent } from '../../oracle/records.js';

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

/** A fresh Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export function whsecSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * What a receiver does with only the `standardwebhooks` and `cloudevents` libraries: verify the
 * signature (and the timestamp's 5-minute tolerance), parse the body as a CloudEvent, and check
 * that `webhook-id` is the event id. Returns the alert (the event's data); throws if any fails.
 */
export function verifyDelivery(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
): { alert: AlertEvent; event: CloudEventV1<AlertEvent> } {
  new StandardWebhook(secret).verify(body, headers as Record<string, string>);
  const event = HTTP.toEvent<AlertEvent>({ headers, body });
  if (Array.isArray(event)) throw new Error('a batch of CloudEvents');
  if (headers['webhook-id'] !== event.id || event.data?.id !== event.id)
    throw new Error('webhook-id is not the event id');
  return { alert: event.data, event };
}
