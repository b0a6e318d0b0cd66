/**
 * The trial world: a real local cluster (cli/localcluster.ts, n=3, t=2, plaintext on loopback,
 * each oracle with its own LevelDB), a FaultProxy in front of each oracle's agent port, a webhook
 * receiver for alerts (test/helpers/hook.ts), and agents whose state.json points at the proxies.
 *
 * How agents reach the oracles: `agent enroll` writes the cluster's oracle addresses (from the
 * join token's claims) into state.json; `agent run` dials exactly those. After enrolling (through
 * the real addresses), the trial rewrites that list to the proxies' addresses with the agent's
 * own writeState (checksum included), the way an operator would move oracles behind a proxy.
 *
 * Disk faults need a file system of their own: as root, oracle 3's data dir is a 64 MiB tmpfs,
 * filled to ENOSPC with ballast files. Read-only is chmod, and root ignores file modes, so as root
 * oracle 3 runs as uid 65534 (nobody). Without root there is no tmpfs: ENOSPC is skipped (reported).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readState, writeState } from '../../agent/state.js';
import { CLI, LocalCluster, mpcid, OracleProc, waitUntil } from '../../cli/localcluster.js';
import { call } from '../../common/grpc.js';
import { HookReceiver } from '../../test/helpers/hook.js';
import { faketimeCheck, TrialAgent } from './procs.js';
import { FaultProxy } from './proxy.js';

export const N = 3;
export const T = 2;
/** The oracle whose data dir is a tmpfs (disk faults). */
export const DISK_ORACLE = 3;
/** nobody: the disk oracle runs as this uid when the trial is root, so chmod read-only binds it. */
const UNPRIVILEGED = 65534;

/**
 * An oracle process run as an unprivileged uid (its own dir chowned to it before each start), so
 * that a data dir made read-only with chmod is read-only for it: root ignores file modes.
 */
class UidOracle extends OracleProc {
  constructor(
    base: OracleProc,
    readonly uid: number,
  ) {
    super(base.id, base.configFile, base.config, base.logFile, null);
    base.admin.close();
  }
  override async start(): Promise<void> {
    execFileSync('chown', ['-R', `${this.uid}:${this.uid}`, dirname(this.configFile)]);
    const fd = openSync(this.logFile, 'a');
    const p = spawn(process.execPath, [CLI, 'oracle', '--config', this.configFile], {
      stdio: ['ignore', fd, fd],
      uid: this.uid,
      gid: this.uid,
    });
    closeSync(fd);
    this.proc = p;
    await waitUntil(`oracle ${this.id}`, () => call(this.admin, this.admin.GetNodeInfo, {}, 1000), p);
  }
}

export interface OracleExit {
  oracle: number;
  code: number | null;
  signal: string | null;
  expected: boolean;
  at: number;
}

export class World {
  readonly agents: TrialAgent[] = [];
  readonly oracleExits: OracleExit[] = [];
  readonly #expectExit = new Set<number>();
  /** Identities whose agents are honest (never copied): they must never be revoked. */
  readonly honest = new Set<string>();
  #seq = 0;
  private constructor(
    readonly cluster: LocalCluster,
    readonly proxies: FaultProxy[],
    readonly hook: HookReceiver,
    readonly webhookSecret: string,
    /** The tmpfs mount of DISK_ORACLE's data dir, or why there is none. */
    readonly tmpfs: { mount: string } | { missing: string },
    readonly faketime: { lib: string } | { missing: string },
    /** The uid the disk oracle runs as (0: root, so a chmod read-only dir does not bind it). */
    readonly diskOracleUid: number,
  ) {}

  static async start(seed: number): Promise<World> {
    const hook = new HookReceiver();
    const url = await hook.listen();
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const dir = mkdtempSync(join(tmpdir(), 'mpcid-trials-'));
    const cluster = await LocalCluster.create({
      n: N,
      t: T,
      dir,
      clusterId: 'trials',
      oracleConfig: () => ({
        alerts: { webhooks: [{ url, secret: webhookSecret, timeoutMs: 2000 }] },
      }),
    });
    const tmpfs = mountTmpfs(cluster.oracles[DISK_ORACLE - 1]!.config.dataDir);
    let diskOracleUid = process.getuid?.() ?? 0;
    if (diskOracleUid === 0) {
      // The unprivileged oracle must reach its own dir inside the (0700) cluster dir.
      chmodSync(dir, 0o711);
      cluster.oracles[DISK_ORACLE - 1] = new UidOracle(cluster.oracles[DISK_ORACLE - 1]!, UNPRIVILEGED);
      diskOracleUid = UNPRIVILEGED;
    }
    const faketime = faketimeCheck(dir);
    const proxies: FaultProxy[] = [];
    for (const o of cluster.oracles) proxies.push(await FaultProxy.start(o.address, seed + o.id));
    const w = new World(cluster, proxies, hook, webhookSecret, tmpfs, faketime, diskOracleUid);
    await Promise.all(cluster.oracles.map((o) => w.startOracle(o)));
    return w;
  }

  get oracles(): readonly OracleProc[] {
    return this.cluster.oracles;
  }

  get faketimeLib(): string | null {
    return 'lib' in this.faketime ? this.faketime.lib : null;
  }

  /** Starts an oracle and watches its exit; throws if it exits before it is ready. */
  async startOracle(o: OracleProc, opts: { mayExit?: boolean } = {}): Promise<void> {
    if (opts.mayExit) this.#expectExit.add(o.id);
    else this.#expectExit.delete(o.id);
    const started = o.start();
    const p = o.proc!;
    p.once('exit', (code, signal) =>
      this.oracleExits.push({
        oracle: o.id,
        code,
        signal,
        expected: this.#expectExit.has(o.id),
        at: Date.now(),
      }),
    );
    await started;
  }

  /** Stops an oracle on purpose (its exit is not a crash). */
  async killOracle(o: OracleProc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.#expectExit.add(o.id);
    await o.kill(signal);
  }

  /** Marks an exit the trial provoked (a start on a corrupt store that refuses, a disk fault). */
  expectExitOf(o: OracleProc): void {
    this.#expectExit.add(o.id);
  }

  unexpectExitOf(o: OracleProc): void {
    this.#expectExit.delete(o.id);
  }

  /** Enrolls an identity with the real CLI (`--algs`), then points its state at the proxies. */
  async enroll(name: string, algs: 'EdDSA' | 'EdDSA,ES256'): Promise<{ stateDir: string; kid: string }> {
    const stateDir = join(this.cluster.dir, 'agents', `${++this.#seq}`, 'state');
    mkdirSync(join(stateDir, '..'), { recursive: true });
    const token = await this.cluster.createToken(name);
    const r = await mpcid([
      'agent',
      'enroll',
      '--token',
      token,
      '--state',
      stateDir,
      '--algs',
      algs,
      '--insecure',
    ]);
    if (r.code !== 0) throw new Error(`enroll ${name} failed: ${r.stderr.trim()}`);
    const { kid } = JSON.parse(r.stdout) as { kid: string };
    const st = readState(stateDir);
    writeState(stateDir, {
      ...st,
      cluster: {
        ...st.cluster,
        oracles: st.cluster.oracles.map((o) => ({ ...o, address: this.proxies[o.id - 1]!.address })),
      },
    });
    return { stateDir, kid };
  }

  /** An agent process for a state dir (not started), with its own socket, log and clock. */
  agent(stateDir: string, label: string, opts: { heartbeatMs: number; clock?: string }): TrialAgent {
    const i = this.agents.length;
    const a = new TrialAgent(
      stateDir,
      join(this.cluster.dir, `a${i}.sock`),
      join(this.cluster.dir, 'logs', `agent-${label}-${i}.log`),
      ['--heartbeat-ms', String(opts.heartbeatMs), '--deadline-ms', '3000', '--insecure'],
      this.faketimeLib,
      opts.clock ?? '+0',
    );
    this.agents.push(a);
    return a;
  }

  /** The identity's status on each oracle ('active' | 'revoked' | 'error: ...'). */
  statuses(identityId: string): Promise<string[]> {
    return Promise.all(
      this.oracles.map((o) =>
        o.running
          ? call(o.admin, o.admin.GetIdentity, { identityId }, 2_000).then(
              (r) => r.status,
              (e: unknown) => `error: ${(e as Error).message}`,
            )
          : Promise.resolve('down'),
      ),
    );
  }

  async stop(): Promise<void> {
    for (const a of this.agents) a.expectExit = true;
    for (const o of this.oracles) this.#expectExit.add(o.id);
    await this.cluster.stop('SIGTERM');
    await Promise.all([...this.agents.map((a) => a.kill('SIGTERM'))]);
    for (const a of this.agents) a.workload.close();
    for (const p of this.proxies) await p.close();
    await this.hook.close();
  }

  /** Unmounts the tmpfs (after the oracles stopped); the cluster dir stays for its logs. */
  release(): void {
    if ('mount' in this.tmpfs) {
      try {
        execFileSync('umount', [this.tmpfs.mount]);
      } catch {
        // Already unmounted or busy: left for the OS.
      }
    }
  }
}

function mountTmpfs(dir: string): { mount: string } | { missing: string } {
  if (process.getuid?.() !== 0) return { missing: 'not root: no tmpfs for a disk of its own' };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return { mount: dir };
  } catch (e) {
    return { missing: `mount tmpfs failed: ${(e as Error).message.split('\n')[0]}` };
  }
}
