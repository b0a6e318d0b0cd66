/**
 * The agent's choice of oracles (agent/quorum.ts): sticky signing sets. Among equally good
 * oracles (healthy, with a cached nonce commitment) a set is kept for STICKY_STEPS picks, then a
 * fresh one is drawn at random; a failed oracle or one without a nonce still goes last at once.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OracleClient } from '../../agent/oracles.js';
import { newAttempts, Quorum, STICKY_STEPS } from '../../agent/quorum.js';
import type { AgentState } from '../../agent/state.js';
import { MpcidError } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { accessStructure } from '../../crypto/access.js';
import { baseMul } from '../../crypto/ed25519-native.js';

const N = 3;
const T = 2;

/** A Quorum over n oracles (pick only reads the access structure and the clients' node ids). */
function quorum(): Quorum {
  const state = { group: { as: accessStructure(N, T) } } as unknown as AgentState;
  const clients = Array.from({ length: N }, (_, i) => ({ nodeId: i + 1, address: `oracle-${i + 1}` }));
  return new Quorum(state, clients as unknown as OracleClient[], createLogger('quorum-test', 'silent'), {
    deadlineMs: 1000,
    prefetch: 4,
  });
}

const point = () => {
  const k = new Uint8Array(randomBytes(32));
  k[31]! &= 0x0f;
  return baseMul(k);
};

/** Gives every oracle `count` cached nonce commitments (real points). */
function stock(q: Quorum, count: number): void {
  for (let id = 1; id <= N; id++)
    q.remember(
      id,
      Array.from({ length: count }, () => ({ participant: id, hiding: point(), binding: point() })),
    );
}

const ids = (chosen: readonly OracleClient[] | undefined) => chosen!.map((c) => c.nodeId).sort();

describe('sticky signing sets', () => {
  it(`keeps a set for ${STICKY_STEPS} picks, then draws again; over many picks every oracle is asked`, () => {
    const q = quorum();
    stock(q, 1000);
    const asked = new Set<number>();
    let changes = 0;
    let previous: number[] | undefined;
    for (let round = 0; round < 40; round++) {
      const first = ids(q.pick(newAttempts()));
      for (let i = 1; i < STICKY_STEPS; i++) expect(ids(q.pick(newAttempts()))).toEqual(first);
      for (const id of first) asked.add(id);
      if (previous && previous.join() !== first.join()) changes++;
      previous = first;
    }
    expect(asked).toEqual(new Set([1, 2, 3]));
    // A fresh draw differs from the last set 2 times in 3; 40 draws never all repeat it.
    expect(changes).toBeGreaterThan(5);
  });

  it('an oracle of the set that fails, or runs out of nonces, is replaced at once', () => {
    const q = quorum();
    stock(q, 1000);
    const set = ids(q.pick(newAttempts()));
    const out = [1, 2, 3].find((id) => !set.includes(id))!;
    const a = newAttempts();
    q.fail(q.client(set[0]!), new MpcidError('PEER_UNAVAILABLE', 'down'), a.failed);
    expect(ids(q.pick(a))).toEqual([set[1]!, out].sort());
    // Penalised (not excluded) in a fresh attempt: the healthy ones come first, sticky or not.
    expect(ids(q.pick(newAttempts()))).toEqual([set[1]!, out].sort());
    q.forgetNonces(set[1]!);
    expect(ids(q.pick(newAttempts()))).toContain(out);
  });
});
