/**
 * Measurement registers end to end (issue 15 item 2, docs/protocol.md §6.4): real oracle
 * processes on loopback with real LevelDB, an agent and the `mpcid measure` / `mpcid registers` /
 * `mpcid attest` / `mpcid seal` / `mpcid unseal` / `mpcid token create --require-register` CLI.
 * Expected register values are computed here with node:crypto from the documented extend rule,
 * never read back from mpcid; each oracle's values are read from its own admin API.
 *
 * - a measure step advances the ratchet, is audited with its register and digest, and every
 *   oracle holds the new values, including one that was down and learns them from the register
 *   proof of the agent's next step;
 * - a quote carries the registers, and jose verifies it against the identity's JWKS;
 * - a blob sealed to a register value unseals while it holds and is refused by the oracles
 *   (REGISTER_MISMATCH, the step still counts) after a further extend;
 * - a join token binding a register refuses tokens until the register holds the value;
 * - register 99, a digest of the wrong length and an oversize input get clear codes, nothing changed;
 * - a measure step written ahead while no oracle answered is certified after the agent is killed
 *   and restarted, and the values survive restarts.
 *
 * Slow suite (tag `slow`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, connectOracles } from '../../agent/oracles.js';
import { readState } from '../../agent/state.js';
import { call, errorCodeOf } from '../../common/grpc.js';
import { measurePayloadDigest, measureToWire } from '../../common/measure-wire.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  enrollViaCli,
  mpcid,
  startCluster,
  type TestCluster,
  testDoubleTls,
} from '../helpers/cluster.js';
import { HostileRatchet, step } from '../helpers/hostile.js';
import { agentRatchetFile, counterOn, removeClusterDir } from '../helpers/ratchet.js';

const ZERO = Buffer.alloc(32).toString('hex');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
/** The documented extend rule, computed independently: SHA-256(domain || old || SHA-256(data)). */
const extend = (oldHex: string, digest: Buffer) =>
  createHash('sha256')
    .update(Buffer.concat([Buffer.from('mpcid/register/extend/v1'), Buffer.from(oldHex, 'hex'), digest]))
    .digest('hex');

describe('measurement registers (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let dir: string;
  let a: { stateDir: string; kid: string };
  let agent: AgentProc;
  /** What every register of agent A must hold, by our own computation. */
  const want: string[] = Array.from({ length: 16 }, () => ZERO);
  let failed = false;

  const file = (name: string, content: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const measure = (ag: AgentProc, register: string, ...src: string[]) =>
    mpcid(['measure', '--socket', ag.socket, '--register', register, ...src]);
  const oracleRegisters = async (o: TestCluster['oracles'][number], identityId: string) => {
    const id = await call(o.admin, o.admin.GetIdentity, { identityId }, 5_000);
    return {
      values: id.registers.map((v) => Buffer.from(v).toString('hex')),
      counter: Number(id.registersCounter),
    };
  };
  const expectEveryOracle = async (identityId: string, values: string[], counter?: number) => {
    for (const o of cluster.oracles) {
      const got = await oracleRegisters(o, identityId);
      expect(got.values, `oracle ${o.id}`).toEqual(values);
      if (counter !== undefined) expect(got.counter, `oracle ${o.id}`).toBe(counter);
    }
  };

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    dir = cluster.dir;
    a = await cluster.enroll('spiffe://test.mpcid/measured');
    agent = await cluster.startAgent(a.stateDir, undefined, { heartbeatMs: 0 });
  }, 120_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await cluster?.stop();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}/logs`);
  });

  it('measure is an audited ratchet step; every oracle holds the values, one that was down too', {
    timeout: 90_000,
  }, async () => {
    const before = await counterOn(cluster.oracles[0]!, a.kid);
    const boot = file('bootloader.bin', randomBytes(4096));
    const r = await measure(agent, '3', '--in', boot);
    expect(r.code, r.stderr).toBe(0);
    want[3] = extend(ZERO, sha256(readFileSync(boot)));
    const out = JSON.parse(r.stdout) as { register: number; value: string; counter: number };
    expect(out).toEqual({ register: 3, value: want[3], counter: before + 1 });
    await expectEveryOracle(a.kid, want, before + 1);
    const reg = JSON.parse((await mpcid(['registers', '--socket', agent.socket])).stdout);
    expect(reg).toEqual({ counter: before + 1, registers: want });

    // Audited on every oracle as kind measure, with the register and the measured digest.
    for (const o of cluster.oracles) {
      const res = await call(
        o.admin,
        o.admin.ListAudit,
        { identityId: a.kid, since: 0, kind: 'measure', pageSize: 100, pageToken: '' },
        5_000,
      );
      expect(
        res.entries.map((e) => [Number(e.counter), e.register, e.measured]),
        `oracle ${o.id}`,
      ).toEqual([[before + 1, 3, sha256(readFileSync(boot)).toString('hex')]]);
    }

    // Oracle 3 is down for the next extend (a digest given directly), then comes back.
    const o3 = cluster.oracles[2]!;
    await o3.kill('SIGKILL');
    const digest = sha256('kernel 6.1.0');
    const r2 = await measure(agent, '3', '--digest', digest.toString('hex'));
    expect(r2.code, r2.stderr).toBe(0);
    want[3] = extend(want[3]!, digest);
    expect((JSON.parse(r2.stdout) as { value: string }).value).toBe(want[3]);
    const measuredAt = before + 2;
    await o3.start();
    expect((await oracleRegisters(o3, a.kid)).values[3]).not.toBe(want[3]);
    // Its next step (a heartbeat-like unseal-kind step goes to every oracle: a seal) carries the
    // register proof; oracle 3 checks it and adopts the values. Retried while the agent reconnects.
    for (let i = 0; i < 20 && (await oracleRegisters(o3, a.kid)).counter !== measuredAt; i++) {
      const s = await mpcid(['seal', '--socket', agent.socket, '--in', boot, '--out', join(dir, 'x.blob')]);
      expect(s.code, s.stderr).toBe(0);
    }
    await expectEveryOracle(a.kid, want, measuredAt);
    // And a further measure step is accepted by all three (each checks the extend on its own values).
    const r3 = await measure(agent, '7', '--digest', sha256('config').toString('hex'));
    expect(r3.code, r3.stderr).toBe(0);
    want[7] = extend(ZERO, sha256('config'));
    const last = (JSON.parse(r3.stdout) as { counter: number }).counter;
    await expectEveryOracle(a.kid, want, last);
  });

  it('a quote carries the registers the oracles hold; jose verifies it', { timeout: 60_000 }, async () => {
    const nonce = randomBytes(16).toString('base64url');
    const r = await mpcid(['attest', '--socket', agent.socket, '--nonce', nonce]);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim().startsWith('{')
      ? (JSON.parse(r.stdout) as { token: string }).token
      : r.stdout.trim();
    const httpBase = `http://${cluster.oracles[1]!.config.http!.listen}`;
    const jwks = createRemoteJWKSet(new URL(`/v1/identities/${a.kid}/jwks.json`, httpBase));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { algorithms: ['EdDSA'] });
    expect(protectedHeader.typ).toBe('mpcid-attestation+jwt');
    expect(payload['nonce']).toBe(nonce);
    expect(payload['registers']).toEqual(want);
  });

  it('a blob sealed to a register value unseals while it holds; after a further extend the oracles refuse it', {
    timeout: 90_000,
  }, async () => {
    const secret = file('api-key', 'sk_live_0123456789abcdef');
    const blob = join(dir, 'api-key.blob');
    const policy = JSON.stringify({ registers: { '3': want[3] } });
    const s = await mpcid([
      'seal',
      '--socket',
      agent.socket,
      '--in',
      secret,
      '--out',
      blob,
      '--policy',
      policy,
    ]);
    expect(s.code, s.stderr).toBe(0);
    const out = join(dir, 'api-key.out');
    const u = await mpcid(['unseal', '--socket', agent.socket, '--in', blob, '--out', out]);
    expect(u.code, u.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('sk_live_0123456789abcdef');

    // Register 3 moves on: the oracles refuse their partials; the unseal step still counts.
    const m = await measure(agent, '3', '--digest', sha256('rootkit').toString('hex'));
    expect(m.code, m.stderr).toBe(0);
    want[3] = extend(want[3]!, sha256('rootkit'));
    const before = await counterOn(cluster.oracles[0]!, a.kid);
    const out2 = join(dir, 'api-key.out2');
    const u2 = await mpcid(['unseal', '--socket', agent.socket, '--in', blob, '--out', out2]);
    expect(u2.code).not.toBe(0);
    expect(u2.stderr).toContain('REGISTER_MISMATCH');
    expect(u2.stderr).not.toContain('sk_live');
    expect(existsSync(out2)).toBe(false);
    expect(await counterOn(cluster.oracles[0]!, a.kid)).toBe(before + 1);
    const audit = await call(
      cluster.oracles[0]!.admin,
      cluster.oracles[0]!.admin.ListAudit,
      { identityId: a.kid, since: 0, kind: 'unseal', pageSize: 100, pageToken: '' },
      5_000,
    );
    expect(audit.entries.at(-1)?.refusal).toBe('REGISTER_MISMATCH');
    expect(Number(audit.entries.at(-1)?.counter)).toBe(before + 1);
  });

  it('a join token binding a register refuses tokens and quotes until the register holds the value', {
    timeout: 90_000,
  }, async () => {
    const image = sha256('image sha256:ab…');
    const required = extend(ZERO, image);
    const bind = ['--require-register', `5=${required}`];
    const { stateDir, kid } = await enrollViaCli(cluster, 'spiffe://test.mpcid/bound', bind);
    for (const o of cluster.oracles) {
      const id = await call(o.admin, o.admin.GetIdentity, { identityId: kid }, 5_000);
      expect(JSON.parse(id.requiredRegistersJson), `oracle ${o.id}`).toEqual({ '5': required });
    }
    const b = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    const fetch = () =>
      mpcid(['token', 'fetch', '--alg', 'EdDSA', '--socket', b.socket, '--audience', 'https://rp.example']);
    const refused = await fetch();
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('REGISTER_MISMATCH');
    // The refused token step still counted: its signing set (t oracles) took it as step 1.
    const counters = await Promise.all(cluster.oracles.map((o) => counterOn(o, kid)));
    expect(counters.filter((c) => c === 1).length, `counters ${counters}`).toBeGreaterThanOrEqual(2);
    const q = await mpcid(['attest', '--socket', b.socket, '--nonce', 'nonce-0123456789']);
    expect(q.stderr).toContain('REGISTER_MISMATCH');
    // Another value in register 5 is refused as well.
    expect((await measure(b, '5', '--digest', sha256('other image').toString('hex'))).code).toBe(0);
    expect((await fetch()).stderr).toContain('REGISTER_MISMATCH');
    await b.kill('SIGKILL');

    // A fresh identity with the same binding: measured right, its tokens are co-signed.
    const { stateDir: stateDir2 } = await enrollViaCli(cluster, 'spiffe://test.mpcid/bound2', bind);
    const c = await cluster.startAgent(stateDir2, undefined, { heartbeatMs: 0 });
    expect((await measure(c, '5', '--digest', image.toString('hex'))).code).toBe(0);
    const ok = await mpcid([
      'token',
      'fetch',
      '--alg',
      'EdDSA',
      '--socket',
      c.socket,
      '--audience',
      'https://rp.example',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(decodeJwt(ok.stdout.trim())['sub']).toBe('spiffe://test.mpcid/bound2');
    await c.kill('SIGKILL');
  });

  it('an agent claiming other values than the extend (a reset) is refused by every oracle; nothing is stored', {
    timeout: 60_000,
  }, async () => {
    const h = await cluster.enroll('spiffe://test.mpcid/hostile-measure');
    const state = readState(h.stateDir);
    const ratchet = HostileRatchet.load(h.stateDir, state);
    const clients = connectOracles(state.cluster, testDoubleTls('agent', state.name));
    try {
      const digest = new Uint8Array(sha256('app v2'));
      const zero = Array.from({ length: 16 }, () => new Uint8Array(32));
      const send = async (m: {
        register: number;
        digest: Uint8Array;
        previous: number;
        values: Uint8Array[];
      }) => {
        const signed = ratchet.make('measure', measurePayloadDigest(state.cluster.id, m));
        const req = { ...ratchet.request(signed), measure: measureToWire(m) };
        return {
          signed,
          req,
          codes: await Promise.all(clients.map((c) => step(c, req).then(() => 'OK', errorCodeOf))),
        };
      };
      // Register 4 set to a value of the agent's choosing rather than extended.
      const chosen = zero.map((v, i) => (i === 4 ? new Uint8Array(sha256('known good')) : v));
      expect((await send({ register: 4, digest, previous: 0, values: chosen })).codes).toEqual(
        Array(3).fill('REGISTERS_OUT_OF_SYNC'),
      );
      // The right extend, but on values as of a measure step these oracles never saw.
      const right = zero.map((v, i) =>
        i === 4 ? new Uint8Array(Buffer.from(extend(ZERO, Buffer.from(digest)), 'hex')) : v,
      );
      expect((await send({ register: 4, digest, previous: 7, values: right })).codes).toEqual(
        Array(3).fill('REGISTERS_OUT_OF_SYNC'),
      );
      expect((await send({ register: 16, digest, previous: 0, values: right })).codes).toEqual(
        Array(3).fill('REGISTER_OUT_OF_RANGE'),
      );
      expect(
        (await send({ register: 4, digest: digest.slice(1), previous: 0, values: right })).codes,
      ).toEqual(Array(3).fill('BAD_DIGEST_LENGTH'));
      for (const o of cluster.oracles) expect(await counterOn(o, h.kid), `oracle ${o.id}`).toBe(0);
      await expectEveryOracle(h.kid, Array(16).fill(ZERO), 0);
      // The honest extend is accepted by every oracle.
      const ok = await send({ register: 4, digest, previous: 0, values: right });
      expect(ok.codes).toEqual(['OK', 'OK', 'OK']);
      await expectEveryOracle(
        h.kid,
        right.map((v) => Buffer.from(v).toString('hex')),
        1,
      );
    } finally {
      closeOracles(clients);
    }
  });

  it('register 99, a wrong-length digest and an oversize input get clear codes; nothing changes', {
    timeout: 60_000,
  }, async () => {
    const ratchet = () => JSON.stringify(agentRatchetFile(a.stateDir));
    const before = ratchet();
    const counter = await counterOn(cluster.oracles[0]!, a.kid);
    const r99 = await measure(agent, '99', '--digest', ZERO);
    expect(r99.code).not.toBe(0);
    expect(r99.stderr).toContain('REGISTER_OUT_OF_RANGE');
    const short = await measure(agent, '1', '--digest', 'abcd');
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('BAD_DIGEST_LENGTH');
    const wl = agent.workload;
    const err = (p: Promise<unknown>) => p.then(() => 'OK', errorCodeOf);
    expect(await err(call(wl, wl.Measure, { register: 1, data: Buffer.alloc(65_537, 7) }, 10_000))).toBe(
      'MESSAGE_TOO_LARGE',
    );
    expect(await err(call(wl, wl.Measure, { register: 1, digest: Buffer.alloc(33) }, 10_000))).toBe(
      'BAD_DIGEST_LENGTH',
    );
    expect(await err(call(wl, wl.Measure, { register: 16, digest: Buffer.alloc(32) }, 10_000))).toBe(
      'REGISTER_OUT_OF_RANGE',
    );
    const badToken = await mpcid([
      'token',
      'create',
      '--admin',
      cluster.oracles[0]!.config.adminListen,
      '--name',
      'spiffe://test.mpcid/x',
      '--require-register',
      `99=${ZERO}`,
      ...cluster.adminTransportArgs,
    ]);
    expect(badToken.stderr).toContain('REGISTER_OUT_OF_RANGE');
    const badPolicy = await mpcid([
      'seal',
      '--socket',
      agent.socket,
      '--in',
      file('p', 'x'),
      '--out',
      join(dir, 'p.blob'),
      '--policy',
      '{"registers":{"2":"ab"}}',
    ]);
    expect(badPolicy.stderr).toContain('BAD_DIGEST_LENGTH');
    expect(existsSync(join(dir, 'p.blob'))).toBe(false);
    expect(ratchet()).toBe(before);
    expect(await counterOn(cluster.oracles[0]!, a.kid)).toBe(counter);
    await expectEveryOracle(a.kid, want);
  });

  it('figures: Measure round trip and Sign with a register proof, as ratios to Sign without one (same run; no assertion)', {
    timeout: 120_000,
  }, async () => {
    const plain = await cluster.enroll('spiffe://test.mpcid/unmeasured');
    const other = await cluster.startAgent(plain.stateDir, undefined, { heartbeatMs: 0 });
    const wl = agent.workload;
    const msg = Buffer.from('figure');
    const timed = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    // Warm both agents (connections, nonce caches), then interleave, so drift hits both alike.
    for (let i = 0; i < 3; i++) await Promise.all([other.sign(msg), agent.sign(msg)]);
    const base: number[] = [];
    const withProof: number[] = [];
    const ext: number[] = [];
    for (let i = 0; i < 9; i++) {
      base.push(await timed(() => other.sign(msg)));
      withProof.push(await timed(() => agent.sign(msg)));
      const digest = randomBytes(32);
      want[15] = extend(want[15]!, digest);
      ext.push(await timed(() => call(wl, wl.Measure, { register: 15, digest }, 20_000)));
    }
    const b = median(base);
    console.info(
      `measure figures (medians of 9, interleaved; baseline: Sign of an identity that never measured): ` +
        `Sign with a register proof / baseline = ${(median(withProof) / b).toFixed(2)}, ` +
        `Measure / baseline = ${(median(ext) / b).toFixed(2)}`,
    );
    await other.kill('SIGKILL');
    await expectEveryOracle(a.kid, want);
  });

  it('a measure step pending when the agent is killed is certified after its restart; values survive restarts', {
    timeout: 120_000,
  }, async () => {
    // Every oracle down: the step is written ahead and cannot be certified.
    for (const o of cluster.oracles) await o.kill('SIGKILL');
    const digest = sha256('initrd');
    const wl = agent.workload;
    await expect(call(wl, wl.Measure, { register: 9, digest }, 30_000)).rejects.toThrow();
    expect(agentRatchetFile(a.stateDir)?.pending?.step?.kind).toBe('measure');
    await agent.kill('SIGKILL');
    await Promise.all(cluster.oracles.map((o) => o.start()));
    await agent.start();
    // The pending extend is resent (same bytes) before the next step: here a sign.
    await agent.sign(new Uint8Array(Buffer.from('after the crash')));
    want[9] = extend(ZERO, digest);
    const reg = JSON.parse((await mpcid(['registers', '--socket', agent.socket])).stdout) as {
      registers: string[];
    };
    expect(reg.registers).toEqual(want);
    // Restarted again, gracefully: the same values, and a further extend is accepted everywhere.
    await agent.kill('SIGTERM');
    await agent.start();
    expect(
      (JSON.parse((await mpcid(['registers', '--socket', agent.socket])).stdout) as { registers: string[] })
        .registers,
    ).toEqual(want);
    const m = await measure(agent, '9', '--digest', sha256('init').toString('hex'));
    expect(m.code, m.stderr).toBe(0);
    want[9] = extend(want[9]!, sha256('init'));
    await expectEveryOracle(a.kid, want);
    for (const o of cluster.oracles) {
      const id = await call(o.admin, o.admin.GetIdentity, { identityId: a.kid }, 5_000);
      expect(id.status, `oracle ${o.id}`).toBe('active');
    }
  });
});
