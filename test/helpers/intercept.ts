/**
 * Oracle clients whose answers to one Signer method pass through a hook first, which may alter
 * them: how tests play an oracle (or the network) that answers wrongly, on real oracles.
 */
import type * as grpc from '@grpc/grpc-js';
import type { OracleClient } from '../../agent/oracles.js';
import { StepStream } from '../../agent/step-stream.js';
import type { SignerClient } from '../../proto/gen/mpcid/oracle/v1/Signer.js';
import type { StepCall } from '../../proto/gen/mpcid/oracle/v1/StepCall.js';
import type { StepResult__Output } from '../../proto/gen/mpcid/oracle/v1/StepResult.js';

/**
 * `clients` with `method`'s answers from the oracles in `nodeIds` (all when absent) handed to
 * `onAnswer(nodeId, request, response)` before the caller sees them; `onAnswer` may change the
 * response in place. Errors pass untouched.
 */
export function interceptAnswers<Req, Res>(
  clients: readonly OracleClient[],
  method: 'Step' | 'EcdsaRound' | 'Unseal',
  onAnswer: (nodeId: number, req: Req, res: Res) => void,
  nodeIds?: readonly number[],
): OracleClient[] {
  return clients.map((c) => {
    if (nodeIds && !nodeIds.includes(c.nodeId)) return c;
    const real = c.signer;
    const signer = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'Steps' && method === 'Step') return () => interceptStream(c.nodeId, real, onAnswer);
        if (prop !== method) return Reflect.get(target, prop, receiver);
        return (
          req: Req,
          md: grpc.Metadata,
          opts: grpc.CallOptions,
          cb: (err: grpc.ServiceError | null, res?: Res) => void,
        ) =>
          (real[method] as unknown as (...a: unknown[]) => grpc.ClientUnaryCall).call(
            real,
            req,
            md,
            opts,
            (err: grpc.ServiceError | null, res?: Res) => {
              if (res) onAnswer(c.nodeId, req, res);
              cb(err, res);
            },
          );
      },
    }) as SignerClient;
    // Its steps stream through the proxy too (agent/step-stream.ts), so Step answers on the
    // stream pass onAnswer as unary ones do.
    return { ...c, signer, steps: new StepStream(signer) };
  });
}

/** A real Signer.Steps stream whose answers pass onAnswer (with the request they answer) first. */
function interceptStream<Req, Res>(
  nodeId: number,
  real: SignerClient,
  onAnswer: (nodeId: number, req: Req, res: Res) => void,
): grpc.ClientDuplexStream<StepCall, StepResult__Output> {
  const s = real.Steps();
  const sent = new Map<number, Req>();
  const write = s.write.bind(s);
  s.write = ((m: StepCall, ...rest: unknown[]) => {
    sent.set(Number(m.callId), m.request as Req);
    return (write as (...a: unknown[]) => boolean)(m, ...rest);
  }) as typeof s.write;
  const on = s.on.bind(s);
  s.on = ((event: string, fn: (...a: unknown[]) => void) => {
    if (event !== 'data') return on(event, fn);
    return on('data', (r: StepResult__Output) => {
      const req = sent.get(r.callId);
      sent.delete(r.callId);
      if (r.response && req !== undefined) onAnswer(nodeId, req, r.response as Res);
      fn(r);
    });
  }) as typeof s.on;
  return s;
}
