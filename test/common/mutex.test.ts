/** common/mutex.ts: one at a time in call order, errors release the lock, keys do not wait on each other. */
import { describe, expect, it } from 'vitest';
import { KeyedMutex, Mutex } from '../../common/mutex.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Mutex', () => {
  it('runs callbacks one at a time, in call order, and a throw releases the lock', async () => {
    const m = new Mutex();
    const log: string[] = [];
    let inside = 0;
    const job = (name: string, ms: number, fail = false) =>
      m.run(async () => {
        inside++;
        expect(inside).toBe(1);
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
        inside--;
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job('a', 20), job('b', 1, true), job('c', 5)]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(results[1]!.status).toBe('rejected');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    await m.idle();
  });

  it('idle() waits for what was queued before it', async () => {
    const m = new Mutex();
    let done = false;
    void m.run(async () => {
      await tick(10);
      done = true;
    });
    await m.idle();
    expect(done).toBe(true);
  });
});

describe('KeyedMutex', () => {
  it('serialises one key, lets other keys run at once, and forgets idle keys', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      m.run(key, async () => {
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
      });
    const all = Promise.all([job('x', 'x1', 30), job('x', 'x2', 1), job('y', 'y1', 5)]);
    expect(m.size).toBe(2);
    await all;
    // y1 started while x1 ran; x2 only after x1 ended.
    expect(log.indexOf('start y1')).toBeLessThan(log.indexOf('end x1'));
    expect(log.indexOf('start x2')).toBeGreaterThan(log.indexOf('end x1'));
    expect(m.size).toBe(0);
    await expect(m.run('z', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(m.size).toBe(0);
  });
});
