/**
 * The two-slot write-ahead file under agent/ratchet.ts (see its header for the format and the
 * crash rules): slot sizing, finding the newest checked slot, and a write in place into the other
 * slot before its one fdatasync, with the temp-file-and-rename path for a fresh file, the old
 * single-state form and a state too big for its slot. It knows nothing of the ratchet's JSON: the
 * caller gives each state's text and the check that returns a slot's sequence number.
 */

import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { writeFileDurable } from '../common/fsutil.js';

/** A slot text's sequence number if it parses and checks (0 for the old form), else undefined. */
export type SeqOf = (text: string) => number | undefined;

/** A write in place before its fdatasync (see beginSlotWrite). */
export interface SlotWrite {
  fd: number;
  synced: () => void;
  close: () => void;
}

/** Slots are multiples of this. */
const SLOT_ALIGN = 4096;

/** A slot's bytes: `text` padded with spaces to `size`, ending in a newline. */
function slotBytes(text: string, size: number): Buffer {
  const buf = Buffer.alloc(size, 0x20);
  buf.write(text);
  buf[size - 1] = 0x0a;
  return buf;
}

/** Each slot's text, if `buf` has the two-slot size (2S, S a multiple of SLOT_ALIGN). */
function slotTexts(buf: Buffer): [string, string] | undefined {
  if (buf.length < 2 * SLOT_ALIGN || buf.length % (2 * SLOT_ALIGN) !== 0) return undefined;
  const half = buf.length / 2;
  return [buf.subarray(0, half).toString('utf8'), buf.subarray(half).toString('utf8')];
}

/**
 * The newest checked state in a two-slot file: its slot, seq and raw JSON; undefined if `buf`
 * is not two slots or neither slot checks.
 */
function newestSlot(buf: Buffer, seqOf: SeqOf): { slot: 0 | 1; seq: number; raw: unknown } | undefined {
  const texts = slotTexts(buf);
  if (!texts) return undefined;
  let best: { slot: 0 | 1; seq: number; raw: unknown } | undefined;
  for (const slot of [0, 1] as const) {
    const seq = seqOf(texts[slot]);
    if (seq !== undefined && (!best || seq > best.seq)) best = { slot, seq, raw: JSON.parse(texts[slot]) };
  }
  return best;
}

/** The file's current state as raw JSON: the whole file if it is one document, else the newest slot. */
export function fileJSON(buf: Buffer, seqOf: SeqOf): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    const best = newestSlot(buf, seqOf);
    if (!best) throw new Error('not JSON');
    return best.raw;
  }
}

/**
 * The slot this process last wrote in each file, with its bytes: when the file still holds
 * exactly those bytes there, that slot is the newest without parsing and checking both slots
 * again on every step (anything else, e.g. another writer, falls back to newestSlot).
 */
const lastWrites = new Map<string, { slot: 0 | 1; seq: number; bytes: Buffer }>();
const LAST_WRITES = 256;

function rememberWrite(file: string, slot: 0 | 1, seq: number, bytes: Buffer): void {
  lastWrites.delete(file);
  lastWrites.set(file, { slot, seq, bytes });
  if (lastWrites.size > LAST_WRITES) lastWrites.delete(lastWrites.keys().next().value!);
}

function lastWriteIn(file: string, buf: Buffer): { slot: 0 | 1; seq: number } | undefined {
  const w = lastWrites.get(file);
  if (!w || buf.length !== 2 * w.bytes.length) return undefined;
  const at = w.slot * w.bytes.length;
  return buf.subarray(at, at + w.bytes.length).equals(w.bytes) ? w : undefined;
}

function readWhole(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(size);
  for (let at = 0; at < size; ) {
    const n = readSync(fd, buf, at, size - at, at);
    if (n === 0) return buf.subarray(0, at);
    at += n;
  }
  return buf;
}

/**
 * The part of a write before its fdatasync: the new state (`textFor(seq)`, seq one more than the
 * newest slot's) put in place into the slot that does not hold the newest one, on an open fd;
 * `synced` (after the fdatasync) records the write and blanks the other slot, `close` closes the
 * fd. Undefined when the write was done in full already (the durable temp-file-and-rename path:
 * a fresh file, the old single-state form, a state too big for its slot).
 */
export function beginSlotWrite(
  file: string,
  seqOf: SeqOf,
  textFor: (seq: number) => string,
): SlotWrite | undefined {
  let seq = 1;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (fd !== undefined) {
    const open = fd;
    let handedOver = false;
    try {
      const buf = readWhole(open);
      const newest = lastWriteIn(file, buf) ?? newestSlot(buf, seqOf);
      if (newest) {
        seq = newest.seq + 1;
        const text = textFor(seq);
        const size = buf.length / 2;
        if (Buffer.byteLength(text) < size) {
          const other = newest.slot === 0 ? 1 : 0;
          const bytes = slotBytes(text, size);
          writeSync(open, bytes, 0, size, other * size);
          const next = seq;
          handedOver = true;
          return {
            fd: open,
            synced: () => {
              rememberWrite(file, other, next, bytes);
              try {
                // Not synced: a lost blank leaves two valid slots, and the higher seq wins.
                writeSync(open, slotBytes('', size), 0, size, newest.slot * size);
              } catch {
                // the new state is durable already
              }
            },
            close: () => closeSync(open),
          };
        }
      } else {
        const old = seqOf(buf.toString('utf8'));
        if (old !== undefined) seq = old + 1;
      }
    } finally {
      if (!handedOver) closeSync(open);
    }
  }
  const text = textFor(seq);
  const size = Math.ceil((Buffer.byteLength(text) + 1) / SLOT_ALIGN) * SLOT_ALIGN;
  writeFileDurable(file, Buffer.concat([slotBytes(text, size), slotBytes('', size)]), 0o600);
  return undefined;
}
