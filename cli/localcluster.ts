/**
 * A local cluster of real processes on loopback: n `mpcid oracle` processes (each with its own
 * LevelDB) and `mpcid agent run` processes. `mpcid dev up`, the integration tests and the
 * benchmark all use it, so they exercise the same binaries an operator runs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Alg } from '../agent/state.js';
import { freePorts, initCluster, KEK_FILE, oracleDir } from '../common/cluster.js';
import { loadOracleConfig, type OracleConfig, tlsFiles } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { call } from '../common/grpc.js';
import { writeKekFile } from '../common/kek.js';
import { bundleFiles, isBundle, issueBundle, loadTls, type TlsMaterial } from '../common/tls.js';
import type { AdminClient } from '../proto/gen/mpcid/admin/v1/Admin.js';
import type { WorkloadClient } from '../proto/gen/mpcid/agent/v1/Workload.js';
import { adminClient, workloadClient } from './clients.js';

/** The built CLI entry point (dist/cli/main.js), also when this module runs from source (tests). */
export const CLI = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../dist/cli/main.js', import.meta.url)
    : new URL('./main.js', import.meta.url),
);
const execFileP = promisify(execFile);

/**
 * Node's own flags for every CLI process started here: with MPCID_CPU_PROF_DIR set, each writes a
 * V8 CPU profile there (for profiling the benchmarks; NODE_OPTIONS refuses --cpu-prof).
 */
function nodeArgs(): string[] {
  const prof = process.env['MPCID_CPU_PROF_DIR'];
  return prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
}

/** Runs the mpcid CLI to completion. Never throws on a non-zero exit: the caller checks `code`. */
export async function mpcid(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [...nodeArgs(), CLI, ...args], {
      timeout: opts.timeoutMs ?? 60_000,
      ...(opts.env ? { env: opts.env } : {}),
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    };
  }
}

/** Polls `probe` every `pollMs` until it resolves; fails after `timeoutMs` or as soon as `proc` exits. */
export async function waitUntil(
  what: string,
  probe: () => Promise<unknown>,
  proc?: ChildProcess,
  timeoutMs = 30_000,
  pollMs = 100,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.exitCode !== null)
      throw new MpcidError('NOT_READY', `${what} exited with code ${proc.exitCode}; see its log`);
    try {
      await probe();
      return;
    } catch (e) {
      if (Date.now() > until)
        throw new MpcidError('NOT_READY', `${what} did not become ready: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

/** Resolves once the socket `open` makes connects (then closes it); rejects otherwise. */
function accepts(open: () => Socket): Promise<void> {
  return new Promise((res, rej) => {
    const s = open();
    s.once('connect', () => {
      s.destroy();
      res();
    });
    s.once('error', rej);
  });
}

/**
 * How a process started here is found ready: its gRPC probe, polled every `pollMs` (default
 * 100). With `listenFirst`, the probe waits until the process's endpoint accepts a plain
 * connection (polled as often), so a client's first gRPC attempt never fails on a port that is
 * not yet open and then waits out grpc-js's reconnect backoff (200 ms, then 320, 512, ...).
 */
export interface ReadyProbe {
  pollMs?: number;
  listenFirst?: boolean;
}

async function waitReady(
  what: string,
  open: () => Socket,
  probe: () => Promise<unknown>,
  proc: ChildProcess,
  ready: ReadyProbe,
): Promise<void> {
  if (ready.listenFirst) await waitUntil(what, () => accepts(open), proc, 30_000, ready.pollMs);
  await waitUntil(what, probe, proc, 30_000, ready.pollMs);
}

function isRunning(p: ChildProcess | undefined): p is ChildProcess {
  return !!p && p.exitCode === null && p.signalCode === null;
}

/** Sends `signal` and waits for exit; escalates to SIGKILL after `graceMs`. */
async function killProc(p: ChildProcess | undefined, signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
  if (!isRunning(p)) return;
  await new Promise<void>((res) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => {
      clearTimeout(timer);
      res();
    });
    p.kill(signal);
  });
}

function spawnCli(args: string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(logFile, 'a');
  return spawn(process.execPath, [...nodeArgs(), CLI, ...args], {
    stdio: ['ignore', fd, fd],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
}

export class OracleProc {
  proc: ChildProcess | undefined;
  readonly admin: AdminClient;
  constructor(
    readonly id: number,
    readonly configFile: string,
    readonly config: OracleConfig,
    readonly logFile: string,
    /** The operator's TLS material (role admin) when the cluster serves mTLS. */
    adminTls: TlsMaterial | null = null,
    /** How start() finds the process ready (LocalClusterOptions.ready). */
    readonly ready: ReadyProbe = {},
  ) {
    this.admin = adminClient(config.adminListen, adminTls);
  }
  get address(): string {
    return this.config.cluster.oracles.find((o) => o.id === this.id)!.address;
  }
  get running(): boolean {
    return isRunning(this.proc);
  }
  async start(): Promise<void> {
    const p = spawnCli(['oracle', '--config', this.configFile], this.logFile);
    this.proc = p;
    const probe = () => call(this.admin, this.admin.GetNodeInfo, {}, 1000);
    const at = this.config.adminListen;
    const i = at.lastIndexOf(':');
    const open = () => connect(Number(at.slice(i + 1)), at.slice(0, i).replace(/^\[|\]$/g, ''));
    await waitReady(`oracle ${this.id}`, open, probe, p, this.ready);
  }
  /** Stops the process; SIGKILL (the default) gives it no chance to clean up. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return killProc(this.proc, signal);
  }
}

export class AgentProc {
  proc: ChildProcess | undefined;
  readonly workload: WorkloadClient;
  constructor(
    readonly stateDir: string,
    readonly socket: string,
    readonly logFile: string,
    /** Extra `mpcid agent run` flags, e.g. ['--heartbeat-ms', '300']. */
    readonly extraArgs: readonly string[] = [],
    /** Extra environment of the agent process (e.g. libfaketime's, for a copy whose clock is off). */
    readonly env?: NodeJS.ProcessEnv,
    /** How start() finds the process ready (LocalClusterOptions.ready). */
    readonly ready: ReadyProbe = {},
  ) {
    this.workload = workloadClient(socket);
  }
  get running(): boolean {
    return isRunning(this.proc);
  }
  async start(): Promise<void> {
    const p = spawnCli(
      ['agent', 'run', '--state', this.stateDir, '--socket', this.socket, ...this.extraArgs],
      this.logFile,
      this.env,
    );
    this.proc = p;
    const probe = () => call(this.workload, this.workload.GetIdentity, {}, 1000);
    await waitReady('agent', () => connect(this.socket), probe, p, this.ready);
  }
  sign(message: Uint8Array, deadlineMs = 20_000) {
    return call(this.workload, this.workload.Sign, { message: Buffer.from(message) }, deadlineMs);
  }
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return killProc(this.proc, signal);
  }
}

export interface LocalClusterOptions {
  n: number;
  t: number;
  /** Directory for keys, configs, data and logs; a fresh temp dir if absent. Reused if it holds a cluster. */
  dir?: string;
  clusterId?: string;
  /** Extra top-level fields (e.g. `alerts`) merged into oracle i's config.json when the cluster is created. */
  oracleConfig?: (nodeId: number) => Record<string, unknown>;
  /**
   * mTLS between every process, as `mpcid init` sets it up (CA in DIR/ca, operator bundle in
   * DIR/admin, plus an agent bundle in DIR/agent-tls); `{caDir}` issues from an existing CA.
   * Plaintext when absent or false (faster to create). A reused DIR keeps the mode it was made with.
   */
  tls?: boolean | { caDir: string };
  /** `agent enroll --algs` for every `enroll`; absent, the CLI default (EdDSA and ES256). */
  algs?: readonly Alg[];
  /**
   * HTTPS on the relying-party port: oracle i's `http.tls` (certificate and key files); the
   * cluster's issuer becomes https://. Plain http when absent.
   */
  httpTls?: (nodeId: number) => { cert: string; key: string };
  /** Extra fields of the cluster section of every oracle's config (e.g. `federation`), at creation. */
  clusterConfig?: Record<string, unknown>;
  /** `--es256-presigns` of every agent `startAgent` starts (ES256 presignatures kept ready); absent, the CLI default. */
  es256Presigns?: number;
  /** How the oracles and agents started here are found ready; absent, a gRPC probe every 100 ms. */
  ready?: ReadyProbe;
}

/** TLS bundles of a cluster that serves mTLS. */
export interface LocalClusterTls {
  /** The operator's bundle (role admin). */
  adminDir: string;
  /** A bundle for agents (role agent); `enroll` copies it into each state dir. */
  agentDir: string;
  caDir: string;
  admin: TlsMaterial;
}

export class LocalCluster {
  readonly agents: AgentProc[] = [];
  readonly #algs: readonly Alg[] | undefined;
  /** LocalClusterOptions.es256Presigns; startAgent may override it per agent. */
  es256Presigns: number | undefined;
  private constructor(
    readonly dir: string,
    readonly oracles: OracleProc[],
    /** The cluster's TLS bundles; null for a plaintext cluster. */
    readonly tls: LocalClusterTls | null,
    algs: readonly Alg[] | undefined,
    /** LocalClusterOptions.ready, for every agent startAgent starts. */
    readonly ready: ReadyProbe = {},
  ) {
    this.#algs = algs;
  }

  /** `--tls DIR` (agent bundle) or `--insecure`: how the CLI's agent commands reach this cluster. */
  get agentTransportArgs(): string[] {
    return this.tls ? ['--tls', this.tls.agentDir] : ['--insecure'];
  }

  /** `--tls DIR` (operator bundle) or `--insecure`: how the CLI's admin commands reach this cluster. */
  get adminTransportArgs(): string[] {
    return this.tls ? ['--tls', this.tls.adminDir] : ['--insecure'];
  }

  /** Creates (or reuses) keys and configs for n oracles on loopback. Starts nothing. */
  static async create(o: LocalClusterOptions): Promise<LocalCluster> {
    const dir = resolve(o.dir ?? mkdtempSync(join(tmpdir(), 'mpcid-')));
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const caDir = typeof o.tls === 'object' ? o.tls.caDir : join(dir, 'ca');
    if (!existsSync(join(dir, 'cluster.json'))) {
      const ports = await freePorts(3 * o.n);
      const init = initCluster({
        dir,
        n: o.n,
        t: o.t,
        clusterId: o.clusterId ?? 'local',
        hosts: Array(o.n).fill('127.0.0.1'),
        ports: ports.slice(0, o.n),
        adminPorts: ports.slice(o.n, 2 * o.n),
        httpPorts: ports.slice(2 * o.n),
        tls: o.tls ? { caDir } : 'insecure',
      });
      const extra = o.oracleConfig;
      const httpTls = o.httpTls;
      if (extra || httpTls || o.clusterConfig) {
        init.configFiles.forEach((file, i) => {
          let raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
          if (o.clusterConfig)
            raw = { ...raw, cluster: { ...(raw['cluster'] as object), ...o.clusterConfig } };
          if (httpTls) {
            const cluster = raw['cluster'] as { issuer?: string };
            raw = {
              ...raw,
              http: { ...(raw['http'] as object), tls: httpTls(i + 1) },
              cluster: { ...cluster, issuer: cluster.issuer?.replace(/^http:/, 'https:') },
            };
          }
          writeFileSync(file, `${JSON.stringify({ ...raw, ...extra?.(i + 1) }, null, 2)}\n`);
        });
      }
    }
    const { n } = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { n: number };
    const configs = Array.from({ length: n }, (_, i) => {
      const file = join(oracleDir(dir, i + 1), 'config.json');
      // A cluster dir from before keys at rest: give each oracle a KEK (its store migrates on start).
      const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (raw['kek'] === undefined) {
        writeKekFile(join(oracleDir(dir, i + 1), KEK_FILE));
        writeFileSync(file, `${JSON.stringify({ ...raw, kek: { file: KEK_FILE } }, null, 2)}\n`);
      }
      return { file, config: loadOracleConfig(file) };
    });
    let tls: LocalClusterTls | null = null;
    if (tlsFiles(configs[0]!.config)) {
      const adminDir = join(dir, 'admin');
      const agentDir = join(dir, 'agent-tls');
      if (!isBundle(agentDir)) {
        issueBundle(caDir, agentDir, { name: 'spiffe://local.mpcid/agent', roles: ['agent'] });
      }
      tls = { adminDir, agentDir, caDir, admin: loadTls(bundleFiles(adminDir)).material };
    }
    const oracles = configs.map(
      ({ file, config }, i) =>
        new OracleProc(
          i + 1,
          file,
          config,
          join(dir, 'logs', `oracle-${i + 1}.log`),
          tls?.admin ?? null,
          o.ready,
        ),
    );
    const c = new LocalCluster(dir, oracles, tls, o.algs, o.ready);
    c.es256Presigns = o.es256Presigns;
    return c;
  }

  /** Creates a cluster and starts every oracle. */
  static async start(o: LocalClusterOptions): Promise<LocalCluster> {
    const c = await LocalCluster.create(o);
    try {
      await Promise.all(c.oracles.map((x) => x.start()));
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  get admin(): AdminClient {
    return this.oracles[0]!.admin;
  }

  async createToken(name: string, ttlSeconds = 600): Promise<string> {
    return (await call(this.admin, this.admin.CreateJoinToken, { name, ttlSeconds }, 5000)).token;
  }

  /** Enrolls a new identity with the real CLI into `stateDir` (a fresh dir if absent). */
  async enroll(
    name: string,
    stateDir?: string,
  ): Promise<{ stateDir: string; kid: string; publicKey: string }> {
    const dir = stateDir ?? join(mkdtempSync(join(this.dir, 'agent-')), 'state');
    const token = await this.createToken(name);
    const algs = this.#algs ? ['--algs', this.#algs.join(',')] : [];
    const r = await mpcid([
      'agent',
      'enroll',
      '--token',
      token,
      '--state',
      dir,
      ...algs,
      ...this.agentTransportArgs,
    ]);
    if (r.code !== 0) throw new MpcidError('INTERNAL', `enroll failed: ${r.stderr.trim()}`);
    const out = JSON.parse(r.stdout) as { kid: string; publicKey: string };
    return { stateDir: dir, ...out };
  }

  /**
   * Starts `mpcid agent run` for a state dir and waits until its Workload API answers.
   * `heartbeatMs` is passed as `--heartbeat-ms` (0 disables heartbeats) and `deadlineMs` as
   * `--deadline-ms`; absent, the CLI defaults. `env` is added to the agent's environment.
   * `es256Presigns` (default: the cluster's) is passed as `--es256-presigns`.
   */
  async startAgent(
    stateDir: string,
    socket?: string,
    opts: {
      heartbeatMs?: number;
      deadlineMs?: number;
      env?: NodeJS.ProcessEnv;
      extraArgs?: string[];
      es256Presigns?: number;
    } = {},
  ): Promise<AgentProc> {
    const presigns = opts.es256Presigns ?? this.es256Presigns;
    const i = this.agents.length;
    const agent = new AgentProc(
      stateDir,
      socket ?? join(this.dir, `agent-${i}.sock`),
      join(this.dir, 'logs', `agent-${i}.log`),
      [
        ...(opts.heartbeatMs === undefined ? [] : ['--heartbeat-ms', String(opts.heartbeatMs)]),
        ...(opts.deadlineMs === undefined ? [] : ['--deadline-ms', String(opts.deadlineMs)]),
        ...(presigns === undefined ? [] : ['--es256-presigns', String(presigns)]),
        ...(opts.extraArgs ?? []),
        ...this.agentTransportArgs,
      ],
      opts.env,
      this.ready,
    );
    this.agents.push(agent);
    await agent.start();
    return agent;
  }

  /** Stops every process: SIGTERM (graceful) by default. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all([
      ...this.agents.map((a) => a.kill(signal)),
      ...this.oracles.map((o) => o.kill(signal)),
    ]);
    for (const a of this.agents) a.workload.close();
    for (const o of this.oracles) o.admin.close();
  }
}
