/**
 * The agent's heartbeat step kind (docs/protocol.md §5): a step with the fixed heartbeat digest,
 * sent to every oracle and certified by t of them, made whenever the agent has been idle for the
 * heartbeat interval, so the cluster's counter keeps moving and a copy of the agent that is
 * behind is exposed soon. Counterpart: oracle/heartbeat.ts.
 */

import type { MpcidError } from '../common/errors.js';
import { HEARTBEAT_DIGEST } from '../common/protocol.js';
import type { Commit } from '../crypto/ratchet.js';
import type { StepEngine, StepFlow } from './steps.js';

export function heartbeatFlow(engine: StepEngine): StepFlow<void> {
  return {
    targets: 'all',
    async attempt(clients, a) {
      const step = engine.stepAhead('heartbeat', HEARTBEAT_DIGEST);
      const failed: Map<number, MpcidError> = a.failed;
      const answers = await engine.send(clients, step, false);
      const have = new Map<number, Commit>();
      for (const [id, x] of answers) {
        if (x.ok) have.set(id, x.commit);
        else failed.set(id, x.err);
      }
      await engine.certify(have, failed, true);
    },
  };
}
