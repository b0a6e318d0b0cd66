/**
 * The oracle's key-encryption key (KEK): 32 random bytes that seal every secret the oracle
 * persists (crypto/atrest.ts). It comes from exactly one of
 *   - the file named by `kek.file` in the config (32 raw bytes, or their base64/base64url text;
 *     mode 0600 or stricter: a file others can read is refused), or
 *   - the environment variable MPCID_KEK (base64url of 32 bytes), when the config names no file.
 * `mpcid cluster init` writes one KEK file per oracle (`oracle-N/kek`, mode 0600).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { KEK_LEN } from '../crypto/atrest.js';
import { Secret } from '../crypto/secret.js';
import type { OracleConfig } from './config.js';
import { codeOf, MpcidError } from './errors.js';
import { writeFileDurable } from './fsutil.js';

export const KEK_ENV = 'MPCID_KEK';

/** Writes a fresh KEK file (32 random bytes, mode 0600). */
export function writeKekFile(file: string): void {
  const kek = randomBytes(KEK_LEN);
  try {
    writeFileDurable(file, kek, 0o600);
  } finally {
    kek.fill(0);
  }
}

/** Decodes base64 or base64url text of exactly 32 bytes; undefined if it is not that. */
function decodeText(text: string): Uint8Array | undefined {
  const s = text.trim();
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) return undefined;
  const bytes = Buffer.from(s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, ''), 'base64url');
  return bytes.length === KEK_LEN ? new Uint8Array(bytes) : undefined;
}

function fromFile(file: string): Secret {
  let raw: Buffer;
  try {
    const st = statSync(file);
    if ((st.mode & 0o077) !== 0) {
      throw new MpcidError(
        'CONFIG_INVALID',
        `kek.file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    }
    raw = readFileSync(file);
  } catch (e) {
    if (codeOf(e) !== undefined) throw e;
    throw new MpcidError(
      'CONFIG_INVALID',
      `cannot read kek.file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  try {
    if (raw.length === KEK_LEN) return new Secret(new Uint8Array(raw), 'kek');
    const decoded = decodeText(raw.toString('latin1'));
    if (decoded) return new Secret(decoded, 'kek');
    throw new MpcidError(
      'CONFIG_INVALID',
      `kek.file ${file}: expected ${KEK_LEN} raw bytes or their base64url text (${raw.length} bytes found)`,
    );
  } finally {
    raw.fill(0);
  }
}

/**
 * Loads this oracle's KEK from `kek.file` or MPCID_KEK. CONFIG_INVALID (never quoting the key)
 * if neither is set, both are, or the key is not 32 bytes.
 */
export function loadKek(config: Pick<OracleConfig, 'kek'>, env: NodeJS.ProcessEnv = process.env): Secret {
  const fromEnv = env[KEK_ENV];
  const file = config.kek?.file;
  if (file !== undefined && fromEnv !== undefined && fromEnv !== '') {
    throw new MpcidError(
      'CONFIG_INVALID',
      `both kek.file and ${KEK_ENV} are set: give the key-encryption key in exactly one place`,
    );
  }
  if (file !== undefined) return fromFile(file);
  if (fromEnv === undefined || fromEnv === '') {
    throw new MpcidError(
      'CONFIG_INVALID',
      `no key-encryption key: set kek.file in the config or ${KEK_ENV} (base64url of ${KEK_LEN} random bytes)`,
    );
  }
  const decoded = decodeText(fromEnv);
  if (!decoded) {
    throw new MpcidError('CONFIG_INVALID', `${KEK_ENV}: expected base64url of ${KEK_LEN} bytes`);
  }
  return new Secret(decoded, 'kek');
}
