/**
 * The agent's side of enrollment (docs/protocol.md §4). The agent runs its w DKG participants
 * locally, relays the oracles' signed round-1 messages and sealed round-2 shares between them,
 * and writes its state only after all n oracles have confirmed the same key and transcript.
 * Then it sets up the identity's ES256 key (agent/ecdsa-setup.ts: a P-256 DKG and the DKLs23 pairwise
 * OT setup with every oracle) and rewrites its state with it. The Ed25519 identity is enrolled
 * either way: if ES256 setup fails, the agent retries it when it starts (`mpcid agent run`).
 * An identity enrolled with `algs` [EdDSA] skips ES256 setup for good.
 */

import { join } from 'node:path';
import { clusterNodeKeys } from '../common/config.js';
import { asMpcidError, MpcidError } from '../common/errors.js';
import { call, fromServiceError } from '../common/grpc.js';
import { parseJoinToken } from '../common/jointoken.js';
import { LOG, type Logger } from '../common/log.js';
import { beginFields, enrolledFields, enrollmentContext, round1ToWire } from '../common/protocol.js';
import { copyBundle, type TlsFiles, type TlsMaterial } from '../common/tls.js';
import { accessStructure, agentParticipants } from '../crypto/access.js';
import { equalBytes } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { generateEd25519 } from '../crypto/ed25519.js';
import { DkgParticipant, round1Digest } from '../crypto/frost.js';
import { jwkThumbprint } from '../crypto/jwk.js';
import { generateBoxKey } from '../crypto/seal.js';
import { Secret } from '../crypto/secret.js';
import { signStatement, verifyStatement } from '../crypto/statement.js';
import { agentRound2, checkOracleRound1, routeOracleShares } from './dkg.js';
import { abandonEs256, type Es256Prep, prepareEs256, setupEs256 } from './ecdsa-setup.js';
import { closeOracles, connectOracles, type OracleClient, whileSending } from './oracles.js';
import { initialRatchet, writeRatchet } from './ratchet.js';
import { type AgentState, ALGS, type Alg, hasState, writeState } from './state.js';

export interface EnrollOptions {
  token: string;
  stateDir: string;
  log: Logger;
  /** Deadline of each call to an oracle. */
  deadlineMs?: number;
  /**
   * mTLS to the oracles: the agent's bundle (its certificate, role agent, and the cluster CA),
   * copied into the state dir's tls/ once enrolled so `agent run` uses it; null for plaintext.
   */
  tls: { files: TlsFiles; material: TlsMaterial } | null;
  /** The algorithms to enroll for (default both); ES256 setup is skipped unless listed. */
  algs?: readonly Alg[];
}

/** Where an enrolled agent keeps its TLS bundle. */
export function stateTlsDir(stateDir: string): string {
  return join(stateDir, 'tls');
}

/** Runs one call on every oracle; every oracle must answer (the DKG needs all n). */
async function onAll<T>(
  clients: OracleClient[],
  what: string,
  f: (c: OracleClient) => Promise<T>,
): Promise<T[]> {
  const results = await Promise.allSettled(clients.map(f));
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected'
      ? [{ c: clients[i]!, e: fromServiceError(r.reason, `oracle ${clients[i]!.nodeId}`) }]
      : [],
  );
  if (failed.length === 0) return results.map((r) => (r as PromiseFulfilledResult<T>).value);
  // A refusal from an oracle (bad token, ...) matters more than an unreachable one.
  const refusal = failed.find((f) => f.e.code !== 'PEER_UNAVAILABLE');
  if (refusal) throw new MpcidError(refusal.e.code, `${what}: ${refusal.e.message}`);
  const names = failed.map((f) => `oracle ${f.c.nodeId} at ${f.c.address}`).join(', ');
  throw new MpcidError(
    'QUORUM_UNAVAILABLE',
    `${what}: enrollment needs all ${clients.length} oracles; ${clients.length - failed.length} reachable (unreachable: ${names})`,
  );
}

export async function enroll(opts: EnrollOptions): Promise<AgentState> {
  const { log } = opts;
  const deadline = opts.deadlineMs ?? 15_000;
  if (hasState(opts.stateDir)) {
    throw new MpcidError(
      'ENROLLMENT_STATE',
      `${opts.stateDir} already holds an enrolled identity; use a new state dir`,
    );
  }
  const { claims } = parseJoinToken(opts.token);
  const as = accessStructure(claims.cluster.n, claims.cluster.t);
  const { n } = as;
  const session = generateEd25519();
  const sessionKey = new Secret(session.seed, 'session-key');
  const box = generateBoxKey();
  const mine = agentParticipants(as).map((p) => new DkgParticipant(as, p));
  const agentRound1 = mine.map((d) => d.round1);
  const context = enrollmentContext(claims, session.publicKey);
  const clients = connectOracles(claims.cluster, opts.tls?.material ?? null);
  let es256Prep: Es256Prep | undefined;
  try {
    // Round 1: present the token and our round-1; collect each oracle's signed round-1.
    const sessionSignature = signStatement(
      sessionKey,
      STATEMENT_DOMAINS.enrollBegin,
      ...beginFields(context, box.publicKey, agentRound1),
    );
    const begun = await onAll(clients, 'BeginEnrollment', (c) =>
      call(
        c.enrollment,
        c.enrollment.BeginEnrollment,
        {
          joinToken: opts.token,
          sessionPublicKey: Buffer.from(session.publicKey),
          agentBoxPublicKey: Buffer.from(box.publicKey),
          agentRound1: agentRound1.map(round1ToWire),
          sessionSignature: Buffer.from(sessionSignature),
        },
        deadline,
      ),
    );
    const {
      oracleRound1,
      oracleBox,
      pkgs: oraclePkgs,
    } = checkOracleRound1(
      as,
      begun.map((res, i) => [clients[i]!.nodeId, res.round1] as const),
      clusterNodeKeys(claims.cluster),
      context,
      'round-1',
    );
    const all = [...oraclePkgs, ...agentRound1];

    // Round 2: our shares (sealed to each oracle, kept locally between our own participants).
    const { local, toOracle } = agentRound2(mine, all, n, box, oracleBox, context);
    // While the oracles check and make their shares, we make what ES256 setup needs before it
    // knows the identity (w P-256 DKG participants, noble's cold start included, and a box key).
    // Not during the first round: its calls wait for the channels to connect, which needs the loop.
    const exchanged = await whileSending(
      onAll(clients, 'ExchangeShares', (c) =>
        call(
          c.enrollment,
          c.enrollment.ExchangeShares,
          { tokenId: claims.jti, oracleRound1, agentShares: toOracle.get(c.nodeId) ?? [] },
          deadline,
        ),
      ),
      () => {
        if ((opts.algs ?? ALGS).includes('ES256')) es256Prep = prepareEs256(as);
      },
    );
    // Route every oracle's sealed shares: to other oracles via FinishEnrollment, to us locally.
    const forOracle = routeOracleShares(
      exchanged.map((res, i) => [clients[i]!.nodeId, res.shares] as const),
      n,
      box,
      oracleBox,
      context,
      local,
    );

    // Round 3: every oracle finishes and confirms. While they do (and sync their stores), we
    // finish our own participants.
    let results: ReturnType<DkgParticipant['finish']>[] = [];
    const finished = await whileSending(
      onAll(clients, 'FinishEnrollment', (c) =>
        call(
          c.enrollment,
          c.enrollment.FinishEnrollment,
          { tokenId: claims.jti, shares: forOracle.get(c.nodeId) ?? [] },
          deadline,
        ),
      ),
      () => {
        results = mine.map((d) => d.finish(all, local.get(d.round1.participant) ?? new Map()));
      },
    );
    const group = results[0]!.group;
    if (!results.every((r) => equalBytes(r.group.groupPublicKey, group.groupPublicKey))) {
      throw new MpcidError('DKG_FAILED', 'agent participants derived different group keys');
    }
    const identityId = jwkThumbprint(group.groupPublicKey);
    const digest = round1Digest(context, all);
    const nodeKeys = clusterNodeKeys(claims.cluster);
    finished.forEach((res, i) => {
      const c = clients[i]!;
      const e = res.enrolled;
      const nodeKey = nodeKeys.get(c.nodeId)!;
      if (!e || e.nodeId !== c.nodeId || e.identityId !== identityId)
        throw new MpcidError('DKG_FAILED', `oracle ${c.nodeId} confirmed a different identity`);
      if (
        !equalBytes(new Uint8Array(e.groupPublicKey), group.groupPublicKey) ||
        !equalBytes(new Uint8Array(e.round1Digest), digest)
      ) {
        throw new MpcidError('DKG_FAILED', `oracle ${c.nodeId} saw a different key or round-1 set`);
      }
      verifyStatement(
        nodeKey,
        new Uint8Array(e.signature),
        `confirmation of oracle ${c.nodeId}`,
        STATEMENT_DOMAINS.enrolled,
        enrolledFields(context, c.nodeId, identityId, group.groupPublicKey, digest),
        'DKG_FAILED',
      );
    });
    const state: AgentState = {
      cluster: claims.cluster,
      name: claims.name,
      identityId,
      group,
      shares: results.map((r) => r.share),
      sessionKey,
      sessionPublicKey: session.publicKey,
      enrolledAt: Date.now(),
      ...(claims.require ? { requiredClaims: claims.require } : {}),
      algs: opts.algs ?? ALGS,
    };
    if (opts.tls) copyBundle(opts.tls.files, stateTlsDir(opts.stateDir));
    // The ratchet file first: a state.json without its ratchet.json is reported as corrupt.
    writeRatchet(opts.stateDir, identityId, initialRatchet(state));
    writeState(opts.stateDir, state);
    log.info({ [LOG.identity]: identityId, [LOG.name]: claims.name }, 'enrolled');
    return await withEs256(opts.stateDir, state, clients, deadline, log, es256Prep);
  } finally {
    if (es256Prep) abandonEs256(es256Prep);
    for (const d of mine) d.abandon();
    box.secretKey.wipe();
    closeOracles(clients);
  }
}

/**
 * Runs ES256 setup for an enrolled identity and rewrites its state with the key. On failure the
 * state is left as it was (EdDSA only) and the error is logged: ES256 is retried later. `prep`
 * (enrollment's, made while the oracles finished the Ed25519 DKG) is consumed; absent, setup
 * makes its own.
 */
export async function withEs256(
  stateDir: string,
  state: AgentState,
  clients: readonly OracleClient[],
  deadlineMs: number,
  log: Logger,
  prep?: Es256Prep,
): Promise<AgentState> {
  if (state.es256 || !state.algs.includes('ES256')) return state;
  const t0 = Date.now();
  try {
    const es256 = await setupEs256(state, clients, deadlineMs, prep);
    const next: AgentState = { ...state, es256 };
    writeState(stateDir, next);
    log.info(
      { [LOG.identity]: state.identityId, kid: es256.kid, [LOG.durationMs]: Date.now() - t0 },
      'ES256 key set up',
    );
    return next;
  } catch (e) {
    const err = asMpcidError(e) ?? fromServiceError(e, 'ES256 setup');
    log.warn(
      { [LOG.identity]: state.identityId, [LOG.errorCode]: err.code, [LOG.errorMessage]: err.message },
      'ES256 setup failed (the EdDSA identity is enrolled; the agent retries ES256 setup when it starts)',
    );
    return state;
  }
}
