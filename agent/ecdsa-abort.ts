/**
 * Aborted ES256 sessions on the agent (docs/ecdsa.md §5): when our side of a DKLs23 session
 * fails a check, the agent signs the claim (culprit, check) with its session key, writes it to
 * disk (fsync) before anything else, reports it to every oracle (ReportAbort: each revokes the
 * identity with it as evidence and tells its peers) and stops for good. The file outlives a
 * restart: an agent that finds it never signs again, and reports it again at start.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MpcidError } from '../common/errors.js';
import { writeFileDurable } from '../common/fsutil.js';
import { call, errorCodeOf } from '../common/grpc.js';
import { LOG, type Logger } from '../common/log.js';
import { type StepJSON, stepFromJSON, stepToJSON, stepToWire } from '../common/protocol.js';
import { toB64u } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { AGENT_PARTY } from '../crypto/es256.js';
import { abortFields, type SignedStep, stepDigest } from '../crypto/ratchet.js';
import { signStatement } from '../crypto/statement.js';
import type { OracleClient } from './oracles.js';
import type { StepEngine } from './steps.js';

const ABORT_NOTE = 'reported to the oracles; an aborted session is never retried';

export const ABORT_FILE = 'ecdsa-abort.json';

/** An aborted session's claim, as the agent reports it and keeps it on disk. */
export interface AbortRecord {
  identityId: string;
  step: StepJSON;
  culprit: number;
  check: string;
  /** Session-key signature over abortFields(identity, session, 0, culprit, check), base64url. */
  signature: string;
  /** The session's public facts for the evidence: SHA-256 of the message (base64url), oracles. */
  messageDigest: string;
  oracles: number[];
}

/** Writes the claim (fsync) before it is reported: after a restart the agent still refuses to sign. */
export function writeAbort(dir: string, rec: AbortRecord): void {
  writeFileDurable(join(dir, ABORT_FILE), `${JSON.stringify(rec)}\n`, 0o600);
}

/**
 * The stored claim, if a session of this identity aborted. A file that cannot be read as one
 * still means an abort happened: it is returned as undefined only when absent.
 */
export function readAbort(dir: string): AbortRecord | 'unreadable' | undefined {
  const file = join(dir, ABORT_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as AbortRecord;
    if (
      typeof r.identityId !== 'string' ||
      typeof r.culprit !== 'number' ||
      typeof r.check !== 'string' ||
      typeof r.messageDigest !== 'string' ||
      !Array.isArray(r.oracles)
    )
      return 'unreadable';
    return r;
  } catch {
    return 'unreadable';
  }
}

/** The revocation an agent that finds `aborted` on disk holds itself to. */
export function abortedRevocation(aborted: AbortRecord | 'unreadable'): MpcidError {
  return new MpcidError(
    'IDENTITY_REVOKED',
    aborted === 'unreadable'
      ? `an ECDSA session aborted (${ABORT_NOTE})`
      : `an ECDSA session aborted (${aborted.check}, party ${aborted.culprit}; ${ABORT_NOTE})`,
  );
}

/**
 * Our side of a session aborted: sign the claim (culprit, check) with the session key, write
 * it to disk, report it to every oracle and stop for good. Throws ECDSA_ABORT naming the culprit.
 */
export async function reportAbort(
  engine: StepEngine,
  signed: SignedStep,
  facts: { messageDigest: Uint8Array; oracles: readonly number[] },
  abort: { culprit: number; check: string },
  cause: MpcidError,
): Promise<never> {
  const { identityId, sessionKey } = engine.state;
  const signature = signStatement(
    sessionKey,
    STATEMENT_DOMAINS.ecdsaAbort,
    ...abortFields(identityId, stepDigest(signed.step), AGENT_PARTY, abort.culprit, abort.check),
  );
  const rec = {
    identityId,
    step: stepToJSON(signed),
    ...abort,
    signature: toB64u(signature),
    messageDigest: toB64u(facts.messageDigest),
    oracles: [...facts.oracles],
  };
  writeAbort(engine.dir, rec);
  engine.revoke(abortedRevocation(rec));
  engine.log.error(
    {
      [LOG.identity]: identityId,
      culprit: abort.culprit,
      check: abort.check,
      [LOG.errorCode]: cause.code,
      [LOG.errorMessage]: cause.message,
    },
    'ECDSA session aborted: reporting it; the identity is revoked and never signs again (an aborted session is never retried)',
  );
  await sendAbort(engine.quorum.clients, engine.quorum.deadlineMs, engine.log, rec);
  throw new MpcidError(
    'ECDSA_ABORT',
    `ECDSA session aborted (${abort.check}, party ${abort.culprit}): identity revoked, never retried`,
    { details: abort },
  );
}

/**
 * Sends a stored abort claim to every oracle (ReportAbort). An oracle holds the revocation when
 * it answers revoked, or refuses with IDENTITY_REVOKED (it was revoked already).
 */
export async function sendAbort(
  clients: readonly OracleClient[],
  deadlineMs: number,
  log: Logger,
  rec: AbortRecord,
): Promise<void> {
  const step = stepFromJSON(rec.step, 'abort.step');
  const req = {
    identityId: rec.identityId,
    step: stepToWire(step),
    abort: {
      accuser: AGENT_PARTY,
      culprit: rec.culprit,
      check: rec.check,
      signature: Buffer.from(rec.signature, 'base64url'),
      messageDigest: Buffer.from(rec.messageDigest, 'base64url'),
      oracles: rec.oracles,
    },
  };
  const res = await Promise.allSettled(
    clients.map((c) => call(c.signer, c.signer.ReportAbort, req, deadlineMs)),
  );
  const acks = res.filter((r) =>
    r.status === 'fulfilled' ? r.value.revoked : errorCodeOf(r.reason) === 'IDENTITY_REVOKED',
  ).length;
  log.warn(
    { [LOG.identity]: rec.identityId, [LOG.count]: acks },
    `ECDSA abort reported: ${acks} of ${clients.length} oracles hold the revocation`,
  );
}
