/**
 * Signer.Steps (docs/protocol.md §5.1): ratchet steps over one long-lived stream per agent
 * connection, where a unary Step call costs several times the CPU of the step's own checks in
 * gRPC call set-up on both sides. Each StepCall is handled exactly as a unary Step (the same
 * function: checks, rate limits, metrics) behind the drain gate, and answered by one StepResult
 * with its call_id, in the order the steps finish. A failed step is a StepError carrying the
 * status the unary call would have ended with; the stream stays open.
 *
 * Bad input on the stream: an undecodable StepCall, a call_id that is not a positive safe
 * integer or is already in flight, or a missing request get MALFORMED_INPUT in a result (call_id
 * 0 when it cannot be read); more than MAX_STEPS_IN_FLIGHT steps in flight on one stream get
 * RATE_LIMITED. None of them ends the stream. Counterpart: agent/step-stream.ts.
 */
import type * as grpc from '@grpc/grpc-js';
import { MpcidError } from '../common/errors.js';
import { isUndecodable, stepErrorOf, toServiceError, undecodableError } from '../common/grpc.js';
import { LOG, type Logger } from '../common/log.js';
import type { StepCall__Output } from '../proto/gen/mpcid/oracle/v1/StepCall.js';
import type { StepRequest__Output } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import type { StepResponse } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { StepResult } from '../proto/gen/mpcid/oracle/v1/StepResult.js';
import type { Drain } from './drain.js';

/** Steps one stream may have in flight; an honest agent has one per identity. */
export const MAX_STEPS_IN_FLIGHT = 16;

type StepsCall = grpc.ServerDuplexStream<StepCall__Output, StepResult>;

/** The Signer.Steps handler over `step`, the unary Step's own handling of one request. */
export function stepsHandler(
  log: Logger,
  drain: Drain,
  step: (req: StepRequest__Output, call: StepsCall) => Promise<StepResponse>,
): grpc.handleBidiStreamingCall<StepCall__Output, StepResult> {
  return (call) => {
    const inflight = new Set<number>();
    let closed = false;
    let ended = false;
    let off: () => void = () => undefined;
    const finishIfDone = () => {
      if (ended && inflight.size === 0 && !closed) {
        closed = true;
        off();
        call.end();
      }
    };
    const answer = (res: StepResult) => {
      if (closed) return;
      call.write(res);
    };
    const fail = (callId: number, err: unknown) => {
      answer({ callId, error: stepErrorOf(toServiceError(err, log, 'Steps')) });
    };
    call.on('data', (msg: StepCall__Output) => {
      if (isUndecodable(msg)) return fail(0, undecodableError());
      const callId = msg.callId;
      if (!Number.isSafeInteger(callId) || callId < 1)
        return fail(0, new MpcidError('MALFORMED_INPUT', 'call_id: expected 1..2^53-1'));
      if (inflight.has(callId))
        return fail(callId, new MpcidError('MALFORMED_INPUT', `call_id ${callId} is already in flight`));
      if (!msg.request) return fail(callId, new MpcidError('MALFORMED_INPUT', 'request: missing'));
      if (inflight.size >= MAX_STEPS_IN_FLIGHT) {
        return fail(
          callId,
          new MpcidError('RATE_LIMITED', `more than ${MAX_STEPS_IN_FLIGHT} steps in flight on one stream`, {
            details: { scope: 'stream', rpc: 'Steps' },
          }),
        );
      }
      const req = msg.request;
      inflight.add(callId);
      drain
        .track(() => step(req, call))
        .then(
          (response) => answer({ callId, response }),
          (err: unknown) => fail(callId, err),
        )
        .finally(() => {
          inflight.delete(callId);
          finishIfDone();
        })
        .catch((e: unknown) => {
          // Writing an answer failed (the stream broke): nothing to tell the client, no crash.
          log.error({ [LOG.method]: 'Steps', [LOG.err]: e }, 'could not answer a step on its stream');
        });
      return;
    });
    const end = () => {
      ended = true;
      finishIfDone();
    };
    call.on('end', end);
    // Once draining, the stream ends as soon as its steps in flight are answered (steps that
    // arrive meanwhile get NOT_READY from the gate), so that it does not hold up the close.
    off = drain.onStart(end);
    // A cancelled or broken stream: the steps in flight still finish (their effects are stored
    // as for a unary call whose client went away), their answers go nowhere.
    call.on('cancelled', () => {
      closed = true;
      off();
    });
    call.on('error', () => {
      closed = true;
      off();
    });
  };
}
