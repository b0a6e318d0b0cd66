/**
 * Rate limits on the Signer service (docs/protocol.md, Errors): token buckets per identity and per
 * peer for GetNonces, Step and EcdsaRound.
 *
 * The per-peer bucket (keyed by the client's network address without its port, later by its
 * authenticated certificate) is charged first, before any work, so unauthenticated floods cost
 * little; the per-identity bucket is charged only after the request's session signature has
 * verified, so nobody can drain another identity's bucket with forged requests. A refusal is
 * RATE_LIMITED (RESOURCE_EXHAUSTED) with `retryAfterMs` in the ErrorInfo metadata.
 *
 * Memory is bounded: each bucket set keeps at most `maxTrackedKeys` keys and drops the least
 * recently used one beyond that (a dropped key starts again with a full bucket, which is what an
 * idle key would have anyway).
 */
import type { RateLimitsConfig } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import type { OracleMetrics } from './metrics.js';

export interface BucketConfig {
  /** Tokens added per second; 0 disables the limit. */
  ratePerSecond: number;
  /** Bucket capacity: how many requests may come at once after an idle period. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets for many keys, least recently used first (Map insertion order). */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #cfg: BucketConfig;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(cfg: BucketConfig, maxKeys: number, now: () => number = () => performance.now()) {
    this.#cfg = cfg;
    this.#maxKeys = Math.max(1, maxKeys);
    this.#now = now;
  }

  /** Keys tracked right now (at most maxKeys). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token for `key`: 0 if the request may go ahead, else the milliseconds until it may. */
  take(key: string): number {
    const { ratePerSecond: rate, burst } = this.#cfg;
    if (rate <= 0) return 0;
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (b) {
      this.#buckets.delete(key);
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) * rate) / 1000);
      b.at = now;
    } else {
      while (this.#buckets.size >= this.#maxKeys) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
      b = { tokens: burst, at: now };
    }
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * 1000) / rate));
  }

  clear(): void {
    this.#buckets.clear();
  }
}

export type LimitedRpc = 'GetNonces' | 'Step' | 'EcdsaRound';
export type LimitScope = 'identity' | 'peer';

/** The network address of a gRPC peer without its port ("127.0.0.1:5000" -> "127.0.0.1"). */
export function peerKey(peer: string): string {
  const m = /^(.*):\d+$/.exec(peer);
  return m ? m[1]! : peer;
}

/** What peerKeyOf reads of a server call (grpc-js ServerUnaryCall has both). */
export interface CallPeer {
  getPeer(): string;
  getAuthContext(): { sslPeerCertificate?: { fingerprint256?: string } } | undefined;
}

/**
 * The per-peer rate-limit key of a call. Under mTLS it is the client certificate (its SHA-256
 * fingerprint): one bucket per certificate, from whatever address it connects, and agents behind
 * one NAT address do not share a bucket. Without TLS it is the network address (peerKey).
 */
export function peerKeyOf(call: CallPeer): string {
  const fp = call.getAuthContext()?.sslPeerCertificate?.fingerprint256;
  return fp ? `cert:${fp}` : peerKey(call.getPeer());
}

export class RateLimiter {
  readonly #buckets: Record<LimitedRpc, Record<LimitScope, TokenBuckets>>;
  readonly #metrics: OracleMetrics | undefined;

  constructor(cfg: RateLimitsConfig, metrics?: OracleMetrics, now?: () => number) {
    const max = cfg.maxTrackedKeys;
    const set = (c: { perIdentity: BucketConfig; perPeer: BucketConfig }) => ({
      identity: new TokenBuckets(c.perIdentity, max, now),
      peer: new TokenBuckets(c.perPeer, max, now),
    });
    this.#buckets = { GetNonces: set(cfg.nonces), Step: set(cfg.steps), EcdsaRound: set(cfg.ecdsaRounds) };
    this.#metrics = metrics;
  }

  /** Keys tracked by one bucket set (tests: memory stays bounded). */
  tracked(rpc: LimitedRpc, scope: LimitScope): number {
    return this.#buckets[rpc][scope].size;
  }

  /** Charges one request; throws RATE_LIMITED (with a retry hint) when the bucket is empty. */
  check(rpc: LimitedRpc, scope: LimitScope, key: string): void {
    const wait = this.#buckets[rpc][scope].take(key);
    if (wait === 0) return;
    this.#metrics?.rateLimited.inc({ rpc, scope });
    throw new MpcidError('RATE_LIMITED', `too many ${rpc} requests from this ${scope}; retry in ${wait} ms`, {
      details: { retryAfterMs: wait, scope, rpc },
    });
  }

  clear(): void {
    for (const r of Object.values(this.#buckets)) for (const b of Object.values(r)) b.clear();
  }
}
