/**
 * Processes of a trial: `mpcid agent run` under libfaketime (so its wall clock can be moved while
 * it runs), SIGSTOP/SIGCONT, and the records an agent and a stopped oracle keep of their ratchet.
 *
 * Clock: libfaketime (Debian package `faketime`) is preloaded with FAKETIME_TIMESTAMP_FILE and
 * FAKETIME_NO_CACHE=1, so writing "+1d", "-1d" or "+0" to the agent's clock file moves its
 * Date.now() at once. FAKETIME_DONT_FAKE_MONOTONIC=1 leaves CLOCK_MONOTONIC alone: node's timers
 * run on it and would stall on a backward jump. `faketimeCheck` proves it works with node.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { ratchetFileView } from '../../agent/ratchet.js';
import { AgentProc, CLI, type OracleProc, waitUntil } from '../../cli/localcluster.js';
import { call } from '../../common/grpc.js';
import type { RatchetRecord } from '../../oracle/records.js';

const FAKETIME_LIBS = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];

/**
 * The libfaketime library, if installed and working with node: a child under it with "+1d" in
 * its clock file must report a time one day ahead. Returns the path or why not.
 */
export function faketimeCheck(dir: string): { lib: string } | { missing: string } {
  const lib = FAKETIME_LIBS.find((f) => existsSync(f));
  if (!lib) return { missing: 'libfaketime not installed (Debian: apt-get install -y faketime)' };
  const file = join(dir, 'faketime-check');
  writeFileSync(file, '+1d\n');
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], {
    env: { ...process.env, ...faketimeEnv(lib, file) },
    encoding: 'utf8',
    timeout: 10_000,
  });
  const skew = Number(r.stdout) - Date.now();
  if (!(Math.abs(skew - 86_400_000) < 60_000))
    return { missing: `libfaketime at ${lib} did not move node's clock (skew ${skew} ms)` };
  return { lib };
}

function faketimeEnv(lib: string, clockFile: string): Record<string, string> {
  return {
    LD_PRELOAD: lib,
    FAKETIME_TIMESTAMP_FILE: clockFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** An agent process whose clock the trial can move ("+0", "+1d", "-1d", "+3600s", ...). */
export class TrialAgent extends AgentProc {
  /** Set before the trial itself stops or kills it; an exit without it is a crash. */
  expectExit = false;
  readonly exits: { code: number | null; signal: string | null; expected: boolean }[] = [];
  readonly clockFile: string;
  constructor(
    stateDir: string,
    socket: string,
    logFile: string,
    extraArgs: readonly string[],
    readonly faketimeLib: string | null,
    clock = '+0',
  ) {
    super(stateDir, socket, logFile, extraArgs);
    this.clockFile = `${socket}.clock`;
    this.setClock(clock);
  }

  setClock(offset: string): void {
    writeFileSync(this.clockFile, `${offset}\n`);
  }

  /** Spawns the agent; `wait` false returns at once (for starts that are expected to fail). */
  override async start(wait = true): Promise<void> {
    const fd = openSync(this.logFile, 'a');
    const env = {
      ...process.env,
      ...(this.faketimeLib ? faketimeEnv(this.faketimeLib, this.clockFile) : {}),
    };
    const p = spawn(
      process.execPath,
      [CLI, 'agent', 'run', '--state', this.stateDir, '--socket', this.socket, ...this.extraArgs],
      { stdio: ['ignore', fd, fd], env },
    );
    closeSync(fd);
    this.expectExit = false;
    this.proc = p;
    p.once('exit', (code, signal) => this.exits.push({ code, signal, expected: this.expectExit }));
    if (wait) await waitUntil('agent', () => call(this.workload, this.workload.GetIdentity, {}, 1000), p);
  }

  override kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.expectExit = true;
    return super.kill(signal);
  }
}

/** The exit of a process, or null if it is still running after `ms`. */
export function exitWithin(p: ChildProcess, ms: number): Promise<{ code: number | null } | null> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve({ code: p.exitCode });
  return new Promise((res) => {
    const timer = setTimeout(() => res(null), ms);
    p.once('exit', (code) => {
      clearTimeout(timer);
      res({ code });
    });
  });
}

export function freeze(p: ChildProcess | undefined): void {
  if (p?.pid && p.exitCode === null) process.kill(p.pid, 'SIGSTOP');
}

export function thaw(p: ChildProcess | undefined): void {
  if (p?.pid && p.exitCode === null) process.kill(p.pid, 'SIGCONT');
}

/** What an agent's ratchet.json says it holds: its certified counter and who certified it. */
export interface AgentRatchet {
  counter: number;
  certificate: { nodeId: number; counter: number }[];
  pending?: number;
}

/** The agent's ratchet state as it is on disk now (undefined if missing or unreadable). */
export function readAgentRatchet(stateDir: string): AgentRatchet | undefined {
  try {
    // ratchet.json, or the certified hint that follows its pending step (agent/ratchet.ts).
    const f = ratchetFileView(stateDir) as {
      counter: number;
      certificate: { nodeId: number; counter: number }[];
      pending?: { step: { counter: number } };
    };
    return {
      counter: f.counter,
      certificate: f.certificate.map((c) => ({ nodeId: c.nodeId, counter: c.counter })),
      ...(f.pending ? { pending: f.pending.step.counter } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Counters in a STOPPED oracle's LevelDB for the given identities (absent: no record). */
export async function oracleCounters(o: OracleProc, ids: readonly string[]): Promise<Map<string, number>> {
  if (o.running) throw new Error(`oracle ${o.id} is running; its LevelDB is locked`);
  const db = new Level<string, RatchetRecord>(o.config.dataDir, {
    valueEncoding: 'json',
    createIfMissing: false,
  });
  await db.open();
  try {
    const recs = await db.getMany(ids.map((id) => `ratchet!${id}`));
    const out = new Map<string, number>();
    ids.forEach((id, i) => {
      const r = recs[i];
      if (r) out.set(id, r.counter);
    });
    return out;
  } finally {
    await db.close();
  }
}
