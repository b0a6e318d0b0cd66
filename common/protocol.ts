/**
 * The statements agent and oracles sign during enrollment and signing (docs/protocol.md §4, §6),
 * and conversions between wire messages and crypto types. Both sides build every signed byte
 * string here, so they cannot drift apart.
 */
import type { AccessStructure } from '../crypto/access.js';
import { framed } from '../crypto/bytes.js';
import { checkRound1, type NonceCommitment, type Round1Package } from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import { DOMAINS, type Field } from '../crypto/statement.js';
import type { NonceCommitment__Output } from '../proto/gen/mpcid/oracle/v1/NonceCommitment.js';
import type { Round1Package__Output } from '../proto/gen/mpcid/oracle/v1/Round1Package.js';
import { MpcidError } from './errors.js';
import type { JoinTokenClaims } from './jointoken.js';

export const ALG_EDDSA = 'EdDSA';

/** Binds an enrollment to its cluster, identity name, token and agent session key. */
export function enrollmentContext(claims: JoinTokenClaims, sessionPublicKey: Uint8Array): Uint8Array {
  const c = claims.cluster;
  return sha256(framed(DOMAINS.dkgContext, c.id, c.n, c.t, claims.name, claims.jti, sessionPublicKey));
}

function round1Fields(p: Round1Package): Field[] {
  return [p.participant, ...p.commitment, p.proofOfKnowledge];
}

/** Fields of the agent's session-signed BeginEnrollment. */
export function beginFields(
  context: Uint8Array,
  boxPublicKey: Uint8Array,
  agentRound1: readonly Round1Package[],
): Field[] {
  return [context, boxPublicKey, ...agentRound1.flatMap(round1Fields)];
}

/** Fields of an oracle's node-signed round-1 contribution. */
export function oracleRound1Fields(
  context: Uint8Array,
  nodeId: number,
  boxPublicKey: Uint8Array,
  pkg: Round1Package,
): Field[] {
  return [context, nodeId, boxPublicKey, ...round1Fields(pkg)];
}

/** Fields of an oracle's node-signed Enrolled confirmation. */
export function enrolledFields(
  context: Uint8Array,
  nodeId: number,
  identityId: string,
  groupPublicKey: Uint8Array,
  round1Digest: Uint8Array,
): Field[] {
  return [context, nodeId, identityId, groupPublicKey, round1Digest];
}

/** Fields of the agent's session-signed Sign request. */
export function signRequestFields(
  identityId: string,
  message: Uint8Array,
  commitments: readonly NonceCommitment[],
  requestId: Uint8Array,
): Field[] {
  return [
    identityId,
    message,
    ...commitments.flatMap((c) => [c.participant, c.hiding, c.binding]),
    requestId,
  ];
}

/** Fields of the agent's session-signed GetNonces request. */
export function nonceRequestFields(identityId: string, count: number, requestId: Uint8Array): Field[] {
  return [identityId, count, requestId];
}

export { DOMAINS };

/** Wire -> crypto: a round-1 package, fully validated. */
export function round1FromWire(
  as: AccessStructure,
  m: Round1Package__Output | null | undefined,
  field: string,
): Round1Package {
  if (!m) throw new MpcidError('MALFORMED_INPUT', `${field}: missing`);
  return checkRound1(
    as,
    {
      participant: m.participant,
      commitment: m.commitment.map((c) => new Uint8Array(c)),
      proofOfKnowledge: new Uint8Array(m.proofOfKnowledge),
    },
    field,
  );
}

export function round1ToWire(p: Round1Package) {
  return {
    participant: p.participant,
    commitment: p.commitment.map((c) => Buffer.from(c)),
    proofOfKnowledge: Buffer.from(p.proofOfKnowledge),
  };
}

/** Wire -> crypto: nonce commitments (points are validated by checkCommitmentList later). */
export function commitmentFromWire(m: NonceCommitment__Output): NonceCommitment {
  return { participant: m.participant, hiding: new Uint8Array(m.hiding), binding: new Uint8Array(m.binding) };
}

export function commitmentToWire(c: NonceCommitment) {
  return { participant: c.participant, hiding: Buffer.from(c.hiding), binding: Buffer.from(c.binding) };
}
