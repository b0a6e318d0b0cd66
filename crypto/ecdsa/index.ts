/**
 * Threshold ECDSA (DKLs23, "Threshold ECDSA in Three Rounds", eprint 2023/765) for the agent and
 * t oracles: pairwise OT-extension setup at enrollment (PairSetup -> PairState) and three-round
 * signing (EcdsaSigner in ./sign.ts, combineSignature in ./combine.ts) with the zero-share re-randomisation of Protocol 3.6
 * step 7. See ./sign.ts for the protocol.
 */

export { combineSignature } from './combine.js';
export type { EcdsaCurve, PartyId } from './curve.js';
export { lagrangeAt0 } from './curve.js';
export { Presignature } from './presign.js';
export { PairSetup, PairState, SETUP_ROUNDS } from './setup.js';
export {
  EcdsaSigner,
  ROUND1_LEN,
  ROUND2_LEN,
  SHARE_LEN,
  type SignerOptions,
} from './sign.js';
