/**
 * Typed error details (docs/protocol.md, Errors): one shape per error code that has details,
 * serialised and parsed here and nowhere else. On the wire they are the proto message
 * mpcid.oracle.v1.ErrorDetails, the second entry of google.rpc.Status.details in the
 * grpc-status-details-bin trailer (after google.rpc.ErrorInfo, whose reason is the code).
 *
 * What a peer sends is hostile: a detail larger than MAX_DETAILS_BYTES, one that does not decode,
 * one whose field is not its code's, or one whose content fails the shape checks is treated as
 * absent (the error keeps its code). Nothing here verifies signatures: a revocation's evidence
 * and a stale step's commit are checked by whoever relies on them.
 *
 * ErrorInfo.metadata mirrors the scalar fields as strings for generic gRPC clients; mpcid reads
 * the typed details only.
 */
import protobuf from 'protobufjs';
import type { Commit, Evidence } from '../crypto/ratchet.js';
import type { Evidence__Output } from '../proto/gen/mpcid/oracle/v1/Evidence.js';
import type { ErrorCode } from './errors.js';
import { evidenceFromWire, evidenceToWire } from './evidence-wire.js';
import type { OperatorRevocationWire } from './operator-revocation.js';

/** The typed details of each code that has them. */
export interface ErrorDetailsOf {
  /**
   * The evidence behind the revocation (an agent believes it only if it verifies): two steps or
   * an abort claim, or an operator's signed revocation (kill switch; checked against the cluster CA).
   */
  IDENTITY_REVOKED:
    | { evidence: Evidence; operator?: undefined }
    | { operator: OperatorRevocationWire; evidence?: undefined };
  FORK_DETECTED: { evidence: Evidence; operator?: undefined };
  /** The accusation, its accuser and the party it blames. */
  IDENTITY_SUSPENDED: { evidence: Evidence; accuser: number; accused: number };
  /** The refusing oracle's signed commit to its current state. */
  STALE_STEP: { commit: Commit };
  /** retryAfterMs: the limiter's hint, when it gives one. */
  RATE_LIMITED: { retryAfterMs?: number; scope: string; rpc: string };
  REPLAYED_REQUEST: { counter: number; oracleCounter: number; nodeId: number };
  /** The party whose message failed a check (255: none can be blamed), and the check. */
  ECDSA_ABORT: { culprit: number; check: string };
  /** A federation issuer session's failed check: the party to blame (255: none), the check, and
   * the oracle that caught it (absent when the agent did, or the oracle does not say). */
  ISSUER_ABORT: { culprit: number; check: string; accuser?: number };
}

export type DetailedCode = keyof ErrorDetailsOf;
/** The details type of code C (never for a code without details). */
export type DetailsFor<C extends ErrorCode> = C extends DetailedCode ? ErrorDetailsOf[C] : never;

/** Largest ErrorDetails accepted from a peer (two steps of evidence are well under 2 KiB). */
export const MAX_DETAILS_BYTES = 16 * 1024;
export const ERROR_DETAILS_TYPE = 'type.googleapis.com/mpcid.oracle.v1.ErrorDetails';

/** The oneof field of ErrorDetails that carries each code's details. */
const FIELD: Record<DetailedCode, string> = {
  IDENTITY_REVOKED: 'revoked',
  FORK_DETECTED: 'revoked',
  IDENTITY_SUSPENDED: 'suspended',
  STALE_STEP: 'staleStep',
  RATE_LIMITED: 'rateLimited',
  REPLAYED_REQUEST: 'replayedRequest',
  ECDSA_ABORT: 'ecdsaAbort',
  ISSUER_ABORT: 'issuerAbort',
};

function isDetailed(code: string): code is DetailedCode {
  return Object.hasOwn(FIELD, code);
}

let type: protobuf.Type | undefined;
function detailsType(protoDir: string): protobuf.Type {
  type ??= protobuf
    .loadSync(`${protoDir}/mpcid/oracle/v1/oracle.proto`)
    .lookupType('mpcid.oracle.v1.ErrorDetails');
  return type;
}

const CHECK_NAME = /^[a-z0-9-]{1,40}$/;
const u32 = (x: unknown): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
const safe = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const bytesOf = (x: unknown, len: number): Uint8Array | undefined =>
  x instanceof Uint8Array && x.length === len ? new Uint8Array(x) : undefined;

/** Serialises `details` of `code` as an ErrorDetails message. */
export function encodeDetails(code: ErrorCode, details: unknown, protoDir: string): Uint8Array | undefined {
  if (!isDetailed(code) || details === undefined) return undefined;
  const d = details as Record<string, unknown>;
  let body: Record<string, unknown>;
  switch (code) {
    case 'IDENTITY_REVOKED':
    case 'FORK_DETECTED': {
      const op = d['operator'] as OperatorRevocationWire | undefined;
      body = op
        ? {
            operator: {
              ...op,
              certificate: Buffer.from(op.certificate),
              signature: Buffer.from(op.signature),
            },
          }
        : { evidence: evidenceToWire(d['evidence'] as Evidence) };
      break;
    }
    case 'IDENTITY_SUSPENDED':
      body = {
        evidence: evidenceToWire(d['evidence'] as Evidence),
        accuser: d['accuser'],
        accused: d['accused'],
      };
      break;
    case 'STALE_STEP': {
      const c = d['commit'] as Commit;
      body = { commit: { ...c, head: Buffer.from(c.head), signature: Buffer.from(c.signature) } };
      break;
    }
    default:
      body = d;
  }
  const t = detailsType(protoDir);
  return t.encode(t.fromObject({ [FIELD[code]]: body })).finish();
}

/**
 * The details of `code` in `raw` (an ErrorDetails message from a peer), or undefined when they
 * are absent or malformed.
 */
export function decodeDetails(
  code: ErrorCode,
  raw: Uint8Array,
  protoDir: string,
): ErrorDetailsOf[DetailedCode] | undefined {
  if (!isDetailed(code) || raw.length > MAX_DETAILS_BYTES) return undefined;
  try {
    const t = detailsType(protoDir);
    const obj = t.toObject(t.decode(raw), { longs: Number, defaults: true, oneofs: true }) as Record<
      string,
      unknown
    >;
    if (obj['details'] !== FIELD[code]) return undefined;
    const d = obj[FIELD[code]] as Record<string, unknown>;
    switch (code) {
      case 'IDENTITY_REVOKED':
      case 'FORK_DETECTED':
      case 'IDENTITY_SUSPENDED': {
        const op = d['operator'] as Record<string, unknown> | null | undefined;
        if (code === 'IDENTITY_REVOKED' && op) {
          const { identityId, reason, issuedAt, certificate, signature } = op;
          if (typeof identityId !== 'string' || typeof reason !== 'string' || !safe(issuedAt))
            return undefined;
          if (!(certificate instanceof Uint8Array) || !(signature instanceof Uint8Array)) return undefined;
          return {
            operator: {
              identityId,
              reason,
              issuedAt,
              certificate: new Uint8Array(certificate),
              signature: new Uint8Array(signature),
            },
          };
        }
        const w = d['evidence'] as Evidence__Output | null;
        if (!w) return undefined;
        const evidence = evidenceFromWire(w, w.identityId);
        if (code !== 'IDENTITY_SUSPENDED') return { evidence };
        if (!u32(d['accuser']) || !u32(d['accused'])) return undefined;
        return { evidence, accuser: d['accuser'], accused: d['accused'] };
      }
      case 'STALE_STEP': {
        const c = d['commit'] as Record<string, unknown> | null;
        const head = bytesOf(c?.['head'], 32);
        const signature = bytesOf(c?.['signature'], 64);
        if (!c || !head || !signature || !u32(c['nodeId']) || !safe(c['counter'])) return undefined;
        if (typeof c['identityId'] !== 'string') return undefined;
        return {
          commit: {
            nodeId: c['nodeId'],
            identityId: c['identityId'],
            counter: c['counter'],
            head,
            signature,
          },
        };
      }
      case 'RATE_LIMITED': {
        const { retryAfterMs, scope, rpc } = d;
        if (!u32(retryAfterMs) || typeof scope !== 'string' || typeof rpc !== 'string') return undefined;
        if (scope.length > 40 || rpc.length > 40) return undefined;
        return { ...(retryAfterMs > 0 ? { retryAfterMs } : {}), scope, rpc };
      }
      case 'REPLAYED_REQUEST': {
        const { counter, oracleCounter, nodeId } = d;
        if (!safe(counter) || !safe(oracleCounter) || !u32(nodeId)) return undefined;
        return { counter, oracleCounter, nodeId };
      }
      case 'ECDSA_ABORT': {
        const { culprit, check } = d;
        if (!u32(culprit) || culprit > 255 || typeof check !== 'string' || !CHECK_NAME.test(check))
          return undefined;
        return { culprit, check };
      }
      case 'ISSUER_ABORT': {
        const { culprit, check, accuser } = d;
        if (!u32(culprit) || culprit > 255 || typeof check !== 'string' || !CHECK_NAME.test(check))
          return undefined;
        if (!u32(accuser) || accuser > 255) return undefined;
        return { culprit, check, ...(accuser > 0 ? { accuser } : {}) };
      }
    }
  } catch {
    return undefined;
  }
}
