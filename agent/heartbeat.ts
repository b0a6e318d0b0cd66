/**
 * The agent's heartbeat step kind (docs/protocol.md §5): a step with the fixed heartbeat digest,
 * sent to every oracle and certified by t of them, made whenever the agent has been idle for the
 * heartbeat interval, so the cluster's counter keeps moving and a copy of the agent that is
 * behind is exposed soon. Counterpart: oracle/heartbeat.ts.
 */

import { HEARTBEAT_DIGEST } from '../common/protocol.js';
import { everyOracleFlow, type StepEngine, type StepFlow } from './steps.js';

export function heartbeatFlow(engine: StepEngine): StepFlow<unknown> {
  return everyOracleFlow(engine, 'heartbeat', HEARTBEAT_DIGEST);
}
