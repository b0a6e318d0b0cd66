/** `mpcid sign`: co-sign a file through the agent. */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { call } from '../../common/grpc.js';
import { alg, opts, str, using } from '../args.js';
import { workloadClient } from '../clients.js';
import type { Command } from '../command.js';

export const sign: Command = {
  names: ['sign'],
  summary: 'co-sign a file through the agent',
  usage: `mpcid sign [--alg EdDSA|ES256] --socket PATH --in FILE`,
  async run(args) {
    const { values } = opts(args, { socket: 'string', in: 'string', alg: 'string' });
    const input = str(values, 'in');
    const a = alg(values);
    const message = input === '-' ? readFileSync(0) : readFileSync(input);
    await using(workloadClient(resolve(str(values, 'socket'))), 'sign', async (wl) => {
      const res = await call(wl, wl.Sign, { message, alg: a }, 30_000);
      const out = {
        alg: res.alg,
        kid: res.kid,
        publicKey: res.publicKey.toString('base64url'),
        signature: res.signature.toString('base64url'),
      };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    });
  },
};
