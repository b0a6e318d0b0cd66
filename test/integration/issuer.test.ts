/**
 * The federation issuer end to end (docs/protocol.md §10, issue 14 item 3): real oracle processes
 * with real LevelDB, agents started by the CLI, verification with jose and node:crypto.
 *
 * - `mpcid issuer rotate` makes the cluster issuer key by a DKG among the three oracles; with 150
 *   enrolled identities the issuer JWKS holds at most 3 keys (the identity JWKS 150).
 * - Issuer-key tokens (ES256, kid, iss = the issuer discovery document's issuer, exp - iat under
 *   48 h, configured aud) verify with jose against the issuer JWKS and with node:crypto; an
 *   unconfigured audience is AUDIENCE_NOT_ALLOWED. The cluster's choice (jwtSvidKey: issuer)
 *   is what FetchJWT, `mpcid token fetch` and the SPIFFE FetchJWTSVID use by default.
 * - Rotation end to end: previous/current/next; tokens signed before a rotation still verify
 *   until their key leaves the set.
 * - A copy of an agent asking for an issuer-key token is caught (REVOKED, no token); the revoked
 *   identity then gets IDENTITY_REVOKED.
 * - A lying oracle's contribution (its authenticated round-2 message altered) is caught by the
 *   oracle it was for (ISSUER_ABORT naming it), and the token is signed without it.
 * - Bad input to IssuerRound, IssuerSetup and GetIssuerKeys gets stable codes; nothing changes.
 *
 * The 150 identities are enrolled EdDSA-only (no ES256 setup: issuer-key tokens do not need the
 * identity's P-256 key), in-process (the real enrollment code against the real oracles, 4 at a
 * time), which is what the suite can afford on two cores; the figure is printed as a ratio to one
 * enrollment measured in the same run.
 *
 * Slow suite (tag `slow`).
 */

import { createPublicKey, type JsonWebKey, verify as nodeVerify, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cosigner } from '../../agent/cosigner.js';
import { enroll } from '../../agent/enroll.js';
import { agreedIssuerKey } from '../../agent/issuer.js';
import { closeOracles, connectOracles, type OracleClient } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { readState } from '../../agent/state.js';
import { tokenMaker } from '../../agent/workload.js';
import { relayedFields } from '../../common/ecdsa-wire.js';
import { CLIENT_OPTIONS, call, errorCodeOf, errorInfoOf, services } from '../../common/grpc.js';
import { JWT_TYP } from '../../common/jwt.js';
import { readNodeKey } from '../../common/keys.js';
import { createLogger } from '../../common/log.js';
import { bundleFiles, loadTls } from '../../common/tls.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
import { signStatement } from '../../crypto/statement.js';
import { issuerSetupContext } from '../../oracle/issuer-setup.js';
import type { IssuerPeerClient } from '../../proto/gen/mpcid/oracle/v1/IssuerPeer.js';
import {
  type AgentProc,
  mpcid,
  startCluster,
  type TestCluster,
  testCredentials,
  testDoubleCredentials,
} from '../helpers/cluster.js';
import { copyStateDir, removeClusterDir, statusOn, waitStatus } from '../helpers/ratchet.js';

const AUD = 'sts.amazonaws.com';
const AUD2 = 'https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/mpcid';
const IDENTITIES = 150;
const ENROLL_PARALLEL = 4;
const TD = 'spiffe://test.mpcid';

type Jwks = { keys: JWK[] };

/** One unary call of the SPIFFE Workload API, with the standard's proto loaded by proto-loader. */
function spiffeCall<T>(socket: string, method: 'FetchJWTSVID' | 'ValidateJWTSVID', req: object): Promise<T> {
  const def = protoLoader.loadSync(join(import.meta.dirname, '../../proto/spiffe/workloadapi.proto'), {
    keepCase: true,
    defaults: true,
  });
  type Client = grpc.Client &
    Record<
      typeof method,
      (r: object, md: grpc.Metadata, o: grpc.CallOptions, cb: grpc.requestCallback<T>) => void
    >;
  const Ctor = (
    grpc.loadPackageDefinition(def) as unknown as {
      SpiffeWorkloadAPI: new (a: string, c: grpc.ChannelCredentials) => Client;
    }
  ).SpiffeWorkloadAPI;
  const c = new Ctor(`unix://${socket}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('workload.spiffe.io', 'true');
  return new Promise((res, rej) =>
    c[method](req, md, { deadline: Date.now() + 60_000 }, (e, r) => {
      c.close();
      if (e) rej(e);
      else res(r!);
    }),
  );
}

/** A JWT-SVID through the SPIFFE Workload API. */
async function fetchJwtSvid(socket: string, audience: string): Promise<string> {
  const r = await spiffeCall<{ svids: { svid: string }[] }>(socket, 'FetchJWTSVID', { audience: [audience] });
  return r.svids[0]!.svid;
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  expect(r.status, url).toBe(200);
  return (await r.json()) as T;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
}

function expectCode(err: unknown, status: grpc.status, code: string): void {
  expect((err as { code?: number }).code, String((err as Error).message)).toBe(status);
  expect(errorCodeOf(err), String((err as Error).message)).toBe(code);
}

describe('federation issuer (2-of-3 cluster, real processes)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let issuerUrl: string;
  let discoveryIssuer: string;
  let agent: AgentProc;
  let agentName: string;
  const log = createLogger('test-issuer', 'silent');

  const jwksNow = () => getJson<Jwks>(`${issuerUrl}/jwks.json`);

  /** An issuer-key token from a running agent through its Workload API. */
  async function issuerToken(
    a: AgentProc,
    audience = [AUD],
    key = 'issuer',
    ttlSeconds = 0,
  ): Promise<string> {
    const res = await call(
      a.workload,
      a.workload.FetchJWT,
      { audience, alg: 'ES256', key, ttlSeconds },
      60_000,
    );
    return res.token;
  }

  /** Verifies `token` with jose against `jwks` and with node:crypto against its key; returns the claims. */
  async function verifyBoth(token: string, jwks: Jwks, audience = AUD) {
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: discoveryIssuer,
      audience,
      algorithms: ['ES256'],
      typ: JWT_TYP,
    });
    const jwk = jwks.keys.find((k) => k.kid === protectedHeader.kid)!;
    const [h, p, s] = token.split('.');
    const ok = nodeVerify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
      Buffer.from(s!, 'base64url'),
    );
    expect(ok, 'node:crypto verifies the issuer-key token').toBe(true);
    return { payload, protectedHeader };
  }

  async function rotate(): Promise<{
    added: string;
    retired: string | null;
    keys: { kid: string; state: string }[];
  }> {
    const r = await mpcid(
      ['issuer', 'rotate', '--admin', cluster.oracles[0]!.config.adminListen, ...cluster.adminTransportArgs],
      {
        timeoutMs: 240_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as {
      added: string;
      retired: string | null;
      keys: { kid: string; state: string }[];
    };
  }

  /** Enrolls in-process (the real enrollment code, real oracles), EdDSA only. */
  async function enrollFast(
    name: string,
    requiredClaimsJson = '',
  ): Promise<{ stateDir: string; identityId: string }> {
    const stateDir = join(mkdtempSync(join(cluster.dir, 'agent-')), 'state');
    // The admin call's own deadline: under load (two cores, other suites) 5 s is not always enough.
    const { token } = await call(
      cluster.admin,
      cluster.admin.CreateJoinToken,
      { name, ttlSeconds: 600, requiredClaimsJson },
      60_000,
    );
    const tls = cluster.tls
      ? {
          files: bundleFiles(cluster.tls.agentDir),
          material: loadTls(bundleFiles(cluster.tls.agentDir)).material,
        }
      : null;
    const st = await enroll({ token, stateDir, log, tls, algs: ['EdDSA'] });
    return { stateDir, identityId: st.identityId };
  }

  beforeAll(async () => {
    cluster = await startCluster(3, 2, {
      algs: ['EdDSA'],
      clusterConfig: {
        federation: { jwtSvidKey: 'issuer', audiences: [AUD, AUD2], maxTokenTtlSeconds: 172_799 },
      },
    });
    const o1 = cluster.oracles[0]!;
    issuerUrl = `${o1.config.cluster.issuer}/issuer`;
  }, 120_000);

  let failed = false;
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await cluster?.stop();
    // A failed run keeps its logs (printed path) for diagnosis.
    if (cluster && !failed) removeClusterDir(cluster);
    else if (cluster) console.info(`logs kept in ${cluster.dir}/logs`);
  });

  it('before the first rotation there is no issuer key: an empty JWKS, and token requests get ISSUER_NOT_CONFIGURED', async () => {
    expect((await jwksNow()).keys).toEqual([]);
    agentName = `${TD}/ns/fed/sa/api`;
    const e = await cluster.enroll(agentName);
    agent = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
    expectCode(await failure(issuerToken(agent)), grpc.status.FAILED_PRECONDITION, 'ISSUER_NOT_CONFIGURED');
  });

  it("mpcid issuer rotate makes the first key by a DKG among the oracles; every oracle serves the same one-key JWKS and a discovery document whose issuer is the tokens' iss", async () => {
    const r = await rotate();
    expect(r.retired).toBeNull();
    expect(r.keys).toEqual([expect.objectContaining({ kid: r.added, state: 'current' })]);
    const sets = await Promise.all(
      cluster.oracles.map((o) => getJson<Jwks>(`http://${o.config.http!.listen}/issuer/jwks.json`)),
    );
    for (const s of sets) expect(s).toEqual(sets[0]);
    expect(sets[0]!.keys.map((k) => k.kid)).toEqual([r.added]);
    expect(sets[0]!.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    const disco = await getJson<{ issuer: string; jwks_uri: string }>(
      `${issuerUrl}/.well-known/openid-configuration`,
    );
    expect(disco.issuer).toBe(issuerUrl);
    expect(disco.jwks_uri).toBe(`${issuerUrl}/jwks.json`);
    discoveryIssuer = disco.issuer;
  }, 240_000);

  it(`a cluster with ${IDENTITIES} enrolled identities serves an issuer JWKS of at most 3 keys; its tokens verify with jose and node:crypto`, async () => {
    // Enrollment cost, measured here: one alone, then the rest 4 at a time (ratio only).
    const t0 = performance.now();
    await enrollFast(`${TD}/ns/many/sa/0`);
    const one = performance.now() - t0;
    const t1 = performance.now();
    let next = 1;
    await Promise.all(
      Array.from({ length: ENROLL_PARALLEL }, async () => {
        while (next < IDENTITIES - 1) {
          const i = next++;
          await enrollFast(`${TD}/ns/many/sa/${i}`);
        }
      }),
    );
    const rest = performance.now() - t1;
    console.info(
      `enrollment figures: ${IDENTITIES - 2} EdDSA-only enrollments ${ENROLL_PARALLEL} at a time took ${(rest / one).toFixed(1)}x one enrollment alone (${(rest / (IDENTITIES - 2) / one).toFixed(2)}x per identity)`,
    );
    let enrolled = 0;
    let pageToken = '';
    do {
      const page = await call(
        cluster.admin,
        cluster.admin.ListIdentities,
        { pageSize: 100, pageToken },
        10_000,
      );
      enrolled += page.identities.length;
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(enrolled).toBeGreaterThanOrEqual(IDENTITIES);
    // The identity JWKS lists a key per identity; the issuer JWKS a handful.
    const all = await getJson<Jwks>(
      `http://${cluster.oracles[0]!.config.http!.listen}/.well-known/jwks.json?limit=500`,
    );
    expect(all.keys.length).toBeGreaterThanOrEqual(IDENTITIES);
    const jwks = await jwksNow();
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    expect(jwks.keys.length).toBeLessThanOrEqual(3);

    const token = await issuerToken(agent, [AUD], 'issuer', 12 * 3600);
    const { payload, protectedHeader } = await verifyBoth(token, jwks);
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: jwks.keys[0]!.kid });
    expect(payload.iss).toBe(discoveryIssuer);
    expect(payload.sub).toBe(agentName);
    expect(payload.aud).toBe(AUD);
    expect(payload.exp! - payload.iat!).toBe(12 * 3600);
    expect(payload.exp! - payload.iat!).toBeLessThan(48 * 3600);
    // Two audiences at once, both configured: GCP's form.
    const two = await issuerToken(agent, [AUD, AUD2]);
    expect((await verifyBoth(two, jwks, AUD2)).payload.aud).toEqual([AUD, AUD2]);
  }, 600_000);

  it("the cluster's choice: FetchJWT without a key, `mpcid token fetch` and the SPIFFE FetchJWTSVID sign with the issuer key", async () => {
    const jwks = await jwksNow();
    const viaDefault = await issuerToken(agent, [AUD], '');
    expect(decodeProtectedHeader(viaDefault).kid).toBe(jwks.keys[0]!.kid);
    await verifyBoth(viaDefault, jwks);
    const cli = await mpcid(['token', 'fetch', '--socket', agent.socket, '--audience', AUD]);
    expect(cli.code, cli.stderr).toBe(0);
    await verifyBoth(cli.stdout.trim(), jwks);
    // `mpcid verify` takes the issuer key from a quorum of the oracles' issuer key sets.
    const urls = cluster.oracles.map((o) => `http://${o.config.http!.listen}`).join(',');
    const verdict = await mpcid([
      'verify',
      '--token',
      cli.stdout.trim(),
      '--oracle',
      urls,
      '--insecure-http',
      '--audience',
      AUD,
    ]);
    expect(verdict.stdout, verdict.stderr).toBe(
      `valid: sub=${agentName} kid=${jwks.keys[0]!.kid} exp=${decodeJwt(cli.stdout.trim()).exp}\n`,
    );
    const wrongAud = await mpcid([
      'verify',
      '--token',
      cli.stdout.trim(),
      '--oracle',
      urls,
      '--insecure-http',
      '--audience',
      AUD2,
    ]);
    expect(wrongAud.code).toBe(1);
    expect(wrongAud.stdout).toMatch(/^invalid: CLAIM_INVALID: claim aud/);
    // A flipped signature bit: the agreed issuer key refuses it.
    const [h, p, sig] = cli.stdout.trim().split('.');
    const bad = Buffer.from(sig!, 'base64url');
    bad[5]! ^= 1;
    const forged = await mpcid([
      'verify',
      '--token',
      `${h}.${p}.${bad.toString('base64url')}`,
      '--oracle',
      urls,
      '--insecure-http',
      '--audience',
      AUD,
    ]);
    expect(forged.stdout).toBe('invalid: BAD_SIGNATURE: signature verification failed\n');
    const svid = await fetchJwtSvid(agent.socket, AUD);
    const { payload } = await verifyBoth(svid, jwks);
    expect(payload.sub).toBe(agentName);
    // The agent's SPIFFE bundle holds the issuer keys in issuer mode, so ValidateJWTSVID agrees.
    const valid = await spiffeCall<{ spiffe_id: string }>(agent.socket, 'ValidateJWTSVID', {
      svid,
      audience: AUD,
    });
    expect(valid.spiffe_id).toBe(agentName);
    // Cost, as a ratio within this run (no assertion): an issuer-key token (jwt-issuer step, then
    // two DKLs23 rounds among 2 oracles) against an EdDSA identity-key token (one FROST step).
    const time = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) await f();
      return performance.now() - t0;
    };
    const eddsa = await time(() =>
      call(agent.workload, agent.workload.FetchJWT, { audience: [AUD], alg: 'EdDSA' }, 60_000),
    );
    const viaIssuer = await time(() => issuerToken(agent));
    console.info(
      `token figures: an issuer-key token took ${(viaIssuer / eddsa).toFixed(1)}x an EdDSA identity-key token (5 each, back to back)`,
    );
    // The identity key is still there on request (this identity has no ES256 key: NO_ES256_KEY).
    expect(errorCodeOf(await failure(issuerToken(agent, [AUD], 'identity')))).toBe('NO_ES256_KEY');
  });

  it('claims a join token bound hold for issuer-key tokens too: they carry the image, and a request claiming another is CLAIM_MISMATCH', async () => {
    const IMAGE = `sha256:${'ab'.repeat(32)}`;
    const e = await enrollFast(`${TD}/ns/fed/sa/bound`, JSON.stringify({ image: IMAGE }));
    const bound = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
    try {
      const jwks = await jwksNow();
      const { payload } = await verifyBoth(await issuerToken(bound), jwks);
      expect(payload['image']).toBe(IMAGE);
      const other = call(
        bound.workload,
        bound.workload.FetchJWT,
        {
          audience: [AUD],
          alg: 'ES256',
          key: 'issuer',
          extraClaimsJson: JSON.stringify({ image: 'sha256:other' }),
        },
        60_000,
      );
      expectCode(await failure(other), grpc.status.PERMISSION_DENIED, 'CLAIM_MISMATCH');
    } finally {
      await bound.kill('SIGTERM');
    }
  });

  it('an unconfigured audience, a lifetime of 48 hours or a bad key choice get stable codes, and nothing is signed', async () => {
    expectCode(
      await failure(issuerToken(agent, ['https://not-configured.example'])),
      grpc.status.PERMISSION_DENIED,
      'AUDIENCE_NOT_ALLOWED',
    );
    expectCode(
      await failure(issuerToken(agent, [AUD, 'https://evil.example'])),
      grpc.status.PERMISSION_DENIED,
      'AUDIENCE_NOT_ALLOWED',
    );
    expectCode(
      await failure(issuerToken(agent, [AUD], 'issuer', 48 * 3600)),
      grpc.status.PERMISSION_DENIED,
      'POLICY_VIOLATION',
    );
    expectCode(
      await failure(issuerToken(agent, [AUD], 'cloud')),
      grpc.status.INVALID_ARGUMENT,
      'MALFORMED_INPUT',
    );
  });

  it('rotation end to end: next is published before it signs, current keeps signing, tokens in flight verify until their key leaves; never more than 3 keys', async () => {
    const before = await jwksNow();
    const k1 = before.keys[before.keys.length === 1 ? 0 : before.keys.length - 2]!.kid!;
    const t1 = await issuerToken(agent);
    expect(decodeProtectedHeader(t1).kid).toBe(k1);

    const r2 = await rotate(); // [k1 current, k2 next]
    expect(r2.keys.map((k) => k.state)).toEqual(['current', 'next']);
    let jwks = await jwksNow();
    expect(jwks.keys.map((k) => k.kid)).toEqual([k1, r2.added]);
    const t2 = await issuerToken(agent);
    expect(decodeProtectedHeader(t2).kid).toBe(k1); // next is not used yet
    await verifyBoth(t1, jwks);

    const r3 = await rotate(); // [k1 previous, k2 current, k3 next]
    expect(r3.keys.map((k) => k.state)).toEqual(['previous', 'current', 'next']);
    jwks = await jwksNow();
    expect(jwks.keys).toHaveLength(3);
    const t3 = await issuerToken(agent);
    expect(decodeProtectedHeader(t3).kid).toBe(r2.added);
    await verifyBoth(t1, jwks); // signed two rotations ago, still in flight
    await verifyBoth(t3, jwks);

    const r4 = await rotate(); // [k2 previous, k3 current, k4 next]; k1 retired
    expect(r4.retired).toBe(k1);
    jwks = await jwksNow();
    expect(jwks.keys.map((k) => k.kid)).toEqual([r2.added, r3.added, r4.added]);
    await verifyBoth(t3, jwks);
    await expect(verifyBoth(t1, jwks)).rejects.toThrow(); // its key left the set
    const t4 = await issuerToken(agent);
    expect(decodeProtectedHeader(t4).kid).toBe(r3.added);
    await verifyBoth(t4, jwks);
    // Every oracle agrees.
    for (const o of cluster.oracles)
      expect(await getJson<Jwks>(`http://${o.config.http!.listen}/issuer/jwks.json`)).toEqual(jwks);
    // The set survives a restart (read back from LevelDB, the shares opened with the KEK), and
    // the restarted oracle still signs: with oracle 3 down it must be in every signing set.
    const o1 = cluster.oracles[0]!;
    await o1.kill('SIGTERM');
    await o1.start();
    expect(await getJson<Jwks>(`http://${o1.config.http!.listen}/issuer/jwks.json`)).toEqual(jwks);
    const o3 = cluster.oracles[2]!;
    await o3.kill('SIGTERM');
    try {
      await verifyBoth(await issuerToken(agent), jwks);
    } finally {
      await o3.start();
    }
  }, 900_000);

  it('a copied agent asking for an issuer-key token is caught like any clone: REVOKED, and no token; the revoked identity then gets IDENTITY_REVOKED', async () => {
    const name = `${TD}/ns/fed/sa/cloned`;
    const e = await cluster.enroll(name);
    const original = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
    const jwks = await jwksNow();
    await verifyBoth(await issuerToken(original), jwks);
    const copyDir = join(mkdtempSync(join(cluster.dir, 'copy-')), 'state');
    copyStateDir(e.stateDir, copyDir);
    const copy = await cluster.startAgent(copyDir, undefined, { heartbeatMs: 0 });
    await verifyBoth(await issuerToken(original), jwks);
    // The copy's step conflicts with the original's: fork evidence, revoked everywhere.
    const err = await failure(issuerToken(copy));
    expectCode(err, grpc.status.PERMISSION_DENIED, 'IDENTITY_REVOKED');
    await waitStatus(cluster.oracles, e.kid, 'revoked', 10_000);
    for (const o of cluster.oracles) expect(await statusOn(o, e.kid)).toBe('revoked');
    // Both copies now refuse, with a clear status (the original learns it from the oracles).
    expectCode(await failure(issuerToken(copy)), grpc.status.PERMISSION_DENIED, 'IDENTITY_REVOKED');
    expectCode(await failure(issuerToken(original)), grpc.status.PERMISSION_DENIED, 'IDENTITY_REVOKED');
    expectCode(await failure(issuerToken(original)), grpc.status.PERMISSION_DENIED, 'IDENTITY_REVOKED');
  }, 120_000);

  /** An in-process agent for identity `stateDir` whose oracle `liar` alters its round-`round` messages. */
  function lyingClients(clients: OracleClient[], liar: number, round: number, identityId: string) {
    const o = cluster.oracles[liar - 1]!;
    const { seed } = readNodeKey(o.config.nodeKeyFile);
    let lies = 0;
    const out = clients.map((c) => {
      if (c.nodeId !== liar) return c;
      const real = c.issuer;
      const issuer = new Proxy(real, {
        get(target, prop, receiver) {
          if (prop !== 'IssuerRound') return Reflect.get(target, prop, receiver);
          type Res = {
            envelopes: { from: number; to: number; round: number; sealed: Buffer; signature: Buffer }[];
          };
          return (
            req: { round: number; session: Buffer },
            md: grpc.Metadata,
            opts: grpc.CallOptions,
            cb: (err: grpc.ServiceError | null, res?: Res) => void,
          ) =>
            (real.IssuerRound as unknown as (...a: unknown[]) => grpc.ClientUnaryCall).call(
              real,
              req,
              md,
              opts,
              (err: grpc.ServiceError | null, res?: Res) => {
                if (res && req.round === round)
                  for (const e of res.envelopes) {
                    // The oracle's own message, altered and signed again with its own node key:
                    // authenticated as its, so its recipient must blame it.
                    const sealed = Buffer.from(e.sealed);
                    sealed[40] = sealed[40]! ^ 0x01;
                    e.sealed = sealed;
                    e.signature = Buffer.from(
                      signStatement(
                        seed,
                        STATEMENT_DOMAINS.ecdsaRelayed,
                        ...relayedFields(
                          identityId,
                          new Uint8Array(req.session),
                          e.round,
                          e.from,
                          e.to,
                          sealed,
                        ),
                      ),
                    );
                    lies++;
                  }
                cb(err, res);
              },
            );
        },
      });
      return { ...c, issuer };
    });
    return { clients: out, lies: () => lies };
  }

  it("a lying oracle's contribution is caught: its recipient names it (ISSUER_ABORT), no share leaves, and the token is signed without it", async () => {
    const liar = 2;
    const { stateDir, identityId } = await enrollFast(`${TD}/ns/fed/sa/liar`);
    const state = readState(stateDir);
    const clients = connectOracles(
      state.cluster,
      cluster.tls ? loadTls(bundleFiles(cluster.tls.agentDir)).material : null,
    );
    const hostile = lyingClients(clients, liar, 2, identityId);
    const cosigner = new Cosigner(state, stateDir, readRatchet(stateDir, state), hostile.clients, log, {
      heartbeatMs: 0,
    });
    try {
      const token = tokenMaker(state, cosigner, { clients: hostile.clients, deadlineMs: 10_000 });
      const jwks = await jwksNow();
      let signed = 0;
      // Signing sets are sticky for 8 steps (agent/quorum.ts), so a set without the liar may serve
      // the first 8 tokens and the next set may miss it too: up to 60 tokens, until it lied twice.
      for (let i = 0; i < 60 && hostile.lies() < 2; i++) {
        const { token: jwt } = await token('ES256', JWT_TYP, 0, { aud: AUD }, 'issuer');
        await verifyBoth(jwt, jwks);
        signed++;
      }
      // Signing sets are chosen at random; oracle 2 is in two of three.
      expect(hostile.lies()).toBeGreaterThanOrEqual(1);
      expect(signed).toBeGreaterThan(0);
      // The honest oracle that got the altered message logged the abort naming oracle 2.
      const { readFileSync } = await import('node:fs');
      const logs = cluster.oracles
        .filter((o) => o.id !== liar)
        .map((o) => readFileSync(o.logFile, 'utf8'))
        .join('\n');
      expect(logs).toMatch(/"culprit":2,"check":"envelope".*issuer session aborted/);
      // And counted it on /metrics, for an alerting rule: one honest recipient per lie at least.
      let counted = 0;
      for (const o of cluster.oracles.filter((x) => x.id !== liar)) {
        const text = await (await fetch(`http://${o.config.http!.listen}/metrics`)).text();
        const m = /^mpcid_issuer_aborts_total\{culprit="2",check="envelope"\} (\d+)$/m.exec(text);
        counted += m ? Number(m[1]) : 0;
      }
      expect(counted).toBeGreaterThanOrEqual(hostile.lies());
      // Nobody is revoked for it.
      for (const o of cluster.oracles) expect(await statusOn(o, identityId)).toBe('active');
    } finally {
      await cosigner.stop();
      closeOracles(clients);
    }
  }, 240_000);

  it('bad input to IssuerRound, IssuerSetup and GetIssuerKeys gets stable codes; the key set and the oracles stay as they were', async () => {
    const before = await jwksNow();
    const o1 = cluster.oracles[0]!;
    const v1 = services().oracle.mpcid.oracle.v1;
    const issuer = new v1.Issuer(o1.address, testCredentials(), CLIENT_OPTIONS);
    // A peer oracle's call (over mTLS a certificate with role oracle).
    const peer = new v1.IssuerPeer(
      o1.address,
      testDoubleCredentials('oracle', 'issuer-peer'),
      CLIENT_OPTIONS,
    ) as IssuerPeerClient;
    const id = readState((await enrollFast(`${TD}/ns/fed/sa/bad-input`)).stateDir);
    const round = (req: object) => call(issuer, issuer.IssuerRound, req, 5_000);
    const setup = (req: object) => call(peer, peer.IssuerSetup, req, 5_000);
    try {
      // GetIssuerKeys takes nothing and answers the set.
      const keys = await call(issuer, issuer.GetIssuerKeys, {}, 5_000);
      expect(keys.keys.map((k) => k.kid)).toEqual(before.keys.map((k) => k.kid));
      // IssuerRound: unknown identity, wrong lengths, forged signature, no session, a replay.
      const session = Buffer.alloc(32, 7);
      expectCode(
        await failure(round({ identityId: 'nope', session, round: 2 })),
        grpc.status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
      expectCode(
        await failure(round({ identityId: 'A'.repeat(43), session, round: 2 })),
        grpc.status.NOT_FOUND,
        'UNKNOWN_IDENTITY',
      );
      expectCode(
        await failure(
          round({
            identityId: id.identityId,
            session: Buffer.alloc(31),
            round: 2,
            sessionSignature: Buffer.alloc(64),
          }),
        ),
        grpc.status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
      expectCode(
        await failure(
          round({ identityId: id.identityId, session, round: 2, sessionSignature: Buffer.alloc(63) }),
        ),
        grpc.status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
      expectCode(
        await failure(
          round({
            identityId: id.identityId,
            session,
            round: 2,
            // A well-formed signature by the identity's own key, over something else.
            sessionSignature: Buffer.from(
              signStatement(id.sessionKey, STATEMENT_DOMAINS.issuerRound, 'other'),
            ),
          }),
        ),
        grpc.status.PERMISSION_DENIED,
        'SESSION_AUTH_FAILED',
      );
      const { issuerRoundFields } = await import('../../common/issuer.js');
      const signed = (r: number, s = session, envelopes: object[] = []) => ({
        identityId: id.identityId,
        session: s,
        round: r,
        envelopes,
        sessionSignature: Buffer.from(
          signStatement(
            id.sessionKey,
            STATEMENT_DOMAINS.issuerRound,
            ...issuerRoundFields(id.identityId, s, r, envelopes as never[]),
          ),
        ),
      });
      expectCode(await failure(round(signed(2))), grpc.status.FAILED_PRECONDITION, 'ECDSA_SESSION_LOST');
      expectCode(await failure(round(signed(3))), grpc.status.FAILED_PRECONDITION, 'ECDSA_SESSION_LOST');
      // A replay of a finished session's round (the agent's own, signed): lost, never resumed.
      const clients = connectOracles(
        id.cluster,
        cluster.tls ? loadTls(bundleFiles(cluster.tls.agentDir)).material : null,
      );
      const captured: object[] = [];
      const spying = clients.map((c) => {
        const real = c.issuer;
        return {
          ...c,
          issuer: new Proxy(real, {
            get(t, prop, r) {
              if (prop !== 'IssuerRound') return Reflect.get(t, prop, r);
              return (req: object, ...rest: unknown[]) => {
                captured.push({ ...req, nodeId: c.nodeId });
                return (real.IssuerRound as unknown as (...a: unknown[]) => unknown).call(real, req, ...rest);
              };
            },
          }),
        };
      });
      const stateDir = (await enrollFast(`${TD}/ns/fed/sa/replay`)).stateDir;
      const st = readState(stateDir);
      const cos = new Cosigner(st, stateDir, readRatchet(stateDir, st), spying, log, { heartbeatMs: 0 });
      try {
        const k = await agreedIssuerKey(spying, st.cluster.t, 5_000);
        await tokenMaker(st, cos, { clients: spying, deadlineMs: 10_000 })(
          'ES256',
          JWT_TYP,
          0,
          { aud: AUD },
          'issuer',
        );
        expect(k.kid).toBeTruthy();
        expect(captured.length).toBeGreaterThanOrEqual(4);
        for (const req of captured) {
          const { nodeId, ...r } = req as { nodeId: number };
          const c = clients.find((x) => x.nodeId === nodeId)!;
          const err = await failure(call(c.issuer, c.issuer.IssuerRound, r, 5_000));
          expectCode(err, grpc.status.FAILED_PRECONDITION, 'ECDSA_SESSION_LOST');
        }
      } finally {
        await cos.stop();
        closeOracles(clients);
      }

      // IssuerSetup: lengths, rounds, coordinators, signatures, malformed points.
      const sid = randomBytes(16);
      expectCode(
        await failure(setup({ setupId: randomBytes(15), round: 1 })),
        grpc.status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
      expectCode(
        await failure(setup({ setupId: sid, round: 0 })),
        grpc.status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
      expectCode(
        await failure(setup({ setupId: sid, round: 9 })),
        grpc.status.INVALID_ARGUMENT,
        'MALFORMED_INPUT',
      );
      expectCode(
        await failure(setup({ setupId: sid, round: 1, coordinator: 9 })),
        grpc.status.INVALID_ARGUMENT,
        'BAD_PARTICIPANT',
      );
      expectCode(
        await failure(
          setup({
            setupId: sid,
            round: 1,
            coordinator: 2,
            // Oracle 3's well-formed signature where oracle 2's is expected.
            coordinatorSignature: Buffer.from(
              signStatement(
                readNodeKey(cluster.oracles[2]!.config.nodeKeyFile).seed,
                STATEMENT_DOMAINS.issuerSetup,
                'x',
              ),
            ),
          }),
        ),
        grpc.status.PERMISSION_DENIED,
        'SESSION_AUTH_FAILED',
      );
      expectCode(
        await failure(setup({ setupId: sid, round: 2 })),
        grpc.status.NOT_FOUND,
        'UNKNOWN_ENROLLMENT',
      );
      // A begin signed by oracle 2's node key (a real coordinator's), then malformed round-1s.
      const { seed } = readNodeKey(cluster.oracles[1]!.config.nodeKeyFile);
      const context = issuerSetupContext('test', sid, 2);
      const begin = {
        setupId: sid,
        round: 1,
        coordinator: 2,
        coordinatorSignature: Buffer.from(signStatement(seed, STATEMENT_DOMAINS.issuerSetup, context)),
      };
      const r1 = await setup(begin);
      expect(r1.round1?.nodeId).toBe(1);
      expect(await setup(begin)).toEqual(r1); // a retried begin gets the same answer
      const good = r1.round1!;
      const others = [2, 3].map((n) => ({
        ...good,
        nodeId: n,
        package: { ...good.package!, participant: n },
      }));
      expectCode(
        await failure(setup({ setupId: sid, round: 3 })),
        grpc.status.FAILED_PRECONDITION,
        'ENROLLMENT_STATE',
      );
      expectCode(
        await failure(setup({ setupId: sid, round: 2, oracleRound1: [good] })),
        grpc.status.INVALID_ARGUMENT,
        'BAD_LENGTH',
      );
      // The failed round ended the setup: begin again for each case.
      await setup(begin);
      const badPoint = {
        ...good,
        package: {
          ...good.package!,
          commitment: [Buffer.alloc(33, 0xff), ...good.package!.commitment.slice(1)],
        },
      };
      const e1 = await failure(setup({ setupId: sid, round: 2, oracleRound1: [badPoint, ...others] }));
      expect(['MALFORMED_POINT', 'BAD_LENGTH', 'SESSION_AUTH_FAILED', 'DKG_FAILED']).toContain(
        errorCodeOf(e1),
      );
      await setup(begin);
      const e2 = await failure(setup({ setupId: sid, round: 2, oracleRound1: [good, ...others] }));
      // Oracles 2 and 3's entries carry oracle 1's signature: refused.
      expect(errorInfoOf(e2)?.code).toBe('DKG_FAILED');
      // Nothing changed; every oracle still serves.
      expect(await jwksNow()).toEqual(before);
      for (const o of cluster.oracles) expect(o.running).toBe(true);
    } finally {
      issuer.close();
      peer.close();
    }
  }, 240_000);
});
