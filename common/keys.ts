/**
 * Ed25519 key files (node keys): PKCS#8 PEM, readable by OpenSSL, written with mode 0600.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fromB64u } from '../crypto/bytes.js';
import { Secret } from '../crypto/secret.js';
import { MpcidError } from './errors.js';
import { writeFileDurable } from './fsutil.js';

export interface Ed25519KeyPair {
  seed: Secret;
  publicKey: Uint8Array;
}

export function generateNodeKeyPem(): { pem: string; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  return {
    pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: fromB64u(x, 'x', 32),
  };
}

export function writeNodeKey(file: string): Uint8Array {
  const { pem, publicKey } = generateNodeKeyPem();
  writeFileDurable(file, pem, 0o600);
  return publicKey;
}

export function readNodeKey(file: string): Ed25519KeyPair {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MpcidError(
      'CONFIG_INVALID',
      `cannot read node key ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    const jwk = key.export({ format: 'jwk' });
    const pub = createPublicKey(key).export({ format: 'jwk' });
    return { seed: new Secret(fromB64u(jwk.d, 'd', 32), 'node-key'), publicKey: fromB64u(pub.x, 'x', 32) };
  } catch {
    throw new MpcidError('CONFIG_INVALID', `node key ${file} is not an Ed25519 PKCS#8 PEM key`);
  }
}
