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
import { service as healthService, type ServingStatus } from 'grpc-health-check';
import {
  CLIENT_OPTIONS,
  call,
  isUndecodable,
  tolerateUndecodable,
  toServiceError,
  undecodableError,
} from '../common/grpc.js';
import type { Logger } from '../common/log.js';
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

/** The health service definition with total request decoding (undecodable: MALFORMED_INPUT). */
const tolerantHealthService = tolerateUndecodable(
  Object.fromEntries(
    Object.entries(healthService as unknown as grpc.ServiceDefinition).map(([k, m]) => [k, { ...m }]),
  ) as grpc.ServiceDefinition,
);

type Watcher = (status: ServingStatus) => void;

/**
 * The standard health service for one gRPC server; starts NOT_SERVING. Check answers an unknown
 * service name with NOT_FOUND, Watch with SERVICE_UNKNOWN (as the protocol says); List lists
 * this server's names. Served by our own handlers rather than grpc-health-check's, so that an
 * undecodable request gets MALFORMED_INPUT (not INTERNAL) and a Watch on a random name leaves no
 * trace once cancelled (the library kept an empty watcher set per name ever watched).
 */
export class ServerHealth {
  readonly #status = new Map<string, ServingStatus>();
  readonly #watchers = new Map<string, Set<Watcher>>();

  constructor(server: grpc.Server, defs: readonly grpc.ServiceDefinition[], log: Logger) {
    for (const n of ['', ...serviceNames(defs)]) this.#status.set(n, 'NOT_SERVING');
    server.addService(tolerantHealthService, {
      check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (isUndecodable(call.request)) {
          cb(toServiceError(undecodableError(), log, 'Health.Check'));
          return;
        }
        const status = this.#status.get(call.request.service);
        if (status) cb(null, { status });
        else cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      },
      watch: (call: grpc.ServerWritableStream<{ service: string }, unknown>) => {
        if (isUndecodable(call.request)) {
          call.emit('error', toServiceError(undecodableError(), log, 'Health.Watch'));
          return;
        }
        const name = call.request.service;
        const status = this.#status.get(name);
        call.write({ status: status ?? 'SERVICE_UNKNOWN' });
        // Only a registered name can change status; an unknown one is answered once and held open.
        if (!status) return;
        const w: Watcher = (s) => call.write({ status: s });
        const set = this.#watchers.get(name) ?? new Set<Watcher>();
        this.#watchers.set(name, set);
        set.add(w);
        const drop = () => {
          set.delete(w);
          if (set.size === 0 && this.#watchers.get(name) === set) this.#watchers.delete(name);
        };
        call.on('cancelled', drop);
        call.on('close', drop);
      },
      list: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (isUndecodable(call.request)) {
          cb(toServiceError(undecodableError(), log, 'Health.List'));
          return;
        }
        cb(null, { statuses: Object.fromEntries([...this.#status].map(([n, status]) => [n, { status }])) });
      },
    });
  }

  set(status: ServingStatus): void {
    for (const n of this.#status.keys()) {
      this.#status.set(n, status);
      for (const w of this.#watchers.get(n) ?? []) w(status);
    }
  }

  /** Names with at least one open Watch (tests: cancelled watches leave nothing behind). */
  get watchedNames(): number {
    return this.#watchers.size;
  }
}

export interface Readiness {
  ready: boolean;
  /** The node is shutting down (draining): never ready again. */
  shuttingDown: boolean;
  storeOpen: boolean;
  /** Peers needed besides this node (t - 1). */
  needPeers: number;
  reachable: number[];
  unreachable: number[];
  reason?: string;
}

/** What /healthz answers: whether this process can still do its work without a restart. */
export interface Liveness {
  live: boolean;
  reason?: string;
}

/**
 * Liveness (/healthz): the process is up and its store still takes writes. After a failed write
 * the store refuses every write until a restart (fail-stop), so the process is no longer live:
 * an orchestrator's liveness probe restarts it, which is the one way it recovers.
 */
export function liveness(store: { writeFailure: string | undefined }): Liveness {
  const failed = store.writeFailure;
  if (!failed) return { live: true };
  return { live: false, reason: `a store write failed (${failed}); restart this oracle` };
}

const PROBE_DEADLINE_MS = 1_000;
const CACHE_MS = 1_000;

export class ReadinessProbe {
  readonly #ctx: OracleContext;
  readonly #peers: { nodeId: number; client: HealthCheckClient }[];
  #last: { at: number; up: Map<number, boolean> } | undefined;
  #inflight: Promise<Map<number, boolean>> | undefined;
  /** Set when the node begins to shut down: /readyz answers 503 from then on. */
  shuttingDown = false;

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
    if (this.shuttingDown) {
      return {
        ready: false,
        shuttingDown: true,
        storeOpen,
        needPeers,
        reachable: [],
        unreachable: [],
        reason: 'shutting down',
      };
    }
    const up = await this.peers();
    const reachable = [...up].filter(([, ok]) => ok).map(([id]) => id);
    const unreachable = [...up].filter(([, ok]) => !ok).map(([id]) => id);
    const reasons: string[] = [];
    if (!storeOpen) reasons.push('store is not open');
    const failed = this.#ctx.store.writeFailure;
    if (failed)
      reasons.push(`a store write failed (${failed}); the store takes no more writes until a restart`);
    if (reachable.length < needPeers) {
      reasons.push(
        `${reachable.length} of the ${needPeers} peers needed for a quorum of ${this.#ctx.as.t} are reachable (unreachable: ${unreachable.join(', ')})`,
      );
    }
    const r: Readiness = {
      ready: reasons.length === 0,
      shuttingDown: false,
      storeOpen,
      needPeers,
      reachable,
      unreachable,
    };
    if (reasons.length) r.reason = reasons.join('; ');
    return r;
  }

  close(): void {
    for (const p of this.#peers) p.client.close();
  }
}
