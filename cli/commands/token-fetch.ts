/** `mpcid token fetch`: fetch a co-signed JWT from the agent (ES256 unless --alg EdDSA). */

import { resolve } from 'node:path';
import { call } from '../../common/grpc.js';
import { alg, int, optional, opts, str, using } from '../args.js';
import { workloadClient } from '../clients.js';
import type { Command } from '../command.js';

export const tokenFetch: Command = {
  names: ['token fetch'],
  summary: 'fetch a co-signed JWT from the agent',
  usage: `mpcid token fetch [--alg ES256|EdDSA] [--key identity|issuer] --socket PATH --audience AUD[,AUD] [--ttl SECONDS] [--claims JSON]`,
  async run(args) {
    const { values } = opts(args, {
      socket: 'string',
      audience: 'string',
      ttl: 'string',
      claims: 'string',
      alg: 'string',
      key: 'string',
    });
    await using(workloadClient(resolve(str(values, 'socket'))), 'token fetch', async (wl) => {
      const req = {
        audience: str(values, 'audience').split(','),
        ttlSeconds: int(values, 'ttl', 0),
        extraClaimsJson: optional(values['claims']),
        alg: alg(values, 'ES256'),
        // "": the cluster's choice (cluster.federation.jwtSvidKey); issuer: the federation issuer key.
        key: optional(values['key']),
      };
      process.stdout.write(`${(await call(wl, wl.FetchJWT, req, 30_000)).token}\n`);
    });
  },
};
