/**
 * Threshold ECDSA signing: DKLs23 ("Threshold ECDSA in Three Rounds", Doerner–Kondi–Lee–shelat,
 * eprint 2023/765) Protocol 3.6, three message rounds among the agent and t oracles, every
 * message addressed to one peer, followed by the combination of the broadcast shares (step 10).
 *
 * Each party P_i holds an additive share sk_i of the key (Σ sk_i = sk) and knows every pk_j. Per
 * session it re-randomises it with a zero share (step 7, F_Zero): sk_i += ζ_i, Σ ζ_i = 0, from the
 * pairwise seeds of the pair setup, so the shares and pk_i = sk_i·G differ in every session.
 * For every ordered pair (i, j) the parties run one random VOLE (./vole.ts) in which P_i is
 * Alice with input (r_i, sk_i) and P_j is Bob with random input χ_{ij}.
 *
 *   Round 1 (i -> j)  r_i, φ_i ← Z_q, R_i = r_i·G; commitment to R_i;
 *                     Bob's VOLE message for V(j, i) (steps 4-6)
 *   Round 2 (i -> j)  Alice's VOLE message for V(i, j) with input (r_i, sk_i), giving c_{ij};
 *                     Γu = c_u·G, Γv = c_v·G; ψ = φ_i − χ_{ji}; pk_i; opening of R_i (step 7)
 *   Round 3 (i -> *)  open commitments, finish V(j, i) (d_{ji}), check
 *                       χ_{ji}·R_j − Γu_{ji} = d_u·G   and   χ_{ji}·pk_j − Γv_{ji} = d_v·G,
 *                     and Σ pk_j = pk (step 8); R = Σ R_j, r = x(R) mod q,
 *                       u_i = r_i·(φ_i + Σ ψ_{ij}) + Σ (c_u + d_u),
 *                       v_i = sk_i·(φ_i + Σ ψ_{ij}) + Σ (c_v + d_v),   w_i = e·φ_i + r·v_i
 *                     and broadcasts (R, u_i, w_i) (step 9)
 *   Combine           s = Σ w_i / Σ u_i, low-S, verified against pk (step 10, ./combine.ts)
 *
 * Step numbers are Protocol 3.6's (steps 4-6 round 1, step 7 round 2, steps 8-9 round 3, step 10
 * the output), as in docs/ecdsa.md.
 *
 * The public shares pk_j are re-randomised by F_Zero, so they are checked as the paper does: by
 * the Γv check (each binds its sender's VOLE input) and Σ pk_j = pk. When the sum fails, a sender
 * whose pk_j also fails its Γv check is blamed ('public-share'); otherwise nobody can be.
 * Everything is bound to a session tag over (curve, sessionId, signer set, pk, message hash), and
 * each VOLE additionally to its pair-setup tag and direction.
 *
 * Every failed check throws a CryptoError with details {culprits: [culprit], check}: ECDSA_ABORT for a
 * consistency failure, BAD_LENGTH / MALFORMED_POINT / MALFORMED_SCALAR / MALFORMED_INPUT for a
 * malformed message. The caller must never retry an aborted session.
 *
 * A presigning session (`presign: true`, no message hash) runs the same rounds and checks under
 * presignTag (no e) and ends in `presign3`, which keeps the message-independent part of step 9 in
 * a Presignature (./presign.ts) that computes w_i once e is known.
 *
 * One concern, though past ~500 lines: one signer's side of rounds 1-3 (steps 4-9), the
 * EcdsaSigner state machine and the tags and zero shares it derives; its rounds share the
 * signer's secret state, so they stay together. Step 10, combining the broadcast shares, is
 * ./combine.ts; what a presignature keeps, ./presign.ts.
 */
import { randomBytes } from 'node:crypto';
import { equalBytes } from '../bytes.js';
import { HASH_DOMAINS } from '../domains.js';
import { CryptoError } from '../errors.js';
import { Secret } from '../secret.js';
import {
  abort,
  baseMul,
  bytesToBig,
  type Curve,
  decodeInputPoint,
  type EcdsaCurve,
  encodePoint,
  getCurve,
  h256,
  hashToInt,
  hashToScalars,
  mod,
  mulEquals,
  mulEqualsAll,
  type PartyId,
  POINT_LEN,
  type Point,
  randomScalar,
  SCALAR_LEN,
  scalarBytes,
} from './curve.js';
import { Presignature, shareOf } from './presign.js';
import { checkPartyId, checkSessionId, type PairState, pairKeys } from './setup.js';
import {
  type BobState,
  VOLE_ALICE_LEN,
  VOLE_BOB_LEN,
  voleAlice,
  voleBobFinish,
  voleBobStart,
} from './vole.js';
import { frame, HEADER_LEN, KIND, Reader, unframe } from './wire.js';

const inspect = Symbol.for('nodejs.util.inspect.custom');

const COMMIT_LEN = 32;
const SALT_LEN = 32;
const R1_BODY = COMMIT_LEN + VOLE_BOB_LEN;
const R2_BODY = POINT_LEN + SALT_LEN + POINT_LEN + SCALAR_LEN + 2 * POINT_LEN + VOLE_ALICE_LEN;
/** Body of a round-3 (broadcast) share: R, u_i, w_i. */
export const R3_BODY = POINT_LEN + 2 * SCALAR_LEN;
/** Bytes of a round-3 broadcast share. */
export const SHARE_LEN = HEADER_LEN + R3_BODY;
/** Bytes of a round-1 and of a round-2 message to one peer (framed, before sealing). */
export const ROUND1_LEN = HEADER_LEN + R1_BODY;
export const ROUND2_LEN = HEADER_LEN + R2_BODY;

/** Inputs of one signing session (DKLs23 Protocol 3.6). */
export interface SignerOptions {
  curve: EcdsaCurve;
  self: PartyId;
  /** All signers including self, distinct, in any order. */
  parties: readonly PartyId[];
  /** Unique per session (>= 16 bytes); everything is bound to it. */
  sessionId: Uint8Array;
  /**
   * The 32-byte hash e of the message, reduced mod q per FIPS 186-5 / SEC1. Absent for a
   * presigning session (`presign: true`), whose tag omits e and whose round 3 is `presign3`.
   */
  messageHash?: Uint8Array;
  /** A presignature (./presign.ts): rounds 1-3 without the message; e arrives at `finish`. */
  presign?: boolean;
  /** sk_self, 32-byte big-endian scalar. */
  additiveShare: Secret;
  /** pk_j for every party including self (SEC1). */
  publicShares: ReadonlyMap<PartyId, Uint8Array>;
  /** pk (SEC1). */
  publicKey: Uint8Array;
  /** One pair state per other party. */
  pairs: ReadonlyMap<PartyId, PairState>;
}

/** @internal The session tag: binds every message to (curve, sessionId, signer set, pk, message hash). */
export function sessionTag(
  c: Curve,
  sessionId: Uint8Array,
  parties: readonly PartyId[],
  pk: Point,
  e: Uint8Array,
) {
  return h256(HASH_DOMAINS.dklsSignSession, c.name, sessionId, Uint8Array.from(parties), pk.toBytes(true), e);
}

/**
 * @internal The tag of a presigning session: (curve, sessionId, signer set, pk) under its own
 * label, without e, so a presignature's messages never pass as an online session's and back.
 */
export function presignTag(c: Curve, sessionId: Uint8Array, parties: readonly PartyId[], pk: Point) {
  return h256(HASH_DOMAINS.dklsSignPresign, c.name, sessionId, Uint8Array.from(parties), pk.toBytes(true));
}

/** @internal Per-direction VOLE context: session tag, pair-setup tag, Alice, Bob. */
export function voleCtx(tag: Uint8Array, pairTag: Uint8Array, alice: PartyId, bob: PartyId): Uint8Array {
  return h256(HASH_DOMAINS.dklsSignVole, tag, pairTag, new Uint8Array([alice, bob]));
}

/** @internal Commitment to R_i (DKLs23 Protocol 3.6 step 6; hash commitment in the ROM). */
export function commitR(tag: Uint8Array, i: PartyId, R: Uint8Array, salt: Uint8Array): Uint8Array {
  return h256(HASH_DOMAINS.dklsSignCommit, tag, i, R, salt);
}

/**
 * @internal This party's zero share for a session (DKLs23 F_Zero, Protocol 3.6 step 7): with a
 * seed s_{ij} shared by every pair, ζ_i = Σ_{j ≠ i} ±PRF(s_{ij}, tag), + when i < j and − when
 * i > j, so Σ_i ζ_i = 0 over the signing set. PRF = SHAKE256 (48 bytes reduced mod q), keyed by
 * the seed and bound to the session tag (which names the signing set), so every session and
 * every set gets fresh, independent shares.
 */
export function zeroShare(
  c: Curve,
  self: PartyId,
  tag: Uint8Array,
  seeds: ReadonlyMap<PartyId, Uint8Array>,
): bigint {
  let z = 0n;
  for (const [j, seed] of seeds) {
    const v = hashToScalars(c, 1, HASH_DOMAINS.dklsSignZeroShare, seed, tag)[0]!;
    z += self < j ? v : -v;
  }
  return mod(c, z);
}

/**
 * The signer set, sorted; each a valid party id, none repeated, at least two, `self` among them.
 * May throw CryptoError: BAD_PARTICIPANT, MALFORMED_INPUT.
 */
export function checkSortedParties(parties: unknown, self: PartyId): PartyId[] {
  if (!Array.isArray(parties)) throw new CryptoError('MALFORMED_INPUT', 'parties: expected an array');
  const ps = parties.map((p, i) => checkPartyId(p, `parties[${i}]`)).sort((a, b) => a - b);
  for (let i = 1; i < ps.length; i++) {
    if (ps[i] === ps[i - 1]) throw new CryptoError('BAD_PARTICIPANT', `parties: ${ps[i]} is repeated`);
  }
  if (ps.length < 2) throw new CryptoError('BAD_PARTICIPANT', 'parties: at least two signers are needed');
  if (!ps.includes(self)) throw new CryptoError('BAD_PARTICIPANT', 'parties: must include self');
  return ps;
}

function checkMap<V>(m: unknown, field: string, keys: readonly PartyId[]): ReadonlyMap<PartyId, V> {
  if (!(m instanceof Map)) throw new CryptoError('MALFORMED_INPUT', `${field}: expected a Map`);
  for (const k of m.keys()) {
    if (!keys.includes(k))
      throw new CryptoError('BAD_PARTICIPANT', `${field}: unexpected party ${String(k)}`);
  }
  for (const k of keys) {
    if (!m.has(k)) throw new CryptoError('BAD_PARTICIPANT', `${field}: missing party ${k}`);
  }
  return m as ReadonlyMap<PartyId, V>;
}

interface Pair {
  readonly tag: Uint8Array;
  readonly keys: ReturnType<typeof pairKeys>;
}

interface Round2In {
  readonly com: Uint8Array;
  readonly bobMsg: Uint8Array;
}

interface Round3In {
  readonly R: Point;
  readonly Rbytes: Uint8Array;
  readonly salt: Uint8Array;
  readonly pk: Point;
  readonly psi: bigint;
  readonly gu: Point;
  readonly gv: Point;
  readonly voleMsg: Uint8Array;
}

/**
 * One party's side of a DKLs23 Protocol 3.6 signing session. Call round1, round2 and round3 once
 * each, in order; the round-3 output goes to whoever combines (combineSignature). Secrets are
 * wiped after round3 and on any error; a failed signer cannot be reused.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, ECDSA_ABORT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export class EcdsaSigner {
  readonly #c: Curve;
  readonly #self: PartyId;
  readonly #parties: PartyId[];
  readonly #peers: PartyId[];
  readonly #tag: Uint8Array;
  readonly #e: bigint;
  readonly #presign: boolean;
  readonly #sk: Secret;
  readonly #pkShares: Map<PartyId, Point>;
  readonly #pk: Point;
  /** pk_i = (sk_i + ζ_i)·G, this session's re-randomised public share (sent in round 2). */
  readonly #pkSelf: Uint8Array;
  readonly #pairs: Map<PartyId, Pair>;
  #stage = 0;
  // Round-1 state.
  #r: Secret | undefined;
  #phi: Secret | undefined;
  #Rbytes: Uint8Array | undefined;
  #salt: Uint8Array | undefined;
  readonly #bob = new Map<PartyId, BobState>();
  // Round-2 state.
  readonly #coms = new Map<PartyId, Uint8Array>();
  readonly #cOut = new Map<PartyId, Secret>();

  /** Validates every input (culprit-free MALFORMED_INPUT / BAD_LENGTH / MALFORMED_* / BAD_PARTICIPANT). */
  constructor(o: SignerOptions) {
    if (typeof o !== 'object' || o === null)
      throw new CryptoError('MALFORMED_INPUT', 'options: expected an object');
    const c = getCurve(o.curve);
    this.#c = c;
    this.#self = checkPartyId(o.self, 'self');
    this.#parties = checkSortedParties(o.parties, this.#self);
    this.#peers = this.#parties.filter((p) => p !== this.#self);
    const sid = checkSessionId(o.sessionId);
    this.#presign = o.presign === true;
    if (this.#presign) {
      if (o.messageHash !== undefined)
        throw new CryptoError('MALFORMED_INPUT', 'messageHash: a presigning session has none');
      this.#e = 0n;
    } else {
      if (!(o.messageHash instanceof Uint8Array))
        throw new CryptoError('MALFORMED_INPUT', 'messageHash: expected bytes');
      if (o.messageHash.length !== 32) throw new CryptoError('BAD_LENGTH', 'messageHash: expected 32 bytes');
      this.#e = hashToInt(c, o.messageHash);
    }
    if (!(o.additiveShare instanceof Secret))
      throw new CryptoError('MALFORMED_INPUT', 'additiveShare: expected a Secret');
    if (o.additiveShare.length !== SCALAR_LEN)
      throw new CryptoError('BAD_LENGTH', 'additiveShare: expected 32 bytes');
    const sk = bytesToBig(o.additiveShare.expose());
    if (sk === 0n || sk >= c.q)
      throw new CryptoError('MALFORMED_SCALAR', 'additiveShare: not a scalar in [1, q)');
    const pub = checkMap<Uint8Array>(o.publicShares, 'publicShares', this.#parties);
    this.#pkShares = new Map();
    let sum = c.Point.ZERO;
    for (const p of this.#parties) {
      const pt = decodeInputPoint(c, pub.get(p), `publicShares[${p}]`);
      this.#pkShares.set(p, pt);
      sum = sum.add(pt);
    }
    const pk = decodeInputPoint(c, o.publicKey, 'publicKey');
    if (!sum.equals(pk)) throw new CryptoError('MALFORMED_INPUT', 'publicShares do not sum to publicKey');
    if (!baseMul(c, sk).equals(this.#pkShares.get(this.#self)!)) {
      throw new CryptoError('MALFORMED_INPUT', 'additiveShare does not match publicShares[self]');
    }
    const pairs = checkMap<PairState>(o.pairs, 'pairs', this.#peers);
    this.#pairs = new Map();
    const zeroSeeds = new Map<PartyId, Uint8Array>();
    for (const p of this.#peers) {
      const ps = pairs.get(p)!;
      if (
        typeof ps !== 'object' ||
        ps === null ||
        ps.curve !== c.name ||
        ps.self !== this.#self ||
        ps.peer !== p
      ) {
        throw new CryptoError(
          'MALFORMED_INPUT',
          `pairs[${p}]: not a ${c.name} pair state for ${this.#self}-${p}`,
        );
      }
      const keys = pairKeys(ps);
      if (!keys.zero)
        throw new CryptoError(
          'NO_ES256_KEY',
          `pairs[${p}]: this ES256 key was set up before zero-sharing (pair state v1) and cannot sign; enroll the workload again (docs/ecdsa.md §2)`,
        );
      zeroSeeds.set(p, keys.zero);
      this.#pairs.set(p, { tag: ps.tag, keys });
    }
    this.#pk = pk;
    this.#tag = this.#presign
      ? presignTag(c, sid, this.#parties, pk)
      : sessionTag(c, sid, this.#parties, pk, o.messageHash!);
    // Step 7: sk_i + ζ_i, re-randomised per session; Σ over the set is still sk.
    const skz = mod(c, sk + zeroShare(c, this.#self, this.#tag, zeroSeeds));
    if (skz === 0n) throw new CryptoError('INTERNAL', 'degenerate re-randomised share');
    this.#sk = new Secret(scalarBytes(skz), 'ecdsa-share');
    this.#pkSelf = encodePoint(baseMul(c, skz));
  }

  #guard<T>(stage: number, f: () => T): T {
    if (this.#stage !== stage) {
      throw new CryptoError('INTERNAL', `EcdsaSigner: round ${stage + 1} called out of order or twice`);
    }
    this.#stage = -1;
    try {
      const out = f();
      this.#stage = stage + 1;
      return out;
    } catch (e) {
      this.#wipe();
      throw e;
    }
  }

  #wipe(): void {
    this.#stage = -1;
    this.#sk.wipe();
    this.#r?.wipe();
    this.#phi?.wipe();
    for (const b of this.#bob.values()) {
      b.chi.wipe();
      b.beta.wipe();
      b.rows.wipe();
    }
    for (const s of this.#cOut.values()) s.wipe();
  }

  #incoming(incoming: unknown): ReadonlyMap<PartyId, unknown> {
    if (!(incoming instanceof Map)) throw new CryptoError('MALFORMED_INPUT', 'incoming: expected a Map');
    for (const k of incoming.keys()) {
      if (!this.#peers.includes(k))
        throw new CryptoError('BAD_PARTICIPANT', `incoming: unexpected party ${String(k)}`);
    }
    for (const p of this.#peers) {
      if (!incoming.has(p)) abort(p, 'missing', 'no message from this party', 'MALFORMED_INPUT');
    }
    return incoming;
  }

  #ctx(alice: PartyId, bob: PartyId): Uint8Array {
    const peer = alice === this.#self ? bob : alice;
    return voleCtx(this.#tag, this.#pairs.get(peer)!.tag, alice, bob);
  }

  #send(kind: number, to: PartyId, body: Uint8Array): Uint8Array {
    const out = frame(this.#c, kind, this.#self, to, this.#tag, body.length);
    out.set(body, HEADER_LEN);
    return out;
  }

  /** Protocol 3.6 round 1 (steps 4-6): commitment to R_i and Bob's VOLE message to each peer. */
  round1(): Map<PartyId, Uint8Array> {
    return this.#guard(0, () => {
      const c = this.#c;
      const r = randomScalar(c);
      this.#r = new Secret(scalarBytes(r), 'ecdsa-r');
      this.#phi = new Secret(scalarBytes(randomScalar(c)), 'ecdsa-phi');
      this.#Rbytes = encodePoint(baseMul(c, r));
      this.#salt = new Uint8Array(randomBytes(SALT_LEN));
      const com = commitR(this.#tag, this.#self, this.#Rbytes, this.#salt);
      const out = new Map<PartyId, Uint8Array>();
      for (const j of this.#peers) {
        const { msg, state } = voleBobStart(c, this.#ctx(j, this.#self), this.#pairs.get(j)!.keys.bob);
        this.#bob.set(j, state);
        const body = new Uint8Array(R1_BODY);
        body.set(com, 0);
        body.set(msg, COMMIT_LEN);
        out.set(j, this.#send(KIND.sign1, j, body));
      }
      return out;
    });
  }

  /**
   * Protocol 3.6 round 2 (step 7): for each peer, Alice's VOLE message with input (r_i, sk_i),
   * Γu, Γv, ψ, pk_i and the opening of R_i.
   */
  round2(incoming: ReadonlyMap<PartyId, Uint8Array>): Map<PartyId, Uint8Array> {
    return this.#guard(1, () => {
      const c = this.#c;
      const msgs = this.#incoming(incoming);
      const parsed = new Map<PartyId, Round2In>();
      for (const j of this.#peers) {
        const body = unframe(msgs.get(j), {
          curve: c,
          kind: KIND.sign1,
          from: j,
          to: this.#self,
          tag: this.#tag,
          bodyLen: R1_BODY,
        });
        parsed.set(j, { com: body.slice(0, COMMIT_LEN), bobMsg: body.subarray(COMMIT_LEN) });
      }
      const r = bytesToBig(this.#r!.expose());
      const sk = bytesToBig(this.#sk.expose());
      const phi = bytesToBig(this.#phi!.expose());
      const pkSelf = this.#pkSelf;
      const out = new Map<PartyId, Uint8Array>();
      for (const j of this.#peers) {
        const { com, bobMsg } = parsed.get(j)!;
        this.#coms.set(j, com);
        const { out: cv, msg } = voleAlice(
          c,
          this.#ctx(this.#self, j),
          this.#pairs.get(j)!.keys.alice,
          [r, sk],
          bobMsg,
          j,
        );
        const cs = new Uint8Array(2 * SCALAR_LEN);
        cs.set(scalarBytes(cv[0]), 0);
        cs.set(scalarBytes(cv[1]), SCALAR_LEN);
        this.#cOut.set(j, new Secret(cs, 'vole-c'));
        const chi = bytesToBig(this.#bob.get(j)!.chi.expose());
        const body = new Uint8Array(R2_BODY);
        let off = 0;
        const put = (b: Uint8Array) => {
          body.set(b, off);
          off += b.length;
        };
        put(this.#Rbytes!);
        put(this.#salt!);
        put(pkSelf);
        put(scalarBytes(mod(c, phi - chi)));
        put(encodePoint(baseMul(c, cv[0])));
        put(encodePoint(baseMul(c, cv[1])));
        put(msg);
        out.set(j, this.#send(KIND.sign2, j, body));
      }
      return out;
    });
  }

  /**
   * Protocol 3.6 round 3 (steps 8-9): opens the commitments, finishes the VOLEs, runs every
   * consistency check and returns this party's broadcast share (R, u_i, w_i).
   */
  round3(incoming: ReadonlyMap<PartyId, Uint8Array>): Uint8Array {
    if (this.#presign)
      throw new CryptoError('INTERNAL', 'EcdsaSigner: a presigning session ends in presign3');
    return this.#guard(2, () => {
      const { phi, rx, u, v, R } = this.#finishRounds(incoming);
      const w = mod(this.#c, this.#e * phi + rx * v);
      const share = shareOf(this.#c, this.#self, this.#tag, R, u, w);
      this.#wipe();
      this.#stage = 2;
      return share;
    });
  }

  /**
   * Round 3 of a presigning session: every check of round3 (steps 8-9), then the
   * message-independent part of the share, kept in a Presignature (./presign.ts) that computes
   * w_i = e·φ_i + r_x·v_i once e is known. This signer's secrets are wiped either way.
   */
  presign3(incoming: ReadonlyMap<PartyId, Uint8Array>): Presignature {
    if (!this.#presign) throw new CryptoError('INTERNAL', 'EcdsaSigner: presign3 on an online session');
    return this.#guard(2, () => {
      const { phi, rx, u, v, R } = this.#finishRounds(incoming);
      const p = new Presignature(this.#c, this.#self, this.#tag, R, rx, u, v, phi);
      this.#wipe();
      this.#stage = 2;
      return p;
    });
  }

  /** Steps 8-9 up to the message: checks, then φ_i, r_x, u_i, v_i and R. */
  #finishRounds(incoming: ReadonlyMap<PartyId, Uint8Array>) {
    {
      const c = this.#c;
      const msgs = this.#incoming(incoming);
      const parsed = new Map<PartyId, Round3In>();
      for (const j of this.#peers) {
        const body = unframe(msgs.get(j), {
          curve: c,
          kind: KIND.sign2,
          from: j,
          to: this.#self,
          tag: this.#tag,
          bodyLen: R2_BODY,
        });
        const rd = new Reader(c, body, j);
        const R = rd.point('nonce');
        const salt = rd.bytes(SALT_LEN);
        const pk = rd.point('public-share');
        const psi = rd.scalar('psi');
        const gu = rd.point('gamma-u');
        const gv = rd.point('gamma-v');
        const voleMsg = rd.bytes(VOLE_ALICE_LEN);
        rd.end();
        parsed.set(j, { R: R.p, Rbytes: R.bytes, salt, pk: pk.p, psi, gu: gu.p, gv: gv.p, voleMsg });
      }
      // Step 8: commitments.
      for (const j of this.#peers) {
        const m = parsed.get(j)!;
        if (!equalBytes(commitR(this.#tag, j, m.Rbytes, m.salt), this.#coms.get(j)!)) {
          abort(j, 'commitment', 'opening of R_j does not match its round-1 commitment');
        }
      }
      // Step 8: finish V(j, i) as Bob; check Γu, Γv against R_j and pk_j (re-randomised by
      // F_Zero, so known only from its sender), and Σ pk_j = pk.
      const finished = new Map<PartyId, [bigint, bigint]>();
      const finish = (j: PartyId) => {
        let d = finished.get(j);
        if (!d) {
          d = voleBobFinish(c, this.#ctx(j, this.#self), this.#bob.get(j)!, parsed.get(j)!.voleMsg, j);
          finished.set(j, d);
        }
        return d;
      };
      const chiOf = (j: PartyId) => bytesToBig(this.#bob.get(j)!.chi.expose());
      let pkSum = c.Point.fromBytes(this.#pkSelf);
      for (const j of this.#peers) pkSum = pkSum.add(parsed.get(j)!.pk);
      if (!pkSum.equals(this.#pk)) {
        // Somebody's pk_j is wrong. Blame a sender whose pk_j is not behind its VOLE input.
        for (const j of this.#peers) {
          const m = parsed.get(j)!;
          if (!mulEquals(c, chiOf(j), m.pk, m.gv.add(baseMul(c, finish(j)[1]))))
            abort(j, 'public-share', 'pk_j is not the public share behind its VOLE input, and Σ pk_j ≠ pk');
        }
        throw new CryptoError('ECDSA_ABORT', 'the public shares do not sum to the public key', {
          check: 'public-share',
        });
      }
      let sumU = 0n;
      let sumV = 0n;
      let psiSum = 0n;
      let R = c.Point.fromBytes(this.#Rbytes!);
      for (const j of this.#peers) {
        const m = parsed.get(j)!;
        const [du, dv] = finish(j);
        const chi = chiOf(j);
        const [okU, okV] = mulEqualsAll(c, chi, [
          [m.R, m.gu.add(baseMul(c, du))],
          [m.pk, m.gv.add(baseMul(c, dv))],
        ]);
        if (!okU) abort(j, 'gamma-u', 'Γu check failed: the VOLE input is not the r_j of R_j');
        if (!okV) abort(j, 'gamma-v', 'Γv check failed: the VOLE input is not the sk_j of pk_j');
        const cs = this.#cOut.get(j)!.expose();
        sumU += du + bytesToBig(cs.subarray(0, SCALAR_LEN));
        sumV += dv + bytesToBig(cs.subarray(SCALAR_LEN));
        psiSum += m.psi;
        R = R.add(m.R);
      }
      if (R.is0()) {
        throw new CryptoError('ECDSA_ABORT', 'the combined nonce R is the identity', {
          check: 'nonce',
        });
      }
      // Step 9: shares of u = r·φ and w = e·φ + r_x·sk·φ.
      const r = bytesToBig(this.#r!.expose());
      const sk = bytesToBig(this.#sk.expose());
      const phi = bytesToBig(this.#phi!.expose());
      const phiAll = phi + psiSum;
      const rx = mod(c, R.toAffine().x);
      const u = mod(c, r * phiAll + sumU);
      const v = mod(c, sk * phiAll + sumV);
      return { phi, rx, u, v, R };
    }
  }

  toJSON(): Record<string, unknown> {
    return { curve: this.#c.name, self: this.#self, parties: this.#parties, secrets: '[REDACTED]' };
  }
  toString(): string {
    return `EcdsaSigner<${this.#c.name} ${this.#self} of [${this.#parties.join(',')}]>[REDACTED]`;
  }
  [inspect](): string {
    return this.toString();
  }
}
