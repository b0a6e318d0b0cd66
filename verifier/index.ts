/**
 * The relying party's verifier (docs/protocol.md §8): checks a co-signed token with `jose`
 * against keys that a quorum of the cluster's oracles vouch for, then checks that no answering
 * oracle reports the identity revoked and that the token's `sub` is the name registered for its
 * key. Library entry point: `mpcid/verifier`.
 *
 * No single oracle is trusted: the key, the registered name and the issuer must come, identical,
 * from `quorum` oracles; every kid served must be the RFC 7638 thumbprint of its key; one oracle
 * saying "revoked" is enough to refuse. Transport is HTTPS (an optional CA for the oracles'
 * certificates); plain http only when explicitly allowed.
 *
 * A token whose `iss` ends in `/issuer` is an issuer-key token (docs/protocol.md §10): its key
 * comes, identical, from `quorum` oracles' issuer key sets (`/issuer/jwks.json`) and its issuer
 * from their `/issuer` discovery documents; it names no identity key, so no per-identity status is
 * asked (a revoked identity gets no new issuer-key token; one already issued lives until its exp,
 * at most `cluster.federation.maxTokenTtlSeconds`).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWK,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import type { VerifyCode } from '../common/errors.js';

export type { VerifyCode } from '../common/errors.js';

/** EdDSA (FROST-signed, kid = identity id) and ES256 (DKLs23-signed, kid = the P-256 key's thumbprint). */
export const ALGORITHMS = ['EdDSA', 'ES256'];
const ID = /^[A-Za-z0-9_-]{43}$/;
/** Largest answer read from an oracle: a per-identity JWKS or status is a few hundred bytes. */
const MAX_BODY = 256 * 1024;

export interface VerifyOptions {
  /**
   * Base URLs of the cluster's oracles' relying-party endpoints, e.g. https://oracle-1:8443.
   * Each is asked; the same URL twice is refused (BAD_OPTIONS).
   */
  oracles?: readonly string[];
  /** One oracle URL (the old option); joins `oracles`. Alone it needs `allowSingleOracle`. */
  oracle?: string;
  /**
   * How many oracles must answer and vouch for the same key (give the cluster's t). Default: a
   * majority of the oracles given. Below 2 needs `allowSingleOracle`.
   */
  quorum?: number;
  /** Trust one oracle alone (a quorum of 1): one malicious oracle can then forge keys. */
  allowSingleOracle?: boolean;
  /** Allow http:// oracle URLs: anyone on the path can then serve keys and hide revocations. */
  allowInsecureHttp?: boolean;
  /** PEM CA certificate(s) the oracles' HTTPS certificates must chain to (default: the system's). */
  ca?: string | Buffer;
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
  | { ok: true; kid: string; claims: JWTPayload; header: Record<string, unknown>; vouchedBy: string[] }
  | { ok: false; code: VerifyCode; reason: string };

const fail = (code: VerifyCode, reason: string): VerifyResult => ({ ok: false, code, reason });

type Body = Record<string, unknown>;

/** GET url → {status, JSON object body}; no redirects, bounded size and time. Throws on transport errors. */
function getJson(url: URL, timeoutMs: number, ca?: string | Buffer): Promise<{ status: number; body: Body }> {
  return new Promise((resolve, reject) => {
    const https = url.protocol === 'https:';
    const opts = {
      method: 'GET',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
      ...(https && ca !== undefined ? { ca } : {}),
    };
    const req = (https ? httpsRequest : httpRequest)(url, opts, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          req.destroy(new Error('answer too large'));
          return;
        }
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        let body: Body = {};
        try {
          const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (v !== null && typeof v === 'object' && !Array.isArray(v)) body = v as Body;
        } catch {
          // not JSON: an empty body; the caller judges by status and fields
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The key under `kid` in a served key list, if any; every key must sit under its own RFC 7638
 * thumbprint (`badKid` names the first that does not), and a list that is not JWKs is malformed.
 */
async function keyUnder(
  keys: unknown[],
  kid: string,
): Promise<'malformed' | { badKid: string } | { key?: JWK }> {
  let key: JWK | undefined;
  for (const k of keys as JWK[]) {
    if (k === null || typeof k !== 'object' || typeof k.kid !== 'string') return 'malformed';
    let thumb: string;
    try {
      thumb = await calculateJwkThumbprint(k, 'sha256');
    } catch {
      return { badKid: k.kid };
    }
    if (thumb !== k.kid) return { badKid: k.kid };
    if (k.kid === kid) key = k;
  }
  return key ? { key } : {};
}

/** What one oracle says about a kid. */
type Answer =
  | { oracle: string; kind: 'down'; why: string }
  | { oracle: string; kind: 'unknown' }
  | { oracle: string; kind: 'revoked'; evidence: string }
  | { oracle: string; kind: 'bad-kid'; kid: string }
  | { oracle: string; kind: 'active'; issuer: string; identityId: string; name: string; key: JWK };

/** Why a request to an oracle failed, short and without secrets (error names and codes only). */
function transportWhy(e: unknown): string {
  const err = e as { name?: string; code?: string; message?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timed out';
  if (typeof err?.code === 'string') return err.code;
  return err?.message === 'answer too large' ? 'answer too large' : (err?.name ?? 'error');
}

/** The members of a JWK that identify the key (RFC 7638 §3.2) plus alg: what oracles must agree on. */
function keyIdentity(k: JWK): string {
  return JSON.stringify([k.kty, k.crv, k.x, k.y, k.alg]);
}

async function ask(base: URL, kid: string, timeoutMs: number, ca?: string | Buffer): Promise<Answer> {
  const oracle = base.href;
  const at = (p: string) => new URL(p, base);
  let discovery: { status: number; body: Body };
  let status: { status: number; body: Body };
  let jwks: { status: number; body: Body };
  try {
    [discovery, status, jwks] = await Promise.all([
      getJson(at('.well-known/openid-configuration'), timeoutMs, ca),
      getJson(at(`v1/identities/${kid}/status`), timeoutMs, ca),
      getJson(at(`v1/identities/${kid}/jwks.json`), timeoutMs, ca),
    ]);
  } catch (e) {
    return { oracle, kind: 'down', why: transportWhy(e) };
  }
  const issuer = discovery.body['issuer'];
  if (discovery.status !== 200 || typeof issuer !== 'string')
    return { oracle, kind: 'down', why: 'no discovery document' };
  if (status.status === 404) return { oracle, kind: 'unknown' };
  const s = status.body;
  if (status.status === 200 && s['status'] === 'revoked')
    return { oracle, kind: 'revoked', evidence: String(s['evidenceDigest']) };
  if (status.status !== 200 || s['status'] !== 'active') return { oracle, kind: 'down', why: 'no status' };
  const { identityId, name } = s;
  const keys = jwks.body['keys'];
  if (
    typeof identityId !== 'string' ||
    typeof name !== 'string' ||
    jwks.status !== 200 ||
    !Array.isArray(keys)
  )
    return { oracle, kind: 'down', why: 'malformed status or JWKS' };
  // Every key served must sit under its own thumbprint, whether or not this token uses it.
  const found = await keyUnder(keys, kid);
  if (found === 'malformed') return { oracle, kind: 'down', why: 'malformed JWKS' };
  if ('badKid' in found) return { oracle, kind: 'bad-kid', kid: found.badKid };
  const { key } = found;
  // Active but no key under the kid: revoked between the two requests, or a confused oracle.
  if (!key) return { oracle, kind: 'down', why: 'active, but no key under the kid' };
  return { oracle, kind: 'active', issuer, identityId, name, key };
}

/** What one oracle says about an issuer key: its issuer URL and the key under the kid, if any. */
type IssuerAnswer =
  | { oracle: string; kind: 'down'; why: string }
  | { oracle: string; kind: 'unknown' }
  | { oracle: string; kind: 'bad-kid'; kid: string }
  | { oracle: string; kind: 'active'; issuer: string; key: JWK };

async function askIssuer(
  base: URL,
  kid: string,
  timeoutMs: number,
  ca?: string | Buffer,
): Promise<IssuerAnswer> {
  const oracle = base.href;
  let discovery: { status: number; body: Body };
  let jwks: { status: number; body: Body };
  try {
    [discovery, jwks] = await Promise.all([
      getJson(new URL('issuer/.well-known/openid-configuration', base), timeoutMs, ca),
      getJson(new URL('issuer/jwks.json', base), timeoutMs, ca),
    ]);
  } catch (e) {
    return { oracle, kind: 'down', why: transportWhy(e) };
  }
  const issuer = discovery.body['issuer'];
  if (discovery.status !== 200 || typeof issuer !== 'string')
    return { oracle, kind: 'down', why: 'no issuer discovery document' };
  const keys = jwks.body['keys'];
  if (jwks.status !== 200 || !Array.isArray(keys))
    return { oracle, kind: 'down', why: 'malformed issuer JWKS' };
  const found = await keyUnder(keys, kid);
  if (found === 'malformed') return { oracle, kind: 'down', why: 'malformed issuer JWKS' };
  if ('badKid' in found) return { oracle, kind: 'bad-kid', kid: found.badKid };
  const { key } = found;
  return key ? { oracle, kind: 'active', issuer, key } : { oracle, kind: 'unknown' };
}

const names = (as: readonly { oracle: string }[]) => as.map((a) => a.oracle).join(', ');

/** Verifies a compact JWS token; never throws (network failures are `ok: false` too). */
export async function verifyToken(token: string, opts: VerifyOptions): Promise<VerifyResult> {
  const typ = opts.typ ?? 'JWT';
  const given = [...(opts.oracles ?? []), ...(opts.oracle === undefined ? [] : [opts.oracle])];
  if (given.length === 0) return fail('BAD_OPTIONS', 'no oracle given');
  const bases: URL[] = [];
  for (const u of given) {
    let base: URL;
    try {
      base = new URL(u);
    } catch {
      return fail('BAD_OPTIONS', `oracle ${u}: not a URL`);
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:')
      return fail('BAD_OPTIONS', `oracle ${u}: not an http(s) URL`);
    // Reasons name oracles by URL: a URL with credentials would put them in every log line.
    if (base.username !== '' || base.password !== '')
      return fail('BAD_OPTIONS', 'an oracle URL carries credentials (user:password@); oracles need none');
    if (base.protocol === 'http:' && opts.allowInsecureHttp !== true)
      return fail(
        'INSECURE_TRANSPORT',
        `oracle ${base.href}: plain http lets anyone on the path serve keys; use https (or allow insecure http)`,
      );
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    base.search = '';
    base.hash = '';
    if (bases.some((b) => b.href === base.href))
      return fail('BAD_OPTIONS', `oracle ${base.href} is given twice (it would count twice)`);
    bases.push(base);
  }
  const quorum = opts.quorum ?? Math.floor(bases.length / 2) + 1;
  if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > bases.length)
    return fail('BAD_OPTIONS', `quorum must be 1..${bases.length} (the number of oracles given)`);
  if (quorum < 2 && opts.allowSingleOracle !== true)
    return fail(
      'SINGLE_ORACLE',
      'one oracle would be trusted alone: give the cluster’s oracles and its quorum t (or allow a single oracle)',
    );
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
  // An issuer-key token says so by its iss (`<cluster issuer>/issuer`); jose then requires that iss
  // to be exactly the one the oracles' issuer discovery documents agree on.
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    return fail('MALFORMED', 'the payload is not a JSON claims set');
  }
  if (typeof iss === 'string' && iss.endsWith('/issuer')) {
    const r = await verifyIssuerToken(token, kid, bases, quorum, typ, opts);
    if (r.ok || r.code !== 'UNKNOWN_KID') return r;
    // A cluster issuer URL that itself ends in /issuer: the kid may be an identity key's.
    const asIdentity = await verifyIdentityToken(token, kid, bases, quorum, typ, opts);
    return asIdentity.ok ? asIdentity : r;
  }
  return verifyIdentityToken(token, kid, bases, quorum, typ, opts);
}

/** The identity-key path: key, name, identity and issuer from a quorum; no oracle reporting it revoked. */
async function verifyIdentityToken(
  token: string,
  kid: string,
  bases: readonly URL[],
  quorum: number,
  typ: string,
  opts: VerifyOptions,
): Promise<VerifyResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;

  // Every oracle is asked (a revocation any one of them holds must not be missed).
  const answers = await Promise.all(bases.map((b) => ask(b, kid, timeoutMs, opts.ca)));
  const of = <K extends Answer['kind']>(k: K) =>
    answers.filter((a): a is Extract<Answer, { kind: K }> => a.kind === k);
  const revoked = of('revoked');
  if (revoked.length > 0)
    return fail(
      'IDENTITY_REVOKED',
      `identity revoked (evidence ${revoked[0]!.evidence}; reported by ${names(revoked)})`,
    );
  const agreed = decide(answers, quorum, 'key', 'key, name, identity or issuer of this kid');
  if (!Array.isArray(agreed)) return agreed;
  const first = agreed[0]!;
  return signed(token, first.key, first.issuer, kid, agreed, typ, opts, first.name);
}

/** An oracle vouching for a key: an *active* answer of either path. */
type Vouch = { oracle: string; kind: 'active'; issuer: string; key: JWK; name?: string; identityId?: string };

/**
 * Step 4 of docs/protocol.md §8 after the revocation check, for either path: any *bad-kid* is
 * KID_NOT_THUMBPRINT; *active* answers must agree on key, name, identity and issuer
 * (ORACLES_DISAGREE names the minority, all of them on a tie); then UNAVAILABLE, UNKNOWN_KID and
 * QUORUM_NOT_REACHED by the counts. Returns the vouching answers, or the refusal.
 */
function decide(
  answers: readonly (Answer | IssuerAnswer)[],
  quorum: number,
  keyWord: string,
  agreeOn: string,
): VerifyResult | Vouch[] {
  const of = (k: string) => answers.filter((a) => a.kind === k);
  const badKid = of('bad-kid');
  if (badKid.length > 0)
    return fail(
      'KID_NOT_THUMBPRINT',
      `oracle ${names(badKid)} serves a ${keyWord} whose kid is not its RFC 7638 thumbprint`,
    );
  const active = of('active') as Vouch[];
  const groups = new Map<string, Vouch[]>();
  for (const a of active) {
    const g = JSON.stringify([keyIdentity(a.key), a.name, a.identityId, a.issuer]);
    groups.set(g, [...(groups.get(g) ?? []), a]);
  }
  if (groups.size > 1) {
    const sorted = [...groups.values()].sort((x, y) => y.length - x.length);
    const minority = sorted[0]!.length > sorted[1]!.length ? sorted.slice(1).flat() : active;
    return fail('ORACLES_DISAGREE', `oracle ${names(minority)} disagrees with the others on the ${agreeOn}`);
  }
  const unknown = of('unknown');
  const why = (of('down') as { oracle: string; why: string }[])
    .map((d) => `${d.oracle}: ${d.why}`)
    .join('; ');
  if (active.length + unknown.length < quorum)
    return fail(
      'UNAVAILABLE',
      `only ${active.length + unknown.length} of the ${quorum} oracles needed answered (${why})`,
    );
  if (active.length === 0) return fail('UNKNOWN_KID', `the cluster does not know this ${keyWord}`);
  if (active.length < quorum)
    return fail(
      'QUORUM_NOT_REACHED',
      `only ${active.length} of the ${quorum} oracles needed vouch for this ${keyWord} (${names(unknown)} do not know it)`,
    );
  return active;
}

/**
 * The issuer-key path: the key under the kid and the issuer come, identical, from `quorum`
 * oracles' issuer key sets and discovery documents; then jose verifies with that key alone.
 */
async function verifyIssuerToken(
  token: string,
  kid: string,
  bases: readonly URL[],
  quorum: number,
  typ: string,
  opts: VerifyOptions,
): Promise<VerifyResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const answers = await Promise.all(bases.map((b) => askIssuer(b, kid, timeoutMs, opts.ca)));
  const agreed = decide(answers, quorum, 'issuer key', 'issuer key or issuer of this kid');
  if (!Array.isArray(agreed)) return agreed;
  return signed(token, agreed[0]!.key, agreed[0]!.issuer, kid, agreed, typ, opts, undefined);
}

/**
 * jose's verification with the one agreed key (issuer, audience, typ, lifetime, required claims),
 * then the nonce and, for an identity key, `sub` against the registered name.
 */
async function signed(
  token: string,
  key: JWK,
  issuer: string,
  kid: string,
  vouchers: readonly { oracle: string }[],
  typ: string,
  opts: VerifyOptions,
  registeredName: string | undefined,
): Promise<VerifyResult> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: [key] }), {
      algorithms: ALGORITHMS,
      issuer,
      typ,
      requiredClaims: ['iat', 'exp', 'sub', 'jti'],
      clockTolerance: opts.clockToleranceSeconds ?? 30,
      ...(opts.audience ? { audience: opts.audience } : {}),
    });
    if (opts.nonce !== undefined && payload['nonce'] !== opts.nonce)
      return fail('NONCE_MISMATCH', 'nonce does not match');
    if (registeredName !== undefined && payload.sub !== registeredName)
      return fail('SUB_MISMATCH', "sub is not the name registered for the token's key");
    return {
      ok: true,
      kid,
      claims: payload,
      header: protectedHeader as Record<string, unknown>,
      vouchedBy: vouchers.map((a) => a.oracle),
    };
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
    return fail('INVALID', `token rejected (${(e as Error).name})`);
  }
}
