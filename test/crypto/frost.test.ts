/**
 * FROST over the "agent AND t of n oracles" access structure: a real DKG among all N points with
 * sealed round-2 shares, signing by every qualifying set, the sets that must not be able to sign,
 * blame for bad signature shares and bad DKG data, and key-share checks.
 */
import { ed25519, ed25519_FROST as F } from '@noble/curves/ed25519.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { culpritsOf } from '../../common/errors.js';
import { agentParticipants, oracleParticipants } from '../../crypto/access.js';
import { equalBytes, toHex } from '../../crypto/bytes.js';
import { verifyEd25519 } from '../../crypto/ed25519.js';
import { CryptoError } from '../../crypto/errors.js';
import {
  aggregate,
  checkCommitmentList,
  checkGroupPublic,
  checkKeyShare,
  checkRound1,
  DkgParticipant,
  type GroupPublic,
  type KeyShare,
  type NonceCommitment,
  type Round1Package,
  round1Digest,
  signShare,
  verifyShare,
} from '../../crypto/frost.js';
import { generateBoxKey, openShare, sealShare } from '../../crypto/seal.js';
import { Secret } from '../../crypto/secret.js';
import {
  type Cluster,
  commitAll,
  dkgOpen,
  dkgRound1,
  dkgRound2,
  expectMpcidError,
  Fn,
  frostSign,
  nodeVerify,
  opensslVerify,
  runDkg,
  subsets,
  utf8,
} from './helpers.js';

const publicOf = (scalar: Uint8Array): Uint8Array =>
  ed25519.Point.BASE.multiply(Fn.fromBytes(scalar)).toBytes();
const randomScalar = (): Uint8Array => F.utils.randomScalar();
const plusOne = (scalar: Uint8Array): Uint8Array => Fn.toBytes(Fn.add(Fn.fromBytes(scalar), 1n));
const nobleShare = (s: KeyShare) => ({
  identifier: F.Identifier.fromNumber(s.participant),
  signingShare: s.signingShare.expose(),
});

/**
 * The best a coalition can do with its shares alone: Lagrange-interpolate them at 0 (noble's
 * combineSecret over exactly this set; a single share is its own interpolation).
 */
function interpolate(shares: readonly KeyShare[], total: number): Uint8Array {
  if (shares.length === 1) return shares[0]!.signingShare.expose();
  return F.combineSecret(shares.map(nobleShare), { min: shares.length, max: total });
}

/**
 * Coalition `participants` pretends the threshold is its own size and runs the FROST signing
 * flow: every share is well-formed for that fake threshold, yet no valid signature comes out.
 */
function expectForgeryFails(c: Cluster, group: GroupPublic, participants: number[], msg: Uint8Array) {
  const fake: GroupPublic = { ...group, as: { ...group.as, threshold: participants.length } };
  const { list, nonces } = commitAll(c.shares, participants);
  const sigShares = new Map<number, Uint8Array>();
  for (const p of participants) {
    const z = signShare(fake, c.shares[p - 1]!, nonces.get(p)!, list, msg);
    expect(verifyShare(fake, list, msg, p, z)).toBe(true);
    sigShares.set(p, z);
  }
  expect(() => aggregate(fake, list, msg, sigShares)).toThrow(CryptoError);
  expect(() => aggregate(group, list, msg, sigShares)).toThrow(CryptoError);
}

describe.each([
  [1, 1],
  [3, 2],
  [5, 3],
])('cluster n=%i t=%i', (n, t) => {
  let c: Cluster;
  let group: GroupPublic;
  let agent: number[];
  let oracles: number[];

  beforeAll(() => {
    c = runDkg(n, t);
    group = c.groups[0]!;
    agent = agentParticipants(c.as);
    oracles = oracleParticipants(c.as);
  });

  it('every participant derives the same group key, commitments and verifying shares', () => {
    expect(c.groups.length).toBe(c.as.total);
    expect(group.commitments.length).toBe(c.as.threshold);
    expect(group.verifyingShares.length).toBe(c.as.total);
    expect(toHex(group.groupPublicKey)).toBe(toHex(group.commitments[0]!));
    for (const g of c.groups) {
      expect(toHex(g.groupPublicKey)).toBe(toHex(group.groupPublicKey));
      expect(g.commitments.map(toHex)).toEqual(group.commitments.map(toHex));
      expect(g.verifyingShares.map(toHex)).toEqual(group.verifyingShares.map(toHex));
    }
    // Verifying share p is share_p * G, and shares are pairwise distinct.
    c.shares.forEach((s, i) => {
      expect(s.participant).toBe(i + 1);
      expect(toHex(publicOf(s.signingShare.expose()))).toBe(toHex(group.verifyingShares[i]!));
    });
    expect(new Set(c.shares.map((s) => toHex(s.signingShare.expose()))).size).toBe(c.as.total);
    // The public material survives the wire decoder unchanged.
    const decoded = checkGroupPublic(c.as, group.commitments, group.verifyingShares);
    expect(toHex(decoded.groupPublicKey)).toBe(toHex(group.groupPublicKey));
  });

  it('the agent plus every t-subset of oracles signs; node:crypto and openssl verify', () => {
    const quorums = subsets(oracles, t);
    expect(quorums.length).toBeGreaterThan(0);
    let first = true;
    for (const q of quorums) {
      const participants = [...q, ...agent];
      const msg = utf8(`mpcid test n=${n} t=${t} oracles=${q.join(',')}`);
      // Any participant's view of the group works; use an oracle's and the agent's alternately.
      const g = c.groups[(first ? q[0]! : agent[0]!) - 1]!;
      const { signature, list, sigShares } = frostSign(g, c.shares, participants, msg);
      expect(checkCommitmentList(c.as, list).map((x) => x.participant)).toEqual(
        [...participants].sort((a, b) => a - b),
      );
      expect(signature.length).toBe(64);
      expect(verifyEd25519(signature, msg, group.groupPublicKey)).toBe(true);
      expect(nodeVerify(signature, msg, group.groupPublicKey), `node:crypto ${q}`).toBe(true);
      expect(nodeVerify(signature, utf8('another message'), group.groupPublicKey)).toBe(false);
      if (first) {
        // verifyShare is slow (~30 ms); check the shares of one session per cluster.
        for (const [p, z] of sigShares) expect(verifyShare(group, list, msg, p, z), `share ${p}`).toBe(true);
        expect(opensslVerify(signature, msg, group.groupPublicKey), 'openssl').toBe(true);
        // Negative control: the same openssl invocation rejects a signature on another message.
        expect(opensslVerify(signature, utf8('another message'), group.groupPublicKey)).toBe(false);
        first = false;
      }
    }
  });

  it('a quorum interpolates to the group secret; all n oracles or the agent + t-1 do not', () => {
    const msg = utf8('interpolation');
    const sharesOf = (ps: number[]) => ps.map((p) => c.shares[p - 1]!);
    // Positive control: agent + t oracles reconstruct the group secret (threshold T = n + 1).
    const quorum = [...oracles.slice(0, t), ...agent];
    const s = F.combineSecret(sharesOf(quorum).map(nobleShare), {
      min: c.as.threshold,
      max: c.as.total,
    });
    expect(toHex(publicOf(s))).toBe(toHex(group.groupPublicKey));
    expect(nodeVerify(F.sign(msg, s), msg, group.groupPublicKey)).toBe(true);

    const coalitions = [oracles, ...subsets(oracles, t - 1).map((q) => [...q, ...agent])];
    for (const coalition of coalitions) {
      expect(coalition.length).toBe(n);
      // noble refuses to combine fewer than T = n + 1 shares...
      expect(() =>
        F.combineSecret(sharesOf(coalition).map(nobleShare), { min: c.as.threshold, max: c.as.total }),
      ).toThrow();
      // ...and interpolating them anyway gives a different secret.
      const guess = interpolate(sharesOf(coalition), c.as.total);
      const guessPub = publicOf(guess);
      expect(equalBytes(guessPub, group.groupPublicKey), `coalition ${coalition}`).toBe(false);
      const sig = F.sign(msg, guess);
      expect(nodeVerify(sig, msg, guessPub)).toBe(true);
      expect(nodeVerify(sig, msg, group.groupPublicKey), `coalition ${coalition}`).toBe(false);
    }
  });

  it('all n oracles without the agent cannot run a signing session', () => {
    const msg = utf8('oracles only');
    const { list, nonces } = commitAll(c.shares, oracles);
    expectMpcidError(() => checkCommitmentList(c.as, list), 'BAD_PARTICIPANT', /agent participant/);
    expect(() => signShare(group, c.shares[0]!, nonces.get(1)!, list, msg)).toThrow();
    if (n >= 2) expectForgeryFails(c, group, oracles, msg);
  });

  it('the agent with t-1 oracles cannot run a signing session', () => {
    const msg = utf8('agent and too few oracles');
    subsets(oracles, t - 1).forEach((q, i) => {
      const participants = [...q, ...agent];
      const { list, nonces } = commitAll(c.shares, participants);
      expectMpcidError(() => checkCommitmentList(c.as, list), 'BAD_PARTICIPANT', /quorum/);
      const a = agent[0]!;
      expect(() => signShare(group, c.shares[a - 1]!, nonces.get(a)!, list, msg)).toThrow();
      // The full forgery attempt costs ~0.5 s per coalition; run it for the first one.
      if (i === 0 && participants.length >= 2) expectForgeryFails(c, group, participants, msg);
    });
  });

  it('a corrupted signature share is blamed on its sender', () => {
    const participants = [...oracles.slice(0, t), ...agent];
    const msg = utf8('blame');
    const { list, nonces } = commitAll(c.shares, participants);
    const good = new Map<number, Uint8Array>();
    for (const p of participants) good.set(p, signShare(group, c.shares[p - 1]!, nonces.get(p)!, list, msg));
    expect(nodeVerify(aggregate(group, list, msg, good), msg, group.groupPublicKey)).toBe(true);
    // An oracle in the middle of the list and the agent's last point (blame scans the list in order).
    const culprits = [participants[t - 1]!, agent[agent.length - 1]!];
    for (const culprit of culprits) {
      const altered = new Map(good).set(culprit, plusOne(good.get(culprit)!));
      const e = expectMpcidError(
        () => aggregate(group, list, msg, altered),
        'BAD_SIGNATURE_SHARE',
        new RegExp(`participant ${culprit} sent`),
      );
      expect(culpritsOf(e)).toEqual([culprit]);
    }
    // A non-canonical share (>= L) is blamed too.
    const junk = new Map(good).set(culprits[1]!, new Uint8Array(32).fill(0xff));
    const junkErr = expectMpcidError(
      () => aggregate(group, list, msg, junk),
      'BAD_SIGNATURE_SHARE',
      new RegExp(`participant ${culprits[1]} sent`),
    );
    expect(culpritsOf(junkErr)).toEqual([culprits[1]]);
    const missing = new Map(good);
    missing.delete(participants[0]!);
    expectMpcidError(() => aggregate(group, list, msg, missing), 'BAD_PARTICIPANT');
    // A valid signature over a different message is not accepted as this one.
    expect(() => aggregate(group, list, utf8('other'), good)).toThrow(CryptoError);
  });

  it('aggregate never returns a signature that does not verify under groupPublicKey', () => {
    const participants = [...oracles.slice(0, t), ...agent];
    const msg = utf8('stated key');
    const { list, nonces } = commitAll(c.shares, participants);
    const shares = new Map<number, Uint8Array>();
    for (const p of participants)
      shares.set(p, signShare(group, c.shares[p - 1]!, nonces.get(p)!, list, msg));
    // Inconsistent public material (e.g. corrupted state): the shares and the FROST equation are
    // fine over `commitments`, but the key clients verify against is another one.
    const other = publicOf(randomScalar());
    const inconsistent: GroupPublic = { ...group, groupPublicKey: other };
    expectMpcidError(() => aggregate(inconsistent, list, msg, shares), 'INTERNAL');
    expect(nodeVerify(aggregate(group, list, msg, shares), msg, group.groupPublicKey)).toBe(true);
  });

  it('signing nonces are single use', () => {
    const participants = [...oracles.slice(0, t), ...agent];
    const { list, nonces } = commitAll(c.shares, participants);
    const p = participants[0]!;
    signShare(group, c.shares[p - 1]!, nonces.get(p)!, list, utf8('once'));
    expect(() => signShare(group, c.shares[p - 1]!, nonces.get(p)!, list, utf8('twice'))).toThrow();
  });

  it('checkKeyShare accepts every real share and rejects altered ones', () => {
    for (const s of c.shares) {
      const g = c.groups[s.participant - 1]!;
      expect(() => checkKeyShare(g, s)).not.toThrow();
      const altered: KeyShare = {
        participant: s.participant,
        signingShare: new Secret(plusOne(s.signingShare.expose())),
      };
      expectMpcidError(() => checkKeyShare(g, altered), 'STATE_CORRUPT', new RegExp(`${s.participant}`));
      // The right share under the wrong participant index.
      const other = (s.participant % c.as.total) + 1;
      expectMpcidError(
        () => checkKeyShare(g, { participant: other, signingShare: s.signingShare }),
        'STATE_CORRUPT',
      );
    }
    expectMpcidError(
      () => checkKeyShare(group, { participant: 1, signingShare: new Secret(new Uint8Array(32)) }),
      'MALFORMED_SCALAR',
    );
  });
});

describe('DKG blame and transcript checks (n=3, t=2)', () => {
  const n = 3;
  const t = 2;

  it('a valid but wrong round-2 share makes its recipient fail naming the sender', () => {
    const run = dkgRound1(n, t);
    const tampered: [number, number][] = [
      [2, 4],
      [5, 1],
    ];
    const sealed = dkgRound2(run, (s, r, share) =>
      tampered.some(([ts, tr]) => ts === s && tr === r) ? new Secret(randomScalar()) : share,
    );
    for (const [sender, recipient] of tampered) {
      const received = dkgOpen(run, sealed, recipient);
      const e = expectMpcidError(
        () => run.parts[recipient - 1]!.finish(run.round1, received),
        'DKG_FAILED',
        new RegExp(`participant ${sender} does not match`),
      );
      expect(culpritsOf(e)).toEqual([sender]);
      // The attempt is final.
      expectMpcidError(() => run.parts[recipient - 1]!.finish(run.round1, received), 'ENROLLMENT_STATE');
    }
    // Recipients of only honest shares finish normally and agree.
    const keys = [3, 5].map((p) => run.parts[p - 1]!.finish(run.round1, dkgOpen(run, sealed, p)));
    expect(toHex(keys[0]!.group.groupPublicKey)).toBe(toHex(keys[1]!.group.groupPublicKey));
  });

  it('a non-canonical round-2 share (>= L) is rejected naming the sender', () => {
    const run = dkgRound1(n, t);
    const sealed = dkgRound2(run, (s, r, share) =>
      s === 2 && r === 1 ? new Secret(new Uint8Array(32).fill(0xff)) : share,
    );
    let caught: unknown;
    try {
      run.parts[0]!.finish(run.round1, dkgOpen(run, sealed, 1));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CryptoError);
    // Currently MALFORMED_SCALAR from the decoder (not DKG_FAILED); either way the sender is named.
    expect(['DKG_FAILED', 'MALFORMED_SCALAR']).toContain((caught as CryptoError).code);
    expect((caught as CryptoError).message).toMatch(/\b2\b/);
  });

  it('a missing round-2 share is named', () => {
    const run = dkgRound1(n, t);
    const sealed = dkgRound2(run);
    const received = dkgOpen(run, sealed, 1);
    received.delete(4);
    const e = expectMpcidError(
      () => run.parts[0]!.finish(run.round1, received),
      'DKG_FAILED',
      /missing round-2 share from participant 4/,
    );
    expect(culpritsOf(e)).toEqual([4]);
  });

  it('a round-1 commitment altered after its proof of knowledge is blamed in finish', () => {
    const run = dkgRound1(n, t);
    // The proof of knowledge binds only commitment[0]; a changed higher coefficient passes
    // round 2 and is caught when the sender's share is checked against it.
    const victim = run.round1[2]!;
    const forged: Round1Package = {
      ...victim,
      commitment: [victim.commitment[0]!, publicOf(randomScalar()), ...victim.commitment.slice(2)],
    };
    run.round1 = run.round1.map((p) => (p.participant === 3 ? forged : p));
    const sealed = dkgRound2(run);
    const e = expectMpcidError(
      () => run.parts[0]!.finish(run.round1, dkgOpen(run, sealed, 1)),
      'DKG_FAILED',
      /participant 3 does not match/,
    );
    expect(culpritsOf(e)).toEqual([3]);
    // In-process only: no ErrorInfo metadata is added for a FROST culprit.
    expect(e.metadata).toEqual({});
  });

  it('a tampered sealed box fails to open, naming the sender', () => {
    const run = dkgRound1(n, t);
    const sealed = dkgRound2(run);
    const box = sealed.get(4)!.get(2)!;
    for (const at of [0, 17, box.length - 1]) {
      const bad = box.slice();
      bad[at]! ^= 0x01;
      const altered = new Map(sealed).set(4, new Map(sealed.get(4)!).set(2, bad));
      const e = expectMpcidError(
        () => dkgOpen(run, altered, 4),
        'DKG_FAILED',
        /from participant 2 does not open/,
      );
      expect(culpritsOf(e)).toEqual([2]);
    }
    // Untampered, every box opens to a canonical scalar.
    for (const s of dkgOpen(run, sealed, 4).values()) expect(s.length).toBe(32);
    // A truncated box is rejected before decryption.
    expectMpcidError(
      () =>
        openShare({
          recipientKey: run.boxes[3]!.secretKey,
          senderPublic: run.boxes[1]!.publicKey,
          context: run.context,
          sender: 2,
          recipient: 4,
          sealed: box.subarray(0, box.length - 1),
        }),
      'BAD_LENGTH',
    );
  });

  it('a box opens only for its (sender, recipient) and enrollment context', () => {
    const a = generateBoxKey();
    const b = generateBoxKey();
    const e = generateBoxKey();
    const context = utf8('enrollment-1');
    const share = new Secret(randomScalar());
    const sealed = sealShare({
      senderKey: a.secretKey,
      recipientPublic: b.publicKey,
      context,
      sender: 2,
      recipient: 4,
      share,
    });
    expect(sealed.length).toBe(48);
    expect(toHex(sealed)).not.toContain(toHex(share.expose()));
    const base = {
      recipientKey: b.secretKey,
      senderPublic: a.publicKey,
      context,
      sender: 2,
      recipient: 4,
      sealed,
    };
    expect(toHex(openShare(base).expose())).toBe(toHex(share.expose()));
    const failures = [
      { ...base, sender: 3 },
      { ...base, recipient: 5 },
      { ...base, sender: 4, recipient: 2 },
      { ...base, context: utf8('enrollment-2') },
      { ...base, recipientKey: e.secretKey },
      { ...base, senderPublic: e.publicKey },
    ];
    for (const args of failures) {
      const e = expectMpcidError(
        () => openShare(args),
        'DKG_FAILED',
        new RegExp(`participant ${args.sender} `),
      );
      expect(culpritsOf(e)).toEqual([args.sender]);
    }
  });

  it('sealing to a low-order X25519 key is refused', () => {
    const a = generateBoxKey();
    const args = {
      senderKey: a.secretKey,
      recipientPublic: new Uint8Array(32),
      context: utf8('c'),
      sender: 1,
      recipient: 2,
      share: new Secret(randomScalar()),
    };
    expectMpcidError(() => sealShare(args), 'MALFORMED_POINT');
    expectMpcidError(() => sealShare({ ...args, recipientPublic: new Uint8Array(31) }), 'BAD_LENGTH');
  });

  it('round2 rejects a round-1 set that misses or repeats a participant', () => {
    const run = dkgRound1(n, t);
    const me = run.parts[0]!;
    const all = run.round1;
    const without3 = all.filter((p) => p.participant !== 3);
    expectMpcidError(() => me.round2(without3), 'DKG_FAILED', /once/);
    expectMpcidError(() => me.round2([...without3, all[1]!]), 'DKG_FAILED', /once/);
    expectMpcidError(() => me.round2([...all, all[4]!]), 'DKG_FAILED', /once/);
    expectMpcidError(() => me.round2([]), 'DKG_FAILED');
    // The rejected attempts leave the participant usable with the right set.
    expect([...me.round2(all).keys()]).toEqual([2, 3, 4, 5]);
  });

  it('round2 rejects a round-1 package with a bad proof of knowledge', () => {
    const run = dkgRound1(n, t);
    const me = run.parts[0]!;
    const p3 = run.round1[2]!;
    const flipped = p3.proofOfKnowledge.slice();
    flipped[5]! ^= 0x40;
    const badProofs: Round1Package[] = [
      { ...p3, proofOfKnowledge: run.round1[1]!.proofOfKnowledge }, // someone else's proof
      { ...p3, proofOfKnowledge: flipped },
      // Another participant's commitment under 3's identity (proof bound to the identifier).
      { ...run.round1[1]!, participant: 3 },
    ];
    for (const bad of badProofs) {
      const set = run.round1.map((p) => (p.participant === 3 ? bad : p));
      expectMpcidError(() => me.round2(set), 'DKG_FAILED');
    }
    expect(me.round2(run.round1).size).toBe(4);
  });

  it('round1Digest binds every field of every package and the context, not their order', () => {
    const run = dkgRound1(n, t);
    const d = toHex(round1Digest(run.context, run.round1));
    expect(toHex(round1Digest(run.context, [...run.round1].reverse()))).toBe(d);
    expect(toHex(round1Digest(run.context, [...run.round1.slice(2), ...run.round1.slice(0, 2)]))).toBe(d);
    expect(toHex(round1Digest(utf8('other context'), run.round1))).not.toBe(d);
    const flip = (b: Uint8Array) => {
      const x = b.slice();
      x[0]! ^= 1;
      return x;
    };
    const variants: Round1Package[][] = [];
    run.round1.forEach((pkg, i) => {
      const replace = (q: Round1Package) => run.round1.map((p, j) => (j === i ? q : p));
      variants.push(replace({ ...pkg, proofOfKnowledge: flip(pkg.proofOfKnowledge) }));
      pkg.commitment.forEach((_, k) => {
        variants.push(
          replace({ ...pkg, commitment: pkg.commitment.map((cm, m) => (m === k ? flip(cm) : cm)) }),
        );
      });
      variants.push(run.round1.filter((_, j) => j !== i));
    });
    // Swapping two participants' numbers changes the set too.
    variants.push(
      run.round1.map((p) =>
        p.participant === 1 ? { ...p, participant: 2 } : p.participant === 2 ? { ...p, participant: 1 } : p,
      ),
    );
    const seen = new Set([d]);
    for (const v of variants) seen.add(toHex(round1Digest(run.context, v)));
    expect(seen.size).toBe(variants.length + 1);
  });

  it('checkRound1 accepts real packages and rejects malformed ones', () => {
    const run = dkgRound1(n, t);
    const as = run.as;
    const pkg = run.round1[0]!;
    expect(checkRound1(as, pkg).commitment.map(toHex)).toEqual(pkg.commitment.map(toHex));
    expectMpcidError(() => checkRound1(as, { ...pkg, participant: 0 }), 'BAD_PARTICIPANT');
    expectMpcidError(() => checkRound1(as, { ...pkg, participant: as.total + 1 }), 'BAD_PARTICIPANT');
    expectMpcidError(() => checkRound1(as, { ...pkg, commitment: pkg.commitment.slice(1) }), 'BAD_LENGTH');
    const identity = new Uint8Array(32);
    identity[0] = 1;
    expectMpcidError(
      () => checkRound1(as, { ...pkg, commitment: [identity, ...pkg.commitment.slice(1)] }),
      'MALFORMED_POINT',
    );
    expectMpcidError(
      () => checkRound1(as, { ...pkg, proofOfKnowledge: pkg.proofOfKnowledge.subarray(0, 63) }),
      'BAD_LENGTH',
    );
  });

  it('DkgParticipant rejects indices outside 1..N', () => {
    const run = dkgRound1(1, 1);
    for (const p of [0, -1, run.as.total + 1, 1.5]) {
      expectMpcidError(() => new DkgParticipant(run.as, p), 'BAD_PARTICIPANT');
    }
  });

  it('checkCommitmentList rejects malformed commitments and sorts by participant', () => {
    const c = runDkg(1, 1);
    const { list } = commitAll(c.shares, [2, 1]);
    expect(checkCommitmentList(c.as, list).map((x) => x.participant)).toEqual([1, 2]);
    const bad: NonceCommitment[] = [{ ...list[0]!, hiding: new Uint8Array(32) }, list[1]!];
    expectMpcidError(() => checkCommitmentList(c.as, bad), 'MALFORMED_POINT');
    expectMpcidError(() => checkCommitmentList(c.as, [list[0]!, list[0]!]), 'BAD_PARTICIPANT');
  });
});
