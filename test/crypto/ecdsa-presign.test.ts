/**
 * DKLs23 presignatures (crypto/ecdsa/presign.ts, docs/ecdsa.md §3): rounds 1-3 without the
 * message, then `finish(e)` per party; the combined signature verifies with node:crypto. The
 * presigning tag differs from the online one (messages of one never pass in the other), a
 * presignature finishes at most once, and a failed check during presigning aborts as online.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { asMpcidError } from '../../common/errors.js';
import { combineSignature, EcdsaSigner, type PartyId, Presignature } from '../../crypto/ecdsa/index.js';
import { Secret } from '../../crypto/secret.js';
import {
  expectBlame,
  flip,
  type Key,
  type Pairs,
  randomKey,
  scalar32,
  setupAll,
  sha256,
  signOnce,
  thrown,
  verifyIndependently,
} from './ecdsa-helpers.js';

const IDS: PartyId[] = [0, 1, 3];

function signers(key: Key, pairs: Pairs, sessionId: Uint8Array, messageHash?: Uint8Array) {
  return new Map(
    IDS.map((i) => [
      i,
      new EcdsaSigner({
        curve: 'P-256',
        self: i,
        parties: IDS,
        sessionId,
        ...(messageHash ? { messageHash } : { presign: true }),
        additiveShare: new Secret(scalar32(key.shares.get(i)!)),
        publicShares: key.publicShares,
        publicKey: key.publicKey,
        pairs: pairs.get(i)!,
      }),
    ]),
  );
}

/** Rounds 1-2 among `ss`; returns each party's round-3 inbox (with `tamper` applied). */
function rounds12(
  ss: Map<PartyId, EcdsaSigner>,
  tamper: (round: number, from: PartyId, to: PartyId, m: Uint8Array) => Uint8Array = (_r, _f, _t, m) => m,
) {
  let inbox = new Map<PartyId, Map<PartyId, Uint8Array>>(IDS.map((i) => [i, new Map()]));
  for (const round of [1, 2]) {
    const next = new Map<PartyId, Map<PartyId, Uint8Array>>(IDS.map((i) => [i, new Map()]));
    for (const [i, s] of ss) {
      const out = round === 1 ? s.round1() : s.round2(inbox.get(i)!);
      for (const [to, m] of out) next.get(to)!.set(i, tamper(round, i, to, m));
    }
    inbox = next;
  }
  return inbox;
}

function presignAll(key: Key, pairs: Pairs, sessionId: Uint8Array): Map<PartyId, Presignature> {
  const ss = signers(key, pairs, sessionId);
  const inbox = rounds12(ss);
  return new Map([...ss].map(([i, s]) => [i, s.presign3(inbox.get(i)!)]));
}

describe('presignatures (P-256, parties 0, 1, 3)', () => {
  let pairs: Pairs;
  beforeAll(() => {
    pairs = setupAll('P-256', IDS);
  });

  it('presign, then finish with e: the signature verifies with node:crypto, for several keys and messages', () => {
    for (let k = 0; k < 6; k++) {
      const key = randomKey('P-256', IDS);
      const sessionId = randomBytes(32);
      const pre = presignAll(key, pairs, sessionId);
      const msg = randomBytes(1 + k * 37);
      const shares = new Map([...pre].map(([i, p]) => [i, p.finish(sha256(msg))]));
      const { signature } = combineSignature({
        curve: 'P-256',
        messageHash: sha256(msg),
        publicKey: key.publicKey,
        shares,
        sessionId,
        presign: true,
      });
      expect(verifyIndependently('P-256', msg, signature, key.publicKey)).toBe(true);
      expect(verifyIndependently('P-256', randomBytes(8), signature, key.publicKey)).toBe(false);
      // Every party's presignature names the same R, and R's x is the signature's r.
      const nonces = new Set([...pre.values()].map((p) => Buffer.from(p.nonce).toString('hex')));
      expect(nonces.size).toBe(1);
      expect(
        Buffer.from([...pre.values()][0]!.nonce.subarray(1, 33)).equals(
          Buffer.from(signature.subarray(0, 32)),
        ),
      ).toBe(
        // r = x(R) mod q; x(R) < q for all but a negligible fraction of R.
        true,
      );
    }
  });

  it('the presign tag differs from the online tag: shares and messages of one are refused in the other', () => {
    const key = randomKey('P-256', IDS);
    const sessionId = randomBytes(32);
    const msg = randomBytes(40);
    const pre = presignAll(key, pairs, sessionId);
    const online = signOnce(key, pairs, sha256(msg), { sessionId, combineSessionId: true });
    expect(online.signature).toBeDefined();
    const tag = [...pre.values()][0]!.tag;
    const onlineTag = online.shares.get(0)!.subarray(5, 37);
    expect(Buffer.from(tag).equals(Buffer.from(onlineTag))).toBe(false);
    // Presign shares under the online tag (same session id, same message): blamed on their senders.
    const shares = new Map([...pre].map(([i, p]) => [i, p.finish(sha256(msg))]));
    const err = thrown(() =>
      combineSignature({
        curve: 'P-256',
        messageHash: sha256(msg),
        publicKey: key.publicKey,
        shares,
        sessionId,
      }),
    );
    expect(asMpcidError(err)?.code).not.toBe(undefined);
    expectBlame(err, 0, 'session');
    // An online session's round-1 message does not pass in a presigning session of the same id.
    const a = signers(key, pairs, sessionId);
    const b = signers(key, pairs, sessionId, sha256(msg));
    const out1 = new Map([...a].map(([i, s]) => [i, s.round1()]));
    const outB = b.get(1)!.round1();
    const inbox0 = new Map<PartyId, Uint8Array>([
      [1, outB.get(0)!],
      [3, out1.get(3)!.get(0)!],
    ]);
    expectBlame(
      thrown(() => a.get(0)!.round2(inbox0)),
      1,
      'session',
    );
  });

  it('a presignature finishes once: a second finish, or one after wipe, refuses; the signer has no round3', () => {
    const key = randomKey('P-256', IDS);
    const pre = presignAll(key, pairs, randomBytes(32));
    const p = pre.get(1)!;
    expect(p.spent).toBe(false);
    p.finish(sha256(randomBytes(5)));
    expect(p.spent).toBe(true);
    expect(asMpcidError(thrown(() => p.finish(sha256(randomBytes(5)))))?.code).toBe('INTERNAL');
    const q = pre.get(3)!;
    q.wipe();
    expect(asMpcidError(thrown(() => q.finish(sha256(randomBytes(5)))))?.code).toBe('INTERNAL');
    // A failed finish (bad hash length) spends it too: nothing is retried with the same nonce.
    const r = pre.get(0)!;
    expect(asMpcidError(thrown(() => r.finish(new Uint8Array(31))))?.code).toBe('BAD_LENGTH');
    expect(asMpcidError(thrown(() => r.finish(sha256(randomBytes(5)))))?.code).toBe('INTERNAL');
    // A presigning signer ends in presign3 only, an online one in round3 only.
    const ss = signers(key, pairs, randomBytes(32));
    const inbox = rounds12(ss);
    expect(asMpcidError(thrown(() => ss.get(0)!.round3(inbox.get(0)!)))?.code).toBe('INTERNAL');
    const on = signers(key, pairs, randomBytes(32), sha256(randomBytes(3)));
    const inboxOn = rounds12(on);
    expect(asMpcidError(thrown(() => on.get(0)!.presign3(inboxOn.get(0)!)))?.code).toBe('INTERNAL');
    // And a presigning signer refuses a message hash.
    expect(
      asMpcidError(
        thrown(
          () =>
            new EcdsaSigner({
              curve: 'P-256',
              self: 0,
              parties: IDS,
              sessionId: randomBytes(32),
              presign: true,
              messageHash: sha256(randomBytes(3)),
              additiveShare: new Secret(scalar32(key.shares.get(0)!)),
              publicShares: key.publicShares,
              publicKey: key.publicKey,
              pairs: pairs.get(0)!,
            }),
        ),
      )?.code,
    ).toBe('MALFORMED_INPUT');
  });

  it('a failed check during presigning aborts naming the sender, as online (gamma-v, commitment)', () => {
    const key = randomKey('P-256', IDS);
    const ss = signers(key, pairs, randomBytes(32));
    // Party 3's round-2 message to party 1 with a flipped Γv byte (offset: header + R + salt + pk + ψ + Γu, points uncompressed).
    const inbox = rounds12(ss, (round, from, to, m) =>
      round === 2 && from === 3 && to === 1 ? flip(m, 37 + 65 + 32 + 65 + 32 + 65 + 5) : m,
    );
    const err = thrown(() => ss.get(1)!.presign3(inbox.get(1)!));
    expect(asMpcidError(err)?.code).toMatch(/ECDSA_ABORT|MALFORMED_POINT/);
    expect(asMpcidError(err)?.metadata.culprit).toBe('3');
    // The honest others still finish their checks (their messages were not altered).
    expect(ss.get(0)!.presign3(inbox.get(0)!)).toBeInstanceOf(Presignature);
  });

  it('redacts itself in JSON, String and inspect', () => {
    const key = randomKey('P-256', IDS);
    const p = presignAll(key, pairs, randomBytes(32)).get(0)!;
    for (const s of [JSON.stringify(p), String(p), inspect(p)]) {
      expect(s).toContain('REDACTED');
      expect(s).not.toMatch(/[0-9a-f]{64}/);
    }
  });
});
