/**
 * The native FROST(Ed25519, SHA-512) backend (crypto/frost-native.ts, libsodium) against the
 * reference (@noble/curves' ed25519_FROST through crypto/frost.ts's NOBLE_FROST):
 * - differential: the same random inputs give byte-identical nonces, commitments, signature
 *   shares, signatures, share verdicts and errors (10,000 compared cases in all, see COUNTS);
 * - the RFC 9591 E.1 vector through the native path, commit included;
 * - hostile points (small-order, mixed-torsion, non-canonical, wrong lengths) and non-canonical
 *   scalars are rejected identically by both;
 * - the fallback: an unloadable sodium-native gives noble, and noble can be pinned.
 * Every aggregated signature is also verified by node:crypto.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterEach, describe, expect, it } from 'vitest';
import { accessStructure } from '../../crypto/access.js';
import { concatBytes, toHex } from '../../crypto/bytes.js';
import { decodePoint, decodePointNoble } from '../../crypto/ed25519.js';
import {
  baseMul,
  cryptoBackend,
  isValidPointNative,
  L,
  loadSodium,
  scalarFromBig,
  scalarToBig,
  setCryptoBackend,
} from '../../crypto/ed25519-native.js';
import { CryptoError } from '../../crypto/errors.js';
import {
  aggregate,
  checkCommitmentList,
  checkSigningList,
  commit,
  frostBackend,
  type GroupPublic,
  type KeyShare,
  NOBLE_FROST,
  type NonceCommitment,
  type SigningNonces,
  SODIUM_FROST,
  signingSession,
  signShare,
  verifyShare,
} from '../../crypto/frost.js';
import { Secret } from '../../crypto/secret.js';
import { OracleMetrics } from '../../oracle/metrics.js';
import { hex, le32, nodeVerify } from './helpers.js';

/**
 * Compared cases, 10,000 in all within ~30 s on 2 shared cores. Noble's FROST costs ~20-50 ms
 * per signShare or aggregate and ~2 ms per subgroup check here, so full sessions are the scarce
 * part; commits and point decodings (most of them of the kinds noble rejects quickly: y >= p,
 * off-curve y; one in four a valid or mixed-torsion point) fill the rest.
 */
const COUNTS = { sessions: 40, commits: 2500, decodings: 7400 };

// A seeded stream of bytes, so a failure can be replayed: SEED is printed in every message.
const SEED = process.env.MPCID_DIFF_SEED ?? randomBytes(8).toString('hex');
let counter = 0;
function rand(len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let off = 0; off < len; off += 64) {
    const block = createHash('sha512').update(`${SEED}/${counter++}`).digest();
    out.set(block.subarray(0, Math.min(64, len - off)), off);
  }
  return out;
}
const randInt = (n: number): number => Number(scalarToBig(rand(6)) % BigInt(n));
const randScalar = (): bigint => (scalarToBig(rand(48)) % (L - 1n)) + 1n;

/** A group from a trusted dealer: polynomial of degree threshold - 1 (RFC 9591 App. C). */
function dealer(threshold: number, total: number): { group: GroupPublic; shares: bigint[] } {
  const coeffs = Array.from({ length: threshold }, randScalar);
  const f = (x: bigint) => coeffs.reduceRight((acc, a) => (acc * x + a) % L, 0n);
  const shares = Array.from({ length: total }, (_, i) => f(BigInt(i + 1)));
  const commitments = coeffs.map((a) => baseMul(scalarFromBig(a)));
  return {
    group: {
      as: { n: 1, t: 0, w: total - 1, threshold, total },
      groupPublicKey: commitments[0]!,
      commitments,
      verifyingShares: shares.map((s) => baseMul(scalarFromBig(s))),
    },
    shares,
  };
}

const keyShare = (participant: number, s: bigint): KeyShare => ({
  participant,
  signingShare: new Secret(scalarFromBig(s)),
});
const copyNonces = (n: SigningNonces): SigningNonces => ({
  hiding: new Secret(n.hiding.expose().slice()),
  binding: new Secret(n.binding.expose().slice()),
});
const fixedRng = (chunks: Uint8Array[]) => {
  const q = [...chunks];
  return (len: number) => {
    expect(len).toBe(32);
    return q.shift()!;
  };
};

/** The outcome of `f` as comparable data: the bytes, or the error's class, code and message. */
function outcome(f: () => Uint8Array | boolean): string {
  try {
    const r = f();
    return typeof r === 'boolean' ? String(r) : toHex(r);
  } catch (e) {
    if (e instanceof CryptoError) return `CryptoError ${e.code}: ${e.message}`;
    return 'Error';
  }
}
const threw = (o: string) => o.startsWith('CryptoError') || o === 'Error';

describe('native vs noble FROST(Ed25519, SHA-512): differential', () => {
  it(`${COUNTS.sessions} random signing sessions: commit, signShare, aggregate, verifyShare (seed ${SEED})`, () => {
    let cases = 0;
    let groups: { group: GroupPublic; shares: bigint[] }[] = [];
    for (let k = 0; k < COUNTS.sessions; k++) {
      if (k % 5 === 0) {
        const threshold = 2 + (randInt(4) === 0 ? 1 : 0);
        groups = [dealer(threshold, threshold + randInt(3))];
      }
      const { group, shares } = groups[0]!;
      const { threshold, total } = group.as;
      // A random signing set of threshold..total participants, in random order.
      const all = Array.from({ length: total }, (_, i) => i + 1).sort(() => rand(1)[0]! - 128);
      const signers = all.slice(0, threshold + (randInt(3) === 0 ? randInt(total - threshold + 1) : 0));
      const message = rand(randInt(5) === 0 ? 0 : 1 + randInt(300));
      const where = `seed ${SEED} session ${k}`;

      const list: NonceCommitment[] = [];
      const nonces = new Map<number, SigningNonces>();
      for (const p of signers) {
        const chunks = [rand(32), rand(32)];
        const n = NOBLE_FROST.commit(keyShare(p, shares[p - 1]!), fixedRng(chunks));
        const s = SODIUM_FROST.commit(keyShare(p, shares[p - 1]!), fixedRng(chunks));
        expect(toHex(s.nonces.hiding.expose()), where).toBe(toHex(n.nonces.hiding.expose()));
        expect(toHex(s.nonces.binding.expose()), where).toBe(toHex(n.nonces.binding.expose()));
        expect(toHex(s.commitment.hiding), where).toBe(toHex(n.commitment.hiding));
        expect(toHex(s.commitment.binding), where).toBe(toHex(n.commitment.binding));
        list.push(n.commitment);
        nonces.set(p, n.nonces);
        cases++;
      }
      const sigShares = new Map<number, Uint8Array>();
      // One session per party and step (signingSession) gives the per-call results on both backends.
      const sessions = [
        signingSession(group, list, message, SODIUM_FROST),
        signingSession(group, list, message, NOBLE_FROST),
      ];
      const perParty = sessions.map(() => new Map<number, string>());
      for (const p of signers) {
        for (const [i, sess] of sessions.entries()) {
          if (i === 1 && k % 4 !== 0) continue; // noble is slow: every fourth session
          perParty[i]!.set(p, toHex(sess.signShare(keyShare(p, shares[p - 1]!), copyNonces(nonces.get(p)!))));
        }
      }
      // signShares: several shares of one party at once (as the agent signs its w shares), each of
      // their own terms of the group commitment a base multiplication: the same shares.
      const together = [SODIUM_FROST, ...(k % 4 === 0 ? [NOBLE_FROST] : [])].map((backend) =>
        signingSession(group, list, message, backend).signShares(
          signers.map((p) => [keyShare(p, shares[p - 1]!), copyNonces(nonces.get(p)!)] as const),
        ),
      );
      for (const p of signers) {
        const n = signShare(
          group,
          keyShare(p, shares[p - 1]!),
          copyNonces(nonces.get(p)!),
          list,
          message,
          NOBLE_FROST,
        );
        const s = signShare(group, keyShare(p, shares[p - 1]!), nonces.get(p)!, list, message, SODIUM_FROST);
        expect(toHex(s), where).toBe(toHex(n));
        sigShares.set(p, s);
        cases++;
      }
      for (const got of together)
        expect(got.map(toHex), where).toEqual(signers.map((p) => toHex(sigShares.get(p)!)));
      const sigN = aggregate(group, list, message, sigShares, NOBLE_FROST);
      const sigS = aggregate(group, list, message, sigShares, SODIUM_FROST);
      expect(toHex(sigS), where).toBe(toHex(sigN));
      for (const [i, sess] of sessions.entries()) {
        if (i === 1 && k % 4 !== 0) continue;
        for (const p of signers) expect(perParty[i]!.get(p), where).toBe(toHex(sigShares.get(p)!));
        expect(toHex(sess.aggregate(sigShares)), where).toBe(toHex(sigS));
        cases++;
      }
      expect(nodeVerify(sigS, message, group.groupPublicKey), where).toBe(true);
      cases++;
      if (k % 8 === 0) {
        // One share verdict each way, and blame for a corrupted share.
        const p = signers[randInt(signers.length)]!;
        const z = sigShares.get(p)!;
        expect(verifyShare(group, list, message, p, z, SODIUM_FROST), where).toBe(true);
        expect(verifyShare(group, list, message, p, z, NOBLE_FROST), where).toBe(true);
        const bad = scalarFromBig((scalarToBig(z) + 1n + BigInt(randInt(1000))) % L);
        expect(verifyShare(group, list, message, p, bad, SODIUM_FROST), where).toBe(false);
        expect(verifyShare(group, list, message, p, bad, NOBLE_FROST), where).toBe(false);
        const altered = new Map(sigShares).set(p, bad);
        const oN = outcome(() => aggregate(group, list, message, altered, NOBLE_FROST));
        const oS = outcome(() => aggregate(group, list, message, altered, SODIUM_FROST));
        expect(oS, where).toBe(oN);
        expect(
          outcome(() => sessions[0]!.aggregate(altered)),
          where,
        ).toBe(oS);
        expect(oS).toBe(`CryptoError BAD_SIGNATURE_SHARE: participant ${p} sent an invalid signature share`);
        // The culprit also travels as a typed field on both backends (the agent reads it, never the message).
        for (const backend of [NOBLE_FROST, SODIUM_FROST]) {
          let culprits: readonly number[] | undefined;
          try {
            aggregate(group, list, message, altered, backend);
          } catch (e) {
            culprits = (e as CryptoError).culprits();
          }
          expect(culprits, where).toEqual([p]);
        }
        cases += 5;
      }
    }
    expect(cases).toBeGreaterThan(COUNTS.sessions * 4);
    totals.sessions = cases;
  });

  it(`${COUNTS.commits} commits from fixed randomness`, () => {
    for (let k = 0; k < COUNTS.commits; k++) {
      const share = randScalar();
      const chunks = [rand(32), rand(32)];
      const n = NOBLE_FROST.commit(keyShare(7, share), fixedRng(chunks));
      const s = SODIUM_FROST.commit(keyShare(7, share), fixedRng(chunks));
      const got = [
        s.nonces.hiding.expose(),
        s.nonces.binding.expose(),
        s.commitment.hiding,
        s.commitment.binding,
      ];
      const want = [
        n.nonces.hiding.expose(),
        n.nonces.binding.expose(),
        n.commitment.hiding,
        n.commitment.binding,
      ];
      expect(got.map(toHex), `seed ${SEED} commit ${k}`).toEqual(want.map(toHex));
    }
    totals.commits = COUNTS.commits;
  });

  it(`${COUNTS.decodings} random encodings are accepted or rejected alike, with the same error`, () => {
    let valid = 0;
    for (let k = 0; k < COUNTS.decodings; k++) {
      let b: Uint8Array;
      switch (k % 16) {
        case 0:
        case 1: // a prime-order point, or its negation (sign bit flipped)
          b = baseMul(scalarFromBig(randScalar()));
          if (k % 16 === 1) b[31]! ^= 0x80;
          break;
        case 2:
        case 3: // a prime-order point plus a torsion point
          b = pointPlus(baseMul(scalarFromBig(randScalar())), TORSION[1 + randInt(7)]!);
          break;
        case 4: // uniform bytes
          b = rand(32);
          break;
        case 5:
        case 6:
        case 7: // y >= p (non-canonical), either sign bit
          b = le32(P + BigInt(randInt(19)) + (randInt(2) === 0 ? 2n ** 255n : 0n));
          break;
        case 8:
        case 9:
        case 10: // wrong lengths
          b = rand([0, 1, 31, 33, 64][randInt(5)]!);
          break;
        default: // a y that is not on the curve
          b = offCurve();
      }
      const n = outcome(() => decodePointNoble(b.slice(), 'p'));
      const ok = isValidPointNative(b.slice());
      expect(ok, `seed ${SEED} encoding ${toHex(b)}: ${n}`).toBe(!threw(n));
      // The sodium path explains a rejection with the noble rule: same code and message.
      if (ok || k % 16 === 4)
        expect(
          outcome(() => decodePoint(b.slice(), 'p', 'sodium')),
          toHex(b),
        ).toBe(n);
      if (ok) valid++;
    }
    expect(valid).toBeGreaterThan(COUNTS.decodings / 10);
    totals.decodings = COUNTS.decodings;
  });

  it('adds up to at least 10,000 compared cases', () => {
    const sum = totals.sessions + totals.commits + totals.decodings;
    expect(sum, JSON.stringify(totals)).toBeGreaterThanOrEqual(10_000);
  });
});
const totals = { sessions: 0, commits: 0, decodings: 0 };

// ---------------------------------------------------------------------------------------------
// RFC 9591 Appendix E.1 through the native path
// ---------------------------------------------------------------------------------------------

interface Vector {
  inputs: {
    group_public_key: string;
    message: string;
    share_polynomial_coefficients: string[];
    participant_shares: { identifier: number; participant_share: string }[];
  };
  round_one_outputs: {
    outputs: {
      identifier: number;
      hiding_nonce_randomness: string;
      binding_nonce_randomness: string;
      hiding_nonce: string;
      binding_nonce: string;
      hiding_nonce_commitment: string;
      binding_nonce_commitment: string;
    }[];
  };
  round_two_outputs: { outputs: { identifier: number; sig_share: string }[] };
  final_output: { sig: string };
}

describe('RFC 9591 FROST(Ed25519, SHA-512) vector', () => {
  const v = JSON.parse(
    readFileSync(new URL('../vectors/rfc9591-frost-ed25519-sha512.json', import.meta.url), 'utf8'),
  ) as Vector;
  const shareOf = (i: number) =>
    hex(v.inputs.participant_shares.find((x) => x.identifier === i)!.participant_share);

  it.each([SODIUM_FROST, NOBLE_FROST])('$name reproduces nonces, commitments, shares and signature', (be) => {
    const group: GroupPublic = {
      as: { n: 1, t: 0, w: 2, threshold: 2, total: 3 },
      groupPublicKey: hex(v.inputs.group_public_key),
      commitments: [hex(v.inputs.group_public_key), baseMul(hex(v.inputs.share_polynomial_coefficients[0]!))],
      verifyingShares: [1, 2, 3].map((i) => baseMul(shareOf(i))),
    };
    const msg = hex(v.inputs.message);
    const made = v.round_one_outputs.outputs.map((o) => {
      const share = { participant: o.identifier, signingShare: new Secret(shareOf(o.identifier)) };
      const r = be.commit(share, fixedRng([hex(o.hiding_nonce_randomness), hex(o.binding_nonce_randomness)]));
      expect(toHex(r.nonces.hiding.expose())).toBe(o.hiding_nonce);
      expect(toHex(r.nonces.binding.expose())).toBe(o.binding_nonce);
      expect(toHex(r.commitment.hiding)).toBe(o.hiding_nonce_commitment);
      expect(toHex(r.commitment.binding)).toBe(o.binding_nonce_commitment);
      return { share, ...r };
    });
    const list = made.map((m) => m.commitment);
    const shares = new Map<number, Uint8Array>();
    for (const m of made) {
      const z = signShare(group, m.share, m.nonces, list, msg, be);
      const want = v.round_two_outputs.outputs.find((x) => x.identifier === m.share.participant)!;
      expect(toHex(z)).toBe(want.sig_share);
      expect(verifyShare(group, list, msg, m.share.participant, z, be)).toBe(true);
      expect(verifyShare(group, list, msg, m.share.participant === 1 ? 3 : 1, z, be)).toBe(false);
      shares.set(m.share.participant, z);
    }
    const sig = aggregate(group, list, msg, shares, be);
    expect(toHex(sig)).toBe(v.final_output.sig);
    expect(nodeVerify(sig, msg, group.groupPublicKey)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile inputs
// ---------------------------------------------------------------------------------------------

const P = 2n ** 255n - 19n;
/** The eight torsion points (order 1, 2, 4, 4, 8, 8, 8, 8), canonical encodings, identity first. */
const TORSION: Uint8Array[] = (() => {
  const t8 = ed25519.Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
  return Array.from({ length: 8 }, (_, i) => t8.multiplyUnsafe(BigInt(i)).toBytes());
})();
/** Random 32 bytes whose y has no x on the curve (noble's decompression alone decides). */
function offCurve(): Uint8Array {
  for (;;) {
    const b = rand(32);
    try {
      ed25519.Point.fromBytes(b);
    } catch {
      return b;
    }
  }
}
const pointPlus = (a: Uint8Array, b: Uint8Array): Uint8Array =>
  ed25519.Point.fromBytes(a).add(ed25519.Point.fromBytes(b)).toBytes();

/** Encodings that are not valid group elements, with a label. */
function hostilePoints(): [string, Uint8Array][] {
  const good = baseMul(scalarFromBig(randScalar()));
  const out: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['31 bytes', good.slice(0, 31)],
    ['33 bytes', concatBytes(good, new Uint8Array(1))],
    ['64 bytes', concatBytes(good, good)],
  ];
  TORSION.forEach((t, i) => {
    out.push([`torsion point ${i}`, t]);
    const flipped = t.slice();
    flipped[31]! ^= 0x80;
    out.push([`torsion point ${i}, sign bit flipped`, flipped]);
    if (i > 0) out.push([`prime-order + torsion ${i}`, pointPlus(good, t)]);
  });
  // Every non-canonical y (p <= y < 2^255), both sign bits: aliases of y = 0..18.
  for (let y = P; y < 2n ** 255n; y++) {
    out.push([`y = p + ${y - P}`, le32(y)]);
    out.push([`y = p + ${y - P}, sign bit`, le32(y + 2n ** 255n)]);
  }
  for (let y = 2n; out.length < 80; y++) {
    const b = le32(y);
    if (!isValidPointNative(b.slice())) out.push([`y = ${y}`, b]);
  }
  return out;
}

describe('checkSigningList: an oracle checks the list it signs with by computing its session', () => {
  const d = dealer(4, 5);
  const group: GroupPublic = { ...d.group, as: accessStructure(3, 2) };
  const msg = new TextEncoder().encode('signing list');
  const me = () => keyShare(1, d.shares[0]!);
  const make = () => [5, 1, 4, 2].map((p) => SODIUM_FROST.commit(keyShare(p, d.shares[p - 1]!)));

  it("gives checkCommitmentList's list and signShare's share, on both backends", () => {
    for (let k = 0; k < 12; k++) {
      const made = make();
      const list = made.map((m) => m.commitment);
      const ours = made[1]!.nonces;
      const want = toHex(signShare(group, me(), copyNonces(ours), list, msg, NOBLE_FROST));
      for (const be of k % 4 === 0 ? [SODIUM_FROST, NOBLE_FROST] : [SODIUM_FROST]) {
        const r = checkSigningList(group, list, msg, me(), copyNonces(ours), be);
        expect(r.list).toEqual(checkCommitmentList(group.as, list));
        expect(toHex(r.session.signShare(me(), copyNonces(ours))), be.name).toBe(want);
      }
    }
  });

  it("refuses a hostile point anywhere in the list with checkCommitmentList's error (code and message)", () => {
    const points = hostilePoints();
    let cases = 0;
    for (const [i, [label, b]] of points.entries()) {
      const made = make();
      const list = made.map((m) => m.commitment);
      const j = i % list.length;
      for (const field of ['hiding', 'binding'] as const) {
        const l = list.map((c, x) => (x === j ? { ...c, [field]: b } : c));
        const want = outcome(() => checkCommitmentList(group.as, l)[0]!.hiding);
        expect(want, label).toMatch(/^CryptoError (BAD_LENGTH|MALFORMED_POINT)/);
        expect(
          outcome(
            () =>
              checkSigningList(group, l, msg, me(), copyNonces(made[1]!.nonces), SODIUM_FROST).list[0]!
                .hiding,
          ),
          `${label} as ${field} of participant ${list[j]!.participant}`,
        ).toBe(want);
        cases++;
      }
    }
    expect(cases).toBeGreaterThanOrEqual(160);
  });
});

describe('hostile inputs are rejected identically by both backends', () => {
  const { group, shares } = dealer(2, 3);
  const signers = [1, 3];
  const msg = new TextEncoder().encode('hostile');
  const session = () => {
    const made = signers.map((p) => NOBLE_FROST.commit(keyShare(p, shares[p - 1]!)));
    return { list: made.map((m) => m.commitment), nonces: made.map((m) => m.nonces) };
  };
  /** Valid shares of every signer (nonces copied, so the session's stay usable). */
  const signAll = (list: NonceCommitment[], nonces: SigningNonces[]) => {
    const z = new Map<number, Uint8Array>();
    for (const [i, p] of signers.entries()) {
      z.set(
        p,
        signShare(group, keyShare(p, shares[p - 1]!), copyNonces(nonces[i]!), list, msg, SODIUM_FROST),
      );
    }
    return z;
  };

  it('points: decodePoint gives the same code and message; libsodium accepts none', () => {
    const points = hostilePoints();
    expect(points.length).toBeGreaterThanOrEqual(80);
    for (const [label, b] of points) {
      const n = outcome(() => decodePointNoble(b, label));
      expect(n, label).toMatch(/^CryptoError (BAD_LENGTH|MALFORMED_POINT)/);
      expect(
        outcome(() => decodePoint(b.slice(), label, 'sodium')),
        label,
      ).toBe(n);
      expect(
        outcome(() => decodePoint(b.slice(), label, 'noble')),
        label,
      ).toBe(n);
      if (b.length === 32) expect(isValidPointNative(b.slice()), label).toBe(false);
    }
  });

  it('points in the commitment list, the group key or a verifying share', () => {
    // A representative subset (noble's aggregate and blame cost ~60 ms per case).
    const points = hostilePoints().filter((_, i) => i % 4 === 0);
    for (const [label, b] of points) {
      const { list, nonces } = session();
      const z = signAll(list, nonces);
      const variants: [string, GroupPublic, NonceCommitment[]][] = [
        [`${label} as hiding`, group, [{ ...list[0]!, hiding: b }, list[1]!]],
        [`${label} as binding`, group, [list[0]!, { ...list[1]!, binding: b }]],
        [`${label} as commitments[0]`, { ...group, commitments: [b, group.commitments[1]!] }, list],
      ];
      for (const [what, g, l] of variants) {
        for (const be of [SODIUM_FROST, NOBLE_FROST]) {
          expect(
            threw(outcome(() => be.signShare(g, keyShare(1, shares[0]!), copyNonces(nonces[0]!), l, msg))),
            `${what} ${be.name}`,
          ).toBe(true);
          expect(be.verifyShare(g, l, msg, 1, z.get(1)!), `${what} ${be.name}`).toBe(false);
        }
        const oS = outcome(() => aggregate(g, l, msg, z, SODIUM_FROST));
        expect(oS, what).toBe(outcome(() => aggregate(g, l, msg, z, NOBLE_FROST)));
        expect(oS, what).toMatch(/^CryptoError BAD_SIGNATURE_SHARE: participant 1 sent/);
      }
      const badShare = {
        ...group,
        verifyingShares: [b, group.verifyingShares[1]!, group.verifyingShares[2]!],
      };
      for (const be of [SODIUM_FROST, NOBLE_FROST]) {
        expect(be.verifyShare(badShare, list, msg, 1, z.get(1)!), `${label} verifying share ${be.name}`).toBe(
          false,
        );
      }
    }
  });

  it('non-canonical scalars and wrong lengths: shares, nonces, signing shares', () => {
    const { list, nonces } = session();
    const z = signAll(list, nonces);
    const z3 = scalarToBig(z.get(3)!);
    const badScalars: [string, Uint8Array][] = [
      ['share + L (an alias of a valid share)', le32(z3 + L)],
      ['L', le32(L)],
      ['2^256 - 1', new Uint8Array(32).fill(0xff)],
      ['31 bytes', z.get(3)!.slice(0, 31)],
      ['33 bytes', concatBytes(z.get(3)!, new Uint8Array(1))],
    ];
    for (const [label, s] of badScalars) {
      const altered = new Map(z).set(3, s);
      const oS = outcome(() => aggregate(group, list, msg, altered, SODIUM_FROST));
      expect(oS, label).toBe(outcome(() => aggregate(group, list, msg, altered, NOBLE_FROST)));
      expect(oS, label).toBe(
        'CryptoError BAD_SIGNATURE_SHARE: participant 3 sent an invalid signature share',
      );
      for (const be of [SODIUM_FROST, NOBLE_FROST])
        expect(be.verifyShare(group, list, msg, 3, s), label).toBe(false);
      // The same bytes as nonces or as a signing share.
      for (const be of [SODIUM_FROST, NOBLE_FROST]) {
        const asNonce = {
          hiding: new Secret(s.slice()),
          binding: new Secret(nonces[1]!.binding.expose().slice()),
        };
        expect(
          threw(outcome(() => be.signShare(group, keyShare(3, shares[2]!), asNonce, list, msg))),
          label,
        ).toBe(true);
        const asShare = { participant: 3, signingShare: new Secret(s.slice()) };
        expect(
          threw(outcome(() => be.signShare(group, asShare, copyNonces(nonces[1]!), list, msg))),
          label,
        ).toBe(true);
        expect(threw(outcome(() => be.commit(asShare).commitment.hiding)), label).toBe(true);
      }
    }
    const missing = new Map(z);
    missing.delete(1);
    const o = outcome(() => aggregate(group, list, msg, missing, SODIUM_FROST));
    expect(o).toBe(outcome(() => aggregate(group, list, msg, missing, NOBLE_FROST)));
    expect(o).toMatch(/^CryptoError BAD_PARTICIPANT/);
  });

  it('signing-set and nonce misuse: wrong own commitment, reused nonces, duplicates, too few', () => {
    const { list, nonces } = session();
    const cases: [string, () => [KeyShare, SigningNonces, NonceCommitment[]]][] = [
      [
        'own commitment swapped',
        () => [keyShare(1, shares[0]!), copyNonces(nonces[0]!), [{ ...list[1]!, participant: 1 }, list[1]!]],
      ],
      ['nonces of another signer', () => [keyShare(1, shares[0]!), copyNonces(nonces[1]!), list]],
      [
        'used (zeroed) nonces',
        () => [
          keyShare(1, shares[0]!),
          { hiding: new Secret(new Uint8Array(32)), binding: new Secret(new Uint8Array(32)) },
          list,
        ],
      ],
      ['signer not in the list', () => [keyShare(2, shares[1]!), copyNonces(nonces[0]!), list]],
      [
        'duplicate participant',
        () => [keyShare(1, shares[0]!), copyNonces(nonces[0]!), [list[0]!, list[0]!]],
      ],
      ['too few commitments', () => [keyShare(1, shares[0]!), copyNonces(nonces[0]!), [list[0]!]]],
      [
        'too many commitments',
        () => [
          keyShare(1, shares[0]!),
          copyNonces(nonces[0]!),
          [list[0]!, list[1]!, { ...list[1]!, participant: 2 }, { ...list[1]!, participant: 4 }],
        ],
      ],
    ];
    for (const [label, make] of cases) {
      for (const be of [SODIUM_FROST, NOBLE_FROST]) {
        const [share, n, l] = make();
        const perCall = outcome(() => be.signShare(group, share, n, l, msg));
        expect(threw(perCall), `${label} ${be.name}`).toBe(true);
        // A session refuses it the same way (same code and message).
        const [share2, n2, l2] = make();
        expect(
          outcome(() => signingSession(group, l2, msg, be).signShare(share2, n2)),
          label,
        ).toBe(perCall);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Backend selection and fallback
// ---------------------------------------------------------------------------------------------

describe('backend selection', () => {
  afterEach(() => {
    setCryptoBackend('sodium');
  });

  it('sodium-native loads from its prebuilt binary here and is the default', () => {
    expect(cryptoBackend()).toEqual({ name: 'sodium', nativeAvailable: true });
    expect(frostBackend()).toBe(SODIUM_FROST);
  });

  it('an unloadable or incomplete sodium-native is reported, not thrown', () => {
    const missing = loadSodium(() => {
      throw new Error("Cannot find module 'sodium-native'\nRequire stack: ...");
    });
    expect(missing).toEqual({ error: "Cannot find module 'sodium-native'" });
    expect(loadSodium(() => ({ crypto_core_ed25519_add() {} }))).toEqual({
      error: 'sodium-native lacks crypto_core_ed25519_is_valid_point',
    });
    expect(loadSodium().sodium).toBeDefined();
  });

  it('pinned to noble, the default path signs with noble and the metrics say so', async () => {
    const metrics = new OracleMetrics();
    expect(await metrics.registry.getSingleMetricAsString('mpcid_crypto_backend')).toMatch(
      /mpcid_crypto_backend\{backend="sodium"\} 1\n.*\{backend="noble"\} 0/,
    );
    expect(setCryptoBackend('noble')).toBe('noble');
    expect(frostBackend()).toBe(NOBLE_FROST);
    expect(await metrics.registry.getSingleMetricAsString('mpcid_crypto_backend')).toMatch(
      /\{backend="sodium"\} 0\n.*\{backend="noble"\} 1/,
    );
    const { group, shares } = dealer(2, 2);
    const made = [1, 2].map((p) => commit(keyShare(p, shares[p - 1]!)));
    const list = made.map((m) => m.commitment);
    const msg = new TextEncoder().encode('fallback');
    const z = new Map(
      made.map((m, i) => [i + 1, signShare(group, keyShare(i + 1, shares[i]!), m.nonces, list, msg)]),
    );
    // The nonces were wiped by the wrapper; the signature verifies for node:crypto.
    expect(made[0]!.nonces.hiding.expose().every((x) => x === 0)).toBe(true);
    const sig = aggregate(group, list, msg, z);
    expect(nodeVerify(sig, msg, group.groupPublicKey)).toBe(true);
    expect(toHex(aggregate(group, list, msg, z, SODIUM_FROST))).toBe(toHex(sig));
    expect(decodePoint(group.groupPublicKey.slice(), 'gpk')).toBeInstanceOf(Uint8Array);
  });

  it('the validated-point cache is keyed by contents: a mutated array is checked again', () => {
    const b = baseMul(scalarFromBig(randScalar()));
    expect(isValidPointNative(b)).toBe(true);
    const saved = b[0]!;
    b.set(TORSION[4]!);
    expect(isValidPointNative(b)).toBe(false);
    expect(() => decodePoint(b, 'mutated')).toThrow(CryptoError);
    b[0] = saved;
    expect(b[0]).toBe(saved);
  });
});

describe("a signer's own nonces from the native commit (the point they were committed to is remembered)", () => {
  it('sign exactly as noble signs with copies of them, per call and per session; another commitment in their place is refused', () => {
    for (let k = 0; k < 12; k++) {
      const { group, shares } = dealer(2 + (k % 2), 3 + (k % 2));
      const signers = Array.from({ length: group.as.threshold }, (_, i) => i + 1);
      const message = rand(1 + randInt(100));
      const made = signers.map((p) => SODIUM_FROST.commit(keyShare(p, shares[p - 1]!)));
      const list = made.map((m) => m.commitment);
      const sess = signingSession(group, list, message, SODIUM_FROST);
      const sigShares = new Map<number, Uint8Array>();
      for (const [i, p] of signers.entries()) {
        const own = made[i]!.nonces;
        const n = signShare(group, keyShare(p, shares[p - 1]!), copyNonces(own), list, message, NOBLE_FROST);
        // Even sessions through one signing session per party, odd ones per call (each wipes the nonces).
        const s =
          k % 2 === 0
            ? sess.signShare(keyShare(p, shares[p - 1]!), own)
            : signShare(group, keyShare(p, shares[p - 1]!), own, list, message, SODIUM_FROST);
        expect(toHex(s), `session ${k} signer ${p}`).toBe(toHex(n));
        sigShares.set(p, s);
      }
      const sig = aggregate(group, list, message, sigShares, SODIUM_FROST);
      expect(toHex(sig)).toBe(toHex(aggregate(group, list, message, sigShares, NOBLE_FROST)));
      expect(nodeVerify(sig, message, group.groupPublicKey)).toBe(true);
      // Signer 1's binding commitment swapped for a fresh valid point: refused on both backends.
      const other = SODIUM_FROST.commit(keyShare(1, shares[0]!)).commitment;
      const fresh = SODIUM_FROST.commit(keyShare(1, shares[0]!));
      const swapped = list.map((c) =>
        c.participant === 1 ? { participant: 1, hiding: fresh.commitment.hiding, binding: other.binding } : c,
      );
      const own = fresh.nonces;
      const oS = outcome(() =>
        signShare(group, keyShare(1, shares[0]!), own, swapped, message, SODIUM_FROST),
      );
      const oN = outcome(() =>
        signShare(group, keyShare(1, shares[0]!), copyNonces(own), swapped, message, NOBLE_FROST),
      );
      expect(threw(oS)).toBe(true);
      expect(threw(oN)).toBe(true);
    }
  });
});

describe("the aggregator's shortcut: our shares against a reported group commitment", () => {
  /** A session of `group` in which the last `w` participants are ours (the agent's) and the rest report R. */
  const setup = (threshold: number, total: number, w: number) => {
    const { group, shares } = dealer(threshold, total);
    const signers = Array.from({ length: threshold }, (_, i) => i + 1);
    const message = rand(1 + randInt(100));
    const made = signers.map((p) => SODIUM_FROST.commit(keyShare(p, shares[p - 1]!)));
    const list = made.map((m) => m.commitment);
    const others = signers.slice(0, threshold - w);
    const ours = signers.slice(threshold - w);
    const theirShares = new Map<number, Uint8Array>();
    let R: Uint8Array | undefined;
    for (const p of others) {
      const s = signingSession(group, list, message, SODIUM_FROST);
      theirShares.set(p, s.signShare(keyShare(p, shares[p - 1]!), copyNonces(made[p - 1]!.nonces)));
      R = s.groupCommitment();
    }
    const pairs = () =>
      ours.map((p) => [keyShare(p, shares[p - 1]!), copyNonces(made[p - 1]!.nonces)] as const);
    return { group, list, message, theirShares, R: R!, pairs };
  };

  it('gives the byte-identical signature of the full path, and wipes our nonces only then', () => {
    for (let k = 0; k < 30; k++) {
      const threshold = 3 + (k % 3);
      const { group, list, message, theirShares, R, pairs } = setup(threshold, threshold + 1, 1 + (k % 2));
      const full = signingSession(group, list, message, SODIUM_FROST);
      const own = pairs();
      const all = new Map(theirShares);
      full.signShares(own).forEach((z, i) => {
        all.set(own[i]![0].participant, z);
      });
      const want = full.aggregate(all);
      expect(toHex(full.groupCommitment()!)).toBe(toHex(R));
      const mine = pairs();
      const got = signingSession(group, list, message, SODIUM_FROST).aggregateAgainst(R, mine, theirShares);
      expect(toHex(got!), `case ${k}`).toBe(toHex(want));
      expect(nodeVerify(got!, message, group.groupPublicKey)).toBe(true);
      for (const [, n] of mine) expect(n.binding.expose().every((b) => b === 0)).toBe(true);
    }
  });

  it('a wrong R, a missing or bad share gives undefined and leaves our nonces for the full path', () => {
    const { group, list, message, theirShares, R, pairs } = setup(3, 4, 1);
    const someone = theirShares.keys().next().value!;
    const otherPoint = baseMul(scalarFromBig(12345n));
    const flipped = R.slice();
    flipped[0]! ^= 1;
    const badShare = new Map(theirShares);
    badShare.set(
      someone,
      Uint8Array.from(theirShares.get(someone)!, (b, i) => (i === 0 ? b ^ 1 : b)),
    );
    const missing = new Map(theirShares);
    missing.delete(someone);
    const unreduced = new Map(theirShares);
    unreduced.set(someone, scalarFromBig(L + 1n));
    const cases: [string, Uint8Array, Map<number, Uint8Array>][] = [
      ['another valid point as R', otherPoint, theirShares],
      ['R with a bit flipped', flipped, theirShares],
      ['R of 31 bytes', R.subarray(0, 31), theirShares],
      ['a share with a bit flipped', R, badShare],
      ['a missing share', R, missing],
      ['a share not reduced mod L', R, unreduced],
    ];
    for (const [what, r, z] of cases) {
      const mine = pairs();
      const s = signingSession(group, list, message, SODIUM_FROST);
      expect(s.aggregateAgainst(r, mine, z), what).toBeUndefined();
      for (const [, n] of mine)
        expect(
          n.binding.expose().some((b) => b !== 0),
          what,
        ).toBe(true);
      // The full path still signs with those nonces (or names the bad share).
      const all = new Map(z);
      s.signShares(mine).forEach((x, i) => {
        all.set(mine[i]![0].participant, x);
      });
      if (z === theirShares)
        expect(nodeVerify(s.aggregate(all), message, group.groupPublicKey), what).toBe(true);
      else
        expect(
          outcome(() => s.aggregate(all)),
          what,
        ).toMatch(/^CryptoError (BAD_SIGNATURE_SHARE|BAD_PARTICIPANT)/);
    }
  });

  it('keeps signShare checks: used nonces and a commitment that is not ours are refused', () => {
    const { group, list, message, theirShares, R, pairs } = setup(3, 4, 1);
    const used = pairs();
    for (const [, n] of used) n.hiding.wipe();
    expect(
      outcome(
        () =>
          signingSession(group, list, message, SODIUM_FROST).aggregateAgainst(R, used, theirShares) ?? false,
      ),
    ).toMatch(/^CryptoError INTERNAL.*already used/);
    const share = pairs()[0]![0];
    const stranger = SODIUM_FROST.commit(share).nonces;
    expect(
      outcome(
        () =>
          signingSession(group, list, message, SODIUM_FROST).aggregateAgainst(
            R,
            [[share, stranger]],
            theirShares,
          ) ?? false,
      ),
    ).toMatch(/^CryptoError INTERNAL.*does not match/);
  });

  it('is not offered by the noble backend (undefined: the caller runs the full path)', () => {
    const { group, list, message, theirShares, R, pairs } = setup(2, 3, 1);
    const s = signingSession(group, list, message, NOBLE_FROST);
    expect(s.groupCommitment()).toBeUndefined();
    expect(s.aggregateAgainst(R, pairs(), theirShares)).toBeUndefined();
  });
});
