/**
 * Clone and rollback detection end to end (docs/protocol.md §5, §7): real oracle processes with
 * real LevelDB, agents started by the CLI. A copy of an agent's state dir run as a second agent,
 * or an old copy restored in place, is caught at the first step both histories reach; the
 * identity is then revoked on every oracle, both agents refuse to sign, and the evidence verifies
 * offline with the session public key alone. Forged evidence pushed to an oracle changes nothing.
 *
 * Slow suite (tag `slow`): about a minute, 20 clone trials on one cluster.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prepareStep, readRatchet, writeRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { call, errorCodeOf } from '../../common/grpc.js';
import { HEARTBEAT_DIGEST, stepFromWire, stepToWire } from '../../common/protocol.js';
import { toB64u } from '../../crypto/bytes.js';
import { type SignedStep, signStep, verifyEvidence } from '../../crypto/ratchet.js';
import type { PeerClient } from '../../proto/gen/mpcid/oracle/v1/Peer.js';
import { nodeVerify } from '../crypto/helpers.js';
import { type AgentProc, EDDSA_ONLY, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';
import {
  agentRatchetFile,
  copyStateDir,
  expectRevokedError,
  failure,
  honestChain,
  keyPair,
  makeStep,
  peerClient,
  randInt,
  removeClusterDir,
  revocationRecords,
  sleep,
  statusOn,
  verifyEvidenceOffline,
  waitStatus,
} from '../helpers/ratchet.js';

/** Heartbeat interval of the agents in the clone trials: idle copies collide within this. */
const HEARTBEAT_MS = 300;
/** Slack over one heartbeat interval for detection + revocation gossip on 2 shared cores. */
const SLACK_MS = 700;
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
/** 20 trials; MPCID_CLONE_TRIALS overrides (the mTLS re-run of this suite uses fewer). */
const TRIALS = Number(process.env['MPCID_CLONE_TRIALS'] ?? 20);

type Mode = 'heartbeats only' | 'original signs' | 'copy signs' | 'both sign' | 'copied mid-sign';
const MODES: Mode[] = ['heartbeats only', 'original signs', 'copy signs', 'both sign', 'copied mid-sign'];

async function signVerified(agent: AgentProc, publicKey: Buffer): Promise<void> {
  const msg = randomBytes(randInt(1, 200));
  const res = await agent.sign(msg);
  expect(nodeVerify(res.signature, msg, publicKey)).toBe(true);
}

/** Evidence an oracle serves over its Peer API, checked with the session key from the state dir. */
async function liveEvidence(peer: PeerClient, identityId: string, stateDir: string) {
  const res = await call(peer, peer.ListRevocations, { pageToken: '', pageSize: 100 }, 3_000);
  const r = res.revocations.find((x) => x.evidence?.identityId === identityId);
  expect(r, 'the oracle lists the revocation').toBeDefined();
  const e = r!.evidence!;
  const evidence = {
    identityId: e.identityId,
    steps: [stepFromWire(e.steps[0]), stepFromWire(e.steps[1])] as [SignedStep, SignedStep],
  };
  return verifyEvidence(readState(stateDir).sessionPublicKey, evidence);
}

describe('clone and rollback detection (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let peers: PeerClient[];
  /** Every identity revoked in this file, with its state dir: their evidence is re-read from LevelDB at the end. */
  const revoked: { kid: string; stateDir: string }[] = [];

  let failed = false;

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    peers = cluster.oracles.map((o) => peerClient(o.address));
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    for (const p of peers ?? []) p.close();
    await cluster?.stop();
    // A failed run keeps its logs (printed path) for diagnosis.
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}/logs`);
  });

  it(`a running agent's copy is caught within one heartbeat in each of ${TRIALS} random trials`, {
    timeout: 240_000,
  }, async () => {
    const report: string[] = [];
    const failures: string[] = [];
    const enrollTrial = (i: number) => cluster.enroll(`spiffe://test.mpcid/clone/${i}`);
    // Enrollment of the next trial's identity overlaps with the current trial.
    let next = enrollTrial(0);
    for (let trial = 0; trial < TRIALS; trial++) {
      const mode = MODES[trial % MODES.length]!;
      const { stateDir, kid, publicKey } = await next;
      if (trial + 1 < TRIALS) next = enrollTrial(trial + 1);
      const pk = Buffer.from(publicKey, 'base64url');
      const copyDir = join(dirname(stateDir), 'copy');
      const agents: AgentProc[] = [];
      let copyPending = false;
      const unexpected: string[] = [];
      try {
        const original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: HEARTBEAT_MS });
        agents.push(original);
        for (let i = randInt(0, 2); i > 0; i--) await signVerified(original, pk);

        // Snapshot the running agent's state dir (a VM snapshot / disk image), perhaps mid-step.
        if (mode === 'copied mid-sign') {
          const inFlight = signVerified(original, pk);
          // Never left unhandled if the copy below throws; awaited just after.
          inFlight.catch(() => undefined);
          await sleep(randInt(0, 20));
          copyStateDir(stateDir, copyDir);
          await inFlight;
        } else {
          await sleep(randInt(0, HEARTBEAT_MS));
          copyStateDir(stateDir, copyDir);
        }
        copyPending = !!agentRatchetFile(copyDir)?.pending;
        await sleep(randInt(0, 200));
        const copy = await cluster.startAgent(copyDir, undefined, { heartbeatMs: HEARTBEAT_MS });
        agents.push(copy);
        const bothRunning = Date.now();

        // Both act at random moments; a signature either returns before detection is complete
        // (and then verifies) or fails with IDENTITY_REVOKED. Nothing else.
        const actors =
          mode === 'original signs'
            ? [original]
            : mode === 'copy signs'
              ? [copy]
              : mode === 'heartbeats only'
                ? []
                : Math.random() < 0.5
                  ? [original, copy]
                  : [copy, original];
        const ops = actors.map(async (a) => {
          for (let i = randInt(1, 3); i > 0; i--) {
            await sleep(randInt(0, 100));
            const msg = randomBytes(32);
            try {
              const res = await a.sign(msg);
              if (!nodeVerify(res.signature, msg, pk))
                unexpected.push('a returned signature does not verify');
            } catch (e) {
              if (errorCodeOf(e) !== 'IDENTITY_REVOKED')
                unexpected.push(`${a === copy ? 'copy' : 'original'}: ${(e as Error).message}`);
              return;
            }
          }
        });
        try {
          await waitStatus(cluster.oracles, kid, 'revoked', HEARTBEAT_MS + SLACK_MS, 10);
        } finally {
          await Promise.all(ops);
        }
        const sinceBoth = Date.now() - bothRunning;
        report.push(`${sinceBoth}`);
        expect(unexpected).toEqual([]);

        // Both copies now refuse to sign: the identity is revoked on the cluster.
        expectRevokedError(await failure(original.sign(Buffer.from('after detection'))));
        expectRevokedError(await failure(copy.sign(Buffer.from('after detection'))));

        // Each oracle's evidence verifies with nothing but the session public key.
        for (const p of peers)
          expect(await liveEvidence(p, kid, stateDir)).toMatch(/equivocation|broken-chain|time-reversal/);
        revoked.push({ kid, stateDir });
      } catch (e) {
        failures.push(
          `trial ${trial} (${mode}; copy had a pending step: ${copyPending}): ${(e as Error).message.split('\n')[0]}` +
            (unexpected.length ? ` [${unexpected.join('; ')}]` : ''),
        );
      } finally {
        await Promise.all(agents.map((a) => a.kill()));
      }
    }
    console.info(`clone trials: ms from both running to revoked on every oracle: ${report.join(' ')}`);
    expect(failures, 'every trial detects the clone').toEqual([]);
  });

  /** Copies the state dir at an instant the agent has a step written ahead but not yet certified. */
  async function snapshotMidStep(
    agent: AgentProc,
    pk: Buffer,
    stateDir: string,
    to: string,
  ): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      let done = false;
      const inFlight = signVerified(agent, pk).finally(() => {
        done = true;
      });
      let caught: number | undefined;
      while (!done && caught === undefined) {
        if (agentRatchetFile(stateDir)?.pending) {
          copyStateDir(stateDir, to);
          caught = agentRatchetFile(to)?.pending?.step.counter;
        }
        await new Promise((r) => setImmediate(r));
      }
      await inFlight;
      if (caught !== undefined) return caught;
    }
    throw new Error('could not snapshot the state dir with a pending step');
  }

  /** Copies the state dir at an instant the agent has no step in flight. */
  async function snapshotIdle(stateDir: string, to: string): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      copyStateDir(stateDir, to);
      const f = agentRatchetFile(to);
      if (f && !f.pending) return;
      await sleep(5);
    }
    throw new Error('could not snapshot the state dir without a pending step');
  }

  it.each([
    ['run beside the original', false],
    ['restored in place of the original (rollback)', true],
  ])('a snapshot taken mid-step, %s after the original moved on, is caught', async (_what, inPlace) => {
    const { stateDir, kid, publicKey } = await cluster.enroll(`spiffe://test.mpcid/mid-step/${inPlace}`);
    const pk = Buffer.from(publicKey, 'base64url');
    const original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    await signVerified(original, pk);
    const snapDir = join(dirname(stateDir), 'snapshot');
    await snapshotMidStep(original, pk, stateDir, snapDir);
    // The original certifies that step and makes more.
    for (let i = 0; i < 2; i++) await signVerified(original, pk);
    let copy: AgentProc;
    if (inPlace) {
      await original.kill('SIGTERM');
      copyStateDir(snapDir, stateDir);
      await original.start();
      copy = original;
    } else {
      copy = await cluster.startAgent(snapDir, undefined, { heartbeatMs: 0 });
    }
    try {
      expectRevokedError(await failure(copy.sign(Buffer.from('the copy signs'))));
      await waitStatus(cluster.oracles, kid, 'revoked', 3_000);
      expectRevokedError(await failure(original.sign(Buffer.from('x'))));
      revoked.push({ kid, stateDir });
    } finally {
      await Promise.all([original.kill(), copy.kill()]);
    }
  });

  it("a copy whose first own step was overtaken by the original's later steps is caught", async () => {
    const { stateDir, kid, publicKey } = await cluster.enroll('spiffe://test.mpcid/overtaken');
    const pk = Buffer.from(publicKey, 'base64url');
    const original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: HEARTBEAT_MS });
    await signVerified(original, pk);
    const copyDir = join(dirname(stateDir), 'copy');
    await snapshotIdle(stateDir, copyDir);
    // The copy makes its first step (a heartbeat, written ahead as the agent does) ...
    const st = readState(copyDir);
    const rs = prepareStep(
      readRatchet(copyDir, st),
      st.identityId,
      st.sessionKey,
      'heartbeat',
      HEARTBEAT_DIGEST,
    );
    writeRatchet(copyDir, st.identityId, rs);
    // ... and before it reaches any oracle, the original's next heartbeats (later in time) do.
    await sleep(3 * HEARTBEAT_MS);
    const copy = await cluster.startAgent(copyDir, undefined, { heartbeatMs: HEARTBEAT_MS });
    try {
      expectRevokedError(await failure(copy.sign(Buffer.from('the copy signs'))));
      await waitStatus(cluster.oracles, kid, 'revoked', 3_000);
      revoked.push({ kid, stateDir });
    } finally {
      await Promise.all([original.kill(), copy.kill()]);
    }
  });

  it('a rolled-back agent (old state dir restored in place) is caught at its first step', async () => {
    const { stateDir, kid, publicKey } = await cluster.enroll('spiffe://test.mpcid/rollback');
    const pk = Buffer.from(publicKey, 'base64url');
    const agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    for (let i = 0; i < 3; i++) await signVerified(agent, pk);
    const saved = join(dirname(stateDir), 'saved');
    copyStateDir(stateDir, saved);
    for (let i = 0; i < 4; i++) await signVerified(agent, pk);
    await agent.kill('SIGTERM');
    expect(await statusOn(cluster.oracles[0]!, kid)).toBe('active');

    copyStateDir(saved, stateDir);
    await agent.start();
    expectRevokedError(await failure(agent.sign(Buffer.from('from the past'))));
    await waitStatus(cluster.oracles, kid, 'revoked', 3_000);
    expectRevokedError(await failure(agent.sign(Buffer.from('again'))));
    for (const p of peers) await liveEvidence(p, kid, stateDir);
    // The operator's way to fetch it: `mpcid evidence get`; checked with the agent's own key.
    const got = await mpcid([
      'evidence',
      'get',
      '--admin',
      cluster.oracles[0]!.config.adminListen,
      '--identity',
      kid,
    ]);
    expect(got.code, got.stderr).toBe(0);
    const doc = JSON.parse(got.stdout) as { sessionPublicKey: string };
    expect(doc.sessionPublicKey).toBe(toB64u(readState(stateDir).sessionPublicKey));
    expect(verifyEvidenceOffline(doc, stateDir, kid)).toMatch(/equivocation|broken-chain|time-reversal/);
    revoked.push({ kid, stateDir });
    await agent.kill();
  });

  it('a rolled-back agent that only heartbeats is caught too', async () => {
    const { stateDir, kid, publicKey } = await cluster.enroll('spiffe://test.mpcid/rollback-idle');
    const pk = Buffer.from(publicKey, 'base64url');
    const agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: HEARTBEAT_MS });
    await signVerified(agent, pk);
    const saved = join(dirname(stateDir), 'saved');
    await snapshotIdle(stateDir, saved);
    await sleep(4 * HEARTBEAT_MS);
    await agent.kill('SIGTERM');
    copyStateDir(saved, stateDir);
    await agent.start();
    await waitStatus(cluster.oracles, kid, 'revoked', HEARTBEAT_MS + SLACK_MS);
    expectRevokedError(await failure(agent.sign(Buffer.from('x'))));
    revoked.push({ kid, stateDir });
    await agent.kill();
  });

  describe('forged evidence pushed to the Peer API', () => {
    let kid: string;
    let stateDir: string;
    let agent: AgentProc;
    let pk: Buffer;

    beforeAll(async () => {
      ({ stateDir, kid } = await cluster.enroll('spiffe://test.mpcid/forgery-target'));
      agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
      pk = (await agent.sign(Buffer.from('warm-up'))).publicKey;
    });
    afterAll(async () => {
      await agent?.kill();
    });

    const push = (peer: PeerClient, identityId: string, steps: SignedStep[]) =>
      call(
        peer,
        peer.PushRevocation,
        {
          revocation: {
            evidence: { identityId, steps: steps.map(stepToWire) },
            digest: randomBytes(32),
            reason: 'equivocation',
            detectedBy: 1,
            detectedAt: Date.now(),
            peers: ['mallory', 'mallory'],
            counter: 1,
          },
        },
        3_000,
      );

    /** The push is refused with one of `codes` on every oracle; the identity stays active and signs. */
    async function refused(identityId: string, steps: SignedStep[], codes: string[], status: number) {
      for (const p of peers) {
        const err = await failure(push(p, identityId, steps));
        expect((err as { code: number }).code, String(err)).toBe(status);
        expect(codes).toContain(errorCodeOf(err));
      }
      for (const o of cluster.oracles) expect(await statusOn(o, kid)).toBe('active');
      await signVerified(agent, pk);
    }

    /** Two steps of the target identity that really conflict (counter 1, different bytes). */
    function conflictingPair(key = readState(stateDir).sessionKey, identityId = kid): SignedStep[] {
      const prevHead = new Uint8Array(32);
      return [
        signStep(key, makeStep(identityId, { counter: 1, prevHead, time: 1_000 })),
        signStep(key, makeStep(identityId, { counter: 1, prevHead, time: 2_000 })),
      ];
    }

    it('two conflicting steps signed by a key that is not the session key: BAD_EVIDENCE', async () => {
      const mallory = keyPair();
      await refused(kid, conflictingPair(mallory.key), ['BAD_EVIDENCE'], INVALID_ARGUMENT);
    });

    it('two genuine, session-signed steps that do not conflict: BAD_EVIDENCE', async () => {
      const session = {
        key: readState(stateDir).sessionKey,
        publicKey: readState(stateDir).sessionPublicKey,
      };
      const { steps } = honestChain(kid, session, 3, { prevHead: new Uint8Array(32), time0: 5_000 });
      await refused(kid, [steps[0]!, steps[1]!], ['BAD_EVIDENCE'], INVALID_ARGUMENT);
      await refused(kid, [steps[0]!, steps[2]!], ['BAD_EVIDENCE'], INVALID_ARGUMENT);
      await refused(kid, [steps[1]!, steps[1]!], ['BAD_EVIDENCE'], INVALID_ARGUMENT);
    });

    it('a mismatched identity: BAD_EVIDENCE, or NOT_FOUND for an identity the cluster does not know', async () => {
      // Genuinely conflicting, session-signed steps of the target, filed under another enrolled identity.
      const other = await cluster.enroll('spiffe://test.mpcid/forgery-bystander');
      await refused(other.kid, conflictingPair(), ['BAD_EVIDENCE'], INVALID_ARGUMENT);
      for (const o of cluster.oracles) expect(await statusOn(o, other.kid)).toBe('active');
      // Steps naming the other identity, signed by the target's session key, filed under either.
      const wrong = conflictingPair(undefined, other.kid);
      await refused(other.kid, wrong, ['BAD_EVIDENCE'], INVALID_ARGUMENT);
      await refused(kid, wrong, ['BAD_EVIDENCE'], INVALID_ARGUMENT);
      // An identity id nobody enrolled.
      const unknown = readState(other.stateDir).identityId.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
      await refused(unknown, conflictingPair(undefined, unknown), ['UNKNOWN_IDENTITY'], NOT_FOUND);
      // One step only.
      await refused(kid, conflictingPair().slice(0, 1), ['BAD_EVIDENCE'], INVALID_ARGUMENT);
    });

    it('control: the same push with genuine evidence does revoke (so the refusals above are real)', async () => {
      const res = await push(peers[1]!, kid, conflictingPair());
      expect(res.applied).toBe(true);
      expect(await statusOn(cluster.oracles[1]!, kid)).toBe('revoked');
      revoked.push({ kid, stateDir });
    });
  });

  it('the evidence persisted in a stopped oracle LevelDB verifies offline for every revoked identity', async () => {
    expect(revoked.length).toBeGreaterThanOrEqual(4);
    const o = cluster.oracles[1]!;
    await o.kill('SIGTERM');
    const recs = await revocationRecords(
      o,
      revoked.map((r) => r.kid),
    );
    recs.forEach((rec, i) => {
      const { kid, stateDir } = revoked[i]!;
      expect(rec, `revocation!${kid}`).toBeDefined();
      expect(verifyEvidenceOffline(rec!.evidence, stateDir, kid)).toBe(rec!.reason);
      expect(rec!.evidence.digest).toBe(rec!.digest);
    });
  });
});
