/**
 * Fault episodes of the soak. Each one injects one fault, holds it, and undoes it before it
 * returns, so at most one oracle is faulty at a time (n - t = 1 may fail) and at most one honest
 * agent. Oracle faults: on the wire (proxy), SIGKILL, SIGSTOP, disk full, read-only data dir, and
 * a corrupt LevelDB. Agent faults: SIGKILL, SIGSTOP, clock jumps, corrupt state files.
 *
 * A corrupt store or state file is destroyed by design, so its outcome is judged, not counted as
 * a brick: the oracle must refuse to start or answer as the others do (it is isolated behind its
 * proxy meanwhile); the agent must refuse with STATE_CORRUPT, never reset. Then the backup taken
 * at the kill is put back and the process restarted, which loses nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ratchetFileView } from '../../agent/ratchet.js';
import type { OracleProc } from '../../cli/localcluster.js';
import {
  backupDir,
  clearDisk,
  corruptFile,
  corruptLevelDb,
  fillDisk,
  restoreDir,
  setReadOnly,
} from './files.js';
import type { Ledger } from './ledger.js';
import type { Prng } from './prng.js';
import { exitWithin, freeze, type TrialAgent, thaw } from './procs.js';
import { type Fault, PASS } from './proxy.js';
import { DISK_ORACLE, type World } from './world.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Honest {
  label: string;
  identityId: string;
  stateDir: string;
  agent: TrialAgent;
  /** Set while an episode has the agent down on purpose. */
  busy: boolean;
}

export const ORACLE_FAULTS = {
  delay: 2,
  stall: 1,
  blackhole: 1,
  refuse: 1,
  cut: 2,
  corrupt: 1,
  kill: 2,
  stop: 1,
  enospc: 1,
  readonly: 1,
  'store-corrupt': 1,
} as const;
export type OracleFault = keyof typeof ORACLE_FAULTS;

export const AGENT_FAULTS = { kill: 3, stop: 1, clock: 2, 'state-corrupt': 1 } as const;
export type AgentFault = keyof typeof AGENT_FAULTS;

interface Ctx {
  w: World;
  ledger: Ledger;
  rng: Prng;
  seed: number;
  honest: readonly Honest[];
}

function proxyFault(kind: OracleFault, rng: Prng): Fault | undefined {
  switch (kind) {
    case 'delay':
      return { kind: 'delay', ms: rng.int(20, 400), jitterMs: rng.int(0, 300) };
    case 'stall':
      return { kind: 'stall' };
    case 'blackhole':
      return { kind: 'blackhole' };
    case 'refuse':
      return { kind: 'refuse' };
    case 'cut':
      return { kind: 'cut', afterBytes: rng.int(1, 4000) };
    case 'corrupt':
      return { kind: 'corrupt', rate: rng.int(5, 50) / 100 };
    default:
      return undefined;
  }
}

/** One oracle fault, held and undone. Returns the outcome for the table. */
export async function oracleEpisode(c: Ctx, kind: OracleFault, o: OracleProc): Promise<string> {
  const { w, rng } = c;
  const proxy = w.proxies[o.id - 1]!;
  const hold = rng.int(500, 3000);
  const wire = proxyFault(kind, rng);
  if (wire) {
    proxy.setFault(wire);
    await sleep(hold);
    proxy.setFault(PASS);
    return `${JSON.stringify(wire)} for ${hold} ms`;
  }
  switch (kind) {
    case 'kill': {
      await w.killOracle(o);
      await c.ledger.checkOracle(o, c.honest, c.seed, 'after SIGKILL');
      await sleep(rng.int(0, 1500));
      await w.startOracle(o);
      return 'SIGKILL, LevelDB checked, restarted';
    }
    case 'stop': {
      freeze(o.proc);
      await sleep(hold);
      thaw(o.proc);
      return `SIGSTOP ${hold} ms, SIGCONT`;
    }
    case 'enospc':
    case 'readonly':
      return diskEpisode(c, kind, hold);
    case 'store-corrupt':
      return storeEpisode(c, o);
    default:
      return 'unknown fault';
  }
}

async function diskEpisode(c: Ctx, kind: 'enospc' | 'readonly', hold: number): Promise<string> {
  const { w } = c;
  const o = w.oracles[DISK_ORACLE - 1]!;
  const dir = o.config.dataDir;
  const mounted = 'mount' in w.tmpfs;
  if (kind === 'readonly' && w.diskOracleUid === 0)
    return 'not run: chmod does not stop root (no uid to run oracle 3 as)';
  if (kind === 'enospc' && !mounted) return `not run: ${'missing' in w.tmpfs ? w.tmpfs.missing : ''}`;
  w.expectExitOf(o);
  let what: string;
  if (kind === 'enospc') {
    what = `disk full (${(fillDisk(dir) / 2 ** 20).toFixed(1)} MiB ballast) for ${hold} ms`;
    await sleep(hold);
    clearDisk(dir);
  } else {
    setReadOnly(dir, true);
    what = `data dir read-only (chmod, oracle runs as uid ${w.diskOracleUid}) for ${hold} ms`;
    await sleep(hold);
    // Files LevelDB holds open stay writable; a restart on the read-only dir is the real test.
    if (c.rng.chance(0.5)) {
      await w.killOracle(o);
      const started = await w.startOracle(o, { mayExit: true }).then(
        () => 'started',
        () => 'refused to start',
      );
      what += `; restarted on it: ${started}`;
      if (started === 'started') await w.killOracle(o);
    }
    setReadOnly(dir, false);
  }
  await sleep(500);
  if (o.running) {
    // An orchestrator's liveness probe: a store that refused a write is fail-stopped until a restart.
    const live = await fetch(`http://${o.config.http!.listen}/healthz`, {
      signal: AbortSignal.timeout(5_000),
    })
      .then((r) => r.status === 200)
      .catch(() => true); // no answer is not a liveness failure here: it restarts nothing
    if (live) {
      w.unexpectExitOf(o);
      return `${what}; kept running`;
    }
    await w.killOracle(o);
    await w.startOracle(o);
    return `${what}; store fail-stopped (/healthz 503), restarted`;
  }
  const exit = w.oracleExits.filter((e) => e.oracle === o.id).pop();
  await w.startOracle(o);
  return `${what}; exited (code ${exit?.code ?? '?'}, fail-stop), restarted`;
}

/** Corrupt LevelDB: isolated behind its proxy, judged, then the backup is put back. */
async function storeEpisode(c: Ctx, o: OracleProc): Promise<string> {
  const { w, rng, ledger } = c;
  const proxy = w.proxies[o.id - 1]!;
  const dir = o.config.dataDir;
  const backup = join(w.cluster.dir, `store-backup-${o.id}`);
  proxy.setFault({ kind: 'refuse' });
  await w.killOracle(o);
  await ledger.checkOracle(o, c.honest, c.seed, 'before corruption');
  backupDir(dir, backup);
  const damage = corruptLevelDb(dir, rng);
  let outcome: string;
  try {
    await w.startOracle(o, { mayExit: true });
    // It runs on a damaged store: it must answer what the healthy oracles answer, or refuse.
    const wrong: string[] = [];
    for (const h of c.honest) {
      const all = await w.statuses(h.identityId);
      const mine = all[o.id - 1]!;
      const others = all.filter(
        (_, i) => i !== o.id - 1 && !all[i]!.startsWith('error') && all[i] !== 'down',
      );
      if (!mine.startsWith('error') && others.length > 0 && others.some((s) => s !== mine))
        wrong.push(`${h.label}: ${mine} vs ${others.join('/')}`);
    }
    outcome = wrong.length === 0 ? 'started, answers agree' : `started, WRONG answers (${wrong.join('; ')})`;
    if (wrong.length > 0)
      ledger.fail('soak', c.seed, `oracle ${o.id} on a corrupt store (${damage}): ${outcome}`);
    await w.killOracle(o);
  } catch {
    outcome = 'refused to start';
  }
  restoreDir(backup, dir);
  await w.startOracle(o);
  // The restored store is what it was at the kill: nothing lost.
  await sleep(200);
  proxy.setFault(PASS);
  return `${damage} → ${outcome}; backup restored`;
}

/** One agent fault, held and undone. */
export async function agentEpisode(c: Ctx, kind: AgentFault, h: Honest): Promise<string> {
  const { rng, ledger } = c;
  const a = h.agent;
  if (!a.running) return 'agent not running: skipped';
  const hold = rng.int(500, 3000);
  switch (kind) {
    case 'kill': {
      h.busy = true;
      await sleep(rng.int(0, 400));
      await a.kill('SIGKILL');
      ledger.checkAgent(h.label, h.stateDir, c.seed);
      await sleep(rng.int(0, 1000));
      await restart(c, h);
      return 'SIGKILL at a random point, ratchet checked, restarted';
    }
    case 'stop':
      freeze(a.proc);
      await sleep(hold);
      thaw(a.proc);
      return `SIGSTOP ${hold} ms, SIGCONT`;
    case 'clock': {
      if (!a.faketimeLib) return 'not run: no libfaketime';
      const jump = rng.pick(['+1d', '-1d', '+3600s', '-3600s', '+120s', '-120s']);
      a.setClock(jump);
      await sleep(hold);
      a.setClock('+0');
      return `clock ${jump} for ${hold} ms, then back`;
    }
    case 'state-corrupt':
      return stateEpisode(c, h);
  }
}

/** What the agent loads from `file` of `dir` (ratchet.json's newest slot, or state.json), as text; undefined if unreadable. */
function loadedView(dir: string, file: string): string | undefined {
  try {
    return JSON.stringify(
      file === 'ratchet.json' ? ratchetFileView(dir) : JSON.parse(readFileSync(join(dir, file), 'utf8')),
    );
  } catch {
    return undefined;
  }
}

async function stateEpisode(c: Ctx, h: Honest): Promise<string> {
  const { rng, ledger } = c;
  const a = h.agent;
  h.busy = true;
  await a.kill('SIGKILL');
  ledger.checkAgent(h.label, h.stateDir, c.seed);
  const backup = `${h.stateDir}.backup`;
  backupDir(h.stateDir, backup);
  const file = rng.pick(['ratchet.json', 'state.json']);
  const before = loadedView(h.stateDir, file);
  const damage = `${file} ${corruptFile(join(h.stateDir, file), rng)}`;
  // Damage outside what the agent loads (ratchet.json's blank slot or padding) leaves its state
  // as it was: starting is right then, and so is not restoring the backup afterwards, as the
  // agent may have stepped on (restoring would roll it back, and the cluster would rightly revoke
  // it: found with seed 95048, a flip in the blank slot).
  const harmless = before !== undefined && loadedView(h.stateDir, file) === before;
  const logFrom = statSync(a.logFile).size;
  await a.start(false);
  const exit = await exitWithin(a.proc!, 15_000);
  let outcome: string;
  if (exit === null && harmless) {
    await a.kill('SIGKILL');
    await restart(c, h);
    return `${damage} → started: damage outside the loaded state`;
  }
  if (exit === null) {
    outcome = 'STARTED ON CORRUPT STATE';
    ledger.fail('soak', c.seed, `agent ${h.label} started on corrupt state (${damage})`);
    await a.kill('SIGKILL');
  } else {
    a.exits[a.exits.length - 1]!.expected = true;
    const log = readFileSync(a.logFile, 'utf8').slice(logFrom);
    outcome = log.includes('STATE_CORRUPT')
      ? 'refused: STATE_CORRUPT'
      : `exited ${exit.code}, not STATE_CORRUPT`;
    if (!log.includes('STATE_CORRUPT'))
      ledger.fail('soak', c.seed, `agent ${h.label} on corrupt state (${damage}): ${outcome}`);
  }
  restoreDir(backup, h.stateDir);
  await restart(c, h);
  return `${damage} → ${outcome}; backup restored`;
}

async function restart(c: Ctx, h: Honest): Promise<void> {
  try {
    await h.agent.start();
  } catch (e) {
    c.ledger.fail('soak', c.seed, `agent ${h.label} did not restart: ${(e as Error).message}`);
  } finally {
    h.busy = false;
  }
}
