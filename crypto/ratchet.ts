/**
 * The ratchet (docs/protocol.md §5): agent-signed steps chained by a hash head, oracle-signed
 * commits, certificates of t commits, and self-certifying fork evidence.
 *
 * Pure: encodings, hashes, signatures and the conflict rule only. The oracle's accept rule and
 * all persistence live in oracle/ratchet.ts; the agent's write-ahead log in agent/ratchet.ts.
 */

import { MAX_ORACLES } from './access.js';
import { abytes, equalBytes, framed, u64be } from './bytes.js';
import { HASH_DOMAINS, STATEMENT_DOMAINS } from './domains.js';
import { CryptoError } from './errors.js';
import { AGENT_PARTY, NO_CULPRIT } from './es256.js';
import { sha256 } from './hash.js';
import type { Secret } from './secret.js';
import { signStatement, verifyStatement } from './statement.js';

export const HEAD_LEN = 32;
export const DIGEST_LEN = 32;
export const REQUEST_ID_LEN = 16;
/**
 * The time of an exposing step (docs/protocol.md §5, "A copy behind the cluster"): the largest
 * time a step can carry. An honest history holds no step after one with this time (times strictly
 * increase), so an exposing step at counter k conflicts (`conflict()`, time reversal) with every
 * step of any history at a counter above k, and with every other step at k, whatever the clocks
 * said when either was signed. An agent signs one only after t oracles proved, with node-signed
 * commits, that the cluster holds a step it never made.
 */
export const EXPOSING_TIME = Number.MAX_SAFE_INTEGER;
/** sign: raw bytes; jwt: a JWS signing input checked against token policy; heartbeat: liveness. */
/** es256 / jwt-es256: the same, co-signed with threshold ECDSA (DKLs23) on the P-256 key. */
/** es256-presign: a DKLs23 presignature (rounds 1-3 without a message) for a later es256 step. */
export const STEP_KINDS = [
  'sign',
  'jwt',
  'heartbeat',
  'es256',
  'jwt-es256',
  'jwt-issuer',
  'unseal',
  'measure',
  'es256-presign',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** One ratchet step, as the agent signs it with its session key. */
export interface Step {
  readonly identityId: string;
  /** c + 1 for the step that follows certified state (c, h_c); starts at 1. */
  readonly counter: number;
  /** h_c: the head the step extends. */
  readonly prevHead: Uint8Array;
  /** The agent's monotonic clock (ms): strictly greater than the previous step's time. */
  readonly time: number;
  readonly kind: StepKind;
  /** Digest of what the step authorises (for sign steps: message and commitment list). */
  readonly payloadDigest: Uint8Array;
  /** Fresh random bytes: two steps are never byte-identical by accident. */
  readonly requestId: Uint8Array;
}

export interface SignedStep {
  readonly step: Step;
  readonly signature: Uint8Array;
}

/** An oracle's signed statement that it accepted the step making (counter, head). */
export interface Commit {
  readonly nodeId: number;
  readonly identityId: string;
  readonly counter: number;
  readonly head: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Canonical bytes of a step (what the session key signs).
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function stepBytes(s: Step): Uint8Array {
  return framed(
    HASH_DOMAINS.ratchetStep,
    s.identityId,
    u64be(s.counter),
    s.prevHead,
    u64be(s.time),
    s.kind,
    s.payloadDigest,
    s.requestId,
  );
}

/**
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function stepDigest(s: Step): Uint8Array {
  return sha256(stepBytes(s));
}

/** h_{c+1} = H(domain, h_c, digest(step)). */
export function nextHead(prevHead: Uint8Array, digest: Uint8Array): Uint8Array {
  return sha256(framed(HASH_DOMAINS.ratchetHead, prevHead, digest));
}

/**
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function headAfter(s: Step): Uint8Array {
  return nextHead(s.prevHead, stepDigest(s));
}

/** h_0 = H(domain, identity, group key, session key). */
export function genesisHead(
  identityId: string,
  groupPublicKey: Uint8Array,
  sessionPublicKey: Uint8Array,
): Uint8Array {
  return sha256(framed(HASH_DOMAINS.ratchetGenesis, identityId, groupPublicKey, sessionPublicKey));
}

/** Digest binding everything an oracle co-signs in a sign step. */
export function payloadDigest(kind: StepKind, ...fields: (Uint8Array | string | number)[]): Uint8Array {
  return sha256(framed(HASH_DOMAINS.ratchetPayload, kind, ...fields));
}

/**
 * Payload digest of an es256 or jwt-es256 step: H(kind, H(message), oracles). The message enters
 * only through its digest, so abort evidence can show the signing set without the message.
 */
export function es256PayloadDigest(
  kind: 'es256' | 'jwt-es256' | 'jwt-issuer' | 'es256-presign',
  messageDigest: Uint8Array,
  oracles: readonly number[],
): Uint8Array {
  return payloadDigest(kind, messageDigest, ...oracles);
}

/**
 * The message digest of an es256-presign step, which has no message: 32 zero bytes (abort
 * evidence about a presigning session carries it as its messageDigest).
 */
export const PRESIGN_MESSAGE_DIGEST: Uint8Array = new Uint8Array(32);

/**
 * Payload digest of an es256 / jwt-es256 step that signs with the presignature made by the
 * es256-presign step of digest `presign`: H(kind, H(message), oracles, presign), so the session key
 * signs which presignature too. One more field than es256PayloadDigest (t is fixed per identity),
 * so the two never collide.
 */
export function es256PresignedPayloadDigest(
  kind: 'es256' | 'jwt-es256',
  messageDigest: Uint8Array,
  oracles: readonly number[],
  presign: Uint8Array,
): Uint8Array {
  return payloadDigest(kind, messageDigest, ...oracles, presign);
}

/**
 * Validates the shape of a step from the wire.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function checkStep(s: Step, field = 'step'): Step {
  if (!Number.isSafeInteger(s.counter) || s.counter < 1)
    throw new CryptoError('MALFORMED_INPUT', `${field}.counter: must be >= 1`);
  if (!Number.isSafeInteger(s.time) || s.time < 0)
    throw new CryptoError('MALFORMED_INPUT', `${field}.time: malformed`);
  if (!(STEP_KINDS as readonly string[]).includes(s.kind))
    throw new CryptoError('MALFORMED_INPUT', `${field}.kind: unknown`);
  abytes(s.prevHead, `${field}.prev_head`, HEAD_LEN);
  abytes(s.payloadDigest, `${field}.payload_digest`, DIGEST_LEN);
  abytes(s.requestId, `${field}.request_id`, REQUEST_ID_LEN);
  return s;
}

/**
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function signStep(sessionKey: Secret, step: Step): SignedStep {
  return { step, signature: signStatement(sessionKey, STATEMENT_DOMAINS.signedStep, stepBytes(step)) };
}

/**
 * Throws SESSION_AUTH_FAILED unless the step is signed by `sessionPublicKey`.
 * May throw CryptoError: BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function verifyStep(sessionPublicKey: Uint8Array, s: SignedStep, what = 'step'): void {
  verifyStatement(sessionPublicKey, s.signature, what, STATEMENT_DOMAINS.signedStep, [stepBytes(s.step)]);
}

function commitFields(identityId: string, counter: number, head: Uint8Array, nodeId: number) {
  return [identityId, u64be(counter), head, nodeId];
}

/**
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function signCommit(
  nodeKey: Secret,
  nodeId: number,
  identityId: string,
  counter: number,
  head: Uint8Array,
): Commit {
  return {
    nodeId,
    identityId,
    counter,
    head,
    signature: signStatement(
      nodeKey,
      STATEMENT_DOMAINS.commit,
      ...commitFields(identityId, counter, head, nodeId),
    ),
  };
}

/**
 * A certificate for (identity, counter, head): commits from at least t distinct cluster nodes,
 * each verifying under that node's key. Throws BAD_CERTIFICATE otherwise.
 * May throw CryptoError: BAD_CERTIFICATE, BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function verifyCertificate(
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  t: number,
  identityId: string,
  counter: number,
  head: Uint8Array,
  commits: readonly Commit[],
): void {
  const good = new Set<number>();
  // Each node's commit is verified at most once, so the work is bounded by the cluster size
  // however many commits the certificate repeats.
  const tried = new Set<number>();
  for (const c of commits) {
    if (
      tried.has(c.nodeId) ||
      c.identityId !== identityId ||
      c.counter !== counter ||
      !equalBytes(c.head, head)
    )
      continue;
    const key = nodeKeys.get(c.nodeId);
    if (!key) continue;
    tried.add(c.nodeId);
    try {
      verifyStatement(
        key,
        c.signature,
        'commit',
        STATEMENT_DOMAINS.commit,
        commitFields(identityId, counter, head, c.nodeId),
      );
      good.add(c.nodeId);
    } catch {
      // an invalid commit simply does not count
    }
  }
  if (good.size < t) {
    throw new CryptoError(
      'BAD_CERTIFICATE',
      `certificate for counter ${counter} has ${good.size} valid commits, needs ${t}`,
    );
  }
}

export type ConflictReason = 'equivocation' | 'broken-chain' | 'time-reversal';
/** Why an identity was revoked: a second history (ConflictReason) or an aborted ECDSA session. */
export type RevocationReason = ConflictReason | 'ecdsa-abort';

/**
 * Why two steps of one identity cannot belong to one honest history, or undefined if they can.
 * An honest agent signs exactly one step per counter (retries resend the same bytes), chains each
 * step to the previous one, and stamps strictly increasing times; each rule below breaks one of
 * these facts.
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function conflict(x: Step, y: Step): ConflictReason | undefined {
  if (x.identityId !== y.identityId) return undefined;
  const dx = stepDigest(x);
  const dy = stepDigest(y);
  if (equalBytes(dx, dy)) return undefined;
  if (x.counter === y.counter || x.time === y.time) return 'equivocation';
  const [a, b] = x.counter < y.counter ? [x, y] : [y, x];
  if (b.counter === a.counter + 1 && !equalBytes(b.prevHead, headAfter(a))) return 'broken-chain';
  if (b.time < a.time) return 'time-reversal';
  return undefined;
}

/** Fork evidence: two steps signed by the identity's session key that conflict. */
export interface ForkEvidence {
  readonly identityId: string;
  readonly steps: readonly [SignedStep, SignedStep];
  readonly abort?: undefined;
}

/**
 * A party's signed report that the DKLs23 session opened by an es256 step failed a consistency
 * check (docs/protocol.md §6.2). accuser 0 is the agent (signed with the session key), any other
 * accuser an oracle (signed with its node key); culprit names the party whose message failed.
 */
export interface AbortClaim {
  readonly accuser: number;
  readonly culprit: number;
  readonly check: string;
  readonly signature: Uint8Array;
}

/**
 * Evidence of an aborted threshold-ECDSA session: the session's step, the signed claim, and the
 * session's public facts that the step's payload digest commits to (es256PayloadDigest).
 */
export interface AbortEvidence {
  readonly identityId: string;
  readonly steps: readonly [SignedStep];
  readonly abort: AbortClaim;
  /** SHA-256 of the message the session signed. */
  readonly messageDigest: Uint8Array;
  /** The session's signing oracles: t distinct node ids, ascending. */
  readonly oracles: readonly number[];
}

export type Evidence = ForkEvidence | AbortEvidence;

/** Fields of an abort claim's signature. */
export function abortFields(
  identityId: string,
  session: Uint8Array,
  accuser: number,
  culprit: number,
  check: string,
): (Uint8Array | string | number)[] {
  return [identityId, session, accuser, culprit, check];
}

/**
 * The evidence's id (alert dedupe key): independent of the order of the two steps.
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function evidenceDigest(e: Evidence): Uint8Array {
  if (e.abort) {
    const a = e.abort;
    return sha256(
      framed(
        HASH_DOMAINS.ratchetAbortEvidence,
        ...abortFields(e.identityId, stepDigest(e.steps[0].step), a.accuser, a.culprit, a.check),
        e.messageDigest,
        ...e.oracles,
      ),
    );
  }
  const [d1, d2] = e.steps.map((s) => stepDigest(s.step)) as [Uint8Array, Uint8Array];
  const [lo, hi] = Buffer.compare(d1, d2) <= 0 ? [d1, d2] : [d2, d1];
  return sha256(framed(HASH_DOMAINS.ratchetEvidence, e.identityId, lo, hi));
}

/** The oracle count n and quorum t of the identity's cluster (crypto/access.ts AccessStructure). */
export interface SigningSetBounds {
  readonly n: number;
  readonly t: number;
}

/**
 * Checks evidence. Fork evidence needs only the identity's session public key: both steps signed
 * by it, both for this identity, and in conflict. Abort evidence: the es256 step signed by the
 * session key; its payload digest equal to es256PayloadDigest(kind, messageDigest, oracles); the
 * oracles distinct and ascending; the accuser the agent (0) or one of the oracles, and the claim
 * signed by it (the session key, or the accuser's node key in `nodeKeys`); the culprit the agent,
 * one of the oracles or 255 (unattributable), and not the accuser. With `bounds` the oracles
 * must also be exactly t ids in 1..n; without it (an offline check that does not know the
 * cluster) they must be ids in 1..MAX_ORACLES, so a set of the wrong size passes. Returns the
 * reason; throws BAD_EVIDENCE otherwise.
 * May throw CryptoError: BAD_EVIDENCE, BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export function verifyEvidence(
  sessionPublicKey: Uint8Array,
  e: Evidence,
  nodeKeys: ReadonlyMap<number, Uint8Array> = new Map(),
  bounds?: SigningSetBounds,
): RevocationReason {
  try {
    for (const s of e.steps) {
      checkStep(s.step);
      if (s.step.identityId !== e.identityId) throw new Error('identity');
      verifyStep(sessionPublicKey, s);
    }
  } catch {
    throw new CryptoError('BAD_EVIDENCE', 'evidence steps are malformed or not signed by the identity');
  }
  if (e.abort) {
    const a = e.abort;
    const step = e.steps[0].step;
    const key = a.accuser === AGENT_PARTY ? sessionPublicKey : nodeKeys.get(a.accuser);
    if (
      e.steps.length !== 1 ||
      !key ||
      (step.kind !== 'es256' && step.kind !== 'jwt-es256' && step.kind !== 'es256-presign')
    )
      throw new CryptoError('BAD_EVIDENCE', 'abort evidence must name an es256 step and a known accuser');
    checkAbortScope(step.kind, step.payloadDigest, e, bounds);
    verifyStatement(
      key,
      a.signature,
      'abort claim',
      STATEMENT_DOMAINS.ecdsaAbort,
      abortFields(e.identityId, stepDigest(step), a.accuser, a.culprit, a.check),
      'BAD_EVIDENCE',
    );
    return 'ecdsa-abort';
  }
  const [a, b] = e.steps;
  const reason = conflict(a.step, b.step);
  if (!reason) throw new CryptoError('BAD_EVIDENCE', 'evidence steps do not conflict');
  return reason;
}

/**
 * The abort claim is about the session the step opened: the evidence's session facts match the
 * step's payload digest, and accuser and culprit are parties of that session. BAD_EVIDENCE if not.
 */
function checkAbortScope(
  kind: 'es256' | 'jwt-es256' | 'es256-presign',
  stepPayloadDigest: Uint8Array,
  e: AbortEvidence,
  bounds: SigningSetBounds | undefined,
): void {
  const bad = (what: string) => new CryptoError('BAD_EVIDENCE', `abort evidence: ${what}`);
  const { oracles, messageDigest } = e;
  const max = bounds ? bounds.n : MAX_ORACLES;
  if (
    !Array.isArray(oracles) ||
    oracles.length < 1 ||
    (bounds && oracles.length !== bounds.t) ||
    !oracles.every(
      (o, i) => Number.isSafeInteger(o) && o >= 1 && o <= max && (i === 0 || o > (oracles[i - 1] as number)),
    )
  )
    throw bad('malformed signing set');
  if (!(messageDigest instanceof Uint8Array) || messageDigest.length !== DIGEST_LEN)
    throw bad('malformed message digest');
  if (!equalBytes(es256PayloadDigest(kind, messageDigest, oracles), stepPayloadDigest))
    throw bad('session does not match the step');
  const { accuser, culprit } = e.abort;
  if (accuser !== AGENT_PARTY && !oracles.includes(accuser)) throw bad('accuser not in the session');
  if (
    culprit === accuser ||
    (culprit !== AGENT_PARTY && culprit !== NO_CULPRIT && !oracles.includes(culprit))
  )
    throw bad('culprit not in the session');
}
