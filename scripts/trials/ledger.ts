/**
 * What the trials measured, as they go: honest steps by kind, fault episodes with outcomes,
 * certified steps found lost, thief outcomes, and failures (each with the seed that replays it).
 * Every figure in the table comes from here; nothing is filled in from expectation.
 */
import type { OracleProc } from '../../cli/localcluster.js';
import { type AgentRatchet, oracleCounters, readAgentRatchet } from './procs.js';

export type StepKind = 'sign-eddsa' | 'sign-es256' | 'jwt-eddsa' | 'jwt-es256' | 'cli-token-eddsa';

export interface Episode {
  /** When it began (ISO), to find it in the logs. */
  at: string;
  target: string;
  kind: string;
  ms: number;
  outcome: string;
}

export interface ThiefResult {
  kind: string;
  seed: number;
  /** Revoked on every oracle and a clone alert delivered. */
  caught: boolean;
  revokedOn: number;
  alert: boolean;
  /** From the thief's start to revoked on every oracle (ms), when caught. */
  detectMs?: number;
  bothRefused: boolean;
  note: string;
}

export interface Failure {
  trial: string;
  seed: number;
  what: string;
}

export class Ledger {
  readonly ok = new Map<StepKind, number>();
  readonly failedCalls = new Map<string, number>();
  readonly episodes: Episode[] = [];
  readonly lost: string[] = [];
  readonly thieves: ThiefResult[] = [];
  readonly failures: Failure[] = [];
  readonly notes: string[] = [];
  /** Highest certified counter seen per agent state dir, and per oracle per identity. */
  readonly #agentSeen = new Map<string, number>();
  readonly #oracleSeen = new Map<string, number>();

  okStep(kind: StepKind): void {
    this.ok.set(kind, (this.ok.get(kind) ?? 0) + 1);
  }

  failedCall(code: string): void {
    this.failedCalls.set(code, (this.failedCalls.get(code) ?? 0) + 1);
  }

  get okTotal(): number {
    return [...this.ok.values()].reduce((a, b) => a + b, 0);
  }

  fail(trial: string, seed: number, what: string): void {
    this.failures.push({ trial, seed, what });
  }

  /**
   * The agent's certified counter now: it must never be below one seen before (a step the agent
   * had certified, then forgot). Returns the ratchet read.
   */
  checkAgent(label: string, stateDir: string, seed: number): AgentRatchet | undefined {
    const r = readAgentRatchet(stateDir);
    if (!r) return undefined;
    const seen = this.#agentSeen.get(stateDir) ?? 0;
    if (r.counter < seen) {
      const what = `agent ${label}: certified counter ${r.counter} < ${seen} seen before`;
      this.lost.push(what);
      this.fail('soak', seed, what);
    }
    this.#agentSeen.set(stateDir, Math.max(seen, r.counter));
    return r;
  }

  /**
   * A stopped oracle's counters: never below what it held before, and never below a commit of
   * its own in an agent's certificate (the agent holds its signed word that it had committed).
   */
  async checkOracle(
    o: OracleProc,
    agents: readonly { identityId: string; stateDir: string; label: string }[],
    seed: number,
    when: string,
  ): Promise<Map<string, number>> {
    const counters = await oracleCounters(
      o,
      agents.map((a) => a.identityId),
    );
    for (const a of agents) {
      const c = counters.get(a.identityId) ?? 0;
      const key = `${o.id}/${a.identityId}`;
      const seen = this.#oracleSeen.get(key) ?? 0;
      const what = (why: string) => `oracle ${o.id} ${when}: ${a.label} counter ${c} < ${why}`;
      if (c < seen) {
        this.lost.push(what(`${seen} it held before`));
        this.fail('soak', seed, what(`${seen} it held before`));
      }
      this.#oracleSeen.set(key, Math.max(seen, c));
      const cert = readAgentRatchet(a.stateDir)?.certificate.find((x) => x.nodeId === o.id);
      if (cert && c < cert.counter) {
        this.lost.push(what(`its commit ${cert.counter} in the agent's certificate`));
        this.fail('soak', seed, what(`its commit ${cert.counter} in the agent's certificate`));
      }
    }
    return counters;
  }
}
