/**
 * Domain-separated signed statements (Ed25519, RFC 8032) used between parties: oracle node keys
 * sign their DKG messages and enrollment confirmations, agent session keys sign their requests.
 * A statement is `framed(domain, ...fields)`, so no signature can be replayed in another role.
 */
import { type ErrorCode, MpcidError } from '../common/errors.js';
import { framed } from './bytes.js';
import { decodeSignature, signEd25519, verifyEd25519 } from './ed25519.js';
import type { Secret } from './secret.js';

export type Field = Uint8Array | string | number;

/** Domains of every statement mpcid signs. Adding one is a protocol change. */
export const DOMAINS = {
  joinToken: 'mpcid/join-token/v1',
  dkgContext: 'mpcid/dkg/context/v1',
  enrollBegin: 'mpcid/dkg/agent-begin/v1',
  dkgRound1: 'mpcid/dkg/oracle-round1/v1',
  enrolled: 'mpcid/dkg/enrolled/v1',
  signRequest: 'mpcid/sign-request/v1',
  nonceRequest: 'mpcid/nonce-request/v1',
  signedStep: 'mpcid/ratchet/signed-step/v1',
  commit: 'mpcid/ratchet/commit/v1',
  ecdsaSetup: 'mpcid/ecdsa/setup-begin/v1',
  ecdsaEnrolled: 'mpcid/ecdsa/enrolled/v1',
  ecdsaAbort: 'mpcid/ecdsa/abort/v1',
  ecdsaRelayed: 'mpcid/ecdsa/relayed/v1',
  issuerSetup: 'mpcid/issuer/setup-begin/v1',
  issuerKey: 'mpcid/issuer/key-confirmed/v1',
  issuerRound: 'mpcid/issuer/round-request/v1',
} as const;
export type Domain = (typeof DOMAINS)[keyof typeof DOMAINS];

export function signStatement(key: Secret, domain: Domain, ...fields: Field[]): Uint8Array {
  return signEd25519(framed(domain, ...fields), key.expose());
}

/** Verifies a statement; throws `code` (default SESSION_AUTH_FAILED) with a terse message if it fails. */
export function verifyStatement(
  publicKey: Uint8Array,
  signature: unknown,
  what: string,
  domain: Domain,
  fields: Field[],
  code: ErrorCode = 'SESSION_AUTH_FAILED',
): void {
  const sig = decodeSignature(signature, `${what}.signature`);
  if (!verifyEd25519(sig, framed(domain, ...fields), publicKey)) {
    throw new MpcidError(code, `${what}: signature does not verify`);
  }
}
