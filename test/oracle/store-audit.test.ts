/**
 * The audit log in the oracle store (oracle/store.ts, real LevelDB): an entry is written in the
 * same sync batch as its step's ratchet state, so concurrent steps of different identities still
 * share batches (group commit) and a failed batch loses both or neither (fail-stop, on a full
 * tmpfs); listAudit pages in counter order; pruneAudit drops by age and by count per identity.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, describe, expect, it } from 'vitest';
import type { MpcidError } from '../../common/errors.js';
import { Secret } from '../../crypto/secret.js';
import type { AuditEntry, RatchetRecord } from '../../oracle/records.js';
import { OracleStore } from '../../oracle/store.js';
import { smallDisk, storeOnDisk } from '../helpers/tmpfs.js';

const META = { clusterId: 'c', nodeId: 1, nodePublicKey: 'k' };

function step(id: string, counter: number, time = Date.now(), pad = 0): [RatchetRecord, AuditEntry] {
  const head = Buffer.from(randomBytes(32)).toString('base64url');
  return [
    { identityId: id, counter, head, ...(pad ? { pad: 'x'.repeat(pad) } : {}) } as RatchetRecord,
    { identityId: id, counter, kind: 'sign', time, client: 'cert:AA', head },
  ];
}

const settle = (p: Promise<unknown>) =>
  p.then(
    () => ({ ok: true as const }),
    (e: unknown) => ({ ok: false as const, e }),
  );

describe('the audit log in the store (real LevelDB)', () => {
  const base = mkdtempSync(join(tmpdir(), 'mpcid-store-audit-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const kek = new Secret(new Uint8Array(randomBytes(32)), 'kek');

  it('entries ride their step’s batch: group commit holds, and both survive a reopen', async () => {
    const dir = join(base, 'group');
    const store = await OracleStore.open(dir, META, kek);
    const ids = Array.from({ length: 40 }, (_, i) => `id-${String(i).padStart(2, '0')}`);
    const before = store.writeStats;
    await Promise.all(
      ids.map(async (id) => {
        for (let c = 1; c <= 5; c++) await store.putRatchet(...step(id, c));
      }),
    );
    const stats = store.writeStats;
    expect(stats.writes - before.writes).toBe(200);
    // Concurrent identities share sync batches, entries included (one write per step).
    expect(stats.syncBatches - before.syncBatches).toBeLessThan(100);
    await store.close();
    const again = await OracleStore.open(dir, META, kek);
    for (const id of ids) {
      const r = await again.getRatchet(id);
      const entries = await again.listAudit(id, -1, 100);
      expect(entries.map((e) => e.counter)).toEqual([1, 2, 3, 4, 5]);
      expect(entries.at(-1)!.head).toBe(r!.head);
    }
    // Paging: after a counter, in order, bounded.
    expect((await again.listAudit(ids[0]!, 2, 2)).map((e) => e.counter)).toEqual([3, 4]);
    expect(await again.listAudit(ids[0]!, 5, 10)).toEqual([]);
    await again.close();
  });

  it('pruneAudit drops entries older than the cutoff and all but the newest N per identity', async () => {
    const store = await OracleStore.open(join(base, 'prune'), META, kek);
    const now = Date.now();
    for (let c = 1; c <= 6; c++) await store.putRatchet(...step('old', c, now - 10_000 + c));
    for (let c = 1; c <= 6; c++) await store.putRatchet(...step('new', c, now + c));
    expect(await store.pruneAudit(now, 100)).toBe(6);
    expect(await store.listAudit('old', -1, 10)).toEqual([]);
    expect((await store.listAudit('new', -1, 10)).map((e) => e.counter)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await store.pruneAudit(now, 4)).toBe(2);
    expect((await store.listAudit('new', -1, 10)).map((e) => e.counter)).toEqual([3, 4, 5, 6]);
    // The ratchet state is not part of the log: pruning never touches it.
    expect((await store.getRatchet('old'))?.counter).toBe(6);
    await store.close();
  });

  it('after one full pass, retention reads the time index: entries written since expire by age, each identity that wrote is bounded, across a reopen', async () => {
    const dir = join(base, 'indexed');
    let store = await OracleStore.open(dir, META, kek);
    const now = Date.now();
    for (let c = 1; c <= 3; c++) await store.putRatchet(...step('a', c, now + c));
    expect(await store.pruneAudit(now, 5)).toBe(0); // the full pass: builds the index
    // Written after it: found by age through their time keys alone.
    for (let c = 4; c <= 6; c++) await store.putRatchet(...step('a', c, now - 50_000 + c));
    for (let c = 1; c <= 3; c++) await store.putRatchet(...step('b', c, now - 50_000 + c));
    // 4-6 and b's three by age; and a has 6 entries against a bound of 5, so counter 1 goes too.
    expect(await store.pruneAudit(now, 5)).toBe(7);
    expect((await store.listAudit('a', -1, 10)).map((e) => e.counter)).toEqual([2, 3]);
    expect(await store.listAudit('b', -1, 10)).toEqual([]);
    // The per-identity bound, for an identity that wrote since the last pass: its newest 5 counters.
    for (let c = 7; c <= 12; c++) await store.putRatchet(...step('a', c, now + c));
    expect(await store.pruneAudit(now, 5)).toBe(3); // 2, 3 and 7
    expect((await store.listAudit('a', -1, 10)).map((e) => e.counter)).toEqual([8, 9, 10, 11, 12]);
    await store.close();
    // The index is known complete across a reopen: an entry with no time key (which only a store
    // that predates the index writes) is not found by an indexed pass, so that pass read the
    // index, not the whole log.
    const raw = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    await raw.put('audit!legacy!0000000000000001', { ...step('legacy', 1, now - 50_000)[1] });
    await raw.close();
    store = await OracleStore.open(dir, META, kek);
    expect(await store.pruneAudit(now, 5)).toBe(0);
    expect(await store.listAudit('legacy', -1, 10)).toHaveLength(1);
    // A changed bound makes the next pass a full one again: it finds that entry too.
    expect(await store.pruneAudit(now, 4)).toBe(2);
    expect(await store.listAudit('legacy', -1, 10)).toEqual([]);
    expect((await store.listAudit('a', -1, 10)).map((e) => e.counter)).toEqual([9, 10, 11, 12]);
    await store.close();
  });

  it('a log written before the time index existed is pruned by a full pass that builds the index', async () => {
    const dir = join(base, 'legacy');
    const store = await OracleStore.open(dir, META, kek);
    await store.close();
    const now = Date.now();
    const raw = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    for (let c = 1; c <= 4; c++) {
      const e = step('old-log', c, now - 50_000 + c * 10_000)[1];
      await raw.put(`audit!old-log!${String(c).padStart(16, '0')}`, e);
    }
    await raw.close();
    const again = await OracleStore.open(dir, META, kek);
    // Entries 1-2 are older than the cutoff; 3-4 are kept, and get their time keys.
    expect(await again.pruneAudit(now - 25_000, 100)).toBe(2);
    expect((await again.listAudit('old-log', -1, 10)).map((e) => e.counter)).toEqual([3, 4]);
    // An indexed pass later finds 3-4 by age through the time keys the full pass wrote.
    expect(await again.pruneAudit(now, 100)).toBe(2);
    expect(await again.listAudit('old-log', -1, 10)).toEqual([]);
    await again.close();
  });
});

describe('the audit log under fail-stop (real LevelDB on a full tmpfs)', () => {
  const disk = smallDisk('mpcid-store-audit-full-');
  afterAll(() => disk.cleanup());

  it('a failed batch writes neither the step nor its entry; acknowledged ones keep both', async (ctx) => {
    if (!disk.mounted) ctx.skip();
    const { dir, kek, store } = await storeOnDisk(disk, META);
    const acked = Array.from({ length: 10 }, (_, i) => step(`a-${i}`, 1));
    await Promise.all(acked.map((s) => store.putRatchet(...s)));
    const ballast = disk.fill();
    const failed = await Promise.all(
      Array.from({ length: 50 }, (_, i) => settle(store.putRatchet(...step(`b-${i}`, 1, Date.now(), 2000)))),
    );
    expect(failed.every((r) => !r.ok)).toBe(true);
    const later = await settle(store.putRatchet(...step('later', 1)));
    expect((later as { e: MpcidError }).e.code).toBe('NOT_READY');
    rmSync(ballast, { force: true });
    await store.close();
    const again = await OracleStore.open(dir, META, kek);
    for (const [r, e] of acked) {
      expect((await again.getRatchet(r.identityId))?.head).toBe(r.head);
      expect(await again.getAudit(e.identityId, 1)).toEqual(e);
    }
    for (let i = 0; i < 50; i++) {
      const has = (await again.getRatchet(`b-${i}`)) !== undefined;
      expect((await again.getAudit(`b-${i}`, 1)) !== undefined).toBe(has);
    }
    expect(await again.getAudit('later', 1)).toBeUndefined();
    await again.close();
  });
});
