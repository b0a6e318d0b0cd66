/**
 * crypto/'s CryptoError meets the wire in one place (common/errors.ts asMpcidError): every crypto
 * code maps to a code of ERROR_CODES, keeping the message, and the ErrorInfo metadata that ECDSA
 * checks carried when crypto/ threw MpcidError itself; FROST culprits stay in-process. The gRPC
 * status clients get is the one toServiceError gives the mapped MpcidError.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { abortOf } from '../../common/ecdsa-wire.js';
import { asMpcidError, codeOf, culpritsOf, ERROR_CODES, MpcidError } from '../../common/errors.js';
import { errorInfoOf, STATUS_OF, toServiceError } from '../../common/grpc.js';
import { createLogger } from '../../common/log.js';
import { fromB64u } from '../../crypto/bytes.js';
import { CRYPTO_CODES, type CryptoCode, CryptoError, isCryptoError } from '../../crypto/errors.js';
import { NO_CULPRIT } from '../../crypto/es256.js';

const log = createLogger('test', 'silent');

describe('CryptoError', () => {
  it('maps every code to the ERROR_CODES entry of the same name, message kept', () => {
    const codes = Object.keys(CRYPTO_CODES) as CryptoCode[];
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) {
      const e = new CryptoError(code, `${code} happened`);
      const m = asMpcidError(e);
      expect(m).toBeInstanceOf(MpcidError);
      expect(m?.code).toBe(code);
      expect(m?.status).toBe(ERROR_CODES[code].status);
      expect(m?.message).toBe(`${code} happened`);
      expect(m?.cause).toBe(e);
      expect(m?.metadata).toEqual({});
      expect(codeOf(e)).toBe(code);
      expect(isCryptoError(e, code)).toBe(true);
    }
  });

  it('carries ECDSA blame as the ErrorInfo metadata it had, other culprits in-process only', () => {
    const blamed = new CryptoError('ECDSA_ABORT', 'party 1: bad', { culprits: [1], check: 'gamma-u' });
    expect(asMpcidError(blamed)?.metadata).toEqual({ culprit: '1', check: 'gamma-u' });
    expect(abortOf(blamed)).toEqual({ culprit: 1, check: 'gamma-u' });
    const malformed = new CryptoError('MALFORMED_POINT', 'party 2: R', { culprits: [2], check: 'r3-point' });
    expect(asMpcidError(malformed)?.metadata).toEqual({ culprit: '2', check: 'r3-point' });
    expect(abortOf(malformed)).toEqual({ culprit: 2, check: 'r3-point' });
    const nobody = new CryptoError('ECDSA_ABORT', 'bad signature', { check: 'signature' });
    expect(asMpcidError(nobody)?.metadata).toEqual({ check: 'signature', attributable: 'false' });
    expect(abortOf(nobody)).toEqual({ culprit: NO_CULPRIT, check: 'signature' });
    const frost = new CryptoError('BAD_SIGNATURE_SHARE', 'participant 3 sent', { culprits: [3] });
    expect(asMpcidError(frost)?.metadata).toEqual({});
    expect(culpritsOf(frost)).toEqual([3]);
    expect(culpritsOf(asMpcidError(frost))).toEqual([3]);
    expect(abortOf(frost)).toBeUndefined();
    // Culprits are sorted and frozen.
    const two = new CryptoError('DKG_FAILED', 'x', { culprits: [5, 2] });
    expect(two.culprits()).toEqual([2, 5]);
    expect(Object.isFrozen(two.culprits())).toBe(true);
  });

  it('reaches a client as the status and ErrorInfo code it had', () => {
    for (const [code, status] of [
      ['MALFORMED_POINT', grpc.status.INVALID_ARGUMENT],
      ['DKG_FAILED', grpc.status.FAILED_PRECONDITION],
      ['ECDSA_ABORT', grpc.status.ABORTED],
      ['STATE_CORRUPT', grpc.status.DATA_LOSS],
      ['SESSION_AUTH_FAILED', grpc.status.PERMISSION_DENIED],
      ['INTERNAL', grpc.status.INTERNAL],
    ] as const) {
      const st = toServiceError(new CryptoError(code, 'm', { culprits: [1], check: 'c' }), log, 'Test');
      expect(st.code).toBe(status);
      expect(st.code).toBe(STATUS_OF[ERROR_CODES[code].status]);
      expect(st.details).toBe(`${code}: m`);
      // ErrorInfo also carries the bare message and typed details (common/error-details.ts).
      const info = errorInfoOf(st);
      expect({ code: info?.code, metadata: info?.metadata }).toEqual({
        code,
        metadata: { culprit: '1', check: 'c' },
      });
      expect(info?.message).toBe('m');
    }
  });

  it('is what crypto/ throws', () => {
    let thrown: unknown;
    try {
      fromB64u('not base64url!', 'field');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CryptoError);
    expect(thrown).not.toBeInstanceOf(MpcidError);
    expect(codeOf(thrown)).toBe('MALFORMED_INPUT');
    // Anything else is no expected failure: a bug, reported as a bare INTERNAL.
    expect(asMpcidError(new Error('x'))).toBeUndefined();
    expect(codeOf('MALFORMED_INPUT')).toBeUndefined();
    expect(culpritsOf(new Error('x'))).toEqual([]);
  });
});
