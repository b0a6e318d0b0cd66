/** `mpcid alerts dead`: list the alerts a receiver refused past the dead-letter bound (admin API). */

import { listDeadLetters } from '../alerts.js';
import { clientTls, opts, str, TLS_OPTS } from '../args.js';
import type { Command } from '../command.js';

export const alertsDead: Command = {
  names: ['alerts dead'],
  summary: 'list the alerts a receiver refused past the dead-letter bound (admin API)',
  usage: `mpcid alerts dead --admin ADDR                                              [TLS]`,
  async run(args) {
    const { values } = opts(args, { admin: 'string', ...TLS_OPTS });
    const address = str(values, 'admin');
    await listDeadLetters(address, clientTls(values).tls);
  },
};
