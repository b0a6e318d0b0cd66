/**
 * The relying-party verifier trusts no single oracle (docs/protocol.md §8), against real oracle
 * processes serving HTTPS (`http.tls`, certificates from a CA made here) and fake oracles: real
 * HTTPS servers in this process, with valid certificates from the same CA (an insider, not a
 * man in the middle), that lie.
 *
 * - a fake serving its own key under a victim's kid, and a token it minted with that key, does
 *   not get past the library or `mpcid verify`, whether it is one of the quorum or the only
 *   oracle (KID_NOT_THUMBPRINT; alone it is refused as SINGLE_ORACLE);
 * - a fake serving its own key under that key's thumbprint and the victim's name is outvoted
 *   (QUORUM_NOT_REACHED): the honest oracles do not know the key;
 * - a fake hiding a revocation is outvoted: one answering oracle saying revoked is enough;
 * - a fake that agrees on the key but not on the registered name is named (ORACLES_DISAGREE);
 * - HTTPS is required (INSECURE_TRANSPORT for http:// unless allowed) and the CA is enforced.
 *
 * Independent checks (jose against the fake's own JWKS, node:crypto over the signing input) show
 * each forged token is validly signed by the key the fake serves: only the verifier's quorum and
 * thumbprint checks stop it. Trusting the fake alone (explicitly) accepts it, so the tests can fail.
 *
 * Slow suite (tag `slow`): real processes, about 35 s.
 */
import {
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey as NodeJsonWebKey,
  randomBytes,
  verify,
} from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, createServer as httpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../common/grpc.js';
import { createCa } from '../../common/tls.js';
import { type VerifyOptions, verifyToken } from '../../verifier/index.js';
import { type AgentProc, httpsCertFiles, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';

const VICTIM = 'spiffe://test.mpcid/ns/prod/sa/victim';
const DOOMED = 'spiffe://test.mpcid/ns/prod/sa/doomed';
const AUD = 'https://rp.example/api';

const work = mkdtempSync(join(tmpdir(), 'mpcid-rpq-'));
const caDir = join(work, 'ca');
createCa(caDir, 'rp');
const CA_FILE = join(caDir, 'ca.crt');
const CA = readFileSync(CA_FILE);
const otherCaDir = join(work, 'other-ca');
createCa(otherCaDir, 'other');

/** An HTTPS certificate for 127.0.0.1 from the test CA. */
const certOf = (name: string) => httpsCertFiles(caDir, join(work, name), name);

/** GET over HTTPS trusting only the test CA (node:https, not the verifier's client). */
function getJson(url: string, ca: Buffer = CA): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

let cluster: TestCluster;
/** https://127.0.0.1:port of oracle 1..3 */
let rp: string[];
let issuer: string;
let victim: { kid: string; es256Kid: string; agent: AgentProc };

/** The fake oracle: a real HTTPS server; `routes` maps a request path to its answer. */
let fakeServer: Server;
let FAKE: string;
let routes: Map<string, { status: number; body: unknown }>;

/** The attacker's own Ed25519 key (it holds all of it, unlike any real identity's). */
const attacker = generateKeyPairSync('ed25519');
let attackerJwk: JWK;
let attackerThumb: string;

const opts = (oracles: string[], extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
  oracles,
  ca: CA,
  audience: AUD,
  timeoutMs: 3000,
  ...extra,
});

/** `mpcid verify` with these oracles (repeated --oracle) and the test CA. */
async function cliVerify(token: string, oracles: string[], extra: string[] = []) {
  const r = await mpcid([
    'verify',
    '--token',
    token,
    ...oracles.flatMap((o) => ['--oracle', o]),
    '--ca',
    CA_FILE,
    '--audience',
    AUD,
    ...extra,
  ]);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** A token as a real agent would get it, but signed with the attacker's key. */
function forge(kid: string, sub = VICTIM): Promise<string> {
  return new SignJWT({ sub, aud: AUD, jti: randomBytes(16).toString('base64url'), ctr: 7 })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(attacker.privateKey);
}

/** Independent proof that `token` is validly signed by the key the fake serves under `kid`. */
async function validUnderFakeKey(token: string, kid: string): Promise<void> {
  const [h, p, s] = token.split('.') as [string, string, string];
  const key = createPublicKey({ key: { ...attackerJwk, kid } as NodeJsonWebKey, format: 'jwk' });
  expect(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))).toBe(true);
  const jwks = routes.get(`/v1/identities/${kid}/jwks.json`)!.body as { keys: JWK[] };
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience: AUD });
  expect(payload.sub).toBe(VICTIM);
}

/** Makes the fake serve, under `kid`, this status and JWKS (and discovery with the real issuer). */
function fakeServes(kid: string, status: Record<string, unknown>, keys: JWK[]): void {
  routes = new Map([
    ['/.well-known/openid-configuration', { status: 200, body: { issuer } }],
    [`/v1/identities/${kid}/status`, { status: 200, body: status }],
    [`/v1/identities/${kid}/jwks.json`, { status: 200, body: { keys } }],
  ]);
}

beforeAll(async () => {
  cluster = await startCluster(3, 2, { httpTls: (id) => certOf(`oracle-${id}`) });
  rp = cluster.oracles.map((o) => `https://${o.config.http!.listen}`);
  issuer = cluster.oracles[0]!.config.cluster.issuer!;
  const e = (await cluster.enroll(VICTIM)) as unknown as {
    stateDir: string;
    kid: string;
    es256: { kid: string };
  };
  victim = {
    kid: e.kid,
    es256Kid: e.es256.kid,
    agent: await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 }),
  };
  attackerJwk = await exportJWK(attacker.publicKey);
  attackerThumb = await calculateJwkThumbprint(attackerJwk);
  routes = new Map();
  // The fake's certificate is from the cluster's CA: an insider, not someone on the path.
  const fake = certOf('fake-oracle');
  fakeServer = httpsServer({ cert: readFileSync(fake.cert), key: readFileSync(fake.key) }, (req, res) => {
    const a = routes.get(req.url ?? '') ?? { status: 404, body: { error: 'NOT_FOUND' } };
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => fakeServer.listen(0, '127.0.0.1', r));
  FAKE = `https://127.0.0.1:${(fakeServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  fakeServer?.closeAllConnections();
  await new Promise((r) => fakeServer?.close(r));
  await cluster?.stop();
});

async function fetchJwt(agent: AgentProc, alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<string> {
  const wl = agent.workload;
  return (await call(wl, wl.FetchJWT, { audience: [AUD], ttlSeconds: 120, extraClaimsJson: '', alg }, 20_000))
    .token;
}

describe('the quorum verifier against real HTTPS oracles and lying fakes', { tags: ['slow'] }, () => {
  it('real tokens (EdDSA and ES256) verify over HTTPS with the CA: library and CLI, vouched by every oracle', async () => {
    expect(issuer).toMatch(/^https:\/\//);
    // The relying-party port speaks HTTPS with the configured certificate (node:https, the test CA).
    const disco = await getJson(`${rp[0]}/.well-known/openid-configuration`);
    expect(disco).toMatchObject({ status: 200, body: { issuer } });
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const token = await fetchJwt(victim.agent, alg);
      const r = await verifyToken(token, opts(rp));
      expect(r).toMatchObject({ ok: true, kid: alg === 'EdDSA' ? victim.kid : victim.es256Kid });
      expect(r.ok && r.vouchedBy.length).toBe(3);
      expect((await verifyToken(token, opts(rp, { quorum: 3 }))).ok).toBe(true);
      const cli = await cliVerify(token, [rp.join(',')], ['--quorum', '2']);
      expect(cli.code, cli.stderr + cli.stdout).toBe(0);
      expect(cli.stdout).toMatch(/^valid: sub=spiffe:\/\/test\.mpcid\/ns\/prod\/sa\/victim kid=/);
    }
  });

  it('HTTPS is required and the CA enforced: http:// is INSECURE_TRANSPORT, an untrusted certificate UNAVAILABLE', async () => {
    const token = await fetchJwt(victim.agent);
    const plain = rp.map((u) => u.replace(/^https:/, 'http:'));
    expect(await verifyToken(token, opts(plain))).toMatchObject({ ok: false, code: 'INSECURE_TRANSPORT' });
    const cli = await cliVerify(token, plain);
    expect(cli).toMatchObject({ code: 1, stdout: expect.stringMatching(/^invalid: INSECURE_TRANSPORT: /) });
    // Allowed, plain http to an HTTPS port gets no answer at all.
    expect(await verifyToken(token, opts(plain, { allowInsecureHttp: true }))).toMatchObject({
      ok: false,
      code: 'UNAVAILABLE',
    });
    // Without the CA (system roots) and with another CA, the oracles' certificates are not trusted.
    const { ca: _, ...noCa } = opts(rp);
    expect(await verifyToken(token, noCa)).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    const other = readFileSync(join(otherCaDir, 'ca.crt'));
    const r = await verifyToken(token, opts(rp, { ca: other }));
    expect(r).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    expect(r.ok ? '' : r.reason).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });

  it('a fake serving its own key under the victim’s kid cannot pass: in the quorum or alone', async () => {
    // The fake copies the victim's real status and swaps its own key in under the victim's kid.
    const status = (await getJson(`${rp[0]}/v1/identities/${victim.kid}/status`)).body;
    expect(status).toMatchObject({ name: VICTIM, status: 'active' });
    fakeServes(victim.kid, status, [{ ...attackerJwk, kid: victim.kid, alg: 'EdDSA', use: 'sig' }]);
    const forged = await forge(victim.kid);
    await validUnderFakeKey(forged, victim.kid);

    const named = { ok: false, code: 'KID_NOT_THUMBPRINT', reason: expect.stringContaining(`${FAKE}/`) };
    for (const set of [
      [FAKE, ...rp],
      [rp[0]!, FAKE],
      [FAKE, rp[1]!, rp[2]!],
    ]) {
      expect(await verifyToken(forged, opts(set))).toMatchObject(named);
    }
    expect(await verifyToken(forged, opts([FAKE, rp[0]!], { quorum: 2 }))).toMatchObject(named);
    // Alone: refused before any request unless explicitly allowed; allowed, the thumbprint check holds.
    expect(await verifyToken(forged, opts([FAKE]))).toMatchObject({ ok: false, code: 'SINGLE_ORACLE' });
    expect(await verifyToken(forged, opts([FAKE], { allowSingleOracle: true }))).toMatchObject(named);

    const quorum = await cliVerify(forged, [FAKE, ...rp]);
    expect(quorum).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/^invalid: KID_NOT_THUMBPRINT: oracle https:/),
    });
    const alone = await cliVerify(forged, [FAKE]);
    expect(alone).toMatchObject({ code: 1, stdout: expect.stringMatching(/^invalid: SINGLE_ORACLE: /) });
    const allowed = await cliVerify(forged, [FAKE], ['--allow-single-oracle']);
    expect(allowed).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/^invalid: KID_NOT_THUMBPRINT: /),
    });
  });

  it('a fake serving its own key under its own thumbprint and the victim’s name is outvoted', async () => {
    fakeServes(attackerThumb, { identityId: attackerThumb, name: VICTIM, status: 'active' }, [
      { ...attackerJwk, kid: attackerThumb, alg: 'EdDSA', use: 'sig' },
    ]);
    const forged = await forge(attackerThumb);
    await validUnderFakeKey(forged, attackerThumb);
    // Trusted alone (explicitly), the fake is believed: the token is otherwise perfect.
    expect(await verifyToken(forged, opts([FAKE], { allowSingleOracle: true }))).toMatchObject({
      ok: true,
      claims: { sub: VICTIM },
    });
    for (const set of [
      [FAKE, ...rp],
      [FAKE, rp[0]!],
    ]) {
      const r = await verifyToken(forged, opts(set));
      expect(r).toMatchObject({ ok: false, code: 'QUORUM_NOT_REACHED' });
      expect(r.ok ? '' : r.reason).toMatch(/^only 1 of the [23] oracles needed vouch for this key \(https:/);
    }
    // With one honest oracle down the fake still does not make a quorum.
    expect(await verifyToken(forged, opts([FAKE, rp[0]!, 'https://127.0.0.1:1']))).toMatchObject({
      ok: false,
      code: 'QUORUM_NOT_REACHED',
    });
    // Only the fake and a dead oracle: not enough answers.
    expect(await verifyToken(forged, opts([FAKE, 'https://127.0.0.1:1']))).toMatchObject({
      ok: false,
      code: 'UNAVAILABLE',
    });
    const cli = await cliVerify(forged, [`${FAKE},${rp.join(',')}`]);
    expect(cli).toMatchObject({ code: 1, stdout: expect.stringMatching(/^invalid: QUORUM_NOT_REACHED: /) });
    expect((await cliVerify(forged, [FAKE])).stdout).toMatch(/^invalid: SINGLE_ORACLE: /);
  });

  it('a fake that serves the real key but another registered name is named: ORACLES_DISAGREE', async () => {
    const status = (await getJson(`${rp[0]}/v1/identities/${victim.kid}/status`)).body;
    const jwks = (await getJson(`${rp[0]}/v1/identities/${victim.kid}/jwks.json`)).body['keys'] as JWK[];
    fakeServes(victim.kid, { ...status, name: 'spiffe://test.mpcid/ns/prod/sa/someone-else' }, jwks);
    const token = await fetchJwt(victim.agent);
    const r = await verifyToken(token, opts([FAKE, ...rp]));
    expect(r).toEqual({
      ok: false,
      code: 'ORACLES_DISAGREE',
      reason: `oracle ${FAKE}/ disagrees with the others on the key, name, identity or issuer of this kid`,
    });
    // The same fake with the true name agrees, and the token passes with it in the set.
    fakeServes(victim.kid, status, jwks);
    expect(await verifyToken(token, opts([FAKE, ...rp]))).toMatchObject({ ok: true });
  });

  it('`mpcid init --http-tls` writes http.tls with each oracle’s own certificate; config check loads it; bad files are CONFIG_INVALID', async () => {
    const dir = join(work, 'init');
    const init = await mpcid(['init', '--dir', dir, '--http-tls']);
    expect(init.code, init.stderr).toBe(0);
    const file = join(dir, 'oracle-1', 'config.json');
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    expect(raw.http.tls).toEqual({ cert: 'tls/tls.crt', key: 'tls/tls.key' });
    expect(raw.cluster.issuer).toMatch(/^https:\/\//);
    const check = await mpcid(['config', 'check', file]);
    expect(check).toMatchObject({ code: 0, stdout: expect.stringMatching(/, relying-party HTTPS\n$/) });
    writeFileSync(
      file,
      JSON.stringify({ ...raw, http: { ...raw.http, tls: { ...raw.http.tls, key: 'nope.key' } } }),
    );
    const missing = await mpcid(['config', 'check', file]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /^mpcid: CONFIG_INVALID: http\.tls\.key: cannot read .*nope\.key \(ENOENT\)/,
      ),
    });
    // A key that is not the certificate's.
    writeFileSync(
      file,
      JSON.stringify({
        ...raw,
        http: { ...raw.http, tls: { cert: 'tls/tls.crt', key: certOf('stray').key } },
      }),
    );
    const pair = await mpcid(['config', 'check', file]);
    expect(pair).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /CONFIG_INVALID: http\.tls: the certificate and key are not a usable PEM pair/,
      ),
    });
    expect((await mpcid(['init', '--dir', join(work, 'init2'), '--http-tls', '--insecure'])).code).toBe(2);
  });

  it('a fake hiding a revocation is outvoted: one oracle reporting revoked is enough', async () => {
    const e = await cluster.enroll(DOOMED);
    const original = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
    const before = await fetchJwt(original);
    expect((await verifyToken(before, opts(rp))).ok).toBe(true);
    // The fake keeps answering what every oracle said before the revocation.
    const status = (await getJson(`${rp[0]}/v1/identities/${e.kid}/status`)).body;
    const jwks = (await getJson(`${rp[0]}/v1/identities/${e.kid}/jwks.json`)).body['keys'] as JWK[];
    fakeServes(e.kid, status, jwks);
    // A copy of the agent signs after the original: the identity is revoked.
    cpSync(e.stateDir, `${e.stateDir}-copy`, { recursive: true });
    const copy = await cluster.startAgent(`${e.stateDir}-copy`, undefined, { heartbeatMs: 0 });
    await original.sign(Buffer.from('the original signs'));
    await expect(copy.sign(Buffer.from('the copy signs'))).rejects.toThrow();
    const deadline = Date.now() + 5000;
    for (;;) {
      const s = await Promise.all(rp.map((u) => getJson(`${u}/v1/identities/${e.kid}/status`)));
      if (s.every((x) => x.body['status'] === 'revoked')) break;
      if (Date.now() > deadline) throw new Error('not revoked on every oracle');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Alone (explicitly trusted) the fake hides it: the check below can fail.
    expect(await verifyToken(before, opts([FAKE], { allowSingleOracle: true }))).toMatchObject({ ok: true });
    for (const set of [
      [FAKE, ...rp],
      [FAKE, rp[1]!],
      [rp[2]!, FAKE],
    ]) {
      const r = await verifyToken(before, opts(set));
      expect(r).toMatchObject({ ok: false, code: 'IDENTITY_REVOKED' });
      expect(r.ok ? '' : r.reason).not.toContain(FAKE);
    }
    // Even with quorum 3 of 3 and one honest oracle: revoked wins over the missing quorum.
    expect(
      await verifyToken(before, opts([FAKE, rp[0]!, 'https://127.0.0.1:1'], { quorum: 3 })),
    ).toMatchObject({
      ok: false,
      code: 'IDENTITY_REVOKED',
    });
    const cli = await cliVerify(before, [FAKE, rp[0]!]);
    expect(cli).toMatchObject({ code: 1, stdout: expect.stringMatching(/^invalid: IDENTITY_REVOKED: /) });
  });
});
