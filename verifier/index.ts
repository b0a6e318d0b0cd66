/**
 * The relying party's verifier (docs/protocol.md §8): checks a co-signed token with `jose`
 * against the keys an oracle publishes, then checks the identity is not revoked and that the
 * token's `sub` is the name registered for its key. Library entry point: `mpcid/verifier`.
 *
 * A relying party needs none of this to check signatures (any JOSE library does, against the
 * JWKS); this adds the revocation status and the sub-to-key binding.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';

/** EdDSA (FROST-signed, kid = identity id) and ES256 (DKLs23-signed, kid = the P-256 key's thumbprint). */
export const ALGORITHMS = ['EdDSA', 'ES256'];
const ID = /^[A-Za-z0-9_-]{43}$/;

export interface VerifyOptions {
  /** Base URL of any oracle's HTTP endpoint, e.g. http://127.0.0.1:8080 */
  oracle: string;
  /** Expected audience (JWT) — required for typ JWT. */
  audience?: string | string[];
  /** Expected nonce (attestations). */
  nonce?: string;
  /** `JWT` (default) or `mpcid-attestation+jwt`. */
  typ?: string;
  clockToleranceSeconds?: number;
  /** Deadline of each HTTP request (ms). */
  timeoutMs?: number;
}

export type VerifyResult =
  | { ok: true; kid: string; claims: JWTPayload; header: Record<string, unknown> }
  | { ok: false; code: string; reason: string };

const fail = (code: string, reason: string): VerifyResult => ({ ok: false, code, reason });

async function getJson(
  url: URL,
  timeoutMs: number,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, body };
}

/** Verifies a compact JWS token; never throws (network failures are `ok: false` too). */
export async function verifyToken(token: string, opts: VerifyOptions): Promise<VerifyResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const typ = opts.typ ?? 'JWT';
  let base: URL;
  try {
    base = new URL(opts.oracle);
  } catch {
    return fail('BAD_OPTIONS', 'oracle: not a URL');
  }
  if (typ === 'JWT' && !opts.audience) return fail('BAD_OPTIONS', 'an audience is required');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    return fail('MALFORMED', 'not a compact JWS');
  }
  if (typeof header['alg'] !== 'string' || !ALGORITHMS.includes(header['alg'])) {
    return fail('ALG_NOT_ALLOWED', `algorithm ${String(header['alg'])} is not allowed`);
  }
  const kid = header['kid'];
  if (typeof kid !== 'string' || !ID.test(kid)) return fail('BAD_KID', 'kid is missing or malformed');
  try {
    const discovery = await getJson(new URL('/.well-known/openid-configuration', base), timeoutMs);
    const issuer = discovery.body['issuer'];
    if (discovery.status !== 200 || typeof issuer !== 'string')
      return fail('UNAVAILABLE', 'oracle discovery document unavailable');
    // Status first: a revoked key has already left the JWKS, and "no such key" would hide why.
    const status = await getJson(new URL(`/v1/identities/${kid}/status`, base), timeoutMs);
    if (status.status === 404) return fail('UNKNOWN_KID', 'the cluster does not know this key');
    if (status.status === 200 && status.body['status'] === 'revoked') {
      return fail('IDENTITY_REVOKED', `identity revoked (evidence ${String(status.body['evidenceDigest'])})`);
    }
    if (status.status !== 200 || status.body['status'] !== 'active')
      return fail('UNAVAILABLE', 'identity status unavailable');
    const jwks = createRemoteJWKSet(new URL(`/v1/identities/${kid}/jwks.json`, base), {
      timeoutDuration: timeoutMs,
    });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      algorithms: ALGORITHMS,
      issuer,
      typ,
      requiredClaims: ['iat', 'exp', 'sub', 'jti'],
      clockTolerance: opts.clockToleranceSeconds ?? 30,
      ...(opts.audience ? { audience: opts.audience } : {}),
    });
    if (opts.nonce !== undefined && payload['nonce'] !== opts.nonce)
      return fail('NONCE_MISMATCH', 'nonce does not match');
    if (payload.sub !== status.body['name'])
      return fail('SUB_MISMATCH', "sub is not the name registered for the token's key");
    return { ok: true, kid, claims: payload, header: protectedHeader as Record<string, unknown> };
  } catch (e) {
    if (e instanceof errors.JWTExpired) return fail('EXPIRED', 'token has expired');
    if (e instanceof errors.JWTClaimValidationFailed)
      return fail('CLAIM_INVALID', `claim ${e.claim} is invalid (${e.reason})`);
    if (e instanceof errors.JWSSignatureVerificationFailed)
      return fail('BAD_SIGNATURE', 'signature verification failed');
    if (e instanceof errors.JWKSNoMatchingKey)
      return fail(
        'UNKNOWN_KID',
        'no active key for this kid and algorithm (unknown, revoked, or another algorithm)',
      );
    if (e instanceof errors.JOSEAlgNotAllowed) return fail('ALG_NOT_ALLOWED', 'algorithm not allowed');
    if (e instanceof errors.JOSEError) return fail('INVALID', `token rejected (${e.code})`);
    return fail('UNAVAILABLE', `oracle unreachable (${(e as Error).name})`);
  }
}
