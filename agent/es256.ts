/**
 * The agent's side of ES256 (docs/protocol.md §4.2 and §6.2).
 *
 * Setup: right after enrollment, the agent runs its w P-256 DKG participants and, as DKLs23
 * party 0, the pairwise OT setup with every oracle, and relays the oracles' sealed messages to
 * each other. All n oracles must confirm the same key and round-1 transcript.
 *
 * Signing: an es256 / jwt-es256 ratchet step opens a DKLs23 session (session id = the step's
 * digest) on each of the t chosen oracles, which answer the step with their round-1 messages
 * (agent/cosigner.ts makes and certifies the step). `AgentEcdsaSession` then runs the agent's side
 * (party 0) and relays: round 2 and round 3 go to every chosen oracle (EcdsaRound) with the
 * messages addressed to it, ours and the other oracles' (sealed under pair channel keys the agent
 * does not hold); round 3 answers carry each oracle's share, and combineSignature verifies.
 *
 * Failures:
 *   - ECDSA_ABORT: a DKLs23 check failed on authenticated content (a message that opened under
 *     the pair's channel key, so it is its sender's), on our side or, without a culprit, in
 *     combining: the session is reported (an abort claim signed with the session key) and the
 *     identity is revoked; it is never retried (CVE-2023-33242 class). The claim is written to
 *     disk first, so a restart does not sign again either.
 *   - `EcdsaRoundFailed`: an oracle failed a round (unreachable, deadline, ECDSA_SESSION_LOST
 *     after a restart, RATE_LIMITED past its retries, SESSION_AUTH_FAILED) or its answer was
 *     damaged (not routed as required, a relayed message without its sender's signature, a
 *     message to us that does not open: the network can do that too). Nothing of the answer was
 *     used, no check of ours failed, and an oracle revokes on any check of its own that fails,
 *     so no abort outcome was revealed: the step is already certified, and a fresh step (a fresh
 *     session) with another signing set is safe.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterNodeKeys } from '../common/config.js';
import {
  checkRelayed,
  ECDSA_SETUP_RPC_ROUNDS,
  ecdsaSetupContext,
  envelopeToWire,
  relayBinding,
  SETUP_ID_LEN,
} from '../common/ecdsa-wire.js';
import { asMpcidError, codeOf, MpcidError } from '../common/errors.js';
import { writeFileDurable } from '../common/fsutil.js';
import { call } from '../common/grpc.js';
import { beginFields, enrolledFields, round1ToWire, type StepJSON } from '../common/protocol.js';
import { agentParticipants } from '../crypto/access.js';
import { equalBytes } from '../crypto/bytes.js';
import { combineSignature, EcdsaSigner, PairSetup, type PairState } from '../crypto/ecdsa/index.js';
import { AGENT_PARTY, SigningSets } from '../crypto/es256.js';
import { DkgParticipant, type GroupPublic, type KeyShare, P256, round1Digest } from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import { p256Thumbprint } from '../crypto/p256.js';
import { channelKey, generateBoxKey, openEnvelope, sealEnvelope } from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import { DOMAINS, signStatement, verifyStatement } from '../crypto/statement.js';
import type { EcdsaSetupRequest } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupRequest.js';
import type { EcdsaSetupResponse__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupResponse.js';
import type { Envelope, Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import { agentRound2, checkOracleRound1, routeOracleShares } from './dkg.js';
import type { OracleClient } from './oracles.js';
import type { AgentState } from './state.js';

/** The agent's ES256 key material: w P-256 shares, and per oracle its pair state and channel key. */
export interface Es256Key {
  readonly group: GroupPublic;
  readonly publicKey: Uint8Array;
  readonly kid: string;
  readonly shares: readonly KeyShare[];
  readonly pairs: ReadonlyMap<number, PairState>;
  readonly channels: ReadonlyMap<number, Secret>;
}

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

/** Runs ES256 setup with all n oracles (each must answer every round). */
export async function setupEs256(
  state: AgentState,
  clients: readonly OracleClient[],
  deadlineMs: number,
): Promise<Es256Key> {
  const as = state.group.as;
  const { n } = as;
  const identityId = state.identityId;
  const setupId = new Uint8Array(randomBytes(SETUP_ID_LEN));
  const context = ecdsaSetupContext(identityId, setupId, state.sessionPublicKey);
  const box = generateBoxKey();
  const mine = agentParticipants(as).map((p) => new DkgParticipant(as, p, P256));
  const agentRound1 = mine.map((d) => d.round1);
  const nodeKeys = clusterNodeKeys(state.cluster);
  const rpc = (c: OracleClient, req: Omit<EcdsaSetupRequest, 'identityId' | 'setupId'>) =>
    call(
      c.enrollment,
      c.enrollment.EcdsaSetup,
      { identityId, setupId: Buffer.from(setupId), ...req },
      deadlineMs,
    );
  const onAll = async (f: (c: OracleClient) => Promise<EcdsaSetupResponse__Output>) => {
    const res = await Promise.all(clients.map(f));
    return new Map(res.map((r, i) => [clients[i]!.nodeId, r]));
  };
  const pairsOut = new Map<number, PairState>();
  try {
    // Round 1: begin; collect each oracle's node-signed P-256 round-1.
    const sessionSignature = signStatement(
      state.sessionKey,
      DOMAINS.ecdsaSetup,
      ...beginFields(context, box.publicKey, agentRound1),
    );
    const begun = await onAll((c) =>
      rpc(c, {
        round: 1,
        agentBoxPublicKey: Buffer.from(box.publicKey),
        agentRound1: agentRound1.map(round1ToWire),
        sessionSignature: Buffer.from(sessionSignature),
      }),
    );
    const { oracleRound1, oracleBox, pkgs } = checkOracleRound1(
      as,
      clients.map((c) => [c.nodeId, begun.get(c.nodeId)!.round1] as const),
      nodeKeys,
      context,
      'ES256 round-1',
      P256,
    );
    const all = [...pkgs, ...agentRound1];
    const channels = new Map<number, Secret>();
    const pairSetups = new Map<number, PairSetup>();
    for (const [o, pub] of oracleBox) {
      channels.set(o, channelKey(box.secretKey, pub, context, AGENT_PARTY, o));
      pairSetups.set(o, new PairSetup({ curve: 'P-256', self: AGENT_PARTY, peer: o, sessionId: context }));
    }

    // Round 2: our DKG shares (sealed to each oracle); oracles answer with theirs and OT round 1.
    const { local, toOracle } = agentRound2(mine, all, n, box, oracleBox, context);
    const exchanged = await onAll((c) =>
      rpc(c, { round: 2, oracleRound1, shares: toOracle.get(c.nodeId) ?? [] }),
    );
    const forOracle = routeOracleShares(
      [...exchanged].map(([from, res]) => [from, res.shares] as const),
      n,
      box,
      oracleBox,
      context,
      local,
    );
    // OT setup: in RPC round k >= 3 each oracle gets every setup message of round k - 2
    // addressed to it (ours and the other oracles'), and answers with its round k - 1 messages.
    let inbox = collect(exchanged, 1);
    let ours = ownMessages(pairSetups, channels, context, 1, new Map());
    let finished: Map<number, EcdsaSetupResponse__Output> | undefined;
    for (let k = 3; k <= ECDSA_SETUP_RPC_ROUNDS; k++) {
      const setupRound = k - 2;
      const res = await onAll((c) =>
        rpc(c, {
          round: k,
          shares: k === 3 ? (forOracle.get(c.nodeId) ?? []) : [],
          envelopes: [
            ...ours.filter((e) => e.to === c.nodeId),
            ...inbox.filter((e) => e.to === c.nodeId && e.from !== AGENT_PARTY),
          ],
        }),
      );
      const toUs = openForAgent(inbox, channels, context, setupRound);
      if (k < ECDSA_SETUP_RPC_ROUNDS) {
        ours = ownMessages(pairSetups, channels, context, setupRound + 1, toUs);
        inbox = collect(res, setupRound + 1);
      } else {
        finished = res;
        for (const [o, ps] of pairSetups) pairsOut.set(o, ps.finish(toUs.get(o)!));
      }
    }
    // Our own DKG participants finish; every oracle must confirm the same key and transcript.
    const results = mine.map((d) => d.finish(all, local.get(d.round1.participant) ?? new Map()));
    const group = results[0]!.group;
    if (!results.every((r) => equalBytes(r.group.groupPublicKey, group.groupPublicKey)))
      throw new MpcidError('DKG_FAILED', 'agent participants derived different P-256 keys');
    const digest = round1Digest(context, all);
    for (const c of clients) {
      const e = finished!.get(c.nodeId)!.enrolled;
      if (
        !e ||
        e.nodeId !== c.nodeId ||
        e.identityId !== identityId ||
        !equalBytes(new Uint8Array(e.publicKey), group.groupPublicKey) ||
        !equalBytes(new Uint8Array(e.round1Digest), digest)
      )
        throw new MpcidError(
          'DKG_FAILED',
          `oracle ${c.nodeId} confirmed a different ES256 key or transcript`,
        );
      verifyStatement(
        nodeKeys.get(c.nodeId)!,
        new Uint8Array(e.signature),
        `ES256 confirmation of oracle ${c.nodeId}`,
        DOMAINS.ecdsaEnrolled,
        enrolledFields(context, c.nodeId, identityId, group.groupPublicKey, digest),
        'DKG_FAILED',
      );
    }
    return {
      group,
      publicKey: group.groupPublicKey,
      kid: p256Thumbprint(group.groupPublicKey),
      shares: results.map((r) => r.share),
      pairs: pairsOut,
      channels,
    };
  } finally {
    for (const d of mine) d.abandon();
    box.secretKey.wipe();
  }
}

function collect(res: Map<number, EcdsaSetupResponse__Output>, round: number): Envelope[] {
  const out: Envelope[] = [];
  for (const [from, r] of res) {
    for (const e of r.envelopes) {
      if (e.from !== from || e.round !== round)
        throw new MpcidError(
          'DKG_FAILED',
          `oracle ${from} sent an OT setup message as ${e.from} for round ${e.round}`,
        );
      out.push({ from: e.from, to: e.to, round: e.round, sealed: e.sealed });
    }
  }
  return out;
}

function ownMessages(
  pairSetups: Map<number, PairSetup>,
  channels: Map<number, Secret>,
  context: Uint8Array,
  round: number,
  incoming: Map<number, Uint8Array>,
): Envelope[] {
  return [...pairSetups].map(([o, ps]) =>
    envelopeToWire(
      AGENT_PARTY,
      o,
      round,
      sealEnvelope(
        channels.get(o)!,
        'setup',
        context,
        round,
        AGENT_PARTY,
        o,
        ps.next(round === 1 ? undefined : incoming.get(o)!),
      ),
    ),
  );
}

function openForAgent(inbox: Envelope[], channels: Map<number, Secret>, context: Uint8Array, round: number) {
  const out = new Map<number, Uint8Array>();
  for (const e of inbox) {
    if (e.to !== AGENT_PARTY) continue;
    out.set(
      e.from!,
      openEnvelope(
        channels.get(e.from!)!,
        'setup',
        context,
        round,
        e.from!,
        AGENT_PARTY,
        new Uint8Array(e.sealed as Uint8Array),
      ),
    );
  }
  if (out.size !== channels.size)
    throw new MpcidError('DKG_FAILED', `missing OT setup messages for round ${round}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Signing (docs/protocol.md §6.2)

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
   */
  constructor(
    identityId: string,
    nodeKeys: ReadonlyMap<number, Uint8Array>,
    key: Es256Key,
    oracles: readonly number[],
    session: Uint8Array,
    message: Uint8Array,
  ) {
    this.#identityId = identityId;
    this.#nodeKeys = nodeKeys;
    this.#key = key;
    this.session = session;
    this.oracles = oracles;
    this.messageHash = sha256(message);
    this.#parties = [AGENT_PARTY, ...oracles];
    const set = signingSetOf(key, oracles);
    this.#signer = new EcdsaSigner({
      curve: 'P-256',
      self: AGENT_PARTY,
      parties: this.#parties,
      sessionId: session,
      messageHash: this.messageHash,
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
    try {
      return openEnvelope(
        this.#key.channels.get(from)!,
        'sign',
        this.session,
        round,
        from,
        AGENT_PARTY,
        e.sealed,
      );
    } catch {
      throw damaged(from, round, 'to the agent do not open');
    }
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
    if (!this.#own1) throw new MpcidError('INTERNAL', 'AgentEcdsaSession.run before start');
    const routed1 = this.#route(1, round1);
    const in1 = this.#open(1, routed1);
    const r2 = await this.#exchange(2, this.#requests(1, this.#own1, routed1), call, () =>
      this.#signer.round2(in1),
    );
    const routed2 = this.#route(2, r2.answers);
    const in2 = this.#open(2, routed2);
    const r3 = await this.#exchange(3, this.#requests(2, r2.mine, routed2), call, () =>
      this.#signer.round3(in2),
    );
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
}

// ---------------------------------------------------------------------------------------------
// Abort claims

export const ABORT_FILE = 'ecdsa-abort.json';

/** An aborted session's claim, as the agent reports it and keeps it on disk. */
export interface AbortRecord {
  identityId: string;
  step: StepJSON;
  culprit: number;
  check: string;
  /** Session-key signature over abortFields(identity, session, 0, culprit, check), base64url. */
  signature: string;
  /** The session's public facts for the evidence: SHA-256 of the message (base64url), oracles. */
  messageDigest: string;
  oracles: number[];
}

/** Writes the claim (fsync) before it is reported: after a restart the agent still refuses to sign. */
export function writeAbort(dir: string, rec: AbortRecord): void {
  writeFileDurable(join(dir, ABORT_FILE), `${JSON.stringify(rec)}\n`, 0o600);
}

/**
 * The stored claim, if a session of this identity aborted. A file that cannot be read as one
 * still means an abort happened: it is returned as undefined only when absent.
 */
export function readAbort(dir: string): AbortRecord | 'unreadable' | undefined {
  const file = join(dir, ABORT_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as AbortRecord;
    if (
      typeof r.identityId !== 'string' ||
      typeof r.culprit !== 'number' ||
      typeof r.check !== 'string' ||
      typeof r.messageDigest !== 'string' ||
      !Array.isArray(r.oracles)
    )
      return 'unreadable';
    return r;
  } catch {
    return 'unreadable';
  }
}
