/**
 * The native Ed25519 DKG (crypto/frost-dkg-native.ts through DkgParticipant with the sodium
 * backend) against the reference, @noble/curves' ed25519_FROST.DKG (noble pinned):
 * - differential: the same random bytes give byte-identical round-1 packages, round-2 shares,
 *   signing shares, group commitments and verifying shares, for several (n, t);
 * - mixed: a DKG whose participants run on different backends agrees on one key;
 * - hostile: a bad proof of knowledge, a share that does not match its commitment (its sender
 *   named), a non-canonical share and a wrong commitment count fail alike on both;
 * - every key signs, and node:crypto verifies the signature.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { accessStructure } from '../../crypto/access.js';
import { toHex } from '../../crypto/bytes.js';
import { type BackendName, L, scalarFromBig, setCryptoBackend } from '../../crypto/ed25519-native.js';
import { CryptoError } from '../../crypto/errors.js';
import { DkgParticipant, type GroupPublic, type KeyShare, type Round1Package } from '../../crypto/frost.js';
import { Secret } from '../../crypto/secret.js';
import { frostSign, nodeVerify } from './helpers.js';

const SEED = process.env.MPCID_DIFF_SEED ?? randomBytes(8).toString('hex');

/** A seeded byte stream per (run, participant): both backends read the very same bytes. */
function rngFor(run: string, participant: number): (len: number) => Uint8Array {
  let counter = 0;
  return (len) => {
    const out = new Uint8Array(len);
    for (let off = 0; off < len; off += 64) {
      const block = createHash('sha512').update(`${SEED}/${run}/${participant}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(64, len - off)), off);
    }
    return out;
  };
}

interface Outcome {
  round1: Round1Package[];
  shares: Map<string, Uint8Array>;
  keys: { share: KeyShare; group: GroupPublic }[];
}

/** A whole DKG among every participant; `backendOf(p)` picks each participant's backend. */
function dkg(
  n: number,
  t: number,
  run: string,
  backendOf: (p: number) => BackendName,
  tamper?: (sender: number, recipient: number, share: Uint8Array) => Uint8Array,
): Outcome {
  const as = accessStructure(n, t);
  const parts: DkgParticipant[] = [];
  for (let p = 1; p <= as.total; p++) {
    setCryptoBackend(backendOf(p));
    parts.push(new DkgParticipant(as, p, undefined, rngFor(run, p)));
  }
  setCryptoBackend('sodium');
  const round1 = parts.map((x) => x.round1);
  const shares = new Map<string, Uint8Array>();
  const inbox = new Map<number, Map<number, Secret>>();
  for (const part of parts) {
    const from = part.round1.participant;
    for (const [to, s] of part.round2(round1)) {
      const bytes = tamper ? tamper(from, to, s.expose()) : s.expose();
      shares.set(`${from}->${to}`, bytes);
      if (!inbox.has(to)) inbox.set(to, new Map());
      inbox.get(to)!.set(from, new Secret(bytes, 'dkg-share'));
    }
  }
  const keys = parts.map((part) => part.finish(round1, inbox.get(part.round1.participant)!));
  return { round1, shares, keys };
}

const hexOf = (o: Outcome) => ({
  round1: o.round1.map((r) => [r.participant, r.commitment.map(toHex), toHex(r.proofOfKnowledge)]),
  shares: [...o.shares].map(([k, v]) => [k, toHex(v)]),
  keys: o.keys.map(({ share, group }) => ({
    participant: share.participant,
    signingShare: toHex(share.signingShare.expose()),
    groupPublicKey: toHex(group.groupPublicKey),
    commitments: group.commitments.map(toHex),
    verifyingShares: group.verifyingShares.map(toHex),
  })),
});

/** The error a function throws, as (code, culprits), or 'ok'. */
function failure(f: () => unknown): unknown {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    return { code: e.code, culprits: e.culprits() };
  }
}

afterEach(() => {
  setCryptoBackend('sodium');
});

describe(`native Ed25519 DKG against noble (seed ${SEED})`, () => {
  // [n, t, runs]: noble costs ~0.1-0.3 s per participant, so the larger shapes run once.
  const SHAPES: [number, number, number][] = [
    [1, 1, 3],
    [3, 2, 3],
    [4, 3, 2],
    [5, 3, 1],
  ];

  it.each(SHAPES)(
    'n=%i t=%i: byte-identical packages, shares and keys from the same randomness (%i runs)',
    (n, t, runs) => {
      for (let run = 0; run < runs; run++) {
        const noble = dkg(n, t, `${n}/${t}/${run}`, () => 'noble');
        const native = dkg(n, t, `${n}/${t}/${run}`, () => 'sodium');
        expect(hexOf(native)).toEqual(hexOf(noble));
        // One key for all, and it signs: the agent's points plus t oracles, checked by node:crypto.
        const as = accessStructure(n, t);
        const group = native.keys[0]!.group;
        for (const k of native.keys) expect(toHex(k.group.groupPublicKey)).toBe(toHex(group.groupPublicKey));
        const signers = [
          ...Array.from({ length: t }, (_, i) => i + 1),
          ...Array.from({ length: as.w }, (_, i) => n + 1 + i),
        ];
        const msg = new Uint8Array(randomBytes(40));
        const { signature } = frostSign(
          group,
          native.keys.map((k) => k.share),
          signers,
          msg,
        );
        expect(nodeVerify(signature, msg, group.groupPublicKey)).toBe(true);
      }
    },
  );

  it('a DKG whose participants run on both backends agrees with the all-noble run', () => {
    const noble = dkg(3, 2, 'mixed', () => 'noble');
    const mixed = dkg(3, 2, 'mixed', (p) => (p % 2 === 0 ? 'noble' : 'sodium'));
    expect(hexOf(mixed)).toEqual(hexOf(noble));
  });

  it('a share that does not match its commitment names its sender on both backends', () => {
    for (const backend of ['noble', 'sodium'] as const) {
      const bad = (from: number, to: number, s: Uint8Array) => {
        if (from !== 2 || to !== 4) return s;
        const x = s.slice();
        x[0] = (x[0]! + 1) % 256; // still canonical (bit 255 stays clear)
        return x;
      };
      expect(failure(() => dkg(3, 2, `bad-share/${backend}`, () => backend, bad))).toEqual({
        code: 'DKG_FAILED',
        culprits: [2],
      });
    }
  });

  it('a non-canonical share (>= L) is MALFORMED_SCALAR on both backends', () => {
    for (const backend of ['noble', 'sodium'] as const) {
      const big = (from: number, to: number, s: Uint8Array) =>
        from === 1 && to === 3 ? scalarFromBig(L + 5n) : s;
      expect(failure(() => dkg(3, 2, `big/${backend}`, () => backend, big))).toMatchObject({
        code: 'MALFORMED_SCALAR',
      });
    }
  });

  it('a bad proof of knowledge, or a wrong commitment count, fails round 2 alike', () => {
    const as = accessStructure(3, 2);
    for (const backend of ['noble', 'sodium'] as const) {
      setCryptoBackend(backend);
      const parts = Array.from({ length: as.total }, (_, i) => new DkgParticipant(as, i + 1));
      const r1 = parts.map((p) => p.round1);
      // mu + 1: the proof no longer verifies.
      const proof = r1[1]!.proofOfKnowledge.slice();
      proof[32] = (proof[32]! + 1) % 256;
      const badProof = r1.map((r, i) => (i === 1 ? { ...r, proofOfKnowledge: proof } : r));
      expect(failure(() => parts[0]!.round2(badProof))).toEqual({ code: 'DKG_FAILED', culprits: [] });
      // Another participant's proof under this participant's id: the challenge binds the id.
      const swapped = r1.map((r, i) => (i === 1 ? { ...r, proofOfKnowledge: r1[2]!.proofOfKnowledge } : r));
      expect(failure(() => parts[0]!.round2(swapped))).toEqual({ code: 'DKG_FAILED', culprits: [] });
      const short = r1.map((r, i) => (i === 2 ? { ...r, commitment: r.commitment.slice(1) } : r));
      expect(failure(() => parts[0]!.round2(short))).toMatchObject({ code: 'DKG_FAILED' });
      // The honest transcript still works after those refusals.
      expect(parts[0]!.round2(r1).size).toBe(as.total - 1);
    }
  });

  it('round 3 must be given the round-1 set round 2 checked, after round 2, on both backends', () => {
    const as = accessStructure(1, 1);
    for (const backend of ['noble', 'sodium'] as const) {
      setCryptoBackend(backend);
      const a = new DkgParticipant(as, 1);
      const b = new DkgParticipant(as, 2);
      const r1 = [a.round1, b.round1];
      const toA = b.round2(r1).get(1)!;
      // Before its own round 2.
      expect(failure(() => new DkgParticipant(as, 1).finish(r1, new Map([[2, toA]])))).toMatchObject({
        code: 'DKG_FAILED',
      });
      a.round2(r1);
      // Another participant 2 in round 3 than the one round 2 checked.
      const c = new DkgParticipant(as, 2);
      expect(failure(() => a.finish([a.round1, c.round1], new Map([[2, toA]])))).toMatchObject({
        code: 'DKG_FAILED',
      });
    }
  });

  it('finish runs once: a second call is ENROLLMENT_STATE on both backends', () => {
    for (const backend of ['noble', 'sodium'] as const) {
      const out = dkg(1, 1, `once/${backend}`, () => backend);
      expect(out.keys).toHaveLength(2);
    }
    setCryptoBackend('sodium');
    const as = accessStructure(1, 1);
    const a = new DkgParticipant(as, 1);
    const b = new DkgParticipant(as, 2);
    const r1 = [a.round1, b.round1];
    const toA = b.round2(r1).get(1)!;
    a.round2(r1);
    a.finish(r1, new Map([[2, toA]]));
    expect(failure(() => a.finish(r1, new Map([[2, toA]])))).toMatchObject({ code: 'ENROLLMENT_STATE' });
  });
});
