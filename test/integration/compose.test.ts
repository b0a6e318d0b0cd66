/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so this suite checks
 * they agree with each other and with the CLI: it runs the `mpcid init` and `mpcid cert issue`
 * arguments taken from the compose file with the built CLI, validates every generated config with
 * the real schema and its TLS files with the oracle's own checks (and OpenSSL), and checks the
 * addresses, ports, paths, volumes and health checks every service relies on.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  clusterIssuer,
  loadOracleConfig,
  type OracleConfig,
  OracleConfigSchema,
} from '../../common/config.js';
import { bundleFiles, loadTls } from '../../common/tls.js';
import { mpcid } from '../helpers/cluster.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Service {
  entrypoint?: string | string[];
  command?: string | string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  expose?: (string | number)[];
  ports?: (string | number)[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** docker compose accepts YAML merge keys (`<<: *anchor`), so the parser must too. */
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const services = compose.services;
const ORACLE_SERVICE = /^oracle-(\d+)$/;
const oracleServices = Object.keys(services ?? {})
  .filter((s) => ORACLE_SERVICE.test(s))
  .sort();

function text(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(' ') : (v ?? '');
}
function argv(v: string | string[] | undefined): string[] {
  return Array.isArray(v) ? v : (v ?? '').trim().split(/\s+/);
}
/** The full shell/argument text a service runs: entrypoint and command. */
function script(name: string): string {
  const s = services[name]!;
  return `${text(s.entrypoint)} ${text(s.command)}`;
}
/** Named-volume mounts of a service as target -> volume name (short and long syntax). */
function mounts(name: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const v of services[name]!.volumes ?? []) {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      if (source && target) m.set(target, source);
    } else if (v.source && v.target) m.set(v.target, v.source);
  }
  return m;
}
/** The arguments of the first `mpcid SUBCOMMAND ...` in a shell script (up to ; & | or newline). */
function mpcidArgs(sh: string, sub: string): string[] {
  const m = new RegExp(`\\bmpcid ${sub}\\b([^\\n;&|)]*)`).exec(sh);
  if (!m) throw new Error(`no "mpcid ${sub}" in: ${sh}`);
  return m[1]!
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => a.replace(/^(["'])(.*)\1$/, '$2'));
}
/** The arguments of every `mpcid SUBCOMMAND ...` in a shell script. */
function allMpcidArgs(sh: string, sub: string): string[][] {
  return [...sh.matchAll(new RegExp(`\\bmpcid ${sub}\\b([^\\n;&|)]*)`, 'g'))].map((m) =>
    m[1]!
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((a) => a.replace(/^(["'])(.*)\1$/, '$2')),
  );
}
function flag(args: string[], name: string): string {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= args.length) throw new Error(`--${name} missing in: ${args.join(' ')}`);
  return args[i + 1]!;
}
function dependsOn(name: string): string[] {
  const d = services[name]!.depends_on ?? [];
  return Array.isArray(d) ? d : Object.keys(d);
}
function hostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

describe('docker-compose.yml', { tags: ['slow'] }, () => {
  const initArgs = mpcidArgs(script('init'), 'init');
  const clusterDir = flag(initArgs, 'dir');
  const caDir = flag(initArgs, 'ca-dir');
  const issues = allMpcidArgs(script('init'), 'cert issue');
  let tmp: string;
  /** Stand-ins for the `ca` and `client-tls` volumes. */
  let tmpCa: string;
  let tmpClients: string;
  /** Volume path (e.g. /client-tls/agent) -> its stand-in on this machine. */
  function local(p: string): string {
    if (p === caDir || p.startsWith(`${caDir}/`)) return join(tmpCa, posix.relative(caDir, p));
    if (p.startsWith('/client-tls/')) return join(tmpClients, posix.relative('/client-tls', p));
    return inTmp(p);
  }
  /** Oracle service name -> its generated config, loaded from the temp dir standing in for /cluster. */
  const configs = new Map<string, OracleConfig>();
  /** Oracle service name -> the raw JSON file (before path resolution and defaults). */
  const rawConfigs = new Map<string, unknown>();

  /** A path inside the cluster volume, mapped into the temp dir. */
  function inTmp(p: string): string {
    expect(p.startsWith(`${clusterDir}/`), `${p} is not under ${clusterDir}`).toBe(true);
    return join(tmp, posix.relative(clusterDir, p));
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'mpcid-compose-'));
    tmpCa = mkdtempSync(join(tmpdir(), 'mpcid-compose-ca-'));
    tmpClients = mkdtempSync(join(tmpdir(), 'mpcid-compose-clients-'));
    const args = [...initArgs];
    args[args.indexOf('--dir') + 1] = tmp;
    args[args.indexOf('--ca-dir') + 1] = tmpCa;
    const r = await mpcid(['init', ...args]);
    if (r.code !== 0) throw new Error(`mpcid init ${args.join(' ')} failed: ${r.stderr}`);
    for (const issue of issues) {
      const a = [...issue];
      a[a.indexOf('--ca') + 1] = local(flag(issue, 'ca'));
      a[a.indexOf('--out') + 1] = local(flag(issue, 'out'));
      const c = await mpcid(['cert', 'issue', ...a]);
      if (c.code !== 0) throw new Error(`mpcid cert issue ${a.join(' ')} failed: ${c.stderr}`);
    }
    for (const name of oracleServices) {
      const file = inTmp(flag(argv(services[name]!.command), 'config'));
      rawConfigs.set(name, JSON.parse(readFileSync(file, 'utf8')));
      configs.set(name, loadOracleConfig(file));
    }
  });
  afterAll(() => {
    for (const d of [tmp, tmpCa, tmpClients]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('has the services init, oracle-1..3 and agent, and declares its volumes', () => {
    expect(Object.keys(services).sort()).toEqual(['agent', 'init', 'oracle-1', 'oracle-2', 'oracle-3']);
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual([
      'agent-socket',
      'agent-state',
      'ca',
      'client-tls',
      'cluster',
    ]);
  });

  it('init makes the cluster CA in the ca volume, which only init mounts (no oracle holds the CA key)', () => {
    expect(initArgs).not.toContain('--insecure');
    expect(mounts('init').get(caDir)).toBe('ca');
    for (const s of Object.keys(services).filter((s) => s !== 'init')) {
      expect([...mounts(s).values()], s).not.toContain('ca');
    }
    expect(new X509Certificate(readFileSync(join(tmpCa, 'ca.crt'))).ca).toBe(true);
    // Client bundles go to client-tls, only if they are not there yet.
    expect(mounts('init').get('/client-tls')).toBe('client-tls');
    for (const issue of issues) {
      expect(flag(issue, 'ca')).toBe(caDir);
      expect(script('init')).toContain(`[ ! -f ${flag(issue, 'out')}/tls.crt ]`);
    }
  });

  it.each(oracleServices)(
    '%s serves mTLS with a certificate from the cluster CA that names its service',
    (name) => {
      const c = configs.get(name)!;
      const raw = rawConfigs.get(name) as { tls?: Record<string, unknown> };
      expect(raw.tls).toEqual({ ca: 'tls/ca.crt', cert: 'tls/tls.crt', key: 'tls/tls.key' });
      // The files are in this oracle's directory of the cluster volume, and pass the oracle's own checks.
      expect(c.tls?.cert).toBe(join(tmp, name, 'tls', 'tls.crt'));
      const t = loadTls({ ca: c.tls!.ca!, cert: c.tls!.cert!, key: c.tls!.key! }, { needRole: 'oracle' });
      expect(t.warnings).toEqual([]);
      const cert = new X509Certificate(readFileSync(c.tls!.cert!));
      expect(cert.subjectAltName).toContain(`DNS:${name}`);
      expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
      const out = execFileSync('openssl', ['verify', '-CAfile', join(tmpCa, 'ca.crt'), c.tls!.cert!], {
        encoding: 'utf8',
      });
      expect(out).toContain(': OK');
    },
  );

  it('init writes the cluster into the cluster volume, only if it is not there yet', () => {
    expect(clusterDir).toBe('/cluster');
    expect(mounts('init').get(clusterDir)).toBe('cluster');
    expect(script('init')).toContain(`sh -c`);
    expect(script('init')).toMatch(new RegExp(`\\[ -f ${clusterDir}/cluster\\.json \\]`));
    expect(flag(initArgs, 'oracles')).toBe(String(oracleServices.length));
  });

  it.each(oracleServices)('%s runs its own config from the cluster volume, after init', (name) => {
    const n = ORACLE_SERVICE.exec(name)![1];
    const cmd = argv(services[name]!.command);
    expect(cmd.slice(0, 1)).toEqual(['oracle']);
    expect(flag(cmd, 'config')).toBe(`${clusterDir}/oracle-${n}/config.json`);
    expect(mounts(name).get(clusterDir)).toBe('cluster');
    const d = services[name]!.depends_on as Record<string, { condition?: string }>;
    expect(d['init']?.condition).toBe('service_completed_successfully');
  });

  it('cluster init with the compose arguments makes one valid config per oracle service', () => {
    const cluster = JSON.parse(readFileSync(join(tmp, 'cluster.json'), 'utf8')) as {
      id: string;
      n: number;
      oracles: { id: number; address: string }[];
    };
    expect(cluster.n).toBe(oracleServices.length);
    expect(cluster.id).toBe(flag(initArgs, 'cluster-id'));
    for (const [name, c] of configs) {
      expect(OracleConfigSchema.safeParse(rawConfigs.get(name)).success).toBe(true);
      const n = Number(ORACLE_SERVICE.exec(name)![1]);
      expect(c.nodeId).toBe(n);
      expect(c.cluster).toEqual(cluster);
      // Data stays in the volume, in this oracle's own directory.
      expect(c.dataDir).toBe(join(tmp, `oracle-${n}`, 'data'));
      expect(c.nodeKeyFile).toBe(join(tmp, `oracle-${n}`, 'node.key'));
    }
  });

  it('every oracle listens on 0.0.0.0:7000 and agents reach oracle N at oracle-N:7000', () => {
    for (const [name, c] of configs) {
      expect(c.listen).toBe('0.0.0.0:7000');
      expect(hostPort(c.adminListen).host).toBe('0.0.0.0');
      const self = c.cluster.oracles.find((o) => o.id === c.nodeId)!;
      expect(self.address).toBe(`${name}:${hostPort(c.listen).port}`);
    }
    // The cluster's addresses are exactly the oracle service names (compose DNS), one each.
    const hosts = configs.get(oracleServices[0]!)!.cluster.oracles.map((o) => hostPort(o.address).host);
    expect(hosts.sort()).toEqual(oracleServices);
  });

  it('every oracle serves relying-party HTTP on 0.0.0.0:8080, its own port, and exposes it', () => {
    const httpPort = Number(flag(initArgs, 'http-port'));
    expect(httpPort).toBe(8080);
    for (const [name, c] of configs) {
      expect(c.http?.listen, name).toBe(`0.0.0.0:${httpPort}`);
      const ports = [c.listen, c.adminListen, c.http!.listen].map((a) => hostPort(a).port);
      expect(new Set(ports).size, name).toBe(3);
      expect((services[name]!.expose ?? []).map(String), name).toContain(String(httpPort));
    }
  });

  it("the tokens' issuer is oracle-1's HTTP address under its compose name, published on host loopback", () => {
    const issuer = clusterIssuer(configs.get(oracleServices[0]!)!.cluster);
    for (const c of configs.values()) expect(clusterIssuer(c.cluster)).toBe(issuer);
    // Discovery's jwks_uri is `${issuer}/.well-known/jwks.json`: no path, no trailing slash.
    expect(issuer).toMatch(/^http:\/\/[a-z0-9-]+:\d+$/);
    const u = new URL(issuer);
    expect(u.hostname).toBe('oracle-1');
    expect(oracleServices).toContain(u.hostname);
    // The issuer's host:port is where that oracle's HTTP listens, as other containers reach it.
    const served = configs.get(u.hostname)!;
    expect(Number(u.port)).toBe(hostPort(served.http!.listen).port);
    expect((services[u.hostname]!.expose ?? []).map(String)).toContain(u.port);
    // The host reaches the issuer's oracle on loopback at the same port; nobody else publishes.
    expect((services[u.hostname]!.ports ?? []).map(String)).toEqual([`127.0.0.1:${u.port}:${u.port}`]);
    const publishers = Object.keys(services).filter((s) => (services[s]!.ports ?? []).length > 0);
    expect(publishers).toEqual([u.hostname]);
  });

  it('without --http-port, cluster init derives the same HTTP port (--port + 1080)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpcid-compose-default-'));
    try {
      const args = [...initArgs];
      args[args.indexOf('--dir') + 1] = dir;
      args[args.indexOf('--ca-dir') + 1] = join(dir, 'ca');
      args.splice(args.indexOf('--http-port'), 2);
      // `cluster init`, the old name of `init`, still works.
      const r = await mpcid(['cluster', 'init', ...args]);
      expect(r.code, r.stderr).toBe(0);
      const c = loadOracleConfig(join(dir, 'oracle-1', 'config.json'));
      expect(c.http?.listen).toBe(configs.get('oracle-1')!.http!.listen);
      expect(hostPort(c.http!.listen).port).toBe(Number(flag(initArgs, 'port')) + 1080);
      expect(clusterIssuer(c.cluster)).toBe(clusterIssuer(configs.get('oracle-1')!.cluster));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("each oracle's healthcheck asks its own /readyz (store open, quorum of peers over mTLS)", () => {
    for (const [name, c] of configs) {
      const test = text(services[name]!.healthcheck?.test);
      expect(test, name).toContain(`http://127.0.0.1:${hostPort(c.http!.listen).port}/readyz`);
      // `node` is in the image; a non-2xx answer or no answer is unhealthy.
      expect(argv(services[name]!.healthcheck?.test).slice(0, 2)).toEqual(['CMD', 'node']);
      expect(test).toContain('r.ok ? 0 : 1');
    }
  });

  it('metrics: every oracle exposes its HTTP port, where /metrics is served', () => {
    for (const [name, c] of configs) {
      expect((services[name]!.expose ?? []).map(String)).toContain(String(hostPort(c.http!.listen).port));
    }
  });

  it("the agent creates its token at an oracle's admin address and enrolls once", () => {
    const sh = script('agent');
    expect(sh).toContain('sh -c');
    const admin = hostPort(flag(mpcidArgs(sh, 'token create'), 'admin'));
    expect(oracleServices).toContain(admin.host);
    // adminListen is 0.0.0.0:PORT inside the container; other containers use the service name.
    const adminListen = configs.get(admin.host)!.adminListen;
    expect(`${admin.host}:${admin.port}`).toBe(`${admin.host}:${hostPort(adminListen).port}`);
    expect(admin.port).not.toBe(hostPort(configs.get(admin.host)!.listen).port);
    expect(flag(mpcidArgs(sh, 'token create'), 'name')).toBe('spiffe://compose.mpcid.local/workload/demo');

    // mTLS: the operator bundle (role admin) for the token, the agent bundle (role agent) to enroll;
    // init issues both into client-tls, which the agent mounts read-only.
    expect(services['agent']!.volumes).toContain('client-tls:/client-tls:ro');
    const operator = flag(mpcidArgs(sh, 'token create'), 'tls');
    const agentTls = flag(mpcidArgs(sh, 'agent enroll'), 'tls');
    expect(loadTls(bundleFiles(local(operator))).material.roles).toEqual(['admin']);
    expect(loadTls(bundleFiles(local(agentTls))).material.roles).toEqual(['agent']);
    expect(readFileSync(join(local(agentTls), 'ca.crt'))).toEqual(readFileSync(join(tmpCa, 'ca.crt')));
    expect(sh).not.toContain('--insecure');

    // Enroll into the state dir the guard checks, then run from it on the shared socket.
    const enrollState = flag(mpcidArgs(sh, 'agent enroll'), 'state');
    const run = mpcidArgs(sh, 'agent run');
    expect(flag(run, 'state')).toBe(enrollState);
    expect(sh).toMatch(new RegExp(`\\[ ! -f ${enrollState}/state\\.json \\]`));
    expect(sh).toMatch(/\bexec mpcid agent run\b/);
    const m = mounts('agent');
    expect(m.get('/agent')).toBe('agent-state');
    expect(m.get('/run/mpcid')).toBe('agent-socket');
    expect(enrollState.startsWith('/agent/')).toBe(true);
    expect(posix.dirname(flag(run, 'socket'))).toBe('/run/mpcid');

    // Enrollment needs every oracle.
    expect(dependsOn('agent').sort()).toEqual(oracleServices);
  });

  it('shell scripts escape $ from compose interpolation', () => {
    for (const name of ['init', 'agent']) {
      expect(script(name).replaceAll('$$', '')).not.toContain('$');
    }
  });
});

describe('Dockerfile', { tags: ['slow'] }, () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('builds on node:20-slim with npm ci and npm run build, and runs the CLI', () => {
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "(\/app\/)?dist\/cli\/main\.js"\]$/m);
    // The compose shell scripts call `mpcid` by name.
    expect(dockerfile).toContain('/usr/local/bin/mpcid');
  });

  it('copies every source directory tsc compiles, and the protos loaded at run time', () => {
    const ts = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const copied = [...dockerfile.matchAll(/^COPY (\S+) /gm)].map((m) => m[1]);
    for (const dir of [...ts.include, 'proto', 'package.json', 'tsconfig.json']) {
      expect(copied, dir).toContain(dir);
    }
  });
});
