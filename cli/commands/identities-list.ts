/** `mpcid identities list`: list enrolled identities (admin API). */

import { call } from '../../common/grpc.js';
import { clientTls, opts, str, TLS_OPTS, using } from '../args.js';
import { adminClient } from '../clients.js';
import type { Command } from '../command.js';

export const identitiesList: Command = {
  names: ['identities list'],
  summary: 'list enrolled identities (admin API)',
  usage: `mpcid identities list --admin ADDR                                          [TLS]`,
  async run(args) {
    const { values } = opts(args, { admin: 'string', ...TLS_OPTS });
    const address = str(values, 'admin');
    await using(adminClient(address, clientTls(values).tls), 'identities list', async (admin) => {
      let pageToken = '';
      do {
        const res = await call(admin, admin.ListIdentities, { pageSize: 100, pageToken }, 10_000);
        for (const i of res.identities) {
          process.stdout.write(`${JSON.stringify({ ...i, publicKey: i.publicKey.toString('base64url') })}\n`);
        }
        pageToken = res.nextPageToken;
      } while (pageToken);
    });
  },
};
