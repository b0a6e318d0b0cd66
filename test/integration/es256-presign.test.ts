/**
 * ES256 presignatures (docs/ecdsa.md §3-4) on a 2-of-3 cluster of real processes: the agent's pool
 * fills in the background with es256-presign steps; a signature through a presignature is one
 * es256 step, verifies with node:crypto and jose, and each use is one ratchet step; an oracle
 * restarted between presign and use answers the typed miss (PRESIGN_UNAVAILABLE), the agent
 * signs in a fresh online step and the signature verifies; with a short pool TTL, an idle
 * identity's expired presignatures are not replaced (no presign step follows) and after a use
 * within the TTL they are; at the wire level (a test-double
 * agent) a second step naming a used presignature gets the miss and never a share, a signing set
 * other than the presignature's is refused, and an abort during presigning suspends with
 * evidence (the es256-presign step) that verifies.
 *
 * Slow suite (tag `slow`).
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, createRemoteJWKSet, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cosigner } from '../../agent/cosigner.js';
import { closeOracles, connectOracles } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { clusterNodeKeys } from '../../common/config.js';
import { detailsOf, type MpcidError } from '../../common/errors.js';
import { call, errorCodeOf, fromServiceError } from '../../common/grpc.js';
import { createLogger } from '../../common/log.js';
import { evidenceFromJSON } from '../../common/protocol.js';
import { combineSignature } from '../../crypto/ecdsa/index.js';
import { HEADER_LEN } from '../../crypto/ecdsa/wire.js';
import { sha256 } from '../../crypto/hash.js';
import { type AbortEvidence, PRESIGN_MESSAGE_DIGEST, verifyEvidence } from '../../crypto/ratchet.js';
import { openEnvelope } from '../../crypto/seal.js';
import { type AgentProc, startCluster, type TestCluster } from '../helpers/cluster.js';
import { corruptingClients, Es256Double, nodeVerifyEs256 } from '../helpers/es256.js';
import { agentRatchetFile, counterOn, failure, sleep, statusOn, waitStatus } from '../helpers/ratchet.js';

const AUD = 'https://rp.example/presign';

interface Enrolled {
  stateDir: string;
  kid: string;
  es256: { kid: string; publicKey: string };
}

let cluster: TestCluster;
let http: string[];
const nodeKeys = () => clusterNodeKeys(cluster.oracles[0]!.config.cluster);

function counterOf(stateDir: string): number {
  return readRatchet(stateDir, readState(stateDir)).counter;
}

/** Lines of the agent's log with message `msg`. */
function logLines(agent: AgentProc, msg: string): Record<string, unknown>[] {
  return readFileSync(agent.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(msg))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Waits until the agent logged 'ES256 presignature ready' with `count` ready, `after` lines in. */
async function waitReady(agent: AgentProc, count: number, after: number, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const lines = logLines(agent, 'ES256 presignature ready').slice(after);
    if (lines.some((l) => l['count'] === count)) return;
    if (Date.now() > until) throw new Error(`the agent's pool did not reach ${count} ready presignatures`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The oracle's mpcid_es256_presigns_total by outcome. */
async function presignMetrics(i: number): Promise<Record<string, number>> {
  const text = await (await fetch(`${http[i]}/metrics`)).text();
  const out: Record<string, number> = { made: 0, hit: 0, miss: 0 };
  for (const m of text.matchAll(/^mpcid_es256_presigns_total\{outcome="(\w+)"\} (\d+)/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

function signEs256(agent: AgentProc, message: Uint8Array) {
  return call(agent.workload, agent.workload.Sign, { message: Buffer.from(message), alg: 'ES256' }, 20_000);
}

describe('ES256 presignatures (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let a: Enrolled;
  let agent: AgentProc;

  beforeAll(async () => {
    cluster = await startCluster(3, 2);
    http = cluster.oracles.map((o) => `http://${o.config.http!.listen}`);
    a = (await cluster.enroll('spiffe://test.mpcid/ns/presign/sa/a')) as unknown as Enrolled;
    agent = await cluster.startAgent(a.stateDir, undefined, { heartbeatMs: 0, es256Presigns: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('signatures through presignatures verify with node:crypto and jose; each use is one ratchet step, and the pool refills', async () => {
    await waitReady(agent, 2, 0);
    const pub = Buffer.from(a.es256.publicKey, 'base64url');
    const before = await Promise.all([0, 1, 2].map(presignMetrics));
    for (let i = 0; i < 3; i++) {
      const readyLines = logLines(agent, 'ES256 presignature ready').length;
      const msg = Buffer.from(`presigned message ${i}`);
      const c0 = counterOf(a.stateDir);
      const res = await signEs256(agent, msg);
      // The use is one step (the refill's presign step may follow at once: at most one more).
      const c1 = counterOf(a.stateDir);
      expect(c1 - c0, 'one step for the signature, at most one refill step beside it').toBeGreaterThanOrEqual(
        1,
      );
      expect(c1 - c0).toBeLessThanOrEqual(2);
      expect(nodeVerifyEs256(pub, msg, res.signature)).toBe(true);
      expect(nodeVerifyEs256(pub, Buffer.from('another message'), res.signature)).toBe(false);
      await waitReady(agent, 2, readyLines);
    }
    const after = await Promise.all([0, 1, 2].map(presignMetrics));
    const hits = after.reduce((s, m, i) => s + m['hit']! - before[i]!['hit']!, 0);
    // Each signature: t = 2 oracles answered with their share from a presignature.
    expect(hits).toBe(6);
    expect(after.reduce((s, m) => s + m['miss']!, 0)).toBe(0);
    // A JWT-SVID through a presignature verifies with jose against the JWKS.
    const wl = agent.workload;
    const tok = await call(wl, wl.FetchJWT, { audience: [AUD], ttlSeconds: 120, alg: 'ES256' }, 20_000);
    expect(tok.kid).toBe(a.es256.kid);
    const jwks = createRemoteJWKSet(new URL(`${http[1]}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(tok.token, jwks, {
      audience: AUD,
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBe(a.es256.kid);
    expect(payload.sub).toBe('spiffe://test.mpcid/ns/presign/sa/a');
    const final = await Promise.all([0, 1, 2].map(presignMetrics));
    expect(final.reduce((s, m, i) => s + m['hit']! - after[i]!['hit']!, 0)).toBe(2);
    const { body } = (await (
      await fetch(`${http[0]}/.well-known/jwks.json`)
    )
      .json()
      .then((b) => ({ body: b }))) as {
      body: { keys: JWK[] };
    };
    expect(await calculateJwkThumbprint(body.keys.find((k) => k.kid === a.es256.kid)!)).toBe(a.es256.kid);
  }, 120_000);

  it('an oracle restarted between presign and use: the typed miss, a fresh online step, the signature verifies, nothing reused', async () => {
    await waitReady(agent, 2, 0);
    const ready = logLines(agent, 'ES256 presignature ready');
    const oracles = String(ready[ready.length - 1]!['oracles'])
      .split(',')
      .map(Number);
    // Restart every oracle of the set the newest presignature was made for: they lose theirs.
    for (const o of oracles) {
      await cluster.oracles[o - 1]!.kill('SIGKILL');
      await cluster.oracles[o - 1]!.start();
    }
    const misses0 = logLines(agent, 'ES256 presignature missing').length;
    const msg = Buffer.from('after the oracles restarted');
    const c0 = counterOf(a.stateDir);
    const res = await signEs256(agent, msg);
    expect(nodeVerifyEs256(Buffer.from(a.es256.publicKey, 'base64url'), msg, res.signature)).toBe(true);
    expect(logLines(agent, 'ES256 presignature missing').length).toBeGreaterThan(misses0);
    // The miss step committed (the ratchet advanced) and the online step followed it.
    expect(counterOf(a.stateDir) - c0).toBeGreaterThanOrEqual(2);
    const missed = await Promise.all(oracles.map((o) => presignMetrics(o - 1)));
    expect(missed.some((m) => m['miss']! >= 1)).toBe(true);
    expect(missed.every((m) => m['hit'] === 0)).toBe(true);
  }, 120_000);

  it("the pool's expiry rule (a short TTL): an idle identity's expired presignatures are not replaced; after a use within the TTL they are", async () => {
    const TTL = 1_500;
    const g = (await cluster.enroll('spiffe://test.mpcid/ns/presign/sa/expiry')) as unknown as Enrolled;
    const state = readState(g.stateDir);
    const clients = connectOracles(state.cluster);
    const log = createLogger('test-agent', 'silent');
    const opts = { heartbeatMs: 0, es256Presigns: 2, es256PresignTtlMs: TTL };
    const cosigner = new Cosigner(state, g.stateDir, readRatchet(g.stateDir, state), clients, log, opts);
    const pool = cosigner.presigns;
    /** The identity's counter as the cluster holds it (the highest oracle's). */
    const clusterCounter = async () =>
      Math.max(...(await Promise.all(cluster.oracles.map((o) => counterOn(o, g.kid)))));
    /** Waits until `done()` (at most `ms`: the assertions after it say what went wrong). */
    const until = async (done: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; !done() && Date.now() < end; ) await sleep(20);
    };
    /** Fills the pool to 2; when each was made (Date.now()). */
    const fill = async () => {
      await pool.whenReady(1);
      const first = Date.now();
      await pool.whenReady(2);
      return [first, Date.now()] as const;
    };
    try {
      // Idle: never used, so both expire more than a TTL after the pool started (its last "use")
      // and neither is replaced; no presign step follows.
      cosigner.start();
      await fill();
      expect(pool.stats).toMatchObject({ ready: 2, made: 2 });
      const c0 = cosigner.counter;
      await until(() => pool.stats.ready === 0, 3 * TTL);
      await sleep(TTL / 2);
      expect(pool.stats, 'expired and not replaced').toMatchObject({ ready: 0, made: 2, hits: 0 });
      expect(cosigner.counter, 'no presign step after the expiry').toBe(c0);
      expect(await clusterCounter()).toBe(c0);
      // A use within the TTL: two made again (the pool's refill, as after setup), then one used
      // midway between the second's making and the first's expiry (the widest margin on both
      // sides). The use's refill makes one; the other, made before the use, expires less than a
      // TTL after it: replaced.
      pool.refill();
      const [m1, m2] = await fill();
      await sleep(Math.max(0, (m1 + TTL - m2) / 2));
      const msg = Buffer.from('a use within the TTL');
      const sig = await cosigner.signEs256(msg);
      expect(nodeVerifyEs256(Buffer.from(g.es256.publicKey, 'base64url'), msg, sig)).toBe(true);
      expect(pool.stats).toMatchObject({ hits: 1, misses: 0 });
      await until(() => pool.stats.made >= 6, 3 * TTL);
      expect(pool.stats, 'two, two again, the refill after the use, the replacement').toMatchObject({
        made: 6,
        hits: 1,
      });
      // Steps: two presign steps, two more, the use, its refill, the replacement.
      expect(cosigner.counter - c0).toBe(5);
      expect(await clusterCounter()).toBe(cosigner.counter);
    } finally {
      await cosigner.stop();
      closeOracles(clients);
    }
  }, 60_000);

  it('at the wire level: a used presignature gives a miss and never a share; another signing set is refused; shares combine and verify', async () => {
    const b = (await cluster.enroll('spiffe://test.mpcid/ns/presign/sa/double')) as unknown as Enrolled;
    const state = readState(b.stateDir);
    const clients = connectOracles(state.cluster);
    try {
      const double = new Es256Double(state, b.stateDir, clients);
      const p = await double.presign(undefined, [1, 2]);
      expect(p.error).toBeUndefined();
      const msg = Buffer.from('wire-level presigned');
      const use = await double.usePresign(msg, p.session, [1, 2]);
      const shares = new Map<number, Uint8Array>([[0, p.presignature!.finish(sha256(msg))]]);
      for (const o of [1, 2]) {
        const res = use.answers[o - 1]!;
        expect(res.policyRefusal).toBeNull();
        expect(res.envelopes).toHaveLength(1);
        const env = res.envelopes[0]!;
        expect({ from: env.from, to: env.to, round: env.round }).toEqual({ from: o, to: 0, round: 3 });
        shares.set(o, openEnvelope(state.es256!.channels.get(o)!, 'sign', p.session, 3, o, 0, env.sealed));
      }
      // Oracle 3 is outside the set: it certifies, no share.
      expect(use.answers[2]!.envelopes).toHaveLength(0);
      const { signature } = combineSignature({
        curve: 'P-256',
        messageHash: sha256(msg),
        publicKey: state.es256!.publicKey,
        shares,
        sessionId: p.session,
        presign: true,
      });
      expect(nodeVerifyEs256(Buffer.from(b.es256.publicKey, 'base64url'), msg, signature)).toBe(true);
      // A second step naming the same presignature, another message: the typed miss, no share.
      const again = await double.usePresign(Buffer.from('a second message'), p.session, [1, 2]);
      for (const o of [1, 2]) {
        expect(again.answers[o - 1]!.policyRefusal?.code).toBe('PRESIGN_UNAVAILABLE');
        expect(again.answers[o - 1]!.envelopes).toHaveLength(0);
      }
      // A presignature for {1, 2} named by a step for {1, 3}: refused, and dropped on oracle 1.
      const q = await double.presign(undefined, [1, 2]);
      expect(q.error).toBeUndefined();
      const other = await double.usePresign(Buffer.from('other set'), q.session, [1, 3]);
      for (const o of [1, 3]) {
        expect(other.answers[o - 1]!.policyRefusal?.code).toBe('PRESIGN_UNAVAILABLE');
        expect(other.answers[o - 1]!.envelopes).toHaveLength(0);
      }
      const retry = await double.usePresign(Buffer.from('other set, right set now'), q.session, [1, 2]);
      expect(retry.answers[0]!.policyRefusal?.code, 'oracle 1 dropped it when the wrong set named it').toBe(
        'PRESIGN_UNAVAILABLE',
      );
      expect(retry.answers[0]!.envelopes).toHaveLength(0);
      q.presignature!.wipe();
    } finally {
      closeOracles(clients);
    }
  }, 120_000);

  it('an abort during presigning (the agent corrupts its round-2 message): the oracle accuses, the identity is suspended, the evidence (an es256-presign step) verifies', async () => {
    const c = (await cluster.enroll('spiffe://test.mpcid/ns/presign/sa/hostile')) as unknown as Enrolled;
    const state = readState(c.stateDir);
    const clients = connectOracles(state.cluster);
    try {
      const double = new Es256Double(state, c.stateDir, clients);
      // Byte 1 of the salt that opens our round-1 commitment to R, in our round-2 message to oracle 2.
      const r = await double.presign({ kind: 'own', round: 2, to: 2, at: HEADER_LEN + 65 + 1 }, [1, 2]);
      expect(r.presignature).toBeUndefined();
      expect((r.error as MpcidError).code).toBe('IDENTITY_SUSPENDED');
      // Every oracle refuses the identity now, with the accusation; its evidence verifies.
      for (const cl of clients) {
        const err = await failure(
          call(
            cl.signer,
            cl.signer.EcdsaRound,
            { identityId: c.kid, session: Buffer.alloc(32), round: 2 },
            5_000,
          ),
        );
        expect(errorCodeOf(err), `oracle ${cl.nodeId}`).toBe('IDENTITY_SUSPENDED');
        const details = detailsOf(fromServiceError(err, `oracle ${cl.nodeId}`), 'IDENTITY_SUSPENDED')!;
        expect(details).toMatchObject({ accuser: 2, accused: 0 });
        const ev = details.evidence as AbortEvidence;
        expect(ev.abort).toMatchObject({ accuser: 2, culprit: 0, check: 'commitment' });
        expect(ev.steps[0].step.kind).toBe('es256-presign');
        expect(Buffer.from(ev.messageDigest).equals(Buffer.from(PRESIGN_MESSAGE_DIGEST))).toBe(true);
        expect(verifyEvidence(state.sessionPublicKey, ev, nodeKeys(), { n: 3, t: 2 })).toBe('ecdsa-abort');
        // An edited signing set does not verify.
        expect(() =>
          verifyEvidence(state.sessionPublicKey, { ...ev, oracles: [1, 3] }, nodeKeys()),
        ).toThrow();
      }
    } finally {
      closeOracles(clients);
    }
  }, 120_000);

  it("an abort on the agent's side during presigning (a hostile oracle's round-2 answer): the agent reports, the identity is revoked everywhere", async () => {
    const d = (await cluster.enroll('spiffe://test.mpcid/ns/presign/sa/victim')) as unknown as Enrolled;
    const state = readState(d.stateDir);
    const clients = connectOracles(state.cluster);
    // Every oracle speaks the real protocol with one inconsistent byte in its round-2 message to
    // us (in the Γu point of its round-2 body), so whichever set the pool picks, the agent's check fails.
    let corrupting = clients;
    const counters: (() => number)[] = [];
    for (const from of [1, 2, 3]) {
      const one = corruptingClients(corrupting, {
        mode: 'oracle',
        rpcRound: 2,
        from,
        at: HEADER_LEN + 65 + 32 + 65 + 32 + 10,
        channelKey: state.es256!.channels.get(from)!,
      });
      corrupting = one.clients;
      counters.push(one.corrupted);
    }
    const bad = { clients: corrupting, corrupted: () => counters.reduce((s, f) => s + f(), 0) };
    const cosigner = new Cosigner(
      state,
      d.stateDir,
      readRatchet(d.stateDir, state),
      bad.clients,
      createLogger('test-agent', 'silent'),
      {
        heartbeatMs: 0,
        es256Presigns: 1,
      },
    );
    try {
      cosigner.start();
      await waitStatus(cluster.oracles, d.kid, 'revoked', 30_000);
      expect(bad.corrupted()).toBeGreaterThan(0);
      expect(cosigner.revoked).toBeDefined();
      const err = await failure(cosigner.signEs256(Buffer.from('after the abort')));
      expect((err as MpcidError).code ?? errorCodeOf(err)).toBe('IDENTITY_REVOKED');
      const r = await call(
        cluster.oracles[0]!.admin,
        cluster.oracles[0]!.admin.GetRevocation,
        { identityId: d.kid },
        5_000,
      );
      expect(r.reason).toBe('ecdsa-abort');
      const evidence = JSON.parse(r.evidenceJson) as {
        steps: { kind: string }[];
        abort: { accuser: number };
      };
      expect(evidence.steps[0]!.kind).toBe('es256-presign');
      expect(evidence.abort.accuser).toBe(0);
      expect(
        verifyEvidence(state.sessionPublicKey, evidenceFromJSON(evidence as never), nodeKeys(), {
          n: 3,
          t: 2,
        }),
      ).toBe('ecdsa-abort');
    } finally {
      await cosigner.stop();
      closeOracles(clients);
    }
  }, 120_000);

  it('SIGKILL of the agent while its pool fills (es256-presign steps and their rounds): after each restart it signs again, never revoked', async () => {
    const e = (await cluster.enroll('spiffe://test.mpcid/ns/presign/sa/crash')) as unknown as Enrolled;
    const pub = Buffer.from(e.es256.publicKey, 'base64url');
    const pendingKinds: string[] = [];
    for (const [trial, delayMs] of [0, 40, 120, 250].entries()) {
      const ag = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0, es256Presigns: 2 });
      await new Promise((r) => setTimeout(r, delayMs));
      await ag.kill('SIGKILL');
      const f = agentRatchetFile(e.stateDir);
      pendingKinds.push(f?.pending ? f.pending.step.kind : 'none');
      // Restarted: a step left pending is certified first, then it signs (online or presigned).
      const again = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0, es256Presigns: 2 });
      const msg = Buffer.from(`after crash ${trial}`);
      const res = await signEs256(again, msg);
      expect(nodeVerifyEs256(pub, msg, res.signature)).toBe(true);
      await again.kill('SIGTERM');
    }
    // And a kill with the es256-presign step certainly pending: the oracles are frozen, so the
    // step is written ahead and stuck on the wire when the agent dies.
    for (const o of cluster.oracles) process.kill(o.proc!.pid!, 'SIGSTOP');
    let frozen = true;
    try {
      const ag = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0, es256Presigns: 2 });
      const until = Date.now() + 15_000;
      while (agentRatchetFile(e.stateDir)?.pending?.step.kind !== 'es256-presign') {
        if (Date.now() > until) throw new Error('the agent never wrote an es256-presign step ahead');
        await new Promise((r) => setTimeout(r, 20));
      }
      await ag.kill('SIGKILL');
      pendingKinds.push('es256-presign');
      for (const o of cluster.oracles) process.kill(o.proc!.pid!, 'SIGCONT');
      frozen = false;
      // Without a pool, so that no refill's es256-presign step can be pending when the file is
      // read below: the step left pending at the kill must have been certified and followed.
      const again = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0, es256Presigns: 0 });
      const msg = Buffer.from('after a kill with a pending presign step');
      const res = await signEs256(again, msg);
      expect(nodeVerifyEs256(pub, msg, res.signature)).toBe(true);
      expect(agentRatchetFile(e.stateDir)?.pending?.step.kind).not.toBe('es256-presign');
      await again.kill('SIGTERM');
    } finally {
      if (frozen) for (const o of cluster.oracles) process.kill(o.proc!.pid!, 'SIGCONT');
    }
    console.info(`pending step kinds at the kills: ${pendingKinds.join(', ')}`);
    for (const o of cluster.oracles) expect(await statusOn(o, e.kid), `oracle ${o.id}`).toBe('active');
  }, 180_000);
});

describe('ES256 presignatures with oracles that serve no es256-presign steps (real processes)', {
  tags: ['slow'],
}, () => {
  let off: TestCluster;
  beforeAll(async () => {
    // Presignatures off on every oracle: each refuses es256-presign steps, as an oracle that
    // predates the kind does, and GetCapabilities does not list it.
    off = await startCluster(3, 2, { oracleConfig: () => ({ limits: { es256PresignsPerIdentity: 0 } }) });
  });
  afterAll(async () => {
    await off?.stop();
  });

  it('an agent with presigning on makes no presign step (none could be certified, and a pending step stops every request): ES256 and EdDSA sign, one step each', async () => {
    const e = (await off.enroll('spiffe://test.mpcid/ns/presign/sa/off')) as unknown as Enrolled;
    const ag = await off.startAgent(e.stateDir, undefined, { heartbeatMs: 0, es256Presigns: 2 });
    const waits = 'ES256 presigning waits until t oracles serve es256-presign steps';
    for (const end = Date.now() + 15_000; logLines(ag, waits).length === 0 && Date.now() < end; )
      await sleep(50);
    expect(logLines(ag, waits)[0], 'the pool asked the oracles and waits').toMatchObject({
      refusing: 3,
      n: 3,
      t: 2,
    });
    const pub = Buffer.from(e.es256.publicKey, 'base64url');
    const c0 = counterOf(e.stateDir);
    for (let i = 0; i < 3; i++) {
      const msg = Buffer.from(`signed online, presigning waits ${i}`);
      const res = await signEs256(ag, msg);
      expect(nodeVerifyEs256(pub, msg, res.signature)).toBe(true);
    }
    const msg = Buffer.from('and EdDSA');
    const ed = await call(ag.workload, ag.workload.Sign, { message: msg }, 20_000);
    const edKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(ed.publicKey).toString('base64url') },
      format: 'jwk',
    });
    expect(nodeVerify(null, msg, edKey, ed.signature)).toBe(true);
    expect(counterOf(e.stateDir) - c0, 'one step per signature, no presign step').toBe(4);
    expect(agentRatchetFile(e.stateDir)?.pending, 'nothing left pending').toBeFalsy();
    expect(logLines(ag, 'ES256 presignature ready')).toHaveLength(0);
    await ag.kill('SIGTERM');
  }, 60_000);
});
