/**
 * `mpcid dev up`: a local cluster of n oracle processes and one enrolled agent on loopback, on
 * embedded defaults. Reuses DIR if it already holds a cluster (same keys, same identity).
 */
import { createPublicKey, verify } from 'node:crypto';
import { join } from 'node:path';
import { hasState } from '../agent/state.js';
import { MpcidError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { LocalCluster } from './localcluster.js';

export interface DevUpOptions {
  dir?: string;
  n: number;
  t: number;
  log: Logger;
  /** mTLS between the processes (plaintext by default, for speed). */
  tls?: boolean;
}

export const DEV_IDENTITY = 'spiffe://dev.mpcid.local/workload/demo';

export async function devUp(opts: DevUpOptions): Promise<void> {
  const cluster = await LocalCluster.create({
    n: opts.n,
    t: opts.t,
    clusterId: 'dev',
    tls: opts.tls === true,
    ...(opts.dir ? { dir: opts.dir } : {}),
  });
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await cluster.stop('SIGTERM');
  };
  const onSignal = () => {
    opts.log.info('stopping the dev cluster');
    void stop().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await Promise.all(cluster.oracles.map((o) => o.start()));
    const stateDir = join(cluster.dir, 'agent');
    if (!hasState(stateDir)) await cluster.enroll(DEV_IDENTITY, stateDir);
    const agent = await cluster.startAgent(stateDir, join(cluster.dir, 'agent.sock'));
    for (const p of [...cluster.oracles.map((o) => o.proc!), agent.proc!]) {
      p.once('exit', (code, sig) => {
        if (!stopping) opts.log.error({ pid: p.pid, code, sig }, 'a dev cluster process exited');
      });
    }
    // Real work: one co-signed signature, checked with node:crypto.
    const msg = Buffer.from(`mpcid dev up ${new Date().toISOString()}`);
    const res = await agent.sign(msg);
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: res.publicKey.toString('base64url') },
      format: 'jwk',
    });
    if (!verify(null, msg, key, res.signature))
      throw new MpcidError('INTERNAL', 'the dev cluster made a signature that does not verify');
    opts.log.info(
      { kid: res.kid, dir: cluster.dir },
      'dev cluster up; co-signed a test message and verified it with node:crypto',
    );
    process.stdout.write(
      `${JSON.stringify({
        socket: agent.socket,
        stateDir,
        oracles: cluster.oracles.map((o) => o.address),
        admin: cluster.oracles[0]!.config.adminListen,
        ...(cluster.tls ? { tls: cluster.tls.adminDir } : {}),
        http: cluster.oracles.flatMap((o) => (o.config.http ? [`http://${o.config.http.listen}`] : [])),
      })}\n`,
    );
  } catch (e) {
    await stop();
    throw e;
  }
}
