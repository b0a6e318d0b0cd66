import { describe, expect, it } from 'vitest';
import {
  accessStructure,
  agentParticipants,
  checkSigningSet,
  isAgentParticipant,
  isOracleParticipant,
  MAX_ORACLES,
  oracleParticipants,
} from '../../crypto/access.js';
import { expectMpcidError, subsets } from './helpers.js';

describe('accessStructure', () => {
  it.each([
    // n, t, w, threshold, total
    [1, 1, 1, 2, 2],
    [2, 2, 1, 3, 3],
    [3, 2, 2, 4, 5],
    [3, 3, 1, 4, 4],
    [5, 3, 3, 6, 8],
    [5, 4, 2, 6, 7],
  ])('(n=%i, t=%i) gives w=%i, threshold=%i, total=%i', (n, t, w, threshold, total) => {
    const as = accessStructure(n, t);
    expect(as).toEqual({ n, t, w, threshold, total });
    expect(Object.isFrozen(as)).toBe(true);
  });

  it('accepts the largest cluster', () => {
    const as = accessStructure(MAX_ORACLES, MAX_ORACLES);
    expect(as.total).toBe(MAX_ORACLES + 1);
    expect(accessStructure(MAX_ORACLES, Math.floor(MAX_ORACLES / 2) + 1).n).toBe(MAX_ORACLES);
  });

  it.each([
    [2, 1], // t = n/2: two disjoint quorums possible
    [4, 2],
    [6, 3],
    [5, 2],
    [3, 1],
    [3, 4], // t > n
    [1, 2],
    [5, 6],
    [0, 0],
    [0, 1],
    [1, 0],
    [3, -1],
    [-1, 1],
    [2.5, 2],
    [3, 2.5],
    [Number.NaN, 1],
    [3, Number.NaN],
    [Number.POSITIVE_INFINITY, 1],
    [MAX_ORACLES + 1, MAX_ORACLES + 1],
    [MAX_ORACLES + 1, MAX_ORACLES],
  ])('rejects (n=%s, t=%s) with MALFORMED_INPUT', (n, t) => {
    expectMpcidError(() => accessStructure(n, t), 'MALFORMED_INPUT');
  });

  it('rejects non-number arguments', () => {
    expectMpcidError(() => accessStructure('3' as unknown as number, 2), 'MALFORMED_INPUT');
    expectMpcidError(() => accessStructure(3, '2' as unknown as number), 'MALFORMED_INPUT');
    expectMpcidError(() => accessStructure(3n as unknown as number, 2), 'MALFORMED_INPUT');
  });

  it('any coalition of parties holds >= threshold points iff it is the agent plus >= t oracles', () => {
    // The agent holds all its w points at once; each oracle holds one. Shamir with threshold T
    // lets a coalition sign iff it holds >= T points.
    for (let n = 1; n <= 9; n++) {
      for (let t = Math.floor(n / 2) + 1; t <= n; t++) {
        const as = accessStructure(n, t);
        for (let k = 0; k <= n; k++) {
          expect(k >= as.threshold, `n=${n} t=${t} ${k} oracles alone`).toBe(false);
          expect(as.w + k >= as.threshold, `n=${n} t=${t} agent + ${k} oracles`).toBe(k >= t);
        }
        // Two disjoint quorums cannot exist.
        expect(2 * t > n).toBe(true);
      }
    }
  });

  it('assigns oracles points 1..n and the agent points n+1..n+w', () => {
    const as = accessStructure(5, 3);
    expect(oracleParticipants(as)).toEqual([1, 2, 3, 4, 5]);
    expect(agentParticipants(as)).toEqual([6, 7, 8]);
    for (let p = -1; p <= 10; p++) {
      expect(isOracleParticipant(as, p), `oracle ${p}`).toBe(p >= 1 && p <= 5);
      expect(isAgentParticipant(as, p), `agent ${p}`).toBe(p >= 6 && p <= 8);
    }
    expect(isOracleParticipant(as, 1.5)).toBe(false);
    expect(isAgentParticipant(as, 6.5)).toBe(false);
    expect(agentParticipants(accessStructure(3, 3))).toEqual([4]);
  });
});

describe('checkSigningSet', () => {
  const clusters: [number, number][] = [
    [1, 1],
    [3, 2],
    [3, 3],
    [5, 3],
    [5, 4],
  ];

  it.each(clusters)('(n=%i, t=%i) accepts the agent points plus every t-subset of oracles', (n, t) => {
    const as = accessStructure(n, t);
    const agent = agentParticipants(as);
    const quorums = subsets(oracleParticipants(as), t);
    expect(quorums.length).toBeGreaterThan(0);
    for (const q of quorums) {
      // Order does not matter; the result is the sorted oracle list.
      expect(checkSigningSet(as, [...q].reverse().concat(agent))).toEqual(q);
      expect(checkSigningSet(as, [...agent, ...q])).toEqual(q);
    }
  });

  it.each(clusters)('(n=%i, t=%i) rejects a set missing any agent point', (n, t) => {
    const as = accessStructure(n, t);
    const agent = agentParticipants(as);
    const q = oracleParticipants(as).slice(0, t);
    for (const missing of agent) {
      expectMpcidError(
        () => checkSigningSet(as, [...q, ...agent.filter((a) => a !== missing)]),
        'BAD_PARTICIPANT',
        new RegExp(`agent participant ${missing}\\b`),
      );
    }
    // All oracles, no agent at all.
    expectMpcidError(() => checkSigningSet(as, oracleParticipants(as)), 'BAD_PARTICIPANT');
  });

  it.each(clusters)('(n=%i, t=%i) rejects t-1 and t+1 oracles', (n, t) => {
    const as = accessStructure(n, t);
    const agent = agentParticipants(as);
    for (const q of subsets(oracleParticipants(as), t - 1)) {
      expectMpcidError(() => checkSigningSet(as, [...agent, ...q]), 'BAD_PARTICIPANT', /quorum/);
    }
    for (const q of subsets(oracleParticipants(as), t + 1)) {
      expectMpcidError(() => checkSigningSet(as, [...agent, ...q]), 'BAD_PARTICIPANT', /quorum/);
    }
  });

  it('rejects duplicates, including a duplicate that pads the oracle count', () => {
    const as = accessStructure(5, 3);
    const agent = agentParticipants(as);
    expectMpcidError(() => checkSigningSet(as, [...agent, 1, 2, 2]), 'BAD_PARTICIPANT', /twice/);
    expectMpcidError(() => checkSigningSet(as, [...agent, 1, 2, 3, 3]), 'BAD_PARTICIPANT', /twice/);
    expectMpcidError(() => checkSigningSet(as, [...agent, 6, 1, 2, 3]), 'BAD_PARTICIPANT', /twice/);
  });

  it('rejects participants outside 1..N', () => {
    const as = accessStructure(5, 3);
    const agent = agentParticipants(as);
    for (const bad of [0, -1, 9, 100, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectMpcidError(() => checkSigningSet(as, [...agent, 1, 2, bad]), 'BAD_PARTICIPANT', /outside/);
    }
    expectMpcidError(
      () => checkSigningSet(as, [...agent, 1, 2, '3' as unknown as number]),
      'BAD_PARTICIPANT',
    );
  });
});
