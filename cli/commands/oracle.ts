/** `mpcid oracle`: run an oracle node from its config file. */

import { loadOracleConfig } from '../../common/config.js';
import { startOracle } from '../../oracle/node.js';
import { opts, str, waitForSignal } from '../args.js';
import type { Command } from '../command.js';

export const oracle: Command = {
  names: ['oracle'],
  summary: 'run an oracle node from its config file',
  usage: `mpcid oracle --config FILE`,
  async run(args) {
    const { values } = opts(args, { config: 'string' });
    const config = loadOracleConfig(str(values, 'config'));
    const oracle = await startOracle(config);
    waitForSignal(() => oracle.stop());
  },
};
