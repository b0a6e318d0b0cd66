/**
 * The oracle's memory of GetNonces request ids (oracle/signer.ts SeenRequests, docs/protocol.md
 * §6.1) in process: a repeat is seen, ids below the floor are forgotten, and memory is bounded
 * per identity and in the number of identities.
 */
import { describe, expect, it } from 'vitest';
import { SEEN_REQUESTS_PER_IDENTITY, SeenRequests } from '../../oracle/nonces.js';

describe('SeenRequests', () => {
  it('a request id is seen once recorded, per identity', () => {
    const s = new SeenRequests();
    expect(s.has('a', 'r1', 0)).toBe(false);
    s.add('a', 'r1', 3);
    expect(s.has('a', 'r1', 0)).toBe(true);
    expect(s.has('b', 'r1', 0)).toBe(false);
  });

  it('ids below the floor are forgotten (a request there is refused on its counter alone)', () => {
    const s = new SeenRequests();
    s.add('a', 'old', 2);
    s.add('a', 'cur', 5);
    expect(s.has('a', 'old', 2)).toBe(true);
    expect(s.has('a', 'old', 3)).toBe(false);
    // Forgotten for good, even if the floor were asked lower again.
    expect(s.has('a', 'old', 0)).toBe(false);
    expect(s.has('a', 'cur', 5)).toBe(true);
  });

  it('at most SEEN_REQUESTS_PER_IDENTITY ids per identity: the oldest goes first', () => {
    const s = new SeenRequests();
    for (let i = 0; i <= SEEN_REQUESTS_PER_IDENTITY; i++) s.add('a', `r${i}`, 1);
    expect(s.has('a', 'r0', 0)).toBe(false);
    expect(s.has('a', 'r1', 0)).toBe(true);
    expect(s.has('a', `r${SEEN_REQUESTS_PER_IDENTITY}`, 0)).toBe(true);
  });

  it('at most maxIdentities identities: the least recently used goes first', () => {
    const s = new SeenRequests(4, 2);
    s.add('a', 'r', 1);
    s.add('b', 'r', 1);
    s.add('a', 'r2', 1); // a is now the most recent
    s.add('c', 'r', 1);
    expect(s.has('b', 'r', 0)).toBe(false);
    expect(s.has('a', 'r', 0)).toBe(true);
    expect(s.has('c', 'r', 0)).toBe(true);
  });
});
