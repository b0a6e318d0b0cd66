/** `mpcid config check`: validate an oracle config file and its TLS material. */

import { loadOracleConfig } from '../../common/config.js';
import { httpsOptions } from '../../oracle/http.js';
import { oracleTls } from '../../oracle/node.js';
import { opts, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const configCheck: Command = {
  names: ['config check'],
  summary: 'validate an oracle config file and its TLS material',
  usage: `mpcid config check FILE`,
  async run(args) {
    const { positionals } = opts(args, {});
    if (positionals.length !== 1) throw new UsageError('config check takes one FILE');
    const c = loadOracleConfig(positionals[0]!);
    const tls = oracleTls(c);
    if (c.http?.tls) httpsOptions(c.http.tls);
    process.stdout.write(
      `ok: oracle ${c.nodeId} of cluster ${c.cluster.id} (n=${c.cluster.n}, t=${c.cluster.t}), ${tls ? 'mTLS' : 'TLS OFF (insecure)'}${c.http?.tls ? ', relying-party HTTPS' : ''}\n`,
    );
  },
};
