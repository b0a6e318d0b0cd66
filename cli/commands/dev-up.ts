/** `mpcid dev up`: a local cluster and agent doing real work (npm start). */

import { createLogger } from '../../common/log.js';
import { int, opts } from '../args.js';
import type { Command } from '../command.js';
import { devUp } from '../dev.js';

export const devUpCommand: Command = {
  names: ['dev up'],
  summary: 'a local cluster and agent doing real work (npm start)',
  usage: `mpcid dev up [--dir DIR] [--oracles N] [--quorum T] [--tls]`,
  async run(args) {
    const { values } = opts(args, { dir: 'string', oracles: 'string', quorum: 'string', tls: 'boolean' });
    const n = int(values, 'oracles', 3);
    await devUp({
      tls: values['tls'] === true,
      ...(typeof values['dir'] === 'string' ? { dir: values['dir'] } : {}),
      n,
      t: int(values, 'quorum', Math.floor(n / 2) + 1),
      log: createLogger('dev'),
    });
  },
};
