/**
 * Join tokens (PROTOCOL.md §4): a one-time credential that lets an agent enroll one identity.
 *
 * A token is a statement signed by the node key of the oracle that issued it:
 *   mpcid-jt1.<base64url(JSON claims)>.<base64url(Ed25519 signature)>
 * The claims carry the cluster description (oracle addresses and node keys), so an agent needs
 * nothing but the token to enroll, and any oracle of the cluster can check it offline. Each
 * oracle records the token id when it is used, and refuses it afterwards.
 */

import { z } from 'zod';
import { fromB64u, toB64u, utf8Bytes } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import type { Secret } from '../crypto/secret.js';
import { signStatement, verifyStatement } from '../crypto/statement.js';
import { type ClusterConfig, ClusterSchema } from './config.js';
import { MpcidError } from './errors.js';
import { RequiredClaimsSchema } from './jwt.js';
import { RequiredRegistersSchema } from './registers.js';

const PREFIX = 'mpcid-jt1';
/** Longest token we parse (a 31-oracle cluster description fits comfortably). */
export const MAX_TOKEN_LENGTH = 8192;

/** Identity names: printable ASCII without spaces, e.g. spiffe://example.org/ns/prod/sa/web. */
export const IdentityNameSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'printable ASCII, 1-255 chars, no spaces');

const ClaimsSchema = z.strictObject({
  v: z.literal(1),
  cluster: ClusterSchema,
  name: IdentityNameSchema,
  jti: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  iss: z.number().int().min(1),
  iat: z.number().int().min(0),
  exp: z.number().int().min(0),
  /** Claims every token and quote of the identity must carry (`token create --require`). */
  require: RequiredClaimsSchema.optional(),
  /** Register values every token, quote and unseal of the identity requires (`--require-register`). */
  registers: RequiredRegistersSchema.optional(),
});
export type JoinTokenClaims = z.infer<typeof ClaimsSchema>;

export function issueJoinToken(claims: JoinTokenClaims, nodeKey: Secret): string {
  const payload = utf8Bytes(JSON.stringify(claims));
  const sig = signStatement(nodeKey, STATEMENT_DOMAINS.joinToken, payload);
  return `${PREFIX}.${toB64u(payload)}.${toB64u(sig)}`;
}

/** Parses a token's structure without checking its signature (agents use this to find the cluster). */
export function parseJoinToken(token: unknown): {
  claims: JoinTokenClaims;
  payload: Uint8Array;
  signature: Uint8Array;
} {
  const invalid = () => new MpcidError('TOKEN_INVALID', 'join token is not valid');
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalid();
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) throw invalid();
  try {
    const payload = fromB64u(parts[1], 'token.payload');
    const signature = fromB64u(parts[2], 'token.signature', 64);
    const r = ClaimsSchema.safeParse(JSON.parse(Buffer.from(payload).toString('utf8')));
    if (!r.success) throw invalid();
    return { claims: r.data, payload, signature };
  } catch {
    throw invalid();
  }
}

function sameCluster(a: ClusterConfig, b: ClusterConfig): boolean {
  if (a.id !== b.id || a.n !== b.n || a.t !== b.t) return false;
  return a.oracles.every((o) => b.oracles.some((p) => p.id === o.id && p.publicKey === o.publicKey));
}

/**
 * Full check on an oracle: structure, issuer is a member of this cluster, signature, cluster
 * description matches ours, not expired. Failures say little (TOKEN_INVALID / TOKEN_EXPIRED).
 */
export function verifyJoinToken(token: unknown, cluster: ClusterConfig, now = Date.now()): JoinTokenClaims {
  const { claims, payload, signature } = parseJoinToken(token);
  const issuer = cluster.oracles.find((o) => o.id === claims.iss);
  if (!issuer || !sameCluster(claims.cluster, cluster))
    throw new MpcidError('TOKEN_INVALID', 'join token is not valid');
  verifyStatement(
    fromB64u(issuer.publicKey, 'issuer.publicKey', 32),
    signature,
    'join token',
    STATEMENT_DOMAINS.joinToken,
    [payload],
    'TOKEN_INVALID',
  );
  if (now >= claims.exp) throw new MpcidError('TOKEN_EXPIRED', 'join token has expired');
  return claims;
}
