/**
 * `mpcid dev up`: a local cluster of n oracle processes and one enrolled agent on loopback, on
 * embedded defaults. Reuses DIR if it already holds a cluster (same keys, same identity).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enroll } from '../agent/enroll.js';
import { hasState } from '../agent/state.js';
import { freePorts, initCluster, oracleDir } from '../common/cluster.js';
import { loadOracleConfig } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { call } from '../common/grpc.js';
import type { Logger } from '../common/log.js';
import { adminClient, workloadClient } from './clients.js';

const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

export interface DevUpOptions {
  dir?: string;
  n: number;
  t: number;
  log: Logger;
}

function spawnLogged(args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', fd, fd] });
}

async function waitFor(
  what: string,
  child: ChildProcess,
  probe: () => Promise<unknown>,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new MpcidError('NOT_READY', `${what} exited with code ${child.exitCode}; see its log`);
    try {
      await probe();
      return;
    } catch (e) {
      if (Date.now() > until)
        throw new MpcidError('NOT_READY', `${what} did not become ready: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

export async function devUp(opts: DevUpOptions): Promise<void> {
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), 'mpcid-dev-')));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  if (!existsSync(join(dir, 'cluster.json'))) {
    const ports = await freePorts(2 * opts.n);
    initCluster({
      dir,
      n: opts.n,
      t: opts.t,
      clusterId: 'dev',
      hosts: Array(opts.n).fill('127.0.0.1'),
      ports: ports.slice(0, opts.n),
      adminPorts: ports.slice(opts.n),
    });
  }
  const cluster = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { n: number };
  const configs = Array.from({ length: cluster.n }, (_, i) =>
    loadOracleConfig(join(oracleDir(dir, i + 1), 'config.json')),
  );
  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((res) => {
            if (c.exitCode !== null || c.signalCode !== null) return res();
            const kill = setTimeout(() => c.kill('SIGKILL'), 5_000);
            c.once('exit', () => {
              clearTimeout(kill);
              res();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
  };
  const onSignal = () => {
    opts.log.info('stopping the dev cluster');
    void stopAll().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    configs.forEach((cfg, i) => {
      const child = spawnLogged(
        ['oracle', '--config', join(oracleDir(dir, i + 1), 'config.json')],
        join(dir, 'logs', `oracle-${cfg.nodeId}.log`),
      );
      child.on('exit', (code, sig) => {
        if (!stopping) opts.log.error({ nodeId: cfg.nodeId, code, sig }, 'oracle exited');
      });
      children.push(child);
    });
    const admins = configs.map((c) => adminClient(c.adminListen));
    await Promise.all(
      admins.map((a, i) => waitFor(`oracle ${i + 1}`, children[i]!, () => call(a, a.GetNodeInfo, {}, 1000))),
    );

    const stateDir = join(dir, 'agent');
    if (!hasState(stateDir)) {
      const admin = admins[0]!;
      const { token } = await call(
        admin,
        admin.CreateJoinToken,
        { name: 'spiffe://dev.mpcid.local/workload/demo', ttlSeconds: 600 },
        5000,
      );
      await enroll({ token, stateDir, log: opts.log });
    }
    for (const a of admins) a.close();
    const socket = join(dir, 'agent.sock');
    const agent = spawnLogged(
      ['agent', 'run', '--state', stateDir, '--socket', socket],
      join(dir, 'logs', 'agent.log'),
    );
    agent.on('exit', (code, sig) => {
      if (!stopping) opts.log.error({ code, sig }, 'agent exited');
    });
    children.push(agent);
    const wl = workloadClient(socket);
    await waitFor('agent', agent, () => call(wl, wl.GetIdentity, {}, 1000));

    // Real work: one co-signed signature, checked with node:crypto.
    const msg = Buffer.from(`mpcid dev up ${new Date().toISOString()}`);
    const res = await call(wl, wl.Sign, { message: msg }, 10_000);
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: res.publicKey.toString('base64url') },
      format: 'jwk',
    });
    if (!verify(null, msg, key, res.signature))
      throw new MpcidError('INTERNAL', 'dev cluster produced a signature that does not verify');
    wl.close();
    opts.log.info(
      { kid: res.kid },
      'dev cluster up; co-signed a test message and verified it with node:crypto',
    );

    process.stdout.write(
      `${JSON.stringify({
        socket,
        stateDir,
        oracles: configs.map((c) => c.cluster.oracles.find((o) => o.id === c.nodeId)!.address),
        admin: configs[0]!.adminListen,
        http: [],
      })}\n`,
    );
  } catch (e) {
    await stopAll();
    throw e;
  }
}
