/**
 * The agent's measure step kind (docs/protocol.md §6.4): Measure(register, digest) extends one
 * measurement register as a ratchet step of its own kind, sent to every oracle (as a heartbeat
 * is) and certified by t of them. The step's payload carries the register, the digest, the
 * measure step it follows and the 16 values after it, so each oracle checks the extend against
 * its own values and stores the new ones with the step. The payload is written ahead with the
 * step (agent/ratchet.ts), so a crash mid-step resends the same bytes; once certified, the step
 * and its certificate are the register proof every later step carries, from which an oracle that
 * missed it learns the values. Counterpart: oracle/measure.ts.
 */

import { MpcidError } from '../common/errors.js';
import {
  checkMeasuredDigest,
  checkRegisterIndex,
  measurePayloadDigest,
  type RegisterState,
} from '../common/measure-wire.js';
import { sha256 } from '../crypto/hash.js';
import { extendRegisters, initialRegisters } from '../crypto/registers.js';
import type { RatchetState } from './ratchet.js';
import { everyOracleFlow, RETRY, type StepEngine, type StepFlow } from './steps.js';

/** Largest measured input the Workload API hashes itself (a bigger one: send its digest). */
export const MAX_MEASURE_DATA = 64 * 1024;

/** The registers as of the certified state (all zero before the first measure step). */
export function registersOf(rs: RatchetState): RegisterState {
  const p = rs.registers;
  return p
    ? { counter: p.signed.step.counter, values: p.measure.values }
    : { counter: 0, values: initialRegisters() };
}

/**
 * The digest a Measure request names: `digest` (32 bytes), or SHA-256 of `data` (at most
 * MAX_MEASURE_DATA bytes). Exactly one of them: BAD_DIGEST_LENGTH, MESSAGE_TOO_LARGE or
 * MALFORMED_INPUT otherwise. Checked before any step, so a refused request changes nothing.
 */
export function measuredDigest(digest: Uint8Array, data: Uint8Array): Uint8Array {
  if (digest.length > 0 && data.length > 0)
    throw new MpcidError('MALFORMED_INPUT', 'measure: give digest or data, not both');
  if (data.length > MAX_MEASURE_DATA)
    throw new MpcidError(
      'MESSAGE_TOO_LARGE',
      `data: at most ${MAX_MEASURE_DATA} bytes (send its SHA-256 as digest)`,
    );
  return data.length > 0 ? sha256(data) : checkMeasuredDigest(digest);
}

/** One measure step extending `register` with `digest`; resolves with the registers after it. */
export function measureFlow(
  engine: StepEngine,
  register: number,
  digest: Uint8Array,
): StepFlow<RegisterState> {
  return {
    targets: 'all',
    prepare() {
      checkRegisterIndex(register);
      checkMeasuredDigest(digest);
    },
    async attempt(clients, a) {
      // The values this step extends are the certified ones: a pending step was flushed first.
      const held = registersOf(engine.ratchet);
      const measure = {
        register,
        digest,
        previous: held.counter,
        values: extendRegisters(held.values, register, digest),
      };
      const digestOfPayload = measurePayloadDigest(engine.state.cluster.id, measure);
      const r = await everyOracleFlow(engine, 'measure', digestOfPayload, undefined, { measure }).attempt(
        clients,
        a,
      );
      return r === RETRY ? RETRY : registersOf(engine.ratchet);
    },
  };
}
