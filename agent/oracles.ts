/** gRPC clients from the agent to each oracle of its cluster. */
import type { ClusterConfig } from '../common/config.js';
import { CLIENT_OPTIONS, services } from '../common/grpc.js';
import { channelCredentials, type TlsMaterial } from '../common/tls.js';
import type { BundleClient } from '../proto/gen/mpcid/oracle/v1/Bundle.js';
import type { EnrollmentClient } from '../proto/gen/mpcid/oracle/v1/Enrollment.js';
import type { IssuerClient } from '../proto/gen/mpcid/oracle/v1/Issuer.js';
import type { SignerClient } from '../proto/gen/mpcid/oracle/v1/Signer.js';
import { StepStream } from './step-stream.js';

export interface OracleClient {
  readonly nodeId: number;
  readonly address: string;
  readonly enrollment: EnrollmentClient;
  readonly signer: SignerClient;
  /** The JWT bundle service (SPIFFE trust domain keys), on the same channel. */
  readonly bundle: BundleClient;
  /** The federation issuer service (agent/issuer.ts), on the same channel. */
  readonly issuer: IssuerClient;
  /** Ratchet steps over Signer.Steps (agent/step-stream.ts), on the same channel. */
  readonly steps: StepStream;
}

/**
 * One channel per oracle: mTLS pinned to the cluster CA with the agent's certificate when `tls`
 * is given, plaintext when it is null (only with --insecure).
 */
export function connectOracles(cluster: ClusterConfig, tls: TlsMaterial | null = null): OracleClient[] {
  const v1 = services().oracle.mpcid.oracle.v1;
  const creds = channelCredentials(tls);
  return [...cluster.oracles]
    .sort((a, b) => a.id - b.id)
    .map((o) => {
      const enrollment = new v1.Enrollment(o.address, creds, CLIENT_OPTIONS);
      // Share one channel between the two services.
      const signer = new v1.Signer(o.address, creds, {
        ...CLIENT_OPTIONS,
        channelOverride: enrollment.getChannel(),
      });
      const bundle = new v1.Bundle(o.address, creds, {
        ...CLIENT_OPTIONS,
        channelOverride: enrollment.getChannel(),
      });
      const issuer = new v1.Issuer(o.address, creds, {
        ...CLIENT_OPTIONS,
        channelOverride: enrollment.getChannel(),
      });
      return {
        nodeId: o.id,
        address: o.address,
        enrollment,
        signer,
        bundle,
        issuer,
        steps: new StepStream(signer),
      };
    });
}

export function closeOracles(clients: readonly OracleClient[]): void {
  for (const c of clients) {
    c.steps.close();
    c.signer.close();
    c.bundle.close();
    c.issuer.close();
    c.enrollment.close();
  }
}

/**
 * Runs `work` (our own synchronous part of a round) while the calls of `sending` are out, once
 * they have left. Precedence as if `work` ran after the answers: a failed call first, then our
 * own failure.
 */
export async function whileSending<T>(sending: Promise<T>, work: () => void): Promise<T> {
  const settled = sending.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await new Promise((r) => setImmediate(r));
  let failure: { error: unknown } | undefined;
  try {
    work();
  } catch (error) {
    failure = { error };
  }
  const r = await settled;
  if (!r.ok) throw r.error;
  if (failure) throw failure.error;
  return r.value;
}
