/** `mpcid alerts watch`: stream clone alerts (admin API). */

import { watchAlerts } from '../alerts.js';
import { clientTls, int, opts, str, TLS_OPTS } from '../args.js';
import type { Command } from '../command.js';

export const alertsWatch: Command = {
  names: ['alerts watch'],
  summary: 'stream clone alerts (admin API)',
  usage: `mpcid alerts watch --admin ADDR [--cursor N]                                [TLS]`,
  async run(args) {
    const { values } = opts(args, { admin: 'string', cursor: 'string', ...TLS_OPTS });
    const address = str(values, 'admin');
    const cursor = int(values, 'cursor', 0);
    await watchAlerts(address, cursor, clientTls(values).tls);
  },
};
