/**
 * `mpcid init` (alias `mpcid cluster init`): creates node keys, key-encryption keys (`oracle-N/kek`, 0600), the cluster CA with one
 * certificate per oracle and an operator (admin) bundle, and one config file per oracle, all
 * sharing one cluster description. `mpcid dev up` and docker-compose use it, so their configs
 * have the same shape as an operator's.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { join } from 'node:path';
import { toB64u } from '../crypto/bytes.js';
import {
  type ClusterConfig,
  es256QuorumProblem,
  type OracleConfig,
  OracleConfigSchema,
  parseOracleConfig,
} from './config.js';
import { MpcidError } from './errors.js';
import { writeFileDurable } from './fsutil.js';
import { writeKekFile } from './kek.js';
import { writeNodeKey } from './keys.js';
import { BUNDLE_FILES, CA_FILES, checkIssueOptions, createCa, issueBundle } from './tls.js';

/** File name of each oracle's key-encryption key in its directory (`kek.file` in its config). */
export const KEK_FILE = 'kek';

export interface ClusterInitOptions {
  dir: string;
  n: number;
  t: number;
  clusterId?: string;
  /** Host name agents use to reach oracle i (index i-1). */
  hosts: string[];
  /** Address each oracle binds (e.g. 0.0.0.0 in containers); defaults to its host. */
  listenHost?: string;
  /** Agent-facing port of oracle i (index i-1). */
  ports: number[];
  /** Admin port of oracle i (index i-1). */
  adminPorts: number[];
  /** Relying-party HTTP port of oracle i (index i-1); no HTTP when absent. */
  httpPorts?: number[];
  /**
   * mTLS (the default): a CA in `caDir` (default DIR/ca; reused if it already holds ca.crt and
   * ca.key), a certificate per oracle in DIR/oracle-N/tls with `sans` added to each node's own
   * names, and an operator bundle (role admin) in DIR/admin. 'insecure' writes plaintext configs.
   */
  tls?: { caDir?: string; sans?: string[]; days?: number } | 'insecure';
  /**
   * HTTPS on the relying-party port with each oracle's own certificate (DIR/oracle-N/tls; needs
   * TLS): relying parties verify with `--ca` the cluster CA. The issuer becomes https://.
   */
  httpTls?: boolean;
}

export interface InitializedCluster {
  cluster: ClusterConfig;
  configFiles: string[];
  configs: OracleConfig[];
  /** The CA directory and the operator's TLS bundle; absent for a plaintext cluster. */
  tls?: { caDir: string; adminDir: string };
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

/** The names a node's certificate covers: its host, its listen host unless a wildcard, and loopback. */
export function nodeSans(
  host: string,
  listenHost: string | undefined,
  extra: readonly string[] = [],
): string[] {
  const sans = [host, ...(listenHost && !WILDCARD.has(listenHost) ? [listenHost] : []), ...extra];
  sans.push('localhost', '127.0.0.1', '::1');
  return [
    ...new Set(sans.map((h) => (isIP(h.replace(/^\[(.*)\]$/, '$1')) ? h.replace(/^\[(.*)\]$/, '$1') : h))),
  ];
}

export function oracleDir(dir: string, id: number): string {
  return join(dir, `oracle-${id}`);
}

export function initCluster(o: ClusterInitOptions): InitializedCluster {
  const ids = Array.from({ length: o.n }, (_, i) => i + 1);
  // Before anything is written (the schema checks it again below).
  const es256 = es256QuorumProblem(o.t);
  if (es256) throw new MpcidError('CONFIG_INVALID', `invalid cluster: ${es256}`);
  const tlsOpts = o.tls === 'insecure' ? undefined : (o.tls ?? {});
  if (o.httpTls && (!tlsOpts || !o.httpPorts))
    throw new MpcidError(
      'CONFIG_INVALID',
      'HTTPS on the relying-party port needs TLS certificates and HTTP ports',
    );
  // Check every name before writing anything.
  if (tlsOpts) {
    for (const host of o.hosts) {
      checkIssueOptions({ name: 'x', roles: ['oracle'], sans: nodeSans(host, o.listenHost, tlsOpts.sans) });
    }
  }
  const keys = ids.map((id) => writeNodeKey(join(oracleDir(o.dir, id), 'node.key')));
  for (const id of ids) writeKekFile(join(oracleDir(o.dir, id), KEK_FILE));
  const cluster: ClusterConfig = {
    id: o.clusterId ?? `c-${randomBytes(4).toString('hex')}`,
    n: o.n,
    t: o.t,
    oracles: ids.map((id, i) => ({
      id,
      address: `${o.hosts[i]}:${o.ports[i]}`,
      publicKey: toB64u(keys[i]!),
    })),
    // Tokens name oracle 1's HTTP endpoint as issuer; every oracle serves the same discovery and keys.
    ...(o.httpPorts ? { issuer: `${o.httpTls ? 'https' : 'http'}://${o.hosts[0]}:${o.httpPorts[0]}` } : {}),
  };
  let tls: InitializedCluster['tls'];
  if (tlsOpts) {
    const caDir = tlsOpts.caDir ?? join(o.dir, 'ca');
    if (!(existsSync(join(caDir, CA_FILES.cert)) && existsSync(join(caDir, CA_FILES.key))))
      createCa(caDir, cluster.id, tlsOpts.days === undefined ? undefined : Math.max(tlsOpts.days, 3650));
    ids.forEach((id, i) => {
      issueBundle(caDir, join(oracleDir(o.dir, id), 'tls'), {
        name: `oracle-${id}`,
        roles: ['oracle'],
        sans: nodeSans(o.hosts[i]!, o.listenHost, tlsOpts.sans),
        ...(tlsOpts.days === undefined ? {} : { days: tlsOpts.days }),
      });
    });
    const adminDir = join(o.dir, 'admin');
    issueBundle(caDir, adminDir, {
      name: 'admin',
      roles: ['admin'],
      ...(tlsOpts.days === undefined ? {} : { days: tlsOpts.days }),
    });
    tls = { caDir, adminDir };
  }
  const tlsSection = tls
    ? { ca: `tls/${BUNDLE_FILES.ca}`, cert: `tls/${BUNDLE_FILES.cert}`, key: `tls/${BUNDLE_FILES.key}` }
    : { insecure: true };
  const raw = ids.map((id, i) =>
    OracleConfigSchema.parse({
      nodeId: id,
      listen: `${o.listenHost ?? o.hosts[i]}:${o.ports[i]}`,
      adminListen: `${o.listenHost ?? o.hosts[i]}:${o.adminPorts[i]}`,
      ...(o.httpPorts
        ? {
            http: {
              listen: `${o.listenHost ?? o.hosts[i]}:${o.httpPorts[i]}`,
              ...(o.httpTls
                ? { tls: { cert: `tls/${BUNDLE_FILES.cert}`, key: `tls/${BUNDLE_FILES.key}` } }
                : {}),
            },
          }
        : {}),
      dataDir: 'data',
      nodeKeyFile: 'node.key',
      kek: { file: KEK_FILE },
      cluster,
      tls: tlsSection,
    }),
  );
  const configFiles = ids.map((id, i) => {
    const file = join(oracleDir(o.dir, id), 'config.json');
    writeFileDurable(file, `${JSON.stringify(raw[i], null, 2)}\n`, 0o644);
    return file;
  });
  writeFileDurable(join(o.dir, 'cluster.json'), `${JSON.stringify(cluster, null, 2)}\n`, 0o644);
  return {
    cluster,
    configFiles,
    configs: raw.map((c, i) => parseOracleConfig(c, oracleDir(o.dir, i + 1))),
    ...(tls ? { tls } : {}),
  };
}

/**
 * Linux's default ephemeral range is 32768-60999: the kernel hands those ports to outgoing
 * connections, so a port picked there and released can be taken by any client socket (gRPC, HTTP)
 * before the oracle binds it. Ports for listeners are picked below it.
 */
const LISTEN_PORTS = { lo: 20_000, hi: 32_000 } as const;

/**
 * The listener port range: LISTEN_PORTS, or MPCID_PORT_RANGE ("lo-hi", inside it) when several
 * local clusters start side by side and must never pick the same ports (the test suites give
 * each parallel worker its own range: test/helpers/ports.ts).
 */
function listenRange(): { lo: number; hi: number } {
  const m = /^(\d+)-(\d+)$/.exec(process.env['MPCID_PORT_RANGE'] ?? '');
  if (!m) return LISTEN_PORTS;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < LISTEN_PORTS.lo || hi > LISTEN_PORTS.hi || hi - lo < 100)
    throw new Error(
      `MPCID_PORT_RANGE ${m[0]}: must be at least 100 ports inside ${LISTEN_PORTS.lo}-${LISTEN_PORTS.hi}`,
    );
  return { lo, hi };
}

/** Whether `port` can be bound on `host` now (the probe is closed again before returning). */
function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * `count` distinct TCP ports on `host` that are free now, chosen at random below the ephemeral
 * range (LISTEN_PORTS), so only another listener can take one before it is bound. They are
 * released before use.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const { lo, hi } = listenRange();
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 100 * count) throw new Error(`no ${count} free ports on ${host} in ${lo}-${hi}`);
    const port = lo + randomInt(hi - lo);
    if (!ports.includes(port) && (await canListen(port, host))) ports.push(port);
  }
  return ports;
}
