/**
 * The oracle configuration schema. One schema validates files, `mpcid cluster init` output and
 * docker-compose's mounted configs; errors name the offending field.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { MAX_ORACLES } from '../crypto/access.js';
import { fromB64u } from '../crypto/bytes.js';
import { ES256_MAX_T, es256LargestMessageBytes } from './ecdsa-wire.js';
import { MpcidError } from './errors.js';
import { MAX_MESSAGE_BYTES } from './grpc.js';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port out of range');
const b64u32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected 32 bytes base64url');

export const OracleEntrySchema = z.strictObject({
  id: z.number().int().min(1).max(MAX_ORACLES),
  /** Address agents use to reach this oracle. */
  address: hostPort,
  /** The oracle's Ed25519 node public key. */
  publicKey: b64u32,
});

/** AWS STS and GCP STS refuse tokens whose exp - iat is 48 hours or more. */
export const FEDERATION_MAX_TTL_SECONDS = 48 * 3600 - 1;

export const FederationSchema = z.strictObject({
  /** Which key signs JWT-SVIDs (SPIFFE FetchJWTSVID, `mpcid token fetch`): the identity's own, or the issuer's. */
  jwtSvidKey: z.enum(['identity', 'issuer']).default('identity'),
  /** The only `aud` values issuer-key tokens may carry (AUDIENCE_NOT_ALLOWED otherwise). */
  audiences: z.array(z.string().min(1).max(512)).max(64).default([]),
  /** Upper bound of an issuer-key token's exp - iat (also bounded by policy.maxTokenTtlSeconds). */
  maxTokenTtlSeconds: z.number().int().min(60).max(FEDERATION_MAX_TTL_SECONDS).default(3600),
});
export type FederationConfig = z.infer<typeof FederationSchema>;

export const ClusterSchema = z
  .strictObject({
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ -'),
    n: z.number().int().min(1).max(MAX_ORACLES),
    t: z.number().int().min(1).max(MAX_ORACLES),
    oracles: z.array(OracleEntrySchema),
    /** Issuer URL of the cluster's tokens (`iss`) and OIDC discovery; served by every oracle's HTTP. */
    issuer: z.url().max(512).optional(),
    /** The federation issuer (docs/protocol.md §10): a cluster key held t-of-n by the oracles. */
    federation: FederationSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (2 * c.t <= c.n || c.t > c.n)
      ctx.addIssue({ code: 'custom', path: ['t'], message: 'need n/2 < t <= n' });
    else {
      const es256 = es256QuorumProblem(c.t);
      if (es256) ctx.addIssue({ code: 'custom', path: ['t'], message: es256 });
    }
    // A DKLs23 session needs two signers: the issuer key (oracles only) needs a quorum of two.
    if (c.federation && c.t < 2)
      ctx.addIssue({ code: 'custom', path: ['federation'], message: 'the federation issuer needs t >= 2' });
    if (c.oracles.length !== c.n) {
      ctx.addIssue({ code: 'custom', path: ['oracles'], message: `expected ${c.n} oracles` });
    }
    const ids = c.oracles.map((o) => o.id).sort((a, b) => a - b);
    if (!ids.every((id, i) => id === i + 1)) {
      ctx.addIssue({ code: 'custom', path: ['oracles'], message: 'oracle ids must be 1..n, each once' });
    }
  });

/**
 * Why a quorum t is too large for ES256, or undefined if it fits: an ES256 signing round to one
 * oracle carries t sealed round-2 messages (docs/ecdsa.md §6), and gRPC refuses any message over
 * MAX_MESSAGE_BYTES, so such a cluster would fail every ES256 signature at the transport.
 */
export function es256QuorumProblem(t: number): string | undefined {
  if (t <= ES256_MAX_T) return undefined;
  return `t = ${t} is too large for ES256: a signing round carries t round-2 messages, about ${es256LargestMessageBytes(t)} bytes, over the ${MAX_MESSAGE_BYTES}-byte transport limit; ES256 needs t <= ${ES256_MAX_T}`;
}

const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), 'expected an http(s) URL');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');
/** Per-attempt timeout of one delivery (the deadline of each outbound POST). */
const timeoutMs = z.number().int().min(100).max(120_000).default(5000);

/**
 * A Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 random bytes
 * (`whsec_$(openssl rand -base64 32)`). The message never repeats the value.
 */
export const WhsecSchema = z.string().refine((s) => {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(s);
  const n = m ? Buffer.from(m[1]!, 'base64').length : 0;
  return n >= 24 && n <= 64;
}, 'expected whsec_ followed by the base64 of 24 to 64 random bytes (whsec_$(openssl rand -base64 32))');

const exactlyOne = (a: string, b: string) => (w: Record<string, unknown>) =>
  (w[a] === undefined) !== (w[b] === undefined);

/**
 * A Standard Webhooks endpoint (docs/protocol.md §7): a CloudEvents 1.0 structured event, signed
 * `webhook-signature: v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>`.
 */
export const StandardWebhookSchema = z
  .strictObject({
    kind: z.literal('standard'),
    url: httpUrl,
    /** SECRET (never logged), `whsec_…`. Give this or `secretEnv`. */
    secret: WhsecSchema.optional(),
    /** Name of an environment variable holding the secret (read when the oracle starts). */
    secretEnv: envName.optional(),
    timeoutMs,
  })
  .refine(exactlyOne('secret', 'secretEnv'), {
    message: 'give exactly one of secret and secretEnv',
    path: ['secret'],
  });

/** PagerDuty Events API v2: one `trigger` per alert, deduplicated by the event id. */
export const PagerDutySchema = z
  .strictObject({
    kind: z.literal('pagerduty'),
    url: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
    /** SECRET (never logged): the integration's routing key. Give this or `routingKeyEnv`. */
    routingKey: z.string().min(1).max(128).optional(),
    routingKeyEnv: envName.optional(),
    timeoutMs,
  })
  .refine(exactlyOne('routingKey', 'routingKeyEnv'), {
    message: 'give exactly one of routingKey and routingKeyEnv',
    path: ['routingKey'],
  });

/** A Slack incoming webhook: a readable text message. Its URL is the secret (never logged). */
export const SlackSchema = z
  .strictObject({
    kind: z.literal('slack'),
    url: httpUrl.optional(),
    /** Name of an environment variable holding the webhook URL. Give this or `url`. */
    urlEnv: envName.optional(),
    timeoutMs,
  })
  .refine(exactlyOne('url', 'urlEnv'), { message: 'give exactly one of url and urlEnv', path: ['url'] });

/** One alert sink; `kind` defaults to `standard`. */
export const WebhookSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && !('kind' in v) ? { kind: 'standard', ...v } : v),
  z.discriminatedUnion('kind', [StandardWebhookSchema, PagerDutySchema, SlackSchema]),
);

/**
 * When an undeliverable event leaves a webhook's queue for its dead-letter list: after
 * `maxAttempts` refused attempts or once it has waited `maxAgeSeconds`, whichever comes first.
 */
export const DeadLetterSchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(10_000).default(20),
    maxAgeSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .default(86_400),
  })
  .default({ maxAttempts: 20, maxAgeSeconds: 86_400 });

export const AlertsSchema = z
  .strictObject({
    webhooks: z.array(WebhookSchema).max(16).default([]),
    deadLetter: DeadLetterSchema,
  })
  .default({ webhooks: [], deadLetter: { maxAttempts: 20, maxAgeSeconds: 86_400 } });

/**
 * The console at /console on the relying-party port (oracle/console.ts). Never open by default:
 * `login` needs a short-lived link from `mpcid console login` (role admin); `loopback` serves it
 * without a login, to clients connecting from a loopback address only; `off` serves nothing.
 */
export const ConsoleSchema = z
  .strictObject({
    access: z.enum(['login', 'loopback', 'off']).default('login'),
    /** How long a login link stays valid (it works once). */
    loginTtlSeconds: z.number().int().min(10).max(3600).default(300),
    /** How long a session lasts after logging in. */
    sessionTtlSeconds: z.number().int().min(60).max(86_400).default(3600),
  })
  .default({ access: 'login', loginTtlSeconds: 300, sessionTtlSeconds: 3600 });

const BucketSchema = z.strictObject({
  /** Sustained requests per second; 0 disables this limit. */
  ratePerSecond: z.number().min(0).max(1_000_000),
  /** Requests allowed at once after an idle period (the bucket's capacity). */
  burst: z.number().int().min(1).max(1_000_000),
});

/**
 * Defaults leave an honest agent far below every limit: it makes one Step per oracle per
 * signature and per heartbeat (15 s), and one GetNonces per oracle at most as often, and it
 * retries RATE_LIMITED with backoff anyway. Per-peer limits are higher: one address may front
 * many agents (NAT, a node running many workloads).
 */
export const RATE_LIMIT_DEFAULTS = {
  nonces: {
    perIdentity: { ratePerSecond: 100, burst: 200 },
    perPeer: { ratePerSecond: 1000, burst: 2000 },
  },
  steps: {
    perIdentity: { ratePerSecond: 100, burst: 200 },
    perPeer: { ratePerSecond: 1000, burst: 2000 },
  },
  /** EcdsaRound: two per signing oracle per ES256 signature (rounds 2 and 3), so twice the steps'. */
  ecdsaRounds: {
    perIdentity: { ratePerSecond: 200, burst: 400 },
    perPeer: { ratePerSecond: 2000, burst: 4000 },
  },
  maxTrackedKeys: 50_000,
};

const LimitPairSchema = (d: (typeof RATE_LIMIT_DEFAULTS)['nonces']) =>
  z
    .strictObject({
      /** Charged after the request's session signature verified (an authenticated identity). */
      perIdentity: BucketSchema.default(d.perIdentity),
      /** Charged first, per client network address (without port). */
      perPeer: BucketSchema.default(d.perPeer),
    })
    .default(d);

/** Token-bucket rate limits on GetNonces, Step and EcdsaRound (exceeded: RATE_LIMITED with retryAfterMs). */
export const RateLimitsSchema = z
  .strictObject({
    nonces: LimitPairSchema(RATE_LIMIT_DEFAULTS.nonces),
    steps: LimitPairSchema(RATE_LIMIT_DEFAULTS.steps),
    ecdsaRounds: LimitPairSchema(RATE_LIMIT_DEFAULTS.ecdsaRounds),
    /** Keys (identities, peer addresses) tracked per bucket set; least recently used dropped beyond. */
    maxTrackedKeys: z.number().int().min(1).max(10_000_000).default(RATE_LIMIT_DEFAULTS.maxTrackedKeys),
  })
  .default(RATE_LIMIT_DEFAULTS);

/**
 * gRPC transport security. mTLS by default: `ca` (the cluster CA certificate), `cert` and `key`
 * (this node's certificate, role oracle, and its key), PEM files, relative to the config file.
 * Plaintext only with `{insecure: true}` (development), which the oracle warns about loudly.
 */
export const TlsSchema = z
  .strictObject({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    insecure: z.boolean().optional(),
  })
  .superRefine((t, ctx) => {
    const files = (['ca', 'cert', 'key'] as const).filter((k) => t[k] !== undefined);
    if (t.insecure === true) {
      for (const k of files)
        ctx.addIssue({ code: 'custom', path: [k], message: 'not allowed with insecure: true' });
      return;
    }
    for (const k of ['ca', 'cert', 'key'] as const) {
      if (t[k] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: 'required (or set insecure: true for plaintext)',
        });
    }
  });

export const OracleConfigSchema = z
  .strictObject({
    nodeId: z.number().int().min(1).max(MAX_ORACLES),
    /** gRPC address for agents (enrollment and signing). */
    listen: hostPort,
    /** gRPC address of the admin API (keep it on loopback or a private network). */
    adminListen: hostPort,
    dataDir: z.string().min(1),
    nodeKeyFile: z.string().min(1),
    cluster: ClusterSchema,
    /**
     * mTLS files for both gRPC servers and for calls to peers; `{insecure: true}` for plaintext.
     * Optional in the schema (objects built in code), required in config files (parseOracleConfig).
     */
    tls: TlsSchema.optional(),
    tokens: z
      .strictObject({
        defaultTtlSeconds: z.number().int().min(1).default(600),
        maxTtlSeconds: z.number().int().min(1).default(86_400),
      })
      .default({ defaultTtlSeconds: 600, maxTtlSeconds: 86_400 }),
    limits: z
      .strictObject({
        /** Largest message an oracle co-signs. */
        maxSignBytes: z
          .number()
          .int()
          .min(1)
          .max(512 * 1024)
          .default(64 * 1024),
        /** Unused nonces kept per identity (in memory only). */
        noncesPerIdentity: z.number().int().min(1).max(256).default(16),
        /** Pending enrollments kept at once. */
        maxPendingEnrollments: z.number().int().min(1).default(64),
        enrollmentTimeoutSeconds: z.number().int().min(1).default(120),
        /** ES256 signing sessions in progress at once on this oracle (in memory; 30 s each at most). */
        maxEcdsaSessions: z.number().int().min(1).default(10_000),
        /**
         * ES256 sessions in progress per identity; a new one beyond this ends the identity's oldest
         * (an honest agent runs one session at a time and never resumes an older one).
         */
        ecdsaSessionsPerIdentity: z.number().int().min(1).default(4),
        /**
         * ES256 presignatures held per identity (in memory, 10 min each at most; oracle/ecdsa-presign.ts);
         * a new one beyond this drops the identity's oldest. 0: this oracle serves no es256-presign
         * steps (GetCapabilities omits the kind; agents sign ES256 online with it).
         */
        es256PresignsPerIdentity: z.number().int().min(0).max(64).default(4),
      })
      .default({
        maxSignBytes: 64 * 1024,
        noncesPerIdentity: 16,
        maxPendingEnrollments: 64,
        enrollmentTimeoutSeconds: 120,
        maxEcdsaSessions: 10_000,
        ecdsaSessionsPerIdentity: 4,
        es256PresignsPerIdentity: 4,
      }),
    rateLimits: RateLimitsSchema,
    /** Alert sinks besides the log line and the admin WatchAlerts stream. */
    alerts: AlertsSchema,
    /** The console (/console on the `http` port). */
    console: ConsoleSchema,
    /**
     * Relying-party HTTP (OIDC discovery, JWKS, identity status); off when absent. With `tls`
     * (PEM certificate chain and key files, relative to the config file) it serves HTTPS only.
     */
    http: z
      .strictObject({
        listen: hostPort,
        tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
      })
      .optional(),
    /** What oracles agree to co-sign as tokens. */
    policy: z
      .strictObject({
        maxTokenTtlSeconds: z.number().int().min(1).max(86_400).default(3600),
        clockSkewSeconds: z.number().int().min(0).max(600).default(60),
      })
      .default({ maxTokenTtlSeconds: 3600, clockSkewSeconds: 60 }),
    /**
     * The audit log of accepted steps (oracle/audit.ts): entries older than `retentionSeconds` are
     * dropped, checked every `pruneIntervalSeconds`; at most `maxEntriesPerIdentity` are kept per
     * identity (the oldest go first).
     */
    audit: z
      .strictObject({
        retentionSeconds: z
          .number()
          .int()
          .min(1)
          .max(10 * 366 * 86_400)
          .default(90 * 86_400),
        pruneIntervalSeconds: z.number().int().min(1).max(86_400).default(3600),
        maxEntriesPerIdentity: z.number().int().min(1).max(10_000_000).default(100_000),
      })
      .default({ retentionSeconds: 90 * 86_400, pruneIntervalSeconds: 3600, maxEntriesPerIdentity: 100_000 }),
    /**
     * Key-encryption key sealing the secrets this oracle stores (common/kek.ts): a file with 32
     * random bytes, mode 0600. Absent: the MPCID_KEK environment variable (base64url).
     */
    kek: z.strictObject({ file: z.string().min(1) }).optional(),
    /** SIGTERM/SIGINT: how long in-flight requests may take to finish before the servers close. */
    shutdown: z
      .strictObject({
        drainTimeoutSeconds: z.number().min(0).max(300).default(10),
      })
      .default({ drainTimeoutSeconds: 10 }),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (!c.cluster.oracles.some((o) => o.id === c.nodeId)) {
      ctx.addIssue({ code: 'custom', path: ['nodeId'], message: 'not listed in cluster.oracles' });
    }
  });

export type OracleConfig = z.infer<typeof OracleConfigSchema>;
export type TlsConfig = z.infer<typeof TlsSchema>;

/** The TLS files of a validated config, or null when it asks for plaintext. */
export function tlsFiles(c: OracleConfig): { ca: string; cert: string; key: string } | null {
  const t = c.tls;
  if (!t || t.insecure === true || !t.ca || !t.cert || !t.key) return null;
  return { ca: t.ca, cert: t.cert, key: t.key };
}
export type ClusterConfig = z.infer<typeof ClusterSchema>;
export type RateLimitsConfig = z.infer<typeof RateLimitsSchema>;
export type WebhookConfig = z.infer<typeof WebhookSchema>;
export type DeadLetterConfig = z.infer<typeof DeadLetterSchema>;
export type ConsoleConfig = z.infer<typeof ConsoleSchema>;
export type AuditConfig = OracleConfig['audit'];

/** The node public keys of a cluster by node id: they verify commits, DKG messages and abort claims. */
export function clusterNodeKeys(cluster: Pick<ClusterConfig, 'oracles'>): Map<number, Uint8Array> {
  return new Map(cluster.oracles.map((o) => [o.id, fromB64u(o.publicKey, 'publicKey', 32)]));
}

/** Formats zod issues as "field.path: message; ..." */
export function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates a parsed config object; relative paths are resolved against `baseDir`. */
export function parseOracleConfig(raw: unknown, baseDir: string): OracleConfig {
  const r = OracleConfigSchema.safeParse(raw);
  if (!r.success) throw new MpcidError('CONFIG_INVALID', `invalid oracle config: ${describeIssues(r.error)}`);
  if (r.data.tls === undefined) {
    throw new MpcidError(
      'CONFIG_INVALID',
      'invalid oracle config: tls: required: {ca, cert, key} files (mpcid init writes them) or {insecure: true} for plaintext',
    );
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const tls = r.data.tls;
  return {
    ...r.data,
    dataDir: abs(r.data.dataDir),
    nodeKeyFile: abs(r.data.nodeKeyFile),
    ...(r.data.kek ? { kek: { file: abs(r.data.kek.file) } } : {}),
    ...(r.data.http?.tls
      ? { http: { ...r.data.http, tls: { cert: abs(r.data.http.tls.cert), key: abs(r.data.http.tls.key) } } }
      : {}),
    ...(tls?.insecure !== true && tls?.ca && tls.cert && tls.key
      ? { tls: { ca: abs(tls.ca), cert: abs(tls.cert), key: abs(tls.key) } }
      : {}),
  };
}

export function loadOracleConfig(file: string): OracleConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    // JSON.parse's message can quote the file's text, e.g. part of an inline webhook secret.
    const why = e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message;
    throw new MpcidError('CONFIG_INVALID', `cannot read config ${file}: ${why}`);
  }
  return parseOracleConfig(raw, dirname(resolve(file)));
}

/** The `iss` of the cluster's tokens. */
export function clusterIssuer(cluster: ClusterConfig): string {
  return cluster.issuer ?? `urn:mpcid:cluster:${cluster.id}`;
}

/**
 * The `iss` of issuer-key tokens: the cluster issuer with `/issuer` appended, whose discovery
 * document is `<iss>/.well-known/openid-configuration` on every oracle's relying-party port.
 * ISSUER_NOT_CONFIGURED without an http(s) `cluster.issuer`.
 */
export function federationIssuer(cluster: ClusterConfig): string {
  const base = cluster.issuer;
  if (!base || !/^https?:\/\//.test(base))
    throw new MpcidError(
      'ISSUER_NOT_CONFIGURED',
      'the federation issuer needs an https:// cluster.issuer (mpcid init sets one)',
    );
  return `${base.replace(/\/+$/, '')}/issuer`;
}

/** The cluster's federation settings, defaults filled in. */
export function federationOf(cluster: ClusterConfig): FederationConfig {
  return cluster.federation ?? FederationSchema.parse({});
}
