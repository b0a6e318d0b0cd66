/**
 * Relying parties we did not write, against a cluster that serves its relying-party port over
 * HTTPS with certificates from a CA (issue 14 item 5). Both are Debian packages that .ci/run
 * installs (apache2, libapache2-mod-auth-openidc, python3-jwt):
 *
 * - Apache httpd with mod_auth_openidc as an OAuth 2.0 resource server (test/fixtures/apache-oidc.conf):
 *   keys from the cluster's JWKS over HTTPS (OIDCOAuthVerifyJwksUri, the CA as OIDCCABundlePath),
 *   iss, aud and sub required together inside <RequireAll>. Run by the test as a foreground process
 *   (`apache2 -X -f CONF`) on a loopback port, never as a system service.
 * - PyJWT's PyJWKClient, found through the discovery document (test/fixtures/pyjwt-verify.py).
 *
 * An ES256 token from the agent is accepted; tampered, expired, wrong-audience, wrong-issuer and
 * EdDSA tokens are refused (401 from Apache, an exception from PyJWT). An issuer-key token (the
 * cluster's federation issuer key, docs/protocol.md §10) is accepted by a second Apache and by
 * PyJWT through the issuer's own JWKS and discovery document (`<issuer>/issuer`), and refused
 * where the identity keys are expected (another issuer, a kid not in that JWKS). A wrong-issuer token is one
 * whose relying party expects another issuer: the oracles co-sign only `iss` = the cluster issuer,
 * so no token of this cluster names another one.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../common/cluster.js';
import { call } from '../../common/grpc.js';
import { createCa } from '../../common/tls.js';
import {
  type AgentProc,
  httpsCertFiles,
  mpcid,
  startCluster,
  type TestCluster,
  waitUntil,
} from '../helpers/cluster.js';

const SUB = 'spiffe://test.mpcid/ns/prod/sa/rp';
const AUD = 'https://rp.example/apache';
const FIXTURES = join(import.meta.dirname, '../fixtures');
const APACHE = '/usr/sbin/apache2';
const PYTHON = '/usr/bin/python3';

const work = mkdtempSync(join(tmpdir(), 'mpcid-rp-'));
chmodSync(work, 0o755);
const caDir = join(work, 'ca');
createCa(caDir, 'rp');

/** An HTTPS certificate for 127.0.0.1 from the test CA. */
const certOf = (name: string) => httpsCertFiles(caDir, join(work, name), name);

let cluster: TestCluster;
let agent: AgentProc;
let issuer: string;
let apache: ChildProcess | undefined;
let apacheUrl: string;
/** A second Apache whose JWKS and issuer are the federation issuer's. */
let issuerApache: ChildProcess | undefined;
let issuerApacheUrl: string;
const tokens: Record<string, string> = {};

async function fetchJwt(
  opts: { aud?: string; ttl?: number; alg?: string; key?: string } = {},
): Promise<string> {
  const wl = agent.workload;
  const req = {
    audience: [opts.aud ?? AUD],
    ttlSeconds: opts.ttl ?? 120,
    ...(opts.alg ? { alg: opts.alg } : {}),
    ...(opts.key ? { key: opts.key } : {}),
  };
  return (await call(wl, wl.FetchJWT, req, 20_000)).token;
}

/**
 * Writes the Apache config from the fixture and starts `apache2 -X` on a free loopback port, with
 * the keys of `jwks` and `iss` required (the identity keys by default, or the issuer's).
 */
async function startApache(
  name = 'apache',
  iss = issuer,
  jwks = `${issuer}/.well-known/jwks.json`,
): Promise<{ proc: ChildProcess; url: string }> {
  const dir = join(work, name);
  mkdirSync(join(dir, 'htdocs', 'protected'), { recursive: true });
  mkdirSync(join(dir, 'htdocs', 'other-issuer'), { recursive: true });
  for (const p of ['protected', 'other-issuer'])
    writeFileSync(join(dir, 'htdocs', p, 'index.html'), 'welcome\n');
  chmodSync(dir, 0o755);
  // Apache's child runs as an unprivileged user when started as root: it reads the CA from here.
  const ca = join(dir, 'ca.crt');
  copyFileSync(join(caDir, 'ca.crt'), ca);
  chmodSync(ca, 0o644);
  const [port] = await freePorts(1);
  const root = process.getuid?.() === 0;
  const fill: Record<string, string> = {
    PORT: String(port),
    DIR: dir,
    CA: ca,
    JWKS: jwks,
    ISSUER: iss,
    AUD,
    SUB,
    USER: root ? 'nobody' : `#${process.getuid?.()}`,
    GROUP: root ? 'nogroup' : `#${process.getgid?.()}`,
  };
  const conf = readFileSync(join(FIXTURES, 'apache-oidc.conf'), 'utf8').replace(
    /@([A-Z]+)@/g,
    (_, k: string) => {
      const v = fill[k];
      if (v === undefined) throw new Error(`apache-oidc.conf: no value for @${k}@`);
      return v;
    },
  );
  const file = join(dir, 'httpd.conf');
  writeFileSync(file, conf);
  execFileSync(APACHE, ['-t', '-f', file], { stdio: 'pipe' });
  const proc = spawn(APACHE, ['-X', '-f', file], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(name, () => fetch(`${url}/`), proc, 20_000);
  return { proc, url };
}

async function apacheStatus(path: string, token: string, base = apacheUrl): Promise<number> {
  const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

/** PyJWT's verdict on each token (one python process for all of them), keys found through `discoveryOf`'s discovery document. */
function pyjwt(
  list: string[],
  expectIssuer = issuer,
  discoveryOf = issuer,
): { ok: boolean; sub?: string; error?: string }[] {
  const out = execFileSync(
    PYTHON,
    [
      join(FIXTURES, 'pyjwt-verify.py'),
      `${discoveryOf}/.well-known/openid-configuration`,
      join(caDir, 'ca.crt'),
      expectIssuer,
      AUD,
    ],
    { input: `${list.join('\n')}\n`, encoding: 'utf8', timeout: 30_000 },
  );
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { ok: boolean; sub?: string; error?: string });
}

beforeAll(async () => {
  cluster = await startCluster(3, 2, {
    httpTls: (id) => certOf(`oracle-${id}`),
    clusterConfig: { federation: { audiences: [AUD] } },
  });
  issuer = cluster.oracles[0]!.config.cluster.issuer!;
  const e = await cluster.enroll(SUB);
  agent = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
  // The federation issuer's first key (a DKG among the three oracles), then an issuer-key token.
  const rotated = await mpcid(
    ['issuer', 'rotate', '--admin', cluster.oracles[0]!.config.adminListen, ...cluster.adminTransportArgs],
    { timeoutMs: 120_000 },
  );
  if (rotated.code !== 0) throw new Error(`issuer rotate: ${rotated.stderr}`);
  tokens['issuer'] = await fetchJwt({ key: 'issuer' });
  tokens['good'] = await fetchJwt();
  const [h, , s] = tokens['good'].split('.') as [string, string, string];
  const forged = { ...decodeJwt(tokens['good']), sub: 'spiffe://test.mpcid/ns/prod/sa/admin' };
  tokens['tampered'] = `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`;
  tokens['wrong-audience'] = await fetchJwt({ aud: 'https://someone-else.example' });
  tokens['eddsa'] = await fetchJwt({ alg: 'EdDSA' });
  tokens['expired'] = await fetchJwt({ ttl: 1 });
  const exp = decodeJwt(tokens['expired']).exp!;
  // Missing packages fail the suite (never a silent skip): .ci/run installs them.
  for (const f of [APACHE, '/usr/lib/apache2/modules/mod_auth_openidc.so', PYTHON])
    if (!existsSync(f))
      throw new Error(`${f} is missing: apt-get install apache2 libapache2-mod-auth-openidc python3-jwt`);
  ({ proc: apache, url: apacheUrl } = await startApache());
  ({ proc: issuerApache, url: issuerApacheUrl } = await startApache(
    'apache-issuer',
    `${issuer}/issuer`,
    `${issuer}/issuer/jwks.json`,
  ));
  // The expired token is past its exp (and 2 s of leeway) before any test runs; Apache started meanwhile.
  await new Promise((r) => setTimeout(r, Math.max(0, (exp + 2) * 1000 - Date.now())));
}, 180_000);

afterAll(async () => {
  for (const a of [apache, issuerApache]) {
    if (a && a.exitCode === null) {
      const done = new Promise((r) => a.once('exit', r));
      a.kill('SIGTERM');
      await done;
    }
  }
  await cluster?.stop();
});

describe('independent relying parties over HTTPS', { tags: ['slow'] }, () => {
  it('the issuer and JWKS are https://, the token ES256 by default', () => {
    expect(issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(decodeProtectedHeader(tokens['good']!)).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(decodeProtectedHeader(tokens['eddsa']!).alg).toBe('EdDSA');
  });

  it('Apache mod_auth_openidc: 200 for the agent’s ES256 token, 401 for every bad one', async () => {
    expect(await apacheStatus('/protected/index.html', tokens['good']!)).toBe(200);
    for (const bad of ['tampered', 'expired', 'wrong-audience', 'eddsa']) {
      expect(await apacheStatus('/protected/index.html', tokens[bad]!), bad).toBe(401);
    }
    // Wrong issuer: the same good token where another issuer is required.
    expect(await apacheStatus('/other-issuer/index.html', tokens['good']!), 'wrong-issuer').toBe(401);
    // No token at all, and a token that is not one.
    expect((await fetch(`${apacheUrl}/protected/index.html`)).status).toBe(401);
    expect(await apacheStatus('/protected/index.html', 'not.a.token')).toBe(401);
    // Still serving the good token afterwards.
    expect(await apacheStatus('/protected/index.html', tokens['good']!)).toBe(200);
  });

  it("Apache mod_auth_openidc through the issuer JWKS: 200 for an issuer-key token, whose iss is exactly the issuer discovery document's HTTPS issuer; 401 for identity-key tokens there, and for the issuer-key token where identity keys are expected", async () => {
    // Read as a relying party would: over HTTPS, the server certificate checked against the CA.
    const disco = await new Promise<{ issuer: string; jwks_uri: string }>((res, rej) => {
      httpsGet(
        `${issuer}/issuer/.well-known/openid-configuration`,
        { ca: readFileSync(join(caDir, 'ca.crt')) },
        (r) => {
          let body = '';
          r.on('data', (c: Buffer) => {
            body += c.toString('utf8');
          });
          r.on('end', () => res(JSON.parse(body) as { issuer: string; jwks_uri: string }));
        },
      ).on('error', rej);
    });
    expect(disco.issuer).toBe(`${issuer}/issuer`);
    expect(disco.issuer).toMatch(/^https:\/\//);
    expect(disco.jwks_uri).toBe(`${issuer}/issuer/jwks.json`);
    const claims = decodeJwt(tokens['issuer']!);
    expect(claims.iss).toBe(disco.issuer);
    expect(claims.exp! - claims.iat!).toBeLessThan(48 * 3600);
    expect(decodeProtectedHeader(tokens['issuer']!)).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(await apacheStatus('/protected/index.html', tokens['issuer']!, issuerApacheUrl)).toBe(200);
    for (const other of ['good', 'tampered', 'eddsa'])
      expect(await apacheStatus('/protected/index.html', tokens[other]!, issuerApacheUrl), other).toBe(401);
    expect(
      await apacheStatus('/protected/index.html', tokens['issuer']!),
      'issuer token, identity JWKS',
    ).toBe(401);
    expect(await apacheStatus('/protected/index.html', tokens['issuer']!, issuerApacheUrl)).toBe(200);
  });

  it('PyJWT PyJWKClient through the issuer discovery document accepts the issuer-key token', () => {
    const [r] = pyjwt([tokens['issuer']!], `${issuer}/issuer`, `${issuer}/issuer`);
    expect(r).toMatchObject({ ok: true, sub: SUB });
  });

  it('PyJWT PyJWKClient through discovery: accepts the ES256 token, refuses every bad one', () => {
    const names = ['good', 'tampered', 'expired', 'wrong-audience', 'eddsa'];
    const r = pyjwt(names.map((n) => tokens[n]!));
    expect(r[0]).toMatchObject({ ok: true, sub: SUB });
    expect(r[1]).toMatchObject({ ok: false, error: 'InvalidSignatureError' });
    expect(r[2]).toMatchObject({ ok: false, error: 'ExpiredSignatureError' });
    expect(r[3]).toMatchObject({ ok: false, error: 'InvalidAudienceError' });
    expect(r[4]!.ok, 'EdDSA accepted').toBe(false);
    const wrongIssuer = pyjwt([tokens['good']!], 'https://issuer.other.example');
    expect(wrongIssuer[0]).toMatchObject({ ok: false, error: 'InvalidIssuerError' });
  });
});
