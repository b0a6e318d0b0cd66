/**
 * ES256 keys on the access structure of ./access.ts (docs/protocol.md §3): the P-256 Shamir
 * sharing made by the DKG is turned into the additive shares DKLs23 signs with (DKLs23 §3,
 * Protocol 3.6 step 7: sk_i = lagrange(P, i, 0) · p(i)). The agent's w points collapse into one
 * additive share; each oracle in the signing set has one. Public shares pk_i = sk_i · G follow
 * from the public verifying shares, so every party can check them by name.
 */
import { p256 } from '@noble/curves/nist.js';
import { type AccessStructure, agentParticipants } from './access.js';
import { lagrangeAt0 } from './ecdsa/curve.js';
import { CryptoError } from './errors.js';
import type { GroupPublic, KeyShare } from './frost.js';
import { decodeP256Scalar, P256_ORDER } from './p256.js';
import { Secret } from './secret.js';

/** The agent's party id in DKLs23 sessions; oracles use their node id. */
export const AGENT_PARTY = 0;
/** The culprit named by an abort claim when no single party can be blamed (not a party id). */
export const NO_CULPRIT = 255;

const Fn = p256.Point.Fn;

function points(as: AccessStructure, oracles: readonly number[]): number[] {
  return [...oracles, ...agentParticipants(as)];
}

function scalarOf(s: Secret): bigint {
  const b = decodeP256Scalar(s.expose(), 'share');
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

function toBytes(x: bigint): Uint8Array {
  return Fn.toBytes(x);
}

/**
 * The additive share of a party (the agent: all its shares; an oracle: its one share).
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, INTERNAL, MALFORMED_INPUT, MALFORMED_SCALAR.
 */
export function additiveShare(
  as: AccessStructure,
  oracles: readonly number[],
  shares: readonly KeyShare[],
): Secret {
  const xs = points(as, oracles);
  let sum = 0n;
  for (const s of shares) {
    if (!xs.includes(s.participant))
      throw new CryptoError('BAD_PARTICIPANT', `participant ${s.participant} is not in the signing set`);
    sum = Fn.add(sum, Fn.mul(lagrangeAt0('P-256', xs, s.participant), scalarOf(s.signingShare)));
  }
  if (sum === 0n || sum >= P256_ORDER) throw new CryptoError('INTERNAL', 'degenerate additive share');
  return new Secret(toBytes(sum), 'additive-share');
}

/**
 * pk_i of every party of the signing set, from the group's verifying shares (uncompressed SEC 1).
 * Public points times public coefficients: variable-time multiplication is fine.
 * May throw CryptoError: BAD_PARTICIPANT, MALFORMED_INPUT.
 */
export function publicShares(group: GroupPublic, oracles: readonly number[]): Map<number, Uint8Array> {
  const xs = points(group.as, oracles);
  const Y = (p: number) => p256.Point.fromBytes(group.verifyingShares[p - 1]!);
  const out = new Map<number, Uint8Array>();
  let agent = p256.Point.ZERO;
  for (const p of agentParticipants(group.as))
    agent = agent.add(Y(p).multiplyUnsafe(lagrangeAt0('P-256', xs, p)));
  // A key of the oracles alone (the federation issuer: w = 0) has no agent party.
  if (group.as.w > 0) out.set(AGENT_PARTY, agent.toBytes(false));
  for (const o of oracles)
    out.set(
      o,
      Y(o)
        .multiplyUnsafe(lagrangeAt0('P-256', xs, o))
        .toBytes(false),
    );
  return out;
}

/** One party's signing inputs for one signing set. */
export interface SigningSetKeys {
  readonly additiveShare: Secret;
  readonly publicShares: ReadonlyMap<number, Uint8Array>;
}

/** Signing sets remembered per key (the least recently used is dropped beyond this). */
const MAX_SIGNING_SETS = 32;

/**
 * A party's additive share and every party's public share per signing set (its oracles), made
 * once: a key signs with few distinct sets, and the point arithmetic is most of a session's setup.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, INTERNAL, MALFORMED_INPUT, MALFORMED_SCALAR.
 */
export class SigningSets {
  readonly #group: GroupPublic;
  readonly #shares: readonly KeyShare[];
  readonly #sets = new Map<string, SigningSetKeys>();

  /** `shares`: this party's Shamir shares (the agent's w, or an oracle's one). */
  constructor(group: GroupPublic, shares: readonly KeyShare[]) {
    this.#group = group;
    this.#shares = shares;
  }

  of(oracles: readonly number[]): SigningSetKeys {
    const k = oracles.join(',');
    let v = this.#sets.get(k);
    if (v) {
      this.#sets.delete(k);
    } else {
      v = {
        additiveShare: additiveShare(this.#group.as, oracles, this.#shares),
        publicShares: publicShares(this.#group, oracles),
      };
      while (this.#sets.size >= MAX_SIGNING_SETS) {
        const oldest = this.#sets.keys().next().value!;
        this.#sets.get(oldest)!.additiveShare.wipe();
        this.#sets.delete(oldest);
      }
    }
    this.#sets.set(k, v);
    return v;
  }
}
