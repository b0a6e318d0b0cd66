/**
 * The agent's co-signing engine: every signature and every heartbeat is one ratchet step
 * (docs/protocol.md §5-6), made one at a time.
 *
 * Signing: pick t oracles (healthy, with a cached nonce commitment, first), write the sign step
 * to disk, send it to all t in parallel with a deadline, check each commit, add our w shares,
 * aggregate and verify before returning. If an oracle fails, the same step is certified through
 * other oracles (they commit without signing) and a new step with a new signing set follows.
 * A bad share names the oracle; fewer than t reachable is QUORUM_UNAVAILABLE naming how many
 * were reachable. Told FORK_DETECTED or IDENTITY_REVOKED, the agent stops for good. An oracle's
 * RATE_LIMITED is retried on the same oracle with backoff (its retryAfterMs hint, at least an
 * exponential floor), a few times, before it counts as that oracle failing.
 *
 * ES256 (signEs256, signTokenEs256): the es256 / jwt-es256 step names the message and the t
 * oracles of the DKLs23 signing set; once it is certified, the session's rounds 2-3 run through
 * EcdsaRound (agent/es256.ts). An oracle that fails a round is replaced by a fresh step and a
 * fresh session; an aborted session is reported, revokes the identity and is never retried.
 */

import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { clusterNodeKeys } from '../common/config.js';
import { abortOf } from '../common/ecdsa-wire.js';
import { asMpcidError, codeOf, culpritsOf, type ErrorCode, MpcidError } from '../common/errors.js';
import { call, errorInfoOf, fromServiceError, type UnaryMethod } from '../common/grpc.js';
import { LOG, type Logger } from '../common/log.js';
import { Mutex } from '../common/mutex.js';
import { isOperatorRevocation, verifyOperatorRevocation } from '../common/operator-revocation.js';
import {
  commitFromWire,
  commitmentFromWire,
  commitmentToWire,
  commitToWire,
  DOMAINS,
  ecdsaPayloadDigest,
  evidenceFromJSON,
  HEARTBEAT_DIGEST,
  nonceRequestFields,
  signPayloadDigest,
  staleProofFromMetadata,
  stepFromJSON,
  stepToJSON,
  stepToWire,
} from '../common/protocol.js';
import { equalBytes, toB64u } from '../crypto/bytes.js';
import { decodePoint } from '../crypto/ed25519.js';
import { AGENT_PARTY } from '../crypto/es256.js';
import { checkCommitmentList, commit, type NonceCommitment, signingSession } from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import {
  abortFields,
  type Commit,
  evidenceDigest,
  headAfter,
  type SignedStep,
  type StepKind,
  stepDigest,
  verifyCertificate,
  verifyEvidence,
} from '../crypto/ratchet.js';
import { signStatement } from '../crypto/statement.js';
import type { Envelope, Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { StepResponse__Output } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import {
  type AbortRecord,
  AgentEcdsaSession,
  checkZeroSharing,
  EcdsaRoundFailed,
  type Es256Key,
  readAbort,
  writeAbort,
} from './es256.js';
import type { IssuerRelay } from './issuer.js';
import type { OracleClient } from './oracles.js';
import {
  CertifiedHint,
  certified,
  type EcdsaPayload,
  type Pending,
  prepareStep,
  type RatchetState,
  type SignPayload,
  writeRatchet,
} from './ratchet.js';
import { type AgentState, noEs256Key } from './state.js';

export interface CosignerOptions {
  /** Deadline of each call to an oracle. */
  deadlineMs?: number;
  /** Commitments fetched per GetNonces call. */
  prefetch?: number;
  /** Idle time after which the agent makes a heartbeat step; 0 disables heartbeats. */
  heartbeatMs?: number;
  /** The cluster CA (PEM, mTLS): it checks an operator's signed revocation (kill switch). */
  clusterCa?: Buffer | undefined;
}

/** After a failure, an oracle is tried last for this long. */
const PENALTY_MS = 2_000;
/** Patient passes over unreachable oracles before a sign gives up with QUORUM_UNAVAILABLE. */
const PATIENT_PASSES = 2;
const REVOKED_CODES: ReadonlySet<ErrorCode> = new Set(['FORK_DETECTED', 'IDENTITY_REVOKED']);
const ABORT_NOTE = 'reported to the oracles; an aborted session is never retried';
/** Retries of one call refused with RATE_LIMITED, and the backoff between them. */
const RATE_LIMIT_RETRIES = 5;
const RATE_LIMIT_BASE_MS = 50;
const RATE_LIMIT_MAX_MS = 2_000;

/** How long to wait before retry `attempt` (0-based) of a call refused with RATE_LIMITED. */
export function rateLimitBackoffMs(
  attempt: number,
  hint: string | undefined,
  random = Math.random(),
): number {
  const floor = RATE_LIMIT_BASE_MS * 2 ** attempt;
  const h = Number(hint);
  const wait = Math.min(RATE_LIMIT_MAX_MS, Math.max(floor, Number.isFinite(h) && h > 0 ? h : 0));
  // Jitter, so agents refused together do not come back together.
  return Math.round(wait * (1 + 0.25 * random));
}

type Answer<R = StepResponse__Output> = { ok: true; res: R; commit: Commit } | { ok: false; err: MpcidError };
/** The RPC a step goes out with: Step, unless the step's kind has its own (an unseal: agent/unseal.ts). */
export type StepRpc<R> = (
  c: OracleClient,
  req: ReturnType<typeof stepToWire>,
  certificate: ReturnType<typeof commitToWire>[],
  patient: boolean,
  call: <Q, S>(client: grpc.Client, method: UnaryMethod<Q, S>, req: Q, patient: boolean) => Promise<S>,
) => Promise<R>;

/** Where a signing call stands: failed oracles, and whether it waits for reconnecting ones. */
interface Attempts {
  failed: Map<number, MpcidError>;
  patient: boolean;
  patientPasses: number;
}

export class Cosigner {
  readonly #state: AgentState;
  readonly #dir: string;
  readonly #clients: readonly OracleClient[];
  readonly #log: Logger;
  readonly #deadlineMs: number;
  readonly #prefetch: number;
  readonly #heartbeatMs: number;
  readonly #cache = new Map<number, NonceCommitment[]>();
  readonly #penalty = new Map<number, number>();
  readonly #nodeKeys: Map<number, Uint8Array>;
  readonly #clusterCa: Buffer | undefined;
  #rs: RatchetState;
  readonly #hint: CertifiedHint;
  /** What ratchet.json holds (the certified state may be ahead of it: #certified). */
  #onDisk: RatchetState;
  #es256: Es256Key | undefined;
  readonly #chain = new Mutex();
  #revoked: MpcidError | undefined;
  #lastStepAt = 0;
  #timer: NodeJS.Timeout | undefined;
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
    clients: readonly OracleClient[],
    log: Logger,
    opts: CosignerOptions = {},
  ) {
    this.#state = state;
    this.#dir = dir;
    this.#rs = ratchet;
    this.#onDisk = ratchet;
    this.#hint = new CertifiedHint(dir, state.identityId);
    this.#clients = clients;
    this.#log = log;
    this.#deadlineMs = opts.deadlineMs ?? 3_000;
    this.#prefetch = opts.prefetch ?? 4;
    this.#heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.#nodeKeys = clusterNodeKeys(state.cluster);
    this.#clusterCa = opts.clusterCa;
    this.#es256 = state.es256;
    const aborted = readAbort(dir);
    if (aborted) {
      this.#revoked = new MpcidError(
        'IDENTITY_REVOKED',
        aborted === 'unreadable'
          ? `an ECDSA session aborted (${ABORT_NOTE})`
          : `an ECDSA session aborted (${aborted.check}, party ${aborted.culprit}; ${ABORT_NOTE})`,
      );
    }
  }

  /** The ES256 key, once ES256 setup has finished (the daemon may finish it after start). */
  get es256(): Es256Key | undefined {
    return this.#es256;
  }

  set es256(key: Es256Key | undefined) {
    this.#es256 = key;
  }

  get #as() {
    return this.#state.group.as;
  }

  /** The ratchet's certified counter (for status and tests). */
  get counter(): number {
    return this.#rs.counter;
  }

  get revoked(): MpcidError | undefined {
    return this.#revoked;
  }

  /** Starts heartbeats: a step whenever the agent has been idle for the interval. */
  start(): void {
    const aborted = readAbort(this.#dir);
    if (aborted && aborted !== 'unreadable') void this.#sendAbort(aborted);
    if (this.#revoked) return;
    void this.prefetch();
    if (this.#heartbeatMs <= 0) return;
    const tick = () => {
      if (this.#revoked) return;
      if (Date.now() - this.#lastStepAt >= this.#heartbeatMs) {
        this.heartbeat().catch((e: unknown) => {
          const err = asMpcidError(e) ?? new MpcidError('INTERNAL', String(e));
          if (!REVOKED_CODES.has(err.code))
            this.#log.warn(
              { [LOG.errorCode]: err.code, [LOG.errorMessage]: err.message },
              'heartbeat failed',
            );
        });
      }
    };
    this.#timer = setInterval(tick, Math.max(50, Math.floor(this.#heartbeatMs / 4)));
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#chain.idle();
    // A graceful stop leaves ratchet.json itself certified (the hint would do, see #certified).
    if (this.#rs !== this.#onDisk && !this.#rs.pending) {
      try {
        writeRatchet(this.#dir, this.#state.identityId, this.#rs);
        this.#onDisk = this.#rs;
      } catch (e) {
        this.#log.warn(
          { [LOG.errorMessage]: e instanceof Error ? e.message : String(e) },
          'could not write the certified ratchet state at stop; the pending step is resent at the next start',
        );
      }
    }
    this.#hint.close();
  }

  /** Steps are made one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#chain.run(fn);
  }

  /** The write-ahead log: ratchet.json, durably, with `next` (which holds a pending step). */
  #persist(next: RatchetState): void {
    writeRatchet(this.#dir, this.#state.identityId, next);
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
  #stepAhead(
    kind: StepKind,
    payloadDigest: Uint8Array,
    payload: { sign?: SignPayload; ecdsa?: EcdsaPayload } = {},
    from: RatchetState = this.#rs,
    exposing = false,
  ): Pending {
    const { identityId, sessionKey } = this.#state;
    this.#persist(
      prepareStep(from, identityId, sessionKey, kind, payloadDigest, payload.sign, payload.ecdsa, exposing),
    );
    this.#ahead.clear();
    return this.#rs.pending!;
  }

  /**
   * Whether a STALE_STEP answer from `nodeId` to `step` proves that the oracle holds a step this
   * agent never made: a commit signed by that node's key to a counter past the step's, or to
   * the step's counter with another head. Forged or unsigned answers prove nothing.
   */
  #provesAhead(err: MpcidError, nodeId: number, step: SignedStep['step']): boolean {
    const commit = staleProofFromMetadata(err.metadata, nodeId, this.#state.identityId);
    const key = this.#nodeKeys.get(nodeId);
    if (!commit || !key || commit.counter < step.counter) return false;
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

  #checkRevoked(): void {
    if (this.#revoked)
      throw new MpcidError('IDENTITY_REVOKED', `identity revoked by the cluster: ${this.#revoked.message}`);
  }

  /**
   * An oracle's error, unless it is a revocation backed by evidence: then this copy of the agent
   * was cloned or rolled back, and it stops for good (throws). The evidence must be two steps
   * signed by our own session key that conflict, so a lying oracle cannot stop an honest agent;
   * a revocation claim without valid evidence counts as that oracle failing (BAD_EVIDENCE).
   */
  #refusal(err: MpcidError, nodeId: number): MpcidError {
    if (!REVOKED_CODES.has(err.code)) return err;
    let digest: string;
    let reason: string;
    try {
      const doc: unknown = JSON.parse(err.metadata['evidence'] ?? '');
      if (isOperatorRevocation(doc)) {
        // The kill switch: an operator's revocation, signed with a certificate of the cluster CA.
        if (!this.#clusterCa) throw new Error('no cluster CA');
        const { identityId, cluster } = this.#state;
        digest = verifyOperatorRevocation(doc, this.#clusterCa, { clusterId: cluster.id, identityId }).digest;
        reason = 'operator';
      } else {
        const evidence = evidenceFromJSON(doc);
        if (evidence.identityId !== this.#state.identityId) throw new Error('identity');
        reason = verifyEvidence(this.#state.sessionPublicKey, evidence, this.#nodeKeys, this.#as);
        digest = toB64u(evidenceDigest(evidence));
      }
    } catch {
      this.#log.warn(
        { [LOG.peer]: nodeId, [LOG.errorCode]: err.code },
        'an oracle claims a revocation without valid evidence',
      );
      return new MpcidError('BAD_EVIDENCE', `oracle ${nodeId} claims a revocation without valid evidence`);
    }
    if (!this.#revoked) {
      this.#revoked = err;
      if (this.#timer) clearInterval(this.#timer);
      this.#log.error(
        {
          [LOG.identity]: this.#state.identityId,
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

  /** `call` with this agent's deadline; RATE_LIMITED is retried with backoff (see the header). */
  async #call<Req, Res>(
    client: grpc.Client,
    method: UnaryMethod<Req, Res>,
    req: Req,
    patient: boolean,
  ): Promise<Res> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call(client, method, req, this.#deadlineMs, patient);
      } catch (e) {
        const info = errorInfoOf(e);
        if (info?.code !== 'RATE_LIMITED' || attempt >= RATE_LIMIT_RETRIES) throw e;
        const wait = rateLimitBackoffMs(attempt, info.metadata['retryAfterMs']);
        this.#log.info(
          { [LOG.errorCode]: info.code, attempt: attempt + 1, waitMs: wait },
          'rate limited; retrying',
        );
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** Fetches nonce commitments from one oracle into the cache. */
  async #fetchNonces(c: OracleClient, patient = false): Promise<void> {
    const rid = new Uint8Array(randomBytes(16));
    const count = this.#prefetch;
    const counter = this.#rs.counter; // certified: oracles refuse requests behind them (replays)
    const sig = signStatement(
      this.#state.sessionKey,
      DOMAINS.nonceRequest,
      ...nonceRequestFields(this.#state.identityId, count, rid, counter, c.nodeId),
    );
    const res = await this.#call(
      c.signer,
      c.signer.GetNonces,
      {
        identityId: this.#state.identityId,
        count,
        requestId: Buffer.from(rid),
        sessionSignature: Buffer.from(sig),
        counter,
        nodeId: c.nodeId,
      },
      patient,
    );
    this.#remember(
      c.nodeId,
      res.commitments.map(commitmentFromWire).filter((x) => x.participant === c.nodeId),
    );
  }

  #remember(nodeId: number, commitments: NonceCommitment[]): void {
    const list = this.#cache.get(nodeId) ?? [];
    list.push(...commitments);
    this.#cache.set(nodeId, list);
    // Check them now, off the signing path: decodePoint remembers a valid array, so the
    // checkCommitmentList of the step that uses it does not check it again. An invalid one is
    // left as it is and refused there, as before.
    setImmediate(() => {
      for (const c of commitments) {
        for (const p of [c.hiding, c.binding]) {
          try {
            decodePoint(p, 'commitment');
          } catch {
            // refused when used
          }
        }
      }
    });
  }

  /** Warms the nonce cache of every oracle (best effort). */
  async prefetch(): Promise<void> {
    await Promise.allSettled(this.#clients.map((c) => this.#fetchNonces(c)));
  }

  #order(excluded: ReadonlySet<number>): OracleClient[] {
    const now = Date.now();
    const score = (c: OracleClient) =>
      ((this.#penalty.get(c.nodeId) ?? 0) > now ? 2 : 0) + (this.#cache.get(c.nodeId)?.length ? 0 : 1);
    return this.#clients
      .filter((c) => !excluded.has(c.nodeId))
      .map((c) => ({ c, s: score(c), r: Math.random() }))
      .sort((a, b) => a.s - b.s || a.r - b.r)
      .map((x) => x.c);
  }

  #fail(c: OracleClient, e: MpcidError, failed: Map<number, MpcidError>): void {
    failed.set(c.nodeId, e);
    this.#penalty.set(c.nodeId, Date.now() + PENALTY_MS);
    this.#cache.delete(c.nodeId);
    this.#log.warn(
      {
        [LOG.peer]: c.nodeId,
        [LOG.address]: c.address,
        [LOG.errorCode]: e.code,
        [LOG.errorMessage]: e.message,
      },
      'oracle failed',
    );
  }

  /** Sends the pending step to `targets` in parallel; checks every commit it gets back. */
  async #send<R extends { commit: StepResponse__Output['commit'] } = StepResponse__Output>(
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
      ecdsa: p.ecdsa ? { message: Buffer.from(p.ecdsa.message), oracles: p.ecdsa.oracles } : null,
    };
    const step = p.signed.step;
    const head = headAfter(step);
    const answers = await Promise.allSettled(
      targets.map((c) =>
        rpc
          ? rpc(c, req.step, req.certificate, patient, (cl, m, q, pt) => this.#call(cl, m, q, pt))
          : (this.#call(c.signer, c.signer.Step, req, patient) as Promise<unknown> as Promise<R>),
      ),
    );
    const out = new Map<number, Answer<R>>();
    answers.forEach((a, i) => {
      const c = targets[i]!;
      if (a.status === 'rejected') {
        const err = this.#refusal(fromServiceError(a.reason, `oracle ${c.nodeId}`), c.nodeId);
        if (err.code === 'STALE_STEP' && this.#provesAhead(err, c.nodeId, step)) this.#ahead.add(c.nodeId);
        out.set(c.nodeId, { ok: false, err });
        return;
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
          new Map([[c.nodeId, this.#nodeKeys.get(c.nodeId)!]]),
          1,
          step.identityId,
          step.counter,
          head,
          [commit],
        );
        out.set(c.nodeId, { ok: true, res: a.value, commit });
      } catch {
        out.set(c.nodeId, {
          ok: false,
          err: new MpcidError(
            'BAD_CERTIFICATE',
            `oracle ${c.nodeId} (${c.address}) returned an invalid commit`,
          ),
        });
      }
    });
    return out;
  }

  /**
   * Certifies the pending step: collects commits from `have`, then resends the same bytes to
   * the other oracles until t committed. Persists the certified state. Throws if it cannot.
   */
  async #certify(
    have: Map<number, Commit>,
    failed: Map<number, MpcidError>,
    patient: boolean,
  ): Promise<void> {
    const p = this.#rs.pending!;
    const { t } = this.#as;
    if (have.size < t) {
      const others = this.#clients.filter((c) => !have.has(c.nodeId) && (patient || !failed.has(c.nodeId)));
      const more = await this.#send(others, p, patient);
      for (const [id, a] of more) {
        if (a.ok) have.set(id, a.commit);
        else this.#fail(this.#clients.find((c) => c.nodeId === id)!, a.err, failed);
      }
    }
    if (have.size < t) {
      if (this.#ahead.size >= t) await this.#exposeSecondHistory();
      throw this.#quorumError(failed);
    }
    this.#certified(certified(this.#rs, [...have.values()].slice(0, Math.max(t, have.size))));
    this.#lastStepAt = Date.now();
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
    this.#log.error(
      {
        [LOG.identity]: this.#state.identityId,
        counter: superseded?.signed.step.counter ?? certifiedState.counter + 1,
        oracles: proven,
      },
      'a quorum of oracles proved it holds steps this agent never made: another copy of this identity is stepping (clone or rollback); exposing it',
    );
    const step = this.#stepAhead('heartbeat', HEARTBEAT_DIGEST, {}, certifiedState, true);
    // FORK_DETECTED / IDENTITY_REVOKED from any oracle stops this agent for good (in #send).
    await this.#send(this.#clients, step, true);
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
      await this.#certify(new Map(), failed, false);
    } catch {
      failed.clear();
      await this.#certify(new Map(), failed, true);
    }
  }

  /** A heartbeat step, sent to every oracle, certified by t of them. */
  async heartbeat(): Promise<void> {
    await this.stepEveryOracle('heartbeat', HEARTBEAT_DIGEST);
  }

  /**
   * A step of `kind` sent to every oracle (through `rpc`, default Step), certified by t of them
   * (a pending step is resent through Step, as every step is); returns the answers of the oracles
   * that committed. Heartbeats and unseal steps (agent/unseal.ts) are made this way.
   */
  stepEveryOracle<R extends { commit: StepResponse__Output['commit'] } = StepResponse__Output>(
    kind: StepKind,
    payloadDigest: Uint8Array,
    rpc?: StepRpc<R>,
  ): Promise<Map<number, R>> {
    return this.#exclusive(async () => {
      this.#checkRevoked();
      await this.#flushPending();
      const step = this.#stepAhead(kind, payloadDigest);
      const failed = new Map<number, MpcidError>();
      const answers = await this.#send(this.#clients, step, false, rpc);
      const have = new Map<number, Commit>();
      const ok = new Map<number, R>();
      for (const [id, a] of answers) {
        if (a.ok) {
          have.set(id, a.commit);
          ok.set(id, a.res);
        } else failed.set(id, a.err);
      }
      await this.#certify(have, failed, true);
      return ok;
    });
  }

  /** Co-signs `message`; the returned signature has been verified against the identity key. */
  sign(message: Uint8Array): Promise<Uint8Array> {
    return this.#exclusive(async () => (await this.#cosign('sign', () => message)).signature);
  }

  /**
   * Co-signs a JWS signing input built for the step's counter (tokens carry it as `ctr`); the
   * oracles check it against their token policy. Returns the signing input and the signature.
   */
  signToken(build: (counter: number) => Uint8Array): Promise<{ message: Uint8Array; signature: Uint8Array }> {
    return this.#exclusive(() => this.#cosign('jwt', build));
  }

  /** ES256 (threshold ECDSA, DKLs23) over `message`: r || s (low-S), verified against the P-256 key. */
  signEs256(message: Uint8Array): Promise<Uint8Array> {
    return this.#exclusive(async () => (await this.#cosignEs256('es256', () => message)).signature);
  }

  /** An ES256 JWS signing input built for the step's counter, co-signed like signToken. */
  signTokenEs256(
    build: (counter: number) => Uint8Array,
  ): Promise<{ message: Uint8Array; signature: Uint8Array }> {
    return this.#exclusive(() => this.#cosignEs256('jwt-es256', build));
  }

  /**
   * An issuer-key token (agent/issuer.ts, docs/protocol.md §10): a jwt-issuer step naming the
   * token and t oracles, certified like any step; those oracles sign with the cluster issuer key
   * and `relay` runs their session. An oracle caught lying is left out of the next attempt.
   */
  signTokenIssuer(
    build: (counter: number) => Uint8Array,
    relay: IssuerRelay,
  ): Promise<{ message: Uint8Array; signature: Uint8Array }> {
    return this.#exclusive(async () => {
      this.#checkRevoked();
      await this.#flushPending();
      const a: Attempts = { failed: new Map(), patient: false, patientPasses: 0 };
      for (let round = 0; round < 4 * (this.#as.n + 1); round++) {
        const picked = this.#pick(a);
        if (!picked) break;
        const chosen = [...picked].sort((x, y) => x.nodeId - y.nodeId);
        const oracles = chosen.map((c) => c.nodeId);
        const message = build(this.#rs.counter + 1);
        const kind = 'jwt-issuer';
        const step = this.#stepAhead(kind, ecdsaPayloadDigest(kind, message, oracles), {
          ecdsa: { message, oracles },
        });
        const answered = await this.#settle(chosen, await this.#send(chosen, step, a.patient), a);
        const session = stepDigest(step.signed.step);
        const out = await relay.run(session, message, chosen, answered, (e, id) => this.#refusal(e, id));
        if ('signature' in out) return { message, signature: out.signature };
        if (out.failed)
          this.#fail(chosen.find((c) => c.nodeId === out.failed!.oracle)!, out.failed.err, a.failed);
      }
      throw this.#quorumError(a.failed);
    });
  }

  /**
   * The t oracles of the next attempt, or undefined when none is left. First pass: fail fast on
   * oracles that are down and use others. If that leaves fewer than t, patient passes wait (up to
   * the deadline) for unreachable oracles to reconnect, e.g. right after they restarted (a
   * connection torn down by a peer's crash can fail one call more).
   */
  #pick(a: Attempts): OracleClient[] | undefined {
    const { t } = this.#as;
    for (;;) {
      const chosen = this.#order(new Set(a.failed.keys())).slice(0, t);
      if (chosen.length === t) return chosen;
      const unreachable = [...a.failed].filter(([, e]) => e.code === 'PEER_UNAVAILABLE');
      if (a.patientPasses >= PATIENT_PASSES || unreachable.length === 0) return undefined;
      a.patientPasses++;
      a.patient = true;
      for (const [id] of unreachable) a.failed.delete(id);
    }
  }

  /**
   * The answers of the chosen oracles to a signing step: failures are recorded, commits
   * collected, and the step certified before anything else happens, signature or not (if the
   * fail-fast pass cannot, a patient one waits for oracles that are (re)connecting). A policy
   * refusal is the same on every oracle: POLICY_VIOLATION. Returns the oracles that answered.
   */
  async #settle(
    chosen: readonly OracleClient[],
    answers: Map<number, Answer>,
    a: Attempts,
  ): Promise<Map<number, StepResponse__Output>> {
    const have = new Map<number, Commit>();
    const ok = new Map<number, StepResponse__Output>();
    let refusal: string | undefined;
    for (const c of chosen) {
      const x = answers.get(c.nodeId)!;
      if (!x.ok) {
        this.#fail(c, x.err, a.failed);
        continue;
      }
      have.set(c.nodeId, x.commit);
      ok.set(c.nodeId, x.res);
      if (x.res.refusal) refusal ??= `oracle ${c.nodeId}: ${x.res.refusal}`;
    }
    try {
      await this.#certify(have, a.failed, a.patient);
    } catch (e) {
      const code = codeOf(e);
      if (a.patient || (code !== undefined && (REVOKED_CODES.has(code) || code === 'STALE_STEP'))) throw e;
      a.patient = true;
      await this.#certify(have, a.failed, true);
    }
    if (refusal) throw new MpcidError('POLICY_VIOLATION', refusal.replace(/POLICY_VIOLATION: /, ''));
    return ok;
  }

  async #cosign(
    kind: 'sign' | 'jwt',
    build: (counter: number) => Uint8Array,
  ): Promise<{ message: Uint8Array; signature: Uint8Array }> {
    this.#checkRevoked();
    await this.#flushPending();
    const { n, t } = this.#as;
    const a: Attempts = { failed: new Map(), patient: false, patientPasses: 0 };
    for (let round = 0; round < 4 * (n + 1); round++) {
      const chosen = this.#pick(a);
      if (!chosen) break;
      const missing = chosen.filter((c) => !this.#cache.get(c.nodeId)?.length);
      const fetched = await Promise.allSettled(missing.map((c) => this.#fetchNonces(c, a.patient)));
      fetched.forEach((r, i) => {
        if (r.status === 'rejected') {
          const err = this.#refusal(
            fromServiceError(r.reason, `oracle ${missing[i]!.nodeId}`),
            missing[i]!.nodeId,
          );
          this.#fail(missing[i]!, err, a.failed);
        }
      });
      if (fetched.some((r) => r.status === 'rejected')) continue;

      const oracleCommitments = chosen.map((c) => this.#cache.get(c.nodeId)!.shift()!);
      const agentNonces = this.#state.shares.map((s) => commit(s));
      const list = checkCommitmentList(this.#as, [
        ...oracleCommitments,
        ...agentNonces.map((x) => x.commitment),
      ]);
      const message = build(this.#rs.counter + 1);
      const step = this.#stepAhead(kind, signPayloadDigest(kind, message, list), { sign: { message, list } });
      const sending = this.#send(chosen, step, a.patient);
      // Our own w shares need only the message and the commitment list: compute them while the
      // oracles compute theirs (other processes, other cores), after the requests are on the wire.
      // They stay in this process unless the round succeeds; signShare wipes the nonces either way.
      await new Promise((r) => setImmediate(r));
      const session = signingSession(this.#state.group, list, message);
      const own = this.#state.shares.map(
        (s, i) => [s.participant, session.signShare(s, agentNonces[i]!.nonces)] as const,
      );
      const answered = await this.#settle(chosen, await sending, a);
      const shares = new Map<number, Uint8Array>();
      for (const [id, res] of answered) {
        if (res.next && res.next.participant === id) this.#remember(id, [commitmentFromWire(res.next)]);
        if (res.signatureShare.length > 0) shares.set(id, new Uint8Array(res.signatureShare));
        else this.#cache.delete(id); // it had no nonce for us (restarted): refetch
      }
      if (shares.size < t) continue;
      for (const [participant, share] of own) shares.set(participant, share);
      try {
        return { message, signature: session.aggregate(shares) };
      } catch (e) {
        if (codeOf(e) === 'BAD_SIGNATURE_SHARE') {
          const culprits = culpritsOf(e);
          const culprit = chosen.find((c) => culprits.includes(c.nodeId));
          if (culprit) {
            this.#fail(
              culprit,
              new MpcidError(
                'BAD_SIGNATURE_SHARE',
                `oracle ${culprit.nodeId} (${culprit.address}) sent an invalid signature share`,
              ),
              a.failed,
            );
            continue;
          }
        }
        throw e;
      }
    }
    throw this.#quorumError(a.failed);
  }

  /**
   * One ES256 signature: an es256 / jwt-es256 step naming the message and t oracles, certified
   * like any step; the chosen oracles answer it with their DKLs23 round-1 messages, and rounds
   * 2-3 run through EcdsaRound. An oracle that answers the step without a well-formed session,
   * or fails a round, is replaced by a fresh step (no check failed, nothing to hide). An aborted
   * session is reported and revokes the identity: it is never retried.
   */
  async #cosignEs256(
    kind: 'es256' | 'jwt-es256',
    build: (counter: number) => Uint8Array,
  ): Promise<{ message: Uint8Array; signature: Uint8Array }> {
    this.#checkRevoked();
    const key = this.#es256;
    if (!key) throw noEs256Key(this.#state);
    checkZeroSharing(key);
    await this.#flushPending();
    const { n } = this.#as;
    const a: Attempts = { failed: new Map(), patient: false, patientPasses: 0 };
    for (let round = 0; round < 4 * (n + 1); round++) {
      const picked = this.#pick(a);
      if (!picked) break;
      const chosen = [...picked].sort((x, y) => x.nodeId - y.nodeId);
      const oracles = chosen.map((c) => c.nodeId);
      const message = build(this.#rs.counter + 1);
      const step = this.#stepAhead(kind, ecdsaPayloadDigest(kind, message, oracles), {
        ecdsa: { message, oracles },
      });
      const { signed } = step;
      const session = new AgentEcdsaSession(
        this.#state.identityId,
        this.#nodeKeys,
        key,
        oracles,
        stepDigest(signed.step),
        message,
      );
      const sending = this.#send(chosen, step, a.patient);
      // Our round 1 while the oracles make theirs.
      await new Promise((r) => setImmediate(r));
      session.start();
      const answered = await this.#settle(chosen, await sending, a);
      // Every chosen oracle answered with its round-1 messages (checked by the session, which
      // counts an oracle with a damaged answer as failed: nothing was computed on it yet).
      const round1 = new Map<number, Envelope__Output[]>();
      for (const [id, res] of answered) round1.set(id, res.envelopes);
      if (round1.size < oracles.length) continue;
      try {
        const signature = await session.run(round1, (o, r, envelopes) =>
          this.#ecdsaRound(o, session.session, r, envelopes),
        );
        return { message, signature };
      } catch (e) {
        if (e instanceof EcdsaRoundFailed) {
          this.#fail(chosen.find((c) => c.nodeId === e.oracle)!, e, a.failed);
          continue;
        }
        const abort = abortOf(e);
        if (abort)
          await this.#reportAbort(
            signed,
            { messageDigest: sha256(message), oracles },
            abort,
            asMpcidError(e)!,
          );
        throw e;
      }
    }
    throw this.#quorumError(a.failed);
  }

  /** Rounds 2-3 of a session on one oracle; a revocation backed by evidence stops the agent. */
  async #ecdsaRound(oracle: number, session: Uint8Array, round: 2 | 3, envelopes: Envelope[]) {
    const c = this.#clients.find((x) => x.nodeId === oracle)!;
    try {
      const res = await this.#call(
        c.signer,
        c.signer.EcdsaRound,
        { identityId: this.#state.identityId, session: Buffer.from(session), round, envelopes },
        false,
      );
      return res.envelopes;
    } catch (e) {
      throw this.#refusal(fromServiceError(e, `oracle ${oracle}`), oracle);
    }
  }

  /**
   * Our side of a session aborted: sign the claim (culprit, check) with the session key, write
   * it to disk, report it to every oracle (each revokes the identity with it as evidence and
   * tells its peers) and stop for good. Throws ECDSA_ABORT naming the culprit.
   */
  async #reportAbort(
    signed: SignedStep,
    facts: { messageDigest: Uint8Array; oracles: readonly number[] },
    abort: { culprit: number; check: string },
    cause: MpcidError,
  ): Promise<never> {
    const identityId = this.#state.identityId;
    const signature = signStatement(
      this.#state.sessionKey,
      DOMAINS.ecdsaAbort,
      ...abortFields(identityId, stepDigest(signed.step), AGENT_PARTY, abort.culprit, abort.check),
    );
    const rec = {
      identityId,
      step: stepToJSON(signed),
      ...abort,
      signature: toB64u(signature),
      messageDigest: toB64u(facts.messageDigest),
      oracles: [...facts.oracles],
    };
    writeAbort(this.#dir, rec);
    this.#revoked = new MpcidError(
      'IDENTITY_REVOKED',
      `an ECDSA session aborted (${abort.check}, party ${abort.culprit}; ${ABORT_NOTE})`,
    );
    if (this.#timer) clearInterval(this.#timer);
    this.#log.error(
      {
        [LOG.identity]: identityId,
        culprit: abort.culprit,
        check: abort.check,
        [LOG.errorCode]: cause.code,
        [LOG.errorMessage]: cause.message,
      },
      'ECDSA session aborted: reporting it; the identity is revoked and never signs again (an aborted session is never retried)',
    );
    await this.#sendAbort(rec);
    throw new MpcidError(
      'ECDSA_ABORT',
      `ECDSA session aborted (${abort.check}, party ${abort.culprit}): identity revoked, never retried`,
      { metadata: { culprit: String(abort.culprit), check: abort.check } },
    );
  }

  /** Sends a stored abort claim to every oracle; an oracle acknowledges with IDENTITY_REVOKED. */
  async #sendAbort(rec: AbortRecord): Promise<void> {
    const step = stepFromJSON(rec.step, 'abort.step');
    const req = {
      identityId: rec.identityId,
      session: Buffer.from(stepDigest(step.step)),
      round: 0,
      envelopes: [],
      step: stepToWire(step),
      abort: {
        accuser: AGENT_PARTY,
        culprit: rec.culprit,
        check: rec.check,
        signature: Buffer.from(rec.signature, 'base64url'),
        messageDigest: Buffer.from(rec.messageDigest, 'base64url'),
        oracles: rec.oracles,
      },
    };
    const res = await Promise.allSettled(
      this.#clients.map((c) => call(c.signer, c.signer.EcdsaRound, req, this.#deadlineMs)),
    );
    const acks = res.filter(
      (r) => r.status === 'rejected' && fromServiceError(r.reason, 'abort').code === 'IDENTITY_REVOKED',
    ).length;
    this.#log.warn(
      { [LOG.identity]: rec.identityId, [LOG.count]: acks },
      `ECDSA abort reported: ${acks} of ${this.#clients.length} oracles hold the revocation`,
    );
  }

  #quorumError(failed: Map<number, MpcidError>): MpcidError {
    const { n, t } = this.#as;
    const cheat = [...failed.values()].find((e) => e.code === 'BAD_SIGNATURE_SHARE');
    const refusals = [...failed.values()].filter(
      (e) => e.code !== 'PEER_UNAVAILABLE' && e.code !== 'BAD_SIGNATURE_SHARE',
    );
    const unreachable = [...failed.entries()]
      .filter(([, e]) => e.code === 'PEER_UNAVAILABLE')
      .map(([id]) => id);
    const reachable = n - unreachable.length;
    const detail = [...failed.entries()].map(([id, e]) => `oracle ${id}: ${e.code}`).join(', ');
    let code: ErrorCode = 'QUORUM_UNAVAILABLE';
    if (cheat) code = 'BAD_SIGNATURE_SHARE';
    else if (refusals.length > 0 && unreachable.length === 0) code = refusals[0]!.code;
    return new MpcidError(code, `only ${reachable} of ${n} oracles reachable, quorum is ${t} (${detail})`);
  }
}
