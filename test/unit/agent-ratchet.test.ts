/**
 * agent/ratchet.ts, the agent's write-ahead log (docs/protocol.md §5): a pending step of every
 * kind survives writeRatchet / readRatchet with everything needed to resend it as the same
 * request (the step, and its sign or ecdsa payload, which must still match the step's payload
 * digest: that is what an oracle checks on the resend). Real keys throughout: a FROST DKG for the
 * identity, Ed25519 node keys that sign the certificate of the state the step follows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  certified,
  type EcdsaPayload,
  initialRatchet,
  prepareStep,
  type RatchetState,
  readRatchet,
  type SignPayload,
  writeRatchet,
} from '../../agent/ratchet.js';
import type { AgentState } from '../../agent/state.js';
import { ecdsaPayloadDigest, HEARTBEAT_DIGEST, signPayloadDigest } from '../../common/protocol.js';
import { agentParticipants } from '../../crypto/access.js';
import { toB64u } from '../../crypto/bytes.js';
import { generateEd25519 } from '../../crypto/ed25519.js';
import { checkCommitmentList } from '../../crypto/frost.js';
import { jwkThumbprint } from '../../crypto/jwk.js';
import { type StepKind, signCommit } from '../../crypto/ratchet.js';
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
    return prepareStep(base, state.identityId, state.sessionKey, kind, HEARTBEAT_DIGEST);
  }

  const kinds: StepKind[] = ['sign', 'jwt', 'es256', 'jwt-es256', 'heartbeat'];
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
        writeRatchet(dir, state.identityId, done);
        expect(readRatchet(dir, state)).toEqual(done);
      });
    }
  }
});
