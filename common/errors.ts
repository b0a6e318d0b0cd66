/**
 * The one error class of mpcid, with a closed set of stable codes.
 *
 * Codes are part of the public contract: clients branch on them, so they never change meaning.
 * Messages are for humans and may change. Messages never carry secret material (shares, nonces,
 * tokens); verification failures say little on purpose.
 */

/** Every code mpcid can report, with the gRPC status class it maps to. */
export const ERROR_CODES = {
  /** A request field is missing or has the wrong shape. */
  MALFORMED_INPUT: 'INVALID_ARGUMENT',
  /** A byte field has the wrong length. */
  BAD_LENGTH: 'INVALID_ARGUMENT',
  /** A group element is not a canonical encoding of a prime-order, non-identity point. */
  MALFORMED_POINT: 'INVALID_ARGUMENT',
  /** A scalar is not canonical (>= group order) or is zero where zero is forbidden. */
  MALFORMED_SCALAR: 'INVALID_ARGUMENT',
  /** A participant index is outside the identity's access structure, or repeated. */
  BAD_PARTICIPANT: 'INVALID_ARGUMENT',
  /** A message or field is larger than the configured limit. */
  MESSAGE_TOO_LARGE: 'INVALID_ARGUMENT',
  /** Configuration does not satisfy the schema. */
  CONFIG_INVALID: 'INVALID_ARGUMENT',
  /** No identity with this id is enrolled on the node. */
  UNKNOWN_IDENTITY: 'NOT_FOUND',
  /** The nonce commitment is not one this oracle handed out, or it was already used. */
  UNKNOWN_NONCE: 'NOT_FOUND',
  /** No enrollment (or ES256 setup) is in progress for this join token or setup id. */
  UNKNOWN_ENROLLMENT: 'NOT_FOUND',
  /** The join token is not one this cluster issued. */
  TOKEN_INVALID: 'PERMISSION_DENIED',
  /** The join token's lifetime is over. */
  TOKEN_EXPIRED: 'PERMISSION_DENIED',
  /** The join token was already used (or is being used by another enrollment). */
  TOKEN_USED: 'PERMISSION_DENIED',
  /** A request claiming to come from an identity's agent is not signed by its session key (or, on EcdsaRound, its relayed messages are not the ones it signed). */
  SESSION_AUTH_FAILED: 'PERMISSION_DENIED',
  /** The identity was revoked (a cloned or rolled-back agent was detected, or an ES256 session aborted); permanent. */
  IDENTITY_REVOKED: 'PERMISSION_DENIED',
  /**
   * An oracle of one of the identity's ES256 sessions accuses a party of an aborted session: the
   * identity signs nothing until the accusation is corroborated (then IDENTITY_REVOKED); no
   * command lifts a suspension yet. metadata: evidence (the accusation), accuser, accused (the party it blames;
   * not `culprit`, which marks an abort).
   */
  IDENTITY_SUSPENDED: 'PERMISSION_DENIED',
  /** This request revealed a second history of the identity: it is now revoked. */
  FORK_DETECTED: 'PERMISSION_DENIED',
  /** A ratchet step that is older than what this oracle has accepted (a replay, or a copy behind the cluster); metadata counter/head/signature: the oracle's signed commit to its current state. */
  STALE_STEP: 'FAILED_PRECONDITION',
  /**
   * A GetNonces request this oracle has already answered (same request id at a counter it still
   * accepts), or one made for another oracle: a captured request sent again. metadata: counter
   * (the request's), oracleCounter (this oracle's), nodeId (the oracle it was made for). Nothing
   * was done.
   */
  REPLAYED_REQUEST: 'FAILED_PRECONDITION',
  /** The step is ahead of this oracle and came without a valid certificate for its predecessor. */
  NEED_CERTIFICATE: 'FAILED_PRECONDITION',
  /** A ratchet certificate does not hold t valid commits. */
  BAD_CERTIFICATE: 'INVALID_ARGUMENT',
  /** Revocation evidence (fork evidence or an ES256 abort claim) does not verify. */
  BAD_EVIDENCE: 'INVALID_ARGUMENT',
  /** mTLS: the client certificate's role (OU) may not call this service (e.g. an agent certificate on the admin API). */
  ROLE_NOT_ALLOWED: 'PERMISSION_DENIED',
  /** The oracles refuse to co-sign this payload: it breaks the token policy (or is a token in disguise). */
  POLICY_VIOLATION: 'PERMISSION_DENIED',
  /**
   * An enrollment or ES256 setup message arrived out of order, a retry came with other contents,
   * or the identity already has what it asks for.
   */
  ENROLLMENT_STATE: 'FAILED_PRECONDITION',
  /** Distributed key generation failed verification (a participant's data is inconsistent). */
  DKG_FAILED: 'FAILED_PRECONDITION',
  /**
   * A threshold-ECDSA session failed a consistency check; metadata.culprit names the party whose
   * message failed; the session is never retried.
   */
  ECDSA_ABORT: 'ABORTED',
  /** An oracle returned a signature share that does not verify; the message names the oracle. */
  BAD_SIGNATURE_SHARE: 'INTERNAL',
  /** No threshold-ECDSA session is in progress for this step (finished, expired or lost in a restart); a new step starts a new session, the old one is never resumed. */
  ECDSA_SESSION_LOST: 'FAILED_PRECONDITION',
  /** The identity has no ES256 key yet (its ES256 setup did not finish). */
  NO_ES256_KEY: 'FAILED_PRECONDITION',
  /** Fewer than a quorum of oracles could be reached. */
  QUORUM_UNAVAILABLE: 'UNAVAILABLE',
  /** A peer could not be reached or did not answer in time. */
  PEER_UNAVAILABLE: 'UNAVAILABLE',
  /** Not ready to serve: an agent whose state is not loaded, or an oracle that is shutting down. */
  NOT_READY: 'UNAVAILABLE',
  /** Too many requests of this kind are in flight; retry later. */
  RATE_LIMITED: 'RESOURCE_EXHAUSTED',
  /**
   * The key-encryption key does not match the one this oracle's data dir was sealed with (its
   * check value differs); the oracle does not start. A missing or malformed KEK is CONFIG_INVALID.
   */
  KEK_MISMATCH: 'FAILED_PRECONDITION',
  /** Persisted state failed its integrity check and was not used. */
  STATE_CORRUPT: 'DATA_LOSS',
  /** HTTP (relying-party port): no such resource. */
  NOT_FOUND: 'NOT_FOUND',
  /**
   * Admin CreateConsoleLogin: this oracle's console takes no login links (no `http`, or
   * `console.access` is `loopback` or `off`).
   */
  CONSOLE_NO_LOGIN: 'FAILED_PRECONDITION',
  /** HTTP (relying-party port): a method other than GET and HEAD. */
  METHOD_NOT_ALLOWED: 'INVALID_ARGUMENT',
  /** A bug or an unexpected failure; details are in the server log only. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The reasons the relying-party verifier (`mpcid/verifier`, `mpcid verify`) gives for refusing a
 * token (docs/protocol.md §8). A verification result, not an MpcidError: the verifier never
 * throws. Stable like ERROR_CODES.
 */
export const VERIFY_CODES = {
  /** Not a compact JWS. */
  MALFORMED: 'not a compact JWS',
  /** An algorithm other than EdDSA and ES256 (e.g. none, HS256). */
  ALG_NOT_ALLOWED: 'algorithm not allowed',
  /** The kid is missing or not 43 base64url characters. */
  BAD_KID: 'kid missing or malformed',
  /** The oracles do not know the kid, or its key is of another algorithm. */
  UNKNOWN_KID: 'unknown key',
  /** An answering oracle reports the identity revoked (any one is enough). */
  IDENTITY_REVOKED: 'identity revoked',
  /** An oracle served a key whose kid is not its RFC 7638 JWK thumbprint; the reason names it. */
  KID_NOT_THUMBPRINT: 'kid is not the key thumbprint',
  /** Answering oracles disagree on the key, the registered name, the identity id or the issuer; the reason names them. */
  ORACLES_DISAGREE: 'oracles disagree',
  /** Enough oracles answered, but fewer than the quorum vouch for the key (the others do not know it). */
  QUORUM_NOT_REACHED: 'fewer than the quorum vouch for the key',
  /** Fewer than the quorum of oracles answered (unreachable, TLS failure, bad answer). */
  UNAVAILABLE: 'oracles unavailable',
  /** The signature does not verify with the agreed key. */
  BAD_SIGNATURE: 'bad signature',
  /** The token's exp is past. */
  EXPIRED: 'expired',
  /** iss, aud, typ or a required claim is wrong or missing. */
  CLAIM_INVALID: 'claim invalid',
  /** An attestation's nonce is not the expected one. */
  NONCE_MISMATCH: 'nonce mismatch',
  /** The token's sub is not the name registered for its key. */
  SUB_MISMATCH: 'sub mismatch',
  /** Any other token defect jose reports. */
  INVALID: 'invalid token',
  /** The options are unusable (no audience for a JWT, not a URL, quorum out of range, an oracle twice). */
  BAD_OPTIONS: 'bad options',
  /** One oracle would be trusted alone (one URL, or quorum 1) without allowSingleOracle / --allow-single-oracle. */
  SINGLE_ORACLE: 'one oracle would be trusted alone',
  /** An http:// oracle URL without allowInsecureHttp / --insecure-http. */
  INSECURE_TRANSPORT: 'plain http not allowed',
} as const;

export type VerifyCode = keyof typeof VERIFY_CODES;
export type StatusClass = (typeof ERROR_CODES)[ErrorCode];

/** The error every mpcid module throws for an expected failure. */
export class MpcidError extends Error {
  override readonly name = 'MpcidError';
  readonly code: ErrorCode;
  /**
   * Public, machine-readable detail that travels with the error (google.rpc.ErrorInfo
   * metadata), e.g. the fork evidence behind IDENTITY_REVOKED. Never secrets.
   */
  readonly metadata: Readonly<Record<string, string>>;
  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; metadata?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.metadata = options?.metadata ?? {};
  }
  /** The gRPC status class this error maps to. */
  get status(): StatusClass {
    return ERROR_CODES[this.code];
  }
}

/** True when `code` is one of the stable error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Throws an MpcidError when `cond` is false. */
export function ensure(cond: unknown, code: ErrorCode, message: string): asserts cond {
  if (!cond) throw new MpcidError(code, message);
}
