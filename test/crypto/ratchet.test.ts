/**
 * crypto/ratchet.ts: step encoding and hash chaining, session signatures on steps, oracle commits
 * and certificates, the conflict rule, and self-certifying fork evidence (docs/protocol.md §5, §7).
 */

import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_DIGEST } from '../../common/protocol.js';
import { framed, u64be } from '../../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
import {
  type AbortEvidence,
  abortFields,
  type Commit,
  checkStep,
  conflict,
  type Evidence,
  es256PayloadDigest,
  evidenceDigest,
  genesisHead,
  headAfter,
  nextHead,
  payloadDigest,
  type SignedStep,
  type Step,
  signCommit,
  signStep,
  stepBytes,
  stepDigest,
  verifyCertificate,
  verifyEvidence,
  verifyStep,
} from '../../crypto/ratchet.js';
import { signStatement } from '../../crypto/statement.js';
import { fakeIdentityId, genesisFor, honestChain, keyPair, makeStep } from '../helpers/ratchet.js';
import { expectMpcidError, nodeVerify } from './helpers.js';

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

const ID = fakeIdentityId();
const session = keyPair();
const G = genesisFor(ID, session);

describe('step encoding and the hash chain', () => {
  const base = makeStep(ID, { prevHead: G });

  it('stepBytes is the documented framing, and the digest is SHA-256 of it', () => {
    const expected = framed(
      'mpcid/ratchet/step/v1',
      ID,
      u64be(base.counter),
      base.prevHead,
      u64be(base.time),
      base.kind,
      base.payloadDigest,
      base.requestId,
    );
    expect(eq(stepBytes(base), expected)).toBe(true);
    expect(eq(stepDigest(base), sha(expected))).toBe(true);
    // Deterministic: a copy of the same fields encodes the same.
    expect(eq(stepBytes({ ...base }), stepBytes(base))).toBe(true);
  });

  it('every field changes the bytes', () => {
    const flip = (b: Uint8Array) => {
      const c = new Uint8Array(b);
      c[0]! ^= 1;
      return c;
    };
    const variants: Step[] = [
      { ...base, identityId: fakeIdentityId() },
      { ...base, counter: base.counter + 1 },
      { ...base, prevHead: flip(base.prevHead) },
      { ...base, time: base.time + 1 },
      { ...base, kind: 'sign' },
      { ...base, payloadDigest: flip(base.payloadDigest) },
      { ...base, requestId: flip(base.requestId) },
    ];
    const digests = new Set([base, ...variants].map((s) => Buffer.from(stepDigest(s)).toString('hex')));
    expect(digests.size).toBe(variants.length + 1);
  });

  it('h_{c+1} = H(domain, h_c, digest(step)), and each head depends on every earlier step', () => {
    const d = stepDigest(base);
    expect(eq(nextHead(G, d), sha(framed('mpcid/ratchet/head/v1', G, d)))).toBe(true);
    expect(eq(headAfter(base), nextHead(G, d))).toBe(true);

    const { steps, heads } = honestChain(ID, session, 5, { prevHead: G });
    expect(heads.length).toBe(6);
    for (let i = 0; i < 5; i++) {
      expect(eq(steps[i]!.step.prevHead, heads[i]!)).toBe(true);
      expect(eq(headAfter(steps[i]!.step), heads[i + 1]!)).toBe(true);
    }
    // Replace step 1 (another request id): every later head differs.
    const alt = { ...steps[0]!.step, requestId: new Uint8Array(randomBytes(16)) };
    let h = headAfter(alt);
    for (let i = 1; i < 5; i++) {
      expect(eq(h, heads[i]!)).toBe(false);
      h = nextHead(h, stepDigest({ ...steps[i]!.step, prevHead: h }));
    }
    expect(eq(h, heads[5]!)).toBe(false);
  });

  it('the genesis head binds identity, group key and session key', () => {
    const gk = new Uint8Array(32).fill(7);
    const g = genesisHead(ID, gk, session.publicKey);
    expect(eq(g, sha(framed('mpcid/ratchet/genesis/v1', ID, gk, session.publicKey)))).toBe(true);
    expect(eq(genesisHead(fakeIdentityId(), gk, session.publicKey), g)).toBe(false);
    expect(eq(genesisHead(ID, new Uint8Array(32).fill(8), session.publicKey), g)).toBe(false);
    expect(eq(genesisHead(ID, gk, keyPair().publicKey), g)).toBe(false);
  });

  it('payload digests are separated by kind', () => {
    const m = new Uint8Array([1, 2, 3]);
    expect(eq(payloadDigest('sign', m), payloadDigest('heartbeat', m))).toBe(false);
    expect(eq(payloadDigest('heartbeat'), HEARTBEAT_DIGEST)).toBe(true);
  });

  it('checkStep rejects malformed steps', () => {
    expect(checkStep(base)).toBe(base);
    const bad: [Partial<Step>, string][] = [
      [{ counter: 0 }, 'MALFORMED_INPUT'],
      [{ counter: -1 }, 'MALFORMED_INPUT'],
      [{ counter: 1.5 }, 'MALFORMED_INPUT'],
      [{ counter: 2 ** 53 }, 'MALFORMED_INPUT'],
      [{ time: -1 }, 'MALFORMED_INPUT'],
      [{ kind: 'enroll' as Step['kind'] }, 'MALFORMED_INPUT'],
      [{ prevHead: new Uint8Array(31) }, 'BAD_LENGTH'],
      [{ payloadDigest: new Uint8Array(33) }, 'BAD_LENGTH'],
      [{ requestId: new Uint8Array(15) }, 'BAD_LENGTH'],
    ];
    for (const [over, code] of bad) {
      expectMpcidError(() => checkStep({ ...base, ...over }), code as 'MALFORMED_INPUT');
    }
  });
});

describe('session signatures on steps', () => {
  const step = makeStep(ID, { prevHead: G });
  const signed = signStep(session.key, step);

  it('verify with the session key; the signature is Ed25519 over framed(domain, stepBytes)', () => {
    expect(() => verifyStep(session.publicKey, signed)).not.toThrow();
    expect(
      nodeVerify(signed.signature, framed(STATEMENT_DOMAINS.signedStep, stepBytes(step)), session.publicKey),
    ).toBe(true);
  });

  it('another key, a changed field or a flipped signature bit fails', () => {
    expectMpcidError(() => verifyStep(keyPair().publicKey, signed), 'SESSION_AUTH_FAILED');
    expectMpcidError(
      () => verifyStep(session.publicKey, { ...signed, step: { ...step, counter: 2 } }),
      'SESSION_AUTH_FAILED',
    );
    expectMpcidError(
      () => verifyStep(session.publicKey, { ...signed, step: { ...step, time: step.time + 1 } }),
      'SESSION_AUTH_FAILED',
    );
    const sig = new Uint8Array(signed.signature);
    sig[10]! ^= 0x80;
    expectMpcidError(
      () => verifyStep(session.publicKey, { ...signed, signature: sig }),
      'SESSION_AUTH_FAILED',
    );
  });
});

describe('certificates', () => {
  const nodes = [1, 2, 3, 4, 5].map((id) => ({ id, ...keyPair('node-key') }));
  const keys = new Map(nodes.map((n) => [n.id, n.publicKey]));
  const t = 3;
  const counter = 42;
  const head = new Uint8Array(randomBytes(32));
  const commitBy = (i: number, over: { counter?: number; head?: Uint8Array; id?: string } = {}): Commit =>
    signCommit(nodes[i - 1]!.key, i, over.id ?? ID, over.counter ?? counter, over.head ?? head);
  const check = (commits: Commit[]) => () => verifyCertificate(keys, t, ID, counter, head, commits);

  it('t distinct valid commits (in any order, with extras) verify', () => {
    expect(check([commitBy(1), commitBy(2), commitBy(3)])).not.toThrow();
    expect(check([commitBy(5), commitBy(3), commitBy(4)])).not.toThrow();
    expect(check(nodes.map((n) => commitBy(n.id)))).not.toThrow();
    expect(check([commitBy(2, { counter: 41 }), commitBy(1), commitBy(4), commitBy(3)])).not.toThrow();
  });

  it('t - 1 valid commits do not', () => {
    expectMpcidError(check([commitBy(1), commitBy(2)]), 'BAD_CERTIFICATE', /2 valid commits, needs 3/);
    expectMpcidError(check([]), 'BAD_CERTIFICATE', /0 valid commits/);
  });

  it('duplicates, wrong head, wrong counter, another identity, unknown node, bad signature do not count', () => {
    const two = [commitBy(1), commitBy(2)];
    const flipped = commitBy(3);
    const badSig = new Uint8Array(flipped.signature);
    badSig[0]! ^= 1;
    const stranger = keyPair('node-key');
    const invalidThirds: [string, Commit][] = [
      ['a duplicate of node 1', commitBy(1)],
      ['a wrong head', commitBy(3, { head: new Uint8Array(randomBytes(32)) })],
      ['a wrong counter', commitBy(3, { counter: counter + 1 })],
      ['another identity', commitBy(3, { id: fakeIdentityId() })],
      ['an unknown node id', signCommit(stranger.key, 9, ID, counter, head)],
      ['node 3 signed by a stranger key', signCommit(stranger.key, 3, ID, counter, head)],
      ["node 1's key claiming node 3", signCommit(nodes[0]!.key, 3, ID, counter, head)],
      ['a flipped signature bit', { ...flipped, signature: badSig }],
      ['node 3 relabelled as node 4', { ...commitBy(3), nodeId: 4 }],
    ];
    for (const [what, c] of invalidThirds) {
      expectMpcidError(check([...two, c]), 'BAD_CERTIFICATE', /2 valid commits/);
      // The same set plus one genuine third commit is fine: the bad one was simply ignored.
      expect(check([...two, c, commitBy(5)]), what).not.toThrow();
    }
    // Three copies of one commit are one commit.
    expectMpcidError(check([commitBy(1), commitBy(1), commitBy(1)]), 'BAD_CERTIFICATE', /1 valid commits/);
  });

  it('regression: a certificate repeating a bad commit thousands of times costs one verification per node', () => {
    const bad = { ...commitBy(1), signature: new Uint8Array(64).fill(7) };
    const started = performance.now();
    // Node 1's only chance was its (bad) first commit; nodes 2, 3, 4 still make the quorum.
    expect(
      check([...Array<Commit>(5000).fill(bad), commitBy(1), commitBy(2), commitBy(3), commitBy(4)]),
    ).not.toThrow();
    expectMpcidError(
      check([...Array<Commit>(5000).fill(bad), commitBy(1), commitBy(2)]),
      'BAD_CERTIFICATE',
      /1 valid/,
    );
    // Before: one Ed25519 verification per commit, seconds for this certificate.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('a commit is bound to its node id: the same signature under another id does not verify', () => {
    const c = commitBy(2);
    expectMpcidError(
      () =>
        verifyCertificate(new Map([[7, nodes[1]!.publicKey]]), 1, ID, counter, head, [{ ...c, nodeId: 7 }]),
      'BAD_CERTIFICATE',
    );
  });
});

describe('conflict(): which pairs of steps no honest agent signs', () => {
  const { steps, heads } = honestChain(ID, session, 6, { prevHead: G, time0: 10_000 });
  const s = steps.map((x) => x.step);
  const both = (x: Step, y: Step) => {
    const r = conflict(x, y);
    expect(conflict(y, x)).toBe(r);
    return r;
  };

  it('consistent pairs: the same step twice, consecutive and distant honest steps', () => {
    for (let i = 0; i < s.length; i++) {
      expect(both(s[i]!, s[i]!)).toBeUndefined();
      // A byte-identical copy (a retry) is the same step.
      expect(both(s[i]!, { ...s[i]! })).toBeUndefined();
      for (let j = i + 1; j < s.length; j++)
        expect(both(s[i]!, s[j]!), `steps ${i + 1}, ${j + 1}`).toBeUndefined();
    }
  });

  it('equivocation: two different steps for one counter (or one time)', () => {
    const other = { ...s[2]!, requestId: new Uint8Array(randomBytes(16)) };
    expect(both(s[2]!, other)).toBe('equivocation');
    const laterSameCounter = { ...s[2]!, time: s[5]!.time + 1000, kind: 'sign' as const };
    expect(both(s[2]!, laterSameCounter)).toBe('equivocation');
    // Same time, different counters: an honest clock never repeats a time.
    const sameTime = makeStep(ID, { counter: 9, prevHead: heads[5]!, time: s[1]!.time });
    expect(both(s[1]!, sameTime)).toBe('equivocation');
  });

  it('broken chain: step c+1 that does not extend step c', () => {
    const forked = makeStep(ID, {
      counter: 4,
      prevHead: new Uint8Array(randomBytes(32)),
      time: s[3]!.time + 5,
    });
    expect(both(s[2]!, forked)).toBe('broken-chain');
    // Even with a later time than everything, and even if it extends the *previous* head.
    const skip = makeStep(ID, { counter: 4, prevHead: heads[2]!, time: s[5]!.time + 99 });
    expect(both(s[2]!, skip)).toBe('broken-chain');
  });

  it('time reversal: a later counter with an earlier time', () => {
    // Chained correctly but stamped before its predecessor.
    const back = makeStep(ID, { counter: 4, prevHead: heads[3]!, time: s[2]!.time - 1 });
    expect(both(s[2]!, back)).toBe('time-reversal');
    // A second history that branched at step 2 and signed "step 3" after the first history's step 6.
    const branch = makeStep(ID, { counter: 3, prevHead: heads[2]!, time: s[5]!.time + 1 });
    expect(both(s[5]!, branch)).toBe('time-reversal');
    expect(both(s[3]!, branch)).toBe('broken-chain');
    expect(both(s[2]!, branch)).toBe('equivocation');
    // ...but with step 2 itself (its true predecessor) it is consistent.
    expect(both(s[1]!, branch)).toBeUndefined();
  });

  it('steps of different identities never conflict', () => {
    const other = { ...s[2]!, identityId: fakeIdentityId(), requestId: new Uint8Array(randomBytes(16)) };
    expect(both(s[2]!, other)).toBeUndefined();
  });
});

describe('fork evidence', () => {
  const { steps, heads } = honestChain(ID, session, 4, { prevHead: G, time0: 50_000 });
  const clone = signStep(session.key, makeStep(ID, { counter: 3, prevHead: heads[2]!, time: 60_000 }));
  const ev = (a: SignedStep, b: SignedStep, identityId = ID): Evidence => ({ identityId, steps: [a, b] });

  it('a genuine fork verifies with the session key alone, naming the reason', () => {
    expect(verifyEvidence(session.publicKey, ev(steps[2]!, clone))).toBe('equivocation');
    expect(verifyEvidence(session.publicKey, ev(clone, steps[3]!))).toBe('broken-chain');
    const late = signStep(session.key, makeStep(ID, { counter: 2, prevHead: heads[1]!, time: 70_000 }));
    expect(verifyEvidence(session.publicKey, ev(steps[3]!, late))).toBe('time-reversal');
  });

  it('rejects non-conflicting pairs: consecutive honest steps, the same step twice, distant honest steps', () => {
    expectMpcidError(
      () => verifyEvidence(session.publicKey, ev(steps[0]!, steps[1]!)),
      'BAD_EVIDENCE',
      /do not conflict/,
    );
    expectMpcidError(
      () => verifyEvidence(session.publicKey, ev(steps[2]!, steps[2]!)),
      'BAD_EVIDENCE',
      /do not conflict/,
    );
    expectMpcidError(
      () => verifyEvidence(session.publicKey, ev(steps[0]!, steps[3]!)),
      'BAD_EVIDENCE',
      /do not conflict/,
    );
  });

  it('rejects a genuine fork checked with another key', () => {
    expectMpcidError(
      () => verifyEvidence(keyPair().publicKey, ev(steps[2]!, clone)),
      'BAD_EVIDENCE',
      /not signed/,
    );
  });

  it('rejects conflicting steps signed by another key', () => {
    const mallory = keyPair();
    const a = signStep(mallory.key, steps[2]!.step);
    const b = signStep(mallory.key, clone.step);
    expectMpcidError(() => verifyEvidence(session.publicKey, ev(a, b)), 'BAD_EVIDENCE');
    // One genuine step and one forged one is not enough either.
    expectMpcidError(() => verifyEvidence(session.publicKey, ev(steps[2]!, b)), 'BAD_EVIDENCE');
    // A tampered field breaks the genuine signature.
    const edited: SignedStep = { ...steps[2]!, step: { ...steps[2]!.step, time: 1 } };
    expectMpcidError(() => verifyEvidence(session.publicKey, ev(edited, steps[2]!)), 'BAD_EVIDENCE');
  });

  it('rejects steps of another identity', () => {
    const otherId = fakeIdentityId();
    // Properly signed conflicting steps, but for another identity than the evidence names.
    const a = signStep(session.key, { ...steps[2]!.step, identityId: otherId });
    const b = signStep(session.key, { ...clone.step, identityId: otherId });
    expectMpcidError(() => verifyEvidence(session.publicKey, ev(a, b, ID)), 'BAD_EVIDENCE');
    // One step of each identity.
    expectMpcidError(() => verifyEvidence(session.publicKey, ev(steps[2]!, b, ID)), 'BAD_EVIDENCE');
    // Self-consistent evidence for the other identity does verify (the key is what matters here),
    // which shows the rejections above are about the identity, not the steps.
    expect(verifyEvidence(session.publicKey, ev(a, b, otherId))).toBe('equivocation');
  });

  it('rejects malformed steps', () => {
    const zero = signStep(session.key, { ...clone.step, counter: 0 });
    expectMpcidError(() => verifyEvidence(session.publicKey, ev(steps[2]!, zero)), 'BAD_EVIDENCE');
  });

  it('the evidence digest is independent of step order and identifies the pair', () => {
    const d1 = evidenceDigest(ev(steps[2]!, clone));
    const d2 = evidenceDigest(ev(clone, steps[2]!));
    expect(eq(d1, d2)).toBe(true);
    expect(d1.length).toBe(32);
    expect(eq(evidenceDigest(ev(steps[3]!, clone)), d1)).toBe(false);
    expect(eq(evidenceDigest(ev(steps[2]!, clone, fakeIdentityId())), d1)).toBe(false);
    // Only the steps (not their signatures) are hashed: re-signing (Ed25519 is deterministic) keeps it.
    expect(eq(evidenceDigest(ev(signStep(session.key, steps[2]!.step), clone)), d1)).toBe(true);
  });
});

describe('ECDSA abort evidence: accuser and culprit must be parties of the session', () => {
  // n = 3, t = 2; the session's signing oracles are 1 and 3. Oracle 2 is a cluster node outside it.
  const bounds = { n: 3, t: 2 };
  const nodes = new Map([1, 2, 3].map((id) => [id, keyPair(`node-${id}`)]));
  const nodeKeys = new Map([...nodes].map(([id, k]) => [id, k.publicKey]));
  const message = new Uint8Array(randomBytes(40));
  const md = sha(message);
  const oracles = [1, 3];
  const stepFor = (o: number[], digest = md) =>
    signStep(
      session.key,
      makeStep(ID, { counter: 5, kind: 'es256', payloadDigest: es256PayloadDigest('es256', digest, o) }),
    );
  const step = stepFor(oracles);
  /** A claim about `s` correctly signed by its accuser (the session key for the agent). */
  const ev = (
    accuser: number,
    culprit: number,
    facts: { messageDigest?: Uint8Array; oracles?: number[] } = {},
    s: SignedStep = step,
  ): AbortEvidence => {
    const key = accuser === 0 ? session.key : nodes.get(accuser)!.key;
    const check = 'commitment';
    const signature = signStatement(
      key,
      STATEMENT_DOMAINS.ecdsaAbort,
      ...abortFields(ID, stepDigest(s.step), accuser, culprit, check),
    );
    return {
      identityId: ID,
      steps: [s],
      abort: { accuser, culprit, check, signature },
      messageDigest: facts.messageDigest ?? md,
      oracles: facts.oracles ?? oracles,
    };
  };
  /** `offline`: without the cluster's n and t, as `mpcid evidence verify` checks. */
  const verify = (e: AbortEvidence, offline = false) =>
    verifyEvidence(session.publicKey, e, nodeKeys, offline ? undefined : bounds);

  it('the payload digest is H(kind, H(message), oracles)', () => {
    expect(eq(es256PayloadDigest('es256', md, oracles), payloadDigest('es256', md, 1, 3))).toBe(true);
    expect(eq(es256PayloadDigest('jwt-es256', md, oracles), es256PayloadDigest('es256', md, oracles))).toBe(
      false,
    );
  });

  it('accepts claims between parties of the session, with and without the cluster bounds', () => {
    for (const b of [false, true]) {
      expect(verify(ev(0, 1), b)).toBe('ecdsa-abort'); // the agent accuses an oracle of the set
      expect(verify(ev(3, 0), b)).toBe('ecdsa-abort'); // an oracle of the set accuses the agent
      expect(verify(ev(1, 3), b)).toBe('ecdsa-abort'); // one oracle of the set accuses the other
      expect(verify(ev(0, 255), b)).toBe('ecdsa-abort'); // the agent: unattributable combine failure
      expect(verify(ev(3, 255), b)).toBe('ecdsa-abort'); // an oracle: unattributable nonce check
    }
  });

  it('rejects an accuser outside the signing set, even with a valid node-key signature', () => {
    expectMpcidError(() => verify(ev(2, 1)), 'BAD_EVIDENCE', /accuser not in the session/);
    expectMpcidError(() => verify(ev(2, 0), true), 'BAD_EVIDENCE', /accuser not in the session/);
  });

  it('rejects a culprit equal to the accuser', () => {
    expectMpcidError(() => verify(ev(1, 1)), 'BAD_EVIDENCE', /culprit not in the session/);
    expectMpcidError(() => verify(ev(0, 0)), 'BAD_EVIDENCE', /culprit not in the session/);
  });

  it('rejects a culprit outside the session', () => {
    expectMpcidError(() => verify(ev(0, 2)), 'BAD_EVIDENCE', /culprit not in the session/);
    expectMpcidError(() => verify(ev(1, 2), true), 'BAD_EVIDENCE', /culprit not in the session/);
    expectMpcidError(() => verify(ev(3, 254)), 'BAD_EVIDENCE', /culprit not in the session/);
  });

  it('rejects session facts that the step does not commit to', () => {
    const flipped = Uint8Array.from(md);
    flipped[0]! ^= 1;
    expectMpcidError(() => verify(ev(0, 1, { messageDigest: flipped })), 'BAD_EVIDENCE', /does not match/);
    // Oracle 2 claims the set was [1, 2] or [2, 3] to make itself a party: the step says otherwise.
    expectMpcidError(() => verify(ev(2, 1, { oracles: [1, 2] })), 'BAD_EVIDENCE', /does not match/);
    expectMpcidError(() => verify(ev(2, 3, { oracles: [2, 3] }), true), 'BAD_EVIDENCE', /does not match/);
    // Dropping an oracle of the set (offline, where t is unknown) does not match either.
    expectMpcidError(() => verify(ev(0, 1, { oracles: [1] }), true), 'BAD_EVIDENCE', /does not match/);
  });

  it('rejects a malformed signing set, even one the step commits to', () => {
    const cases: [number[], boolean][] = [
      [[3, 1], false], // not ascending
      [[3, 1], true],
      [[1, 1], true], // not distinct
      [[0, 1], true], // the agent is not an oracle
      [[], true],
      [[1, 2, 3], false], // not t oracles
      [[1, 4], false], // above n
    ];
    for (const [o, b] of cases) {
      const s = stepFor(o);
      expectMpcidError(
        () => verify(ev(0, 255, { oracles: o }, s), b),
        'BAD_EVIDENCE',
        /malformed signing set/,
      );
    }
    // Offline (no bounds) a set of another size or with ids above n cannot be told apart.
    expect(verify(ev(0, 4, { oracles: [1, 4] }, stepFor([1, 4])), true)).toBe('ecdsa-abort');
    expectMpcidError(
      () => verify(ev(0, 1, { messageDigest: md.slice(1) }), true),
      'BAD_EVIDENCE',
      /malformed message digest/,
    );
  });

  it('the evidence digest covers the session facts', () => {
    const d = evidenceDigest(ev(0, 1));
    expect(eq(evidenceDigest(ev(0, 1)), d)).toBe(true);
    expect(eq(evidenceDigest(ev(0, 1, { messageDigest: new Uint8Array(32) })), d)).toBe(false);
    expect(eq(evidenceDigest(ev(0, 1, { oracles: [1, 2] })), d)).toBe(false);
    expect(eq(evidenceDigest(ev(0, 3)), d)).toBe(false);
  });
});
