/**
 * Protobuf-level fuzzing of live gRPC servers with fast-check: the RPC table (every method of
 * every mpcid service and of the gRPC health service), arbitraries derived from the .proto
 * reflection (any protobuf-shaped value, wrong lengths, huge repeated fields), mutations of valid
 * captured messages (bit flips, truncation, field swaps, merges, replays), raw calls that put any
 * bytes on the wire, and per-RPC outcome counts.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { ERROR_CODES } from '../../common/errors.js';
import {
  errorCodeOf,
  isUndecodable,
  MAX_MESSAGE_BYTES,
  PROTO_DIR,
  STATUS_OF,
  services,
} from '../../common/grpc.js';
import { healthService } from '../../oracle/health.js';

// ---------------------------------------------------------------------------------------------
// Types and the RPC table
// ---------------------------------------------------------------------------------------------

const HEALTH_PROTO = `
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse { enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; } ServingStatus status = 1; }
message HealthListRequest {}
message HealthListResponse { map<string, HealthCheckResponse> statuses = 1; }
service Health {
  rpc List(HealthListRequest) returns (HealthListResponse);
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}`;

export function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  root.loadSync([
    'mpcid/oracle/v1/oracle.proto',
    'mpcid/admin/v1/admin.proto',
    'mpcid/agent/v1/workload.proto',
  ]);
  protobuf.parse(HEALTH_PROTO, root);
  root.resolveAll();
  return root;
}

/** Which server a method lives on. */
export type Target = 'agent' | 'admin' | 'workload';

export interface Rpc {
  /** "Service/Method", e.g. "Signer/Step". */
  name: string;
  path: string;
  req: protobuf.Type;
  res: protobuf.Type;
  stream: boolean;
  target: Target;
  /** The request as the server decodes it (its own deserializer), undefined if it cannot. */
  decodeReq(bytes: Uint8Array): Record<string, unknown> | undefined;
  /** A response as a client of the server's own definitions decodes it. */
  decodeRes(bytes: Uint8Array): Record<string, unknown> | undefined;
}

function serverDefinitions(): Record<string, grpc.ServiceDefinition> {
  const v = services();
  return {
    'mpcid.oracle.v1.Enrollment': v.oracle.mpcid.oracle.v1.Enrollment.service,
    'mpcid.oracle.v1.Signer': v.oracle.mpcid.oracle.v1.Signer.service,
    'mpcid.oracle.v1.Peer': v.oracle.mpcid.oracle.v1.Peer.service,
    'mpcid.oracle.v1.Bundle': v.oracle.mpcid.oracle.v1.Bundle.service,
    'mpcid.oracle.v1.Issuer': v.oracle.mpcid.oracle.v1.Issuer.service,
    'mpcid.oracle.v1.IssuerPeer': v.oracle.mpcid.oracle.v1.IssuerPeer.service,
    'mpcid.admin.v1.Admin': v.admin.mpcid.admin.v1.Admin.service,
    'mpcid.admin.v1.IssuerAdmin': v.admin.mpcid.admin.v1.IssuerAdmin.service,
    'mpcid.agent.v1.Workload': v.workload.mpcid.agent.v1.Workload.service,
    'grpc.health.v1.Health': healthService as unknown as grpc.ServiceDefinition,
  };
}

function total(f: (b: Buffer) => unknown) {
  return (bytes: Uint8Array): Record<string, unknown> | undefined => {
    try {
      const v = f(Buffer.from(bytes));
      return isUndecodable(v) ? undefined : (v as Record<string, unknown>);
    } catch {
      return undefined;
    }
  };
}

/** Every method of every service the oracle and the agent serve (health on both oracle ports). */
export function rpcTable(root: protobuf.Root): Rpc[] {
  const out: Rpc[] = [];
  const defs = serverDefinitions();
  const add = (service: string, target: Target, label = service.slice(service.lastIndexOf('.') + 1)) => {
    const svc = root.lookupService(service);
    for (const m of svc.methodsArray) {
      // Resolved in the service's own package: a short name (UnsealRequest) may exist in two.
      m.resolve();
      const def = defs[service]![m.name] ?? defs[service]![m.name[0]!.toLowerCase() + m.name.slice(1)];
      if (!def) throw new Error(`no server definition of ${service}/${m.name}`);
      out.push({
        decodeReq: total(def.requestDeserialize),
        decodeRes: total(def.responseDeserialize),
        name: `${label}/${m.name}`,
        path: `/${service}/${m.name}`,
        req: m.resolvedRequestType!,
        res: m.resolvedResponseType!,
        stream: !!m.responseStream,
        target,
      });
    }
  };
  add('mpcid.oracle.v1.Enrollment', 'agent');
  add('mpcid.oracle.v1.Signer', 'agent');
  add('mpcid.oracle.v1.Peer', 'agent');
  add('mpcid.oracle.v1.Bundle', 'agent');
  add('mpcid.oracle.v1.Issuer', 'agent');
  add('mpcid.oracle.v1.IssuerPeer', 'agent');
  add('grpc.health.v1.Health', 'agent', 'Health(agent port)');
  add('mpcid.admin.v1.Admin', 'admin');
  add('mpcid.admin.v1.IssuerAdmin', 'admin');
  add('grpc.health.v1.Health', 'admin', 'Health(admin port)');
  add('mpcid.agent.v1.Workload', 'workload');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** Deterministic filler (xorshift32), so large byte fields cost nothing to generate or shrink. */
export function filled(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const INTERESTING_LENGTHS = [0, 1, 15, 16, 17, 22, 31, 32, 33, 43, 63, 64, 65, 96, 128];

/** Known-good values by field name (camelCase), mixed into random messages to get past early checks. */
export type Pools = Record<string, readonly unknown[]>;

export interface ArbOptions {
  pools: Pools;
  /** Upper bound of a "huge" byte or string field. */
  hugeBytes: number;
  /** Upper bound of a huge repeated field (bytes on the wire, roughly): about the transport limit. */
  hugeRepeated: number;
}

/** Roughly the encoded size of a generated value. */
function approxSize(v: unknown): number {
  if (v instanceof Uint8Array) return v.length + 2;
  if (typeof v === 'string') return 3 * v.length + 2;
  if (Array.isArray(v)) return v.reduce((a: number, x) => a + approxSize(x), 0);
  if (v && typeof v === 'object') return Object.values(v).reduce((a: number, x) => a + approxSize(x) + 2, 2);
  return 10;
}

function bytesArb(o: ArbOptions, pool: readonly unknown[] | undefined): fc.Arbitrary<Uint8Array> {
  const seeded = (min: number, max: number) =>
    fc.tuple(fc.integer({ min, max }), fc.integer()).map(([n, s]) => filled(n, s));
  const arbs: fc.WeightedArbitrary<Uint8Array>[] = [
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 70 }) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...INTERESTING_LENGTHS), fc.integer())
        .map(([n, s]) => filled(n, s)),
    },
    { weight: 1, arbitrary: seeded(1024, 70_000) },
    { weight: 1, arbitrary: seeded(70_000, o.hugeBytes) },
  ];
  if (pool?.length) {
    arbs.push({ weight: 6, arbitrary: fc.constantFrom(...(pool as Uint8Array[])) });
  }
  return fc.oneof(...arbs);
}

function stringArb(o: ArbOptions, pool: readonly unknown[] | undefined): fc.Arbitrary<string> {
  const arbs: fc.WeightedArbitrary<string>[] = [
    { weight: 3, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{22}$/) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 256, max: o.hugeBytes / 4 }))
        .map(([s, n]) => s.repeat(Math.ceil(n / s.length))),
    },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', '{}', '[]', 'null', '{"a":', '\ud800') },
  ];
  if (pool?.length) arbs.push({ weight: 6, arbitrary: fc.constantFrom(...(pool as string[])) });
  return fc.oneof(...arbs);
}

const U32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 5, 16, 17, 255, 256, 65_535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1),
  fc.nat(),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
);
/** 64-bit values as strings (protobufjs turns them into Longs): small, around 2^53, extremes, negative. */
const I64 = fc.oneof(
  fc.nat({ max: 1000 }).map(String),
  fc.constantFrom(
    '0',
    String(2 ** 32),
    String(Number.MAX_SAFE_INTEGER),
    String(Number.MAX_SAFE_INTEGER + 1),
    '9223372036854775807',
    '18446744073709551615',
    '-1',
    '-9223372036854775808',
    String(Date.now()),
  ),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).map(String),
);

function scalarArb(f: protobuf.Field, o: ArbOptions): fc.Arbitrary<unknown> {
  const pool = o.pools[f.name];
  switch (f.type) {
    case 'bytes':
      return bytesArb(o, pool);
    case 'string':
      return stringArb(o, pool);
    case 'bool':
      return fc.boolean();
    case 'uint32':
    case 'int32':
      return pool?.length ? fc.oneof(fc.constantFrom(...(pool as number[])), U32) : U32;
    case 'uint64':
    case 'int64':
      return pool?.length ? fc.oneof(fc.constantFrom(...(pool as string[])), I64) : I64;
    default:
      if (f.resolvedType instanceof protobuf.Enum) return U32;
      throw new Error(`no arbitrary for field type ${f.type}`);
  }
}

/** Any value of message type `t`: every field random (or from its pool), repeated fields of any length. */
export function messageArb(
  t: protobuf.Type,
  o: ArbOptions,
  depth = 3,
): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of t.fieldsArray) {
    let one: fc.Arbitrary<unknown>;
    if (f.resolvedType instanceof protobuf.Type) {
      if (depth <= 0) continue;
      one = messageArb(f.resolvedType, o, depth - 1);
    } else {
      one = scalarArb(f, o);
    }
    if (f.repeated) {
      fields[f.name] = fc.oneof(
        { weight: 8, arbitrary: fc.array(one, { maxLength: 6 }) },
        // Huge repeated fields: one value many times, up to about the transport limit.
        {
          weight: 1,
          arbitrary: fc
            .tuple(one, fc.integer({ min: 64, max: 40_000 }))
            .map(([v, n]) =>
              Array<unknown>(Math.max(1, Math.min(n, Math.floor(o.hugeRepeated / (approxSize(v) + 4))))).fill(
                v,
              ),
            ),
        },
      );
    } else {
      fields[f.name] = one;
    }
  }
  return fc.record(fields, { requiredKeys: [] });
}

/** Encodes a plain object as message type `t` (the encoding any protobuf peer would send). */
export function encode(t: protobuf.Type, value: Record<string, unknown>): Uint8Array {
  return t.encode(t.fromObject(value)).finish();
}

/** A request on the wire, with how it was made (for the figures and for failure reports). */
export interface Case {
  how: string;
  bytes: Uint8Array;
}

/** Random requests: a random protobuf-shaped value, or (1 in 12) raw random bytes. */
export function randomCaseArb(t: protobuf.Type, o: ArbOptions): fc.Arbitrary<Case> {
  return fc.oneof(
    { weight: 11, arbitrary: messageArb(t, o).map((v) => ({ how: 'random', bytes: encode(t, v) })) },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => ({ how: 'random-bytes', bytes: b })),
    },
  );
}

/**
 * Mutations of valid messages (`corpus`, encoded): replay as is, 1-4 bit flips, truncation, a
 * top-level or nested field taken from another valid message, two messages merged (protobuf
 * concatenation), random bytes spliced in.
 */
export function mutationArb(t: protobuf.Type, corpus: readonly Uint8Array[]): fc.Arbitrary<Case> {
  if (corpus.length === 0) throw new Error(`empty corpus for ${t.name}`);
  const pick = fc.nat({ max: corpus.length - 1 }).map((i) => corpus[i]!);
  const swap = (a: Uint8Array, b: Uint8Array, sel1: number, sel2: number): Case => {
    const ma = t.decode(a) as unknown as Record<string, unknown>;
    const mb = t.decode(b) as unknown as Record<string, unknown>;
    const fields = t.fieldsArray;
    if (fields.length === 0) return { how: 'swap', bytes: a };
    const f = fields[sel1 % fields.length]!;
    const sub = f.resolvedType instanceof protobuf.Type && !f.repeated ? f.resolvedType : undefined;
    const va = ma[f.name] as Record<string, unknown> | null | undefined;
    const vb = mb[f.name] as Record<string, unknown> | null | undefined;
    if (sub && va && vb && sel2 % 2 === 0 && sub.fieldsArray.length) {
      const g = sub.fieldsArray[sel2 % sub.fieldsArray.length]!;
      va[g.name] = vb[g.name];
      return { how: `swap ${f.name}.${g.name}`, bytes: t.encode(ma).finish() };
    }
    ma[f.name] = vb;
    return { how: `swap ${f.name}`, bytes: t.encode(ma).finish() };
  };
  return fc.oneof(
    { weight: 2, arbitrary: pick.map((b) => ({ how: 'replay', bytes: b })) },
    {
      weight: 5,
      arbitrary: fc.tuple(pick, fc.array(fc.nat(), { minLength: 1, maxLength: 4 })).map(([b, bits]) => {
        const out = new Uint8Array(b);
        if (out.length) for (const bit of bits) out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
        return { how: 'bitflip', bytes: out };
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(pick, fc.nat())
        .map(([b, n]) => ({ how: 'truncate', bytes: b.slice(0, b.length ? n % b.length : 0) })),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(pick, pick, fc.nat(), fc.nat()).map(([a, b, s1, s2]) => swap(a, b, s1, s2)),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(pick, pick).map(([a, b]) => {
        const out = new Uint8Array(a.length + b.length);
        out.set(a);
        out.set(b, a.length);
        return { how: 'merge', bytes: out };
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(pick, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 12 }))
        .map(([b, at, ins]) => {
          const i = b.length ? at % b.length : 0;
          const out = new Uint8Array(b.length + ins.length);
          out.set(b.subarray(0, i));
          out.set(ins, i);
          out.set(b.subarray(i), i + ins.length);
          return { how: 'splice', bytes: out };
        }),
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Raw calls
// ---------------------------------------------------------------------------------------------

const identity = (b: Buffer) => b;
const toBuf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export type Outcome = { ok: true; res: Buffer[] } | { ok: false; err: grpc.ServiceError };

/**
 * A client that sends any bytes to any method (no client-side size limit). `creds`: the test
 * client's for oracle ports (testCredentials: every role, mTLS under MPCID_TEST_TLS=1), plaintext
 * for the Workload API's Unix socket.
 */
export function rawClient(address: string, creds: grpc.ChannelCredentials): grpc.Client {
  return new grpc.Client(address, creds, {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': -1,
  });
}

export function rawUnary(
  c: grpc.Client,
  path: string,
  bytes: Uint8Array,
  deadlineMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    c.makeUnaryRequest(
      path,
      toBuf,
      identity,
      bytes,
      new grpc.Metadata({ waitForReady: true }),
      { deadline: Date.now() + deadlineMs },
      (err, res) => resolve(err ? { ok: false, err } : { ok: true, res: [res!] }),
    );
  });
}

/**
 * A server-streaming call: the first message (or `quietMs` without one) counts as OK, and the
 * stream is then cancelled; an error before that is the outcome.
 */
export function rawStream(
  c: grpc.Client,
  path: string,
  bytes: Uint8Array,
  deadlineMs: number,
  quietMs = 80,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = c.makeServerStreamRequest(
      path,
      toBuf,
      identity,
      bytes,
      new grpc.Metadata({ waitForReady: true }),
      {
        deadline: Date.now() + deadlineMs,
      },
    );
    const res: Buffer[] = [];
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.cancel();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ ok: true, res }), quietMs);
    s.on('data', (d: Buffer) => {
      res.push(d);
      finish({ ok: true, res });
    });
    s.on('end', () => finish({ ok: true, res }));
    s.on('error', (err: grpc.ServiceError) => finish({ ok: false, err }));
  });
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

/**
 * The label of a failed call: its stable mpcid code, or `grpc:STATUS` for the two answers that
 * legitimately carry none (grpc-js's transport limit for a message over 1 MiB, and the standard
 * health service's NOT_FOUND for an unknown service name). Anything else is a finding: throws.
 */
export function errorLabel(rpc: Rpc, sent: Uint8Array, err: grpc.ServiceError): string {
  const code = errorCodeOf(err);
  if (code) {
    const want = STATUS_OF[ERROR_CODES[code].status];
    if (err.code !== want)
      throw new Error(
        `${rpc.name}: ${code} travelled as gRPC ${grpc.status[err.code]}, not ${grpc.status[want!]}`,
      );
    if (code === 'INTERNAL' || code === 'STATE_CORRUPT')
      throw new Error(`${rpc.name}: a client's bad input got ${code}: ${err.details}`);
    return code;
  }
  if (err.code === grpc.status.RESOURCE_EXHAUSTED && sent.length > MAX_MESSAGE_BYTES)
    return 'grpc:RESOURCE_EXHAUSTED';
  if (err.code === grpc.status.NOT_FOUND && rpc.path.startsWith('/grpc.health.v1.Health/'))
    return 'grpc:NOT_FOUND';
  throw new Error(
    `${rpc.name}: gRPC ${grpc.status[err.code]} without a stable mpcid code (${err.details}); request ${sent.length} bytes`,
  );
}

/** Cases tried and outcomes, per RPC and per mode. */
export class Figures {
  readonly #rows = new Map<string, Map<string, number>>();

  add(rpc: string, mode: 'random' | 'mutated', label: string): void {
    const key = `${rpc}\t${mode}`;
    const row = this.#rows.get(key) ?? new Map<string, number>();
    this.#rows.set(key, row);
    row.set(label, (row.get(label) ?? 0) + 1);
  }

  total(): number {
    let n = 0;
    for (const r of this.#rows.values()) for (const v of r.values()) n += v;
    return n;
  }

  tried(rpc: string): number {
    let n = 0;
    for (const [k, r] of this.#rows) if (k.startsWith(`${rpc}\t`)) for (const v of r.values()) n += v;
    return n;
  }

  /** One line per RPC and mode: cases tried and the distribution of outcomes. */
  table(): string {
    const lines = [...this.#rows.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, r]) => {
        const [rpc, mode] = k.split('\t');
        const n = [...r.values()].reduce((a, b) => a + b, 0);
        const dist = [...r.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([l, v]) => `${l}=${v}`)
          .join(' ');
        return `${rpc!.padEnd(34)} ${mode!.padEnd(8)} ${String(n).padStart(5)}  ${dist}`;
      });
    return [`${'rpc'.padEnd(34)} ${'mode'.padEnd(8)} ${'cases'.padStart(5)}  outcomes`, ...lines].join('\n');
  }
}
