/**
 * The JWT bundle service (agent port, role agent): the JWT-SVID signing keys of one SPIFFE trust
 * domain, i.e. the ES256 key of every active identity whose registered name is a SPIFFE ID in
 * it. Agents ask every oracle and keep the keys a quorum agrees on (agent/bundle.ts), then serve
 * them to workloads as the SPIFFE Workload API's JWT bundle. Read-only: nothing changes state.
 *
 * On a cluster whose JWT-SVIDs are signed by the federation issuer key (cluster.federation
 * jwtSvidKey "issuer"), the issuer's key set (previous, current, next) is in every trust domain's
 * bundle too, with identity_id empty, so SPIFFE clients validate issuer-key SVIDs the same way.
 *
 * Cost: one scan of the public identity records per call (no secret is decrypted); agents poll
 * it every few seconds, which is fine for thousands of identities, not for millions.
 */
import { federationOf } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import { parseTrustDomain, trustDomainOf } from '../common/spiffe.js';
import { fromB64u } from '../crypto/bytes.js';
import type { BundleHandlers } from '../proto/gen/mpcid/oracle/v1/Bundle.js';
import type { OracleContext } from './context.js';
import type { IssuerService } from './issuer.js';
import type { RevocationService } from './revocation.js';

const SCAN_PAGE = 500;

export function bundleHandlers(
  ctx: OracleContext,
  revocations: RevocationService,
  issuer: IssuerService,
): BundleHandlers {
  return {
    GetJwtBundle: unary(ctx.log, 'GetJwtBundle', async (req) => {
      const td = parseTrustDomain(req.trustDomain);
      const keys: { kid: string; publicKey: Buffer; identityId: string }[] = [];
      let known = false;
      for (let after = ''; ; ) {
        const page = await ctx.store.listIdentities(after, SCAN_PAGE);
        for (const r of page) {
          if (trustDomainOf(r.name) !== td) continue;
          known = true;
          if (!r.ecdsa || revocations.get(r.identityId)) continue;
          keys.push({
            kid: r.ecdsa.kid,
            publicKey: Buffer.from(fromB64u(r.ecdsa.publicKey, 'publicKey')),
            identityId: r.identityId,
          });
        }
        if (page.length < SCAN_PAGE) break;
        after = page[page.length - 1]!.identityId;
      }
      if (!known)
        throw new MpcidError('UNKNOWN_TRUST_DOMAIN', `no identity of this cluster is in trust domain ${td}`);
      if (federationOf(ctx.config.cluster).jwtSvidKey === 'issuer')
        for (const k of issuer.publicKeys())
          keys.push({ kid: k.kid, publicKey: Buffer.from(k.publicKey), identityId: '' });
      keys.sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
      return { keys };
    }),
  };
}
