import { clusterNodeKeys } from '../common/config.js';
import { abortOf, envelopeToWire, relayedFields } from '../common/ecdsa-wire.js';
import { codeOf, ensure, MpcidError } from '../common/errors.js';
import { LOG } from '../common/log.js';
import type { RegisterState } from '../common/measure-wire.js';
import {
  checkEcdsaOracles,
  ecdsaPayloadDigest,
  evidenceFromJSON,
  presignPayloadDigest,
} from '../common/protocol.js';
import { abytes, equalBytes, fromB64u, toB64u } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { EcdsaSigner, PairState } from '../crypto/ecdsa/index.js';
import { AGENT_PARTY, NO_CULPRIT, SigningSets } from '../crypto/es256.js';
import { checkGroupPublic, checkKeyShare, type GroupPublic, P256 } from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import { decodeP256Point } from '../crypto/p256.js';
import { abortFields, PRESIGN_MESSAGE_DIGEST, type SignedStep, stepDigest } from '../crypto/ratchet.js';
import { sealEnvelope } from '../crypto/seal.js';
import { Secret } from '../crypto/secret.js';
import { signStatement } from '../crypto/statement.js';
import type { EcdsaRoundRequest__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundRequest.js';
import type { EcdsaRoundResponse } from '../proto/gen/mpcid/oracle/v1/EcdsaRoundResponse.js';
import type { EcdsaSetupRequest__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupRequest.js';
import type { EcdsaSetupResponse } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupResponse.js';
import type { Envelope } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { StepRequest__Output } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import { tokenAudit } from './audit.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import { type HeldPresign, presignTable } from './ecdsa-presign.js';
import { EcdsaSetup, openMessages } from './ecdsa-setup.js';
import { policyRefusal, signedMessage } from './policy.js';
import type { SignResult } from './ratchet.js';
import type { EcdsaRecord, EcdsaSecrets, EnvelopeJSON, RevocationRecord } from './records.js';
import type { RevocationService } from './revocation.js';
import { SessionTable } from './session-table.js';
import type { CheckedStep, StepKindHandler } from './signer.js';

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

interface Session {
  readonly step: SignedStep;
  readonly session: Uint8Array;
  /**
   * SHA-256 of the message (PRESIGN_MESSAGE_DIGEST for a presigning session) and the signing
   * oracles: the public facts of abort evidence.
   */
  readonly messageHash: Uint8Array;
  /** An es256-presign step's session: round 3 keeps a presignature instead of answering a share. */
  readonly presign: boolean;
  readonly oracles: readonly number[];
  readonly parties: number[];
  readonly signer: EcdsaSigner;
  round: number;
}

export class EcdsaService implements StepKindHandler {
  /** es256-presign only where presignatures are on (`limits.es256PresignsPerIdentity` > 0). */
  readonly kinds: readonly ('es256' | 'jwt-es256' | 'es256-presign')[];
  readonly #setup: EcdsaSetup;
  readonly #ctx: OracleContext;
  readonly #revocations: RevocationService;
  /** The sessions in progress (online, and presigning ones until their round 3). */
  readonly #sessions: SessionTable<Session>;
  readonly #loaded = new Map<string, LoadedEcdsa>();
  readonly #nodeKeys: Map<number, Uint8Array>;
  readonly #presigns: SessionTable<HeldPresign>;

  constructor(ctx: OracleContext, revocations: RevocationService) {
    this.kinds =
      ctx.config.limits.es256PresignsPerIdentity > 0
        ? ['es256', 'jwt-es256', 'es256-presign']
        : ['es256', 'jwt-es256'];
    this.#ctx = ctx;
    this.#sessions = new SessionTable<Session>({
      ttlMs: SESSION_TTL_MS,
      limits: () => ({
        perIdentity: ctx.config.limits.ecdsaSessionsPerIdentity,
        total: ctx.config.limits.maxEcdsaSessions,
      }),
      refusal: () =>
        new MpcidError('RATE_LIMITED', 'too many ECDSA sessions in progress on this oracle', {
          details: { scope: 'oracle', rpc: 'Step' },
        }),
      evicted: (identityId, cap) =>
        ctx.log.info(
          { [LOG.identity]: identityId, [LOG.count]: cap },
          'ES256 session ended: the identity opened more sessions than its cap (the oldest ends)',
        ),
    });
    this.#presigns = presignTable(() => ({
      perIdentity: ctx.config.limits.es256PresignsPerIdentity,
      total: ctx.config.limits.maxEcdsaSessions,
    }));
    this.#revocations = revocations;
    this.#nodeKeys = clusterNodeKeys(ctx.config.cluster);
    this.#setup = new EcdsaSetup(ctx, this.#nodeKeys, (identityId) => this.#loaded.delete(identityId));
  }

  close(): void {
    this.#setup.close();
    this.#presigns.close();
    this.#sessions.close();
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

  /** ES256 setup (docs/protocol.md §4.2): oracle/ecdsa-setup.ts. */
  setup(req: EcdsaSetupRequest__Output): Promise<EcdsaSetupResponse> {
    return this.#setup.setup(req);
  }

  // ---- Signing (docs/protocol.md §6.2) ----

  /**
   * An es256 / jwt-es256 step's payload: the message and a signing set of t oracles, and maybe the
   * presignature it signs with; an es256-presign step's: its signing set alone.
   */
  check(id: LoadedIdentity, signed: SignedStep, req: StepRequest__Output): CheckedStep {
    const ctx = this.#ctx;
    const kind = signed.step.kind as 'es256' | 'jwt-es256' | 'es256-presign';
    if (!req.ecdsa) throw new MpcidError('MALFORMED_INPUT', `ecdsa: missing for a ${kind} step`);
    const oracles = checkEcdsaOracles(id.group.as, req.ecdsa.oracles);
    const presign =
      req.ecdsa.presign.length > 0
        ? abytes(new Uint8Array(req.ecdsa.presign), 'ecdsa.presign', 32)
        : undefined;
    if (kind === 'es256-presign') {
      if (req.ecdsa.message.length > 0 || presign)
        throw new MpcidError(
          'MALFORMED_INPUT',
          'ecdsa: an es256-presign step has no message and names no presignature',
        );
      if (!equalBytes(presignPayloadDigest(oracles), signed.step.payloadDigest))
        throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the ecdsa payload');
      this.ecdsaOf(id);
      if (oracles.includes(ctx.nodeId)) this.#presigns.checkRoom();
      return {
        sign: () => (oracles.includes(ctx.nodeId) ? { envelopes: this.open(id, signed, oracles) } : {}),
      };
    }
    const message = signedMessage(ctx, req.ecdsa.message);
    if (!equalBytes(ecdsaPayloadDigest(kind, message, oracles, presign), signed.step.payloadDigest)) {
      throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the ecdsa payload');
    }
    const ecdsa = this.ecdsaOf(id);
    const sign = (registers?: RegisterState): SignResult => {
      // Taken out first: whatever happens below, this presignature is never used again.
      const taken = presign ? this.#presigns.take(id.record.identityId, presign) : undefined;
      try {
        const refusal = policyRefusal(ctx, id, kind, message, signed.step.counter, ecdsa.kid, registers);
        if (refusal) {
          ctx.metrics.policyRefusals.inc({ kind });
          return { refusal };
        }
        if (!oracles.includes(ctx.nodeId)) return {};
        if (!presign) return { envelopes: this.open(id, signed, oracles, sha256(message)) };
        if (!taken || !equalBytes(Uint8Array.from(taken.oracles), Uint8Array.from(oracles))) {
          ctx.metrics.es256Presigns.inc({ outcome: 'miss' });
          return {
            refusal: {
              code: 'PRESIGN_UNAVAILABLE',
              message: taken
                ? 'the named presignature was made for another signing set; it is dropped'
                : 'this oracle holds no such presignature (restarted, expired or already used)',
            },
          };
        }
        ctx.metrics.es256Presigns.inc({ outcome: 'hit' });
        const share = taken.presignature.finish(sha256(message));
        ctx.metrics.signatureShares.inc({ kind });
        return {
          envelopes: [this.#envelopeJSON(id.record.identityId, ecdsa, presign, 3, AGENT_PARTY, share)],
        };
      } finally {
        taken?.presignature.wipe();
      }
    };
    return { sign, ...(kind === 'jwt-es256' ? { token: tokenAudit(message) } : {}) };
  }

  /**
   * Opens the DKLs23 session of an accepted es256 step in which this node signs, and returns its
   * round-1 messages. Called by the ratchet with the identity's lock held, once per step.
   */
  open(
    id: LoadedIdentity,
    signed: SignedStep,
    oracles: readonly number[],
    /** Absent: a presigning session (es256-presign), whose tag omits the message. */
    messageHash?: Uint8Array,
  ): EnvelopeJSON[] {
    const ctx = this.#ctx;
    const e = this.ecdsaOf(id);
    const session = stepDigest(signed.step);
    // Ends the identity's oldest sessions beyond its cap, then RATE_LIMITED if the table is still
    // full (docs/ecdsa.md §4): the step is not accepted.
    this.#sessions.makeRoom(id.record.identityId, session);
    const parties = [AGENT_PARTY, ...oracles];
    const set = e.sets.of(oracles);
    const signer = new EcdsaSigner({
      curve: 'P-256',
      self: ctx.nodeId,
      parties,
      sessionId: session,
      ...(messageHash ? { messageHash } : { presign: true }),
      additiveShare: set.additiveShare,
      publicShares: set.publicShares,
      publicKey: e.publicKey,
      pairs: new Map(parties.filter((x) => x !== ctx.nodeId).map((x) => [x, e.pairs.get(x)!])),
    });
    const out = signer.round1();
    // A step whose reply was never stored (its write failed) may open again: the first session
    // sent nothing, and the new one replaces it (its timer cannot end the new one).
    this.#sessions.put(id.record.identityId, session, {
      step: signed,
      session,
      messageHash: messageHash ?? PRESIGN_MESSAGE_DIGEST,
      presign: !messageHash,
      oracles: [...oracles],
      parties,
      signer,
      round: 1,
    });
    return [...out].map(([to, msg]) => this.#envelopeJSON(id.record.identityId, e, session, 1, to, msg));
  }

  /** #signingEnvelope in the form stored with a step's reply. */
  #envelopeJSON(
    identityId: string,
    e: LoadedEcdsa,
    session: Uint8Array,
    round: number,
    to: number,
    msg: Uint8Array,
  ): EnvelopeJSON {
    const w = this.#signingEnvelope(identityId, e, session, round, to, msg);
    return {
      from: this.#ctx.nodeId,
      to,
      round,
      sealed: toB64u(w.sealed as Uint8Array),
      ...((w.signature as Uint8Array).length > 0 ? { signature: toB64u(w.signature as Uint8Array) } : {}),
    };
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
            STATEMENT_DOMAINS.ecdsaRelayed,
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
    const s = this.#sessions.get(id.record.identityId, session);
    if (!s) throw new MpcidError('ECDSA_SESSION_LOST', 'no ECDSA session in progress for this step');
    if (req.round !== s.round + 1 || req.round > 3)
      throw new MpcidError('ECDSA_SESSION_LOST', `session is at round ${s.round}; got round ${req.round}`);
    const channels = new Map(s.parties.filter((x) => x !== ctx.nodeId).map((x) => [x, e.channels.get(x)!]));
    let incoming: Map<number, Uint8Array>;
    try {
      incoming = openMessages(
        ctx.nodeId,
        this.#nodeKeys,
        req.envelopes,
        channels,
        'sign',
        session,
        req.round - 1,
        id.record.identityId,
      );
    } catch (err) {
      if (codeOf(err) === 'ECDSA_ABORT') return this.#abort(id, s, err);
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
      if (s.presign) {
        // Every check passed: keep the presignature (memory only) for the es256 step naming it.
        const p = s.signer.presign3(incoming);
        this.#sessions.delete(id.record.identityId, session, s);
        this.#presigns.put(id.record.identityId, session, { oracles: s.oracles, presignature: p });
        ctx.metrics.es256Presigns.inc({ outcome: 'made' });
        return { envelopes: [], presigned: true };
      }
      const share = s.signer.round3(incoming);
      this.#sessions.delete(id.record.identityId, session, s);
      ctx.metrics.signatureShares.inc({ kind: s.step.step.kind });
      return {
        envelopes: [this.#signingEnvelope(id.record.identityId, e, session, 3, AGENT_PARTY, share)],
      };
    } catch (err) {
      // Any failed check aborts, attributable or not (e.g. a combined nonce at infinity).
      if (abortOf(err)) return this.#abort(id, s, err);
      this.#sessions.delete(id.record.identityId, session, s);
      throw err;
    }
  }

  /**
   * A DKLs23 check failed: accuse the culprit with our signed claim. Our word alone suspends the
   * identity everywhere (held by the reachable peers before we answer); with another oracle's
   * accusation it revokes it (docs/ecdsa.md §5).
   */
  async #abort(id: LoadedIdentity, s: Session, err: unknown): Promise<never> {
    const ctx = this.#ctx;
    this.#sessions.delete(id.record.identityId, s.session, s);
    const { culprit, check } = abortOf(err) ?? { culprit: NO_CULPRIT, check: 'unspecified' };
    ctx.log.error(
      { [LOG.identity]: id.record.identityId, culprit, check, [LOG.errorMessage]: (err as Error).message },
      'ECDSA session aborted: accusing the culprit; the identity is suspended (an aborted session is never retried)',
    );
    const signature = signStatement(
      ctx.nodeKey,
      STATEMENT_DOMAINS.ecdsaAbort,
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
        { details: { evidence: evidenceFromJSON(rec.evidence), accuser: ctx.nodeId, accused: culprit } },
      );
    throw new MpcidError(
      'IDENTITY_REVOKED',
      `ECDSA session aborted (${check}, party ${culprit}): identity revoked (evidence ${rec.digest})`,
      { details: { evidence: evidenceFromJSON(rec.evidence) } },
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
  ): Promise<RevocationRecord> {
    this.#revocations.checkRevoked(id.record.identityId);
    return await this.#revocations.revokeLocal(
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
