/**
 * A small real tmpfs for store tests that need a full disk (store-failstop, store-groupcommit):
 * mounted on a fresh temp dir (needs root; `mounted` is false elsewhere and the test skips), a
 * fresh store data dir on it, and a ballast file that fills what is left.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
