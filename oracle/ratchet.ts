/**
 * The oracle's accept rule for ratchet steps (docs/protocol.md §5). `decide` is the rule table as
 * a pure function; `RatchetService.accept` runs it for one identity at a time and persists each
 * accepted step (sync write) before anyone sees the reply.
 *
 *   stored: counter c, head h_c, last accepted step L
 *   same bytes as L                                  retry      replay L's stored reply
 *   counter = c+1, prevHead = h_c, time > L.time      next       accept
 *   counter = c+1, prevHead = h_c, time <= L.time     fork       time reversal
 *   counter = c+1, prevHead != h_c (L known)          fork       broken chain
 *   counter > c+1, valid certificate for counter-1    lagging    fast-forward, accept (fork if time <= L.time)
 *   counter > c+1, no valid certificate               refuse     NEED_CERTIFICATE
 *   counter = c, other bytes than L                   fork       equivocation
 *   counter < c, time >= L.time                       fork       signed after L yet behind it (an exposing step)
 *   counter = c-1, not L's predecessor                fork       broken chain
 *   counter < c otherwise                             refuse     STALE_STEP, with this node's commit to (c, h_c)
 *
 * A STALE_STEP answer carries this oracle's signed commit to its current state, so an agent that
 * is behind can prove to itself that the cluster holds a step it never made before it exposes
 * itself (docs/protocol.md §5, "A copy behind the cluster").
 */

import { clusterNodeKeys } from '../common/config.js';
import { isErrorCode, MpcidError } from '../common/errors.js';
import { LOG } from '../common/log.js';
import type { RegisterProof, RegisterState } from '../common/measure-wire.js';
import { KeyedMutex } from '../common/mutex.js';
import { commitFromJSON, commitToJSON, stepFromJSON, stepToJSON } from '../common/protocol.js';
import { equalBytes, fromB64u, toB64u } from '../crypto/bytes.js';
import {
  type Commit,
  conflict,
  type Evidence,
  genesisHead,
  headAfter,
  type SignedStep,
  type Step,
  signCommit,
  stepDigest,
  verifyCertificate,
} from '../crypto/ratchet.js';
import { type AuditContext, auditEntry } from './audit.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import { registersInForce, registersToRecord } from './measure.js';
import { outcomeLabel } from './metrics.js';
import type { Refusal } from './policy.js';
import type { EnvelopeJSON, RatchetRecord } from './records.js';
import type { RevocationService } from './revocation.js';

export type Decision =
  | { kind: 'replay' }
  | { kind: 'next' }
  | { kind: 'fast-forward' }
  | { kind: 'fork' }
  | { kind: 'stale' }
  | { kind: 'need-certificate' };

export interface RatchetView {
  counter: number;
  head: Uint8Array;
  last?: Step | undefined;
}

/** The rule table. `certified()` checks the request's certificate for (step.counter - 1, step.prevHead). */
export function decide(st: RatchetView, step: Step, certified: () => boolean): Decision {
  const c = st.counter;
  const last = st.last;
  if (last && equalBytes(stepDigest(last), stepDigest(step))) return { kind: 'replay' };
  // A step ahead of L that an honest history cannot follow L with (its time is not after L's):
  // evidence, even though the chain (or the certificate) says it could come next.
  const ahead = (kind: 'next' | 'fast-forward'): Decision =>
    last && conflict(last, step) ? { kind: 'fork' } : { kind };
  if (step.counter === c + 1) {
    if (equalBytes(step.prevHead, st.head)) return ahead('next');
    return last ? { kind: 'fork' } : { kind: 'stale' };
  }
  if (step.counter > c + 1) return certified() ? ahead('fast-forward') : { kind: 'need-certificate' };
  if (!last) return { kind: 'stale' };
  if (step.counter === c) return { kind: 'fork' };
  // Behind L: a fork whenever the pair is evidence (signed after L, or at c-1 but not L's
  // predecessor); otherwise an old step seen again.
  return conflict(last, step) ? { kind: 'fork' } : { kind: 'stale' };
}

export interface StepOutcome {
  commit: Commit;
  /** Present when this node signed (sign steps in whose signing set it is). */
  signatureShare?: Uint8Array;
  /** Set when this node accepted the step but refuses to co-sign its payload. */
  refusal?: Refusal;
  /** es256 steps: this node's sealed DKLs23 round-1 messages. */
  envelopes?: EnvelopeJSON[];
}

/** What co-signing a newly accepted step produced: a share, a refusal, or nothing (not a signer). */
export interface SignResult {
  share?: Uint8Array;
  refusal?: Refusal;
  envelopes?: EnvelopeJSON[];
  /** A measure step's new register values (stored with the step). */
  registers?: RegisterState;
  /** Work for the answer, done while the step's sync write runs (GroupCommit.write). */
  whileSyncing?: () => void;
}

/**
 * Co-signing a newly accepted step, given the register values in force (docs/protocol.md §6.4:
 * this node's, or newer ones a register proof certified; undefined: never extended).
 */
export type SignFn = (registers: RegisterState | undefined) => SignResult;

/**
 * A stored reply's refusal. Records written before refusalCode held "CODE: message" as the
 * message; they are replayed as POLICY_VIOLATION with that text, never parsed.
 */
function storedRefusal(message: string, code: string | undefined): Refusal {
  return { code: isErrorCode(code) ? code : 'POLICY_VIOLATION', message };
}

export class RatchetService {
  readonly #ctx: OracleContext;
  readonly #revocations: RevocationService;
  readonly #locks = new KeyedMutex();
  readonly #nodeKeys: Map<number, Uint8Array>;

  constructor(ctx: OracleContext, revocations: RevocationService) {
    this.#ctx = ctx;
    this.#revocations = revocations;
    this.#nodeKeys = clusterNodeKeys(ctx.config.cluster);
  }

  /** Runs `fn` with the identity's lock held: steps of one identity are handled one at a time. */
  #locked<T>(identityId: string, fn: () => Promise<T>): Promise<T> {
    return this.#locks.run(identityId, fn);
  }

  async #load(id: LoadedIdentity): Promise<{ rec: RatchetRecord; view: RatchetView }> {
    const rec = (await this.#ctx.store.getRatchet(id.record.identityId)) ?? {
      identityId: id.record.identityId,
      counter: 0,
      head: toB64u(genesisHead(id.record.identityId, id.group.groupPublicKey, id.sessionPublicKey)),
    };
    const view: RatchetView = {
      counter: rec.counter,
      head: fromB64u(rec.head, 'head', 32),
      last: rec.last ? stepFromJSON(rec.last.step).step : undefined,
    };
    return { rec, view };
  }

  /**
   * Applies the accept rule to an authenticated step. `sign` runs only for an accepted new step
   * (never for a replay) and returns this node's share, if it signs at all. The new state and
   * the reply are persisted with a sync write before this returns. `proof`, the agent's last
   * certified measure step, brings this node's registers up to date first (oracle/measure.ts).
   */
  async accept(
    id: LoadedIdentity,
    signed: SignedStep,
    certificate: readonly Commit[],
    peer: string,
    sign: SignFn,
    audit?: AuditContext,
    proof?: RegisterProof,
  ): Promise<StepOutcome> {
    const identityId = id.record.identityId;
    return this.#locked(identityId, async () => {
      this.#revocations.check(identityId);
      const { rec, view } = await this.#load(id);
      const step = signed.step;
      const d = decide(view, step, () => {
        try {
          verifyCertificate(
            this.#nodeKeys,
            id.group.as.t,
            identityId,
            step.counter - 1,
            step.prevHead,
            certificate,
          );
          return true;
        } catch {
          return false;
        }
      });
      this.#ctx.metrics.steps.inc({ kind: step.kind, outcome: outcomeLabel(d) });
      switch (d.kind) {
        case 'replay': {
          const r = rec.last!.reply;
          return {
            commit: {
              ...r.commit,
              head: fromB64u(r.commit.head, 'head', 32),
              signature: fromB64u(r.commit.signature, 'sig', 64),
            },
            ...(r.signatureShare ? { signatureShare: fromB64u(r.signatureShare, 'share', 32) } : {}),
            ...(r.refusal ? { refusal: storedRefusal(r.refusal, r.refusalCode) } : {}),
            ...(r.envelopes ? { envelopes: r.envelopes } : {}),
          };
        }
        case 'stale':
          this.#ctx.log.warn(
            { [LOG.identity]: identityId, counter: step.counter, stored: view.counter, [LOG.peer]: peer },
            'stale ratchet step refused (a replay, or a copy of the agent behind the cluster)',
          );
          throw new MpcidError(
            'STALE_STEP',
            `step ${step.counter} is behind this oracle (at ${view.counter})`,
            rec.last ? { details: { commit: commitFromJSON(rec.last.reply.commit) } } : {},
          );
        case 'need-certificate':
          throw new MpcidError(
            'NEED_CERTIFICATE',
            `this oracle is at ${view.counter}; step ${step.counter} needs a certificate`,
          );
        case 'fork': {
          const lastSigned = stepFromJSON(rec.last!.step);
          if (!conflict(lastSigned.step, step))
            throw new MpcidError('STALE_STEP', 'step conflicts with no stored step');
          const evidence: Evidence = { identityId, steps: [lastSigned, signed] };
          const revocation = await this.#revocations.revokeLocal(
            id,
            evidence,
            [rec.last!.peer, peer],
            Math.max(view.counter, step.counter),
          );
          throw new MpcidError(
            'FORK_DETECTED',
            `two histories of this identity: revoked (evidence ${revocation.digest})`,
            { details: { evidence } },
          );
        }
        case 'next':
        case 'fast-forward': {
          const head = headAfter(step);
          const commit = signCommit(this.#ctx.nodeKey, this.#ctx.nodeId, identityId, step.counter, head);
          const inForce = registersInForce(this.#ctx, id, rec, proof, this.#nodeKeys);
          const { share, refusal, envelopes, registers = inForce, whileSyncing } = sign(inForce);
          const next: RatchetRecord = {
            identityId,
            counter: step.counter,
            head: toB64u(head),
            last: {
              step: stepToJSON(signed),
              peer,
              reply: {
                commit: commitToJSON(commit),
                ...(share ? { signatureShare: toB64u(share) } : {}),
                ...(refusal ? { refusal: refusal.message, refusalCode: refusal.code } : {}),
                ...(envelopes ? { envelopes } : {}),
              },
            },
            ...(registers ? { registers: registersToRecord(registers) } : {}),
          };
          // The audit entry rides the step's own sync batch (oracle/audit.ts).
          await this.#ctx.store.putRatchet(
            next,
            audit && auditEntry(audit, step, next.head, refusal?.code),
            whileSyncing,
          );
          if (d.kind === 'fast-forward') {
            this.#ctx.log.info(
              { [LOG.identity]: identityId, from: view.counter, to: step.counter },
              'fast-forwarded on a certificate',
            );
          }
          return {
            commit,
            ...(share ? { signatureShare: share } : {}),
            ...(refusal ? { refusal } : {}),
            ...(envelopes ? { envelopes } : {}),
          };
        }
      }
    });
  }
}
