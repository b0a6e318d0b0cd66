/**
 * Group commit of the oracle store's sync writes (oracle/store.ts #write), on a real LevelDB:
 * concurrent writes of different identities share sync batches; each caller's promise resolves
 * only once its write is durable (acknowledged writes survive a reopen, and a SIGKILL of the
 * writing process); one identity's writes keep their order; a failed batch fails every caller in
 * it and fail-stops the store (NOT_READY for everything after it); a value that cannot be encoded
 * fails its caller alone.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MpcidError } from '../../common/errors.js';
import { Secret } from '../../crypto/secret.js';
import type { RatchetRecord } from '../../oracle/records.js';
import { OracleStore } from '../../oracle/store.js';
import { smallDisk, storeOnDisk } from '../helpers/tmpfs.js';

const META = { clusterId: 'c', nodeId: 1, nodePublicKey: 'k' };
const ROOT = resolve(import.meta.dirname, '..', '..');

const rec = (id: string, counter: number, pad = 0): RatchetRecord =>
  ({
    identityId: id,
    counter,
    head: Buffer.from(randomBytes(32)).toString('base64url'),
    ...(pad ? { pad: 'x'.repeat(pad) } : {}),
  }) as RatchetRecord;

const settle = (p: Promise<unknown>) =>
  p.then(
    () => ({ ok: true as const }),
    (e: unknown) => ({ ok: false as const, e }),
  );

describe('store group commit (real LevelDB)', () => {
  const base = mkdtempSync(join(tmpdir(), 'mpcid-groupcommit-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const kek = new Secret(new Uint8Array(randomBytes(32)), 'kek');

  it('concurrent writes share sync batches; acknowledged writes survive a reopen in call order', async () => {
    const dir = join(base, 'order');
    const store = await OracleStore.open(dir, META, kek);
    const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);
    // 4 writes per identity issued in one tick, interleaved across identities: the last wins.
    const burst: Promise<void>[] = [];
    for (let c = 1; c <= 4; c++) for (const id of ids) burst.push(store.putRatchet(rec(id, c)));
    await Promise.all(burst);
    for (const id of ids) expect((await store.getRatchet(id))?.counter).toBe(4);
    // Steps as the oracle makes them: per identity one at a time, identities at once. Each
    // acknowledged write is visible at once and never overtaken by an older one.
    const before = store.writeStats;
    await Promise.all(
      ids.map(async (id) => {
        for (let c = 5; c <= 24; c++) {
          await store.putRatchet(rec(id, c));
          expect((await store.getRatchet(id))?.counter).toBe(c);
        }
      }),
    );
    const after = store.writeStats;
    expect(after.writes - before.writes).toBe(ids.length * 20);
    // Writes that overlapped went out together: far fewer syncs than writes.
    expect(after.syncBatches - before.syncBatches).toBeLessThan((after.writes - before.writes) / 2);
    await store.close();
    const again = await OracleStore.open(dir, META, kek);
    for (const id of ids) expect((await again.getRatchet(id))?.counter).toBe(24);
    await again.close();
  });

  it('a value that cannot be encoded fails its caller alone (no fail-stop)', async () => {
    const store = await OracleStore.open(join(base, 'encode'), META, kek);
    const good = Array.from({ length: 10 }, (_, i) => store.putRatchet(rec(`ok-${i}`, 1)));
    const bad = store.putRatchet({ ...rec('bad', 1), counter: 1n } as unknown as RatchetRecord);
    const results = await Promise.all([...good, bad].map(settle));
    expect(results.slice(0, 10).every((r) => r.ok)).toBe(true);
    expect(results[10]!.ok).toBe(false);
    expect(store.writeFailure).toBeUndefined();
    await store.putRatchet(rec('after', 1));
    expect((await store.getRatchet('after'))?.counter).toBe(1);
    await store.close();
  });

  it('whileSyncing runs once its batch is handed to LevelDB and before the write resolves; a throw in it changes nothing', async () => {
    const store = await OracleStore.open(join(base, 'while-syncing'), META, kek);
    const events: string[] = [];
    const writes = ['a', 'b', 'c'].map((id) => {
      const p = store.putRatchet(rec(id, 1), undefined, () => {
        events.push(`sync ${id}`);
        if (id === 'b') throw new Error('the hook fails');
      });
      void p.then(() => events.push(`done ${id}`));
      return p;
    });
    // Not within putRatchet itself: the batch starts on a later microtask.
    expect(events).toEqual([]);
    await Promise.all(writes);
    // One batch: every hook ran before any write of it resolved, and the thrown one changed nothing.
    expect(events.slice(0, 3)).toEqual(['sync a', 'sync b', 'sync c']);
    expect(events.slice(3).sort()).toEqual(['done a', 'done b', 'done c']);
    for (const id of ['a', 'b', 'c']) expect((await store.getRatchet(id))?.counter).toBe(1);
    expect(store.writeFailure).toBeUndefined();
    // A write refused before its batch starts (here: a value with no JSON form) never runs its hook.
    let ran = false;
    const bad = store.putRatchet(
      { ...rec('bad', 1), counter: 1n } as unknown as RatchetRecord,
      undefined,
      () => {
        ran = true;
      },
    );
    expect((await settle(bad)).ok).toBe(false);
    expect(ran).toBe(false);
    await store.close();
  });

  it('close() waits for queued writes', async () => {
    const dir = join(base, 'close');
    const store = await OracleStore.open(dir, META, kek);
    const writes = Array.from({ length: 100 }, (_, i) => store.putRatchet(rec(`c-${i}`, 7)));
    await store.close();
    await Promise.all(writes);
    const again = await OracleStore.open(dir, META, kek);
    for (let i = 0; i < 100; i++) expect((await again.getRatchet(`c-${i}`))?.counter).toBe(7);
    await again.close();
  });
});

describe('store group commit: acknowledged writes survive SIGKILL (real process)', { tags: ['slow'] }, () => {
  it('every write acknowledged before the kill is in the reopened store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpcid-groupcommit-kill-'));
    try {
      const kekBytes = randomBytes(32);
      const script = join(dir, 'writer.mjs');
      // 32 identities stepping at once, each one write at a time; an ack is printed only once
      // the write's promise resolved (durable).
      writeFileSync(
        script,
        `import { OracleStore } from ${JSON.stringify(join(ROOT, 'dist/oracle/store.js'))};
import { Secret } from ${JSON.stringify(join(ROOT, 'dist/crypto/secret.js'))};
const kek = new Secret(new Uint8Array(Buffer.from(process.env.KEK, 'hex')), 'kek');
const store = await OracleStore.open(process.argv[2], ${JSON.stringify(META)}, kek);
process.stdout.write('ready\\n');
await Promise.all(Array.from({ length: 32 }, async (_, i) => {
  for (let c = 1; ; c++) {
    await store.putRatchet({ identityId: 'k-' + i, counter: c, head: 'h'.repeat(43), pad: 'p'.repeat(600) });
    process.stdout.write('k-' + i + ' ' + c + '\\n');
  }
}));
`,
      );
      const data = join(dir, 'data');
      const child = spawn(process.execPath, [script, data], {
        env: { ...process.env, KEK: kekBytes.toString('hex') },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const acked = new Map<string, number>();
      let buf = '';
      let total = 0;
      const killed = new Promise<void>((res) => {
        child.stdout.on('data', (chunk: Buffer) => {
          buf += chunk.toString('utf8');
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const line of lines) {
            const [id, c] = line.split(' ');
            if (!id || c === undefined) continue;
            acked.set(id, Math.max(acked.get(id) ?? 0, Number(c)));
            if (++total === 3000) child.kill('SIGKILL');
          }
        });
        child.once('exit', () => res());
      });
      await killed;
      expect(total).toBeGreaterThanOrEqual(3000);
      const store = await OracleStore.open(data, META, new Secret(new Uint8Array(kekBytes), 'kek'));
      for (const [id, c] of acked) {
        const got = (await store.getRatchet(id))?.counter ?? 0;
        expect(got, `${id}: acknowledged ${c}`).toBeGreaterThanOrEqual(c);
      }
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('store group commit: a failed batch (real LevelDB on a full tmpfs)', () => {
  const disk = smallDisk('mpcid-groupcommit-full-');
  afterAll(() => disk.cleanup());

  it('fails every caller in it, fail-stops, and loses nothing acknowledged', async (ctx) => {
    if (!disk.mounted) ctx.skip();
    const { dir, kek, store, failures } = await storeOnDisk(disk, META);
    const acked = Array.from({ length: 20 }, (_, i) => rec(`a-${i}`, i + 1));
    await Promise.all(acked.map((r) => store.putRatchet(r)));

    const ballast = disk.fill();
    // One tick: one batch of 50 writes (~100 KB) on a full disk. Then 10 more, queued behind it.
    const batch = Array.from({ length: 50 }, (_, i) => settle(store.putRatchet(rec(`b-${i}`, 1, 2000))));
    await Promise.resolve();
    const behind = Array.from({ length: 10 }, (_, i) => settle(store.putRatchet(rec(`q-${i}`, 1))));
    const inBatch = await Promise.all(batch);
    const queued = await Promise.all(behind);

    expect(inBatch.every((r) => !r.ok)).toBe(true);
    const errors = inBatch.map((r) => (r.ok ? undefined : r.e));
    // Every caller in the batch gets the batch's own error (not a refusal)...
    expect(new Set(errors).size).toBe(1);
    expect(errors[0]).not.toBeInstanceOf(MpcidError);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBe(errors[0]);
    // ...and everything after it is refused, also once space returns.
    for (const r of queued) {
      expect(r.ok).toBe(false);
      expect((r as { e: MpcidError }).e.code).toBe('NOT_READY');
    }
    rmSync(ballast, { force: true });
    const later = await settle(store.putRatchet(rec('later', 1)));
    expect(later.ok).toBe(false);
    expect((later as { e: MpcidError }).e.code).toBe('NOT_READY');
    expect(failures).toHaveLength(1);
    await store.close();

    const again = await OracleStore.open(dir, META, kek);
    for (const r of acked) expect((await again.getRatchet(r.identityId))?.counter).toBe(r.counter);
    expect(await again.getRatchet('later')).toBeUndefined();
    await again.putRatchet(rec('restarted', 1));
    expect(again.writeFailure).toBeUndefined();
    await again.close();
  });
});
