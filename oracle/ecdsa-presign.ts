/**
 * The oracle's ES256 presignatures (docs/ecdsa.md §3-4): what this node keeps after an
 * es256-presign step's DKLs23 rounds 1-3 passed every check, until an es256 / jwt-es256 step of the
 * same identity names it. Counterpart: agent/ecdsa-presign.ts (the agent's pool).
 *
 * A SessionTable (oracle/session-table.ts): memory only (never persisted, never logged: a restart
 * loses them, and the agent then signs online); keyed by identity and the presign step's digest;
 * taken out before use, so each is used at most once whatever happens next; wiped when dropped
 * after PRESIGN_TTL_MS, when beyond `limits.es256PresignsPerIdentity` the identity's oldest is
 * dropped, and at close. The whole table holds at most `limits.maxEcdsaSessions`; a presign step
 * beyond that is refused with RATE_LIMITED before it is accepted (`checkRoom`), as an online
 * session is.
 */
import { MpcidError } from '../common/errors.js';
import type { Presignature } from '../crypto/ecdsa/index.js';
import { SessionTable, type TableLimits } from './session-table.js';

/** How long an oracle keeps an unused presignature (the agent drops its own sooner). */
export const PRESIGN_TTL_MS = 10 * 60_000;

/** A presignature held for an identity: the signing set it was made for, and itself. */
export interface HeldPresign {
  readonly oracles: readonly number[];
  readonly presignature: Presignature;
}

/** The table of this oracle's presignatures. */
export function presignTable(limits: () => TableLimits): SessionTable<HeldPresign> {
  return new SessionTable<HeldPresign>({
    ttlMs: PRESIGN_TTL_MS,
    limits,
    refusal: () =>
      new MpcidError('RATE_LIMITED', 'too many ES256 presignatures held on this oracle', {
        details: { scope: 'oracle', rpc: 'Step' },
      }),
    drop: (held) => held.presignature.wipe(),
  });
}
