/**
 * The federation issuer's pure parts (docs/protocol.md §10): the config schema (audiences, the
 * 48-hour bound, t >= 2), the issuer URL, the key-set states, the audience rule and which key a
 * token request goes to; and, in-process on crypto/ alone, that a key shared over the oracles'
 * points only (w = 0) signs with any t oracles and no agent, verified by node:crypto.
 */
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AgentState } from '../../agent/state.js';
import { usesIssuerKey } from '../../agent/workload.js';
import {
  ClusterSchema,
  FEDERATION_MAX_TTL_SECONDS,
  federationIssuer,
  federationOf,
} from '../../common/config.js';
import type { MpcidError } from '../../common/errors.js';
import { checkAudiences, issuerKeyStates } from '../../common/issuer.js';
import { JWT_TYP } from '../../common/jwt.js';
import {
  combineSignature,
  EcdsaSigner,
  PairSetup,
  type PairState,
  SETUP_ROUNDS,
} from '../../crypto/ecdsa/index.js';
import { SigningSets } from '../../crypto/es256.js';
import { DkgParticipant, type GroupPublic, type KeyShare, P256 } from '../../crypto/frost.js';
import { sha256 } from '../../crypto/hash.js';
import { p256Uncompressed } from '../../crypto/p256.js';
import { issuerAccessStructure } from '../../oracle/issuer-setup.js';

function cluster(over: Record<string, unknown> = {}, n = 3, t = 2) {
  return {
    id: 'fed',
    n,
    t,
    oracles: Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      address: `127.0.0.1:${7000 + i}`,
      publicKey: 'A'.repeat(43),
    })),
    issuer: 'https://oracle-1.example:8080',
    ...over,
  };
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as MpcidError).code;
  }
  return 'OK';
}

describe('federation config and rules', () => {
  it('defaults: identity keys sign JWT-SVIDs, no audience, one hour; lifetimes of 48 h or more are refused', () => {
    const c = ClusterSchema.parse(cluster({ federation: {} }));
    expect(federationOf(c)).toEqual({ jwtSvidKey: 'identity', audiences: [], maxTokenTtlSeconds: 3600 });
    expect(federationOf(ClusterSchema.parse(cluster()))).toEqual(federationOf(c));
    expect(FEDERATION_MAX_TTL_SECONDS).toBe(48 * 3600 - 1);
    const ok = { federation: { maxTokenTtlSeconds: FEDERATION_MAX_TTL_SECONDS } };
    expect(ClusterSchema.safeParse(cluster(ok)).success).toBe(true);
    expect(ClusterSchema.safeParse(cluster({ federation: { maxTokenTtlSeconds: 48 * 3600 } })).success).toBe(
      false,
    );
    expect(ClusterSchema.safeParse(cluster({ federation: { jwtSvidKey: 'cloud' } })).success).toBe(false);
    expect(ClusterSchema.safeParse(cluster({ federation: { audiences: [''] } })).success).toBe(false);
    expect(ClusterSchema.safeParse(cluster({ federation: { extra: 1 } })).success).toBe(false);
  });

  it('the issuer key needs a quorum of two (a DKLs23 session has at least two signers)', () => {
    expect(ClusterSchema.safeParse(cluster({ federation: {} }, 1, 1)).success).toBe(false);
    expect(ClusterSchema.safeParse(cluster({}, 1, 1)).success).toBe(true);
  });

  it('the issuer URL is the cluster issuer + /issuer; a urn issuer has none (ISSUER_NOT_CONFIGURED)', () => {
    expect(federationIssuer(ClusterSchema.parse(cluster()))).toBe('https://oracle-1.example:8080/issuer');
    expect(federationIssuer(ClusterSchema.parse(cluster({ issuer: 'https://x.example/' })))).toBe(
      'https://x.example/issuer',
    );
    expect(code(() => federationIssuer(ClusterSchema.parse(cluster({ issuer: undefined }))))).toBe(
      'ISSUER_NOT_CONFIGURED',
    );
  });

  it('key states: current; current, next; previous, current, next', () => {
    expect(issuerKeyStates(0)).toEqual([]);
    expect(issuerKeyStates(1)).toEqual(['current']);
    expect(issuerKeyStates(2)).toEqual(['current', 'next']);
    expect(issuerKeyStates(3)).toEqual(['previous', 'current', 'next']);
  });

  it('every audience must be configured (AUDIENCE_NOT_ALLOWED), one or an array', () => {
    const allowed = ['sts.amazonaws.com', 'https://gcp.example'];
    expect(code(() => checkAudiences('sts.amazonaws.com', allowed))).toBe('OK');
    expect(code(() => checkAudiences(allowed, allowed))).toBe('OK');
    expect(code(() => checkAudiences('https://evil.example', allowed))).toBe('AUDIENCE_NOT_ALLOWED');
    expect(code(() => checkAudiences(['sts.amazonaws.com', 'x'], allowed))).toBe('AUDIENCE_NOT_ALLOWED');
    expect(code(() => checkAudiences(undefined, allowed))).toBe('AUDIENCE_NOT_ALLOWED');
    expect(code(() => checkAudiences([7], allowed))).toBe('AUDIENCE_NOT_ALLOWED');
    expect(code(() => checkAudiences('sts.amazonaws.com', []))).toBe('AUDIENCE_NOT_ALLOWED');
  });

  it("which key a token goes to: the request's choice, else the cluster's", () => {
    const state = (jwtSvidKey?: string) =>
      ({
        cluster: ClusterSchema.parse(cluster(jwtSvidKey ? { federation: { jwtSvidKey } } : {})),
      }) as AgentState;
    expect(usesIssuerKey(state(), 'ES256', JWT_TYP, '')).toBe(false);
    expect(usesIssuerKey(state('issuer'), 'ES256', JWT_TYP, '')).toBe(true);
    expect(usesIssuerKey(state('issuer'), 'ES256', JWT_TYP, 'identity')).toBe(false);
    expect(usesIssuerKey(state(), 'ES256', JWT_TYP, 'issuer')).toBe(true);
    expect(code(() => usesIssuerKey(state(), 'EdDSA', JWT_TYP, 'issuer'))).toBe('MALFORMED_INPUT');
    // The cluster's choice leaves EdDSA tokens and attestation quotes on the identity key.
    expect(usesIssuerKey(state('issuer'), 'EdDSA', JWT_TYP, '')).toBe(false);
    expect(usesIssuerKey(state('issuer'), 'ES256', 'mpcid-attestation+jwt', '')).toBe(false);
    expect(code(() => usesIssuerKey(state(), 'ES256', 'mpcid-attestation+jwt', 'issuer'))).toBe(
      'MALFORMED_INPUT',
    );
    expect(code(() => usesIssuerKey(state(), 'ES256', JWT_TYP, 'cloud'))).toBe('MALFORMED_INPUT');
  });
});

describe('a P-256 key of the oracles alone (w = 0)', () => {
  it('any 2 of 3 oracles sign (DKLs23, no agent party) and node:crypto verifies; one oracle cannot', () => {
    const as = issuerAccessStructure(3, 2);
    const ids = [1, 2, 3];
    const dkg = ids.map((i) => new DkgParticipant(as, i, P256));
    const all = dkg.map((d) => d.round1);
    const out = dkg.map((d) => d.round2(all));
    const keys = new Map<number, { share: KeyShare; group: GroupPublic }>();
    for (const [i, d] of dkg.entries()) {
      const received = new Map(ids.filter((j) => j !== i + 1).map((j) => [j, out[j - 1]!.get(i + 1)!]));
      keys.set(i + 1, d.finish(all, received));
    }
    const group = keys.get(1)!.group;
    for (const k of keys.values()) expect(k.group.groupPublicKey).toEqual(group.groupPublicKey);
    // Pair setups between every two oracles.
    const sid = new Uint8Array(16).fill(9);
    const pairs = new Map<string, PairState>();
    for (const [a, b] of [
      [1, 2],
      [1, 3],
      [2, 3],
    ] as const) {
      const sa = new PairSetup({ curve: 'P-256', self: a, peer: b, sessionId: sid });
      const sb = new PairSetup({ curve: 'P-256', self: b, peer: a, sessionId: sid });
      let ma = sa.next();
      let mb = sb.next();
      for (let r = 2; r <= SETUP_ROUNDS; r++) {
        const na = sa.next(mb);
        const nb = sb.next(ma);
        ma = na;
        mb = nb;
      }
      pairs.set(`${a}-${b}`, sa.finish(mb));
      pairs.set(`${b}-${a}`, sb.finish(ma));
    }
    const message = new TextEncoder().encode('header.claims');
    const messageHash = sha256(message);
    for (const set of [
      [1, 2],
      [1, 3],
      [2, 3],
    ]) {
      const signers = set.map((o) => {
        const ss = new SigningSets(group, [keys.get(o)!.share]).of(set);
        return new EcdsaSigner({
          curve: 'P-256',
          self: o,
          parties: set,
          sessionId: new Uint8Array(32).fill(set[0]! * 10 + set[1]!),
          messageHash,
          additiveShare: ss.additiveShare,
          publicShares: ss.publicShares,
          publicKey: group.groupPublicKey,
          pairs: new Map(set.filter((x) => x !== o).map((x) => [x, pairs.get(`${o}-${x}`)!])),
        });
      });
      const [a, b] = signers as [EcdsaSigner, EcdsaSigner];
      const [pa, pb] = set as [number, number];
      const a1 = a.round1();
      const b1 = b.round1();
      const a2 = a.round2(new Map([[pb, b1.get(pa)!]]));
      const b2 = b.round2(new Map([[pa, a1.get(pb)!]]));
      const shares = new Map([
        [pa, a.round3(new Map([[pb, b2.get(pa)!]]))],
        [pb, b.round3(new Map([[pa, a2.get(pb)!]]))],
      ]);
      const { signature } = combineSignature({
        curve: 'P-256',
        messageHash,
        publicKey: group.groupPublicKey,
        shares,
      });
      const key = createPublicKey({
        key: Buffer.concat([
          Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
          Buffer.from(p256Uncompressed(group.groupPublicKey)),
        ]),
        format: 'der',
        type: 'spki',
      });
      expect(verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature), `set ${set}`).toBe(
        true,
      );
    }
    // One oracle alone is no signing set.
    const one = new SigningSets(group, [keys.get(1)!.share]);
    expect(() => one.of([1]).publicShares).not.toThrow();
    expect(
      code(
        () =>
          new EcdsaSigner({
            curve: 'P-256',
            self: 1,
            parties: [1],
            sessionId: new Uint8Array(32),
            messageHash,
            additiveShare: one.of([1]).additiveShare,
            publicShares: one.of([1]).publicShares,
            publicKey: group.groupPublicKey,
            pairs: new Map(),
          }),
      ),
    ).toBe('BAD_PARTICIPANT');
  });
});
