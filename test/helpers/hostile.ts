/**
 * A hostile client for integration tests: it speaks the real agent <-> oracle protocol (signed
 * with a real session key taken from an enrolled agent's state) so that a test can change exactly
 * one thing in an otherwise valid request, plus fixtures of invalid group elements and a reader
 * for an oracle's LevelDB.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Level } from 'level';
import { expect } from 'vitest';
import type { OracleClient } from '../../agent/oracles.js';
import type { AgentState } from '../../agent/state.js';
import { type ErrorCode, MpcidError } from '../../common/errors.js';
import { call, errorCodeOf, MAX_MESSAGE_BYTES, services } from '../../common/grpc.js';
import { type JoinTokenClaims, parseJoinToken } from '../../common/jointoken.js';
import {
  beginFields,
  commitmentFromWire,
  commitmentToWire,
  DOMAINS,
  enrollmentContext,
  nonceRequestFields,
  round1ToWire,
  signRequestFields,
} from '../../common/protocol.js';
import { type AccessStructure, accessStructure, agentParticipants } from '../../crypto/access.js';
import { concatBytes, toB64u } from '../../crypto/bytes.js';
import { generateEd25519 } from '../../crypto/ed25519.js';
import {
  aggregate,
  commit,
  DkgParticipant,
  type NonceCommitment,
  type Round1Package,
  type SigningNonces,
  signShare,
} from '../../crypto/frost.js';
import { generateBoxKey } from '../../crypto/seal.js';
import { Secret } from '../../crypto/secret.js';
import { signStatement } from '../../crypto/statement.js';
import type { BeginEnrollmentRequest } from '../../proto/gen/mpcid/oracle/v1/BeginEnrollmentRequest.js';
import type { GetNoncesRequest } from '../../proto/gen/mpcid/oracle/v1/GetNoncesRequest.js';
import type { SignerClient } from '../../proto/gen/mpcid/oracle/v1/Signer.js';
import type { SignRequest } from '../../proto/gen/mpcid/oracle/v1/SignRequest.js';

export const DEADLINE_MS = 10_000;
export const { status: Status } = grpc;
export type StatusCode = grpc.status;

// ---------------------------------------------------------------------------------------------
// Expected failures
// ---------------------------------------------------------------------------------------------

/** Awaits a call that must fail and returns its error; fails the test if the call succeeds. */
export async function rejection(p: Promise<unknown>): Promise<grpc.ServiceError> {
  let res: unknown;
  try {
    res = await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error(`expected the call to fail, but it succeeded: ${JSON.stringify(res)?.slice(0, 200)}`);
}

/**
 * Asserts that a call fails with gRPC status `status` and mpcid code `code` (undefined: the
 * server sent no mpcid code, e.g. a grpc-js transport limit). Returns the error.
 */
export async function expectRejected(
  p: Promise<unknown>,
  status: grpc.status,
  code: ErrorCode | undefined,
): Promise<grpc.ServiceError> {
  const err = await rejection(p);
  // Names instead of numbers make a mismatch readable; the numbers are compared right after.
  expect({ status: Status[err.code], code: errorCodeOf(err), details: err.details }).toMatchObject({
    status: Status[status],
    code,
  });
  expect(err.code).toBe(status);
  if (code) expect(err.details.startsWith(`${code}: `)).toBe(true);
  return err;
}

/** Asserts that an in-process call throws MpcidError with `code`. */
export function expectMpcidError(f: () => unknown, code: ErrorCode): MpcidError {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(MpcidError);
  expect((thrown as MpcidError).code).toBe(code);
  return thrown as MpcidError;
}

// ---------------------------------------------------------------------------------------------
// Group elements, good and bad
// ---------------------------------------------------------------------------------------------

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const P = 2n ** 255n - 19n;

function leBytes(x: bigint, len = 32): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function randomScalar(): bigint {
  return (BigInt(`0x${randomBytes(40).toString('hex')}`) % (L - 1n)) + 1n;
}

/** A uniformly random prime-order point (a valid commitment that nobody holds a nonce for). */
export function randomPoint(): Uint8Array {
  return Point.BASE.multiply(randomScalar()).toBytes();
}

/** The first canonical y-coordinate (from 2 up) that is not the y of any curve point. */
function notOnCurve(): Uint8Array {
  for (let y = 2n; ; y++) {
    const b = leBytes(y);
    try {
      Point.fromBytes(b);
    } catch {
      return b;
    }
  }
}

/** The order-8 point of RFC 8032's small-order list (also in Monocypher's and libsodium's blocklists). */
const ORDER_8 = Uint8Array.from(
  Buffer.from('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', 'hex'),
);

/**
 * Invalid group elements with the code the oracle must answer. Each fixture is checked against
 * @noble/curves directly in the tests, so they are what their labels claim.
 */
export function badPoints(): { label: string; bytes: Uint8Array; code: ErrorCode }[] {
  const good = randomPoint();
  return [
    { label: 'empty', bytes: new Uint8Array(0), code: 'BAD_LENGTH' },
    { label: '31 bytes', bytes: good.slice(0, 31), code: 'BAD_LENGTH' },
    { label: '33 bytes', bytes: concatBytes(good, new Uint8Array([0])), code: 'BAD_LENGTH' },
    { label: '64 bytes', bytes: concatBytes(good, good), code: 'BAD_LENGTH' },
    { label: 'not on the curve', bytes: notOnCurve(), code: 'MALFORMED_POINT' },
    { label: 'identity', bytes: leBytes(1n), code: 'MALFORMED_POINT' },
    { label: 'order 2 (y = -1)', bytes: leBytes(P - 1n), code: 'MALFORMED_POINT' },
    { label: 'order 4 (y = 0)', bytes: leBytes(0n), code: 'MALFORMED_POINT' },
    { label: 'order 8', bytes: ORDER_8, code: 'MALFORMED_POINT' },
    {
      label: 'prime-order point plus an order-8 point',
      bytes: Point.fromBytes(good).add(Point.fromBytes(ORDER_8)).toBytes(),
      code: 'MALFORMED_POINT',
    },
    { label: 'non-canonical (y = p + 1)', bytes: leBytes(P + 1n), code: 'MALFORMED_POINT' },
    {
      label: 'non-canonical (identity with the x sign bit set)',
      bytes: concatBytes(leBytes(1n, 31), new Uint8Array([0x80])),
      code: 'MALFORMED_POINT',
    },
  ];
}

/** Independent check of a fixture with @noble/curves: true iff it is a canonical prime-order non-identity point. */
export function isValidElement(b: Uint8Array): boolean {
  if (b.length !== 32) return false;
  try {
    const p = Point.fromBytes(b, false);
    return !p.is0() && p.isTorsionFree() && Buffer.from(p.toBytes()).equals(Buffer.from(b));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Keys and signatures
// ---------------------------------------------------------------------------------------------

export interface SessionKey {
  key: Secret;
  publicKey: Uint8Array;
}

export function newSessionKey(): SessionKey {
  const { seed, publicKey } = generateEd25519();
  return { key: new Secret(seed, 'session-key'), publicKey };
}

/** The real session key of an enrolled agent. */
export function sessionOf(state: AgentState): SessionKey {
  return { key: state.sessionKey, publicKey: state.sessionPublicKey };
}

export function requestId(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

/** A random identity id of the right shape (an RFC 7638 thumbprint is 43 base64url characters). */
export function randomIdentityId(): string {
  return toB64u(new Uint8Array(randomBytes(32)));
}

// ---------------------------------------------------------------------------------------------
// Enrollment
// ---------------------------------------------------------------------------------------------

/** Everything an agent would send in BeginEnrollment, before any tampering. */
export interface BeginParts {
  token: string;
  claims: JoinTokenClaims;
  as: AccessStructure;
  session: SessionKey;
  box: Uint8Array;
  round1: Round1Package[];
  context: Uint8Array;
}

/** Fresh, valid BeginEnrollment material for `token` (as a real agent would make it). */
export function beginParts(token: string, session = newSessionKey()): BeginParts {
  const { claims } = parseJoinToken(token);
  const as = accessStructure(claims.cluster.n, claims.cluster.t);
  const dkgs = agentParticipants(as).map((p) => new DkgParticipant(as, p));
  const round1 = dkgs.map((d) => d.round1);
  for (const d of dkgs) d.abandon();
  const box = generateBoxKey();
  box.secretKey.wipe();
  return {
    token,
    claims,
    as,
    session,
    box: box.publicKey,
    round1,
    context: enrollmentContext(claims, session.publicKey),
  };
}

export interface BeginOverrides {
  joinToken?: string;
  round1?: Round1Package[];
  box?: Uint8Array;
  sessionPublicKey?: Uint8Array;
  /** Key that signs the statement (default: the session key of the parts). */
  signWith?: Secret;
  /** Replaces the signature outright. */
  signature?: Uint8Array;
}

/**
 * A BeginEnrollment request. Overrides change one thing; the session signature is computed over
 * whatever is sent (unless overridden), so a rejection is about that one thing.
 */
export function beginRequest(b: BeginParts, o: BeginOverrides = {}): BeginEnrollmentRequest {
  const round1 = o.round1 ?? b.round1;
  const box = o.box ?? b.box;
  const signature =
    o.signature ??
    signStatement(o.signWith ?? b.session.key, DOMAINS.enrollBegin, ...beginFields(b.context, box, round1));
  return {
    joinToken: o.joinToken ?? b.token,
    sessionPublicKey: Buffer.from(o.sessionPublicKey ?? b.session.publicKey),
    agentBoxPublicKey: Buffer.from(box),
    agentRound1: round1.map(round1ToWire),
    sessionSignature: Buffer.from(signature),
  };
}

export function begin(c: OracleClient, req: BeginEnrollmentRequest) {
  return call(c.enrollment, c.enrollment.BeginEnrollment, req, DEADLINE_MS, true);
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

export interface NoncesOverrides {
  identityId?: string;
  count?: number;
  requestId?: Uint8Array;
  signWith?: Secret;
  /** Sign over this count instead of the one sent. */
  signedCount?: number;
  signature?: Uint8Array;
}

export function noncesRequest(state: AgentState, o: NoncesOverrides = {}): GetNoncesRequest {
  const identityId = o.identityId ?? state.identityId;
  const count = o.count ?? 1;
  const rid = o.requestId ?? requestId();
  const signature =
    o.signature ??
    signStatement(
      o.signWith ?? state.sessionKey,
      DOMAINS.nonceRequest,
      ...nonceRequestFields(identityId, o.signedCount ?? count, rid),
    );
  return { identityId, count, requestId: Buffer.from(rid), sessionSignature: Buffer.from(signature) };
}

export function getNonces(c: OracleClient, req: GetNoncesRequest) {
  return call(c.signer, c.signer.GetNonces, req, DEADLINE_MS, true);
}

/** One fresh nonce commitment from oracle `c`, fetched with the real session key. */
export async function fetchNonce(c: OracleClient, state: AgentState): Promise<NonceCommitment> {
  const res = await getNonces(c, noncesRequest(state, { count: 1 }));
  expect(res.commitments.length).toBe(1);
  const nc = commitmentFromWire(res.commitments[0]!);
  expect(nc.participant).toBe(c.nodeId);
  return nc;
}

/** Fresh nonces for each of the agent's shares. */
export function agentCommitments(state: AgentState): {
  nonces: SigningNonces[];
  commitments: NonceCommitment[];
} {
  const made = state.shares.map((s) => commit(s));
  return { nonces: made.map((m) => m.nonces), commitments: made.map((m) => m.commitment) };
}

export interface SignOverrides {
  identityId?: string;
  requestId?: Uint8Array;
  signWith?: Secret;
  /** Sign over this message instead of the one sent. */
  signedMessage?: Uint8Array;
  signature?: Uint8Array;
}

/** A Sign request over `list` (sent in the given order; signed over it sorted, as the oracle checks it). */
export function signRequest(
  state: AgentState,
  message: Uint8Array,
  list: readonly NonceCommitment[],
  o: SignOverrides = {},
): SignRequest {
  const identityId = o.identityId ?? state.identityId;
  const rid = o.requestId ?? requestId();
  const sorted = [...list].sort((a, b) => a.participant - b.participant);
  const signature =
    o.signature ??
    signStatement(
      o.signWith ?? state.sessionKey,
      DOMAINS.signRequest,
      ...signRequestFields(identityId, o.signedMessage ?? message, sorted, rid),
    );
  return {
    identityId,
    message: Buffer.from(message),
    commitments: list.map(commitmentToWire),
    requestId: Buffer.from(rid),
    sessionSignature: Buffer.from(signature),
  };
}

export function sign(c: OracleClient, req: SignRequest) {
  return call(c.signer, c.signer.Sign, req, DEADLINE_MS, true);
}

/**
 * A complete co-signing by the hostile client with oracles `quorum` (t of them): real nonces,
 * real session signature, the agent's own shares, aggregation (which verifies the result).
 * Returns the signature and the exact request each oracle served.
 */
export async function cosign(
  quorum: readonly OracleClient[],
  state: AgentState,
  message: Uint8Array,
): Promise<{ signature: Uint8Array; request: SignRequest }> {
  const oracle = await Promise.all(quorum.map((c) => fetchNonce(c, state)));
  const agent = agentCommitments(state);
  const list = [...oracle, ...agent.commitments].sort((a, b) => a.participant - b.participant);
  const request = signRequest(state, message, list);
  const answers = await Promise.all(quorum.map((c) => sign(c, request)));
  const shares = new Map<number, Uint8Array>();
  answers.forEach((a, i) => {
    expect(a.nodeId).toBe(quorum[i]!.nodeId);
    shares.set(a.nodeId, new Uint8Array(a.signatureShare));
  });
  state.shares.forEach((s, i) => {
    shares.set(s.participant, signShare(state.group, s, agent.nonces[i]!, list, message));
  });
  return { signature: aggregate(state.group, list, message, shares), request };
}

/** A Signer client without the 1 MiB send limit, to put oversized messages on the wire. */
export function unlimitedSigner(address: string): SignerClient {
  const v1 = services().oracle.mpcid.oracle.v1;
  return new v1.Signer(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  });
}

// ---------------------------------------------------------------------------------------------
// Oracle storage
// ---------------------------------------------------------------------------------------------

/** Every entry of a (closed) oracle LevelDB, in key order. */
export async function readLevel(dataDir: string): Promise<[string, unknown][]> {
  const db = new Level<string, unknown>(dataDir, { valueEncoding: 'json' });
  await db.open();
  try {
    const out: [string, unknown][] = [];
    for await (const [k, v] of db.iterator()) out.push([k, v]);
    return out;
  } finally {
    await db.close();
  }
}
