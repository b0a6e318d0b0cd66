/**
 * Rate limits on a live 2-of-3 cluster (real processes) configured with small buckets: a flood of
 * authenticated GetNonces or Steps from one identity gets RATE_LIMITED (with a retry hint) while
 * another identity still co-signs; a flood of forged requests from one peer gets RATE_LIMITED per
 * peer without charging the identity they name, and the honest agent, refused while the peer's
 * bucket is empty (plaintext: the bucket is the address it shares; under MPCID_TEST_TLS=1 the
 * bucket is the client certificate and the agent is not refused), retries with backoff and signs;
 * refusals are counted in /metrics.
 *
 * Slow suite (tag `slow`): real processes, about 25 s.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, type OracleClient } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { type AgentState, readState } from '../../agent/state.js';
import { errorInfoOf } from '../../common/grpc.js';
import { toB64u } from '../../crypto/bytes.js';
import { type AgentProc, EDDSA_ONLY, startCluster, TEST_TLS, type TestCluster } from '../helpers/cluster.js';
import {
  connectHostile,
  expectRejected,
  getNonces,
  HostileRatchet,
  newSessionKey,
  noncesRequest,
  Status,
  step,
} from '../helpers/hostile.js';

/** Small buckets; per peer a burst that the first tests stay inside, refilled slowly. */
const LIMITS = {
  nonces: { perIdentity: { ratePerSecond: 1, burst: 5 }, perPeer: { ratePerSecond: 2, burst: 60 } },
  steps: { perIdentity: { ratePerSecond: 1, burst: 5 }, perPeer: { ratePerSecond: 0.5, burst: 60 } },
  maxTrackedKeys: 1000,
};

function nodeVerify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toB64u(publicKey) }, format: 'jwk' });
  return verify(null, msg, key, sig);
}

/** Sends `n` requests at once; returns how many succeeded and the errors of the others. */
async function flood(n: number, send: () => Promise<unknown>) {
  const results = await Promise.allSettled(Array.from({ length: n }, send));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  return { ok: n - errors.length, errors };
}

function codes(errors: Error[]) {
  const out: Record<string, number> = {};
  for (const e of errors) {
    const info = errorInfoOf(e);
    const k = info ? `${info.code}${info.metadata['scope'] ? `/${info.metadata['scope']}` : ''}` : 'none';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('rate limits on GetNonces and Step (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let agentState: AgentState;
  let agentDir: string;
  let hostile: AgentState;
  let ratchet: HostileRatchet;
  let clients: OracleClient[];

  async function agentSigns() {
    const message = new Uint8Array(randomBytes(100));
    const res = await agent.sign(message);
    expect(nodeVerify(agentState.group.groupPublicKey, message, new Uint8Array(res.signature))).toBe(true);
  }

  async function metric(i: number, labels: string): Promise<number> {
    const http = cluster.oracles[i]!.config.http!.listen;
    const text = await (await fetch(`http://${http}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`mpcid_rate_limited_total{${labels}}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  beforeAll(async () => {
    cluster = await startCluster(3, 2, { ...EDDSA_ONLY, oracleConfig: () => ({ rateLimits: LIMITS }) });
    const [a, h] = await Promise.all([
      cluster.enroll('spiffe://test.mpcid/rl/agent'),
      cluster.enroll('spiffe://test.mpcid/rl/hostile'),
    ]);
    agentState = readState(a.stateDir);
    agentDir = a.stateDir;
    hostile = readState(h.stateDir);
    agent = await cluster.startAgent(a.stateDir, undefined, { heartbeatMs: 0 });
    clients = connectHostile(hostile.cluster);
    ratchet = HostileRatchet.load(h.stateDir, hostile);
    await ratchet.commit(clients, ratchet.heartbeat());
    await agentSigns();
  });

  afterAll(async () => {
    if (clients) closeOracles(clients);
    await cluster?.stop();
  });

  it('a flood of authenticated GetNonces from one identity: RATE_LIMITED per identity with a retry hint; another identity still signs', async () => {
    const c = clients[0]!;
    const { ok, errors } = await flood(20, () =>
      getNonces(c, noncesRequest(hostile, c.nodeId, { count: 1 })),
    );
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThan(20);
    expect(codes(errors)).toEqual({ 'RATE_LIMITED/identity': 20 - ok });
    const err = errors[0] as Error & { code: number; details: string };
    expect(err.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/^RATE_LIMITED: /);
    const hint = Number(errorInfoOf(err)!.metadata['retryAfterMs']);
    expect(hint).toBeGreaterThan(0);
    expect(hint).toBeLessThanOrEqual(1000);
    expect(errorInfoOf(err)!.metadata['rpc']).toBe('GetNonces');
    await agentSigns();
    // After the hint, the identity may ask again.
    await new Promise((r) => setTimeout(r, hint + 50));
    expect((await getNonces(c, noncesRequest(hostile, c.nodeId, { count: 1 }))).commitments).toHaveLength(1);
    expect(await metric(0, 'rpc="GetNonces",scope="identity"')).toBe(20 - ok);
  });

  it('a flood of authenticated Steps (replays of its last step) from one identity: RATE_LIMITED per identity; another identity still signs', async () => {
    const last = ratchet.accepted.at(-1)!;
    const c = clients[1]!;
    const { ok, errors } = await flood(20, () => step(c, last.request));
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThan(20);
    expect(codes(errors)).toEqual({ 'RATE_LIMITED/identity': 20 - ok });
    await agentSigns();
    expect(await metric(1, 'rpc="Step",scope="identity"')).toBe(20 - ok);
  });

  it('a flood of forged requests from one peer: RATE_LIMITED per peer, the named identity is not charged, and the honest agent retries and signs', async () => {
    // Forged GetNonces naming the honest agent's identity, signed with a key of the attacker's.
    const forged = (c: OracleClient) =>
      noncesRequest(agentState, c.nodeId, { signWith: newSessionKey().key });
    const results = await Promise.all(clients.map((c) => flood(120, () => getNonces(c, forged(c)))));
    for (const r of results) {
      expect(r.ok).toBe(0);
      const byCode = codes(r.errors);
      // At most a burst (plus what refills meanwhile) gets through to the signature check.
      expect(byCode['RATE_LIMITED/peer']).toBeGreaterThanOrEqual(120 - LIMITS.nonces.perPeer.burst - 20);
      expect(byCode['SESSION_AUTH_FAILED']).toBeGreaterThan(0);
      expect(Object.keys(byCode).sort()).toEqual(['RATE_LIMITED/peer', 'SESSION_AUTH_FAILED']);
    }
    // The same for Steps: a forged step costs the peer, never the identity.
    const s = ratchet.heartbeat({ signWith: newSessionKey().key });
    const steps = await Promise.all(clients.map((c) => flood(120, () => step(c, s.request))));
    for (const r of steps) {
      expect(r.ok).toBe(0);
      expect(Object.keys(codes(r.errors)).sort()).toEqual(['RATE_LIMITED/peer', 'SESSION_AUTH_FAILED']);
    }
    // Every oracle's per-peer Step bucket is (nearly) empty now. Over plaintext the bucket is the
    // address, which the honest agent shares: it is refused RATE_LIMITED at first, backs off as
    // told and signs. Over mTLS the bucket is the client certificate, and the agent's own
    // certificate was never charged: it signs without being refused. The flood itself can take
    // longer than one refill (2 s) on a loaded machine, so each bucket is drained again, up to a
    // refusal, just before the agent signs.
    for (const c of clients) {
      for (let i = 0; i < 100; i++) {
        const e = await step(c, s.request).then(
          () => undefined,
          (err: unknown) => err,
        );
        if (errorInfoOf(e)?.code === 'RATE_LIMITED') break;
      }
    }
    await agentSigns();
    // Its identity's own buckets were never charged by the forgeries: a burst of its own requests passes.
    const counter = readRatchet(agentDir, agentState).counter;
    // Over plaintext these share the drained per-peer bucket too: a peer refusal is waited out as
    // its hint says; a refusal for the identity would fail here.
    for (const c of clients) {
      for (let attempt = 0; ; attempt++) {
        try {
          await getNonces(c, noncesRequest(agentState, c.nodeId, { count: 1, counter }));
          break;
        } catch (e) {
          const info = errorInfoOf(e);
          if (info?.code !== 'RATE_LIMITED' || info.metadata['scope'] !== 'peer' || attempt >= 20) throw e;
          await new Promise((r) => setTimeout(r, Number(info.metadata['retryAfterMs']) + 5));
        }
      }
    }
    const log = readFileSync(agent.logFile, 'utf8');
    if (TEST_TLS) expect(log).not.toContain('rate limited; retrying');
    else expect(log).toContain('rate limited; retrying');
    expect(await metric(0, 'rpc="GetNonces",scope="peer"')).toBeGreaterThan(0);
    expect(await metric(0, 'rpc="Step",scope="peer"')).toBeGreaterThan(0);
  });

  it('the flooding identity itself steps on once its bucket refills: refused requests moved nothing', async () => {
    // Its buckets on oracle 2 were emptied by the Step flood, and every per-peer bucket by the
    // forgeries: wait for tokens (1/s per identity, 0.5/s per peer).
    await new Promise((r) => setTimeout(r, 4200));
    const next = ratchet.heartbeat();
    await ratchet.commit(clients, next);
    await expectRejected(
      step(clients[2]!, ratchet.accepted.at(-2)!.request),
      Status.FAILED_PRECONDITION,
      'STALE_STEP',
    );
  });
});
