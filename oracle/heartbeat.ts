/**
 * The oracle's heartbeat step kind (docs/protocol.md §5): a step with the fixed heartbeat digest
 * and no payload; accepting it advances the ratchet and signs nothing. Counterpart:
 * agent/heartbeat.ts.
 */

import { MpcidError } from '../common/errors.js';
import { HEARTBEAT_DIGEST } from '../common/protocol.js';
import { equalBytes } from '../crypto/bytes.js';
import type { SignedStep } from '../crypto/ratchet.js';
import type { CheckedStep, StepKindHandler } from './signer.js';

export class HeartbeatSteps implements StepKindHandler {
  readonly kinds = ['heartbeat'] as const;

  check(_id: unknown, signed: SignedStep): CheckedStep {
    if (!equalBytes(signed.step.payloadDigest, HEARTBEAT_DIGEST))
      throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest must be the heartbeat digest');
    return { sign: () => ({}) };
  }
}
