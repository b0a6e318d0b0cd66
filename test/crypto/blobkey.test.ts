import { ed25519, ed25519_hasher } from '@noble/curves/ed25519.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentParticipants, isAgentParticipant, oracleParticipants } from '../../crypto/access.js';
import { MAX_PLAINTEXT, openBlob, parseBlob, sealBlob } from '../../crypto/blob.js';
import {
  BLOB_ID_LEN,
  type BlobContext,
  type BlobPartial,
  blobPartial,
  blobPoint,
  combineBlobKey,
  interpolateBlobKey,
  verifyBlobPartial,
} from '../../crypto/blobkey.js';
import { equalBytes, framed, toHex } from '../../crypto/bytes.js';
import { HASH_DOMAINS } from '../../crypto/domains.js';
import { CryptoError } from '../../crypto/errors.js';
import { type Cluster, expectMpcidError, Fn, hex, le32, runDkg, subsets, utf8 } from './helpers.js';

const Point = ed25519.Point;

function ctxOf(c: Cluster, blob = 1): BlobContext {
  const blobId = new Uint8Array(BLOB_ID_LEN).fill(blob);
  return { clusterId: 'test-cluster', identityId: `id-${c.groups[0]!.groupPublicKey[0]}`, blobId };
}

function partialsOf(c: Cluster, ctx: BlobContext, participants: readonly number[]): BlobPartial[] {
  return participants.map((p) => blobPartial(c.groups[p - 1]!, c.shares[p - 1]!, ctx));
}

/** combineBlobKey as the agent calls it: its own shares for the agent points in `partials`, the oracles' partials checked. */
function combine(c: Cluster, ctx: BlobContext, partials: readonly BlobPartial[]) {
  const own = partials
    .filter((p) => isAgentParticipant(c.as, p.participant))
    .map((p) => c.shares[p.participant - 1]!);
  const others = partials.filter((p) => !isAgentParticipant(c.as, p.participant));
  return combineBlobKey(c.groups[0]!, ctx, own, others);
}

/** The group secret, recovered independently (Lagrange over every share, noble's field) and checked against the group key. */
function groupSecret(c: Cluster): bigint {
  const xs = c.shares.map((s) => BigInt(s.participant));
  let x = 0n;
  for (const s of c.shares) {
    const xi = BigInt(s.participant);
    let num = 1n;
    let den = 1n;
    for (const m of xs) if (m !== xi) [num, den] = [Fn.mul(num, m), Fn.mul(den, Fn.sub(m, xi))];
    x = Fn.add(x, Fn.mul(Fn.div(num, den), Fn.fromBytes(s.signingShare.expose())));
  }
  expect(equalBytes(Point.BASE.multiply(x).toBytes(), c.groups[0]!.groupPublicKey)).toBe(true);
  return x;
}

describe('blob point (RFC 9380 hash_to_curve, edwards25519_XMD:SHA-512_ELL2_RO_)', () => {
  it("noble's hasher gives the RFC 9380 J.5.1 vector (msg = '')", () => {
    const p = ed25519_hasher
      .hashToCurve(new Uint8Array(0), { DST: 'QUUX-V01-CS02-with-edwards25519_XMD:SHA-512_ELL2_RO_' })
      .toAffine();
    expect(p.x.toString(16).padStart(64, '0')).toBe(
      '3c3da6925a3c3c268448dcabb47ccde5439559d9599646a8260e47b1e4822fc6',
    );
    expect(p.y.toString(16).padStart(64, '0')).toBe(
      '09a6c8561a0b22bef63124c588ce4c62ea83a3c899763af26d795302e115dc21',
    );
  });

  it('is a prime-order point that depends on cluster, identity and blob id, under our DST', () => {
    const ctx: BlobContext = { clusterId: 'c', identityId: 'i', blobId: new Uint8Array(32) };
    const H = blobPoint(ctx);
    expect(Point.fromBytes(H).isTorsionFree()).toBe(true);
    expect(Point.fromBytes(H).is0()).toBe(false);
    const other = [
      { ...ctx, clusterId: 'd' },
      { ...ctx, identityId: 'j' },
      { ...ctx, blobId: new Uint8Array(32).fill(1) },
    ];
    for (const o of other) expect(equalBytes(blobPoint(o), H)).toBe(false);
    // Framed fields: moving a byte between cluster and identity changes the point.
    expect(
      equalBytes(
        blobPoint({ ...ctx, clusterId: 'ci', identityId: 'x' }),
        blobPoint({ ...ctx, clusterId: 'c', identityId: 'ix' }),
      ),
    ).toBe(false);
    expect(HASH_DOMAINS.blobPoint).toBe('mpcid/blob/point/v1');
  });

  it('refuses a blob id of the wrong length (BAD_LENGTH) and empty ids (MALFORMED_INPUT)', () => {
    expectMpcidError(
      () => blobPoint({ clusterId: 'c', identityId: 'i', blobId: new Uint8Array(31) }),
      'BAD_LENGTH',
    );
    expectMpcidError(
      () => blobPoint({ clusterId: '', identityId: 'i', blobId: new Uint8Array(32) }),
      'MALFORMED_INPUT',
    );
  });
});

describe.each([
  [3, 2],
  [5, 3],
])('threshold blob key (n=%i, t=%i)', (n, t) => {
  let c: Cluster;
  let ctx: BlobContext;
  let agent: number[];
  let oracles: number[];
  let K: Uint8Array;
  beforeAll(() => {
    c = runDkg(n, t);
    ctx = ctxOf(c);
    agent = agentParticipants(c.as);
    oracles = oracleParticipants(c.as);
    // The true key, computed independently from the recovered group secret.
    K = Point.fromBytes(blobPoint(ctx)).multiply(groupSecret(c)).toBytes();
  });

  it('the agent and every set of t oracles combine to K = x·H(blob)', () => {
    for (const set of subsets(oracles, t)) {
      const key = combine(c, ctx, partialsOf(c, ctx, [...agent, ...set]));
      expect(equalBytes(key.expose(), K)).toBe(true);
    }
  });

  it('no set short of the agent plus t oracles gets K: all n oracles, the agent with t-1, any single party', () => {
    const short: number[][] = [
      oracles, // all n oracles, no agent: n points of a degree-n sharing
      ...subsets(oracles, t - 1).map((s) => [...agent, ...s]), // the agent plus t-1 oracles
      ...oracles.map((o) => [o]),
      agent.slice(0, 1),
      agent,
    ];
    for (const set of short) {
      const got = interpolateBlobKey(partialsOf(c, ctx, set));
      expect(equalBytes(got, K), `set ${set.join(',')}`).toBe(false);
      // combineBlobKey refuses such a set outright.
      expectMpcidError(() => combine(c, ctx, partialsOf(c, ctx, set)), 'BAD_PARTICIPANT');
    }
  });

  it('another blob id, identity or cluster gives another key', () => {
    const set = [...agent, ...oracles.slice(0, t)];
    for (const other of [ctxOf(c, 2), { ...ctx, identityId: 'other' }, { ...ctx, clusterId: 'other' }]) {
      const key = combine(c, other, partialsOf(c, other, set));
      expect(equalBytes(key.expose(), K)).toBe(false);
    }
  });

  it('a lying partial is caught by its DLEQ proof and its participant named', () => {
    const set = [...agent, ...oracles.slice(0, t)];
    const liar = oracles[t - 1]!;
    const honest = partialsOf(c, ctx, set);
    const lies: ((p: BlobPartial) => BlobPartial)[] = [
      // another point (a multiple of the honest one) with the honest proof
      (p) => ({ ...p, partial: Point.fromBytes(p.partial).multiply(2n).toBytes() }),
      // the partial for another blob, with its own valid proof for that blob
      (p) => blobPartial(c.groups[p.participant - 1]!, c.shares[p.participant - 1]!, ctxOf(c, 9)),
      // another participant's honest partial and proof, relabelled
      (p) => ({ ...partialsOf(c, ctx, [oracles[0]!])[0]!, participant: p.participant }),
      // a flipped proof bit
      (p) => ({ ...p, proof: p.proof.map((b, i) => (i === 40 ? b ^ 1 : b)) }),
      // a proof with s >= L
      (p) => ({ ...p, proof: new Uint8Array([...p.proof.subarray(0, 32), ...le32(Fn.ORDER)]) }),
    ];
    for (const lie of lies) {
      const partials = honest.map((p) => (p.participant === liar ? lie(p) : p));
      let caught: unknown;
      try {
        combine(c, ctx, partials);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CryptoError);
      expect((caught as CryptoError).code).toBe('BAD_UNSEAL_PARTIAL');
      expect((caught as CryptoError).culprits()).toEqual([liar]);
    }
  });

  it('malformed partials get stable codes, with the culprit named', () => {
    const p = partialsOf(c, ctx, [oracles[0]!])[0]!;
    const g = c.groups[0]!;
    const cases: [Partial<BlobPartial>, RegExp][] = [
      [{ partial: p.partial.subarray(0, 31) }, /BAD_LENGTH/],
      [{ proof: p.proof.subarray(0, 63) }, /BAD_LENGTH/],
      // a small-order point (order 2: (0, -1))
      [
        { partial: hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f') },
        /MALFORMED_POINT/,
      ],
      // the identity
      [
        { partial: hex('0100000000000000000000000000000000000000000000000000000000000000') },
        /MALFORMED_POINT/,
      ],
      // a non-canonical y (>= p)
      [
        { partial: hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f') },
        /MALFORMED_POINT/,
      ],
      [{ proof: new Uint8Array(64).fill(0xff) }, /MALFORMED_SCALAR/],
    ];
    for (const [change, msg] of cases) {
      const err = expectMpcidError(
        () => verifyBlobPartial(g, ctx, { ...p, ...change }),
        'BAD_UNSEAL_PARTIAL',
        msg,
      );
      expect((err.cause as CryptoError).culprits()).toEqual([p.participant]);
    }
    expectMpcidError(
      () => verifyBlobPartial(g, ctx, { ...p, participant: c.as.total + 1 }),
      'BAD_PARTICIPANT',
    );
    expectMpcidError(() => verifyBlobPartial(g, ctx, { ...p, participant: 0 }), 'BAD_PARTICIPANT');
  });
});

describe('sealed blob', () => {
  let c: Cluster;
  let ctx: BlobContext;
  let set: number[];
  beforeAll(() => {
    c = runDkg(3, 2);
    ctx = ctxOf(c);
    set = [...agentParticipants(c.as), 1, 3];
  });
  const keyFor = (x: BlobContext) => combine(c, x, partialsOf(c, x, set));
  const policy = utf8('{}');

  it('a bound policy (docs/protocol.md §6.4) is a fourth field of H(blob); without one the point is the §6.3 one', () => {
    const bound = utf8('{"registers":{"3":"ab"}}');
    const plain = blobPoint(ctx);
    const withPolicy = blobPoint({ ...ctx, boundPolicy: bound });
    expect(equalBytes(plain, withPolicy)).toBe(false);
    const msg = framed(HASH_DOMAINS.blobPoint, ctx.clusterId, ctx.identityId, ctx.blobId, bound);
    expect(toHex(withPolicy)).toBe(
      toHex(ed25519_hasher.hashToCurve(msg, { DST: HASH_DOMAINS.blobPoint }).toBytes()),
    );
    expect(equalBytes(blobPoint({ ...ctx, boundPolicy: utf8('{"registers":{"3":"ac"}}') }), withPolicy)).toBe(
      false,
    );
  });

  it('round trip: seal, parse, open, for empty and 64 KiB plaintexts', () => {
    for (const pt of [
      new Uint8Array(0),
      utf8('db-password: hunter2'),
      new Uint8Array(MAX_PLAINTEXT).fill(7),
    ]) {
      const blob = sealBlob(keyFor(ctx), ctx, policy, pt);
      const parsed = parseBlob(blob);
      expect(parsed.clusterId).toBe(ctx.clusterId);
      expect(parsed.identityId).toBe(ctx.identityId);
      expect(equalBytes(parsed.blobId, ctx.blobId)).toBe(true);
      expect(equalBytes(parsed.policy, policy)).toBe(true);
      // a fresh key from another signing set opens it
      const other = combine(c, parsed, partialsOf(c, parsed, [...agentParticipants(c.as), 2, 3]));
      expect(equalBytes(openBlob(other, parsed), pt)).toBe(true);
    }
  });

  it('refuses a plaintext over 64 KiB', () => {
    expectMpcidError(
      () => sealBlob(keyFor(ctx), ctx, policy, new Uint8Array(MAX_PLAINTEXT + 1)),
      'MALFORMED_INPUT',
      /65536/,
    );
  });

  it('every flipped byte of a blob makes it refuse to open (BLOB_INVALID), never a wrong plaintext', () => {
    const blob = sealBlob(keyFor(ctx), ctx, policy, utf8('secret'));
    for (let i = 0; i < blob.length; i++) {
      const bad = blob.slice();
      bad[i]! ^= 0x01;
      let code: string | undefined;
      try {
        const parsed = parseBlob(bad);
        openBlob(keyFor(parsed), parsed);
      } catch (e) {
        code = e instanceof CryptoError ? e.code : 'other';
      }
      expect(code, `byte ${i}`).toBe('BLOB_INVALID');
    }
  });

  it('truncated, padded or foreign bytes are BLOB_INVALID', () => {
    const blob = sealBlob(keyFor(ctx), ctx, policy, utf8('secret'));
    for (const bad of [
      blob.subarray(0, blob.length - 1),
      new Uint8Array([...blob, 0]),
      utf8('hello'),
      new Uint8Array(0),
    ]) {
      expectMpcidError(() => parseBlob(bad), 'BLOB_INVALID');
    }
  });
});
