/**
 * `mpcid agent run`: loads the state dir and serves the Workload API on a Unix socket. An
 * identity whose ES256 setup did not finish at enrollment gets it now, in the background (ES256
 * requests answer NO_ES256_KEY until it has).
 */
import { chmodSync, rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { bind, SERVER_OPTIONS, services, shutdown } from '../common/grpc.js';
import { LOG, type Logger } from '../common/log.js';
import { trustDomainOf } from '../common/spiffe.js';
import type { TlsMaterial } from '../common/tls.js';
import { cryptoBackend } from '../crypto/ed25519-native.js';
import { BundleWatcher, DEFAULT_BUNDLE_REFRESH_MS } from './bundle.js';
import { Cosigner, type CosignerOptions } from './cosigner.js';
import { withEs256 } from './enroll.js';
import { closeOracles, connectOracles } from './oracles.js';
import { readRatchet } from './ratchet.js';
import { spiffeHandlers } from './spiffe.js';
import { readState } from './state.js';
import { tokenMaker, workloadHandlers } from './workload.js';

export interface RunningAgent {
  readonly identityId: string;
  readonly socket: string;
  stop(): Promise<void>;
}

export async function startAgent(
  opts: {
    stateDir: string;
    socket: string;
    log: Logger;
    /** mTLS to the oracles (the agent's certificate and the cluster CA); null for plaintext. */
    tls: TlsMaterial | null;
    /** How often the SPIFFE JWT bundle is polled from the oracles (ms). */
    bundleRefreshMs?: number;
  } & CosignerOptions,
): Promise<RunningAgent> {
  const { log } = opts;
  const state = readState(opts.stateDir);
  const ratchet = readRatchet(opts.stateDir, state);
  if (!opts.tls) {
    log.warn(
      { tls: 'insecure' },
      'TLS IS OFF (--insecure): calls to the oracles are plaintext and unauthenticated. Use only for local development.',
    );
  }
  const backend = cryptoBackend();
  if (backend.name !== 'sodium') {
    log.warn(
      { backend: backend.name, reason: backend.loadError },
      'sodium-native did not load: FROST signing uses @noble/curves (correct, ~40x slower)',
    );
  }
  const clients = connectOracles(state.cluster, opts.tls);
  const cosigner = new Cosigner(state, opts.stateDir, ratchet, clients, log, {
    ...opts,
    clusterCa: opts.tls?.ca,
  });
  const server = new grpc.Server(SERVER_OPTIONS);
  const token = tokenMaker(state, cosigner, { clients, deadlineMs: opts.deadlineMs ?? 3_000 });
  server.addService(
    services().workload.mpcid.agent.v1.Workload.service,
    workloadHandlers(state, cosigner, log, token),
  );
  // The SPIFFE Workload API on the same socket (agent/spiffe.ts).
  const trustDomain = trustDomainOf(state.name);
  const bundles = trustDomain
    ? new BundleWatcher({
        clients,
        t: state.cluster.t,
        trustDomain,
        refreshMs: opts.bundleRefreshMs ?? DEFAULT_BUNDLE_REFRESH_MS,
        deadlineMs: opts.deadlineMs ?? 3_000,
        log,
      })
    : undefined;
  const streams = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  server.addService(
    services().spiffe.SpiffeWorkloadAPI.service,
    spiffeHandlers({ state, cosigner, token, bundles, log, streams }),
  );
  rmSync(opts.socket, { force: true });
  await bind(server, `unix://${opts.socket}`);
  // Workloads of the same user or group may use the socket; others may not.
  chmodSync(opts.socket, 0o660);
  log.info(
    {
      [LOG.identity]: state.identityId,
      [LOG.name]: state.name,
      socket: opts.socket,
      tls: opts.tls ? 'mtls' : 'insecure',
    },
    'agent serving the Workload API',
  );
  cosigner.start();
  const setup =
    state.es256 || cosigner.revoked || !state.algs.includes('ES256')
      ? Promise.resolve()
      : withEs256(opts.stateDir, state, clients, 15_000, log).then((s) => {
          if (s.es256) cosigner.es256 = s.es256;
        });
  let stopping: Promise<void> | undefined;
  return {
    identityId: state.identityId,
    socket: opts.socket,
    stop() {
      stopping ??= (async () => {
        bundles?.stop();
        // Open FetchJWTBundles streams end UNAVAILABLE; SPIFFE clients reconnect (Workload API §4.2).
        for (const s of streams)
          s.emit('error', { code: grpc.status.UNAVAILABLE, details: 'NOT_READY: agent stopping' });
        streams.clear();
        await shutdown(server);
        await setup;
        await cosigner.stop();
        closeOracles(clients);
        rmSync(opts.socket, { force: true });
        log.info('agent stopped');
      })();
      return stopping;
    },
  };
}
