/**
 * agent/ratchet.ts, the agent's write-ahead log (docs/protocol.md §5): a pending step of every
 * kind survives writeRatchet / readRatchet with everything needed to resend it as the same
 * request (the step, and its sign or ecdsa payload, which must still match the step's payload
 * digest: that is what an oracle checks on the resend). Real keys throughout: a FROST DKG for the
 * identity, Ed25519 node keys that sign the certificate of the state the step follows.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CertifiedHint,
  certified,
  type EcdsaPayload,
  initialRatchet,
  prepareStep,
  type RatchetState,
  ratchetFileView,
  readRatchet,
  type SignPayload,
  writeCertifiedHint,
  writeRatchet,
  writeRatchetAsync,
} from '../../agent/ratchet.js';
import type { AgentState } from '../../agent/state.js';
import { measurePayloadDigest } from '../../common/measure-wire.js';
import { ecdsaPayloadDigest, HEARTBEAT_DIGEST, signPayloadDigest } from '../../common/protocol.js';
import { agentParticipants } from '../../crypto/access.js';
import { toB64u } from '../../crypto/bytes.js';
import { generateEd25519 } from '../../crypto/ed25519.js';
import { checkCommitmentList } from '../../crypto/frost.js';
import { jwkThumbprint } from '../../crypto/jwk.js';
import { type StepKind, signCommit } from '../../crypto/ratchet.js';
import { extendRegisters, initialRegisters } from '../../crypto/registers.js';
import { Secret } from '../../crypto/secret.js';
import { commitAll, runDkg, utf8 } from '../crypto/helpers.js';

const N = 3;
const T = 2;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A 2-of-3 identity with real key material, and its cluster's node keys. */
function identity() {
  const dkg = runDkg(N, T);
  const agentIds = agentParticipants(dkg.as);
  const group = dkg.groups[agentIds[0]! - 1]!;
  const nodes = Array.from({ length: N }, (_, i) => ({ id: i + 1, ...generateEd25519() }));
  const session = generateEd25519();
  const state: AgentState = {
    cluster: {
      id: 'test',
      n: N,
      t: T,
      oracles: nodes.map((o) => ({
        id: o.id,
        address: `127.0.0.1:${7000 + o.id}`,
        publicKey: toB64u(o.publicKey),
      })),
    },
    name: 'spiffe://test.mpcid/unit/ratchet',
    identityId: jwkThumbprint(group.groupPublicKey),
    group,
    shares: agentIds.map((p) => dkg.shares[p - 1]!),
    sessionKey: new Secret(session.seed, 'session-key'),
    sessionPublicKey: session.publicKey,
    enrolledAt: Date.now(),
    algs: ['EdDSA', 'ES256'],
  };
  return { dkg, state, nodes };
}

/** The state after `steps` certified heartbeats: counter > 0, so readRatchet checks a real certificate. */
function certifiedState(id: ReturnType<typeof identity>, steps: number): RatchetState {
  const { state, nodes } = id;
  let st = initialRatchet(state);
  for (let i = 0; i < steps; i++) {
    st = prepareStep(st, state.identityId, state.sessionKey, 'heartbeat', HEARTBEAT_DIGEST);
    const step = st.pending!.signed.step;
    const next = certified(st, []);
    const commits = nodes
      .slice(0, T)
      .map((o) =>
        signCommit(new Secret(o.seed, 'node-key'), o.id, state.identityId, step.counter, next.head),
      );
    st = certified(st, commits);
  }
  return st;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mpcid-agent-ratchet-'));
  dirs.push(d);
  return d;
}

describe('writeRatchet / readRatchet round-trip a pending step of every kind', () => {
  const id = identity();
  const { state, dkg } = id;

  /** The pending step of `kind` after `base`, with the payload an oracle needs to check it. */
  function pendingOf(kind: StepKind, base: RatchetState): RatchetState {
    const message = utf8(`a ${kind} payload`);
    if (kind === 'sign' || kind === 'jwt') {
      const participants = [1, 3, ...agentParticipants(dkg.as)];
      const list = checkCommitmentList(dkg.as, commitAll(dkg.shares, participants).list);
      const sign: SignPayload = { message, list };
      return prepareStep(
        base,
        state.identityId,
        state.sessionKey,
        kind,
        signPayloadDigest(kind, message, list),
        sign,
      );
    }
    if (kind === 'es256' || kind === 'jwt-es256') {
      const ecdsa: EcdsaPayload = { message, oracles: [1, 3] };
      const digest = ecdsaPayloadDigest(kind, message, ecdsa.oracles);
      return prepareStep(base, state.identityId, state.sessionKey, kind, digest, undefined, ecdsa);
    }
    if (kind === 'measure') {
      const digest = new Uint8Array(32).fill(0x5a);
      const measure = {
        register: 4,
        digest,
        previous: 0,
        values: extendRegisters(initialRegisters(), 4, digest),
      };
      const d = measurePayloadDigest(state.cluster.id, measure);
      return prepareStep(
        base,
        state.identityId,
        state.sessionKey,
        kind,
        d,
        undefined,
        undefined,
        false,
        measure,
      );
    }
    return prepareStep(base, state.identityId, state.sessionKey, kind, HEARTBEAT_DIGEST);
  }

  const kinds: StepKind[] = ['sign', 'jwt', 'es256', 'jwt-es256', 'heartbeat', 'measure'];
  for (const certifiedSteps of [0, 3]) {
    for (const kind of kinds) {
      it(`a pending ${kind} step after counter ${certifiedSteps} reads back as written, resendable`, () => {
        const dir = tempDir();
        const st = pendingOf(kind, certifiedState(id, certifiedSteps));
        writeRatchet(dir, state.identityId, st);
        const back = readRatchet(dir, state);
        expect(back).toEqual(st);
        const p = back.pending!;
        expect(p.signed.step.kind).toBe(kind);
        expect(p.signed.step.counter).toBe(certifiedSteps + 1);
        // The payload read back still matches the step's digest: the resend is the same request.
        const k = p.signed.step.kind;
        if (k === 'sign' || k === 'jwt') {
          expect(p.sign, 'the sign payload is kept').toBeDefined();
          expect(p.ecdsa).toBeUndefined();
          expect(signPayloadDigest(k, p.sign!.message, p.sign!.list)).toEqual(p.signed.step.payloadDigest);
        } else if (k === 'es256' || k === 'jwt-es256') {
          expect(p.ecdsa, 'the ecdsa payload is kept').toBeDefined();
          expect(p.sign).toBeUndefined();
          expect(ecdsaPayloadDigest(k, p.ecdsa!.message, p.ecdsa!.oracles)).toEqual(
            p.signed.step.payloadDigest,
          );
        } else if (k === 'measure') {
          expect(p.measure, 'the measure payload is kept').toBeDefined();
          expect(measurePayloadDigest(state.cluster.id, p.measure!)).toEqual(p.signed.step.payloadDigest);
        } else {
          expect(p.sign).toBeUndefined();
          expect(p.ecdsa).toBeUndefined();
          expect(p.signed.step.payloadDigest).toEqual(HEARTBEAT_DIGEST);
        }
        // Once certified, the file holds no pending step and still reads back as written.
        const commits = id.nodes
          .slice(1, 1 + T)
          .map((o) =>
            signCommit(
              new Secret(o.seed, 'node-key'),
              o.id,
              state.identityId,
              p.signed.step.counter,
              certified(back, []).head,
            ),
          );
        const done = certified(back, commits);
        // A certified measure step becomes the register proof, with the certificate just made.
        if (k === 'measure')
          expect(done.registers).toEqual({ signed: p.signed, certificate: commits, measure: p.measure });
        else expect(done.registers).toBeUndefined();
        writeRatchet(dir, state.identityId, done);
        expect(readRatchet(dir, state)).toEqual(done);
        // ...and it stays through later steps, pending or certified.
        const later = prepareStep(done, state.identityId, state.sessionKey, 'heartbeat', HEARTBEAT_DIGEST);
        writeRatchet(dir, state.identityId, later);
        expect(readRatchet(dir, state).registers).toEqual(done.registers);
      });
    }
  }
});

describe('one durable write per step: the certified state rides the next step (ratchet.certified.json)', () => {
  const id = identity();
  const { state, nodes } = id;
  const CERT = 'ratchet.certified.json';

  /** A pending heartbeat after `base` and its certified state (commits of nodes `by`). */
  function stepAndCertify(base: RatchetState, by = [1, 2]) {
    const pending = prepareStep(base, state.identityId, state.sessionKey, 'heartbeat', HEARTBEAT_DIGEST);
    const step = pending.pending!.signed.step;
    const head = certified(pending, []).head;
    const commits = by.map((n) =>
      signCommit(new Secret(nodes[n - 1]!.seed, 'node-key'), n, state.identityId, step.counter, head),
    );
    return { pending, done: certified(pending, commits) };
  }

  it('the hint certifies the pending step: readRatchet folds it (no resend needed)', () => {
    const dir = tempDir();
    const { pending, done } = stepAndCertify(certifiedState(id, 2));
    writeRatchet(dir, state.identityId, pending);
    expect(readRatchet(dir, state)).toEqual(pending);
    writeCertifiedHint(dir, state.identityId, done);
    expect(readRatchet(dir, state)).toEqual(done);
    // What tools see from outside (ratchetFileView): the same folded state, as JSON.
    const view = ratchetFileView(dir) as { counter: number; pending?: unknown };
    expect(view.counter).toBe(done.counter);
    expect(view.pending).toBeUndefined();
    // ratchet.json itself is unchanged: the hint is the only write after certification.
    expect(JSON.parse(readFileSync(join(dir, 'ratchet.json'), 'utf8')).pending).toBeDefined();
    // The next step's one durable write carries the certified state; the old hint no longer applies.
    const next = stepAndCertify(done);
    writeRatchet(dir, state.identityId, next.pending);
    expect(readRatchet(dir, state)).toEqual(next.pending);
    expect(readRatchet(dir, state).counter).toBe(done.counter);
    expect(readRatchet(dir, state).certificate).toEqual(done.certificate);
    expect(readdirSync(dir).sort()).toEqual([CERT, 'ratchet.json']);
  });

  it('a missing, torn, edited, stale or forged hint is ignored: the pending step stays, never STATE_CORRUPT', () => {
    const dir = tempDir();
    const base = certifiedState(id, 1);
    const { pending, done } = stepAndCertify(base);
    writeRatchet(dir, state.identityId, pending);
    writeCertifiedHint(dir, state.identityId, done);
    const good = readFileSync(join(dir, CERT), 'utf8');
    const text = good.trimEnd(); // the file is padded with spaces to 4 KiB blocks
    const cases: [string, string][] = [
      ['torn', text.slice(0, text.length >> 1)],
      [
        'torn, new head on old tail',
        text.slice(0, 100) + good.slice(100).replace(/"head":"[^"]+"/, '"head":"AAAA"'),
      ],
      ['empty', ''],
      ['not JSON', 'garbage'],
      ['edited counter', good.replace(`"counter":${done.counter}`, `"counter":${done.counter + 1}`)],
    ];
    // Stale: the certified state before the pending step (what a previous step left behind).
    writeCertifiedHint(dir, state.identityId, base);
    cases.push(['stale', readFileSync(join(dir, CERT), 'utf8')]);
    // Forged: the right step, but only one valid commit (the other signed by a stranger's key).
    const stranger = generateEd25519();
    const step = pending.pending!.signed.step;
    const forged = certified(pending, [
      done.certificate[0]!,
      signCommit(new Secret(stranger.seed, 'x'), 3, state.identityId, step.counter, done.head),
    ]);
    writeCertifiedHint(dir, state.identityId, forged);
    cases.push(['forged certificate', readFileSync(join(dir, CERT), 'utf8')]);
    // Another clock: the hint must be the state the pending step made.
    writeCertifiedHint(dir, state.identityId, { ...done, time: done.time + 1 });
    cases.push(['other time', readFileSync(join(dir, CERT), 'utf8')]);
    for (const [what, text] of cases) {
      writeFileSync(join(dir, CERT), text);
      expect(readRatchet(dir, state), what).toEqual(pending);
      if (what !== 'forged certificate')
        expect((ratchetFileView(dir) as { pending?: unknown }).pending, what).toBeDefined();
    }
    rmSync(join(dir, CERT));
    expect(readRatchet(dir, state)).toEqual(pending);
    writeFileSync(join(dir, CERT), good);
    expect(readRatchet(dir, state)).toEqual(done);
  });

  it('the open hint file is rewritten in place, padded, and a shorter state leaves no old byte behind', () => {
    const dir = tempDir();
    const { pending, done } = stepAndCertify(certifiedState(id, 1), [1, 2, 3]);
    writeRatchet(dir, state.identityId, pending);
    const hint = new CertifiedHint(dir, state.identityId);
    hint.write(done);
    expect(readRatchet(dir, state)).toEqual(done);
    const shorter = { ...done, certificate: done.certificate.slice(0, 2) };
    hint.write(shorter);
    expect(readRatchet(dir, state)).toEqual(shorter);
    const size = readFileSync(join(dir, CERT)).length;
    expect(size % 4096).toBe(0);
    hint.close();
    hint.write(done); // reopens
    expect(readRatchet(dir, state)).toEqual(done);
    hint.close();
  });

  it('a hint never stands in for ratchet.json: without it the state dir is STATE_CORRUPT', () => {
    const dir = tempDir();
    const { pending, done } = stepAndCertify(certifiedState(id, 1));
    writeRatchet(dir, state.identityId, pending);
    writeCertifiedHint(dir, state.identityId, done);
    rmSync(join(dir, 'ratchet.json'));
    expect(() => readRatchet(dir, state)).toThrow(/STATE_CORRUPT|missing/);
    expect(() => writeCertifiedHint(dir, state.identityId, pending)).toThrow(/pending/);
  });
});

describe('ratchet.json is two checksummed slots written in place (one fdatasync per write)', () => {
  const id = identity();
  const { state, nodes } = id;
  const FILE = 'ratchet.json';

  function pendingAfter(base: RatchetState) {
    return prepareStep(base, state.identityId, state.sessionKey, 'heartbeat', HEARTBEAT_DIGEST);
  }
  function certify(pending: RatchetState): RatchetState {
    const step = pending.pending!.signed.step;
    const head = certified(pending, []).head;
    const commits = [1, 2].map((n) =>
      signCommit(new Secret(nodes[n - 1]!.seed, 'node-key'), n, state.identityId, step.counter, head),
    );
    return certified(pending, commits);
  }
  const slots = (dir: string) => {
    const buf = readFileSync(join(dir, FILE));
    const half = buf.length / 2;
    return [buf.subarray(0, half).toString('utf8'), buf.subarray(half).toString('utf8')] as const;
  };

  it('writes alternate slots in place: same inode and size, one slot blank at rest, the file one JSON document', () => {
    const dir = tempDir();
    let st = certifiedState(id, 1);
    writeRatchet(dir, state.identityId, st);
    const first = statSync(join(dir, FILE));
    expect(first.size % 8192).toBe(0);
    const used: number[] = [];
    for (let i = 0; i < 4; i++) {
      st = pendingAfter(st);
      writeRatchet(dir, state.identityId, st);
      const now = statSync(join(dir, FILE));
      expect(now.ino).toBe(first.ino);
      expect(now.size).toBe(first.size);
      const [a, b] = slots(dir);
      expect([a, b].filter((t) => t.trim() === '')).toHaveLength(1);
      used.push(a.trim() === '' ? 1 : 0);
      expect(JSON.parse(readFileSync(join(dir, FILE), 'utf8')).pending).toBeDefined();
      expect(readRatchet(dir, state)).toEqual(st);
      st = certify(st);
    }
    expect(used).toEqual([1, 0, 1, 0]);
    expect(readdirSync(dir)).toEqual([FILE]);
  });

  it('writeRatchetAsync (fdatasync on the thread pool) writes the very bytes writeRatchet writes, slot for slot, mixed in any order', async () => {
    const sync = tempDir();
    const async_ = tempDir();
    let st = certifiedState(id, 1);
    writeRatchet(sync, state.identityId, st);
    await writeRatchetAsync(async_, state.identityId, st);
    const first = statSync(join(async_, FILE));
    for (let i = 0; i < 5; i++) {
      st = pendingAfter(st);
      writeRatchet(sync, state.identityId, st);
      // Alternate the two writers on the second dir: they share the slot bookkeeping.
      if (i % 2 === 0) await writeRatchetAsync(async_, state.identityId, st);
      else writeRatchet(async_, state.identityId, st);
      expect(readFileSync(join(async_, FILE)).equals(readFileSync(join(sync, FILE)))).toBe(true);
      expect(statSync(join(async_, FILE)).ino).toBe(first.ino);
      expect(readRatchet(async_, state)).toEqual(st);
      st = certify(st);
    }
    // A fresh state dir (no file yet) goes through the durable temp-file path, as writeRatchet's.
    const fresh = tempDir();
    await writeRatchetAsync(fresh, state.identityId, st);
    expect(readRatchet(fresh, state)).toEqual(st);
    expect(readdirSync(fresh)).toEqual([FILE]);
  });

  it('a torn slot leaves the previous state; two valid slots (a blank lost to a crash): the higher seq wins', () => {
    const dir = tempDir();
    const base = certifiedState(id, 2);
    const older = pendingAfter(base);
    writeRatchet(dir, state.identityId, older);
    const before = readFileSync(join(dir, FILE));
    const newer = pendingAfter(certify(older));
    writeRatchet(dir, state.identityId, newer);
    const after = readFileSync(join(dir, FILE));
    const half = after.length / 2;
    const newSlot = after.subarray(0, half).toString().trim() === '' ? 1 : 0;
    // A crash that lost the blank: both slots hold their state.
    const both = Buffer.from(after);
    before.copy(both, (1 - newSlot) * half, (1 - newSlot) * half, (2 - newSlot) * half);
    writeFileSync(join(dir, FILE), both);
    expect(readRatchet(dir, state)).toEqual(newer);
    expect((ratchetFileView(dir) as { pending: { step: { counter: number } } }).pending.step.counter).toBe(
      newer.pending!.signed.step.counter,
    );
    // A crash mid-write of the newer slot: its first half written, the rest still blank.
    const torn = Buffer.from(both);
    const text = after
      .subarray(newSlot * half, (newSlot + 1) * half)
      .toString()
      .trimEnd();
    torn.fill(0x20, newSlot * half, (newSlot + 1) * half);
    torn.write(text.slice(0, text.length >> 1), newSlot * half);
    writeFileSync(join(dir, FILE), torn);
    expect(readRatchet(dir, state)).toEqual(older);
    // The same with a bit flipped instead: the checksum catches it.
    const flipped = Buffer.from(both);
    const at = newSlot * half + text.indexOf('"time":') + 8;
    flipped[at] = flipped[at]! === 0x31 ? 0x32 : 0x31;
    writeFileSync(join(dir, FILE), flipped);
    expect(readRatchet(dir, state)).toEqual(older);
    // The next write goes over the older slot and keeps the newest one.
    writeFileSync(join(dir, FILE), both);
    const next = pendingAfter(certify(newer));
    writeRatchet(dir, state.identityId, next);
    expect(readRatchet(dir, state)).toEqual(next);
    // Both slots broken: STATE_CORRUPT, never a reset.
    writeFileSync(join(dir, FILE), Buffer.alloc(after.length, 0x78));
    expect(() => readRatchet(dir, state)).toThrow(/STATE_CORRUPT|not JSON/);
  });

  it('migrates the old single-state ratchet.json on the first write, and grows slots for a big pending step', () => {
    const dir = tempDir();
    const base = certifiedState(id, 1);
    // The old form: one checksummed JSON document, no seq, any size (as before the slots).
    writeRatchet(dir, state.identityId, base);
    const body = JSON.parse(readFileSync(join(dir, FILE), 'utf8'));
    const { checksum: _c, seq: _s, ...rest } = body;
    const sum = createHash('sha256').update(JSON.stringify(rest)).digest('base64url');
    writeFileSync(join(dir, FILE), `${JSON.stringify({ ...rest, checksum: sum })}\n`);
    expect(readRatchet(dir, state)).toEqual(base);
    const pending = pendingAfter(base);
    writeRatchet(dir, state.identityId, pending);
    expect(statSync(join(dir, FILE)).size % 8192).toBe(0);
    expect(readRatchet(dir, state)).toEqual(pending);
    // A sign step whose message does not fit a 4 KiB slot: rewritten durably with bigger slots.
    const message = new Uint8Array(10_000).fill(7);
    const list = checkCommitmentList(
      id.dkg.as,
      commitAll(id.dkg.shares, [1, 2, ...agentParticipants(id.dkg.as)]).list,
    );
    const big = prepareStep(
      certify(pending),
      state.identityId,
      state.sessionKey,
      'sign',
      signPayloadDigest('sign', message, list),
      { message, list },
    );
    writeRatchet(dir, state.identityId, big);
    const size = statSync(join(dir, FILE)).size;
    expect(size).toBeGreaterThan(2 * 10_000);
    expect(size % 8192).toBe(0);
    expect(readRatchet(dir, state)).toEqual(big);
    const after = pendingAfter(certify(big));
    writeRatchet(dir, state.identityId, after);
    expect(statSync(join(dir, FILE)).size).toBe(size);
    expect(readRatchet(dir, state)).toEqual(after);
    expect(readdirSync(dir)).toEqual([FILE]);
  });
});
