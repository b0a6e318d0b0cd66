/** `mpcid agent run`: run the agent: the Workload API on a unix socket. */

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
  usage: `mpcid agent run --state DIR --socket PATH [--heartbeat-ms MS] [--deadline-ms MS]  [TLS]`,
  async run(args) {
    const { values } = opts(args, {
      state: 'string',
      socket: 'string',
      'heartbeat-ms': 'string',
      'deadline-ms': 'string',
      ...TLS_OPTS,
    });
    const stateDir = resolve(str(values, 'state'));
    const deadlineMs = int(values, 'deadline-ms', 3_000);
    if (deadlineMs < 100) throw new UsageError('--deadline-ms must be at least 100');
    const socket = str(values, 'socket');
    const saved = stateTlsDir(stateDir);
    const { tls } = clientTls(values, isBundle(saved) ? saved : undefined);
    const agent = await startAgent({
      stateDir,
      tls,
      socket: resolve(socket),
      heartbeatMs: int(values, 'heartbeat-ms', 15_000),
      deadlineMs,
      log: createLogger('agent'),
    });
    waitForSignal(() => agent.stop());
  },
};
