/**
 * The SPIFFE Workload API (SPIFFE_Workload_API.md, JWT-SVID profile) on the agent's socket,
 * beside mpcid's own Workload API: service SpiffeWorkloadAPI (proto/spiffe/workloadapi.proto).
 *
 * - Every call must carry the metadata `workload.spiffe.io: true` (SPIFFE_Workload_Endpoint.md §3),
 *   else InvalidArgument (SPIFFE_HEADER_MISSING); nothing else is looked at.
 * - FetchJWTSVID: one JWT-SVID (JWT-SVID.md): ES256, typ JWT, kid = the identity's ES256 kid, sub
 *   = the identity's registered name, which must be a SPIFFE ID (else PermissionDenied,
 *   NOT_SPIFFE_ID), aud, exp, iat (plus mpcid's iss, jti, ctr). Co-signed in a jwt-es256 ratchet
 *   step like any token, so a revoked identity gets PermissionDenied (IDENTITY_REVOKED).
 * - FetchJWTBundles: a stream; the first message at once, then the whole bundle again whenever it
 *   changes (agent/bundle.ts: keys a quorum of oracles agrees on, polled).
 * - ValidateJWTSVID: checks an SVID against the bundle of its subject's trust domain (offline,
 *   with the held bundle): InvalidArgument (SVID_INVALID) for anything that does not validate.
 * - FetchX509SVID, FetchX509Bundles: Unimplemented (NOT_IMPLEMENTED).
 */
import type * as grpc from '@grpc/grpc-js';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { MpcidError } from '../common/errors.js';
import { isUndecodable, toServiceError, unary, undecodableError } from '../common/grpc.js';
import { JWT_TYP } from '../common/jwt.js';
import type { Logger } from '../common/log.js';
import { parseSpiffeId, trustDomainId } from '../common/spiffe.js';
import type { Struct } from '../proto/gen/google/protobuf/Struct.js';
import type { Value } from '../proto/gen/google/protobuf/Value.js';
import type { SpiffeWorkloadAPIHandlers } from '../proto/gen/SpiffeWorkloadAPI.js';
import type { BundleWatcher, JwtBundle } from './bundle.js';
import type { Cosigner } from './cosigner.js';
import type { AgentState } from './state.js';
import { audiences, type TokenMaker } from './workload.js';

export const SPIFFE_HEADER = 'workload.spiffe.io';
/** Largest JWT-SVID ValidateJWTSVID reads. */
const MAX_SVID = 8 * 1024;

/** SPIFFE_Workload_Endpoint.md §3: the static metadata `workload.spiffe.io: true`, exactly. */
export function requireSpiffeHeader(md: grpc.Metadata): void {
  if (!md.get(SPIFFE_HEADER).some((v) => v === 'true'))
    throw new MpcidError(
      'SPIFFE_HEADER_MISSING',
      `the metadata "${SPIFFE_HEADER}: true" is required on every SPIFFE Workload API call`,
    );
}

function toValue(v: unknown): Value {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Record<string, unknown>) };
}

/** A JSON object as a google.protobuf.Struct. */
export function toStruct(o: Record<string, unknown>): Struct {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toValue(v)])) };
}

function invalid(why: string): never {
  throw new MpcidError('SVID_INVALID', `JWT-SVID: ${why}`);
}

/** JWT-SVID.md §3 and §5: validates `svid` for `audience` against `bundle`; returns its SPIFFE ID and claims. */
export async function validateJwtSvid(svid: string, audience: string, bundles: readonly JwtBundle[]) {
  if (svid.length > MAX_SVID) invalid(`larger than ${MAX_SVID} bytes`);
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(svid);
    claims = decodeJwt(svid);
  } catch {
    invalid('not a compact JWS with a JSON header and claims');
  }
  if (svid.split('.').length !== 3) invalid('not a compact JWS');
  // JWT-SVID.md §3.1: RS*, ES* or PS*; every mpcid JWT-SVID is ES256 (none, HS*, EdDSA refused).
  if (header.alg !== 'ES256')
    invalid(`alg ${JSON.stringify(header.alg ?? null)} is not allowed (ES256 only)`);
  if (typeof header.kid !== 'string' || header.kid === '') invalid('no kid');
  if (header.typ !== undefined && header.typ !== JWT_TYP && header.typ !== 'JOSE')
    invalid(`typ ${JSON.stringify(header.typ)} (expected JWT or JOSE)`);
  const sub = typeof claims.sub === 'string' ? parseSpiffeId(claims.sub) : undefined;
  if (!sub) invalid('sub is not a SPIFFE ID');
  const td = trustDomainId(sub.trustDomain);
  const bundle = bundles.find((b) => b.trustDomainId === td);
  if (!bundle) invalid(`no JWT bundle for trust domain ${td}`);
  try {
    // jose takes only keys without `use` or with use "sig"; a JWT bundle's say "jwt-svid" (SPIFFE
    // Trust Domain and Bundle §4.1), which is what this bundle holds them for.
    const keys = bundle.jwks.keys.map(({ use: _use, ...k }) => k);
    await jwtVerify(svid, createLocalJWKSet({ keys }), {
      algorithms: ['ES256'],
      audience,
      requiredClaims: ['sub', 'aud', 'exp'],
    });
  } catch (e) {
    if (e instanceof joseErrors.JWKSNoMatchingKey) invalid(`kid ${header.kid} is not in the bundle of ${td}`);
    if (e instanceof joseErrors.JWTExpired) invalid('expired');
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) invalid('signature does not verify');
    if (e instanceof joseErrors.JWTClaimValidationFailed) invalid(`claim ${e.claim}: ${e.reason}`);
    invalid((e as Error).message.slice(0, 200));
  }
  return { spiffeId: claims.sub as string, claims: claims as Record<string, unknown> };
}

/** A server-stream handler that answers with one error (grpc-js: emit 'error' on the call). */
function fail(call: grpc.ServerWritableStream<unknown, unknown>, err: unknown, log: Logger, method: string) {
  call.emit('error', toServiceError(err, log, method));
}

export function spiffeHandlers(opts: {
  state: AgentState;
  cosigner: Cosigner;
  token: TokenMaker;
  /** Undefined when the identity's name is no SPIFFE ID (it then has no trust domain). */
  bundles: BundleWatcher | undefined;
  log: Logger;
  /** Open FetchJWTBundles streams: the daemon ends them when it stops. */
  streams: Set<grpc.ServerWritableStream<unknown, unknown>>;
}): SpiffeWorkloadAPIHandlers {
  const { state, cosigner, token, log, streams } = opts;
  const notSpiffe = () =>
    new MpcidError('NOT_SPIFFE_ID', `this agent's identity (${state.name.slice(0, 200)}) is not a SPIFFE ID`);
  const watcher = (): BundleWatcher => {
    if (!opts.bundles) throw notSpiffe();
    return opts.bundles;
  };
  const unimplemented = (method: string) => (call: grpc.ServerWritableStream<unknown, unknown>) =>
    fail(
      call,
      new MpcidError('NOT_IMPLEMENTED', `${method}: the X.509-SVID profile is not served by this agent`),
      log,
      method,
    );
  return {
    FetchX509SVID: unimplemented('FetchX509SVID'),
    FetchX509Bundles: unimplemented('FetchX509Bundles'),

    FetchJWTSVID: unary(log, 'FetchJWTSVID', async (req, call) => {
      requireSpiffeHeader(call.metadata);
      const aud = audiences(req.audience, true);
      if (!parseSpiffeId(state.name)) throw notSpiffe();
      if (req.spiffeId !== '' && req.spiffeId !== state.name)
        throw new MpcidError('NOT_SPIFFE_ID', `this workload has no identity ${req.spiffeId.slice(0, 200)}`);
      if (cosigner.revoked)
        throw new MpcidError(
          'IDENTITY_REVOKED',
          `identity revoked by the cluster: ${cosigner.revoked.message}`,
        );
      const { token: svid } = await token('ES256', JWT_TYP, 0, { aud });
      return { svids: [{ spiffeId: state.name, svid, hint: '' }] };
    }),

    FetchJWTBundles: (call) => {
      const method = 'FetchJWTBundles';
      if (isUndecodable(call.request)) return fail(call, undecodableError(), log, method);
      let bundles: BundleWatcher;
      try {
        requireSpiffeHeader(call.metadata);
        bundles = watcher();
      } catch (e) {
        return fail(call, e, log, method);
      }
      const stream = call as grpc.ServerWritableStream<unknown, unknown>;
      const send = (b: JwtBundle) => {
        if (!call.cancelled) call.write({ bundles: { [b.trustDomainId]: Buffer.from(b.json) } });
      };
      let unsubscribe: (() => void) | undefined;
      call.on('cancelled', () => {
        unsubscribe?.();
        streams.delete(stream);
      });
      bundles.current().then(
        (b) => {
          if (call.cancelled) return;
          send(b);
          streams.add(stream);
          unsubscribe = bundles.subscribe(send);
        },
        (e: unknown) => fail(stream, e, log, method),
      );
    },

    ValidateJWTSVID: unary(log, 'ValidateJWTSVID', async (req, call) => {
      requireSpiffeHeader(call.metadata);
      if (req.audience === '') throw new MpcidError('MALFORMED_INPUT', 'audience: required');
      if (req.svid === '') throw new MpcidError('MALFORMED_INPUT', 'svid: required');
      const { spiffeId, claims } = await validateJwtSvid(req.svid, req.audience, [await watcher().current()]);
      return { spiffeId, claims: toStruct(claims) };
    }),
  };
}
