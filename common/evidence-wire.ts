/**
 * Revocation evidence on the wire (proto mpcid.oracle.v1.Evidence): how oracles push it to each
 * other (PushRevocation) and how a refusal carries it to the agent (common/error-details.ts).
 * Decoding checks the shape only; signatures are verifyEvidence's (crypto/ratchet.ts).
 */
import type { Evidence } from '../crypto/ratchet.js';
import type { Evidence__Output, Evidence as EvidenceWire } from '../proto/gen/mpcid/oracle/v1/Evidence.js';
import { MpcidError } from './errors.js';
import { abortFromParts, abortSessionFromParts, stepFromWire, stepToWire } from './protocol.js';

export function evidenceToWire(e: Evidence): EvidenceWire {
  return {
    identityId: e.identityId,
    steps: e.steps.map(stepToWire),
    abort: e.abort
      ? {
          ...e.abort,
          signature: Buffer.from(e.abort.signature),
          messageDigest: Buffer.from(e.messageDigest),
          oracles: [...e.oracles],
        }
      : null,
  };
}

/** Wire evidence of `identityId` -> Evidence, shape checked (signatures: verifyEvidence). */
export function evidenceFromWire(m: Evidence__Output, identityId: string): Evidence {
  const abort = m.abort;
  if (m.identityId !== identityId) throw new MpcidError('BAD_EVIDENCE', 'evidence of another identity');
  if (m.steps.length !== (abort ? 1 : 2))
    throw new MpcidError(
      'BAD_EVIDENCE',
      abort ? 'abort evidence must hold one step' : 'evidence must hold two steps',
    );
  try {
    return abort
      ? {
          identityId,
          steps: [stepFromWire(m.steps[0])],
          abort: abortFromParts(abort.accuser, abort.culprit, abort.check, new Uint8Array(abort.signature)),
          ...abortSessionFromParts(new Uint8Array(abort.messageDigest), abort.oracles),
        }
      : { identityId, steps: [stepFromWire(m.steps[0]), stepFromWire(m.steps[1])] };
  } catch {
    throw new MpcidError('BAD_EVIDENCE', 'evidence steps are malformed');
  }
}
