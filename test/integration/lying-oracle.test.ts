/**
 * A compromised oracle cannot stop an honest agent by claiming the identity was revoked: the
 * agent believes a revocation only with fork evidence signed by its own session key
 * (docs/protocol.md §5). Here oracle 3 is replaced by a gRPC server on its address that answers
 * every request with IDENTITY_REVOKED / FORK_DETECTED and no, or forged, evidence; the agent
 * keeps signing with oracles 1 and 2, and the cluster never revokes the identity. Before that, an
 * oracle that returns a bad FROST signature share is named by the share's typed culprit
 * (crypto/'s CryptoError), left out, and the signature completes with the others; oracles that
 * report a wrong group commitment cost only the agent's shortcut; and a damaged nonce commitment
 * in an answer fails its oracle when it is taken, not the signature.
 *
 * Slow suite (tag `slow`): about 20 seconds.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cosigner } from '../../agent/cosigner.js';
import { closeOracles, connectOracles } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { MpcidError } from '../../common/errors.js';
import { bind, SERVER_OPTIONS, services, shutdown, toServiceError } from '../../common/grpc.js';
import { createLogger } from '../../common/log.js';
import { HEARTBEAT_DIGEST } from '../../common/protocol.js';
import { generateEd25519 } from '../../crypto/ed25519.js';
import { type Evidence, signStep } from '../../crypto/ratchet.js';
import { Secret } from '../../crypto/secret.js';
import { nodeVerify } from '../crypto/helpers.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  startCluster,
  type TestCluster,
  testOracleServerCredentials,
} from '../helpers/cluster.js';
import { interceptAnswers } from '../helpers/intercept.js';

describe('a lying oracle', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let agent: AgentProc;
  let kid: string;
  let liar: grpc.Server | undefined;
  let lies = 0;

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    const enrolled = await cluster.enroll('spiffe://test.mpcid/lying-oracle');
    kid = enrolled.kid;
    agent = await cluster.startAgent(enrolled.stateDir, undefined, { heartbeatMs: 0 });
    await agent.sign(randomBytes(16));
  });
  afterAll(async () => {
    if (liar) await shutdown(liar);
    await cluster?.stop();
  });

  /** Evidence of the right shape for this identity, but signed by a key that is not its session key. */
  function forgedEvidence(): Evidence {
    const { seed } = generateEd25519();
    const key = new Secret(seed, 'forger');
    const step = (counter: number, time: number) =>
      signStep(key, {
        identityId: kid,
        counter,
        prevHead: new Uint8Array(32),
        time,
        kind: 'heartbeat',
        payloadDigest: HEARTBEAT_DIGEST,
        requestId: new Uint8Array(randomBytes(16)),
      });
    return { identityId: kid, steps: [step(5, 100), step(5, 200)] };
  }

  /**
   * A fresh identity signing through a Cosigner whose oracles' Step answers pass `onAnswer`
   * first (test/helpers/intercept.ts): `body` runs with it, then it is stopped and its oracle
   * clients closed, whatever happened.
   */
  async function withInterceptedCosigner<Res>(
    name: string,
    onAnswer: (nodeId: number, res: Res) => void,
    body: (cosigner: Cosigner, groupPublicKey: Uint8Array) => Promise<void>,
    opts: { prefetch?: number } = {},
  ): Promise<void> {
    const enrolled = await cluster.enroll(`spiffe://test.mpcid/${name}`);
    const state = readState(enrolled.stateDir);
    const clients = connectOracles(state.cluster);
    const cosigner = new Cosigner(
      state,
      enrolled.stateDir,
      readRatchet(enrolled.stateDir, state),
      interceptAnswers<unknown, Res>(clients, 'Step', (nodeId, _req, res) => onAnswer(nodeId, res)),
      createLogger(name, 'silent'),
      { heartbeatMs: 0, ...opts },
    );
    try {
      await body(cosigner, state.group.groupPublicKey);
    } finally {
      await cosigner.stop();
      closeOracles(clients);
    }
  }

  it('an oracle returning a bad signature share is named as the culprit and replaced', async () => {
    // Every oracle's Step answer passes here; while `lies` > 0, the next signature share that
    // comes back is altered (one bit), all else intact, and its oracle is noted.
    let lies = 0;
    const liars: number[] = [];
    await withInterceptedCosigner<{ signatureShare: Buffer }>(
      'bad-share',
      (nodeId, res) => {
        if (res.signatureShare.length === 0 || lies === 0) return;
        lies--;
        res.signatureShare = Buffer.from(res.signatureShare);
        res.signatureShare[0]! ^= 1;
        liars.push(nodeId);
      },
      async (cosigner, groupPublicKey) => {
        for (let i = 1; i <= 3; i++) {
          lies = 1;
          const msg = randomBytes(32);
          // The aggregate fails, its culprit is the oracle that lied, and the retry without it signs.
          const sig = await cosigner.sign(msg);
          expect(nodeVerify(sig, msg, groupPublicKey)).toBe(true);
          expect(liars).toHaveLength(i);
        }
        for (const l of liars) expect([1, 2, 3]).toContain(l);
        lies = 0;
      },
    );
  });

  it("oracles reporting a wrong group commitment: the agent's shortcut is refused by its signature check and the full path signs", async () => {
    // Honest answers carry the R each oracle computed; `wrong` replaces it (one oracle's, or
    // every oracle's with the same wrong point), all else intact.
    let wrong: 'none' | 'one' | 'all' = 'none';
    let budget = 0;
    const seen: number[] = [];
    const fake = Buffer.from(generateEd25519().publicKey);
    await withInterceptedCosigner<{ signatureShare: Buffer; groupCommitment: Buffer }>(
      'bad-commitment',
      (_nodeId, res) => {
        if (res.signatureShare.length === 0) return;
        seen.push(res.groupCommitment.length);
        if (wrong === 'all' || (wrong === 'one' && budget-- > 0)) res.groupCommitment = fake;
      },
      async (cosigner, groupPublicKey) => {
        for (const mode of ['none', 'one', 'all', 'all', 'none'] as const) {
          wrong = mode;
          budget = 1;
          const msg = randomBytes(32);
          const sig = await cosigner.sign(msg);
          expect(nodeVerify(sig, msg, groupPublicKey), mode).toBe(true);
          // The signature's R is the true group commitment, never the reported fake.
          expect(Buffer.from(sig.subarray(0, 32)).equals(fake), mode).toBe(false);
        }
        // Every co-signing answer of these oracles reported its 32-byte R.
        expect(seen.length).toBeGreaterThanOrEqual(10);
        expect(seen.every((n) => n === 32)).toBe(true);
        wrong = 'none';
      },
    );
  });

  it('a damaged nonce commitment riding an answer fails its oracle, not the next signature', async () => {
    // The next co-signing answer's fresh commitment gets the identity as its hiding point (not a
    // valid group element); the agent caches it and would take it for its next signature.
    let damage = 0;
    const damagedBy: number[] = [];
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    await withInterceptedCosigner<{ signatureShare: Buffer; next: { hiding: Buffer } | null }>(
      'bad-next',
      (nodeId, res) => {
        if (res.signatureShare.length === 0 || !res.next || damage === 0) return;
        damage--;
        res.next.hiding = identity;
        damagedBy.push(nodeId);
      },
      async (cosigner, groupPublicKey) => {
        for (let i = 0; i < 6; i++) {
          damage = i % 3 === 0 ? 1 : 0;
          const msg = randomBytes(32);
          const sig = await cosigner.sign(msg);
          expect(nodeVerify(sig, msg, groupPublicKey)).toBe(true);
        }
        expect(damagedBy).toHaveLength(2);
        damage = 0;
      },
      // One commitment cached per oracle: the damaged one is taken by the very next signature.
      { prefetch: 1 },
    );
  });

  it('replacing oracle 3 with a liar: the agent keeps signing and is never stopped', async () => {
    const o3 = cluster.oracles[2]!;
    await o3.kill();
    const log = createLogger('liar', 'silent');
    liar = new grpc.Server(SERVER_OPTIONS);
    const lie = (method: string) => (_call: unknown, cb: grpc.sendUnaryData<never>) => {
      lies++;
      const code = lies % 2 === 0 ? 'FORK_DETECTED' : 'IDENTITY_REVOKED';
      const details = lies % 3 === 0 ? {} : { details: { evidence: forgedEvidence() } };
      cb(toServiceError(new MpcidError(code, 'identity revoked (evidence forged)', details), log, method));
      return;
    };
    liar.addService(services().oracle.mpcid.oracle.v1.Signer.service, {
      GetNonces: lie('GetNonces'),
      Step: lie('Step'),
    });
    // Over mTLS the liar serves as an oracle would: a certificate of the cluster's CA with role
    // oracle and oracle 3's loopback address as a SAN, so the agent connects to it.
    await bind(liar, o3.address, testOracleServerCredentials('oracle-3 (liar)'));

    // At least 12 signatures, and more until the agent has asked the liar: the agent tries an
    // oracle that just failed last for a while, so a fast run could finish 12 without it.
    for (let i = 0; i < 12 || (lies === 0 && i < 400); i++) {
      const msg = randomBytes(40);
      const res = await agent.sign(msg);
      expect(nodeVerify(res.signature, msg, res.publicKey)).toBe(true);
    }
    // The agent did ask the liar (so the lies were heard), and said so in its log.
    expect(lies).toBeGreaterThan(0);
    const lines = readFileSync(agent.logFile, 'utf8');
    expect(lines).toContain('an oracle claims a revocation without valid evidence');
    expect(lines).not.toContain('IDENTITY REVOKED');
    // The honest oracles never revoked the identity.
    for (const o of cluster.oracles.slice(0, 2)) {
      const r = await new Promise<{ status: string }>((res, rej) =>
        o.admin.GetIdentity({ identityId: kid }, (e, v) => (e ? rej(e) : res(v as { status: string }))),
      );
      expect(r.status).toBe('active');
    }
  });
});
