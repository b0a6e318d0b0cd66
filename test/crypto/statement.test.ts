import { describe, expect, it } from 'vitest';
import { framed } from '../../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
import { generateEd25519, signEd25519 } from '../../crypto/ed25519.js';
import { Secret } from '../../crypto/secret.js';
import { type Domain, type Field, signStatement, verifyStatement } from '../../crypto/statement.js';
import { expectMpcidError, nodeVerify } from './helpers.js';

describe('signed statements', () => {
  const { seed, publicKey } = generateEd25519();
  const key = new Secret(seed, 'node-key');
  const fields: Field[] = ['identity-7', 3, new Uint8Array([1, 2, 3, 4])];
  const domain = STATEMENT_DOMAINS.enrolled;
  const sig = signStatement(key, domain, ...fields);

  it('roundtrips, and the signature is plain Ed25519 over framed(domain, ...fields)', () => {
    expect(sig.length).toBe(64);
    expect(() => verifyStatement(publicKey, sig, 'enrolled', domain, fields)).not.toThrow();
    expect(nodeVerify(sig, framed(domain, ...fields), publicKey)).toBe(true);
    expect(Buffer.from(signEd25519(framed(domain, ...fields), seed)).equals(Buffer.from(sig))).toBe(true);
  });

  it('domains are distinct', () => {
    expect(new Set(Object.values(STATEMENT_DOMAINS)).size).toBe(Object.keys(STATEMENT_DOMAINS).length);
  });

  it.each(Object.values(STATEMENT_DOMAINS).filter((d) => d !== domain))(
    'a signature for %s does not verify under another domain',
    (other) => {
      expectMpcidError(
        () => verifyStatement(publicKey, sig, 'enrolled', other as Domain, fields),
        'SESSION_AUTH_FAILED',
        /^enrolled: signature does not verify$/,
      );
      // ...and a statement signed in that domain does not verify as `domain`.
      const otherSig = signStatement(key, other as Domain, ...fields);
      expectMpcidError(
        () => verifyStatement(publicKey, otherSig, 'x', domain, fields),
        'SESSION_AUTH_FAILED',
      );
    },
  );

  it('any changed, added, removed or re-split field fails', () => {
    const variants: Field[][] = [
      ['identity-8', 3, new Uint8Array([1, 2, 3, 4])],
      ['identity-7', 4, new Uint8Array([1, 2, 3, 4])],
      ['identity-7', 3, new Uint8Array([1, 2, 3, 5])],
      ['identity-7', 3, new Uint8Array([1, 2, 3])],
      ['identity-7', 3],
      ['identity-7', 3, new Uint8Array([1, 2, 3, 4]), ''],
      ['identity-', '73', new Uint8Array([1, 2, 3, 4])],
      // The number 3 and the 4 bytes 00 00 00 03 are the same field encoding (documented framing).
      [3, 'identity-7', new Uint8Array([1, 2, 3, 4])],
    ];
    for (const v of variants) {
      expectMpcidError(() => verifyStatement(publicKey, sig, 'enrolled', domain, v), 'SESSION_AUTH_FAILED');
    }
  });

  it('a changed signature or another key fails', () => {
    for (const at of [0, 31, 32, 63]) {
      const bad = sig.slice();
      bad[at]! ^= 0x01;
      expect(() => verifyStatement(publicKey, bad, 'enrolled', domain, fields)).toThrow();
    }
    const other = generateEd25519();
    expectMpcidError(
      () => verifyStatement(other.publicKey, sig, 'enrolled', domain, fields),
      'SESSION_AUTH_FAILED',
    );
    // A garbage public key fails verification rather than crashing.
    expectMpcidError(
      () => verifyStatement(new Uint8Array(31), sig, 'enrolled', domain, fields),
      'SESSION_AUTH_FAILED',
    );
  });

  it('a wrong-length signature is BAD_LENGTH; a non-byte one MALFORMED_INPUT', () => {
    for (const len of [0, 63, 65]) {
      const s = new Uint8Array(len);
      s.set(sig.subarray(0, Math.min(len, 64)));
      expectMpcidError(
        () => verifyStatement(publicKey, s, 'enrolled', domain, fields),
        'BAD_LENGTH',
        /^enrolled\.signature: /,
      );
    }
    expectMpcidError(
      () => verifyStatement(publicKey, Buffer.from(sig).toString('base64url'), 'enrolled', domain, fields),
      'MALFORMED_INPUT',
    );
  });

  it('the verification failure code is the one passed in', () => {
    expectMpcidError(
      () => verifyStatement(publicKey, sig, 'dkg', STATEMENT_DOMAINS.dkgRound1, fields, 'DKG_FAILED'),
      'DKG_FAILED',
      /^dkg: /,
    );
    expectMpcidError(
      () => verifyStatement(publicKey, sig, 'token', STATEMENT_DOMAINS.joinToken, fields, 'TOKEN_INVALID'),
      'TOKEN_INVALID',
    );
    // The code does not override the decoding errors.
    expectMpcidError(
      () => verifyStatement(publicKey, sig.subarray(1), 'dkg', domain, fields, 'DKG_FAILED'),
      'BAD_LENGTH',
    );
    // And success stays success whatever code is passed.
    expect(() => verifyStatement(publicKey, sig, 'x', domain, fields, 'DKG_FAILED')).not.toThrow();
  });
});
