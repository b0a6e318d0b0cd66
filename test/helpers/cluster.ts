/**
 * Test harness: the same local cluster of real processes that `mpcid dev up` runs.
 *
 * Transport: plaintext by default (fast). With MPCID_TEST_TLS=1 every cluster from startCluster
 * serves mTLS from one CA made for this test process, and MPCID_TLS_DIR points the CLI (and the
 * clients below) at a bundle from that CA with every role, so suites run unchanged over mTLS.
 * Without it, MPCID_INSECURE=1 lets the CLI's client commands talk plaintext to test clusters.
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
  silenceIpServerNameWarning,
  type TlsMaterial,
} from '../../common/tls.js';

export {
  AgentProc,
  CLI,
  LocalCluster as TestCluster,
  mpcid,
  OracleProc,
  waitUntil,
} from '../../cli/localcluster.js';

import { LocalCluster } from '../../cli/localcluster.js';

/** True when the suites run over mTLS (MPCID_TEST_TLS=1). */
export const TEST_TLS = process.env['MPCID_TEST_TLS'] === '1';

let testTls: { caDir: string; clientDir: string; material: TlsMaterial } | undefined;
if (TEST_TLS) {
  const dir = mkdtempSync(join(tmpdir(), 'mpcid-test-ca-'));
  const caDir = join(dir, 'ca');
  createCa(caDir, 'test');
  const clientDir = join(dir, 'client');
  issueBundle(caDir, clientDir, { name: 'test-client', roles: ['admin', 'agent', 'oracle'] });
  testTls = { caDir, clientDir, material: loadTls(bundleFiles(clientDir)).material };
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

/** Starts a test cluster of n oracles with quorum t in a fresh temp dir (mTLS with MPCID_TEST_TLS=1). */
export function startCluster(n: number, t: number): Promise<LocalCluster> {
  return LocalCluster.start({
    n,
    t,
    clusterId: 'test',
    ...(testTls ? { tls: { caDir: testTls.caDir } } : {}),
  });
}
