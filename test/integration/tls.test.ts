/**
 * mTLS end to end (issue 6 item 1): a cluster made with `mpcid init` and started from its configs
 * enrolls, co-signs (Sign and FetchJWT through the agent) and catches a clone over mTLS; clients
 * without a certificate from the cluster CA are refused at the handshake (the oracle keeps
 * running), certificates with the wrong role are refused per service, a foreign peer cannot push
 * revocations, and bad TLS files are clear CONFIG_INVALID errors. OpenSSL checks the certificates.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workloadClient } from '../../cli/clients.js';
import { CLIENT_OPTIONS, call, errorCodeOf, services } from '../../common/grpc.js';
import { bundleFiles, createCa, issueBundle, loadTls, type TlsMaterial } from '../../common/tls.js';
import { checkHealth, healthClient } from '../../oracle/health.js';
import { nodeVerify } from '../crypto/helpers.js';
import { type AgentProc, CLI, mpcid, TEST_READY, TestCluster, waitUntil } from '../helpers/cluster.js';
import { copyStateDir, waitStatus } from '../helpers/ratchet.js';

const ROOT = mkdtempSync(join(tmpdir(), 'mpcid-tls-'));
/** The environment of a user who chose neither TLS nor plaintext. */
const NO_CHOICE = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'MPCID_INSECURE' && k !== 'MPCID_TLS_DIR'),
);

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

function opensslVerify(ca: string, cert: string): string {
  return execFileSync('openssl', ['verify', '-CAfile', ca, cert], { encoding: 'utf8', stdio: 'pipe' });
}

/** A channel to `address` with exactly these credentials. */
function adminWith(address: string, creds: grpc.ChannelCredentials) {
  return new (services().admin.mpcid.admin.v1.Admin)(address, creds, CLIENT_OPTIONS);
}
function peerWith(address: string, creds: grpc.ChannelCredentials) {
  return new (services().oracle.mpcid.oracle.v1.Peer)(address, creds, CLIENT_OPTIONS);
}
function creds(m: TlsMaterial): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(m.ca, m.key, m.cert);
}
async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error('the call succeeded');
}

describe('a cluster made with mpcid init runs over mTLS', { tags: ['slow'] }, () => {
  const dir = join(ROOT, 'cluster');
  const agentBundle = join(ROOT, 'agent-bundle');
  let cluster: TestCluster;
  let agent: AgentProc;
  let stateDir: string;
  let kid: string;
  let admin: TlsMaterial;
  let agentTls: TlsMaterial;
  /** Material from a CA that is not the cluster's (every role) and a self-signed certificate. */
  let foreign: TlsMaterial;
  let selfSigned: TlsMaterial;

  beforeAll(async () => {
    const init = await mpcid([
      'init',
      '--dir',
      dir,
      '--oracles',
      '3',
      '--quorum',
      '2',
      '--cluster-id',
      'tls',
    ]);
    if (init.code !== 0) throw new Error(`mpcid init failed: ${init.stderr}`);
    const issued = await mpcid([
      'cert',
      'issue',
      '--ca',
      join(dir, 'ca'),
      '--name',
      'spiffe://tls.test/ns/prod/sa/api',
      '--role',
      'agent',
      '--out',
      agentBundle,
    ]);
    if (issued.code !== 0) throw new Error(`mpcid cert issue failed: ${issued.stderr}`);
    admin = loadTls(bundleFiles(join(dir, 'admin'))).material;
    agentTls = loadTls(bundleFiles(agentBundle)).material;

    const other = join(ROOT, 'other-ca');
    createCa(other, 'other');
    issueBundle(other, join(ROOT, 'foreign'), {
      name: 'oracle-2',
      roles: ['oracle', 'agent', 'admin'],
      sans: ['127.0.0.1'],
    });
    foreign = loadTls(bundleFiles(join(ROOT, 'foreign'))).material;
    // A self-signed certificate: the other CA's own certificate and key, presented as a client.
    const caPem = readFileSync(join(other, 'ca.crt'));
    selfSigned = {
      ca: admin.ca,
      cert: caPem,
      key: readFileSync(join(other, 'ca.key')),
      roles: [],
      name: 'self',
    };

    // The same configs an operator runs (`mpcid oracle --config DIR/oracle-N/config.json`).
    cluster = await TestCluster.create({ n: 3, t: 2, dir, ready: TEST_READY });
    await Promise.all(cluster.oracles.map((o) => o.start()));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('init writes a CA, per-node certificates with their names, keys 0600; OpenSSL verifies them', () => {
    const ca = join(dir, 'ca', 'ca.crt');
    expect(mode(join(dir, 'ca', 'ca.key'))).toBe(0o600);
    expect(new X509Certificate(readFileSync(ca)).ca).toBe(true);
    const leaves = [1, 2, 3].map((i) => join(dir, `oracle-${i}`, 'tls'));
    for (const b of [...leaves, join(dir, 'admin'), agentBundle]) {
      expect(mode(join(b, 'tls.key')), b).toBe(0o600);
      expect(opensslVerify(ca, join(b, 'tls.crt'))).toContain(': OK');
      // The bundle's CA is the cluster CA.
      expect(readFileSync(join(b, 'ca.crt'))).toEqual(readFileSync(ca));
    }
    for (const [i, b] of leaves.entries()) {
      const cert = new X509Certificate(readFileSync(join(b, 'tls.crt')));
      expect(cert.subject).toContain('OU=oracle');
      expect(cert.subject).toContain(`CN=oracle-${i + 1}`);
      expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
      expect(cert.subjectAltName).toContain('DNS:localhost');
      expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
      const pub = cert.publicKey.asymmetricKeyDetails;
      expect(cert.publicKey.asymmetricKeyType).toBe('ec');
      expect(pub?.namedCurve).toBe('prime256v1');
    }
    // OpenSSL with the purpose checks too: every node certificate is a TLS server and client.
    for (const b of leaves) {
      for (const purpose of ['sslserver', 'sslclient']) {
        const out = execFileSync(
          'openssl',
          ['verify', '-purpose', purpose, '-CAfile', ca, join(b, 'tls.crt')],
          { encoding: 'utf8' },
        );
        expect(out).toContain(': OK');
      }
    }
    // A certificate from another CA does not verify against this one.
    expect(() => opensslVerify(ca, join(ROOT, 'foreign', 'tls.crt'))).toThrow();
    const agentCert = new X509Certificate(readFileSync(join(agentBundle, 'tls.crt')));
    expect(agentCert.subject).toContain('OU=agent');
    expect(agentCert.subjectAltName).toContain('URI:spiffe://tls.test/ns/prod/sa/api');
  });

  it('config check and the oracle logs say mTLS; the configs name the tls files', async () => {
    const r = await mpcid(['config', 'check', join(dir, 'oracle-1', 'config.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('mTLS');
    const raw = JSON.parse(readFileSync(join(dir, 'oracle-1', 'config.json'), 'utf8')) as { tls: unknown };
    expect(raw.tls).toEqual({ ca: 'tls/ca.crt', cert: 'tls/tls.crt', key: 'tls/tls.key' });
    for (const o of cluster.oracles) {
      const log = readFileSync(o.logFile, 'utf8');
      expect(log).toContain('"tls":"mtls"');
      expect(log).not.toContain('TLS IS OFF');
      expect(log).not.toContain('PRIVATE KEY');
    }
  });

  it('enrolls with the agent bundle, signs and fetches a JWT through the agent', async () => {
    const token = await cluster.createToken('spiffe://tls.test/ns/prod/sa/api');
    stateDir = join(ROOT, 'agent-state');
    const r = await mpcid(['agent', 'enroll', '--token', token, '--state', stateDir, '--tls', agentBundle], {
      env: NO_CHOICE,
    });
    expect(r.code, r.stderr).toBe(0);
    kid = (JSON.parse(r.stdout) as { kid: string }).kid;
    // The bundle was copied into the state dir, key 0600; `agent run` uses it with no TLS flag.
    expect(mode(join(stateDir, 'tls', 'tls.key'))).toBe(0o600);
    agent = await cluster.startAgent(stateDir, join(ROOT, 'agent.sock'));
    const msg = randomBytes(100);
    const res = await agent.sign(msg);
    expect(res.kid).toBe(kid);
    expect(nodeVerify(res.signature, msg, res.publicKey)).toBe(true);

    const jwt = await call(
      agent.workload,
      agent.workload.FetchJWT,
      { audience: ['https://rp.tls'], alg: 'EdDSA' },
      20_000,
    );
    const v = await mpcid([
      'verify',
      '--token',
      jwt.token,
      // `mpcid init` serves HTTPS on the relying-party port by default, with the cluster CA.
      ...cluster.oracles.flatMap((o) => ['--oracle', `https://${o.config.http!.listen}`]),
      '--ca',
      join(dir, 'ca', 'ca.crt'),
      '--audience',
      'https://rp.tls',
    ]);
    expect(v.stdout, v.stderr).toMatch(/^valid: sub=spiffe:\/\/tls\.test\/ns\/prod\/sa\/api kid=/);
  });

  it('agent run uses the bundle enroll copied into the state dir (no --tls, no --insecure)', async () => {
    await agent.kill('SIGTERM');
    const sock = join(ROOT, 'plain-run.sock');
    const p = spawn(process.execPath, [CLI, 'agent', 'run', '--state', stateDir, '--socket', sock], {
      env: NO_CHOICE,
      stdio: 'ignore',
    });
    const wl = workloadClient(sock);
    try {
      await waitUntil('agent without TLS flags', () => call(wl, wl.GetIdentity, {}, 1000), p);
      // The oracles refuse anything but mTLS with an agent certificate, so a signature proves it.
      const msg = Buffer.from('signed with the state dir bundle');
      const res = await call(wl, wl.Sign, { message: msg }, 20_000);
      expect(nodeVerify(res.signature, msg, res.publicKey)).toBe(true);
    } finally {
      wl.close();
      await new Promise((r) => {
        p.once('exit', r);
        p.kill('SIGTERM');
      });
    }
    await agent.start();
  });

  it('a clone is caught over mTLS: revoked on every oracle (revocations travel between peers over mTLS)', async () => {
    const cloneDir = join(ROOT, 'clone-state');
    copyStateDir(stateDir, cloneDir);
    await agent.sign(Buffer.from('original moves on'));
    const clone = await cluster.startAgent(cloneDir, join(ROOT, 'clone.sock'));
    const err = await failure(clone.sign(Buffer.from('clone signs')));
    expect(['FORK_DETECTED', 'IDENTITY_REVOKED']).toContain(errorCodeOf(err) ?? String(err.details));
    await waitStatus(cluster.oracles, kid, 'revoked', 15_000);
    await clone.kill();
  });

  const refused: [string, () => grpc.ChannelCredentials][] = [
    ['plaintext', () => grpc.credentials.createInsecure()],
    ['TLS without a client certificate', () => grpc.credentials.createSsl(admin.ca)],
    ['a self-signed client certificate', () => creds(selfSigned)],
    ['a certificate from another CA', () => creds({ ...foreign, ca: admin.ca })],
  ];

  it.each(refused)(
    '%s is refused on both gRPC ports (UNAVAILABLE), and the oracle keeps running',
    async (_l, mk) => {
      const o = cluster.oracles[0]!;
      for (const address of [o.config.listen, o.config.adminListen]) {
        const c = adminWith(address, mk());
        const err = await failure(call(c, c.GetNodeInfo, {}, 3000));
        expect(err.code, `${address}: ${err.details}`).toBe(grpc.status.UNAVAILABLE);
        c.close();
        const h = healthClient(address, mk());
        const herr = await failure(checkHealth(h, '', 3000));
        expect(herr.code).toBe(grpc.status.UNAVAILABLE);
        h.close();
      }
      expect(o.running).toBe(true);
      const ok = adminWith(o.config.adminListen, creds(admin));
      expect((await call(ok, ok.GetNodeInfo, {}, 3000)).nodeId).toBe(1);
      ok.close();
    },
  );

  it('a client pinned to the cluster CA refuses a server with a certificate from another CA', async () => {
    // The foreign bundle's certificate names 127.0.0.1, but its CA is not the cluster's.
    const fake = new grpc.Server();
    const port = await new Promise<number>((res, rej) =>
      fake.bindAsync(
        '127.0.0.1:0',
        grpc.ServerCredentials.createSsl(
          foreign.ca,
          [{ cert_chain: foreign.cert, private_key: foreign.key }],
          false,
        ),
        (e, p) => (e ? rej(e) : res(p)),
      ),
    );
    try {
      const c = adminWith(`127.0.0.1:${port}`, creds(admin));
      const err = await failure(call(c, c.GetNodeInfo, {}, 3000));
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      c.close();
    } finally {
      fake.forceShutdown();
    }
  });

  it('roles: an agent certificate cannot use the admin API, an operator certificate cannot act as a peer', async () => {
    const o = cluster.oracles[1]!;
    const a = adminWith(o.config.adminListen, creds(agentTls));
    const err = await failure(
      call(a, a.CreateJoinToken, { name: 'spiffe://tls.test/stolen', ttlSeconds: 60 }, 3000),
    );
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(errorCodeOf(err)).toBe('ROLE_NOT_ALLOWED');
    a.close();
    const p = peerWith(o.config.listen, creds(admin));
    const perr = await failure(call(p, p.ListRevocations, { pageToken: '', pageSize: 10 }, 3000));
    expect(perr.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(errorCodeOf(perr)).toBe('ROLE_NOT_ALLOWED');
    p.close();
    // The health service answers any role.
    const h = healthClient(o.config.listen, creds(agentTls));
    expect(await checkHealth(h, '', 3000)).toBe('SERVING');
    h.close();
  });

  it('an oracle peer with a foreign certificate cannot push revocations', async () => {
    const o = cluster.oracles[2]!;
    const p = peerWith(o.config.listen, creds({ ...foreign, ca: admin.ca }));
    const err = await failure(call(p, p.PushRevocation, { revocation: { reason: 'forged' } }, 3000));
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    p.close();
    // A genuine peer certificate (role oracle from the cluster CA) gets through to the handler.
    const peerTls = loadTls(bundleFiles(join(dir, 'oracle-1', 'tls'))).material;
    const ok = peerWith(o.config.listen, creds(peerTls));
    const list = await call(ok, ok.ListRevocations, { pageToken: '', pageSize: 10 }, 3000);
    expect(list.revocations.map((r) => r.evidence?.identityId)).toEqual([kid]);
    ok.close();
    expect(o.running).toBe(true);
  });

  it('the admin CLI needs --tls (or --insecure); with the operator bundle it works', async () => {
    const address = cluster.oracles[0]!.config.adminListen;
    const none = await mpcid(['identities', 'list', '--admin', address], { env: NO_CHOICE });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^mpcid: CONFIG_INVALID: no TLS material: pass --tls DIR/);
    const plain = await mpcid(['identities', 'list', '--admin', address, '--insecure'], { env: NO_CHOICE });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('PEER_UNAVAILABLE');
    const ok = await mpcid(['identities', 'list', '--admin', address, '--tls', join(dir, 'admin')], {
      env: NO_CHOICE,
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(kid);
    // The agent's bundle has no admin role.
    const wrong = await mpcid(['identities', 'list', '--admin', address, '--tls', agentBundle], {
      env: NO_CHOICE,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('ROLE_NOT_ALLOWED');
  });
});

describe('TLS configuration errors are clear', { tags: ['slow'] }, () => {
  const dir = join(ROOT, 'errors');
  let raw: Record<string, unknown>;
  beforeAll(async () => {
    const r = await mpcid(['init', '--dir', dir, '--oracles', '3', '--quorum', '2']);
    expect(r.code, r.stderr).toBe(0);
    raw = JSON.parse(readFileSync(join(dir, 'oracle-1', 'config.json'), 'utf8')) as Record<string, unknown>;
    createCa(join(dir, 'other-ca'), 'other');
    issueBundle(join(dir, 'other-ca'), join(dir, 'foreign'), { name: 'oracle-1', roles: ['oracle'] });
    issueBundle(join(dir, 'ca'), join(dir, 'agent'), { name: 'agent', roles: ['agent'] });
  });

  async function check(tls: unknown, cmd: 'config' | 'oracle' = 'config') {
    const f = join(dir, 'oracle-1', `variant-${randomBytes(4).toString('hex')}.json`);
    const { tls: _old, ...rest } = raw;
    writeFileSync(f, JSON.stringify(tls === undefined ? rest : { ...rest, tls }));
    return cmd === 'config' ? mpcid(['config', 'check', f]) : mpcid(['oracle', '--config', f]);
  }

  it.each([
    ['no tls section', undefined, /tls: required/],
    ['a missing field', { ca: 'tls/ca.crt', cert: 'tls/tls.crt' }, /tls\.key: required/],
    ['insecure with files', { insecure: true, ca: 'tls/ca.crt' }, /tls\.ca: not allowed with insecure: true/],
    ['an unknown field', { ca: 'a', cert: 'b', key: 'c', verify: false }, /tls: Unrecognized key/],
    [
      'a missing file',
      { ca: 'tls/ca.crt', cert: 'tls/nope.crt', key: 'tls/tls.key' },
      /tls\.cert: cannot read .*nope\.crt: ENOENT/,
    ],
    [
      'a key that is not PEM',
      { ca: 'tls/ca.crt', cert: 'tls/tls.crt', key: 'config.json' },
      /tls\.key: .* is not a PEM private key/,
    ],
    [
      'the key of another certificate',
      { ca: 'tls/ca.crt', cert: 'tls/tls.crt', key: '../admin/tls.key' },
      /tls\.key: .* is not the key of/,
    ],
    [
      'a certificate from another CA',
      { ca: 'tls/ca.crt', cert: '../foreign/tls.crt', key: '../foreign/tls.key' },
      /tls\.cert: .* is not signed by the CA/,
    ],
    [
      'a CA that is not a CA',
      { ca: 'tls/tls.crt', cert: 'tls/tls.crt', key: 'tls/tls.key' },
      /tls\.ca: .* is not a CA certificate/,
    ],
    [
      'an agent certificate',
      { ca: 'tls/ca.crt', cert: '../agent/tls.crt', key: '../agent/tls.key' },
      /needs a certificate with role oracle/,
    ],
  ])('config check: %s', async (_l, tls, message) => {
    const r = await check(tls);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mpcid: CONFIG_INVALID: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('PRIVATE KEY');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('mpcid oracle with a bad TLS file exits 1 with the same error, before listening', async () => {
    const r = await check(
      { ca: 'tls/ca.crt', cert: '../foreign/tls.crt', key: '../foreign/tls.key' },
      'oracle',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CONFIG_INVALID: tls\.cert: .* is not signed by the CA/);
  });

  it('bad cert issue input is refused without writing', async () => {
    const issue = (ca: string, out: string, ...more: string[]) =>
      mpcid(['cert', 'issue', '--ca', join(dir, ca), '--name', 'x', '--out', join(dir, out), ...more]);
    const a = await issue('ca', 'o1', '--role', 'root');
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--role');
    const b = await issue('nope', 'o2');
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/CONFIG_INVALID: cannot read CA certificate/);
    const c = await issue('ca', 'o3', '--san', 'bad name');
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('CONFIG_INVALID');
  });
});

describe('plaintext only when asked for, with a loud warning', { tags: ['slow'] }, () => {
  it('init --insecure writes tls.insecure, and the oracle warns when it starts', async () => {
    const dir = join(ROOT, 'insecure');
    const r = await mpcid(['init', '--dir', dir, '--oracles', '1', '--quorum', '1', '--insecure']);
    expect(r.code, r.stderr).toBe(0);
    const file = join(dir, 'oracle-1', 'config.json');
    expect((JSON.parse(readFileSync(file, 'utf8')) as { tls: unknown }).tls).toEqual({ insecure: true });
    const check = await mpcid(['config', 'check', file]);
    expect(check.stdout).toContain('TLS OFF (insecure)');
    const p = spawn(
      process.execPath,
      [join(import.meta.dirname, '../../dist/cli/main.js'), 'oracle', '--config', file],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      await waitUntil(
        'insecure oracle',
        async () => {
          if (!out.includes('oracle listening')) throw new Error('not yet');
        },
        p,
      );
      expect(out).toContain('TLS IS OFF (tls.insecure: true)');
      expect(out).toContain('"tls":"insecure"');
    } finally {
      p.kill('SIGTERM');
    }
  });
});
