/**
 * Threshold ECDSA (DKLs23, "Threshold ECDSA in Three Rounds", eprint 2023/765) for the agent and
 * t oracles: pairwise OT-extension setup at enrollment (PairSetup -> PairState) and three-round
 * signing (EcdsaSigner, combineSignature). See ./sign.ts for the protocol and its one departure
 * from the paper (fixed public shares instead of zero-share re-randomisation).
 */
export type { EcdsaCurve, PartyId } from './curve.js';
export { lagrangeAt0 } from './curve.js';
export { PairSetup, PairState, SETUP_ROUNDS } from './setup.js';
export { combineSignature, EcdsaSigner, SHARE_LEN, type SignerOptions } from './sign.js';
