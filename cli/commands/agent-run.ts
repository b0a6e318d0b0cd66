/**
 * `mpcid agent run`: run the agent: mpcid's Workload API and the SPIFFE Workload API on one unix
 * socket, --socket or else $SPIFFE_ENDPOINT_SOCKET (`unix:///absolute/path`, SPIFFE Workload
 * Endpoint §4).
 */

import { resolve } from 'node:path';
import { startAgent } from '../../agent/daemon.js';
import { stateTlsDir } from '../../agent/enroll.js';
import { createLogger } from '../../common/log.js';
import { isBundle } from '../../common/tls.js';
import { clientTls, int, opts, str, TLS_OPTS, UsageError, waitForSignal } from '../args.js';
import type { Command } from '../command.js';

export const agentRun: Command = {
  names: ['agent run'],
  summary: 'run the agent: the Workload API on a unix socket',
  usage: `mpcid agent run --state DIR [--socket PATH] [--heartbeat-ms MS] [--deadline-ms MS]
           [--bundle-refresh-ms MS] [--es256-presigns N]  [TLS]   (no --socket: $SPIFFE_ENDPOINT_SOCKET, unix:///PATH)`,
  async run(args) {
    const { values } = opts(args, {
      state: 'string',
      socket: 'string',
      'heartbeat-ms': 'string',
      'deadline-ms': 'string',
      'bundle-refresh-ms': 'string',
      'es256-presigns': 'string',
      ...TLS_OPTS,
    });
    const stateDir = resolve(str(values, 'state'));
    const deadlineMs = int(values, 'deadline-ms', 3_000);
    if (deadlineMs < 100) throw new UsageError('--deadline-ms must be at least 100');
    const socket =
      typeof values['socket'] === 'string'
        ? values['socket']
        : endpointSocket(process.env['SPIFFE_ENDPOINT_SOCKET']);
    const bundleRefreshMs = int(values, 'bundle-refresh-ms', 5_000);
    if (bundleRefreshMs < 100) throw new UsageError('--bundle-refresh-ms must be at least 100');
    const saved = stateTlsDir(stateDir);
    const { tls } = clientTls(values, isBundle(saved) ? saved : undefined);
    const agent = await startAgent({
      stateDir,
      tls,
      socket: resolve(socket),
      heartbeatMs: int(values, 'heartbeat-ms', 15_000),
      es256Presigns: int(values, 'es256-presigns', 2),
      deadlineMs,
      bundleRefreshMs,
      log: createLogger('agent'),
    });
    waitForSignal(() => agent.stop());
  },
};

/**
 * The socket path of $SPIFFE_ENDPOINT_SOCKET: `unix:` + an absolute path, no authority, query or
 * fragment (SPIFFE Workload Endpoint §4). The agent serves Unix sockets only, so `tcp://` is refused.
 */
export function endpointSocket(env: string | undefined): string {
  if (env === undefined || env === '')
    throw new UsageError('--socket is required (or set SPIFFE_ENDPOINT_SOCKET=unix:///path/to/agent.sock)');
  let u: URL;
  try {
    u = new URL(env);
  } catch {
    throw new UsageError('SPIFFE_ENDPOINT_SOCKET: not a URI (expected unix:///path/to/agent.sock)');
  }
  if (u.protocol !== 'unix:')
    throw new UsageError('SPIFFE_ENDPOINT_SOCKET: the agent serves a Unix socket only (unix:///path)');
  if (u.host !== '' || u.username !== '' || u.search !== '' || u.hash !== '' || !u.pathname.startsWith('/'))
    throw new UsageError(
      'SPIFFE_ENDPOINT_SOCKET: expected unix:///absolute/path, with no host, query or fragment',
    );
  return decodeURIComponent(u.pathname);
}
