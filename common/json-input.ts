/**
 * JSON text from a request field or a flag (claims, policies, requirements): parsed, with
 * MALFORMED_INPUT (or MESSAGE_TOO_LARGE past a limit) naming the field, never quoting the text.
 */
import { MpcidError } from './errors.js';

/** `text` parsed, or MALFORMED_INPUT naming `field`. */
export function jsonOf(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MpcidError('MALFORMED_INPUT', `${field}: not JSON`);
  }
}

/** A JSON object ('' is {}) of at most `max` characters. */
export function jsonObjectOf(text: string, field: string, max: number): Record<string, unknown> {
  if (text.length > max) throw new MpcidError('MESSAGE_TOO_LARGE', `${field}: at most ${max} characters`);
  const v = text === '' ? {} : jsonOf(text, field);
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new MpcidError('MALFORMED_INPUT', `${field}: expected a JSON object`);
  return v as Record<string, unknown>;
}
