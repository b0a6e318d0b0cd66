/**
 * The oracle's measure step kind (docs/protocol.md §6.4): one measurement register extended as a
 * ratchet step. The step's payload names the register, the measured digest, the measure step it
 * follows and the 16 values after it; this node accepts it only when those values are exactly
 * its own (after any register proof the request carries) extended by the digest, and stores the
 * new values in the step's own ratchet record, so they are written in the step's sync batch or
 * not at all. A node that missed measure steps learns the values from the register proof every
 * later step of the agent carries (its last certified measure step: session-signed, with t
 * commits), never from the agent's word alone. Counterpart: agent/measure.ts.
 */

import { MpcidError } from '../common/errors.js';
import {
  measureFromWire,
  measurePayloadDigest,
  type RegisterProof,
  type RegisterState,
  verifyRegisterProof,
} from '../common/measure-wire.js';
import { equalBytes, fromB64u, toB64u, toHex } from '../crypto/bytes.js';
import type { SignedStep } from '../crypto/ratchet.js';
import { extendRegisters, initialRegisters, REGISTER_LEN, sameRegisters } from '../crypto/registers.js';
import type { StepRequest__Output } from '../proto/gen/mpcid/oracle/v1/StepRequest.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import type { RatchetRecord } from './records.js';
import type { CheckedStep, StepKindHandler } from './signer.js';

/** The registers a ratchet record holds (undefined: never extended). */
export function registersOf(rec: RatchetRecord | undefined): RegisterState | undefined {
  const r = rec?.registers;
  return r && { counter: r.counter, values: r.values.map((v) => fromB64u(v, 'registers', REGISTER_LEN)) };
}

export function registersToRecord(r: RegisterState): { counter: number; values: string[] } {
  return { counter: r.counter, values: r.values.map(toB64u) };
}

/**
 * The register values in force for a step: this node's, or the newer ones `proof` certifies
 * (checked: REGISTERS_OUT_OF_SYNC for one that does not verify). Runs with the identity's lock held.
 */
export function registersInForce(
  ctx: OracleContext,
  id: LoadedIdentity,
  rec: RatchetRecord,
  proof: RegisterProof | undefined,
  nodeKeys: ReadonlyMap<number, Uint8Array>,
): RegisterState | undefined {
  const held = registersOf(rec);
  if (!proof || (held && held.counter >= proof.signed.step.counter)) return held;
  return verifyRegisterProof(proof, {
    clusterId: ctx.config.cluster.id,
    identityId: id.record.identityId,
    sessionPublicKey: id.sessionPublicKey,
    nodeKeys,
    t: id.group.as.t,
  });
}

export class MeasureSteps implements StepKindHandler {
  readonly kinds = ['measure'] as const;
  readonly #ctx: OracleContext;

  constructor(ctx: OracleContext) {
    this.#ctx = ctx;
  }

  check(_id: LoadedIdentity, signed: SignedStep, req: StepRequest__Output): CheckedStep {
    const m = measureFromWire(req.measure);
    if (!equalBytes(measurePayloadDigest(this.#ctx.config.cluster.id, m), signed.step.payloadDigest))
      throw new MpcidError('MALFORMED_INPUT', 'step.payload_digest does not match the measure payload');
    const counter = signed.step.counter;
    return {
      sign: (held) => {
        const prev = held ?? { counter: 0, values: initialRegisters() };
        if (prev.counter !== m.previous)
          throw new MpcidError(
            'REGISTERS_OUT_OF_SYNC',
            `measure step follows the measure step at ${m.previous}; this oracle's registers are as of ${prev.counter}`,
          );
        if (!sameRegisters(extendRegisters(prev.values, m.register, m.digest), m.values))
          throw new MpcidError(
            'REGISTERS_OUT_OF_SYNC',
            `measure step's values are not this oracle's registers with register ${m.register} extended`,
          );
        return { registers: { counter, values: m.values } };
      },
      measure: { register: m.register, measured: toHex(m.digest) },
    };
  }
}
