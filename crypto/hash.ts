/** Hash functions used across mpcid (FIPS 180-4 SHA-2, via @noble/hashes). */
export { sha256, sha512 } from '@noble/hashes/sha2.js';
