/**
 * The agent's EdDSA step kinds (docs/protocol.md §6.1): `sign` (raw bytes) and `jwt` (a JWS
 * signing input the oracles check against their token policy), FROST Ed25519 co-signing.
 *
 * One attempt: a prefetched nonce commitment of each of the t chosen oracles (fetched first for
 * those without one), our w nonce commitments, the step naming the message and that list, sent
 * to all t (written ahead first: our w shares are computed while the disk syncs); the shares are
 * aggregated and the signature verified against the identity key before it is returned. A bad
 * share names its oracle (that oracle fails the attempt; a fresh step follows).
 */

import { codeOf, culpritsOf, MpcidError } from '../common/errors.js';
import { fromServiceError } from '../common/grpc.js';
import { commitmentFromWire, signPayloadDigest } from '../common/protocol.js';
import { checkCommitmentList, commit, signingSession } from '../crypto/frost.js';
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
  const agentNonces = state.shares.map((s) => commit(s));
  const list = checkCommitmentList(state.group.as, [
    ...oracleCommitments,
    ...agentNonces.map((x) => x.commitment),
  ]);
  const message = build(engine.counter + 1);
  // The step is written ahead with its fdatasync off the event loop; meanwhile our own w shares,
  // which need only the message and the commitment list, are computed (nothing else is waited
  // for then, and the oracles are not yet competing for the cores). They stay in this process
  // unless the round succeeds; signShare wipes the nonces either way.
  const writing = engine.stepAheadAsync(kind, signPayloadDigest(kind, message, list), {
    sign: { message, list },
  });
  let own: (readonly [number, Uint8Array])[];
  let session: ReturnType<typeof signingSession>;
  try {
    session = signingSession(state.group, list, message);
    const mine = session.signShares(state.shares.map((s, i) => [s, agentNonces[i]!.nonces] as const));
    own = state.shares.map((s, i) => [s.participant, mine[i]!] as const);
  } catch (e) {
    await writing.catch(() => undefined);
    throw e;
  }
  const step = await writing;
  const sending = engine.send(chosen, step, a.patient);
  const answered = await engine.settle(chosen, await sending, a);
  const shares = new Map<number, Uint8Array>();
  for (const [id, res] of answered) {
    if (res.next && res.next.participant === id) quorum.remember(id, [commitmentFromWire(res.next)]);
    if (res.signatureShare.length > 0) shares.set(id, new Uint8Array(res.signatureShare));
    else quorum.forgetNonces(id); // it had no nonce for us (restarted): refetch
  }
  if (shares.size < t) return RETRY;
  for (const [participant, share] of own) shares.set(participant, share);
  try {
    return { message, signature: session.aggregate(shares) };
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
}
