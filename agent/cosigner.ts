/**
 * Co-signing (docs/protocol.md §6): the agent and a quorum of t oracles make one RFC 9591
 * FROST signature. The agent picks t oracles (healthy ones first), uses a nonce commitment each
 * handed out earlier (fetching some if it has none), sends the Sign request to all t in
 * parallel with a deadline, adds its own w shares, aggregates and verifies the signature
 * before returning it. A bad share names the oracle; an unreachable oracle is replaced by
 * another; fewer than t reachable is QUORUM_UNAVAILABLE naming how many were reachable.
 */
import { randomBytes } from 'node:crypto';
import { type ErrorCode, MpcidError } from '../common/errors.js';
import { call, fromServiceError } from '../common/grpc.js';
import { LOG, type Logger } from '../common/log.js';
import {
  commitmentFromWire,
  commitmentToWire,
  DOMAINS,
  nonceRequestFields,
  signRequestFields,
} from '../common/protocol.js';
import { aggregate, checkCommitmentList, commit, type NonceCommitment, signShare } from '../crypto/frost.js';
import { signStatement } from '../crypto/statement.js';
import type { OracleClient } from './oracles.js';
import type { AgentState } from './state.js';

export interface CosignerOptions {
  /** Deadline of each call to an oracle. */
  deadlineMs?: number;
  /** Commitments fetched per GetNonces call. */
  prefetch?: number;
}

/** After a failure, an oracle is tried last for this long. */
const PENALTY_MS = 2_000;

export class Cosigner {
  readonly #state: AgentState;
  readonly #clients: readonly OracleClient[];
  readonly #log: Logger;
  readonly #deadlineMs: number;
  readonly #prefetch: number;
  readonly #cache = new Map<number, NonceCommitment[]>();
  readonly #penalty = new Map<number, number>();

  constructor(state: AgentState, clients: readonly OracleClient[], log: Logger, opts: CosignerOptions = {}) {
    this.#state = state;
    this.#clients = clients;
    this.#log = log;
    this.#deadlineMs = opts.deadlineMs ?? 3_000;
    this.#prefetch = opts.prefetch ?? 4;
  }

  get #as() {
    return this.#state.group.as;
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
    const res = await call(
      c.signer,
      c.signer.GetNonces,
      {
        identityId: this.#state.identityId,
        count,
        requestId: Buffer.from(rid),
        sessionSignature: Buffer.from(sig),
      },
      this.#deadlineMs,
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

  /** Co-signs `message`; the returned signature has been verified against the identity key. */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    const { n, t } = this.#as;
    const failed = new Map<number, MpcidError>();
    // First pass: fail fast on oracles that are down and use others. If that leaves fewer than
    // t, a second, patient pass waits (up to the deadline) for unreachable oracles to reconnect,
    // e.g. right after they restarted.
    let patient = false;
    // Each round either signs or removes at least one oracle, except nonce misses, which are bounded.
    for (let round = 0; round < 3 * n + 3; round++) {
      const chosen = this.#order(new Set(failed.keys())).slice(0, t);
      if (chosen.length < t) {
        const unreachable = [...failed].filter(([, e]) => e.code === 'PEER_UNAVAILABLE');
        if (patient || unreachable.length === 0) break;
        patient = true;
        for (const [id] of unreachable) failed.delete(id);
        continue;
      }
      // Make sure each chosen oracle has a commitment we can use.
      const missing = chosen.filter((c) => !this.#cache.get(c.nodeId)?.length);
      const fetched = await Promise.allSettled(missing.map((c) => this.#fetchNonces(c, patient)));
      fetched.forEach((r, i) => {
        if (r.status === 'rejected')
          this.#fail(missing[i]!, fromServiceError(r.reason, `oracle ${missing[i]!.nodeId}`), failed);
      });
      if (fetched.some((r) => r.status === 'rejected')) continue;

      const oracleCommitments = chosen.map((c) => this.#cache.get(c.nodeId)!.shift()!);
      const agentNonces = this.#state.shares.map((s) => commit(s));
      const list = checkCommitmentList(this.#as, [
        ...oracleCommitments,
        ...agentNonces.map((x) => x.commitment),
      ]);
      const rid = new Uint8Array(randomBytes(16));
      const sig = signStatement(
        this.#state.sessionKey,
        DOMAINS.signRequest,
        ...signRequestFields(this.#state.identityId, message, list, rid),
      );
      const req = {
        identityId: this.#state.identityId,
        message: Buffer.from(message),
        commitments: list.map(commitmentToWire),
        requestId: Buffer.from(rid),
        sessionSignature: Buffer.from(sig),
      };
      const answers = await Promise.allSettled(
        chosen.map((c) => call(c.signer, c.signer.Sign, req, this.#deadlineMs, patient)),
      );
      const shares = new Map<number, Uint8Array>();
      let retry = false;
      answers.forEach((a, i) => {
        const c = chosen[i]!;
        if (a.status === 'fulfilled') {
          shares.set(c.nodeId, new Uint8Array(a.value.signatureShare));
          const next = a.value.next;
          if (next && next.participant === c.nodeId) this.#remember(c.nodeId, [commitmentFromWire(next)]);
          return;
        }
        const e = fromServiceError(a.reason, `oracle ${c.nodeId}`);
        if (e.code === 'UNKNOWN_NONCE') {
          // The oracle restarted (nonces are memory-only) or evicted ours: refetch, no penalty.
          this.#cache.delete(c.nodeId);
          retry = true;
          return;
        }
        this.#fail(c, e, failed);
        retry = true;
      });
      if (retry) {
        for (const x of agentNonces) {
          x.nonces.hiding.wipe();
          x.nonces.binding.wipe();
        }
        continue;
      }
      this.#state.shares.forEach((s, i) => {
        shares.set(s.participant, signShare(this.#state.group, s, agentNonces[i]!.nonces, list, message));
      });
      try {
        return aggregate(this.#state.group, list, message, shares);
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
