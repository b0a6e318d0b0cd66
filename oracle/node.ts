/**
 * An oracle node: loads config, node key and key-encryption key, opens the store, and serves the
 * Enrollment and Signer services (agent-facing) and the Admin service (operator-facing) over gRPC.
 *
 * stop() (SIGTERM/SIGINT) is graceful: health NOT_SERVING and /readyz 503 first; new requests are
 * refused (NOT_READY) while those in flight finish, for at most `shutdown.drainTimeoutSeconds`;
 * then the webhook outbox gets one last bounded delivery attempt (what is left stays in the
 * outbox for the next start), the gRPC and HTTP servers close, and the store is closed.
 */
import * as grpc from '@grpc/grpc-js';
import { type OracleConfig, tlsFiles } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { bind, SERVER_OPTIONS, services, shutdown, toServiceError } from '../common/grpc.js';
import { loadKek } from '../common/kek.js';
import { readNodeKey } from '../common/keys.js';
import { createLogger, LOG, type Logger } from '../common/log.js';
import {
  channelCredentials,
  loadTls,
  ROLE_ACCESS,
  roleInterceptor,
  serverCredentials,
  serviceOf,
  type TlsMaterial,
} from '../common/tls.js';
import { toB64u } from '../crypto/bytes.js';
import { cryptoBackend } from '../crypto/ed25519-native.js';
import { AdminService } from './admin.js';
import { AlertHub } from './alerts.js';
import { AuditService } from './audit.js';
import { bundleHandlers } from './bundle.js';
import { ConsoleRoutes } from './console.js';
import { ConsoleAuth } from './console-auth.js';
import { OracleContext } from './context.js';
import { Drain } from './drain.js';
import { EcdsaService } from './ecdsa.js';
import { EnrollmentService } from './enrollment.js';
import { healthService, ReadinessProbe, ServerHealth } from './health.js';
import { type RunningHttp, startHttp } from './http.js';
import { IssuerService } from './issuer.js';
import { IssuerSetupService } from './issuer-setup.js';
import { RatchetService } from './ratchet.js';
import { RevocationService } from './revocation.js';
import { SignerService } from './signer.js';
import { OracleStore } from './store.js';
import { resolveWebhooks, WebhookDispatcher } from './webhooks.js';

export interface RunningOracle {
  readonly nodeId: number;
  readonly port: number;
  readonly adminPort: number;
  readonly log: Logger;
  stop(): Promise<void>;
}

/**
 * The node's TLS material from its config (files checked: readable, key matches certificate,
 * certificate from the CA with role oracle, in date), or null for plaintext, which is logged loudly.
 */
export function oracleTls(config: OracleConfig, log?: Logger): TlsMaterial | null {
  const files = tlsFiles(config);
  if (!files) {
    log?.warn(
      { tls: 'insecure' },
      'TLS IS OFF (tls.insecure: true): gRPC to and between oracles is plaintext and unauthenticated; anyone on the network can read join tokens and call the admin API. Use only for local development.',
    );
    return null;
  }
  const { material, warnings } = loadTls(files, { field: 'tls', needRole: 'oracle' });
  for (const w of warnings) log?.warn(w);
  return material;
}

/** A gRPC server; with mTLS, calls are admitted by the client certificate's role (ROLE_ACCESS). */
function makeServer(
  tls: TlsMaterial | null,
  log: Logger,
  defs: readonly grpc.ServiceDefinition[],
): grpc.Server {
  if (!tls) return new grpc.Server(SERVER_OPTIONS);
  for (const def of [...defs, healthService as unknown as grpc.ServiceDefinition]) {
    for (const m of Object.values(def)) {
      const service = serviceOf((m as { path: string }).path);
      if (!ROLE_ACCESS[service])
        throw new MpcidError(
          'INTERNAL',
          `no TLS role is allowed to call ${service} (common/tls.ts ROLE_ACCESS)`,
        );
    }
  }
  const deny = (service: string, roles: readonly string[], who: string) => {
    const err = new MpcidError(
      'ROLE_NOT_ALLOWED',
      `${service} needs a client certificate with role ${ROLE_ACCESS[service]?.join(' or ') ?? '(none)'}; ${who} has [${roles.join(', ')}]`,
    );
    const st = toServiceError(err, log, service);
    return {
      code: st.code ?? grpc.status.PERMISSION_DENIED,
      details: st.details ?? err.message,
      ...(st.metadata ? { metadata: st.metadata } : {}),
    };
  };
  return new grpc.Server({ ...SERVER_OPTIONS, interceptors: [roleInterceptor(deny)] });
}

export async function startOracle(
  config: OracleConfig,
  log = createLogger(`oracle-${config.nodeId}`, config.logLevel),
): Promise<RunningOracle> {
  const nodeLog = log.child({ [LOG.nodeId]: config.nodeId });
  const tls = oracleTls(config, nodeLog);
  const { seed, publicKey } = readNodeKey(config.nodeKeyFile);
  const me = config.cluster.oracles.find((o) => o.id === config.nodeId)!;
  if (me.publicKey !== toB64u(publicKey)) {
    throw new MpcidError(
      'CONFIG_INVALID',
      `node key ${config.nodeKeyFile} does not match cluster.oracles[${config.nodeId}].publicKey`,
    );
  }
  const webhooks = resolveWebhooks(config.alerts.webhooks);
  const kek = loadKek(config);
  const store = await OracleStore.open(
    config.dataDir,
    { clusterId: config.cluster.id, nodeId: config.nodeId, nodePublicKey: me.publicKey },
    kek,
  );
  const ctx = new OracleContext(config, seed, publicKey, store, nodeLog);
  store.onWriteFailure = (err) => {
    ctx.log.error(
      { [LOG.errorCode]: (err as { code?: string }).code, [LOG.errorMessage]: (err as Error).message },
      'STORE WRITE FAILED: this oracle refuses every write (steps, enrollments, revocations) until it is restarted; agents use the other oracles',
    );
  };
  ctx.peerCredentials = channelCredentials(tls);
  ctx.clusterCa = tls?.ca ?? null;
  if (store.migration) {
    ctx.log.warn(
      { ...store.migration, [LOG.count]: store.migration.identitiesSealed },
      'store migrated (one way): identity secrets are now sealed under the key-encryption key',
    );
  }
  const backend = cryptoBackend();
  if (backend.name !== 'sodium') {
    ctx.log.warn(
      { backend: backend.name, reason: backend.loadError },
      'sodium-native did not load: FROST signing uses @noble/curves (correct, ~40x slower)',
    );
  }
  const alerts = new AlertHub(ctx.log, webhooks.length);
  const revocations = await RevocationService.create(ctx, alerts);
  ctx.revoked = (id) => revocations.check(id);
  const ratchet = new RatchetService(ctx, revocations);
  const ecdsa = new EcdsaService(ctx, revocations);
  const enrollment = new EnrollmentService(ctx, ecdsa);
  const issuer = new IssuerService(ctx);
  await issuer.load();
  const issuerSetup = new IssuerSetupService(ctx, issuer);
  const signer = new SignerService(ctx, ratchet, ecdsa, issuer);
  const consoleAuth = new ConsoleAuth(config.console);
  const sinks = webhooks.map((w) => w.kind);
  const audit = new AuditService(ctx);
  const admin = new AdminService(ctx, revocations, alerts, { consoleAuth, sinks, audit });
  const dispatcher = new WebhookDispatcher(webhooks, store, alerts, ctx.log, {
    deadLetter: config.alerts.deadLetter,
    origin: { clusterId: config.cluster.id, nodeId: config.nodeId },
  });
  const svc = services();

  const readiness = new ReadinessProbe(ctx);
  ctx.metrics.sources = {
    outbox: () => store.outboxWebhooks(),
    deadLetters: () => store.deadLetterCounts(),
    identities: () => store.countIdentities(),
    peers: () => readiness.peers(),
  };

  const drain = new Drain(ctx.log);
  const v1 = svc.oracle.mpcid.oracle.v1;
  const adminDef = svc.admin.mpcid.admin.v1.Admin.service;
  const issuerAdminDef = svc.admin.mpcid.admin.v1.IssuerAdmin.service;
  const agentPort = [
    v1.Enrollment.service,
    v1.Signer.service,
    v1.Peer.service,
    v1.Bundle.service,
    v1.Issuer.service,
    v1.IssuerPeer.service,
  ];
  const server = makeServer(tls, ctx.log, agentPort);
  server.addService(v1.Enrollment.service, drain.gate(v1.Enrollment.service, enrollment.handlers()));
  server.addService(v1.Signer.service, drain.gate(v1.Signer.service, signer.handlers(drain)));
  server.addService(v1.Peer.service, drain.gate(v1.Peer.service, revocations.handlers()));
  server.addService(
    v1.Bundle.service,
    drain.gate(v1.Bundle.service, bundleHandlers(ctx, revocations, issuer)),
  );
  server.addService(v1.Issuer.service, drain.gate(v1.Issuer.service, issuer.handlers()));
  server.addService(v1.IssuerPeer.service, drain.gate(v1.IssuerPeer.service, issuerSetup.handlers()));
  const health = new ServerHealth(server, agentPort, ctx.log);
  const adminServer = makeServer(tls, ctx.log, [adminDef, issuerAdminDef]);
  adminServer.addService(adminDef, drain.gate(adminDef, admin.handlers()));
  adminServer.addService(issuerAdminDef, drain.gate(issuerAdminDef, issuerSetup.adminHandlers()));
  const adminHealth = new ServerHealth(adminServer, [adminDef, issuerAdminDef], ctx.log);

  let port: number;
  let adminPort: number;
  let http: RunningHttp | undefined;
  try {
    port = await bind(server, config.listen, serverCredentials(tls));
    adminPort = await bind(adminServer, config.adminListen, serverCredentials(tls));
    if (config.http) {
      const consoleRoutes = new ConsoleRoutes({
        ctx,
        revocations,
        alerts,
        auth: consoleAuth,
        readiness,
        sinks,
      });
      http = await startHttp(ctx, revocations, config.http.listen, readiness, consoleRoutes, issuer);
    }
    await dispatcher.start();
  } catch (e) {
    server.forceShutdown();
    adminServer.forceShutdown();
    await http?.close();
    await dispatcher.stop();
    readiness.close();
    await store.close();
    throw e;
  }
  ctx.log.info(
    {
      [LOG.address]: config.listen,
      port,
      adminPort,
      httpPort: http?.port,
      n: ctx.as.n,
      t: ctx.as.t,
      webhooks: webhooks.length,
      tls: tls ? 'mtls' : 'insecure',
    },
    'oracle listening',
  );
  // Catch up on revocations made while this node was down, then keep pulling periodically.
  revocations.start();
  audit.start();
  // Commit (or drop) issuer keys left pending by a round 8 this node missed.
  issuerSetup.start();
  health.set('SERVING');
  adminHealth.set('SERVING');

  let stopping: Promise<void> | undefined;
  return {
    nodeId: config.nodeId,
    port,
    adminPort,
    log: ctx.log,
    stop() {
      stopping ??= (async () => {
        const t0 = Date.now();
        const drainMs = config.shutdown.drainTimeoutSeconds * 1000;
        // Not serving first (health, /readyz), then refuse new requests and let in-flight ones finish.
        health.set('NOT_SERVING');
        adminHealth.set('NOT_SERVING');
        readiness.shuttingDown = true;
        drain.start();
        ctx.log.info(
          { inflight: drain.inflight, drainTimeoutMs: drainMs },
          'shutting down: NOT_SERVING, draining in-flight requests',
        );
        admin.close();
        const inflight = drain.inflight;
        if (await drain.wait(drainMs)) {
          ctx.log.info(
            { drained: inflight, [LOG.durationMs]: Date.now() - t0 },
            'in-flight requests finished',
          );
        } else {
          ctx.log.warn(
            { inflight: drain.inflight, drainTimeoutMs: drainMs },
            'drain timeout: closing with requests still in flight (their steps are not committed)',
          );
        }
        // One last bounded delivery attempt; what is left stays in the outbox for the next start.
        // The servers stay up meanwhile: health checks keep getting NOT_SERVING, /readyz 503.
        await dispatcher.stop();
        // Nothing unary is left; health watch streams are the only calls that may still be open.
        await Promise.all([shutdown(server, 500), shutdown(adminServer, 500), http?.close()]);
        enrollment.close();
        signer.close();
        ecdsa.close();
        issuer.close();
        issuerSetup.close();
        revocations.close();
        readiness.close();
        await audit.close();
        await store.close();
        ctx.log.info({ [LOG.durationMs]: Date.now() - t0 }, 'oracle stopped');
      })();
      return stopping;
    },
  };
}
