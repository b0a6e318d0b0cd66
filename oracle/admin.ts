/**
 * Admin service: join tokens, identity inventory, revocations, the alert stream, dead letters
 * and console login links. It listens
 * on its own address, which operators keep on loopback or a private network (mTLS arrives with
 * the hardening work).
 */
import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { ensure, MpcidError } from '../common/errors.js';
import { isUndecodable, toServiceError, unary, undecodableError } from '../common/grpc.js';
import { IdentityNameSchema, issueJoinToken, MAX_TOKEN_LENGTH } from '../common/jointoken.js';
import { jsonOf } from '../common/json-input.js';
import { parseRequiredClaims } from '../common/jwt.js';
import { LOG } from '../common/log.js';
import { parseRequiredRegisters } from '../common/registers.js';
import { fromB64u, toB64u } from '../crypto/bytes.js';
import { p256Uncompressed } from '../crypto/p256.js';
import { initialRegisters } from '../crypto/registers.js';
import type { AdminHandlers } from '../proto/gen/mpcid/admin/v1/Admin.js';
import type { AlertEventMessage } from '../proto/gen/mpcid/admin/v1/AlertEventMessage.js';
import type { CreateConsoleLoginResponse } from '../proto/gen/mpcid/admin/v1/CreateConsoleLoginResponse.js';
import type { CreateJoinTokenRequest__Output } from '../proto/gen/mpcid/admin/v1/CreateJoinTokenRequest.js';
import type { CreateJoinTokenResponse } from '../proto/gen/mpcid/admin/v1/CreateJoinTokenResponse.js';
import type { Identity } from '../proto/gen/mpcid/admin/v1/Identity.js';
import type { ListDeadLettersRequest__Output } from '../proto/gen/mpcid/admin/v1/ListDeadLettersRequest.js';
import type { ListDeadLettersResponse } from '../proto/gen/mpcid/admin/v1/ListDeadLettersResponse.js';
import type { ListIdentitiesRequest__Output } from '../proto/gen/mpcid/admin/v1/ListIdentitiesRequest.js';
import type { ListIdentitiesResponse } from '../proto/gen/mpcid/admin/v1/ListIdentitiesResponse.js';
import type { NodeInfo } from '../proto/gen/mpcid/admin/v1/NodeInfo.js';
import type { RevocationInfo } from '../proto/gen/mpcid/admin/v1/RevocationInfo.js';
import type { WatchAlertsRequest__Output } from '../proto/gen/mpcid/admin/v1/WatchAlertsRequest.js';
import { type AlertHub, watchAlerts } from './alerts.js';
import type { AuditService } from './audit.js';
import type { ConsoleAuth } from './console-auth.js';
import { IDENTITY_ID, type OracleContext } from './context.js';
import { registersOf } from './measure.js';
import { peerKeyOf } from './ratelimit.js';
import type { IdentityPublic, RevocationRecord } from './records.js';
import type { RevocationService } from './revocation.js';

export const VERSION = '0.1.0';
const MAX_PAGE = 100;

function identityToWire(r: IdentityPublic, revoked: boolean): Identity {
  return {
    identityId: r.identityId,
    name: r.name,
    publicKey: Buffer.from(r.publicKey, 'base64url'),
    alg: r.alg,
    status: revoked ? 'revoked' : r.status,
    enrolledAt: r.enrolledAt,
    n: r.n,
    t: r.t,
    es256Kid: r.ecdsa?.kid ?? '',
    es256PublicKey: r.ecdsa
      ? Buffer.from(p256Uncompressed(fromB64u(r.ecdsa.publicKey, 'publicKey')))
      : Buffer.alloc(0),
    requiredClaimsJson: r.requiredClaims ? JSON.stringify(r.requiredClaims) : '',
    requiredRegistersJson: r.requiredRegisters ? JSON.stringify(r.requiredRegisters) : '',
  };
}

type WatchCall = grpc.ServerWritableStream<WatchAlertsRequest__Output, AlertEventMessage>;

export class AdminService {
  readonly #ctx: OracleContext;
  readonly #revocations: RevocationService;
  readonly #alerts: AlertHub;
  /** Open WatchAlerts streams, ended when the node stops (a graceful shutdown waits for calls). */
  readonly #watchers = new Set<WatchCall>();
  readonly #consoleAuth: ConsoleAuth | undefined;
  readonly #sinks: readonly string[];
  readonly #audit: AuditService | undefined;
  #closed = false;
  constructor(
    ctx: OracleContext,
    revocations: RevocationService,
    alerts: AlertHub,
    extras: { consoleAuth?: ConsoleAuth; sinks?: readonly string[]; audit?: AuditService } = {},
  ) {
    this.#ctx = ctx;
    this.#revocations = revocations;
    this.#alerts = alerts;
    this.#consoleAuth = extras.consoleAuth;
    this.#sinks = extras.sinks ?? [];
    this.#audit = extras.audit;
  }

  #toWire(r: IdentityPublic): Identity {
    return identityToWire(r, !!this.#revocations.get(r.identityId));
  }

  handlers(): AdminHandlers {
    const log = this.#ctx.log;
    return {
      CreateJoinToken: unary(log, 'CreateJoinToken', (req) => this.createJoinToken(req)),
      ListIdentities: unary(log, 'ListIdentities', (req) => this.listIdentities(req)),
      GetIdentity: unary(log, 'GetIdentity', async (req) => {
        const { record } = await this.#ctx.identity(req.identityId, { allowRevoked: true });
        const ratchet = await this.#ctx.store.getRatchet(record.identityId);
        const registers = registersOf(ratchet);
        return {
          ...this.#toWire(record),
          counter: ratchet?.counter ?? 0,
          registers: (registers?.values ?? initialRegisters()).map((v) => Buffer.from(v)),
          registersCounter: registers?.counter ?? 0,
        };
      }),
      GetNodeInfo: unary(log, 'GetNodeInfo', async () => this.nodeInfo()),
      GetRevocation: unary(log, 'GetRevocation', (req) => this.getRevocation(req.identityId)),
      WatchAlerts: (c) => this.watchAlerts(c),
      ListDeadLetters: unary(log, 'ListDeadLetters', (req) => this.listDeadLetters(req)),
      CreateConsoleLogin: unary(log, 'CreateConsoleLogin', async () => this.createConsoleLogin()),
      RevokeIdentity: unary(log, 'RevokeIdentity', async (req, c) => {
        const { applied, record } = await this.#revocations.revokeByOperator(req, peerKeyOf(c));
        const identity = await this.#ctx.identity(record.identityId, { allowRevoked: true });
        return { applied, revocation: this.#revocationInfo(record, identity.sessionPublicKey) };
      }),
      ListAudit: unary(log, 'ListAudit', async (req) => {
        if (!this.#audit) throw new MpcidError('NOT_READY', 'no audit log on this oracle');
        return this.#audit.list(req);
      }),
    };
  }

  async listDeadLetters(req: ListDeadLettersRequest__Output): Promise<ListDeadLettersResponse> {
    const limit = Math.min(req.limit || 1000, 10_000);
    const dead = await this.#ctx.store.deadLetters(limit);
    return {
      deadLetters: dead.map((d) => ({
        webhook: d.webhook,
        sink: this.#sinks[d.webhook] ?? 'unconfigured',
        seq: d.seq,
        eventId: d.event.id,
        json: JSON.stringify(d.event),
        attempts: d.attempts,
        queuedAt: d.queuedAt,
        deadAt: d.deadAt,
        bound: d.bound,
        lastError: d.lastError,
      })),
    };
  }

  /** A one-time console login link (the token is a secret: it is returned, never logged). */
  createConsoleLogin(): CreateConsoleLoginResponse {
    const http = this.#ctx.config.http;
    const auth = this.#consoleAuth;
    if (!http || !auth || auth.config.access !== 'login')
      throw new MpcidError(
        'CONSOLE_NO_LOGIN',
        !http || !auth || auth.config.access === 'off'
          ? 'this oracle serves no console (no http, or console.access is off)'
          : 'console.access is loopback on this oracle: open /console from the oracle host, no login needed',
      );
    const { token, expiresAt } = auth.createLogin();
    this.#ctx.log.info({ expiresAt }, 'console login link created');
    return {
      path: `/console/login?token=${token}`,
      expiresAt,
      httpListen: http.listen,
      https: !!http.tls,
    };
  }

  async getRevocation(identityId: string): Promise<RevocationInfo> {
    const identity = await this.#ctx.identity(identityId, { allowRevoked: true });
    const r = this.#revocations.get(identity.record.identityId);
    if (!r) throw new MpcidError('UNKNOWN_IDENTITY', 'this identity is not revoked');
    return this.#revocationInfo(r, identity.sessionPublicKey);
  }

  #revocationInfo(r: RevocationRecord, sessionPublicKey: Uint8Array): RevocationInfo {
    return {
      identityId: r.identityId,
      name: r.name,
      evidenceJson: JSON.stringify(r.evidence),
      sessionPublicKey: Buffer.from(sessionPublicKey),
      digest: r.digest,
      reason: r.reason,
      detectedBy: r.detectedBy,
      detectedAt: r.detectedAt,
      peers: r.peers,
      counter: r.counter,
      appliedAt: r.appliedAt,
      accuserPublicKey: Buffer.from(
        this.#accuserKey('abort' in r.evidence ? r.evidence.abort?.accuser : undefined),
      ),
    };
  }

  /** The node key of an oracle that made an abort claim (empty for the agent's claims and forks). */
  #accuserKey(accuser: number | undefined): Uint8Array {
    const o = this.#ctx.config.cluster.oracles.find((x) => accuser !== undefined && x.id === accuser);
    return o ? fromB64u(o.publicKey, 'publicKey', 32) : new Uint8Array();
  }

  /** Server-streaming WatchAlerts: stored events after the cursor, then live ones, until cancelled. */
  watchAlerts(c: WatchCall): void {
    const log = this.#ctx.log;
    const cursor = c.request.cursor;
    const refused = this.#closed
      ? new MpcidError('NOT_READY', 'oracle shutting down')
      : isUndecodable(c.request)
        ? undecodableError()
        : !Number.isSafeInteger(cursor) || cursor < 0
          ? new MpcidError('MALFORMED_INPUT', 'cursor: out of range')
          : undefined;
    if (refused) {
      c.emit('error', toServiceError(refused, log, 'WatchAlerts'));
      return;
    }
    const open = () => !c.destroyed && !c.writableEnded;
    const watch = watchAlerts(this.#ctx.store, this.#alerts, cursor, {
      write: (e) => !open() || c.write({ seq: e.seq, json: JSON.stringify(e.event) }),
      drain: () =>
        new Promise<void>((resolve) => {
          const done = () => {
            c.off('drain', done);
            c.off('close', done);
            resolve();
          };
          c.on('drain', done);
          c.on('close', done);
        }),
    });
    this.#watchers.add(c);
    c.on('close', () => {
      watch.close();
      this.#watchers.delete(c);
    });
    watch.ready.catch((err: unknown) => {
      if (open()) c.emit('error', toServiceError(err, log, 'WatchAlerts'));
    });
  }

  /** Ends every open WatchAlerts stream with NOT_READY (UNAVAILABLE); clients resume from their last seq. */
  close(): void {
    this.#closed = true;
    const err = new MpcidError('NOT_READY', 'oracle shutting down');
    for (const c of this.#watchers) c.emit('error', toServiceError(err, this.#ctx.log, 'WatchAlerts'));
    this.#watchers.clear();
  }

  async createJoinToken(req: CreateJoinTokenRequest__Output): Promise<CreateJoinTokenResponse> {
    const ctx = this.#ctx;
    const name = IdentityNameSchema.safeParse(req.name);
    if (!name.success)
      throw new MpcidError('MALFORMED_INPUT', 'name: printable ASCII, 1-255 chars, no spaces');
    const { defaultTtlSeconds, maxTtlSeconds } = ctx.config.tokens;
    const ttl = req.ttlSeconds || defaultTtlSeconds;
    ensure(ttl <= maxTtlSeconds, 'MALFORMED_INPUT', `ttl_seconds: at most ${maxTtlSeconds}`);
    const iat = Date.now();
    const claims = {
      v: 1 as const,
      cluster: ctx.config.cluster,
      name: name.data,
      jti: toB64u(randomBytes(16)),
      iss: ctx.nodeId,
      iat,
      exp: iat + ttl * 1000,
    };
    const require =
      req.requiredClaimsJson === ''
        ? undefined
        : parseRequiredClaims(req.requiredClaimsJson, 'required_claims_json');
    const registers =
      req.requiredRegistersJson === ''
        ? undefined
        : parseRequiredRegisters(
            jsonOf(req.requiredRegistersJson, 'required_registers_json'),
            'required_registers_json',
          );
    const token = issueJoinToken(
      { ...claims, ...(require ? { require } : {}), ...(registers ? { registers } : {}) },
      ctx.nodeKey,
    );
    // An agent parses at most MAX_TOKEN_LENGTH characters: refuse to issue a token it would refuse.
    ensure(
      token.length <= MAX_TOKEN_LENGTH,
      'MALFORMED_INPUT',
      `required_claims_json: the join token would exceed ${MAX_TOKEN_LENGTH} characters`,
    );
    await ctx.store.putToken({
      tokenId: claims.jti,
      name: claims.name,
      issuedBy: ctx.nodeId,
      expiresAt: claims.exp,
      state: 'issued',
    });
    ctx.log.info({ [LOG.tokenId]: claims.jti, [LOG.name]: claims.name }, 'join token created');
    return { token, tokenId: claims.jti, expiresAt: claims.exp };
  }

  async listIdentities(req: ListIdentitiesRequest__Output): Promise<ListIdentitiesResponse> {
    const size = Math.min(req.pageSize || 50, MAX_PAGE);
    ensure(
      req.pageToken === '' || IDENTITY_ID.test(req.pageToken),
      'MALFORMED_INPUT',
      'page_token: malformed',
    );
    const page = await this.#ctx.store.listIdentities(req.pageToken, size + 1);
    const more = page.length > size;
    const items = page.slice(0, size);
    return {
      identities: items.map((r) => this.#toWire(r)),
      nextPageToken: more ? items[items.length - 1]!.identityId : '',
    };
  }

  nodeInfo(): NodeInfo {
    const ctx = this.#ctx;
    return {
      nodeId: ctx.nodeId,
      clusterId: ctx.config.cluster.id,
      n: ctx.as.n,
      t: ctx.as.t,
      nodePublicKey: Buffer.from(ctx.nodePublicKey),
      version: VERSION,
    };
  }
}
