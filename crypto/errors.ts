/**
 * The one error type of crypto/: CryptoError, with a closed set of stable codes and typed details.
 *
 * crypto/ is a leaf, so it cannot throw common/errors' MpcidError; common/errors.ts maps a
 * CryptoError to the CryptoError (and so the gRPC status) that callers saw before crypto/ had its
 * own type, in one place (`asCryptoError`). Each code here is named after the wire code it maps to.
 *
 * A failure caused by one participant's input names it in `details.culprits` (FROST participant
 * indices, or ECDSA party ids), the way ZcashFoundation/frost's errors expose `culprits()`: callers
 * read the culprit from there, never from the message. Messages are for humans, may change, and
 * never carry secret material (shares, nonces, keys, plaintexts).
 *
 * What each export throws: every crypto/ export that can throw a CryptoError says so in a
 * "May throw CryptoError:" line of its doc, listing the codes it or a crypto/ function it calls
 * can raise (bad input, or INTERNAL for a broken invariant or missing native module); an export
 * without such a line raises none. Only CryptoError is thrown for bad input: never MpcidError.
 */

/** Every code crypto/ raises, with what it means. Closed: adding one means adding its mapping in common/errors.ts. */
export const CRYPTO_CODES = {
  MALFORMED_INPUT: 'An argument is missing, of the wrong type, or out of range.',
  BAD_LENGTH: 'A byte string or list has the wrong length.',
  MALFORMED_POINT: 'A group element is not a canonical encoding of a prime-order, non-identity point.',
  MALFORMED_SCALAR: 'A scalar is not canonical (>= group order) or is zero where zero is forbidden.',
  BAD_PARTICIPANT: 'A participant index or party id is out of range, repeated, missing or unexpected.',
  DKG_FAILED: "Distributed key generation failed verification (a participant's data is inconsistent).",
  ENROLLMENT_STATE: 'A DKG participant was used after it finished.',
  BAD_SIGNATURE_SHARE: 'A FROST signature share does not verify; culprits names its participant.',
  BAD_UNSEAL_PARTIAL:
    "An unseal partial (share times the blob's point) or its DLEQ proof does not verify; culprits names its participant.",
  BLOB_INVALID:
    'A sealed blob does not open: malformed, tampered with, or sealed under another key or context.',
  ECDSA_ABORT:
    'A threshold-ECDSA consistency check failed; culprits names the party whose message failed (empty: none can be blamed).',
  NO_ES256_KEY: 'An ES256 pair state predates zero-sharing and cannot sign.',
  BAD_CERTIFICATE: 'A ratchet certificate does not hold t valid commits.',
  BAD_EVIDENCE: 'Revocation evidence (fork evidence or an ES256 abort claim) does not verify.',
  SESSION_AUTH_FAILED: 'A signed statement does not verify under the expected key.',
  TOKEN_INVALID: 'A join token statement does not verify under the issuer key.',
  STATE_CORRUPT: 'Sealed or persisted secret state fails its integrity check.',
  INTERNAL: 'A broken invariant or a missing native module: a bug, not bad input.',
} as const;

export type CryptoCode = keyof typeof CRYPTO_CODES;

/** The codes `verifyStatement` may be asked to raise when a statement does not verify. */
export type StatementFailureCode = Extract<
  CryptoCode,
  'SESSION_AUTH_FAILED' | 'DKG_FAILED' | 'TOKEN_INVALID' | 'BAD_EVIDENCE'
>;

/** Public, typed detail of a CryptoError. Never secrets. */
export interface CryptoDetails {
  /**
   * The participants (FROST participant indices, ECDSA party ids) whose input caused the failure,
   * ascending; empty when no one can be blamed (or the failure is the caller's own input).
   */
  readonly culprits: readonly number[];
  /** Threshold ECDSA: the stable name of the consistency check that failed (e.g. 'envelope'). */
  readonly check?: string;
}

const NO_DETAILS: CryptoDetails = Object.freeze({ culprits: Object.freeze([]) as readonly number[] });

/** The error every crypto/ function throws for an expected failure. */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  readonly code: CryptoCode;
  readonly details: CryptoDetails;
  constructor(code: CryptoCode, message: string, details?: Partial<CryptoDetails>) {
    super(message);
    this.code = code;
    this.details =
      details === undefined
        ? NO_DETAILS
        : Object.freeze({
            ...details,
            culprits: Object.freeze([...(details.culprits ?? [])].sort((a, b) => a - b)),
          });
  }
  /** The participants to blame (see CryptoDetails.culprits); empty when none can be. */
  culprits(): readonly number[] {
    return this.details.culprits;
  }
}

/** True when `e` is a CryptoError, optionally with code `code`. */
export function isCryptoError(e: unknown, code?: CryptoCode): e is CryptoError {
  return e instanceof CryptoError && (code === undefined || e.code === code);
}
