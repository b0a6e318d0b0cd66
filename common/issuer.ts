/**
 * What the agent and the oracles both build or check for the federation issuer (docs/protocol.md
 * §10): the states of the key set, the fields of the agent's signature on an IssuerRound request,
 * and the audience rule of issuer-key tokens.
 */

import type { Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import { relayBinding } from './ecdsa-wire.js';
import { MpcidError } from './errors.js';

/** Keys the issuer JWKS holds at most: previous, current, next. */
export const ISSUER_MAX_KEYS = 3;

/** The state of each key of a set of `count` keys, oldest first. */
export function issuerKeyStates(count: number): string[] {
  if (count === 0) return [];
  if (count === 1) return ['current'];
  if (count === 2) return ['current', 'next'];
  return ['previous', 'current', 'next'];
}

/** Fields of the agent's session-key signature on an IssuerRound request. */
export function issuerRoundFields(
  identityId: string,
  session: Uint8Array,
  round: number,
  envelopes: readonly Pick<Envelope__Output, 'from' | 'to' | 'round' | 'sealed' | 'signature'>[],
) {
  return [identityId, session, round, relayBinding(envelopes)];
}

/** Every `aud` of an issuer-key token must be configured (AUDIENCE_NOT_ALLOWED otherwise). */
export function checkAudiences(aud: unknown, allowed: readonly string[]): void {
  const list = Array.isArray(aud) ? aud : [aud];
  for (const a of list) {
    if (typeof a !== 'string' || !allowed.includes(a))
      throw new MpcidError(
        'AUDIENCE_NOT_ALLOWED',
        `audience ${JSON.stringify(typeof a === 'string' ? a.slice(0, 128) : a)} is not in cluster.federation.audiences`,
      );
  }
}
