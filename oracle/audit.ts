/**
 * The audit trail (docs/protocol.md §5): every step this node accepts is logged with its
 * identity, counter, kind, the client (certificate fingerprint under mTLS, else address), the
 * time and, for tokens, the token's jti/aud/exp/typ. The entry is written in the same sync batch
 * as the step's ratchet state (OracleStore.putRatchet), so it shares the step's group commit and
 * fail-stop: a step is never answered without its entry, nor logged without being accepted.
 * Retention (config `audit`) drops entries by age and by count per identity, on a timer.
 * `ListAudit` (admin) pages one identity's entries, oldest first, filtered by time and kind.
 */
import { ensure, MpcidError } from '../common/errors.js';
import { parseSigningInput } from '../common/jwt.js';
import { LOG } from '../common/log.js';
import { STEP_KINDS, type Step } from '../crypto/ratchet.js';
import type { AuditEntry as AuditEntryWire } from '../proto/gen/mpcid/admin/v1/AuditEntry.js';
import type { ListAuditRequest__Output } from '../proto/gen/mpcid/admin/v1/ListAuditRequest.js';
import type { ListAuditResponse } from '../proto/gen/mpcid/admin/v1/ListAuditResponse.js';
import type { OracleContext } from './context.js';
import type { AuditEntry } from './records.js';

const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;
const KINDS: ReadonlySet<string> = new Set(STEP_KINDS);
/** Entries scanned per ListAudit call at most (filters may skip many; the token resumes). */
const MAX_SCAN = 5000;

/** A token's audited fields, from its signing input (absent fields are left out). */
export type TokenAudit = Pick<AuditEntry, 'jti' | 'aud' | 'exp' | 'typ'>;

/** What the signer knows about a step's request, for its audit entry. */
export interface AuditContext {
  client: string;
  token?: TokenAudit;
  /** Unseal steps: the blob id (base64url). */
  blobId?: string;
  /** Measure steps: the register extended and the measured digest (hex). */
  measure?: { register: number; measured: string };
}

/** The jti, aud, exp and typ of a token step's signing input, as far as they have the right types. */
export function tokenAudit(message: Uint8Array): TokenAudit {
  const parsed = parseSigningInput(message);
  if (!parsed) return {};
  const { header, claims } = parsed;
  const aud = claims['aud'];
  const str = (v: unknown) => typeof v === 'string' && v.length <= 512;
  return {
    ...(str(claims['jti']) ? { jti: claims['jti'] as string } : {}),
    ...(str(aud) || (Array.isArray(aud) && aud.length <= 16 && aud.every(str))
      ? { aud: aud as string | string[] }
      : {}),
    ...(Number.isSafeInteger(claims['exp']) ? { exp: claims['exp'] as number } : {}),
    ...(str(header['typ']) ? { typ: header['typ'] as string } : {}),
  };
}

/** The audit entry of an accepted step (`head`: the head after it, base64url). */
export function auditEntry(ctx: AuditContext, step: Step, head: string, refusal?: string): AuditEntry {
  return {
    identityId: step.identityId,
    counter: step.counter,
    kind: step.kind,
    time: Date.now(),
    client: ctx.client.slice(0, 200),
    head,
    ...(ctx.token ?? {}),
    ...(ctx.blobId ? { blobId: ctx.blobId } : {}),
    ...(ctx.measure ? { register: ctx.measure.register, measured: ctx.measure.measured } : {}),
    ...(refusal ? { refusal } : {}),
  };
}

function entryToWire(e: AuditEntry): AuditEntryWire {
  return {
    identityId: e.identityId,
    counter: e.counter,
    kind: e.kind,
    time: e.time,
    client: e.client,
    jti: e.jti ?? '',
    audJson: e.aud === undefined ? '' : JSON.stringify(e.aud),
    exp: e.exp ?? 0,
    typ: e.typ ?? '',
    refusal: e.refusal ?? '',
    blobId: e.blobId ?? '',
    register: e.register ?? -1,
    measured: e.measured ?? '',
  };
}

export class AuditService {
  readonly #ctx: OracleContext;
  #timer: NodeJS.Timeout | undefined;
  #pruning: Promise<void> | undefined;

  constructor(ctx: OracleContext) {
    this.#ctx = ctx;
  }

  /** Drops entries past the retention bounds now (also run by the timer). */
  prune(): Promise<void> {
    this.#pruning ??= (async () => {
      const { retentionSeconds, maxEntriesPerIdentity } = this.#ctx.config.audit;
      try {
        const deleted = await this.#ctx.store.pruneAudit(
          Date.now() - retentionSeconds * 1000,
          maxEntriesPerIdentity,
        );
        if (deleted > 0) this.#ctx.log.info({ [LOG.count]: deleted }, 'audit log: old entries dropped');
      } catch (e) {
        this.#ctx.log.warn(
          { [LOG.errorCode]: e instanceof MpcidError ? e.code : 'INTERNAL' },
          'audit log retention failed; retried at the next interval',
        );
      } finally {
        this.#pruning = undefined;
      }
    })();
    return this.#pruning;
  }

  start(): void {
    const ms = this.#ctx.config.audit.pruneIntervalSeconds * 1000;
    this.#timer = setInterval(() => void this.prune(), ms).unref();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#pruning;
  }

  /** ListAudit: one identity's entries, oldest first; `page_token` is the last counter returned. */
  async list(req: ListAuditRequest__Output): Promise<ListAuditResponse> {
    const { record } = await this.#ctx.identity(req.identityId, { allowRevoked: true });
    ensure(
      Number.isSafeInteger(req.since) && req.since >= 0,
      'MALFORMED_INPUT',
      'since: expected Unix milliseconds',
    );
    ensure(
      req.kind === '' || KINDS.has(req.kind),
      'MALFORMED_INPUT',
      `kind: one of ${STEP_KINDS.join(', ')}`,
    );
    ensure(
      req.pageToken === '' || /^(0|[1-9][0-9]{0,15})$/.test(req.pageToken),
      'MALFORMED_INPUT',
      'page_token: malformed',
    );
    const size = Math.min(req.pageSize || DEFAULT_PAGE, MAX_PAGE);
    let after = req.pageToken === '' ? -1 : Number(req.pageToken);
    const entries: AuditEntryWire[] = [];
    let scanned = 0;
    for (;;) {
      const batch = await this.#ctx.store.listAudit(record.identityId, after, size + 1);
      for (const e of batch) {
        // A full page with an entry left: the next page resumes after the last one looked at.
        if (entries.length === size) return { entries, nextPageToken: String(after) };
        scanned++;
        after = e.counter;
        if (e.time >= req.since && (req.kind === '' || e.kind === req.kind)) entries.push(entryToWire(e));
        if (scanned >= MAX_SCAN) return { entries, nextPageToken: String(after) };
      }
      if (batch.length <= size) return { entries, nextPageToken: '' };
    }
  }
}
