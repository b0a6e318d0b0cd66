/**
 * Test harness: real oracle and agent processes (the built `mpcid` CLI) on loopback, each with
 * its own LevelDB / state dir under a temp dir. Every process started here is killed in `stop()`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { adminClient, workloadClient } from '../../cli/clients.js';
import { freePorts, initCluster, oracleDir } from '../../common/cluster.js';
import type { OracleConfig } from '../../common/config.js';
import { call } from '../../common/grpc.js';
import type { AdminClient } from '../../proto/gen/mpcid/admin/v1/Admin.js';
import type { WorkloadClient } from '../../proto/gen/mpcid/agent/v1/Workload.js';

export const CLI = resolve('dist/cli/main.js');
const execFileP = promisify(execFile);

/** Runs the mpcid CLI to completion. Never throws on a non-zero exit: the caller checks `code`. */
export async function mpcid(args: string[], opts: { input?: string; timeoutMs?: number } = {}) {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [CLI, ...args], { timeout: opts.timeoutMs ?? 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

export async function waitUntil(what: string, probe: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (e) {
      if (Date.now() > until) throw new Error(`${what} not ready: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function exited(p: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (p.exitCode !== null || p.signalCode !== null) return res();
    p.once('exit', () => res());
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
  ) {
    this.admin = adminClient(config.adminListen);
  }
  get address(): string {
    return this.config.cluster.oracles.find((o) => o.id === this.id)!.address;
  }
  get dataDir(): string {
    return this.config.dataDir;
  }
  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }
  async start(): Promise<void> {
    const fd = openSync(this.logFile, 'a');
    this.proc = spawn(process.execPath, [CLI, 'oracle', '--config', this.configFile], { stdio: ['ignore', fd, fd] });
    const p = this.proc;
    await waitUntil(`oracle ${this.id}`, async () => {
      if (p.exitCode !== null) throw new Error(`exited with ${p.exitCode}`);
      await call(this.admin, this.admin.GetNodeInfo, {}, 1000);
    });
  }
  /** Kills the process (SIGKILL by default: no chance to clean up). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.proc || !this.running) return;
    this.proc.kill(signal);
    await exited(this.proc);
  }
}

export class AgentProc {
  proc: ChildProcess | undefined;
  readonly workload: WorkloadClient;
  constructor(
    readonly stateDir: string,
    readonly socket: string,
    readonly logFile: string,
  ) {
    this.workload = workloadClient(socket);
  }
  async start(): Promise<void> {
    const fd = openSync(this.logFile, 'a');
    this.proc = spawn(process.execPath, [CLI, 'agent', 'run', '--state', this.stateDir, '--socket', this.socket], { stdio: ['ignore', fd, fd] });
    const p = this.proc;
    await waitUntil('agent', async () => {
      if (p.exitCode !== null) throw new Error(`exited with ${p.exitCode}`);
      await call(this.workload, this.workload.GetIdentity, {}, 1000);
    });
  }
  async sign(message: Uint8Array, deadlineMs = 20_000) {
    return call(this.workload, this.workload.Sign, { message: Buffer.from(message) }, deadlineMs);
  }
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    await exited(this.proc);
  }
}

export class TestCluster {
  readonly agents: AgentProc[] = [];
  private constructor(
    readonly dir: string,
    readonly oracles: OracleProc[],
  ) {}

  /** Creates keys and configs for n oracles on free loopback ports and starts them all. */
  static async start(n: number, t: number): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'mpcid-test-'));
    const ports = await freePorts(2 * n);
    const init = initCluster({
      dir,
      n,
      t,
      clusterId: 'test',
      hosts: Array(n).fill('127.0.0.1'),
      ports: ports.slice(0, n),
      adminPorts: ports.slice(n),
    });
    const oracles = init.configs.map(
      (c, i) => new OracleProc(c.nodeId, init.configFiles[i]!, c, join(oracleDir(dir, c.nodeId), 'oracle.log')),
    );
    const cluster = new TestCluster(dir, oracles);
    await Promise.all(oracles.map((o) => o.start()));
    return cluster;
  }

  get admin(): AdminClient {
    return this.oracles[0]!.admin;
  }

  async createToken(name: string, ttlSeconds = 600): Promise<string> {
    const res = await call(this.admin, this.admin.CreateJoinToken, { name, ttlSeconds }, 5000);
    return res.token;
  }

  /** Enrolls a new identity with the real CLI and returns its state dir. */
  async enroll(name: string): Promise<{ stateDir: string; kid: string; publicKey: string }> {
    const stateDir = mkdtempSync(join(this.dir, 'agent-'));
    rmSync(stateDir, { recursive: true });
    const token = await this.createToken(name);
    const r = await mpcid(['agent', 'enroll', '--token', token, '--state', stateDir]);
    if (r.code !== 0) throw new Error(`enroll failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { kid: string; publicKey: string };
    return { stateDir, ...out };
  }

  async startAgent(stateDir: string): Promise<AgentProc> {
    const socket = join(this.dir, `agent-${this.agents.length}.sock`);
    const agent = new AgentProc(stateDir, socket, join(this.dir, `agent-${this.agents.length}.log`));
    this.agents.push(agent);
    await agent.start();
    return agent;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.map((a) => a.kill()), ...this.oracles.map((o) => o.kill())]);
    for (const a of this.agents) a.workload.close();
    for (const o of this.oracles) o.admin.close();
  }
}
