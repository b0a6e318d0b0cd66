/**
 * The oracle's side of ES256 (docs/protocol.md §4.2 and §6.2): threshold ECDSA (DKLs23) between
 * the agent (party 0) and t oracles (party = node id), on the identity's P-256 key.
 *
 *   EcdsaSetup   after enrollment: a DKG on P-256 over the same access structure, then DKLs23's
 *                pairwise OT setup with every other party; stored with the identity (sync write).
 *   Step         an es256 / jwt-es256 ratchet step opens a session (session id = step digest)
 *                and returns this oracle's round-1 messages (see signer.ts).
 *   EcdsaRound   rounds 2 and 3 of the session; round 3 returns this oracle's share to the agent.
 *
 * Every message between two parties travels sealed under their channel key (crypto/seal.ts), so
 * the agent, which relays oracle-to-oracle messages, can neither read nor alter them. A message
 * that fails any DKLs23 check aborts the session and revokes the identity, with a signed claim
 * naming the culprit as evidence; a session is never resumed or retried (CVE-2023-33242 class).
 * Sessions live only in memory: a restart loses them (ECDSA_SESSION_LOST), never reuses them.
 * At most `limits.maxEcdsaSessions` are in progress at once (beyond: RATE_LIMITED), and at most
 * `limits.ecdsaSessionsPerIdentity` per identity: a new session beyond that ends the identity's
 * oldest, so identities that never finish their sessions cannot fill the table for the others.
 */
import { clusterNodeKeys } from '../common/config.js';
import {
  abortOf,
  checkRelayed,
  ECDSA_SETUP_RPC_ROUNDS,
  ecdsaSetupContext,
  envelopeToWire,
  relayBinding,
  relayedFields,
  SETUP_ID_LEN,
} from '../common/ecdsa-wire.js';
import { codeOf, ensure, MpcidError } from '../common/errors.js';
import { LOG } from '../common/log.js';
import {
  agentRound1FromWire,
  beginFields,
  enrolledFields,
  relayedOracleRound1,
  signedOracleRound1,
} from '../common/protocol.js';
import { agentParticipants } from '../crypto/access.js';
import { abytes, equalBytes, fromB64u, toB64u, toHex } from '../crypto/bytes.js';
import { EcdsaSigner, PairSetup, PairState } from '../crypto/ecdsa/index.js';
import { AGENT_PARTY, NO_CULPRIT, SigningSets } from '../crypto/es256.js';
import {
  checkGroupPublic,
  checkKeyShare,
  DkgParticipant,
  type GroupPublic,
  P256,
  type Round1Package,
  round1Digest,
} from '../crypto/frost.js';
import { decodeP256Point, p256Thumbprint } from '../crypto/p256.js';
import { abortFields, type SignedStep, stepDigest } from '../crypto/ratchet.js';
import {
  BOX_KEY_LEN,
  type BoxKeyPair,
  channelKey,
  generateBoxKey,
  openEnvelope,
  openShares,
  sealEnvelope,
  sealShares,
} from '../crypto/seal.js';
import { Secret } from '../crypto/secret.js';
import { DOMAINS, signStatement, verifyStatement } from '../crypto/statement.js';
import type { EcdsaRoundRequest__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundRequest.js';
import type { EcdsaRoundResponse } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundResponse.js';
import type { EcdsaSetupRequest__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupRequest.js';
import type { EcdsaSetupResponse } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupResponse.js';
import type { Envelope, Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import { finishPairs, setupEnvelopes } from './pair-setup.js';
import type { RevocationService } from './revocation.js';
import type { EcdsaRecord, EcdsaSecrets, EnvelopeJSON } from './store.js';

const SESSION_TTL_MS = 30_000;

/** The identity's decoded ES256 material on this oracle. */
export interface LoadedEcdsa {
  readonly group: GroupPublic;
  readonly publicKey: Uint8Array;
  readonly kid: string;
  readonly share: Secret;
  readonly pairs: ReadonlyMap<number, PairState>;
  readonly channels: ReadonlyMap<number, Secret>;
  /** This node's additive share and the public shares, per signing set. */
  readonly sets: SigningSets;
}

export function decodeEcdsa(
  identityId: string,
  nodeId: number,
  n: number,
  t: number,
  rec: EcdsaRecord,
  secrets: EcdsaSecrets,
  as: GroupPublic['as'],
): LoadedEcdsa {
  try {
    ensure(as.n === n && as.t === t, 'STATE_CORRUPT', 'access structure');
    const group = checkGroupPublic(
      as,
      rec.commitments.map((c, i) => fromB64u(c, `commitments[${i}]`)),
      rec.verifyingShares.map((v, i) => fromB64u(v, `verifyingShares[${i}]`)),
      P256,
    );
    const share = new Secret(fromB64u(secrets.signingShare, 'share', 32), 'ecdsa-share');
    // This node's share must be the one the group's verifying share commits to.
    checkKeyShare(group, { participant: nodeId, signingShare: share }, P256);
    return {
      group,
      publicKey: decodeP256Point(fromB64u(rec.publicKey, 'publicKey'), 'publicKey'),
      kid: rec.kid,
      share,
      sets: new SigningSets(group, [{ participant: nodeId, signingShare: share }]),
      pairs: new Map(secrets.pairs.map((p) => [p.party, PairState.fromBytes(fromB64u(p.state, 'pair'))])),
      channels: new Map(
        secrets.pairs.map((p) => [p.party, new Secret(fromB64u(p.channelKey, 'ck', 32), 'channel-key')]),
      ),
    };
  } catch {
    throw new MpcidError(
      'STATE_CORRUPT',
      `stored ES256 key of identity ${identityId} failed its integrity checks`,
    );
  }
}

interface PendingSetup {
  setupId: Uint8Array;
  beginSignature: Uint8Array;
  context: Uint8Array;
  round: number;
  agentRound1: Round1Package[];
  agentBox: Uint8Array;
  dkg: DkgParticipant;
  box: BoxKeyPair;
  responses: Map<number, EcdsaSetupResponse>;
  all?: Round1Package[];
  oracleBox?: Map<number, Uint8Array>;
  agentShares?: Map<number, Secret>;
  channels?: Map<number, Secret>;
  pairSetups?: Map<number, PairSetup>;
  key?: { group: GroupPublic; share: Secret };
  timer: NodeJS.Timeout;
}

interface Session {
  readonly identityId: string;
  readonly step: SignedStep;
  readonly session: Uint8Array;
  /** SHA-256 of the message and the signing oracles: the public facts of abort evidence. */
  readonly messageHash: Uint8Array;
  readonly oracles: readonly number[];
  readonly parties: number[];
  readonly signer: EcdsaSigner;
  round: number;
  readonly timer: NodeJS.Timeout;
}

export class EcdsaService {
  readonly #ctx: OracleContext;
  readonly #revocations: RevocationService;
  readonly #setups = new Map<string, PendingSetup>();
  readonly #sessions = new Map<string, Session>();
  /** Keys of each identity's sessions in #sessions, oldest first. */
  readonly #byIdentity = new Map<string, Set<string>>();
  readonly #loaded = new Map<string, LoadedEcdsa>();
  readonly #nodeKeys: Map<number, Uint8Array>;

  constructor(ctx: OracleContext, revocations: RevocationService) {
    this.#ctx = ctx;
    this.#revocations = revocations;
    this.#nodeKeys = clusterNodeKeys(ctx.config.cluster);
  }

  close(): void {
    for (const p of this.#setups.values()) this.#dropSetup(p, '');
    for (const s of this.#sessions.values()) clearTimeout(s.timer);
    this.#sessions.clear();
    this.#byIdentity.clear();
  }

  /** Ends session `key` (if it is still `s`, when given): never resumed. */
  #dropSession(key: string, s?: Session): void {
    const cur = this.#sessions.get(key);
    if (!cur || (s && cur !== s)) return;
    clearTimeout(cur.timer);
    this.#sessions.delete(key);
    const mine = this.#byIdentity.get(cur.identityId);
    mine?.delete(key);
    if (mine?.size === 0) this.#byIdentity.delete(cur.identityId);
  }

  /**
   * Room for a new session of `identityId` (other than `key`): ends the identity's oldest
   * sessions beyond its cap, then refuses with RATE_LIMITED if the table is still full.
   */
  #makeRoom(identityId: string, key: string): void {
    const { maxEcdsaSessions, ecdsaSessionsPerIdentity } = this.#ctx.config.limits;
    if (this.#sessions.has(key)) return;
    const mine = this.#byIdentity.get(identityId);
    while (mine && mine.size >= ecdsaSessionsPerIdentity) {
      const oldest = mine.values().next().value!;
      this.#dropSession(oldest);
      this.#ctx.log.info(
        { [LOG.identity]: identityId, [LOG.count]: ecdsaSessionsPerIdentity },
        'ES256 session ended: the identity opened more sessions than its cap (the oldest ends)',
      );
    }
    if (this.#sessions.size >= maxEcdsaSessions)
      throw new MpcidError('RATE_LIMITED', 'too many ECDSA sessions in progress on this oracle', {
        metadata: { scope: 'oracle', rpc: 'Step' },
      });
  }

  /** The identity's ES256 material; NO_ES256_KEY if its setup never finished. */
  ecdsaOf(id: LoadedIdentity): LoadedEcdsa {
    const cached = this.#loaded.get(id.record.identityId);
    if (cached) return cached;
    const { ecdsa: rec, ecdsaSecrets: secrets } = id.record;
    if (!rec) throw new MpcidError('NO_ES256_KEY', 'this identity has no ES256 key');
    if (!secrets)
      throw new MpcidError(
        'STATE_CORRUPT',
        `stored ES256 key of identity ${id.record.identityId} has no secrets`,
      );
    const { as } = id.group;
    const loaded = decodeEcdsa(id.record.identityId, this.#ctx.nodeId, as.n, as.t, rec, secrets, as);
    this.#loaded.set(id.record.identityId, loaded);
    return loaded;
  }

  #dropSetup(p: PendingSetup, identityId: string): void {
    clearTimeout(p.timer);
    p.dkg.abandon();
    p.box.secretKey.wipe();
    if (identityId) this.#setups.delete(identityId);
  }

  // ---- Setup (docs/protocol.md §4.2) ----

  async setup(req: EcdsaSetupRequest__Output): Promise<EcdsaSetupResponse> {
    const ctx = this.#ctx;
    const id = await ctx.identity(req.identityId);
    const identityId = id.record.identityId;
    if (id.record.ecdsa) throw new MpcidError('ENROLLMENT_STATE', 'this identity already has an ES256 key');
    const setupId = abytes(new Uint8Array(req.setupId), 'setup_id', SETUP_ID_LEN);
    if (req.round === 1) return this.#begin(id, setupId, req);
    const p = this.#setups.get(identityId);
    if (!p || !equalBytes(p.setupId, setupId))
      throw new MpcidError('UNKNOWN_ENROLLMENT', 'no ES256 setup in progress with this id');
    const done = p.responses.get(req.round);
    if (done) return done; // a retry of a round we answered
    if (req.round !== p.round + 1)
      throw new MpcidError('ENROLLMENT_STATE', `ES256 setup is at round ${p.round}; got round ${req.round}`);
    try {
      const res = req.round === 2 ? this.#exchange(p, req) : await this.#continue(id, p, req);
      p.round = req.round;
      p.responses.set(req.round, res);
      return res;
    } catch (e) {
      // A failed setup cannot be resumed; the agent starts again with a new setup id.
      this.#dropSetup(p, identityId);
      throw e;
    }
  }

  #begin(id: LoadedIdentity, setupId: Uint8Array, req: EcdsaSetupRequest__Output): EcdsaSetupResponse {
    const ctx = this.#ctx;
    const identityId = id.record.identityId;
    const agentBox = abytes(new Uint8Array(req.agentBoxPublicKey), 'agent_box_public_key', BOX_KEY_LEN);
    const agentRound1 = agentRound1FromWire(ctx.as, req.agentRound1, P256);
    const context = ecdsaSetupContext(identityId, setupId, id.sessionPublicKey);
    const signature = new Uint8Array(req.sessionSignature);
    verifyStatement(
      id.sessionPublicKey,
      signature,
      'session_signature',
      DOMAINS.ecdsaSetup,
      beginFields(context, agentBox, agentRound1),
    );
    // Authenticated first: only the agent's own retry of this begin gets the stored answer.
    const old = this.#setups.get(identityId);
    if (old && equalBytes(old.setupId, setupId)) {
      if (!equalBytes(old.beginSignature, signature))
        throw new MpcidError('ENROLLMENT_STATE', 'this ES256 setup id was begun with other contents');
      return old.responses.get(1)!;
    }
    if (old) this.#dropSetup(old, identityId);
    if (this.#setups.size >= ctx.config.limits.maxPendingEnrollments)
      throw new MpcidError('RATE_LIMITED', 'too many ES256 setups in progress');
    const dkg = new DkgParticipant(ctx.as, ctx.nodeId, P256);
    const box = generateBoxKey();
    const res: EcdsaSetupResponse = {
      round1: signedOracleRound1(ctx.nodeKey, ctx.nodeId, context, box.publicKey, dkg.round1),
    };
    const p: PendingSetup = {
      setupId,
      beginSignature: signature,
      context,
      round: 1,
      agentRound1,
      agentBox,
      dkg,
      box,
      responses: new Map([[1, res]]),
      timer: setTimeout(
        () => this.#dropSetup(p, identityId),
        ctx.config.limits.enrollmentTimeoutSeconds * 1000,
      ).unref(),
    };
    this.#setups.set(identityId, p);
    return res;
  }

  #exchange(p: PendingSetup, req: EcdsaSetupRequest__Output): EcdsaSetupResponse {
    const ctx = this.#ctx;
    const { n } = ctx.as;
    const { oracleBox, pkgs } = relayedOracleRound1(
      ctx.as,
      req.oracleRound1,
      this.#nodeKeys,
      p.context,
      { nodeId: ctx.nodeId, boxPublicKey: p.box.publicKey, round1: p.dkg.round1 },
      P256,
    );
    const all = [...pkgs, ...p.agentRound1];
    const agentShares = openShares(req.shares, {
      recipient: ctx.nodeId,
      recipientKey: p.box.secretKey,
      context: p.context,
      senders: agentParticipants(ctx.as),
      senderPublic: () => p.agentBox,
    });
    const shares = sealShares(p.dkg.round2(all), {
      senderKey: p.box.secretKey,
      context: p.context,
      sender: ctx.nodeId,
      recipientPublic: (r) => (r > n ? p.agentBox : oracleBox.get(r)!),
    });
    // Channel keys and the OT setup with every other party.
    const channels = new Map<number, Secret>();
    const pairSetups = new Map<number, PairSetup>();
    const peers = [AGENT_PARTY, ...[...oracleBox.keys()].filter((o) => o !== ctx.nodeId)];
    for (const peer of peers) {
      const pub = peer === AGENT_PARTY ? p.agentBox : oracleBox.get(peer)!;
      channels.set(peer, channelKey(p.box.secretKey, pub, p.context, ctx.nodeId, peer));
      pairSetups.set(peer, new PairSetup({ curve: 'P-256', self: ctx.nodeId, peer, sessionId: p.context }));
    }
    p.all = all;
    p.oracleBox = oracleBox;
    p.agentShares = agentShares;
    p.channels = channels;
    p.pairSetups = pairSetups;
    return { shares, envelopes: this.#setupMessages(p, 1, new Map()) };
  }

  /** Own OT setup messages of setup round `round`, given the peers' messages of round - 1. */
  #setupMessages(p: PendingSetup, round: number, incoming: Map<number, Uint8Array>): Envelope[] {
    return setupEnvelopes(this.#ctx.nodeId, p.pairSetups!, p.channels!, p.context, round, incoming);
  }

  /**
   * Opens the messages of `round` addressed to us, the agent's first. With `relayedFor` (signing),
   * each message from another oracle must carry its sender's signature (else the relay, the
   * agent, altered it: culprit 0) and then open (else its sender is to blame).
   */
  #openAll(
    envelopes: readonly Envelope__Output[],
    channels: ReadonlyMap<number, Secret>,
    purpose: string,
    session: Uint8Array,
    round: number,
    relayedFor?: string,
  ): Map<number, Uint8Array> {
    const me = this.#ctx.nodeId;
    const out = new Map<number, Uint8Array>();
    // The agent's own message first: it authenticates the request (only the agent and this
    // oracle hold their channel key), so unauthenticated garbage is refused without an abort.
    const sorted = [...envelopes].sort((a, b) => a.from - b.from);
    if (sorted.length !== channels.size)
      throw new MpcidError('BAD_LENGTH', `expected ${channels.size} messages for round ${round}`);
    const bound =
      relayedFor === undefined ? undefined : relayBinding(sorted.filter((e) => e.from !== AGENT_PARTY));
    for (const e of sorted) {
      if (e.to !== me || e.round !== round || !channels.has(e.from) || out.has(e.from))
        throw new MpcidError(
          'BAD_PARTICIPANT',
          `message from ${e.from} to ${e.to} (round ${e.round}) is not expected here`,
        );
      const sealed = new Uint8Array(e.sealed);
      if (e.from === AGENT_PARTY) {
        try {
          out.set(
            e.from,
            openEnvelope(channels.get(e.from)!, purpose, session, round, e.from, me, sealed, bound),
          );
        } catch {
          throw new MpcidError(
            'SESSION_AUTH_FAILED',
            'the agent message does not open: not from this identity, or what it relays was altered',
          );
        }
      } else {
        if (relayedFor !== undefined)
          checkRelayed(this.#nodeKeys, relayedFor, session, e, AGENT_PARTY, 'relay');
        out.set(e.from, openEnvelope(channels.get(e.from)!, purpose, session, round, e.from, me, sealed));
      }
    }
    return out;
  }

  async #continue(
    id: LoadedIdentity,
    p: PendingSetup,
    req: EcdsaSetupRequest__Output,
  ): Promise<EcdsaSetupResponse> {
    const ctx = this.#ctx;
    const setupRound = req.round - 2; // the round of the messages we receive
    const incoming = this.#openAll(req.envelopes, p.channels!, 'setup', p.context, setupRound);
    if (req.round === 3) {
      const fromOracles = openShares(req.shares, {
        recipient: ctx.nodeId,
        recipientKey: p.box.secretKey,
        context: p.context,
        senders: [...p.oracleBox!.keys()].filter((o) => o !== ctx.nodeId),
        senderPublic: (o) => p.oracleBox!.get(o),
      });
      const received = new Map([...p.agentShares!, ...fromOracles]);
      const { share, group } = p.dkg.finish(p.all!, received);
      for (const s of received.values()) s.wipe();
      p.key = { group, share: share.signingShare };
    }
    if (req.round < ECDSA_SETUP_RPC_ROUNDS) {
      return { envelopes: this.#setupMessages(p, setupRound + 1, incoming) };
    }
    // Last round: finish every pair, store, confirm.
    const pairs = finishPairs(p.pairSetups!, p.channels!, incoming);
    const key = p.key!;
    const digest = round1Digest(p.context, p.all!);
    const publicKey = key.group.groupPublicKey;
    const record = {
      ...id.record,
      ecdsa: {
        curve: 'P-256' as const,
        publicKey: toB64u(publicKey),
        kid: p256Thumbprint(publicKey),
        commitments: key.group.commitments.map(toB64u),
        verifyingShares: key.group.verifyingShares.map(toB64u),
        setupDigest: toB64u(digest),
      },
      ecdsaSecrets: { signingShare: toB64u(key.share.expose()), pairs },
    };
    await ctx.store.putIdentity(record);
    ctx.remember({ ...id, record });
    this.#loaded.delete(id.record.identityId);
    this.#dropSetup(p, id.record.identityId);
    ctx.log.info({ [LOG.identity]: id.record.identityId }, 'ES256 key set up');
    const signature = signStatement(
      ctx.nodeKey,
      DOMAINS.ecdsaEnrolled,
      ...enrolledFields(p.context, ctx.nodeId, id.record.identityId, publicKey, digest),
    );
    return {
      enrolled: {
        nodeId: ctx.nodeId,
        identityId: id.record.identityId,
        publicKey: Buffer.from(publicKey),
        round1Digest: Buffer.from(digest),
        signature: Buffer.from(signature),
      },
    };
  }

  // ---- Signing (docs/protocol.md §6.2) ----

  /**
   * Opens the DKLs23 session of an accepted es256 step in which this node signs, and returns its
   * round-1 messages. Called by the ratchet with the identity's lock held, once per step.
   */
  open(
    id: LoadedIdentity,
    signed: SignedStep,
    oracles: readonly number[],
    messageHash: Uint8Array,
  ): EnvelopeJSON[] {
    const ctx = this.#ctx;
    const e = this.ecdsaOf(id);
    const session = stepDigest(signed.step);
    const key = `${id.record.identityId}:${toHex(session)}`;
    this.#makeRoom(id.record.identityId, key);
    const parties = [AGENT_PARTY, ...oracles];
    const set = e.sets.of(oracles);
    const signer = new EcdsaSigner({
      curve: 'P-256',
      self: ctx.nodeId,
      parties,
      sessionId: session,
      messageHash,
      additiveShare: set.additiveShare,
      publicShares: set.publicShares,
      publicKey: e.publicKey,
      pairs: new Map(parties.filter((x) => x !== ctx.nodeId).map((x) => [x, e.pairs.get(x)!])),
    });
    const out = signer.round1();
    // A step whose reply was never stored (its write failed) may open again: the first session
    // sent nothing, and its timer must not end the new one.
    this.#dropSession(key);
    const s: Session = {
      identityId: id.record.identityId,
      step: signed,
      session,
      messageHash,
      oracles: [...oracles],
      parties,
      signer,
      round: 1,
      timer: setTimeout(() => this.#dropSession(key, s), SESSION_TTL_MS).unref(),
    };
    this.#sessions.set(key, s);
    const mine = this.#byIdentity.get(s.identityId) ?? new Set<string>();
    this.#byIdentity.set(s.identityId, mine.add(key));
    return [...out].map(([to, msg]) => {
      const w = this.#signingEnvelope(id.record.identityId, e, session, 1, to, msg);
      return {
        from: ctx.nodeId,
        to,
        round: 1,
        sealed: toB64u(w.sealed as Uint8Array),
        ...((w.signature as Uint8Array).length > 0 ? { signature: toB64u(w.signature as Uint8Array) } : {}),
      };
    });
  }

  /** One sealed signing message of ours; those for another oracle carry our node-key signature. */
  #signingEnvelope(
    identityId: string,
    e: LoadedEcdsa,
    session: Uint8Array,
    round: number,
    to: number,
    msg: Uint8Array,
  ): Envelope {
    const me = this.#ctx.nodeId;
    const sealed = sealEnvelope(e.channels.get(to)!, 'sign', session, round, me, to, msg);
    const signature =
      to === AGENT_PARTY
        ? undefined
        : signStatement(
            this.#ctx.nodeKey,
            DOMAINS.ecdsaRelayed,
            ...relayedFields(identityId, session, round, me, to, sealed),
          );
    return envelopeToWire(me, to, round, sealed, signature);
  }

  /**
   * Rounds 2 and 3 of a session. `authenticated` runs once the agent's own message opened (the
   * request is from the identity's agent), before the session advances; it may refuse (throw).
   */
  async round(
    req: EcdsaRoundRequest__Output,
    authenticated: (identityId: string) => void = () => undefined,
  ): Promise<EcdsaRoundResponse> {
    const ctx = this.#ctx;
    const id = await ctx.identity(req.identityId);
    const session = abytes(new Uint8Array(req.session), 'session', 32);
    const e = this.ecdsaOf(id);
    const key = `${id.record.identityId}:${toHex(session)}`;
    const s = this.#sessions.get(key);
    if (!s) throw new MpcidError('ECDSA_SESSION_LOST', 'no ECDSA session in progress for this step');
    if (req.round !== s.round + 1 || req.round > 3)
      throw new MpcidError('ECDSA_SESSION_LOST', `session is at round ${s.round}; got round ${req.round}`);
    const channels = new Map(s.parties.filter((x) => x !== ctx.nodeId).map((x) => [x, e.channels.get(x)!]));
    let incoming: Map<number, Uint8Array>;
    try {
      incoming = this.#openAll(req.envelopes, channels, 'sign', session, req.round - 1, id.record.identityId);
    } catch (err) {
      if (codeOf(err) === 'ECDSA_ABORT') return this.#abort(id, s, key, err);
      throw err; // unauthenticated or malformed: refused, the session goes on
    }
    authenticated(id.record.identityId);
    s.round = req.round;
    try {
      if (req.round === 2) {
        const out = s.signer.round2(incoming);
        return {
          envelopes: [...out].map(([to, msg]) =>
            this.#signingEnvelope(id.record.identityId, e, session, 2, to, msg),
          ),
        };
      }
      const share = s.signer.round3(incoming);
      this.#dropSession(key, s);
      ctx.metrics.signatureShares.inc({ kind: s.step.step.kind });
      return {
        envelopes: [this.#signingEnvelope(id.record.identityId, e, session, 3, AGENT_PARTY, share)],
      };
    } catch (err) {
      // Any failed check aborts, attributable or not (e.g. a combined nonce at infinity).
      if (abortOf(err)) return this.#abort(id, s, key, err);
      this.#dropSession(key, s);
      throw err;
    }
  }

  /**
   * A DKLs23 check failed: accuse the culprit with our signed claim. Our word alone suspends the
   * identity everywhere (held by the reachable peers before we answer); with another oracle's
   * accusation it revokes it (docs/ecdsa.md §5).
   */
  async #abort(id: LoadedIdentity, s: Session, key: string, err: unknown): Promise<never> {
    const ctx = this.#ctx;
    this.#dropSession(key, s);
    const { culprit, check } = abortOf(err) ?? { culprit: NO_CULPRIT, check: 'unspecified' };
    ctx.log.error(
      { [LOG.identity]: id.record.identityId, culprit, check, [LOG.errorMessage]: (err as Error).message },
      'ECDSA session aborted: accusing the culprit; the identity is suspended (an aborted session is never retried)',
    );
    const signature = signStatement(
      ctx.nodeKey,
      DOMAINS.ecdsaAbort,
      ...abortFields(id.record.identityId, s.session, ctx.nodeId, culprit, check),
    );
    const rec = await this.#revocations.revokeLocal(
      id,
      {
        identityId: id.record.identityId,
        steps: [s.step],
        abort: {
          accuser: ctx.nodeId,
          culprit,
          check,
          signature,
        },
        messageDigest: s.messageHash,
        oracles: s.oracles,
      },
      [],
      s.step.step.counter,
    );
    if (rec.status === 'suspended')
      throw new MpcidError(
        'IDENTITY_SUSPENDED',
        `ECDSA session aborted (${check}, party ${culprit}): identity suspended on this oracle's accusation (evidence ${rec.digest})`,
        {
          metadata: {
            evidence: JSON.stringify(rec.evidence),
            accuser: String(ctx.nodeId),
            accused: String(culprit),
          },
        },
      );
    throw new MpcidError(
      'IDENTITY_REVOKED',
      `ECDSA session aborted (${check}, party ${culprit}): identity revoked (evidence ${rec.digest})`,
      {
        metadata: { evidence: JSON.stringify(rec.evidence) },
      },
    );
  }

  /**
   * The agent reports an aborted session (its own signed claim): revoke with it as evidence, also
   * when the identity is suspended (the agent's claim corroborates an accusation).
   */
  async reportAbort(
    id: LoadedIdentity,
    step: SignedStep,
    claim: { culprit: number; check: string; signature: Uint8Array },
    sessionFacts: { messageDigest: Uint8Array; oracles: readonly number[] },
  ): Promise<void> {
    this.#revocations.checkRevoked(id.record.identityId);
    await this.#revocations.revokeLocal(
      id,
      {
        identityId: id.record.identityId,
        steps: [step],
        abort: { accuser: AGENT_PARTY, ...claim },
        ...sessionFacts,
      },
      [],
      step.step.counter,
    );
  }
}
