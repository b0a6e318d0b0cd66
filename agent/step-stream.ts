/**
 * The agent's side of Signer.Steps (docs/protocol.md §5.1): its ratchet steps to one oracle over
 * one long-lived stream instead of a unary Step call each (a unary call's set-up costs several
 * times the CPU of a message on an open stream, on both sides).
 *
 * - The stream is used only while the channel is connected (READY); otherwise a step is a unary
 *   Step call, so failing fast on an unreachable oracle and waiting for a reconnecting one
 *   (waitForReady) behave exactly as before.
 * - Every step has its own deadline (a timer; the stream itself is long-lived and has none). A
 *   stream on which a step timed out, or whose oracle could not read a message, is dropped.
 * - A StepResult's error rejects as the unary call would have (the same ServiceError shape, read
 *   by errorInfoOf and fromServiceError); a stream that breaks rejects every step in flight on it
 *   with its status, as a broken connection fails unary calls in flight, except patient steps
 *   (waitForReady), which are sent again as unary calls that wait for the oracle.
 * - An oracle that answers the stream with UNIMPLEMENTED (older than Steps) gets unary Step calls
 *   from then on, and the steps that found out are sent again that way (it never saw them).
 * - An idle stream is ended after IDLE_MS, so that it does not keep a process alive.
 *
 * Counterpart: oracle/step-stream.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { call, errorInfoOf, serviceErrorOfStep } from '../common/grpc.js';
import type { SignerClient } from '../proto/gen/mpcid/oracle/v1/Signer.js';
import type { StepCall } from '../proto/gen/mpcid/oracle/v1/StepCall.js';
import type { StepRequest } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import type { StepResponse__Output } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { StepResult__Output } from '../proto/gen/mpcid/oracle/v1/StepResult.js';

/** An open stream with nothing in flight is ended after this long. */
export const IDLE_MS = 10_000;

interface InFlight {
  req: StepRequest;
  deadlineAt: number;
  waitForReady: boolean;
  resolve: (res: StepResponse__Output) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

/** A grpc-js-shaped error for a stream that failed without a status of its own. */
function streamError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

/**
 * The error the steps in flight on a broken stream reject with: a status the oracle sent (its
 * ErrorInfo, or a transport status fromServiceError reads) as it is, anything else (a reset
 * stream, a closed connection) as UNAVAILABLE, as a unary call on a dropped connection would be.
 */
function broken(err: grpc.ServiceError): grpc.ServiceError {
  const transport = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED];
  if (errorInfoOf(err) || transport.includes(err.code)) return err;
  return streamError(grpc.status.UNAVAILABLE, `step stream broke: ${err.details ?? err.message}`);
}

/** The steps a broken or ended stream sends again as unary calls: the patient ones. */
const patient = (f: InFlight) => f.waitForReady;

export class StepStream {
  readonly #client: SignerClient;
  #stream: grpc.ClientDuplexStream<StepCall, StepResult__Output> | undefined;
  /** Whether the current stream has delivered a result (so the oracle serves Steps). */
  #answered = false;
  readonly #inflight = new Map<number, InFlight>();
  #nextId = 1;
  /** The oracle predates Steps: unary calls only. */
  #unaryOnly = false;
  #idle: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(client: SignerClient) {
    this.#client = client;
  }

  /** One Step: over the stream when the channel is connected, else as a unary call. */
  step(req: StepRequest, deadlineMs: number, waitForReady: boolean): Promise<StepResponse__Output> {
    if (this.#closed || this.#unaryOnly || !this.#connected())
      return call(this.#client, this.#client.Step, req, deadlineMs, waitForReady);
    return new Promise((resolve, reject) => {
      const callId = this.#nextId++;
      const deadlineAt = Date.now() + deadlineMs;
      const timer = setTimeout(() => {
        if (!this.#inflight.delete(callId)) return;
        reject(streamError(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'));
        // A stream on which a step got no answer is not used again: one damaged message (a
        // length prefix the oracle now waits on) would otherwise swallow every later step.
        this.#reset('a step on it timed out');
      }, deadlineMs);
      this.#inflight.set(callId, { req, deadlineAt, waitForReady, resolve, reject, timer });
      if (this.#idle) {
        clearTimeout(this.#idle);
        this.#idle = undefined;
      }
      this.#open().write({ callId, request: req });
    });
  }

  /** Ends the stream; steps in flight reject with CANCELLED. Later steps are unary calls. */
  close(): void {
    this.#closed = true;
    this.#end(streamError(grpc.status.CANCELLED, 'step stream closed'));
  }

  #connected(): boolean {
    return this.#client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY;
  }

  #open(): grpc.ClientDuplexStream<StepCall, StepResult__Output> {
    if (this.#stream) return this.#stream;
    const s = this.#client.Steps();
    this.#stream = s;
    this.#answered = false;
    s.on('data', (r: StepResult__Output) => {
      this.#answered = true;
      // call_id 0: the oracle could not read a message of ours, so the stream is damaged.
      if (r.callId === 0) return this.#reset('the oracle could not read a step on it');
      const f = this.#inflight.get(r.callId);
      if (!f) return; // past its deadline
      this.#inflight.delete(r.callId);
      clearTimeout(f.timer);
      if (r.response) f.resolve(r.response);
      else f.reject(serviceErrorOfStep(r.error));
      this.#idleCheck();
    });
    s.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.UNIMPLEMENTED && !this.#answered) {
        // An oracle older than Steps: it saw none of these steps; send them as unary calls.
        if (this.#drop(s, err, () => true)) this.#unaryOnly = true;
        return;
      }
      // A patient step (waitForReady) waits for the oracle to come back as a unary call would:
      // it is sent again as one (a step resent as it is gets the same answer, docs/protocol.md §5).
      const b = broken(err);
      const transport = b !== err || err.code === grpc.status.UNAVAILABLE;
      this.#drop(s, b, (f) => transport && f.waitForReady);
    });
    // The oracle ends a stream when it shuts down, once the steps it has are answered.
    s.on('end', () => {
      this.#drop(s, streamError(grpc.status.UNAVAILABLE, 'the oracle ended the step stream'), patient);
    });
    return s;
  }

  /**
   * Stops using stream `s` if it is the current one (false otherwise): the steps in flight on it
   * that `resend` picks are sent again as unary calls within their deadlines, the others reject
   * with `err`. The next step opens a new stream.
   */
  #drop(
    s: grpc.ClientDuplexStream<StepCall, StepResult__Output>,
    err: unknown,
    resend: (f: InFlight) => boolean,
  ): boolean {
    if (this.#stream !== s) return false;
    this.#stream = undefined;
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = undefined;
    for (const [id, f] of this.#inflight) {
      this.#inflight.delete(id);
      clearTimeout(f.timer);
      if (!resend(f)) {
        f.reject(err);
        continue;
      }
      const left = Math.max(1, f.deadlineAt - Date.now());
      call(this.#client, this.#client.Step, f.req, left, f.waitForReady).then(f.resolve, f.reject);
    }
    return true;
  }

  /** Ends the current stream (close, idle); its steps in flight reject with `err`. */
  #end(err: unknown): void {
    const s = this.#stream;
    if (!s || !this.#drop(s, err, () => false)) return;
    s.end();
    s.cancel();
  }

  /** Drops the current stream (cancelled) as a broken one: patient steps go again as unary calls. */
  #reset(why: string): void {
    const s = this.#stream;
    if (s && this.#drop(s, streamError(grpc.status.UNAVAILABLE, `step stream reset: ${why}`), patient))
      s.cancel();
  }

  /** Once nothing is in flight, ends the stream after IDLE_MS. */
  #idleCheck(): void {
    if (this.#inflight.size > 0 || !this.#stream || this.#idle) return;
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      if (this.#inflight.size === 0) this.#end(streamError(grpc.status.CANCELLED, 'idle'));
    }, IDLE_MS);
    this.#idle.unref();
  }
}
