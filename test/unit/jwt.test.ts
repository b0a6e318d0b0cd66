/**
 * common/jwt.ts in isolation: the signing input, the strict parser the oracles use, the
 * "looks like a JWS" test that keeps raw signing from minting tokens (each positive case is
 * checked against jose, so it is a real JWS some verifier accepts), and every branch of the
 * token policy with its boundaries. Then the verifier library's checks that a real cluster
 * cannot be made to exercise (e.g. SUB_MISMATCH), against a fake oracle written for this test.
 */
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, compactVerify, exportJWK, flattenedVerify, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MpcidError } from '../../common/errors.js';
import {
  ATTEST_TYP,
  checkTokenPolicy,
  compact,
  JWT_TYP,
  type JwtClaims,
  looksLikeJws,
  MAX_SIGNING_INPUT,
  type PolicyContext,
  parseSigningInput,
  signingInput,
} from '../../common/jwt.js';
import { verifyToken } from '../../verifier/index.js';

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');
const seg = (o: unknown) => b64(JSON.stringify(o));
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('signingInput and compact', () => {
  it('is ASCII base64url(header) "." base64url(claims), and compact appends the signature', () => {
    const input = signingInput({ alg: 'EdDSA', typ: 'JWT', kid: 'k' }, { sub: 'ü', n: 1 });
    expect(text(input)).toBe(`${seg({ alg: 'EdDSA', typ: 'JWT', kid: 'k' })}.${seg({ sub: 'ü', n: 1 })}`);
    expect(text(input)).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const sig = new Uint8Array(64).fill(0xfb);
    expect(compact(input, sig)).toBe(`${text(input)}.${b64(sig)}`);
    expect(parseSigningInput(input)).toEqual({
      header: { alg: 'EdDSA', typ: 'JWT', kid: 'k' },
      claims: { sub: 'ü', n: 1 },
    });
  });
});

describe('parseSigningInput', () => {
  const h = seg({ alg: 'EdDSA' });
  const c = seg({ sub: 'x' });

  it('parses exactly what signingInput makes, up to MAX_SIGNING_INPUT bytes', () => {
    expect(parseSigningInput(ascii(`${h}.${c}`))).toEqual({ header: { alg: 'EdDSA' }, claims: { sub: 'x' } });
    // Pad the claims so the whole input is exactly the limit, then one byte over.
    const room = MAX_SIGNING_INPUT - `${h}.${seg({ p: '' })}`.length;
    let pad = Math.floor((room * 3) / 4);
    while (`${h}.${seg({ p: 'a'.repeat(pad) })}`.length > MAX_SIGNING_INPUT) pad--;
    while (`${h}.${seg({ p: 'a'.repeat(pad + 1) })}`.length <= MAX_SIGNING_INPUT) pad++;
    const atLimit = ascii(`${h}.${seg({ p: 'a'.repeat(pad) })}`);
    expect(atLimit.length).toBeLessThanOrEqual(MAX_SIGNING_INPUT);
    expect(parseSigningInput(atLimit)).toBeDefined();
    const over = ascii(`${h}.${seg({ p: 'a'.repeat(pad + 1) })}`);
    expect(over.length).toBeGreaterThan(MAX_SIGNING_INPUT);
    expect(parseSigningInput(over)).toBeUndefined();
  });

  // '{"a":1}' is 7 bytes: 10 characters carry 4 unused low bits; 'Q' -> 'R' sets one.
  const stray = `${seg({ a: 1 }).slice(0, -1)}R`;

  it('the fixtures are what they claim', () => {
    expect(seg({ a: 1 }).endsWith('Q')).toBe(true);
    expect(Buffer.from(stray, 'base64url').toString()).toBe('{"a":1}');
    expect(Buffer.from('{"a":1}').toString('base64')).toMatch(/==$/);
  });

  const bad: [string, string][] = [
    ['one segment', h],
    ['three segments (a whole token)', `${h}.${c}.${b64('sig')}`],
    ['empty header', `.${c}`],
    ['empty claims', `${h}.`],
    ['padding', `${Buffer.from('{"a":1}').toString('base64')}.${c}`],
    ['standard alphabet', `${h}.${Buffer.from('{"sub":"?>?"}').toString('base64').replace(/=+$/, '')}`],
    ['whitespace in a segment', `${h.slice(0, 4)} ${h.slice(4)}.${c}`],
    ['trailing newline', `${h}.${c}\n`],
    ['non-canonical base64url (stray low bits set)', `${stray}.${c}`],
    ['header is an array', `${seg(['EdDSA'])}.${c}`],
    ['claims are a string', `${h}.${seg('sub')}`],
    ['claims are null', `${h}.${seg(null)}`],
    ['not JSON', `${b64('{alg:EdDSA}')}.${c}`],
    ['a name twice', `${b64('{"alg":"EdDSA","alg":"none"}')}.${c}`],
    ['a claim twice', `${h}.${b64('{"sub":"a","sub":"x"}')}`],
    ['whitespace in the JSON', `${b64('{ "alg": "EdDSA" }')}.${c}`],
    ['an escaped name', `${h}.${b64('{"\\u0073ub":"x"}')}`],
    ['a byte order mark', `${b64('\ufeff{"alg":"EdDSA"}')}.${c}`],
  ];
  it.each(bad)('refuses %s', (_name, s) => {
    expect(parseSigningInput(ascii(s))).toBeUndefined();
  });

  it('refuses invalid UTF-8 in a segment', () => {
    const claims = Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(parseSigningInput(ascii(`${h}.${b64(claims)}`))).toBeUndefined();
  });
});

describe('looksLikeJws', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const header = { alg: 'EdDSA', typ: 'JWT', kid: 'k' };
  const claims = { sub: 'spiffe://victim', aud: 'rp', iat: 1, exp: 4_000_000_000 };
  const input = `${seg(header)}.${seg(claims)}`;
  const sigOver = (s: string) => b64(sign(null, Buffer.from(s, 'latin1'), privateKey));

  /** Ground truth: jose accepts a signature over `s` as a JWT / JWS (compact or flattened). */
  async function joseAccepts(s: string, form: 'jwt' | 'compact' | 'flattened'): Promise<boolean> {
    try {
      if (form === 'jwt') await jwtVerify(`${s}.${sigOver(s)}`, publicKey);
      else if (form === 'compact') await compactVerify(`${s}.${sigOver(s)}`, publicKey);
      else {
        const dot = s.indexOf('.');
        const prot = s.slice(0, dot);
        await flattenedVerify(
          {
            ...(prot ? { protected: prot } : { header: { alg: 'EdDSA' } }),
            payload: s.slice(dot + 1),
            signature: sigOver(s),
          },
          publicKey,
        );
      }
      return true;
    } catch {
      return false;
    }
  }

  const padded = (() => {
    let json = JSON.stringify(header);
    while (Buffer.byteLength(json) % 3 === 0) json = json.replace('{', '{ ');
    return `${Buffer.from(json).toString('base64').replaceAll('+', '-').replaceAll('/', '_')}.${seg(claims)}`;
  })();
  const positives: [string, string, 'jwt' | 'compact' | 'flattened'][] = [
    ['a signing input', input, 'jwt'],
    ['a signing input with a padded header segment', padded, 'jwt'],
    ['a signing input with a space in the header segment', `${input.slice(0, 6)} ${input.slice(6)}`, 'jwt'],
    [
      'a signing input with a newline in the header segment',
      `${input.slice(0, 6)}\n${input.slice(6)}`,
      'jwt',
    ],
    ['a signing input after a tab', `\t${input}`, 'jwt'],
    ['a header with a byte order mark', `${b64(`\ufeff${JSON.stringify(header)}`)}.${seg(claims)}`, 'jwt'],
    ['a header with JSON whitespace', `${b64(` ${JSON.stringify(header, null, 1)}`)}.${seg(claims)}`, 'jwt'],
    ['a header over 8 KiB', `${seg({ ...header, x5c: ['A'.repeat(9000)] })}.${seg(claims)}`, 'jwt'],
    [
      'an unencoded-payload JWS (b64: false) with dots in the payload',
      `${seg({ alg: 'EdDSA', b64: false, crit: ['b64'] })}.pay.load`,
      'flattened',
    ],
    ['a flattened JWS signing input with only an unprotected header', `.${seg(claims)}`, 'flattened'],
  ];
  it.each(positives)('true for %s (which jose accepts)', async (_name, s, form) => {
    expect(await joseAccepts(s, form)).toBe(true);
    expect(looksLikeJws(ascii(s))).toBe(true);
  });

  it('true for a whole compact token', () => {
    expect(looksLikeJws(ascii(`${input}.${sigOver(input)}`))).toBe(true);
  });

  const negatives: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['no dot', ascii('hello world')],
    ['a sentence', ascii('hello world. bye')],
    ['a JSON object, not base64', ascii('{"alg":"EdDSA"}.x')],
    ['base64url of text that is not JSON', ascii(`${b64('plain text')}.${b64('x')}`)],
    ['base64url of a JSON array', ascii(`${seg(['EdDSA'])}.${b64('x')}`)],
    ['a lone dot', ascii('.')],
    ['two dots', ascii('..')],
    ['a dot then text with spaces and punctuation', ascii('.profile: not a payload!')],
    ['a hex digest with a dot', ascii(`${randomBytes(32).toString('hex')}.sig`)],
  ];
  it.each(negatives)('false for %s', (_name, bytes) => {
    expect(looksLikeJws(bytes)).toBe(false);
  });

  it('false for 5000 random binary messages of 16-200 bytes, each with a dot somewhere', () => {
    for (let i = 0; i < 5000; i++) {
      const m = new Uint8Array(randomBytes(16 + (i % 185)));
      m[i % m.length] = 0x2e;
      if (looksLikeJws(m)) throw new Error(`flagged ${Buffer.from(m).toString('hex')}`);
    }
  });
});

describe('checkTokenPolicy', () => {
  const NOW = 1_700_000_000;
  const ctx: PolicyContext = {
    identityId: 'kid-of-this-identity-aaaaaaaaaaaaaaaaaaaaaa',
    name: 'spiffe://example.org/ns/prod/sa/api',
    counter: 7,
    policy: { issuer: 'https://issuer.example', maxTtlSeconds: 3600, clockSkewSeconds: 60 },
    nowSeconds: NOW,
  };
  const H = { alg: 'EdDSA', typ: JWT_TYP, kid: ctx.identityId };
  const C: JwtClaims = {
    iss: ctx.policy.issuer,
    sub: ctx.name,
    aud: 'https://rp.example',
    iat: NOW,
    exp: NOW + 300,
    jti: 'j'.repeat(22),
    ctr: 7,
  };
  const A = { ...H, typ: ATTEST_TYP };
  const AC: JwtClaims = { ...C, aud: undefined, nonce: 'n'.repeat(16) };
  const input = (h: Record<string, unknown>, c: JwtClaims) => ascii(`${seg(h)}.${seg(c)}`);
  const check = (h: Record<string, unknown>, c: JwtClaims) => checkTokenPolicy(input(h, c), ctx);

  function denied(h: Record<string, unknown>, c: JwtClaims): string {
    try {
      check(h, c);
    } catch (e) {
      expect(e).toBeInstanceOf(MpcidError);
      expect((e as MpcidError).code).toBe('POLICY_VIOLATION');
      return (e as MpcidError).message;
    }
    throw new Error('allowed');
  }

  const allowed: [string, Record<string, unknown>, JwtClaims][] = [
    ['a JWT', H, C],
    ['an attestation quote', A, AC],
    ['an attestation quote with an audience', A, { ...AC, aud: ['a', 'b'] }],
    ['aud as a list of 16', H, { ...C, aud: Array.from({ length: 16 }, (_, i) => `rp${i}`) }],
    ['aud of 512 characters', H, { ...C, aud: 'a'.repeat(512) }],
    ['iat at -skew', H, { ...C, iat: NOW - 60, exp: NOW }],
    ['iat at +skew', H, { ...C, iat: NOW + 60, exp: NOW + 120 }],
    ['lifetime exactly the maximum', H, { ...C, exp: NOW + 3600 }],
    ['lifetime 1 s', H, { ...C, exp: NOW + 1 }],
    ['jti of 16', H, { ...C, jti: 'j'.repeat(16) }],
    ['jti of 64', H, { ...C, jti: 'j'.repeat(64) }],
    ['nbf at exp', H, { ...C, nbf: NOW + 300 }],
    ['nonce of 8', A, { ...AC, nonce: 'n'.repeat(8) }],
    ['nonce of 512', A, { ...AC, nonce: 'n'.repeat(512) }],
    ['extra private claims', H, { ...C, team: 'payments', roles: ['a'] }],
  ];
  it.each(allowed)('allows %s', (_name, h, c) => {
    expect(check(h, c)).toEqual({ typ: h['typ'] });
  });

  const refused: [string, Record<string, unknown>, JwtClaims, RegExp][] = [
    ['no typ', { alg: 'EdDSA', kid: ctx.identityId }, C, /exactly alg, typ and kid/],
    ['an extra header field', { ...H, jku: 'https://evil' }, C, /exactly alg, typ and kid/],
    ['x5u in the header', { ...H, x5u: 'https://evil' }, C, /exactly alg, typ and kid/],
    ['alg none', { ...H, alg: 'none' }, C, /alg must be EdDSA/],
    ['alg HS256', { ...H, alg: 'HS256' }, C, /alg must be EdDSA/],
    ['alg ES256', { ...H, alg: 'ES256' }, C, /alg must be EdDSA/],
    ['alg Ed25519 (the newer name)', { ...H, alg: 'Ed25519' }, C, /alg must be EdDSA/],
    ['alg in lower case', { ...H, alg: 'eddsa' }, C, /alg must be EdDSA/],
    ['another kid', { ...H, kid: 'another' }, C, /kid is not this identity/],
    ['typ JWS', { ...H, typ: 'JWS' }, C, /unknown typ/],
    ['typ jwt in lower case', { ...H, typ: 'jwt' }, C, /unknown typ/],
    ['another issuer', H, { ...C, iss: 'https://evil' }, /iss is not the cluster issuer/],
    ['no issuer', H, { ...C, iss: undefined }, /iss is not the cluster issuer/],
    ['another sub', H, { ...C, sub: 'spiffe://example.org/other' }, /sub is not the registered/],
    ['sub as a list', H, { ...C, sub: [ctx.name] }, /sub is not the registered/],
    ['iat as a string', H, { ...C, iat: String(NOW) }, /iat and exp must be integers/],
    ['iat fractional', H, { ...C, iat: NOW + 0.5 }, /iat and exp must be integers/],
    ['no exp', H, { ...C, exp: undefined }, /iat and exp must be integers/],
    ['iat beyond -skew', H, { ...C, iat: NOW - 61, exp: NOW }, /iat is not now/],
    ['iat beyond +skew', H, { ...C, iat: NOW + 61, exp: NOW + 120 }, /iat is not now/],
    ['exp equal to iat', H, { ...C, exp: NOW }, /exp must be after iat/],
    ['lifetime one second above the maximum', H, { ...C, exp: NOW + 3601 }, /lifetime above 3600 s/],
    ['nbf after exp', H, { ...C, nbf: NOW + 301 }, /bad nbf/],
    ['nbf fractional', H, { ...C, nbf: NOW + 0.5 }, /bad nbf/],
    ['no jti', H, { ...C, jti: undefined }, /jti must be 16-64/],
    ['jti of 15', H, { ...C, jti: 'j'.repeat(15) }, /jti must be 16-64/],
    ['jti of 65', H, { ...C, jti: 'j'.repeat(65) }, /jti must be 16-64/],
    ['jti a number', H, { ...C, jti: 1234567890123456 }, /jti must be 16-64/],
    ['ctr of another step', H, { ...C, ctr: 8 }, /ctr is not the ratchet counter/],
    ['ctr as a string', H, { ...C, ctr: '7' }, /ctr is not the ratchet counter/],
    ['no ctr', H, { ...C, ctr: undefined }, /ctr is not the ratchet counter/],
    ['a JWT without aud', H, { ...C, aud: undefined }, /aud missing/],
    ['an empty aud', H, { ...C, aud: '' }, /aud missing/],
    ['an empty aud list', H, { ...C, aud: [] }, /aud missing/],
    ['17 audiences', H, { ...C, aud: Array.from({ length: 17 }, (_, i) => `rp${i}`) }, /aud missing/],
    ['an audience of 513', H, { ...C, aud: 'a'.repeat(513) }, /aud missing/],
    ['an audience that is not a string', H, { ...C, aud: ['rp', 5] }, /aud missing/],
    ['a quote without nonce', A, { ...AC, nonce: undefined }, /nonce must be 8-512/],
    ['a quote with a nonce of 7', A, { ...AC, nonce: 'n'.repeat(7) }, /nonce must be 8-512/],
    ['a quote with a nonce of 513', A, { ...AC, nonce: 'n'.repeat(513) }, /nonce must be 8-512/],
    ['a quote with a numeric nonce', A, { ...AC, nonce: 12345678 }, /nonce must be 8-512/],
    ['a quote with a bad aud', A, { ...AC, aud: 7 }, /bad aud/],
  ];
  it.each(refused)('refuses %s', (_name, h, c, why) => {
    expect(denied(h, c)).toMatch(why);
  });

  it.each([
    ['raw text', ascii('please sign this')],
    ['a whole token', ascii(`${seg(H)}.${seg(C)}.${b64('s')}`)],
    ['a padded header', ascii(`${Buffer.from(JSON.stringify(H)).toString('base64')}.${seg(C)}`)],
    [
      'a duplicate sub',
      ascii(`${seg(H)}.${b64(JSON.stringify(C).replace('"sub":', '"sub":"spiffe://x","sub":'))}`),
    ],
  ])('refuses %s as not a JWS signing input', (_name, bytes) => {
    let err: unknown;
    try {
      checkTokenPolicy(bytes, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MpcidError);
    expect((err as MpcidError).message).toBe('token refused: not a JWS signing input');
  });
});

/**
 * verifyToken's checks after the signature (status, sub binding, nonce, issuer). A real cluster
 * cannot be made to register one key under two names, so SUB_MISMATCH and friends are exercised
 * here against a fake oracle: a node:http server written for this test that serves discovery,
 * a JWKS with a real Ed25519 key generated here, and a status document we control.
 */
describe('verifyToken against a fake oracle', () => {
  /** The key's RFC 7638 thumbprint, as a real oracle serves it. */
  let KID: string;
  const NAME = 'spiffe://example.org/ns/prod/sa/api';
  const AUD = 'https://rp.example';
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let server: Server;
  let base: string;
  let fake: { status: number; doc: Record<string, unknown>; keys: boolean; discovery: boolean; kid?: string };
  /** The verifier's options for this one plaintext fake: trusted alone, explicitly. */
  const ONE = { allowSingleOracle: true, allowInsecureHttp: true } as const;

  beforeAll(async () => {
    KID = await calculateJwkThumbprint(await exportJWK(publicKey));
    const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'EdDSA', use: 'sig' };
    server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.url === '/.well-known/openid-configuration' && fake.discovery)
        return send(200, { issuer: base });
      if (req.url === `/v1/identities/${KID}/jwks.json`)
        return send(200, { keys: fake.keys ? [{ ...jwk, kid: fake.kid ?? KID }] : [] });
      if (req.url === `/v1/identities/${KID}/status`) return send(fake.status, fake.doc);
      return send(404, { error: 'NOT_FOUND' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    fake = {
      status: 200,
      doc: { identityId: KID, name: NAME, status: 'active' },
      keys: true,
      discovery: true,
    };
  });

  function token(
    claims: Record<string, unknown> = {},
    opts: { typ?: string; key?: KeyObject; kid?: string } = {},
  ): Promise<string> {
    return new SignJWT({ sub: NAME, aud: AUD, jti: randomBytes(16).toString('base64url'), ctr: 1, ...claims })
      .setProtectedHeader({ alg: 'EdDSA', typ: opts.typ ?? 'JWT', kid: opts.kid ?? KID })
      .setIssuer(base)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(opts.key ?? privateKey);
  }

  it('accepts a token whose sub is the name registered for its key', async () => {
    const r = await verifyToken(await token(), { ...ONE, oracle: base, audience: AUD });
    expect(r).toMatchObject({ ok: true, kid: KID, claims: { sub: NAME } });
  });

  it('SUB_MISMATCH when the status names another identity for the key', async () => {
    fake.doc = { ...fake.doc, name: 'spiffe://example.org/ns/prod/sa/other' };
    expect(await verifyToken(await token(), { ...ONE, oracle: base, audience: AUD })).toEqual({
      ok: false,
      code: 'SUB_MISMATCH',
      reason: "sub is not the name registered for the token's key",
    });
  });

  it('SUB_MISMATCH when the token names another sub than the registered one', async () => {
    const t = await token({ sub: 'spiffe://example.org/ns/prod/sa/other' });
    expect(await verifyToken(t, { ...ONE, oracle: base, audience: AUD })).toMatchObject({
      ok: false,
      code: 'SUB_MISMATCH',
    });
  });

  it('IDENTITY_REVOKED with the evidence digest, whether or not the key is still in the JWKS', async () => {
    const digest = randomBytes(32).toString('base64url');
    fake.doc = { ...fake.doc, status: 'revoked', evidenceDigest: digest };
    for (const keys of [true, false]) {
      fake.keys = keys;
      expect(await verifyToken(await token(), { ...ONE, oracle: base, audience: AUD })).toEqual({
        ok: false,
        code: 'IDENTITY_REVOKED',
        reason: `identity revoked (evidence ${digest}; reported by ${base}/)`,
      });
    }
  });

  it('UNKNOWN_KID when the oracle does not know the key; UNAVAILABLE when status or discovery fail', async () => {
    fake.status = 404;
    expect(await verifyToken(await token(), { ...ONE, oracle: base, audience: AUD })).toMatchObject({
      code: 'UNKNOWN_KID',
    });
    fake.status = 500;
    expect(await verifyToken(await token(), { ...ONE, oracle: base, audience: AUD })).toMatchObject({
      code: 'UNAVAILABLE',
    });
    fake.status = 200;
    fake.doc = { ...fake.doc, status: 'weird' };
    expect(await verifyToken(await token(), { ...ONE, oracle: base, audience: AUD })).toMatchObject({
      code: 'UNAVAILABLE',
    });
    fake.discovery = false;
    expect(await verifyToken(await token(), { ...ONE, oracle: base, audience: AUD })).toMatchObject({
      code: 'UNAVAILABLE',
      reason: `only 0 of the 1 oracles needed answered (${base}/: no discovery document)`,
    });
    // Nothing listens on port 1.
    expect(
      await verifyToken(await token(), {
        ...ONE,
        oracle: 'http://127.0.0.1:1',
        audience: AUD,
        timeoutMs: 2000,
      }),
    ).toMatchObject({
      ok: false,
      code: 'UNAVAILABLE',
    });
  });

  it('BAD_SIGNATURE for a token signed by another key under this kid', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(
      await verifyToken(await token({}, { key: other }), { ...ONE, oracle: base, audience: AUD }),
    ).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
  });

  it('CLAIM_INVALID for an iss other than the discovery issuer', async () => {
    const t = await new SignJWT({ aud: AUD, jti: 'j'.repeat(16) })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: KID })
      .setIssuer('https://another-issuer.example')
      .setSubject(NAME)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await verifyToken(t, { ...ONE, oracle: base, audience: AUD })).toEqual({
      ok: false,
      code: 'CLAIM_INVALID',
      reason: 'claim iss is invalid (check_failed)',
    });
  });

  it('NONCE_MISMATCH for a quote with another nonce; accepted with its own', async () => {
    const t = await token({ aud: undefined, nonce: 'nonce-12345' }, { typ: ATTEST_TYP });
    expect(
      await verifyToken(t, { ...ONE, oracle: base, typ: ATTEST_TYP, nonce: 'nonce-12345' }),
    ).toMatchObject({
      ok: true,
    });
    expect(
      await verifyToken(t, { ...ONE, oracle: base, typ: ATTEST_TYP, nonce: 'nonce-99999' }),
    ).toMatchObject({
      ok: false,
      code: 'NONCE_MISMATCH',
    });
  });

  it('BAD_OPTIONS, MALFORMED and BAD_KID before any request', async () => {
    const t = await token();
    expect(await verifyToken(t, { ...ONE, oracle: base })).toMatchObject({ code: 'BAD_OPTIONS' });
    expect(await verifyToken(t, { ...ONE, oracle: 'not a url', audience: AUD })).toMatchObject({
      code: 'BAD_OPTIONS',
    });
    expect(await verifyToken('a.b', { ...ONE, oracle: base, audience: AUD })).toMatchObject({
      code: 'MALFORMED',
    });
    const noKid = await token({}, { kid: 'short' });
    expect(await verifyToken(noKid, { ...ONE, oracle: base, audience: AUD })).toMatchObject({
      code: 'BAD_KID',
    });
  });

  it('one oracle alone, quorum 1, http:// and an oracle given twice are refused unless allowed', async () => {
    const t = await token();
    expect(await verifyToken(t, { oracle: base, audience: AUD, allowInsecureHttp: true })).toMatchObject({
      ok: false,
      code: 'SINGLE_ORACLE',
    });
    expect(await verifyToken(t, { oracle: base, audience: AUD, allowSingleOracle: true })).toMatchObject({
      ok: false,
      code: 'INSECURE_TRANSPORT',
    });
    // Quorum 1 of two oracles is one oracle trusted alone too.
    const two = [base, 'http://127.0.0.1:1'];
    expect(
      await verifyToken(t, { oracles: two, quorum: 1, audience: AUD, allowInsecureHttp: true }),
    ).toMatchObject({ ok: false, code: 'SINGLE_ORACLE' });
    expect(
      await verifyToken(t, { ...ONE, oracles: two, quorum: 1, audience: AUD, timeoutMs: 2000 }),
    ).toMatchObject({
      ok: true,
    });
    for (const quorum of [0, 3, 1.5])
      expect(await verifyToken(t, { ...ONE, oracles: two, quorum, audience: AUD })).toMatchObject({
        code: 'BAD_OPTIONS',
      });
    // The same oracle twice (also spelled with a trailing slash) does not make a quorum of two.
    expect(
      await verifyToken(t, { oracles: [base, `${base}/`], audience: AUD, allowInsecureHttp: true }),
    ).toMatchObject({ ok: false, code: 'BAD_OPTIONS', reason: expect.stringMatching(/given twice/) });
    expect(await verifyToken(t, { ...ONE, oracle: 'ftp://127.0.0.1/', audience: AUD })).toMatchObject({
      code: 'BAD_OPTIONS',
    });
    const creds = await verifyToken(t, { ...ONE, oracle: 'http://rp:hunter2@127.0.0.1/', audience: AUD });
    expect(creds).toMatchObject({ code: 'BAD_OPTIONS' });
    expect(JSON.stringify(creds)).not.toContain('hunter2');
  });

  it('KID_NOT_THUMBPRINT when the key is served under a kid that is not its thumbprint', async () => {
    fake.kid = randomBytes(32).toString('base64url');
    expect(await verifyToken(await token(), { ...ONE, oracle: base, audience: AUD })).toEqual({
      ok: false,
      code: 'KID_NOT_THUMBPRINT',
      reason: `oracle ${base}/ serves a key whose kid is not its RFC 7638 thumbprint`,
    });
  });
});

/**
 * The verifier's issuer-key path (iss `<cluster issuer>/issuer`): the key and issuer come from a
 * quorum of the oracles' issuer key sets and discovery documents. Three fake oracles written for
 * this test serve `/issuer/.well-known/openid-configuration` and `/issuer/jwks.json` with a real
 * P-256 key generated here (a real cluster's issuer tokens are checked in issuer.test.ts).
 */
describe('verifyToken on issuer-key tokens against three fake oracles', () => {
  const AUD = 'sts.amazonaws.com';
  const NAME = 'spiffe://example.org/ns/prod/sa/api';
  const real = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let KID: string;
  let OTHER_KID: string;
  const servers: Server[] = [];
  let bases: string[] = [];
  /** What each fake serves: its issuer key, and the issuer its discovery document names. */
  let serve: { key: 'real' | 'other' | 'none'; issuer?: string }[];
  let issuer: string;

  beforeAll(async () => {
    KID = await calculateJwkThumbprint(await exportJWK(real.publicKey));
    OTHER_KID = await calculateJwkThumbprint(await exportJWK(other.publicKey));
    for (let i = 0; i < 3; i++) {
      const server = createServer(async (req, res) => {
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        const s = serve[i]!;
        if (req.url === '/issuer/.well-known/openid-configuration')
          return send(200, { issuer: s.issuer ?? issuer, jwks_uri: `${issuer}/jwks.json` });
        if (req.url === '/issuer/jwks.json') {
          if (s.key === 'none') return send(200, { keys: [] });
          const k = s.key === 'real' ? real : other;
          const kid = s.key === 'real' ? KID : OTHER_KID;
          return send(200, { keys: [{ ...(await exportJWK(k.publicKey)), kid, alg: 'ES256', use: 'sig' }] });
        }
        return send(404, { error: 'NOT_FOUND' });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
    }
    bases = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    issuer = `${bases[0]}/issuer`;
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  beforeEach(() => {
    serve = [{ key: 'real' }, { key: 'real' }, { key: 'real' }];
  });

  const token = (key: KeyObject = real.privateKey, kid = KID, iss = issuer) =>
    new SignJWT({ sub: NAME, aud: AUD, jti: randomBytes(16).toString('base64url'), ctr: 7 })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
      .setIssuer(iss)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
  const opts = () => ({ oracles: bases, quorum: 2, allowInsecureHttp: true, audience: AUD });

  it('accepts a token under the key a quorum serves, vouched by those oracles', async () => {
    expect(await verifyToken(await token(), opts())).toMatchObject({
      ok: true,
      kid: KID,
      claims: { sub: NAME, iss: issuer },
      vouchedBy: bases.map((b) => `${b}/`),
    });
    serve[2] = { key: 'none' };
    expect(await verifyToken(await token(), opts())).toMatchObject({
      ok: true,
      vouchedBy: bases.slice(0, 2).map((b) => `${b}/`),
    });
  });

  it('one oracle serving a key of its own under its own kid cannot make a token pass: QUORUM_NOT_REACHED', async () => {
    serve = [{ key: 'other' }, { key: 'real' }, { key: 'real' }];
    expect(await verifyToken(await token(other.privateKey, OTHER_KID), opts())).toMatchObject({
      ok: false,
      code: 'QUORUM_NOT_REACHED',
    });
    // And the real key's tokens still pass on the other two.
    expect(await verifyToken(await token(), opts())).toMatchObject({ ok: true });
  });

  it('a token signed by another key under the real kid is BAD_SIGNATURE; an unknown kid UNKNOWN_KID', async () => {
    expect(await verifyToken(await token(other.privateKey, KID), opts())).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
    expect(await verifyToken(await token(other.privateKey, OTHER_KID), opts())).toMatchObject({
      code: 'UNKNOWN_KID',
    });
  });

  it('an oracle naming another issuer is named (ORACLES_DISAGREE); an iss other than the agreed one is CLAIM_INVALID', async () => {
    serve[1] = { key: 'real', issuer: 'https://evil.example/issuer' };
    expect(await verifyToken(await token(), opts())).toEqual({
      ok: false,
      code: 'ORACLES_DISAGREE',
      reason: `oracle ${bases[1]}/ disagrees with the others on the issuer key or issuer of this kid`,
    });
    serve[1] = { key: 'real' };
    const t = await token(real.privateKey, KID, 'https://evil.example/issuer');
    expect(await verifyToken(t, opts())).toMatchObject({ ok: false, code: 'CLAIM_INVALID' });
  });

  it('two of three oracles down is UNAVAILABLE', async () => {
    const r = await verifyToken(await token(), {
      ...opts(),
      oracles: [bases[0]!, 'http://127.0.0.1:1', 'http://127.0.0.1:2'],
      timeoutMs: 2000,
    });
    expect(r).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
  });
});
