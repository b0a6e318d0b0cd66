/**
 * The access structure of PROTOCOL.md §3: "the agent AND t of n oracles".
 *
 * One Shamir sharing (RFC 9591 §5 / Appendix C) of threshold T = n + 1 over N = n + w points,
 * where oracle i (1..n) holds point i and the agent holds the w = n - t + 1 points n+1..n+w:
 *
 *   agent + t oracles       = w + t = n + 1 = T  -> can sign
 *   all n oracles           = n     < T          -> cannot
 *   agent + (t - 1) oracles = n     < T          -> cannot
 *
 * Quorums are majorities (n/2 < t <= n), so any two quorums share an oracle.
 */
import { CryptoError } from './errors.js';

/** Largest cluster we accept; keeps participant indices small and DKG transcripts bounded. */
export const MAX_ORACLES = 31;

export interface AccessStructure {
  /** Number of oracle nodes. */
  readonly n: number;
  /** Quorum of oracles needed (with the agent) to sign. */
  readonly t: number;
  /** Number of evaluation points the agent holds: n - t + 1. */
  readonly w: number;
  /** Signing threshold (RFC 9591 MIN_PARTICIPANTS): n + 1. */
  readonly threshold: number;
  /** Number of points (RFC 9591 MAX_PARTICIPANTS): n + w. */
  readonly total: number;
}

/**
 * Builds and validates the access structure for n oracles with quorum t.
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function accessStructure(n: number, t: number): AccessStructure {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ORACLES) {
    throw new CryptoError('MALFORMED_INPUT', `oracle count n must be an integer in [1, ${MAX_ORACLES}]`);
  }
  if (!Number.isSafeInteger(t) || 2 * t <= n || t > n) {
    throw new CryptoError('MALFORMED_INPUT', `quorum t must satisfy n/2 < t <= n (n=${n}, t=${t})`);
  }
  const w = n - t + 1;
  return Object.freeze({ n, t, w, threshold: n + 1, total: n + w });
}

/** Participant indices held by the agent: n+1 .. n+w. */
export function agentParticipants(as: AccessStructure): number[] {
  return Array.from({ length: as.w }, (_, i) => as.n + 1 + i);
}

/** Participant indices held by oracles: 1 .. n (the oracle's node id). */
export function oracleParticipants(as: AccessStructure): number[] {
  return Array.from({ length: as.n }, (_, i) => i + 1);
}

export function isOracleParticipant(as: AccessStructure, p: number): boolean {
  return Number.isSafeInteger(p) && p >= 1 && p <= as.n;
}

export function isAgentParticipant(as: AccessStructure, p: number): boolean {
  return Number.isSafeInteger(p) && p > as.n && p <= as.total;
}

/**
 * Checks that `participants` is a valid signing set: every agent point plus exactly t distinct
 * oracles. Returns the oracle indices in ascending order.
 * May throw CryptoError: BAD_PARTICIPANT.
 */
export function checkSigningSet(as: AccessStructure, participants: readonly number[]): number[] {
  const seen = new Set<number>();
  for (const p of participants) {
    if (!Number.isSafeInteger(p) || p < 1 || p > as.total) {
      throw new CryptoError('BAD_PARTICIPANT', `participant ${String(p)} is outside 1..${as.total}`);
    }
    if (seen.has(p)) throw new CryptoError('BAD_PARTICIPANT', `participant ${p} appears twice`);
    seen.add(p);
  }
  for (const a of agentParticipants(as)) {
    if (!seen.has(a)) throw new CryptoError('BAD_PARTICIPANT', `signing set lacks agent participant ${a}`);
  }
  const oracles = [...seen].filter((p) => p <= as.n).sort((a, b) => a - b);
  if (oracles.length !== as.t) {
    throw new CryptoError('BAD_PARTICIPANT', `signing set has ${oracles.length} oracles, quorum is ${as.t}`);
  }
  return oracles;
}
