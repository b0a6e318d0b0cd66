/**
 * A small real tmpfs for store tests that need a full disk (store-failstop, store-groupcommit):
 * mounted on a fresh temp dir (needs root; `mounted` is false elsewhere and the test skips), a
 * fresh store data dir on it, and a ballast file that fills what is left.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../crypto/secret.js';
import { OracleStore } from '../../oracle/store.js';

export interface SmallDisk {
  readonly mnt: string;
  readonly mounted: boolean;
  /** A fresh directory on the disk for a store. */
  dataDir(): string;
  /** Fills the disk with a ballast file; returns its path (remove it to give the space back). */
  fill(): string;
  cleanup(): void;
}

export function smallDisk(prefix: string, size = '2m'): SmallDisk {
  const mnt = mkdtempSync(join(tmpdir(), prefix));
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'ignore' });
    mounted = true;
  } catch {
    mounted = false;
  }
  return {
    mnt,
    mounted,
    dataDir() {
      const dir = join(mnt, 'data');
      mkdirSync(dir);
      return dir;
    },
    fill() {
      const ballast = join(mnt, 'ballast');
      try {
        writeFileSync(ballast, Buffer.alloc(4 * 1024 * 1024));
      } catch {
        // ENOSPC: the ballast took what was left
      }
      return ballast;
    },
    cleanup() {
      if (mounted) execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
      rmSync(mnt, { recursive: true, force: true });
    },
  };
}

/** A store opened on the small disk (a fresh data dir, a fresh KEK) that records write failures. */
export async function storeOnDisk(
  disk: SmallDisk,
  meta: { clusterId: string; nodeId: number; nodePublicKey: string },
) {
  const dir = disk.dataDir();
  const kek = new Secret(new Uint8Array(randomBytes(32)), 'kek');
  const store = await OracleStore.open(dir, meta, kek);
  const failures: unknown[] = [];
  store.onWriteFailure = (e) => failures.push(e);
  return { dir, kek, store, failures };
}
