/**
 * The agent's side of issuer-key tokens (docs/protocol.md §10). The federation issuer key is held
 * t-of-n by the oracles; the agent holds none of it. It makes the `jwt-issuer` ratchet step (so a
 * copied agent is caught as for any step: `issuerFlow`, run by the step engine, agent/steps.ts;
 * oracle/issuer.ts is its counterpart), then relays the
 * DKLs23 session among the step's t oracles (IssuerRound) and combines their round-3 shares into
 * the ES256 signature, which it verifies against the issuer key before returning it.
 *
 * Relaying is sound for the same reasons as ES256's (docs/ecdsa.md §2): every oracle-to-oracle
 * message is sealed under the pair's channel key (made at the issuer key's setup, which the agent
 * never saw) and signed with the sender's node key, so the agent can neither read nor alter it
 * undetected; it can only drop it. Each relayed request also carries the identity's session-key
 * signature over what it relays, so only this identity's agent can drive a session of its step.
 *
 * Which key the cluster uses now comes from the oracles (GetIssuerKeys): a key counts only if t
 * oracles name it current and its kid is its RFC 7638 thumbprint, so fewer than t lying oracles
 * cannot make the agent use another key.
 */

import type { FederationConfig } from '../common/config.js';
import { abortOf, checkRelayed } from '../common/ecdsa-wire.js';
import { detailsOf, MpcidError } from '../common/errors.js';
import { call, fromServiceError } from '../common/grpc.js';
import { checkAudiences, issuerRoundFields } from '../common/issuer.js';
import { ecdsaPayloadDigest } from '../common/protocol.js';
import { toB64u } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { combineSignature } from '../crypto/ecdsa/index.js';
import { sha256 } from '../crypto/hash.js';
import { decodeP256Point, p256Thumbprint } from '../crypto/p256.js';
import { stepDigest } from '../crypto/ratchet.js';
import { signStatement } from '../crypto/statement.js';
import type { Envelope, Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { StepResponse__Output } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { Signed } from './eddsa.js';
import type { OracleClient } from './oracles.js';
import type { AgentState } from './state.js';
import { RETRY, type StepEngine, type StepFlow } from './steps.js';

/** The issuer key that signs now, as t oracles agree. */
export interface IssuerKeyView {
  readonly kid: string;
  /** Compressed SEC 1 P-256 point. */
  readonly publicKey: Uint8Array;
}

/** The current issuer key, named by at least t oracles (ISSUER_NOT_CONFIGURED if none is). */
export async function agreedIssuerKey(
  clients: readonly OracleClient[],
  t: number,
  deadlineMs: number,
): Promise<IssuerKeyView> {
  const answers = await Promise.allSettled(
    clients.map((c) => call(c.issuer, c.issuer.GetIssuerKeys, {}, deadlineMs)),
  );
  const votes = new Map<string, { key: IssuerKeyView; n: number }>();
  let answered = 0;
  for (const a of answers) {
    if (a.status !== 'fulfilled') continue;
    answered++;
    const cur = a.value.keys.find((k) => k.state === 'current');
    if (!cur) continue;
    try {
      const pk = decodeP256Point(new Uint8Array(cur.publicKey), 'publicKey');
      if (p256Thumbprint(pk) !== cur.kid) continue;
      const k = `${cur.kid}:${toB64u(pk)}`;
      const v = votes.get(k) ?? { key: { kid: cur.kid, publicKey: pk }, n: 0 };
      v.n++;
      votes.set(k, v);
    } catch {
      // a malformed key is no vote
    }
  }
  for (const v of votes.values()) if (v.n >= t) return v.key;
  if (answered < t)
    throw new MpcidError(
      'QUORUM_UNAVAILABLE',
      `only ${answered} oracles answered for the issuer key, quorum is ${t}`,
    );
  throw new MpcidError(
    'ISSUER_NOT_CONFIGURED',
    'fewer than t oracles name a current issuer key (mpcid issuer rotate makes the first one)',
  );
}

/**
 * The claims rule of issuer-key tokens, checked before any step: the audiences must be
 * configured (AUDIENCE_NOT_ALLOWED) and the lifetime within the federation maximum (under 48 h).
 */
export function checkIssuerToken(fed: FederationConfig, aud: unknown, ttlSeconds: number): void {
  checkAudiences(aud, fed.audiences);
  if (ttlSeconds > fed.maxTokenTtlSeconds)
    throw new MpcidError(
      'POLICY_VIOLATION',
      `token refused: lifetime above ${fed.maxTokenTtlSeconds} s (cluster.federation.maxTokenTtlSeconds)`,
    );
}

/**
 * The `jwt-issuer` step over `build(counter)` (the step engine's flow for issuer-key tokens): a
 * step naming the token and t oracles, certified like any step; those oracles sign with the
 * cluster issuer key and `relay` runs their session. An oracle caught lying is left out of the
 * next attempt, a fresh step.
 */
export function issuerFlow(
  engine: StepEngine,
  build: (counter: number) => Uint8Array,
  relay: IssuerRelay,
): StepFlow<Signed> {
  return {
    targets: 'set',
    async attempt(picked, a) {
      const chosen = [...picked].sort((x, y) => x.nodeId - y.nodeId);
      const oracles = chosen.map((c) => c.nodeId);
      const message = build(engine.counter + 1);
      const kind = 'jwt-issuer';
      const step = await engine.stepAheadAsync(kind, ecdsaPayloadDigest(kind, message, oracles), {
        ecdsa: { message, oracles },
      });
      const answered = await engine.settle(chosen, await engine.send(chosen, step, a.patient), a);
      const session = stepDigest(step.signed.step);
      const out = await relay.run(session, message, chosen, answered, (e, id) => engine.refusal(e, id));
      if ('signature' in out) return { message, signature: out.signature };
      if (out.failed)
        engine.quorum.fail(chosen.find((c) => c.nodeId === out.failed!.oracle)!, out.failed.err, a.failed);
      return RETRY;
    },
  };
}

/** What one attempt gave: the signature, or the oracle to leave out of the next one. */
export type IssuerAttempt = { signature: Uint8Array } | { failed?: { oracle: number; err: MpcidError } };

/** Relays and combines one issuer session (the step's t oracles; session = the step digest). */
export class IssuerRelay {
  readonly #state: AgentState;
  readonly #nodeKeys: ReadonlyMap<number, Uint8Array>;
  readonly #key: IssuerKeyView;
  readonly #deadlineMs: number;

  constructor(
    state: AgentState,
    nodeKeys: ReadonlyMap<number, Uint8Array>,
    key: IssuerKeyView,
    deadlineMs: number,
  ) {
    this.#state = state;
    this.#nodeKeys = nodeKeys;
    this.#key = key;
    this.#deadlineMs = deadlineMs;
  }

  /**
   * Rounds 2-3 and the combine, given the chosen oracles' answers to the certified step (their
   * round-1 messages). `refusal` turns an oracle's error into the agent's (a revocation with
   * evidence stops the agent for good: it throws).
   */
  async run(
    session: Uint8Array,
    message: Uint8Array,
    chosen: readonly OracleClient[],
    answered: ReadonlyMap<number, StepResponse__Output>,
    refusal: (err: MpcidError, nodeId: number) => MpcidError,
  ): Promise<IssuerAttempt> {
    const oracles = chosen.map((c) => c.nodeId);
    const identityId = this.#state.identityId;
    if (oracles.some((o) => !answered.has(o))) return {};
    let prev = new Map<number, Envelope__Output[]>();
    for (const o of oracles) prev.set(o, answered.get(o)!.envelopes);
    for (const round of [1, 2] as const) {
      const bad = this.#checkRound(session, oracles, prev, round);
      if (bad) return bad;
      const next = new Map<number, Envelope__Output[]>();
      const results = await Promise.allSettled(
        chosen.map((c) =>
          this.#round(
            c,
            session,
            round + 1,
            [...prev.values()].flat().filter((e) => e.to === c.nodeId),
          ),
        ),
      );
      for (const [i, r] of results.entries()) {
        const o = oracles[i]!;
        if (r.status === 'rejected') {
          const answer = fromServiceError(r.reason, `oracle ${o}`);
          const err = refusal(answer, o);
          // An oracle that caught another lying names it in typed details.
          const culprit = detailsOf(answer, 'ISSUER_ABORT')?.culprit ?? NaN;
          return { failed: { oracle: oracles.includes(culprit) ? culprit : o, err } };
        }
        next.set(o, r.value);
      }
      prev = next;
    }
    const shares = new Map<number, Uint8Array>();
    for (const o of oracles) {
      const list = prev.get(o)!;
      const e = list[0];
      if (list.length !== 1 || !e || e.from !== o || e.to !== 0 || e.round !== 3)
        return this.#blame(
          o,
          'share',
          `oracle ${o} answered round 3 without exactly one share for the agent`,
        );
      try {
        checkRelayed(this.#nodeKeys, identityId, session, e, o, 'share');
      } catch {
        return this.#blame(o, 'share', `the share of oracle ${o} does not carry its node-key signature`);
      }
      shares.set(o, new Uint8Array(e.sealed));
    }
    try {
      const { signature } = combineSignature({
        curve: 'P-256',
        messageHash: sha256(message),
        publicKey: this.#key.publicKey,
        shares,
        sessionId: session,
      });
      return { signature };
    } catch (e) {
      const found = abortOf(e);
      if (!found) throw e;
      const c = found.culprit;
      // A combine failure no single oracle can be blamed for: nothing is issued, and the next
      // attempt (a fresh step) picks its signing set afresh.
      if (!oracles.includes(c)) return {};
      return this.#blame(c, found.check, `the share of oracle ${c} is malformed`);
    }
  }

  #blame(oracle: number, check: string, message: string): IssuerAttempt {
    return {
      failed: {
        oracle,
        err: new MpcidError('ISSUER_ABORT', message, { details: { culprit: oracle, check } }),
      },
    };
  }

  /** Every oracle's messages of `round`: one to each other oracle of the set, node-signed. */
  #checkRound(
    session: Uint8Array,
    oracles: readonly number[],
    msgs: ReadonlyMap<number, Envelope__Output[]>,
    round: number,
  ): IssuerAttempt | undefined {
    for (const o of oracles) {
      const list = msgs.get(o)!;
      const to = new Set(list.map((e) => e.to));
      if (
        list.length !== oracles.length - 1 ||
        to.size !== list.length ||
        list.some((e) => e.from !== o || e.round !== round || e.to === o || !oracles.includes(e.to))
      )
        return this.#blame(o, 'relay', `oracle ${o}'s round-${round} messages are not one per other oracle`);
      for (const e of list) {
        try {
          checkRelayed(this.#nodeKeys, this.#state.identityId, session, e, o, 'relay');
        } catch {
          return this.#blame(o, 'relay', `oracle ${o}'s round-${round} message does not carry its signature`);
        }
      }
    }
    return undefined;
  }

  async #round(c: OracleClient, session: Uint8Array, round: number, envelopes: Envelope__Output[]) {
    const identityId = this.#state.identityId;
    const signature = signStatement(
      this.#state.sessionKey,
      STATEMENT_DOMAINS.issuerRound,
      ...issuerRoundFields(identityId, session, round, envelopes),
    );
    const req = {
      identityId,
      session: Buffer.from(session),
      round,
      envelopes: envelopes as Envelope[],
      sessionSignature: Buffer.from(signature),
    };
    return (await call(c.issuer, c.issuer.IssuerRound, req, this.#deadlineMs)).envelopes;
  }
}
