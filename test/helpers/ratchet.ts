/**
 * Helpers for the ratchet tests (docs/protocol.md §5, §7): honest step chains and forks for the
 * unit tests; for the integration tests, polling oracles for an identity's status, asserting the
 * IDENTITY_REVOKED error, reading an oracle's LevelDB while it is stopped, and verifying fork
 * evidence offline with nothing but the session public key from the agent's state dir.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Level } from 'level';
import { expect } from 'vitest';
import { ratchetFileView } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { CLIENT_OPTIONS, call, errorCodeOf, services } from '../../common/grpc.js';
import { evidenceFromJSON, HEARTBEAT_DIGEST } from '../../common/protocol.js';
import { toB64u } from '../../crypto/bytes.js';
import { generateEd25519 } from '../../crypto/ed25519.js';
import {
  genesisHead,
  headAfter,
  type RevocationReason,
  type SignedStep,
  type Step,
  type StepKind,
  signStep,
  verifyEvidence,
} from '../../crypto/ratchet.js';
import { Secret } from '../../crypto/secret.js';
import type { AlertEvent, RatchetRecord, RevocationRecord } from '../../oracle/records.js';
import type { PeerClient } from '../../proto/gen/mpcid/oracle/v1/Peer.js';
import { type OracleProc, type TestCluster, testCredentials } from './cluster.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A uniformly random integer in [lo, hi]. */
export function randInt(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

// ---- Pure: keys and step chains ----

export interface KeyPair {
  key: Secret;
  publicKey: Uint8Array;
}

export function keyPair(label = 'session-key'): KeyPair {
  const { seed, publicKey } = generateEd25519();
  return { key: new Secret(seed, label), publicKey };
}

/** A random 43-character base64url string shaped like an identity id (RFC 7638 thumbprint). */
export function fakeIdentityId(): string {
  return toB64u(randomBytes(32));
}

export function genesisFor(identityId: string, session: KeyPair): Uint8Array {
  return genesisHead(identityId, new Uint8Array(32).fill(7), session.publicKey);
}

/** One step; fields not given are those of an honest first step. */
export function makeStep(identityId: string, over: Partial<Step> = {}): Step {
  return {
    identityId,
    counter: 1,
    prevHead: new Uint8Array(32),
    time: 1_000,
    kind: 'heartbeat' as StepKind,
    payloadDigest: HEARTBEAT_DIGEST,
    requestId: new Uint8Array(randomBytes(16)),
    ...over,
  };
}

/**
 * An honest history: `len` steps, counters from+1.., each chained to the previous head, times
 * strictly increasing from `time0`. Returns the signed steps and heads[i] = head after step i
 * (heads[0] = `prevHead`, the head the chain starts from).
 */
export function honestChain(
  identityId: string,
  session: KeyPair,
  len: number,
  opts: { prevHead: Uint8Array; from?: number; time0?: number; kind?: StepKind },
): { steps: SignedStep[]; heads: Uint8Array[] } {
  const steps: SignedStep[] = [];
  const heads = [opts.prevHead];
  let time = opts.time0 ?? 1_000;
  for (let i = 0; i < len; i++) {
    const step = makeStep(identityId, {
      counter: (opts.from ?? 0) + i + 1,
      prevHead: heads[i]!,
      time,
      kind: opts.kind ?? 'heartbeat',
    });
    steps.push(signStep(session.key, step));
    heads.push(headAfter(step));
    time += randInt(1, 50);
  }
  return { steps, heads };
}

// ---- Integration: oracles, agents, evidence ----

/** The identity's status ('active' | 'revoked') as one oracle's admin API reports it. */
export async function statusOn(o: OracleProc, identityId: string): Promise<string> {
  return (await call(o.admin, o.admin.GetIdentity, { identityId }, 2_000)).status;
}

/**
 * Polls every running oracle until each reports `status` for the identity; returns the time it
 * took (ms). Throws with the last statuses seen after `timeoutMs`.
 */
export async function waitStatus(
  oracles: readonly OracleProc[],
  identityId: string,
  status: string,
  timeoutMs: number,
  pollMs = 20,
): Promise<number> {
  const t0 = Date.now();
  let seen: string[] = [];
  for (;;) {
    seen = await Promise.all(
      oracles.map((o) => statusOn(o, identityId).catch((e: unknown) => `error: ${(e as Error).message}`)),
    );
    if (seen.every((s) => s === status)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`after ${timeoutMs} ms the oracles report [${seen.join(', ')}], expected ${status}`);
    await sleep(pollMs);
  }
}

/** Every alert event stored on one oracle: WatchAlerts from cursor 0, read for `ms`, then cancelled. */
export async function storedAlerts(o: OracleProc, ms = 500): Promise<AlertEvent[]> {
  const got: AlertEvent[] = [];
  const stream = o.admin.WatchAlerts({ cursor: 0 });
  stream.on('data', (m: { json: string }) => got.push(JSON.parse(m.json) as AlertEvent));
  stream.on('error', () => undefined);
  await sleep(ms);
  stream.cancel();
  return got;
}

/** One oracle's ratchet counter for the identity (Admin GetIdentity). */
export async function counterOn(o: OracleProc, identityId: string): Promise<number> {
  return Number((await call(o.admin, o.admin.GetIdentity, { identityId }, 2_000)).counter);
}

/** Polls until every oracle's counter for the identity is at least `min`; throws after `timeoutMs`. */
export async function waitCounters(
  oracles: readonly OracleProc[],
  identityId: string,
  min: number,
  timeoutMs: number,
): Promise<number[]> {
  const t0 = Date.now();
  for (;;) {
    const seen = await Promise.all(oracles.map((o) => counterOn(o, identityId).catch(() => -1)));
    if (seen.every((c) => c >= min)) return seen;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`after ${timeoutMs} ms the oracles are at [${seen.join(', ')}], expected >= ${min}`);
    await sleep(20);
  }
}

const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

/**
 * The environment that runs a process with its clock shifted by `offset` (libfaketime syntax,
 * e.g. '+1d', '-1d'): every clock the process reads, wall and monotonic, moves by the offset, as
 * on a VM whose clock is wrong. Needs Debian's `faketime` package (.ci/run installs it).
 */
export function shiftedClockEnv(offset: string): NodeJS.ProcessEnv {
  const lib = LIBFAKETIME.find((p) => existsSync(p));
  if (!lib) throw new Error('libfaketime not found: install the Debian package `faketime` (.ci/run does)');
  return { LD_PRELOAD: lib, FAKETIME: offset };
}

/** Awaits a Workload API call and returns the error it failed with (fails the test if it succeeded). */
export async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the call to fail, it succeeded');
    },
    (e: unknown) => e,
  );
}

/** Asserts a gRPC error is the agent's IDENTITY_REVOKED (PERMISSION_DENIED). */
export function expectRevokedError(err: unknown): void {
  expect((err as { code?: number }).code, String((err as Error).message)).toBe(grpc.status.PERMISSION_DENIED);
  expect(errorCodeOf(err)).toBe('IDENTITY_REVOKED');
}

/** A client for an oracle's Peer service (what other oracles call). */
export function peerClient(address: string): PeerClient {
  return new (services().oracle.mpcid.oracle.v1.Peer)(address, testCredentials(), CLIENT_OPTIONS);
}

/** Reads keys from a STOPPED oracle's LevelDB (the running process holds its lock). */
export async function readOracleDb<T>(o: OracleProc, keys: readonly string[]): Promise<(T | undefined)[]> {
  if (o.running) throw new Error(`oracle ${o.id} is running; stop it before opening its LevelDB`);
  const db = new Level<string, unknown>(o.config.dataDir, { valueEncoding: 'json', createIfMissing: false });
  await db.open();
  try {
    return (await db.getMany([...keys])) as (T | undefined)[];
  } finally {
    await db.close();
  }
}

export async function ratchetRecords(o: OracleProc, ids: readonly string[]) {
  return readOracleDb<RatchetRecord>(
    o,
    ids.map((id) => `ratchet!${id}`),
  );
}

export async function revocationRecords(o: OracleProc, ids: readonly string[]) {
  return readOracleDb<RevocationRecord>(
    o,
    ids.map((id) => `revocation!${id}`),
  );
}

/**
 * Checks stored fork evidence offline: parses the evidence document and verifies it with the
 * session public key read from the agent's state dir (nothing from the oracle is trusted).
 */
export function verifyEvidenceOffline(
  evidenceJson: unknown,
  stateDir: string,
  identityId: string,
): RevocationReason {
  const state = readState(stateDir);
  expect(state.identityId).toBe(identityId);
  const evidence = evidenceFromJSON(evidenceJson);
  expect(evidence.identityId).toBe(identityId);
  return verifyEvidence(state.sessionPublicKey, evidence);
}

/** The parts of an agent's raw ratchet.json the crash tests look at. */
export interface AgentRatchetFile {
  counter: number;
  /** The step written ahead and not yet certified, if any: its counter and kind ('sign', 'es256', ...). */
  pending?: { step: { counter: number; kind: string }; sign?: unknown; ecdsa?: unknown };
}

/**
 * The agent's ratchet file as the agent reads it (undefined if unreadable at this instant): the
 * raw ratchet.json, or, when ratchet.certified.json certifies its pending step (the certified
 * state rides the next step's durable write, agent/ratchet.ts), that hint file, as readRatchet
 * folds it. A hint caught mid-write does not parse and is ignored, as the agent ignores it.
 */
export function agentRatchetFile(stateDir: string): AgentRatchetFile | undefined {
  return ratchetFileView(stateDir) as AgentRatchetFile | undefined;
}

export { copyStateDir } from './statedir.js';

/** Deletes a stopped cluster's temp dir (keys, data, logs); MPCID_KEEP_LOGS=1 keeps it for a look. */
export function removeClusterDir(cluster: TestCluster): void {
  if (!process.env['MPCID_KEEP_LOGS']) rmSync(cluster.dir, { recursive: true, force: true });
}

export type { TestCluster };
