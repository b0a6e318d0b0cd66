/**
 * Operations endpoints on a real 2-of-3 cluster: the gRPC health checking service on both servers
 * of every oracle, HTTP /healthz, /readyz (quorum of peers reachable) and Prometheus /metrics
 * after enrollment, signing and a clone that gets revoked.
 *
 * Slow suite (tag `slow`): real processes, about 15 s.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth, healthClient } from '../../oracle/health.js';
import {
  EDDSA_ONLY,
  startCluster,
  type TestCluster,
  testCredentials,
  waitUntil,
} from '../helpers/cluster.js';
import { copyStateDir, removeClusterDir } from '../helpers/ratchet.js';

const SERVICES = {
  agent: ['', 'mpcid.oracle.v1.Enrollment', 'mpcid.oracle.v1.Signer', 'mpcid.oracle.v1.Peer'],
  admin: ['', 'mpcid.admin.v1.Admin'],
};

const METRICS = [
  'mpcid_ratchet_steps_total',
  'mpcid_signature_shares_total',
  'mpcid_policy_refusals_total',
  'mpcid_step_duration_seconds',
  'mpcid_revocations_total',
  'mpcid_alert_outbox_depth',
  'mpcid_alert_dead_letters',
  'mpcid_identities_enrolled',
  'mpcid_peer_up',
];

/** One sample of the Prometheus text format: name{labels} value. */
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,(?=[a-zA-Z_]))?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    expect(m, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[k!] = v!;
    out.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  return out;
}

function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

describe('operations: health, readiness, metrics (2-of-3 cluster, real processes)', {
  tags: ['slow'],
}, () => {
  let cluster: TestCluster;
  let http: string[];

  const metricsOf = async (i: number) => {
    const res = await fetch(`${http[i]}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const name of METRICS) expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    return parseMetrics(text);
  };
  const readyz = async (i: number) => {
    const res = await fetch(`${http[i]}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    http = cluster.oracles.map((o) => `http://${o.config.http!.listen}`);
  });
  afterAll(async () => {
    await cluster?.stop();
    if (cluster) removeClusterDir(cluster);
  });

  it('the gRPC health service answers SERVING on the agent-facing and admin server of every oracle', async () => {
    for (const o of cluster.oracles) {
      for (const [address, names] of [
        [o.address, SERVICES.agent],
        [o.config.adminListen, SERVICES.admin],
      ] as const) {
        const client = healthClient(address, testCredentials());
        try {
          for (const name of names) expect(await checkHealth(client, name, 3_000)).toBe('SERVING');
          await expect(checkHealth(client, 'no.such.Service', 3_000)).rejects.toMatchObject({ code: 5 });
        } finally {
          client.close();
        }
      }
    }
  });

  it('/healthz is 200 and /readyz is 200 with every oracle up', async () => {
    for (const base of http) {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      await res.body?.cancel();
      // A peer probe is cached for a moment: one made while a peer's channel was still
      // connecting (the oracles start side by side) may report it once; it converges.
      let r = await readyz(http.indexOf(base));
      for (
        const end = Date.now() + 10_000;
        (r.body['unreachable'] as unknown[] | undefined)?.length && Date.now() < end;
      ) {
        await new Promise((res) => setTimeout(res, 100));
        r = await readyz(http.indexOf(base));
      }
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'ready', storeOpen: true, needPeers: 1, unreachable: [] });
    }
  });

  it('/metrics counts steps, shares, forks and revocations, and parses as Prometheus text', async () => {
    const { stateDir } = await cluster.enroll('spiffe://test.mpcid/ns/ops/sa/metrics');
    const agent = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    for (let i = 0; i < 3; i++) await agent.sign(randomBytes(32));
    // Signing sets are t of n and sticky for 8 steps (agent/quorum.ts): sign on until every oracle
    // has handled a Step, so each one's step histogram below has something to count.
    for (let i = 0; i < 80; i++) {
      const counts = await Promise.all(
        http.map(async (_, j) => sum(await metricsOf(j), 'mpcid_step_duration_seconds_count')),
      );
      if (counts.every((c) => c > 0)) break;
      await agent.sign(randomBytes(32));
    }
    const copyDir = join(dirname(stateDir), 'copy');
    copyStateDir(stateDir, copyDir);
    const copy = await cluster.startAgent(copyDir, undefined, { heartbeatMs: 0 });
    // Both histories step from the same counter: the second to reach an oracle is a fork.
    const results = await Promise.allSettled([agent.sign(randomBytes(32)), copy.sign(randomBytes(32))]);
    const more = await Promise.allSettled([agent.sign(randomBytes(32)), copy.sign(randomBytes(32))]);
    expect([...results, ...more].some((r) => r.status === 'rejected')).toBe(true);

    let all: Sample[][] = [];
    await waitUntil('revocation counted on every oracle', async () => {
      all = await Promise.all(http.map((_, i) => metricsOf(i)));
      for (const s of all) if (sum(s, 'mpcid_revocations_total') < 1) throw new Error('not yet');
    });
    // The revocation counted as local is on an oracle that saw the fork itself. Other oracles may
    // see the fork too, yet count the revocation as from a peer: the first one recorded wins.
    const forks = all.map((s) => sum(s, 'mpcid_ratchet_steps_total', { outcome: 'fork' }));
    const local = all.map((s) => sum(s, 'mpcid_revocations_total', { source: 'local' }));
    const detecting = local.findIndex((l) => l >= 1);
    expect(detecting, `local revocation counts ${local}`).toBeGreaterThanOrEqual(0);
    expect(forks[detecting], `fork counts ${forks}`).toBeGreaterThanOrEqual(1);
    const d = all[detecting]!;
    // Signing sets are t of n, so the detecting node may have caught up by fast-forward only.
    const accepted = (s: Sample[]) =>
      sum(s, 'mpcid_ratchet_steps_total', { outcome: 'next' }) +
      sum(s, 'mpcid_ratchet_steps_total', { outcome: 'fast_forward' });
    expect(accepted(d)).toBeGreaterThan(0);
    expect(sum(all.flat(), 'mpcid_ratchet_steps_total', { kind: 'sign', outcome: 'next' })).toBeGreaterThan(
      0,
    );
    expect(sum(all.flat(), 'mpcid_signature_shares_total')).toBeGreaterThanOrEqual(2 * 3);
    for (const s of all) {
      expect(sum(s, 'mpcid_identities_enrolled')).toBe(1);
      expect(sum(s, 'mpcid_step_duration_seconds_count')).toBeGreaterThan(0);
      expect(s.filter((x) => x.name === 'mpcid_peer_up' && x.value === 1)).toHaveLength(2);
    }
  });

  it('/readyz stays 200 with one other oracle down and is 503 naming both when two are down', async () => {
    await cluster.oracles[2]!.kill();
    await new Promise((r) => setTimeout(r, 1_200)); // past the probe cache
    const one = await readyz(0);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ status: 'ready', reachable: [2], unreachable: [3] });

    await cluster.oracles[1]!.kill();
    let r = await readyz(0);
    await waitUntil('oracle 1 not ready', async () => {
      r = await readyz(0);
      if (r.status !== 503) throw new Error(`status ${r.status}`);
    });
    expect(r.body).toMatchObject({
      status: 'not ready',
      storeOpen: true,
      reachable: [],
      unreachable: [2, 3],
    });
    expect(String(r.body['reason'])).toMatch(/unreachable: 2, 3/);
    expect((await fetch(`${http[0]}/healthz`)).status).toBe(200);
    const s = await metricsOf(0);
    expect(sum(s, 'mpcid_peer_up', { peer: '2' })).toBe(0);
    expect(sum(s, 'mpcid_peer_up', { peer: '3' })).toBe(0);
  });
});
