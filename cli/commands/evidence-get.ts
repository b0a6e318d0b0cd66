/** `mpcid evidence get`: fetch the revocation evidence of an identity (admin API). */

import { getEvidence } from '../alerts.js';
import { clientTls, opts, str, TLS_OPTS } from '../args.js';
import type { Command } from '../command.js';

export const evidenceGet: Command = {
  names: ['evidence get'],
  summary: 'fetch the revocation evidence of an identity (admin API)',
  usage: `mpcid evidence get --admin ADDR --identity ID                               [TLS]`,
  async run(args) {
    const { values } = opts(args, { admin: 'string', identity: 'string', ...TLS_OPTS });
    const address = str(values, 'admin');
    const identity = str(values, 'identity');
    const doc = await getEvidence(address, identity, clientTls(values).tls);
    process.stdout.write(`${JSON.stringify(doc)}\n`);
  },
};
