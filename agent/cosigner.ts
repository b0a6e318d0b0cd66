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
 */
import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { type ErrorCode, MpcidError } from '../common/errors.js';
import { call, errorInfoOf, fromServiceError, type UnaryMethod } from '../common/grpc.js';
import { LOG, type Logger } from '../common/log.js';
import {
  commitFromWire,
  commitmentFromWire,
  commitmentToWire,
  commitToWire,
  DOMAINS,
  evidenceFromJSON,
  HEARTBEAT_DIGEST,
  nonceRequestFields,
  signPayloadDigest,
  stepToWire,
} from '../common/protocol.js';
import { equalBytes, fromB64u, toB64u } from '../crypto/bytes.js';
import { aggregate, checkCommitmentList, commit, type NonceCommitment, signShare } from '../crypto/frost.js';
import {
  type Commit,
  evidenceDigest,
  headAfter,
  verifyCertificate,
  verifyEvidence,
} from '../crypto/ratchet.js';
import { signStatement } from '../crypto/statement.js';
import type { StepResponse__Output } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { OracleClient } from './oracles.js';
import { certified, type Pending, prepareStep, type RatchetState, writeRatchet } from './ratchet.js';
import type { AgentState } from './state.js';

export interface CosignerOptions {
  /** Deadline of each call to an oracle. */
  deadlineMs?: number;
  /** Commitments fetched per GetNonces call. */
  prefetch?: number;
  /** Idle time after which the agent makes a heartbeat step; 0 disables heartbeats. */
  heartbeatMs?: number;
}

/** After a failure, an oracle is tried last for this long. */
const PENALTY_MS = 2_000;
/** Patient passes over unreachable oracles before a sign gives up with QUORUM_UNAVAILABLE. */
const PATIENT_PASSES = 2;
const REVOKED_CODES: ReadonlySet<ErrorCode> = new Set(['FORK_DETECTED', 'IDENTITY_REVOKED']);
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

type Answer = { ok: true; res: StepResponse__Output; commit: Commit } | { ok: false; err: MpcidError };

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
  #rs: RatchetState;
  #chain: Promise<unknown> = Promise.resolve();
  #revoked: MpcidError | undefined;
  #lastStepAt = 0;
  #timer: NodeJS.Timeout | undefined;

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
    this.#clients = clients;
    this.#log = log;
    this.#deadlineMs = opts.deadlineMs ?? 3_000;
    this.#prefetch = opts.prefetch ?? 4;
    this.#heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.#nodeKeys = new Map(
      state.cluster.oracles.map((o) => [o.id, fromB64u(o.publicKey, 'publicKey', 32)]),
    );
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
    void this.prefetch();
    if (this.#heartbeatMs <= 0) return;
    const tick = () => {
      if (this.#revoked) return;
      if (Date.now() - this.#lastStepAt >= this.#heartbeatMs) {
        this.heartbeat().catch((e: unknown) => {
          const err = e instanceof MpcidError ? e : new MpcidError('INTERNAL', String(e));
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
    await this.#chain.catch(() => undefined);
  }

  /** Steps are made one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #persist(next: RatchetState): void {
    writeRatchet(this.#dir, this.#state.identityId, next);
    this.#rs = next;
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
    try {
      const evidence = evidenceFromJSON(JSON.parse(err.metadata['evidence'] ?? ''));
      if (evidence.identityId !== this.#state.identityId) throw new Error('identity');
      verifyEvidence(this.#state.sessionPublicKey, evidence);
      digest = toB64u(evidenceDigest(evidence));
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
        },
        'IDENTITY REVOKED: a second copy of this agent (clone or rollback) was detected; no longer signing',
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
    const sig = signStatement(
      this.#state.sessionKey,
      DOMAINS.nonceRequest,
      ...nonceRequestFields(this.#state.identityId, count, rid),
    );
    const res = await this.#call(
      c.signer,
      c.signer.GetNonces,
      {
        identityId: this.#state.identityId,
        count,
        requestId: Buffer.from(rid),
        sessionSignature: Buffer.from(sig),
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
  async #send(targets: readonly OracleClient[], p: Pending, patient: boolean): Promise<Map<number, Answer>> {
    const req = {
      step: stepToWire(p.signed),
      certificate: this.#rs.certificate.map(commitToWire),
      sign: p.sign
        ? { message: Buffer.from(p.sign.message), commitments: p.sign.list.map(commitmentToWire) }
        : null,
    };
    const step = p.signed.step;
    const head = headAfter(step);
    const answers = await Promise.allSettled(
      targets.map((c) => this.#call(c.signer, c.signer.Step, req, patient)),
    );
    const out = new Map<number, Answer>();
    answers.forEach((a, i) => {
      const c = targets[i]!;
      if (a.status === 'rejected') {
        out.set(c.nodeId, {
          ok: false,
          err: this.#refusal(fromServiceError(a.reason, `oracle ${c.nodeId}`), c.nodeId),
        });
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
      if ([...failed.values()].filter((e) => e.code === 'STALE_STEP').length >= t)
        await this.#exposeSecondHistory();
      throw this.#quorumError(failed);
    }
    this.#persist(certified(this.#rs, [...have.values()].slice(0, Math.max(t, have.size))));
    this.#lastStepAt = Date.now();
  }

  /**
   * A quorum holds a later step than our pending one. An honest agent can never see this (it
   * makes no step c+2 before c+1 is certified, and quorums intersect), so another copy of this
   * agent is stepping: this one is a clone, or a rolled-back copy. Step again in the open, with
   * the current time, so the oracles see both histories and revoke the identity with evidence,
   * instead of this copy being refused as stale forever without an alert.
   */
  async #exposeSecondHistory(): Promise<never> {
    const { pending: _superseded, ...certifiedState } = this.#rs;
    this.#log.error(
      { [LOG.identity]: this.#state.identityId, counter: certifiedState.counter + 1 },
      'a quorum of oracles is ahead of this agent: another copy of this identity is stepping (clone or rollback)',
    );
    this.#persist(
      prepareStep(
        certifiedState,
        this.#state.identityId,
        this.#state.sessionKey,
        'heartbeat',
        HEARTBEAT_DIGEST,
      ),
    );
    // FORK_DETECTED / IDENTITY_REVOKED from any oracle stops this agent for good (in #send).
    await this.#send(this.#clients, this.#rs.pending!, true);
    throw new MpcidError(
      'STALE_STEP',
      'this copy of the agent is behind the cluster: another copy of this identity is stepping',
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
  heartbeat(): Promise<void> {
    return this.#exclusive(async () => {
      this.#checkRevoked();
      await this.#flushPending();
      this.#persist(
        prepareStep(this.#rs, this.#state.identityId, this.#state.sessionKey, 'heartbeat', HEARTBEAT_DIGEST),
      );
      const failed = new Map<number, MpcidError>();
      const answers = await this.#send(this.#clients, this.#rs.pending!, false);
      const have = new Map<number, Commit>();
      for (const [id, a] of answers) {
        if (a.ok) have.set(id, a.commit);
        else failed.set(id, a.err);
      }
      await this.#certify(have, failed, true);
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

  async #cosign(
    kind: 'sign' | 'jwt',
    build: (counter: number) => Uint8Array,
  ): Promise<{ message: Uint8Array; signature: Uint8Array }> {
    this.#checkRevoked();
    await this.#flushPending();
    const { n, t } = this.#as;
    const failed = new Map<number, MpcidError>();
    // First pass: fail fast on oracles that are down and use others. If that leaves fewer than
    // t, patient passes wait (up to the deadline) for unreachable oracles to reconnect, e.g. right
    // after they restarted (a connection torn down by a peer's crash can fail one call more).
    let patientPasses = 0;
    let patient = false;
    for (let round = 0; round < 4 * (n + 1); round++) {
      const chosen = this.#order(new Set(failed.keys())).slice(0, t);
      if (chosen.length < t) {
        const unreachable = [...failed].filter(([, e]) => e.code === 'PEER_UNAVAILABLE');
        if (patientPasses >= PATIENT_PASSES || unreachable.length === 0) break;
        patientPasses++;
        patient = true;
        for (const [id] of unreachable) failed.delete(id);
        continue;
      }
      const missing = chosen.filter((c) => !this.#cache.get(c.nodeId)?.length);
      const fetched = await Promise.allSettled(missing.map((c) => this.#fetchNonces(c, patient)));
      fetched.forEach((r, i) => {
        if (r.status === 'rejected') {
          const err = this.#refusal(
            fromServiceError(r.reason, `oracle ${missing[i]!.nodeId}`),
            missing[i]!.nodeId,
          );
          this.#fail(missing[i]!, err, failed);
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
      // Write-ahead: the step is on disk before it is sent.
      this.#persist(
        prepareStep(
          this.#rs,
          this.#state.identityId,
          this.#state.sessionKey,
          kind,
          signPayloadDigest(kind, message, list),
          { message, list },
        ),
      );
      const sending = this.#send(chosen, this.#rs.pending!, patient);
      // Our own w shares need only the message and the commitment list: compute them while the
      // oracles compute theirs (other processes, other cores), after the requests are on the wire.
      // They stay in this process unless the round succeeds; signShare wipes the nonces either way.
      await new Promise((r) => setImmediate(r));
      const own = this.#state.shares.map(
        (s, i) =>
          [s.participant, signShare(this.#state.group, s, agentNonces[i]!.nonces, list, message)] as const,
      );
      const answers = await sending;
      const shares = new Map<number, Uint8Array>();
      const have = new Map<number, Commit>();
      let refusal: string | undefined;
      for (const c of chosen) {
        const a = answers.get(c.nodeId)!;
        if (!a.ok) {
          this.#fail(c, a.err, failed);
          continue;
        }
        have.set(c.nodeId, a.commit);
        if (a.res.next && a.res.next.participant === c.nodeId)
          this.#remember(c.nodeId, [commitmentFromWire(a.res.next)]);
        if (a.res.refusal) refusal ??= `oracle ${c.nodeId}: ${a.res.refusal}`;
        else if (a.res.signatureShare.length > 0) shares.set(c.nodeId, new Uint8Array(a.res.signatureShare));
        else this.#cache.delete(c.nodeId); // it had no nonce for us (restarted): refetch
      }
      // The step must be certified before anything else happens, signature or not. If the
      // fail-fast pass cannot, a patient one waits for oracles that are (re)connecting.
      try {
        await this.#certify(have, failed, patient);
      } catch (e) {
        if (patient || (e instanceof MpcidError && (REVOKED_CODES.has(e.code) || e.code === 'STALE_STEP')))
          throw e;
        patient = true;
        await this.#certify(have, failed, true);
      }
      if (refusal) {
        // Policy is the same on every oracle: another signing set would refuse too.
        throw new MpcidError('POLICY_VIOLATION', refusal.replace(/POLICY_VIOLATION: /, ''));
      }
      if (shares.size < t) continue;
      for (const [participant, share] of own) shares.set(participant, share);
      try {
        return { message, signature: aggregate(this.#state.group, list, message, shares) };
      } catch (e) {
        if (e instanceof MpcidError && e.code === 'BAD_SIGNATURE_SHARE') {
          const culprit = chosen.find((c) => e.message.includes(`participant ${c.nodeId} `));
          if (culprit) {
            this.#fail(
              culprit,
              new MpcidError(
                'BAD_SIGNATURE_SHARE',
                `oracle ${culprit.nodeId} (${culprit.address}) sent an invalid signature share`,
              ),
              failed,
            );
            continue;
          }
        }
        throw e;
      }
    }
    throw this.#quorumError(failed);
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
