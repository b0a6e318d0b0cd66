/**
 * Alert sinks end to end (docs/protocol.md §7, Webhooks), real processes: every oracle of a 2-of-3
 * cluster delivers each clone alert to four local receivers through its durable outbox:
 *
 * - a Standard Webhooks receiver that uses only the `standardwebhooks` and `cloudevents`
 *   libraries (signature, timestamp tolerance, CloudEvents parse), and refuses tampered bodies;
 * - a PagerDuty Events API v2 receiver and a Slack incoming-webhook receiver that check the
 *   exact shape of what they get (Slack's URL comes from `urlEnv`, PagerDuty's routing key from
 *   `routingKeyEnv`);
 * - a receiver that refuses one event forever: it moves to the dead letters after
 *   `alerts.deadLetter.maxAttempts`, the next event is delivered right after, and the dead one is
 *   counted in /metrics and listed by `mpcid alerts dead`.
 *
 * Slow suite (tag `slow`): about 40 s.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP } from 'cloudevents';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../oracle/records.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  mpcid,
  startCluster,
  type TestCluster,
  waitUntil,
} from '../helpers/cluster.js';
import { verifyDelivery, whsecSecret } from '../helpers/hook.js';
import { copyStateDir, removeClusterDir } from '../helpers/ratchet.js';

const SECRET = whsecSecret();
const ROUTING_KEY = `R${'0123456789abcdef'.repeat(2)}`;
const ROUTING_KEY_ENV = 'MPCID_TEST_PAGERDUTY_KEY';
const SLACK_URL_ENV = 'MPCID_TEST_SLACK_URL';
const MAX_ATTEMPTS = 6;
/** The longest a refused event can hold its queue: the backoffs before its last attempt (250 ms doubling, jitter <= 1). */
const BOUND_MS = [1, 2, 4, 8, 16].reduce((a, k) => a + 250 * k, 0);

interface Req {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP endpoint: `answer` decides the status of each request (all are recorded). */
class Endpoint {
  readonly got: Req[] = [];
  readonly server: Server;
  constructor(readonly answer: (r: Req) => { status: number; body?: string }) {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        const r = { at: Date.now(), path: req.url ?? '', headers: req.headers, body };
        this.got.push(r);
        const a = this.answer(r);
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body ?? '');
      });
    });
  }
  async listen(path: string): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const accepts = (secret: string, r: Req): AlertEvent | undefined => {
  try {
    return verifyDelivery(secret, r.headers, r.body).alert;
  } catch {
    return undefined;
  }
};

const until = (what: string, cond: () => boolean, timeoutMs = 30_000) =>
  waitUntil(
    what,
    async () => {
      if (!cond()) throw new Error('not yet');
    },
    undefined,
    timeoutMs,
  );

describe('alert sinks: Standard Webhooks, PagerDuty, Slack, dead letters (2-of-3 cluster)', {
  tags: ['slow'],
}, () => {
  let cluster: TestCluster;
  let failed = false;
  /** Identity whose alert the poisoned receiver refuses forever. */
  let poisonKid = '';
  const standard = new Endpoint((r) => ({ status: accepts(SECRET, r) ? 204 : 401 }));
  const pagerduty = new Endpoint((r) => ({
    status: 202,
    body: JSON.stringify({
      status: 'success',
      message: 'Event processed',
      dedup_key: JSON.parse(r.body).dedup_key,
    }),
  }));
  const slack = new Endpoint(() => ({ status: 200, body: 'ok' }));
  const poisoned = new Endpoint((r) => {
    const alert = accepts(SECRET, r);
    return { status: alert && alert.identityId !== poisonKid ? 200 : 500 };
  });
  const names = ['spiffe://test.mpcid/ns/prod/sa/first', 'spiffe://test.mpcid/ns/prod/sa/second'];
  /** Per identity: its kid, its agent and a running copy of its state dir (a cloned VM). */
  const workloads: { kid: string; original: AgentProc; copy: AgentProc }[] = [];
  let secondKid = '';

  /** An enrolled workload and a copy of its state dir, both running, neither signing yet. */
  async function cloned(name: string) {
    const { stateDir, kid } = await cluster.enroll(name);
    const original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    await original.sign(Buffer.from('before the copy'));
    copyStateDir(stateDir, `${stateDir}-copy`);
    const copy = await cluster.startAgent(`${stateDir}-copy`, undefined, { heartbeatMs: 0 });
    return { kid, original, copy };
  }

  /** Both copies sign: the second history is caught and the identity revoked. */
  async function fork(w: { original: AgentProc; copy: AgentProc }): Promise<void> {
    await w.original.sign(Buffer.from('original')).catch(() => undefined);
    await w.copy.sign(Buffer.from('copy')).catch(() => undefined);
    await w.original.sign(Buffer.from('original again')).catch(() => undefined);
  }

  beforeAll(async () => {
    const urls = {
      standard: await standard.listen('/mpcid'),
      pagerduty: await pagerduty.listen('/v2/enqueue'),
      slack: await slack.listen('/services/T000/B000/secret-part'),
      poisoned: await poisoned.listen('/poisoned'),
    };
    process.env[ROUTING_KEY_ENV] = ROUTING_KEY;
    process.env[SLACK_URL_ENV] = urls.slack;
    cluster = await startCluster(3, 2, {
      ...EDDSA_ONLY,
      oracleConfig: () => ({
        alerts: {
          webhooks: [
            { url: urls.standard, secret: SECRET },
            { kind: 'pagerduty', url: urls.pagerduty, routingKeyEnv: ROUTING_KEY_ENV, timeoutMs: 2000 },
            { kind: 'slack', urlEnv: SLACK_URL_ENV },
            { url: urls.poisoned, secret: SECRET, timeoutMs: 1000 },
          ],
          deadLetter: { maxAttempts: MAX_ATTEMPTS, maxAgeSeconds: 3600 },
        },
      }),
    });
    for (const name of names) workloads.push(await cloned(name));
    poisonKid = workloads[0]!.kid;
    secondKid = workloads[1]!.kid;
  });

  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([standard, pagerduty, slack, poisoned].map((e) => e.close()));
    delete process.env[ROUTING_KEY_ENV];
    delete process.env[SLACK_URL_ENV];
    if (cluster && !failed) removeClusterDir(cluster);
  });

  const guard = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  };

  it(
    'a Standard Webhooks receiver accepts every alert (a CloudEvent) and refuses tampered or replayed ones',
    guard(async () => {
      // Two clones, one right after the other: the second alert is queued behind the first
      // everywhere, and the poisoned receiver refuses the first one forever.
      await fork(workloads[0]!);
      await fork(workloads[1]!);
      await until('6 standard deliveries', () => standard.got.length >= 6);
      const mine = (id: string) =>
        standard.got.filter((r) => verifyDelivery(SECRET, r.headers, r.body).alert.identityId === id);
      expect(mine(poisonKid)).toHaveLength(3);
      expect(mine(secondKid)).toHaveLength(3);
      for (const r of mine(poisonKid)) {
        const { alert, event } = verifyDelivery(SECRET, r.headers, r.body);
        expect(alert.identityId).toBe(poisonKid);
        expect(r.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
        expect(event).toMatchObject({
          specversion: '1.0',
          id: alert.id,
          type: 'dev.mpcid.identity.clone_detected',
          source: `urn:mpcid:cluster:test:oracle:${alert.reportingNode}`,
          subject: poisonKid,
          time: alert.time,
          datacontenttype: 'application/json',
        });
        expect(r.headers['webhook-id']).toBe(alert.id);
        expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      }
      // One event id from all three oracles: the receiver's dedupe key.
      expect(new Set(mine(poisonKid).map((r) => r.headers['webhook-id'])).size).toBe(1);
      expect(
        mine(poisonKid)
          .map((r) => JSON.parse(r.body).data.reportingNode)
          .sort(),
      ).toEqual([1, 2, 3]);
      const r = mine(poisonKid)[0]!;
      const wh = new StandardWebhook(SECRET);
      const h = r.headers as Record<string, string>;
      // Tampered: the body, the id or the timestamp changed; or signed with another secret. The
      // identity id's last character is changed to another one (a kid ends in 'A' 1 time in 16).
      const last = poisonKid.endsWith('A') ? 'E' : 'A';
      const tampered = r.body.replace(poisonKid, `${poisonKid.slice(0, -1)}${last}`);
      expect(tampered).not.toBe(r.body);
      expect(() => wh.verify(tampered, h)).toThrow();
      expect(() => wh.verify(r.body, { ...h, 'webhook-id': 'another-id' })).toThrow();
      expect(() =>
        wh.verify(r.body, { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) + 1) }),
      ).toThrow();
      expect(() => new StandardWebhook(whsecSecret()).verify(r.body, h)).toThrow();
      // Replayed later than the 5-minute tolerance: refused on its timestamp alone.
      const now = Date.now;
      try {
        Date.now = () => now() + 301_000;
        expect(() => wh.verify(r.body, h)).toThrow(/too old/);
      } finally {
        Date.now = now;
      }
      // And within it, the unchanged request verifies: the receiver dedupes by webhook-id.
      expect(() => wh.verify(r.body, h)).not.toThrow();
      expect(HTTP.isEvent({ headers: r.headers, body: r.body })).toBe(true);
    }),
  );

  it(
    'PagerDuty gets an Events v2 trigger and Slack a readable message, each from every oracle',
    guard(async () => {
      await until(
        '6 PagerDuty and 6 Slack deliveries',
        () => pagerduty.got.length >= 6 && slack.got.length >= 6,
      );
      const alerts = standard.got
        .map((r) => verifyDelivery(SECRET, r.headers, r.body).alert)
        .filter((a) => a.identityId === poisonKid);
      const first = (e: Endpoint) => e.got.filter((r) => r.body.includes(poisonKid));
      expect(first(pagerduty)).toHaveLength(3);
      expect(first(slack)).toHaveLength(3);
      for (const r of first(pagerduty)) {
        expect(r.path).toBe('/v2/enqueue');
        expect(r.headers['content-type']).toBe('application/json');
        const body = JSON.parse(r.body) as { payload: { custom_details: AlertEvent } };
        const alert = alerts.find((a) => a.reportingNode === body.payload.custom_details.reportingNode)!;
        expect(body).toEqual({
          routing_key: ROUTING_KEY,
          event_action: 'trigger',
          dedup_key: alert.id,
          payload: {
            summary: expect.stringContaining(names[0]!),
            source: `urn:mpcid:cluster:test:oracle:${alert.reportingNode}`,
            severity: 'critical',
            timestamp: alert.time,
            component: 'mpcid',
            group: 'test',
            class: 'identity.clone_detected',
            custom_details: alert,
          },
          client: 'mpcid',
        });
        expect((body as unknown as { payload: { summary: string } }).payload.summary).toContain(poisonKid);
      }
      for (const r of first(slack)) {
        expect(r.path).toBe('/services/T000/B000/secret-part');
        const body = JSON.parse(r.body) as Record<string, unknown>;
        expect(Object.keys(body)).toEqual(['text']);
        const text = body['text'] as string;
        expect(text).toMatch(
          /^:rotating_light: \*mpcid clone detected\*: identity `spiffe:\/\/test\.mpcid\/ns\/prod\/sa\/first` revoked\n/,
        );
        expect(text).toContain(`kid: \`${poisonKid}\``);
        expect(text).toMatch(
          /histories fork at counter \d+: accepted \w+ step \d+ from \S+ \/ conflicting \w+ step \d+ from \S+/,
        );
        expect(text).toMatch(/evidence \S+, reported by oracle [123] of cluster test/);
      }
      // The Slack URL's secret path is never logged (the log shows its origin only).
      for (const l of cluster.oracles.map((o) => readFileSync(o.logFile, 'utf8'))) {
        expect(l).not.toContain('secret-part');
        expect(l).not.toContain(ROUTING_KEY);
      }
    }),
  );

  it(
    'an event one receiver refuses forever goes to the dead letters, and the next event is not held back past the bound',
    guard(async () => {
      const of = (r: Req) => JSON.parse(r.body).data as AlertEvent;
      for (const n of [1, 2, 3]) {
        const from = (e: Endpoint, kid: string) =>
          e.got.filter((r) => of(r).reportingNode === n && of(r).identityId === kid);
        await until(
          `oracle ${n}: the next event reaches the poisoned receiver`,
          () => from(poisoned, secondKid).length > 0,
        );
        const tries = from(poisoned, poisonKid);
        // Exactly MAX_ATTEMPTS tries of the refused event, then the next one.
        expect(tries).toHaveLength(MAX_ATTEMPTS);
        const next = from(poisoned, secondKid)[0]!;
        expect(accepts(SECRET, next)?.identityId).toBe(secondKid);
        expect(next.at).toBeGreaterThanOrEqual(tries.at(-1)!.at);
        // The next event was waiting behind the refused one (the healthy receiver had it before
        // the refused one's last try), and waited no longer than the dead-letter bound.
        const healthy = from(standard, secondKid)[0]!;
        expect(healthy.at).toBeLessThan(tries.at(-1)!.at);
        expect(next.at - tries[0]!.at).toBeLessThan(BOUND_MS + 3_000);
      }

      // Kept and listed: `mpcid alerts dead` on every oracle, and counted in /metrics.
      for (const o of cluster.oracles) {
        const r = await mpcid(['alerts', 'dead', '--admin', o.config.adminListen]);
        expect(r.code, r.stderr).toBe(0);
        const dead = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(dead).toHaveLength(1);
        expect(dead[0]).toMatchObject({
          webhook: 3,
          sink: 'standard',
          attempts: MAX_ATTEMPTS,
          bound: 'attempts',
          lastError: 'HTTP 500',
          event: { identityId: poisonKid, type: 'identity.clone_detected', reportingNode: o.id },
        });
        const metrics = await (await fetch(`http://${o.config.http!.listen}/metrics`)).text();
        expect(metrics).toMatch(/^mpcid_alert_dead_letters\{webhook="3"\} 1$/m);
        expect(metrics).not.toMatch(/^mpcid_alert_outbox_depth\{webhook="3"\} [1-9]/m);
        const log = readFileSync(o.logFile, 'utf8');
        expect(log).toContain('DEAD LETTER');
      }
    }),
  );
});
