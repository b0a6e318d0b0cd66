/**
 * CLI commands for alerts and revocation evidence (docs/protocol.md §7):
 *   mpcid alerts watch --admin ADDR [--cursor N]     one JSON line per alert event
 *   mpcid alerts dead --admin ADDR                   one JSON line per dead letter
 *   mpcid console login --admin ADDR [--base URL]    a one-time console login link
 *   mpcid evidence get --admin ADDR --identity ID    the evidence document of a revoked identity
 *   mpcid evidence verify FILE [--session-key B64U] [--accuser-key B64U]
 *                                                    offline check of an evidence document
 */
import * as grpc from '@grpc/grpc-js';
import { asMpcidError } from '../common/errors.js';
import { call, fromServiceError } from '../common/grpc.js';
import { verifyOperatorRevocation } from '../common/operator-revocation.js';
import { type EvidenceJSON, evidenceFromJSON } from '../common/protocol.js';
import type { TlsMaterial } from '../common/tls.js';
import { fromB64u, toB64u } from '../crypto/bytes.js';
import { type Evidence, evidenceDigest, verifyEvidence } from '../crypto/ratchet.js';
import type { AlertEventMessage__Output } from '../proto/gen/mpcid/admin/v1/AlertEventMessage.js';
import { adminClient } from './clients.js';

/**
 * An exported evidence file: the evidence plus the session public key that signed the steps and,
 * for an oracle's ECDSA abort claim, that oracle's node public key (`accuserPublicKey`).
 */
export interface EvidenceDocument extends EvidenceJSON {
  sessionPublicKey: string;
  accuserPublicKey?: string;
}

export interface EvidenceVerdict {
  valid: boolean;
  /** An operator's revocation: the signing certificate's CN. */
  operator?: string;
  /** The conflict rule the steps break when valid; why the document was refused otherwise. */
  reason: string;
  /** Evidence digest computed from the steps (the alert id), or null if the steps are unreadable. */
  digest: string | null;
  identityId: string | null;
}

/**
 * Checks an operator's revocation document offline with the cluster CA certificate (PEM): the
 * certificate issued by the CA, role admin, valid when signed, and its signature over the
 * statement; a `digest` in the file must be the one the bytes give. Never throws.
 */
export function verifyOperatorDocument(doc: unknown, caPem: Buffer): EvidenceVerdict {
  const o = (doc ?? {}) as { identityId?: unknown };
  const identityId = typeof o.identityId === 'string' ? o.identityId : null;
  try {
    const v = verifyOperatorRevocation(doc, caPem);
    return { valid: true, reason: v.reason, digest: v.digest, identityId, operator: v.operator };
  } catch (e) {
    return { valid: false, reason: describe(e), digest: null, identityId };
  }
}

/**
 * Checks an evidence document offline with the identity's session public key: both steps signed
 * by it, for the same identity, and in conflict; the document's own `digest` and `reason`, when
 * present, must be the ones the steps give. For abort evidence: the es256 step signed by the
 * session key, its payload digest matching the document's `messageDigest` and `oracles`, the
 * oracles distinct ascending ids >= 1, the accuser the agent or one of them (with its claim
 * signature), the culprit the agent, one of them or 255 and not the accuser. Offline the
 * cluster's n and t are unknown, so the size of the signing set and ids above n are not checked
 * (oracles do check them). Never throws.
 */
export function verifyEvidenceDocument(
  doc: unknown,
  sessionPublicKey: Uint8Array,
  accuserPublicKey?: Uint8Array,
): EvidenceVerdict {
  const o = (doc ?? {}) as Partial<EvidenceDocument>;
  const identityId = typeof o.identityId === 'string' ? o.identityId : null;
  let evidence: Evidence;
  try {
    evidence = evidenceFromJSON(doc);
  } catch (e) {
    return { valid: false, reason: describe(e), digest: null, identityId };
  }
  const digest = toB64u(evidenceDigest(evidence));
  try {
    const accuser = evidence.abort?.accuser;
    const nodeKeys = new Map<number, Uint8Array>(
      accuser !== undefined && accuser !== 0 && accuserPublicKey ? [[accuser, accuserPublicKey]] : [],
    );
    const reason = verifyEvidence(sessionPublicKey, evidence, nodeKeys);
    if (o.digest !== undefined && o.digest !== digest)
      return { valid: false, reason: 'BAD_EVIDENCE: digest does not match the steps', digest, identityId };
    if (o.reason !== undefined && o.reason !== reason)
      return {
        valid: false,
        reason: `BAD_EVIDENCE: the steps show ${reason}, not ${o.reason}`,
        digest,
        identityId,
      };
    return { valid: true, reason, digest, identityId };
  } catch (e) {
    return { valid: false, reason: describe(e), digest, identityId };
  }
}

function describe(e: unknown): string {
  const known = asMpcidError(e);
  return known ? `${known.code}: ${known.message}` : `BAD_EVIDENCE: ${(e as Error)?.message ?? e}`;
}

/** Decodes a base64url Ed25519 public key given on the command line or in a document. */
export function sessionKeyFrom(value: unknown, field: string): Uint8Array {
  return fromB64u(value, field, 32);
}

/** Fetches the evidence document of a revoked identity from one oracle. */
export async function getEvidence(
  adminAddress: string,
  identityId: string,
  tls: TlsMaterial | null,
): Promise<EvidenceDocument> {
  return withAdmin(adminAddress, tls, 'evidence get', async (admin) => {
    const r = await call(admin, admin.GetRevocation, { identityId }, 10_000);
    return {
      ...(JSON.parse(r.evidenceJson) as EvidenceJSON),
      sessionPublicKey: r.sessionPublicKey.toString('base64url'),
      ...(r.accuserPublicKey.length > 0
        ? { accuserPublicKey: r.accuserPublicKey.toString('base64url') }
        : {}),
    };
  });
}

/** Runs one admin call on a fresh client: a failed call becomes an MpcidError with the server's code. */
async function withAdmin<T>(
  adminAddress: string,
  tls: TlsMaterial | null,
  what: string,
  fn: (admin: ReturnType<typeof adminClient>) => Promise<T>,
): Promise<T> {
  const admin = adminClient(adminAddress, tls);
  try {
    return await fn(admin);
  } catch (e) {
    throw fromServiceError(e, what);
  } finally {
    admin.close();
  }
}

/**
 * Prints one JSON line ({seq, ...event}) per alert event from `cursor` on, until SIGINT/SIGTERM.
 * When the oracle goes away (restart, shutdown) it reconnects and resumes after the last seq it
 * printed, so no event is skipped or printed twice.
 */
export async function watchAlerts(
  adminAddress: string,
  cursor: number,
  tls: TlsMaterial | null,
  out: (line: string) => void = (l) => process.stdout.write(l),
  note: (line: string) => void = (l) => process.stderr.write(l),
): Promise<void> {
  const admin = adminClient(adminAddress, tls);
  let stream: grpc.ClientReadableStream<AlertEventMessage__Output> | undefined;
  let interrupted = false;
  let wakeUp: (() => void) | undefined;
  const onSignal = () => {
    interrupted = true;
    stream?.cancel();
    wakeUp?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let delayMs = 500;
  try {
    while (!interrupted) {
      const err = await new Promise<grpc.ServiceError | undefined>((resolve) => {
        const s = admin.WatchAlerts({ cursor });
        stream = s;
        s.on('data', (m: AlertEventMessage__Output) => {
          if (m.seq <= cursor) return;
          cursor = m.seq;
          delayMs = 500;
          out(`${JSON.stringify({ seq: m.seq, ...(JSON.parse(m.json) as object) })}\n`);
        });
        s.on('error', (e: grpc.ServiceError) => resolve(e));
        s.on('end', () => resolve(undefined));
      });
      if (interrupted) break;
      if (err && err.code !== grpc.status.UNAVAILABLE) throw fromServiceError(err, 'alerts watch');
      note(
        `mpcid: ${err ? `PEER_UNAVAILABLE: ${err.details}` : 'stream ended'}; reconnecting after seq ${cursor}\n`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      delayMs = Math.min(delayMs * 2, 10_000);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    admin.close();
  }
}

/** The dead letters of one oracle: events its webhooks refused past the dead-letter bound. */
export async function listDeadLetters(
  adminAddress: string,
  tls: TlsMaterial | null,
  out: (line: string) => void = (l) => process.stdout.write(l),
): Promise<number> {
  return withAdmin(adminAddress, tls, 'alerts dead', async (admin) => {
    const r = await call(admin, admin.ListDeadLetters, { limit: 10_000 }, 10_000);
    for (const d of r.deadLetters)
      out(
        `${JSON.stringify({
          webhook: d.webhook,
          sink: d.sink,
          seq: d.seq,
          eventId: d.eventId,
          attempts: d.attempts,
          bound: d.bound,
          lastError: d.lastError,
          queuedAt: new Date(d.queuedAt).toISOString(),
          deadAt: new Date(d.deadAt).toISOString(),
          event: JSON.parse(d.json) as unknown,
        })}\n`,
      );
    return r.deadLetters.length;
  });
}

/**
 * A one-time console login link from one oracle (SECRET until used): `base` (the URL the
 * operator's browser reaches the oracle's HTTP port at) + the path; without `base`, the oracle's
 * http.listen, with the admin address's host when it listens on every address.
 */
export async function consoleLogin(
  adminAddress: string,
  tls: TlsMaterial | null,
  base?: string,
): Promise<{ url: string; expiresAt: string }> {
  return withAdmin(adminAddress, tls, 'console login', async (admin) => {
    const r = await call(admin, admin.CreateConsoleLogin, {}, 10_000);
    let origin = base?.replace(/\/+$/, '');
    if (!origin) {
      const i = r.httpListen.lastIndexOf(':');
      let host = r.httpListen.slice(0, i);
      if (host === '0.0.0.0' || host === '[::]' || host === '::')
        host = adminAddress.slice(0, adminAddress.lastIndexOf(':'));
      origin = `${r.https ? 'https' : 'http'}://${host}:${r.httpListen.slice(i + 1)}`;
    }
    return { url: `${origin}${r.path}`, expiresAt: new Date(r.expiresAt).toISOString() };
  });
}
