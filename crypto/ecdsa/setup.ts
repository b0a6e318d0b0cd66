/**
 * Pairwise setup of DKLs23 (eprint 2023/765 §5, "the parties run the OT-extension setup once per
 * pair"): for an unordered pair {self, peer} two batches of KAPPA base OTs (VSOT, ./baseot.ts)
 * run in parallel, one per direction of the random VOLE:
 *
 *   self -> peer  self is the VOLE sender ("Alice", OT-extension sender): VSOT receiver with
 *                 choice bits Δ (its SoftSpokenOT correlation), keeps ρ^{Δ_k}_k;
 *   peer -> self  self is the VOLE receiver ("Bob", OT-extension receiver): VSOT sender, keeps
 *                 (ρ0_k, ρ1_k).
 *
 * Five symmetric rounds: in odd rounds each side sends its VSOT-sender flow (1, 3, 5), in even
 * rounds its VSOT-receiver flow (2, 4); `finish` checks the peer's last flow. The resulting
 * `PairState` holds long-term secret seeds that every signing session expands with its own
 * session id (./softspoken.ts), so no correlation is ever reused across sessions.
 */

import { HASH_DOMAINS } from '../domains.js';
import { CryptoError } from '../errors.js';
import { Secret } from '../secret.js';
import {
  KAPPA,
  randomChoice,
  SEED_LEN,
  VSOT_LEN,
  type VsotContext,
  VsotReceiver,
  VsotSender,
} from './baseot.js';
import {
  type Curve,
  curveByCode,
  type EcdsaCurve,
  getCurve,
  h256,
  MAX_PARTY_ID,
  type PartyId,
} from './curve.js';
import { OT_POINT_LEN } from './ot-group.js';
import { frame, KIND, SETUP_WIRE_VERSION, TAG_LEN, unframe } from './wire.js';

/** Messages each side sends during pair setup (the same for both sides). */
export const SETUP_ROUNDS = 5;

const BODY_LEN = [0, VSOT_LEN.msg1, VSOT_LEN.msg2, VSOT_LEN.msg3, VSOT_LEN.msg4, VSOT_LEN.msg5];
const inspect = Symbol.for('nodejs.util.inspect.custom');

/**
 * Checks a party id (0 = agent, oracles 1..MAX_PARTY_ID).
 * May throw CryptoError: BAD_PARTICIPANT.
 */
export function checkPartyId(v: unknown, field: string): PartyId {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_PARTY_ID) {
    throw new CryptoError('BAD_PARTICIPANT', `${field}: expected a party id in [0, ${MAX_PARTY_ID}]`);
  }
  return v;
}

/**
 * Checks a session (or enrollment context) id: bytes, 16..1024 long.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export function checkSessionId(v: unknown, field = 'sessionId'): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new CryptoError('MALFORMED_INPUT', `${field}: expected bytes`);
  if (v.length < 16 || v.length > 1024)
    throw new CryptoError('BAD_LENGTH', `${field}: expected 16 to 1024 bytes`);
  return v;
}

/** The setup tag: binds the enrollment context, the curve and the unordered pair. */
function setupTag(c: Curve, sessionId: Uint8Array, a: PartyId, b: PartyId): Uint8Array {
  return h256(HASH_DOMAINS.dklsPairSetup, c.name, sessionId, Math.min(a, b), Math.max(a, b));
}

// ---------------------------------------------------------------------------------------------
// PairState

/**
 * Version 2 adds the pair's zero-sharing seed (DKLs23 Protocol 3.6 step 7, F_Zero). Version 1
 * states (set up before zero-sharing) still decode, so that the rest of a stored identity loads,
 * but cannot sign: `EcdsaSigner` refuses them (NO_ES256_KEY), see docs/ecdsa.md §2.
 */
const STATE_VERSION = 2;
const SEEDS_LEN = KAPPA * SEED_LEN;
/** Bytes of the pair's zero-sharing seed. */
export const ZERO_SEED_LEN = 32;
/** version, curve, self, peer | tag | Δ | Alice seeds ρ^{Δ_k}_k | Bob seeds ρ0_k | Bob seeds ρ1_k | zero seed (v2) */
const STATE_LEN_V1 = 4 + TAG_LEN + KAPPA / 8 + 3 * SEEDS_LEN;
const STATE_LEN = STATE_LEN_V1 + ZERO_SEED_LEN;
const OFF_TAG = 4;
const OFF_DELTA = OFF_TAG + TAG_LEN;
const OFF_ALICE = OFF_DELTA + KAPPA / 8;
const OFF_BOB0 = OFF_ALICE + SEEDS_LEN;
const OFF_BOB1 = OFF_BOB0 + SEEDS_LEN;
const OFF_ZERO = OFF_BOB1 + SEEDS_LEN;

/** The secret key material of one direction, as the OT extension consumes it. */
export interface AliceKeys {
  /** Δ, KAPPA bits (bit k = byte k>>3, bit k&7). */
  readonly delta: Uint8Array;
  /** ρ^{Δ_k}_k, KAPPA seeds of SEED_LEN bytes. */
  readonly seeds: Uint8Array;
}
export interface BobKeys {
  readonly seeds0: Uint8Array;
  readonly seeds1: Uint8Array;
}

const SECRETS = new WeakMap<PairState, Secret>();

/**
 * Long-term secret pairwise OT-extension seeds for both directions (the output of PairSetup).
 * Serialise with `toBytes()` (store it encrypted); every printing path redacts.
 * May throw CryptoError: BAD_LENGTH, MALFORMED_INPUT.
 */
export class PairState {
  readonly curve: EcdsaCurve;
  readonly self: PartyId;
  readonly peer: PartyId;
  /** Public setup tag (identical on both sides of the pair). */
  readonly tag: Uint8Array;
  /** Whether the state holds a zero-sharing seed (version 2); version 1 states cannot sign. */
  readonly zeroSharing: boolean;

  private constructor(data: Secret) {
    const b = data.expose();
    const c = curveByCode(b[1]!);
    if (!c) throw new CryptoError('MALFORMED_INPUT', 'pair state: unknown curve');
    this.curve = c.name;
    this.self = b[2]!;
    this.peer = b[3]!;
    this.tag = b.slice(OFF_TAG, OFF_TAG + TAG_LEN);
    this.zeroSharing = b[0] === STATE_VERSION;
    SECRETS.set(this, data);
  }

  /** @internal Builds the state from the outputs of a finished setup. */
  static fromParts(p: {
    curve: Curve;
    self: PartyId;
    peer: PartyId;
    tag: Uint8Array;
    delta: Uint8Array;
    aliceSeeds: Uint8Array;
    bobSeeds0: Uint8Array;
    bobSeeds1: Uint8Array;
    zeroSeed: Uint8Array;
  }): PairState {
    const b = new Uint8Array(STATE_LEN);
    b[0] = STATE_VERSION;
    b[1] = p.curve.code;
    b[2] = p.self;
    b[3] = p.peer;
    b.set(p.tag, OFF_TAG);
    b.set(p.delta, OFF_DELTA);
    b.set(p.aliceSeeds, OFF_ALICE);
    b.set(p.bobSeeds0, OFF_BOB0);
    b.set(p.bobSeeds1, OFF_BOB1);
    b.set(p.zeroSeed, OFF_ZERO);
    return new PairState(new Secret(b, 'pair-state'));
  }

  /** Versioned, fixed-length encoding (a copy): version, curve, self, peer, tag, Δ, seeds, zero seed. */
  toBytes(): Secret {
    return new Secret(SECRETS.get(this)!.expose().slice(), 'pair-state');
  }

  /** Strict decoding: wrong version, curve or party ids → MALFORMED_INPUT; wrong length → BAD_LENGTH. */
  static fromBytes(b: Uint8Array | Secret): PairState {
    const raw = b instanceof Secret ? b.expose() : b;
    if (!(raw instanceof Uint8Array)) throw new CryptoError('MALFORMED_INPUT', 'pair state: expected bytes');
    if (raw[0] !== STATE_VERSION && raw[0] !== 1)
      throw new CryptoError('MALFORMED_INPUT', 'pair state: unsupported version');
    const len = raw[0] === STATE_VERSION ? STATE_LEN : STATE_LEN_V1;
    if (raw.length !== len) {
      throw new CryptoError('BAD_LENGTH', `pair state: expected ${len} bytes, got ${raw.length}`);
    }
    if (!curveByCode(raw[1]!)) throw new CryptoError('MALFORMED_INPUT', 'pair state: unknown curve');
    const self = raw[2]!;
    const peer = raw[3]!;
    if (self > MAX_PARTY_ID || peer > MAX_PARTY_ID || self === peer) {
      throw new CryptoError('MALFORMED_INPUT', 'pair state: invalid party ids');
    }
    return new PairState(new Secret(raw.slice(), 'pair-state'));
  }

  /** Best-effort erasure of the seeds held by this object. */
  wipe(): void {
    SECRETS.get(this)?.wipe();
  }

  toJSON(): Record<string, unknown> {
    return { curve: this.curve, self: this.self, peer: this.peer, seeds: '[REDACTED pair-state]' };
  }
  toString(): string {
    return `PairState<${this.curve} ${this.self}-${this.peer}>[REDACTED]`;
  }
  [inspect](): string {
    return this.toString();
  }
}

/**
 * @internal Key material of `p` for its self -> peer (Alice) and peer -> self (Bob) directions,
 * and the pair's zero-sharing seed (undefined in a version-1 state).
 */
export function pairKeys(p: PairState): { alice: AliceKeys; bob: BobKeys; zero: Uint8Array | undefined } {
  const b = SECRETS.get(p)!.expose();
  return {
    alice: { delta: b.subarray(OFF_DELTA, OFF_ALICE), seeds: b.subarray(OFF_ALICE, OFF_BOB0) },
    bob: { seeds0: b.subarray(OFF_BOB0, OFF_BOB1), seeds1: b.subarray(OFF_BOB1, OFF_ZERO) },
    zero: p.zeroSharing ? b.subarray(OFF_ZERO, STATE_LEN) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// PairSetup

/**
 * One side of the pairwise setup for the unordered pair {self, peer}. Symmetric and round-based:
 * call `next()` SETUP_ROUNDS times (the first with no input, then each time with the peer's
 * previous message) and finally `finish()` with the peer's last message.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, ECDSA_ABORT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT, MALFORMED_SCALAR.
 */
export class PairSetup {
  readonly #c: Curve;
  readonly #self: PartyId;
  readonly #peer: PartyId;
  readonly #tag: Uint8Array;
  readonly #sender: VsotSender;
  readonly #receiver: VsotReceiver;
  readonly #delta: Secret;
  #zeroSeed: Secret | undefined;
  #round = 0;
  #dead = false;

  constructor(opts: { curve: EcdsaCurve; self: PartyId; peer: PartyId; sessionId: Uint8Array }) {
    if (typeof opts !== 'object' || opts === null)
      throw new CryptoError('MALFORMED_INPUT', 'options: expected an object');
    this.#c = getCurve(opts.curve);
    this.#self = checkPartyId(opts.self, 'self');
    this.#peer = checkPartyId(opts.peer, 'peer');
    if (this.#self === this.#peer) throw new CryptoError('BAD_PARTICIPANT', 'self and peer must differ');
    const sid = checkSessionId(opts.sessionId);
    this.#tag = setupTag(this.#c, sid, this.#self, this.#peer);
    const asBob: VsotContext = { curve: this.#c, tag: this.#tag, sender: this.#self, receiver: this.#peer };
    const asAlice: VsotContext = { curve: this.#c, tag: this.#tag, sender: this.#peer, receiver: this.#self };
    this.#delta = randomChoice();
    this.#sender = new VsotSender(asBob);
    this.#receiver = new VsotReceiver(asAlice, this.#delta);
  }

  #guard<T>(f: () => T): T {
    if (this.#dead) throw new CryptoError('INTERNAL', 'pair setup already failed or finished');
    try {
      return f();
    } catch (e) {
      this.#wipe();
      throw e;
    }
  }

  #wipe(): void {
    this.#dead = true;
    this.#sender.wipe();
    this.#receiver.wipe();
    this.#delta.wipe();
    this.#zeroSeed?.wipe();
  }

  #unframe(incoming: unknown, round: number): Uint8Array {
    return unframe(incoming, {
      curve: this.#c,
      kind: KIND.setup(round),
      from: this.#peer,
      to: this.#self,
      tag: this.#tag,
      bodyLen: BODY_LEN[round]!,
      version: SETUP_WIRE_VERSION,
    });
  }

  /** Round r (1..SETUP_ROUNDS): consumes the peer's message of round r-1 (none for r = 1), returns own message of round r. */
  next(incoming?: Uint8Array): Uint8Array {
    return this.#guard(() => {
      if (this.#round >= SETUP_ROUNDS)
        throw new CryptoError('INTERNAL', 'pair setup: next() called too often');
      const r = ++this.#round;
      let body: Uint8Array;
      if (r === 1) {
        if (incoming !== undefined) throw new CryptoError('INTERNAL', 'pair setup: round 1 takes no input');
        body = this.#sender.msg1();
      } else {
        const prev = this.#unframe(incoming, r - 1);
        if (r === 2) {
          body = this.#receiver.msg2(prev);
          // The peer's VSOT key B′ (validated, with its proof, by msg2) against ours: both
          // sides get b·b′·G, the pair's zero-sharing seed (F_Zero, docs/ecdsa.md §3).
          const dh = this.#sender.shared(prev.subarray(0, OT_POINT_LEN));
          this.#zeroSeed = new Secret(
            h256(HASH_DOMAINS.dklsZeroSeedEd25519, this.#c.name, this.#tag, dh),
            'zero-seed',
          );
          dh.fill(0);
        } else if (r === 3) body = this.#sender.msg3(prev);
        else if (r === 4) body = this.#receiver.msg4(prev);
        else body = this.#sender.msg5(prev);
      }
      const out = frame(
        this.#c,
        KIND.setup(r),
        this.#self,
        this.#peer,
        this.#tag,
        body.length,
        SETUP_WIRE_VERSION,
      );
      out.set(body, out.length - body.length);
      return out;
    });
  }

  /** After SETUP_ROUNDS calls to next(), checks the peer's last message and returns the pair state. */
  finish(incoming: Uint8Array): PairState {
    return this.#guard(() => {
      if (this.#round !== SETUP_ROUNDS)
        throw new CryptoError('INTERNAL', 'pair setup: finish() before the last round');
      const last = this.#unframe(incoming, SETUP_ROUNDS);
      // The peer's flows first (its openings), then the verdict on its responses (VSOT Verify).
      const rho = this.#receiver.finish(last);
      const { seeds0, seeds1 } = this.#sender.output();
      const state = PairState.fromParts({
        curve: this.#c,
        self: this.#self,
        peer: this.#peer,
        tag: this.#tag,
        delta: this.#delta.expose(),
        aliceSeeds: rho.expose(),
        bobSeeds0: seeds0.expose(),
        bobSeeds1: seeds1.expose(),
        zeroSeed: this.#zeroSeed!.expose(),
      });
      this.#wipe();
      return state;
    });
  }

  toJSON(): Record<string, unknown> {
    return { self: this.#self, peer: this.#peer, round: this.#round, secrets: '[REDACTED]' };
  }
  toString(): string {
    return `PairSetup<${this.#c.name} ${this.#self}-${this.#peer} round ${this.#round}>[REDACTED]`;
  }
  [inspect](): string {
    return this.toString();
  }
}
