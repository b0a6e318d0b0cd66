/**
 * The one table of figures: markdown (printed and written) and JSON, both under trials-results/
 * with a timestamp. Each figure says what it requires and whether the run met it; failing trials
 * are listed with the command that replays them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Audit } from './audit.js';
import type { Ledger, ThiefResult } from './ledger.js';

export interface RunInfo {
  seed: number;
  scale: number;
  steps: number;
  only: string | undefined;
  startedAt: string;
  seconds: number;
  honestAgents: number;
  ratchetSteps: number;
  falseRevocations: string[];
  unable: { label: string; why: string }[];
  environment: string[];
}

interface Row {
  figure: string;
  value: string;
  required: string;
  ok: boolean | undefined;
}

const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(0)} %`);

function quantile(xs: number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function thiefRows(results: readonly ThiefResult[], required: number): Row[] {
  const kinds = [...new Set(results.map((r) => r.kind))];
  return kinds.map((k) => {
    const rs = results.filter((r) => r.kind === k);
    const run = rs.filter((r) => !r.note.startsWith('not run'));
    const caught = run.filter((r) => r.caught);
    const ms = caught.map((r) => r.detectMs!);
    const p50 = quantile(ms, 0.5);
    const refused = caught.filter((r) => r.bothRefused).length;
    return {
      figure: `copies caught: ${k}`,
      value:
        run.length === 0
          ? `not run (${rs[0]?.note ?? ''})`
          : `${caught.length}/${run.length} (${pct(caught.length, run.length)})` +
            (ms.length ? `, detection p50 ${p50} ms, max ${Math.max(...ms)} ms` : '') +
            `, both refused ${refused}/${caught.length}`,
      required: `100 %, ≥ ${required}`,
      ok: run.length >= required && caught.length === run.length && refused === caught.length,
    };
  });
}

export function rows(info: RunInfo, ledger: Ledger, a: Audit, thiefCount: number): Row[] {
  const okKinds = [...ledger.ok.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
  const byKind = new Map<string, number>();
  for (const e of ledger.episodes) byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + 1);
  const outcomes = (prefix: string) =>
    ledger.episodes
      .filter((e) => e.kind === prefix)
      .map((e) => (e.outcome.split(' → ')[1] ?? e.outcome).replace(/; backup restored$/, ''))
      .reduce((m, o) => m.set(o, (m.get(o) ?? 0) + 1), new Map<string, number>());
  const fmt = (m: Map<string, number>) =>
    m.size === 0 ? 'none' : [...m.entries()].map(([k, v]) => `${k} ×${v}`).join('; ');
  const soakRun = info.only === undefined || info.only === 'soak';
  const r: Row[] = [];
  if (soakRun) {
    r.push(
      {
        figure: 'honest steps (Workload API calls answered)',
        value: `${ledger.okTotal}: ${okKinds}`,
        required: `≥ ${info.steps}`,
        ok: ledger.okTotal >= info.steps,
      },
      {
        figure: 'ratchet steps certified (Σ honest counters, incl. heartbeats and re-made steps)',
        value: String(info.ratchetSteps),
        required: '',
        ok: undefined,
      },
      {
        figure: 'fault episodes',
        value: `${ledger.episodes.length}: ${[...byKind.entries()].map(([k, v]) => `${k} ${v}`).join(', ')}`,
        required: '',
        ok: undefined,
      },
      {
        figure: 'calls failed during faults (allowed)',
        value: [...ledger.failedCalls.entries()].map(([k, v]) => `${k} ×${v}`).join(', ') || '0',
        required: '',
        ok: undefined,
      },
      {
        figure: 'false revocations of honest agents',
        value: String(info.falseRevocations.length),
        required: '0',
        ok: info.falseRevocations.length === 0,
      },
      {
        figure: 'certified steps lost',
        value: String(ledger.lost.length),
        required: '0',
        ok: ledger.lost.length === 0,
      },
      {
        figure: 'honest agents left unable to sign',
        value: `${info.unable.length} of ${info.honestAgents}`,
        required: '0',
        ok: info.unable.length === 0,
      },
      {
        figure:
          'corrupt agent state (expected: refused STATE_CORRUPT; started if the damage is outside the loaded state)',
        value: fmt(outcomes('agent state-corrupt')),
        required: 'all refused (or harmless)',
        ok: [...outcomes('agent state-corrupt').keys()].every(
          (k) => k.startsWith('refused') || k === 'started: damage outside the loaded state',
        ),
      },
      {
        figure: 'corrupt oracle store (expected: refuses to start or answers as the others)',
        value: fmt(outcomes('store-corrupt')),
        required: 'no WRONG',
        ok: ![...outcomes('store-corrupt').keys()].some((k) => k.includes('WRONG')),
      },
      {
        figure: 'disk full / read-only data dir (oracle 3)',
        value: `${fmt(outcomes('enospc'))} | ${fmt(outcomes('readonly'))}`,
        required: '',
        ok: undefined,
      },
    );
  }
  r.push(...thiefRows(ledger.thieves, thiefCount));
  r.push(
    {
      figure: 'crashes on bad input (unexpected exits, uncaught errors in logs)',
      value: String(a.crashes.length),
      required: '0',
      ok: a.crashes.length === 0,
    },
    {
      figure: 'secrets in logs',
      value: `${a.leaks.length} (${a.secretsSearched} secrets searched in ${a.logsSearched} logs)`,
      required: '0',
      ok: a.leaks.length === 0,
    },
  );
  return r;
}

export function markdown(info: RunInfo, table: Row[], ledger: Ledger, a: Audit): string {
  const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? 'ok' : '**FAIL**');
  const lines = [
    `# mpcid trials ${info.startedAt}`,
    '',
    `seed ${info.seed}, scale ${info.scale}${info.only ? `, only ${info.only}` : ''}, ${info.honestAgents} honest agents, ` +
      `${info.seconds.toFixed(0)} s; cluster n=3 t=2, real processes on loopback`,
    ...info.environment.map((e) => `- ${e}`),
    '',
    '| figure | value | required | |',
    '|---|---|---|---|',
    ...table.map(
      (x) => `| ${x.figure} | ${x.value.replaceAll('|', '\\|')} | ${x.required} | ${mark(x.ok)} |`,
    ),
    '',
  ];
  const failing = ledger.thieves.filter((t) => !t.caught && !t.note.startsWith('not run'));
  if (failing.length > 0 || ledger.failures.length > 0 || a.crashes.length > 0 || a.leaks.length > 0) {
    lines.push('## Failing trials (replay: `npm run trials -- --seed N --only KIND`)', '');
    for (const t of failing)
      lines.push(
        `- ${t.kind} seed ${t.seed}: not caught (revoked on ${t.revokedOn}/3, alert ${t.alert}); ${t.note}`,
      );
    for (const f of ledger.failures) lines.push(`- ${f.trial} seed ${f.seed}: ${f.what}`);
    for (const c of a.crashes) lines.push(`- crash: ${c}`);
    for (const l of a.leaks.slice(0, 20)) lines.push(`- leak: ${l}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function write(dir: string, info: RunInfo, md: string, json: unknown): { md: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = info.startedAt.replace(/[:.]/g, '-');
  const files = { md: join(dir, `trials-${stamp}.md`), json: join(dir, `trials-${stamp}.json`) };
  writeFileSync(files.md, md);
  writeFileSync(files.json, `${JSON.stringify(json, null, 2)}\n`);
  return files;
}
