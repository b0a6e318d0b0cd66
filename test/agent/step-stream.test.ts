/**
 * Signer.Steps' two ends (oracle/step-stream.ts, agent/step-stream.ts) over a real grpc-js
 * server on loopback, with the oracle's step handling replaced by steps the test holds and
 * releases: answers matched by call_id in the order steps finish, the stream's bad-input answers
 * (undecodable, bad call_id, duplicate in flight, missing request, too many in flight) that leave
 * it open, the drain gate, and on the agent's side each step's own deadline, a broken stream,
 * and the unary fallback for an oracle without Steps. The real oracles' side is in
 * test/integration/step-stream.test.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { IDLE_MS, StepStream } from '../../agent/step-stream.js';
import { MpcidError } from '../../common/errors.js';
import {
  bind,
  CLIENT_OPTIONS,
  errorCodeOf,
  errorInfoOf,
  fromServiceError,
  SERVER_OPTIONS,
  serviceErrorOfStep,
  services,
  unary,
} from '../../common/grpc.js';
import { createLogger } from '../../common/log.js';
import { Drain } from '../../oracle/drain.js';
import { MAX_STEPS_IN_FLIGHT, stepsHandler } from '../../oracle/step-stream.js';
import type { SignerClient } from '../../proto/gen/mpcid/oracle/v1/Signer.js';
import type { StepRequest, StepRequest__Output } from '../../proto/gen/mpcid/oracle/v1/StepRequest.js';
import type { StepResponse } from '../../proto/gen/mpcid/oracle/v1/StepResponse.js';
import type { StepResult__Output } from '../../proto/gen/mpcid/oracle/v1/StepResult.js';

const log = createLogger('step-stream-test', 'silent');
const v1 = () => services().oracle.mpcid.oracle.v1;

/** A step the test answers: by its request's step.requestId (one byte), when released. */
interface Held {
  req: StepRequest__Output;
  release: (res: StepResponse | Error) => void;
}

/** A Signer server whose Step and Steps share one held step function; `withSteps` false = an old oracle. */
async function server(withSteps = true) {
  const held: Held[] = [];
  const arrived: (() => void)[] = [];
  const step = (req: StepRequest__Output) =>
    new Promise<StepResponse>((resolve, reject) => {
      held.push({ req, release: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
      for (const w of arrived.splice(0)) w();
    });
  const drain = new Drain(log);
  const s = new grpc.Server(SERVER_OPTIONS);
  const unaryCalls: number[] = [];
  const handlers: grpc.UntypedServiceImplementation = {
    Step: unary(log, 'Step', (req: StepRequest__Output) => {
      unaryCalls.push(tag(req));
      return step(req);
    }) as grpc.UntypedHandleCall,
  };
  const streams = { opened: 0 };
  const steps = stepsHandler(log, drain, (req) => step(req));
  if (withSteps)
    handlers['Steps'] = ((call: Parameters<typeof steps>[0]) => {
      streams.opened++;
      steps(call);
    }) as grpc.UntypedHandleCall;
  s.addService(v1().Signer.service, handlers);
  const port = await bind(s, '127.0.0.1:0');
  const client = new (v1().Signer)(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), CLIENT_OPTIONS);
  const untilHeld = async (n: number) => {
    while (held.length < n) await new Promise<void>((r) => arrived.push(r));
  };
  return { s, client, held, untilHeld, drain, unaryCalls, streams };
}

/** A request told apart by its step's first requestId byte. */
const req = (n: number): StepRequest => ({ step: { requestId: Buffer.from([n]), kind: 'heartbeat' } });
const tag = (r: StepRequest__Output | StepRequest) => Number(r.step?.requestId?.[0] ?? -1);
const reply = (n: number): StepResponse => ({ signatureShare: Buffer.from([n]) });

/** A raw Steps stream collecting every result. */
function raw(client: SignerClient) {
  const s = client.Steps();
  const results: StepResult__Output[] = [];
  const waiting: (() => void)[] = [];
  s.on('data', (r: StepResult__Output) => {
    results.push(r);
    for (const w of waiting.splice(0)) w();
  });
  s.on('error', () => undefined);
  const until = async (n: number) => {
    while (results.length < n) await new Promise<void>((r) => waiting.push(r));
  };
  return { s, results, until };
}

const codeOfResult = (r: StepResult__Output | undefined) =>
  r?.error ? errorCodeOf(serviceErrorOfStep(r.error)) : r?.response ? 'OK' : undefined;

/** Connects a client (a StepStream uses the stream only on a READY channel). */
async function ready(client: grpc.Client): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 5000, (e) => (e ? reject(e) : resolve())),
  );
}

const servers: grpc.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.forceShutdown();
});

describe('Signer.Steps (oracle side)', () => {
  it('answers each step by call_id in the order they finish, and bad input without ending the stream', async () => {
    const t = await server();
    servers.push(t.s);
    const r = raw(t.client);
    r.s.write({ callId: 5, request: req(1) });
    r.s.write({ callId: 6, request: req(2) });
    await t.untilHeld(2);
    // Bad input while both are in flight: each gets its own answer at once.
    r.s.write({ callId: 0, request: req(9) });
    r.s.write({ callId: 7 });
    r.s.write({ callId: 5, request: req(9) });
    await r.until(3);
    expect(r.results.map((x) => [Number(x.callId), codeOfResult(x)])).toEqual([
      [0, 'MALFORMED_INPUT'],
      [7, 'MALFORMED_INPUT'],
      [5, 'MALFORMED_INPUT'],
    ]);
    expect(serviceErrorOfStep(r.results[2]!.error).details).toContain('already in flight');
    // Released in the other order: answered in that order, each with its own call_id.
    t.held.find((h) => tag(h.req) === 2)!.release(reply(2));
    await r.until(4);
    t.held
      .find((h) => tag(h.req) === 1)!
      .release(new MpcidError('MALFORMED_INPUT', 'step.signature: invalid'));
    await r.until(5);
    expect(Number(r.results[3]!.callId)).toBe(6);
    expect(Buffer.from(r.results[3]!.response!.signatureShare)).toEqual(Buffer.from([2]));
    // A failed step carries the status the unary call would have had.
    expect(Number(r.results[4]!.callId)).toBe(5);
    const err = serviceErrorOfStep(r.results[4]!.error);
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(errorInfoOf(err)).toMatchObject({ code: 'MALFORMED_INPUT', message: 'step.signature: invalid' });
    // The stream is still open: the id is free again and a new step is answered.
    r.s.write({ callId: 5, request: req(3) });
    await t.untilHeld(3);
    t.held[2]!.release(reply(3));
    await r.until(6);
    expect([Number(r.results[5]!.callId), codeOfResult(r.results[5])]).toEqual([5, 'OK']);
    r.s.end();
  });

  it(`refuses more than ${MAX_STEPS_IN_FLIGHT} steps in flight with RATE_LIMITED, and ends once the client has and every step is answered`, async () => {
    const t = await server();
    servers.push(t.s);
    const r = raw(t.client);
    for (let i = 1; i <= MAX_STEPS_IN_FLIGHT; i++) r.s.write({ callId: i, request: req(i) });
    await t.untilHeld(MAX_STEPS_IN_FLIGHT);
    r.s.write({ callId: 99, request: req(99) });
    await r.until(1);
    expect([Number(r.results[0]!.callId), codeOfResult(r.results[0])]).toEqual([99, 'RATE_LIMITED']);
    expect(errorInfoOf(serviceErrorOfStep(r.results[0]!.error))?.details).toMatchObject({
      scope: 'stream',
      rpc: 'Steps',
    });
    const ended = new Promise<void>((resolve) => r.s.on('end', resolve));
    r.s.end();
    for (const h of t.held) h.release(reply(tag(h.req)));
    await ended;
    expect(r.results.slice(1).map((x) => codeOfResult(x))).toEqual(Array(MAX_STEPS_IN_FLIGHT).fill('OK'));
  });

  it('an undecodable message is MALFORMED_INPUT with call_id 0, and the stream goes on', async () => {
    const t = await server();
    servers.push(t.s);
    const path = '/mpcid.oracle.v1.Signer/Steps';
    const decode = v1().Signer.service.Steps.responseDeserialize;
    const s = t.client.makeBidiStreamRequest(path, (b: Buffer) => b, decode) as grpc.ClientDuplexStream<
      Buffer,
      StepResult__Output
    >;
    const got: StepResult__Output[] = [];
    const next = () =>
      new Promise<void>((resolve) =>
        s.once('data', (x: StepResult__Output) => {
          got.push(x);
          resolve();
        }),
      );
    s.on('error', () => undefined);
    const first = next();
    s.write(Buffer.from([0x0a, 0xff, 0xff]));
    await first;
    expect([Number(got[0]!.callId), codeOfResult(got[0])]).toEqual([0, 'MALFORMED_INPUT']);
    const second = next();
    s.write(Buffer.from(v1().Signer.service.Steps.requestSerialize({ callId: 3, request: req(1) })));
    await t.untilHeld(1);
    t.held[0]!.release(reply(1));
    await second;
    expect([Number(got[1]!.callId), codeOfResult(got[1])]).toEqual([3, 'OK']);
    s.end();
  });
  it('once draining, an open stream ends itself as soon as its steps in flight are answered', async () => {
    const t = await server();
    servers.push(t.s);
    const r = raw(t.client);
    let ended = false;
    const end = new Promise<void>((resolve) =>
      r.s.on('end', () => {
        ended = true;
        resolve();
      }),
    );
    r.s.write({ callId: 1, request: req(1) });
    await t.untilHeld(1);
    t.drain.start();
    // A step that arrives now is refused; the one in flight is still answered before the end.
    r.s.write({ callId: 2, request: req(2) });
    await r.until(1);
    expect([Number(r.results[0]!.callId), codeOfResult(r.results[0])]).toEqual([2, 'NOT_READY']);
    await new Promise((res) => setTimeout(res, 50));
    expect(ended).toBe(false);
    t.held[0]!.release(reply(1));
    await end;
    expect(r.results.map((x) => [Number(x.callId), codeOfResult(x)])).toEqual([
      [2, 'NOT_READY'],
      [1, 'OK'],
    ]);
  });
});

describe('StepStream (agent side)', () => {
  it('sends over the stream on a connected channel, matches answers, and rejects a failed step as the unary call would', async () => {
    const t = await server();
    servers.push(t.s);
    await ready(t.client);
    const steps = new StepStream(t.client);
    const a = steps.step(req(1), 5000, false);
    const b = steps.step(req(2), 5000, false);
    await t.untilHeld(2);
    t.held[1]!.release(reply(2));
    t.held[0]!.release(
      new MpcidError('RATE_LIMITED', 'slow down', {
        details: { retryAfterMs: 7, scope: 'identity', rpc: 'Step' },
      }),
    );
    expect(Buffer.from((await b).signatureShare)).toEqual(Buffer.from([2]));
    const err = await a.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errorInfoOf(err)).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 7 } });
    expect(fromServiceError(err, 'oracle 1').code).toBe('RATE_LIMITED');
    expect(t.unaryCalls).toEqual([]);
    steps.close();
  });

  it('each step has its own deadline; a broken stream fails the steps in flight as PEER_UNAVAILABLE', async () => {
    const t = await server();
    servers.push(t.s);
    await ready(t.client);
    const steps = new StepStream(t.client);
    const started = Date.now();
    const late = await steps.step(req(1), 300, false).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(IDLE_MS);
    expect((late as grpc.ServiceError).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(fromServiceError(late, 'oracle 1').code).toBe('PEER_UNAVAILABLE');
    // A stream on which a step timed out is dropped (one damaged message could swallow every
    // later step): the next step opens a new one.
    const again = steps.step(req(2), 5000, false);
    await t.untilHeld(2);
    t.held[1]!.release(reply(2));
    expect(Buffer.from((await again).signatureShare)).toEqual(Buffer.from([2]));
    expect(t.streams.opened).toBe(2);
    const inFlight = steps.step(req(3), 5000, false);
    await t.untilHeld(3);
    t.s.forceShutdown();
    const broken = await inFlight.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(fromServiceError(broken, 'oracle 1').code).toBe('PEER_UNAVAILABLE');
    steps.close();
  });

  it('an oracle without Steps (UNIMPLEMENTED) gets the step again as a unary Step, and unary calls from then on', async () => {
    const t = await server(false);
    servers.push(t.s);
    await ready(t.client);
    const steps = new StepStream(t.client);
    const first = steps.step(req(1), 5000, false);
    await t.untilHeld(1);
    t.held[0]!.release(reply(1));
    expect(Buffer.from((await first).signatureShare)).toEqual(Buffer.from([1]));
    const second = steps.step(req(2), 5000, false);
    await t.untilHeld(2);
    t.held[1]!.release(reply(2));
    expect(Buffer.from((await second).signatureShare)).toEqual(Buffer.from([2]));
    expect(t.unaryCalls).toEqual([1, 2]);
    steps.close();
  });
});
