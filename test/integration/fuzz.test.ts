/**
 * Property-based fuzzing (fast-check) of EVERY RPC of a LIVE 2-of-3 cluster (real oracle
 * processes, real LevelDB) and of a real agent's Workload API on its Unix socket:
 *
 *   random    any protobuf-shaped value of the request type (from the .proto reflection; random
 *             bytes, strings and numbers, wrong lengths, huge repeated fields up to the transport
 *             limit, known-good values mixed in to get past early checks), or raw random bytes;
 *   mutated   valid captured requests, replayed as they are, with bits flipped, truncated, with a
 *             field (or a nested field) taken from another valid message, merged, spliced.
 *
 * Every call must come back OK only where that is legitimate (read-only RPCs; the Workload API;
 * an exact retry that gets the stored reply: the last ratchet step, an enrollment's begin or
 * exchange; an already applied revocation), and otherwise as a gRPC status carrying one of the
 * stable codes (never INTERNAL). No oracle may crash or log an uncaught exception, an unhandled
 * rejection or an internal error; the stored state (every LevelDB, read with the oracles stopped
 * before and after) is unchanged but for what the legitimate OK calls wrote; and afterwards the
 * honest agent still co-signs (verified with node:crypto).
 *
 * Reproducible: seed MPCID_FUZZ_SEED (default below), cases per RPC and mode MPCID_FUZZ_RUNS
 * (default 60; the Workload API gets a quarter, as each OK there is a real co-signature). The
 * figures (cases tried per RPC, outcome distribution) are printed at the end.
 */

import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import type protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, type OracleClient } from '../../agent/oracles.js';
import { type AgentState, readState } from '../../agent/state.js';
import { ecdsaSetupContext, SETUP_ID_LEN } from '../../common/ecdsa-wire.js';
import { call, errorCodeOf, MAX_MESSAGE_BYTES, serviceErrorOfStep, services } from '../../common/grpc.js';
import { issuerRoundFields } from '../../common/issuer.js';
import { issueJoinToken, parseJoinToken } from '../../common/jointoken.js';
import { readNodeKey } from '../../common/keys.js';
import {
  beginFields,
  commitToWire,
  enrollmentContext,
  round1FromWire,
  round1ToWire,
  stepFromJSON,
  stepToWire,
} from '../../common/protocol.js';
import { unsealPayloadDigest } from '../../common/unseal-wire.js';
import { accessStructure, agentParticipants } from '../../crypto/access.js';
import { parseBlob } from '../../crypto/blob.js';
import { toB64u } from '../../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
import { ed25519PublicKey } from '../../crypto/ed25519.js';
import { DkgParticipant, P256 } from '../../crypto/frost.js';
import { verifyStep } from '../../crypto/ratchet.js';
import { generateBoxKey, sealShare } from '../../crypto/seal.js';
import type { Secret } from '../../crypto/secret.js';
import { signStatement } from '../../crypto/statement.js';
import { issuerSetupContext } from '../../oracle/issuer-setup.js';
import type { RatchetRecord } from '../../oracle/records.js';
import type { EcdsaRoundRequest } from '../../proto/gen/mpcid/oracle/v1/EcdsaRoundRequest.js';
import type { EcdsaSetupRequest } from '../../proto/gen/mpcid/oracle/v1/EcdsaSetupRequest.js';
import type { SealedShare } from '../../proto/gen/mpcid/oracle/v1/SealedShare.js';
import type { StepResponse__Output } from '../../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { UnsealRequest } from '../../proto/gen/mpcid/oracle/v1/UnsealRequest.js';
import {
  startCluster,
  type TestCluster,
  testCredentials,
  testDoubleCredentials,
} from '../helpers/cluster.js';
import { Es256Double, nodeVerifyEs256 } from '../helpers/es256.js';
import {
  type Case,
  encode,
  errorLabel,
  Figures,
  loadRoot,
  mutationArb,
  type Outcome,
  type Pools,
  type Rpc,
  randomCaseArb,
  rawClient,
  rawStream,
  rawUnary,
  rpcTable,
} from '../helpers/fuzz.js';
import {
  begin,
  connectHostile,
  cosign,
  DEADLINE_MS,
  expectRejected,
  HostileRatchet,
  newSessionKey,
  noncesRequest,
  randomPoint,
  readLevel,
  Status,
  step,
} from '../helpers/hostile.js';

const SEED = Number(process.env['MPCID_FUZZ_SEED'] ?? 20_240_606);
const RUNS = Number(process.env['MPCID_FUZZ_RUNS'] ?? 60);
const CALL_DEADLINE_MS = 15_000;

type Snapshot = Record<number, [string, unknown][]>;

async function snapshotOracles(cluster: TestCluster): Promise<Snapshot> {
  await Promise.all(cluster.oracles.map((o) => o.kill('SIGTERM')));
  const out: Snapshot = {};
  for (const o of cluster.oracles) {
    expect(o.proc?.exitCode, `oracle ${o.id} exit code (graceful stop)`).toBe(0);
    out[o.id] = await readLevel(o.config.dataDir);
  }
  await Promise.all(cluster.oracles.map((o) => o.start()));
  return out;
}

function nodeVerify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toB64u(publicKey) }, format: 'jwk' });
  return verify(null, msg, key, sig);
}

const SEALED_PLAINTEXT = new Uint8Array(Buffer.from('fuzz: a sealed secret'));
const eqBytes = (a: unknown, b: unknown) =>
  a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));

/** Order-insensitive form of a decoded message: repeated message fields as sorted encodings. */
function canonical(t: protobuf.Type, m: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const f of t.fieldsArray) {
    const v = m[f.name];
    if (f.repeated && f.resolvedType && 'fieldsArray' in f.resolvedType) {
      const ft = f.resolvedType as protobuf.Type;
      const items = (v as Record<string, unknown>[]).map((x) => Buffer.from(encode(ft, x)).toString('hex'));
      parts.push(`${f.name}=[${items.sort().join(',')}]`);
    } else {
      parts.push(`${f.name}=${v instanceof Uint8Array ? Buffer.from(v).toString('hex') : JSON.stringify(v)}`);
    }
  }
  return parts.join(';');
}

/** The agent's side of an enrollment, driven by hand so that each request can be kept (and withheld). */
async function driveEnrollment(
  clients: OracleClient[],
  token: string,
  upTo: 'begin' | 'exchange' | 'finish',
) {
  const { claims } = parseJoinToken(token);
  const as = accessStructure(claims.cluster.n, claims.cluster.t);
  const session = newSessionKey();
  const box = generateBoxKey();
  const mine = agentParticipants(as).map((p) => new DkgParticipant(as, p));
  const agentRound1 = mine.map((d) => d.round1);
  const context = enrollmentContext(claims, session.publicKey);
  const beginReq = {
    joinToken: token,
    sessionPublicKey: Buffer.from(session.publicKey),
    agentBoxPublicKey: Buffer.from(box.publicKey),
    agentRound1: agentRound1.map(round1ToWire),
    sessionSignature: Buffer.from(
      signStatement(
        session.key,
        STATEMENT_DOMAINS.enrollBegin,
        ...beginFields(context, box.publicKey, agentRound1),
      ),
    ),
  };
  const begun = await Promise.all(clients.map((c) => begin(c, beginReq)));
  const oracleRound1 = begun.map((r) => r.round1!);
  const all = [...oracleRound1.map((r) => round1FromWire(as, r.package, 'round1')), ...agentRound1];
  const toOracle = new Map<number, SealedShare[]>();
  for (const d of mine) {
    const sender = d.round1.participant;
    for (const [recipient, share] of d.round2(all)) {
      if (recipient <= as.n) {
        const r1 = oracleRound1.find((r) => r.nodeId === recipient)!;
        const sealed = sealShare({
          senderKey: box.secretKey,
          recipientPublic: new Uint8Array(r1.boxPublicKey),
          context,
          sender,
          recipient,
          share,
        });
        toOracle.set(recipient, [
          ...(toOracle.get(recipient) ?? []),
          { sender, recipient, sealed: Buffer.from(sealed) },
        ]);
      }
      share.wipe();
    }
  }
  for (const d of mine) d.abandon();
  box.secretKey.wipe();
  const exchange = clients.map((c) => ({
    tokenId: claims.jti,
    oracleRound1,
    agentShares: toOracle.get(c.nodeId) ?? [],
  }));
  const out = {
    token,
    jti: claims.jti,
    sessionKey: session.key,
    sessionPublicKey: session.publicKey,
    begin: beginReq,
    exchange,
  };
  if (upTo === 'begin') return { ...out, finish: undefined, identityId: undefined };
  const exchanged = await Promise.all(
    clients.map((c, i) => call(c.enrollment, c.enrollment.ExchangeShares, exchange[i]!, DEADLINE_MS)),
  );
  const forOracle = new Map<number, SealedShare[]>();
  for (const res of exchanged)
    for (const s of res.shares)
      if (s.recipient <= as.n) forOracle.set(s.recipient, [...(forOracle.get(s.recipient) ?? []), s]);
  const finish = clients.map((c) => ({ tokenId: claims.jti, shares: forOracle.get(c.nodeId) ?? [] }));
  if (upTo === 'exchange') return { ...out, finish, identityId: undefined };
  const finished = await Promise.all(
    clients.map((c, i) => call(c.enrollment, c.enrollment.FinishEnrollment, finish[i]!, DEADLINE_MS)),
  );
  return { ...out, finish, identityId: finished[0]!.enrolled!.identityId };
}

/**
 * Lines of a process log written after byte `from` that show a crash or a bug: not a JSON log line
 * (an uncaught exception, an unhandled rejection), or logged at error level or above.
 */
function badLogLines(file: string, from: number): string[] {
  return readFileSync(file)
    .subarray(from)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        const j = JSON.parse(l) as { level?: number };
        return typeof j.level === 'number' && j.level >= 50;
      } catch {
        return true;
      }
    });
}

describe('fuzzing every RPC of a live 2-of-3 cluster and the Workload API (fast-check)', {
  tags: ['slow'],
}, () => {
  const root = loadRoot();
  const rpcs = rpcTable(root);
  const figures = new Figures();
  let cluster: TestCluster;
  let clients: OracleClient[];
  let raw: Record<'agent' | 'admin', grpc.Client[]>;
  let workloadRaw: grpc.Client;
  let agentState: AgentState;
  let hostile: AgentState;
  let ratchet: HostileRatchet;
  let revoked: AgentState;
  let nodeKey: Secret;
  let before: Snapshot;
  const corpus = new Map<string, Uint8Array[]>();
  let pools: Pools;
  /** Enrollments made for the fuzzer: E0 complete before the snapshot; P1 begun, P2 exchanged after it. */
  let e0: Awaited<ReturnType<typeof driveEnrollment>>;
  let p1: Awaited<ReturnType<typeof driveEnrollment>>;
  let p2: Awaited<ReturnType<typeof driveEnrollment>>;
  const p1Exchanged = new Set<number>();
  const p2Finished = new Map<number, string>();
  const createdTokens = new Set<string>();
  const logFrom = new Map<string, number>();
  let validNonces: ReturnType<typeof noncesRequest>[];
  let unsealRequest: UnsealRequest | undefined;
  let sealedBlob: Buffer;
  let lastStep: Record<string, unknown>;
  let es256Begins: EcdsaSetupRequest[];
  let issuerBegin: { setupId: Buffer; round: number; coordinator: number; coordinatorSignature: Buffer };

  /** A valid, session-signed ES256 setup begin for an identity (as agent/es256.ts makes it). */
  function ecdsaBegin(identityId: string, sessionKey: Secret): EcdsaSetupRequest {
    const as = accessStructure(agentState.cluster.n, agentState.cluster.t);
    const setupId = new Uint8Array(randomBytes(SETUP_ID_LEN));
    const box = generateBoxKey();
    const agentRound1 = agentParticipants(as).map((p) => new DkgParticipant(as, p, P256).round1);
    const context = ecdsaSetupContext(identityId, setupId, ed25519PublicKey(sessionKey.expose()));
    return {
      identityId,
      round: 1,
      setupId: Buffer.from(setupId),
      agentBoxPublicKey: Buffer.from(box.publicKey),
      agentRound1: agentRound1.map(round1ToWire),
      sessionSignature: Buffer.from(
        signStatement(
          sessionKey,
          STATEMENT_DOMAINS.ecdsaSetup,
          ...beginFields(context, box.publicKey, agentRound1),
        ),
      ),
    };
  }

  const addCorpus = (name: string, t: protobuf.Type, ...reqs: object[]) =>
    corpus.set(name, [
      ...(corpus.get(name) ?? []),
      ...reqs.map((r) => encode(t, r as Record<string, unknown>)),
    ]);
  const type = (name: string) => root.lookupType(name);

  /** A valid join token recorded nowhere (signed with oracle 1's node key), for memory-only enrollments. */
  function forgedToken(name: string): string {
    const { claims } = parseJoinToken(e0.token);
    const now = Date.now();
    return issueJoinToken(
      { ...claims, name, jti: toB64u(new Uint8Array(randomBytes(16))), iat: now, exp: now + 600_000 },
      nodeKey,
    );
  }

  beforeAll(async () => {
    cluster = await startCluster(3, 2);
    // Everything that legitimately writes stored state happens before the first snapshot.
    const [a, h, x] = await Promise.all([
      cluster.enroll('spiffe://test.mpcid/fuzz/agent'),
      cluster.enroll('spiffe://test.mpcid/fuzz/hostile'),
      cluster.enroll('spiffe://test.mpcid/fuzz/revoked'),
    ]);
    agentState = readState(a.stateDir);
    hostile = readState(h.stateDir);
    revoked = readState(x.stateDir);
    await cluster.startAgent(a.stateDir, undefined, { heartbeatMs: 0 });
    clients = connectHostile(hostile.cluster);
    nodeKey = readNodeKey(cluster.oracles[0]!.config.nodeKeyFile).seed;
    e0 = await driveEnrollment(clients, await cluster.createToken('spiffe://test.mpcid/fuzz/e0'), 'finish');

    // The hostile client's own identity: a heartbeat and a co-signature, every request kept.
    ratchet = HostileRatchet.load(h.stateDir, hostile);
    const hb = ratchet.heartbeat();
    await ratchet.commit(clients, hb);
    // An unseal step by the hostile client through Unseal (the request kept; stale once the
    // steps below follow it).
    const blobId = Buffer.from(randomBytes(32));
    const us = ratchet.make('unseal', unsealPayloadDigest(hostile.cluster.id, blobId));
    unsealRequest = { step: stepToWire(us), certificate: ratchet.certificate.map(commitToWire), blobId };
    const usAnswers = await Promise.all(
      clients.map((c) => call(c.signer, c.signer.Unseal, unsealRequest!, DEADLINE_MS, true)),
    );
    for (const a of usAnswers) expect(a.partial).toHaveLength(32);
    const usBuilt = { signed: us, request: ratchet.request(us) };
    ratchet.accept(
      usBuilt,
      usAnswers.map((a, i) =>
        ratchet.checkCommit(clients[i]!.nodeId, us, a as unknown as StepResponse__Output),
      ),
    );
    // A blob the real agent sealed (its Workload API), for the Unseal corpus.
    const wl = cluster.agents[0]!.workload;
    sealedBlob = (await call(wl, wl.Seal, { plaintext: SEALED_PLAINTEXT, policyJson: '' }, DEADLINE_MS)).blob;
    // An ES256 signature by the hostile client (every EcdsaRound request kept), then a FROST one.
    const es256Rounds: EcdsaRoundRequest[] = [];
    const esMessage = new Uint8Array(randomBytes(48));
    const es = await new Es256Double(hostile, h.stateDir, clients, ratchet).sign(esMessage, undefined, (r) =>
      es256Rounds.push(r),
    );
    expect(es.error).toBeUndefined();
    expect(es256Rounds).toHaveLength(4);
    await cosign([clients[0]!, clients[1]!], clients, ratchet, new Uint8Array(randomBytes(64)));
    const last = ratchet.accepted.at(-1)!;
    const stepRpc = rpcs.find((r) => r.name === 'Signer/Step')!;
    const lastReq = stepRpc.decodeReq(encode(stepRpc.req, last.request as Record<string, unknown>));
    lastStep = lastReq!['step'] as Record<string, unknown>;
    validNonces = [
      noncesRequest(hostile, 1, { count: 1, counter: ratchet.counter }),
      noncesRequest(hostile, 2, { count: 4, counter: ratchet.counter }),
    ];
    // The throwaway identity, revoked by equivocation (a valid PushRevocation to replay).
    const rr = HostileRatchet.load(x.stateDir, revoked);
    const first = rr.heartbeat();
    rr.checkCommit(1, first.signed, await step(clients[0]!, first.request));
    const conflicting = rr.heartbeat();
    await expectRejected(step(clients[0]!, conflicting.request), Status.PERMISSION_DENIED, 'FORK_DETECTED');
    // As oracle 1 pushes it to its peers: a valid PushRevocation to replay and mutate. Read as a
    // peer oracle would (over mTLS a certificate with role oracle).
    const peer = new (services().oracle.mpcid.oracle.v1.Peer)(
      clients[2]!.address,
      testDoubleCredentials('oracle', 'fuzz-peer'),
    );
    let revocation: unknown;
    for (let i = 0; i < 100 && !revocation; i++) {
      const res = await call(peer, peer.ListRevocations, { pageToken: '', pageSize: 10 }, DEADLINE_MS);
      revocation = res.revocations[0];
      if (!revocation) await new Promise((r) => setTimeout(r, 100));
    }
    peer.close();
    expect(revocation, 'the revocation reached oracle 3').toBeDefined();

    // Valid messages for every RPC (the mutation corpus).
    const T = (n: string) => type(n);
    addCorpus('Enrollment/BeginEnrollment', T('mpcid.oracle.v1.BeginEnrollmentRequest'), e0.begin);
    addCorpus('Enrollment/ExchangeShares', T('mpcid.oracle.v1.ExchangeSharesRequest'), ...e0.exchange);
    addCorpus('Enrollment/FinishEnrollment', T('mpcid.oracle.v1.FinishEnrollmentRequest'), ...e0.finish!);
    addCorpus('Signer/GetNonces', T('mpcid.oracle.v1.GetNoncesRequest'), ...validNonces);
    addCorpus('Signer/GetCapabilities', T('mpcid.oracle.v1.GetCapabilitiesRequest'), {});
    addCorpus('Signer/Unseal', T('mpcid.oracle.v1.UnsealRequest'), unsealRequest!, {
      ...unsealRequest!,
      blobId: randomBytes(32),
    });
    addCorpus(
      'Signer/Step',
      T('mpcid.oracle.v1.StepRequest'),
      ...ratchet.accepted.map((b) => b.request),
      first.request,
      conflicting.request,
    );
    // Steps: the same requests as Step, each the one StepCall of its stream.
    addCorpus(
      'Signer/Steps',
      T('mpcid.oracle.v1.StepCall'),
      ...[...ratchet.accepted.map((b) => b.request), first.request, conflicting.request].map(
        (request, i) => ({
          callId: i + 1,
          request,
        }),
      ),
    );
    // EcdsaRound: the rounds of the finished session above (ECDSA_SESSION_LOST now), and an abort
    // report whose claim is not signed by the identity (BAD_EVIDENCE: nothing forged revokes), as
    // agents that predate ReportAbort send it; ReportAbort: the same claim.
    const forgedAbort = {
      identityId: hostile.identityId,
      step: stepToWire(es.step),
      abort: {
        accuser: 0,
        culprit: 1,
        check: 'commitment',
        signature: randomBytes(64),
        // The session's true facts, so the claim passes the scope check and fails on its signature.
        messageDigest: createHash('sha256').update(esMessage).digest(),
        oracles: clients.slice(0, hostile.cluster.t).map((c) => c.nodeId),
      },
    };
    addCorpus('Signer/EcdsaRound', T('mpcid.oracle.v1.EcdsaRoundRequest'), ...es256Rounds, {
      ...forgedAbort,
      session: Buffer.from(es.session),
    });
    addCorpus('Signer/ReportAbort', T('mpcid.oracle.v1.ReportAbortRequest'), forgedAbort);
    // EcdsaSetup: a valid begin for E0 (enrolled without an ES256 key: it may begin, in memory
    // only), and one for the hostile identity, which has its key (ENROLLMENT_STATE).
    es256Begins = [
      ecdsaBegin(e0.identityId!, e0.sessionKey),
      ecdsaBegin(hostile.identityId, hostile.sessionKey),
    ];
    addCorpus('Enrollment/EcdsaSetup', T('mpcid.oracle.v1.EcdsaSetupRequest'), ...es256Begins);
    addCorpus('Peer/PushRevocation', T('mpcid.oracle.v1.PushRevocationRequest'), { revocation });
    addCorpus(
      'Peer/ListRevocations',
      T('mpcid.oracle.v1.ListRevocationsRequest'),
      { pageToken: '', pageSize: 1 },
      { pageToken: revoked.identityId, pageSize: 100 },
    );
    for (const label of ['Health(agent port)', 'Health(admin port)']) {
      addCorpus(`${label}/List`, T('grpc.health.v1.HealthListRequest'), {});
      for (const m of ['Check', 'Watch'])
        addCorpus(
          `${label}/${m}`,
          T('grpc.health.v1.HealthCheckRequest'),
          { service: '' },
          { service: label.includes('agent') ? 'mpcid.oracle.v1.Signer' : 'mpcid.admin.v1.Admin' },
        );
    }
    addCorpus('Admin/CreateJoinToken', T('mpcid.admin.v1.CreateJoinTokenRequest'), {
      name: 'spiffe://test.mpcid/fuzz/x',
      ttlSeconds: 60,
    });
    addCorpus(
      'Admin/ListIdentities',
      T('mpcid.admin.v1.ListIdentitiesRequest'),
      { pageSize: 2 },
      {
        pageToken: hostile.identityId,
      },
    );
    addCorpus(
      'Admin/GetIdentity',
      T('mpcid.admin.v1.GetIdentityRequest'),
      { identityId: hostile.identityId },
      { identityId: revoked.identityId },
    );
    addCorpus('Admin/GetRevocation', T('mpcid.admin.v1.GetIdentityRequest'), {
      identityId: revoked.identityId,
    });
    addCorpus('Admin/GetNodeInfo', T('mpcid.admin.v1.GetNodeInfoRequest'), {});
    addCorpus('Admin/WatchAlerts', T('mpcid.admin.v1.WatchAlertsRequest'), { cursor: 0 }, { cursor: 1 });
    addCorpus('Admin/ListDeadLetters', T('mpcid.admin.v1.ListDeadLettersRequest'), { limit: 10 }, {});
    // Any admin may make a one-time console login link: an OK answer to any input is legitimate.
    addCorpus('Admin/CreateConsoleLogin', T('mpcid.admin.v1.CreateConsoleLoginRequest'), {});
    // No certificate the fuzzer holds signs a revocation: every answer is a refusal.
    addCorpus('Admin/RevokeIdentity', T('mpcid.admin.v1.RevokeIdentityRequest'), {
      identityId: hostile.identityId,
      reason: 'fuzz',
      issuedAt: Date.now(),
      certificate: randomBytes(300),
      signature: randomBytes(70),
    });
    addCorpus(
      'Admin/ListAudit',
      T('mpcid.admin.v1.ListAuditRequest'),
      { identityId: hostile.identityId },
      { identityId: hostile.identityId, kind: 'sign', since: 1, pageSize: 1, pageToken: '1' },
    );
    addCorpus('Bundle/GetJwtBundle', T('mpcid.oracle.v1.GetJwtBundleRequest'), {
      trustDomain: 'spiffe://test.mpcid',
    });
    // The federation issuer (this cluster configures none: RotateIssuer is ISSUER_NOT_CONFIGURED,
    // GetIssuerKeys an empty set); IssuerRound signed by the identity for a session that is not
    // open; IssuerSetup a begin signed by oracle 2's node key (a coordinator's).
    addCorpus('Issuer/GetIssuerKeys', T('mpcid.oracle.v1.GetIssuerKeysRequest'), {});
    const issuerSession = randomBytes(32);
    addCorpus('Issuer/IssuerRound', T('mpcid.oracle.v1.IssuerRoundRequest'), {
      identityId: hostile.identityId,
      session: issuerSession,
      round: 2,
      envelopes: [],
      sessionSignature: Buffer.from(
        signStatement(
          hostile.sessionKey,
          STATEMENT_DOMAINS.issuerRound,
          ...issuerRoundFields(hostile.identityId, issuerSession, 2, []),
        ),
      ),
    });
    issuerBegin = {
      setupId: randomBytes(16),
      round: 1,
      coordinator: 2,
      coordinatorSignature: Buffer.alloc(0),
    };
    issuerBegin.coordinatorSignature = Buffer.from(
      signStatement(
        readNodeKey(cluster.oracles[1]!.config.nodeKeyFile).seed,
        STATEMENT_DOMAINS.issuerSetup,
        issuerSetupContext(cluster.oracles[1]!.config.cluster.id, issuerBegin.setupId, 2),
      ),
    );
    addCorpus('IssuerPeer/IssuerSetup', T('mpcid.oracle.v1.IssuerSetupRequest'), issuerBegin, {
      ...issuerBegin,
      round: 2,
    });
    addCorpus('IssuerAdmin/RotateIssuer', T('mpcid.admin.v1.RotateIssuerRequest'), {});
    addCorpus('Workload/GetIdentity', T('mpcid.agent.v1.GetIdentityRequest'), {});
    addCorpus('Workload/Sign', T('mpcid.agent.v1.SignRequest'), { message: Buffer.from('hello') });
    addCorpus('Workload/FetchJWT', T('mpcid.agent.v1.FetchJWTRequest'), {
      audience: ['https://rp.example'],
      ttlSeconds: 60,
      extraClaimsJson: '{"team":"a"}',
    });
    addCorpus('Workload/Attest', T('mpcid.agent.v1.AttestRequest'), {
      nonce: 'nonce-0123456789',
      claimsJson: '{"image":"sha256:00"}',
      audience: ['https://rp.example'],
    });
    addCorpus(
      'Workload/Seal',
      T('mpcid.agent.v1.SealRequest'),
      { plaintext: Buffer.from('db password') },
      { plaintext: randomBytes(65_536), policyJson: '{}' },
    );
    addCorpus('Workload/Unseal', T('mpcid.agent.v1.UnsealRequest'), { blob: sealedBlob });
    addCorpus(
      'Workload/Measure',
      T('mpcid.agent.v1.MeasureRequest'),
      { register: 3, digest: randomBytes(32) },
      { register: 15, data: Buffer.from('boot loader') },
    );
    addCorpus('Workload/ReadRegisters', T('mpcid.agent.v1.ReadRegistersRequest'), {});
    for (const r of rpcs) expect(corpus.get(r.name)?.length, `corpus for ${r.name}`).toBeGreaterThan(0);

    before = await snapshotOracles(cluster);
    // Only what is logged from here on is scanned (the revocation above logs its alert at error level).
    for (const p of [...cluster.oracles, ...cluster.agents]) logFrom.set(p.logFile, statSync(p.logFile).size);

    // Memory-only enrollments (tokens recorded nowhere) so that mutated ExchangeShares and
    // FinishEnrollment reach the DKG checks: P1 begun (its exchange withheld), P2 exchanged (its
    // finish withheld).
    p1 = await driveEnrollment(clients, forgedToken('spiffe://test.mpcid/fuzz/p1'), 'begin');
    p2 = await driveEnrollment(clients, forgedToken('spiffe://test.mpcid/fuzz/p2'), 'exchange');
    addCorpus('Enrollment/BeginEnrollment', T('mpcid.oracle.v1.BeginEnrollmentRequest'), p1.begin, p2.begin);
    addCorpus(
      'Enrollment/ExchangeShares',
      T('mpcid.oracle.v1.ExchangeSharesRequest'),
      ...p1.exchange,
      ...p2.exchange,
    );
    addCorpus('Enrollment/FinishEnrollment', T('mpcid.oracle.v1.FinishEnrollmentRequest'), ...p2.finish!);

    const ids = [hostile.identityId, agentState.identityId, revoked.identityId, e0.identityId!];
    pools = {
      identityId: ids,
      pageToken: ['', ...ids],
      tokenId: [p1.jti, p2.jti, e0.jti],
      joinToken: [p1.token, e0.token, forgedToken('spiffe://test.mpcid/fuzz/pool')],
      name: ['spiffe://test.mpcid/fuzz/x', 'a', 'x'.repeat(255), 'x'.repeat(256)],
      service: ['', 'mpcid.oracle.v1.Signer', 'mpcid.admin.v1.Admin', 'mpcid.oracle.v1.Peer'],
      trustDomain: ['spiffe://test.mpcid', 'test.mpcid', 'spiffe://nowhere.example', 'spiffe://Bad'],
      kind: ['sign', 'jwt', 'heartbeat', 'es256', 'jwt-es256', 'unseal'],
      alg: ['', 'EdDSA', 'ES256', 'RS256'],
      round: [0, 1, 2, 3, 4, 9],
      from: [0, 1, 2, 3, 4],
      to: [0, 1, 2, 3, 4],
      sessionPublicKey: [hostile.sessionPublicKey, p1.sessionPublicKey, randomPoint()],
      hiding: [randomPoint()],
      binding: [randomPoint()],
      count: [1, 4, 16, 17],
      nodeId: [1, 2, 3, 4],
      participant: [1, 2, 3, 4, 5],
      sender: [1, 2, 3, 4],
      recipient: [1, 2, 3, 4],
      counter: ['1', '2', '3', String(ratchet.counter), String(ratchet.counter + 1)],
      audience: ['https://rp.example'],
      nonce: ['nonce-0123456789'],
    };
    raw = {
      agent: cluster.oracles.map((o) => rawClient(o.address, testCredentials())),
      admin: cluster.oracles.map((o) => rawClient(o.config.adminListen, testCredentials())),
    };
    // The Workload API is a local Unix socket: plaintext in every mode.
    workloadRaw = rawClient(`unix:${cluster.agents[0]!.socket}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    console.log(`fuzz figures (seed ${SEED}, runs ${RUNS}; ${figures.total()} cases):\n${figures.table()}`);
    for (const c of [...(raw?.agent ?? []), ...(raw?.admin ?? [])]) c.close();
    workloadRaw?.close();
    if (clients) closeOracles(clients);
    await cluster?.stop();
  });

  /** Whether an OK answer is legitimate for this request (and its side effects to expect). */
  /** A Steps answer in the figures: the stable code of the StepResult's error, or OK. */
  function stepsLabel(res: Buffer[]): string {
    const rpc = rpcs.find((r) => r.name === 'Signer/Steps')!;
    const r = res[0]
      ? (rpc.decodeRes(res[0]) as { error?: { code?: number; status?: Uint8Array } })
      : undefined;
    return r?.error ? (errorCodeOf(serviceErrorOfStep(r.error)) ?? 'no code') : 'OK';
  }

  /** A Step (or a step on Steps) may be OK only as an exact retry of the last accepted step. */
  function stepOkAllowed(
    d: Record<string, unknown> | undefined,
    out: Record<string, unknown> | undefined,
  ): string | undefined {
    const s = d?.['step'] as Record<string, unknown> | undefined;
    const same =
      s &&
      Object.keys(lastStep).every((k) =>
        lastStep[k] instanceof Uint8Array ? eqBytes(s[k], lastStep[k]) : String(s[k]) === String(lastStep[k]),
      );
    if (!same) return 'Step OK for a step other than the last accepted one';
    const commit = out?.['commit'] as Record<string, unknown> | undefined;
    return String(commit?.['counter']) === String(lastStep['counter']) ? undefined : 'replay reply differs';
  }

  function okAllowed(rpc: Rpc, oracle: number, sent: Uint8Array, res: Buffer[]): string | undefined {
    const d = rpc.decodeReq(sent);
    const out = res[0] ? rpc.decodeRes(res[0]) : undefined;
    switch (rpc.name) {
      case 'Signer/GetNonces':
        return validNonces.some(
          (v) =>
            d?.['identityId'] === v.identityId &&
            d?.['count'] === v.count &&
            eqBytes(d?.['requestId'], v.requestId) &&
            eqBytes(d?.['sessionSignature'], v.sessionSignature),
        )
          ? undefined
          : 'GetNonces OK without a valid session signature';
      case 'Signer/Steps': {
        // Every StepResult is an OK message: its error must carry a stable code other than
        // INTERNAL, as a unary Step's status must; a response obeys Step's rule below.
        const r = out as { response?: unknown; error?: { code?: number; status?: Uint8Array } } | undefined;
        if (!r) return 'Steps answered nothing';
        if (r.error) {
          const code = errorCodeOf(serviceErrorOfStep(r.error));
          if (!code) return 'Steps error without a stable code';
          return code === 'INTERNAL' ? 'Steps error INTERNAL' : undefined;
        }
        return stepOkAllowed(
          d?.['request'] as Record<string, unknown> | undefined,
          r.response as Record<string, unknown>,
        );
      }
      case 'Signer/Step':
        return stepOkAllowed(d, out);
      case 'Enrollment/BeginEnrollment':
        return d?.['joinToken'] === p1.token &&
          eqBytes(d?.['sessionPublicKey'], p1.sessionPublicKey) &&
          !p1Exchanged.has(oracle)
          ? undefined
          : 'BeginEnrollment OK other than a retry of a pending enrollment';
      case 'Enrollment/ExchangeShares': {
        if (d?.['tokenId'] === p2.jti) return undefined; // already exchanged: the stored reply
        const t = rpc.req;
        if (
          d?.['tokenId'] === p1.jti &&
          (p1Exchanged.has(oracle) ||
            canonical(t, d) === canonical(t, rpc.decodeReq(encode(t, p1.exchange[oracle]!))!))
        ) {
          p1Exchanged.add(oracle);
          return undefined;
        }
        return 'ExchangeShares OK for other than the valid exchange';
      }
      case 'Enrollment/FinishEnrollment': {
        const t = rpc.req;
        if (
          d?.['tokenId'] === p2.jti &&
          (p2Finished.has(oracle) ||
            canonical(t, d) === canonical(t, rpc.decodeReq(encode(t, p2.finish![oracle]!))!))
        ) {
          const enrolled = out?.['enrolled'] as Record<string, unknown> | undefined;
          p2Finished.set(oracle, String(enrolled?.['identityId']));
          return undefined;
        }
        return 'FinishEnrollment OK for other than the valid finish';
      }
      case 'Peer/PushRevocation':
        return out?.['applied'] === false ? undefined : 'a pushed revocation was applied';
      case 'Admin/RevokeIdentity':
        return out?.['applied'] === false ? undefined : 'an unsigned operator revocation was applied';
      case 'Signer/EcdsaRound':
        return 'EcdsaRound OK for a session that is not open';
      case 'Signer/ReportAbort':
        return 'ReportAbort OK for a claim the identity did not sign';
      case 'Signer/Unseal':
        // The only unseal step the oracles took is behind them (STALE_STEP), and the last step is a sign step.
        return 'Unseal OK for a step that is not an accepted unseal step';
      case 'Workload/Seal': {
        const blob = out?.['blob'];
        if (!(blob instanceof Uint8Array)) return 'Seal OK without a blob';
        return parseBlob(new Uint8Array(blob)).identityId === agentState.identityId
          ? undefined
          : 'Seal OK with a blob of another identity';
      }
      case 'Workload/Unseal': {
        const pt = out?.['plaintext'];
        return pt instanceof Uint8Array && eqBytes(pt, SEALED_PLAINTEXT)
          ? undefined
          : 'Unseal OK with a plaintext that was never sealed';
      }
      case 'Issuer/IssuerRound':
        return 'IssuerRound OK for a session that is not open';
      case 'IssuerAdmin/RotateIssuer':
        return 'RotateIssuer OK on a cluster without a federation issuer';
      case 'IssuerPeer/IssuerSetup':
        // Only the signed begin (or a retry of it): the coordinator's signature covers the setup id.
        return d?.['round'] === 1 &&
          d?.['coordinator'] === issuerBegin.coordinator &&
          eqBytes(d?.['setupId'], issuerBegin.setupId) &&
          eqBytes(d?.['coordinatorSignature'], issuerBegin.coordinatorSignature) &&
          out?.['round1']
          ? undefined
          : 'IssuerSetup OK other than the signed begin';
      case 'Enrollment/EcdsaSetup':
        // Only the valid begin for E0 (or a retry of it): the session signature covers every field used.
        return d?.['round'] === 1 &&
          d?.['identityId'] === e0.identityId &&
          eqBytes(d?.['sessionSignature'], es256Begins[0]!.sessionSignature) &&
          out?.['round1']
          ? undefined
          : 'EcdsaSetup OK other than a valid begin';
      case 'Admin/CreateJoinToken':
        createdTokens.add(String(out?.['tokenId']));
        return undefined;
      case 'Workload/Measure': {
        const values = out?.['values'];
        return Array.isArray(values) && values.length === 16 && values.every((v) => v.length === 32)
          ? undefined
          : 'Measure OK without 16 register values';
      }
      case 'Workload/Sign': {
        const sig = out?.['signature'];
        const msg = new Uint8Array(d?.['message'] as Uint8Array);
        const ok =
          sig instanceof Uint8Array &&
          (d?.['alg'] === 'ES256'
            ? nodeVerifyEs256(agentState.es256!.publicKey, msg, sig)
            : nodeVerify(agentState.group.groupPublicKey, msg, sig));
        return ok ? undefined : 'Workload Sign returned a signature that does not verify';
      }
      default:
        // Read-only RPCs, health, and the rest of the Workload API (co-signed tokens).
        return undefined;
    }
  }

  async function run(rpc: Rpc, oracle: number, c: Case, mode: 'random' | 'mutated'): Promise<void> {
    const client = rpc.target === 'workload' ? workloadRaw : raw[rpc.target][oracle]!;
    const o: Outcome = rpc.stream
      ? // Steps answers every StepCall (an error is a StepResult too): wait for it, up to the deadline.
        await rawStream(
          client,
          rpc.path,
          c.bytes,
          CALL_DEADLINE_MS,
          rpc.name === 'Signer/Steps' ? CALL_DEADLINE_MS : undefined,
        )
      : await rawUnary(client, rpc.path, c.bytes, CALL_DEADLINE_MS);
    const where = `${rpc.name} on ${rpc.target === 'workload' ? 'the agent' : `oracle ${oracle + 1}`} (${c.how}, ${c.bytes.length} bytes)`;
    if (o.ok) {
      const why = okAllowed(rpc, oracle, c.bytes, o.res);
      if (why) throw new Error(`${where}: ${why}`);
      figures.add(rpc.name, mode, rpc.name === 'Signer/Steps' ? stepsLabel(o.res) : 'OK');
      return;
    }
    let label: string;
    try {
      label = errorLabel(rpc, c.bytes, o.err);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    figures.add(rpc.name, mode, label);
    for (const p of cluster.oracles) if (!p.running) throw new Error(`${where}: oracle ${p.id} is down`);
  }

  const runsFor = (rpc: Rpc) => Math.max(4, rpc.target === 'workload' ? Math.ceil(RUNS / 4) : RUNS);

  it('the table covers every method of every service', () => {
    expect(rpcs.map((r) => r.name)).toHaveLength(42);
    for (const svc of [
      'Enrollment',
      'Signer',
      'Peer',
      'Bundle',
      'Issuer',
      'IssuerPeer',
      'Admin',
      'IssuerAdmin',
      'Workload',
      'Health(agent port)',
      'Health(admin port)',
    ])
      expect(
        rpcs.some((r) => r.name.startsWith(`${svc}/`)),
        svc,
      ).toBe(true);
  });

  // One test per RPC: random messages, then mutations of valid ones, each with its own seed.
  rpcs.forEach((rpc, i) => {
    it(`${rpc.name}: OK only where legitimate, else a stable code`, { timeout: 600_000 }, async () => {
      // Huge repeated fields go a little past the 1 MiB transport limit now and then.
      const arbOpts = { pools, hugeBytes: 300_000, hugeRepeated: MAX_MESSAGE_BYTES + 64 * 1024 };
      const oracleArb = fc.nat({ max: cluster.oracles.length - 1 });
      for (const [j, mode] of (['random', 'mutated'] as const).entries()) {
        const cases =
          mode === 'random' ? randomCaseArb(rpc.req, arbOpts) : mutationArb(rpc.req, corpus.get(rpc.name)!);
        await fc.assert(
          fc.asyncProperty(oracleArb, cases, (oracle, c) => run(rpc, oracle, c, mode)),
          {
            seed: SEED + 2 * i + j,
            numRuns: runsFor(rpc),
            // Shrinking re-runs cases against the live cluster; opt in with MPCID_FUZZ_SHRINK=1.
            endOnFailure: process.env['MPCID_FUZZ_SHRINK'] !== '1',
          },
        );
      }
      expect(figures.tried(rpc.name)).toBe(2 * runsFor(rpc));
    });
  });

  it('regression: a validly signed step ahead with a certificate of 6000 bad commits is refused at once (NEED_CERTIFICATE), not verified commit by commit', async () => {
    // Found while fuzzing Step: only t commits can count, but every commit of a certificate was
    // checked (an Ed25519 verification each), so one request of ~1 MiB held an oracle's event
    // loop for seconds. Now each node's commit is verified at most once.
    const ahead = ratchet.heartbeat({ step: { counter: ratchet.counter + 2 } });
    const bogus = {
      nodeId: 1,
      identityId: hostile.identityId,
      counter: ratchet.counter + 1,
      head: Buffer.from(ratchet.head),
      signature: Buffer.alloc(64, 7),
    };
    const request = { ...ahead.request, certificate: Array(6000).fill(bogus) };
    const started = performance.now();
    await expectRejected(step(clients[0]!, request), Status.FAILED_PRECONDITION, 'NEED_CERTIFICATE');
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('afterwards: no oracle crashed or logged an error, stored state is unchanged but for legitimate OKs, and the agent still signs', async () => {
    for (const o of cluster.oracles) expect(o.running, `oracle ${o.id}`).toBe(true);
    const after = await snapshotOracles(cluster);
    for (const p of [...cluster.oracles, ...cluster.agents])
      expect(badLogLines(p.logFile, logFrom.get(p.logFile) ?? 0), p.logFile).toEqual([]);

    // What legitimate OK calls wrote: the real agent's ratchet (Workload API co-signatures), join
    // tokens from CreateJoinToken, and P2's enrollment where a (reordered) valid finish was sent.
    const agentKey = `ratchet!${agentState.identityId}`;
    for (const o of cluster.oracles) {
      const b = new Map(before[o.id]);
      const a = new Map(after[o.id]);
      const allowed = new Set([agentKey]);
      // The real agent's accepted steps are audited in the same batches as its ratchet.
      for (const k of a.keys())
        if (k.startsWith(`audit!${agentState.identityId}!`) && !b.has(k)) allowed.add(k);
      // And each entry's time key (oracle/audit-log.ts), only for an entry allowed above.
      for (const k of a.keys()) {
        const [prefix, , id, counter] = k.split('!');
        if (prefix === 'audit-time' && !b.has(k) && allowed.has(`audit!${id}!${counter}`)) allowed.add(k);
      }
      for (const id of createdTokens) {
        if (!a.has(`token!${id}`)) continue;
        expect(b.has(`token!${id}`)).toBe(false);
        expect(a.get(`token!${id}`)).toMatchObject({ state: 'issued', issuedBy: o.id });
        allowed.add(`token!${id}`);
      }
      const finished = p2Finished.get(o.id - 1);
      if (finished) for (const k of [`identity!${finished}`, `token!${p2.jti}`]) allowed.add(k);
      const rest = (m: Map<string, unknown>) => [...m].filter(([k]) => !allowed.has(k));
      expect(rest(a), `oracle ${o.id}: stored state`).toEqual(rest(b));
      const rec = a.get(agentKey) as RatchetRecord | undefined;
      if (rec) {
        const s = stepFromJSON(rec.last?.step);
        verifyStep(agentState.sessionPublicKey, s);
        // The Workload API's steps: co-signatures, tokens, seals / unseals (kind unseal) and
        // register extends (kind measure).
        expect(['sign', 'jwt', 'unseal', 'measure']).toContain(s.step.kind);
      }
    }

    const message = new Uint8Array(randomBytes(200));
    const res = await cluster.agents[0]!.sign(message);
    expect(nodeVerify(agentState.group.groupPublicKey, message, new Uint8Array(res.signature))).toBe(true);
    const { signature } = await cosign([clients[1]!, clients[2]!], clients, ratchet, message);
    expect(nodeVerify(hostile.group.groupPublicKey, message, signature)).toBe(true);
  });
});
