/**
 * Relying-party HTTP on every oracle (docs/protocol.md §8): OIDC discovery, JWKS (per identity
 * and for the whole cluster, paged), and identity status. An identity publishes its Ed25519 key
 * (OKP, alg EdDSA, kid = identity id) and, once set up, its P-256 key (EC, alg ES256, kid = the
 * EC JWK's RFC 7638 thumbprint); either kid finds the identity's JWKS and status. Everything here is public key material
 * and revocation status; no request changes state. Revoked keys leave every JWKS at once.
 * Operations: /healthz (process up), /readyz (store open and a quorum reachable), /metrics
 * (Prometheus text format, this oracle's registry only).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { clusterIssuer } from '../common/config.js';
import { LOG } from '../common/log.js';
import { fromB64u } from '../crypto/bytes.js';
import { ed25519Jwk } from '../crypto/jwk.js';
import { p256Jwk } from '../crypto/p256.js';
import { IDENTITY_ID, type OracleContext } from './context.js';
import type { ReadinessProbe } from './health.js';
import type { RevocationService } from './revocation.js';
import type { IdentityPublic } from './store.js';

const PAGE = 100;
const MAX_PAGE = 500;

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

export function httpHandler(ctx: OracleContext, revocations: RevocationService, readiness?: ReadinessProbe) {
  const issuer = clusterIssuer(ctx.config.cluster);
  const active = (r: IdentityPublic) => !revocations.get(r.identityId);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { error: 'METHOD_NOT_ALLOWED', message: 'GET only' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
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
      const after = url.searchParams.get('page_token') ?? '';
      const limit = Math.min(Number(url.searchParams.get('limit') ?? PAGE) || PAGE, MAX_PAGE);
      if (after !== '' && !IDENTITY_ID.test(after)) {
        send(res, 400, { error: 'MALFORMED_INPUT', message: 'page_token: malformed' });
        return;
      }
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
        send(res, 400, { error: 'MALFORMED_INPUT', message: 'identity id: expected an RFC 7638 thumbprint' });
        return;
      }
      const id = (await ctx.store.identityIdOfKid(kid)) ?? kid;
      const rec = await ctx.store.getIdentityPublic(id);
      if (!rec) {
        send(res, 404, { error: 'UNKNOWN_IDENTITY', message: 'no such identity' });
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
      send(res, 200, { status: 'ok' });
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
    send(res, 404, { error: 'NOT_FOUND', message: 'no such resource' });
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      ctx.log.error({ [LOG.err]: err, path: req.url }, 'http handler failed');
      if (!res.headersSent) send(res, 500, { error: 'INTERNAL', message: 'internal error' });
      else res.destroy();
    });
  };
}

export function startHttp(
  ctx: OracleContext,
  revocations: RevocationService,
  listen: string,
  readiness?: ReadinessProbe,
): Promise<RunningHttp> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(i + 1));
  const server: Server = createServer(httpHandler(ctx, revocations, readiness));
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
