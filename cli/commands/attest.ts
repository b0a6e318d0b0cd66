/** `mpcid attest`: fetch a co-signed attestation for a nonce from the agent. */

import { resolve } from 'node:path';
import { call } from '../../common/grpc.js';
import { alg, int, optional, opts, str, using } from '../args.js';
import { workloadClient } from '../clients.js';
import type { Command } from '../command.js';

export const attest: Command = {
  names: ['attest'],
  summary: 'fetch a co-signed attestation for a nonce from the agent',
  usage: `mpcid attest [--alg EdDSA|ES256] --socket PATH --nonce NONCE [--claims JSON] [--audience AUD]`,
  async run(args) {
    const { values } = opts(args, {
      socket: 'string',
      nonce: 'string',
      claims: 'string',
      audience: 'string',
      ttl: 'string',
      alg: 'string',
    });
    await using(workloadClient(resolve(str(values, 'socket'))), 'attest', async (wl) => {
      const req = {
        nonce: str(values, 'nonce'),
        claimsJson: optional(values['claims']),
        audience: optional(values['audience']).split(',').filter(Boolean),
        ttlSeconds: int(values, 'ttl', 0),
        alg: alg(values),
      };
      process.stdout.write(`${(await call(wl, wl.Attest, req, 30_000)).token}\n`);
    });
  },
};
