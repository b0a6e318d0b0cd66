/**
 * The agent's ES256 step kinds (docs/protocol.md §6.2): `es256` (raw bytes) and `jwt-es256` (a
 * JWS signing input the oracles check against their token policy), threshold ECDSA (DKLs23).
 * Counterpart: oracle/ecdsa.ts.
 *
 * One attempt: an es256 / jwt-es256 step names the message and the t oracles of the signing set;
 * it opens a DKLs23 session (session id = the step's digest) on each of them, and they answer the
 * step with their round-1 messages once it is certified (agent/steps.ts). `AgentEcdsaSession`
 * then runs the agent's side (party 0) and relays: round 2 and round 3 go to every chosen oracle
 * (EcdsaRound) with the messages addressed to it, ours and the other oracles' (sealed under pair
 * channel keys the agent does not hold); round 3 answers carry each oracle's share, and
 * combineSignature verifies.
 *
 * Failures:
 *   - ECDSA_ABORT: a DKLs23 check failed on authenticated content (a message that opened under
 *     the pair's channel key, so it is its sender's), on our side or, without a culprit, in
 *     combining: the session is reported (agent/ecdsa-abort.ts) and the identity is revoked; it
 *     is never retried (CVE-2023-33242 class).
 *   - `EcdsaRoundFailed`: an oracle failed a round (unreachable, deadline, ECDSA_SESSION_LOST
 *     after a restart, RATE_LIMITED past its retries, SESSION_AUTH_FAILED) or its answer was
 *     damaged (not routed as required, a relayed message without its sender's signature, a
 *     message to us that does not open: the network can do that too). Nothing of the answer was
 *     used, no check of ours failed, and an oracle revokes on any check of its own that fails,
 *     so no abort outcome was revealed: the step is already certified, and a fresh step (a fresh
 *     session) with another signing set is safe.
 */
import { abortOf, checkRelayed, envelopeToWire, relayBinding } from '../common/ecdsa-wire.js';
import { asMpcidError, codeOf, MpcidError } from '../common/errors.js';
import { fromServiceError } from '../common/grpc.js';
import { ecdsaPayloadDigest, presignPayloadDigest } from '../common/protocol.js';
import { combineSignature, EcdsaSigner, type Presignature } from '../crypto/ecdsa/index.js';
import { AGENT_PARTY, SigningSets } from '../crypto/es256.js';
import { sha256 } from '../crypto/hash.js';
import { PRESIGN_MESSAGE_DIGEST, type SignedStep, stepDigest } from '../crypto/ratchet.js';
import { openEnvelope, sealEnvelope } from '../crypto/seal.js';
import type { EcdsaRoundResponse__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundResponse.js';
import type { Envelope, Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { StepResponse__Output } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import { reportAbort } from './ecdsa-abort.js';
import type { Es256Key } from './ecdsa-setup.js';
import type { Signed } from './eddsa.js';
import type { OracleClient } from './oracles.js';
import type { Attempts } from './quorum.js';
import { noEs256Key } from './state.js';
import { type Answer, RETRY, type StepEngine, type StepFlow } from './steps.js';

const signingSets = new WeakMap<Es256Key, SigningSets>();

/**
 * NO_ES256_KEY if `key` was set up before zero-sharing (version-1 pair states, without the
 * pairwise seeds of DKLs23 F_Zero): it cannot sign, and is refused before any step is made.
 * There is no migration (docs/ecdsa.md §2): the workload enrolls again.
 */
export function checkZeroSharing(key: Es256Key): void {
  for (const [o, ps] of key.pairs) {
    if (!ps.zeroSharing)
      throw new MpcidError(
        'NO_ES256_KEY',
        `this identity's ES256 key was set up before zero-sharing (pair state with oracle ${o} is version 1) and cannot sign; enroll the workload again (docs/ecdsa.md §2)`,
      );
  }
}

/** The agent's inputs for a signing set of `key` (computed once per set). */
function signingSetOf(key: Es256Key, oracles: readonly number[]) {
  let s = signingSets.get(key);
  if (!s) {
    s = new SigningSets(key.group, key.shares);
    signingSets.set(key, s);
  }
  return s.of(oracles);
}

/** The `es256` or `jwt-es256` step over `build(counter)`, with the identity's ES256 key (read when the step starts). */
export function ecdsaFlow(
  engine: StepEngine,
  keyOf: () => Es256Key | undefined,
  kind: 'es256' | 'jwt-es256',
  build: (counter: number) => Uint8Array,
  pool?: PresignSource,
): StepFlow<Signed> {
  let key: Es256Key | undefined;
  // After a miss (an oracle no longer holds the presignature) this request signs online.
  let presigned = pool !== undefined;
  return {
    targets: 'set',
    prepare() {
      key = keyOf();
      if (!key) throw noEs256Key(engine.state);
      checkZeroSharing(key);
    },
    async attempt(picked, a) {
      const ready = presigned ? pool!.take(key!, a.failed) : undefined;
      if (!ready) return attempt(engine, key!, kind, build, picked, a);
      const r = await attemptPresigned(engine, key!, kind, build, ready, a);
      if (r === MISS) {
        presigned = false;
        pool!.missed();
        return RETRY;
      }
      if (r !== RETRY) pool!.hit();
      return r;
    },
  };
}

/** Where an ES256 flow finds ready presignatures (agent/ecdsa-presign.ts). */
export interface PresignSource {
  /** A ready presignature of `key` whose signing set has no oracle in `failed`, taken out of the pool. */
  take(key: Es256Key, failed: ReadonlyMap<number, unknown>): ReadyPresign | undefined;
  hit(): void;
  missed(): void;
}

/** A presignature ready on the agent and (as far as it knows) on the oracles of its set. */
export interface ReadyPresign {
  /** The es256-presign step that made it (its digest is the session id; abort evidence names it). */
  readonly signed: SignedStep;
  readonly digest: Uint8Array;
  readonly oracles: readonly number[];
  readonly presignature: Presignature;
}

/** A DKLs23 session opened by a certified step: its round-1 answers, ready for rounds 2-3. */
export interface OpenedSession {
  readonly signed: SignedStep;
  readonly session: AgentEcdsaSession;
  readonly round1: Map<number, Envelope__Output[]>;
}

/**
 * Makes the step (kind `kind`, over `message`, or a presign step when `message` is undefined)
 * naming the sorted `picked` oracles, sends and certifies it, and runs our round 1 meanwhile.
 * RETRY when an oracle did not answer with its round-1 messages.
 */
export async function openSession(
  engine: StepEngine,
  key: Es256Key,
  kind: 'es256' | 'jwt-es256' | 'es256-presign',
  message: Uint8Array | undefined,
  picked: readonly OracleClient[],
  a: Attempts,
): Promise<OpenedSession | typeof RETRY> {
  const chosen = [...picked].sort((x, y) => x.nodeId - y.nodeId);
  const oracles = chosen.map((c) => c.nodeId);
  const step =
    kind === 'es256-presign'
      ? await engine.stepAheadAsync(kind, presignPayloadDigest(oracles), {
          ecdsa: { message: new Uint8Array(0), oracles },
        })
      : await engine.stepAheadAsync(kind, ecdsaPayloadDigest(kind, message!, oracles), {
          ecdsa: { message: message!, oracles },
        });
  const { signed } = step;
  const session = new AgentEcdsaSession(
    engine.state.identityId,
    engine.nodeKeys,
    key,
    oracles,
    stepDigest(signed.step),
    message,
  );
  const sending = engine.send(chosen, step, a.patient);
  // Our round 1 while the oracles make theirs.
  await new Promise((r) => setImmediate(r));
  session.start();
  const answered = await engine.settle(chosen, await sending, a);
  // Every chosen oracle answered with its round-1 messages (checked by the session, which
  // counts an oracle with a damaged answer as failed: nothing was computed on it yet).
  const round1 = new Map<number, Envelope__Output[]>();
  for (const [id, res] of answered) round1.set(id, res.envelopes);
  if (round1.size < oracles.length) return RETRY;
  return { signed, session, round1 };
}

/**
 * One ES256 signature: an es256 / jwt-es256 step naming the message and t oracles, certified
 * like any step; the chosen oracles answer it with their DKLs23 round-1 messages, and rounds
 * 2-3 run through EcdsaRound. An oracle that answers the step without a well-formed session,
 * or fails a round, is replaced by a fresh step (no check failed, nothing to hide). An aborted
 * session is reported and revokes the identity: it is never retried.
 */
async function attempt(
  engine: StepEngine,
  key: Es256Key,
  kind: 'es256' | 'jwt-es256',
  build: (counter: number) => Uint8Array,
  picked: readonly OracleClient[],
  a: Attempts,
): Promise<Signed | typeof RETRY> {
  const message = build(engine.counter + 1);
  const opened = await openSession(engine, key, kind, message, picked, a);
  if (opened === RETRY) return RETRY;
  const { session, round1, signed } = opened;
  try {
    const signature = await session.run(round1, (o, r, envelopes) =>
      round(engine, o, session.session, r, envelopes),
    );
    return { message, signature };
  } catch (e) {
    return await roundFailure(engine, e, a, signed, {
      messageDigest: sha256(message),
      oracles: session.oracles,
    });
  }
}

/**
 * A session's failure: an oracle that failed a round counts as failed (RETRY: a fresh step is
 * safe); an abort is reported (it revokes) and thrown; anything else is thrown.
 */
export async function roundFailure(
  engine: StepEngine,
  e: unknown,
  a: Attempts,
  signed: SignedStep,
  facts: { messageDigest: Uint8Array; oracles: readonly number[] },
): Promise<typeof RETRY> {
  if (e instanceof EcdsaRoundFailed) {
    engine.quorum.fail(engine.quorum.client(e.oracle), e, a.failed);
    return RETRY;
  }
  const abort = abortOf(e);
  if (abort) await reportAbort(engine, signed, facts, abort, asMpcidError(e)!);
  throw e;
}

/** An oracle of the set no longer holds the presignature: the step committed, sign online. */
const MISS: unique symbol = Symbol('presign-miss');

/**
 * One ES256 signature with a presignature (docs/ecdsa.md §4): one es256 / jwt-es256 step naming
 * the message, the presignature's signing set and its digest; each oracle answers it with its
 * share (R, u_i, w_i) sealed to us, and we combine with our own. An oracle that no longer holds
 * the presignature answers PRESIGN_UNAVAILABLE (typed refusal): the step still committed, and
 * this request signs in a fresh online step (MISS). The presignature is used here once, whatever
 * happens: it is out of the pool and `finish` wipes it.
 */
async function attemptPresigned(
  engine: StepEngine,
  key: Es256Key,
  kind: 'es256' | 'jwt-es256',
  build: (counter: number) => Uint8Array,
  ready: ReadyPresign,
  a: Attempts,
): Promise<Signed | typeof RETRY | typeof MISS> {
  const { oracles, digest } = ready;
  const chosen = oracles.map((o) => engine.quorum.client(o));
  const message = build(engine.counter + 1);
  let mine: Uint8Array;
  let answers: Map<number, Answer>;
  try {
    const step = await engine.stepAheadAsync(kind, ecdsaPayloadDigest(kind, message, oracles, digest), {
      ecdsa: { message, oracles: [...oracles], presign: digest },
    });
    const sending = engine.send(chosen, step, a.patient);
    mine = ready.presignature.finish(sha256(message));
    answers = await sending;
  } finally {
    ready.presignature.wipe();
  }
  const missed = [...answers.values()].some(
    (x) => x.ok && x.res.policyRefusal?.code === 'PRESIGN_UNAVAILABLE',
  );
  let answered: Map<number, StepResponse__Output>;
  try {
    answered = await engine.settle(chosen, answers, a);
  } catch (e) {
    // The miss is a typed refusal (settle throws it as a POLICY_VIOLATION once certified).
    if (missed && codeOf(e) === 'POLICY_VIOLATION') return MISS;
    throw e;
  }
  if (answered.size < oracles.length) return RETRY;
  try {
    const shares = new Map<number, Uint8Array>([[AGENT_PARTY, mine]]);
    for (const [o, res] of answered) {
      const env = routeEnvelopes(o, 3, [AGENT_PARTY], res.envelopes).get(AGENT_PARTY)!;
      shares.set(o, openFromOracle(key, digest, o, 3, env));
    }
    const { signature } = combineSignature({
      curve: 'P-256',
      messageHash: sha256(message),
      publicKey: key.publicKey,
      shares,
      sessionId: digest,
      presign: true,
    });
    return { message, signature };
  } catch (e) {
    // An abort here is about the presigning session: its evidence is the es256-presign step.
    return await roundFailure(engine, e, a, ready.signed, { messageDigest: PRESIGN_MESSAGE_DIGEST, oracles });
  }
}

/** Opens oracle `from`'s message of `round` in `session` to us (EcdsaRoundFailed if it does not open). */
function openFromOracle(
  key: Es256Key,
  session: Uint8Array,
  from: number,
  round: number,
  e: Envelope__Output,
): Uint8Array {
  try {
    return openEnvelope(key.channels.get(from)!, 'sign', session, round, from, AGENT_PARTY, e.sealed);
  } catch {
    throw damaged(from, round, 'to the agent do not open');
  }
}

/**
 * Rounds 2-3 of a session on one oracle; a revocation backed by evidence stops the agent. In a
 * presigning session (`presign`), round 3 must answer `presigned` with no message.
 */
export async function round(
  engine: StepEngine,
  oracle: number,
  session: Uint8Array,
  r: 2 | 3,
  envelopes: Envelope[],
  presign = false,
): Promise<Envelope__Output[]> {
  const c = engine.quorum.client(oracle);
  let res: EcdsaRoundResponse__Output;
  try {
    res = await engine.quorum.call(
      c.signer,
      c.signer.EcdsaRound,
      { identityId: engine.state.identityId, session: Buffer.from(session), round: r, envelopes },
      false,
    );
  } catch (e) {
    throw engine.refusal(fromServiceError(e, `oracle ${oracle}`), oracle);
  }
  if (presign && r === 3 && (!res.presigned || res.envelopes.length > 0))
    throw damaged(oracle, 3, 'are not a presigned answer');
  return res.envelopes;
}

// ---------------------------------------------------------------------------------------------
// The session (party 0) and the relay

/**
 * Largest sealed DKLs23 message the agent accepts or relays. On P-256 a round-1 message is about
 * 33 KB and a round-2 message about 54 KB (the OT-extension and VOLE payloads), so an EcdsaRound
 * request carries t of them: within the 1 MiB transport limit up to t = 18 (ES256_MAX_T; the
 * config refuses larger quorums).
 */
const MAX_SEALED = 128 * 1024;

/** An oracle failed a round of a session without any check failing: a fresh session is safe. */
export class EcdsaRoundFailed extends MpcidError {
  constructor(
    readonly oracle: number,
    cause: MpcidError,
  ) {
    super(cause.code, cause.message, { cause, metadata: cause.metadata });
  }
}

/**
 * Oracle `o`'s answer did not arrive intact (not routed as required, a relayed message without
 * its signature, a message to us that does not open). Answers travel unauthenticated, so the
 * network may have done this as well as the oracle: the oracle counts as failed, and nothing in
 * it was used, so no check outcome is revealed by starting a fresh session.
 */
function damaged(o: number, round: number, what: string): EcdsaRoundFailed {
  return new EcdsaRoundFailed(
    o,
    new MpcidError('BAD_SIGNATURE_SHARE', `oracle ${o}: its round-${round} ES256 messages ${what}`),
  );
}

/**
 * Checks that `envelopes`, sent by oracle `from` in `round`, hold exactly one sealed message for
 * each of `to`; returns them by recipient. Throws EcdsaRoundFailed (see `damaged`).
 */
export function routeEnvelopes(
  from: number,
  round: number,
  to: readonly number[],
  envelopes: readonly Envelope__Output[],
): Map<number, Envelope__Output> {
  const out = new Map<number, Envelope__Output>();
  for (const e of envelopes) {
    if (
      e.from !== from ||
      e.round !== round ||
      !to.includes(e.to) ||
      out.has(e.to) ||
      e.sealed.length === 0 ||
      e.sealed.length > MAX_SEALED
    )
      throw damaged(from, round, 'are not routed as required');
    out.set(e.to, e);
  }
  if (out.size !== to.length) throw damaged(from, round, 'are missing');
  return out;
}

/** Sends one round to one oracle; resolves with its envelopes, rejects with an MpcidError. */
export type RoundCall = (oracle: number, round: 2 | 3, envelopes: Envelope[]) => Promise<Envelope__Output[]>;

/**
 * The agent's side (party 0) of one DKLs23 session (DKLs23 Protocol 3.6 with the oracles of the
 * step's signing set), and the relay of the oracles' sealed messages to each other.
 */
export class AgentEcdsaSession {
  readonly session: Uint8Array;
  readonly oracles: readonly number[];
  readonly messageHash: Uint8Array;
  readonly #key: Es256Key;
  readonly #signer: EcdsaSigner;
  readonly #parties: number[];
  readonly #identityId: string;
  readonly #nodeKeys: ReadonlyMap<number, Uint8Array>;
  #own1: Map<number, Uint8Array> | undefined;

  /**
   * `session` is the digest of the es256 step of identity `identityId`; `oracles` its signing set
   * (ascending); `nodeKeys` the cluster's node keys (they sign oracle-to-oracle messages).
   * Without `message`, a presigning session (an es256-presign step): `presign` instead of `run`.
   */
  constructor(
    identityId: string,
    nodeKeys: ReadonlyMap<number, Uint8Array>,
    key: Es256Key,
    oracles: readonly number[],
    session: Uint8Array,
    message: Uint8Array | undefined,
  ) {
    this.#identityId = identityId;
    this.#nodeKeys = nodeKeys;
    this.#key = key;
    this.session = session;
    this.oracles = oracles;
    this.messageHash = message ? sha256(message) : PRESIGN_MESSAGE_DIGEST;
    this.#parties = [AGENT_PARTY, ...oracles];
    const set = signingSetOf(key, oracles);
    this.#signer = new EcdsaSigner({
      curve: 'P-256',
      self: AGENT_PARTY,
      parties: this.#parties,
      sessionId: session,
      ...(message ? { messageHash: this.messageHash } : { presign: true }),
      additiveShare: set.additiveShare,
      publicShares: set.publicShares,
      publicKey: key.publicKey,
      pairs: new Map(oracles.map((o) => [o, key.pairs.get(o)!])),
    });
  }

  /** Our round-1 messages (DKLs23 Protocol 3.6 steps 4-6), made while the oracles answer the step. */
  start(): void {
    this.#own1 = this.#signer.round1();
  }

  /** An oracle's message as we relay it: unchanged (tests override it to relay an altered one). */
  protected relay(e: Envelope__Output): Envelope__Output {
    return e;
  }

  /**
   * Seals our message of `round` to oracle `to`, bound to the messages relayed beside it (tests
   * override it to send a corrupted message).
   */
  protected seal(round: number, to: number, msg: Uint8Array, bound: Uint8Array): Envelope {
    const sealed = sealEnvelope(
      this.#key.channels.get(to)!,
      'sign',
      this.session,
      round,
      AGENT_PARTY,
      to,
      msg,
      bound,
    );
    return envelopeToWire(AGENT_PARTY, to, round, sealed);
  }

  /** Opens oracle `from`'s message of `round` to us (EcdsaRoundFailed if it does not open). */
  #openFrom(from: number, round: number, e: Envelope__Output): Uint8Array {
    return openFromOracle(this.#key, this.session, from, round, e);
  }

  /** Opens the messages of `round` addressed to us. */
  #open(round: number, routed: ReadonlyMap<number, ReadonlyMap<number, Envelope__Output>>) {
    const out = new Map<number, Uint8Array>();
    for (const [from, m] of routed) out.set(from, this.#openFrom(from, round, m.get(AGENT_PARTY)!));
    return out;
  }

  /**
   * For each oracle: our message of `round` and every other oracle's message of that round
   * addressed to it; they travel in the EcdsaRound request of round + 1.
   */
  #requests(
    round: number,
    own: ReadonlyMap<number, Uint8Array>,
    routed: ReadonlyMap<number, ReadonlyMap<number, Envelope__Output>>,
  ): Map<number, Envelope[]> {
    const out = new Map<number, Envelope[]>();
    for (const o of this.oracles) {
      const relayed = [...routed].filter(([from]) => from !== o).map(([, m]) => this.relay(m.get(o)!));
      out.set(o, [this.seal(round, o, own.get(o)!, relayBinding(relayed)), ...relayed]);
    }
    return out;
  }

  /**
   * Sends one round to every oracle while `work` (our own computation of that round) runs, and
   * checks the answers. Precedence: a revocation (the call rejects with it, its evidence checked)
   * stops everything; then our own abort; then a failed oracle (EcdsaRoundFailed). An oracle's
   * error is never taken for an abort by itself: an oracle whose check fails revokes the identity
   * and answers with the evidence; a bare error may come from the network.
   */
  async #exchange<T>(
    round: 2 | 3,
    requests: ReadonlyMap<number, Envelope[]>,
    call: RoundCall,
    work: () => T,
  ): Promise<{ mine: T; answers: Map<number, Envelope__Output[]> }> {
    const pending = this.oracles.map((o) => call(o, round, requests.get(o)!));
    // Let the requests go out before our own (synchronous) computation of the round.
    await new Promise((r) => setImmediate(r));
    let mine: T | undefined;
    let own: unknown;
    try {
      mine = work();
    } catch (e) {
      own = e;
    }
    const settled = await Promise.allSettled(pending);
    const errors = settled.flatMap((r, i) =>
      r.status === 'rejected' ? [{ oracle: this.oracles[i]!, err: r.reason as unknown }] : [],
    );
    const revoked = errors.find(
      (x) => codeOf(x.err) === 'IDENTITY_REVOKED' || codeOf(x.err) === 'FORK_DETECTED',
    );
    if (revoked) throw revoked.err;
    if (own !== undefined) throw own;
    const failed = errors[0];
    if (failed) {
      const err = asMpcidError(failed.err) ?? new MpcidError('INTERNAL', String(failed.err));
      throw new EcdsaRoundFailed(failed.oracle, err);
    }
    const answers = new Map<number, Envelope__Output[]>();
    settled.forEach((r, i) => {
      answers.set(this.oracles[i]!, (r as PromiseFulfilledResult<Envelope__Output[]>).value);
    });
    return { mine: mine as T, answers };
  }

  /**
   * Oracle `o`'s messages of `round`, by recipient: exactly one for every other party, those for
   * other oracles signed by `o` (checked before we relay them). Throws EcdsaRoundFailed.
   */
  check(o: number, round: number, envelopes: readonly Envelope__Output[]): Map<number, Envelope__Output> {
    const routed = routeEnvelopes(
      o,
      round,
      this.#parties.filter((p) => p !== o),
      envelopes,
    );
    for (const [to, e] of routed) {
      if (to === AGENT_PARTY) continue;
      try {
        checkRelayed(this.#nodeKeys, this.#identityId, this.session, e, o, 'signature');
      } catch {
        throw damaged(o, round, `to oracle ${to} do not carry its signature`);
      }
    }
    return routed;
  }

  #route(round: number, answers: ReadonlyMap<number, readonly Envelope__Output[]>) {
    const routed = new Map<number, Map<number, Envelope__Output>>();
    for (const [o, envs] of answers) routed.set(o, this.check(o, round, envs));
    return routed;
  }

  /**
   * Runs rounds 2 and 3 and combines. `round1` holds each chosen oracle's round-1 messages (from
   * its answer to the step). Returns the signature r || s (low-S), verified against the key.
   */
  async run(round1: ReadonlyMap<number, readonly Envelope__Output[]>, call: RoundCall): Promise<Uint8Array> {
    const r3 = await this.#rounds(round1, call, (in2) => this.#signer.round3(in2));
    const shares = new Map<number, Uint8Array>([[AGENT_PARTY, r3.mine]]);
    for (const [o, envs] of r3.answers)
      shares.set(o, this.#openFrom(o, 3, routeEnvelopes(o, 3, [AGENT_PARTY], envs).get(AGENT_PARTY)!));
    return combineSignature({
      curve: 'P-256',
      messageHash: this.messageHash,
      publicKey: this.#key.publicKey,
      shares,
      sessionId: this.session,
    }).signature;
  }

  /**
   * A presigning session's rounds 2 and 3 (every check of round 3 runs on every party): our
   * presignature, once every oracle answered round 3 `presigned` (RoundCall checks that).
   */
  async presign(
    round1: ReadonlyMap<number, readonly Envelope__Output[]>,
    call: RoundCall,
  ): Promise<Presignature> {
    return (await this.#rounds(round1, call, (in2) => this.#signer.presign3(in2))).mine;
  }

  /** Rounds 2 and 3, `finish` being our own round 3. */
  async #rounds<T>(
    round1: ReadonlyMap<number, readonly Envelope__Output[]>,
    call: RoundCall,
    finish: (in2: Map<number, Uint8Array>) => T,
  ): Promise<{ mine: T; answers: Map<number, Envelope__Output[]> }> {
    if (!this.#own1) throw new MpcidError('INTERNAL', 'AgentEcdsaSession.run before start');
    const routed1 = this.#route(1, round1);
    const in1 = this.#open(1, routed1);
    const r2 = await this.#exchange(2, this.#requests(1, this.#own1, routed1), call, () =>
      this.#signer.round2(in1),
    );
    const routed2 = this.#route(2, r2.answers);
    const in2 = this.#open(2, routed2);
    return await this.#exchange(3, this.#requests(2, r2.mine, routed2), call, () => finish(in2));
  }
}
