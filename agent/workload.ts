/**
 * The agent's Workload API (gRPC on a Unix socket): the workload asks for its identity, for
 * co-signed signatures, JWTs and attestation quotes; it never sees a key share. Each takes an
 * `alg`: EdDSA (FROST) or ES256 (threshold ECDSA on the identity's P-256 key); the default is
 * ES256 for FetchJWT (what JWT-SVID verifiers and cloud STS accept), EdDSA for Sign and Attest.
 * The SPIFFE Workload API beside it is agent/spiffe.ts.
 */
import { randomBytes } from 'node:crypto';
import { clusterIssuer, clusterNodeKeys, federationIssuer, federationOf } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import { jsonObjectOf } from '../common/json-input.js';
import {
  ATTEST_TYP,
  compact,
  JWT_TYP,
  type JwtClaims,
  RESERVED_CLAIMS,
  signingInput,
} from '../common/jwt.js';
import type { Logger } from '../common/log.js';
import { checkRegisterIndex, type RegisterState } from '../common/measure-wire.js';
import { ALG_EDDSA } from '../common/protocol.js';
import { registersClaim } from '../common/registers.js';
import { p256Uncompressed } from '../crypto/p256.js';
import type { WorkloadHandlers } from '../proto/gen/mpcid/agent/v1/Workload.js';
import type { Cosigner } from './cosigner.js';
import { agreedIssuerKey, checkIssuerToken, IssuerRelay } from './issuer.js';
import { measuredDigest } from './measure.js';
import type { OracleClient } from './oracles.js';
import { type AgentState, type Alg, noEs256Key } from './state.js';
import { Unsealer } from './unseal.js';

/** Largest message the Workload API signs (the oracles enforce their own limit too). */
export const MAX_WORKLOAD_SIGN_BYTES = 64 * 1024;
export const DEFAULT_TOKEN_TTL_SECONDS = 300;
const MAX_CLAIMS_JSON = 4096;

function parseObject(json: string, field: string): Record<string, unknown> {
  return jsonObjectOf(json, field, MAX_CLAIMS_JSON);
}

export function audiences(list: string[], required: boolean): string | string[] | undefined {
  const aud = list.filter((a) => a !== '');
  if (aud.length === 0) {
    if (required) throw new MpcidError('MALFORMED_INPUT', 'audience: at least one is required');
    return undefined;
  }
  if (aud.length > 16 || aud.some((a) => a.length > 512))
    throw new MpcidError('MALFORMED_INPUT', 'audience: at most 16, each up to 512 characters');
  return aud.length === 1 ? aud[0] : aud;
}

/** The request's `alg`: `dflt` when empty (EdDSA unless given); anything but EdDSA or ES256 is MALFORMED_INPUT. */
export function parseAlg(alg: string, dflt: Alg = 'EdDSA'): Alg {
  if (alg === '') return dflt;
  if (alg === ALG_EDDSA) return 'EdDSA';
  if (alg === 'ES256') return 'ES256';
  throw new MpcidError('MALFORMED_INPUT', 'alg: expected EdDSA or ES256');
}

/**
 * The token the Workload API co-signs: `alg`, `typ`, lifetime (0: the default) and claims; an
 * ES256 JWT with `key` "issuer" (or "" on a cluster whose federation.jwtSvidKey is issuer) is
 * signed with the cluster's federation issuer key (agent/issuer.ts).
 */
export type TokenMaker = (
  alg: Alg,
  typ: string,
  ttlSeconds: number,
  claims: JwtClaims,
  key?: string,
) => Promise<{ token: string; kid: string; expiresAt: number }>;

/**
 * Whether a token request goes to the issuer key: "identity", "issuer" or "" (the cluster's
 * choice, `cluster.federation.jwtSvidKey`, for ES256 JWTs).
 */
export function usesIssuerKey(state: AgentState, alg: Alg, typ: string, key: string): boolean {
  if (key !== '' && key !== 'identity' && key !== 'issuer')
    throw new MpcidError('MALFORMED_INPUT', 'key: expected identity or issuer');
  const jwt = alg === 'ES256' && typ === JWT_TYP;
  if (key === 'issuer' && !jwt)
    throw new MpcidError('MALFORMED_INPUT', 'the issuer key signs ES256 JWTs only');
  // The cluster's choice is about ES256 JWTs (JWT-SVIDs); EdDSA and attestation quotes stay on the identity key.
  return key === 'issuer' || (key === '' && jwt && federationOf(state.cluster).jwtSvidKey === 'issuer');
}

/** The ES256 key (it may be set up after the agent started); NO_ES256_KEY until then. */
function es256Of(state: AgentState, cosigner: Cosigner) {
  const key = cosigner.es256;
  if (!key) throw noEs256Key(state);
  return { kid: key.kid, publicKey: Buffer.from(p256Uncompressed(key.publicKey)) };
}

/**
 * Builds the claims for the step's counter (`ctr`) at signing time, and co-signs them: header
 * {alg, typ, kid}, claims {...claims, iss, sub: the registered name, iat, exp, jti, ctr}.
 */
export function tokenMaker(
  state: AgentState,
  cosigner: Cosigner,
  oracles?: { clients: readonly OracleClient[]; deadlineMs: number },
): TokenMaker {
  return async (alg, typ, ttlSeconds, claims, key = '') => {
    const ttl = ttlSeconds || DEFAULT_TOKEN_TTL_SECONDS;
    const jti = randomBytes(16).toString('base64url');
    const viaIssuer = usesIssuerKey(state, alg, typ, key);
    let relay: IssuerRelay | undefined;
    let kid: string;
    let issuer: string;
    if (viaIssuer) {
      if (!oracles) throw new MpcidError('ISSUER_NOT_CONFIGURED', 'this agent has no issuer client');
      if (cosigner.revoked)
        throw new MpcidError(
          'IDENTITY_REVOKED',
          `identity revoked by the cluster: ${cosigner.revoked.message}`,
        );
      issuer = federationIssuer(state.cluster);
      checkIssuerToken(federationOf(state.cluster), claims['aud'], ttl);
      const k = await agreedIssuerKey(oracles.clients, state.cluster.t, oracles.deadlineMs);
      relay = new IssuerRelay(state, clusterNodeKeys(state.cluster), k, oracles.deadlineMs);
      kid = k.kid;
    } else {
      issuer = clusterIssuer(state.cluster);
      kid = alg === 'ES256' ? es256Of(state, cosigner).kid : state.identityId;
    }
    let exp = 0;
    const build = (counter: number) => {
      const iat = Math.floor(Date.now() / 1000);
      exp = iat + ttl;
      return signingInput(
        { alg, typ, kid },
        // Claims bound at enrollment come first: a workload's own claim of that name overrides
        // them here, and the oracles then refuse the token (CLAIM_MISMATCH).
        // A quote carries the registers as of its own step (the oracles refuse other values).
        {
          ...state.requiredClaims,
          ...claims,
          iss: issuer,
          sub: state.name,
          iat,
          exp,
          jti,
          ctr: counter,
          ...(typ === ATTEST_TYP ? { registers: registersClaim(cosigner.registers.values) } : {}),
        },
      );
    };
    const { message, signature } = relay
      ? await cosigner.signTokenIssuer(build, relay)
      : alg === 'ES256'
        ? await cosigner.signTokenEs256(build)
        : await cosigner.signToken(build);
    return { token: compact(message, signature), kid, expiresAt: exp };
  };
}

function registersToWire(r: RegisterState) {
  return { values: r.values.map((v) => Buffer.from(v)), counter: r.counter };
}

export function workloadHandlers(
  state: AgentState,
  cosigner: Cosigner,
  log: Logger,
  token: TokenMaker = tokenMaker(state, cosigner),
): WorkloadHandlers {
  const publicKey = Buffer.from(state.group.groupPublicKey);
  const es256 = () => es256Of(state, cosigner);
  const unsealer = new Unsealer(state, cosigner, log);

  return {
    GetIdentity: unary(log, 'GetIdentity', async () => {
      const key = cosigner.es256;
      return {
        name: state.name,
        kid: state.identityId,
        alg: ALG_EDDSA,
        publicKey,
        clusterId: state.cluster.id,
        n: state.cluster.n,
        t: state.cluster.t,
        es256Kid: key?.kid ?? '',
        es256PublicKey: key ? Buffer.from(p256Uncompressed(key.publicKey)) : Buffer.alloc(0),
      };
    }),
    Sign: unary(log, 'Sign', async (req) => {
      const alg = parseAlg(req.alg);
      const message = new Uint8Array(req.message);
      if (message.length > MAX_WORKLOAD_SIGN_BYTES) {
        throw new MpcidError('MESSAGE_TOO_LARGE', `message: at most ${MAX_WORKLOAD_SIGN_BYTES} bytes`);
      }
      if (alg === 'ES256') {
        const key = es256();
        const signature = await cosigner.signEs256(message);
        return { alg, kid: key.kid, publicKey: key.publicKey, signature: Buffer.from(signature) };
      }
      const signature = await cosigner.sign(message);
      return { alg, kid: state.identityId, publicKey, signature: Buffer.from(signature) };
    }),
    FetchJWT: unary(log, 'FetchJWT', async (req) => {
      const aud = audiences(req.audience, true);
      const extra = parseObject(req.extraClaimsJson, 'extra_claims_json');
      const reserved = Object.keys(extra).filter((k) => RESERVED_CLAIMS.has(k));
      if (reserved.length > 0)
        throw new MpcidError('MALFORMED_INPUT', `extra_claims_json: may not set ${reserved.join(', ')}`);
      // ES256 by default: the algorithm every JWT-SVID verifier and cloud STS accepts.
      return token(parseAlg(req.alg, 'ES256'), JWT_TYP, req.ttlSeconds, { ...extra, aud }, req.key);
    }),
    Attest: unary(log, 'Attest', async (req) => {
      if (req.nonce.length < 8 || req.nonce.length > 512)
        throw new MpcidError('MALFORMED_INPUT', 'nonce: 8-512 characters');
      const aud = audiences(req.audience, false);
      const claims = parseObject(req.claimsJson, 'claims_json');
      return token(parseAlg(req.alg), ATTEST_TYP, req.ttlSeconds, {
        nonce: req.nonce,
        claims,
        ...(aud ? { aud } : {}),
      });
    }),
    Seal: unary(log, 'Seal', async (req) => ({
      blob: Buffer.from(await unsealer.seal(new Uint8Array(req.plaintext), req.policyJson)),
    })),
    Unseal: unary(log, 'Unseal', async (req) => {
      const { plaintext, policy } = await unsealer.unseal(new Uint8Array(req.blob));
      return { plaintext: Buffer.from(plaintext), policyJson: policy };
    }),
    Measure: unary(log, 'Measure', async (req) => {
      const register = checkRegisterIndex(req.register);
      const digest = measuredDigest(new Uint8Array(req.digest), new Uint8Array(req.data));
      return registersToWire(await cosigner.measure(register, digest));
    }),
    ReadRegisters: unary(log, 'ReadRegisters', async () => registersToWire(cosigner.registers)),
  };
}
