/**
 * The vertical slice end to end: real oracle processes, real LevelDB, a real agent enrolled with
 * the CLI; signatures checked by node:crypto and OpenSSL, which we did not write.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf } from '../../common/grpc.js';
import { type AgentProc, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';
import { nodeVerifyEs256 } from '../helpers/es256.js';

function nodeVerify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return verify(null, msg, key, sig);
}

const work = mkdtempSync(join(tmpdir(), 'mpcid-openssl-'));
/** `openssl pkeyutl -verify -rawin` over the raw message: true iff OpenSSL says the signature is valid. */
function opensslVerify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array, tag: string): boolean {
  const pem = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const [k, m, s] = ['pub.pem', 'msg.bin', 'sig.bin'].map((f) => join(work, `${tag}-${f}`));
  writeFileSync(k!, pem);
  writeFileSync(m!, msg);
  writeFileSync(s!, sig);
  try {
    execFileSync(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', k!, '-rawin', '-in', m!, '-sigfile', s!],
      { stdio: 'pipe' },
    );
    return true;
  } catch {
    return false;
  }
}

describe('co-signing with a 2-of-3 oracle cluster', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let publicKey: Buffer;

  beforeAll(async () => {
    cluster = await startCluster(3, 2);
    const { stateDir } = await cluster.enroll('spiffe://test.mpcid/ns/default/sa/web');
    agent = await cluster.startAgent(stateDir);
    publicKey = (await agent.sign(Buffer.from('warm-up'))).publicKey;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('signs 20 messages that node:crypto and OpenSSL both verify', async () => {
    for (let i = 0; i < 20; i++) {
      const msg = randomBytes(1 + i * 37);
      const res = await agent.sign(msg);
      expect(res.alg).toBe('EdDSA');
      expect(res.publicKey.equals(publicKey)).toBe(true);
      expect(res.signature.length).toBe(64);
      expect(nodeVerify(res.publicKey, msg, res.signature)).toBe(true);
      expect(opensslVerify(res.publicKey, msg, res.signature, `s${i}`)).toBe(true);
      // The verifiers can fail: a flipped bit is rejected by both.
      const bad = Buffer.from(res.signature);
      bad[i % 64]! ^= 1;
      expect(nodeVerify(res.publicKey, msg, bad)).toBe(false);
      if (i === 0) expect(opensslVerify(res.publicKey, msg, bad, 'bad')).toBe(false);
    }
  });

  it('the CLI prints the documented JSON line', async () => {
    const file = join(work, 'cli-msg.txt');
    writeFileSync(file, 'signed by the CLI\n');
    const r = await mpcid(['sign', '--socket', agent.socket, '--in', file]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['alg', 'kid', 'publicKey', 'signature']);
    expect(out['alg']).toBe('EdDSA');
    expect(Buffer.from(out['publicKey']!, 'base64url').equals(publicKey)).toBe(true);
    const sig = Buffer.from(out['signature']!, 'base64url');
    expect(sig.length).toBe(64);
    expect(nodeVerify(publicKey, Buffer.from('signed by the CLI\n'), sig)).toBe(true);
  });

  it('keeps signing with one of three oracles down, and says how many are reachable with two down', async () => {
    await cluster.oracles[1]!.kill();
    for (let i = 0; i < 3; i++) {
      const msg = randomBytes(40);
      const res = await agent.sign(msg);
      expect(nodeVerify(res.publicKey, msg, res.signature)).toBe(true);
    }
    await cluster.oracles[2]!.kill();
    const err = await agent.sign(Buffer.from('no quorum')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    expect((err as { code: number }).code).toBe(14); // UNAVAILABLE
    expect(errorCodeOf(err)).toBe('QUORUM_UNAVAILABLE');
    expect((err as { details: string }).details).toMatch(/1 of 3 oracles reachable, quorum is 2/);
  });

  it('after every oracle restarts, the same key signs again', async () => {
    await Promise.all(cluster.oracles.map((o) => o.kill()));
    await Promise.all(cluster.oracles.map((o) => o.start()));
    const msg = randomBytes(64);
    const res = await agent.sign(msg);
    expect(res.publicKey.equals(publicKey)).toBe(true);
    expect(nodeVerify(publicKey, msg, res.signature)).toBe(true);
    expect(opensslVerify(publicKey, msg, res.signature, 'restart')).toBe(true);
  });

  it('after the restarts every oracle is in signing sets again (one left with no cached nonce is refilled)', async () => {
    // The restarts emptied the oracles' nonces, so the agent's cached commitments went stale and
    // were dropped as they failed; the oracles of each set get a fresh one with every answer.
    // One left out with an empty cache must still be drawn again: each oracle's signature
    // shares since its restart (/metrics) grow. Sets change every 8 steps (sticky sets), each
    // draw leaving a given oracle out 1 time in 3; a refill that fails (a connection still coming
    // back) is retried after the 2 s penalty, so this signs for up to 20 s, not a fixed count.
    const shares = async (o: (typeof cluster.oracles)[number]) => {
      const text = await (await fetch(`http://${o.config.http!.listen}/metrics`)).text();
      const m = /^mpcid_signature_shares_total\{kind="sign"\} (\d+)/m.exec(text);
      return m ? Number(m[1]) : 0;
    };
    const allShared = async () => (await Promise.all(cluster.oracles.map(shares))).every((x) => x > 0);
    const until = Date.now() + 20_000;
    do {
      for (let i = 0; i < 20; i++) await agent.sign(randomBytes(32));
    } while (!(await allShared()) && Date.now() < until);
    for (const o of cluster.oracles) expect(await shares(o), `oracle ${o.id}`).toBeGreaterThan(0);
  });
});

describe.each([
  [1, 1],
  [5, 3],
])('co-signing with a %i-oracle cluster, quorum %i', { tags: ['slow'] }, (n, t) => {
  let cluster: TestCluster;
  afterAll(async () => {
    await cluster?.stop();
  });
  it('enrolls and signs (EdDSA and ES256)', async () => {
    cluster = await startCluster(n, t);
    const { stateDir, publicKey } = await cluster.enroll(`spiffe://test.mpcid/cluster-${n}`);
    const agent = await cluster.startAgent(stateDir);
    for (let i = 0; i < 3; i++) {
      const msg = randomBytes(32);
      const res = await agent.sign(msg);
      expect(res.publicKey.toString('base64url')).toBe(publicKey);
      expect(nodeVerify(res.publicKey, msg, res.signature)).toBe(true);
      // Threshold ECDSA with t oracles and the agent (es256.test.ts covers it at length).
      const es = await call(agent.workload, agent.workload.Sign, { message: msg, alg: 'ES256' }, 20_000);
      expect(es.alg).toBe('ES256');
      expect(nodeVerifyEs256(es.publicKey, msg, es.signature)).toBe(true);
    }
  });
});
