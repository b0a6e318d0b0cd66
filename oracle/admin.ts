/**
 * Admin service: join tokens and identity inventory. It listens on its own address, which
 * operators keep on loopback or a private network (mTLS arrives with the hardening work).
 */
import { randomBytes } from 'node:crypto';
import { ensure, MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import { IdentityNameSchema, issueJoinToken } from '../common/jointoken.js';
import { LOG } from '../common/log.js';
import { toB64u } from '../crypto/bytes.js';
import type { AdminHandlers } from '../proto/gen/mpcid/admin/v1/Admin.js';
import type { CreateJoinTokenRequest__Output } from '../proto/gen/mpcid/admin/v1/CreateJoinTokenRequest.js';
import type { CreateJoinTokenResponse } from '../proto/gen/mpcid/admin/v1/CreateJoinTokenResponse.js';
import type { Identity } from '../proto/gen/mpcid/admin/v1/Identity.js';
import type { ListIdentitiesRequest__Output } from '../proto/gen/mpcid/admin/v1/ListIdentitiesRequest.js';
import type { ListIdentitiesResponse } from '../proto/gen/mpcid/admin/v1/ListIdentitiesResponse.js';
import type { NodeInfo } from '../proto/gen/mpcid/admin/v1/NodeInfo.js';
import { IDENTITY_ID, type OracleContext } from './context.js';
import type { RevocationService } from './revocation.js';
import type { IdentityRecord } from './store.js';

export const VERSION = '0.1.0';
const MAX_PAGE = 100;

function identityToWire(r: IdentityRecord, revoked: boolean): Identity {
  return {
    identityId: r.identityId,
    name: r.name,
    publicKey: Buffer.from(r.publicKey, 'base64url'),
    alg: r.alg,
    status: revoked ? 'revoked' : r.status,
    enrolledAt: r.enrolledAt,
    n: r.n,
    t: r.t,
  };
}

export class AdminService {
  readonly #ctx: OracleContext;
  readonly #revocations: RevocationService;
  constructor(ctx: OracleContext, revocations: RevocationService) {
    this.#ctx = ctx;
    this.#revocations = revocations;
  }

  #toWire(r: IdentityRecord): Identity {
    return identityToWire(r, !!this.#revocations.get(r.identityId));
  }

  handlers(): AdminHandlers {
    const log = this.#ctx.log;
    return {
      CreateJoinToken: unary(log, 'CreateJoinToken', (req) => this.createJoinToken(req)),
      ListIdentities: unary(log, 'ListIdentities', (req) => this.listIdentities(req)),
      GetIdentity: unary(log, 'GetIdentity', async (req) =>
        this.#toWire((await this.#ctx.identity(req.identityId, { allowRevoked: true })).record),
      ),
      GetNodeInfo: unary(log, 'GetNodeInfo', async () => this.nodeInfo()),
    };
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
    const token = issueJoinToken(claims, ctx.nodeKey);
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
