/**
 * The agent's EdDSA step kinds (docs/protocol.md §6.1): `sign` (raw bytes) and `jwt` (a JWS
 * signing input the oracles check against their token policy), FROST Ed25519 co-signing.
 *
 * One attempt: a prefetched nonce commitment of each of the t chosen oracles (fetched first for
 * those without one), our w nonce commitments, the step naming the message and that list,
 * written ahead and sent to all t. Our w shares are made once the answers are in, against the
 * group commitment the oracles report (the aggregator's shortcut: the signature is kept only if
 * it verifies against the identity key); otherwise, or if it does not verify, over our own
 * group commitment, and every share is checked. A bad share names its oracle (that oracle fails
 * the attempt; a fresh step follows).
 */

import { codeOf, culpritsOf, MpcidError } from '../common/errors.js';
import { fromServiceError } from '../common/grpc.js';
import { LOG } from '../common/log.js';
import { commitmentFromWire, signPayloadDigest } from '../common/protocol.js';
import { equalBytes } from '../crypto/bytes.js';
import { decodePoint } from '../crypto/ed25519.js';
import {
  checkCommitmentList,
  commit,
  type KeyShare,
  type NonceCommitment,
  type SigningNonces,
  type SigningSession,
  signingSession,
} from '../crypto/frost.js';
import type { OracleClient } from './oracles.js';
import type { Attempts } from './quorum.js';
import { RETRY, type StepEngine, type StepFlow } from './steps.js';

/** A co-signed message: the bytes signed and the verified Ed25519 signature. */
export interface Signed {
  message: Uint8Array;
  signature: Uint8Array;
}

/** The `sign` or `jwt` step over `build(counter)` (the counter of the step that signs it). */
export function eddsaFlow(
  engine: StepEngine,
  kind: 'sign' | 'jwt',
  build: (counter: number) => Uint8Array,
): StepFlow<Signed> {
  return { targets: 'set', attempt: (chosen, a) => attempt(engine, kind, build, chosen, a) };
}

async function attempt(
  engine: StepEngine,
  kind: 'sign' | 'jwt',
  build: (counter: number) => Uint8Array,
  chosen: readonly OracleClient[],
  a: Attempts,
): Promise<Signed | typeof RETRY> {
  const { state, quorum } = engine;
  const { t } = state.group.as;
  const missing = chosen.filter((c) => !quorum.hasNonce(c.nodeId));
  const fetched = await Promise.allSettled(
    missing.map((c) => quorum.fetchNonces(c, engine.counter, a.patient)),
  );
  fetched.forEach((r, i) => {
    if (r.status === 'rejected') {
      const c = missing[i]!;
      quorum.fail(c, engine.refusal(fromServiceError(r.reason, `oracle ${c.nodeId}`), c.nodeId), a.failed);
    }
  });
  if (fetched.some((r) => r.status === 'rejected')) return RETRY;
  quorum.warmOthers(chosen, engine.counter);

  const oracleCommitments = chosen.map((c) => quorum.takeNonce(c.nodeId));
  // A commitment damaged on its way (or a lying oracle's) fails its oracle, like a bad share, and
  // a fresh step follows with others; it does not fail the signature (found by npm run trials).
  const damaged = chosen.filter((_, i) => !validCommitment(oracleCommitments[i]!));
  for (const c of damaged) {
    quorum.fail(
      c,
      new MpcidError('MALFORMED_POINT', `oracle ${c.nodeId} (${c.address}) sent an invalid nonce commitment`),
      a.failed,
    );
  }
  if (damaged.length > 0) return RETRY;
  const agentNonces = state.shares.map((s) => commit(s));
  const pairs = state.shares.map((s, i) => [s, agentNonces[i]!.nonces] as const);
  try {
    const list = checkCommitmentList(state.group.as, [
      ...oracleCommitments,
      ...agentNonces.map((x) => x.commitment),
    ]);
    const message = build(engine.counter + 1);
    // Written ahead (its fdatasync off the event loop), then sent. Our w shares need the group
    // commitment R; each oracle that co-signs reports the R it computed, so they are made only
    // once the answers are in, against that R (the aggregator's shortcut, docs/protocol.md §6.1).
    const step = await engine.stepAheadAsync(kind, signPayloadDigest(kind, message, list), {
      sign: { message, list },
    });
    const answered = await engine.settle(chosen, await engine.send(chosen, step, a.patient), a);
    const shares = new Map<number, Uint8Array>();
    const reported = new Map<number, Uint8Array>();
    for (const [id, res] of answered) {
      if (res.next && res.next.participant === id) quorum.remember(id, [commitmentFromWire(res.next)]);
      if (res.signatureShare.length > 0) shares.set(id, new Uint8Array(res.signatureShare));
      else quorum.forgetNonces(id); // it had no nonce for us (restarted): refetch
      if (res.groupCommitment.length > 0) reported.set(id, new Uint8Array(res.groupCommitment));
    }
    if (shares.size < t) return RETRY;
    const session = signingSession(state.group, list, message);
    try {
      const fast = shortcut(session, reported, shares, pairs);
      if (fast) return { message, signature: fast };
      const signature = fullAggregate(session, shares, pairs);
      warnWrongCommitments(engine, session, reported);
      return { message, signature };
    } catch (e) {
      if (codeOf(e) === 'BAD_SIGNATURE_SHARE') {
        // crypto/ names the participant whose share failed to verify, in its typed culprits.
        const culprits = culpritsOf(e);
        const culprit = chosen.find((c) => culprits.includes(c.nodeId));
        if (culprit) {
          quorum.fail(
            culprit,
            new MpcidError(
              'BAD_SIGNATURE_SHARE',
              `oracle ${culprit.nodeId} (${culprit.address}) sent an invalid signature share`,
            ),
            a.failed,
          );
          return RETRY;
        }
      }
      throw e;
    }
  } finally {
    // Our nonces are used at most once, whatever happened (signShares wiped them already).
    for (const [, nonces] of pairs) {
      nonces.hiding.wipe();
      nonces.binding.wipe();
    }
  }
}

/** Both points valid (RFC 9591 §3.1; checked once per array, usually already when it arrived). */
function validCommitment(c: NonceCommitment): boolean {
  try {
    decodePoint(c.hiding, 'hiding');
    decodePoint(c.binding, 'binding');
    return true;
  } catch {
    return false;
  }
}

/**
 * The signature from the oracles' reported group commitment, when every oracle that reported
 * one reported the same R and the result verifies (the shortcut wipes our nonces then); else
 * undefined.
 */
function shortcut(
  session: SigningSession,
  reported: ReadonlyMap<number, Uint8Array>,
  shares: ReadonlyMap<number, Uint8Array>,
  pairs: readonly (readonly [KeyShare, SigningNonces])[],
): Uint8Array | undefined {
  const [R, ...others] = [...reported.values()];
  if (!R || others.some((x) => !equalBytes(x, R))) return undefined;
  return session.aggregateAgainst(R, pairs, shares);
}

/** Names every oracle whose reported group commitment is not the step's (it misbehaved or is broken). */
function warnWrongCommitments(
  engine: StepEngine,
  session: SigningSession,
  reported: ReadonlyMap<number, Uint8Array>,
): void {
  const R = session.groupCommitment();
  if (!R) return;
  for (const [nodeId, r] of reported) {
    if (equalBytes(r, R)) continue;
    engine.log.warn(
      { [LOG.peer]: nodeId, [LOG.identity]: engine.state.identityId },
      'an oracle reported a group commitment that is not the one of the step; the signature was made without it',
    );
  }
}

/** RFC 9591 §5.2-5.3 in full: our shares over our own R, then aggregate (names a bad share). */
function fullAggregate(
  session: SigningSession,
  shares: Map<number, Uint8Array>,
  pairs: readonly (readonly [KeyShare, SigningNonces])[],
): Uint8Array {
  const mine = session.signShares(pairs);
  pairs.forEach(([s], i) => {
    shares.set(s.participant, mine[i]!);
  });
  return session.aggregate(shares);
}
