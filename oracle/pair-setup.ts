/**
 * How an oracle finishes DKLs23's pairwise setup (docs/ecdsa.md §2) into the pair states it
 * stores: one copy for ES256 setup (oracle/ecdsa-setup.ts) and the federation issuer's key
 * generation (oracle/issuer-setup.ts). The setup messages themselves are built by
 * common/ecdsa-wire.ts setupEnvelopes, which the agent uses too.
 */
import { toB64u } from '../crypto/bytes.js';
import type { PairSetup } from '../crypto/ecdsa/index.js';
import type { DkgParticipant, GroupPublic, Round1Package } from '../crypto/frost.js';
import type { BoxKeyPair } from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import type { EcdsaSecrets } from './records.js';

/**
 * An oracle's state in a P-256 DKG followed by the pair setups, between rounds (ES256 setup and
 * the issuer's key generation each add their own fields); `responses` keeps each round's answer
 * for a retry of the same request.
 */
export interface PairSetupProgress<Response> {
  setupId: Uint8Array;
  context: Uint8Array;
  round: number;
  dkg: DkgParticipant;
  box: BoxKeyPair;
  responses: Map<number, Response>;
  all?: Round1Package[];
  oracleBox?: Map<number, Uint8Array>;
  channels?: Map<number, Secret>;
  pairSetups?: Map<number, PairSetup>;
  key?: { group: GroupPublic; share: Secret };
  timer: NodeJS.Timeout;
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
