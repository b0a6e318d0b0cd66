/**
 * The statements agent and oracles sign during enrollment and signing (docs/protocol.md §4, §6),
 * and conversions between wire messages and crypto types. Both sides build every signed byte
 * string here, so they cannot drift apart.
 */

import { type AccessStructure, agentParticipants, MAX_ORACLES } from '../crypto/access.js';
import { abytes, equalBytes, framed, fromB64u, toB64u, u64be } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import {
  checkRound1,
  ED25519,
  type NonceCommitment,
  type Round1Package,
  type Suite,
} from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import {
  type Commit,
  checkStep,
  type Evidence,
  es256PayloadDigest,
  es256PresignedPayloadDigest,
  evidenceDigest,
  PRESIGN_MESSAGE_DIGEST,
  payloadDigest,
  type SignedStep,
  type StepKind,
} from '../crypto/ratchet.js';
import { BOX_KEY_LEN } from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import { type Field, signStatement, verifyStatement } from '../crypto/statement.js';
import type { Commit__Output } from '../proto/gen/mpcid/oracle/v1/Commit.js';
import type { NonceCommitment__Output } from '../proto/gen/mpcid/oracle/v1/NonceCommitment.js';
import type { OracleRound1__Output } from '../proto/gen/mpcid/oracle/v1/OracleRound1.js';
import type { Round1Package__Output } from '../proto/gen/mpcid/oracle/v1/Round1Package.js';
import type { Step__Output } from '../proto/gen/mpcid/oracle/v1/Step.js';
import { MpcidError } from './errors.js';
import type { JoinTokenClaims } from './jointoken.js';

export const ALG_EDDSA = 'EdDSA';

/** Binds an enrollment to its cluster, identity name, token and agent session key. */
export function enrollmentContext(claims: JoinTokenClaims, sessionPublicKey: Uint8Array): Uint8Array {
  const c = claims.cluster;
  return sha256(
    framed(STATEMENT_DOMAINS.dkgContext, c.id, c.n, c.t, claims.name, claims.jti, sessionPublicKey),
  );
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

/**
 * Fields of the agent's session-signed GetNonces request to oracle `nodeId`; `counter` is the
 * agent's certified ratchet counter, so a captured request is refused by other oracles, and by
 * this one once it has answered it or moved on (docs/protocol.md §6.1).
 */
export function nonceRequestFields(
  identityId: string,
  count: number,
  requestId: Uint8Array,
  counter: number,
  nodeId: number,
): Field[] {
  return [identityId, count, requestId, u64be(counter), nodeId];
}

/** Wire -> crypto: a round-1 package, fully validated. */
export function round1FromWire(
  as: AccessStructure,
  m: Round1Package__Output | null | undefined,
  field: string,
  suite: Suite = ED25519,
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
    suite,
  );
}

export function round1ToWire(p: Round1Package) {
  return {
    participant: p.participant,
    commitment: p.commitment.map((c) => Buffer.from(c)),
    proofOfKnowledge: Buffer.from(p.proofOfKnowledge),
  };
}

/** Wire -> crypto: the agent's w round-1 packages, one per agent participant, in order. */
export function agentRound1FromWire(
  as: AccessStructure,
  list: readonly Round1Package__Output[],
  suite: Suite = ED25519,
): Round1Package[] {
  const expected = agentParticipants(as);
  if (list.length !== expected.length)
    throw new MpcidError('BAD_LENGTH', `agent_round1: expected ${expected.length} packages`);
  return list.map((m, i) => {
    const p = round1FromWire(as, m, `agent_round1[${i}]`, suite);
    if (p.participant !== expected[i])
      throw new MpcidError('BAD_PARTICIPANT', `agent_round1[${i}]: expected participant ${expected[i]}`);
    return p;
  });
}

/**
 * The oracles' signed round-1 messages as the agent relays them to one oracle (`self`): every
 * node of the cluster once, each checked against its node key (so the agent cannot substitute a
 * box key), and this node's own entry exactly as it sent it. Returns the box keys and packages.
 */
export function relayedOracleRound1(
  as: AccessStructure,
  list: readonly OracleRound1__Output[],
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  context: Uint8Array,
  self: { nodeId: number; boxPublicKey: Uint8Array; round1: Round1Package },
  suite: Suite = ED25519,
): { oracleBox: Map<number, Uint8Array>; pkgs: Round1Package[] } {
  if (list.length !== as.n) throw new MpcidError('BAD_LENGTH', `oracle_round1: expected ${as.n} entries`);
  const oracleBox = new Map<number, Uint8Array>();
  const pkgs: Round1Package[] = [];
  for (const [i, m] of list.entries()) {
    const field = `oracle_round1[${i}]`;
    const key = nodeKeys.get(m.nodeId);
    if (!key || oracleBox.has(m.nodeId))
      throw new MpcidError('BAD_PARTICIPANT', `${field}: unknown or repeated node ${m.nodeId}`);
    const pkg = round1FromWire(as, m.package, `${field}.package`, suite);
    if (pkg.participant !== m.nodeId)
      throw new MpcidError('BAD_PARTICIPANT', `${field}: participant must equal node id`);
    const box = abytes(new Uint8Array(m.boxPublicKey), `${field}.box_public_key`, BOX_KEY_LEN);
    verifyStatement(
      key,
      new Uint8Array(m.signature),
      `round-1 of oracle ${m.nodeId}`,
      STATEMENT_DOMAINS.dkgRound1,
      oracleRound1Fields(context, m.nodeId, box, pkg),
      'DKG_FAILED',
    );
    oracleBox.set(m.nodeId, box);
    pkgs.push(pkg);
  }
  const own = pkgs.find((x) => x.participant === self.nodeId)!;
  if (
    !equalBytes(oracleBox.get(self.nodeId)!, self.boxPublicKey) ||
    !equalBytes(own.proofOfKnowledge, self.round1.proofOfKnowledge) ||
    !own.commitment.every((c, i) => equalBytes(c, self.round1.commitment[i]!))
  )
    throw new MpcidError('DKG_FAILED', 'our own round-1 was altered');
  return { oracleBox, pkgs };
}

/** An oracle's round-1 answer: its package and box key, signed with its node key over the context. */
export function signedOracleRound1(
  nodeKey: Secret,
  nodeId: number,
  context: Uint8Array,
  boxPublicKey: Uint8Array,
  pkg: Round1Package,
) {
  const signature = signStatement(
    nodeKey,
    STATEMENT_DOMAINS.dkgRound1,
    ...oracleRound1Fields(context, nodeId, boxPublicKey, pkg),
  );
  return {
    nodeId,
    package: round1ToWire(pkg),
    boxPublicKey: Buffer.from(boxPublicKey),
    signature: Buffer.from(signature),
  };
}

/** Wire -> crypto: nonce commitments (points are validated by checkCommitmentList later). */
export function commitmentFromWire(m: NonceCommitment__Output): NonceCommitment {
  return { participant: m.participant, hiding: new Uint8Array(m.hiding), binding: new Uint8Array(m.binding) };
}

export function commitmentToWire(c: NonceCommitment) {
  return { participant: c.participant, hiding: Buffer.from(c.hiding), binding: Buffer.from(c.binding) };
}

// ---- Ratchet (docs/protocol.md §5) ----

/** Payload digest of a sign or jwt step: the message and the (sorted) signing set's commitments. */
export function signPayloadDigest(
  kind: 'sign' | 'jwt',
  message: Uint8Array,
  list: readonly NonceCommitment[],
): Uint8Array {
  return payloadDigest(kind, message, ...list.flatMap((c) => [c.participant, c.hiding, c.binding]));
}

export const HEARTBEAT_DIGEST = payloadDigest('heartbeat');

/**
 * Payload digest of an es256 or jwt-es256 step: H(kind, H(message), signing oracles), so abort
 * evidence can carry H(message) and the oracles instead of the message (es256PayloadDigest).
 */
export function ecdsaPayloadDigest(
  kind: 'es256' | 'jwt-es256' | 'jwt-issuer',
  message: Uint8Array,
  oracles: readonly number[],
  presign?: Uint8Array,
): Uint8Array {
  if (presign !== undefined && kind !== 'jwt-issuer')
    return es256PresignedPayloadDigest(kind, sha256(message), oracles, presign);
  return es256PayloadDigest(kind, sha256(message), oracles);
}

/** Payload digest of an es256-presign step: its signing set (the message digest is fixed). */
export function presignPayloadDigest(oracles: readonly number[]): Uint8Array {
  return es256PayloadDigest('es256-presign', PRESIGN_MESSAGE_DIGEST, oracles);
}

/** The oracles of a DKLs23 signing set: exactly t distinct node ids, ascending. */
export function checkEcdsaOracles(as: AccessStructure, oracles: readonly number[]): number[] {
  const sorted = [...oracles].sort((a, b) => a - b);
  if (sorted.length !== as.t)
    throw new MpcidError('BAD_PARTICIPANT', `ecdsa.oracles: expected ${as.t} oracles`);
  sorted.forEach((o, i) => {
    if (!Number.isSafeInteger(o) || o < 1 || o > as.n || (i > 0 && sorted[i - 1] === o))
      throw new MpcidError('BAD_PARTICIPANT', `ecdsa.oracles: ${o} is not a distinct node id in 1..${as.n}`);
  });
  if (sorted.some((o, i) => o !== oracles[i]))
    throw new MpcidError('BAD_PARTICIPANT', 'ecdsa.oracles: must be in ascending order');
  return sorted;
}

/** JSON form of a signed step (evidence files, stored state). Byte fields are base64url. */
export interface StepJSON {
  identityId: string;
  counter: number;
  prevHead: string;
  time: number;
  kind: string;
  payloadDigest: string;
  requestId: string;
  signature: string;
}

export interface CommitJSON {
  nodeId: number;
  identityId: string;
  counter: number;
  head: string;
  signature: string;
}

export function stepToJSON(s: SignedStep): StepJSON {
  const t = s.step;
  return {
    identityId: t.identityId,
    counter: t.counter,
    prevHead: toB64u(t.prevHead),
    time: t.time,
    kind: t.kind,
    payloadDigest: toB64u(t.payloadDigest),
    requestId: toB64u(t.requestId),
    signature: toB64u(s.signature),
  };
}

export function stepFromJSON(j: unknown, field = 'step'): SignedStep {
  const o = (j ?? {}) as Partial<StepJSON>;
  if (typeof o.identityId !== 'string' || typeof o.kind !== 'string')
    throw new MpcidError('MALFORMED_INPUT', `${field}: malformed`);
  const step = checkStep(
    {
      identityId: o.identityId,
      counter: o.counter as number,
      prevHead: fromB64u(o.prevHead, `${field}.prevHead`),
      time: o.time as number,
      kind: o.kind as StepKind,
      payloadDigest: fromB64u(o.payloadDigest, `${field}.payloadDigest`),
      requestId: fromB64u(o.requestId, `${field}.requestId`),
    },
    field,
  );
  return { step, signature: fromB64u(o.signature, `${field}.signature`, 64) };
}

export function stepFromWire(m: Step__Output | null | undefined, field = 'step'): SignedStep {
  if (!m) throw new MpcidError('MALFORMED_INPUT', `${field}: missing`);
  const step = checkStep(
    {
      identityId: m.identityId,
      counter: m.counter,
      prevHead: new Uint8Array(m.prevHead),
      time: m.timeMs,
      kind: m.kind as StepKind,
      payloadDigest: new Uint8Array(m.payloadDigest),
      requestId: new Uint8Array(m.requestId),
    },
    field,
  );
  return { step, signature: abytes(new Uint8Array(m.signature), `${field}.signature`, 64) };
}

export function stepToWire(s: SignedStep) {
  const t = s.step;
  return {
    identityId: t.identityId,
    counter: t.counter,
    prevHead: Buffer.from(t.prevHead),
    timeMs: t.time,
    kind: t.kind,
    payloadDigest: Buffer.from(t.payloadDigest),
    requestId: Buffer.from(t.requestId),
    signature: Buffer.from(s.signature),
  };
}

export function commitToJSON(c: Commit): CommitJSON {
  return {
    nodeId: c.nodeId,
    identityId: c.identityId,
    counter: c.counter,
    head: toB64u(c.head),
    signature: toB64u(c.signature),
  };
}

export function commitFromJSON(j: CommitJSON): Commit {
  return {
    nodeId: j.nodeId,
    identityId: j.identityId,
    counter: j.counter,
    head: fromB64u(j.head, 'commit.head', 32),
    signature: fromB64u(j.signature, 'commit.signature', 64),
  };
}

export function commitFromWire(m: Commit__Output): Commit {
  return {
    nodeId: m.nodeId,
    identityId: m.identityId,
    counter: m.counter,
    head: new Uint8Array(m.head),
    signature: new Uint8Array(m.signature),
  };
}

export function commitToWire(c: Commit) {
  return {
    nodeId: c.nodeId,
    identityId: c.identityId,
    counter: c.counter,
    head: Buffer.from(c.head),
    signature: Buffer.from(c.signature),
  };
}

/** Evidence file / wire-independent JSON form. */
export interface EvidenceJSON {
  type: 'mpcid.fork-evidence.v1' | 'mpcid.ecdsa-abort-evidence.v1';
  identityId: string;
  digest: string;
  reason: string;
  steps: StepJSON[];
  abort?: { accuser: number; culprit: number; check: string; signature: string };
  /** Abort evidence: SHA-256 of the session's message (base64url) and its signing oracles. */
  messageDigest?: string;
  oracles?: number[];
}

export function evidenceToJSON(e: Evidence, reason: string): EvidenceJSON {
  return {
    type: e.abort ? 'mpcid.ecdsa-abort-evidence.v1' : 'mpcid.fork-evidence.v1',
    identityId: e.identityId,
    digest: toB64u(evidenceDigest(e)),
    reason,
    steps: e.steps.map(stepToJSON),
    ...(e.abort
      ? {
          abort: { ...e.abort, signature: toB64u(e.abort.signature) },
          messageDigest: toB64u(e.messageDigest),
          oracles: [...e.oracles],
        }
      : {}),
  };
}

const CHECK_NAME = /^[a-z0-9-]{1,40}$/;

/** Validates an abort claim's shape (signatures are checked by verifyEvidence). */
export function abortFromParts(accuser: unknown, culprit: unknown, check: unknown, signature: Uint8Array) {
  if (
    typeof accuser !== 'number' ||
    typeof culprit !== 'number' ||
    !Number.isSafeInteger(accuser) ||
    !Number.isSafeInteger(culprit) ||
    accuser < 0 ||
    culprit < 0 ||
    accuser > 255 ||
    culprit > 255 ||
    typeof check !== 'string' ||
    !CHECK_NAME.test(check)
  )
    throw new MpcidError('BAD_EVIDENCE', 'abort claim is malformed');
  return { accuser, culprit, check, signature: abytes(signature, 'abort.signature', 64) };
}

/**
 * Validates the shape of an aborted session's public facts: a 32-byte message digest and a list
 * of at most MAX_ORACLES integers (membership and order are checked by verifyEvidence).
 */
export function abortSessionFromParts(
  messageDigest: Uint8Array,
  oracles: unknown,
): { messageDigest: Uint8Array; oracles: number[] } {
  if (
    !Array.isArray(oracles) ||
    oracles.length > MAX_ORACLES ||
    !oracles.every((o) => typeof o === 'number' && Number.isSafeInteger(o))
  )
    throw new MpcidError('BAD_EVIDENCE', 'abort evidence: malformed oracles');
  return { messageDigest: abytes(messageDigest, 'messageDigest', 32), oracles: [...(oracles as number[])] };
}

export function evidenceFromJSON(j: unknown): Evidence {
  const o = (j ?? {}) as Partial<EvidenceJSON>;
  if (typeof o.identityId !== 'string' || !Array.isArray(o.steps))
    throw new MpcidError('BAD_EVIDENCE', 'not an mpcid evidence document');
  if (o.type === 'mpcid.ecdsa-abort-evidence.v1' && o.steps.length === 1 && o.abort) {
    const a = o.abort;
    return {
      identityId: o.identityId,
      steps: [stepFromJSON(o.steps[0], 'steps[0]')],
      abort: abortFromParts(a.accuser, a.culprit, a.check, fromB64u(a.signature, 'abort.signature')),
      ...abortSessionFromParts(fromB64u(o.messageDigest, 'messageDigest'), o.oracles),
    };
  }
  if (o.type !== 'mpcid.fork-evidence.v1' || o.steps.length !== 2)
    throw new MpcidError('BAD_EVIDENCE', 'not an mpcid fork evidence document');
  return {
    identityId: o.identityId,
    steps: [stepFromJSON(o.steps[0], 'steps[0]'), stepFromJSON(o.steps[1], 'steps[1]')],
  };
}
