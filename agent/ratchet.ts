/**
 * The agent's side of the ratchet (docs/protocol.md §5): its durable state and that file's
 * format (the two-slot mechanics, format-blind, are ./ratchet-slots.ts). A write-ahead log of one file,
 * ratchet.json (0600, two checksummed slots written in place, fdatasynced), holding the certified state (c, h_c, its
 * certificate, the monotonic clock) and at most one pending step.
 *
 * Rules: a step is on disk before it is sent; the same bytes are resent until t oracles have
 * committed to it; no step c+2 is made before step c+1 is certified. A missing or corrupt file
 * is an error, never a silent reset (a reset would look exactly like a rollback).
 *
 * One durable write per step: ratchet.json is written (one fdatasync) only when a step is made,
 * with the certified state the step extends; the certificate of the step itself rides the next
 * step's write.
 *
 * The file is a preallocated write-ahead file of two fixed slots: its size is 2S (S a multiple of
 * 4 KiB), slot i is bytes [iS, (i+1)S), each holding one checksummed state (the JSON below, with a
 * sequence number `seq`) padded with spaces, or only spaces. A write puts the new state, seq + 1,
 * in place into the slot that does not hold the newest state, fdatasyncs (the blocks are already
 * allocated and the size does not change, so no journal commit), and then blanks the other slot
 * (not synced). At rest one slot is blank, so the whole file is one JSON document. A reader takes
 * the whole file if it parses as JSON, else the valid slot with the highest seq: a write torn by a
 * crash fails its checksum and leaves the previous state in the other slot; a blank lost to a
 * crash leaves two valid slots, and the higher seq wins. A state too big for its slot, a missing
 * file and a file in the old form (one JSON document of any size, no seq) are written the old way
 * (temp file, fsync, rename, directory fsync) in the slotted form: that is the migration, done on
 * the first write. Bit rot in the newest slot after a crash that kept the older slot would fall
 * back one step; the oracles then hold a step the agent does not, which ends in an exposing step
 * (the identity is revoked: it fails closed). Once a step is certified the agent also writes ratchet.certified.json (the hint:
 * the certified state, checksummed, no fsync, no rename). readRatchet folds the hint into the
 * pending step it certifies when its t commits verify for exactly that step; a missing, torn,
 * stale or forged hint is ignored and the pending step is resent, which the oracles answer as a
 * replay (same bytes). So losing the hint costs one round trip after a restart, never safety.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, fdatasync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { clusterNodeKeys } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import {
  type MeasurePayload,
  measureFromJSON,
  measureToJSON,
  proofFromJSON,
  proofToJSON,
  type RegisterProof,
  type RegisterProofJSON,
} from '../common/measure-wire.js';
import {
  type CommitJSON,
  commitFromJSON,
  commitmentFromWire,
  commitToJSON,
  type StepJSON,
  stepFromJSON,
  stepToJSON,
} from '../common/protocol.js';
import { equalBytes, fromB64u, toB64u, utf8Bytes } from '../crypto/bytes.js';
import type { NonceCommitment } from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import {
  type Commit,
  EXPOSING_TIME,
  genesisHead,
  headAfter,
  type SignedStep,
  type StepKind,
  signStep,
  verifyCertificate,
} from '../crypto/ratchet.js';
import { beginSlotWrite, type SlotWrite, fileJSON as slotFileJSON } from './ratchet-slots.js';
import type { AgentState } from './state.js';

export const RATCHET_FILE = 'ratchet.json';
/** The certified-state hint (see the header): best effort, checked before use. */
export const CERTIFIED_FILE = 'ratchet.certified.json';

/** What a sign step authorises; kept with a pending step so the same request can be resent. */
export interface SignPayload {
  message: Uint8Array;
  list: NonceCommitment[];
}

/** What an es256 / jwt-es256 step authorises: the message and the DKLs23 signing oracles. */
export interface EcdsaPayload {
  message: Uint8Array;
  oracles: number[];
  /** The es256-presign step digest whose presignature an es256 / jwt-es256 step signs with. */
  presign?: Uint8Array;
}

export interface Pending {
  signed: SignedStep;
  sign?: SignPayload;
  ecdsa?: EcdsaPayload;
  /** A measure step's payload (docs/protocol.md §6.4): resent with the step, never recomputed. */
  measure?: MeasurePayload;
}

export interface RatchetState {
  counter: number;
  head: Uint8Array;
  /** The monotonic clock: the time of the last step made. */
  time: number;
  /** Commits of t oracles for (counter, head); empty at counter 0. */
  certificate: Commit[];
  pending?: Pending;
  /**
   * The last certified measure step (docs/protocol.md §6.4): the register values, and the proof
   * every step carries so an oracle that missed it adopts them. Absent: never extended.
   */
  registers?: RegisterProof;
}

const b64u = z.string().regex(/^[A-Za-z0-9_-]*$/);
const MeasureSchema = z.strictObject({
  register: z.number().int(),
  digest: b64u,
  previous: z.number().int().min(0),
  values: z.array(b64u),
});
const FileSchema = z.strictObject({
  version: z.literal(1),
  /** The write's sequence number in ratchet.json's two slots (absent in the old single-state form). */
  seq: z.number().int().min(0).optional(),
  identityId: z.string(),
  counter: z.number().int().min(0),
  head: b64u,
  time: z.number().int().min(0),
  certificate: z.array(z.any()),
  pending: z
    .strictObject({
      step: z.any(),
      sign: z
        .strictObject({
          message: b64u,
          commitments: z.array(
            z.strictObject({ participant: z.number().int(), hiding: b64u, binding: b64u }),
          ),
        })
        .optional(),
      ecdsa: z
        .strictObject({ message: b64u, oracles: z.array(z.number().int()), presign: b64u.optional() })
        .optional(),
      measure: MeasureSchema.optional(),
    })
    .optional(),
  registers: z
    .strictObject({ step: z.any(), certificate: z.array(z.any()), ...MeasureSchema.shape })
    .optional(),
  checksum: b64u,
});
type RatchetFile = z.infer<typeof FileSchema>;

function checksum(body: Omit<RatchetFile, 'checksum'>): string {
  return toB64u(sha256(utf8Bytes(JSON.stringify(body))));
}

export function initialRatchet(state: AgentState): RatchetState {
  return {
    counter: 0,
    head: genesisHead(state.identityId, state.group.groupPublicKey, state.sessionPublicKey),
    time: 0,
    certificate: [],
  };
}

/** The file's text for a state (checksummed JSON, one line); `seq` for a slot of ratchet.json. */
function ratchetText(identityId: string, st: RatchetState, seq?: number): string {
  const body: Omit<RatchetFile, 'checksum'> = {
    version: 1,
    ...(seq === undefined ? {} : { seq }),
    identityId,
    counter: st.counter,
    head: toB64u(st.head),
    time: st.time,
    certificate: st.certificate.map(commitToJSON),
    ...(st.pending
      ? {
          pending: {
            step: stepToJSON(st.pending.signed),
            ...(st.pending.sign
              ? {
                  sign: {
                    message: toB64u(st.pending.sign.message),
                    commitments: st.pending.sign.list.map((c) => ({
                      participant: c.participant,
                      hiding: toB64u(c.hiding),
                      binding: toB64u(c.binding),
                    })),
                  },
                }
              : {}),
            // An es256 / jwt-es256 step is resent with its message and signing set, or every
            // oracle refuses it (MALFORMED_INPUT) and the agent can never step again.
            ...(st.pending.ecdsa
              ? {
                  ecdsa: {
                    message: toB64u(st.pending.ecdsa.message),
                    oracles: [...st.pending.ecdsa.oracles],
                    ...(st.pending.ecdsa.presign ? { presign: toB64u(st.pending.ecdsa.presign) } : {}),
                  },
                }
              : {}),
            // A measure step is resent with its payload: the oracles check and store its values.
            ...(st.pending.measure ? { measure: measureToJSON(st.pending.measure) } : {}),
          },
        }
      : {}),
    ...(st.registers ? { registers: proofToJSON(st.registers) } : {}),
  };
  return `${JSON.stringify({ ...body, checksum: checksum(body) })}\n`;
}

/** The checked body of one state's JSON text, or undefined if it does not parse or check. */
function checkedBody(text: string): Omit<RatchetFile, 'checksum'> | undefined {
  try {
    const p = FileSchema.safeParse(JSON.parse(text));
    if (!p.success) return undefined;
    const { checksum: sum, ...body } = p.data;
    return checksum(body) === sum ? body : undefined;
  } catch {
    return undefined;
  }
}

/** A slot's sequence number if its text checks (ratchet-slots.ts). */
const seqOf = (text: string): number | undefined => {
  const body = checkedBody(text);
  return body ? (body.seq ?? 0) : undefined;
};

/** ratchet.json's current state as raw JSON (the whole file, or its newest slot). */
const fileJSON = (buf: Buffer): unknown => slotFileJSON(buf, seqOf);

/** A write of `st` into ratchet.json up to its fdatasync (ratchet-slots.ts beginSlotWrite). */
function beginRatchetWrite(dir: string, identityId: string, st: RatchetState): SlotWrite | undefined {
  return beginSlotWrite(join(dir, RATCHET_FILE), seqOf, (seq) => ratchetText(identityId, st, seq));
}

/**
 * ratchet.json, durably: the write-ahead log (see the header). In place into the slot that does
 * not hold the newest state, one fdatasync, then the other slot blanked; a fresh file, the old
 * single-state form or a state too big for its slot goes through temp file, fsync, rename and
 * directory fsync into the two-slot form.
 */
export function writeRatchet(dir: string, identityId: string, st: RatchetState): void {
  const w = beginRatchetWrite(dir, identityId, st);
  if (!w) return;
  try {
    fdatasyncSync(w.fd);
    w.synced();
  } finally {
    w.close();
  }
}

const fdatasyncP = promisify(fdatasync);

/**
 * writeRatchet with its fdatasync off the event loop (libuv's thread pool): the same bytes in the
 * same order, durable when this resolves. The other steps of this process (other identities in
 * one process, the Workload API) go on while the disk syncs; the caller still awaits it before
 * sending the step (write ahead), and one identity's writes never overlap (its step mutex).
 */
export async function writeRatchetAsync(dir: string, identityId: string, st: RatchetState): Promise<void> {
  const w = beginRatchetWrite(dir, identityId, st);
  if (!w) return;
  try {
    await fdatasyncP(w.fd);
    w.synced();
  } finally {
    w.close();
  }
}

/**
 * The certified-state hint for a state with no pending step: overwritten in place, not fsynced
 * (see the header). Best effort: a failure to write it only costs a resend after a restart.
 */
export function writeCertifiedHint(dir: string, identityId: string, st: RatchetState): void {
  const h = new CertifiedHint(dir, identityId);
  h.write(st);
  h.close();
}

/**
 * The hint file of one agent, kept open: each write is one positional write of the whole file
 * (the text padded with spaces to a multiple of 4 KiB, never shorter than before, so no old byte
 * survives), with no open, truncate, rename or fsync on the step's path. A write torn by a power
 * failure fails its checksum and is ignored.
 */
export class CertifiedHint {
  #fd: number | undefined;
  #size = 0;
  constructor(
    readonly dir: string,
    readonly identityId: string,
  ) {}

  write(st: RatchetState): void {
    if (st.pending) throw new MpcidError('INTERNAL', 'the certified hint holds no pending step');
    try {
      const text = ratchetText(this.identityId, st);
      const len = Buffer.byteLength(text);
      this.#fd ??= openSync(join(this.dir, CERTIFIED_FILE), 'w', 0o600);
      const size = Math.max(this.#size, Math.ceil((len + 1) / 4096) * 4096);
      const buf = Buffer.alloc(size, 0x20);
      buf.write(text);
      writeSync(this.#fd, buf, 0, size, 0);
      this.#size = size;
    } catch {
      // best effort: ratchet.json (durable) still holds the step pending, which is resent
      this.close();
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // nothing to do
    }
    this.#fd = undefined;
    this.#size = 0;
  }
}

/**
 * The hint's certified state if it certifies exactly `st`'s pending step (same identity, counter
 * and head after the step, t valid commits, same clock); undefined otherwise.
 */
function foldHint(dir: string, state: AgentState, st: RatchetState): RatchetState | undefined {
  const pending = st.pending;
  if (!pending) return undefined;
  try {
    const p = FileSchema.safeParse(JSON.parse(readFileSync(join(dir, CERTIFIED_FILE), 'utf8')));
    if (!p.success) return undefined;
    const { checksum: sum, ...body } = p.data;
    if (checksum(body) !== sum || body.pending || body.identityId !== state.identityId) return undefined;
    const step = pending.signed.step;
    const head = fromB64u(body.head, 'head', 32);
    if (body.counter !== step.counter || body.time !== st.time || !equalBytes(head, headAfter(step)))
      return undefined;
    const certificate = (body.certificate as CommitJSON[]).map(commitFromJSON);
    verifyCertificate(
      clusterNodeKeys(state.cluster),
      state.cluster.t,
      state.identityId,
      step.counter,
      head,
      certificate,
    );
    return certified(st, certificate);
  } catch {
    return undefined;
  }
}

/**
 * For tools and tests that look at a state dir from outside: ratchet.json's JSON as it is now,
 * or, when ratchet.certified.json is intact and names the state right after ratchet.json's
 * pending step (its counter and clock), the hint's JSON, as readRatchet would fold it (without
 * checking signatures: use readRatchet for that). undefined if ratchet.json is unreadable now.
 */
export function ratchetFileView(dir: string): unknown {
  let raw: { pending?: { step?: { counter?: unknown } }; time?: unknown };
  try {
    raw = fileJSON(readFileSync(join(dir, RATCHET_FILE))) as typeof raw;
  } catch {
    return undefined;
  }
  if (!raw?.pending) return raw;
  try {
    const p = FileSchema.safeParse(JSON.parse(readFileSync(join(dir, CERTIFIED_FILE), 'utf8')));
    if (!p.success) return raw;
    const { checksum: sum, ...body } = p.data;
    if (
      checksum(body) === sum &&
      !body.pending &&
      body.counter === raw.pending.step?.counter &&
      body.time === raw.time
    )
      return p.data;
  } catch {
    // no hint, or caught mid-write
  }
  return raw;
}

/** Reads and checks ratchet.json; the certificate is verified against the cluster's node keys. */
export function readRatchet(dir: string, state: AgentState): RatchetState {
  const file = join(dir, RATCHET_FILE);
  const corrupt = (why: string) => new MpcidError('STATE_CORRUPT', `${file}: ${why}; refusing to use it`);
  let raw: unknown;
  try {
    raw = fileJSON(readFileSync(file));
  } catch (e) {
    throw corrupt((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable or not JSON');
  }
  const p = FileSchema.safeParse(raw);
  if (!p.success) throw corrupt('unexpected structure');
  const { checksum: sum, ...body } = p.data;
  if (checksum(body) !== sum) throw corrupt('checksum mismatch');
  if (body.identityId !== state.identityId) throw corrupt('belongs to another identity');
  let st: RatchetState;
  try {
    const head = fromB64u(body.head, 'head', 32);
    const certificate = (body.certificate as CommitJSON[]).map(commitFromJSON);
    if (body.counter > 0) {
      const keys = clusterNodeKeys(state.cluster);
      verifyCertificate(keys, state.cluster.t, state.identityId, body.counter, head, certificate);
    }
    st = {
      counter: body.counter,
      head,
      time: body.time,
      certificate,
      ...(body.registers ? { registers: proofFromJSON(body.registers as RegisterProofJSON) } : {}),
    };
    if (body.pending) {
      const signed = stepFromJSON(body.pending.step as StepJSON, 'pending');
      if (signed.step.counter !== body.counter + 1) throw new Error('pending counter');
      const sign = body.pending.sign;
      const ecdsa = body.pending.ecdsa;
      const measure = body.pending.measure;
      st.pending = {
        signed,
        ...(measure ? { measure: measureFromJSON(measure, 'pending.measure') } : {}),
        ...(ecdsa
          ? {
              ecdsa: {
                message: fromB64u(ecdsa.message, 'message'),
                oracles: ecdsa.oracles,
                ...(ecdsa.presign ? { presign: fromB64u(ecdsa.presign, 'presign', 32) } : {}),
              },
            }
          : {}),
        ...(sign
          ? {
              sign: {
                message: fromB64u(sign.message, 'message'),
                list: sign.commitments.map((c) =>
                  commitmentFromWire({
                    participant: c.participant,
                    hiding: Buffer.from(c.hiding, 'base64url'),
                    binding: Buffer.from(c.binding, 'base64url'),
                  }),
                ),
              },
            }
          : {}),
      };
    }
  } catch {
    throw corrupt('inconsistent ratchet state');
  }
  return foldHint(dir, state, st) ?? st;
}

/**
 * Makes the next step (time = max(now, last + 1)) and returns the state with it pending. An
 * exposing step (`exposing`, docs/protocol.md §5) carries EXPOSING_TIME instead; after one, the
 * agent never steps again (no later time exists).
 */
export function prepareStep(
  st: RatchetState,
  identityId: string,
  sessionKey: AgentState['sessionKey'],
  kind: StepKind,
  payloadDigest: Uint8Array,
  sign?: SignPayload,
  ecdsa?: EcdsaPayload,
  exposing = false,
  measure?: MeasurePayload,
): RatchetState {
  if (st.pending) throw new MpcidError('INTERNAL', 'a step is already pending');
  if (st.time >= EXPOSING_TIME)
    throw new MpcidError(
      'IDENTITY_REVOKED',
      'this agent exposed a second history of its identity (a copy of it is stepping); it never steps again',
    );
  const time = exposing ? EXPOSING_TIME : Math.max(Date.now(), st.time + 1);
  const signed = signStep(sessionKey, {
    identityId,
    counter: st.counter + 1,
    prevHead: st.head,
    time,
    kind,
    payloadDigest,
    requestId: new Uint8Array(randomBytes(16)),
  });
  return {
    ...st,
    time,
    pending: {
      signed,
      ...(sign ? { sign } : {}),
      ...(ecdsa ? { ecdsa } : {}),
      ...(measure ? { measure } : {}),
    },
  };
}

/**
 * The certified state after the pending step got its certificate; a measure step becomes the
 * register proof (its certificate is the one just collected).
 */
export function certified(st: RatchetState, commits: Commit[]): RatchetState {
  const { signed, measure } = st.pending!;
  const step = signed.step;
  const registers = measure ? { signed, certificate: commits, measure } : st.registers;
  return {
    counter: step.counter,
    head: headAfter(step),
    time: st.time,
    certificate: commits,
    ...(registers ? { registers } : {}),
  };
}
