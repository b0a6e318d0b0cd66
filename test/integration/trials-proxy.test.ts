/**
 * The trials' fault-injecting TCP proxy (scripts/trials/proxy.ts) does what each fault says, in
 * front of a real oracle's gRPC admin port on loopback: delay delays both ways, stall holds a
 * call until released, blackhole times it out, cut resets a connection mid-call (UNAVAILABLE),
 * refuse resets new connections, corrupt bytes fail the call without taking the oracle down, and
 * a per-connection fault touches only that connection.
 *
 * Slow suite (tag `slow`): a few seconds (one 3-oracle cluster start).
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_OPTIONS, call, services } from '../../common/grpc.js';
import type { AdminClient } from '../../proto/gen/mpcid/admin/v1/Admin.js';
import { FaultProxy, PASS } from '../../scripts/trials/proxy.js';
import { EDDSA_ONLY, startCluster, type TestCluster, testCredentials } from '../helpers/cluster.js';
import { removeClusterDir, sleep } from '../helpers/ratchet.js';

const info = (c: AdminClient, deadlineMs = 3_000) => call(c, c.GetNodeInfo, {}, deadlineMs);
/** After a fault the channel backs off; waitForReady lets a call wait for its reconnection. */
const infoReady = (c: AdminClient) => call(c, c.GetNodeInfo, {}, 5_000, true);

async function timed(p: Promise<unknown>): Promise<{ ms: number; err: grpc.ServiceError | undefined }> {
  const t0 = performance.now();
  try {
    await p;
    return { ms: performance.now() - t0, err: undefined };
  } catch (e) {
    return { ms: performance.now() - t0, err: e as grpc.ServiceError };
  }
}

describe('trials proxy: each fault does what it says (real oracle, loopback)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let proxy: FaultProxy;
  const clients: AdminClient[] = [];
  // Each client its own channel and connection (grpc-js shares subchannels between clients otherwise).
  const client = () => {
    const c = new (services().admin.mpcid.admin.v1.Admin)(proxy.address, testCredentials(), {
      ...CLIENT_OPTIONS,
      'grpc.use_local_subchannel_pool': 1,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    proxy = await FaultProxy.start(cluster.oracles[0]!.config.adminListen, 7);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await proxy?.close();
    await cluster?.stop();
    if (cluster) removeClusterDir(cluster);
  });

  it('pass forwards; delay adds its latency each way', async () => {
    const c = client();
    expect((await info(c)).nodeId).toBe(1);
    const base = await timed(info(c));
    expect(base.err).toBeUndefined();
    expect(base.ms).toBeLessThan(250);
    proxy.setFault({ kind: 'delay', ms: 300, jitterMs: 0 });
    const slow = await timed(info(c));
    expect(slow.err).toBeUndefined();
    // The request waits 300 ms on the way up, the answer 300 ms on the way down.
    expect(slow.ms).toBeGreaterThanOrEqual(590);
    proxy.setFault(PASS);
    expect((await timed(info(c))).ms).toBeLessThan(250);
  });

  it('stall holds a call until the fault is lifted; blackhole never answers', async () => {
    const c = client();
    await info(c);
    proxy.setFault({ kind: 'stall' });
    setTimeout(() => proxy.setFault(PASS), 600);
    const held = await timed(info(c, 5_000));
    expect(held.err).toBeUndefined();
    expect(held.ms).toBeGreaterThanOrEqual(590);
    proxy.setFault({ kind: 'blackhole' });
    const lost = await timed(info(c, 800));
    expect(lost.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    // Lifted, the connection that lost bytes is reset; the client reconnects and is answered.
    const resets = proxy.resets;
    proxy.setFault(PASS);
    expect(proxy.resets).toBe(resets + 1);
    await sleep(100); // the client sees the reset, then redials
    expect((await infoReady(c)).nodeId).toBe(1);
  });

  it('cut resets a connection mid-call: UNAVAILABLE, then the next connection works', async () => {
    const c = client();
    await info(c);
    const resets = proxy.resets;
    proxy.setFault({ kind: 'cut', afterBytes: 1 });
    const cut = await timed(info(c));
    expect(cut.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(proxy.resets).toBeGreaterThan(resets);
    proxy.setFault(PASS);
    expect((await infoReady(c)).nodeId).toBe(1);
  });

  it('refuse resets every new connection; corrupt bytes fail the call, not the oracle', async () => {
    proxy.setFault({ kind: 'refuse' });
    const refused = await timed(info(client()));
    expect(refused.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(proxy.connections()).toEqual([]);
    proxy.setFault({ kind: 'corrupt', rate: 1 });
    const bad = await timed(info(client(), 2_000));
    expect(bad.err).toBeDefined();
    proxy.setFault(PASS);
    // The oracle took garbage on its port and still answers (directly and through the proxy).
    expect(cluster.oracles[0]!.running).toBe(true);
    expect((await info(cluster.oracles[0]!.admin)).nodeId).toBe(1);
    expect((await infoReady(client())).nodeId).toBe(1);
  });

  it('a per-connection fault touches only that connection', async () => {
    const a = client();
    await info(a);
    const aId = Math.max(...proxy.connections().map((x) => x.id));
    const b = client();
    await info(b);
    proxy.setConnectionFault(aId, { kind: 'blackhole' });
    expect((await timed(info(a, 800))).err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect((await timed(info(b))).err).toBeUndefined();
    proxy.cut(aId);
    expect(proxy.connections().some((x) => x.id === aId)).toBe(false);
    // The client reconnects on a fresh connection, which has no fault.
    await sleep(100);
    expect((await infoReady(a)).nodeId).toBe(1);
  });
});
