/**
 * Alerts end to end (docs/protocol.md §7), real processes: a cloned agent is revoked and every
 * oracle reports it through a signed webhook, the admin WatchAlerts stream and `mpcid alerts
 * watch`; the webhook outbox survives kill -9; the exported evidence verifies offline and a
 * tampered copy does not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf } from '../../common/grpc.js';
import type { AlertEvent } from '../../oracle/records.js';
import type { AdminClient } from '../../proto/gen/mpcid/admin/v1/Admin.js';
import {
  CLI,
  mpcid,
  type OracleProc,
  startCluster,
  type TestCluster,
  waitUntil,
} from '../helpers/cluster.js';
import { verifyDelivery, whsecSecret } from '../helpers/hook.js';

const SECRET = whsecSecret();
const SECRET_ENV = 'MPCID_TEST_ALERTS_WEBHOOK_SECRET';

type Alert = AlertEvent & { seq: number };

interface Delivery {
  event: AlertEvent;
  status: number;
}

/** A webhook receiver that checks the signature and timestamp, answers `status`, and dedupes by id. */
class Receiver {
  status = 200;
  readonly deliveries: Delivery[] = [];
  readonly rejected: string[] = [];
  readonly server: Server;
  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        let event: AlertEvent;
        try {
          if (req.method !== 'POST') throw new Error(req.method);
          event = verifyDelivery(SECRET, req.headers, body).alert;
        } catch {
          this.rejected.push(body);
          res.writeHead(401).end();
          return;
        }
        this.deliveries.push({ event, status: this.status });
        res.writeHead(this.status).end();
      });
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mpcid-alerts`;
  }
  /** Accepted (2xx) deliveries. */
  get accepted(): AlertEvent[] {
    return this.deliveries.filter((d) => d.status < 300).map((d) => d.event);
  }
  /** What a receiver keeps after deduping by id. */
  get unique(): Map<string, AlertEvent> {
    return new Map(this.accepted.map((e) => [e.id, e]));
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Webhook config: oracle 1 has the secret inline, the others name an environment variable. */
function webhookConfig(url: string) {
  return (nodeId: number) => ({
    alerts: {
      webhooks: [nodeId === 1 ? { url, secret: SECRET } : { url, secretEnv: SECRET_ENV, timeoutMs: 2000 }],
    },
  });
}

/** Clones an agent and makes both copies sign: the second signer reveals the fork. */
async function fork(cluster: TestCluster, name: string): Promise<string> {
  const { stateDir, kid } = await cluster.enroll(name);
  const a = await cluster.startAgent(stateDir);
  await a.sign(Buffer.from('before the clone'));
  cpSync(stateDir, `${stateDir}-copy`, { recursive: true });
  const b = await cluster.startAgent(`${stateDir}-copy`);
  await a.sign(Buffer.from('original')).catch(() => undefined);
  await b.sign(Buffer.from('clone')).catch(() => undefined);
  return kid;
}

/** Opens WatchAlerts on one oracle and collects what arrives. */
function openWatch(admin: AdminClient, cursor: number) {
  const got: Alert[] = [];
  const errors: unknown[] = [];
  const stream = admin.WatchAlerts({ cursor });
  stream.on('data', (m: { seq: number; json: string }) => {
    got.push({ seq: m.seq, ...(JSON.parse(m.json) as AlertEvent) });
  });
  stream.on('error', (e) => errors.push(e));
  return { got, errors, cancel: () => stream.cancel() };
}

/** Runs `mpcid alerts watch` and collects its stdout lines. */
function cliWatch(o: OracleProc, cursor?: number) {
  const args = [CLI, 'alerts', 'watch', '--admin', o.config.adminListen];
  if (cursor !== undefined) args.push('--cursor', String(cursor));
  const proc: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    lines,
    stderr: () => stderr,
    async interrupt() {
      proc.kill('SIGINT');
      return exited;
    },
  };
}

const until = (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000) =>
  waitUntil(
    what,
    async () => {
      if (!(await cond())) throw new Error('not yet');
    },
    undefined,
    timeoutMs,
  );

function expectWellFormed(e: AlertEvent, kid: string, name: string) {
  expect(e.type).toBe('identity.clone_detected');
  expect(e.identityId).toBe(kid);
  expect(e.name).toBe(name);
  // Both key ids of the identity: its Ed25519 key (= the identity id) and its ES256 key.
  expect(e.kids).toEqual([kid, expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
  expect(e.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(e.counter).toBeGreaterThanOrEqual(2);
  expect(['equivocation', 'broken-chain', 'time-reversal']).toContain(e.reason);
  expect(e.peers).toHaveLength(2);
  expect(e.peers.every((p) => p.length > 0)).toBe(true);
  expect(e.peers[0]).not.toBe(e.peers[1]);
  expect([1, 2, 3]).toContain(e.detectingNode);
  expect(Number.isNaN(Date.parse(e.time))).toBe(false);
}

describe('alerts from a 2-of-3 cluster', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  const rx = new Receiver();
  let first: { kid: string; id: string };
  let second: { kid: string; id: string };
  let liveWatch: ReturnType<typeof openWatch>;
  let liveCli: ReturnType<typeof cliWatch>;

  beforeAll(async () => {
    process.env[SECRET_ENV] = SECRET;
    const url = await rx.listen();
    cluster = await startCluster(3, 2, { oracleConfig: webhookConfig(url) });
    // Watchers opened before anything happens: what they get is live.
    liveWatch = openWatch(cluster.oracles[0]!.admin, 0);
    liveCli = cliWatch(cluster.oracles[1]!);
  });
  afterAll(async () => {
    liveWatch?.cancel();
    await liveCli?.interrupt();
    await cluster?.stop();
    await rx.close();
  });

  it('a clone is reported once per oracle to the signed webhook, with the same id', async () => {
    const name = 'spiffe://test.mpcid/ns/default/sa/cloned';
    const kid = await fork(cluster, name);
    await until('3 deliveries', () => rx.accepted.length >= 3);
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    const got = rx.accepted;
    expect(rx.rejected).toEqual([]);
    expect(got).toHaveLength(3);
    expect(got.map((e) => e.reportingNode).sort()).toEqual([1, 2, 3]);
    expect(rx.unique.size).toBe(1);
    for (const e of got) {
      expectWellFormed(e, kid, name);
      // The same evidence from every oracle. Detecting node, time and peers may differ: both
      // oracles of the clone's signing set can catch the fork on their own, and each names the
      // agent connections it saw.
      const pick = ({ id, type, identityId, name, kids, counter, reason }: AlertEvent) => ({
        id,
        type,
        identityId,
        name,
        kids,
        counter,
        reason,
      });
      expect(pick(e)).toEqual(pick(got[0]!));
    }
    first = { kid, id: got[0]!.id };
  });

  it('an open WatchAlerts stream and `mpcid alerts watch` get the event live', async () => {
    await until('live stream event', () => liveWatch.got.length === 1);
    expect(liveWatch.got[0]!.seq).toBe(1);
    expect(liveWatch.got[0]!.id).toBe(first.id);
    expect(liveWatch.got[0]!.reportingNode).toBe(1);
    await until('CLI line', () => liveCli.lines.length === 1);
    const line = JSON.parse(liveCli.lines[0]!) as Alert;
    expect(line.seq).toBe(1);
    expect(line.id).toBe(first.id);
    expect(line.type).toBe('identity.clone_detected');
    expect(line.reportingNode).toBe(2);
  });

  it('WatchAlerts replays the log from cursor 0 and resumes from a later cursor', async () => {
    const name = 'spiffe://test.mpcid/ns/default/sa/cloned-again';
    const kid = await fork(cluster, name);
    await until('second alert delivered', () => rx.unique.size === 2);
    second = { kid, id: [...rx.unique.keys()].find((id) => id !== first.id)! };
    await until('second live event', () => liveWatch.got.length === 2 && liveCli.lines.length === 2);
    expect(liveWatch.got.map((e) => e.seq)).toEqual([1, 2]);
    expect(liveWatch.got[1]!.id).toBe(second.id);

    for (const o of cluster.oracles) {
      const all = openWatch(o.admin, 0);
      await until('backlog', () => all.got.length === 2);
      expect(all.got.map((e) => [e.seq, e.id])).toEqual([
        [1, first.id],
        [2, second.id],
      ]);
      expectWellFormed(all.got[1]!, kid, name);
      const later = openWatch(o.admin, 1);
      await until('resumed backlog', () => later.got.length === 1);
      const none = openWatch(o.admin, 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(later.got.map((e) => e.id)).toEqual([second.id]);
      expect(none.got).toEqual([]);
      for (const w of [all, later, none]) {
        w.cancel();
      }
    }
    const resumed = cliWatch(cluster.oracles[2]!, 1);
    await until('CLI resumed line', () => resumed.lines.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.lines.map((l) => (JSON.parse(l) as Alert).id)).toEqual([second.id]);
    expect(await resumed.interrupt()).toBe(0);
  });

  it('`mpcid evidence get` exports evidence that `mpcid evidence verify` accepts, and a tampered copy fails', async () => {
    const o = cluster.oracles[2]!;
    const got = await mpcid(['evidence', 'get', '--admin', o.config.adminListen, '--identity', first.kid]);
    expect(got.code, got.stderr).toBe(0);
    const doc = JSON.parse(got.stdout) as {
      type: string;
      identityId: string;
      digest: string;
      reason: string;
      sessionPublicKey: string;
      steps: { counter: number; time: number; signature: string; kind: string }[];
    };
    expect(doc.type).toBe('mpcid.fork-evidence.v1');
    expect(doc.identityId).toBe(first.kid);
    expect(doc.digest).toBe(first.id);
    expect(doc.sessionPublicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const dir = cluster.dir;
    const file = (name: string, d: unknown) => {
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify(d));
      return f;
    };

    const verify = async (f: string, ...extra: string[]) => {
      const r = await mpcid(['evidence', 'verify', f, ...extra]);
      return { code: r.code, out: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
    };
    const ok = await verify(file('evidence.json', doc));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.out).toEqual({ valid: true, reason: doc.reason, digest: first.id, identityId: first.kid });
    // The key can come from a trusted source instead of the file.
    const withKey = await verify(
      file('evidence-nokey.json', { ...doc, sessionPublicKey: undefined }),
      '--session-key',
      doc.sessionPublicKey,
    );
    expect(withKey.code).toBe(0);

    const clone = () => JSON.parse(JSON.stringify(doc)) as typeof doc;
    const changedTime = clone();
    changedTime.steps[0]!.time += 1;
    const swapped = clone();
    [swapped.steps[0]!.signature, swapped.steps[1]!.signature] = [
      swapped.steps[1]!.signature,
      swapped.steps[0]!.signature,
    ];
    const changedDigest = { ...clone(), digest: second.id };
    for (const [name, d, extra] of [
      ['changed-step', changedTime, []],
      ['swapped-signatures', swapped, []],
      ['changed-digest', changedDigest, []],
      ['other-key', doc, ['--session-key', Buffer.from(randomBytes(32)).toString('base64url')]],
    ] as const) {
      const bad = await verify(file(`evidence-${name}.json`, d), ...extra);
      expect(bad.code, name).toBe(1);
      expect(bad.out['valid'], name).toBe(false);
      expect(bad.out['identityId']).toBe(first.kid);
    }
    // Evidence of an identity that is not revoked does not exist.
    const { kid } = await cluster.enroll('spiffe://test.mpcid/ns/default/sa/fine');
    const none = await mpcid(['evidence', 'get', '--admin', o.config.adminListen, '--identity', kid]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/UNKNOWN_IDENTITY/);
  });

  it('a graceful stop ends open streams at once; `mpcid alerts watch` reconnects and resumes', async () => {
    const o = cluster.oracles[1]!; // liveCli watches this one
    const open = openWatch(o.admin, 0);
    await until('backlog', () => open.got.length === 2);
    const t0 = Date.now();
    await o.kill('SIGTERM');
    // Well within the 2 s grace a graceful shutdown gives calls that do not end.
    expect(Date.now() - t0).toBeLessThan(1800);
    await until('stream ended', () => open.errors.length === 1);
    expect(errorCodeOf(open.errors[0])).toBe('NOT_READY');
    await o.start();
    const kid = await fork(cluster, 'spiffe://test.mpcid/ns/default/sa/third');
    await until('third line', () => liveCli.lines.length === 3);
    await new Promise((r) => setTimeout(r, 300));
    const seqs = liveCli.lines.map((l) => (JSON.parse(l) as Alert).seq);
    expect(seqs).toEqual([1, 2, 3]);
    expect((JSON.parse(liveCli.lines[2]!) as Alert).identityId).toBe(kid);
    expect(liveCli.stderr()).toMatch(/reconnecting after seq 2/);
  });

  it('webhook secrets never reach the logs', () => {
    const logs = join(cluster.dir, 'logs');
    for (const f of readdirSync(logs)) expect(readFileSync(join(logs, f), 'utf8')).not.toContain(SECRET);
  });
});

describe('the webhook outbox is durable', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  const rx = new Receiver();

  beforeAll(async () => {
    process.env[SECRET_ENV] = SECRET;
    const url = await rx.listen();
    cluster = await startCluster(3, 2, { oracleConfig: webhookConfig(url) });
  });
  afterAll(async () => {
    await cluster?.stop();
    await rx.close();
  });

  it('alerts refused while the receiver was down are delivered by every oracle after kill -9 and restart', async () => {
    rx.status = 503;
    const kid = await fork(cluster, 'spiffe://test.mpcid/ns/default/sa/outbox');
    // Every oracle holds the revocation and has tried (and failed) to deliver it.
    const admins = cluster.oracles.map((o) => o.admin);
    await until('revoked everywhere', async () => {
      const r = await Promise.allSettled(
        admins.map((a) => call(a, a.GetRevocation, { identityId: kid }, 2000)),
      );
      return r.every((x) => x.status === 'fulfilled');
    });
    await until('refused by the receiver from every oracle', () =>
      [1, 2, 3].every((n) => rx.deliveries.some((d) => d.event.reportingNode === n)),
    );
    expect(rx.accepted).toEqual([]);

    await Promise.all(cluster.oracles.map((o) => o.kill('SIGKILL')));
    rx.status = 200;
    await Promise.all(cluster.oracles.map((o) => o.start()));
    await until('delivered by every oracle', () => rx.accepted.length >= 3);
    const got = rx.accepted;
    expect(got.map((e) => e.reportingNode).sort()).toEqual([1, 2, 3]);
    expect(rx.unique.size).toBe(1);
    expectWellFormed(got[0]!, kid, 'spiffe://test.mpcid/ns/default/sa/outbox');

    // Delivered entries are gone for good: another crash and restart sends nothing again.
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all(cluster.oracles.map((o) => o.kill('SIGKILL')));
    await Promise.all(cluster.oracles.map((o) => o.start()));
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.accepted).toHaveLength(3);
  });
});
