/**
 * Co-signed JWTs (docs/protocol.md §8): building the JWS signing input (RFC 7515 §5.1) on the
 * agent, and the token policy every oracle enforces before it co-signs one.
 *
 * Oracles never co-sign an opaque digest where a token is expected: a `jwt` step carries the
 * whole signing input, which each oracle parses and checks; a raw `sign` step whose message has
 * the shape of a JWS signing input is refused, so raw signing cannot mint tokens either.
 */
import { z } from 'zod';
import { MpcidError } from './errors.js';

export const JWT_TYP = 'JWT';
/** Attestation quotes (Attest): bound to a relying party's nonce. */
export const ATTEST_TYP = 'mpcid-attestation+jwt';
export const MAX_SIGNING_INPUT = 8 * 1024;

/** Claims the agent sets; workload-supplied extra claims may not override them. */
export const RESERVED_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'iat',
  'exp',
  'nbf',
  'jti',
  'ctr',
  'nonce',
  'claims',
  'registers',
]);

/**
 * Claims a join token binds to the identity it enrolls (`mpcid token create --require`): at most
 * 16 names that are not reserved, each a string (1-512 characters), a safe integer or a boolean.
 */
export const RequiredClaimsSchema = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, 'claim names: a letter, then letters, digits, _ . : -')
      .refine((k) => !RESERVED_CLAIMS.has(k), 'a reserved claim (iss, sub, aud, ...) cannot be required'),
    z.union([z.string().min(1).max(512), z.number().int().safe(), z.boolean()]),
  )
  .refine((o) => Object.keys(o).length >= 1 && Object.keys(o).length <= 16, '1 to 16 claims');
export type RequiredClaims = z.infer<typeof RequiredClaimsSchema>;

/** Parses `--require` / `required_claims_json`: MALFORMED_INPUT naming what is wrong. */
export function parseRequiredClaims(json: string, field: string): RequiredClaims {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new MpcidError('MALFORMED_INPUT', `${field}: not valid JSON`);
  }
  const r = RequiredClaimsSchema.safeParse(raw);
  if (!r.success)
    throw new MpcidError('MALFORMED_INPUT', `${field}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}

/**
 * The claims bound at enrollment against a token's: each must be present with the same value (a
 * quote's workload claims, under `claims`, may not contradict them either). CLAIM_MISMATCH
 * names the first claim that differs, never its value.
 */
export function checkRequiredClaims(claims: JwtClaims, required: RequiredClaims | undefined): void {
  if (!required) return;
  const nested = claims['claims'];
  for (const [k, v] of Object.entries(required)) {
    if (claims[k] !== v)
      throw new MpcidError('CLAIM_MISMATCH', `token refused: claim ${k} is not the one bound at enrollment`);
    if (isObject(nested) && k in nested && nested[k] !== v)
      throw new MpcidError(
        'CLAIM_MISMATCH',
        `token refused: claims.${k} contradicts the claim bound at enrollment`,
      );
  }
}

export interface TokenPolicy {
  /** The cluster's issuer URL: the `iss` of every token. */
  issuer: string;
  maxTtlSeconds: number;
  clockSkewSeconds: number;
}

export const DEFAULT_POLICY = { maxTtlSeconds: 3600, clockSkewSeconds: 60 } as const;

export type JwtHeader = { alg: string; typ: string; kid: string };
export type JwtClaims = Record<string, unknown>;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** RFC 7515 §5.1: ASCII(BASE64URL(header) || '.' || BASE64URL(payload)). */
export function signingInput(header: JwtHeader, claims: JwtClaims): Uint8Array {
  return new Uint8Array(Buffer.from(`${b64(header)}.${b64(claims)}`, 'ascii'));
}

export function compact(input: Uint8Array, signature: Uint8Array): string {
  return `${Buffer.from(input).toString('ascii')}.${Buffer.from(signature).toString('base64url')}`;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeSegment(seg: string): unknown {
  const buf = Buffer.from(seg, 'base64url');
  if (buf.toString('base64url') !== seg) throw new Error('non-canonical');
  const v: unknown = JSON.parse(buf.toString('utf8'));
  // Exactly JSON.stringify's output, as the agent makes it: no duplicate names (which verifiers
  // resolve differently), no whitespace or escapes that read differently elsewhere.
  if (!Buffer.from(JSON.stringify(v)).equals(buf)) throw new Error('non-canonical JSON');
  return v;
}

/** Parses a signing input strictly; undefined if it is not one. */
export function parseSigningInput(
  bytes: Uint8Array,
): { header: Record<string, unknown>; claims: JwtClaims } | undefined {
  if (bytes.length > MAX_SIGNING_INPUT) return undefined;
  const s = Buffer.from(bytes).toString('latin1');
  const parts = s.split('.');
  if (parts.length !== 2 || !SEGMENT.test(parts[0]!) || !SEGMENT.test(parts[1]!)) return undefined;
  try {
    const header = decodeSegment(parts[0]!);
    const claims = decodeSegment(parts[1]!);
    if (!isObject(header) || !isObject(claims)) return undefined;
    return { header, claims };
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * True when raw bytes could be taken for a JWS signing input by some verifier. Verifiers decode
 * leniently (jose on Node 20 decodes with atob, which skips `=` padding and whitespace; others
 * skip any character outside the alphabet), and a header may be any size, so: the bytes before
 * the first '.', with every character outside both base64 alphabets dropped, decode to a JSON
 * object; or the bytes start with '.' followed by base64url (the signing input of a flattened
 * JWS whose only header is unprotected, RFC 7515 §7.2.1).
 */
export function looksLikeJws(bytes: Uint8Array): boolean {
  const dot = bytes.indexOf(0x2e);
  if (dot < 0) return false;
  if (dot === 0) {
    const rest = Buffer.from(bytes.subarray(1)).toString('latin1');
    return /[A-Za-z0-9_-]/.test(rest) && /^[A-Za-z0-9_=\s-]+$/.test(rest);
  }
  const head = Buffer.from(bytes.subarray(0, dot))
    .toString('latin1')
    .replace(/[^A-Za-z0-9+/_-]/g, '');
  try {
    // TextDecoder, as jose decodes: it drops a leading byte order mark.
    return isObject(JSON.parse(new TextDecoder().decode(Buffer.from(head, 'base64'))));
  } catch {
    return false;
  }
}

export interface PolicyContext {
  identityId: string;
  name: string;
  /** The ratchet counter of the step that carries the token. */
  counter: number;
  /** ES256 tokens are co-signed with the identity's P-256 key (kid: its thumbprint). */
  alg?: 'EdDSA' | 'ES256';
  kid?: string;
  /** Claims bound at enrollment (checked after the policy: CLAIM_MISMATCH). */
  required?: RequiredClaims | undefined;
  policy: TokenPolicy;
  nowSeconds: number;
}

function deny(why: string): never {
  throw new MpcidError('POLICY_VIOLATION', `token refused: ${why}`);
}

/**
 * The oracle's token policy. A token is co-signed only if: header is exactly
 * {alg: EdDSA, typ: JWT | mpcid-attestation+jwt, kid: the identity id}; iss is the cluster
 * issuer; sub is the identity's registered name; iat is now (within the clock skew); exp is
 * after iat and within the maximum lifetime; jti is present; ctr equals the step's counter;
 * a JWT has an audience; an attestation has a nonce.
 */
export function checkTokenPolicy(bytes: Uint8Array, ctx: PolicyContext): { typ: string } {
  const parsed = parseSigningInput(bytes);
  if (!parsed) deny('not a JWS signing input');
  const { header, claims } = parsed;
  const keys = Object.keys(header).sort().join(',');
  if (keys !== 'alg,kid,typ') deny('header must hold exactly alg, typ and kid');
  const alg = ctx.alg ?? 'EdDSA';
  if (header['alg'] !== alg) deny(`alg must be ${alg}`);
  if (header['kid'] !== (ctx.kid ?? ctx.identityId)) deny('kid is not this identity');
  const typ = header['typ'];
  if (typ !== JWT_TYP && typ !== ATTEST_TYP) deny('unknown typ');
  if (claims['iss'] !== ctx.policy.issuer) deny('iss is not the cluster issuer');
  if (claims['sub'] !== ctx.name) deny('sub is not the registered identity name');
  const iat = claims['iat'];
  const exp = claims['exp'];
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) deny('iat and exp must be integers');
  if (Math.abs((iat as number) - ctx.nowSeconds) > ctx.policy.clockSkewSeconds) deny('iat is not now');
  if ((exp as number) <= (iat as number)) deny('exp must be after iat');
  if ((exp as number) - (iat as number) > ctx.policy.maxTtlSeconds)
    deny(`lifetime above ${ctx.policy.maxTtlSeconds} s`);
  if (
    'nbf' in claims &&
    (!Number.isSafeInteger(claims['nbf']) || (claims['nbf'] as number) > (exp as number))
  )
    deny('bad nbf');
  const jti = claims['jti'];
  if (typeof jti !== 'string' || jti.length < 16 || jti.length > 64) deny('jti must be 16-64 characters');
  if (claims['ctr'] !== ctx.counter) deny('ctr is not the ratchet counter of this step');
  const aud = claims['aud'];
  const audOk = (a: unknown) => typeof a === 'string' && a.length > 0 && a.length <= 512;
  if (typ === JWT_TYP) {
    if (!(audOk(aud) || (Array.isArray(aud) && aud.length > 0 && aud.length <= 16 && aud.every(audOk))))
      deny('aud missing');
  } else {
    const nonce = claims['nonce'];
    if (typeof nonce !== 'string' || nonce.length < 8 || nonce.length > 512)
      deny('nonce must be 8-512 characters');
    if (aud !== undefined && !audOk(aud) && !(Array.isArray(aud) && aud.every(audOk))) deny('bad aud');
  }
  checkRequiredClaims(claims, ctx.required);
  return { typ: typ as string };
}
