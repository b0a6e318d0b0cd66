/**
 * Sealed secrets end to end (issue 15 item 1, docs/protocol.md §6.3): real oracle processes on
 * loopback with real LevelDB, agents and the `mpcid seal` / `mpcid unseal` CLI as a workload uses
 * them. A database password sealed by a workload unseals after the agent and every oracle
 * restarted; each seal and unseal is an audited step of its own kind, with its blob id; once a
 * copy of the agent is caught, neither copy unseals (IDENTITY_REVOKED). A tampered blob, a blob
 * of another identity and an oversize plaintext each get a clear code and leave nothing written.
 *
 * Slow suite (tag `slow`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cosigner } from '../../agent/cosigner.js';
import { closeOracles, connectOracles } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { Unsealer } from '../../agent/unseal.js';
import { culpritsOf, MpcidError } from '../../common/errors.js';
import { call } from '../../common/grpc.js';
import { createLogger } from '../../common/log.js';
import { parseBlob } from '../../crypto/blob.js';
import { toB64u } from '../../crypto/bytes.js';
import { type AgentProc, EDDSA_ONLY, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';
import { interceptAnswers } from '../helpers/intercept.js';
import {
  agentRatchetFile,
  copyStateDir,
  expectRevokedError,
  removeClusterDir,
  waitStatus,
} from '../helpers/ratchet.js';

const PASSWORD = 'postgres://app:correct-horse-battery-staple@db.internal:5432/orders\n';

describe('sealed secrets (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let dir: string;
  let a: { stateDir: string; kid: string };
  let agentA: AgentProc;
  let blob: string;
  let failed = false;

  const seal = (agent: AgentProc, input: string, out: string, extra: string[] = []) =>
    mpcid(['seal', '--socket', agent.socket, '--in', input, '--out', out, ...extra]);
  const unseal = (agent: AgentProc, input: string, out: string) =>
    mpcid(['unseal', '--socket', agent.socket, '--in', input, '--out', out]);
  const counter = (stateDir: string) => JSON.stringify(agentRatchetFile(stateDir));

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    dir = cluster.dir;
    a = await cluster.enroll('spiffe://test.mpcid/orders-api');
    agentA = await cluster.startAgent(a.stateDir, undefined, { heartbeatMs: 0 });
    writeFileSync(join(dir, 'db-password'), PASSWORD, { mode: 0o600 });
    blob = join(dir, 'db-password.blob');
  }, 120_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await cluster?.stop();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}/logs`);
  });

  it('a sealed password unseals after the agent and every oracle restart; seal and unseal are audited steps with the blob id', {
    timeout: 120_000,
  }, async () => {
    const r = await seal(agentA, join(dir, 'db-password'), blob);
    expect(r.code, r.stderr).toBe(0);
    const sealed = readFileSync(blob);
    expect(sealed.includes(Buffer.from('correct-horse'))).toBe(false);
    const parsed = parseBlob(new Uint8Array(sealed));
    expect(parsed.identityId).toBe(a.kid);

    // Everything restarts: the agent gracefully, the oracles killed.
    await agentA.kill('SIGTERM');
    for (const o of cluster.oracles) await o.kill('SIGKILL');
    for (const o of cluster.oracles) await o.start();
    await agentA.start();

    const out = join(dir, 'db-password.out');
    const u = await unseal(agentA, blob, out);
    expect(u.code, u.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(PASSWORD);
    expect(u.stdout + u.stderr).not.toContain('correct-horse');

    // Each oracle that took the steps logged them as unseal steps naming the blob.
    const blobId = toB64u(parsed.blobId);
    let audited = 0;
    for (const o of cluster.oracles) {
      const res = await call(
        o.admin,
        o.admin.ListAudit,
        { identityId: a.kid, since: 0, kind: 'unseal', pageSize: 100, pageToken: '' },
        5_000,
      );
      const mine = res.entries.filter((e) => e.blobId === blobId);
      expect(mine.every((e) => e.kind === 'unseal')).toBe(true);
      if (mine.length === 2) audited++;
    }
    expect(audited, 'oracles holding both the seal and the unseal step').toBeGreaterThanOrEqual(2);
  });

  it('an oversize plaintext, a blob of another identity and a tampered blob get clear codes; nothing is written', {
    timeout: 120_000,
  }, async () => {
    // Oversize: refused before any step (the ratchet file is unchanged), no blob written.
    const big = join(dir, 'big');
    writeFileSync(big, Buffer.alloc(65_537, 1));
    const before = counter(a.stateDir);
    const r = await seal(agentA, big, join(dir, 'big.blob'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('PLAINTEXT_TOO_LARGE');
    expect(existsSync(join(dir, 'big.blob'))).toBe(false);
    expect(counter(a.stateDir)).toBe(before);
    // Exactly 64 KiB is fine.
    writeFileSync(big, Buffer.alloc(65_536, 2));
    expect((await seal(agentA, big, join(dir, 'big.blob'))).code).toBe(0);

    // Another identity's blob: refused before any step.
    const b = await cluster.enroll('spiffe://test.mpcid/billing');
    const agentB = await cluster.startAgent(b.stateDir, undefined, { heartbeatMs: 0 });
    const blobB = join(dir, 'billing.blob');
    expect((await seal(agentB, join(dir, 'db-password'), blobB)).code).toBe(0);
    const beforeWrong = counter(a.stateDir);
    const w = await unseal(agentA, blobB, join(dir, 'wrong.out'));
    expect(w.code).not.toBe(0);
    expect(w.stderr).toContain('BLOB_WRONG_IDENTITY');
    expect(existsSync(join(dir, 'wrong.out'))).toBe(false);
    expect(counter(a.stateDir)).toBe(beforeWrong);
    // B opens its own blob.
    expect((await unseal(agentB, blobB, join(dir, 'billing.out'))).code).toBe(0);
    expect(readFileSync(join(dir, 'billing.out'), 'utf8')).toBe(PASSWORD);

    // Tampered: one flipped bit in the ciphertext, or in the policy, or in the blob id.
    const good = readFileSync(blob);
    for (const at of [good.length - 20, good.length - 1, good.indexOf(Buffer.from('{}'))]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      const tampered = join(dir, 'tampered.blob');
      writeFileSync(tampered, bad);
      const t = await unseal(agentA, tampered, join(dir, 'tampered.out'));
      expect(t.code).not.toBe(0);
      expect(t.stderr).toContain('BLOB_INVALID');
      expect(existsSync(join(dir, 'tampered.out'))).toBe(false);
    }
    // Garbage is refused before any step.
    writeFileSync(join(dir, 'garbage.blob'), 'not a blob');
    const beforeGarbage = counter(a.stateDir);
    const g = await unseal(agentA, join(dir, 'garbage.blob'), join(dir, 'garbage.out'));
    expect(g.stderr).toContain('BLOB_INVALID');
    expect(counter(a.stateDir)).toBe(beforeGarbage);
    // The genuine blob still opens: nothing the refusals touched was stored.
    const ok = await unseal(agentA, blob, join(dir, 'again.out'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, 'again.out'), 'utf8')).toBe(PASSWORD);
    await agentB.kill('SIGTERM');
  });

  it("a lying oracle's partial is caught by its DLEQ proof, named, and left out", {
    timeout: 120_000,
  }, async () => {
    // An in-process agent on the real oracles whose Unseal answers from `liars` are altered.
    const c = await cluster.enroll('spiffe://test.mpcid/lying-partial');
    const state = readState(c.stateDir);
    const clients = connectOracles(state.cluster);
    let liars: number[] = [];
    const lying = interceptAnswers<unknown, { partial: Buffer }>(clients, 'Unseal', (nodeId, _req, res) => {
      if (!liars.includes(nodeId)) return;
      res.partial = Buffer.from(res.partial);
      res.partial[0]! ^= 1;
    });
    const log = createLogger('lying-partial', 'silent');
    const cosigner = new Cosigner(state, c.stateDir, readRatchet(c.stateDir, state), lying, log, {
      heartbeatMs: 0,
    });
    const unsealer = new Unsealer(state, cosigner, log);
    try {
      const secret = new Uint8Array(Buffer.from('api-key: 0123456789abcdef'));
      const sealed = await unsealer.seal(secret, '');
      // One liar of three: the two honest oracles are a quorum; the liar is left out.
      for (const liar of [1, 2, 3]) {
        liars = [liar];
        expect(Buffer.from((await unsealer.unseal(sealed)).plaintext).toString()).toBe(
          'api-key: 0123456789abcdef',
        );
      }
      // Two liars: no quorum of good partials; both are named, typed.
      liars = [1, 3];
      const err = await unsealer.unseal(sealed).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MpcidError);
      expect((err as MpcidError).code).toBe('BAD_UNSEAL_PARTIAL');
      expect(culpritsOf(err)).toEqual([1, 3]);
    } finally {
      liars = [];
      await cosigner.stop();
      closeOracles(clients);
    }
  });

  it('figures: one Unseal round trip as a ratio to one Sign round trip (same agent, same run; no assertion)', {
    timeout: 120_000,
  }, async () => {
    const wl = agentA.workload;
    const sealed = readFileSync(blob);
    const median = async (f: () => Promise<unknown>) => {
      const xs: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        await f();
        xs.push(performance.now() - t0);
      }
      return xs.sort((x, y) => x - y)[3]!;
    };
    const sign = await median(() => agentA.sign(Buffer.from('figure')));
    const open = await median(() => call(wl, wl.Unseal, { blob: sealed }, 20_000));
    console.info(`seal figures: Unseal / Sign round trip (medians of 7) = ${(open / sign).toFixed(2)}`);
  });

  it('once a copy of the agent is caught, neither copy unseals (IDENTITY_REVOKED)', {
    timeout: 120_000,
  }, async () => {
    await agentA.kill('SIGTERM');
    const copyDir = join(dirname(a.stateDir), 'copy');
    copyStateDir(a.stateDir, copyDir);
    const original = await cluster.startAgent(a.stateDir, undefined, { heartbeatMs: 300 });
    const copy = await cluster.startAgent(copyDir, undefined, { heartbeatMs: 300 });
    await waitStatus(cluster.oracles, a.kid, 'revoked', 30_000);
    for (const agent of [original, copy]) {
      const err = await call(
        agent.workload,
        agent.workload.Unseal,
        { blob: readFileSync(blob) },
        20_000,
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, 'unseal after the copy was caught').toBeDefined();
      expectRevokedError(err);
      const r = await unseal(agent, blob, join(dir, 'revoked.out'));
      expect(r.stderr).toContain('IDENTITY_REVOKED');
      expect(existsSync(join(dir, 'revoked.out'))).toBe(false);
    }
  });
});
