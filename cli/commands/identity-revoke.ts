/**
 * `mpcid identity revoke`: the kill switch. Signs a revocation of one identity with the operator's
 * certificate key (role admin) and gives it to one oracle, which checks it against the cluster CA,
 * revokes the identity and pushes the revocation to every peer (docs/protocol.md §7).
 */

import { call } from '../../common/grpc.js';
import { signOperatorRevocation } from '../../common/operator-revocation.js';
import { clientTls, opts, str, TLS_OPTS, UsageError, using } from '../args.js';
import { adminClient } from '../clients.js';
import type { Command } from '../command.js';

export const identityRevoke: Command = {
  names: ['identity revoke'],
  summary: "revoke an identity on the operator's signed word (kill switch; admin API, mTLS)",
  usage: `mpcid identity revoke --admin ADDR --identity ID --reason TEXT              [TLS]
      prints the revocation's evidence document (mpcid evidence verify checks it with the CA)`,
  async run(args) {
    const { values } = opts(args, { admin: 'string', identity: 'string', reason: 'string', ...TLS_OPTS });
    const address = str(values, 'admin');
    const identityId = str(values, 'identity');
    const reason = str(values, 'reason');
    const { tls } = clientTls(values);
    if (!tls)
      throw new UsageError(
        'identity revoke signs with the operator certificate: give a TLS bundle with role admin (--tls DIR)',
      );
    await using(adminClient(address, tls), 'identity revoke', async (admin) => {
      const node = await call(admin, admin.GetNodeInfo, {}, 10_000);
      const doc = signOperatorRevocation(
        { clusterId: node.clusterId, identityId, issuedAt: Date.now(), reason },
        tls.cert,
        tls.key,
      );
      const res = await call(
        admin,
        admin.RevokeIdentity,
        {
          identityId,
          reason,
          issuedAt: doc.issuedAt,
          certificate: Buffer.from(doc.certificate, 'base64url'),
          signature: Buffer.from(doc.signature, 'base64url'),
        },
        15_000,
      );
      const r = res.revocation!;
      process.stdout.write(
        `${JSON.stringify({ applied: res.applied, identityId: r.identityId, digest: r.digest, evidence: JSON.parse(r.evidenceJson) })}\n`,
      );
    });
  },
};
