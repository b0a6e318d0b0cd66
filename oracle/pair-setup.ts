/**
 * The OT setup messages of DKLs23's pairwise setup (docs/ecdsa.md §2) as an oracle sends and
 * finishes them, sealed under each pair's channel key: one copy for ES256 setup (oracle/ecdsa.ts)
 * and the federation issuer's key generation (oracle/issuer-setup.ts).
 */
import { envelopeToWire } from '../common/ecdsa-wire.js';
import { toB64u } from '../crypto/bytes.js';
import type { PairSetup } from '../crypto/ecdsa/index.js';
import { sealEnvelope } from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import type { Envelope } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { EcdsaSecrets } from './store.js';

/**
 * This party's OT setup messages of setup round `round` to every peer, sealed under the pair's
 * channel key (ES256 setup and the federation issuer's, oracle/issuer-setup.ts).
 */
export function setupEnvelopes(
  me: number,
  pairSetups: ReadonlyMap<number, PairSetup>,
  channels: ReadonlyMap<number, Secret>,
  context: Uint8Array,
  round: number,
  incoming: ReadonlyMap<number, Uint8Array>,
): Envelope[] {
  const out: Envelope[] = [];
  for (const [peer, ps] of pairSetups) {
    const msg = ps.next(round === 1 ? undefined : incoming.get(peer)!);
    out.push(
      envelopeToWire(
        me,
        peer,
        round,
        sealEnvelope(channels.get(peer)!, 'setup', context, round, me, peer, msg),
      ),
    );
  }
  return out;
}

/** Finishes every pair setup with the peers' last messages: the pairs as stored (EcdsaSecrets). */
export function finishPairs(
  pairSetups: ReadonlyMap<number, PairSetup>,
  channels: ReadonlyMap<number, Secret>,
  incoming: ReadonlyMap<number, Uint8Array>,
): EcdsaSecrets['pairs'] {
  const pairs: EcdsaSecrets['pairs'] = [];
  for (const [peer, ps] of pairSetups) {
    const state = ps.finish(incoming.get(peer)!);
    pairs.push({
      party: peer,
      channelKey: toB64u(channels.get(peer)!.expose()),
      state: toB64u(state.toBytes().expose()),
    });
  }
  return pairs;
}
