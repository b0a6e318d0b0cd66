/**
 * Relying-party HTTP on every oracle (docs/protocol.md §8): OIDC discovery, JWKS (per identity
 * and for the whole cluster, paged), and identity status. An identity publishes its Ed25519 key
 * (OKP, alg EdDSA, kid = identity id) and, once set up, its P-256 key (EC, alg ES256, kid = the
 * EC JWK's RFC 7638 thumbprint); either kid finds the identity's JWKS and status. Everything here is public key material
 * and revocation status; no request changes state. Revoked keys leave every JWKS at once.
 * Operations: /healthz (process up and its store still takes writes), /readyz (store open and a quorum reachable), /metrics
 * (Prometheus text format, this oracle's registry only).
 *
 * Every query parameter is checked: a route takes only the ones listed in QUERY, each at most
 * once and well-formed; anything else is a 400 with a stable code (MALFORMED_INPUT) and nothing
 * in the log. With `http.tls` the port serves HTTPS only. Paths under /console are the console
 * (oracle/console.ts), which has its own access control and is never open by default.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import { clusterIssuer } from '../common/config.js';
import { asMpcidError, type ErrorCode, MpcidError } from '../common/errors.js';
import { LOG } from '../common/log.js';
import { fromB64u } from '../crypto/bytes.js';
import { ed25519Jwk } from '../crypto/jwk.js';
import { p256Jwk } from '../crypto/p256.js';
import type { ConsoleRoutes } from './console.js';
import { IDENTITY_ID, type OracleContext } from './context.js';
import { liveness, type ReadinessProbe } from './health.js';
import type { IssuerService } from './issuer.js';
import type { IdentityPublic } from './records.js';
import type { RevocationService } from './revocation.js';

const PAGE = 100;
const MAX_PAGE = 500;
/** The query parameters each path takes; every other path takes none. */
const QUERY: Readonly<Record<string, readonly string[]>> = {
  '/.well-known/jwks.json': ['limit', 'page_token'],
};
const LIMIT = /^[1-9][0-9]{0,3}$/;

/** A query parameter's name or value as it may appear in an error message: quoted, at most 40 characters. */
const quote = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** The validated query of `path`: only known parameters, each once. Throws MALFORMED_INPUT. */
function queryOf(path: string, params: URLSearchParams): Map<string, string> {
  const allowed = QUERY[path] ?? [];
  const out = new Map<string, string>();
  for (const [k, v] of params) {
    if (!allowed.includes(k))
      throw new MpcidError(
        'MALFORMED_INPUT',
        `unknown query parameter ${quote(k)}${allowed.length ? ` (expected ${allowed.join(', ')})` : ' (this path takes none)'}`,
      );
    if (out.has(k)) throw new MpcidError('MALFORMED_INPUT', `query parameter ${k} given more than once`);
    out.set(k, v);
  }
  return out;
}

export interface RunningHttp {
  readonly port: number;
  close(): Promise<void>;
}

/** The identity's public keys as JWKs: Ed25519 (EdDSA), then P-256 (ES256) if it has one. */
function jwksOf(r: IdentityPublic) {
  const keys: Record<string, string>[] = [
    { ...ed25519Jwk(fromB64u(r.publicKey, 'publicKey', 32)), kid: r.identityId, alg: 'EdDSA', use: 'sig' },
  ];
  if (r.ecdsa)
    keys.push({
      ...p256Jwk(fromB64u(r.ecdsa.publicKey, 'publicKey')),
      kid: r.ecdsa.kid,
      alg: 'ES256',
      use: 'sig',
    });
  return keys;
}

/** An error answer: `{error: CODE, message}`, the code from the one table (common/errors.ts). */
function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  send(res, status, { error: code, message });
}

function send(res: ServerResponse, status: number, body: unknown, cache = 'no-cache'): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
  });
  res.end(data);
}

/** HTTP status of an MpcidError that is the client's doing (answered, not logged). */
const CLIENT_STATUS: Partial<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
};

export function httpHandler(
  ctx: OracleContext,
  revocations: RevocationService,
  readiness?: ReadinessProbe,
  consoleRoutes?: ConsoleRoutes,
  federation?: IssuerService,
) {
  const issuer = clusterIssuer(ctx.config.cluster);
  const active = (r: IdentityPublic) => !revocations.get(r.identityId);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'METHOD_NOT_ALLOWED', 'GET only');
      return;
    }
    // The request target is a path (origin-form); anything else (absolute-form, `*`) is refused.
    const target = req.url ?? '/';
    if (!target.startsWith('/') || !URL.canParse(`http://localhost${target}`))
      throw new MpcidError('MALFORMED_INPUT', 'request target: expected a path');
    const url = new URL(`http://localhost${target}`);
    const path = url.pathname;
    if (consoleRoutes && (path === '/console' || path.startsWith('/console/'))) {
      await consoleRoutes.handle(req, res, url);
      return;
    }
    const query = queryOf(path, url.searchParams);
    const fed = federation?.httpRoute(path);
    if (fed) {
      send(res, 200, fed, 'max-age=60');
      return;
    }
    if (path === '/.well-known/openid-configuration') {
      send(
        res,
        200,
        {
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks.json`,
          id_token_signing_alg_values_supported: ['EdDSA', 'ES256'],
          subject_types_supported: ['public'],
          response_types_supported: ['id_token'],
          claims_supported: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'ctr', 'nonce'],
          mpcid_identity_status_endpoint: `${issuer}/v1/identities/{kid}/status`,
        },
        'max-age=300',
      );
      return;
    }
    if (path === '/.well-known/jwks.json') {
      const after = query.get('page_token') ?? '';
      const limitArg = query.get('limit');
      const limit = limitArg === undefined ? PAGE : LIMIT.test(limitArg) ? Number(limitArg) : 0;
      if (limit < 1 || limit > MAX_PAGE)
        throw new MpcidError('MALFORMED_INPUT', `limit: expected an integer from 1 to ${MAX_PAGE}`);
      if (after !== '' && !IDENTITY_ID.test(after))
        throw new MpcidError(
          'MALFORMED_INPUT',
          'page_token: expected a next_page_token from an earlier page',
        );
      // Page over all identities; revoked ones are skipped, so a page may hold fewer keys.
      const page = await ctx.store.listIdentities(after, limit + 1);
      const items = page.slice(0, limit);
      const body: { keys: unknown[]; next_page_token?: string } = {
        keys: items.filter(active).flatMap(jwksOf),
      };
      if (page.length > limit) body.next_page_token = items[items.length - 1]!.identityId;
      send(res, 200, body);
      return;
    }
    const m = /^\/v1\/identities\/([^/]+)\/(jwks\.json|status)$/.exec(path);
    if (m) {
      const kid = m[1]!;
      if (!IDENTITY_ID.test(kid)) {
        throw new MpcidError(
          'MALFORMED_INPUT',
          'kid: expected an RFC 7638 thumbprint (43 base64url characters)',
        );
      }
      const id = (await ctx.store.identityIdOfKid(kid)) ?? kid;
      const rec = await ctx.store.getIdentityPublic(id);
      if (!rec) {
        sendError(res, 404, 'UNKNOWN_IDENTITY', 'no such identity');
        return;
      }
      const rev = revocations.get(id);
      if (m[2] === 'jwks.json') {
        send(res, 200, { keys: rev ? [] : jwksOf(rec) });
        return;
      }
      send(res, 200, {
        identityId: id,
        ...(rec.ecdsa ? { es256Kid: rec.ecdsa.kid } : {}),
        name: rec.name,
        status: rev ? 'revoked' : 'active',
        ...(rev
          ? {
              revokedAt: new Date(rev.detectedAt).toISOString(),
              evidenceDigest: rev.digest,
              reason: rev.reason,
            }
          : {}),
      });
      return;
    }
    if (path === '/healthz') {
      const l = liveness(ctx.store);
      send(res, l.live ? 200 : 503, l.live ? { status: 'ok' } : { status: 'failed', reason: l.reason });
      return;
    }
    if (path === '/readyz' && readiness) {
      const r = await readiness.check();
      send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', ...r });
      return;
    }
    if (path === '/metrics') {
      const reg = ctx.metrics.registry;
      const data = await reg.metrics();
      res.writeHead(200, {
        'content-type': reg.contentType,
        'content-length': Buffer.byteLength(data),
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      res.end(data);
      return;
    }
    sendError(res, 404, 'NOT_FOUND', 'no such resource');
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      // Bad input is the client's: a 400 (404, 429) with its code, nothing logged.
      const known = asMpcidError(err);
      const status = known ? CLIENT_STATUS[known.status] : undefined;
      if (known && status && !res.headersSent) {
        sendError(res, status, known.code, known.message);
        return;
      }
      // The path without its query: a console login link's token must not reach the log.
      ctx.log.error({ [LOG.err]: err, path: req.url?.split('?')[0]?.slice(0, 200) }, 'http handler failed');
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'internal error');
      else res.destroy();
    });
  };
}

/** The certificate and key of `http.tls`, read now; an unreadable or unusable file is CONFIG_INVALID. */
export function httpsOptions(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (field: 'cert' | 'key') => {
    try {
      return readFileSync(tls[field]);
    } catch (e) {
      throw new MpcidError(
        'CONFIG_INVALID',
        `http.tls.${field}: cannot read ${tls[field]} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  };
  const out = { cert: read('cert'), key: read('key') };
  try {
    createSecureContext(out);
  } catch {
    throw new MpcidError('CONFIG_INVALID', 'http.tls: the certificate and key are not a usable PEM pair');
  }
  return out;
}

export function startHttp(
  ctx: OracleContext,
  revocations: RevocationService,
  listen: string,
  readiness?: ReadinessProbe,
  consoleRoutes?: ConsoleRoutes,
  federation?: IssuerService,
): Promise<RunningHttp> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(i + 1));
  const handler = httpHandler(ctx, revocations, readiness, consoleRoutes, federation);
  const tls = ctx.config.http?.tls;
  const server: Server = tls ? createHttpsServer(httpsOptions(tls), handler) : createServer(handler);
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as { port: number }).port;
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
