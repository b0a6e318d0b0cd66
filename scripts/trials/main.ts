/**
 * `npm run trials`: the fault campaign (issue 11 item 5). One cluster of real processes on
 * loopback; a soak of honest steps under oracle and agent faults; thieves of every kind; then
 * the audit, and one table of figures printed and written to trials-results/ (markdown + JSON).
 *
 * usage: npm run trials -- [--seed N] [--only soak|KIND] [--scale X] [--steps N] [--thieves N]
 *                          [--parallel N] [--out DIR] [--keep]
 *   --scale X   (or MPCID_TRIALS_SCALE) multiplies the 1,000 steps and 20 thieves per kind; 0.1 is
 *               a quick run. --steps / --thieves set them directly.
 *   --only KIND runs only the soak or one thief kind; with a thief kind and no --thieves it runs
 *               the one trial whose seed is --seed (as listed under failing trials).
 * Exit status 0 when every figure meets its requirement, 1 otherwise, 2 on a usage error.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { audit, checkQuorumHolds } from './audit.js';
import { Ledger } from './ledger.js';
import { readAgentRatchet } from './procs.js';
import { markdown, type RunInfo, rows, write } from './report.js';
import { canSignAgain, enrollHonest, soak } from './soak.js';
import { THIEF_KINDS, type ThiefKind, thieves } from './thieves.js';
import { World } from './world.js';

const say = (l: string) => process.stdout.write(`${l}\n`);

/** The world to tear down on SIGINT/SIGTERM (processes, proxies, the tmpfs mount). */
let current: World | undefined;
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(sig, () => {
    say(`${sig}: stopping the trial cluster`);
    const w = current;
    void (w ? w.stop().catch(() => undefined) : Promise.resolve()).finally(() => {
      w?.release();
      if (w) say(`logs kept in ${w.cluster.dir}`);
      process.exit(code);
    });
  });
}

function args() {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      only: { type: 'string' },
      scale: { type: 'string' },
      steps: { type: 'string' },
      thieves: { type: 'string' },
      parallel: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  const num = (v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`not a non-negative number: ${v}`);
    return n;
  };
  const only = values.only;
  if (only !== undefined && only !== 'soak' && !(THIEF_KINDS as readonly string[]).includes(only))
    throw new Error(`--only: soak or one of ${THIEF_KINDS.join(', ')}`);
  const scale = num(values.scale ?? process.env['MPCID_TRIALS_SCALE'], 1);
  const single = only !== undefined && only !== 'soak' && values.thieves === undefined;
  return {
    help: values.help === true,
    seed: Math.floor(num(values.seed, Date.now() % 1_000_000)),
    only,
    scale,
    steps: Math.floor(num(values.steps, Math.max(50, Math.round(1000 * scale)))),
    thieves: single ? 1 : Math.floor(num(values.thieves, Math.max(2, Math.round(20 * scale)))),
    parallel: Math.max(1, Math.floor(num(values.parallel, 4))),
    out: resolve(values.out ?? 'trials-results'),
    keep: values.keep === true,
  };
}

async function main(): Promise<number> {
  const a = args();
  if (a.help) {
    say(
      'usage: npm run trials -- [--seed N] [--only soak|KIND] [--scale X] [--steps N] [--thieves N] [--out DIR] [--keep]',
    );
    return 0;
  }
  const t0 = Date.now();
  const startedAt = new Date().toISOString();
  say(`mpcid trials: seed ${a.seed}, scale ${a.scale}, ${a.steps} steps, ${a.thieves} thieves per kind`);
  const w = await World.start(a.seed);
  current = w;
  const environment = [
    `agent clocks: ${w.faketimeLib ? `libfaketime ${w.faketimeLib} (checked: moves node's clock)` : 'missing' in w.faketime ? w.faketime.missing : ''}`,
    `oracle 3 disk: ${'mount' in w.tmpfs ? 'tmpfs 64 MiB at its data dir (ENOSPC)' : w.tmpfs.missing}; runs as uid ${w.diskOracleUid} (read-only: chmod)`,
  ];
  for (const e of environment) say(`  ${e}`);
  say(`  cluster dir ${w.cluster.dir}`);
  const ledger = new Ledger();
  const tokens: string[] = [];
  const honest = [] as Awaited<ReturnType<typeof enrollHonest>>;
  let unable: { label: string; why: string }[] = [];
  let failed = true;
  try {
    if (a.only === undefined || a.only === 'soak') {
      const count = a.steps >= 500 ? 6 : a.steps >= 200 ? 4 : 2;
      honest.push(...(await enrollHonest(w, count)));
      say(`  ${count} honest agents enrolled (EdDSA + ES256); soak begins`);
      await soak(w, honest, ledger, tokens, {
        seed: a.seed,
        steps: a.steps,
        agents: count,
        // A hang guard, not a speed requirement: 2 s per step (a loaded 2-core machine makes ~1).
        maxMs: Math.max(3 * 60_000, a.steps * 2_000),
        log: say,
      });
      unable = await canSignAgain(honest, ledger, tokens, a.seed);
      // Done with them: their heartbeats would only load the cores the thieves need.
      for (const h of honest) await h.agent.kill('SIGTERM');
      say(`  soak done: ${ledger.okTotal} steps, ${ledger.episodes.length} fault episodes`);
    }
    if (a.only !== 'soak') {
      const kinds = a.only === undefined ? THIEF_KINDS : [a.only as ThiefKind];
      say(`  thieves: ${kinds.length} kinds × ${a.thieves}`);
      ledger.thieves.push(
        ...(await thieves(w, kinds, a.thieves, a.seed, { parallel: a.parallel, windowMs: 8_000, log: say })),
      );
    }
    const falseRevocations: string[] = [];
    for (const h of honest) {
      const st = await w.statuses(h.identityId);
      if (st.includes('revoked')) falseRevocations.push(`${h.label}: [${st.join(', ')}]`);
      else if (w.hook.received.some((e) => e.identityId === h.identityId))
        falseRevocations.push(`${h.label}: an alert was raised`);
    }
    for (const f of falseRevocations) ledger.fail('soak', a.seed, `false revocation: ${f}`);
    const ratchetSteps = honest.reduce((s, h) => s + (readAgentRatchet(h.stateDir)?.counter ?? 0), 0);
    await w.stop();
    await checkQuorumHolds(w, honest, ledger, a.seed);
    const au = await audit(
      w,
      w.agents.map((x) => x.stateDir),
      tokens,
    );
    const info: RunInfo = {
      seed: a.seed,
      scale: a.scale,
      steps: a.steps,
      only: a.only,
      startedAt,
      seconds: (Date.now() - t0) / 1000,
      honestAgents: honest.length,
      ratchetSteps,
      falseRevocations,
      unable,
      environment,
    };
    const table = rows(info, ledger, au, a.thieves);
    const md = markdown(info, table, ledger, au);
    const files = write(a.out, info, md, {
      info,
      table,
      episodes: ledger.episodes,
      thieves: ledger.thieves,
      failures: ledger.failures,
      crashes: au.crashes,
      leaks: au.leaks,
      lost: ledger.lost,
    });
    say('');
    say(md);
    say(`written: ${files.md}, ${files.json}`);
    failed = table.some((r) => r.ok === false);
    return failed ? 1 : 0;
  } finally {
    await w.stop().catch(() => undefined);
    w.release();
    if (!a.keep && !failed) rmSync(w.cluster.dir, { recursive: true, force: true });
    else say(`logs kept in ${w.cluster.dir}`);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`trials: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(e instanceof Error && /--only|not a non-negative|Unknown option/.test(e.message) ? 2 : 1);
  },
);
