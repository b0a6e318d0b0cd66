/**
 * Issuer key rotation is atomic across the oracles (docs/protocol.md §10, the two phases): real
 * oracle processes with real LevelDB, a real agent, tokens verified with jose.
 *
 * Oracle 3's round 8 is held (the test-only hook MPCID_TEST_HOLD_ISSUER_COMMIT, inert unless this
 * suite sets it for oracle 3's process) and oracle 3 is SIGKILLed there: it holds the new key
 * pending on disk (sealed), the others committed it. The coordinator retries round 8 and answers
 * `uncommitted: [3]`. Restarted among two lying peers (their proofs forged or partial), oracle 3
 * adopts nothing; once the honest peers are back it commits the key from their proof, every oracle
 * serves the same issuer JWKS, and a token signed with oracle 3 in the signing set verifies.
 *
 * Slow suite (tag `slow`).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { Level } from 'level';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bind, CLIENT_OPTIONS, call, SERVER_OPTIONS, services } from '../../common/grpc.js';
import { JWT_TYP } from '../../common/jwt.js';
import type { IssuerKey__Output } from '../../proto/gen/mpcid/oracle/v1/IssuerKey.js';
import {
  mpcid,
  type OracleProc,
  startCluster,
  type TestCluster,
  testCredentials,
  testOracleServerCredentials,
} from '../helpers/cluster.js';
import { removeClusterDir, sleep } from '../helpers/ratchet.js';

const AUD = 'sts.amazonaws.com';
const HOLD = 'MPCID_TEST_HOLD_ISSUER_COMMIT';
type Jwks = { keys: JWK[] };

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 45_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const logCount = (o: OracleProc, text: string) => readFileSync(o.logFile, 'utf8').split(text).length - 1;

describe('issuer key rotation is atomic across the oracles (2-of-3, real processes)', {
  tags: ['slow'],
}, () => {
  let cluster: TestCluster;
  const jwksOf = async (o: OracleProc) =>
    (await (await fetch(`http://${o.config.http!.listen}/issuer/jwks.json`)).json()) as Jwks;
  const keysOf = async (o: OracleProc): Promise<IssuerKey__Output[]> => {
    const c = new (services().oracle.mpcid.oracle.v1.Issuer)(o.address, testCredentials(), CLIENT_OPTIONS);
    try {
      return (await call(c, c.GetIssuerKeys, {}, 10_000)).keys;
    } finally {
      c.close();
    }
  };

  beforeAll(async () => {
    cluster = await startCluster(3, 2, {
      algs: ['EdDSA'],
      clusterConfig: { federation: { jwtSvidKey: 'issuer', audiences: [AUD], maxTokenTtlSeconds: 3600 } },
    });
  }, 120_000);

  let failed = false;
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    delete process.env[HOLD];
    await cluster?.stop();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}/logs`);
  });

  it('an oracle killed between round 7 and round 8 keeps the key pending, refuses forged and partial proofs, and commits from an honest peer: every oracle serves the same JWKS and it signs', async () => {
    const [o1, o2, o3] = cluster.oracles as [OracleProc, OracleProc, OracleProc];
    const hook = `TEST HOOK ${HOLD}`;
    // Oracle 3, restarted with its round 8 held.
    await o3.kill('SIGTERM');
    process.env[HOLD] = '3';
    try {
      await o3.start();
    } finally {
      delete process.env[HOLD];
    }
    const held = logCount(o3, hook);
    const rotation = mpcid(
      ['issuer', 'rotate', '--admin', o1.config.adminListen, ...cluster.adminTransportArgs],
      {
        timeoutMs: 240_000,
      },
    );
    // A rotation that ends first (it failed) says why at once, rather than after the wait.
    let ended: { code: number; stderr: string } | undefined;
    void rotation.then((r) => {
      ended = r;
    });
    await until(
      'oracle 3 to reach round 8',
      () => {
        if (ended) throw new Error(`the rotation ended (exit ${ended.code}) before round 8: ${ended.stderr}`);
        return logCount(o3, hook) > held ? true : undefined;
      },
      200_000,
    );
    await o3.kill('SIGKILL');
    const r = await rotation;
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      added: string;
      keys: { kid: string; state: string }[];
      uncommitted: number[];
    };
    expect(out.uncommitted).toEqual([3]);
    expect(out.keys).toEqual([expect.objectContaining({ kid: out.added, state: 'current' })]);
    const jwks = await jwksOf(o1);
    expect(jwks.keys.map((k) => k.kid)).toEqual([out.added]);
    expect(await jwksOf(o2)).toEqual(jwks);

    // Oracle 3's pending key is on disk, its share sealed (no clear share in the record).
    const db = new Level<string, Record<string, unknown>>(o3.config.dataDir, { valueEncoding: 'json' });
    await db.open();
    const pending = await db.values({ gte: 'issuer!pending!', lt: 'issuer!pending!\xff' }).all();
    const committed = await db.get('issuer!keys');
    await db.close();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ kid: out.added, sealed: expect.any(String) });
    expect(pending[0]!['secrets']).toBeUndefined();
    expect(committed).toBeUndefined();

    // The committed key's proof, as the honest peers serve it: all three confirmations.
    const honest = (await keysOf(o1)).find((k) => k.kid === out.added)!;
    expect(honest.confirmations.map((c) => c.nodeId)).toEqual([1, 2, 3]);

    // Oracles 1 and 2 replaced by liars serving that key with a forged and with a partial proof.
    await Promise.all([o1.kill('SIGTERM'), o2.kill('SIGTERM')]);
    const forged: IssuerKey__Output = {
      ...honest,
      confirmations: honest.confirmations.map((c, i) =>
        i === 1 ? { ...c, signature: Buffer.from(c.signature.map((b, j) => (j === 0 ? b ^ 1 : b))) } : c,
      ),
    };
    const partial: IssuerKey__Output = { ...honest, confirmations: honest.confirmations.slice(0, 2) };
    const asked = [0, 0];
    const liars = [forged, partial].map((key, i) => {
      const s = new grpc.Server(SERVER_OPTIONS);
      s.addService(services().oracle.mpcid.oracle.v1.Issuer.service, {
        GetIssuerKeys: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => {
          asked[i]!++;
          cb(null, { keys: [{ ...key, state: 'current' }] });
          return;
        },
        IssuerRound: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => {
          cb({ code: grpc.status.UNIMPLEMENTED });
          return;
        },
      });
      return s;
    });
    await bind(liars[0]!, o1.address, testOracleServerCredentials('oracle-1 (liar)'));
    await bind(liars[1]!, o2.address, testOracleServerCredentials('oracle-2 (liar)'));
    const refused = 'a peer serves our pending issuer key without n valid confirmations: not adopted';
    const before = logCount(o3, refused);
    try {
      await o3.start();
      await until('oracle 3 to hear both liars', () =>
        logCount(o3, refused) >= before + 2 ? true : undefined,
      );
      expect(asked[0]).toBeGreaterThan(0);
      expect(asked[1]).toBeGreaterThan(0);
      expect((await jwksOf(o3)).keys).toEqual([]);
      expect(await keysOf(o3)).toEqual([]);
    } finally {
      for (const s of liars) s.forceShutdown();
    }

    // The honest peers are back: oracle 3 commits the key from their proof.
    await Promise.all([o1.start(), o2.start()]);
    await until('oracle 3 to commit the key', async () =>
      JSON.stringify(await jwksOf(o3)) === JSON.stringify(jwks) ? true : undefined,
    );
    for (const o of cluster.oracles) expect(await jwksOf(o)).toEqual(jwks);
    expect((await keysOf(o3)).map((k) => k.confirmations.length)).toEqual([3]);

    // Oracle 3 holds a working share: with oracle 1 down, it is in every signing set.
    const e = await cluster.enroll('spiffe://test.mpcid/ns/rot/sa/api');
    const agent = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
    await o1.kill('SIGTERM');
    try {
      const { token } = await call(
        agent.workload,
        agent.workload.FetchJWT,
        { audience: [AUD], alg: 'ES256', key: 'issuer', ttlSeconds: 0 },
        60_000,
      );
      const { protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: `${o1.config.cluster.issuer}/issuer`,
        audience: AUD,
        algorithms: ['ES256'],
        typ: JWT_TYP,
      });
      expect(protectedHeader.kid).toBe(out.added);
    } finally {
      await o1.start();
    }

    // The pending entry left in the commit's batch.
    await o3.kill('SIGTERM');
    const db3 = new Level<string, unknown>(o3.config.dataDir, { valueEncoding: 'json' });
    await db3.open();
    const left = await db3.keys({ gte: 'issuer!pending!', lt: 'issuer!pending!\xff' }).all();
    await db3.close();
    expect(left).toEqual([]);
    await o3.start();
  }, 400_000);
});
