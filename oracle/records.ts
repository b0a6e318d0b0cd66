/**
 * The shapes of the oracle store's records (oracle/store.ts holds the LevelDB they live in and
 * its key schema): identities (with which fields are secret and sealed under the KEK), join
 * tokens, ratchet state, revocations, alert events, outbox entries, dead letters, audit entries
 * and issuer keys. Values are JSON; byte fields are base64url.
 */
import type { RequiredClaims } from '../common/jwt.js';
import type { OperatorRevocationJSON } from '../common/operator-revocation.js';
import type { CommitJSON, EvidenceJSON, StepJSON } from '../common/protocol.js';
import type { RequiredRegisters } from '../common/registers.js';

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
  /** Register values the join token bound: its tokens, quotes and unseals require them. */
  requiredRegisters?: RequiredRegisters;
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
  /**
   * What makes the key self-certifying (docs/protocol.md §10): its setup and every oracle's
   * node-signed confirmation. A pending key (round 7, not committed yet) has no confirmations;
   * a committed one has all n. Absent on keys committed before proofs were kept.
   */
  proof?: IssuerKeyProof;
}

/** A key's setup (its context is issuerSetupContext(cluster, setupId, coordinator)) and confirmations. */
export interface IssuerKeyProof {
  /** The setup id, base64url (16 bytes). */
  setupId: string;
  coordinator: number;
  /** The DKG round-1 digest every oracle confirmed, base64url. */
  round1Digest: string;
  /** Each oracle's node-key signature over (context, node id, public key, round-1 digest), base64url. */
  confirmations: { nodeId: number; signature: string }[];
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
  requiredRegisters: 'public',
  ecdsa: 'public',
  ecdsaSecrets: 'secret',
} as const satisfies Record<keyof IdentityRecord, 'public' | 'secret'>;

/**
 * Fields a record may lack (an identity whose ES256 setup has not finished). Each optional secret
 * field is present exactly when its public companion is, so which secrets are sealed (and the
 * AAD that names them) follows from the record's public part.
 */
export const OPTIONAL_SECRETS = { ecdsaSecrets: 'ecdsa' } as const satisfies Partial<
  Record<keyof IdentityRecord, keyof IdentityRecord>
>;
export const OPTIONAL_FIELDS: ReadonlySet<string> = new Set([
  'requiredClaims',
  'requiredRegisters',
  ...Object.keys(OPTIONAL_SECRETS),
  ...Object.values(OPTIONAL_SECRETS),
]);

export type Fields = typeof IDENTITY_FIELDS;
export type IdentitySecretField = {
  [K in keyof Fields]: Fields[K] extends 'secret' ? K : never;
}[keyof Fields];
/** An identity without its secrets: what listings and relying-party lookups need. */
export type IdentityPublic = Omit<IdentityRecord, IdentitySecretField>;
/** An identity as stored: public fields and the sealed secrets. */
export type StoredIdentity = IdentityPublic & { sealed: string };

export const IDENTITY_SECRET_FIELDS = (Object.keys(IDENTITY_FIELDS) as (keyof Fields)[]).filter(
  (k): k is IdentitySecretField => IDENTITY_FIELDS[k] === 'secret',
);

/** The secret fields sealed in a record with this public part (optional ones only with their companion). */
export function sealedFields(pub: Partial<Record<string, unknown>>): IdentitySecretField[] {
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
    reply: {
      commit: CommitJSON;
      signatureShare?: string;
      /** A policy refusal's message, and its code (records written before refusalCode: none). */
      refusal?: string;
      refusalCode?: string;
      envelopes?: EnvelopeJSON[];
    };
  };
  /**
   * The measurement registers as this node holds them (docs/protocol.md §6.4): the counter of the
   * measure step that set them and the 16 values (base64url). Absent: never extended, all zero.
   * Written with the step that changes them, in its sync batch.
   */
  registers?: { counter: number; values: string[] };
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
  /** Measure steps: the register extended and the measured digest (hex). */
  register?: number;
  measured?: string;
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
