/**
 * A hostile client for integration tests: it speaks the real agent <-> oracle protocol (signed
 * with a real session key taken from an enrolled agent's state, and with its own record of that
 * identity's ratchet, docs/protocol.md §5) so that a test can change exactly one thing in an
 * otherwise valid request, plus fixtures of invalid group elements and a reader for an oracle's
 * LevelDB.
 */

import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Level } from 'level';
import { expect } from 'vitest';
import { connectOracles, type OracleClient } from '../../agent/oracles.js';
import { type RatchetState, readRatchet } from '../../agent/ratchet.js';
import type { AgentState } from '../../agent/state.js';
import type { ClusterConfig } from '../../common/config.js';
import { clusterNodeKeys } from '../../common/config.js';
import { asMpcidError, type ErrorCode, MpcidError } from '../../common/errors.js';
import { call, errorCodeOf, MAX_MESSAGE_BYTES, services } from '../../common/grpc.js';
import { type JoinTokenClaims, parseJoinToken } from '../../common/jointoken.js';
import {
  beginFields,
  commitFromWire,
  commitmentFromWire,
  commitmentToWire,
  commitToWire,
  enrollmentContext,
  HEARTBEAT_DIGEST,
  nonceRequestFields,
  round1ToWire,
  signPayloadDigest,
  stepToWire,
} from '../../common/protocol.js';
import { type AccessStructure, accessStructure, agentParticipants } from '../../crypto/access.js';
import { concatBytes, toB64u } from '../../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
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
import {
  type Commit,
  headAfter,
  type SignedStep,
  type Step,
  signStep,
  verifyCertificate,
} from '../../crypto/ratchet.js';
import { generateBoxKey } from '../../crypto/seal.js';
import { Secret } from '../../crypto/secret.js';
import { signStatement } from '../../crypto/statement.js';
import type { BeginEnrollmentRequest } from '../../proto/gen/mpcid/oracle/v1/BeginEnrollmentRequest.js';
import type { GetNoncesRequest } from '../../proto/gen/mpcid/oracle/v1/GetNoncesRequest.js';
import type { SignerClient } from '../../proto/gen/mpcid/oracle/v1/Signer.js';
import type { StepRequest } from '../../proto/gen/mpcid/oracle/v1/StepRequest.js';
import type { StepResponse__Output } from '../../proto/gen/mpcid/oracle/v1/StepResponse.js';
import { testDoubleCredentials, testDoubleTls } from './cluster.js';

export const DEADLINE_MS = 10_000;
export const { status: Status } = grpc;
export type StatusCode = grpc.status;

/** The name on the hostile client's certificate (test CA, role agent) when the suites run over mTLS. */
const HOSTILE_CERT_NAME = 'spiffe://test.mpcid/hostile-client';

/** Channel credentials of the hostile client: over mTLS an agent's (role agent), as it speaks the agent's protocol. */
export function hostileCredentials(): grpc.ChannelCredentials {
  return testDoubleCredentials('agent', HOSTILE_CERT_NAME);
}

/** Channels to every oracle of `cluster` as the hostile client (see hostileCredentials). */
export function connectHostile(cluster: ClusterConfig): OracleClient[] {
  return connectOracles(cluster, testDoubleTls('agent', HOSTILE_CERT_NAME));
}

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
  // crypto/ throws CryptoError; callers see it as the MpcidError common/errors maps it to.
  const err = asMpcidError(thrown);
  expect(err).toBeInstanceOf(MpcidError);
  expect(err?.code).toBe(code);
  return err as MpcidError;
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
    signStatement(
      o.signWith ?? b.session.key,
      STATEMENT_DOMAINS.enrollBegin,
      ...beginFields(b.context, box, round1),
    );
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
// Signing: nonces and ratchet steps
// ---------------------------------------------------------------------------------------------

export interface NoncesOverrides {
  identityId?: string;
  count?: number;
  requestId?: Uint8Array;
  signWith?: Secret;
  /** Sign over this count instead of the one sent. */
  signedCount?: number;
  signature?: Uint8Array;
  /** The agent's certified ratchet counter the request is signed at (default 0). */
  counter?: number;
}

/** A GetNonces request for oracle `nodeId`; overrides change one thing, the signature covers what is sent. */
export function noncesRequest(state: AgentState, nodeId: number, o: NoncesOverrides = {}): GetNoncesRequest {
  const identityId = o.identityId ?? state.identityId;
  const count = o.count ?? 1;
  const rid = o.requestId ?? requestId();
  const counter = o.counter ?? 0;
  const signature =
    o.signature ??
    signStatement(
      o.signWith ?? state.sessionKey,
      STATEMENT_DOMAINS.nonceRequest,
      ...nonceRequestFields(identityId, o.signedCount ?? count, rid, counter, nodeId),
    );
  return {
    identityId,
    count,
    requestId: Buffer.from(rid),
    sessionSignature: Buffer.from(signature),
    counter,
    nodeId,
  };
}

export function getNonces(c: OracleClient, req: GetNoncesRequest) {
  return call(c.signer, c.signer.GetNonces, req, DEADLINE_MS, true);
}

/**
 * One fresh nonce commitment from oracle `c`, fetched with the real session key at the agent's
 * certified ratchet `counter` (oracles refuse a counter below theirs - 1 as a replay).
 */
export async function fetchNonce(c: OracleClient, state: AgentState, counter = 0): Promise<NonceCommitment> {
  const res = await getNonces(c, noncesRequest(state, c.nodeId, { count: 1, counter }));
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

export function byParticipant(list: readonly NonceCommitment[]): NonceCommitment[] {
  return [...list].sort((a, b) => a.participant - b.participant);
}

/** The payload digest the oracle checks a sign step against: over the message and the sorted list. */
export function signDigest(message: Uint8Array, list: readonly NonceCommitment[]): Uint8Array {
  return signPayloadDigest('sign', message, byParticipant(list));
}

/** A StepRequest's sign payload, with the commitments in the given order. */
export function signPayloadWire(message: Uint8Array, list: readonly NonceCommitment[]) {
  return { message: Buffer.from(message), commitments: list.map(commitmentToWire) };
}

/** Step fields with `kind` as any string (the wire carries one). */
export type StepFields = Omit<Step, 'kind'> & { kind: string };

export interface StepOverrides {
  /** Fields of the step as sent (default: the next honest step on the tracked state). */
  step?: Partial<StepFields>;
  signWith?: Secret;
  /** Sign over these fields instead of the ones sent. */
  signed?: Partial<StepFields>;
  /** Replaces the signature outright. */
  signature?: Uint8Array;
}

/** A step as signed and the exact request that carries it (with its sign payload, if any). */
export interface Built {
  signed: SignedStep;
  request: StepRequest;
  sign?: { message: Uint8Array; list: NonceCommitment[] };
}

export function step(c: OracleClient, req: StepRequest) {
  return call(c.signer, c.signer.Step, req, DEADLINE_MS, true);
}

/**
 * The hostile client's own record of one identity's ratchet, what agent/ratchet.ts keeps in
 * ratchet.json: the certified counter and head, the commits that certify them, the monotonic
 * clock; plus every step the oracles accepted, so that a test can replay an old one. Built steps
 * extend the tracked state unless overridden; only `accept` (or `commit`) moves it.
 */
export class HostileRatchet {
  counter: number;
  head: Uint8Array;
  /** The time of the last step made (accepted or not): every new step's time is later. */
  time: number;
  certificate: Commit[];
  /** Every accepted step, oldest first. */
  readonly accepted: Built[] = [];
  readonly #nodeKeys: Map<number, Uint8Array>;

  constructor(
    readonly state: AgentState,
    rs: RatchetState,
  ) {
    if (rs.pending) throw new Error('the agent has a pending step; the hostile client cannot track it');
    this.counter = rs.counter;
    this.head = rs.head;
    this.time = rs.time;
    this.certificate = rs.certificate;
    this.#nodeKeys = clusterNodeKeys(state.cluster);
  }

  /** The ratchet of the agent state in `dir` (as enrollment wrote it). */
  static load(dir: string, state: AgentState): HostileRatchet {
    return new HostileRatchet(state, readRatchet(dir, state));
  }

  /** A signed step; overrides change one thing, and the signature covers what is sent unless told otherwise. */
  make(kind: string, payloadDigest: Uint8Array, o: StepOverrides = {}): SignedStep {
    this.time = Math.max(Date.now(), this.time + 1);
    const s: StepFields = {
      identityId: this.state.identityId,
      counter: this.counter + 1,
      prevHead: this.head,
      time: this.time,
      kind,
      payloadDigest,
      requestId: requestId(),
      ...o.step,
    };
    const signature =
      o.signature ?? signStep(o.signWith ?? this.state.sessionKey, { ...s, ...o.signed } as Step).signature;
    return { step: s as Step, signature };
  }

  /** The request for `signed`, carrying `certificate` (default: the tracked one) and a sign payload. */
  request(
    signed: SignedStep,
    sign?: { message: Uint8Array; list: readonly NonceCommitment[] },
    certificate: readonly Commit[] = this.certificate,
  ): StepRequest {
    return {
      step: stepToWire(signed),
      certificate: certificate.map(commitToWire),
      sign: sign ? signPayloadWire(sign.message, sign.list) : null,
    };
  }

  heartbeat(o: StepOverrides = {}): Built {
    const signed = this.make('heartbeat', HEARTBEAT_DIGEST, o);
    return { signed, request: this.request(signed) };
  }

  /** A sign step over `message` with `list` (sent in the given order; its digest over the sorted list). */
  sign(message: Uint8Array, list: readonly NonceCommitment[], o: StepOverrides = {}): Built {
    const signed = this.make('sign', signDigest(message, list), o);
    const sign = { message, list: [...list] };
    return { signed, request: this.request(signed, sign), sign };
  }

  /** Checks that `res` holds node `nodeId`'s valid commit to `signed` (as the real agent does) and returns it. */
  checkCommit(nodeId: number, signed: SignedStep, res: StepResponse__Output): Commit {
    expect(res.commit, `a commit from oracle ${nodeId}`).toBeTruthy();
    const c = commitFromWire(res.commit!);
    const head = headAfter(signed.step);
    expect({ nodeId: c.nodeId, identityId: c.identityId, counter: c.counter }).toEqual({
      nodeId,
      identityId: signed.step.identityId,
      counter: signed.step.counter,
    });
    expect(
      Buffer.from(c.head).equals(Buffer.from(head)),
      `oracle ${nodeId} commits to the head after the step`,
    ).toBe(true);
    verifyCertificate(new Map([[nodeId, this.#nodeKeys.get(nodeId)!]]), 1, c.identityId, c.counter, head, [
      c,
    ]);
    return c;
  }

  /** Records `built` as accepted, certified by `commits`. */
  accept(built: Built, commits: Commit[]): void {
    const s = built.signed.step;
    this.counter = s.counter;
    this.head = headAfter(s);
    this.time = Math.max(this.time, s.time);
    this.certificate = commits;
    this.accepted.push(built);
  }

  /**
   * Sends `built` to every oracle in `targets` (default: all of them, so every oracle's ratchet
   * stays where the tracked one is), checks each commit and records the step as accepted.
   * Returns the answers in the order of `targets`.
   */
  async commit(targets: readonly OracleClient[], built: Built): Promise<StepResponse__Output[]> {
    const answers = await Promise.all(targets.map((c) => step(c, built.request)));
    this.accept(
      built,
      answers.map((a, i) => this.checkCommit(targets[i]!.nodeId, built.signed, a)),
    );
    return answers;
  }
}

/**
 * The final signature: the oracles' shares (by node id) plus the agent's own shares over `list`
 * with `agentNonces`; aggregation verifies the result.
 */
export function complete(
  state: AgentState,
  message: Uint8Array,
  list: readonly NonceCommitment[],
  agentNonces: readonly SigningNonces[],
  oracleShares: ReadonlyMap<number, Uint8Array>,
): Uint8Array {
  const sorted = byParticipant(list);
  const shares = new Map(oracleShares);
  state.shares.forEach((s, i) => {
    shares.set(s.participant, signShare(state.group, s, agentNonces[i]!, sorted, message));
  });
  return aggregate(state.group, sorted, message, shares);
}

/** The non-empty signature shares of `answers` (sent to `targets`, in that order), by node id. */
export function sharesOf(
  targets: readonly OracleClient[],
  answers: readonly StepResponse__Output[],
): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  answers.forEach((a, i) => {
    if (a.signatureShare.length > 0) out.set(targets[i]!.nodeId, new Uint8Array(a.signatureShare));
  });
  return out;
}

/**
 * A complete co-signing by the hostile client with signing set `quorum` (t oracles): real nonces,
 * a real sign step of `ratchet`'s identity, sent to every oracle in `all` (those outside the
 * signing set commit without a share), the agent's own shares, aggregation (which verifies the
 * result). Returns the signature, the step and each oracle's answer (in the order of `all`).
 */
export async function cosign(
  quorum: readonly OracleClient[],
  all: readonly OracleClient[],
  ratchet: HostileRatchet,
  message: Uint8Array,
): Promise<{ signature: Uint8Array; built: Built; answers: StepResponse__Output[] }> {
  const state = ratchet.state;
  const oracle = await Promise.all(quorum.map((c) => fetchNonce(c, state, ratchet.counter)));
  const agent = agentCommitments(state);
  const built = ratchet.sign(message, byParticipant([...oracle, ...agent.commitments]));
  const answers = await ratchet.commit(all, built);
  const shares = sharesOf(all, answers);
  expect([...shares.keys()].sort()).toEqual(quorum.map((c) => c.nodeId).sort());
  return { signature: complete(state, message, built.sign!.list, agent.nonces, shares), built, answers };
}

/** A Signer client (the hostile client's credentials) without the 1 MiB send limit, to put oversized messages on the wire. */
export function unlimitedSigner(address: string): SignerClient {
  const v1 = services().oracle.mpcid.oracle.v1;
  return new v1.Signer(address, hostileCredentials(), {
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
