/**
 * Test harness: the same local cluster of real processes that `mpcid dev up` runs.
 *
 * Transport: plaintext by default (fast). With MPCID_TEST_TLS=1 every cluster from startCluster
 * serves mTLS from one CA made for this test process, and MPCID_TLS_DIR points the CLI (and the
 * clients below) at a bundle from that CA with every role, so suites run unchanged over mTLS.
 * Without it, MPCID_INSECURE=1 lets the CLI's client commands talk plaintext to test clusters.
 *
 * Test doubles that stand in for an oracle or an agent (a lying oracle, a hostile agent speaking
 * the protocol itself) get their own certificate from the test CA with that one role
 * (testDoubleTls): over mTLS they are admitted exactly as far as the process they imitate.
 * Suites start every cluster with startCluster, never LocalCluster directly, so none of them
 * stays plaintext by accident under MPCID_TEST_TLS=1.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import {
  bundleFiles,
  channelCredentials,
  createCa,
  issueBundle,
  loadTls,
  serverCredentials,
  silenceIpServerNameWarning,
  type TlsMaterial,
} from '../../common/tls.js';

export { AgentProc, CLI, LocalCluster as TestCluster, mpcid, OracleProc } from '../../cli/localcluster.js';

import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import {
  LocalCluster,
  type LocalClusterOptions,
  mpcid,
  type ReadyProbe,
  waitUntil as waitUntilEvery,
} from '../../cli/localcluster.js';

/**
 * How the tests poll: every 20 ms rather than the CLI's 100 ms. A test waiting for a state
 * (a revocation, a delivered alert, a listening port) sees it within 20 ms of it holding,
 * not up to 100 ms later; the probes are loopback calls of a millisecond or two.
 */
const POLL_MS = 20;

/** Polls `probe` until it resolves (every 20 ms); fails after `timeoutMs` or as soon as `proc` exits. */
export function waitUntil(
  what: string,
  probe: () => Promise<unknown>,
  proc?: ChildProcess,
  timeoutMs = 30_000,
): Promise<void> {
  return waitUntilEvery(what, probe, proc, timeoutMs, POLL_MS);
}

/**
 * Test processes are found ready as soon as they listen: each start waits for the port (or
 * socket) to accept, polled every 10 ms, before its gRPC probe, which then answers at once
 * instead of after grpc-js's reconnect backoff. Agents served ~430 ms after spawn were found at
 * 520-620 ms with the CLI's default probe; every restart in the crash and clone loops paid it.
 */
export const TEST_READY: ReadyProbe = { pollMs: 10, listenFirst: true };

/** True when the suites run over mTLS (MPCID_TEST_TLS=1). */
export const TEST_TLS = process.env['MPCID_TEST_TLS'] === '1';

let testTls: { dir: string; caDir: string; clientDir: string; material: TlsMaterial } | undefined;
if (TEST_TLS) {
  const dir = mkdtempSync(join(tmpdir(), 'mpcid-test-ca-'));
  const caDir = join(dir, 'ca');
  createCa(caDir, 'test');
  const clientDir = join(dir, 'client');
  issueBundle(caDir, clientDir, { name: 'test-client', roles: ['admin', 'agent', 'oracle'] });
  testTls = { dir, caDir, clientDir, material: loadTls(bundleFiles(clientDir)).material };
  process.env['MPCID_TLS_DIR'] = clientDir;
  silenceIpServerNameWarning();
  delete process.env['MPCID_INSECURE'];
} else {
  process.env['MPCID_INSECURE'] ??= '1';
}

/** The test process's client TLS material (every role), or null when the suites run plaintext. */
export function testClientTls(): TlsMaterial | null {
  return testTls?.material ?? null;
}

/** Channel credentials for test clients that talk to oracles directly (raw gRPC). */
export function testCredentials(): grpc.ChannelCredentials {
  return channelCredentials(testClientTls());
}

/** The kinds of process a test double imitates. */
export type DoubleRole = 'oracle' | 'agent';

const doubles = new Map<string, TlsMaterial>();

/**
 * TLS material from the test CA for a test double that imitates a `role` process: role oracle with
 * the loopback SANs `mpcid init` gives an oracle (so an agent dialing the address it serves on
 * accepts it), or role agent; null when the suites run plaintext. One certificate per role and name.
 */
export function testDoubleTls(role: DoubleRole, name: string): TlsMaterial | null {
  if (!testTls) return null;
  const key = `${role}/${name}`;
  let m = doubles.get(key);
  if (!m) {
    const dir = join(testTls.dir, 'doubles', `${role}-${doubles.size}`);
    issueBundle(testTls.caDir, dir, {
      name,
      roles: [role],
      sans: role === 'oracle' ? ['localhost', '127.0.0.1', '::1'] : [],
    });
    m = loadTls(bundleFiles(dir), { needRole: role }).material;
    doubles.set(key, m);
  }
  return m;
}

/** Channel credentials of a test double that dials oracles as a `role` process would. */
export function testDoubleCredentials(role: DoubleRole, name: string): grpc.ChannelCredentials {
  return channelCredentials(testDoubleTls(role, name));
}

/** Server credentials of a test double that serves in place of an oracle (mTLS, client certificate required). */
export function testOracleServerCredentials(name: string): grpc.ServerCredentials {
  return serverCredentials(testDoubleTls('oracle', name));
}

export type TestClusterOptions = Omit<LocalClusterOptions, 'n' | 't' | 'tls' | 'dir'>;

/**
 * For suites that never sign ES256 (the ratchet, crash, shutdown, rate-limit, ... suites): enrolls
 * with `--algs EdDSA`, which skips ES256 setup (about 2 s per enrollment on two cores).
 */
export const EDDSA_ONLY = { algs: ['EdDSA'] } as const satisfies TestClusterOptions;

/**
 * Starts a test cluster of n oracles with quorum t in a fresh temp dir (mTLS with MPCID_TEST_TLS=1);
 * `opts` adds e.g. per-oracle config (`oracleConfig`). The cluster id is `test` unless given.
 * Agents keep no ES256 presignatures unless `es256Presigns` says so (the suites that count steps
 * or script ES256 sessions test the online path; test/integration/es256-presign.test.ts the pool).
 */
export function startCluster(n: number, t: number, opts: TestClusterOptions = {}): Promise<LocalCluster> {
  return LocalCluster.start({
    clusterId: 'test',
    es256Presigns: 0,
    ready: TEST_READY,
    ...opts,
    n,
    t,
    ...(testTls ? { tls: { caDir: testTls.caDir } } : {}),
  });
}

/**
 * Like startCluster, but always over mTLS: from the test CA with MPCID_TEST_TLS=1, else from a CA
 * of its own (for suites whose subject needs certificates, e.g. an operator's signed revocation).
 */
export function startTlsCluster(n: number, t: number, opts: TestClusterOptions = {}): Promise<LocalCluster> {
  if (testTls) return startCluster(n, t, opts);
  silenceIpServerNameWarning();
  return LocalCluster.start({ clusterId: 'test', ready: TEST_READY, ...opts, n, t, tls: true });
}

/**
 * An HTTPS server certificate for 127.0.0.1 and localhost from the test CA in `caDir`, issued
 * into `dir` (for `httpTls` of startCluster, or a test double serving HTTPS). Returns its files.
 */
export function httpsCertFiles(caDir: string, dir: string, name: string): { cert: string; key: string } {
  issueBundle(caDir, dir, { name, roles: ['oracle'], sans: ['127.0.0.1', 'localhost'] });
  return { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
}

/**
 * A join token from `mpcid token create` with `createArgs` (e.g. --require JSON), then `mpcid
 * agent enroll` with it (EdDSA only), as an operator and a workload do. Expects both to succeed.
 */
export async function enrollViaCli(
  cluster: LocalCluster,
  name: string,
  createArgs: readonly string[],
): Promise<{ stateDir: string; kid: string }> {
  const admin = cluster.oracles[0]!.config.adminListen;
  const t = await mpcid([
    'token',
    'create',
    '--admin',
    admin,
    '--name',
    name,
    ...createArgs,
    ...cluster.adminTransportArgs,
  ]);
  expect(t.code, t.stderr).toBe(0);
  const stateDir = join(mkdtempSync(join(cluster.dir, 'agent-')), 'state');
  const token = t.stdout.trim();
  const e = await mpcid([
    'agent',
    'enroll',
    '--token',
    token,
    '--state',
    stateDir,
    '--algs',
    'EdDSA',
    ...cluster.agentTransportArgs,
  ]);
  expect(e.code, e.stderr).toBe(0);
  return { stateDir, kid: (JSON.parse(e.stdout) as { kid: string }).kid };
}
