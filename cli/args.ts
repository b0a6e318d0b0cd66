/**
 * Command-line parsing shared by every command (cli/commands/*): options, required and integer
 * values, the TLS choice of client commands, and the usage error that makes mpcid exit 2.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ALGS, type Alg } from '../agent/state.js';
import { codeOf } from '../common/errors.js';
import { fromServiceError } from '../common/grpc.js';
import { resolveClientTls } from '../common/tls.js';

/** The --tls / --insecure options of every command that calls an oracle. */
export const TLS_OPTS = { tls: 'string', insecure: 'boolean' } as const;

/** A wrong command line: mpcid prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

/**
 * `--name VALUE` → `--name=VALUE` for every string option, so a value may start with a dash:
 * base64url identity ids, keys and nonces do one time in 64 (getopt's rule: an option that takes
 * an argument takes the next word).
 */
type OptType = 'string' | 'strings' | 'boolean';
type Values = Record<string, string | boolean | string[] | undefined>;

function joinValues(args: readonly string[], spec: Record<string, OptType>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && spec[name] !== undefined && spec[name] !== 'boolean' && i + 1 < args.length)
      out.push(`${a}=${args[++i]}`);
    else out.push(a);
  }
  return out;
}

/** Parses `args` by `spec`; a `strings` option may repeat (its value is a string[]). */
export function opts(args: string[], spec: Record<string, OptType>) {
  try {
    const { values, positionals } = parseArgs({
      args: joinValues(args, spec),
      options: Object.fromEntries(
        Object.entries(spec).map(([k, type]) => [
          k,
          type === 'strings' ? { type: 'string' as const, multiple: true } : { type },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function str(v: Values, k: string): string {
  const x = v[k];
  if (typeof x !== 'string' || x === '') throw new UsageError(`--${k} is required`);
  return x;
}

export function int(v: Values, k: string, dflt: number): number {
  const x = v[k];
  if (x === undefined) return dflt;
  const n = Number(x);
  if (typeof x !== 'string' || !Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${k} must be a non-negative integer`);
  return n;
}

/** `--algs`: a comma-separated subset of EdDSA,ES256 that includes EdDSA; absent, both. */
export function enrollAlgs(v: Values[string]): Alg[] {
  if (v === undefined) return [...ALGS];
  const list = typeof v === 'string' ? [...new Set(v.split(',').map((a) => a.trim()))] : [];
  if (!list.every((a): a is Alg => (ALGS as readonly string[]).includes(a)) || !list.includes('EdDSA'))
    throw new UsageError('--algs must be EdDSA or EdDSA,ES256 (EdDSA is the identity key)');
  return ALGS.filter((a) => list.includes(a));
}

/** Runs `fn` with a client, maps a failed call to MpcidError (keeping the server's code), closes it. */
export async function using<C extends { close(): void }, T>(
  client: C,
  what: string,
  fn: (c: C) => Promise<T>,
): Promise<T> {
  try {
    return await fn(client);
  } catch (e) {
    throw codeOf(e) !== undefined || e instanceof UsageError ? e : fromServiceError(e, what);
  } finally {
    client.close();
  }
}

export const optional = (v: Values[string]): string => (typeof v === 'string' ? v : '');

/** `--alg`: EdDSA (default) or ES256. */
export function alg(v: Values, dflt: 'EdDSA' | 'ES256' = 'EdDSA'): 'EdDSA' | 'ES256' {
  const a = v['alg'];
  if (a === undefined) return dflt;
  if (a === 'EdDSA') return 'EdDSA';
  if (a === 'ES256') return 'ES256';
  throw new UsageError('--alg must be EdDSA or ES256');
}

/** A comma-separated list option ([] when absent). */
export function list(v: Values[string]): string[] {
  return typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

/** The TLS choice of a client command (see resolveClientTls). */
export function clientTls(v: Values, stateBundle?: string) {
  const dir = v['tls'];
  if (dir === '') throw new UsageError('--tls needs a directory');
  return resolveClientTls({
    tlsDir: typeof dir === 'string' ? resolve(dir) : undefined,
    insecure: v['insecure'] === true,
    stateBundle,
  });
}

/** SIGTERM/SIGINT: a graceful stop, then exit 0 (1 if stopping failed). A second signal kills at once. */
export function waitForSignal(stop: () => Promise<void>): void {
  const handler = () => {
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`mpcid: INTERNAL: stop failed: ${(e as Error)?.message ?? String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
