/** `mpcid token create`: create a join token for a new identity (admin API). */

import { call } from '../../common/grpc.js';
import { parseRequiredClaims } from '../../common/jwt.js';
import { parseRequiredRegisters } from '../../common/registers.js';
import { clientTls, int, optional, opts, str, TLS_OPTS, UsageError, using } from '../args.js';
import { adminClient } from '../clients.js';
import type { Command } from '../command.js';

export const tokenCreate: Command = {
  names: ['token create'],
  summary: 'create a join token for a new identity (admin API)',
  usage: `mpcid token create --admin ADDR --name NAME [--ttl SECONDS] [--require JSON] [--require-register N=HEX]... [TLS]
      --require '{"image":"sha256:..."}': claims every token and quote of the identity must carry
      --require-register 3=<64 hex>: a register value every token, quote and unseal requires`,
  async run(args) {
    const { values } = opts(args, {
      admin: 'string',
      name: 'string',
      ttl: 'string',
      require: 'string',
      'require-register': 'strings',
      ...TLS_OPTS,
    });
    const address = str(values, 'admin');
    str(values, 'name');
    const required = optional(values['require']);
    // Checked here too, so a typo is reported before anything is asked of the oracle.
    if (required !== '') parseRequiredClaims(required, '--require');
    const regs = (values['require-register'] as string[] | undefined) ?? [];
    const pairs = regs.map((r) => {
      const at = r.indexOf('=');
      if (at < 1) throw new UsageError('--require-register: N=HEX');
      return [r.slice(0, at), r.slice(at + 1)] as const;
    });
    const registers =
      pairs.length > 0 ? parseRequiredRegisters(Object.fromEntries(pairs), '--require-register') : undefined;
    await using(adminClient(address, clientTls(values).tls), 'token create', async (admin) => {
      const req = {
        name: str(values, 'name'),
        ttlSeconds: int(values, 'ttl', 0),
        requiredClaimsJson: required,
        requiredRegistersJson: registers ? JSON.stringify(registers) : '',
      };
      const res = await call(admin, admin.CreateJoinToken, req, 10_000);
      process.stdout.write(`${res.token}\n`);
    });
  },
};
