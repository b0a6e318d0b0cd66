/**
 * The agent's Workload API (gRPC on a Unix socket): the workload asks for its identity and for
 * co-signed signatures; it never sees a key share.
 */
import { MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import type { Logger } from '../common/log.js';
import { ALG_EDDSA } from '../common/protocol.js';
import type { WorkloadHandlers } from '../proto/gen/mpcid/agent/v1/Workload.js';
import type { Cosigner } from './cosigner.js';
import type { AgentState } from './state.js';

/** Largest message the Workload API signs (the oracles enforce their own limit too). */
export const MAX_WORKLOAD_SIGN_BYTES = 64 * 1024;

export function workloadHandlers(state: AgentState, cosigner: Cosigner, log: Logger): WorkloadHandlers {
  const identity = {
    name: state.name,
    kid: state.identityId,
    alg: ALG_EDDSA,
    publicKey: Buffer.from(state.group.groupPublicKey),
    clusterId: state.cluster.id,
    n: state.cluster.n,
    t: state.cluster.t,
  };
  return {
    GetIdentity: unary(log, 'GetIdentity', async () => identity),
    Sign: unary(log, 'Sign', async (req) => {
      const message = new Uint8Array(req.message);
      if (message.length > MAX_WORKLOAD_SIGN_BYTES) {
        throw new MpcidError('MESSAGE_TOO_LARGE', `message: at most ${MAX_WORKLOAD_SIGN_BYTES} bytes`);
      }
      const signature = await cosigner.sign(message);
      return {
        alg: ALG_EDDSA,
        kid: state.identityId,
        publicKey: identity.publicKey,
        signature: Buffer.from(signature),
      };
    }),
  };
}
