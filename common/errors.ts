/**
 * The one error class of mpcid, with a closed set of stable codes.
 *
 * Codes are part of the public contract: clients branch on them, so they never change meaning.
 * Messages are for humans and may change. Messages never carry secret material (shares, nonces,
 * tokens); verification failures say little on purpose.
 *
 * crypto/ throws its own CryptoError (crypto/errors.ts); `asMpcidError` below is the one place it
 * becomes an MpcidError, keeping the code, message and ErrorInfo metadata callers saw before.
 */
import { type CryptoCode, type CryptoDetails, CryptoError } from '../crypto/errors.js';
import type { DetailsFor } from './error-details.js';

/** The gRPC status classes mpcid codes map to (names of grpc.status). */
export type StatusClass =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'PERMISSION_DENIED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'DATA_LOSS'
  | 'UNIMPLEMENTED';

/**
 * Every code mpcid can report: the gRPC status class it maps to and what it means. The one error
 * table: docs/protocol.md's table is generated from it (`npm run docs:errors`; a test fails when
 * they differ).
 */
export const ERROR_CODES = {
  MALFORMED_INPUT: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A request field is missing or has the wrong shape.',
  },
  BAD_LENGTH: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A byte field has the wrong length.',
  },
  MALFORMED_POINT: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A group element is not a canonical encoding of a prime-order, non-identity point.',
  },
  MALFORMED_SCALAR: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A scalar is not canonical (>= group order) or is zero where zero is forbidden.',
  },
  BAD_PARTICIPANT: {
    status: 'INVALID_ARGUMENT',
    meaning: "A participant index is outside the identity's access structure, or repeated.",
  },
  MESSAGE_TOO_LARGE: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A message or field is larger than the configured limit.',
  },
  CONFIG_INVALID: {
    status: 'INVALID_ARGUMENT',
    meaning: 'Configuration does not satisfy the schema.',
  },
  UNKNOWN_IDENTITY: {
    status: 'NOT_FOUND',
    meaning: 'No identity with this id is enrolled on the node.',
  },
  UNKNOWN_NONCE: {
    status: 'NOT_FOUND',
    meaning: 'The nonce commitment is not one this oracle handed out, or it was already used.',
  },
  UNKNOWN_ENROLLMENT: {
    status: 'NOT_FOUND',
    meaning: 'No enrollment is in progress for this join token (or no ES256 setup with this setup id).',
  },
  TOKEN_INVALID: {
    status: 'PERMISSION_DENIED',
    meaning: 'The join token is not one this cluster issued.',
  },
  TOKEN_EXPIRED: {
    status: 'PERMISSION_DENIED',
    meaning: "The join token's lifetime is over.",
  },
  TOKEN_USED: {
    status: 'PERMISSION_DENIED',
    meaning: 'The join token was already used (or is being used by another enrollment).',
  },
  SESSION_AUTH_FAILED: {
    status: 'PERMISSION_DENIED',
    meaning:
      "A request claiming to come from an identity's agent is not signed by its session key (in `EcdsaRound`: the agent's own message does not open, e.g. what it relays was altered in transit).",
  },
  IDENTITY_REVOKED: {
    status: 'PERMISSION_DENIED',
    meaning:
      'The identity was revoked (a cloned or rolled-back agent was detected, an ES256 session aborted, or an operator revoked it with `mpcid identity revoke`); permanent. Details: evidence (the evidence of the revocation), or operator (the signed revocation of the operator, checked against the cluster CA).',
  },
  IDENTITY_SUSPENDED: {
    status: 'PERMISSION_DENIED',
    meaning:
      "An oracle of one of the identity's ES256 sessions accuses a party of an aborted session: the identity signs nothing until the accusation is corroborated (then IDENTITY_REVOKED); no command lifts a suspension yet. Details: evidence (the accusation), accuser, accused (the party it blames; not `culprit`, which marks an abort).",
  },
  FORK_DETECTED: {
    status: 'PERMISSION_DENIED',
    meaning: 'This request revealed a second history of the identity: it is now revoked.',
  },
  STALE_STEP: {
    status: 'FAILED_PRECONDITION',
    meaning:
      "A ratchet step that is older than what this oracle has accepted (a replay, or a copy behind the cluster); details: commit (the oracle's signed commit to its current state).",
  },
  REPLAYED_REQUEST: {
    status: 'FAILED_PRECONDITION',
    meaning:
      "A GetNonces request this oracle has already answered (same request id at a counter it still accepts), or one made for another oracle: a captured request sent again. Details: counter (the request's), oracleCounter (this oracle's), nodeId (the oracle it was made for). Nothing was done.",
  },
  NEED_CERTIFICATE: {
    status: 'FAILED_PRECONDITION',
    meaning: 'The step is ahead of this oracle and came without a valid certificate for its predecessor.',
  },
  BAD_CERTIFICATE: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A ratchet certificate does not hold t valid commits.',
  },
  BAD_EVIDENCE: {
    status: 'INVALID_ARGUMENT',
    meaning:
      "Revocation evidence (fork evidence, an ES256 abort claim, or an operator's signed revocation: signature, certificate not issued by the cluster CA or not valid then, another cluster) does not verify.",
  },
  ROLE_NOT_ALLOWED: {
    status: 'PERMISSION_DENIED',
    meaning:
      "mTLS: the client certificate's role (OU) may not call this service (e.g. an agent certificate on the admin API).",
  },
  POLICY_VIOLATION: {
    status: 'PERMISSION_DENIED',
    meaning:
      'The oracles refuse to co-sign this payload: it breaks the token policy (or is a token in disguise).',
  },
  CLAIM_MISMATCH: {
    status: 'PERMISSION_DENIED',
    meaning:
      'The oracles refuse to co-sign this token or quote: a claim contradicts (or lacks) one the join token bound to the identity at enrollment (`token create --require`). The step still counts.',
  },
  NO_CLUSTER_CA: {
    status: 'FAILED_PRECONDITION',
    meaning:
      "This oracle serves without mTLS, so it holds no cluster CA to check an operator's signed revocation with (`identity revoke` needs a cluster made with TLS).",
  },
  ENROLLMENT_STATE: {
    status: 'FAILED_PRECONDITION',
    meaning:
      'An enrollment or ES256 setup message arrived out of order; a BeginEnrollment retry or an ES256 setup id reused with other contents; ES256 setup for an identity that already has the key.',
  },
  DKG_FAILED: {
    status: 'FAILED_PRECONDITION',
    meaning: "Distributed key generation failed verification (a participant's data is inconsistent).",
  },
  ECDSA_ABORT: {
    status: 'ABORTED',
    meaning:
      'A threshold-ECDSA session failed a consistency check; details: culprit names the party whose message failed (255: none can be blamed), check the check; the session is never retried.',
  },
  BAD_SIGNATURE_SHARE: {
    status: 'INTERNAL',
    meaning: 'An oracle returned a signature share that does not verify; the message names the oracle.',
  },
  BAD_UNSEAL_PARTIAL: {
    status: 'INTERNAL',
    meaning:
      'An oracle returned an unseal partial whose DLEQ proof does not verify against its verifying share; the message names the oracle, which is left out.',
  },
  BLOB_INVALID: {
    status: 'INVALID_ARGUMENT',
    meaning:
      'A sealed blob does not open: malformed, truncated or tampered with (its AEAD tag fails); nothing is written.',
  },
  BLOB_WRONG_IDENTITY: {
    status: 'FAILED_PRECONDITION',
    meaning:
      'A sealed blob names another identity or cluster than this agent: refused before any step, nothing is written.',
  },
  REGISTER_OUT_OF_RANGE: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A measurement register index is outside 0..15; nothing is extended.',
  },
  BAD_DIGEST_LENGTH: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A measured digest or register value is not 32 bytes (SHA-256); nothing is extended.',
  },
  REGISTER_MISMATCH: {
    status: 'PERMISSION_DENIED',
    meaning:
      'The oracles refuse: a register value a seal policy, a join token (`token create --require-register`) or a quote names is not the one they hold. The step still counts.',
  },
  REGISTERS_OUT_OF_SYNC: {
    status: 'FAILED_PRECONDITION',
    meaning:
      'A measure step does not extend the register values this oracle holds (or carries a register proof that does not verify); the oracle does not accept it.',
  },
  PLAINTEXT_TOO_LARGE: {
    status: 'INVALID_ARGUMENT',
    meaning: 'A plaintext to seal is larger than 64 KiB (65536 bytes); nothing is sealed.',
  },
  ECDSA_SESSION_LOST: {
    status: 'FAILED_PRECONDITION',
    meaning:
      'No threshold-ECDSA session is in progress for this step (finished, expired or lost in a restart); a new step starts a new session, the old one is never resumed.',
  },
  PRESIGN_UNAVAILABLE: {
    status: 'FAILED_PRECONDITION',
    meaning:
      'An es256 step named a presignature this oracle does not hold (restarted, expired, already used, or another signing set); the step is accepted (the ratchet advances) with this typed refusal, and the agent signs in a fresh online step.',
  },
  NO_ES256_KEY: {
    status: 'FAILED_PRECONDITION',
    meaning: 'The identity has no ES256 key yet (its ES256 setup did not finish).',
  },
  QUORUM_UNAVAILABLE: {
    status: 'UNAVAILABLE',
    meaning: 'Fewer than a quorum of oracles could be reached.',
  },
  PEER_UNAVAILABLE: {
    status: 'UNAVAILABLE',
    meaning: 'A peer could not be reached or did not answer in time.',
  },
  NOT_READY: {
    status: 'UNAVAILABLE',
    meaning:
      'Not ready to serve: an agent whose state is not loaded, an oracle that is shutting down (§9), or an oracle whose store failed a write and takes no more until it restarts.',
  },
  RATE_LIMITED: {
    status: 'RESOURCE_EXHAUSTED',
    meaning:
      'Too many requests of this kind are in flight; retry later. Details: retryAfterMs (when given), scope, rpc.',
  },
  KEK_MISMATCH: {
    status: 'FAILED_PRECONDITION',
    meaning:
      "The key-encryption key does not match the one this oracle's data dir was sealed with (its check value differs); the oracle does not start. A missing or malformed KEK is CONFIG_INVALID.",
  },
  STATE_CORRUPT: {
    status: 'DATA_LOSS',
    meaning: 'Persisted state failed its integrity check and was not used.',
  },
  NOT_FOUND: {
    status: 'NOT_FOUND',
    meaning: 'HTTP (relying-party port): no such resource.',
  },
  CONSOLE_NO_LOGIN: {
    status: 'FAILED_PRECONDITION',
    meaning:
      "Admin `CreateConsoleLogin`: this oracle's console takes no login links (no `http`, or `console.access` is `loopback` or `off`).",
  },
  METHOD_NOT_ALLOWED: {
    status: 'INVALID_ARGUMENT',
    meaning: 'HTTP (relying-party port): a method other than GET and HEAD.',
  },
  SPIFFE_HEADER_MISSING: {
    status: 'INVALID_ARGUMENT',
    meaning:
      'SPIFFE Workload API: the request lacks the metadata `workload.spiffe.io: true` (SPIFFE Workload Endpoint §3, an SSRF guard).',
  },
  NOT_SPIFFE_ID: {
    status: 'PERMISSION_DENIED',
    meaning:
      "SPIFFE Workload API: the caller has no such SPIFFE identity (the agent's registered name is not a SPIFFE ID, or another SPIFFE ID was asked for).",
  },
  UNKNOWN_TRUST_DOMAIN: {
    status: 'NOT_FOUND',
    meaning:
      'JWT bundle: no identity of this cluster is in the trust domain asked for (oracle `Bundle.GetJwtBundle`), or no bundle is held for the trust domain of a JWT-SVID (`ValidateJWTSVID`).',
  },
  SVID_INVALID: {
    status: 'INVALID_ARGUMENT',
    meaning:
      '`ValidateJWTSVID`: the JWT-SVID does not validate (malformed, not ES256, bad signature, unknown kid, expired, audience or sub wrong); the message says which.',
  },
  NOT_IMPLEMENTED: {
    status: 'UNIMPLEMENTED',
    meaning: 'SPIFFE Workload API: the X.509-SVID profile (FetchX509SVID, FetchX509Bundles) is not served.',
  },
  ISSUER_NOT_CONFIGURED: {
    status: 'FAILED_PRECONDITION',
    meaning:
      'Federation issuer: the cluster has no HTTPS `cluster.issuer` URL, or no issuer key yet (`mpcid issuer rotate` makes the first one).',
  },
  AUDIENCE_NOT_ALLOWED: {
    status: 'PERMISSION_DENIED',
    meaning:
      'Federation issuer: the token audience is not one of `cluster.federation.audiences`; oracles refuse to co-sign it.',
  },
  ISSUER_SETUP_FAILED: {
    status: 'ABORTED',
    meaning:
      'Federation issuer: key generation among the oracles failed before any oracle committed the new key (an oracle is down or sent a bad message); no key set changed, rotate again.',
  },
  ISSUER_ABORT: {
    status: 'ABORTED',
    meaning:
      "Federation issuer: an oracle's contribution to an issuer-key signature failed a check; details: culprit (255: none can be blamed), check, accuser (the oracle that caught it, when one did); no token is issued and the agent signs in a fresh step without it.",
  },
  INTERNAL: {
    status: 'INTERNAL',
    meaning: 'A bug or an unexpected failure; details are in the server log only.',
  },
} as const satisfies Record<string, { status: StatusClass; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The reasons the relying-party verifier (`mpcid/verifier`, `mpcid verify`) gives for refusing a
 * token (docs/protocol.md §8), each with its meaning. A verification result, not an MpcidError:
 * the verifier never throws. Stable like ERROR_CODES; docs/protocol.md's table is generated from it.
 */
export const VERIFY_CODES = {
  MALFORMED: 'Not a compact JWS.',
  ALG_NOT_ALLOWED: 'An algorithm other than EdDSA and ES256 (e.g. none, HS256).',
  BAD_KID: 'The kid is missing or not 43 base64url characters.',
  UNKNOWN_KID: 'The oracles do not know the kid, or its key is of another algorithm.',
  IDENTITY_REVOKED: 'An answering oracle reports the identity revoked (any one is enough).',
  KID_NOT_THUMBPRINT:
    'An oracle served a key whose kid is not its RFC 7638 JWK thumbprint; the reason names it.',
  ORACLES_DISAGREE:
    'Answering oracles disagree on the key, the registered name, the identity id or the issuer; the reason names them.',
  QUORUM_NOT_REACHED:
    'Enough oracles answered, but fewer than the quorum vouch for the key (the others do not know it).',
  UNAVAILABLE: 'Fewer than the quorum of oracles answered (unreachable, TLS failure, bad answer).',
  BAD_SIGNATURE: 'The signature does not verify with the agreed key.',
  EXPIRED: "The token's exp is past.",
  CLAIM_INVALID: 'iss, aud, typ or a required claim is wrong or missing.',
  NONCE_MISMATCH: "An attestation's nonce is not the expected one.",
  SUB_MISMATCH: "The token's sub is not the name registered for its key.",
  INVALID: 'Any other token defect jose reports.',
  BAD_OPTIONS:
    'The options are unusable (no audience for a JWT, not a URL, quorum out of range, an oracle twice).',
  SINGLE_ORACLE:
    'One oracle would be trusted alone (one URL, or quorum 1) without allowSingleOracle / --allow-single-oracle.',
  INSECURE_TRANSPORT: 'An http:// oracle URL without allowInsecureHttp / --insecure-http.',
} as const;

export type VerifyCode = keyof typeof VERIFY_CODES;

/** The string mirror of the scalar fields of typed details (numbers and strings), for ErrorInfo.metadata. */
function scalarsOf(details: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof details !== 'object' || details === null) return out;
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'number' || typeof v === 'string') out[k] = String(v);
  }
  return out;
}

/** The error every mpcid module throws for an expected failure. */
export class MpcidError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'MpcidError';
  readonly code: C;
  /**
   * The typed details of codes that have them (common/error-details.ts), e.g. the evidence behind
   * IDENTITY_REVOKED; they travel with the error. Never secrets.
   */
  readonly details: DetailsFor<C> | undefined;
  /**
   * Public, machine-readable strings that travel with the error (google.rpc.ErrorInfo metadata):
   * the scalar fields of `details`, and any given here. Never secrets.
   */
  readonly metadata: Readonly<Record<string, string>>;
  constructor(
    code: C,
    message: string,
    options?: { cause?: unknown; metadata?: Record<string, string>; details?: DetailsFor<C> | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
    this.metadata = { ...scalarsOf(options?.details), ...options?.metadata };
  }
  /** The gRPC status class this error maps to. */
  get status(): StatusClass {
    return ERROR_CODES[this.code].status;
  }
}

/** The details of `err` if it is an MpcidError with one of `codes` (and details), else undefined. */
export function detailsOf<C extends ErrorCode>(err: unknown, ...codes: C[]): DetailsFor<C> | undefined {
  if (!(err instanceof MpcidError) || !(codes as ErrorCode[]).includes(err.code)) return undefined;
  return (err as MpcidError<C>).details;
}

/** True when `code` is one of the stable error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Throws an MpcidError when `cond` is false. */
export function ensure(cond: unknown, code: ErrorCode, message: string): asserts cond {
  if (!cond) throw new MpcidError(code, message);
}

/**
 * The wire code of each CryptoError code: the one place crypto/'s codes meet ERROR_CODES. Each
 * crypto code is named after the code it maps to, so callers see the codes they saw when crypto/
 * threw MpcidError itself.
 */
const CRYPTO_ERROR_CODES = {
  MALFORMED_INPUT: 'MALFORMED_INPUT',
  BAD_LENGTH: 'BAD_LENGTH',
  MALFORMED_POINT: 'MALFORMED_POINT',
  MALFORMED_SCALAR: 'MALFORMED_SCALAR',
  BAD_PARTICIPANT: 'BAD_PARTICIPANT',
  DKG_FAILED: 'DKG_FAILED',
  ENROLLMENT_STATE: 'ENROLLMENT_STATE',
  BAD_SIGNATURE_SHARE: 'BAD_SIGNATURE_SHARE',
  BAD_UNSEAL_PARTIAL: 'BAD_UNSEAL_PARTIAL',
  BLOB_INVALID: 'BLOB_INVALID',
  ECDSA_ABORT: 'ECDSA_ABORT',
  NO_ES256_KEY: 'NO_ES256_KEY',
  BAD_CERTIFICATE: 'BAD_CERTIFICATE',
  BAD_EVIDENCE: 'BAD_EVIDENCE',
  SESSION_AUTH_FAILED: 'SESSION_AUTH_FAILED',
  TOKEN_INVALID: 'TOKEN_INVALID',
  STATE_CORRUPT: 'STATE_CORRUPT',
  INTERNAL: 'INTERNAL',
} as const satisfies Record<CryptoCode, ErrorCode>;

/**
 * The ErrorInfo metadata of a CryptoError's details. Only threshold-ECDSA checks (those with a
 * `check`) carry metadata on the wire: `{culprit, check}` when one party is to blame, else
 * `{check, attributable: 'false'}`. Other culprits stay in-process (read them with culpritsOf).
 */
function cryptoMetadata(d: CryptoDetails): Record<string, string> {
  if (d.check === undefined) return {};
  return d.culprits.length === 1
    ? { culprit: String(d.culprits[0]), check: d.check }
    : { check: d.check, attributable: 'false' };
}

/**
 * The MpcidError an expected failure stands for: `err` itself, or the mapping of a CryptoError
 * (same code, message and wire metadata; the CryptoError is its cause). Undefined for anything
 * else (a bug: report it as INTERNAL without its message).
 */
export function asMpcidError(err: unknown): MpcidError | undefined {
  if (err instanceof MpcidError) return err;
  if (err instanceof CryptoError) {
    return new MpcidError(CRYPTO_ERROR_CODES[err.code], err.message, {
      cause: err,
      metadata: cryptoMetadata(err.details),
    });
  }
  return undefined;
}

/** The stable code of an expected failure (MpcidError or CryptoError); undefined for anything else. */
export function codeOf(err: unknown): ErrorCode | undefined {
  if (err instanceof MpcidError) return err.code;
  if (err instanceof CryptoError) return CRYPTO_ERROR_CODES[err.code];
  return undefined;
}

/**
 * The participants a failure blames (FROST participant indices, ECDSA party ids): a CryptoError's
 * typed culprits, also through an MpcidError made from one. Empty when no one is blamed.
 */
export function culpritsOf(err: unknown): readonly number[] {
  if (err instanceof CryptoError) return err.culprits();
  if (err instanceof MpcidError && err.cause instanceof CryptoError) return err.cause.culprits();
  return [];
}
