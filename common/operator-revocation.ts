/**
 * The kill switch's evidence (docs/protocol.md §7): an operator's signed revocation of one
 * identity. The CLI (`mpcid identity revoke`) signs it with the key of the operator's certificate
 * (role admin, issued by the cluster CA); every oracle, the agent and `mpcid evidence verify`
 * check it with the CA certificate alone:
 *
 *   statement = framed("mpcid/operator-revocation/v1", cluster id, identity id, u64 issuedAt, reason)
 *   signature = ECDSA P-256 / SHA-256 (DER) of the statement with the certificate's key
 *   digest    = SHA-256(statement || signature)       the alert id and dedupe key
 *
 * Valid iff the certificate is issued and signed by the CA, was valid at issuedAt, carries role
 * admin (OU=admin), holds a P-256 key, and the signature verifies over the statement.
 */

import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { concatBytes, framed, fromB64u, toB64u, u64be } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { sha256 } from '../crypto/hash.js';
import { MpcidError } from './errors.js';
import { certificateName, certificateRoles } from './tls.js';

export const OPERATOR_REVOCATION_TYPE = 'mpcid.operator-revocation.v1';
/** The reason's limits: 1-500 printable characters (no control characters). */
const REASON = /^[^\p{Cc}]{1,500}$/u;
const MAX_CERT_BYTES = 8192;

/** What the operator signs. */
export interface OperatorStatement {
  clusterId: string;
  identityId: string;
  /** Unix milliseconds. */
  issuedAt: number;
  reason: string;
}

/** The evidence document (stored, pushed between oracles as typed fields, exported as a file). */
export interface OperatorRevocationJSON extends OperatorStatement {
  type: typeof OPERATOR_REVOCATION_TYPE;
  /** The signing certificate's CN (informative: the certificate decides). */
  operator: string;
  /** The operator's certificate, DER, base64url. */
  certificate: string;
  /** base64url DER ECDSA signature. */
  signature: string;
  /** base64url SHA-256(statement || signature). */
  digest: string;
}

export function operatorStatementBytes(s: OperatorStatement): Uint8Array {
  return framed(STATEMENT_DOMAINS.operatorRevocation, s.clusterId, s.identityId, u64be(s.issuedAt), s.reason);
}

/** Checks the statement's shape (MALFORMED_INPUT): what an oracle checks before anything else. */
export function checkOperatorStatement(s: OperatorStatement): OperatorStatement {
  if (typeof s.reason !== 'string' || !REASON.test(s.reason))
    throw new MpcidError('MALFORMED_INPUT', 'reason: 1-500 printable characters');
  if (!Number.isSafeInteger(s.issuedAt) || s.issuedAt <= 0)
    throw new MpcidError('MALFORMED_INPUT', 'issued_at: expected Unix milliseconds');
  return s;
}

/** Signs a revocation with the operator's certificate and key (PEM); the CLI's side. */
export function signOperatorRevocation(
  s: OperatorStatement,
  certPem: Buffer | string,
  keyPem: Buffer | string,
): OperatorRevocationJSON {
  checkOperatorStatement(s);
  const cert = new X509Certificate(certPem);
  const stmt = operatorStatementBytes(s);
  const signature = new Uint8Array(
    sign('sha256', stmt, { key: createPrivateKey(keyPem), dsaEncoding: 'der' }),
  );
  return {
    type: OPERATOR_REVOCATION_TYPE,
    ...s,
    operator: certificateName(cert),
    certificate: toB64u(new Uint8Array(cert.raw)),
    signature: toB64u(signature),
    digest: toB64u(sha256(concatBytes(stmt, signature))),
  };
}

/** An operator revocation's typed wire fields (proto OperatorRevocation; the cluster id is implied). */
export interface OperatorRevocationWire {
  identityId: string;
  reason: string;
  issuedAt: number;
  certificate: Uint8Array;
  signature: Uint8Array;
}

export function operatorToWire(j: OperatorRevocationJSON) {
  return {
    identityId: j.identityId,
    reason: j.reason,
    issuedAt: j.issuedAt,
    certificate: Buffer.from(j.certificate, 'base64url'),
    signature: Buffer.from(j.signature, 'base64url'),
  };
}

/**
 * An operator revocation's typed fields (wire, error details or admin request) as the document
 * to verify (verifyOperatorRevocation), in cluster `clusterId`.
 */
export function operatorDocument(
  clusterId: string,
  m: OperatorRevocationWire,
): Omit<OperatorRevocationJSON, 'operator' | 'digest'> {
  return {
    type: OPERATOR_REVOCATION_TYPE,
    clusterId,
    identityId: m.identityId,
    issuedAt: m.issuedAt,
    reason: m.reason,
    certificate: toB64u(new Uint8Array(m.certificate)),
    signature: toB64u(new Uint8Array(m.signature)),
  };
}

export function isOperatorRevocation(doc: unknown): doc is OperatorRevocationJSON {
  return (doc as { type?: unknown } | null)?.type === OPERATOR_REVOCATION_TYPE;
}

/**
 * Verifies an operator revocation document with the cluster CA certificate (PEM) and returns it
 * as it should be stored (operator and digest recomputed from the certificate and the bytes).
 * BAD_EVIDENCE for anything that does not verify, ROLE_NOT_ALLOWED for a certificate without
 * role admin. `expect` pins the cluster and identity it must be about.
 */
export function verifyOperatorRevocation(
  doc: unknown,
  caPem: Buffer | string,
  expect: { clusterId?: string; identityId?: string } = {},
): OperatorRevocationJSON {
  const bad = (why: string) => new MpcidError('BAD_EVIDENCE', `operator revocation: ${why}`);
  const o = (doc ?? {}) as Partial<OperatorRevocationJSON>;
  if (!isOperatorRevocation(o)) throw bad('not an mpcid operator revocation document');
  if (typeof o.clusterId !== 'string' || typeof o.identityId !== 'string') throw bad('malformed');
  if (expect.clusterId !== undefined && o.clusterId !== expect.clusterId) throw bad('another cluster');
  if (expect.identityId !== undefined && o.identityId !== expect.identityId) throw bad('another identity');
  let certDer: Uint8Array;
  let signature: Uint8Array;
  try {
    checkOperatorStatement(o as OperatorStatement);
    certDer = fromB64u(o.certificate, 'certificate');
    signature = fromB64u(o.signature, 'signature');
  } catch (e) {
    throw bad(e instanceof MpcidError ? e.message : 'malformed');
  }
  if (certDer.length === 0 || certDer.length > MAX_CERT_BYTES || signature.length > 80)
    throw bad('certificate or signature of a wrong size');
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certDer);
    ca = new X509Certificate(caPem);
  } catch {
    throw bad('certificate does not parse');
  }
  if (cert.ca || !cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    throw bad('certificate is not issued by the cluster CA');
  const at = o.issuedAt as number;
  if (Date.parse(cert.validFrom) > at || Date.parse(cert.validTo) < at)
    throw bad('certificate was not valid when the revocation was signed');
  if (!certificateRoles(cert).includes('admin'))
    throw new MpcidError('ROLE_NOT_ALLOWED', 'operator revocation: the certificate has no role admin');
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw bad('certificate key is not P-256');
  const stmt = operatorStatementBytes(o as OperatorStatement);
  let ok = false;
  try {
    ok = verify('sha256', stmt, { key, dsaEncoding: 'der' }, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw bad('signature does not verify');
  const digest = toB64u(sha256(concatBytes(stmt, signature)));
  if (o.digest !== undefined && o.digest !== digest) throw bad('digest does not match');
  return {
    type: OPERATOR_REVOCATION_TYPE,
    clusterId: o.clusterId,
    identityId: o.identityId,
    issuedAt: at,
    reason: o.reason as string,
    operator: certificateName(cert),
    certificate: toB64u(certDer),
    signature: toB64u(signature),
    digest,
  };
}
