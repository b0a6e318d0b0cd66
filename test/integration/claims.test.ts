/**
 * Claim-bound enrollment (issue 15 item 3), real processes: `mpcid token create --require` binds
 * an image digest into the signed join token; every oracle stores it with the identity. A hostile
 * agent speaking the Step RPC gets its tokens refused with CLAIM_MISMATCH by every oracle when the
 * image is another one or missing (a quote's claims too), while the step is committed (the
 * ratchet advances); a real agent enrolled this way makes tokens that carry the claim (jose
 * verifies them), and a workload asking for another image is refused. Bad --require input gets
 * MALFORMED_INPUT.
 */
import * as grpc from '@grpc/grpc-js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf } from '../../common/grpc.js';
import {
  type AgentProc,
  EDDSA_ONLY,
  enrollViaCli,
  mpcid,
  startCluster,
  type TestCluster,
} from '../helpers/cluster.js';
import { encodeInput, HostileAgent, type StepResult, validToken } from '../helpers/hostile-jwt.js';
import { counterOn, failure } from '../helpers/ratchet.js';

const IMAGE = `sha256:${'ab'.repeat(32)}`;
const OTHER_IMAGE = `sha256:${'cd'.repeat(32)}`;
const HOSTILE = 'spiffe://test.mpcid/ns/claims/sa/hostile';
const WORKLOAD = 'spiffe://test.mpcid/ns/claims/sa/workload';

let cluster: TestCluster;
let h: HostileAgent;
let workload: { kid: string; agent: AgentProc };
let httpBase: string;

/** A join token from the CLI with `--require`, then `mpcid agent enroll` with it. */
function enrollRequiring(name: string, require: string): Promise<{ stateDir: string; kid: string }> {
  return enrollViaCli(cluster, name, ['--require', require]);
}

function expectRefused(r: StepResult, code: string): void {
  expect(r.answers.map((a) => a.nodeId)).toEqual([1, 2, 3]);
  for (const a of r.answers) {
    expect(a.commit.counter, `oracle ${a.nodeId}`).toBe(r.counter);
    expect(a.refusal, `oracle ${a.nodeId}`).toMatch(new RegExp(`^${code}: `));
    expect(a.share.length, `oracle ${a.nodeId} sent a share`).toBe(0);
  }
  expect(r.signature).toBeUndefined();
}

beforeAll(async () => {
  cluster = await startCluster(3, 2, EDDSA_ONLY);
  const require = JSON.stringify({ image: IMAGE });
  const [hostile, w] = await Promise.all([
    enrollRequiring(HOSTILE, require),
    enrollRequiring(WORKLOAD, require),
  ]);
  h = new HostileAgent(hostile.stateDir);
  workload = { kid: w.kid, agent: await cluster.startAgent(w.stateDir, undefined, { heartbeatMs: 0 }) };
  httpBase = `http://${cluster.oracles[1]!.config.http!.listen}`;
});
afterAll(async () => {
  h?.close();
  await cluster?.stop();
});

describe('claims bound at enrollment', { tags: ['slow'] }, () => {
  it('every oracle stores the required claims with the identity', async () => {
    for (const o of cluster.oracles) {
      const id = await call(o.admin, o.admin.GetIdentity, { identityId: h.kid }, 5_000);
      expect(JSON.parse(id.requiredClaimsJson), `oracle ${o.id}`).toEqual({ image: IMAGE });
    }
  });

  it('a token carrying the bound image is co-signed, and jose verifies it', async () => {
    const r = await h.step('jwt', (ctr) => encodeInput(validToken(h, ctr, { claims: { image: IMAGE } })));
    for (const a of r.answers) expect(a.refusal, `oracle ${a.nodeId}`).toBe('');
    expect(r.signature).toBeDefined();
    const token = `${Buffer.from(r.message).toString('ascii')}.${Buffer.from(r.signature!).toString('base64url')}`;
    const jwks = createRemoteJWKSet(new URL(`/v1/identities/${h.kid}/jwks.json`, httpBase));
    const { payload } = await jwtVerify(token, jwks, { algorithms: ['EdDSA'] });
    expect(payload['image']).toBe(IMAGE);
  });

  it('another image, no image, or a quote whose claims name another image: CLAIM_MISMATCH, and the ratchet advances', async () => {
    const before = h.counter;
    const cases: ((ctr: number) => Uint8Array)[] = [
      (ctr) => encodeInput(validToken(h, ctr, { claims: { image: OTHER_IMAGE } })),
      (ctr) => encodeInput(validToken(h, ctr)),
      (ctr) =>
        encodeInput(
          validToken(h, ctr, {
            header: { typ: 'mpcid-attestation+jwt' },
            claims: { image: IMAGE, nonce: 'nonce-123456', claims: { image: OTHER_IMAGE } },
          }),
        ),
    ];
    for (const build of cases) expectRefused(await h.step('jwt', build), 'CLAIM_MISMATCH');
    expect(h.counter).toBe(before + cases.length);
    for (const o of cluster.oracles) expect(await counterOn(o, h.kid)).toBe(before + cases.length);
    // The next token with the bound image is co-signed at the next counter.
    const ok = await h.step('jwt', (ctr) => encodeInput(validToken(h, ctr, { claims: { image: IMAGE } })));
    expect(ok.counter).toBe(before + cases.length + 1);
    expect(ok.signature).toBeDefined();
  });

  it('a real agent enrolled this way makes tokens and quotes that carry the claim', async () => {
    const wl = workload.agent.workload;
    const res = await call(
      wl,
      wl.FetchJWT,
      { audience: ['https://rp.example'], ttlSeconds: 60, alg: 'EdDSA', extraClaimsJson: '{"team":"a"}' },
      20_000,
    );
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', httpBase));
    const { payload } = await jwtVerify(res.token, jwks, { audience: 'https://rp.example' });
    expect(payload['image']).toBe(IMAGE);
    expect(payload['team']).toBe('a');
    expect(payload.sub).toBe(WORKLOAD);
    const quote = await call(
      wl,
      wl.Attest,
      { nonce: 'quote-nonce-1', claimsJson: '{}', alg: 'EdDSA' },
      20_000,
    );
    const q = await jwtVerify(quote.token, jwks, { typ: 'mpcid-attestation+jwt' });
    expect(q.payload['image']).toBe(IMAGE);
  });

  it('a workload claiming another image is refused by the oracles, and the step still counts', async () => {
    const wl = workload.agent.workload;
    const counters = () => Promise.all(cluster.oracles.map((o) => counterOn(o, workload.kid)));
    // The agent sends a token step to its t signers: the cluster's counter is the highest.
    const before = Math.max(...(await counters()));
    const err = await failure(
      call(
        wl,
        wl.FetchJWT,
        {
          audience: ['https://rp.example'],
          ttlSeconds: 60,
          alg: 'EdDSA',
          extraClaimsJson: JSON.stringify({ image: OTHER_IMAGE }),
        },
        20_000,
      ),
    );
    expect((err as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
    // The agent reports the oracles' refusal with their typed code (StepResponse.policy_refusal).
    expect(errorCodeOf(err)).toBe('CLAIM_MISMATCH');
    expect((err as grpc.ServiceError).details).toContain('CLAIM_MISMATCH');
    expect(Math.max(...(await counters()))).toBe(before + 1);
    // The oracles' own code, in the audit log of each that took the step (t of them at least).
    let refusedBy = 0;
    for (const o of cluster.oracles) {
      const r = await mpcid([
        'audit',
        '--admin',
        o.config.adminListen,
        '--identity',
        workload.kid,
        '--kind',
        'jwt',
        ...cluster.adminTransportArgs,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { counter: number; refusal?: string });
      const step = lines.find((l) => l.counter === before + 1);
      if (!step) continue;
      expect(step.refusal, `oracle ${o.id}`).toBe('CLAIM_MISMATCH');
      refusedBy++;
    }
    expect(refusedBy).toBeGreaterThanOrEqual(2);
  });

  it('bad --require input gets MALFORMED_INPUT from the CLI and from the admin API', async () => {
    // 16 claims of 512 characters: valid claims, but a join token longer than an agent parses.
    const tooBig = JSON.stringify(
      Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`claim${i}`, 'v'.repeat(512)])),
    );
    for (const bad of [
      '{"sub":"x"}',
      '[1]',
      '{}',
      'not json',
      '{"image":{"nested":1}}',
      '{"image":""}',
      tooBig,
    ]) {
      const r = await mpcid([
        'token',
        'create',
        '--admin',
        cluster.oracles[0]!.config.adminListen,
        '--name',
        'spiffe://test.mpcid/x',
        '--require',
        bad,
        ...cluster.adminTransportArgs,
      ]);
      expect(r.code, bad).toBe(1);
      expect(r.stderr, bad).toMatch(/MALFORMED_INPUT/);
      const admin = cluster.oracles[0]!.admin;
      const err = await failure(
        call(admin, admin.CreateJoinToken, { name: 'spiffe://test.mpcid/x', requiredClaimsJson: bad }, 5_000),
      );
      expect((err as grpc.ServiceError).code, bad).toBe(grpc.status.INVALID_ARGUMENT);
      expect(errorCodeOf(err), bad).toBe('MALFORMED_INPUT');
    }
  });
});
