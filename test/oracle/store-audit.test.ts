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
