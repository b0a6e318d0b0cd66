/**
 * Oracle clients whose answers to one Signer method pass through a hook first, which may alter
 * them: how tests play an oracle (or the network) that answers wrongly, on real oracles.
 */
import type * as grpc from '@grpc/grpc-js';
import type { OracleClient } from '../../agent/oracles.js';
import type { SignerClient } from '../../proto/gen/mpcid/oracle/v1/Signer.js';

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
    return { ...c, signer };
  });
}
