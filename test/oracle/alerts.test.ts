/**
 * Alert plumbing in process: the webhook outbox and delivery loop (signature, retries with
 * backoff, resume after a restart, bounded stop), the WatchAlerts merge of backlog and live
 * events, and the `alerts` config schema. The same paths run across real processes in
 * test/integration/alerts.test.ts.
 */

import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HTTP } from 'cloudevents';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { OracleConfigSchema, WebhookSchema } from '../../common/config.js';
import { MpcidError } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { Secret } from '../../crypto/secret.js';
import { AlertHub, watchAlerts } from '../../oracle/alerts.js';
import type { AlertEvent, RevocationRecord, StoredEvent } from '../../oracle/records.js';
import { OracleStore, outboxKey } from '../../oracle/store.js';
import { resolveWebhooks, type Webhook, WebhookDispatcher } from '../../oracle/webhooks.js';
import { HookReceiver } from '../helpers/hook.js';

const log = createLogger('test', 'silent');
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

function event(seq: number): AlertEvent {
  return {
    id: `evidence-${seq}`,
    type: 'identity.clone_detected',
    identityId: `id-${seq}`,
    name: `spiffe://t/${seq}`,
    kids: [`id-${seq}`],
    counter: seq,
    reason: 'equivocation',
    peers: ['ipv4:127.0.0.1:1', 'ipv4:127.0.0.1:2'],
    detectingNode: 1,
    reportingNode: 1,
    time: new Date(0).toISOString(),
  };
}

async function openStore(): Promise<OracleStore> {
  return OracleStore.open(
    join(mkdtempSync(join(tmpdir(), 'mpcid-alerts-')), 'data'),
    { clusterId: 'c', nodeId: 1, nodePublicKey: 'k' },
    new Secret(new Uint8Array(randomBytes(32)), 'kek'),
  );
}

/** What revocation.ts does: revocation + event + outbox entries in one batch, then publish. */
async function commit(store: OracleStore, hub: AlertHub, seq: number): Promise<void> {
  const e: StoredEvent = { seq, event: event(seq) };
  await store.commitRevocation(
    { identityId: e.event.identityId } as RevocationRecord,
    e.event,
    seq,
    hub.durableEntries(e),
  );
  hub.published(e);
}

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  valid: boolean;
}

/** A webhook receiver that answers `statuses` in turn, then 200. */
async function receiver(statuses: number[] = []): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      let valid = true;
      try {
        new StandardWebhook(SECRET).verify(body, req.headers as Record<string, string>);
      } catch {
        valid = false;
      }
      got.push({ headers: req.headers, body, valid });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hook`, got };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function hook(url: string, index = 0): Webhook {
  return { index, kind: 'standard', url, secret: SECRET, timeoutMs: 2000 };
}

describe('webhook delivery', () => {
  it('POSTs a CloudEvent signed per Standard Webhooks and deletes it from the outbox on 2xx', async () => {
    const store = await openStore();
    const rx = await receiver();
    const hub = new AlertHub(log, 1);
    const d = new WebhookDispatcher([hook(rx.url)], store, hub, log);
    cleanups.push(
      () => store.close(),
      () => new Promise((r) => rx.server.close(() => r())),
      () => d.stop(),
    );
    await d.start();
    await commit(store, hub, 1);
    await until(() => rx.got.length === 1);
    const [r] = rx.got;
    expect(r!.valid).toBe(true);
    expect(r!.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(r!.headers['webhook-id']).toBe('evidence-1');
    const ce = HTTP.toEvent({ headers: r!.headers, body: r!.body });
    expect(ce).toMatchObject({
      specversion: '1.0',
      id: 'evidence-1',
      type: 'dev.mpcid.identity.clone_detected',
    });
    expect((ce as { data: unknown }).data).toEqual(event(1));
    const ts = r!.headers['webhook-timestamp'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    // The signature is v1, base64 HMAC-SHA256 over id.timestamp.body with the whsec key bytes.
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const mac = createHmac('sha256', key).update(`evidence-1.${ts}.${r!.body}`).digest('base64');
    expect(r!.headers['webhook-signature']).toBe(`v1,${mac}`);
    await until(async () => (await store.outbox(0, 10)).length === 0);
    // The library refuses a changed body, another secret, another id, or an old timestamp.
    const h = r!.headers as Record<string, string>;
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    expect(() => new StandardWebhook(SECRET).verify(`${r!.body} `, h)).toThrow();
    expect(() => new StandardWebhook(other).verify(r!.body, h)).toThrow();
    expect(() => new StandardWebhook(SECRET).verify(r!.body, { ...h, 'webhook-id': 'evidence-2' })).toThrow();
    expect(() =>
      new StandardWebhook(SECRET).verify(r!.body, { ...h, 'webhook-timestamp': String(Number(ts) - 301) }),
    ).toThrow();
  });

  it('retries refusals with backoff, in order, and keeps each webhook separate', async () => {
    const store = await openStore();
    const bad = await receiver([503, 500, 429]);
    const good = await receiver();
    const hub = new AlertHub(log, 2);
    const d = new WebhookDispatcher([hook(bad.url, 0), hook(good.url, 1)], store, hub, log, {
      initialBackoffMs: 20,
      maxBackoffMs: 100,
    });
    cleanups.push(
      () => store.close(),
      () => new Promise((r) => bad.server.close(() => r())),
      () => new Promise((r) => good.server.close(() => r())),
      () => d.stop(),
    );
    await d.start();
    await commit(store, hub, 1);
    await commit(store, hub, 2);
    await until(() => good.got.length === 2 && bad.got.length === 5);
    expect(bad.got.map((g) => g.headers['webhook-id'])).toEqual([
      'evidence-1',
      'evidence-1',
      'evidence-1',
      'evidence-1',
      'evidence-2',
    ]);
    expect(bad.got.every((g) => g.valid)).toBe(true);
    await until(async () => (await store.outbox(0, 10)).length + (await store.outbox(1, 10)).length === 0);
  });

  it('resumes from the outbox at start, and a stop during an outage is bounded and keeps the entry', async () => {
    const store = await openStore();
    const hub = new AlertHub(log, 1);
    cleanups.push(() => store.close());
    // Written while no dispatcher runs (as before a crash).
    await commit(store, hub, 1);
    const rx = await receiver(Array(1000).fill(503));
    cleanups.push(() => new Promise((r) => rx.server.close(() => r())));
    const d1 = new WebhookDispatcher([hook(rx.url)], store, hub, log, {
      initialBackoffMs: 10_000,
      flushMs: 300,
    });
    await d1.start();
    await until(() => rx.got.length === 1);
    const t0 = Date.now();
    await d1.stop(); // interrupts the 10 s backoff; one final attempt, also refused
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(rx.got.length).toBe(2);
    expect((await store.outbox(0, 10)).map((e) => e.seq)).toEqual([1]);
    // Next start: the receiver is back.
    rx.got.length = 0;
    const ok = await receiver();
    cleanups.push(() => new Promise((r) => ok.server.close(() => r())));
    const d2 = new WebhookDispatcher([hook(ok.url)], store, hub, log);
    cleanups.push(() => d2.stop());
    await d2.start();
    await until(() => ok.got.length === 1);
    expect(JSON.parse(ok.got[0]!.body).data.id).toBe('evidence-1');
    await until(async () => (await store.outbox(0, 10)).length === 0);
  });

  it('stops promptly when the receiver does not answer (connection refused or hanging)', async () => {
    const store = await openStore();
    const hub = new AlertHub(log, 2);
    cleanups.push(() => store.close());
    const hang = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      hang.closeAllConnections();
      return new Promise((r) => hang.close(() => r()));
    });
    const hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`;
    const d = new WebhookDispatcher([hook('http://127.0.0.1:1/', 0), hook(hangUrl, 1)], store, hub, log, {
      flushMs: 300,
    });
    await d.start();
    await commit(store, hub, 1);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await d.stop();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((await store.outbox(0, 10)).length).toBe(1);
    expect((await store.outbox(1, 10)).length).toBe(1);
  });

  it('a receiver that hangs, then answers: each attempt ends at its timeout even under GC, and the next one delivers', async () => {
    // Regression: fetch's AbortSignal could be unlinked from the in-flight request by a garbage
    // collection (nodejs/node#55428); a hanging receiver then held the loop forever.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const store = await openStore();
    const hub = new AlertHub(log, 1);
    cleanups.push(() => store.close());
    const slow = new HookReceiver(0); // hangs until told to answer
    const url = await slow.listen();
    cleanups.push(() => slow.close());
    const d = new WebhookDispatcher([{ ...hook(url), timeoutMs: 200 }], store, hub, log, {
      initialBackoffMs: 50,
      maxBackoffMs: 100,
    });
    const pressure = setInterval(gc, 10);
    cleanups.push(() => clearInterval(pressure));
    await d.start();
    cleanups.push(() => d.stop());
    await commit(store, hub, 1);
    await new Promise((r) => setTimeout(r, 1000)); // several hanging attempts, with GCs between
    slow.status = 204;
    await until(() => slow.received.length === 1);
    expect(slow.received[0]!.id).toBe('evidence-1');
    await until(async () => (await store.outbox(0, 10)).length === 0);
  });
});

describe('dead letters', () => {
  it('an event refused past maxAttempts moves to the dead letters and the next one is delivered', async () => {
    const store = await openStore();
    const rx = await receiver([500, 500, 500]); // refuses evidence-1 three times, then accepts all
    const hub = new AlertHub(log, 1);
    const d = new WebhookDispatcher([hook(rx.url)], store, hub, log, {
      initialBackoffMs: 10,
      maxBackoffMs: 20,
      deadLetter: { maxAttempts: 3, maxAgeSeconds: 3600 },
    });
    cleanups.push(
      () => store.close(),
      () => new Promise((r) => rx.server.close(() => r())),
      () => d.stop(),
    );
    await d.start();
    await commit(store, hub, 1);
    await commit(store, hub, 2);
    await until(() => rx.got.length === 4);
    expect(rx.got.map((g) => g.headers['webhook-id'])).toEqual([
      'evidence-1',
      'evidence-1',
      'evidence-1',
      'evidence-2',
    ]);
    await until(async () => (await store.outbox(0, 10)).length === 0);
    const dead = await store.deadLetters(10);
    expect(dead).toEqual([
      {
        webhook: 0,
        seq: 1,
        event: event(1),
        attempts: 3,
        queuedAt: expect.any(Number),
        deadAt: expect.any(Number),
        bound: 'attempts',
        lastError: 'HTTP 500',
      },
    ]);
    expect(await store.deadLetterCounts()).toEqual(new Map([[0, 1]]));
  });

  it('an event queued longer than maxAgeSeconds moves to the dead letters after its next refusal', async () => {
    const store = await openStore();
    cleanups.push(() => store.close());
    // Queued two hours ago (as after an outage across restarts, whose attempt counts are lost).
    const old: StoredEvent = { seq: 1, event: event(1) };
    await store.commitRevocation({ identityId: old.event.identityId } as RevocationRecord, old.event, 1, [
      [outboxKey(0, 1), { seq: 1, event: old.event, queuedAt: Date.now() - 7_200_000 }],
    ]);
    const rx = await receiver([503]);
    cleanups.push(() => new Promise((r) => rx.server.close(() => r())));
    const hub = new AlertHub(log, 1);
    const d = new WebhookDispatcher([hook(rx.url)], store, hub, log, {
      deadLetter: { maxAttempts: 1000, maxAgeSeconds: 3600 },
    });
    cleanups.push(() => d.stop());
    await d.start();
    await until(async () => (await store.deadLetters(10)).length === 1);
    expect(rx.got).toHaveLength(1);
    expect((await store.deadLetters(10))[0]).toMatchObject({
      seq: 1,
      bound: 'age',
      attempts: 1,
      lastError: 'HTTP 503',
    });
    // The receiver is fine again: later events flow.
    await commit(store, hub, 2);
    await until(() => rx.got.length === 2);
    expect(rx.got[1]!.headers['webhook-id']).toBe('evidence-2');
    expect(rx.got[1]!.valid).toBe(true);
  });
});

describe('watchAlerts', () => {
  it('sends the backlog after the cursor, then live events, without gap or duplicate', async () => {
    const log2: StoredEvent[] = Array.from({ length: 250 }, (_, i) => ({ seq: i + 1, event: event(i + 1) }));
    const hub = new AlertHub(log);
    let reads = 0;
    const store = {
      async eventsAfter(after: number, limit: number): Promise<StoredEvent[]> {
        reads++;
        if (reads === 1) {
          // Events committed and published while the backlog is being read.
          for (const seq of [251, 252]) {
            const e = { seq, event: event(seq) };
            log2.push(e);
            hub.published(e);
          }
        }
        await new Promise((r) => setTimeout(r, 5));
        return log2.filter((e) => e.seq > after).slice(0, limit);
      },
    };
    const got: number[] = [];
    const w = watchAlerts(store, hub, 10, {
      write: (e) => {
        got.push(e.seq);
        return true;
      },
      drain: async () => undefined,
    });
    await w.ready;
    hub.published({ seq: 253, event: event(253) });
    hub.published({ seq: 253, event: event(253) });
    w.close();
    hub.published({ seq: 254, event: event(254) });
    expect(got).toEqual(Array.from({ length: 243 }, (_, i) => i + 11));
  });
});

describe('alerts config', () => {
  const base = {
    nodeId: 1,
    listen: '127.0.0.1:1',
    adminListen: '127.0.0.1:2',
    dataDir: 'd',
    nodeKeyFile: 'k',
    cluster: { id: 'c', n: 1, t: 1, oracles: [{ id: 1, address: '127.0.0.1:1', publicKey: 'A'.repeat(43) }] },
  };

  it('defaults to no webhooks and a 5 s timeout', () => {
    expect(OracleConfigSchema.parse(base).alerts).toEqual({
      webhooks: [],
      deadLetter: { maxAttempts: 20, maxAgeSeconds: 86_400 },
    });
    const c = OracleConfigSchema.parse({
      ...base,
      alerts: { webhooks: [{ url: 'https://x/h', secretEnv: 'S' }] },
    });
    expect(c.alerts.webhooks[0]).toEqual({
      kind: 'standard',
      url: 'https://x/h',
      secretEnv: 'S',
      timeoutMs: 5000,
    });
  });

  it('needs exactly one of secret and secretEnv, and an http(s) URL', () => {
    expect(WebhookSchema.safeParse({ url: 'https://x/h' }).success).toBe(false);
    expect(WebhookSchema.safeParse({ url: 'https://x/h', secret: SECRET, secretEnv: 'S' }).success).toBe(
      false,
    );
    expect(WebhookSchema.safeParse({ url: 'ftp://x/h', secret: SECRET }).success).toBe(false);
    expect(WebhookSchema.safeParse({ url: 'https://x/h', secret: 'short' }).success).toBe(false);
    expect(WebhookSchema.safeParse({ url: 'https://x/h', secret: SECRET, extra: 1 }).success).toBe(false);
    // Standard Webhooks secrets: whsec_ and the base64 of 24 to 64 bytes; the error never quotes it.
    const plain = WebhookSchema.safeParse({ url: 'https://x/h', secret: 'a-plain-secret-of-32-characters!' });
    expect(plain.success).toBe(false);
    expect(JSON.stringify(plain.error)).not.toContain('a-plain-secret');
    const short = `whsec_${randomBytes(16).toString('base64')}`;
    expect(WebhookSchema.safeParse({ url: 'https://x/h', secret: short }).success).toBe(false);
    expect(WebhookSchema.safeParse({ url: 'https://x/h', secret: SECRET }).success).toBe(true);
  });

  it('reads secretEnv from the environment at start', () => {
    const hooks = WebhookSchema.array().parse([{ url: 'https://x/h', secretEnv: 'MPCID_TEST_HOOK' }]);
    expect(resolveWebhooks(hooks, { MPCID_TEST_HOOK: SECRET })[0]).toMatchObject({ secret: SECRET });
    expect(() => resolveWebhooks(hooks, {})).toThrow(MpcidError);
    // A secret from the environment gets the same check, and the error does not quote it.
    expect(() => resolveWebhooks(hooks, { MPCID_TEST_HOOK: 'not-a-whsec-secret-at-all' })).toThrow(
      /whsec_ followed by/,
    );
  });
});
