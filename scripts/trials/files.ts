/**
 * File and disk faults: a full disk (ballast files on the tmpfs until ENOSPC), a read-only data
 * dir (tmpfs remounted ro; chmod when not root), truncated or bit-flipped files, backups and
 * restores of a stopped process's dir, and a ratchet.json edited with its checksum recomputed
 * (the checksum is a plain SHA-256 of the JSON body: anyone who can write the file can forge it).
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Prng } from './prng.js';

/** Writes 1 MiB ballast files into `dir` until the disk is full; returns how many bytes it took. */
export function fillDisk(dir: string): number {
  const mib = Buffer.alloc(1 << 20, 0x5a);
  let total = 0;
  for (let i = 0; ; i++) {
    const f = join(dir, `.ballast-${i}`);
    try {
      writeFileSync(f, mib);
      total += mib.length;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      // Fill the last partial MiB too: the disk is full to the byte.
      for (let k = 64 << 10; k >= 512; k >>= 1) {
        try {
          writeFileSync(join(dir, `.ballast-${i}-${k}`), Buffer.alloc(k));
          total += k;
        } catch {
          // ENOSPC at this size; try a smaller piece.
        }
      }
      return total;
    }
  }
}

export function clearDisk(dir: string): void {
  for (const f of readdirSync(dir)) if (f.startsWith('.ballast-')) rmSync(join(dir, f), { force: true });
}

/**
 * Makes `dir` and its files read-only for their owner (or writable again) with chmod. A remount
 * read-only is refused while LevelDB holds files open for writing (EBUSY), and chmod does not
 * stop root: the disk oracle runs as an unprivileged uid for this.
 */
export function setReadOnly(dir: string, ro: boolean): void {
  for (const f of [dir, ...readdirSync(dir).map((x) => join(dir, x))]) {
    const dirEntry = statSync(f).isDirectory();
    chmodSync(f, ro ? (dirEntry ? 0o500 : 0o400) : dirEntry ? 0o700 : 0o600);
  }
}

/** Copies every file of `dir` to `to` (a stopped process's dir: nothing changes meanwhile). */
export function backupDir(dir: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(dir, to, { recursive: true });
}

/** Puts a backup back: empties `dir` (it may be a mount point, so it stays) and copies in. */
export function restoreDir(backup: string, dir: string): void {
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
  cpSync(backup, dir, { recursive: true });
}

/** Damages one file as a crash or a bad disk would; returns what was done. */
export function corruptFile(file: string, rng: Prng): string {
  if (!existsSync(file)) return `${file}: absent`;
  const data = readFileSync(file);
  const how = rng.weighted({ truncate: 3, flip: 3, zero: 1, delete: 1 });
  switch (how) {
    case 'truncate': {
      const len = data.length === 0 ? 0 : rng.int(0, data.length - 1);
      truncateSync(file, len);
      return `truncated to ${len} of ${data.length} bytes`;
    }
    case 'flip': {
      const k = rng.int(1, 8);
      for (let i = 0; i < k && data.length > 0; i++) {
        const at = rng.int(0, data.length - 1);
        data[at] = data[at]! ^ (1 << rng.int(0, 7));
      }
      writeFileSync(file, data);
      return `${k} bit(s) flipped`;
    }
    case 'zero':
      writeFileSync(file, Buffer.alloc(data.length));
      return `overwritten with ${data.length} zero bytes`;
    case 'delete':
      rmSync(file);
      return 'deleted';
  }
}

/** Damages one file of a LevelDB: its write-ahead log, a table, the manifest or CURRENT. */
export function corruptLevelDb(dataDir: string, rng: Prng): string {
  const files = readdirSync(dataDir).filter((f) => /\.(log|ldb|sst)$|^MANIFEST-|^CURRENT$/.test(f));
  const logs = files.filter((f) => f.endsWith('.log'));
  // The write-ahead log holds the newest steps: damage it most often.
  const target = logs.length > 0 && rng.chance(0.5) ? rng.pick(logs) : rng.pick(files);
  return `${target} ${corruptFile(join(dataDir, target), rng)}`;
}

/** ratchet.json with `time` moved by `deltaMs` and its checksum recomputed, as a thief would. */
export function editRatchetTime(stateDir: string, deltaMs: number): void {
  const file = join(stateDir, 'ratchet.json');
  const f = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const { checksum: _old, ...body } = f;
  body['time'] = (body['time'] as number) + deltaMs;
  const checksum = createHash('sha256').update(JSON.stringify(body)).digest('base64url');
  writeFileSync(file, `${JSON.stringify({ ...body, checksum }, null, 2)}\n`, { mode: 0o600 });
}
