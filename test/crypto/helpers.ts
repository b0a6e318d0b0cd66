/** Shared helpers for the crypto/ unit tests: error assertions, external verifiers, a sealed DKG. */
import { execFileSync } from 'node:child_process';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519_FROST } from '@noble/curves/ed25519.js';
import { expect } from 'vitest';
import { asMpcidError, type ErrorCode, MpcidError } from '../../common/errors.js';
import { type AccessStructure, accessStructure } from '../../crypto/access.js';
import {
  aggregate,
  commit,
  DkgParticipant,
  type GroupPublic,
  type KeyShare,
  type NonceCommitment,
  type Round1Package,
  signShare,
} from '../../crypto/frost.js';
import { type BoxKeyPair, generateBoxKey, openShare, sealShare } from '../../crypto/seal.js';
import type { Secret } from '../../crypto/secret.js';

export const Fn = ed25519_FROST.utils.Fn;
export const L = Fn.ORDER;

/** Runs `fn`, asserts it throws an MpcidError with `code` (and a message matching `msg`), returns it. */
export function expectMpcidError(fn: () => unknown, code: ErrorCode, msg?: RegExp): MpcidError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  // crypto/ throws CryptoError; callers see it as the MpcidError common/errors maps it to.
  const err = asMpcidError(caught);
  expect(err, 'expected an MpcidError or a CryptoError to be thrown').toBeInstanceOf(MpcidError);
  if (!err) throw new Error('unreachable');
  expect(err.code).toBe(code);
  if (msg) expect(err.message).toMatch(msg);
  return err;
}

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Little-endian 32-byte encoding of a bigint in [0, 2^256). */
export function le32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  if (x !== 0n) throw new Error('le32: value does not fit in 32 bytes');
  return out;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** RFC 8032 verification by node:crypto (OpenSSL underneath), independent of noble. */
export function nodeVerify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return verify(null, msg, key, sig);
}

/** Verification by the `openssl` CLI (`pkeyutl -verify -rawin`, Ed25519 pure mode). */
export function opensslVerify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  const dir = mkdtempSync(join(tmpdir(), 'mpcid-ossl-'));
  try {
    writeFileSync(join(dir, 'pub.pem'), key.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'msg.bin'), msg);
    writeFileSync(join(dir, 'sig.bin'), sig);
    try {
      const out = execFileSync(
        'openssl',
        [
          'pkeyutl',
          '-verify',
          '-pubin',
          '-inkey',
          'pub.pem',
          '-rawin',
          '-in',
          'msg.bin',
          '-sigfile',
          'sig.bin',
        ],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      ).toString();
      return /Signature Verified Successfully/.test(out);
    } catch {
      return false;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One enrollment's DKG state after round 1: participant p lives at index p - 1. */
export interface DkgRun {
  as: AccessStructure;
  context: Uint8Array;
  parts: DkgParticipant[];
  boxes: BoxKeyPair[];
  round1: Round1Package[];
}

export function dkgRound1(n: number, t: number): DkgRun {
  const as = accessStructure(n, t);
  const parts: DkgParticipant[] = [];
  const boxes: BoxKeyPair[] = [];
  for (let p = 1; p <= as.total; p++) {
    parts.push(new DkgParticipant(as, p));
    boxes.push(generateBoxKey());
  }
  return { as, context: new Uint8Array(randomBytes(32)), parts, boxes, round1: parts.map((x) => x.round1) };
}

/** sealed.get(recipient).get(sender) is the box from sender to recipient. */
export type SealedShares = Map<number, Map<number, Uint8Array>>;

/**
 * Round 2 for every participant; each share is sealed to its recipient as the relay would carry it.
 * `tamper` may replace the share sender -> recipient before sealing (a malicious sender).
 */
export function dkgRound2(
  run: DkgRun,
  tamper?: (sender: number, recipient: number, share: Secret) => Secret,
): SealedShares {
  const sealed: SealedShares = new Map();
  for (const part of run.parts) {
    const sender = part.round1.participant;
    for (const [recipient, share] of part.round2(run.round1)) {
      const s = tamper ? tamper(sender, recipient, share) : share;
      const box = sealShare({
        senderKey: run.boxes[sender - 1]!.secretKey,
        recipientPublic: run.boxes[recipient - 1]!.publicKey,
        context: run.context,
        sender,
        recipient,
        share: s,
      });
      if (!sealed.has(recipient)) sealed.set(recipient, new Map());
      sealed.get(recipient)!.set(sender, box);
    }
  }
  return sealed;
}

/** Opens every box addressed to `recipient`. */
export function dkgOpen(run: DkgRun, sealed: SealedShares, recipient: number): Map<number, Secret> {
  const received = new Map<number, Secret>();
  for (const [sender, box] of sealed.get(recipient) ?? []) {
    received.set(
      sender,
      openShare({
        recipientKey: run.boxes[recipient - 1]!.secretKey,
        senderPublic: run.boxes[sender - 1]!.publicKey,
        context: run.context,
        sender,
        recipient,
        sealed: box,
      }),
    );
  }
  return received;
}

export interface Cluster {
  as: AccessStructure;
  /** shares[p - 1] is participant p's signing share. */
  shares: KeyShare[];
  /** groups[p - 1] is the public material participant p derived. */
  groups: GroupPublic[];
}

/** A complete DKG among all N participants with sealed round-2 shares. */
export function runDkg(n: number, t: number): Cluster {
  const run = dkgRound1(n, t);
  const sealed = dkgRound2(run);
  const shares: KeyShare[] = [];
  const groups: GroupPublic[] = [];
  for (const part of run.parts) {
    const p = part.round1.participant;
    const { share, group } = part.finish(run.round1, dkgOpen(run, sealed, p));
    shares.push(share);
    groups.push(group);
  }
  return { as: run.as, shares, groups };
}

/** One FROST signing session (commit, signShare, aggregate) among `participants`. */
export function frostSign(
  group: GroupPublic,
  shares: readonly KeyShare[],
  participants: readonly number[],
  message: Uint8Array,
): { signature: Uint8Array; list: NonceCommitment[]; sigShares: Map<number, Uint8Array> } {
  const { list, nonces } = commitAll(shares, participants);
  const sigShares = new Map<number, Uint8Array>();
  for (const p of participants) {
    sigShares.set(p, signShare(group, shares[p - 1]!, nonces.get(p)!, list, message));
  }
  return { signature: aggregate(group, list, message, sigShares), list, sigShares };
}

export function commitAll(shares: readonly KeyShare[], participants: readonly number[]) {
  const list: NonceCommitment[] = [];
  const nonces = new Map<number, ReturnType<typeof commit>['nonces']>();
  for (const p of participants) {
    const c = commit(shares[p - 1]!);
    list.push(c.commitment);
    nonces.set(p, c.nonces);
  }
  return { list, nonces };
}

/** All k-element subsets of `items`, in lexicographic order. */
export function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [head, ...rest] = items as [T, ...T[]];
  return [...subsets(rest, k - 1).map((s) => [head, ...s]), ...subsets(rest, k)];
}
