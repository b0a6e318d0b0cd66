/**
 * SPIFFE IDs (SPIFFE-ID.md §2): `spiffe://<trust domain>/<path>`, shared by the agent's SPIFFE
 * Workload API and the oracles' JWT bundle service. A trust domain is lowercase letters, digits,
 * `.`, `-` and `_`; a path is `/`-separated segments of letters, digits, `.`, `-` and `_`, none
 * empty, `.` or `..`; no query, fragment, port or user info; at most 2048 bytes.
 */
import { MpcidError } from './errors.js';

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_ID = 2048;

export interface SpiffeId {
  /** The trust domain name, e.g. `example.org`. */
  readonly trustDomain: string;
  /** The path, `''` or starting with `/`. */
  readonly path: string;
}

/** Parses a SPIFFE ID strictly; undefined when `s` is not one. */
export function parseSpiffeId(s: string): SpiffeId | undefined {
  if (s.length > MAX_ID || !s.startsWith('spiffe://')) return undefined;
  const rest = s.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (!TRUST_DOMAIN.test(trustDomain)) return undefined;
  if (path !== '') {
    const segs = path.slice(1).split('/');
    if (segs.some((g) => !SEGMENT.test(g) || g === '.' || g === '..')) return undefined;
  }
  return { trustDomain, path };
}

/** The SPIFFE ID of a trust domain (the key of a bundle map): `spiffe://<trust domain>`. */
export function trustDomainId(trustDomain: string): string {
  return `spiffe://${trustDomain}`;
}

/**
 * A trust domain given as its SPIFFE ID (`spiffe://example.org`) or its bare name; MALFORMED_INPUT
 * if neither. Returns the bare name.
 */
export function parseTrustDomain(s: string, field = 'trust_domain'): string {
  const name = s.startsWith('spiffe://') ? s.slice('spiffe://'.length) : s;
  if (name === '' || name.length > 255 || !TRUST_DOMAIN.test(name))
    throw new MpcidError(
      'MALFORMED_INPUT',
      `${field}: expected a trust domain (spiffe://example.org: lowercase letters, digits, '.', '-', '_')`,
    );
  return name;
}

/** The trust domain of an identity's registered name, undefined when the name is no SPIFFE ID. */
export function trustDomainOf(name: string): string | undefined {
  return parseSpiffeId(name)?.trustDomain;
}
