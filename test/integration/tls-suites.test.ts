/**
 * The co-signing and clone-detection suites again, over mTLS: MPCID_TEST_TLS=1 makes every
 * cluster from startCluster serve mTLS from one test CA, and points the CLI and the raw test
 * clients at a bundle from it (test/helpers/cluster.ts). The same switch runs any integration
 * suite over mTLS: `MPCID_TEST_TLS=1 npx vitest run test/integration/<file>`.
 */
import { expect, it } from 'vitest';

process.env['MPCID_TEST_TLS'] = '1';
// The 20 random clone trials already ran over plaintext; 5 prove the same path over mTLS.
process.env['MPCID_CLONE_TRIALS'] ??= '5';
const { startCluster, testClientTls } = await import('../helpers/cluster.js');
await import('./cosign.test.js');
await import('./ratchet-clone.test.js');

it('these suites really ran over mTLS', { tags: ['slow'] }, async () => {
  expect(testClientTls()?.roles).toEqual(['oracle', 'agent', 'admin']);
  const c = await startCluster(3, 2);
  try {
    expect(c.tls).not.toBeNull();
    for (const o of c.oracles) expect(o.config.tls?.ca).toBeTruthy();
  } finally {
    await c.stop();
  }
});
