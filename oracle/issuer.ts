/**
 * The oracle's side of the federation issuer (docs/protocol.md §10): the cluster issuer key set
 * (previous, current, next), held t-of-n by the oracles only (made by oracle/issuer-setup.ts),
 * and the threshold ES256 sessions that sign an identity's token with the current key.
 *
 * A session opens only inside a newly accepted `jwt-issuer` ratchet step of the identity (the
 * ratchet's accept rule runs first, so a copied agent is caught as for any step), and only if the
 * token passes the issuer policy: ES256, kid = the current issuer key, iss = the issuer URL, sub
 * = the identity's name, exp - iat within `cluster.federation.maxTokenTtlSeconds` (under 48 h),
 * every aud configured. The parties of the DKLs23 session are the t oracles of the step; the
 * agent is no party: it relays their node-signed, pairwise-sealed messages (IssuerRound) and
 * combines their round-3 shares into the signature. A check that fails names the culprit
 * (ISSUER_ABORT): the session ends, no share leaves, and nothing about the identity changes,
 * since an identity is not to blame for a lying oracle. IssuerService is the jwt-issuer step
 * kind's StepKindHandler (oracle/signer.ts dispatches to it); agent/issuer.ts is its counterpart.
 */

import { clusterNodeKeys, federationIssuer, federationOf } from '../common/config.js';
import { abortOf, checkRelayed, envelopeToWire, relayedFields } from '../common/ecdsa-wire.js';
import { asMpcidError, detailsOf, MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import { checkAudiences, ISSUER_MAX_KEYS, issuerKeyStates, issuerRoundFields } from '../common/issuer.js';
import { checkTokenPolicy, JWT_TYP, parseSigningInput } from '../common/jwt.js';
import { LOG } from '../common/log.js';
import type { RegisterState } from '../common/measure-wire.js';
import { checkEcdsaOracles, ecdsaPayloadDigest } from '../common/protocol.js';
import { abytes, equalBytes, fromB64u, toB64u, toHex } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { EcdsaSigner } from '../crypto/ecdsa/index.js';
import { sha256 } from '../crypto/hash.js';
import { p256Jwk } from '../crypto/p256.js';
import { type SignedStep, stepDigest } from '../crypto/ratchet.js';
import { openEnvelope, sealEnvelope } from '../crypto/seal.js';
import { signStatement, verifyStatement } from '../crypto/statement.js';
import type { IssuerHandlers } from '../proto/gen/mpcid/oracle/v1/Issuer.js';
import type { IssuerKey } from '../proto/gen/mpcid/oracle/v1/IssuerKey.js';
import type { IssuerRoundRequest__Output } from '../proto/gen/mpcid/oracle/v1/IssuerRoundRequest.js';
import type { IssuerRoundResponse } from '../proto/gen/mpcid/oracle/v1/IssuerRoundResponse.js';
import type { StepRequest__Output } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import { tokenAudit } from './audit.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import { decodeEcdsa, type LoadedEcdsa } from './ecdsa.js';
import { issuerAccessStructure } from './issuer-setup.js';
import { checkRegisterPolicy, signedMessage } from './policy.js';
import type { SignResult } from './ratchet.js';
import { peerKeyOf, RateLimiter } from './ratelimit.js';
import type { EnvelopeJSON, IssuerKeyRecord } from './records.js';
import type { CheckedStep, StepKindHandler } from './signer.js';

const SESSION_TTL_MS = 30_000;
const SESSIONS_PER_IDENTITY = 4;
/** Envelope purpose of issuer signing messages (distinct from ES256's 'sign'). */
const PURPOSE = 'issuer-sign';

interface LoadedKey {
  readonly rec: IssuerKeyRecord;
  readonly key: LoadedEcdsa;
}

interface Session {
  readonly identityId: string;
  readonly oracles: readonly number[];
  readonly signer: EcdsaSigner;
  readonly key: LoadedKey;
  round: number;
  readonly timer: NodeJS.Timeout;
}

function issuerAbort(culprit: number, check: string, message: string): MpcidError {
  return new MpcidError('ISSUER_ABORT', message, { details: { culprit, check } });
}

export class IssuerService implements StepKindHandler {
  readonly #ctx: OracleContext;
  readonly #nodeKeys: Map<number, Uint8Array>;
  #keys: LoadedKey[] = [];
  readonly #sessions = new Map<string, Session>();
  /** IssuerRound's own buckets, sized as EcdsaRound's (`rateLimits.ecdsaRounds`). */
  readonly #limits: RateLimiter;

  constructor(ctx: OracleContext) {
    this.#ctx = ctx;
    this.#nodeKeys = clusterNodeKeys(ctx.config.cluster);
    this.#limits = new RateLimiter(ctx.config.rateLimits, ctx.metrics);
  }

  /** Loads the stored key set (at start, and after a rotation). */
  async load(): Promise<void> {
    const ctx = this.#ctx;
    const { n, t } = ctx.as;
    const as = issuerAccessStructure(n, t);
    const recs = await ctx.store.getIssuerKeys();
    this.#keys = recs.map((rec) => ({
      rec,
      key: decodeEcdsa(
        `issuer key ${rec.kid}`,
        ctx.nodeId,
        n,
        t,
        { curve: 'P-256', setupDigest: '', ...rec },
        rec.secrets,
        as,
      ),
    }));
  }

  close(): void {
    for (const s of this.#sessions.values()) clearTimeout(s.timer);
    this.#sessions.clear();
    this.#limits.clear();
  }

  handlers(): IssuerHandlers {
    const log = this.#ctx.log;
    return {
      GetIssuerKeys: unary(log, 'GetIssuerKeys', async () => ({ keys: this.keysToWire() })),
      IssuerRound: unary(log, 'IssuerRound', (req, call) => this.round(req, peerKeyOf(call))),
    };
  }

  /** The key set's public keys, oldest first: what the JWT bundle lists in issuer mode (oracle/bundle.ts). */
  publicKeys(): { kid: string; publicKey: Uint8Array }[] {
    return this.#keys.map((k) => ({ kid: k.rec.kid, publicKey: k.key.publicKey }));
  }

  /** The key set on the wire, oldest first, each with its state and its proof (§10). */
  keysToWire(): IssuerKey[] {
    const states = issuerKeyStates(this.#keys.length);
    return this.#keys.map((k, i) => {
      const proof = k.rec.proof;
      return {
        kid: k.rec.kid,
        publicKey: Buffer.from(k.key.publicKey),
        state: states[i]!,
        generation: k.rec.generation,
        ...(proof
          ? {
              setupId: Buffer.from(fromB64u(proof.setupId, 'setupId')),
              coordinator: proof.coordinator,
              confirmations: proof.confirmations.map((c) => ({
                nodeId: c.nodeId,
                publicKey: Buffer.from(fromB64u(k.rec.publicKey, 'publicKey')),
                round1Digest: Buffer.from(fromB64u(proof.round1Digest, 'round1Digest')),
                signature: Buffer.from(fromB64u(c.signature, 'signature')),
              })),
            }
          : {}),
      };
    });
  }

  /** The issuer JWKS (RFC 7517), what relying parties (AWS, GCP, Apache) fetch. */
  jwks(): { keys: Record<string, string>[] } {
    return {
      keys: this.#keys.map((k) => ({
        ...p256Jwk(k.key.publicKey),
        kid: k.rec.kid,
        alg: 'ES256',
        use: 'sig',
      })),
    };
  }

  /**
   * The issuer's own discovery document and JWKS on the relying-party port, or undefined for
   * another path (or a cluster without an http(s) issuer URL): `<cluster issuer>/issuer` is the
   * `iss` of issuer-key tokens, exactly the discovery document's `issuer`.
   */
  httpRoute(path: string): unknown {
    if (path !== '/issuer/.well-known/openid-configuration' && path !== '/issuer/jwks.json') return undefined;
    let iss: string;
    try {
      iss = federationIssuer(this.#ctx.config.cluster);
    } catch {
      return undefined;
    }
    if (path === '/issuer/jwks.json') return this.jwks();
    return {
      issuer: iss,
      jwks_uri: `${iss}/jwks.json`,
      id_token_signing_alg_values_supported: ['ES256'],
      subject_types_supported: ['public'],
      response_types_supported: ['id_token'],
      claims_supported: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'ctr'],
    };
  }

  /** The key that signs now: the one before the newest, once there are two. */
  #current(): LoadedKey {
    const k = this.#keys;
    if (k.length === 0)
      throw new MpcidError(
        'ISSUER_NOT_CONFIGURED',
        'the cluster has no issuer key yet (mpcid issuer rotate)',
      );
    return k[k.length === 1 ? 0 : k.length - 2]!;
  }

  /** The stored key set, oldest first (public parts and proofs; oracle/issuer-commit.ts reads it). */
  records(): IssuerKeyRecord[] {
    return this.#keys.map((k) => k.rec);
  }

  /**
   * Adds a confirmed new key as the next one; the oldest of three leaves. The pending keys of
   * setups `settled` leave in the same sync batch (oracle/issuer-commit.ts).
   */
  async addKey(rec: IssuerKeyRecord, settled: readonly string[] = []): Promise<IssuerKeyRecord[]> {
    const recs = this.records();
    if (recs.some((r) => r.kid === rec.kid)) {
      await this.#ctx.store.deleteIssuerPending(settled);
      return recs;
    }
    const generation = Math.max(0, ...recs.map((r) => r.generation)) + 1;
    const next = [...recs, { ...rec, generation }].slice(-ISSUER_MAX_KEYS);
    await this.#ctx.store.putIssuerKeys(next, settled);
    await this.load();
    return next;
  }

  readonly kinds = ['jwt-issuer'] as const;

  /**
   * A jwt-issuer step's payload, checked (size, signing set, digest) before the accept rule; its
   * `sign` runs for a newly accepted step: the issuer policy (a refusal is typed, as every
   * kind's), then, if this node is in the signing set, it opens the session and returns its
   * round-1 messages.
   */
  check(id: LoadedIdentity, signed: SignedStep, req: StepRequest__Output): CheckedStep {
    const ctx = this.#ctx;
    if (!req.ecdsa) throw new MpcidError('MALFORMED_INPUT', 'ecdsa: missing for a jwt-issuer step');
    const message = signedMessage(ctx, req.ecdsa.message);
    const oracles = checkEcdsaOracles(id.group.as, req.ecdsa.oracles);
    if (!equalBytes(ecdsaPayloadDigest('jwt-issuer', message, oracles), signed.step.payloadDigest))
      throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the ecdsa payload');
    const sign = (registers?: RegisterState): SignResult => {
      let key: LoadedKey;
      try {
        key = this.#current();
        this.#policy(id, message, signed.step.counter, key.rec.kid, registers);
      } catch (err) {
        const e = asMpcidError(err);
        if (!e) throw err;
        ctx.metrics.policyRefusals.inc({ kind: 'jwt-issuer' });
        ctx.log.warn(
          { [LOG.identity]: id.record.identityId, [LOG.errorCode]: e.code, [LOG.errorMessage]: e.message },
          'issuer-key token refused by policy',
        );
        return { refusal: { code: e.code, message: e.message } };
      }
      if (!oracles.includes(ctx.nodeId)) return {};
      return { envelopes: this.#open(id, signed, oracles, sha256(message), key) };
    };
    return { sign, token: tokenAudit(message) };
  }

  /**
   * The issuer policy, and the identity's own bounds as for any token (issue 15): the claims its
   * join token required (CLAIM_MISMATCH) and the register values it bound (REGISTER_MISMATCH).
   */
  #policy(
    id: LoadedIdentity,
    message: Uint8Array,
    counter: number,
    kid: string,
    registers: RegisterState | undefined,
  ): void {
    const ctx = this.#ctx;
    const fed = federationOf(ctx.config.cluster);
    const { typ } = checkTokenPolicy(message, {
      identityId: id.record.identityId,
      name: id.record.name,
      counter,
      alg: 'ES256',
      kid,
      required: id.record.requiredClaims,
      policy: {
        issuer: federationIssuer(ctx.config.cluster),
        maxTtlSeconds: fed.maxTokenTtlSeconds,
        clockSkewSeconds: ctx.config.policy.clockSkewSeconds,
      },
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (typ !== JWT_TYP)
      throw new MpcidError('POLICY_VIOLATION', 'token refused: issuer-key tokens are typ JWT');
    checkAudiences(parseSigningInput(message)!.claims['aud'], fed.audiences);
    checkRegisterPolicy(id, message, registers);
  }

  #open(
    id: LoadedIdentity,
    signed: SignedStep,
    oracles: readonly number[],
    messageHash: Uint8Array,
    key: LoadedKey,
  ): EnvelopeJSON[] {
    const ctx = this.#ctx;
    const identityId = id.record.identityId;
    const session = stepDigest(signed.step);
    const k = `${identityId}:${toHex(session)}`;
    const mine = [...this.#sessions].filter(([, s]) => s.identityId === identityId);
    for (const [old] of mine.slice(0, Math.max(0, mine.length - SESSIONS_PER_IDENTITY + 1))) this.#drop(old);
    if (this.#sessions.size >= ctx.config.limits.maxEcdsaSessions)
      throw new MpcidError('RATE_LIMITED', 'too many issuer sessions in progress on this oracle', {
        metadata: { scope: 'oracle', rpc: 'Step' },
      });
    const set = key.key.sets.of(oracles);
    const signer = new EcdsaSigner({
      curve: 'P-256',
      self: ctx.nodeId,
      parties: oracles,
      sessionId: session,
      messageHash,
      additiveShare: set.additiveShare,
      publicShares: set.publicShares,
      publicKey: key.key.publicKey,
      pairs: new Map(oracles.filter((x) => x !== ctx.nodeId).map((x) => [x, key.key.pairs.get(x)!])),
    });
    const out = signer.round1();
    this.#drop(k);
    const s: Session = {
      identityId,
      oracles: [...oracles],
      signer,
      key,
      round: 1,
      timer: setTimeout(() => this.#drop(k, s), SESSION_TTL_MS).unref(),
    };
    this.#sessions.set(k, s);
    return [...out].map(([to, msg]) => {
      const e = this.#envelope(identityId, key, session, 1, to, msg);
      return {
        from: e.from,
        to: e.to,
        round: e.round,
        sealed: toB64u(e.sealed),
        signature: toB64u(e.signature),
      };
    });
  }

  #drop(k: string, s?: Session): void {
    const cur = this.#sessions.get(k);
    if (!cur || (s && cur !== s)) return;
    clearTimeout(cur.timer);
    this.#sessions.delete(k);
  }

  /**
   * One node-signed message of ours: sealed under the pair's channel key for another oracle, or,
   * the round-3 share for the agent (party 0), in clear (DKLs23 broadcasts it; it reveals no
   * more than the signature the agent makes of it).
   */
  #envelope(
    identityId: string,
    key: LoadedKey,
    session: Uint8Array,
    round: number,
    to: number,
    msg: Uint8Array,
  ) {
    const me = this.#ctx.nodeId;
    const sealed =
      to === 0 ? msg : sealEnvelope(key.key.channels.get(to)!, PURPOSE, session, round, me, to, msg);
    const signature = signStatement(
      this.#ctx.nodeKey,
      STATEMENT_DOMAINS.ecdsaRelayed,
      ...relayedFields(identityId, session, round, me, to, sealed),
    );
    return { from: me, to, round, sealed, signature };
  }

  /**
   * Rounds 2 and 3 of an issuer session, relayed by the identity's agent. Rate limits as for
   * EcdsaRound: per peer first, per identity once the session signature verified.
   */
  async round(req: IssuerRoundRequest__Output, limitKey = ''): Promise<IssuerRoundResponse> {
    const ctx = this.#ctx;
    this.#limits.check('EcdsaRound', 'peer', limitKey);
    const id = await ctx.identity(req.identityId);
    const identityId = id.record.identityId;
    const session = abytes(new Uint8Array(req.session), 'session', 32);
    verifyStatement(
      id.sessionPublicKey,
      new Uint8Array(req.sessionSignature),
      'session_signature',
      STATEMENT_DOMAINS.issuerRound,
      issuerRoundFields(identityId, session, req.round, req.envelopes),
    );
    this.#limits.check('EcdsaRound', 'identity', identityId);
    const k = `${identityId}:${toHex(session)}`;
    const s = this.#sessions.get(k);
    if (!s) throw new MpcidError('ECDSA_SESSION_LOST', 'no issuer session in progress for this step');
    if (req.round !== s.round + 1 || req.round > 3)
      throw new MpcidError('ECDSA_SESSION_LOST', `session is at round ${s.round}; got round ${req.round}`);
    const me = ctx.nodeId;
    const peers = s.oracles.filter((o) => o !== me);
    if (req.envelopes.length !== peers.length)
      throw new MpcidError('BAD_LENGTH', `expected ${peers.length} messages for round ${req.round - 1}`);
    const incoming = new Map<number, Uint8Array>();
    for (const e of req.envelopes) {
      if (e.to !== me || e.round !== req.round - 1 || !peers.includes(e.from) || incoming.has(e.from))
        throw new MpcidError(
          'BAD_PARTICIPANT',
          `message from ${e.from} to ${e.to} (round ${e.round}) is not expected here`,
        );
    }
    s.round = req.round;
    try {
      for (const e of req.envelopes) {
        try {
          checkRelayed(this.#nodeKeys, identityId, session, e, 0, 'relay');
        } catch {
          throw issuerAbort(0, 'relay', `the message from oracle ${e.from} was altered by the relay`);
        }
        let plain: Uint8Array;
        try {
          const ck = s.key.key.channels.get(e.from)!;
          plain = openEnvelope(ck, PURPOSE, session, e.round, e.from, me, new Uint8Array(e.sealed));
        } catch {
          throw issuerAbort(e.from, 'envelope', `the message of oracle ${e.from} does not open`);
        }
        incoming.set(e.from, plain);
      }
      if (req.round === 2) {
        const out = s.signer.round2(incoming);
        return {
          envelopes: [...out].map(([to, msg]) =>
            envelopeToWire(...envelopeArgs(this.#envelope(identityId, s.key, session, 2, to, msg))),
          ),
        };
      }
      const share = s.signer.round3(incoming);
      this.#drop(k, s);
      ctx.metrics.signatureShares.inc({ kind: 'jwt-issuer' });
      return {
        envelopes: [envelopeToWire(...envelopeArgs(this.#envelope(identityId, s.key, session, 3, 0, share)))],
      };
    } catch (err) {
      this.#drop(k, s);
      // Our own finding (ISSUER_ABORT) or a failed DKLs23 check (abortOf); anything else is refused.
      const found = detailsOf(err, 'ISSUER_ABORT') ?? abortOf(err);
      if (!found) throw err;
      const { culprit, check } = found;
      ctx.metrics.issuerAborts.inc({ culprit: String(culprit), check });
      ctx.log.error(
        { [LOG.identity]: identityId, culprit, check, [LOG.errorMessage]: (err as Error).message },
        'issuer session aborted: a party sent an inconsistent message; no share leaves this oracle',
      );
      throw new MpcidError(
        'ISSUER_ABORT',
        `issuer session aborted on oracle ${me} (${check}, party ${culprit}): no share was released`,
        { details: { culprit, check, accuser: me } },
      );
    }
  }
}

function envelopeArgs(e: {
  from: number;
  to: number;
  round: number;
  sealed: Uint8Array;
  signature: Uint8Array;
}): [number, number, number, Uint8Array, Uint8Array] {
  return [e.from, e.to, e.round, e.sealed, e.signature];
}
