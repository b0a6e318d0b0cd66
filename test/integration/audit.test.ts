/**
 * The audit trail (issue 15 item 5), real processes and real LevelDB: `mpcid audit` lists, on
 * every oracle, exactly the steps this test made, in order, with kind, client and the tokens'
 * jti/aud/exp/typ and refusal code; --kind and --since filter, ListAudit pages, bad input gets
 * MALFORMED_INPUT / UNKNOWN_IDENTITY. A clone alert links the last audited step of both
 * histories. Retention (config audit.retentionSeconds) drops old entries and keeps new ones.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf } from '../../common/grpc.js';
import type { AlertEvent } from '../../oracle/records.js';
import {
  EDDSA_ONLY,
  mpcid,
  type OracleProc,
  startCluster,
  TEST_TLS,
  type TestCluster,
} from '../helpers/cluster.js';
import { encodeInput, HostileAgent, validToken } from '../helpers/hostile-jwt.js';
import { copyStateDir, failure, sleep, storedAlerts, waitCounters, waitStatus } from '../helpers/ratchet.js';

const NAME = 'spiffe://test.mpcid/ns/audit/sa/hostile';
const CLONED = 'spiffe://test.mpcid/ns/audit/sa/cloned';
/** Long enough for the listing tests on a loaded machine. */
const RETENTION_S = 30;
/** The retention the oracles restart with for the last test: a fresh entry outlasts its listing. */
const SHORT_RETENTION_S = 10;

interface Line {
  identityId: string;
  counter: number;
  kind: string;
  time: string;
  client: string;
  jti?: string;
  aud?: unknown;
  exp?: number;
  typ?: string;
  refusal?: string;
}

let cluster: TestCluster;
let h: HostileAgent;
/** What this test made, in order: counter, kind, and for tokens jti and exp. */
const made: { counter: number; kind: string; jti?: string; exp?: number; refusal?: string }[] = [];
let afterFirst = 0;

async function audit(o: OracleProc, identity: string, extra: string[] = []): Promise<Line[]> {
  const r = await mpcid([
    'audit',
    '--admin',
    o.config.adminListen,
    '--identity',
    identity,
    ...extra,
    ...cluster.adminTransportArgs,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

beforeAll(async () => {
  cluster = await startCluster(3, 2, {
    ...EDDSA_ONLY,
    oracleConfig: () => ({ audit: { retentionSeconds: RETENTION_S, pruneIntervalSeconds: 1 } }),
  });
  h = new HostileAgent((await cluster.enroll(NAME)).stateDir);
  const sign = await h.step('sign', () => new Uint8Array(Buffer.from('an ordinary message')));
  made.push({ counter: sign.counter, kind: 'sign' });
  await sleep(20);
  afterFirst = Date.now();
  await sleep(20);
  const t = validToken(h, 0);
  const ok = await h.step('jwt', (ctr) => encodeInput({ ...t, claims: { ...t.claims, ctr } }));
  made.push({
    counter: ok.counter,
    kind: 'jwt',
    jti: t.claims['jti'] as string,
    exp: t.claims['exp'] as number,
  });
  const bad = validToken(h, 0, { claims: { aud: undefined } });
  const refused = await h.step('jwt', (ctr) => encodeInput({ ...bad, claims: { ...bad.claims, ctr } }));
  made.push({
    counter: refused.counter,
    kind: 'jwt',
    jti: bad.claims['jti'] as string,
    exp: bad.claims['exp'] as number,
    refusal: 'POLICY_VIOLATION',
  });
});
afterAll(async () => {
  h?.close();
  await cluster?.stop();
});

describe('the audit trail', { tags: ['slow'] }, () => {
  it('every oracle lists exactly the steps made, in order, with their token fields', async () => {
    for (const o of cluster.oracles) {
      const lines = await audit(o, h.kid);
      expect(
        lines.map((l) => ({
          counter: l.counter,
          kind: l.kind,
          ...(l.jti ? { jti: l.jti } : {}),
          ...(l.exp ? { exp: l.exp } : {}),
          ...(l.refusal ? { refusal: l.refusal } : {}),
        })),
        `oracle ${o.id}`,
      ).toEqual(made);
      for (const l of lines) {
        expect(l.identityId).toBe(h.kid);
        // Under mTLS the client certificate's SHA-256 fingerprint, else the address.
        expect(l.client).toMatch(TEST_TLS ? /^cert:([0-9A-F]{2}:){31}[0-9A-F]{2}$/ : /127\.0\.0\.1/);
        expect(Date.parse(l.time)).toBeGreaterThan(Date.now() - 120_000);
      }
      expect(lines.filter((l) => l.kind === 'jwt').map((l) => [l.typ, l.aud])).toEqual([
        ['JWT', 'https://rp.example'],
        ['JWT', undefined],
      ]);
      // One client made every step.
      expect(new Set(lines.map((l) => l.client)).size).toBe(1);
    }
  });

  it('--kind and --since filter; ListAudit pages', async () => {
    const o = cluster.oracles[1]!;
    expect((await audit(o, h.kid, ['--kind', 'jwt'])).map((l) => l.counter)).toEqual([2, 3]);
    expect((await audit(o, h.kid, ['--kind', 'heartbeat'])).map((l) => l.counter)).toEqual([]);
    expect(
      (await audit(o, h.kid, ['--since', new Date(afterFirst).toISOString()])).map((l) => l.counter),
    ).toEqual([2, 3]);
    const seen: number[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const res = await call(
        o.admin,
        o.admin.ListAudit,
        { identityId: h.kid, pageSize: 1, pageToken, since: 0, kind: '' },
        5_000,
      );
      expect(res.entries.length).toBeLessThanOrEqual(1);
      seen.push(...res.entries.map((e) => e.counter));
      pageToken = res.nextPageToken;
      pages++;
    } while (pageToken && pages < 10);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('bad input to ListAudit gets stable codes', async () => {
    const admin = cluster.oracles[0]!.admin;
    const base = { identityId: h.kid, since: 0, kind: '', pageSize: 0, pageToken: '' };
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['malformed identity', { identityId: 'x' }, grpc.status.INVALID_ARGUMENT, 'MALFORMED_INPUT'],
      ['unknown identity', { identityId: 'A'.repeat(43) }, grpc.status.NOT_FOUND, 'UNKNOWN_IDENTITY'],
      ['unknown kind', { kind: 'bogus' }, grpc.status.INVALID_ARGUMENT, 'MALFORMED_INPUT'],
      ['negative since', { since: -1 }, grpc.status.INVALID_ARGUMENT, 'MALFORMED_INPUT'],
      ['bad page token', { pageToken: 'x1' }, grpc.status.INVALID_ARGUMENT, 'MALFORMED_INPUT'],
    ];
    for (const [what, over, status, code] of cases) {
      const err = await failure(call(admin, admin.ListAudit, { ...base, ...over }, 5_000));
      expect((err as grpc.ServiceError).code, what).toBe(status);
      expect(errorCodeOf(err), what).toBe(code);
    }
    const r = await mpcid([
      'audit',
      '--admin',
      cluster.oracles[0]!.config.adminListen,
      '--identity',
      h.kid,
      '--since',
      'yesterday-ish',
      ...cluster.adminTransportArgs,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MALFORMED_INPUT/);
  });

  it('a clone alert links the last audited step of both histories', async () => {
    const { stateDir, kid } = await cluster.enroll(CLONED);
    // Heartbeats go to every oracle: each one audits the shared history before the copy is taken.
    const original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 200 });
    await waitCounters(cluster.oracles, kid, 2, 10_000);
    await original.kill('SIGTERM');
    const copy = `${stateDir}-copy`;
    copyStateDir(stateDir, copy);
    const again = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    await again.sign(new Uint8Array([2]));
    await again.kill('SIGTERM');
    const clone = await cluster.startAgent(copy, undefined, { heartbeatMs: 0 });
    await failure(clone.sign(new Uint8Array([3])));
    await waitStatus(cluster.oracles, kid, 'revoked', 10_000);
    const got = new Map<number, AlertEvent[]>();
    for (const o of cluster.oracles)
      got.set(
        o.id,
        (await storedAlerts(o, 300)).filter(
          (e) => e.identityId === kid && e.type === 'identity.clone_detected',
        ),
      );
    // A node that found the fork itself held the accepted step and the one the conflicting step
    // follows: its alert links both to its audit log, and those entries are in `mpcid audit`.
    const observed = [...got].filter(([, es]) => es.some((e) => e.forensics === 'observed'));
    expect(observed.length).toBeGreaterThan(0);
    for (const [nodeId, es] of observed) {
      expect(es).toHaveLength(1);
      const [accepted, conflicting] = es[0]!.histories!;
      expect(accepted!.role).toBe('accepted');
      expect(accepted!.lastAudited, `oracle ${nodeId}`).toMatchObject({
        counter: accepted!.counter,
        identityId: kid,
      });
      expect(conflicting!.lastAudited, `oracle ${nodeId}`).toMatchObject({
        counter: conflicting!.counter - 1,
        identityId: kid,
      });
      const lines = await audit(cluster.oracles[nodeId - 1]!, kid);
      const counters = lines.map((l) => l.counter);
      expect(counters).toContain(accepted!.counter);
      expect(counters).toContain(conflicting!.counter - 1);
      expect(lines.find((l) => l.counter === accepted!.counter)!.kind).toBe(accepted!.kind);
    }
  });

  it('retention drops entries older than audit.retentionSeconds and keeps newer ones', async () => {
    // Every oracle restarts with a shorter retention: the entries above are already older than
    // most of it, so this waits seconds for them to go, not the rest of RETENTION_S (which only
    // had to outlast the listing tests).
    for (const o of cluster.oracles) {
      const raw = JSON.parse(readFileSync(o.configFile, 'utf8')) as { audit: object };
      raw.audit = { ...raw.audit, retentionSeconds: SHORT_RETENTION_S };
      writeFileSync(o.configFile, `${JSON.stringify(raw, null, 2)}\n`);
    }
    await Promise.all(
      cluster.oracles.map(async (o) => {
        await o.kill('SIGTERM');
        await o.start();
      }),
    );
    const deadline = Date.now() + (SHORT_RETENTION_S + 60) * 1000;
    // Every oracle's pass runs on its own timer after its restart: wait for each of them.
    let lines: Line[][] = [];
    for (;;) {
      lines = await Promise.all(cluster.oracles.map((o) => audit(o, h.kid)));
      if (lines.every((l) => l.length === 0) || Date.now() > deadline) break;
      await sleep(1000);
    }
    expect(lines).toEqual(cluster.oracles.map(() => []));
    const fresh = await h.step('sign', () => new Uint8Array(Buffer.from('after the old entries went')));
    for (const o of cluster.oracles)
      expect(
        (await audit(o, h.kid)).map((l) => l.counter),
        `oracle ${o.id}`,
      ).toEqual([fresh.counter]);
  });
});
