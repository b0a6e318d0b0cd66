/**
 * Co-signed tokens end to end (docs/protocol.md §8), real processes: tokens and attestation
 * quotes from real agents verify with verifiers we did not write (jose against a live oracle's
 * JWKS, cluster-wide and per identity; OpenSSL over the signing input), the OIDC discovery
 * document agrees with the tokens, forged or unfit tokens are rejected by the verifier library and
 * `mpcid verify` with a reason, and after a clone is detected the identity is revoked on every
 * oracle within a second, its key leaves every JWKS and its tokens are rejected.
 */
import { execFileSync } from 'node:child_process';
import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { createRemoteJWKSet, decodeJwt, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf } from '../../common/grpc.js';
import { verifyToken } from '../../verifier/index.js';
import { type AgentProc, CLI, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';

const API = 'spiffe://test.mpcid/ns/prod/sa/api';
const BILLING = 'spiffe://test.mpcid/ns/prod/sa/billing';
const CLONED = 'spiffe://test.mpcid/ns/prod/sa/cloned';
const AUD = 'https://rp.example/api';
const ATTEST = 'mpcid-attestation+jwt';

const work = mkdtempSync(join(tmpdir(), 'mpcid-jwt-'));
const b64 = (x: string | Uint8Array) => Buffer.from(x).toString('base64url');
const json = (o: unknown) => b64(JSON.stringify(o));

let cluster: TestCluster;
/** http://host:port of oracle 1..3 */
let http: string[];
let issuer: string;
let api: { kid: string; agent: AgentProc };
let billing: { kid: string; agent: AgentProc };

async function fetchJwt(agent: AgentProc, opts: { aud?: string[]; ttl?: number } = {}): Promise<string> {
  const wl = agent.workload;
  const res = await call(
    wl,
    wl.FetchJWT,
    { audience: opts.aud ?? [AUD], ttlSeconds: opts.ttl ?? 120, extraClaimsJson: '', alg: 'EdDSA' },
    20_000,
  );
  expect(res.kid).toBe(decodeJwtHeader(res.token)['kid']);
  return res.token;
}

async function attest(agent: AgentProc, nonce: string): Promise<string> {
  const wl = agent.workload;
  const res = await call(
    wl,
    wl.Attest,
    { nonce, claimsJson: '{"image":"sha256:abc"}', audience: [], ttlSeconds: 60 },
    20_000,
  );
  return res.token;
}

function decodeJwtHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function jwksKids(url: string): Promise<string[]> {
  const { status, body } = await getJson(url);
  expect(status).toBe(200);
  return (body['keys'] as JWK[]).map((k) => k.kid!);
}

/** jose, configured as a relying party would: issuer, audience, EdDSA only. */
function joseVerify(token: string, jwksUrl: string, opts: { audience?: string; typ?: string } = {}) {
  return jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl)), {
    issuer,
    algorithms: ['EdDSA'],
    ...(opts.audience === undefined ? { audience: AUD } : { audience: opts.audience }),
    ...(opts.typ ? { typ: opts.typ } : {}),
  });
}

/** `openssl pkeyutl -verify -rawin` over the token's signing input with the key from a JWK. */
function opensslVerify(jwk: JWK, token: string, tag: string): boolean {
  const [h, p, s] = token.split('.') as [string, string, string];
  const pem = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const [k, m, g] = ['pub.pem', 'signing_input', 'sig'].map((f) => join(work, `${tag}-${f}`));
  writeFileSync(k!, pem);
  writeFileSync(m!, `${h}.${p}`);
  writeFileSync(g!, Buffer.from(s, 'base64url'));
  try {
    execFileSync(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', k!, '-rawin', '-in', m!, '-sigfile', g!],
      {
        stdio: 'pipe',
      },
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * The verifier's options for this plaintext test cluster: every oracle, a quorum of 2 (the
 * default majority of 3), plain http allowed. HTTPS and lying oracles: verifier-quorum.test.ts.
 */
const RP = {
  get oracles() {
    return http;
  },
  allowInsecureHttp: true,
};
/** `oracle` and the next one: a quorum of two in which `oracle` takes part. */
const pairWith = (oracle: string) => [oracle, http[(http.indexOf(oracle) + 1) % http.length]!];

/** `mpcid verify` against the quorum with oracle `i` first (repeated --oracle); returns exit code and stdout. */
async function cliVerify(token: string, extra: string[] = ['--audience', AUD], i = 0) {
  const urls = [...http.slice(i), ...http.slice(0, i)];
  const r = await mpcid([
    'verify',
    '--token',
    token,
    ...urls.flatMap((u) => ['--oracle', u]),
    '--insecure-http',
    ...extra,
  ]);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  cluster = await startCluster(3, 2);
  http = cluster.oracles.map((o) => `http://${o.config.http!.listen}`);
  issuer = cluster.oracles[0]!.config.cluster.issuer!;
  const [a, b] = await Promise.all([cluster.enroll(API), cluster.enroll(BILLING)]);
  api = { kid: a.kid, agent: await cluster.startAgent(a.stateDir, undefined, { heartbeatMs: 0 }) };
  billing = { kid: b.kid, agent: await cluster.startAgent(b.stateDir, undefined, { heartbeatMs: 0 }) };
});
afterAll(async () => {
  await cluster?.stop();
});

describe('OIDC discovery and JWKS', { tags: ['slow'] }, () => {
  it('every oracle serves the same discovery document; its issuer is the tokens’ iss and its jwks_uri works', async () => {
    expect(issuer).toBe(http[0]);
    const token = await fetchJwt(api.agent);
    expect(decodeJwt(token).iss).toBe(issuer);
    const docs = await Promise.all(http.map((u) => getJson(`${u}/.well-known/openid-configuration`)));
    for (const d of docs) {
      expect(d.status).toBe(200);
      expect(d.body).toEqual(docs[0]!.body);
    }
    const doc = docs[0]!.body;
    expect(doc['issuer']).toBe(issuer);
    expect(doc['jwks_uri']).toBe(`${issuer}/.well-known/jwks.json`);
    expect(doc['id_token_signing_alg_values_supported']).toEqual(['EdDSA', 'ES256']);
    const { body: jwks } = await getJson(doc['jwks_uri'] as string);
    const keys = jwks['keys'] as JWK[];
    // Each identity: its Ed25519 key (kid = identity id) and its P-256 key (ES256, es256.test.ts).
    expect(
      keys
        .filter((k) => k.alg === 'EdDSA')
        .map((k) => k.kid)
        .sort(),
    ).toEqual([api.kid, billing.kid].sort());
    expect(keys.filter((k) => k.alg === 'ES256')).toHaveLength(2);
    // The status endpoint the document names answers for a real kid.
    const status = await getJson((doc['mpcid_identity_status_endpoint'] as string).replace('{kid}', api.kid));
    expect(status.body).toEqual({
      identityId: api.kid,
      es256Kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      name: API,
      status: 'active',
    });
  });

  it('JWKS entries are Ed25519 public keys with kid, alg and use, and nothing secret', async () => {
    const { body } = await getJson(`${http[2]}/v1/identities/${api.kid}/jwks.json`);
    // The identity's P-256 key is the second entry (checked in es256.test.ts).
    const keys = (body['keys'] as JWK[]).filter((k) => k.kty === 'OKP');
    expect(body['keys']).toHaveLength(2);
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: api.kid });
    expect(Buffer.from(keys[0]!.x!, 'base64url')).toHaveLength(32);
    expect(
      (await getJson(`${http[0]}/v1/identities/${randomBytes(32).toString('base64url')}/jwks.json`)).status,
    ).toBe(404);
  });
});

describe('tokens verify with verifiers we did not write', { tags: ['slow'] }, () => {
  it('jose jwtVerify + createRemoteJWKSet, against the cluster JWKS and the per-identity JWKS of every oracle', async () => {
    const token = await fetchJwt(api.agent, { aud: [AUD, 'https://other.example'], ttl: 90 });
    for (const base of http) {
      for (const url of [`${base}/.well-known/jwks.json`, `${base}/v1/identities/${api.kid}/jwks.json`]) {
        const { payload, protectedHeader } = await joseVerify(token, url);
        expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: api.kid });
        expect(payload.iss).toBe(issuer);
        expect(payload.sub).toBe(API);
        expect(payload.aud).toEqual([AUD, 'https://other.example']);
        expect(payload.exp! - payload.iat!).toBe(90);
        expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(30);
        expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
        expect(Number.isSafeInteger(payload['ctr'])).toBe(true);
      }
    }
    // jose can fail: a flipped signature bit, and billing's JWKS for api's token.
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[5]! ^= 1;
    await expect(joseVerify(`${h}.${p}.${b64(sig)}`, `${http[0]}/.well-known/jwks.json`)).rejects.toThrow(
      /signature verification failed/,
    );
    await expect(joseVerify(token, `${http[0]}/v1/identities/${billing.kid}/jwks.json`)).rejects.toThrow();
  });

  it('each token carries the ratchet counter of its own step: ctr goes up', async () => {
    const ctrs = [];
    for (let i = 0; i < 3; i++) ctrs.push(decodeJwt(await fetchJwt(billing.agent))['ctr'] as number);
    expect(ctrs[1]).toBeGreaterThan(ctrs[0]!);
    expect(ctrs[2]).toBeGreaterThan(ctrs[1]!);
  });

  it('OpenSSL verifies the signature over the signing input with the JWKS key, and rejects a flipped bit', async () => {
    const token = await fetchJwt(api.agent);
    const { body } = await getJson(`${http[1]}/v1/identities/${api.kid}/jwks.json`);
    const jwk = (body['keys'] as JWK[])[0]!;
    expect(opensslVerify(jwk, token, 'ok')).toBe(true);
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[40]! ^= 0x80;
    expect(opensslVerify(jwk, `${h}.${p}.${b64(sig)}`, 'bad-sig')).toBe(false);
    // The signature covers the signing input: another payload with the same signature fails.
    expect(opensslVerify(jwk, `${h}.${json({ ...decodeJwt(token), sub: BILLING })}.${s}`, 'bad-input')).toBe(
      false,
    );
    // And billing's key does not verify api's token.
    const other = (
      (await getJson(`${http[1]}/v1/identities/${billing.kid}/jwks.json`)).body['keys'] as JWK[]
    )[0]!;
    expect(opensslVerify(other, token, 'other-key')).toBe(false);
  });

  it('attestation quotes verify with jose (typ mpcid-attestation+jwt) and carry the nonce and claims', async () => {
    const nonce = randomBytes(12).toString('base64url');
    const token = await attest(api.agent, nonce);
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(`${http[2]}/.well-known/jwks.json`)),
      { issuer, algorithms: ['EdDSA'], typ: ATTEST },
    );
    expect(protectedHeader.typ).toBe(ATTEST);
    expect(payload['nonce']).toBe(nonce);
    expect(payload['claims']).toEqual({ image: 'sha256:abc' });
    expect(payload.sub).toBe(API);
  });
});

describe('the verifier: library and `mpcid verify`', { tags: ['slow'] }, () => {
  it('accepts a real token on every oracle; the CLI prints one "valid" line', async () => {
    const token = await fetchJwt(api.agent);
    for (const oracle of http) {
      const r = await verifyToken(token, { ...RP, oracles: pairWith(oracle), audience: AUD });
      expect(r).toMatchObject({ ok: true, kid: api.kid, claims: { sub: API, iss: issuer } });
    }
    const cli = await cliVerify(token);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`^valid: sub=${API} kid=${api.kid} exp=\\d+\\n$`));
  });

  it('`mpcid token fetch` prints a token that `mpcid verify` accepts, also from stdin', async () => {
    const f = await mpcid([
      'token',
      'fetch',
      '--alg',
      'EdDSA',
      '--socket',
      api.agent.socket,
      '--audience',
      AUD,
      '--ttl',
      '60',
    ]);
    expect(f.code, f.stderr).toBe(0);
    const token = f.stdout.trim();
    expect(f.stdout).toBe(`${token}\n`);
    expect(decodeJwt(token).sub).toBe(API);
    const file = join(work, 'token.txt');
    writeFileSync(file, f.stdout);
    const v = execFileSync(
      'sh',
      [
        '-c',
        `node "$CLI" verify --token - --oracle ${http.join(',')} --insecure-http --audience ${AUD} < "${file}"`,
      ],
      { env: { ...process.env, CLI } },
    ).toString();
    expect(v).toMatch(/^valid: sub=/);
  });

  it('attestations: `mpcid attest` + `mpcid verify --nonce --typ`; a wrong nonce is NONCE_MISMATCH', async () => {
    const nonce = `n-${randomBytes(8).toString('hex')}`;
    const a = await mpcid(['attest', '--socket', api.agent.socket, '--nonce', nonce]);
    expect(a.code, a.stderr).toBe(0);
    const token = a.stdout.trim();
    const ok = await cliVerify(token, ['--nonce', nonce, '--typ', ATTEST]);
    expect(ok.code, ok.stdout).toBe(0);
    const bad = await cliVerify(token, ['--nonce', 'another-nonce', '--typ', ATTEST]);
    expect(bad).toMatchObject({ code: 1, stdout: 'invalid: NONCE_MISMATCH: nonce does not match\n' });
    // A quote is not a JWT: presented as one it fails the typ check.
    expect(await verifyToken(token, { ...RP, audience: AUD })).toMatchObject({
      ok: false,
      code: 'CLAIM_INVALID',
    });
  });

  /** Forgeries and unfit tokens, each with the verifier's code and the reason's wording. */
  const forgeries: [string, (t: string) => string, string, RegExp][] = [
    [
      'tampered payload (sub changed)',
      (t) => {
        const [h, p, s] = t.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
        return `${h}.${json({ ...claims, sub: BILLING })}.${s}`;
      },
      'BAD_SIGNATURE',
      /signature verification failed/,
    ],
    [
      'tampered payload (exp extended)',
      (t) => {
        const [h, p, s] = t.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
        return `${h}.${json({ ...claims, exp: claims.exp + 86_400 })}.${s}`;
      },
      'BAD_SIGNATURE',
      /signature verification failed/,
    ],
    [
      'alg none, no signature',
      (t) => `${json({ ...decodeJwtHeader(t), alg: 'none' })}.${t.split('.')[1]}.`,
      'ALG_NOT_ALLOWED',
      /algorithm none is not allowed/,
    ],
    [
      'alg HS256 with the public key bytes as the HMAC secret',
      (t) => {
        const x = Buffer.from(publicX, 'base64url');
        const input = `${json({ ...decodeJwtHeader(t), alg: 'HS256' })}.${t.split('.')[1]}`;
        return `${input}.${createHmac('sha256', x).update(input).digest('base64url')}`;
      },
      'ALG_NOT_ALLOWED',
      /algorithm HS256 is not allowed/,
    ],
    [
      'alg HS256 with the JWK x string as the HMAC secret',
      (t) => {
        const input = `${json({ ...decodeJwtHeader(t), alg: 'HS256' })}.${t.split('.')[1]}`;
        return `${input}.${createHmac('sha256', publicX).update(input).digest('base64url')}`;
      },
      'ALG_NOT_ALLOWED',
      /algorithm HS256 is not allowed/,
    ],
    [
      'alg ES256 header over the same signature (its kid names the Ed25519 key)',
      (t) => `${json({ ...decodeJwtHeader(t), alg: 'ES256' })}.${t.split('.').slice(1).join('.')}`,
      'UNKNOWN_KID',
      /no active key for this kid and algorithm/,
    ],
    [
      "kid of another identity (billing's)",
      (t) => `${json({ ...decodeJwtHeader(t), kid: billing.kid })}.${t.split('.').slice(1).join('.')}`,
      'BAD_SIGNATURE',
      /signature verification failed/,
    ],
    [
      'kid the cluster does not know',
      (t) =>
        `${json({ ...decodeJwtHeader(t), kid: randomBytes(32).toString('base64url') })}.${t.split('.').slice(1).join('.')}`,
      'UNKNOWN_KID',
      /does not know this key/,
    ],
    ['not a JWS at all', () => 'not.a-token', 'MALFORMED', /not a compact JWS/],
  ];
  let publicX: string;

  it.each(forgeries)('rejects %s (library and CLI, exit 1, one line)', async (_name, forge, code, reason) => {
    publicX ??= ((await getJson(`${http[0]}/v1/identities/${api.kid}/jwks.json`)).body['keys'] as JWK[])[0]!
      .x!;
    const genuine = await fetchJwt(api.agent);
    expect((await verifyToken(genuine, { ...RP, audience: AUD })).ok).toBe(true);
    const forged = forge(genuine);
    expect(forged).not.toBe(genuine);
    const r = await verifyToken(forged, { ...RP, audience: AUD });
    expect(r).toMatchObject({ ok: false, code });
    expect(r.ok ? '' : r.reason).toMatch(reason);
    const cli = await cliVerify(forged, ['--audience', AUD], 2);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(new RegExp(`^invalid: ${code}: [^\\n]+\\n$`));
    // jose on its own, against the cluster JWKS, rejects every one of them too.
    await expect(joseVerify(forged, `${http[0]}/.well-known/jwks.json`)).rejects.toThrow();
  });

  it('rejects a token for another audience (CLAIM_INVALID aud)', async () => {
    const token = await fetchJwt(api.agent, { aud: ['https://someone-else.example'] });
    const r = await verifyToken(token, { ...RP, audience: AUD });
    expect(r).toEqual({ ok: false, code: 'CLAIM_INVALID', reason: 'claim aud is invalid (check_failed)' });
    const cli = await cliVerify(token);
    expect(cli).toMatchObject({
      code: 1,
      stdout: 'invalid: CLAIM_INVALID: claim aud is invalid (check_failed)\n',
    });
    // The right audience is accepted (the check can pass).
    expect((await verifyToken(token, { ...RP, audience: 'https://someone-else.example' })).ok).toBe(true);
  });

  it('rejects an expired token (ttl 1 s, clock tolerance 0): EXPIRED', async () => {
    const token = await fetchJwt(api.agent, { ttl: 1 });
    const { exp, iat } = decodeJwt(token);
    expect(exp! - iat!).toBe(1);
    await new Promise((r) => setTimeout(r, Math.max(0, exp! * 1000 - Date.now()) + 50));
    const r = await verifyToken(token, { ...RP, audience: AUD, clockToleranceSeconds: 0 });
    expect(r).toEqual({ ok: false, code: 'EXPIRED', reason: 'token has expired' });
    // Expiry is the only fault: with 30 s of tolerance the same token passes.
    expect((await verifyToken(token, { ...RP, audience: AUD, clockToleranceSeconds: 30 })).ok).toBe(true);
    await expect(
      jwtVerify(token, createRemoteJWKSet(new URL(`${http[0]}/.well-known/jwks.json`)), { audience: AUD }),
    ).rejects.toThrow(/"exp" claim timestamp check failed/);
  });

  it('the CLI without an audience for a JWT is a usage-level failure with a reason', async () => {
    const token = await fetchJwt(api.agent);
    const r = await cliVerify(token, []);
    expect(r).toMatchObject({ code: 1, stdout: 'invalid: BAD_OPTIONS: an audience is required\n' });
  });
});

describe('after a clone is detected', { tags: ['slow'] }, () => {
  let kid: string;
  let original: AgentProc;
  let copy: AgentProc;
  let before: string;

  beforeAll(async () => {
    const e = await cluster.enroll(CLONED);
    kid = e.kid;
    original = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
    before = await fetchJwt(original);
    // An attacker copies the running agent's state dir (a VM disk copy) and starts the copy.
    cpSync(e.stateDir, `${e.stateDir}-copy`, { recursive: true });
    copy = await cluster.startAgent(`${e.stateDir}-copy`, undefined, { heartbeatMs: 0 });
  });

  it('every oracle reports the identity revoked within 1 s of the second copy signing', async () => {
    expect((await verifyToken(before, { ...RP, audience: AUD })).ok).toBe(true);
    for (const base of http) expect(await jwksKids(`${base}/.well-known/jwks.json`)).toContain(kid);
    await original.sign(Buffer.from('the original signs'));

    const start = performance.now();
    const err = await copy.sign(Buffer.from('the copy signs')).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(err, 'the copy was allowed to sign').toBeDefined();
    expect(errorCodeOf(err)).toBe('IDENTITY_REVOKED');
    const pending = new Set(http);
    while (pending.size > 0 && performance.now() - start < 1000) {
      await Promise.all(
        [...pending].map(async (base) => {
          const s = await getJson(`${base}/v1/identities/${kid}/status`);
          if (s.body['status'] === 'revoked') pending.delete(base);
        }),
      );
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = performance.now() - start;
    expect([...pending], `still active after ${Math.round(elapsed)} ms`).toEqual([]);
    expect(elapsed).toBeLessThan(1000);
    const docs = await Promise.all(http.map((base) => getJson(`${base}/v1/identities/${kid}/status`)));
    for (const d of docs) {
      expect(d.body).toMatchObject({ identityId: kid, name: CLONED, status: 'revoked' });
      expect(d.body['evidenceDigest']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(d.body['evidenceDigest']).toBe(docs[0]!.body['evidenceDigest']);
      expect(Number.isNaN(Date.parse(d.body['revokedAt'] as string))).toBe(false);
    }
  });

  it('its tokens are rejected by the library (IDENTITY_REVOKED) and `mpcid verify` (exit 1, one line)', async () => {
    for (const oracle of http) {
      const r = await verifyToken(before, { ...RP, oracles: pairWith(oracle), audience: AUD });
      expect(r).toMatchObject({ ok: false, code: 'IDENTITY_REVOKED' });
      expect(r.ok ? '' : r.reason).toMatch(
        /^identity revoked \(evidence [A-Za-z0-9_-]{43}; reported by http:\/\/[^)]+\)$/,
      );
    }
    const cli = await cliVerify(before, ['--audience', AUD], 1);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(
      /^invalid: IDENTITY_REVOKED: identity revoked \(evidence [A-Za-z0-9_-]{43}; reported by http:\/\/[^)]+\)\n$/,
    );
    // Other identities are untouched.
    expect((await verifyToken(await fetchJwt(api.agent), { ...RP, audience: AUD })).ok).toBe(true);
  });

  it('its key is gone from every JWKS (cluster and per identity), so jose alone rejects its tokens', async () => {
    for (const base of http) {
      const kids = await jwksKids(`${base}/.well-known/jwks.json`);
      expect(kids).not.toContain(kid);
      expect(kids).toContain(api.kid);
      expect(await jwksKids(`${base}/v1/identities/${kid}/jwks.json`)).toEqual([]);
      await expect(joseVerify(before, `${base}/.well-known/jwks.json`)).rejects.toThrow(/no applicable key/);
      await expect(joseVerify(before, `${base}/v1/identities/${kid}/jwks.json`)).rejects.toThrow();
    }
  });

  it('neither copy can get a new token', async () => {
    for (const agent of [original, copy]) {
      const err = await fetchJwt(agent).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(err).toBeDefined();
      expect(errorCodeOf(err)).toBe('IDENTITY_REVOKED');
    }
  });
});
