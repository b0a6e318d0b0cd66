/**
 * The oracle store's write-through cache of ratchet records (oracle/store.ts getRatchet /
 * putRatchet), on a real LevelDB: a read always returns the last acknowledged write, whether the
 * record is cached, evicted (more identities than the cache holds) or read while a write of it is
 * in flight; what a reopened store reads from disk is the same.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Secret } from '../../crypto/secret.js';
import type { RatchetRecord } from '../../oracle/records.js';
import { OracleStore } from '../../oracle/store.js';

const META = { clusterId: 'c', nodeId: 1, nodePublicKey: 'k' };
const rec = (id: string, counter: number): RatchetRecord => ({
  identityId: id,
  counter,
  head: Buffer.from(randomBytes(32)).toString('base64url'),
});

describe('store ratchet cache (real LevelDB)', () => {
  const base = mkdtempSync(join(tmpdir(), 'mpcid-ratchet-cache-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const kek = new Secret(new Uint8Array(randomBytes(32)), 'kek');

  it('reads return the last acknowledged write: cached, evicted, overlapping a write, and after reopen', async () => {
    const dir = join(base, 'cache');
    let store = await OracleStore.open(dir, META, kek);
    // More identities than the cache holds (16,384), two writes each: early ones are evicted.
    const ids = Array.from({ length: 20_000 }, (_, i) => `id-${i}`);
    const last = new Map<string, RatchetRecord>();
    for (const c of [1, 2]) {
      await Promise.all(
        ids.map((id) => {
          const r = rec(id, c);
          last.set(id, r);
          return store.putRatchet(r);
        }),
      );
    }
    for (const id of ids) expect(await store.getRatchet(id)).toEqual(last.get(id));
    expect(await store.getRatchet('never-written')).toBeUndefined();
    // A read of an evicted record that overlaps a write of it: never older than the write once
    // the write is acknowledged.
    for (const id of ids.slice(0, 200)) {
      const next = rec(id, 3);
      const read = store.getRatchet(id);
      await store.putRatchet(next);
      const seen = await read;
      expect([2, 3]).toContain(seen?.counter);
      expect(await store.getRatchet(id)).toEqual(next);
      last.set(id, next);
    }
    await store.close();
    store = await OracleStore.open(dir, META, kek);
    for (const id of [...ids.slice(0, 300), ...ids.slice(-300)])
      expect(await store.getRatchet(id)).toEqual(last.get(id));
    await store.close();
  }, 120_000);
});
