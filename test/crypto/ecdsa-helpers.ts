/**
 * Helpers for the threshold-ECDSA suites: in-process pair setup among a set of parties, key
 * material as additive shares, a signing run with a hook that may rewrite any message in
 * flight (a hostile relay or peer), and independent verification with node:crypto.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { expect } from 'vitest';
import { asMpcidError, culpritsOf, MpcidError } from '../../common/errors.js';
import {
  combineSignature,
  type EcdsaCurve,
  EcdsaSigner,
  PairSetup,
  type PairState,
  type PartyId,
  SETUP_ROUNDS,
} from '../../crypto/ecdsa/index.js';
import { Secret } from '../../crypto/secret.js';

export const NOBLE = { 'P-256': p256, secp256k1 } as const;

export type Pairs = Map<PartyId, Map<PartyId, PairState>>;

/** Hook over one setup message: return the (possibly rewritten) bytes to deliver. */
export type SetupTamper = (round: number, from: PartyId, to: PartyId, msg: Uint8Array) => Uint8Array;

/** Runs the pairwise setup of {a, b} in process; `tamper` may rewrite messages in flight. */
export function setupPair(
  curve: EcdsaCurve,
  a: PartyId,
  b: PartyId,
  opts: { sessionId?: Uint8Array; tamper?: SetupTamper } = {},
): { a: PairState; b: PairState } {
  const sessionId = opts.sessionId ?? randomBytes(32);
  const sides = [
    new PairSetup({ curve, self: a, peer: b, sessionId }),
    new PairSetup({ curve, self: b, peer: a, sessionId }),
  ];
  const ids = [a, b];
  let last: (Uint8Array | undefined)[] = [undefined, undefined];
  for (let r = 1; r <= SETUP_ROUNDS; r++) {
    const out = sides.map((s, i) => s.next(last[1 - i]));
    last = out.map((m, i) => (opts.tamper ? opts.tamper(r, ids[i]!, ids[1 - i]!, m) : m));
  }
  return { a: sides[0]!.finish(last[1]!), b: sides[1]!.finish(last[0]!) };
}

/** Pair states for every pair of `ids`: pairs.get(i).get(j) is i's state for peer j. */
export function setupAll(curve: EcdsaCurve, ids: readonly PartyId[]): Pairs {
  const pairs: Pairs = new Map(ids.map((i) => [i, new Map()]));
  for (const a of ids) {
    for (const b of ids) {
      if (b <= a) continue;
      const s = setupPair(curve, a, b);
      pairs.get(a)!.set(b, s.a);
      pairs.get(b)!.set(a, s.b);
    }
  }
  return pairs;
}

/** A key split into random additive shares among `ids`. */
export interface Key {
  readonly curve: EcdsaCurve;
  readonly sk: bigint;
  readonly shares: Map<PartyId, bigint>;
  readonly publicShares: Map<PartyId, Uint8Array>;
  readonly publicKey: Uint8Array;
}

export function randomKey(curve: EcdsaCurve, ids: readonly PartyId[]): Key {
  const { Point } = NOBLE[curve];
  const Fn = Point.Fn;
  const shares = new Map(ids.map((i) => [i, Fn.create(BigInt('0x' + randomBytes(48).toString('hex')))]));
  const sk = [...shares.values()].reduce((x, y) => Fn.add(x, y), 0n);
  const publicShares = new Map(
    ids.map((i, n) => [i, Point.BASE.multiply(shares.get(i)!).toBytes(n % 2 === 0)] as const),
  );
  return {
    curve,
    sk,
    shares,
    publicShares,
    publicKey: Point.BASE.multiply(sk).toBytes(ids.length % 2 === 0),
  };
}

export function scalar32(x: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));
}

/** Hook over one signing message (round 1, 2: per recipient; 3: the broadcast share). */
export type SignTamper = (
  round: number,
  from: PartyId,
  to: PartyId,
  msg: Uint8Array,
  outbox: ReadonlyMap<PartyId, Uint8Array>,
) => Uint8Array;

export interface SignRun {
  readonly signature?: Uint8Array;
  /** Errors thrown by each party, by round. */
  readonly errors: Map<PartyId, MpcidError>;
  readonly shares: Map<PartyId, Uint8Array>;
  readonly messages: Map<number, Map<PartyId, Map<PartyId, Uint8Array>>>;
  readonly signers: Map<PartyId, EcdsaSigner>;
  readonly combineError?: MpcidError;
}

/**
 * Runs one signing session among all parties of `key` in process. A party that throws stops;
 * the others go on with what they have. `tamper` rewrites messages in flight; `replace`
 * substitutes whole rounds (e.g. a replay).
 */
export function signOnce(
  key: Key,
  pairs: Pairs,
  messageHash: Uint8Array,
  opts: { sessionId?: Uint8Array; tamper?: SignTamper; combineSessionId?: boolean } = {},
): SignRun {
  const ids = [...key.shares.keys()];
  const sessionId = opts.sessionId ?? randomBytes(32);
  const signers = new Map(
    ids.map((i) => [
      i,
      new EcdsaSigner({
        curve: key.curve,
        self: i,
        parties: ids,
        sessionId,
        messageHash,
        additiveShare: new Secret(scalar32(key.shares.get(i)!)),
        publicShares: key.publicShares,
        publicKey: key.publicKey,
        pairs: pairs.get(i)!,
      }),
    ]),
  );
  const errors = new Map<PartyId, MpcidError>();
  const messages = new Map<number, Map<PartyId, Map<PartyId, Uint8Array>>>();
  const alive = () => ids.filter((i) => !errors.has(i));
  const attempt = <T>(i: PartyId, f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      const err = asMpcidError(e);
      if (!err) throw e;
      errors.set(i, err);
      return undefined;
    }
  };
  let inbox = new Map<PartyId, Map<PartyId, Uint8Array>>(ids.map((i) => [i, new Map()]));
  for (const round of [1, 2]) {
    const sent = new Map<PartyId, Map<PartyId, Uint8Array>>();
    for (const i of alive()) {
      const s = signers.get(i)!;
      const out = attempt(i, () => (round === 1 ? s.round1() : s.round2(inbox.get(i)!)));
      if (out) sent.set(i, out);
    }
    messages.set(round, sent);
    inbox = new Map(ids.map((i) => [i, new Map()]));
    for (const [from, out] of sent) {
      for (const [to, m] of out)
        inbox.get(to)!.set(from, opts.tamper ? opts.tamper(round, from, to, m, out) : m);
    }
  }
  const shares = new Map<PartyId, Uint8Array>();
  for (const i of alive()) {
    const share = attempt(i, () => signers.get(i)!.round3(inbox.get(i)!));
    if (share) shares.set(i, opts.tamper ? opts.tamper(3, i, -1, share, new Map()) : share);
  }
  if (shares.size !== ids.length) return { errors, shares, messages, signers };
  try {
    const { signature } = combineSignature({
      curve: key.curve,
      messageHash,
      publicKey: key.publicKey,
      shares,
      ...(opts.combineSessionId ? { sessionId } : {}),
    });
    return { signature, errors, shares, messages, signers };
  } catch (e) {
    const err = asMpcidError(e);
    if (!err) throw e;
    return { errors, shares, messages, signers, combineError: err };
  }
}

/** ES256/ECDSA verification independent of the code under test (node:crypto for P-256). */
export function verifyIndependently(
  curve: EcdsaCurve,
  msg: Uint8Array,
  sig: Uint8Array,
  publicKey: Uint8Array,
) {
  if (curve === 'P-256') {
    const P = p256.Point.fromBytes(publicKey).toBytes(false);
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(P.subarray(1, 33)).toString('base64url'),
        y: Buffer.from(P.subarray(33)).toString('base64url'),
      },
      format: 'jwk',
    });
    return verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig);
  }
  return secp256k1.verify(sig, createHash('sha256').update(msg).digest(), publicKey, {
    prehash: false,
    lowS: true,
  });
}

export function sha256(msg: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(msg).digest());
}

/**
 * Asserts `e` is an expected error naming `culprit` with check `check` (and code, when given):
 * in the typed culprits of crypto/'s CryptoError, and in the ErrorInfo metadata it maps to.
 */
export function expectBlame(e: unknown, culprit: PartyId, check: string, code?: string): void {
  const err = asMpcidError(e);
  expect(err, 'expected an MpcidError').toBeInstanceOf(MpcidError);
  if (!err) throw new Error('unreachable');
  expect(culpritsOf(e)).toEqual([culprit]);
  expect({ culprit: err.metadata.culprit, check: err.metadata.check }).toEqual({
    culprit: String(culprit),
    check,
  });
  if (code) expect(err.code).toBe(code);
  expect(err.message).toContain(`party ${culprit}`);
}

/** Runs `f` and returns what it throws (fails if it does not throw). */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    // An expected failure as callers see it: crypto/'s CryptoError mapped to its MpcidError.
    return asMpcidError(e) ?? e;
  }
  throw new Error('expected a throw');
}

/** Copy of `m` with byte `i` XORed with `mask`. */
export function flip(m: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const c = m.slice();
  c[i] = c[i]! ^ mask;
  return c;
}
