/**
 * The agent's step engine (one concern, at a little over 500 lines): the lifecycle of one
 * ratchet step (docs/protocol.md §5-6), whatever its kind. Steps are made one at a time:
 *
 *   write ahead   the step is on disk as the pending step before anything is sent;
 *   send          to the chosen oracles in parallel (agent/quorum.ts: deadline, retries);
 *   certify       each commit is checked; the same bytes go to other oracles until t committed;
 *   expose        t oracles that prove they hold steps this agent never made mean a second copy
 *                 of this identity is stepping: an exposing step makes the cluster revoke it;
 *   flush         a step left pending (a crash, a lost quorum) is certified before the next.
 *
 * A revocation claim backed by valid evidence (two conflicting steps signed by our own session
 * key, an aborted ES256 session, or an operator's revocation signed under the cluster CA) stops
 * the agent for good; one without is that oracle failing.
 *
 * Step kinds plug in through `StepFlow` (one file each: agent/eddsa.ts for sign and jwt,
 * agent/ecdsa.ts for es256 and jwt-es256, agent/heartbeat.ts, agent/issuer.ts for jwt-issuer,
 * agent/unseal.ts, agent/measure.ts); `run` drives a flow's attempts over
 * fresh signing sets until one succeeds or no quorum is left.
 */

import { clusterNodeKeys } from '../common/config.js';
import { codeOf, detailsOf, ERROR_CODES, type ErrorCode, isErrorCode, MpcidError } from '../common/errors.js';
import { fromServiceError } from '../common/grpc.js';
import { LOG, type Logger } from '../common/log.js';
import { type MeasurePayload, measureToWire, proofToWire } from '../common/measure-wire.js';
import { Mutex } from '../common/mutex.js';
import { operatorDocument, verifyOperatorRevocation } from '../common/operator-revocation.js';
import {
  commitFromWire,
  commitmentToWire,
  commitToWire,
  HEARTBEAT_DIGEST,
  stepToWire,
} from '../common/protocol.js';
import { equalBytes, toB64u } from '../crypto/bytes.js';
import {
  type Commit,
  evidenceDigest,
  headAfter,
  type SignedStep,
  type StepKind,
  verifyCertificate,
  verifyEvidence,
} from '../crypto/ratchet.js';
import type { StepResponse__Output } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { OracleClient } from './oracles.js';
import type { Attempts, Quorum } from './quorum.js';
import { newAttempts } from './quorum.js';
import {
  CertifiedHint,
  certified,
  type EcdsaPayload,
  type Pending,
  prepareStep,
  type RatchetState,
  type SignPayload,
  writeRatchet,
  writeRatchetAsync,
} from './ratchet.js';
import type { AgentState } from './state.js';

export const REVOKED_CODES: ReadonlySet<ErrorCode> = new Set(['FORK_DETECTED', 'IDENTITY_REVOKED']);

/**
 * An oracle's policy refusal as the workload sees it: the oracle's typed code when that is a
 * refusal's (PERMISSION_DENIED, and no revocation: only evidence revokes), else POLICY_VIOLATION.
 */
export function refusalError(nodeId: number, r: { code: string; message: string }): MpcidError {
  return isErrorCode(r.code) &&
    !REVOKED_CODES.has(r.code) &&
    ERROR_CODES[r.code].status === 'PERMISSION_DENIED'
    ? new MpcidError(r.code, `oracle ${nodeId}: ${r.message}`)
    : new MpcidError('POLICY_VIOLATION', `oracle ${nodeId}: ${r.code}: ${r.message}`);
}

/** An attempt's answer when the flow should be tried again with a fresh step and signing set. */
export const RETRY: unique symbol = Symbol('retry');

/**
 * One step kind, as the engine runs it. `targets`: 'set' runs attempts on t oracles chosen
 * afresh each time (signing kinds), 'all' one attempt on every oracle (heartbeats). `attempt`
 * makes its step (`stepAhead`), sends it (`send`) and certifies it (`settle` or `certify`), then
 * does its kind's work; it resolves with the result, or RETRY after recording the oracle that
 * failed in `a.failed` (through `quorum.fail`).
 */
export interface StepFlow<R> {
  readonly targets: 'set' | 'all';
  /** Checks made before anything is sent (e.g. that an ES256 key exists). */
  prepare?(): void;
  attempt(targets: readonly OracleClient[], a: Attempts): Promise<R | typeof RETRY>;
}

/** An oracle's answer to a step: its checked commit (and the rest of its response), or its error. */
export type Answer<R = StepResponse__Output> =
  | { ok: true; res: R; commit: Commit }
  | { ok: false; err: MpcidError };

/** A response that carries the oracle's commit to the step, as every step RPC's does. */
type Committed = { commit: StepResponse__Output['commit'] };

/**
 * The RPC a step goes out with when its kind has its own (an unseal: agent/unseal.ts), instead of
 * Step. `call` is the quorum's deadline-bound call with its rate-limit retries.
 */
export type StepRpc<R extends Committed> = (
  c: OracleClient,
  step: ReturnType<typeof stepToWire>,
  certificate: ReturnType<typeof commitToWire>[],
  patient: boolean,
  call: Quorum['call'],
  /** The register proof every step carries once the agent has measured (docs/protocol.md §6.4). */
  registers: ReturnType<typeof proofToWire> | null,
) => Promise<R>;

/**
 * A step of `kind` sent to every oracle (through `rpc`, default Step) and certified by t of them:
 * the heartbeat, and steps whose every answer counts (an unseal's partials). Resolves with the
 * answers of the oracles that committed.
 */
export function everyOracleFlow<R extends Committed = StepResponse__Output>(
  engine: StepEngine,
  kind: StepKind,
  payloadDigest: Uint8Array,
  rpc?: StepRpc<R>,
  payload: { measure?: MeasurePayload } = {},
): StepFlow<Map<number, R>> {
  return {
    targets: 'all',
    async attempt(clients, a) {
      const step = await engine.stepAheadAsync(kind, payloadDigest, payload);
      const answers = await engine.send(clients, step, false, rpc);
      const have = new Map<number, Commit>();
      const ok = new Map<number, R>();
      for (const [id, x] of answers) {
        if (x.ok) {
          have.set(id, x.commit);
          ok.set(id, x.res);
        } else a.failed.set(id, x.err);
      }
      await engine.certify(have, a.failed, true);
      return ok;
    },
  };
}

export class StepEngine {
  readonly state: AgentState;
  readonly dir: string;
  readonly quorum: Quorum;
  readonly nodeKeys: Map<number, Uint8Array>;
  readonly log: Logger;
  /** The cluster CA (PEM, mTLS): it checks an operator's signed revocation (kill switch). */
  readonly clusterCa: Buffer | undefined;
  #rs: RatchetState;
  readonly #hint: CertifiedHint;
  /** What ratchet.json holds (the certified state may be ahead of it: #certified). */
  #onDisk: RatchetState;
  readonly #chain = new Mutex();
  /** Steps queued or running (`busy`). */
  #runs = 0;
  /** Told each time #runs is back to 0 (`onIdle`). */
  readonly #idle = new Set<() => void>();
  #revoked: MpcidError | undefined;
  #onRevoked: () => void = () => undefined;
  lastStepAt = 0;
  /**
   * Oracles that proved, with a node-signed commit in their STALE_STEP answer, that they hold a
   * step at or past the pending step's counter that is not the pending step: a step this agent
   * never made. Cleared whenever a new step is made.
   */
  readonly #ahead = new Set<number>();

  constructor(
    state: AgentState,
    dir: string,
    ratchet: RatchetState,
    quorum: Quorum,
    log: Logger,
    clusterCa?: Buffer,
  ) {
    this.state = state;
    this.clusterCa = clusterCa;
    this.dir = dir;
    this.#rs = ratchet;
    this.#onDisk = ratchet;
    this.#hint = new CertifiedHint(dir, state.identityId);
    this.quorum = quorum;
    this.log = log;
    this.nodeKeys = clusterNodeKeys(state.cluster);
  }

  get #as() {
    return this.state.group.as;
  }

  /** The ratchet's certified counter. */
  get counter(): number {
    return this.#rs.counter;
  }

  /** The certified ratchet state (the counter of the next step is counter + 1). */
  get ratchet(): RatchetState {
    return this.#rs;
  }

  get revoked(): MpcidError | undefined {
    return this.#revoked;
  }

  /** Stops the agent for good with `err`; `onRevoked` (e.g. stopping heartbeats) runs once. */
  revoke(err: MpcidError): void {
    const first = !this.#revoked;
    this.#revoked = err;
    if (first) this.#onRevoked();
  }

  set onRevoked(fn: () => void) {
    this.#onRevoked = fn;
  }

  checkRevoked(): void {
    if (this.#revoked)
      throw new MpcidError('IDENTITY_REVOKED', `identity revoked by the cluster: ${this.#revoked.message}`);
  }

  /** Waits for the step in progress; a graceful stop leaves ratchet.json itself certified. */
  async stop(): Promise<void> {
    await this.#chain.idle();
    if (this.#rs !== this.#onDisk && !this.#rs.pending) {
      try {
        writeRatchet(this.dir, this.state.identityId, this.#rs);
        this.#onDisk = this.#rs;
      } catch (e) {
        this.log.warn(
          { [LOG.errorMessage]: e instanceof Error ? e.message : String(e) },
          'could not write the certified ratchet state at stop; the pending step is resent at the next start',
        );
      }
    }
    this.#hint.close();
  }

  /**
   * Runs one step of `flow`, exclusively: a step left pending is certified first, then attempts
   * run until one succeeds; none left is the quorum error.
   */
  run<R>(flow: StepFlow<R>): Promise<R> {
    this.#runs++;
    return this.#chain
      .run(() => this.#run(flow))
      .finally(() => {
        if (--this.#runs > 0) return;
        for (const fn of [...this.#idle]) {
          try {
            fn();
          } catch {
            // a listener's failure is its own; the step that just ended is not affected
          }
        }
      });
  }

  /** Calls `fn` each time no step is queued or running any more; returns its unsubscribe. */
  onIdle(fn: () => void): () => void {
    this.#idle.add(fn);
    return () => this.#idle.delete(fn);
  }

  /** Whether a step is queued or running (the ES256 presign pool refills only when not). */
  get busy(): boolean {
    return this.#runs > 0;
  }

  #run<R>(flow: StepFlow<R>): Promise<R> {
    return (async () => {
      this.checkRevoked();
      flow.prepare?.();
      await this.#flushPending();
      const a = newAttempts();
      if (flow.targets === 'all') {
        const r = await flow.attempt(this.quorum.clients, a);
        if (r !== RETRY) return r;
      } else {
        const { n } = this.#as;
        for (let round = 0; round < 4 * (n + 1); round++) {
          const chosen = this.quorum.pick(a);
          if (!chosen) break;
          const r = await flow.attempt(chosen, a);
          if (r !== RETRY) return r;
        }
      }
      throw this.quorum.quorumError(a.failed);
    })();
  }

  /** The write-ahead log: ratchet.json, durably, with `next` (which holds a pending step). */
  #persist(next: RatchetState): void {
    writeRatchet(this.dir, this.state.identityId, next);
    this.#rs = next;
    this.#onDisk = next;
  }

  /**
   * The pending step is certified: the new state rides the next step's durable write; until
   * then ratchet.certified.json (no fsync) saves a resend after a restart (agent/ratchet.ts).
   */
  #certified(next: RatchetState): void {
    this.#rs = next;
    this.#hint.write(next);
  }

  /**
   * Makes the step after `from` (default: the current state), signed with the session key, and
   * writes it ahead: it is on disk as the pending step before anything is sent. Returns it.
   */
  stepAhead(
    kind: StepKind,
    payloadDigest: Uint8Array,
    payload: { sign?: SignPayload; ecdsa?: EcdsaPayload; measure?: MeasurePayload } = {},
    from: RatchetState = this.#rs,
    exposing = false,
  ): Pending {
    const { identityId, sessionKey } = this.state;
    const { sign, ecdsa, measure } = payload;
    this.#persist(
      prepareStep(from, identityId, sessionKey, kind, payloadDigest, sign, ecdsa, exposing, measure),
    );
    this.#ahead.clear();
    return this.#rs.pending!;
  }

  /**
   * stepAhead (from the current state, not exposing) with the write's fdatasync off the event loop
   * (agent/ratchet.ts writeRatchetAsync): the step is still on disk before this resolves, and so
   * before anything is sent; other work of this process (other identities, the Workload API) runs
   * while the disk syncs. Every flow's but the exposing heartbeat's; safe because one identity's
   * flows run one at a time (#chain), so nothing reads or writes its state during the await.
   */
  async stepAheadAsync(
    kind: StepKind,
    payloadDigest: Uint8Array,
    payload: { sign?: SignPayload; ecdsa?: EcdsaPayload; measure?: MeasurePayload } = {},
  ): Promise<Pending> {
    const { identityId, sessionKey } = this.state;
    const { sign, ecdsa, measure } = payload;
    const next = prepareStep(
      this.#rs,
      identityId,
      sessionKey,
      kind,
      payloadDigest,
      sign,
      ecdsa,
      false,
      measure,
    );
    await writeRatchetAsync(this.dir, identityId, next);
    this.#rs = next;
    this.#onDisk = next;
    this.#ahead.clear();
    return next.pending!;
  }

  /**
   * Whether a STALE_STEP answer from `nodeId` to `step` proves that the oracle holds a step this
   * agent never made: a commit signed by that node's key to a counter past the step's, or to
   * the step's counter with another head. Forged or unsigned answers prove nothing.
   */
  #provesAhead(err: MpcidError, nodeId: number, step: SignedStep['step']): boolean {
    const commit = detailsOf(err, 'STALE_STEP')?.commit;
    const key = this.nodeKeys.get(nodeId);
    if (!commit || !key || commit.nodeId !== nodeId || commit.identityId !== this.state.identityId)
      return false;
    if (commit.counter < step.counter) return false;
    if (commit.counter === step.counter && equalBytes(commit.head, headAfter(step))) return false;
    try {
      verifyCertificate(new Map([[nodeId, key]]), 1, commit.identityId, commit.counter, commit.head, [
        commit,
      ]);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * An oracle's error, unless it is a revocation backed by evidence: then this copy of the agent
   * was cloned or rolled back (or an operator revoked it), and it stops for good (throws). The
   * evidence must be two steps signed by our own session key that conflict (or an abort claim,
   * or an operator's revocation signed under the cluster CA), so a lying oracle cannot stop an
   * honest agent; a revocation claim without valid evidence counts as that oracle failing
   * (BAD_EVIDENCE).
   */
  refusal(err: MpcidError, nodeId: number): MpcidError {
    if (!REVOKED_CODES.has(err.code)) return err;
    let digest: string;
    let reason: string;
    try {
      const details = detailsOf(err, 'FORK_DETECTED', 'IDENTITY_REVOKED');
      if (details?.operator) {
        // The kill switch: an operator's revocation, signed with a certificate of the cluster CA.
        if (!this.clusterCa) throw new Error('no cluster CA');
        const { identityId, cluster } = this.state;
        const doc = operatorDocument(cluster.id, details.operator);
        digest = verifyOperatorRevocation(doc, this.clusterCa, { clusterId: cluster.id, identityId }).digest;
        reason = 'operator';
      } else {
        const evidence = details?.evidence;
        if (!evidence) throw new Error('no evidence');
        if (evidence.identityId !== this.state.identityId) throw new Error('identity');
        reason = verifyEvidence(this.state.sessionPublicKey, evidence, this.nodeKeys, this.#as);
        digest = toB64u(evidenceDigest(evidence));
      }
    } catch {
      this.log.warn(
        { [LOG.peer]: nodeId, [LOG.errorCode]: err.code },
        'an oracle claims a revocation without valid evidence',
      );
      return new MpcidError('BAD_EVIDENCE', `oracle ${nodeId} claims a revocation without valid evidence`);
    }
    if (!this.#revoked) {
      this.revoke(err);
      this.log.error(
        {
          [LOG.identity]: this.state.identityId,
          [LOG.peer]: nodeId,
          [LOG.errorCode]: err.code,
          evidence: digest,
          reason,
        },
        reason === 'operator'
          ? 'IDENTITY REVOKED by an operator (kill switch); no longer signing'
          : reason === 'ecdsa-abort'
            ? 'IDENTITY REVOKED: an ECDSA session aborted (a party sent an inconsistent message); no longer signing'
            : 'IDENTITY REVOKED: a second copy of this agent (clone or rollback) was detected; no longer signing',
      );
    }
    throw new MpcidError(
      'IDENTITY_REVOKED',
      `identity revoked by the cluster (${err.code}, evidence ${digest})`,
    );
  }

  /** Sends the pending step to `targets` in parallel; checks every commit it gets back. */
  async send<R extends Committed = StepResponse__Output>(
    targets: readonly OracleClient[],
    p: Pending,
    patient: boolean,
    rpc?: StepRpc<R>,
  ): Promise<Map<number, Answer<R>>> {
    const req = {
      step: stepToWire(p.signed),
      certificate: this.#rs.certificate.map(commitToWire),
      sign: p.sign
        ? { message: Buffer.from(p.sign.message), commitments: p.sign.list.map(commitmentToWire) }
        : null,
      ecdsa: p.ecdsa
        ? {
            message: Buffer.from(p.ecdsa.message),
            oracles: p.ecdsa.oracles,
            presign: Buffer.from(p.ecdsa.presign ?? new Uint8Array(0)),
          }
        : null,
      measure: p.measure ? measureToWire(p.measure) : null,
      registers: this.#rs.registers ? proofToWire(this.#rs.registers) : null,
    };
    const step = p.signed.step;
    const head = headAfter(step);
    const call: Quorum['call'] = (client, method, q, pt) => this.quorum.call(client, method, q, pt);
    // Each answer is judged (its commit's signature verified) as it arrives, while the others are
    // still on their way; the map keeps the targets' order.
    const judge = (c: OracleClient, a: PromiseSettledResult<R>): Answer<R> => {
      if (a.status === 'rejected') {
        const err = this.refusal(fromServiceError(a.reason, `oracle ${c.nodeId}`), c.nodeId);
        if (err.code === 'STALE_STEP' && this.#provesAhead(err, c.nodeId, step)) this.#ahead.add(c.nodeId);
        return { ok: false, err };
      }
      const commit = a.value.commit ? commitFromWire(a.value.commit) : undefined;
      try {
        if (
          !commit ||
          commit.nodeId !== c.nodeId ||
          commit.counter !== step.counter ||
          !equalBytes(commit.head, head)
        )
          throw new Error('mismatch');
        verifyCertificate(
          new Map([[c.nodeId, this.nodeKeys.get(c.nodeId)!]]),
          1,
          step.identityId,
          step.counter,
          head,
          [commit],
        );
        return { ok: true, res: a.value, commit };
      } catch {
        return {
          ok: false,
          err: new MpcidError(
            'BAD_CERTIFICATE',
            `oracle ${c.nodeId} (${c.address}) returned an invalid commit`,
          ),
        };
      }
    };
    // A revocation with valid evidence throws (this.refusal); as before, only once every call
    // settled, and the first in the targets' order.
    const answers = await Promise.allSettled(
      targets.map((c) =>
        (rpc
          ? rpc(c, req.step, req.certificate, patient, call, req.registers)
          : (this.quorum.step(c, req, patient) as Promise<unknown> as Promise<R>)
        ).then(
          (value) => judge(c, { status: 'fulfilled', value }),
          (reason: unknown) => judge(c, { status: 'rejected', reason }),
        ),
      ),
    );
    const out = new Map<number, Answer<R>>();
    targets.forEach((c, i) => {
      const a = answers[i]!;
      if (a.status === 'rejected') throw a.reason;
      out.set(c.nodeId, a.value);
    });
    return out;
  }

  /**
   * Certifies the pending step: collects commits from `have`, then resends the same bytes to
   * the other oracles until t committed. Persists the certified state. Throws if it cannot.
   */
  async certify(have: Map<number, Commit>, failed: Map<number, MpcidError>, patient: boolean): Promise<void> {
    const p = this.#rs.pending!;
    const { t } = this.#as;
    const clients = this.quorum.clients;
    if (have.size < t) {
      const others = clients.filter((c) => !have.has(c.nodeId) && (patient || !failed.has(c.nodeId)));
      const more = await this.send(others, p, patient);
      for (const [id, a] of more) {
        if (a.ok) have.set(id, a.commit);
        else this.quorum.fail(this.quorum.client(id), a.err, failed);
      }
    }
    if (have.size < t) {
      if (this.#ahead.size >= t) await this.#exposeSecondHistory();
      throw this.quorum.quorumError(failed);
    }
    this.#certified(certified(this.#rs, [...have.values()].slice(0, Math.max(t, have.size))));
    this.lastStepAt = Date.now();
  }

  /**
   * The answers of the chosen oracles to a signing step: failures are recorded, commits
   * collected, and the step certified before anything else happens, signature or not (if the
   * fail-fast pass cannot, a patient one waits for oracles that are (re)connecting). A policy
   * refusal is the same on every oracle and keeps its typed code (POLICY_VIOLATION,
   * CLAIM_MISMATCH, ...). Returns the oracles that answered.
   */
  async settle(
    chosen: readonly OracleClient[],
    answers: Map<number, Answer>,
    a: Attempts,
  ): Promise<Map<number, StepResponse__Output>> {
    const have = new Map<number, Commit>();
    const ok = new Map<number, StepResponse__Output>();
    // The first refusal (refusalError); the message is never parsed.
    let refusal: MpcidError | undefined;
    for (const c of chosen) {
      const x = answers.get(c.nodeId)!;
      if (!x.ok) {
        this.quorum.fail(c, x.err, a.failed);
        continue;
      }
      have.set(c.nodeId, x.commit);
      ok.set(c.nodeId, x.res);
      if (x.res.policyRefusal) refusal ??= refusalError(c.nodeId, x.res.policyRefusal);
    }
    try {
      await this.certify(have, a.failed, a.patient);
    } catch (e) {
      const code = codeOf(e);
      if (a.patient || (code !== undefined && (REVOKED_CODES.has(code) || code === 'STALE_STEP'))) throw e;
      a.patient = true;
      await this.certify(have, a.failed, true);
    }
    if (refusal) throw refusal;
    return ok;
  }

  /**
   * t oracles proved (node-signed commits) that they hold steps this agent never made, at or past
   * its pending counter. An honest agent can never see this (it makes no step c+2 before c+1 is
   * certified, and quorums intersect), so another copy of this agent is stepping: this one is a
   * clone or a rolled-back copy, or the other one is. Make an exposing step (docs/protocol.md §5):
   * at the pending counter, with EXPOSING_TIME, which every oracle past that counter takes as
   * evidence whatever the clocks said, so the identity is revoked and the security team alerted
   * instead of this copy being refused as stale forever. It replaces the pending step on disk, so
   * a crash before it is sent sends it after the restart.
   */
  async #exposeSecondHistory(): Promise<never> {
    const { pending: superseded, ...certifiedState } = this.#rs;
    const proven = [...this.#ahead].sort((x, y) => x - y);
    this.log.error(
      {
        [LOG.identity]: this.state.identityId,
        counter: superseded?.signed.step.counter ?? certifiedState.counter + 1,
        oracles: proven,
      },
      'a quorum of oracles proved it holds steps this agent never made: another copy of this identity is stepping (clone or rollback); exposing it',
    );
    const step = this.stepAhead('heartbeat', HEARTBEAT_DIGEST, {}, certifiedState, true);
    // FORK_DETECTED / IDENTITY_REVOKED from any oracle stops this agent for good (in send).
    await this.send(this.quorum.clients, step, true);
    throw new MpcidError(
      'STALE_STEP',
      `this copy of the agent is behind the cluster (oracles ${proven.join(', ')} hold steps it never made): another copy of this identity is stepping; the exposing step is pending and is resent until the oracles take it`,
    );
  }

  /** Certifies a step left pending (by a crash, or a quorum that went away), resending its bytes. */
  async #flushPending(): Promise<void> {
    if (!this.#rs.pending) return;
    const failed = new Map<number, MpcidError>();
    try {
      await this.certify(new Map(), failed, false);
    } catch {
      failed.clear();
      await this.certify(new Map(), failed, true);
    }
  }
}
