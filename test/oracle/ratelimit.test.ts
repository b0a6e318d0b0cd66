/**
 * The oracle's rate limiter (oracle/ratelimit.ts) in process, with a fake clock: token-bucket
 * arithmetic, the retry hint, bounded memory under many distinct keys, the config defaults, and
 * the agent's backoff schedule for RATE_LIMITED.
 */
import { describe, expect, it } from 'vitest';
import { rateLimitBackoffMs } from '../../agent/quorum.js';
import { RATE_LIMIT_DEFAULTS, RateLimitsSchema } from '../../common/config.js';
import { MpcidError } from '../../common/errors.js';
import { OracleMetrics } from '../../oracle/metrics.js';
import { peerKey, peerKeyOf, RateLimiter, TokenBuckets } from '../../oracle/ratelimit.js';

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('TokenBuckets', () => {
  it('allows a burst, then one request per 1/rate seconds, with the wait as the hint', () => {
    const c = clock();
    const b = new TokenBuckets({ ratePerSecond: 10, burst: 3 }, 100, c.now);
    expect([b.take('k'), b.take('k'), b.take('k')]).toEqual([0, 0, 0]);
    expect(b.take('k')).toBe(100); // one token every 100 ms
    c.advance(50);
    expect(b.take('k')).toBe(50);
    c.advance(50);
    expect(b.take('k')).toBe(0);
    // Idle for long: back to a full bucket, never more than the burst.
    c.advance(60_000);
    expect([b.take('k'), b.take('k'), b.take('k'), b.take('k')]).toEqual([0, 0, 0, 100]);
  });

  it('keys are independent', () => {
    const c = clock();
    const b = new TokenBuckets({ ratePerSecond: 1, burst: 1 }, 100, c.now);
    expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBeGreaterThan(0);
    expect(b.take('b')).toBe(0);
  });

  it('rate 0 disables the limit and tracks nothing', () => {
    const b = new TokenBuckets({ ratePerSecond: 0, burst: 1 }, 100);
    for (let i = 0; i < 1000; i++) expect(b.take('k')).toBe(0);
    expect(b.size).toBe(0);
  });

  it('memory stays bounded with 200k distinct keys; the least recently used key is dropped', () => {
    const c = clock();
    const b = new TokenBuckets({ ratePerSecond: 1, burst: 1 }, 1000, c.now);
    expect(b.take('hot')).toBe(0);
    let max = 0;
    for (let i = 0; i < 200_000; i++) {
      b.take(`k${i}`);
      // Touched often: it stays tracked, so its bucket stays empty.
      if (i % 500 === 0 && b.take('hot') === 0) throw new Error(`hot key refilled at ${i}`);
      max = Math.max(max, b.size);
    }
    expect(max).toBe(1000);
    expect(b.size).toBe(1000);
    // A key seen long ago was dropped: it starts again with a full bucket.
    expect(b.take('k0')).toBe(0);
  });
});

describe('RateLimiter', () => {
  it('throws RATE_LIMITED with retryAfterMs, scope and rpc, and counts the refusal', async () => {
    const c = clock();
    const metrics = new OracleMetrics();
    const lim = new RateLimiter(
      {
        ...RATE_LIMIT_DEFAULTS,
        nonces: { perIdentity: { ratePerSecond: 2, burst: 1 }, perPeer: { ratePerSecond: 0, burst: 1 } },
      },
      metrics,
      c.now,
    );
    lim.check('GetNonces', 'identity', 'id-1');
    let err: unknown;
    try {
      lim.check('GetNonces', 'identity', 'id-1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MpcidError);
    const e = err as MpcidError;
    expect(e.code).toBe('RATE_LIMITED');
    expect(e.status).toBe('RESOURCE_EXHAUSTED');
    expect(e.metadata).toEqual({ retryAfterMs: '500', scope: 'identity', rpc: 'GetNonces' });
    // Another identity and the other RPC are unaffected; the disabled per-peer limit never refuses.
    lim.check('GetNonces', 'identity', 'id-2');
    lim.check('Step', 'identity', 'id-1');
    for (let i = 0; i < 10_000; i++) lim.check('GetNonces', 'peer', '127.0.0.1');
    const text = await metrics.registry.metrics();
    expect(text).toContain('mpcid_rate_limited_total{rpc="GetNonces",scope="identity"} 1');
    expect(lim.tracked('GetNonces', 'identity')).toBe(2);
  });
});

describe('peer keys and config', () => {
  it('peerKeyOf: the client certificate under mTLS, else the address without its port', () => {
    const call = (peer: string, fingerprint256?: string) => ({
      getPeer: () => peer,
      getAuthContext: () => (fingerprint256 ? { sslPeerCertificate: { fingerprint256 } } : {}),
    });
    const fp = 'AB:CD:EF';
    expect(peerKeyOf(call('127.0.0.1:5123', fp))).toBe(`cert:${fp}`);
    expect(peerKeyOf(call('10.0.0.9:4000', fp))).toBe(`cert:${fp}`);
    expect(peerKeyOf(call('127.0.0.1:5123'))).toBe('127.0.0.1');
    expect(peerKeyOf(call('127.0.0.1:5124', 'AB:CD:00'))).not.toBe(peerKeyOf(call('127.0.0.1:5123', fp)));
  });

  it('peerKey drops the port', () => {
    expect(peerKey('127.0.0.1:5123')).toBe('127.0.0.1');
    expect(peerKey('[::1]:5123')).toBe('[::1]');
    expect(peerKey('unix:/tmp/x.sock')).toBe('unix:/tmp/x.sock');
  });

  it('the schema fills every default and names a bad field', () => {
    expect(RateLimitsSchema.parse(undefined)).toEqual(RATE_LIMIT_DEFAULTS);
    expect(RateLimitsSchema.parse({ steps: { perPeer: { ratePerSecond: 5, burst: 10 } } })).toEqual({
      ...RATE_LIMIT_DEFAULTS,
      steps: { ...RATE_LIMIT_DEFAULTS.steps, perPeer: { ratePerSecond: 5, burst: 10 } },
    });
    const bad = RateLimitsSchema.safeParse({ nonces: { perIdentity: { ratePerSecond: -1, burst: 0 } } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual([
      'nonces.perIdentity.ratePerSecond',
      'nonces.perIdentity.burst',
    ]);
  });

  it('the default limits leave room for an honest agent at 50 signatures per second', () => {
    // One Step per oracle per signature, plus at most one GetNonces per oracle per signature.
    for (const k of ['nonces', 'steps'] as const) {
      expect(RATE_LIMIT_DEFAULTS[k].perIdentity.ratePerSecond).toBeGreaterThanOrEqual(50);
      expect(RATE_LIMIT_DEFAULTS[k].perPeer.ratePerSecond).toBeGreaterThan(
        RATE_LIMIT_DEFAULTS[k].perIdentity.ratePerSecond,
      );
    }
  });
});

describe("the agent's backoff for RATE_LIMITED", () => {
  it('follows the hint, never below an exponential floor, capped at 2 s', () => {
    expect(rateLimitBackoffMs(0, undefined, 0)).toBe(50);
    expect(rateLimitBackoffMs(3, undefined, 0)).toBe(400);
    expect(rateLimitBackoffMs(0, '300', 0)).toBe(300);
    expect(rateLimitBackoffMs(2, '10', 0)).toBe(200);
    expect(rateLimitBackoffMs(0, '999999', 0)).toBe(2000);
    expect(rateLimitBackoffMs(0, 'garbage', 0)).toBe(50);
    expect(rateLimitBackoffMs(0, '100', 1)).toBe(125);
  });
});
