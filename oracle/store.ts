/**
 * The oracle's durable state, one LevelDB per node. Every write that a reply depends on is a
 * sync write (fsync) made before the reply is sent. Values are JSON; byte fields are base64url.
 *
 * Keys:  meta                 node and cluster this data dir belongs to
 *        identity!<id>        enrolled identities (this node's shares sealed under the KEK)
 *        kid!<kid>            identity id of an ES256 key id (the P-256 key's RFC 7638 thumbprint)
 *        token!<jti>          join tokens issued here or used here
 *        ratchet!<id>         ratchet state: counter, head, last accepted step and its reply
 *        revocation!<id>      revocations with their evidence (permanent)
 *        event!<seq>          the durable alert event log (seq: 16 decimal digits)
 *        outbox!<w>!<seq>     alert events not yet delivered to webhook w (index in alerts.webhooks)
 *        dead!<w>!<seq>       dead letters: events webhook w refused past the alerts.deadLetter bound
 *        audit!<id>!<counter> the audit log: one entry per accepted step (counter: 16 decimal digits),
 *                             written in the step's own sync batch (oracle/audit.ts prunes it)
 */
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import { MpcidError } from '../common/errors.js';
import type { RequiredClaims } from '../common/jwt.js';
import type { OperatorRevocationJSON } from '../common/operator-revocation.js';
import type { CommitJSON, EvidenceJSON, StepJSON } from '../common/protocol.js';
import { kekCheckValue, openAtRest, sealAtRest } from '../crypto/atrest.js';
import { equalBytes, framed, fromB64u, toB64u, utf8Bytes } from '../crypto/bytes.js';
import { HASH_DOMAINS } from '../crypto/domains.js';
import type { Secret } from '../crypto/secret.js';

/**
 * 1: identity secrets in clear. 2: identity secrets sealed under the KEK, KEK check value in
 * meta. A schema-1 store is migrated (one way) the first time it is opened with a KEK.
 */
export const STORE_SCHEMA = 2;

export interface MetaRecord {
  schema: number;
  clusterId: string;
  nodeId: number;
  nodePublicKey: string;
  /** HKDF check value of the KEK (base64url); schema 2 and later. */
  kekCheck?: string;
}

export interface IdentityRecord {
  identityId: string;
  name: string;
  alg: 'EdDSA';
  /** Group public key, base64url. */
  publicKey: string;
  n: number;
  t: number;
  /** This node's participant index (= node id). */
  participant: number;
  /** SECRET: this node's signing share, base64url. */
  signingShare: string;
  commitments: string[];
  verifyingShares: string[];
  sessionPublicKey: string;
  tokenId: string;
  round1Digest: string;
  enrolledAt: number;
  status: 'active';
  /** Claims the join token bound to the identity: its tokens and quotes must carry them. */
  requiredClaims?: RequiredClaims;
  /**
   * The identity's ES256 key (threshold ECDSA, DKLs23), once ES256 setup has finished: its public
   * part here, this node's secrets in `ecdsaSecrets`. Both or neither.
   */
  ecdsa?: EcdsaRecord;
  /** SECRET: this node's ES256 share and DKLs23 pair states (with `ecdsa`). */
  ecdsaSecrets?: EcdsaSecrets;
}

/** The public part of an identity's ES256 key on one oracle. */
export interface EcdsaRecord {
  curve: 'P-256';
  /** Compressed SEC 1 public key, base64url. */
  publicKey: string;
  /** RFC 7638 thumbprint of the EC JWK: the JWS kid of ES256 tokens. */
  kid: string;
  /** The P-256 DKG's VSS commitments and every participant's public verifying share. */
  commitments: string[];
  verifyingShares: string[];
  setupDigest: string;
}

/** This node's ES256 secrets: sealed under the KEK with the identity's other secrets. */
export interface EcdsaSecrets {
  /** This node's P-256 Shamir share, base64url. */
  signingShare: string;
  /** Per other party (agent = 0): the channel key and the DKLs23 OT-extension pair state. */
  pairs: { party: number; channelKey: string; state: string }[];
}

/**
 * One key of the federation issuer (docs/protocol.md §10) as this oracle keeps it: public part in
 * clear, `secrets` (an EcdsaSecrets JSON: this node's share, pair states, channel keys) sealed
 * under the KEK on disk.
 */
export interface IssuerKeyRecord {
  generation: number;
  kid: string;
  /** SEC 1 uncompressed P-256 point, base64url. */
  publicKey: string;
  commitments: string[];
  verifyingShares: string[];
  createdAt: number;
  secrets: EcdsaSecrets;
}

/**
 * Every field of IdentityRecord, classified. 'secret' fields are sealed under the KEK before they
 * are written; the compiler insists that a new field of IdentityRecord is classified here.
 */
export const IDENTITY_FIELDS = {
  identityId: 'public',
  name: 'public',
  alg: 'public',
  publicKey: 'public',
  n: 'public',
  t: 'public',
  participant: 'public',
  signingShare: 'secret',
  commitments: 'public',
  verifyingShares: 'public',
  sessionPublicKey: 'public',
  tokenId: 'public',
  round1Digest: 'public',
  enrolledAt: 'public',
  status: 'public',
  requiredClaims: 'public',
  ecdsa: 'public',
  ecdsaSecrets: 'secret',
} as const satisfies Record<keyof IdentityRecord, 'public' | 'secret'>;

/**
 * Fields a record may lack (an identity whose ES256 setup has not finished). Each optional secret
 * field is present exactly when its public companion is, so which secrets are sealed (and the
 * AAD that names them) follows from the record's public part.
 */
const OPTIONAL_SECRETS = { ecdsaSecrets: 'ecdsa' } as const satisfies Partial<
  Record<keyof IdentityRecord, keyof IdentityRecord>
>;
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set([
  'requiredClaims',
  ...Object.keys(OPTIONAL_SECRETS),
  ...Object.values(OPTIONAL_SECRETS),
]);

type Fields = typeof IDENTITY_FIELDS;
export type IdentitySecretField = {
  [K in keyof Fields]: Fields[K] extends 'secret' ? K : never;
}[keyof Fields];
/** An identity without its secrets: what listings and relying-party lookups need. */
export type IdentityPublic = Omit<IdentityRecord, IdentitySecretField>;
/** An identity as stored: public fields and the sealed secrets. */
type StoredIdentity = IdentityPublic & { sealed: string };

export const IDENTITY_SECRET_FIELDS = (Object.keys(IDENTITY_FIELDS) as (keyof Fields)[]).filter(
  (k): k is IdentitySecretField => IDENTITY_FIELDS[k] === 'secret',
);

/** The secret fields sealed in a record with this public part (optional ones only with their companion). */
function sealedFields(pub: Partial<Record<string, unknown>>): IdentitySecretField[] {
  return IDENTITY_SECRET_FIELDS.filter((k) => {
    const companion = (OPTIONAL_SECRETS as Partial<Record<string, string>>)[k];
    return companion === undefined || pub[companion] !== undefined;
  });
}

export interface TokenRecord {
  tokenId: string;
  name: string;
  issuedBy: number;
  expiresAt: number;
  state: 'issued' | 'used';
  identityId?: string;
  usedAt?: number;
}

/** A sealed DKLs23 message (ciphertext only: safe to store). */
export interface EnvelopeJSON {
  from: number;
  to: number;
  round: number;
  sealed: string;
  /** The sender's node-key signature, on messages from one oracle to another. */
  signature?: string;
}

export interface RatchetRecord {
  identityId: string;
  counter: number;
  /** h_c, base64url. */
  head: string;
  /** The last accepted step L, the network peer that sent it, and the reply (replayed on retry). */
  last?: {
    step: StepJSON;
    peer: string;
    reply: { commit: CommitJSON; signatureShare?: string; refusal?: string; envelopes?: EnvelopeJSON[] };
  };
}

/** What a revocation rests on: fork or abort evidence, or an operator's signed revocation (kill switch). */
export type RevocationEvidenceJSON = EvidenceJSON | OperatorRevocationJSON;

export interface RevocationRecord {
  identityId: string;
  name: string;
  evidence: RevocationEvidenceJSON;
  /** Evidence digest, base64url: the alert id. */
  digest: string;
  reason: string;
  /** The node that detected it (0: unknown, the claim did not verify). */
  detectedBy: number;
  detectedAt: number;
  peers: string[];
  counter: number;
  /** When this node applied it. */
  appliedAt: number;
  /**
   * 'local': this node found it itself; 'peer': received from a peer (docs/protocol.md §7).
   * Absent in records stored before the field existed: local iff detectedBy is this node.
   */
  origin?: 'local' | 'peer';
  /**
   * What detectedBy, detectedAt and peers are worth: 'observed' (this node's own observation),
   * 'claimed' (the detecting node's word, signed with its node key: attributable, not proof), or
   * 'unverified' (no valid signed report: detectedBy 0, peers empty, detectedAt = appliedAt).
   */
  forensics?: Forensics;
  /** The detecting node's node-key signature over the report (reportFields), base64url. */
  reportSignature?: string;
  /** origin 'peer': where it came from ("node 2" when pulled, the caller's address when pushed). */
  receivedFrom?: string;
  /** forensics 'unverified': what the sender claimed, kept for the record only (never alerted). */
  unverifiedClaim?: { detectedBy: number; detectedAt: number; peers: string[] };
  /**
   * 'suspended': `evidence` is an oracle's accusation (an ES256 abort claim signed by an oracle)
   * not yet corroborated; the identity signs nothing, but is not revoked (docs/ecdsa.md §5).
   * Absent: revoked.
   */
  status?: 'revoked' | 'suspended';
  /** Oracle accusations besides `evidence`, by other accusers (what corroborates, or will). */
  accusations?: EvidenceJSON[];
}

export type Forensics = 'observed' | 'claimed' | 'unverified';

/** One alert (docs/protocol.md §7); `id` is the evidence digest, the receivers' dedupe key. */
export interface AlertEvent {
  id: string;
  /**
   * A second history of the identity (fork evidence), an aborted threshold-ECDSA session (the
   * agent's own claim, or corroborated accusations), or one oracle's accusation (suspended).
   */
  type: 'identity.clone_detected' | 'identity.ecdsa_aborted' | 'identity.suspended' | 'identity.revoked';
  identityId: string;
  name: string;
  kids: string[];
  counter: number;
  reason: string;
  peers: string[];
  /**
   * Fork alerts: the two histories, from the evidence's two steps: the one the detecting node had
   * accepted (`accepted`) and the one that contradicts it (`conflicting`), each with the network
   * peer that sent its step. `exposing` marks an exposing step (docs/protocol.md §5): its sender
   * holds the copy that was behind the cluster. Absent for ES256 aborts.
   */
  histories?: AlertHistory[];
  /** 0 when `forensics` is 'unverified'. */
  detectingNode: number;
  reportingNode: number;
  time: string;
  /** How far detectingNode, peers and time are known (RevocationRecord.forensics); absent in old events. */
  forensics?: Forensics;
  /** identity.revoked: the operator who signed the revocation (its certificate's CN) and when. */
  operator?: { name: string; issuedAt: string };
}

/** One side of a fork, as an alert describes it. */
export interface AlertHistory {
  role: 'accepted' | 'conflicting';
  peer: string;
  counter: number;
  kind: string;
  /** The step's time as the agent stamped it (ISO 8601), or null for an exposing step. */
  time: string | null;
  exposing: boolean;
  /**
   * The last step of this history in the reporting node's audit log (oracle/audit.ts): for the
   * accepted history the entry of its step, for the conflicting one the audited step it branches
   * off from (whose head is its prevHead). Absent if the log holds neither.
   */
  lastAudited?: AuditEntry;
}

/** One accepted ratchet step in the audit log (docs/protocol.md §5). */
export interface AuditEntry {
  identityId: string;
  counter: number;
  kind: string;
  /** Unix ms: when this node accepted the step. */
  time: number;
  /** "cert:<SHA-256 fingerprint>" under mTLS, else the network address. */
  client: string;
  /** The head after the step (base64url): links a conflicting step to the audited step it follows. */
  head: string;
  /** Tokens: the token's jti, aud, exp and typ (as the signing input has them). */
  jti?: string;
  aud?: string | string[];
  exp?: number;
  typ?: string;
  /** Unseal steps: the blob id (base64url). */
  blobId?: string;
  /** The code this node refused to co-sign with (the step still counted). */
  refusal?: string;
}

export interface StoredEvent {
  seq: number;
  event: AlertEvent;
}

/** An alert event waiting to be delivered to one webhook. */
export interface OutboxEntry {
  seq: number;
  event: AlertEvent;
  /** When the entry was written (ms); absent in entries written before the field existed. */
  queuedAt?: number;
}

/** An event one webhook refused past the dead-letter bound (kept; `mpcid alerts dead` lists it). */
export interface DeadLetter {
  webhook: number;
  seq: number;
  event: AlertEvent;
  /** Refused attempts since the oracle started (attempt counts are not persisted). */
  attempts: number;
  queuedAt: number;
  deadAt: number;
  /** Which bound it passed. */
  bound: 'attempts' | 'age';
  /** The last refusal: an HTTP status or a connection error code (never a response body). */
  lastError: string;
}

const SYNC = { sync: true } as const;
/** Values are JSON-encoded when queued (encodeValue) and written as that text. */
const ENCODED_SYNC = { sync: true, valueEncoding: 'utf8' } as const;
/** Callers' writes in one sync batch at most (a bound on one batch's size and latency). */
const MAX_GROUP_WRITES = 1024;
/** A write of one key: a value to put, or DELETE. */
const DELETE: unique symbol = Symbol('delete');
type WriteOp = readonly [key: string, value: unknown];
type EncodedOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };
interface QueuedWrite {
  ops: EncodedOp[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** The JSON text stored for `value` (what the db's 'json' value encoding reads back). */
function encodeValue(key: string, value: unknown): string {
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw new MpcidError('INTERNAL', `store: ${key}: value has no JSON form`);
  return text;
}
const pad = (seq: number) => String(seq).padStart(16, '0');
const seqKey = (seq: number) => `event!${pad(seq)}`;
const outboxPrefix = (webhook: number) => `outbox!${webhook}!`;
/** Key of the outbox entry of event `seq` for webhook `webhook` (written with commitRevocation's `extra`). */
export const outboxKey = (webhook: number, seq: number) => `${outboxPrefix(webhook)}${pad(seq)}`;
const deadKey = (webhook: number, seq: number) => `dead!${webhook}!${pad(seq)}`;
const auditKey = (identityId: string, counter: number) => `audit!${identityId}!${pad(counter)}`;

/** What opening the store did to an older schema (logged by the node). */
export interface Migration {
  from: number;
  to: number;
  identitiesSealed: number;
}

export class OracleStore {
  readonly #db: Level<string, unknown>;
  readonly #kek: Secret;
  readonly #meta: Omit<MetaRecord, 'schema' | 'kekCheck'>;
  /** HKDF salt of the at-rest keys: they belong to this node of this cluster. */
  readonly #context: Uint8Array;
  /** Set when open() migrated an older store. */
  migration: Migration | undefined;
  #writeFailure: string | undefined;
  #onWriteFailure: ((err: unknown) => void) | undefined;
  /** Writes waiting for the next sync batch (group commit, see #write), in call order. */
  readonly #queue: QueuedWrite[] = [];
  /** The running flush of #queue, if any. */
  #flushing: Promise<void> | undefined;
  #syncBatches = 0;
  #syncedWrites = 0;

  private constructor(
    db: Level<string, unknown>,
    kek: Secret,
    meta: Omit<MetaRecord, 'schema' | 'kekCheck'>,
  ) {
    this.#db = db;
    this.#kek = kek;
    this.#meta = meta;
    this.#context = framed(HASH_DOMAINS.oracleStore, meta.clusterId, meta.nodeId);
  }

  /**
   * Opens (creating if needed) the store, checks it belongs to this node of this cluster and that
   * `kek` is the key its secrets are sealed with (KEK_MISMATCH otherwise). A schema-1 store is
   * migrated: its identities' secrets are sealed in one sync batch, and old values compacted away.
   */
  static async open(
    dir: string,
    meta: Omit<MetaRecord, 'schema' | 'kekCheck'>,
    kek: Secret,
  ): Promise<OracleStore> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (e) {
      throw new MpcidError('CONFIG_INVALID', `cannot open data dir ${dir}: ${(e as Error).message}`);
    }
    const store = new OracleStore(db, kek, meta);
    try {
      await store.#checkMeta(dir);
    } catch (e) {
      await db.close();
      throw e;
    }
    return store;
  }

  async #checkMeta(dir: string): Promise<void> {
    const meta = this.#meta;
    const check = toB64u(kekCheckValue(this.#kek, this.#context));
    const existing = (await this.#db.get('meta')) as MetaRecord | undefined;
    if (!existing) {
      await this.#db.put('meta', { schema: STORE_SCHEMA, ...meta, kekCheck: check }, SYNC);
      return;
    }
    if (
      (existing.schema !== 1 && existing.schema !== STORE_SCHEMA) ||
      existing.clusterId !== meta.clusterId ||
      existing.nodeId !== meta.nodeId ||
      existing.nodePublicKey !== meta.nodePublicKey
    ) {
      throw new MpcidError(
        'CONFIG_INVALID',
        `data dir ${dir} belongs to node ${existing.nodeId} of cluster ${existing.clusterId} (schema ${existing.schema}), not this node`,
      );
    }
    if (existing.schema === STORE_SCHEMA) {
      if (
        typeof existing.kekCheck !== 'string' ||
        !equalBytes(fromB64u(existing.kekCheck, 'kekCheck'), fromB64u(check, 'kekCheck'))
      ) {
        throw new MpcidError(
          'KEK_MISMATCH',
          `the key-encryption key is not the one the secrets in ${dir} are sealed with`,
        );
      }
      return;
    }
    // Schema 1: seal every identity's secrets and record the KEK, in one sync batch.
    let batch = this.#db.batch();
    let sealed = 0;
    for await (const [k, v] of this.#db.iterator({ gte: 'identity!', lt: 'identity!\xff' })) {
      const rec = v as IdentityRecord;
      batch = batch.put(k, this.#seal(rec, k.slice('identity!'.length)));
      sealed++;
    }
    await batch.put('meta', { ...existing, schema: STORE_SCHEMA, kekCheck: check }).write(SYNC);
    // The clear values are now superseded; compaction drops them from the table files and logs.
    // (`level` resolves to classic-level on Node, which has compactRange; its types do not say so.)
    const compactable = this.#db as unknown as { compactRange?: (a: string, b: string) => Promise<void> };
    await compactable.compactRange?.('identity!', 'identity!\xff').catch(() => undefined);
    this.migration = { from: existing.schema, to: STORE_SCHEMA, identitiesSealed: sealed };
  }

  /** Additional data of an identity's sealed secrets: where they belong and what they are. */
  #aad(identityId: string, fields: readonly string[]): Uint8Array {
    return framed(
      HASH_DOMAINS.oracleStoreIdentitySecrets,
      STORE_SCHEMA,
      this.#meta.clusterId,
      this.#meta.nodeId,
      identityId,
      fields.join(','),
    );
  }

  /** The stored form of an identity: secret fields replaced by one sealed blob. */
  #seal(rec: IdentityRecord, identityId: string): StoredIdentity {
    const out: Record<string, unknown> = {};
    const secrets: Record<string, unknown> = {};
    for (const [k, cls] of Object.entries(IDENTITY_FIELDS)) {
      const v = (rec as unknown as Record<string, unknown>)[k];
      if (v === undefined) {
        if (OPTIONAL_FIELDS.has(k)) continue;
        throw new MpcidError('INTERNAL', `identity record without ${k}`);
      }
      if (cls === 'secret') secrets[k] = v;
      else out[k] = v;
    }
    const fields = sealedFields(out);
    if (Object.keys(secrets).length !== fields.length || !fields.every((k) => k in secrets))
      throw new MpcidError('INTERNAL', 'identity record: optional secret fields without their public part');
    const plain = utf8Bytes(JSON.stringify(secrets));
    try {
      out['sealed'] = toB64u(sealAtRest(this.#kek, this.#context, this.#aad(identityId, fields), plain));
    } finally {
      plain.fill(0);
    }
    return out as StoredIdentity;
  }

  /** Opens a stored identity; STATE_CORRUPT if it is not exactly a sealed record of `identityId`. */
  #open(raw: unknown, identityId: string): IdentityRecord {
    const what = `stored identity ${identityId}`;
    const stored = this.#public(raw, identityId);
    if (IDENTITY_SECRET_FIELDS.some((k) => k in (raw as object)))
      throw new MpcidError('STATE_CORRUPT', `${what}: a secret field is stored in clear`);
    const sealed = (raw as { sealed?: unknown }).sealed;
    if (typeof sealed !== 'string' || !/^[A-Za-z0-9_-]+$/.test(sealed))
      throw new MpcidError('STATE_CORRUPT', `${what}: no sealed secrets`);
    const fields = sealedFields(stored);
    const plain = openAtRest(
      this.#kek,
      this.#context,
      this.#aad(identityId, fields),
      fromB64u(sealed, 'sealed'),
      what,
    );
    let secrets: Record<string, unknown>;
    try {
      secrets = JSON.parse(Buffer.from(plain.expose()).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new MpcidError('STATE_CORRUPT', `${what}: sealed secrets are not a valid record`);
    } finally {
      plain.wipe();
    }
    const keys = Object.keys(secrets ?? {});
    if (
      keys.length !== fields.length ||
      !fields.every(
        (k) =>
          typeof secrets[k] === 'string' ||
          Array.isArray(secrets[k]) ||
          (typeof secrets[k] === 'object' && secrets[k] !== null),
      )
    )
      throw new MpcidError('STATE_CORRUPT', `${what}: sealed secrets do not hold the expected fields`);
    return { ...stored, ...secrets } as IdentityRecord;
  }

  /**
   * The public part of a stored identity (STATE_CORRUPT if it is not a record of this id). Secret
   * fields are never part of it, even if a damaged record holds one in clear.
   */
  #public(raw: unknown, identityId: string): IdentityPublic {
    const r = raw as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || r['identityId'] !== identityId)
      throw new MpcidError(
        'STATE_CORRUPT',
        `stored identity ${identityId}: not an identity record of this id`,
      );
    const pub: Record<string, unknown> = {};
    for (const [k, cls] of Object.entries(IDENTITY_FIELDS)) if (cls === 'public' && k in r) pub[k] = r[k];
    return pub as unknown as IdentityPublic;
  }

  /** An identity with its secrets (opened with the KEK); STATE_CORRUPT if they do not open. */
  async getIdentity(identityId: string): Promise<IdentityRecord | undefined> {
    const raw = await this.#db.get(`identity!${identityId}`);
    return raw === undefined ? undefined : this.#open(raw, identityId);
  }

  /** An identity's public fields only (nothing is decrypted). */
  async getIdentityPublic(identityId: string): Promise<IdentityPublic | undefined> {
    const raw = await this.#db.get(`identity!${identityId}`);
    return raw === undefined ? undefined : this.#public(raw, identityId);
  }

  /** Values under `prefix!` in key order, starting after key `prefix!after` (from the start if empty). */
  async #page<T>(prefix: string, after: string, limit: number): Promise<T[]> {
    const out: T[] = [];
    const lower = after ? { gt: `${prefix}!${after}` } : { gte: `${prefix}!` };
    for await (const v of this.#db.values({ ...lower, lt: `${prefix}!\xff`, limit })) out.push(v as T);
    return out;
  }

  /** Identities' public fields in id order, starting after `after` (nothing is decrypted). */
  async listIdentities(after: string, limit: number): Promise<IdentityPublic[]> {
    const page = await this.#page<IdentityPublic>('identity', after, limit);
    return page.map((r) => this.#public(r, r.identityId));
  }

  /**
   * Replaces an identity record (sync write, secrets sealed), e.g. to add its ES256 key material;
   * its ES256 key id is indexed in the same batch.
   */
  async putIdentity(rec: IdentityRecord): Promise<void> {
    const ops: WriteOp[] = [[`identity!${rec.identityId}`, this.#seal(rec, rec.identityId)]];
    if (rec.ecdsa) ops.push([`kid!${rec.ecdsa.kid}`, rec.identityId]);
    await this.#write(ops);
  }

  /** The identity a key id names: an identity id itself, or the kid of an identity's ES256 key. */
  async identityIdOfKid(kid: string): Promise<string | undefined> {
    if ((await this.#db.get(`identity!${kid}`)) !== undefined) return kid;
    const id = await this.#db.get(`kid!${kid}`);
    return typeof id === 'string' ? id : undefined;
  }

  async getToken(tokenId: string): Promise<TokenRecord | undefined> {
    return (await this.#db.get(`token!${tokenId}`)) as TokenRecord | undefined;
  }

  async putToken(rec: TokenRecord): Promise<void> {
    await this.#write([[`token!${rec.tokenId}`, rec]]);
  }

  /** Atomically stores a new identity and marks its join token used. */
  async commitEnrollment(identity: IdentityRecord, token: TokenRecord): Promise<void> {
    await this.#write([
      [`identity!${identity.identityId}`, this.#seal(identity, identity.identityId)],
      [`token!${token.tokenId}`, token],
    ]);
  }

  async getRatchet(identityId: string): Promise<RatchetRecord | undefined> {
    return (await this.#db.get(`ratchet!${identityId}`)) as RatchetRecord | undefined;
  }

  /** Stores the ratchet state; `audit`, the accepted step's audit entry, in the same sync batch. */
  async putRatchet(rec: RatchetRecord, audit?: AuditEntry): Promise<void> {
    await this.#write([
      [`ratchet!${rec.identityId}`, rec],
      ...(audit ? [[auditKey(audit.identityId, audit.counter), audit] as const] : []),
    ]);
  }

  /** The audit entry of an identity's step at `counter`, if this node holds it. */
  async getAudit(identityId: string, counter: number): Promise<AuditEntry | undefined> {
    return (await this.#db.get(auditKey(identityId, counter))) as AuditEntry | undefined;
  }

  /** An identity's audit entries in counter order, after counter `after` (-1: from the start). */
  async listAudit(identityId: string, after: number, limit: number): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    const lower = after < 0 ? { gte: `audit!${identityId}!` } : { gt: auditKey(identityId, after) };
    for await (const v of this.#db.values({ ...lower, lt: `audit!${identityId}!\xff`, limit }))
      out.push(v as AuditEntry);
    return out;
  }

  /**
   * Retention: deletes audit entries older than `before` (Unix ms) and, per identity, all but the
   * newest `maxPerIdentity`. One scan of the log; deletes go through the group-commit write path
   * in chunks. Returns how many were deleted.
   */
  async pruneAudit(before: number, maxPerIdentity: number): Promise<number> {
    let deleted = 0;
    let chunk: WriteOp[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      const ops = chunk;
      chunk = [];
      await this.#write(ops);
      deleted += ops.length;
    };
    let identity = '';
    let keys: { key: string; time: number }[] = [];
    const endIdentity = async () => {
      const excess = keys.length - maxPerIdentity;
      keys.forEach((k, i) => {
        if (i < excess || k.time < before) chunk.push([k.key, DELETE]);
      });
      keys = [];
      if (chunk.length >= 512) await flush();
    };
    for await (const [k, v] of this.#db.iterator({ gte: 'audit!', lt: 'audit!\xff' })) {
      const id = k.slice('audit!'.length, k.lastIndexOf('!'));
      if (id !== identity) {
        await endIdentity();
        identity = id;
      }
      keys.push({ key: k, time: (v as AuditEntry).time });
    }
    await endIdentity();
    await flush();
    return deleted;
  }

  async getRevocation(identityId: string): Promise<RevocationRecord | undefined> {
    return (await this.#db.get(`revocation!${identityId}`)) as RevocationRecord | undefined;
  }

  /** Revocations in identity-id order, starting after `after`. */
  listRevocations(after: string, limit: number): Promise<RevocationRecord[]> {
    return this.#page('revocation', after, limit);
  }

  /** The highest event sequence number in the log (0 if empty). */
  async lastEventSeq(): Promise<number> {
    for await (const k of this.#db.keys({ gte: 'event!', lt: 'event!\xff', reverse: true, limit: 1 })) {
      return Number(k.slice('event!'.length));
    }
    return 0;
  }

  /** Events with seq > after, in order. */
  async eventsAfter(after: number, limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for await (const [k, v] of this.#db.iterator({ gt: seqKey(after), lt: 'event!\xff', limit })) {
      out.push({ seq: Number(k.slice('event!'.length)), event: v as AlertEvent });
    }
    return out;
  }

  /**
   * Atomically records a revocation and its alert event (one sync batch), so an alert is never
   * lost for a revocation this node holds, nor emitted for one it does not.
   */
  async commitRevocation(
    rec: RevocationRecord,
    event: AlertEvent,
    seq: number,
    extra: [string, unknown][] = [],
  ): Promise<void> {
    await this.#write([[`revocation!${rec.identityId}`, rec], [seqKey(seq), event], ...extra]);
  }

  /** Rewrites a revocation this node already holds and alerted on (sync write, no new event). */
  async putRevocation(rec: RevocationRecord): Promise<void> {
    await this.#write([[`revocation!${rec.identityId}`, rec]]);
  }

  /** The oldest `limit` undelivered events of one webhook, in seq order. */
  async outbox(webhook: number, limit: number): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    const p = outboxPrefix(webhook);
    for await (const v of this.#db.values({ gte: p, lt: `${p}\xff`, limit })) out.push(v as OutboxEntry);
    return out;
  }

  /** Webhook indexes that have undelivered events (to find entries of webhooks no longer configured). */
  outboxWebhooks(): Promise<Map<number, number>> {
    return this.#countByWebhook('outbox');
  }

  /** Keys `<space>!<w>!<seq>` counted per webhook index w (a key-only scan). */
  async #countByWebhook(space: 'outbox' | 'dead'): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for await (const k of this.#db.keys({ gte: `${space}!`, lt: `${space}!\xff` })) {
      const w = Number(k.split('!')[1]);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    return counts;
  }

  /** Removes a delivered entry (sync: a delivered alert is not sent again after a restart). */
  async deleteOutbox(webhook: number, seq: number): Promise<void> {
    await this.#write([[outboxKey(webhook, seq), DELETE]]);
  }

  /** Moves an outbox entry to the dead-letter list (one sync batch: it is never in both, nor lost). */
  async deadLetter(d: DeadLetter): Promise<void> {
    await this.#write([
      [outboxKey(d.webhook, d.seq), DELETE],
      [deadKey(d.webhook, d.seq), d],
    ]);
  }

  /** Dead letters of every webhook, by webhook then seq. */
  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (const v of this.#db.values({ gte: 'dead!', lt: 'dead!\xff', limit }))
      out.push(v as DeadLetter);
    return out;
  }

  /** Dead letters per webhook index (a key-only scan, for /metrics and the console). */
  deadLetterCounts(): Promise<Map<number, number>> {
    return this.#countByWebhook('dead');
  }

  /**
   * Commits one caller's writes (an atomic unit: all or none) with group commit: every write
   * queued while the previous sync batch ran goes into the next one, so concurrent steps of
   * different identities share one fsync instead of queueing for one each. The promise resolves
   * only once the batch holding the caller's writes is durable (a sync LevelDB batch). Writes are
   * applied in the order the calls were made (a later write of a key wins), so one identity's
   * writes keep their order. Values are encoded when queued: a value that cannot be encoded fails
   * that caller alone.
   *
   * Fail-stop: after any write error (a full disk, an I/O error) this store refuses every later
   * write with NOT_READY until the process restarts; every caller whose writes were in the failed
   * batch gets the error, and writes queued behind it NOT_READY. LevelDB may have left a torn
   * record in its log; writes acknowledged after it could be dropped when the log is replayed, so
   * a commit this node signed afterwards could be lost (found by `npm run trials`: 50-65 signed
   * counters lost after an ENOSPC episode and a SIGKILL). A restart replays the log up to the last
   * intact record, which holds every write that was acknowledged.
   */
  #write(ops: readonly WriteOp[]): Promise<void> {
    if (this.#writeFailure) return Promise.reject(this.#writeRefusal());
    let encoded: EncodedOp[];
    try {
      encoded = ops.map(
        ([key, value]): EncodedOp =>
          value === DELETE ? { type: 'del', key } : { type: 'put', key, value: encodeValue(key, value) },
      );
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops: encoded, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /**
   * Writes the queue out, one sync batch per group (see #write), until it is empty. Starts on a
   * microtask, so writes queued in the same tick go into the same batch; clears #flushing in the
   * same microtask that finds the queue empty, so a write queued later starts a new flush.
   */
  async #flush(): Promise<void> {
    await Promise.resolve();
    for (;;) {
      if (this.#queue.length === 0) {
        // Cleared here, in the microtask that found the queue empty (no await in between).
        this.#flushing = undefined;
        return;
      }
      const group = this.#queue.splice(0, MAX_GROUP_WRITES);
      if (this.#writeFailure) {
        for (const w of group) w.reject(this.#writeRefusal());
        continue;
      }
      try {
        await this.#db.batch(
          group.flatMap((w) => w.ops),
          ENCODED_SYNC,
        );
      } catch (e) {
        if (this.#db.status === 'open' && !this.#writeFailure) {
          this.#writeFailure = (e as { code?: string }).code ?? 'WRITE_FAILED';
          try {
            this.#onWriteFailure?.(e);
          } catch {
            // the handler only reports; the callers below still get the error
          }
        }
        for (const w of group) w.reject(e);
        continue;
      }
      this.#syncBatches++;
      this.#syncedWrites += group.length;
      for (const w of group) w.resolve();
    }
  }

  /**
   * Sync batches written and the callers' writes they held since the store opened: their ratio is
   * the mean group size (1 when writes never overlap).
   */
  get writeStats(): { syncBatches: number; writes: number } {
    return { syncBatches: this.#syncBatches, writes: this.#syncedWrites };
  }

  #writeRefusal(): MpcidError {
    return new MpcidError(
      'NOT_READY',
      `this oracle's store refused writes after a write failed (${this.#writeFailure}); restart the oracle`,
    );
  }

  /** Set once a write failed: the store takes no more writes (see #write). */
  get writeFailure(): string | undefined {
    return this.#writeFailure;
  }

  /** Called once, with the error, when the first write fails. */
  set onWriteFailure(fn: ((err: unknown) => void) | undefined) {
    this.#onWriteFailure = fn;
  }

  /** Whether the database is open (false once closing). */
  get isOpen(): boolean {
    return this.#db.status === 'open';
  }

  /** Number of enrolled identities (a key-only scan). */
  async countIdentities(): Promise<number> {
    let n = 0;
    for await (const _ of this.#db.keys({ gte: 'identity!', lt: 'identity!\xff' })) n++;
    return n;
  }

  /** Additional data of an issuer key's sealed secrets. */
  #issuerAad(kid: string): Uint8Array {
    return framed(
      HASH_DOMAINS.oracleStoreIssuerSecrets,
      STORE_SCHEMA,
      this.#meta.clusterId,
      this.#meta.nodeId,
      kid,
    );
  }

  /** The federation issuer's key set, oldest first (empty before the first rotation). */
  async getIssuerKeys(): Promise<IssuerKeyRecord[]> {
    const raw = (await this.#db.get('issuer!keys')) as { keys?: unknown } | undefined;
    if (!raw) return [];
    if (!Array.isArray(raw.keys)) throw new MpcidError('STATE_CORRUPT', 'stored issuer keys: not a key list');
    return raw.keys.map((k: Record<string, unknown>) => {
      const { sealed, ...pub } = k;
      if (typeof sealed !== 'string' || typeof pub['kid'] !== 'string')
        throw new MpcidError('STATE_CORRUPT', 'stored issuer key: no sealed secrets');
      const plain = openAtRest(
        this.#kek,
        this.#context,
        this.#issuerAad(pub['kid']),
        fromB64u(sealed, 'sealed'),
        'stored issuer key',
      );
      try {
        const secrets = JSON.parse(Buffer.from(plain.expose()).toString('utf8')) as EcdsaSecrets;
        return { ...(pub as Omit<IssuerKeyRecord, 'secrets'>), secrets };
      } catch {
        throw new MpcidError('STATE_CORRUPT', 'stored issuer key: sealed secrets are not a valid record');
      } finally {
        plain.wipe();
      }
    });
  }

  /** Replaces the issuer key set (one sync write); each key's secrets are sealed under the KEK. */
  async putIssuerKeys(keys: readonly IssuerKeyRecord[]): Promise<void> {
    const stored = keys.map(({ secrets, ...pub }) => {
      const plain = utf8Bytes(JSON.stringify(secrets));
      try {
        return {
          ...pub,
          sealed: toB64u(sealAtRest(this.#kek, this.#context, this.#issuerAad(pub.kid), plain)),
        };
      } finally {
        plain.fill(0);
      }
    });
    await this.#write([['issuer!keys', { keys: stored }]]);
  }

  /** Closes the database once every queued write has been written (or refused). */
  async close(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    await this.#db.close();
  }
}
