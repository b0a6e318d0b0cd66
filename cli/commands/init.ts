/**
 * `mpcid init` (alias `mpcid cluster init`): make a cluster: configs, node keys and (unless
 * --insecure) a CA and certificates. The relying-party port serves HTTPS with each oracle's
 * certificate by default (the issuer is https://); plain HTTP only with --http-plain, or with
 * --insecure (which makes no certificates).
 */

import { resolve } from 'node:path';
import { freePorts, initCluster } from '../../common/cluster.js';
import { int, list, opts, str, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const init: Command = {
  names: ['init', 'cluster init'],
  summary: 'make a cluster: configs, node keys and (unless --insecure) a CA and certificates',
  usage: `mpcid init --dir DIR [--oracles N] [--quorum T] [--host H | --hosts H1,H2,..]
           [--listen-host H] [--port P --admin-port Q --http-port R] [--cluster-id ID]
           [--ca-dir DIR] [--san NAME,..] [--days D] [--insecure | --http-plain]  (alias: mpcid cluster init)
  The relying-party port serves HTTPS (the oracle's certificate from the cluster CA) unless
  --http-plain or --insecure; --http-tls (the old opt-in) is accepted and is the default.`,
  async run(args) {
    const { values } = opts(args, {
      'ca-dir': 'string',
      san: 'string',
      days: 'string',
      insecure: 'boolean',
      dir: 'string',
      oracles: 'string',
      quorum: 'string',
      host: 'string',
      hosts: 'string',
      'listen-host': 'string',
      port: 'string',
      'admin-port': 'string',
      'http-port': 'string',
      'cluster-id': 'string',
      'http-tls': 'boolean',
      'http-plain': 'boolean',
    });
    const n = int(values, 'oracles', 3);
    const t = int(values, 'quorum', Math.floor(n / 2) + 1);
    const hosts =
      typeof values['hosts'] === 'string'
        ? values['hosts'].split(',')
        : Array(n).fill(values['host'] ?? '127.0.0.1');
    if (hosts.length !== n) throw new UsageError(`--hosts must list ${n} hosts`);
    let ports: number[];
    let adminPorts: number[];
    let httpPorts: number[];
    if (values['port'] !== undefined) {
      const p = int(values, 'port', 0);
      const q = int(values, 'admin-port', p + 100);
      const h = int(values, 'http-port', p + 1080);
      // Distinct hosts: the same ports on each; one host: consecutive ports.
      const distinct = new Set(hosts).size === n;
      ports = hosts.map((_, i) => (distinct ? p : p + i));
      adminPorts = hosts.map((_, i) => (distinct ? q : q + i));
      httpPorts = hosts.map((_, i) => (distinct ? h : h + i));
    } else {
      const free = await freePorts(3 * n);
      ports = free.slice(0, n);
      adminPorts = free.slice(n, 2 * n);
      httpPorts = free.slice(2 * n);
    }
    const clusterId = values['cluster-id'];
    const days = values['days'] === undefined ? undefined : int(values, 'days', 0);
    if (values['insecure'] === true && (values['ca-dir'] ?? values['san'] ?? days) !== undefined)
      throw new UsageError('--insecure makes no certificates: drop --ca-dir, --san and --days');
    if (values['insecure'] === true && values['http-tls'] === true)
      throw new UsageError('--http-tls serves HTTPS with the oracles’ certificates: drop --insecure');
    if (values['http-plain'] === true && values['http-tls'] === true)
      throw new UsageError('--http-plain and --http-tls contradict each other: give one');
    // HTTPS by default: AWS, GCP and Apache's modules refuse a plain-HTTP issuer or JWKS.
    const httpTls = values['insecure'] !== true && values['http-plain'] !== true;
    const r = initCluster({
      dir: resolve(str(values, 'dir')),
      n,
      t,
      hosts,
      ports,
      adminPorts,
      httpPorts,
      ...(typeof values['listen-host'] === 'string' ? { listenHost: values['listen-host'] } : {}),
      ...(typeof clusterId === 'string' ? { clusterId } : {}),
      httpTls,
      tls:
        values['insecure'] === true
          ? 'insecure'
          : {
              ...(typeof values['ca-dir'] === 'string' ? { caDir: resolve(values['ca-dir']) } : {}),
              sans: list(values['san']),
              ...(days === undefined ? {} : { days }),
            },
    });
    process.stdout.write(
      `${JSON.stringify({ cluster: r.cluster.id, configs: r.configFiles, ...(r.tls ? { ca: r.tls.caDir, adminTls: r.tls.adminDir } : { tls: 'insecure' }) })}\n`,
    );
  },
};
