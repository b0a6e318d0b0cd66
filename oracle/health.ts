/**
 * Liveness and readiness. Every gRPC server of an oracle serves the standard gRPC health checking
 * service (grpc.health.v1.Health, from grpc-health-check): '' and each of its service names are
 * SERVING once the node has started and NOT_SERVING from the moment it begins to shut down.
 *
 * Readiness (/readyz): the store is open and at least t-1 peers answered a health check within a
 * deadline, so that with this node a quorum t of oracles can co-sign. Probe results are cached for
 * about a second, and concurrent callers share one probe.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, service as healthService, type ServingStatus } from 'grpc-health-check';
import { CLIENT_OPTIONS, call } from '../common/grpc.js';
import type { OracleContext } from './context.js';

export { healthService };

/** The grpc.health.v1.Health client constructor (for probes and tests). */
export const HealthClient = grpc.makeClientConstructor(
  healthService as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
);

export interface HealthCheckClient extends grpc.Client {
  Check(
    req: { service: string },
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res?: { status: ServingStatus }) => void,
  ): grpc.ClientUnaryCall;
  Check(
    req: { service: string },
    cb: (err: grpc.ServiceError | null, res?: { status: ServingStatus }) => void,
  ): grpc.ClientUnaryCall;
}

export function healthClient(
  address: string,
  creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): HealthCheckClient {
  return new HealthClient(address, creds, CLIENT_OPTIONS) as unknown as HealthCheckClient;
}

/** Health.Check with a deadline; resolves with the serving status. */
export async function checkHealth(
  client: HealthCheckClient,
  service: string,
  deadlineMs: number,
): Promise<ServingStatus> {
  return (await call(client, client.Check, { service }, deadlineMs))?.status ?? 'UNKNOWN';
}

/** Fully qualified names of the services registered on a server (as grpc-js keys them). */
function serviceNames(defs: readonly grpc.ServiceDefinition[]): string[] {
  const names = new Set<string>();
  for (const def of defs) {
    for (const m of Object.values(def)) {
      const path = (m as { path: string }).path; // "/pkg.Service/Method"
      names.add(path.slice(1, path.lastIndexOf('/')));
    }
  }
  return [...names];
}

/** Health service for one gRPC server; starts NOT_SERVING. */
export class ServerHealth {
  readonly #impl = new HealthImplementation();
  readonly #names: string[];

  constructor(server: grpc.Server, defs: readonly grpc.ServiceDefinition[]) {
    this.#names = ['', ...serviceNames(defs)];
    this.set('NOT_SERVING');
    this.#impl.addToServer(server);
  }

  set(status: ServingStatus): void {
    for (const n of this.#names) this.#impl.setStatus(n, status);
  }
}

export interface Readiness {
  ready: boolean;
  storeOpen: boolean;
  /** Peers needed besides this node (t - 1). */
  needPeers: number;
  reachable: number[];
  unreachable: number[];
  reason?: string;
}

const PROBE_DEADLINE_MS = 1_000;
const CACHE_MS = 1_000;

export class ReadinessProbe {
  readonly #ctx: OracleContext;
  readonly #peers: { nodeId: number; client: HealthCheckClient }[];
  #last: { at: number; up: Map<number, boolean> } | undefined;
  #inflight: Promise<Map<number, boolean>> | undefined;

  constructor(ctx: OracleContext) {
    this.#ctx = ctx;
    this.#peers = ctx.config.cluster.oracles
      .filter((o) => o.id !== ctx.nodeId)
      .map((o) => ({ nodeId: o.id, client: healthClient(o.address, ctx.peerCredentials) }));
  }

  /** Reachability of every peer: a fresh probe at most once per CACHE_MS. */
  peers(): Promise<Map<number, boolean>> {
    if (this.#last && Date.now() - this.#last.at < CACHE_MS) return Promise.resolve(this.#last.up);
    this.#inflight ??= (async () => {
      try {
        const results = await Promise.all(
          this.#peers.map(async (p) => {
            try {
              return [p.nodeId, (await checkHealth(p.client, '', PROBE_DEADLINE_MS)) === 'SERVING'] as const;
            } catch {
              return [p.nodeId, false] as const;
            }
          }),
        );
        const up = new Map<number, boolean>(results);
        this.#last = { at: Date.now(), up };
        return up;
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }

  async check(): Promise<Readiness> {
    const storeOpen = this.#ctx.store.isOpen;
    const needPeers = this.#ctx.as.t - 1;
    const up = await this.peers();
    const reachable = [...up].filter(([, ok]) => ok).map(([id]) => id);
    const unreachable = [...up].filter(([, ok]) => !ok).map(([id]) => id);
    const reasons: string[] = [];
    if (!storeOpen) reasons.push('store is not open');
    if (reachable.length < needPeers) {
      reasons.push(
        `${reachable.length} of the ${needPeers} peers needed for a quorum of ${this.#ctx.as.t} are reachable (unreachable: ${unreachable.join(', ')})`,
      );
    }
    const r: Readiness = { ready: reasons.length === 0, storeOpen, needPeers, reachable, unreachable };
    if (reasons.length) r.reason = reasons.join('; ');
    return r;
  }

  close(): void {
    for (const p of this.#peers) p.client.close();
  }
}
