/**
 * The console at /console on the relying-party HTTP port (docs/protocol.md §7, Console): the
 * identities (name, kids, status, counter, last step), each revocation with its evidence drawn
 * as a picture (oracle/console-html.ts), a live alert feed (server-sent events from the durable
 * alert log, through the same watchAlerts as the admin stream: no gap, no duplicate, resumes
 * with Last-Event-ID), and the cluster's health (peers up, outbox depth, dead letters).
 *
 * Never open by default (oracle/console-auth.ts): without a session (or, in `loopback` mode, from
 * another address) every path but the two static assets answers 401 with the login page and
 * nothing else. Read-only: GET and HEAD only, no form, no state change besides the login.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MpcidError } from '../common/errors.js';
import { LOG } from '../common/log.js';
import { isOperatorRevocation } from '../common/operator-revocation.js';
import { EXPOSING_TIME } from '../crypto/ratchet.js';
import { type AlertHub, historiesOf, watchAlerts } from './alerts.js';
import { CONSOLE_CSS, CONSOLE_JS } from './console-assets.js';
import { ConsoleAuth } from './console-auth.js';
import {
  evidencePage,
  type Health,
  type IdentityRow,
  loginPage,
  mainPage,
  type RevocationRow,
} from './console-html.js';
import { IDENTITY_ID, type OracleContext } from './context.js';
import type { ReadinessProbe } from './health.js';
import type { RevocationRecord } from './records.js';
import type { RevocationService } from './revocation.js';

const MAX_IDENTITIES = 200;
const MAX_REVOCATIONS = 200;
const FEED = 50;
/** Open event streams per oracle; more get 503 (each holds a socket and a log subscription). */
const MAX_STREAMS = 32;
const PING_MS = 15_000;
const SEQ = /^\d{1,16}$/;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

export interface ConsoleDeps {
  readonly ctx: OracleContext;
  readonly revocations: RevocationService;
  readonly alerts: AlertHub;
  readonly auth: ConsoleAuth;
  readonly readiness?: ReadinessProbe | undefined;
  /** The configured webhooks' kinds, by index. */
  readonly sinks: readonly string[];
}

function html(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

function asset(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'cache-control': 'no-cache',
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The query of a console path: only `allowed` parameters, each once (MALFORMED_INPUT otherwise). */
function query(url: URL, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of url.searchParams) {
    if (!allowed.includes(k) || out.has(k))
      throw new MpcidError(
        'MALFORMED_INPUT',
        `console: ${allowed.length ? `expected only ${allowed.join(', ')}, once` : 'this path takes no query'}`,
      );
    out.set(k, v);
  }
  return out;
}

const stepTime = (t: number) => (t < EXPOSING_TIME && Number.isFinite(new Date(t).getTime()) ? t : 0);

function revocationRow(r: RevocationRecord): RevocationRow {
  return {
    identityId: r.identityId,
    name: r.name,
    status: r.status ?? 'revoked',
    reason: r.reason,
    counter: r.counter,
    detectedBy: r.detectedBy,
    detectedAt: r.detectedAt,
    digest: r.digest,
  };
}

export class ConsoleRoutes {
  readonly #d: ConsoleDeps;
  #streams = 0;

  constructor(deps: ConsoleDeps) {
    this.#d = deps;
  }

  /** Handles a path under /console. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { auth } = this.#d;
    const path = url.pathname;
    if (auth.config.access === 'off') throw new MpcidError('NOT_FOUND', 'the console is off on this oracle');
    if (path === '/console/assets/console.css') return asset(res, 'text/css', CONSOLE_CSS);
    if (path === '/console/assets/console.js') return asset(res, 'text/javascript', CONSOLE_JS);
    const ttl = auth.config.loginTtlSeconds;
    if (path === '/console/login') {
      if (auth.config.access === 'loopback' && auth.allowed(req))
        return html(res, 303, '', { location: '/console' });
      const token = query(url, ['token']).get('token') ?? null;
      // Only a GET redeems (a HEAD, e.g. a link checker's, must not use up the one-time link).
      const session = auth.config.access === 'login' && req.method === 'GET' ? auth.redeem(token) : undefined;
      if (!session) return html(res, 401, loginPage(ttl, 'That login link is invalid, used or expired.'));
      this.#d.ctx.log.info('console login');
      const secure = !!this.#d.ctx.config.http?.tls;
      return html(res, 303, '', {
        location: '/console',
        'set-cookie': ConsoleAuth.cookieFor(session.sessionId, session.maxAgeSeconds, secure),
      });
    }
    if (!auth.allowed(req)) return html(res, 401, loginPage(ttl));
    if (path === '/console' || path === '/console/') {
      query(url, []);
      return html(res, 200, await this.#main());
    }
    if (path === '/console/events') return this.#events(req, res, query(url, ['after']).get('after'));
    const m = /^\/console\/revocations\/([^/]+)$/.exec(path);
    if (m) {
      query(url, []);
      const id = m[1]!; // an identity id is base64url: nothing to decode
      if (!IDENTITY_ID.test(id)) throw new MpcidError('MALFORMED_INPUT', 'expected an identity id');
      const r = await this.#d.ctx.store.getRevocation(id);
      if (!r) throw new MpcidError('NOT_FOUND', 'this identity is not revoked');
      return html(
        res,
        200,
        evidencePage(
          {
            ...revocationRow(r),
            evidenceJson: JSON.stringify(r.evidence),
            peers: r.peers,
            operator: isOperatorRevocation(r.evidence),
          },
          historiesOf(r.evidence, r.peers),
        ),
      );
    }
    throw new MpcidError('NOT_FOUND', 'no such console page');
  }

  async #main(): Promise<string> {
    const { store } = this.#d.ctx;
    const page = await store.listIdentities('', MAX_IDENTITIES + 1);
    const identities: IdentityRow[] = await Promise.all(
      page.slice(0, MAX_IDENTITIES).map(async (r) => {
        const ratchet = await store.getRatchet(r.identityId);
        const rev = this.#d.revocations.get(r.identityId);
        const status = rev
          ? 'revoked'
          : this.#d.revocations.suspension(r.identityId)
            ? 'suspended'
            : r.status;
        const last = ratchet?.last;
        return {
          identityId: r.identityId,
          name: r.name,
          kids: [r.identityId, ...(r.ecdsa ? [r.ecdsa.kid] : [])],
          status,
          counter: ratchet?.counter ?? 0,
          lastStep: last
            ? { kind: last.step.kind, time: stepTime(last.step.time), peer: last.peer }
            : undefined,
        };
      }),
    );
    const revocations = (await store.listRevocations('', MAX_REVOCATIONS))
      .map(revocationRow)
      .sort((a, b) => b.detectedAt - a.detectedAt);
    const lastSeq = await store.lastEventSeq();
    const feed = await store.eventsAfter(Math.max(0, lastSeq - FEED), FEED);
    return mainPage(await this.#health(), identities, page.length > MAX_IDENTITIES, revocations, feed);
  }

  async #health(): Promise<Health> {
    const { ctx, readiness, sinks } = this.#d;
    const [peers, outbox, dead] = await Promise.all([
      readiness ? readiness.peers() : Promise.resolve(new Map<number, boolean>()),
      ctx.store.outboxWebhooks(),
      ctx.store.deadLetterCounts(),
    ]);
    return {
      nodeId: ctx.nodeId,
      clusterId: ctx.config.cluster.id,
      n: ctx.as.n,
      t: ctx.as.t,
      peers: [...peers].map(([id, up]) => ({ id, up })).sort((a, b) => a.id - b.id),
      outbox: sinks.map((sink, w) => ({
        webhook: w,
        sink,
        depth: outbox.get(w) ?? 0,
        dead: dead.get(w) ?? 0,
      })),
      deadLetters: [...dead.values()].reduce((a, b) => a + b, 0),
    };
  }

  /** Server-sent events: every alert after the cursor (Last-Event-ID, else `after`), then live ones. */
  #events(req: IncomingMessage, res: ServerResponse, after: string | undefined): void {
    const last = req.headers['last-event-id'];
    const from = typeof last === 'string' && last !== '' ? last : (after ?? '0');
    if (!SEQ.test(from))
      throw new MpcidError('MALFORMED_INPUT', 'after / Last-Event-ID: expected an event seq');
    if (this.#streams >= MAX_STREAMS) throw new MpcidError('RATE_LIMITED', 'too many console event streams');
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'x-accel-buffering': 'no',
    };
    if (req.method === 'HEAD') {
      res.writeHead(200, headers).end();
      return;
    }
    this.#streams++;
    res.writeHead(200, headers);
    res.write('retry: 2000\n: mpcid alerts\n\n');
    const watch = watchAlerts(this.#d.ctx.store, this.#d.alerts, Number(from), {
      write: (e) =>
        res.destroyed ||
        res.write(`id: ${e.seq}\nevent: alert\ndata: ${JSON.stringify({ seq: e.seq, event: e.event })}\n\n`),
      drain: () =>
        new Promise<void>((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        }),
    });
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    ping.unref();
    res.once('close', () => {
      this.#streams--;
      clearInterval(ping);
      watch.close();
    });
    watch.ready.catch((err: unknown) => {
      this.#d.ctx.log.error({ [LOG.err]: err }, 'console event stream failed');
      res.destroy();
    });
  }
}
