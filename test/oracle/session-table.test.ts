/**
 * The oracle's session table (oracle/session-table.ts) in process, with a manual clock: the
 * per-identity cap evicts the identity's oldest (and drops it), the total cap refuses with the
 * instance's error, expiry after the TTL drops the value and cancels nothing else, take-once,
 * replacement of a key, identities isolated from each other, and no timer left after close. The
 * two instances the oracle runs (online sessions, presignatures) keep their caps and refusals.
 */
import { describe, expect, it } from 'vitest';
import { codeOf, detailsOf, MpcidError } from '../../common/errors.js';
import { presignTable } from '../../oracle/ecdsa-presign.js';
import { type Schedule, SessionTable, type TableLimits } from '../../oracle/session-table.js';

/** A manual clock: `advance(ms)` runs the callbacks due by then, in time order. */
function manualClock() {
  let now = 0;
  const due: { at: number; fn: () => void; live: boolean }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const t = { at: now + ms, fn, live: true };
    due.push(t);
    return () => {
      t.live = false;
    };
  };
  return {
    schedule,
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const next = due.filter((t) => t.live && t.at <= until).sort((x, y) => x.at - y.at)[0];
        if (!next) break;
        now = next.at;
        next.live = false;
        next.fn();
      }
      now = until;
    },
    /** Timers still scheduled. */
    get pending() {
      return due.filter((t) => t.live).length;
    },
  };
}

const sid = (n: number) => new Uint8Array(32).fill(n);

function table(limits: TableLimits, ttlMs = 1_000) {
  const clock = manualClock();
  const dropped: string[] = [];
  const evicted: string[] = [];
  const t = new SessionTable<string>({
    ttlMs,
    limits: () => limits,
    refusal: () => new MpcidError('RATE_LIMITED', 'full', { details: { scope: 'oracle', rpc: 'Step' } }),
    drop: (v) => dropped.push(v),
    evicted: (id, cap) => evicted.push(`${id}/${cap}`),
    schedule: clock.schedule,
  });
  return { t, clock, dropped, evicted };
}

function refusal(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a refusal');
}

describe('SessionTable', () => {
  it('caps each identity: a new entry beyond the cap evicts and drops that identity’s oldest only', () => {
    const { t, dropped, evicted } = table({ perIdentity: 2, total: 100 });
    t.put('a', sid(1), 'a1');
    t.put('a', sid(2), 'a2');
    t.put('b', sid(1), 'b1');
    t.makeRoom('a', sid(3));
    expect(dropped).toEqual(['a1']);
    expect(evicted).toEqual(['a/2']);
    expect(t.put('a', sid(3), 'a3')).toBe(true);
    expect([t.get('a', sid(1)), t.get('a', sid(2)), t.get('a', sid(3))]).toEqual([undefined, 'a2', 'a3']);
    // put evicts too (the presignatures' path: no makeRoom before it).
    t.put('a', sid(4), 'a4');
    expect(dropped).toEqual(['a1', 'a2']);
    // b's entry was never touched by a's.
    expect(t.get('b', sid(1))).toBe('b1');
    expect(t.size).toBe(3);
  });

  it('makeRoom for a held key neither evicts nor refuses; put replaces the key and drops the old value', () => {
    const { t, dropped } = table({ perIdentity: 1, total: 1 });
    t.put('a', sid(1), 'first');
    t.makeRoom('a', sid(1));
    expect(dropped).toEqual([]);
    expect(t.put('a', sid(1), 'second')).toBe(true);
    expect(dropped).toEqual(['first']);
    expect(t.get('a', sid(1))).toBe('second');
  });

  it('a full table refuses a new entry with the instance’s error, and put drops a value that does not fit', () => {
    const { t, dropped } = table({ perIdentity: 4, total: 2 });
    t.put('a', sid(1), 'a1');
    t.checkRoom();
    t.put('b', sid(1), 'b1');
    const err = refusal(() => t.checkRoom());
    expect(codeOf(err)).toBe('RATE_LIMITED');
    expect(detailsOf(err as MpcidError, 'RATE_LIMITED')).toMatchObject({ scope: 'oracle', rpc: 'Step' });
    expect(codeOf(refusal(() => t.makeRoom('c', sid(1))))).toBe('RATE_LIMITED');
    expect(dropped, 'a refusal evicts nothing of another identity').toEqual([]);
    expect(t.put('c', sid(1), 'c1')).toBe(false);
    expect(dropped).toEqual(['c1']);
    expect(t.get('c', sid(1))).toBeUndefined();
    expect(t.size).toBe(2);
    // Room again once an entry leaves.
    t.delete('a', sid(1));
    t.checkRoom();
  });

  it('expires each entry ttlMs after its put, dropping it; a replaced entry’s old timer does not end the new one', () => {
    const { t, clock, dropped } = table({ perIdentity: 4, total: 100 }, 1_000);
    t.put('a', sid(1), 'a1');
    clock.advance(600);
    t.put('a', sid(2), 'a2');
    t.put('b', sid(1), 'b1');
    clock.advance(399);
    expect(t.get('a', sid(1))).toBe('a1');
    clock.advance(1);
    expect(t.get('a', sid(1))).toBeUndefined();
    expect(dropped).toEqual(['a1']);
    // Replaced at 1000: the first b1's timer (due at 1600) is cancelled, the new one runs to 2000.
    t.put('b', sid(1), 'b1 again');
    expect(dropped).toEqual(['a1', 'b1']);
    clock.advance(599);
    expect(t.get('a', sid(2))).toBe('a2');
    clock.advance(1);
    expect(t.get('a', sid(2))).toBeUndefined();
    expect(t.get('b', sid(1))).toBe('b1 again');
    clock.advance(400);
    expect(t.get('b', sid(1))).toBeUndefined();
    expect(dropped).toEqual(['a1', 'b1', 'a2', 'b1 again']);
    expect(t.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('take hands the value out once, without dropping it, and cancels its timer', () => {
    const { t, clock, dropped } = table({ perIdentity: 4, total: 100 });
    t.put('a', sid(1), 'a1');
    expect(t.take('b', sid(1)), 'another identity’s key').toBeUndefined();
    expect(t.take('a', sid(1))).toBe('a1');
    expect(t.take('a', sid(1))).toBeUndefined();
    expect(t.get('a', sid(1))).toBeUndefined();
    expect(clock.pending).toBe(0);
    clock.advance(10_000);
    expect(dropped).toEqual([]);
  });

  it('delete with a value removes only that value; close drops everything and cancels every timer', () => {
    const { t, clock, dropped } = table({ perIdentity: 4, total: 100 });
    t.put('a', sid(1), 'a1');
    t.delete('a', sid(1), 'an older value');
    expect(t.get('a', sid(1))).toBe('a1');
    t.delete('a', sid(1), 'a1');
    expect(dropped).toEqual(['a1']);
    t.put('a', sid(2), 'a2');
    t.put('b', sid(2), 'b2');
    expect(clock.pending).toBe(2);
    t.close();
    expect(dropped.sort()).toEqual(['a1', 'a2', 'b2']);
    expect(t.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('per-identity isolation: one identity at its cap and a full share of the table never evicts another’s', () => {
    const { t, dropped } = table({ perIdentity: 3, total: 6 });
    for (let i = 0; i < 20; i++) t.put('greedy', sid(i), `g${i}`);
    expect(t.size).toBe(3);
    for (let i = 0; i < 3; i++) expect(t.put('honest', sid(i), `h${i}`)).toBe(true);
    t.put('greedy', sid(99), 'g99');
    for (let i = 0; i < 3; i++) expect(t.get('honest', sid(i))).toBe(`h${i}`);
    expect(dropped.filter((v) => v.startsWith('h'))).toEqual([]);
  });
});

describe("the oracle's presignature table", () => {
  it('wipes what it drops, hands out what is taken unwiped, refuses RATE_LIMITED (scope oracle, Step) when full', () => {
    const wiped: number[] = [];
    const held = (n: number) => ({
      oracles: [1, 2],
      presignature: { wipe: () => wiped.push(n) } as never,
    });
    const t = presignTable(() => ({ perIdentity: 2, total: 3 }));
    try {
      t.put('a', sid(1), held(1));
      t.put('a', sid(2), held(2));
      t.put('a', sid(3), held(3));
      expect(wiped).toEqual([1]);
      expect(t.take('a', sid(2))?.oracles).toEqual([1, 2]);
      expect(wiped).toEqual([1]);
      t.put('b', sid(1), held(4));
      t.put('c', sid(1), held(5));
      const err = refusal(() => t.checkRoom());
      expect(codeOf(err)).toBe('RATE_LIMITED');
      expect((err as MpcidError).message).toBe('too many ES256 presignatures held on this oracle');
      expect(detailsOf(err as MpcidError, 'RATE_LIMITED')).toMatchObject({ scope: 'oracle', rpc: 'Step' });
      expect(t.put('d', sid(1), held(6))).toBe(false);
      expect(wiped).toEqual([1, 6]);
    } finally {
      t.close();
    }
    expect(wiped.sort()).toEqual([1, 3, 4, 5, 6]);
  });
});
