/** `mpcid token create`: create a join token for a new identity (admin API). */

import { call } from '../../common/grpc.js';
import { parseRequiredClaims } from '../../common/jwt.js';
import { clientTls, int, optional, opts, str, TLS_OPTS, using } from '../args.js';
import { adminClient } from '../clients.js';
import type { Command } from '../command.js';

export const tokenCreate: Command = {
  names: ['token create'],
  summary: 'create a join token for a new identity (admin API)',
  usage: `mpcid token create --admin ADDR --name NAME [--ttl SECONDS] [--require JSON] [TLS]
      --require '{"image":"sha256:..."}': claims every token and quote of the identity must carry`,
  async run(args) {
    const { values } = opts(args, {
      admin: 'string',
      name: 'string',
      ttl: 'string',
      require: 'string',
      ...TLS_OPTS,
    });
    const address = str(values, 'admin');
    str(values, 'name');
    const required = optional(values['require']);
    // Checked here too, so a typo is reported before anything is asked of the oracle.
    if (required !== '') parseRequiredClaims(required, '--require');
    await using(adminClient(address, clientTls(values).tls), 'token create', async (admin) => {
      const req = {
        name: str(values, 'name'),
        ttlSeconds: int(values, 'ttl', 0),
        requiredClaimsJson: required,
      };
      const res = await call(admin, admin.CreateJoinToken, req, 10_000);
      process.stdout.write(`${res.token}\n`);
    });
  },
};
