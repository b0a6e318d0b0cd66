/**
 * Thieves: a copy of an agent's state dir run as a second agent beside the original, which keeps
 * working. Kinds:
 *
 *   clone-equal          a live copy, same clock
 *   clone-ahead          a live copy, its clock a day ahead (libfaketime)
 *   clone-behind         a live copy, its clock a day behind
 *   old-snapshot         a copy taken earlier, run after the original made 3-6 more steps
 *   old-snapshot-behind  the same, its clock a day behind
 *   edited-ratchet       a live copy whose ratchet.json `time` is a day ahead, checksum recomputed
 *
 * Both copies then act (the thief signs and heartbeats every second, the original signs) until
 * the identity is revoked on every oracle or the detection window ends. Caught means observed:
 * every oracle's admin API reports the identity revoked and a clone alert reached the webhook.
 * Both copies must then be refused. Each trial follows from its seed.
 */
import { call } from '../../common/grpc.js';
import { copyStateDir } from '../../test/helpers/statedir.js';
import { sleep } from './episodes.js';
import { editRatchetTime } from './files.js';
import type { ThiefResult } from './ledger.js';
import { Prng } from './prng.js';
import type { TrialAgent } from './procs.js';
import type { World } from './world.js';

export const THIEF_KINDS = [
  'clone-equal',
  'clone-ahead',
  'clone-behind',
  'old-snapshot',
  'old-snapshot-behind',
  'edited-ratchet',
] as const;
export type ThiefKind = (typeof THIEF_KINDS)[number];

const CLOCK: Record<ThiefKind, string> = {
  'clone-equal': '+0',
  'clone-ahead': '+1d',
  'clone-behind': '-1d',
  'old-snapshot': '+0',
  'old-snapshot-behind': '-1d',
  'edited-ratchet': '+0',
};

const DAY_MS = 86_400_000;

async function sign(a: TrialAgent, text: string): Promise<string> {
  try {
    await call(a.workload, a.workload.Sign, { message: Buffer.from(text), alg: 'EdDSA' }, 8_000);
    return 'ok';
  } catch (e) {
    return (e as Error).message.split(':')[1]?.trim() ?? (e as Error).message;
  }
}

export async function thiefTrial(
  w: World,
  kind: ThiefKind,
  seed: number,
  windowMs: number,
): Promise<ThiefResult> {
  const rng = new Prng(seed, kind);
  const base = { kind, seed, caught: false, revokedOn: 0, alert: false, bothRefused: false };
  const needsClock = CLOCK[kind] !== '+0';
  if (needsClock && !w.faketimeLib)
    return { ...base, note: `not run: ${'missing' in w.faketime ? w.faketime.missing : ''}` };
  const { stateDir, kid } = await w.enroll(`spiffe://trials.mpcid/thief/${kind}/${seed}`, 'EdDSA');
  // The original steps only when it signs (heartbeats off), as an agent idle between requests
  // whose heartbeat interval is longer than the thief's run of steps.
  const a = w.agent(stateDir, `original-${kind}-${seed}`, { heartbeatMs: 0 });
  const copyDir = `${stateDir}-copy`;
  let b: TrialAgent | undefined;
  try {
    await a.start();
    for (let i = rng.int(1, 3); i > 0; i--) await sign(a, `original before the copy ${i}`);
    copyStateDir(stateDir, copyDir);
    if (kind.startsWith('old-snapshot'))
      for (let i = rng.int(3, 6); i > 0; i--) await sign(a, `original after the snapshot ${i}`);
    if (kind === 'edited-ratchet') editRatchetTime(copyDir, DAY_MS);
    b = w.agent(copyDir, `thief-${kind}-${seed}`, { heartbeatMs: 1000, clock: CLOCK[kind] });
    let started = true;
    await b.start().catch(() => {
      started = false;
    });
    let detectMs: number | undefined;
    let revokedOn = 0;
    const seen: string[] = [];
    // The attack of issue 11: the thief runs alone first (signs, heartbeats every second) until
    // the oracles are a few counters past the original; then both copies act.
    for (let i = rng.int(3, 5); i > 0 && b.running; i--) seen.push(`B:${await sign(b, 'alone')}`);
    // Detection time (and the window) runs from the moment both copies act: the promise is that
    // a copy is caught the first time both act, and the thief's run alone can take seconds under
    // load (a window started before it once ended before the original acted at all).
    const t0 = Date.now();
    while (Date.now() - t0 < windowMs) {
      const order = rng.chance(0.5) ? [b, a] : [a, b];
      for (const x of order) if (x.running) seen.push(`${x === a ? 'A' : 'B'}:${await sign(x, 'act')}`);
      const st = await w.statuses(kid);
      revokedOn = st.filter((s) => s === 'revoked').length;
      if (revokedOn === w.oracles.length) {
        detectMs = Date.now() - t0;
        break;
      }
      await sleep(rng.int(100, 400));
    }
    const alertUntil = Date.now() + (detectMs === undefined ? 0 : 5_000);
    let alert = false;
    for (;;) {
      alert = w.hook.received.some((e) => e.identityId === kid && e.type === 'identity.clone_detected');
      if (alert || Date.now() >= alertUntil) break;
      await sleep(100);
    }
    const refusedA = (await sign(a, 'after')) !== 'ok';
    const refusedB = !b.running || (await sign(b, 'after')) !== 'ok';
    const tail = seen.slice(-4).join(' ');
    return {
      ...base,
      caught: detectMs !== undefined && alert,
      revokedOn,
      alert,
      ...(detectMs === undefined ? {} : { detectMs }),
      bothRefused: refusedA && refusedB,
      note: `${started ? '' : 'thief did not start; '}last: ${tail}`,
    };
  } finally {
    await a.kill('SIGKILL');
    await b?.kill('SIGKILL');
    a.workload.close();
    b?.workload.close();
  }
}

/** Runs `count` trials of each kind, `parallel` at a time; trial i of a kind has seed `seed + i`. */
export async function thieves(
  w: World,
  kinds: readonly ThiefKind[],
  count: number,
  seed: number,
  opts: { parallel: number; windowMs: number; log: (l: string) => void },
): Promise<ThiefResult[]> {
  const jobs = kinds.flatMap((k) => Array.from({ length: count }, (_, i) => ({ kind: k, seed: seed + i })));
  const out: ThiefResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const j = jobs[next++]!;
      try {
        out.push(await thiefTrial(w, j.kind, j.seed, opts.windowMs));
      } catch (e) {
        out.push({
          kind: j.kind,
          seed: j.seed,
          caught: false,
          revokedOn: 0,
          alert: false,
          bothRefused: false,
          note: `trial error: ${(e as Error).message}`,
        });
      }
      if (out.length % 10 === 0) opts.log(`  thieves: ${out.length}/${jobs.length}`);
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, worker));
  return out;
}
