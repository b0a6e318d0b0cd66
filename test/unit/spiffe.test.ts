/**
 * SPIFFE IDs and the Workload Endpoint address (SPIFFE-ID.md §2, SPIFFE_Workload_Endpoint.md §4):
 * the parsers the agent's SPIFFE Workload API and the oracles' bundle service rely on.
 */
import { describe, expect, it } from 'vitest';
import { endpointSocket } from '../../cli/commands/agent-run.js';
import { parseSpiffeId, parseTrustDomain, trustDomainOf } from '../../common/spiffe.js';

describe('SPIFFE IDs', () => {
  it('parses trust domain and path', () => {
    expect(parseSpiffeId('spiffe://example.org/ns/prod/sa/api')).toEqual({
      trustDomain: 'example.org',
      path: '/ns/prod/sa/api',
    });
    expect(parseSpiffeId('spiffe://example.org')).toEqual({ trustDomain: 'example.org', path: '' });
    expect(trustDomainOf('spiffe://test.mpcid/a')).toBe('test.mpcid');
  });

  it.each([
    'http://example.org/a',
    'spiffe://',
    'spiffe://Example.org/a',
    'spiffe://example.org/',
    'spiffe://example.org//a',
    'spiffe://example.org/a/../b',
    'spiffe://example.org/a/./b',
    'spiffe://example.org/a?x=1',
    'spiffe://example.org/a#f',
    'spiffe://user@example.org/a',
    'spiffe://example.org:8443/a',
    'spiffe://example.org/a b',
    `spiffe://example.org/${'a'.repeat(2048)}`,
    'not-a-spiffe-id',
  ])('refuses %s', (s) => {
    expect(parseSpiffeId(s)).toBeUndefined();
  });

  it('trust domains: spiffe://td or bare, else MALFORMED_INPUT', () => {
    expect(parseTrustDomain('spiffe://example.org')).toBe('example.org');
    expect(parseTrustDomain('example.org')).toBe('example.org');
    for (const bad of ['', 'spiffe://', 'spiffe://Upper', 'a/b', 'x'.repeat(256)])
      expect(() => parseTrustDomain(bad), bad).toThrow(/trust domain/);
  });
});

describe('SPIFFE_ENDPOINT_SOCKET', () => {
  it('takes unix:///absolute/path', () => {
    expect(endpointSocket('unix:///run/mpcid/agent.sock')).toBe('/run/mpcid/agent.sock');
    expect(endpointSocket('unix:/run/mpcid/agent.sock')).toBe('/run/mpcid/agent.sock');
  });

  it.each([
    [undefined, /--socket is required/],
    ['', /--socket is required/],
    ['tcp://127.0.0.1:8000', /Unix socket only/],
    ['unix://host/run/agent.sock', /no host/],
    ['unix:///run/agent.sock?x=1', /no host, query or fragment/],
    ['unix:///run/agent.sock#f', /no host, query or fragment/],
    ['/run/agent.sock', /not a URI/],
  ])('refuses %s', (env, why) => {
    expect(() => endpointSocket(env)).toThrow(why);
  });
});
