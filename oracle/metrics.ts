/**
 * Prometheus metrics of one oracle (served at /metrics). Each oracle has its own Registry, never
 * prom-client's global one, so several oracles in one process (tests) do not share counters.
 * Counters are incremented from the existing code paths; gauges that mirror stored state (outbox
 * depth, identities enrolled) and peer reachability are read when scraped.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { cryptoBackend } from '../crypto/ed25519-native.js';
import type { Decision } from './ratchet.js';

/** Outcome label of a ratchet step: the accept rule's decision, in snake case. */
export type StepOutcomeLabel = 'next' | 'fast_forward' | 'replay' | 'stale' | 'need_certificate' | 'fork';

export function outcomeLabel(d: Decision): StepOutcomeLabel {
  return d.kind.replace('-', '_') as StepOutcomeLabel;
}

/** Sources of the values that are read at scrape time; set by the node once its services exist. */
export interface MetricSources {
  /** Undelivered alert events per webhook index. */
  outbox(): Promise<Map<number, number>>;
  /** Dead letters (events refused past the dead-letter bound) per webhook index. */
  deadLetters(): Promise<Map<number, number>>;
  identities(): Promise<number>;
  /** Reachability of every peer (node id → reachable) from the readiness probe. */
  peers(): Promise<Map<number, boolean>>;
}

export class OracleMetrics {
  readonly registry = new Registry();
  sources: MetricSources | undefined;

  readonly steps = new Counter({
    name: 'mpcid_ratchet_steps_total',
    help: 'Ratchet steps handled by the accept rule, by step kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly signatureShares = new Counter({
    name: 'mpcid_signature_shares_total',
    help: 'FROST signature shares produced by this oracle, by step kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly es256Presigns = new Counter({
    name: 'mpcid_es256_presigns_total',
    help: 'ES256 presignatures on this oracle: made (rounds 1-3 passed), hit (an es256 step used one), miss (an es256 step named one this oracle does not hold)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly policyRefusals = new Counter({
    name: 'mpcid_policy_refusals_total',
    help: 'Accepted steps whose payload this oracle refused to co-sign by policy, by step kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly stepDuration = new Histogram({
    name: 'mpcid_step_duration_seconds',
    help: 'Time to handle one Step request (authentication, accept rule, sync write, signing)',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly revocations = new Counter({
    name: 'mpcid_revocations_total',
    help: 'Revocations recorded by this oracle since it started, by source (local detection or peer)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly issuerAborts = new Counter({
    name: 'mpcid_issuer_aborts_total',
    help: 'Issuer-key sessions this oracle ended because a party sent an inconsistent message, by culprit (the oracle node id, 0 for the relay) and check',
    labelNames: ['culprit', 'check'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'mpcid_rate_limited_total',
    help: 'Requests refused with RATE_LIMITED, by RPC (GetNonces, Step) and limit scope (identity, peer)',
    labelNames: ['rpc', 'scope'] as const,
    registers: [this.registry],
  });

  constructor() {
    const self = this;
    const perWebhook = (
      name: string,
      help: string,
      source: (s: MetricSources) => Promise<Map<number, number>>,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['webhook'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          const counts = self.sources ? await source(self.sources).catch(() => undefined) : undefined;
          for (const [w, n] of counts ?? []) this.set({ webhook: String(w) }, n);
        },
      });
    perWebhook(
      'mpcid_alert_outbox_depth',
      'Alert events waiting in the outbox for delivery, by webhook index',
      (s) => s.outbox(),
    );
    perWebhook(
      'mpcid_alert_dead_letters',
      'Alert events a webhook refused past the dead-letter bound (kept, listed by mpcid alerts dead), by webhook index',
      (s) => s.deadLetters(),
    );
    new Gauge({
      name: 'mpcid_crypto_backend',
      help: 'Ed25519 backend of FROST signing and point checks: 1 for the active one (sodium = libsodium, noble = @noble/curves fallback)',
      labelNames: ['backend'] as const,
      registers: [this.registry],
      collect() {
        const active = cryptoBackend().name;
        for (const backend of ['sodium', 'noble'] as const) this.set({ backend }, backend === active ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mpcid_identities_enrolled',
      help: 'Identities enrolled on this oracle (revoked ones included)',
      registers: [this.registry],
      async collect() {
        const n = await self.sources?.identities().catch(() => undefined);
        if (n !== undefined) this.set(n);
      },
    });
    new Gauge({
      name: 'mpcid_peer_up',
      help: 'Whether a peer oracle answered the last readiness probe (1) or not (0), by peer node id',
      labelNames: ['peer'] as const,
      registers: [this.registry],
      async collect() {
        const peers = await self.sources?.peers().catch(() => undefined);
        for (const [id, up] of peers ?? []) this.set({ peer: String(id) }, up ? 1 : 0);
      },
    });
  }

  /** Starts a Step timer; call the result with the step kind once the request is handled. */
  startStep(): (kind: string) => void {
    const end = this.stepDuration.startTimer();
    return (kind) => end({ kind });
  }
}
