/**
 * Byte helpers and boundary assertions shared by every crypto module.
 * Pure: no I/O, no logging. Every failure is an CryptoError with a stable code.
 */
import { CryptoError } from './errors.js';

/**
 * Asserts `value` is a Uint8Array (optionally of exactly `len` bytes); `field` names it in errors.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function abytes(value: unknown, field: string, len?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CryptoError('MALFORMED_INPUT', `${field}: expected bytes`);
  if (len !== undefined && value.length !== len) {
    throw new CryptoError('BAD_LENGTH', `${field}: expected ${len} bytes, got ${value.length}`);
  }
  return value;
}

/**
 * Asserts `value` is an integer in [min, max].
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function aint(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new CryptoError('MALFORMED_INPUT', `${field}: expected an integer in [${min}, ${max}]`);
  }
  return value;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time comparison of two byte strings (length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, false);
  return out;
}

const utf8 = new TextEncoder();
export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s);
}

/**
 * Unambiguous encoding of a list of fields: each field is its 4-byte big-endian length then its
 * bytes, after a domain-separation label. Used for every hash input and every signed statement.
 */
export function framed(domain: string, ...fields: (Uint8Array | string | number)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const d = utf8Bytes(domain);
  parts.push(u32be(d.length), d);
  for (const f of fields) {
    const b = typeof f === 'string' ? utf8Bytes(f) : typeof f === 'number' ? u32be(f) : f;
    parts.push(u32be(b.length), b);
  }
  return concatBytes(...parts);
}

export function toB64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict base64url decoding: rejects characters outside the alphabet and non-canonical padding bits.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function fromB64u(s: unknown, field: string, len?: number): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) {
    throw new CryptoError('MALFORMED_INPUT', `${field}: expected base64url`);
  }
  const bytes = new Uint8Array(Buffer.from(s, 'base64url'));
  if (toB64u(bytes) !== s) throw new CryptoError('MALFORMED_INPUT', `${field}: non-canonical base64url`);
  return abytes(bytes, field, len);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function fromHex(s: unknown, field: string, len?: number): Uint8Array {
  if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new CryptoError('MALFORMED_INPUT', `${field}: expected hex`);
  }
  return abytes(new Uint8Array(Buffer.from(s, 'hex')), field, len);
}

/**
 * 8-byte big-endian encoding of a non-negative safe integer (counters, millisecond times).
 * May throw CryptoError: MALFORMED_INPUT.
 */
export function u64be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new CryptoError('MALFORMED_INPUT', 'expected a non-negative safe integer');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false);
  return out;
}
