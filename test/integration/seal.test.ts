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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../common/grpc.js';
import { parseBlob } from '../../crypto/blob.js';
import { toB64u } from '../../crypto/bytes.js';
import { type AgentProc, EDDSA_ONLY, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';
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

  afterAll(async () => {
    await cluster?.stop();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}/logs`);
  });

  it('a sealed password unseals after the agent and every oracle restart; seal and unseal are audited steps with the blob id', {
    timeout: 120_000,
  }, async () => {
    try {
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
    } catch (e) {
      failed = true;
      throw e;
    }
  });

  it('an oversize plaintext, a blob of another identity and a tampered blob get clear codes; nothing is written', {
    timeout: 120_000,
  }, async () => {
    try {
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
    } catch (e) {
      failed = true;
      throw e;
    }
  });

  it('once a copy of the agent is caught, neither copy unseals (IDENTITY_REVOKED)', {
    timeout: 120_000,
  }, async () => {
    try {
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
    } catch (e) {
      failed = true;
      throw e;
    }
  });
});
