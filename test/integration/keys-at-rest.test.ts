/**
 * Oracle keys at rest on a real 2-of-3 cluster (docs/protocol.md §9): after enrollment and
 * signing no file of any data dir holds a share in any encoding (the shares, opened with the KEK,
 * are checked to be genuine first); an oracle with a wrong KEK or none refuses to start; a sealed
 * blob swapped between two identities or altered is STATE_CORRUPT for that identity only (the
 * oracle keeps serving, agents sign through the others); MPCID_KEK works in place of kek.file;
 * after restarts with the right KEK every oracle's share signs again.
 *
 * Slow suite (tag `slow`): real processes, about 30 s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { Level } from 'level';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf } from '../../common/grpc.js';
import { nodeVerify } from '../crypto/helpers.js';
import { oracleIdentities, rawDataFiles } from '../helpers/atrest.js';
import {
  type AgentProc,
  CLI,
  mpcid,
  type OracleProc,
  startCluster,
  type TestCluster,
  waitUntil,
} from '../helpers/cluster.js';
import { findLeaks, type SecretItem } from '../helpers/leaks.js';
import { removeClusterDir } from '../helpers/ratchet.js';

const G = ed25519.Point.BASE;
const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

describe('oracle keys at rest (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  const agents: Record<string, AgentProc> = {};
  const kids: Record<string, string> = {};
  const pks: Record<string, Buffer> = {};
  let failed = false;

  async function sign(key: string): Promise<void> {
    const msg = randomBytes(40);
    const res = await agents[key]!.sign(msg, 20_000);
    expect(nodeVerify(res.signature, msg, pks[key]!)).toBe(true);
  }

  /** Edits identity records of a stopped oracle's LevelDB directly (an attacker with the disk). */
  async function editRaw(o: OracleProc, f: (db: Level<string, Record<string, unknown>>) => Promise<void>) {
    expect(o.running).toBe(false);
    const db = new Level<string, Record<string, unknown>>(o.config.dataDir, { valueEncoding: 'json' });
    await db.open();
    try {
      await f(db);
    } finally {
      await db.close();
    }
  }

  beforeAll(async () => {
    cluster = await startCluster(3, 2);
    for (const key of ['a', 'b']) {
      const { stateDir, kid } = await cluster.enroll(`spiffe://test.mpcid/at-rest/${key}`);
      kids[key] = kid;
      agents[key] = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
      pks[key] = (await agents[key].sign(Buffer.from('warm-up'))).publicKey;
    }
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await cluster?.stop();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}`);
  });

  it('no data dir holds a share in any encoding; the shares opened with the KEK are genuine', async () => {
    for (let i = 0; i < 3; i++) await sign('a');
    await Promise.all(cluster.oracles.map((o) => o.kill('SIGTERM')));
    const secrets: SecretItem[] = [];
    for (const o of cluster.oracles) {
      const recs = await oracleIdentities(o);
      expect(recs.map((r) => r.identityId).sort()).toEqual([kids['a'], kids['b']].sort());
      for (const r of recs) {
        const share = new Uint8Array(Buffer.from(r.signingShare, 'base64url'));
        // Genuine: share * G is this node's verifying share of the identity.
        expect(b64u(G.multiply(ed25519.Point.Fn.fromBytes(share)).toBytes())).toBe(
          r.verifyingShares[o.id - 1],
        );
        secrets.push({ label: `oracle ${o.id} share of ${r.name}`, bytes: share });
        // Its ES256 share too (P-256, big-endian): share * G is its P-256 verifying share.
        const ec = new Uint8Array(Buffer.from(r.ecdsaSecrets!.signingShare, 'base64url'));
        const ecPoint = p256.Point.BASE.multiply(BigInt(`0x${Buffer.from(ec).toString('hex')}`));
        expect(b64u(ecPoint.toBytes(true))).toBe(r.ecdsa!.verifyingShares[o.id - 1]);
        secrets.push({ label: `oracle ${o.id} ES256 share of ${r.name}`, bytes: ec });
      }
    }
    expect(secrets).toHaveLength(12);
    const files = cluster.oracles.flatMap((o) => rawDataFiles(o.config.dataDir));
    expect(files.length).toBeGreaterThan(6);
    expect(findLeaks(secrets, files)).toEqual([]);
    for (const s of secrets) {
      const raw = Buffer.from(s.bytes).toString('latin1');
      expect(
        files.filter((f) => f.text.includes(raw)).map((f) => f.source),
        s.label,
      ).toEqual([]);
    }
    await Promise.all(cluster.oracles.map((o) => o.start()));
    await sign('a');
  });

  it('a wrong KEK is refused at startup (KEK_MISMATCH), a missing one too (CONFIG_INVALID); MPCID_KEK works', async () => {
    const o3 = cluster.oracles[2]!;
    await o3.kill('SIGTERM');
    const kekFile = o3.config.kek!.file;
    const kek = readFileSync(kekFile);
    const config = readFileSync(o3.configFile, 'utf8');
    try {
      writeFileSync(kekFile, randomBytes(32));
      const wrong = await mpcid(['oracle', '--config', o3.configFile], { timeoutMs: 20_000 });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^mpcid: KEK_MISMATCH: the key-encryption key is not the one/m);
      writeFileSync(kekFile, kek);

      const { kek: _kek, ...noKek } = JSON.parse(config) as Record<string, unknown>;
      writeFileSync(o3.configFile, JSON.stringify(noKek));
      const missing = await mpcid(['oracle', '--config', o3.configFile], { timeoutMs: 20_000 });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/CONFIG_INVALID: no key-encryption key/);
      for (const r of [wrong, missing])
        expect(r.stderr).not.toContain(kek.toString('base64url').slice(0, 12));

      // The same key from the environment instead of the file.
      const proc: ChildProcess = spawn(process.execPath, [CLI, 'oracle', '--config', o3.configFile], {
        stdio: ['ignore', openSync(o3.logFile, 'a'), openSync(o3.logFile, 'a')],
        env: { ...process.env, MPCID_KEK: kek.toString('base64url') },
      });
      try {
        await waitUntil('oracle 3 on MPCID_KEK', () => call(o3.admin, o3.admin.GetNodeInfo, {}, 1000), proc);
        const o1 = cluster.oracles[0]!;
        await o1.kill('SIGTERM'); // signing now needs oracle 3
        await sign('a');
        await sign('b');
        await o1.start();
      } finally {
        await new Promise<void>((r) => {
          proc.once('exit', () => r());
          proc.kill('SIGTERM');
        });
      }
      expect(proc.exitCode).toBe(0);
    } finally {
      writeFileSync(kekFile, kek);
      writeFileSync(o3.configFile, config);
    }
    await o3.start();
    await sign('b');
  });

  it('sealed secrets swapped between identities, or altered, are STATE_CORRUPT; the oracle keeps serving', async () => {
    const [o1, o2] = cluster.oracles as [OracleProc, OracleProc];
    await Promise.all([o1.kill('SIGTERM'), o2.kill('SIGTERM')]);
    const saved = new Map<string, Record<string, unknown>>();
    const key = (kid: string) => `identity!${kid}`;
    await editRaw(o1, async (db) => {
      const a = (await db.get(key(kids['a']!)))!;
      const b = (await db.get(key(kids['b']!)))!;
      saved.set(`1${kids['a']}`, a).set(`1${kids['b']}`, b);
      await db.put(key(kids['a']!), { ...a, sealed: b['sealed'] });
      await db.put(key(kids['b']!), { ...b, sealed: a['sealed'] });
    });
    await editRaw(o2, async (db) => {
      const a = (await db.get(key(kids['a']!)))!;
      saved.set(`2${kids['a']}`, a);
      const sealed = Buffer.from(a['sealed'] as string, 'base64url');
      sealed[sealed.length - 5]! ^= 0x20;
      await db.put(key(kids['a']!), { ...a, sealed: sealed.toString('base64url') });
    });
    await Promise.all([o1.start(), o2.start()]);
    const codeOf = async (o: OracleProc, kid: string) =>
      errorCodeOf(
        await call(o.admin, o.admin.GetIdentity, { identityId: kid }, 5_000).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
    expect(await codeOf(o1, kids['a']!)).toBe('STATE_CORRUPT');
    expect(await codeOf(o1, kids['b']!)).toBe('STATE_CORRUPT');
    expect(await codeOf(o2, kids['a']!)).toBe('STATE_CORRUPT');
    expect(await codeOf(o2, kids['b']!)).toBeUndefined();
    // Identity b: oracles 2 and 3 still hold good shares; identity a only oracle 3. b signs, a
    // cannot reach a quorum of usable shares and says so; nobody crashed, nothing was revoked.
    await sign('b');
    const err = await agents['a']!.sign(Buffer.from('x'), 20_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errorCodeOf(err), String(err)).toBe('STATE_CORRUPT');
    for (const o of cluster.oracles) {
      expect(o.running).toBe(true);
      const res = await fetch(`http://${o.config.http!.listen}/healthz`);
      expect(res.status).toBe(200);
      await res.body?.cancel();
      // Public data is unaffected: the identities' keys (Ed25519 and P-256 each) are still published.
      const jwks = (await (await fetch(`http://${o.config.http!.listen}/.well-known/jwks.json`)).json()) as {
        keys: unknown[];
      };
      expect(jwks.keys).toHaveLength(4);
    }
    const log1 = readFileSync(o1.logFile, 'utf8');
    expect(log1).toMatch(/STATE_CORRUPT/);

    // Restored (the operator restores the records from backup): every oracle signs again.
    await Promise.all([o1.kill('SIGTERM'), o2.kill('SIGTERM')]);
    await editRaw(o1, async (db) => {
      await db.put(key(kids['a']!), saved.get(`1${kids['a']}`)!);
      await db.put(key(kids['b']!), saved.get(`1${kids['b']}`)!);
    });
    await editRaw(o2, (db) => db.put(key(kids['a']!), saved.get(`2${kids['a']}`)!));
    await Promise.all([o1.start(), o2.start()]);
  });

  it('after a restart of every oracle with its KEK, each oracle share signs again', async () => {
    await Promise.all(cluster.oracles.map((o) => o.kill('SIGTERM')));
    await Promise.all(cluster.oracles.map((o) => o.start()));
    // Each pair of oracles in turn: every oracle's share is used.
    for (const down of cluster.oracles) {
      await down.kill('SIGTERM');
      await sign('a');
      await sign('b');
      await down.start();
    }
  });
});
