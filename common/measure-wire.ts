/**
 * The wire forms both sides of a measure step build or check (docs/protocol.md §6.4): the step's
 * payload (register, measured digest, the measure step it follows, the 16 values after it), its
 * payload digest, and a register proof: a certified measure step, which every step of an agent
 * that has measured carries so that an oracle that missed measure steps (down, or outside the
 * step's quorum) checks and adopts the values the cluster certified.
 */

import { equalBytes, fromB64u, toB64u, u64be } from '../crypto/bytes.js';
import {
  type Commit,
  headAfter,
  payloadDigest,
  type SignedStep,
  verifyCertificate,
  verifyStep,
} from '../crypto/ratchet.js';
import { checkRegisters, REGISTER_COUNT, REGISTER_LEN } from '../crypto/registers.js';
import type { MeasurePayload__Output } from '../proto/gen/mpcid/oracle/v1/MeasurePayload.js';
import type { RegisterProof__Output } from '../proto/gen/mpcid/oracle/v1/RegisterProof.js';
import { asMpcidError, MpcidError } from './errors.js';
import {
  type CommitJSON,
  commitFromJSON,
  commitFromWire,
  commitToJSON,
  commitToWire,
  type StepJSON,
  stepFromJSON,
  stepFromWire,
  stepToJSON,
  stepToWire,
} from './protocol.js';

/** What a measure step authorises. */
export interface MeasurePayload {
  /** 0..15. */
  readonly register: number;
  /** SHA-256 of what was measured. */
  readonly digest: Uint8Array;
  /** Counter of the measure step whose values this one extends (0: none, all zero). */
  readonly previous: number;
  /** The 16 register values after the step. */
  readonly values: readonly Uint8Array[];
}

/** Register values as of a measure step (counter 0: never extended). */
export interface RegisterState {
  readonly counter: number;
  readonly values: readonly Uint8Array[];
}

/** A certified measure step: what lets any oracle check and adopt its values. */
export interface RegisterProof {
  readonly signed: SignedStep;
  readonly certificate: readonly Commit[];
  readonly measure: MeasurePayload;
}

/** The register index, or REGISTER_OUT_OF_RANGE. */
export function checkRegisterIndex(n: unknown, field = 'register'): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n >= REGISTER_COUNT)
    throw new MpcidError('REGISTER_OUT_OF_RANGE', `${field}: expected 0..${REGISTER_COUNT - 1}`);
  return n;
}

/** A measured digest (32 bytes), or BAD_DIGEST_LENGTH. */
export function checkMeasuredDigest(d: Uint8Array, field = 'digest'): Uint8Array {
  if (!(d instanceof Uint8Array) || d.length !== REGISTER_LEN)
    throw new MpcidError(
      'BAD_DIGEST_LENGTH',
      `${field}: expected ${REGISTER_LEN} bytes (SHA-256), got ${d instanceof Uint8Array ? d.length : 'none'}`,
    );
  return new Uint8Array(d);
}

/** Payload digest of a measure step: H("measure", cluster id, register, digest, previous, values). */
export function measurePayloadDigest(clusterId: string, p: MeasurePayload): Uint8Array {
  return payloadDigest('measure', clusterId, p.register, p.digest, u64be(p.previous), ...p.values);
}

export function measureToWire(p: MeasurePayload) {
  return {
    register: p.register,
    digest: Buffer.from(p.digest),
    previous: p.previous,
    values: p.values.map((v) => Buffer.from(v)),
  };
}

/** Checks a measure payload from the wire: REGISTER_OUT_OF_RANGE, BAD_DIGEST_LENGTH, MALFORMED_INPUT. */
export function measureFromWire(
  m: MeasurePayload__Output | null | undefined,
  field = 'measure',
): MeasurePayload {
  if (!m) throw new MpcidError('MALFORMED_INPUT', `${field}: missing`);
  const register = checkRegisterIndex(m.register, `${field}.register`);
  const digest = checkMeasuredDigest(new Uint8Array(m.digest), `${field}.digest`);
  if (!Number.isSafeInteger(m.previous) || m.previous < 0)
    throw new MpcidError('MALFORMED_INPUT', `${field}.previous: malformed`);
  const values = m.values.map((v, i) => checkMeasuredDigest(new Uint8Array(v), `${field}.values[${i}]`));
  if (values.length !== REGISTER_COUNT)
    throw new MpcidError('MALFORMED_INPUT', `${field}.values: expected ${REGISTER_COUNT} values`);
  return { register, digest, previous: m.previous, values };
}

export function proofToWire(p: RegisterProof) {
  return {
    step: stepToWire(p.signed),
    certificate: p.certificate.map(commitToWire),
    measure: measureToWire(p.measure),
  };
}

export function proofFromWire(m: RegisterProof__Output, field = 'registers'): RegisterProof {
  return {
    signed: stepFromWire(m.step, `${field}.step`),
    certificate: m.certificate.map(commitFromWire),
    measure: measureFromWire(m.measure, `${field}.measure`),
  };
}

/** JSON form of a measure payload (the agent's ratchet.json). Byte fields are base64url. */
export interface MeasureJSON {
  register: number;
  digest: string;
  previous: number;
  values: string[];
}

export function measureToJSON(m: MeasurePayload): MeasureJSON {
  return {
    register: m.register,
    digest: toB64u(m.digest),
    previous: m.previous,
    values: m.values.map(toB64u),
  };
}

export function measureFromJSON(j: MeasureJSON, field = 'measure'): MeasurePayload {
  return {
    register: checkRegisterIndex(j.register, `${field}.register`),
    digest: fromB64u(j.digest, `${field}.digest`, REGISTER_LEN),
    previous: j.previous,
    values: checkRegisters(
      j.values.map((v) => fromB64u(v, `${field}.values`, REGISTER_LEN)),
      `${field}.values`,
    ),
  };
}

/** JSON form of a register proof: the step, its certificate and its payload's fields. */
export interface RegisterProofJSON extends MeasureJSON {
  step: StepJSON;
  certificate: CommitJSON[];
}

export function proofToJSON(p: RegisterProof): RegisterProofJSON {
  return {
    step: stepToJSON(p.signed),
    certificate: p.certificate.map(commitToJSON),
    ...measureToJSON(p.measure),
  };
}

export function proofFromJSON(j: RegisterProofJSON): RegisterProof {
  return {
    signed: stepFromJSON(j.step, 'registers.step'),
    certificate: j.certificate.map(commitFromJSON),
    measure: measureFromJSON(j, 'registers'),
  };
}

/** What checking a register proof needs to know about the identity and its cluster. */
export interface ProofContext {
  readonly clusterId: string;
  readonly identityId: string;
  readonly sessionPublicKey: Uint8Array;
  readonly nodeKeys: ReadonlyMap<number, Uint8Array>;
  readonly t: number;
}

/**
 * The register state a proof certifies: a measure step of this identity signed by its session
 * key, whose payload digest is the payload's, with t valid commits to the head after it.
 * REGISTERS_OUT_OF_SYNC otherwise.
 */
export function verifyRegisterProof(p: RegisterProof, ctx: ProofContext): RegisterState {
  const step = p.signed.step;
  const bad = (why: string) => new MpcidError('REGISTERS_OUT_OF_SYNC', `register proof: ${why}`);
  if (step.kind !== 'measure' || step.identityId !== ctx.identityId)
    throw bad('not a measure step of this identity');
  const digest = measurePayloadDigest(ctx.clusterId, p.measure);
  if (!equalBytes(digest, step.payloadDigest)) throw bad('payload does not match the step');
  try {
    verifyStep(ctx.sessionPublicKey, p.signed, 'registers.step');
    verifyCertificate(ctx.nodeKeys, ctx.t, ctx.identityId, step.counter, headAfter(step), p.certificate);
  } catch (e) {
    throw bad(asMpcidError(e)?.message ?? 'does not verify');
  }
  return { counter: step.counter, values: p.measure.values };
}
