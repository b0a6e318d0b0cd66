/**
 * The agent's co-signer: the one object the Workload API, the SPIFFE Workload API and the daemon
 * sign through. Every signature and every heartbeat is one ratchet step (docs/protocol.md §5-6),
 * made one at a time by the step engine (agent/steps.ts) over a quorum of oracles
 * (agent/quorum.ts); each kind is one flow: agent/eddsa.ts (sign, jwt), agent/ecdsa.ts (es256,
 * jwt-es256), agent/heartbeat.ts, agent/issuer.ts (jwt-issuer: the federation issuer key),
 * agent/unseal.ts, agent/measure.ts (measurement registers). Told
 * FORK_DETECTED or IDENTITY_REVOKED with valid evidence (two conflicting steps, an abort claim, or
 * an operator's revocation under the cluster CA: the kill switch), or after an aborted ES256
 * session (agent/ecdsa-abort.ts), the agent stops for good.
 */

import { asMpcidError, MpcidError } from '../common/errors.js';
import { LOG, type Logger } from '../common/log.js';
import type { RegisterState } from '../common/measure-wire.js';
import type { StepKind } from '../crypto/ratchet.js';
import type { StepResponse__Output } from '../proto/gen/mpcid/oracle/v1/StepResponse.js';
import { ecdsaFlow } from './ecdsa.js';
import { abortedRevocation, readAbort, sendAbort } from './ecdsa-abort.js';
import { PresignPool } from './ecdsa-presign.js';
import type { Es256Key } from './ecdsa-setup.js';
import { eddsaFlow, type Signed } from './eddsa.js';
import { heartbeatFlow } from './heartbeat.js';
import { type IssuerRelay, issuerFlow } from './issuer.js';
import { measureFlow, registersOf } from './measure.js';
import type { OracleClient } from './oracles.js';
import { Quorum } from './quorum.js';
import type { RatchetState } from './ratchet.js';
import type { AgentState } from './state.js';
import { everyOracleFlow, REVOKED_CODES, StepEngine, type StepRpc } from './steps.js';

export interface CosignerOptions {
  /** Deadline of each call to an oracle. */
  deadlineMs?: number;
  /** Commitments fetched per GetNonces call. */
  prefetch?: number;
  /** Idle time after which the agent makes a heartbeat step; 0 disables heartbeats. */
  heartbeatMs?: number;
  /** The cluster CA (PEM, mTLS): it checks an operator's signed revocation (kill switch). */
  clusterCa?: Buffer | undefined;
  /** ES256 presignatures kept ready (agent/ecdsa-presign.ts; default 2); 0: every signature online. */
  es256Presigns?: number;
  /** How long each is offered (default 5 min, AGENT_PRESIGN_TTL_MS; keep it under the oracles' 10). */
  es256PresignTtlMs?: number;
}

export class Cosigner {
  readonly #engine: StepEngine;
  readonly #quorum: Quorum;
  readonly #log: Logger;
  readonly #heartbeatMs: number;
  #es256: Es256Key | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #presigns: PresignPool;
  #started = false;

  constructor(
    state: AgentState,
    dir: string,
    ratchet: RatchetState,
    clients: readonly OracleClient[],
    log: Logger,
    opts: CosignerOptions = {},
  ) {
    this.#log = log;
    this.#quorum = new Quorum(state, clients, log, {
      deadlineMs: opts.deadlineMs ?? 3_000,
      prefetch: opts.prefetch ?? 4,
    });
    this.#engine = new StepEngine(state, dir, ratchet, this.#quorum, log, opts.clusterCa);
    this.#presigns = new PresignPool(
      this.#engine,
      () => this.#es256,
      opts.es256Presigns ?? 2,
      opts.es256PresignTtlMs,
    );
    this.#engine.onRevoked = () => {
      if (this.#timer) clearInterval(this.#timer);
      this.#presigns.stop();
    };
    this.#heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.#es256 = state.es256;
    const aborted = readAbort(dir);
    if (aborted) this.#engine.revoke(abortedRevocation(aborted));
  }

  /** The ES256 key, once ES256 setup has finished (the daemon may finish it after start). */
  get es256(): Es256Key | undefined {
    return this.#es256;
  }

  set es256(key: Es256Key | undefined) {
    this.#es256 = key;
    if (this.#started) this.#presigns.refill();
  }

  /** The ES256 presignature pool's counters (agent/ecdsa-presign.ts). */
  get presigns(): PresignPool {
    return this.#presigns;
  }

  /** The ratchet's certified counter (for status and tests). */
  get counter(): number {
    return this.#engine.counter;
  }

  get revoked(): MpcidError | undefined {
    return this.#engine.revoked;
  }

  /** Starts heartbeats: a step whenever the agent has been idle for the interval. */
  start(): void {
    const aborted = readAbort(this.#engine.dir);
    if (aborted && aborted !== 'unreadable')
      void sendAbort(this.#quorum.clients, this.#quorum.deadlineMs, this.#log, aborted);
    if (this.#engine.revoked) return;
    this.#started = true;
    void this.prefetch();
    this.#presigns.refill();
    if (this.#heartbeatMs <= 0) return;
    const tick = () => {
      if (this.#engine.revoked) return;
      if (Date.now() - this.#engine.lastStepAt >= this.#heartbeatMs) {
        this.heartbeat().catch((e: unknown) => {
          const err = asMpcidError(e) ?? new MpcidError('INTERNAL', String(e));
          if (!REVOKED_CODES.has(err.code))
            this.#log.warn(
              { [LOG.errorCode]: err.code, [LOG.errorMessage]: err.message },
              'heartbeat failed',
            );
        });
      }
    };
    this.#timer = setInterval(tick, Math.max(50, Math.floor(this.#heartbeatMs / 4)));
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#presigns.stop();
    await this.#engine.stop();
  }

  /** Warms the nonce cache of every oracle (best effort). */
  prefetch(): Promise<void> {
    return this.#quorum.prefetch(this.#engine.counter);
  }

  /** A heartbeat step, sent to every oracle, certified by t of them. */
  async heartbeat(): Promise<void> {
    await this.#engine.run(heartbeatFlow(this.#engine));
  }

  /**
   * A step of `kind` to every oracle through `rpc` (default Step), certified by t of them: the
   * answers of the oracles that committed (an unseal step's partials: agent/unseal.ts).
   */
  stepEveryOracle<R extends { commit: StepResponse__Output['commit'] }>(
    kind: StepKind,
    payloadDigest: Uint8Array,
    rpc: StepRpc<R>,
  ): Promise<Map<number, R>> {
    return this.#engine.run(everyOracleFlow(this.#engine, kind, payloadDigest, rpc));
  }

  /** The measurement registers as of the last certified measure step (docs/protocol.md §6.4). */
  get registers(): RegisterState {
    return registersOf(this.#engine.ratchet);
  }

  /** Extends register `register` with `digest`: one measure step; the registers after it. */
  measure(register: number, digest: Uint8Array): Promise<RegisterState> {
    return this.#engine.run(measureFlow(this.#engine, register, digest));
  }

  /** Co-signs `message`; the returned signature has been verified against the identity key. */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    return (await this.#engine.run(eddsaFlow(this.#engine, 'sign', () => message))).signature;
  }

  /**
   * Co-signs a JWS signing input built for the step's counter (tokens carry it as `ctr`); the
   * oracles check it against their token policy. Returns the signing input and the signature.
   */
  signToken(build: (counter: number) => Uint8Array): Promise<Signed> {
    return this.#engine.run(eddsaFlow(this.#engine, 'jwt', build));
  }

  /** ES256 (threshold ECDSA, DKLs23) over `message`: r || s (low-S), verified against the P-256 key. */
  async signEs256(message: Uint8Array): Promise<Uint8Array> {
    return (
      await this.#engine.run(
        ecdsaFlow(
          this.#engine,
          () => this.#es256,
          'es256',
          () => message,
          this.#presigns.source,
        ),
      )
    ).signature;
  }

  /** An ES256 JWS signing input built for the step's counter, co-signed like signToken. */
  signTokenEs256(build: (counter: number) => Uint8Array): Promise<Signed> {
    return this.#engine.run(
      ecdsaFlow(this.#engine, () => this.#es256, 'jwt-es256', build, this.#presigns.source),
    );
  }

  /**
   * An issuer-key token (agent/issuer.ts, docs/protocol.md §10): a jwt-issuer step whose t
   * oracles sign with the cluster issuer key, `relay` running their session.
   */
  signTokenIssuer(build: (counter: number) => Uint8Array, relay: IssuerRelay): Promise<Signed> {
    return this.#engine.run(issuerFlow(this.#engine, build, relay));
  }
}
