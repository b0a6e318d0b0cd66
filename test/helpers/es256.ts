/**
 * ES256 helpers for integration tests: independent verifiers (node:crypto, the OpenSSL CLI), and
 * test doubles that speak the real threshold-ECDSA protocol (agent/es256.ts, real RPCs to real
 * oracles) but corrupt exactly one message: the agent's own round-2 message to one oracle, or an
 * oracle-to-oracle message the agent relays, or (at the network) an oracle's answer to the agent.
 */

import { execFileSync } from 'node:child_process';
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { AgentEcdsaSession, type RoundCall } from '../../agent/ecdsa.js';
import type { OracleClient } from '../../agent/oracles.js';
import type { AgentState } from '../../agent/state.js';
import { clusterNodeKeys } from '../../common/config.js';
import { call, fromServiceError } from '../../common/grpc.js';
import { ecdsaPayloadDigest, presignPayloadDigest } from '../../common/protocol.js';
import type { Presignature } from '../../crypto/ecdsa/index.js';
import { type SignedStep, stepDigest } from '../../crypto/ratchet.js';
import { openEnvelope, sealEnvelope } from '../../crypto/seal.js';
import type { Secret } from '../../crypto/secret.js';
import type { EcdsaRoundRequest } from '../../proto/gen/mpcid/oracle/v1/EcdsaRoundRequest.js';
import type { Envelope, Envelope__Output } from '../../proto/gen/mpcid/oracle/v1/Envelope.js';
import type { StepResponse__Output } from '../../proto/gen/mpcid/oracle/v1/StepResponse.js';
import { DEADLINE_MS, HostileRatchet } from './hostile.js';
import { interceptAnswers } from './intercept.js';

/** The P-256 group order n. */
export const P256_N = p256.Point.Fn.ORDER;

/** A SEC 1 (compressed or uncompressed) P-256 public key as a node:crypto KeyObject (via its JWK). */
export function p256Key(point: Uint8Array): KeyObject {
  const u = p256.Point.fromBytes(point).toBytes(false);
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(u.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(u.subarray(33)).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** node:crypto's verdict on an ES256 signature r || s over `msg`. */
export function nodeVerifyEs256(point: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  return verify('sha256', msg, { key: p256Key(point), dsaEncoding: 'ieee-p1363' }, sig);
}

/** DER (X9.62 Ecdsa-Sig-Value) of r || s: what OpenSSL verifies. Written here, not taken from a library. */
export function derSignature(sig: Uint8Array): Buffer {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = Buffer.from(b.subarray(i));
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, 32)), int(sig.subarray(32, 64))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** `openssl dgst -sha256 -verify pub.pem -signature sig.der msg`: true iff OpenSSL prints Verified OK. */
export function opensslVerifyEs256(
  dir: string,
  point: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
  tag: string,
): boolean {
  const [k, m, s] = ['pub.pem', 'msg.bin', 'sig.der'].map((f) => join(dir, `${tag}-${f}`));
  writeFileSync(k!, p256Key(point).export({ type: 'spki', format: 'pem' }));
  writeFileSync(m!, msg);
  writeFileSync(s!, derSignature(sig));
  try {
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', k!, '-signature', s!, m!], {
      stdio: 'pipe',
    });
    return out.toString().includes('Verified OK');
  } catch {
    return false;
  }
}

/** s of r || s as an integer. */
export function sOf(sig: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(sig.subarray(32, 64)).toString('hex')}`);
}

/** x·G on P-256 for a 32-byte big-endian scalar (reduced mod n; 0 gives undefined). */
export function p256Times(scalar: Uint8Array): InstanceType<typeof p256.Point> | undefined {
  const x = BigInt(`0x${Buffer.from(scalar).toString('hex')}`) % P256_N;
  return x === 0n ? undefined : p256.Point.BASE.multiply(x);
}

/** Flips one bit of a copy of `b` at byte `at` (negative: from the end). */
export function flip(b: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(b);
  const i = at < 0 ? out.length + at : at;
  out[i]! ^= 0x01;
  return out;
}

/** Which message a test double corrupts. */
export type Tamper =
  /** Our own DKLs23 message of `round` to oracle `to`: byte `at` of the plaintext, then sealed as usual. */
  | { kind: 'own'; round: number; to: number; at: number }
  /**
   * The sealed message of `round` from oracle `from` to oracle `to`: 'relay' alters it as a
   * hostile agent would (before binding its own message to it), 'wire' after the agent sent the
   * request (a network attacker).
   */
  | { kind: 'relay' | 'wire'; round: number; from: number; to: number; at: number };

const hits = (
  t: Tamper | undefined,
  kind: Tamper['kind'],
  e: { from?: number; to?: number; round?: number },
) => t?.kind === kind && t.kind !== 'own' && e.from === t.from && e.to === t.to && e.round === t.round;

/** The agent's real session, except that it corrupts its own message of one round to one oracle. */
class TamperingSession extends AgentEcdsaSession {
  constructor(
    readonly tamper: Tamper | undefined,
    ...args: ConstructorParameters<typeof AgentEcdsaSession>
  ) {
    super(...args);
  }
  protected override relay(e: Envelope__Output): Envelope__Output {
    if (!hits(this.tamper, 'relay', e)) return e;
    return { ...e, sealed: Buffer.from(flip(e.sealed, (this.tamper as { at: number }).at)) };
  }
  protected override seal(round: number, to: number, msg: Uint8Array, bound: Uint8Array): Envelope {
    const t = this.tamper;
    if (t?.kind === 'own' && t.round === round && t.to === to)
      return super.seal(round, to, flip(msg, t.at), bound);
    return super.seal(round, to, msg, bound);
  }
}

export interface DoubleResult {
  signature?: Uint8Array;
  /** The error the session ended with (an MpcidError: the oracles' codes are kept). */
  error?: unknown;
  session: Uint8Array;
}

/**
 * A test-double agent for an enrolled state dir whose agent is not running: its own ratchet
 * record (HostileRatchet), a real es256 step committed by every oracle (the first t sign), and
 * the real agent session over real EcdsaRound calls, with `tamper` applied.
 */
export class Es256Double {
  readonly ratchet: HostileRatchet;
  readonly #nodeKeys: Map<number, Uint8Array>;
  /** `ratchet`: an existing hostile ratchet of this identity (default: loaded from the state dir). */
  constructor(
    readonly state: AgentState,
    stateDir: string,
    readonly clients: readonly OracleClient[],
    ratchet?: HostileRatchet,
  ) {
    this.ratchet = ratchet ?? HostileRatchet.load(stateDir, state);
    this.#nodeKeys = clusterNodeKeys(state.cluster);
  }

  /**
   * The step (`kind`, over `message`; none for es256-presign) committed by every oracle, and the
   * session it opened with our round 1 made and the oracles' round-1 messages.
   */
  async #open(
    kind: 'es256' | 'es256-presign',
    payloadDigest: Uint8Array,
    oracles: number[],
    message: Uint8Array | undefined,
    tamper: Tamper | undefined,
  ) {
    const { state, clients } = this;
    const signed = this.ratchet.make(kind, payloadDigest);
    const request = {
      ...this.ratchet.request(signed),
      ecdsa: { message: Buffer.from(message ?? new Uint8Array(0)), oracles },
    };
    const answers = await this.ratchet.commit(clients, { signed, request });
    const session = stepDigest(signed.step);
    const s = new TamperingSession(
      tamper,
      state.identityId,
      this.#nodeKeys,
      state.es256!,
      oracles,
      session,
      message,
    );
    s.start();
    const round1 = new Map(
      oracles.map((o) => [o, answers[clients.findIndex((c) => c.nodeId === o)]!.envelopes]),
    );
    return { signed, session, s, round1 };
  }

  /** One es256 signature; `record` sees every EcdsaRound request as sent. */
  async sign(
    message: Uint8Array,
    tamper?: Tamper,
    record?: (req: EcdsaRoundRequest) => void,
  ): Promise<DoubleResult & { step: SignedStep }> {
    const { state, clients } = this;
    const oracles = clients.slice(0, state.cluster.t).map((c) => c.nodeId);
    const { signed, session, s, round1 } = await this.#open(
      'es256',
      ecdsaPayloadDigest('es256', message, oracles),
      oracles,
      message,
      tamper,
    );
    const roundCall: RoundCall = async (o, round, envelopes) => {
      const c = clients.find((x) => x.nodeId === o)!;
      const sent = envelopes.map((e) =>
        hits(tamper, 'wire', e)
          ? { ...e, sealed: flip(e.sealed as Uint8Array, (tamper as { at: number }).at) }
          : e,
      );
      const req = { identityId: state.identityId, session: Buffer.from(session), round, envelopes: sent };
      record?.(req);
      try {
        const res = await call(c.signer, c.signer.EcdsaRound, req, DEADLINE_MS);
        return res.envelopes;
      } catch (e) {
        throw fromServiceError(e, `oracle ${o}`);
      }
    };
    try {
      return { signature: await s.run(round1, roundCall), session, step: signed };
    } catch (error) {
      return { error, session, step: signed };
    }
  }

  /**
   * An es256-presign step on `oracles` (default: the first t), committed by every oracle, and its
   * presigning session (rounds 2-3 over real EcdsaRound calls, `tamper` applied): our
   * presignature, or the error the session ended with. Each oracle's round 3 must answer
   * `presigned` with no message.
   */
  async presign(
    tamper?: Tamper,
    oracles: number[] = this.clients.slice(0, this.state.cluster.t).map((c) => c.nodeId),
  ): Promise<{ presignature?: Presignature; error?: unknown; session: Uint8Array; step: SignedStep }> {
    const { state, clients } = this;
    const { signed, session, s, round1 } = await this.#open(
      'es256-presign',
      presignPayloadDigest(oracles),
      oracles,
      undefined,
      tamper,
    );
    const roundCall: RoundCall = async (o, round, envelopes) => {
      const c = clients.find((x) => x.nodeId === o)!;
      const req = { identityId: state.identityId, session: Buffer.from(session), round, envelopes };
      let res: Awaited<
        ReturnType<typeof call<unknown, { envelopes: Envelope__Output[]; presigned: boolean }>>
      >;
      try {
        res = await call(c.signer, c.signer.EcdsaRound, req, DEADLINE_MS);
      } catch (e) {
        throw fromServiceError(e, `oracle ${o}`);
      }
      if (round === 3 && (!res.presigned || res.envelopes.length > 0))
        throw new Error(`oracle ${o}: round 3 of a presigning session did not answer presigned`);
      return res.envelopes;
    };
    try {
      return { presignature: await s.presign(round1, roundCall), session, step: signed };
    } catch (error) {
      return { error, session, step: signed };
    }
  }

  /**
   * An es256 step over `message` naming presignature `presign` and signing set `oracles`, sent to
   * every oracle (crafted at the wire level, as a hostile agent could): every oracle's answer.
   */
  async usePresign(
    message: Uint8Array,
    presign: Uint8Array,
    oracles: number[],
  ): Promise<{ answers: StepResponse__Output[]; step: SignedStep }> {
    const signed = this.ratchet.make('es256', ecdsaPayloadDigest('es256', message, oracles, presign));
    const request = {
      ...this.ratchet.request(signed),
      ecdsa: { message: Buffer.from(message), oracles, presign: Buffer.from(presign) },
    };
    const answers = await this.ratchet.commit(this.clients, { signed, request });
    return { answers, step: signed };
  }
}

/**
 * Oracle clients whose EcdsaRound answers from oracle `t.from` in RPC round `t.rpcRound` are
 * corrupted on their way to the agent: the message to the agent has byte `t.at` flipped, either
 * in its ciphertext (`wire`: a network attacker) or in its plaintext, opened and sealed again
 * with the pair's channel key (`oracle`: a hostile oracle, which holds that key, speaking the
 * real protocol with one inconsistent message). Counts the answers it corrupted.
 */
export function corruptingClients(
  clients: readonly OracleClient[],
  t: { mode: 'wire' | 'oracle'; rpcRound: 2 | 3; from: number; at: number; channelKey: Secret },
): { clients: OracleClient[]; corrupted: () => number } {
  let corrupted = 0;
  const alter = (session: Uint8Array, e: { from: number; to: number; round: number; sealed: Buffer }) => {
    if (t.mode === 'wire') return flip(e.sealed, t.at);
    const plain = openEnvelope(t.channelKey, 'sign', session, e.round, e.from, 0, e.sealed);
    return sealEnvelope(t.channelKey, 'sign', session, e.round, e.from, 0, flip(plain, t.at));
  };
  type Res = { envelopes: { from: number; to: number; round: number; sealed: Buffer }[] };
  const out = interceptAnswers<{ round?: number; session?: Uint8Array }, Res>(
    clients,
    'EcdsaRound',
    (_nodeId, req, res) => {
      if (req.round !== t.rpcRound) return;
      for (const e of res.envelopes)
        if (e.to === 0) {
          e.sealed = Buffer.from(alter(new Uint8Array(req.session!), e));
          corrupted++;
        }
    },
    [t.from],
  );
  return { clients: out, corrupted: () => corrupted };
}
