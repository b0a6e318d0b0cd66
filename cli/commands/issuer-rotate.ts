/**
 * `mpcid issuer rotate`: add a next key to the federation issuer's key set (admin API,
 * IssuerAdmin.RotateIssuer). The oracle asked runs a DKG among all n oracles; the new key is
 * published as next, the current one keeps signing until the following rotation, and the oldest
 * of three leaves the JWKS (docs/protocol.md §10). Prints the new key set as JSON.
 */

import { CLIENT_OPTIONS, call, services } from '../../common/grpc.js';
import { channelCredentials } from '../../common/tls.js';
import { clientTls, opts, str, TLS_OPTS, using } from '../args.js';
import type { Command } from '../command.js';

/** A DKG and OT setup among every oracle: seconds, more on a loaded host. */
const ROTATE_DEADLINE_MS = 180_000;

export const issuerRotate: Command = {
  names: ['issuer rotate'],
  summary: 'add a next federation issuer key and retire the oldest (admin API)',
  usage: `mpcid issuer rotate --admin ADDR                                            [TLS]`,
  async run(args) {
    const { values } = opts(args, { admin: 'string', ...TLS_OPTS });
    const address = str(values, 'admin');
    const client = new (services().admin.mpcid.admin.v1.IssuerAdmin)(
      address,
      channelCredentials(clientTls(values).tls),
      CLIENT_OPTIONS,
    );
    await using(client, 'issuer rotate', async (admin) => {
      const res = await call(admin, admin.RotateIssuer, {}, ROTATE_DEADLINE_MS);
      process.stdout.write(
        `${JSON.stringify({
          added: res.addedKid,
          retired: res.retiredKid || null,
          keys: res.keys.map((k) => ({ kid: k.kid, state: k.state, generation: k.generation })),
          // Oracles that have not committed the key yet (each does from its peers when back).
          uncommitted: res.uncommitted,
        })}\n`,
      );
    });
  },
};
