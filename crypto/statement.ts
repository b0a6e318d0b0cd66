/**
 * Domain-separated signed statements (Ed25519, RFC 8032) used between parties: oracle node keys
 * sign their DKG messages and enrollment confirmations, agent session keys sign their requests.
 * A statement is `framed(domain, ...fields)`, so no signature can be replayed in another role.
 * The domains live in the registry, crypto/domains.ts.
 */
import { framed } from './bytes.js';
import type { StatementDomain } from './domains.js';
import { decodeSignature, signEd25519, verifyEd25519 } from './ed25519.js';
import { CryptoError, type StatementFailureCode } from './errors.js';
import type { Secret } from './secret.js';

export type Field = Uint8Array | string | number;

export type Domain = StatementDomain;

/**
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function signStatement(key: Secret, domain: Domain, ...fields: Field[]): Uint8Array {
  return signEd25519(framed(domain, ...fields), key.expose());
}

/**
 * Verifies a statement; throws `code` (default SESSION_AUTH_FAILED) with a terse message if it fails.
 * May throw CryptoError: `code` when the signature does not verify; BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR for a malformed key or signature.
 */
export function verifyStatement(
  publicKey: Uint8Array,
  signature: unknown,
  what: string,
  domain: Domain,
  fields: Field[],
  code: StatementFailureCode = 'SESSION_AUTH_FAILED',
): void {
  const sig = decodeSignature(signature, `${what}.signature`);
  if (!verifyEd25519(sig, framed(domain, ...fields), publicKey)) {
    throw new CryptoError(code, `${what}: signature does not verify`);
  }
}
