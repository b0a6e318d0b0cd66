import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MpcidError } from '../../common/errors.js';
import { liveness } from '../../oracle/health.js';
import type { RatchetRecord } from '../../oracle/records.js';
import { OracleStore } from '../../oracle/store.js';
import { smallDisk, storeOnDisk } from '../helpers/tmpfs.js';

const META = { clusterId: 'c', nodeId: 2, nodePublicKey: 'k' };

const record = (i: number): RatchetRecord => ({
  identityId: `id-${i}`,
  counter: i,
  head: Buffer.from(randomBytes(32)).toString('base64url'),
});

describe('store fail-stop on a full disk (real LevelDB on a tmpfs)', () => {
  const disk = smallDisk('mpcid-failstop-');
  afterAll(() => disk.cleanup());

  it('after the first failed write every write is refused, and nothing acknowledged is lost', async (ctx) => {
    if (!disk.mounted) ctx.skip();
    const { dir, kek, store, failures } = await storeOnDisk(disk, META);

    // Fill the disk, then write until LevelDB reports the failure.
    const ballast = disk.fill();
    const acked: RatchetRecord[] = [];
    let failedAt = -1;
    for (let i = 0; i < 20_000 && failedAt < 0; i++) {
      const rec = { ...record(i), pad: 'x'.repeat(2000) } as RatchetRecord;
      try {
        await store.putRatchet(rec);
        acked.push(rec);
      } catch {
        failedAt = i;
      }
    }
    expect(failedAt, 'a write on the full disk fails').toBeGreaterThanOrEqual(0);
    expect(failures).toHaveLength(1);
    expect(store.writeFailure).toBeDefined();

    // Space returns: the store still refuses every write (NOT_READY), and says why.
    rmSync(ballast, { force: true });
    for (let i = 0; i < 5; i++) {
      const e = await store.putRatchet(record(100_000 + i)).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(MpcidError);
      expect((e as MpcidError).code).toBe('NOT_READY');
    }
    expect(failures).toHaveLength(1);
    // /healthz (liveness) fails from here on, so an orchestrator restarts the process.
    expect(liveness(store)).toMatchObject({ live: false, reason: expect.stringContaining('restart') });
    await store.close();

    // A restart replays the log: every acknowledged write is there.
    const again = await OracleStore.open(dir, META, kek);
    for (const rec of acked) expect((await again.getRatchet(rec.identityId))?.counter).toBe(rec.counter);
    // And the restarted store takes writes again.
    await again.putRatchet(record(200_000));
    expect(again.writeFailure).toBeUndefined();
    expect(liveness(again)).toEqual({ live: true });
    await again.close();
  });
});
