/**
 * Secret byte strings (shares, nonces, session keys) that redact themselves when printed,
 * inspected or serialised to JSON, in the manner of ZcashFoundation/frost's secret types.
 * The raw bytes are reachable only through `expose()`, which makes every use greppable.
 */
import { abytes } from './bytes.js';

const inspect = Symbol.for('nodejs.util.inspect.custom');

/**
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export class Secret {
  readonly #bytes: Uint8Array;
  readonly label: string;
  constructor(bytes: Uint8Array, label = 'secret') {
    this.#bytes = abytes(bytes, label);
    this.label = label;
  }
  /** The raw secret bytes. Callers must not log, return or persist them unencrypted by accident. */
  expose(): Uint8Array {
    return this.#bytes;
  }
  get length(): number {
    return this.#bytes.length;
  }
  /** Best-effort erasure of this copy. */
  wipe(): void {
    this.#bytes.fill(0);
  }
  toJSON(): string {
    return `[REDACTED ${this.label}]`;
  }
  toString(): string {
    return `[REDACTED ${this.label}]`;
  }
  [inspect](): string {
    return `Secret<${this.label}>[REDACTED]`;
  }
}
