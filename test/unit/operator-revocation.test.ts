/**
 * The kill switch's evidence (common/operator-revocation.ts) against certificates from a real CA
 * (common/tls.ts, checked by node:crypto's X509Certificate): a revocation signed by an admin
 * certificate verifies; every way to get it wrong is refused with a stable code. The claims a
 * join token binds (common/jwt.ts) are checked here too.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MpcidError } from '../../common/errors.js';
import { checkRequiredClaims, parseRequiredClaims } from '../../common/jwt.js';
import {
  type OperatorRevocationJSON,
  operatorStatementBytes,
  signOperatorRevocation,
  verifyOperatorRevocation,
} from '../../common/operator-revocation.js';
import { bundleFiles, createCa, issueBundle, loadTls } from '../../common/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'mpcid-oprev-'));
const ca = createCa(join(dir, 'ca'), 'c1');
const caPem = readFileSync(ca.certFile);
const other = createCa(join(dir, 'other'), 'c2');
const bundle = (name: string, caDir: string, roles: ('admin' | 'agent')[]) => {
  issueBundle(caDir, join(dir, name), { name, roles });
  return loadTls(bundleFiles(join(dir, name))).material;
};
const admin = bundle('operator', ca.dir, ['admin']);
const agent = bundle('agent', ca.dir, ['agent']);
const foreign = bundle('foreign', other.dir, ['admin']);
const ID = 'A'.repeat(43);
const statement = (over: Partial<{ issuedAt: number; reason: string }> = {}) => ({
  clusterId: 'c1',
  identityId: ID,
  issuedAt: Date.now(),
  reason: 'incident',
  ...over,
});

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof MpcidError ? e.code : `not an MpcidError: ${String(e)}`;
  }
  return 'OK';
}

describe('operator revocations', () => {
  it('one signed by an admin certificate of the CA verifies, with its operator and digest', () => {
    const doc = signOperatorRevocation(statement(), admin.cert, admin.key);
    const v = verifyOperatorRevocation(doc, caPem, { clusterId: 'c1', identityId: ID });
    expect(v).toEqual(doc);
    expect(v.operator).toBe('operator');
    // The digest does not depend on the document's own claim of it.
    const { digest: _d, ...rest } = doc;
    expect(verifyOperatorRevocation(rest, caPem).digest).toBe(doc.digest);
  });

  it('is refused when anything is off', () => {
    const doc = signOperatorRevocation(statement(), admin.cert, admin.key);
    const cases: [string, unknown, string][] = [
      ['another reason', { ...doc, reason: 'other' }, 'BAD_EVIDENCE'],
      ['another time', { ...doc, issuedAt: doc.issuedAt + 1 }, 'BAD_EVIDENCE'],
      ['another cluster', { ...doc, clusterId: 'c2' }, 'BAD_EVIDENCE'],
      ['another identity', { ...doc, identityId: 'B'.repeat(43) }, 'BAD_EVIDENCE'],
      ['a wrong digest', { ...doc, digest: doc.signature.slice(0, 43) }, 'BAD_EVIDENCE'],
      ['no type', { ...doc, type: undefined }, 'BAD_EVIDENCE'],
      ['a truncated signature', { ...doc, signature: doc.signature.slice(0, 20) }, 'BAD_EVIDENCE'],
      [
        'a certificate of another CA',
        signOperatorRevocation(statement(), foreign.cert, foreign.key),
        'BAD_EVIDENCE',
      ],
      [
        'a certificate without role admin',
        signOperatorRevocation(statement(), agent.cert, agent.key),
        'ROLE_NOT_ALLOWED',
      ],
      [
        'signed before the certificate was valid',
        signOperatorRevocation(statement({ issuedAt: 1000 }), admin.cert, admin.key),
        'BAD_EVIDENCE',
      ],
      ['an empty reason', { ...doc, reason: '' }, 'BAD_EVIDENCE'],
      ['not an object', 'nope', 'BAD_EVIDENCE'],
    ];
    for (const [what, d, want] of cases)
      expect(
        code(() => verifyOperatorRevocation(d, caPem, { clusterId: 'c1', identityId: ID })),
        what,
      ).toBe(want);
    // The admin certificate with another key's signature (node:crypto signs, the rule refuses).
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const sig = sign('sha256', operatorStatementBytes(doc), { key: stranger, dsaEncoding: 'der' });
    const forged: OperatorRevocationJSON = { ...doc, signature: sig.toString('base64url') };
    delete (forged as Partial<OperatorRevocationJSON>).digest;
    expect(code(() => verifyOperatorRevocation(forged, caPem))).toBe('BAD_EVIDENCE');
  });

  it('a reason must be 1-500 printable characters to be signed', () => {
    for (const reason of ['', 'a\nb', 'x'.repeat(501), '\u0000'])
      expect(
        code(() => signOperatorRevocation(statement({ reason }), admin.cert, admin.key)),
        reason,
      ).toBe('MALFORMED_INPUT');
    expect(code(() => signOperatorRevocation(statement({ reason: 'é 🚨 ok' }), admin.cert, admin.key))).toBe(
      'OK',
    );
  });
});

describe('claims bound by a join token', () => {
  it('parses 1-16 unreserved claims of simple values, and nothing else', () => {
    expect(parseRequiredClaims('{"image":"sha256:ab","tier":3,"prod":true}', 'r')).toEqual({
      image: 'sha256:ab',
      tier: 3,
      prod: true,
    });
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`c${i}`, 'v'])));
    for (const bad of [
      '{}',
      '[]',
      '"x"',
      '{"sub":"x"}',
      '{"ctr":1}',
      '{"a":null}',
      '{"a":1.5}',
      '{"1a":"x"}',
      many,
    ])
      expect(
        code(() => parseRequiredClaims(bad, 'r')),
        bad,
      ).toBe('MALFORMED_INPUT');
  });

  it('a token must carry each with the same value; a quote may not contradict it in its claims', () => {
    const req = { image: 'sha256:ab' };
    expect(code(() => checkRequiredClaims({ image: 'sha256:ab', x: 1 }, req))).toBe('OK');
    expect(code(() => checkRequiredClaims({ image: 'sha256:cd' }, req))).toBe('CLAIM_MISMATCH');
    expect(code(() => checkRequiredClaims({}, req))).toBe('CLAIM_MISMATCH');
    expect(code(() => checkRequiredClaims({ image: ['sha256:ab'] }, req))).toBe('CLAIM_MISMATCH');
    expect(code(() => checkRequiredClaims({ image: 'sha256:ab', claims: { image: 'sha256:cd' } }, req))).toBe(
      'CLAIM_MISMATCH',
    );
    expect(code(() => checkRequiredClaims({ image: 'sha256:ab', claims: { other: 1 } }, req))).toBe('OK');
    expect(code(() => checkRequiredClaims({ anything: 1 }, undefined))).toBe('OK');
  });
});
