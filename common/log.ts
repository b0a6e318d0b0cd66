/**
 * Structured logging (pino). Log keys are constants so that every line uses the same names,
 * and secret-bearing fields are redacted even if one is passed by mistake.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;

/** Every structured log key mpcid uses. */
export const LOG = {
  component: 'component',
  nodeId: 'nodeId',
  method: 'method',
  identity: 'identityId',
  name: 'name',
  tokenId: 'tokenId',
  address: 'address',
  peer: 'peer',
  errorCode: 'errorCode',
  errorMessage: 'errorMessage',
  err: 'err',
  count: 'count',
  durationMs: 'durationMs',
  reachable: 'reachable',
} as const;

/** Field names that may carry secrets; pino replaces their values wherever they appear. */
const REDACT = [
  'token',
  'joinToken',
  'secret',
  'signingShare',
  'share',
  'shares',
  'nonces',
  'seed',
  'sessionKey',
  'nodeKey',
  '*.token',
  '*.joinToken',
  '*.secret',
  '*.signingShare',
  '*.share',
  '*.shares',
  '*.nonces',
  '*.seed',
  '*.sessionKey',
  '*.nodeKey',
];

/** Logs go to stderr: stdout belongs to the command's output (JSON lines other tools parse). */
export function createLogger(component: string, level = process.env['MPCID_LOG_LEVEL'] ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { [LOG.component]: component, pid: process.pid },
      redact: { paths: REDACT, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
