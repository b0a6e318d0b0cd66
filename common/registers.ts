/**
 * Register requirements (docs/protocol.md §6.4): register values a seal policy or a join token
 * (`token create --require-register N=HEX`) demands, as {"N": "<64 hex>"}, and the register
 * values a quote carries (its `registers` claim: the 16 values, lowercase hex). The agent and
 * every oracle check them with the same functions here.
 */

import { z } from 'zod';
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import { initialRegisters, REGISTER_COUNT, REGISTER_LEN } from '../crypto/registers.js';
import { MpcidError } from './errors.js';

/** Required register values by index: at least one, each 32 bytes as 64 lowercase hex digits. */
export const RequiredRegistersSchema = z
  .record(
    z.string().regex(/^(?:[0-9]|1[0-5])$/, `register indexes: 0..${REGISTER_COUNT - 1}`),
    z.string().regex(/^[0-9a-f]{64}$/, 'register values: 64 lowercase hex digits (SHA-256)'),
  )
  .refine((o) => Object.keys(o).length >= 1, 'at least one register');
export type RequiredRegisters = z.infer<typeof RequiredRegistersSchema>;

/**
 * Parses a register requirement (an object, already JSON-parsed): REGISTER_OUT_OF_RANGE for an
 * index outside 0..15, BAD_DIGEST_LENGTH for a value that is not 32 bytes of hex, MALFORMED_INPUT
 * for anything else.
 */
export function parseRequiredRegisters(raw: unknown, field: string): RequiredRegisters {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new MpcidError('MALFORMED_INPUT', `${field}: expected an object {"N": "<64 hex>"}`);
  for (const [k, v] of Object.entries(raw)) {
    if (!/^(?:0|[1-9][0-9]*)$/.test(k) || Number(k) >= REGISTER_COUNT)
      throw new MpcidError(
        'REGISTER_OUT_OF_RANGE',
        `${field}: register ${JSON.stringify(k.slice(0, 8))} is not 0..${REGISTER_COUNT - 1}`,
      );
    if (typeof v !== 'string' || !/^[0-9a-fA-F]*$/.test(v) || v.length !== 2 * REGISTER_LEN)
      throw new MpcidError(
        'BAD_DIGEST_LENGTH',
        `${field}: register ${k} needs ${REGISTER_LEN} bytes as 64 hex digits`,
      );
  }
  const lower = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, (v as string).toLowerCase()]));
  const r = RequiredRegistersSchema.safeParse(lower);
  if (!r.success)
    throw new MpcidError('MALFORMED_INPUT', `${field}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  return r.data;
}

/** REGISTER_MISMATCH naming the first required register that `values` does not hold (never its value). */
export function checkRequiredRegisters(
  values: readonly Uint8Array[],
  required: RequiredRegisters | undefined,
  what: string,
): void {
  if (!required) return;
  for (const [k, hex] of Object.entries(required)) {
    const held = values[Number(k)];
    if (!held || !equalBytes(held, fromHex(hex, `register ${k}`, REGISTER_LEN)))
      throw new MpcidError('REGISTER_MISMATCH', `${what}: register ${k} does not hold the required value`);
  }
}

/** A quote's `registers` claim: the 16 values as lowercase hex. */
export function registersClaim(values: readonly Uint8Array[]): string[] {
  return values.map(toHex);
}

/**
 * A quote's `registers` claim against the values this node holds: absent is allowed only while
 * the identity never measured (`held` undefined); present, it must be exactly `held` (or all
 * zero). REGISTER_MISMATCH otherwise.
 */
export function checkRegistersClaim(claim: unknown, held: readonly Uint8Array[] | undefined): void {
  if (claim === undefined && held === undefined) return;
  const want = registersClaim(held ?? initialRegisters());
  if (!Array.isArray(claim) || claim.length !== want.length || claim.some((v, i) => v !== want[i]))
    throw new MpcidError(
      'REGISTER_MISMATCH',
      'quote refused: its registers are not the ones this oracle holds',
    );
}
