/**
 * The agent's JWT bundle (SPIFFE Workload API FetchJWTBundles / ValidateJWTSVID): the JWT-SVID
 * keys of the agent's own trust domain, polled from every oracle (Bundle.GetJwtBundle) and kept
 * only where a quorum agrees: a key is in the bundle when at least t oracles list it with the same
 * public key, so fewer than t lying oracles can neither add a key nor keep a revoked one (a
 * revoked identity leaves every honest oracle's answer as soon as it holds the revocation).
 * Subscribers (open FetchJWTBundles streams) get the whole bundle again whenever it changes.
 *
 * Polling costs each oracle a scan of its identity records, so the agent polls only while a
 * stream is open (every refreshMs); otherwise a bundle older than refreshMs is refreshed when
 * ValidateJWTSVID needs it.
 */
import { codeOf, MpcidError } from '../common/errors.js';
import { call, fromServiceError } from '../common/grpc.js';
import type { Logger } from '../common/log.js';
import { trustDomainId } from '../common/spiffe.js';
import { toB64u } from '../crypto/bytes.js';
import { p256Jwk, p256Thumbprint } from '../crypto/p256.js';
import type { OracleClient } from './oracles.js';

/** One JWK of a JWT bundle (SPIFFE Trust Domain and Bundle §4: `use` jwt-svid, `kid` set). */
export type BundleJwk = {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  use: 'jwt-svid';
  alg: 'ES256';
};

/** A trust domain's JWT bundle: its SPIFFE ID and JWK Set. */
export interface JwtBundle {
  readonly trustDomainId: string;
  readonly jwks: { keys: BundleJwk[] };
  /** The JWK Set as the bytes served (JSON). */
  readonly json: string;
}

export const DEFAULT_BUNDLE_REFRESH_MS = 5_000;

export class BundleWatcher {
  readonly #clients: readonly OracleClient[];
  readonly #t: number;
  readonly #trustDomain: string;
  readonly #refreshMs: number;
  readonly #deadlineMs: number;
  readonly #log: Logger;
  readonly #subscribers = new Set<(b: JwtBundle) => void>();
  #current: JwtBundle | undefined;
  #fetchedAt = 0;
  #stopped = false;
  #inflight: Promise<JwtBundle> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: {
    clients: readonly OracleClient[];
    t: number;
    trustDomain: string;
    refreshMs: number;
    deadlineMs: number;
    log: Logger;
  }) {
    this.#clients = opts.clients;
    this.#t = opts.t;
    this.#trustDomain = opts.trustDomain;
    this.#refreshMs = opts.refreshMs;
    this.#deadlineMs = opts.deadlineMs;
    this.#log = opts.log;
  }

  get trustDomainId(): string {
    return trustDomainId(this.#trustDomain);
  }

  /** Polls every refreshMs while at least one subscriber is there. */
  #schedule(): void {
    if (this.#timer || this.#stopped || this.#subscribers.size === 0) return;
    this.#timer = setInterval(() => {
      if (this.#subscribers.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        return;
      }
      this.refresh().then(
        () => undefined,
        (e: unknown) => this.#log.warn({ err: (e as Error).message }, 'JWT bundle refresh failed'),
      );
    }, this.#refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#subscribers.clear();
  }

  /**
   * The bundle held if it is at most refreshMs old, else a fresh one; QUORUM_UNAVAILABLE if fewer
   * than t oracles answer (an older bundle is not used: it may still hold a revoked key).
   */
  current(): Promise<JwtBundle> {
    if (this.#current && Date.now() - this.#fetchedAt <= this.#refreshMs)
      return Promise.resolve(this.#current);
    return this.refresh();
  }

  /** Calls `fn` with every new bundle until the returned function is called. */
  subscribe(fn: (b: JwtBundle) => void): () => void {
    this.#subscribers.add(fn);
    this.#schedule();
    return () => this.#subscribers.delete(fn);
  }

  /** Asks every oracle now (one poll at a time); notifies subscribers if the bundle changed. */
  refresh(): Promise<JwtBundle> {
    this.#inflight ??= this.#poll().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #poll(): Promise<JwtBundle> {
    const td = this.trustDomainId;
    const answers = await Promise.allSettled(
      this.#clients.map((c) =>
        call(c.bundle, c.bundle.GetJwtBundle, { trustDomain: td }, this.#deadlineMs).catch((e: unknown) => {
          throw fromServiceError(e, `oracle ${c.nodeId} GetJwtBundle`);
        }),
      ),
    );
    const votes = new Map<string, { kid: string; publicKey: Uint8Array; n: number }>();
    let answered = 0;
    for (const a of answers) {
      if (a.status === 'rejected') {
        // An oracle that knows no identity of the trust domain answered: it vouches for no key.
        if (codeOf(a.reason) === 'UNKNOWN_TRUST_DOMAIN') answered++;
        continue;
      }
      answered++;
      const seen = new Set<string>();
      for (const k of a.value.keys) {
        const id = `${k.kid}.${toB64u(k.publicKey)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const v = votes.get(id) ?? { kid: k.kid, publicKey: new Uint8Array(k.publicKey), n: 0 };
        v.n++;
        votes.set(id, v);
      }
    }
    if (answered < this.#t)
      throw new MpcidError(
        'QUORUM_UNAVAILABLE',
        `JWT bundle: only ${answered} of ${this.#clients.length} oracles answered, quorum is ${this.#t}`,
      );
    const keys: BundleJwk[] = [];
    for (const v of [...votes.values()].sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0))) {
      if (v.n < this.#t) continue;
      try {
        if (p256Thumbprint(v.publicKey) !== v.kid) continue;
        keys.push({ ...p256Jwk(v.publicKey), kid: v.kid, use: 'jwt-svid', alg: 'ES256' });
      } catch {
        // Not a P-256 point: with an honest quorum, t oracles never agree on one.
      }
    }
    this.#fetchedAt = Date.now();
    const jwks = { keys };
    const bundle: JwtBundle = { trustDomainId: td, jwks, json: JSON.stringify(jwks) };
    if (bundle.json !== this.#current?.json) {
      const first = this.#current === undefined;
      this.#current = bundle;
      if (!first) this.#log.info({ keys: keys.length }, 'JWT bundle changed');
      for (const fn of this.#subscribers) fn(bundle);
    }
    return this.#current;
  }
}
