/** `mpcid cert issue`: issue a TLS bundle from the cluster CA (agent, admin or oracle role). */

import { resolve } from 'node:path';
import { issueBundle, ROLES, type Role } from '../../common/tls.js';
import { int, list, opts, str, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const certIssue: Command = {
  names: ['cert issue'],
  summary: 'issue a TLS bundle from the cluster CA (agent, admin or oracle role)',
  usage: `mpcid cert issue --ca DIR --name NAME --out DIR [--role agent|admin|oracle[,..]] [--san NAME,..] [--days D]`,
  async run(args) {
    const { values } = opts(args, {
      ca: 'string',
      name: 'string',
      out: 'string',
      role: 'string',
      san: 'string',
      days: 'string',
    });
    const roles = values['role'] === undefined ? ['agent'] : list(values['role']);
    const bad = roles.find((r) => !(ROLES as readonly string[]).includes(r));
    if (bad !== undefined || roles.length === 0)
      throw new UsageError(`--role: one or more of ${ROLES.join(', ')}${bad ? ` (not ${bad})` : ''}`);
    const name = str(values, 'name');
    // A URI name (an agent's SPIFFE ID) is also its URI SAN.
    const sans = [...(/^[a-z][a-z0-9+.-]*:\/\//i.test(name) ? [name] : []), ...list(values['san'])];
    const files = issueBundle(resolve(str(values, 'ca')), resolve(str(values, 'out')), {
      name,
      roles: roles as Role[],
      sans,
      ...(values['days'] === undefined ? {} : { days: int(values, 'days', 0) }),
    });
    process.stdout.write(`${JSON.stringify({ ...files, roles })}\n`);
  },
};
