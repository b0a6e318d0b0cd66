/**
 * The soak: honest agents (EdDSA and ES256) make steps of every kind through the proxies while
 * one fault loop hurts the oracles and another the agents. Steps: raw EdDSA and ES256
 * signatures and JWTs of both algorithms through the Workload API, some tokens through the real
 * `mpcid token fetch`, and heartbeats the agents make on their own when idle. Calls that fail
 * during a fault are counted (by error code) but are not failures: faults may fail calls. What
 * must hold is checked after every kill and at the end (ledger.ts, audit.ts).
 */
import { readFileSync } from 'node:fs';
import { mpcid } from '../../cli/localcluster.js';
import { call, errorCodeOf } from '../../common/grpc.js';
import {
  AGENT_FAULTS,
  type AgentFault,
  agentEpisode,
  type Honest,
  ORACLE_FAULTS,
  type OracleFault,
  oracleEpisode,
  sleep,
} from './episodes.js';
import type { Ledger, StepKind } from './ledger.js';
import { Prng } from './prng.js';
import { PASS } from './proxy.js';
import type { World } from './world.js';

export const AUDIENCE = 'https://rp.trials.mpcid';

export interface SoakOptions {
  seed: number;
  steps: number;
  agents: number;
  maxMs: number;
  log: (line: string) => void;
}

/** One Workload API step of `kind`; resolves on success, throws the call's error. */
export async function step(h: Honest, kind: StepKind, tokens: string[], deadlineMs = 20_000): Promise<void> {
  const w = h.agent.workload;
  const msg = Buffer.from(`trial ${h.label} ${kind} ${Date.now()}`);
  switch (kind) {
    case 'sign-eddsa':
      await call(w, w.Sign, { message: msg, alg: 'EdDSA' }, deadlineMs);
      return;
    case 'sign-es256':
      await call(w, w.Sign, { message: msg, alg: 'ES256' }, deadlineMs);
      return;
    case 'jwt-eddsa':
    case 'jwt-es256': {
      const alg = kind === 'jwt-es256' ? 'ES256' : 'EdDSA';
      const r = await call(
        w,
        w.FetchJWT,
        { audience: [AUDIENCE], alg, ttlSeconds: 0, extraClaimsJson: '' },
        deadlineMs,
      );
      tokens.push(r.token);
      return;
    }
    case 'cli-token-eddsa': {
      const r = await mpcid(
        ['token', 'fetch', '--alg', 'EdDSA', '--socket', h.agent.socket, '--audience', AUDIENCE],
        {
          timeoutMs: deadlineMs,
        },
      );
      if (r.code !== 0) throw new Error(r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`);
      tokens.push(r.stdout.trim());
      return;
    }
  }
}

const WEIGHTS = {
  'sign-eddsa': 4,
  'sign-es256': 2,
  'jwt-eddsa': 3,
  'jwt-es256': 2,
  'cli-token-eddsa': 0.4,
  idle: 1.2,
} as const;

export async function enrollHonest(w: World, count: number): Promise<Honest[]> {
  const out: Honest[] = [];
  for (let i = 0; i < count; i++) {
    const label = `honest-${i + 1}`;
    const { stateDir, kid } = await w.enroll(`spiffe://trials.mpcid/${label}`, 'EdDSA,ES256');
    const agent = w.agent(stateDir, label, { heartbeatMs: 400 });
    await agent.start();
    w.honest.add(kid);
    out.push({ label, identityId: kid, stateDir, agent, busy: false });
  }
  return out;
}

export async function soak(
  w: World,
  honest: readonly Honest[],
  ledger: Ledger,
  tokens: string[],
  o: SoakOptions,
): Promise<void> {
  const t0 = Date.now();
  let stop = false;
  const ctx = (label: string) => ({ w, ledger, rng: new Prng(o.seed, label), seed: o.seed, honest });

  const driver = async (h: Honest) => {
    const rng = new Prng(o.seed, `driver:${h.label}`);
    while (!stop) {
      if (h.busy || !h.agent.running) {
        await sleep(100);
        continue;
      }
      const kind = rng.weighted(WEIGHTS);
      if (kind === 'idle') {
        await sleep(rng.int(450, 1000)); // long enough for a heartbeat step
        continue;
      }
      try {
        await step(h, kind, tokens);
        ledger.okStep(kind);
        ledger.checkAgent(h.label, h.stateDir, o.seed);
      } catch (e) {
        ledger.failedCall(`${kind}: ${errorCodeOf(e) ?? (e as { code?: number }).code ?? 'error'}`);
        await sleep(100);
      }
    }
  };

  const oracleFaults = async () => {
    const c = ctx('oracle-faults');
    while (!stop) {
      await sleep(c.rng.int(500, 2500));
      if (stop) break;
      const kind = c.rng.weighted(ORACLE_FAULTS) as OracleFault;
      const target = c.rng.pick(w.oracles);
      const t = Date.now();
      try {
        const outcome = await oracleEpisode(c, kind, target);
        ledger.episodes.push({
          at: new Date(t).toISOString(),
          target: `oracle ${target.id}`,
          kind,
          ms: Date.now() - t,
          outcome,
        });
      } catch (e) {
        ledger.fail('soak', o.seed, `oracle episode ${kind} on ${target.id} failed: ${(e as Error).message}`);
      }
    }
  };

  const agentFaults = async () => {
    const c = ctx('agent-faults');
    while (!stop) {
      await sleep(c.rng.int(1500, 4000));
      if (stop) break;
      const kind = c.rng.weighted(AGENT_FAULTS) as AgentFault;
      const h = c.rng.pick(honest);
      const t = Date.now();
      try {
        const outcome = await agentEpisode(c, kind, h);
        ledger.episodes.push({
          at: new Date(t).toISOString(),
          target: h.label,
          kind: `agent ${kind}`,
          ms: Date.now() - t,
          outcome,
        });
      } catch (e) {
        ledger.fail('soak', o.seed, `agent episode ${kind} on ${h.label} failed: ${(e as Error).message}`);
      }
    }
  };

  const progress = setInterval(() => {
    o.log(
      `  soak: ${ledger.okTotal}/${o.steps} steps ok, ${ledger.episodes.length} fault episodes, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }, 15_000);
  const tasks = [...honest.map(driver), oracleFaults(), agentFaults()];
  while (ledger.okTotal < o.steps && Date.now() - t0 < o.maxMs) await sleep(200);
  if (ledger.okTotal < o.steps)
    ledger.fail('soak', o.seed, `only ${ledger.okTotal} of ${o.steps} steps in ${o.maxMs} ms`);
  stop = true;
  await Promise.all(tasks);
  clearInterval(progress);
  for (const p of w.proxies) p.setFault(PASS);
  for (const x of w.oracles) if (!x.running) await w.startOracle(x);
}

/**
 * After the faults: every honest agent must make every kind of step again (a fresh start if its
 * process is gone). One that cannot within `withinMs` is left unable to sign.
 */
/** The kernel's state letter of a process (R, S, T stopped, Z, ...), to tell a hang from a freeze. */
function processState(pid: number | undefined): string {
  try {
    return `state ${readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '?'}`;
  } catch {
    return 'gone';
  }
}

export async function canSignAgain(
  honest: readonly Honest[],
  ledger: Ledger,
  tokens: string[],
  seed: number,
  withinMs = 30_000,
): Promise<{ label: string; why: string }[]> {
  const unable: { label: string; why: string }[] = [];
  for (const h of honest) {
    if (!h.agent.running) {
      try {
        await h.agent.start();
      } catch (e) {
        unable.push({ label: h.label, why: `does not start: ${(e as Error).message}` });
        continue;
      }
    }
    for (const kind of ['sign-eddsa', 'sign-es256', 'jwt-eddsa', 'jwt-es256'] as const) {
      const until = Date.now() + withinMs;
      let last = '';
      for (;;) {
        try {
          await step(h, kind, tokens, 10_000);
          ledger.okStep(kind);
          last = '';
          break;
        } catch (e) {
          last = `${errorCodeOf(e) ?? ''} ${(e as Error).message}`.trim();
          if (Date.now() > until) break;
          await sleep(500);
        }
      }
      if (last) {
        last += `; process ${processState(h.agent.proc?.pid)}`;
        unable.push({ label: h.label, why: `${kind}: ${last}` });
        ledger.fail('soak', seed, `${h.label} unable to ${kind} after the faults: ${last}`);
        break;
      }
    }
  }
  return unable;
}
