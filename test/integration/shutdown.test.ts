/**
 * Graceful shutdown of an oracle (SIGTERM), real processes on a 2-of-2 cluster (every step needs
 * both oracles, so the agent's step is certainly on the oracle being stopped):
 *
 *  - requests that arrived before SIGTERM finish: the agent's sign step completes with a
 *    certificate and a signature that verifies; of a burst of 40 GetNonces each either gets its
 *    16 nonces or is refused whole with NOT_READY;
 *  - while it drains, gRPC health is NOT_SERVING (pushed to an open Health.Watch and answered to
 *    Health.Check), /readyz is 503 "shutting down", and new requests are refused with NOT_READY;
 *  - it exits 0, and its store holds the step it answered (no state lost): restarted, it signs on.
 *  - an undelivered alert gets one last delivery attempt on SIGTERM (the receiver hangs: the
 *    attempt takes the whole flush deadline, while health and /readyz keep answering) and stays
 *    in the outbox; the next start delivers it.
 *
 * How "in flight at SIGTERM" is made certain: the oracle is frozen (SIGSTOP), the requests are
 * sent (they wait in its socket), SIGTERM is sent (pending), then SIGCONT. The socket became
 * readable before the signal's pipe did, so the oracle reads the requests first; its log line
 * "shutting down" reports how many were in flight (at least the agent's step, which needs a
 * read and a sync write), and the test checks that number.
 *
 * Slow suite (tag `slow`): about 15 s.
 */
import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { call, errorCodeOf } from '../../common/grpc.js';
import { checkHealth, type HealthCheckClient, HealthClient } from '../../oracle/health.js';
import { nodeVerify } from '../crypto/helpers.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  type OracleProc,
  startCluster,
  type TestCluster,
  testCredentials,
  waitUntil,
} from '../helpers/cluster.js';
import { HookReceiver, whsecSecret } from '../helpers/hook.js';
import { connectHostile, getNonces, noncesRequest } from '../helpers/hostile.js';
import { ratchetRecords, removeClusterDir, sleep, statusOn } from '../helpers/ratchet.js';

const HOOK_SECRET = whsecSecret();

/** Log lines (pino JSON) of an oracle's log file with message `msg`, from byte `from` on. */
async function logLines(o: OracleProc, msg: string, from: number): Promise<Record<string, unknown>[]> {
  const { readFileSync } = await import('node:fs');
  return readFileSync(o.logFile, 'utf8')
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l['msg'] === msg);
}
async function logSize(o: OracleProc): Promise<number> {
  const { statSync } = await import('node:fs');
  return statSync(o.logFile).size;
}

/** Waits for a child process to exit; returns its exit code. */
function exited(o: OracleProc): Promise<number | null> {
  const p = o.proc!;
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((r) => p.once('exit', (code) => r(code)));
}

describe('graceful shutdown (SIGTERM) of an oracle, 2-of-2 cluster', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let stateDir: string;
  let flooderState: ReturnType<typeof readState>;
  let pk: Buffer;
  /** 0: never answer (a hanging receiver); else the status to answer. */
  const hook = new HookReceiver(503);
  const hookEvents = hook.received;
  let failed = false;
  let cloned: string;

  /** A clone: both copies sign, the identity is revoked, each oracle queues an alert (undelivered: 503). */
  async function clone(): Promise<string> {
    const { cpSync } = await import('node:fs');
    const { stateDir: dir, kid } = await cluster.enroll('spiffe://test.mpcid/shutdown/cloned');
    const a = await cluster.startAgent(dir, undefined, { heartbeatMs: 0 });
    await a.sign(Buffer.from('before'));
    cpSync(dir, `${dir}-copy`, { recursive: true });
    const b = await cluster.startAgent(`${dir}-copy`, undefined, { heartbeatMs: 0 });
    await a.sign(Buffer.from('original')).catch(() => undefined);
    await b.sign(Buffer.from('clone')).catch(() => undefined);
    for (const o of cluster.oracles)
      await waitUntil(`revoked on oracle ${o.id}`, async () => {
        await call(o.admin, o.admin.GetRevocation, { identityId: kid }, 2000);
      });
    await Promise.all([a.kill('SIGTERM'), b.kill('SIGTERM')]);
    return kid;
  }

  beforeAll(async () => {
    const url = await hook.listen();
    cluster = await startCluster(2, 2, {
      ...EDDSA_ONLY,
      oracleConfig: () => ({
        alerts: { webhooks: [{ url, secret: HOOK_SECRET, timeoutMs: 500 }] },
        shutdown: { drainTimeoutSeconds: 20 },
      }),
    });
    // A second identity whose nonce requests keep the oracle busy while it drains: its own nonce
    // pool (the agent's nonces are not evicted), and not yet loaded after the restart below, so
    // each request first reads the store and is still in flight when SIGTERM is handled.
    const [a, b] = await Promise.all([
      cluster.enroll('spiffe://test.mpcid/shutdown/a'),
      cluster.enroll('spiffe://test.mpcid/shutdown/b'),
    ]);
    stateDir = a.stateDir;
    flooderState = readState(b.stateDir);
    cloned = await clone();
    await cluster.oracles[1]!.kill('SIGTERM');
    await cluster.oracles[1]!.start();
    // A patient per-call deadline: the step waits in the frozen, then draining oracle, which on a
    // loaded machine can take longer than the default 3 s.
    agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0, deadlineMs: 20_000 });
    pk = (await agent.sign(Buffer.from('warm-up'))).publicKey;
    await agent.sign(Buffer.from('warm-up 2'));
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    for (const o of cluster?.oracles ?? []) o.proc?.kill('SIGCONT');
    await cluster?.stop();
    await hook.close();
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}`);
  });

  it('in-flight requests finish (the step gets its certificate), NOT_SERVING and 503 while draining, exit 0, no state lost', async () => {
    const o2 = cluster.oracles[1]!;
    const from = await logSize(o2);
    // A Health.Watch stream opened before: the oracle pushes every status change to it.
    const watcher = new HealthClient(o2.address, testCredentials());
    const watched: string[] = [];
    const stream = (
      watcher as unknown as { Watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }> }
    ).Watch({ service: '' });
    stream.on('data', (m: { status: string }) => watched.push(m.status));
    stream.on('error', () => undefined);
    await waitUntil('watch SERVING', async () => {
      if (watched[0] !== 'SERVING') throw new Error('not yet');
    });

    // Every client connected before the freeze (a request sent on a new connection would wait
    // for the handshake until after SIGCONT).
    const [c2] = connectHostile(o2.config.cluster).filter((c) => c.nodeId === 2);
    const unknown = noncesRequest(flooderState, 2, { identityId: randomBytes(32).toString('base64url') });
    expect(errorCodeOf(await getNonces(c2!, unknown).catch((e: unknown) => e))).toBe('UNKNOWN_IDENTITY');
    const probe = new HealthClient(o2.address, testCredentials(), {
      'grpc.use_local_subchannel_pool': 1,
    }) as unknown as HealthCheckClient;
    expect(await checkHealth(probe, '', 2000)).toBe('SERVING');
    const readyzUrl = `http://${o2.config.http!.listen}/readyz`;
    expect((await fetch(readyzUrl).then(async (r) => [r.status, await r.text()]))[0]).toBe(200);
    await call(o2.admin, o2.admin.GetNodeInfo, {}, 2000);
    o2.proc!.kill('SIGSTOP');
    const msg = randomBytes(64);
    const signing = agent.sign(msg, 30_000).then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    await sleep(300); // the agent's step waits in the frozen oracle's socket
    const FLOOD = 40;
    const flood = Array.from({ length: FLOOD }, () =>
      getNonces(c2!, noncesRequest(flooderState, c2!.nodeId, { count: 16 })).then(
        (r) => r.commitments.length,
        (e: unknown) => `error ${errorCodeOf(e) ?? String(e)}`,
      ),
    );
    await sleep(200);
    o2.proc!.kill('SIGTERM');
    await sleep(50);
    const exit = exited(o2);
    hook.status = 0; // the last delivery attempt at shutdown hangs (for flushMs)
    o2.proc!.kill('SIGCONT');
    await waitUntil('the shutdown log line', async () => {
      if ((await logLines(o2, 'shutting down: NOT_SERVING, draining in-flight requests', from)).length === 0)
        throw new Error('not yet');
    });

    // From now until it exits: health, /readyz, and a new request.
    const readyz: (number | string)[] = [];
    const health: string[] = [];
    const fresh: string[] = [];
    let done = false;
    void exit.then(() => {
      done = true;
    });
    while (!done) {
      const [r, h, f] = await Promise.all([
        fetch(readyzUrl).then(
          async (res) => {
            const body = (await res.json()) as { reason?: string };
            return res.status === 503 ? `503 ${body.reason}` : res.status;
          },
          () => 'refused',
        ),
        checkHealth(probe, '', 3000).catch(
          (e: unknown) => `refused ${(e as { code?: number }).code} ${(e as Error).message}`,
        ),
        call(o2.admin, o2.admin.GetNodeInfo, {}, 3000).then(
          () => 'served',
          (e: unknown) => errorCodeOf(e) ?? 'refused',
        ),
      ]);
      readyz.push(r);
      health.push(h);
      fresh.push(f);
    }
    probe.close();
    watcher.close();
    const code = await exit;
    const signed = await signing;
    const nonces = await Promise.all(flood);
    console.info(
      `shutdown observed: readyz ${JSON.stringify([...new Set(readyz)])}, health ${JSON.stringify([...new Set(health)])}, new requests ${JSON.stringify([...new Set(fresh)])}, watch ${JSON.stringify(watched)}`,
    );

    console.info(`flood: ${JSON.stringify(nonces)}; signed: ${signed.ok ? 'ok' : String(signed.e)}`);
    expect(code, 'exit code after SIGTERM').toBe(0);
    const [draining] = await logLines(o2, 'shutting down: NOT_SERVING, draining in-flight requests', from);
    expect(draining, 'the shutdown log line').toBeDefined();
    const inflight = draining!['inflight'] as number;
    // At least the agent's step (it reached the frozen oracle first, and needs a read and a sync
    // write); often some of the 40 nonce requests too (those that need one read may also finish
    // before the signal is handled). Each of those finished (16 nonces) or, if read only after
    // SIGTERM, was refused with NOT_READY: nothing in between.
    expect(inflight, 'requests in flight at SIGTERM').toBeGreaterThanOrEqual(1);
    const [finished] = await logLines(o2, 'in-flight requests finished', from);
    expect(finished?.['drained']).toBe(inflight);
    // The step in flight at SIGTERM completed: certified by both oracles, signature verifies.
    expect(signed.ok, signed.ok ? '' : String(signed.e)).toBe(true);
    if (signed.ok) expect(nodeVerify(signed.r.signature, msg, pk)).toBe(true);
    expect(
      nonces.every((n) => n === 16 || n === 'error NOT_READY'),
      JSON.stringify(nonces),
    ).toBe(true);
    // Health NOT_SERVING pushed to the watcher, and answered to checks while draining.
    expect(watched.slice(0, 2)).toEqual(['SERVING', 'NOT_SERVING']);
    expect(health).toContain('NOT_SERVING');
    expect(health).not.toContain('SERVING');
    expect(readyz).toContain('503 shutting down');
    expect(readyz).not.toContain(200);
    expect(fresh).toContain('NOT_READY');
    expect(fresh).not.toContain('served');
    // The outbox got its last attempt (it hung until the flush deadline) and kept the alert.
    const attempts = await logLines(o2, 'webhook unreachable; will retry', from);
    expect(attempts.length, 'a delivery attempt during shutdown').toBeGreaterThanOrEqual(1);
    expect(hookEvents.filter((e) => e.reportingNode === 2)).toEqual([]);

    // No state lost: the oracle's store holds the step it answered, as the agent's certificate says.
    await agent.kill('SIGTERM');
    const rs = readRatchet(stateDir, readState(stateDir));
    expect(rs.pending).toBeUndefined();
    const [rec] = await ratchetRecords(o2, [readState(stateDir).identityId]);
    expect(rec!.counter).toBe(rs.counter);
    expect(rec!.head).toBe(Buffer.from(rs.head).toString('base64url'));
    await o2.start();
    await agent.start();
    const m2 = randomBytes(10);
    expect(nodeVerify((await agent.sign(m2)).signature, m2, pk)).toBe(true);
    expect(await statusOn(o2, readState(stateDir).identityId)).toBe('active');
    // The alert kept in the outbox is delivered after the restart, with the id of the event log.
    hook.status = 200;
    await waitUntil('alert delivered after restart', async () => {
      if (!hookEvents.some((e) => e.reportingNode === 2)) throw new Error('not yet');
    });
    const rev = await call(o2.admin, o2.admin.GetRevocation, { identityId: cloned }, 2000);
    expect(hookEvents.find((e) => e.reportingNode === 2)!.id).toBe(rev.digest);
  });
});
