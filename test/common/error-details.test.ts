/**
 * Typed error details (common/error-details.ts) through the one serialisation path
 * (toServiceError -> grpc-status-details-bin -> errorInfoOf / fromServiceError), and hostile
 * details: oversized, undecodable, of another code's shape, or with malformed content are treated
 * as absent (the code survives), never a crash.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeDetails, ERROR_DETAILS_TYPE, MAX_DETAILS_BYTES } from '../../common/error-details.js';
import { detailsOf, MpcidError } from '../../common/errors.js';
import { errorInfoOf, fromServiceError, PROTO_DIR, toServiceError } from '../../common/grpc.js';
import { createLogger } from '../../common/log.js';
import { HEARTBEAT_DIGEST } from '../../common/protocol.js';
import { type Evidence, evidenceDigest, signCommit, signStep } from '../../crypto/ratchet.js';
import { fakeIdentityId, keyPair } from '../helpers/ratchet.js';

const log = createLogger('test', 'silent');
const root = protobuf.loadSync(join(PROTO_DIR, 'mpcid/oracle/v1/oracle.proto'));
const Details = root.lookupType('mpcid.oracle.v1.ErrorDetails');
const status = protobuf.loadSync(join(PROTO_DIR, 'google/rpc/status.proto'));
const Status = status.lookupType('google.rpc.Status');
const ErrorInfo = status.lookupType('google.rpc.ErrorInfo');

/** What a client sees of `e` after it crossed the wire. */
function overWire(e: MpcidError): unknown {
  return { ...toServiceError(e, log, 'Test'), code: grpc.status.FAILED_PRECONDITION };
}

/** A gRPC error whose trailer holds ErrorInfo(code) and `details` bytes as the typed entry. */
function hostile(code: string, details: Uint8Array): unknown {
  const info = ErrorInfo.encode(
    ErrorInfo.create({ reason: code, domain: 'mpcid.dev', metadata: {} }),
  ).finish();
  const st = Status.encode(
    Status.create({
      code: 9,
      message: 'hostile',
      details: [
        { typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo', value: info },
        { typeUrl: ERROR_DETAILS_TYPE, value: details },
      ],
    }),
  ).finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(st));
  return { code: 9, details: 'hostile', metadata };
}

function forkEvidence(identityId: string): Evidence {
  const session = keyPair();
  const step = (time: number) =>
    signStep(session.key, {
      identityId,
      counter: 5,
      prevHead: new Uint8Array(32),
      time,
      kind: 'heartbeat',
      payloadDigest: HEARTBEAT_DIGEST,
      requestId: new Uint8Array(randomBytes(16)),
    });
  return { identityId, steps: [step(100), step(200)] };
}

describe('typed error details', () => {
  const identityId = fakeIdentityId();
  const node = keyPair('node');

  it('each code with details crosses the wire typed, its scalars mirrored in ErrorInfo metadata', () => {
    const evidence = forkEvidence(identityId);
    const commit = signCommit(node.key, 2, identityId, 9, new Uint8Array(randomBytes(32)));
    const cases: MpcidError[] = [
      new MpcidError('FORK_DETECTED', 'fork', { details: { evidence } }),
      new MpcidError('IDENTITY_REVOKED', 'revoked', { details: { evidence } }),
      new MpcidError('IDENTITY_SUSPENDED', 'suspended', { details: { evidence, accuser: 1, accused: 0 } }),
      new MpcidError('STALE_STEP', 'stale', { details: { commit } }),
      new MpcidError('RATE_LIMITED', 'slow down', {
        details: { retryAfterMs: 120, scope: 'peer', rpc: 'Step' },
      }),
      new MpcidError('REPLAYED_REQUEST', 'replay', { details: { counter: 3, oracleCounter: 7, nodeId: 2 } }),
      new MpcidError('ECDSA_ABORT', 'abort', { details: { culprit: 2, check: 'commitment' } }),
      // The kill switch: an operator's revocation instead of step evidence.
      new MpcidError('IDENTITY_REVOKED', 'revoked by an operator', {
        details: {
          operator: {
            identityId,
            reason: 'compromised host',
            issuedAt: 1_700_000_000_000,
            certificate: new Uint8Array(randomBytes(300)),
            signature: new Uint8Array(randomBytes(70)),
          },
        },
      }),
      new MpcidError('ISSUER_ABORT', 'issuer abort', { details: { culprit: 3, check: 'relay', accuser: 2 } }),
      new MpcidError('ISSUER_ABORT', 'issuer abort', { details: { culprit: 3, check: 'share' } }),
    ];
    for (const e of cases) {
      const got = fromServiceError(overWire(e), 'oracle 2');
      expect(got.code).toBe(e.code);
      expect(got.message).toBe(`oracle 2: ${e.message}`);
      expect(got.details, e.code).toEqual(e.details);
      expect(errorInfoOf(overWire(e))!.metadata).toEqual(e.metadata);
    }
    const ev = detailsOf(fromServiceError(overWire(cases[0]!), 'x'), 'FORK_DETECTED', 'IDENTITY_REVOKED')!
      .evidence!;
    expect(evidenceDigest(ev)).toEqual(evidenceDigest(evidence));
    expect(errorInfoOf(overWire(cases[4]!))!.metadata).toEqual({
      retryAfterMs: '120',
      scope: 'peer',
      rpc: 'Step',
    });
    expect(errorInfoOf(overWire(cases[2]!))!.metadata).toEqual({ accuser: '1', accused: '0' });
  });

  it('a code without details, or details absent, is the code alone', () => {
    const e = errorInfoOf(overWire(new MpcidError('STALE_STEP', 'no proof')))!;
    expect(e.code).toBe('STALE_STEP');
    expect(e.details).toBeUndefined();
    expect(detailsOf(new MpcidError('QUORUM_UNAVAILABLE', 'x'), 'STALE_STEP')).toBeUndefined();
  });

  it('hostile details are absent, never a crash', () => {
    const head = new Uint8Array(32);
    const sig = new Uint8Array(64);
    const enc = (o: Record<string, unknown>) => Details.encode(Details.fromObject(o)).finish();
    const bad: [string, Uint8Array][] = [
      ['STALE_STEP', new Uint8Array(randomBytes(300))],
      ['STALE_STEP', new Uint8Array(MAX_DETAILS_BYTES + 1)],
      // another code's shape
      ['IDENTITY_REVOKED', enc({ rateLimited: { retryAfterMs: 5, scope: 'peer', rpc: 'Step' } })],
      // malformed content
      [
        'STALE_STEP',
        enc({
          staleStep: {
            commit: { nodeId: 1, identityId, counter: 1, head: head.subarray(0, 5), signature: sig },
          },
        }),
      ],
      ['STALE_STEP', enc({ staleStep: {} })],
      ['ECDSA_ABORT', enc({ ecdsaAbort: { culprit: 1, check: 'Not A Check!' } })],
      ['ECDSA_ABORT', enc({ ecdsaAbort: { culprit: 256, check: 'nonce' } })],
      ['IDENTITY_REVOKED', enc({ revoked: { evidence: { identityId, steps: [] } } })],
      ['IDENTITY_REVOKED', enc({ revoked: {} })],
      ['RATE_LIMITED', enc({ rateLimited: { retryAfterMs: 5, scope: 'x'.repeat(41), rpc: 'Step' } })],
    ];
    for (const [code, raw] of bad) {
      const info = errorInfoOf(hostile(code, raw));
      expect(info?.code, code).toBe(code);
      expect(info?.details, code).toBeUndefined();
      expect(fromServiceError(hostile(code, raw), 'x').details).toBeUndefined();
    }
    // The same decoder takes well-formed input (so the refusals above are the checks, not the encoding).
    const ok = enc({ staleStep: { commit: { nodeId: 1, identityId, counter: 1, head, signature: sig } } });
    expect(decodeDetails('STALE_STEP', ok, PROTO_DIR)).toMatchObject({ commit: { nodeId: 1, counter: 1 } });
  });
});
