/**
 * FROST distributed key generation (RFC 9591 App. C, Pedersen DKG with proofs of knowledge) over
 * the access structure of ./access.ts, on @noble/curves: round-1 package checks, the round-1 set
 * digest every participant confirms, and one participant's rounds 1-3, naming the sender of a
 * bad share in its error's culprits. Signing with the result is ./frost.ts.
 *
 * On the Ed25519 suite with the sodium backend active (./ed25519-native.ts), a participant's
 * arithmetic runs in ./frost-dkg-native.ts, which gives noble's bytes from the same randomness;
 * the P-256 suite (and Ed25519 with noble pinned) runs on noble's `DKG`.
 */

import { randomBytes } from 'node:crypto';
import type { ed25519_FROST } from '@noble/curves/ed25519.js';
import type { AccessStructure } from './access.js';
import { equalBytes, framed } from './bytes.js';
import { HASH_DOMAINS } from './domains.js';
import { cryptoBackend } from './ed25519-native.js';
import { CryptoError } from './errors.js';
import {
  checkPackageNative,
  type DkgRng,
  finishNative,
  round1Native,
  shareForNative,
  shareMatchesNative,
} from './frost-dkg-native.js';
import {
  ED25519,
  type GroupPublic,
  id,
  type KeyShare,
  type Round1Package,
  type Suite,
  signers,
} from './frost-suite.js';
import { sha256 } from './hash.js';
import { Secret } from './secret.js';

/**
 * Validates a decoded round-1 package from the wire against the access structure.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, INTERNAL, MALFORMED_INPUT, MALFORMED_POINT.
 */
export function checkRound1(
  as: AccessStructure,
  pkg: Round1Package,
  field = 'round1',
  suite: Suite = ED25519,
): Round1Package {
  if (!Number.isSafeInteger(pkg.participant) || pkg.participant < 1 || pkg.participant > as.total) {
    throw new CryptoError('BAD_PARTICIPANT', `${field}: participant outside 1..${as.total}`);
  }
  if (!Array.isArray(pkg.commitment) || pkg.commitment.length !== as.threshold) {
    throw new CryptoError('BAD_LENGTH', `${field}: expected ${as.threshold} commitments`);
  }
  const commitment = pkg.commitment.map((c, i) => suite.decodePoint(c, `${field}.commitment[${i}]`));
  return {
    participant: pkg.participant,
    commitment,
    proofOfKnowledge: suite.decodeProof(pkg.proofOfKnowledge, `${field}.proofOfKnowledge`),
  };
}

/**
 * Digest binding the full round-1 set and the enrollment context; every participant confirms it
 * so that all saw the same broadcasts (PROTOCOL.md §3).
 */
export function round1Digest(context: Uint8Array, all: readonly Round1Package[]): Uint8Array {
  const sorted = [...all].sort((a, b) => a.participant - b.participant);
  const fields: (Uint8Array | number)[] = [context];
  for (const p of sorted) fields.push(p.participant, ...p.commitment, p.proofOfKnowledge);
  return sha256(framed(HASH_DOMAINS.dkgRound1Set, ...fields));
}

type NobleDkgSecret = ReturnType<typeof ed25519_FROST.DKG.round1>['secret'];

/**
 * One participant's side of the DKG (Pedersen DKG with proofs of knowledge, as in frost-rs and
 * noble's `DKG`). The polynomial lives only in memory and is wiped after `finish`.
 * May throw CryptoError: BAD_LENGTH, BAD_PARTICIPANT, DKG_FAILED, ENROLLMENT_STATE, MALFORMED_INPUT, MALFORMED_SCALAR.
 */
export class DkgParticipant {
  readonly as: AccessStructure;
  readonly suite: Suite;
  readonly round1: Round1Package;
  /** noble's round-1 secret (the P-256 suite, or Ed25519 with noble pinned). */
  #state: NobleDkgSecret | undefined;
  /** The polynomial a_0..a_{t-1} on the native Ed25519 path. */
  #coefficients: bigint[] | undefined;
  /** The round-1 set round 2 checked (its digest), which round 3 must be given again, as in noble. */
  #transcript: Uint8Array | undefined;
  #done = false;

  /**
   * @param rng the randomness of the polynomial and the proof (default node:crypto's, as noble's
   *   own); tests give both backends the same bytes.
   */
  constructor(as: AccessStructure, participant: number, suite: Suite = ED25519, rng?: DkgRng) {
    if (!Number.isSafeInteger(participant) || participant < 1 || participant > as.total) {
      throw new CryptoError('BAD_PARTICIPANT', `participant ${participant} is outside 1..${as.total}`);
    }
    this.as = as;
    this.suite = suite;
    if (suite === ED25519 && cryptoBackend().name === 'sodium') {
      if (!(as.threshold >= 2 && as.total >= as.threshold))
        throw new CryptoError('MALFORMED_INPUT', `bad signer bounds min=${as.threshold} max=${as.total}`);
      const r = round1Native(participant, as.threshold, rng ?? ((n) => new Uint8Array(randomBytes(n))));
      this.#coefficients = r.coefficients;
      this.round1 = { participant, commitment: r.commitment, proofOfKnowledge: r.proofOfKnowledge };
      return;
    }
    const r = suite.F.DKG.round1(
      id(participant, suite),
      signers(as),
      undefined,
      rng && ((n?: number) => new Uint8Array(rng(n ?? 32))),
    );
    this.#state = r.secret;
    this.round1 = {
      participant,
      commitment: r.public.commitment,
      proofOfKnowledge: r.public.proofOfKnowledge,
    };
  }

  #others(all: readonly Round1Package[]) {
    const others = all.filter((p) => p.participant !== this.round1.participant);
    const seen = new Set(others.map((p) => p.participant));
    if (others.length !== this.as.total - 1 || seen.size !== others.length) {
      throw new CryptoError(
        'DKG_FAILED',
        `round-1 set must hold each of the ${this.as.total} participants once`,
      );
    }
    return others.map((p) => ({
      identifier: id(p.participant, this.suite),
      commitment: [...p.commitment],
      proofOfKnowledge: p.proofOfKnowledge,
    }));
  }

  /**
   * Round 2: checks every other participant's proof of knowledge and returns the secret share
   * for each recipient (participant index -> 32-byte scalar). These must travel encrypted.
   */
  round2(all: readonly Round1Package[]): Map<number, Secret> {
    if (this.#coefficients) return this.#round2Native(all);
    let out: Record<string, { signingShare: Uint8Array }>;
    try {
      out = this.suite.F.DKG.round2(this.#nobleState(), this.#others(all));
    } catch (e) {
      if (e instanceof CryptoError) throw e;
      throw new CryptoError('DKG_FAILED', 'a round-1 package failed verification');
    }
    const res = new Map<number, Secret>();
    for (let p = 1; p <= this.as.total; p++) {
      if (p === this.round1.participant) continue;
      const pkg = out[id(p, this.suite)];
      if (!pkg) throw new CryptoError('DKG_FAILED', `no round-2 share for participant ${p}`);
      res.set(p, new Secret(pkg.signingShare, 'dkg-share'));
    }
    return res;
  }

  /**
   * Round 3: verifies each received share against its sender's commitment and derives this
   * participant's signing share and the group's public material. Names the sender of a bad share.
   */
  finish(
    all: readonly Round1Package[],
    received: ReadonlyMap<number, Secret>,
  ): { share: KeyShare; group: GroupPublic } {
    if (this.#done) throw new CryptoError('ENROLLMENT_STATE', 'DKG already finished');
    if (this.#coefficients) return this.#finishNative(all, received);
    const state = this.#nobleState();
    const others = this.#others(all);
    const r2 = others.map((o) => {
      const sender = Number(this.suite.F.utils.Fn.fromBytes(Buffer.from(o.identifier, 'hex')));
      const s = received.get(sender);
      if (!s)
        throw new CryptoError('DKG_FAILED', `missing round-2 share from participant ${sender}`, {
          culprits: [sender],
        });
      return {
        identifier: o.identifier,
        signingShare: this.suite.decodeScalar(s.expose(), `round2 share from ${sender}`),
      };
    });
    let key: ReturnType<typeof ed25519_FROST.DKG.round3>;
    try {
      key = this.suite.F.DKG.round3(state, others, r2);
    } catch {
      const culprit = blameShares(this.as, all, this.round1.participant, received, this.suite);
      throw new CryptoError(
        'DKG_FAILED',
        culprit === undefined
          ? 'round-2 shares are inconsistent with the round-1 commitments'
          : `round-2 share from participant ${culprit} does not match its commitment`,
        { culprits: culprit === undefined ? [] : [culprit] },
      );
    } finally {
      this.#done = true;
      this.suite.F.DKG.clean(state);
    }
    const verifyingShares: Uint8Array[] = [];
    for (let p = 1; p <= this.as.total; p++) {
      const v = key.public.verifyingShares[id(p, this.suite)];
      if (!v) throw new CryptoError('DKG_FAILED', `no verifying share for participant ${p}`);
      verifyingShares.push(v);
    }
    const group: GroupPublic = {
      as: this.as,
      groupPublicKey: key.public.commitments[0]!,
      commitments: key.public.commitments,
      verifyingShares,
    };
    return {
      share: {
        participant: this.round1.participant,
        signingShare: new Secret(key.secret.signingShare, 'signing-share'),
      },
      group,
    };
  }

  /** Best-effort erasure of the polynomial if the enrollment is abandoned. */
  abandon(): void {
    if (!this.#done) {
      if (this.#state) this.suite.F.DKG.clean(this.#state);
      this.#wipe();
    }
    this.#done = true;
  }

  #nobleState(): NobleDkgSecret {
    if (!this.#state) throw new CryptoError('INTERNAL', 'no noble DKG state');
    return this.#state;
  }

  /** Best-effort erasure of the native polynomial (bigints cannot be overwritten in place). */
  #wipe(): void {
    if (this.#coefficients) this.#coefficients.fill(0n);
  }

  /** Round 2 on the native path: the same checks and outputs as noble's `DKG.round2`. */
  #round2Native(all: readonly Round1Package[]): Map<number, Secret> {
    if (this.#done || !this.#coefficients) throw new CryptoError('ENROLLMENT_STATE', 'DKG already finished');
    const others = all.filter((p) => p.participant !== this.round1.participant);
    this.#others(all); // one package per other participant, each once
    const transcript = round1Digest(new Uint8Array(0), all);
    if (this.#transcript && !equalBytes(this.#transcript, transcript))
      throw new CryptoError('DKG_FAILED', 'round1 packages do not match authenticated transcript');
    for (const p of others) {
      if (
        p.commitment.length !== this.as.threshold ||
        !checkPackageNative(p.participant, p.commitment, p.proofOfKnowledge)
      )
        throw new CryptoError('DKG_FAILED', 'a round-1 package failed verification');
    }
    const res = new Map<number, Secret>();
    for (let p = 1; p <= this.as.total; p++) {
      if (p === this.round1.participant) continue;
      res.set(p, new Secret(shareForNative(this.#coefficients, p), 'dkg-share'));
    }
    this.#transcript = transcript;
    return res;
  }

  /** Round 3 on the native path: each share checked (its sender named), then the key material. */
  #finishNative(
    all: readonly Round1Package[],
    received: ReadonlyMap<number, Secret>,
  ): { share: KeyShare; group: GroupPublic } {
    const coefficients = this.#coefficients!;
    const me = this.round1.participant;
    try {
      if (!this.#transcript) throw new CryptoError('DKG_FAILED', 'round2 package used in round3');
      if (!equalBytes(this.#transcript, round1Digest(new Uint8Array(0), all)))
        throw new CryptoError('DKG_FAILED', 'round1 packages do not match authenticated transcript');
      const others = all.filter((p) => p.participant !== me);
      this.#others(all);
      const shares: Uint8Array[] = [];
      for (const o of others) {
        const s = received.get(o.participant);
        if (!s)
          throw new CryptoError('DKG_FAILED', `missing round-2 share from participant ${o.participant}`, {
            culprits: [o.participant],
          });
        const share = this.suite.decodeScalar(s.expose(), `round2 share from ${o.participant}`);
        if (o.commitment.length !== this.as.threshold || !shareMatchesNative(o.commitment, me, share))
          throw new CryptoError(
            'DKG_FAILED',
            `round-2 share from participant ${o.participant} does not match its commitment`,
            { culprits: [o.participant] },
          );
        shares.push(share);
      }
      // noble checks its own share against its own commitment too.
      if (!shareMatchesNative(this.round1.commitment, me, shareForNative(coefficients, me)))
        throw new CryptoError('DKG_FAILED', 'own share does not match own commitment');
      const sorted = [...all].sort((a, b) => a.participant - b.participant);
      const key = finishNative(
        coefficients,
        me,
        sorted.map((p) => p.commitment),
        shares,
        this.as.total,
      );
      return {
        share: { participant: me, signingShare: new Secret(key.signingShare, 'signing-share') },
        group: {
          as: this.as,
          groupPublicKey: key.commitments[0]!,
          commitments: key.commitments,
          verifyingShares: key.verifyingShares,
        },
      };
    } finally {
      this.#done = true;
      this.#wipe();
    }
  }
}

/**
 * Finds which sender's round-2 share does not match its commitment (RFC 9591 App. C.2
 * vss_verify); undefined when every share matches.
 */
function blameShares(
  as: AccessStructure,
  all: readonly Round1Package[],
  me: number,
  received: ReadonlyMap<number, Secret>,
  suite: Suite,
): number | undefined {
  for (const pkg of all) {
    if (pkg.participant === me) continue;
    const s = received.get(pkg.participant);
    if (!s) continue;
    try {
      // Evaluate the sender's commitment polynomial at our index and compare with share * G.
      suite.F.validateSecret(
        { identifier: id(me, suite), signingShare: s.expose() },
        { signers: signers(as), commitments: [...pkg.commitment], verifyingShares: {} },
      );
    } catch {
      return pkg.participant;
    }
  }
  return undefined;
}
