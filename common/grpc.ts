/**
 * gRPC plumbing shared by every server and client: proto loading, the one function that maps
 * internal errors to gRPC status (with the stable code in google.rpc.ErrorInfo), thin unary
 * handler wrappers, and promise-returning client calls that always carry a deadline.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { ProtoGrpcType as AdminProto } from '../proto/gen/admin.js';
import type { ProtoGrpcType as OracleProto } from '../proto/gen/oracle.js';
import type { ProtoGrpcType as WorkloadProto } from '../proto/gen/workload.js';
import type { ProtoGrpcType as SpiffeProto } from '../proto/gen/workloadapi.js';
import { decodeDetails, ERROR_DETAILS_TYPE, encodeDetails } from './error-details.js';
import { asMpcidError, type ErrorCode, isErrorCode, MpcidError } from './errors.js';
import { LOG, type Logger } from './log.js';

/** Largest message any mpcid server accepts or sends (bytes); larger ones get RESOURCE_EXHAUSTED. */
export const MAX_MESSAGE_BYTES = 1 << 20;
/** Error domain in google.rpc.ErrorInfo. */
export const ERROR_DOMAIN = 'mpcid.dev';
const DETAILS_KEY = 'grpc-status-details-bin';
const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

function findProtoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'proto', 'mpcid'))) return join(dir, 'proto');
    dir = dirname(dir);
  }
  throw new Error('cannot find the proto/ directory');
}

export const PROTO_DIR = findProtoDir();

const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** Stands in for a request body that is not valid protobuf; `unary` answers it with MALFORMED_INPUT. */
const UNDECODABLE = Symbol('undecodable request');

/**
 * Makes every request decoder of a service definition total (in place): grpc-js answers a request
 * it cannot deserialize with a bare INTERNAL; let it through marked instead, so that the client
 * gets INVALID_ARGUMENT with a stable code like any other bad input.
 */
export function tolerateUndecodable<T extends grpc.ServiceDefinition | protoLoader.ServiceDefinition>(
  def: T,
): T {
  for (const m of Object.values(def) as grpc.MethodDefinition<unknown, unknown>[]) {
    const decode = m.requestDeserialize;
    m.requestDeserialize = (buf: Buffer) => {
      try {
        return decode(buf);
      } catch {
        return { [UNDECODABLE]: true };
      }
    };
  }
  return def;
}

/** True for a request body that was not a valid protobuf message (see tolerateUndecodable). */
export function isUndecodable(req: unknown): boolean {
  return typeof req === 'object' && req !== null && UNDECODABLE in req;
}

/** The MALFORMED_INPUT answer to an undecodable request. */
export function undecodableError(): MpcidError {
  return new MpcidError('MALFORMED_INPUT', 'request is not a valid protobuf message');
}

function load<T>(file: string): T {
  const def = protoLoader.loadSync(file, loaderOptions);
  for (const d of Object.values(def)) {
    if ('format' in d) continue; // message and enum types; the rest are services
    tolerateUndecodable(d as protoLoader.ServiceDefinition);
  }
  return grpc.loadPackageDefinition(def) as unknown as T;
}

let protos:
  | { oracle: OracleProto; admin: AdminProto; workload: WorkloadProto; spiffe: SpiffeProto }
  | undefined;
/** The loaded service definitions (loaded once). */
export function services() {
  protos ??= {
    oracle: load<OracleProto>('mpcid/oracle/v1/oracle.proto'),
    admin: load<AdminProto>('mpcid/admin/v1/admin.proto'),
    workload: load<WorkloadProto>('mpcid/agent/v1/workload.proto'),
    // The SPIFFE Workload API: the standard's proto, no package (service SpiffeWorkloadAPI).
    spiffe: load<SpiffeProto>('spiffe/workloadapi.proto'),
  };
  return protos;
}

const statusRoot = protobuf.loadSync(join(PROTO_DIR, 'google/rpc/status.proto'));
const StatusType = statusRoot.lookupType('google.rpc.Status');
const ErrorInfoType = statusRoot.lookupType('google.rpc.ErrorInfo');

/** gRPC status code of each error status class (common/errors.ts). */
export const STATUS_OF: Record<string, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  ABORTED: grpc.status.ABORTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  DATA_LOSS: grpc.status.DATA_LOSS,
  INTERNAL: grpc.status.INTERNAL,
  UNIMPLEMENTED: grpc.status.UNIMPLEMENTED,
};

/**
 * The one place internal errors become gRPC status. Expected errors (MpcidError, and crypto/'s
 * CryptoError through asMpcidError) keep their code and message; anything else is logged and
 * reported as a bare INTERNAL.
 */
export function toServiceError(err: unknown, log: Logger, method: string): Partial<grpc.StatusObject> {
  let e: MpcidError | undefined = asMpcidError(err);
  if (e) {
    const level = e.status === 'INTERNAL' || e.status === 'DATA_LOSS' ? 'error' : 'info';
    log[level](
      { [LOG.method]: method, [LOG.errorCode]: e.code, [LOG.errorMessage]: e.message },
      'request failed',
    );
  } else {
    log.error({ [LOG.method]: method, [LOG.err]: err }, 'internal error');
    e = new MpcidError('INTERNAL', 'internal error');
  }
  const code = STATUS_OF[e.status] ?? grpc.status.INTERNAL;
  const info = ErrorInfoType.encode(
    ErrorInfoType.create({ reason: e.code, domain: ERROR_DOMAIN, metadata: { ...e.metadata } }),
  ).finish();
  const details = [{ typeUrl: ERROR_INFO_TYPE, value: info }];
  const typed = encodeDetails(e.code, e.details, PROTO_DIR);
  if (typed) details.push({ typeUrl: ERROR_DETAILS_TYPE, value: typed });
  const status = StatusType.encode(StatusType.create({ code, message: e.message, details })).finish();
  const metadata = new grpc.Metadata();
  metadata.set(DETAILS_KEY, Buffer.from(status));
  return { code, details: `${e.code}: ${e.message}`, metadata };
}

/**
 * A failed call's status as Signer.Steps carries it in a StepResult (docs/protocol.md §5.1): the
 * gRPC code and the google.rpc.Status bytes that grpc-status-details-bin would have held.
 */
export function stepErrorOf(se: Partial<grpc.StatusObject>): { code: number; status: Buffer } {
  const raw = se.metadata?.get(DETAILS_KEY)[0];
  return { code: se.code ?? grpc.status.INTERNAL, status: raw instanceof Buffer ? raw : Buffer.alloc(0) };
}

/**
 * The client side of stepErrorOf: a StepResult's error as the ServiceError a unary Step call would
 * have rejected with (code, details, and the status in grpc-status-details-bin), so errorInfoOf
 * and fromServiceError read it alike. A status that does not decode keeps the gRPC code alone.
 */
export function serviceErrorOfStep(
  e: { code?: number; status?: Uint8Array } | null | undefined,
): grpc.ServiceError {
  const code = Number.isInteger(e?.code) ? (e!.code as grpc.status) : grpc.status.UNKNOWN;
  const metadata = new grpc.Metadata();
  let message = '';
  const raw = e?.status && e.status.length > 0 ? Buffer.from(e.status) : undefined;
  if (raw) {
    metadata.set(DETAILS_KEY, raw);
    try {
      message = String((StatusType.toObject(StatusType.decode(raw)) as { message?: string }).message ?? '');
    } catch {
      // a status that does not decode: the code alone
    }
  }
  const info = errorInfoOf({ metadata });
  const details = info ? `${info.code}: ${info.message}` : message || grpc.status[code] || 'unknown error';
  return Object.assign(new Error(`${code} ${grpc.status[code] ?? 'UNKNOWN'}: ${details}`), {
    code,
    details,
    metadata,
  });
}

/** Reads mpcid's stable error code from a gRPC error (undefined if the server sent none). */
export function errorCodeOf(err: unknown): ErrorCode | undefined {
  return errorInfoOf(err)?.code;
}

/** What a gRPC error says in mpcid's terms: its stable code, message, metadata and typed details. */
export interface ErrorInfo {
  code: ErrorCode;
  /** google.rpc.Status.message: the server's message, without the code. */
  message: string;
  metadata: Record<string, string>;
  /** The code's typed details (common/error-details.ts); undefined when absent or malformed. */
  details: MpcidError['details'];
}

/** Reads mpcid's stable error code, message, metadata and typed details from a gRPC error. */
export function errorInfoOf(err: unknown): ErrorInfo | undefined {
  const md = (err as { metadata?: grpc.Metadata } | undefined)?.metadata;
  const raw = md instanceof grpc.Metadata ? md.get(DETAILS_KEY)[0] : undefined;
  if (!(raw instanceof Buffer)) return undefined;
  try {
    const st = StatusType.toObject(StatusType.decode(raw)) as {
      message?: string;
      details?: { typeUrl: string; value: Uint8Array }[];
    };
    let found: { code: ErrorCode; metadata: Record<string, string> } | undefined;
    for (const d of st.details ?? []) {
      if (d.typeUrl !== ERROR_INFO_TYPE) continue;
      const info = ErrorInfoType.toObject(ErrorInfoType.decode(d.value)) as {
        reason?: string;
        domain?: string;
        metadata?: Record<string, string>;
      };
      if (info.domain === ERROR_DOMAIN && isErrorCode(info.reason)) {
        found = { code: info.reason, metadata: info.metadata ?? {} };
        break;
      }
    }
    if (!found) return undefined;
    const typed = (st.details ?? []).find((d) => d.typeUrl === ERROR_DETAILS_TYPE);
    return {
      ...found,
      message: typeof st.message === 'string' ? st.message : '',
      details: typed
        ? (decodeDetails(found.code, typed.value, PROTO_DIR) as MpcidError['details'])
        : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Converts a failed client call into an MpcidError, keeping the server's stable code when it sent one. */
export function fromServiceError(err: unknown, what: string): MpcidError {
  const info = errorInfoOf(err);
  const se = err as Partial<grpc.ServiceError>;
  if (info) {
    return new MpcidError(info.code, `${what}: ${info.message}`, {
      cause: err,
      metadata: info.metadata,
      details: info.details,
    });
  }
  if (se.code === grpc.status.UNAVAILABLE || se.code === grpc.status.DEADLINE_EXCEEDED) {
    return new MpcidError('PEER_UNAVAILABLE', `${what}: ${se.details ?? 'unavailable'}`, { cause: err });
  }
  if (se.code === grpc.status.RESOURCE_EXHAUSTED) {
    return new MpcidError('MESSAGE_TOO_LARGE', `${what}: ${se.details ?? 'message too large'}`, {
      cause: err,
    });
  }
  return new MpcidError('INTERNAL', `${what}: ${se.details ?? String(err)}`, { cause: err });
}

/** Wraps an async handler as a grpc-js unary handler; every path calls back exactly once. */
export function unary<Req, Res>(
  log: Logger,
  method: string,
  fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    if (isUndecodable(call.request)) {
      callback(toServiceError(undecodableError(), log, method));
      return;
    }
    fn(call.request, call).then(
      (res) => {
        callback(null, res);
        return;
      },
      (err: unknown) => {
        callback(toServiceError(err, log, method));
        return;
      },
    );
  };
}

/** Server options every mpcid server uses. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
};

export const CLIENT_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // Reconnect quickly after an oracle restarts.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 1000,
};

/**
 * A generated unary client method. TypeScript infers from the last overload of the generated
 * method, (request, callback), so that is the shape used for inference; `call` invokes the
 * (request, metadata, options, callback) overload at run time.
 */
/** A generated client's unary method, as `call` takes it. */
export type UnaryMethod<Req, Res> = (
  req: Req,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;
type UnaryMethodFull<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

/**
 * Calls a unary method with a deadline (every outbound call has one); rejects with the raw
 * ServiceError. With `waitForReady`, a call to a peer that is (re)connecting waits for it until
 * the deadline instead of failing at once.
 */
export function call<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  req: Req,
  deadlineMs: number,
  waitForReady = false,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    (method as unknown as UnaryMethodFull<Req, Res>).call(
      client,
      req,
      // grpc-js reads waitForReady from the metadata options (CallOptions has no such field).
      new grpc.Metadata({ waitForReady }),
      { deadline: Date.now() + deadlineMs },
      (err, res) => {
        if (err) {
          reject(err);
          return;
        }
        resolve(res as Res);
        return;
      },
    );
  });
}

/** Binds a server to `address` and resolves with the bound port. */
export function bind(server: grpc.Server, address: string, creds = grpc.ServerCredentials.createInsecure()) {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
      if (err) {
        reject(new MpcidError('CONFIG_INVALID', `cannot listen on ${address}: ${err.message}`));
        return;
      }
      resolve(port);
      return;
    });
  });
}

/** Stops a server: graceful first, forced after `graceMs`. */
export function shutdown(server: grpc.Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
      return;
    });
  });
}
