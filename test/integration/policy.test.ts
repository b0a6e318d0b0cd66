/**
 * Token policy on every oracle (docs/protocol.md §8), real processes: a hostile agent with its
 * own enrolled identity speaks the real Step RPC and asks each oracle to co-sign tokens outside
 * policy. Every oracle must commit the step (the ratchet advances, so the agent is never left
 * with an uncertifiable step) with a `refusal` and no signature share; a valid token gets shares
 * from the whole signing set and verifies with jose. Then the same through the Workload API and
 * the CLI of a real agent.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf } from '../../common/grpc.js';
import { type AgentProc, EDDSA_ONLY, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';
import { encodeInput, HostileAgent, type StepResult, validToken } from '../helpers/hostile-jwt.js';

const HOSTILE = 'spiffe://test.mpcid/ns/policy/sa/hostile';
const VICTIM = 'spiffe://test.mpcid/ns/policy/sa/victim';
const ATTEST = 'mpcid-attestation+jwt';
const b64 = (s: string) => Buffer.from(s).toString('base64url');
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

let cluster: TestCluster;
let h: HostileAgent;
let victim: { kid: string; agent: AgentProc };
let httpBase: string;

beforeAll(async () => {
  cluster = await startCluster(3, 2, EDDSA_ONLY);
  const [hostile, v] = await Promise.all([cluster.enroll(HOSTILE), cluster.enroll(VICTIM)]);
  h = new HostileAgent(hostile.stateDir);
  victim = { kid: v.kid, agent: await cluster.startAgent(v.stateDir, undefined, { heartbeatMs: 0 }) };
  httpBase = `http://${cluster.oracles[1]!.config.http!.listen}`;
});
afterAll(async () => {
  h?.close();
  await cluster?.stop();
});

/** Every oracle committed the step at its counter, refused with `reason`, and sent no share. */
function expectRefusedEverywhere(r: StepResult, reason: RegExp): void {
  expect(r.answers.map((a) => a.nodeId)).toEqual([1, 2, 3]);
  for (const a of r.answers) {
    expect(a.commit.counter, `oracle ${a.nodeId}`).toBe(r.counter);
    expect(a.refusal, `oracle ${a.nodeId}`).toMatch(/^POLICY_VIOLATION: /);
    expect(a.refusal, `oracle ${a.nodeId}`).toMatch(reason);
    // The typed field says the same: the code, and the message without it.
    expect(a.policyRefusal?.code, `oracle ${a.nodeId}`).toBe('POLICY_VIOLATION');
    expect(a.policyRefusal?.message, `oracle ${a.nodeId}`).toMatch(reason);
    expect(a.refusal).toBe(`${a.policyRefusal!.code}: ${a.policyRefusal!.message}`);
    expect(a.share.length, `oracle ${a.nodeId} sent a share`).toBe(0);
  }
  expect(r.signature).toBeUndefined();
}

/** The signers sent shares, nobody refused, and the aggregate verifies with jose over HTTP JWKS. */
async function expectCosigned(r: StepResult, typ = 'JWT'): Promise<void> {
  for (const a of r.answers) {
    expect(a.refusal, `oracle ${a.nodeId}`).toBe('');
    expect(a.policyRefusal, `oracle ${a.nodeId}`).toBeNull();
    expect(a.share.length, `oracle ${a.nodeId}`).toBe(a.signer ? 32 : 0);
  }
  expect(r.signature).toBeDefined();
  const token = `${Buffer.from(r.message).toString('ascii')}.${Buffer.from(r.signature!).toString('base64url')}`;
  const jwks = createRemoteJWKSet(new URL(`/v1/identities/${h.kid}/jwks.json`, httpBase));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { algorithms: ['EdDSA'], typ });
  expect(protectedHeader.kid).toBe(h.kid);
  expect(payload.sub).toBe(HOSTILE);
  expect(payload['ctr']).toBe(r.counter);
}

/** A header segment that base64url needs padding for, with that padding (jose's atob accepts it). */
function paddedSegment(header: Record<string, unknown>): string {
  let json = JSON.stringify(header);
  while (Buffer.byteLength(json) % 3 === 0) json = json.replace('{', '{ ');
  const std = Buffer.from(json).toString('base64');
  expect(std.endsWith('=')).toBe(true);
  return std.replaceAll('+', '-').replaceAll('/', '_');
}

describe('a hostile agent speaking the Step RPC with its own identity', { tags: ['slow'] }, () => {
  it('a valid token gets a share from each signer, and jose verifies the result', async () => {
    const r = await h.step('jwt', (ctr) => encodeInput(validToken(h, ctr)));
    await expectCosigned(r);
  });

  it('a valid attestation quote gets shares too', async () => {
    const r = await h.step('jwt', (ctr) =>
      encodeInput(
        validToken(h, ctr, {
          header: { typ: ATTEST },
          claims: { aud: undefined, nonce: 'rp-nonce-0123456789' },
        }),
      ),
    );
    await expectCosigned(r, ATTEST);
  });

  it('a raw sign step over an ordinary message gets shares', async () => {
    const r = await h.step('sign', () => new Uint8Array(randomBytes(48)));
    expect(r.signature).toBeDefined();
    expect(r.answers.every((a) => a.refusal === '')).toBe(true);
  });

  type Case = [string, 'jwt' | 'sign', RegExp, (ctr: number) => Uint8Array];
  const tok = (ctr: number, over: Parameters<typeof validToken>[2] = {}) =>
    encodeInput(validToken(h, ctr, over));
  const now = () => Math.floor(Date.now() / 1000);
  const cases: Case[] = [
    [
      'sub of another identity',
      'jwt',
      /sub is not the registered/,
      (c) => tok(c, { claims: { sub: VICTIM } }),
    ],
    ['no sub', 'jwt', /sub is not the registered/, (c) => tok(c, { claims: { sub: undefined } })],
    [
      'wrong iss',
      'jwt',
      /iss is not the cluster issuer/,
      (c) => tok(c, { claims: { iss: 'https://evil.example' } }),
    ],
    [
      'kid of another identity',
      'jwt',
      /kid is not this identity/,
      (c) => tok(c, { header: { kid: victim.kid } }),
    ],
    ['alg ES256', 'jwt', /alg must be EdDSA/, (c) => tok(c, { header: { alg: 'ES256' } })],
    ['alg HS256', 'jwt', /alg must be EdDSA/, (c) => tok(c, { header: { alg: 'HS256' } })],
    ['alg none', 'jwt', /alg must be EdDSA/, (c) => tok(c, { header: { alg: 'none' } })],
    [
      'extra header field jku',
      'jwt',
      /header must hold exactly/,
      (c) => tok(c, { header: { jku: 'https://evil.example/jwks' } }),
    ],
    [
      'extra header fields b64/crit',
      'jwt',
      /header must hold exactly/,
      (c) => tok(c, { header: { b64: false, crit: ['b64'] } }),
    ],
    ['unknown typ', 'jwt', /unknown typ/, (c) => tok(c, { header: { typ: 'at+jwt' } })],
    [
      'iat an hour in the past',
      'jwt',
      /iat is not now/,
      (c) => tok(c, { claims: { iat: now() - 3600, exp: now() - 3300 } }),
    ],
    [
      'iat an hour in the future',
      'jwt',
      /iat is not now/,
      (c) => tok(c, { claims: { iat: now() + 3600, exp: now() + 3900 } }),
    ],
    [
      'lifetime above the policy maximum',
      'jwt',
      /lifetime above 3600 s/,
      (c) => tok(c, { claims: { exp: now() + 3700 } }),
    ],
    ['exp before iat', 'jwt', /exp must be after iat/, (c) => tok(c, { claims: { exp: now() - 1 } })],
    ['no jti', 'jwt', /jti must be/, (c) => tok(c, { claims: { jti: undefined } })],
    [
      'ctr one ahead of the step counter',
      'jwt',
      /ctr is not the ratchet counter/,
      (c) => tok(c, { claims: { ctr: c + 1 } }),
    ],
    [
      'ctr of the previous step',
      'jwt',
      /ctr is not the ratchet counter/,
      (c) => tok(c, { claims: { ctr: c - 1 } }),
    ],
    ['no aud', 'jwt', /aud missing/, (c) => tok(c, { claims: { aud: undefined } })],
    ['empty aud list', 'jwt', /aud missing/, (c) => tok(c, { claims: { aud: [] } })],
    [
      'attestation without nonce',
      'jwt',
      /nonce must be/,
      (c) => tok(c, { header: { typ: ATTEST }, claims: { aud: undefined } }),
    ],
    ['a non-JWS payload in a jwt step', 'jwt', /not a JWS signing input/, () => ascii('please sign this')],
    ['random bytes in a jwt step', 'jwt', /not a JWS signing input/, () => new Uint8Array(randomBytes(64))],
    [
      'a claim named twice (duplicate sub)',
      'jwt',
      /not a JWS signing input/,
      (c) => {
        const { header, claims } = validToken(h, c);
        const json = JSON.stringify(claims).replace('"sub":', `"sub":${JSON.stringify(VICTIM)},"sub":`);
        return ascii(`${b64(JSON.stringify(header))}.${b64(json)}`);
      },
    ],
    ['raw sign of a valid signing input', 'sign', /raw signature over a JWS signing input/, (c) => tok(c)],
    [
      'raw sign of a whole compact token',
      'sign',
      /raw signature over a JWS signing input/,
      (c) => ascii(`${Buffer.from(tok(c)).toString('latin1')}.${b64('x'.repeat(64))}`),
    ],
    [
      'raw sign of a signing input with a padded header segment',
      'sign',
      /raw signature over a JWS signing input/,
      (c) => {
        const { header, claims } = validToken(h, c, { claims: { sub: VICTIM, exp: now() + 86_400 } });
        return ascii(`${paddedSegment(header)}.${b64(JSON.stringify(claims))}`);
      },
    ],
    [
      'raw sign of a signing input with whitespace in the header segment',
      'sign',
      /raw signature over a JWS signing input/,
      (c) => {
        const s = Buffer.from(tok(c, { claims: { sub: VICTIM } })).toString('latin1');
        return ascii(`${s.slice(0, 8)}\n${s.slice(8)}`);
      },
    ],
    [
      'raw sign of a signing input with a header over 8 KiB',
      'sign',
      /raw signature over a JWS signing input/,
      (c) => tok(c, { header: { x5c: ['A'.repeat(9000)] }, claims: { sub: VICTIM } }),
    ],
    [
      'raw sign of a flattened-JWS signing input with only an unprotected header',
      'sign',
      /raw signature over a JWS signing input/,
      () => ascii(`.${b64(JSON.stringify({ sub: VICTIM }))}`),
    ],
  ];

  it.each(cases)('refused: %s (committed, refusal, no share)', async (_name, kind, reason, build) => {
    const before = h.counter;
    const r = await h.step(kind, build);
    expect(r.counter).toBe(before + 1);
    expectRefusedEverywhere(r, reason);
    expect(h.counter).toBe(before + 1);
  });

  it('after every refusal the oracles are at the same counter: the next valid token is co-signed', async () => {
    expect(h.counter).toBe(3 + cases.length);
    const r = await h.step('jwt', (ctr) => encodeInput(validToken(h, ctr)));
    expect(r.counter).toBe(4 + cases.length);
    await expectCosigned(r);
  });
});

describe('through a real agent', { tags: ['slow'] }, () => {
  const reserved = ['iss', 'sub', 'aud', 'iat', 'exp', 'nbf', 'jti', 'ctr', 'nonce', 'claims'];

  it.each(reserved)('FetchJWT with the reserved extra claim %s is INVALID_ARGUMENT', async (claim) => {
    const wl = victim.agent.workload;
    const err = await call(
      wl,
      wl.FetchJWT,
      { audience: ['https://rp.example'], ttlSeconds: 60, extraClaimsJson: JSON.stringify({ [claim]: 'x' }) },
      10_000,
    ).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(err, 'FetchJWT succeeded').toBeDefined();
    expect(err!.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(errorCodeOf(err)).toBe('MALFORMED_INPUT');
    expect(err!.details).toContain(claim);
  });

  it('FetchJWT with an ordinary extra claim makes a token that carries it', async () => {
    const wl = victim.agent.workload;
    const res = await call(
      wl,
      wl.FetchJWT,
      {
        audience: ['https://rp.example'],
        ttlSeconds: 60,
        extraClaimsJson: '{"team":"payments"}',
        alg: 'EdDSA',
      },
      20_000,
    );
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', httpBase));
    const { payload } = await jwtVerify(res.token, jwks, { audience: 'https://rp.example' });
    expect(payload['team']).toBe('payments');
    expect(payload.sub).toBe(VICTIM);
  });

  it('`mpcid token fetch --claims` with a reserved claim exits 1 with MALFORMED_INPUT', async () => {
    const r = await mpcid([
      'token',
      'fetch',
      '--socket',
      victim.agent.socket,
      '--audience',
      'https://rp.example',
      '--claims',
      `{"sub":"${HOSTILE}"}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mpcid: MALFORMED_INPUT: .*may not set sub\n$/);
  });

  it('`mpcid sign` of a JWS-shaped file exits 1 with POLICY_VIOLATION, and the agent signs on', async () => {
    const wl = victim.agent.workload;
    const { token } = await call(
      wl,
      wl.FetchJWT,
      { audience: ['https://rp.example'], ttlSeconds: 60, alg: 'EdDSA' },
      20_000,
    );
    const input = token.split('.').slice(0, 2).join('.');
    const [header, payload] = input.split('.') as [string, string];
    const padded = `${header}${'='.repeat((4 - (header.length % 4)) % 4)}`;
    const files = {
      'signing input': input,
      'signing input with a trailing newline': `${input}\n`,
      'whole token': token,
      'header with a space': `${header.slice(0, 10)} ${header.slice(10)}.${payload}`,
      ...(padded !== header ? { 'padded header': `${padded}.${payload}` } : {}),
    };
    for (const [what, content] of Object.entries(files)) {
      const file = join(cluster.dir, `jws-${randomBytes(4).toString('hex')}.txt`);
      writeFileSync(file, content);
      const r = await mpcid(['sign', '--socket', victim.agent.socket, '--in', file]);
      expect({ what, code: r.code, stdout: r.stdout }).toEqual({ what, code: 1, stdout: '' });
      expect(r.stderr, what).toMatch(/^mpcid: POLICY_VIOLATION: .*raw signature over a JWS signing input/);
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
    }
    const file = join(cluster.dir, 'plain.txt');
    writeFileSync(file, 'an ordinary message. with a dot\n');
    const ok = await mpcid(['sign', '--socket', victim.agent.socket, '--in', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).kid).toBe(victim.kid);
  });
});
