/**
 * JSON Web Key helpers for identity keys: the OKP JWK of an Ed25519 key (RFC 8037 §2) and its
 * RFC 7638 thumbprint, which mpcid uses as the identity id and JWS `kid`.
 */
import { toB64u, utf8Bytes } from './bytes.js';
import { decodePoint } from './ed25519.js';
import { sha256 } from './hash.js';

export interface OkpJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/**
 * RFC 8037 §2: the public JWK of an Ed25519 key.
 * May throw CryptoError: BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function ed25519Jwk(publicKey: Uint8Array): OkpJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: toB64u(decodePoint(publicKey, 'publicKey')) };
}

/**
 * RFC 7638 §3: SHA-256 over the required members in lexicographic order, base64url.
 * May throw CryptoError: BAD_LENGTH, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function jwkThumbprint(publicKey: Uint8Array): string {
  const jwk = ed25519Jwk(publicKey);
  const canonical = `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}"}`;
  return toB64u(sha256(utf8Bytes(canonical)));
}
