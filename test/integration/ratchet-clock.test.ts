/**
 * Clone detection against any clock (docs/protocol.md §5, "A copy behind the cluster"): real
 * oracle processes, real LevelDB, agents started by the CLI, and copies whose clocks are really
 * off (libfaketime shifts every clock the copy's process reads).
 *
 * - A copy whose clock runs a day ahead heartbeats every second until every oracle is past the
 *   original; the original's next signature then exposes the fork: the identity is revoked on
 *   every oracle, a clone alert names both histories, and both copies are refused.
 * - The same for an old snapshot run with its clock a day behind while the original steps on.
 * - STALE_STEP answers forged by t lying "oracles" (no proof, a proof signed by the wrong key, a
 *   proof for this oracle's own step) never make an honest agent expose itself: once the real
 *   oracles are back it signs on, and nothing was revoked.
 *
 * Slow suite (tag `slow`): about 40 seconds.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { MpcidError } from '../../common/errors.js';
import { bind, call, SERVER_OPTIONS, services, shutdown, toServiceError } from '../../common/grpc.js';
import { createLogger } from '../../common/log.js';
import { EXPOSING_TIME, signCommit } from '../../crypto/ratchet.js';
import { nodeVerify } from '../crypto/helpers.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  startCluster,
  TEST_TLS,
  type TestCluster,
  testOracleServerCredentials,
} from '../helpers/cluster.js';
import { HookReceiver, whsecSecret } from '../helpers/hook.js';
import {
  copyStateDir,
  counterOn,
  expectRevokedError,
  failure,
  keyPair,
  removeClusterDir,
  shiftedClockEnv,
  sleep,
  statusOn,
  verifyEvidenceOffline,
  waitCounters,
  waitStatus,
} from '../helpers/ratchet.js';

/** How far past the original the copy must get before the original acts (more than two counters). */
const PAST = 3;

async function signVerified(agent: AgentProc, publicKey: string): Promise<void> {
  const msg = randomBytes(48);
  const res = await agent.sign(msg);
  expect(nodeVerify(res.signature, msg, Buffer.from(publicKey, 'base64url'))).toBe(true);
}

describe('clone detection against any clock (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  const hook = new HookReceiver();

  beforeAll(async () => {
    const url = await hook.listen();
    cluster = await startCluster(3, 2, {
      ...EDDSA_ONLY,
      oracleConfig: () => ({ alerts: { webhooks: [{ url, secret: whsecSecret() }] } }),
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    await hook.close();
    if (cluster) removeClusterDir(cluster);
  });

  /** Revoked everywhere, with a clone alert whose evidence verifies offline and names an exposing step. */
  async function expectCaught(kid: string, stateDir: string): Promise<void> {
    await waitStatus(cluster.oracles, kid, 'revoked', 10_000);
    const r = await call(cluster.admin, cluster.admin.GetRevocation, { identityId: kid }, 5_000);
    expect(verifyEvidenceOffline(JSON.parse(r.evidenceJson), stateDir, kid)).not.toBe('ecdsa-abort');
    const t0 = Date.now();
    while (!hook.received.some((e) => e.identityId === kid) && Date.now() - t0 < 10_000) await sleep(50);
    const alert = hook.received.find((e) => e.identityId === kid);
    expect(alert?.type).toBe('identity.clone_detected');
    expect(alert?.histories?.map((h) => h.role)).toEqual(['accepted', 'conflicting']);
    // Every node that caught the fork itself saw the exposing step (the stale copy's answer).
    const local = hook.received.filter((e) => e.identityId === kid && e.detectingNode === e.reportingNode);
    expect(local.length).toBeGreaterThan(0);
    for (const e of local) expect(e.histories?.some((h) => h.exposing && h.time === null)).toBe(true);
  }

  it('a copy with its clock a day ahead, heartbeating until every oracle is past the original: caught, both refused', async () => {
    const { stateDir, kid, publicKey } = await cluster.enroll('spiffe://test.mpcid/clock-ahead');
    const original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    await signVerified(original, publicKey);
    // The original's certified counter: the highest on the oracles (the one that was not in the
    // step's signing set may still be behind, and waiting from its counter could leave the copy
    // only one step past the original, a broken chain rather than a copy that is behind).
    const at = Math.max(...(await Promise.all(cluster.oracles.map((o) => counterOn(o, kid)))));

    const copyDir = join(cluster.dir, 'clock-ahead-copy');
    copyStateDir(stateDir, copyDir);
    const copy = await cluster.startAgent(copyDir, undefined, {
      heartbeatMs: 1000,
      env: shiftedClockEnv('+1d'),
    });
    await signVerified(copy, publicKey);
    await waitCounters(cluster.oracles, kid, at + PAST, 20_000);
    // The copy's steps carry tomorrow's time: the old rule read the original as a stale replay.
    expect(readRatchet(copyDir, readState(copyDir)).time).toBeGreaterThan(Date.now() + 20 * 3_600_000);

    expectRevokedError(await failure(original.sign(randomBytes(16))));
    await expectCaught(kid, stateDir);
    expectRevokedError(await failure(copy.sign(randomBytes(16))));
    expectRevokedError(await failure(original.sign(randomBytes(16))));
    await copy.kill();
    await original.kill();
  });

  it('an old snapshot run with its clock a day behind while the original steps on: caught, both refused', async (ctx) => {
    // A client whose clock is a day before its certificates' notBefore cannot complete mTLS.
    if (TEST_TLS) ctx.skip();
    const { stateDir, kid, publicKey } = await cluster.enroll('spiffe://test.mpcid/clock-behind');
    const original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 1000 });
    await signVerified(original, publicKey);
    const snapshotDir = join(cluster.dir, 'clock-behind-snapshot');
    copyStateDir(stateDir, snapshotDir);
    const at = readRatchet(snapshotDir, readState(snapshotDir)).counter;
    await waitCounters(cluster.oracles, kid, at + PAST, 20_000);
    await signVerified(original, publicKey);

    const snapshot = await cluster.startAgent(snapshotDir, undefined, {
      heartbeatMs: 1000,
      env: shiftedClockEnv('-1d'),
    });
    // Its first step is behind every oracle and earlier than their last step: once STALE_STEP
    // without evidence; now the snapshot exposes itself.
    expectRevokedError(await failure(snapshot.sign(randomBytes(16))));
    await expectCaught(kid, stateDir);
    expectRevokedError(await failure(original.sign(randomBytes(16))));
    const exposed = JSON.parse(readFileSync(join(snapshotDir, 'ratchet.json'), 'utf8')) as {
      pending?: { step: { time: number; counter: number } };
    };
    expect(exposed.pending?.step.time).toBe(EXPOSING_TIME);
    expect(exposed.pending?.step.counter).toBe(at + 1);
    await snapshot.kill();
    await original.kill();
  });

  it('forged STALE_STEP answers from t liars never make an honest agent expose itself', async () => {
    const { stateDir, kid, publicKey } = await cluster.enroll('spiffe://test.mpcid/forged-stale');
    const agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 300 });
    await signVerified(agent, publicKey);
    const [, o2, o3] = cluster.oracles as [
      unknown,
      (typeof cluster.oracles)[number],
      (typeof cluster.oracles)[number],
    ];
    await o2.kill();
    await o3.kill();

    // Liars on oracles 2 and 3's addresses answer every Step with STALE_STEP and a "proof": none,
    // a commit far ahead signed by a key that is not the node's, or a real-looking commit to the
    // agent's own pending step (which proves nothing).
    const log = createLogger('liar', 'silent');
    const forger = keyPair('forger');
    let lies = 0;
    const liars: grpc.Server[] = [];
    for (const o of [o2, o3]) {
      const liar = new grpc.Server(SERVER_OPTIONS);
      liar.addService(services().oracle.mpcid.oracle.v1.Signer.service, {
        GetNonces: (_c: unknown, cb: grpc.sendUnaryData<never>) => {
          cb(toServiceError(new MpcidError('NOT_READY', 'liar'), log, 'GetNonces'));
          return;
        },
        Step: (_c: unknown, cb: grpc.sendUnaryData<never>) => {
          lies++;
          const forged = signCommit(forger.key, o.id, kid, 1_000_000 + lies, randomBytes(32));
          const details = lies % 2 === 0 ? { details: { commit: forged } } : {};
          cb(toServiceError(new MpcidError('STALE_STEP', 'behind (forged)', details), log, 'Step'));
          return;
        },
      });
      await bind(liar, o.address, testOracleServerCredentials(`oracle-${o.id} (liar)`));
      liars.push(liar);
    }
    const t0 = Date.now();
    while (lies < 10 && Date.now() - t0 < 15_000) await sleep(10);
    expect(lies).toBeGreaterThanOrEqual(10);
    const rs = readRatchet(stateDir, readState(stateDir));
    expect(rs.time).toBeLessThan(EXPOSING_TIME);
    expect(rs.pending?.signed.step.time ?? 0).toBeLessThan(EXPOSING_TIME);
    expect(readFileSync(agent.logFile, 'utf8')).not.toContain('exposing it');

    for (const liar of liars) await shutdown(liar);
    await Promise.all([o2.start(), o3.start()]);
    for (let i = 0; i < 3; i++) await signVerified(agent, publicKey);
    for (const o of cluster.oracles) expect(await statusOn(o, kid)).toBe('active');
    await agent.kill();
  });
});
