#!/usr/bin/env node
/**
 * The mpcid command. Output meant for programs goes to stdout (one JSON line or one token);
 * logs and errors go to stderr. Exit status: 0 ok, 1 failure, 2 usage error.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent } from '../agent/daemon.js';
import { enroll, stateTlsDir } from '../agent/enroll.js';
import { ALGS, type Alg } from '../agent/state.js';
import { freePorts, initCluster } from '../common/cluster.js';
import { loadOracleConfig } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { call, fromServiceError } from '../common/grpc.js';
import { createLogger } from '../common/log.js';
import {
  bundleFiles,
  isBundle,
  issueBundle,
  ROLES,
  type Role,
  resolveClientTls,
  silenceIpServerNameWarning,
} from '../common/tls.js';
import { p256Uncompressed } from '../crypto/p256.js';
import { httpsOptions } from '../oracle/http.js';
import { oracleTls, startOracle } from '../oracle/node.js';
import { verifyToken } from '../verifier/index.js';
import {
  consoleLogin,
  getEvidence,
  listDeadLetters,
  sessionKeyFrom,
  verifyEvidenceDocument,
  watchAlerts,
} from './alerts.js';
import { adminClient, workloadClient } from './clients.js';
import { devUp } from './dev.js';

const USAGE = `usage:
  mpcid oracle --config FILE
  mpcid init --dir DIR [--oracles N] [--quorum T] [--host H | --hosts H1,H2,..]
             [--listen-host H] [--port P --admin-port Q --http-port R] [--cluster-id ID]
             [--ca-dir DIR] [--san NAME,..] [--days D] [--insecure | --http-tls]  (alias: mpcid cluster init)
  mpcid cert issue --ca DIR --name NAME --out DIR [--role agent|admin|oracle[,..]] [--san NAME,..] [--days D]
  mpcid config check FILE
  mpcid token create --admin ADDR --name NAME [--ttl SECONDS]                 [TLS]
  mpcid identities list --admin ADDR                                          [TLS]
  mpcid agent enroll (--token TOKEN | --token-file FILE) --state DIR [--algs EdDSA[,ES256]]  [TLS]
  mpcid agent run --state DIR --socket PATH [--heartbeat-ms MS] [--deadline-ms MS]  [TLS]
  mpcid sign [--alg EdDSA|ES256] --socket PATH --in FILE
  mpcid token fetch [--alg EdDSA|ES256] --socket PATH --audience AUD[,AUD] [--ttl SECONDS] [--claims JSON]
  mpcid attest [--alg EdDSA|ES256] --socket PATH --nonce NONCE [--claims JSON] [--audience AUD]
  mpcid verify --token TOKEN|- --oracle URL [--oracle URL ..] [--quorum T] [--ca FILE]
               [--insecure-http] [--allow-single-oracle] (--audience AUD | --nonce N --typ mpcid-attestation+jwt)
  mpcid alerts watch --admin ADDR [--cursor N]                                [TLS]
  mpcid alerts dead --admin ADDR                                              [TLS]
  mpcid console login --admin ADDR [--base URL]                               [TLS]
  mpcid evidence get --admin ADDR --identity ID                               [TLS]
  mpcid evidence verify FILE [--session-key B64U] [--accuser-key B64U]
  mpcid dev up [--dir DIR] [--oracles N] [--quorum T] [--tls]
[TLS]: --tls DIR (a bundle: ca.crt, tls.crt, tls.key) or $MPCID_TLS_DIR; agent run defaults to the
       bundle enroll copied into its state dir; plaintext only with --insecure (or MPCID_INSECURE=1)`;

/** The --tls / --insecure options of every command that calls an oracle. */
const TLS_OPTS = { tls: 'string', insecure: 'boolean' } as const;

class UsageError extends Error {}

/**
 * `--name VALUE` → `--name=VALUE` for every string option, so a value may start with a dash:
 * base64url identity ids, keys and nonces do one time in 64 (getopt's rule: an option that takes
 * an argument takes the next word).
 */
type OptType = 'string' | 'strings' | 'boolean';
type Values = Record<string, string | boolean | string[] | undefined>;

function joinValues(args: readonly string[], spec: Record<string, OptType>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && spec[name] !== undefined && spec[name] !== 'boolean' && i + 1 < args.length)
      out.push(`${a}=${args[++i]}`);
    else out.push(a);
  }
  return out;
}

/** Parses `args` by `spec`; a `strings` option may repeat (its value is a string[]). */
function opts(args: string[], spec: Record<string, OptType>) {
  try {
    const { values, positionals } = parseArgs({
      args: joinValues(args, spec),
      options: Object.fromEntries(
        Object.entries(spec).map(([k, type]) => [
          k,
          type === 'strings' ? { type: 'string' as const, multiple: true } : { type },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function str(v: Values, k: string): string {
  const x = v[k];
  if (typeof x !== 'string' || x === '') throw new UsageError(`--${k} is required`);
  return x;
}

function int(v: Values, k: string, dflt: number): number {
  const x = v[k];
  if (x === undefined) return dflt;
  const n = Number(x);
  if (typeof x !== 'string' || !Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${k} must be a non-negative integer`);
  return n;
}

/** `--algs`: a comma-separated subset of EdDSA,ES256 that includes EdDSA; absent, both. */
function enrollAlgs(v: Values[string]): Alg[] {
  if (v === undefined) return [...ALGS];
  const list = typeof v === 'string' ? [...new Set(v.split(',').map((a) => a.trim()))] : [];
  if (!list.every((a): a is Alg => (ALGS as readonly string[]).includes(a)) || !list.includes('EdDSA'))
    throw new UsageError('--algs must be EdDSA or EdDSA,ES256 (EdDSA is the identity key)');
  return ALGS.filter((a) => list.includes(a));
}

/** Runs `fn` with a client, maps a failed call to MpcidError (keeping the server's code), closes it. */
async function using<C extends { close(): void }, T>(
  client: C,
  what: string,
  fn: (c: C) => Promise<T>,
): Promise<T> {
  try {
    return await fn(client);
  } catch (e) {
    throw e instanceof MpcidError || e instanceof UsageError ? e : fromServiceError(e, what);
  } finally {
    client.close();
  }
}

const optional = (v: Values[string]): string => (typeof v === 'string' ? v : '');

/** `--alg`: EdDSA (default) or ES256. */
function alg(v: Values): 'EdDSA' | 'ES256' {
  const a = v['alg'];
  if (a === undefined || a === 'EdDSA') return 'EdDSA';
  if (a === 'ES256') return 'ES256';
  throw new UsageError('--alg must be EdDSA or ES256');
}

/** A comma-separated list option ([] when absent). */
function list(v: Values[string]): string[] {
  return typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

/** The TLS choice of a client command (see resolveClientTls). */
function clientTls(v: Values, stateBundle?: string) {
  const dir = v['tls'];
  if (dir === '') throw new UsageError('--tls needs a directory');
  return resolveClientTls({
    tlsDir: typeof dir === 'string' ? resolve(dir) : undefined,
    insecure: v['insecure'] === true,
    stateBundle,
  });
}

/** SIGTERM/SIGINT: a graceful stop, then exit 0 (1 if stopping failed). A second signal kills at once. */
function waitForSignal(stop: () => Promise<void>): void {
  const handler = () => {
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`mpcid: INTERNAL: stop failed: ${(e as Error)?.message ?? String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, sub, ...rest] = argv;
  const single = new Set(['oracle', 'sign', 'attest', 'verify', 'init']);
  const key = single.has(cmd ?? '') ? cmd : `${cmd} ${sub}`;
  const args = single.has(cmd ?? '') ? argv.slice(1) : rest;
  switch (key) {
    case 'oracle': {
      const { values } = opts(args, { config: 'string' });
      const config = loadOracleConfig(str(values, 'config'));
      const oracle = await startOracle(config);
      waitForSignal(() => oracle.stop());
      return;
    }
    case 'init':
    case 'cluster init': {
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
        httpTls: values['http-tls'] === true,
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
      return;
    }
    case 'cert issue': {
      const { values } = opts(args, {
        ca: 'string',
        name: 'string',
        out: 'string',
        role: 'string',
        san: 'string',
        days: 'string',
      });
      const roles = values['role'] === undefined ? ['agent'] : list(values['role']);
      const bad = roles.find((r) => !(ROLES as readonly string[]).includes(r));
      if (bad !== undefined || roles.length === 0)
        throw new UsageError(`--role: one or more of ${ROLES.join(', ')}${bad ? ` (not ${bad})` : ''}`);
      const name = str(values, 'name');
      // A URI name (an agent's SPIFFE ID) is also its URI SAN.
      const sans = [...(/^[a-z][a-z0-9+.-]*:\/\//i.test(name) ? [name] : []), ...list(values['san'])];
      const files = issueBundle(resolve(str(values, 'ca')), resolve(str(values, 'out')), {
        name,
        roles: roles as Role[],
        sans,
        ...(values['days'] === undefined ? {} : { days: int(values, 'days', 0) }),
      });
      process.stdout.write(`${JSON.stringify({ ...files, roles })}\n`);
      return;
    }
    case 'config check': {
      const { positionals } = opts(args, {});
      if (positionals.length !== 1) throw new UsageError('config check takes one FILE');
      const c = loadOracleConfig(positionals[0]!);
      const tls = oracleTls(c);
      if (c.http?.tls) httpsOptions(c.http.tls);
      process.stdout.write(
        `ok: oracle ${c.nodeId} of cluster ${c.cluster.id} (n=${c.cluster.n}, t=${c.cluster.t}), ${tls ? 'mTLS' : 'TLS OFF (insecure)'}${c.http?.tls ? ', relying-party HTTPS' : ''}\n`,
      );
      return;
    }
    case 'token create': {
      const { values } = opts(args, { admin: 'string', name: 'string', ttl: 'string', ...TLS_OPTS });
      const address = str(values, 'admin');
      str(values, 'name');
      await using(adminClient(address, clientTls(values).tls), 'token create', async (admin) => {
        const req = { name: str(values, 'name'), ttlSeconds: int(values, 'ttl', 0) };
        const res = await call(admin, admin.CreateJoinToken, req, 10_000);
        process.stdout.write(`${res.token}\n`);
      });
      return;
    }
    case 'identities list': {
      const { values } = opts(args, { admin: 'string', ...TLS_OPTS });
      const address = str(values, 'admin');
      await using(adminClient(address, clientTls(values).tls), 'identities list', async (admin) => {
        let pageToken = '';
        do {
          const res = await call(admin, admin.ListIdentities, { pageSize: 100, pageToken }, 10_000);
          for (const i of res.identities) {
            process.stdout.write(
              `${JSON.stringify({ ...i, publicKey: i.publicKey.toString('base64url') })}\n`,
            );
          }
          pageToken = res.nextPageToken;
        } while (pageToken);
      });
      return;
    }
    case 'agent enroll': {
      const { values } = opts(args, {
        token: 'string',
        'token-file': 'string',
        state: 'string',
        algs: 'string',
        ...TLS_OPTS,
      });
      const algs = enrollAlgs(values['algs']);
      const token =
        typeof values['token-file'] === 'string'
          ? readFileSync(values['token-file'], 'utf8').trim()
          : str(values, 'token');
      const stateDir = resolve(str(values, 'state'));
      const log = createLogger('agent');
      const { tls, dir } = clientTls(values);
      if (!tls) {
        log.warn(
          { tls: 'insecure' },
          'TLS IS OFF (--insecure): enrolling over plaintext; anyone on the network can read the join token. Use only for local development.',
        );
      }
      const state = await enroll({
        token,
        stateDir,
        log,
        tls: tls && dir ? { files: bundleFiles(dir), material: tls } : null,
        algs,
      });
      const es256 = state.es256
        ? {
            es256: {
              kid: state.es256.kid,
              publicKey: Buffer.from(p256Uncompressed(state.es256.publicKey)).toString('base64url'),
            },
          }
        : {};
      process.stdout.write(
        `${JSON.stringify({ name: state.name, kid: state.identityId, alg: 'EdDSA', publicKey: Buffer.from(state.group.groupPublicKey).toString('base64url'), ...es256 })}\n`,
      );
      return;
    }
    case 'agent run': {
      const { values } = opts(args, {
        state: 'string',
        socket: 'string',
        'heartbeat-ms': 'string',
        'deadline-ms': 'string',
        ...TLS_OPTS,
      });
      const stateDir = resolve(str(values, 'state'));
      const deadlineMs = int(values, 'deadline-ms', 3_000);
      if (deadlineMs < 100) throw new UsageError('--deadline-ms must be at least 100');
      const socket = str(values, 'socket');
      const saved = stateTlsDir(stateDir);
      const { tls } = clientTls(values, isBundle(saved) ? saved : undefined);
      const agent = await startAgent({
        stateDir,
        tls,
        socket: resolve(socket),
        heartbeatMs: int(values, 'heartbeat-ms', 15_000),
        deadlineMs,
        log: createLogger('agent'),
      });
      waitForSignal(() => agent.stop());
      return;
    }
    case 'token fetch': {
      const { values } = opts(args, {
        socket: 'string',
        audience: 'string',
        ttl: 'string',
        claims: 'string',
        alg: 'string',
      });
      await using(workloadClient(resolve(str(values, 'socket'))), 'token fetch', async (wl) => {
        const req = {
          audience: str(values, 'audience').split(','),
          ttlSeconds: int(values, 'ttl', 0),
          extraClaimsJson: optional(values['claims']),
          alg: alg(values),
        };
        process.stdout.write(`${(await call(wl, wl.FetchJWT, req, 30_000)).token}\n`);
      });
      return;
    }
    case 'attest': {
      const { values } = opts(args, {
        socket: 'string',
        nonce: 'string',
        claims: 'string',
        audience: 'string',
        ttl: 'string',
        alg: 'string',
      });
      await using(workloadClient(resolve(str(values, 'socket'))), 'attest', async (wl) => {
        const req = {
          nonce: str(values, 'nonce'),
          claimsJson: optional(values['claims']),
          audience: optional(values['audience']).split(',').filter(Boolean),
          ttlSeconds: int(values, 'ttl', 0),
          alg: alg(values),
        };
        process.stdout.write(`${(await call(wl, wl.Attest, req, 30_000)).token}\n`);
      });
      return;
    }
    case 'verify': {
      const { values } = opts(args, {
        token: 'string',
        audience: 'string',
        oracle: 'strings',
        quorum: 'string',
        ca: 'string',
        'insecure-http': 'boolean',
        'allow-single-oracle': 'boolean',
        nonce: 'string',
        typ: 'string',
      });
      const tokenArg = str(values, 'token');
      const oracles = ((values['oracle'] as string[] | undefined) ?? []).flatMap((o) => list(o));
      if (oracles.length === 0)
        throw new UsageError('--oracle is required (once per oracle, or a comma list)');
      let ca: Buffer | undefined;
      if (typeof values['ca'] === 'string') {
        try {
          ca = readFileSync(values['ca']);
        } catch (e) {
          throw new UsageError(
            `--ca: cannot read ${values['ca']} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
          );
        }
      }
      const token = tokenArg === '-' ? readFileSync(0, 'utf8').trim() : tokenArg;
      const r = await verifyToken(token, {
        oracles,
        ...(values['quorum'] === undefined ? {} : { quorum: int(values, 'quorum', 0) }),
        ...(ca ? { ca } : {}),
        allowInsecureHttp: values['insecure-http'] === true,
        allowSingleOracle: values['allow-single-oracle'] === true,
        ...(typeof values['audience'] === 'string' ? { audience: values['audience'] } : {}),
        ...(typeof values['nonce'] === 'string' ? { nonce: values['nonce'] } : {}),
        ...(typeof values['typ'] === 'string' ? { typ: values['typ'] } : {}),
      });
      if (r.ok) {
        process.stdout.write(`valid: sub=${String(r.claims.sub)} kid=${r.kid} exp=${String(r.claims.exp)}\n`);
        return;
      }
      process.stdout.write(`invalid: ${r.code}: ${r.reason}\n`);
      process.exitCode = 1;
      return;
    }
    case 'sign': {
      const { values } = opts(args, { socket: 'string', in: 'string', alg: 'string' });
      const input = str(values, 'in');
      const a = alg(values);
      const message = input === '-' ? readFileSync(0) : readFileSync(input);
      await using(workloadClient(resolve(str(values, 'socket'))), 'sign', async (wl) => {
        const res = await call(wl, wl.Sign, { message, alg: a }, 30_000);
        const out = {
          alg: res.alg,
          kid: res.kid,
          publicKey: res.publicKey.toString('base64url'),
          signature: res.signature.toString('base64url'),
        };
        process.stdout.write(`${JSON.stringify(out)}\n`);
      });
      return;
    }
    case 'alerts watch': {
      const { values } = opts(args, { admin: 'string', cursor: 'string', ...TLS_OPTS });
      const address = str(values, 'admin');
      const cursor = int(values, 'cursor', 0);
      await watchAlerts(address, cursor, clientTls(values).tls);
      return;
    }
    case 'alerts dead': {
      const { values } = opts(args, { admin: 'string', ...TLS_OPTS });
      const address = str(values, 'admin');
      await listDeadLetters(address, clientTls(values).tls);
      return;
    }
    case 'console login': {
      const { values } = opts(args, { admin: 'string', base: 'string', ...TLS_OPTS });
      const address = str(values, 'admin');
      const base = values['base'];
      if (base !== undefined && (typeof base !== 'string' || !/^https?:\/\/[^/?#]+\/?$/.test(base)))
        throw new UsageError('--base must be an http(s) origin, e.g. https://oracle-1:8080');
      const r = await consoleLogin(
        address,
        clientTls(values).tls,
        typeof base === 'string' ? base : undefined,
      );
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return;
    }
    case 'evidence get': {
      const { values } = opts(args, { admin: 'string', identity: 'string', ...TLS_OPTS });
      const address = str(values, 'admin');
      const identity = str(values, 'identity');
      const doc = await getEvidence(address, identity, clientTls(values).tls);
      process.stdout.write(`${JSON.stringify(doc)}\n`);
      return;
    }
    case 'evidence verify': {
      const { values, positionals } = opts(args, { 'session-key': 'string', 'accuser-key': 'string' });
      if (positionals.length !== 1) throw new UsageError('evidence verify takes one FILE');
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(positionals[0]!, 'utf8'));
      } catch (e) {
        throw new MpcidError('BAD_EVIDENCE', `cannot read ${positionals[0]}: ${(e as Error).message}`);
      }
      const flag = values['session-key'];
      const key =
        typeof flag === 'string' ? flag : (doc as { sessionPublicKey?: unknown } | null)?.sessionPublicKey;
      if (key === undefined) throw new UsageError('no sessionPublicKey in the file: pass --session-key');
      // An oracle's ECDSA abort claim is signed with its node key: --accuser-key, else the file's.
      const accuserFlag = values['accuser-key'];
      const accuser =
        typeof accuserFlag === 'string'
          ? accuserFlag
          : (doc as { accuserPublicKey?: unknown } | null)?.accuserPublicKey;
      const verdict = verifyEvidenceDocument(
        doc,
        sessionKeyFrom(key, 'session key'),
        accuser === undefined ? undefined : sessionKeyFrom(accuser, 'accuser key'),
      );
      process.stdout.write(`${JSON.stringify(verdict)}\n`);
      if (!verdict.valid) process.exitCode = 1;
      return;
    }
    case 'dev up': {
      const { values } = opts(args, { dir: 'string', oracles: 'string', quorum: 'string', tls: 'boolean' });
      const n = int(values, 'oracles', 3);
      await devUp({
        tls: values['tls'] === true,
        ...(typeof values['dir'] === 'string' ? { dir: values['dir'] } : {}),
        n,
        t: int(values, 'quorum', Math.floor(n / 2) + 1),
        log: createLogger('dev'),
      });
      return;
    }
    default:
      throw new UsageError(
        cmd ? `unknown command: ${[cmd, sub].filter(Boolean).join(' ')}` : 'no command given',
      );
  }
}

silenceIpServerNameWarning();
main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`mpcid: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (e instanceof MpcidError) {
    process.stderr.write(`mpcid: ${e.code}: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`mpcid: INTERNAL: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
