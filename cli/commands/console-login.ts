/** `mpcid console login`: a short-lived login link to an oracle's console (admin API). */

import { consoleLogin } from '../alerts.js';
import { clientTls, opts, str, TLS_OPTS, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const consoleLoginCommand: Command = {
  names: ['console login'],
  summary: "a short-lived login link to an oracle's console (admin API)",
  usage: `mpcid console login --admin ADDR [--base URL]                               [TLS]`,
  async run(args) {
    const { values } = opts(args, { admin: 'string', base: 'string', ...TLS_OPTS });
    const address = str(values, 'admin');
    const base = values['base'];
    if (base !== undefined && (typeof base !== 'string' || !/^https?:\/\/[^/?#]+\/?$/.test(base)))
      throw new UsageError('--base must be an http(s) origin, e.g. https://oracle-1:8080');
    const r = await consoleLogin(address, clientTls(values).tls, typeof base === 'string' ? base : undefined);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  },
};
