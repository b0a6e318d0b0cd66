/**
 * The SPIFFE Workload API on the agent's socket (issue 14 items 1-2), real processes. The client
 * here is not ours: there is no SPIFFE Workload API client library for Node in the npm registry,
 * so the test loads the standard's workloadapi.proto (proto/spiffe, the SPIFFE standard's service
 * and messages, no package) with @grpc/proto-loader itself, not through mpcid's generated client
 * or common/grpc.ts, and validates the SVID offline with jose against the bundle it streamed.
 *
 * It checks: FetchJWTSVID returns an ES256 JWT-SVID (typ JWT, kid, sub = the SPIFFE ID, aud, exp,
 * iat); FetchJWTBundles streams a JWKS keyed by the trust domain (kid, use jwt-svid) at once and
 * again when a key is added (an enrollment) or leaves (a revocation); ValidateJWTSVID agrees with
 * the offline check; the `workload.spiffe.io: true` header is required (InvalidArgument); X.509
 * methods are Unimplemented; `mpcid agent run` takes its socket from SPIFFE_ENDPOINT_SOCKET; bad
 * input (an unknown trust domain, malformed SVIDs, a revoked identity) gets a clear status and
 * changes nothing.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCodeOf, services } from '../../common/grpc.js';
import {
  type AgentProc,
  startCluster,
  type TestCluster,
  testCredentials,
  waitUntil,
} from '../helpers/cluster.js';

const TD = 'spiffe://test.mpcid';
const API = `${TD}/ns/prod/sa/api`;
const LATE = `${TD}/ns/prod/sa/late`;
const CLONED = `${TD}/ns/prod/sa/cloned`;
const ENVSOCK = `${TD}/ns/prod/sa/env-socket`;
const FOREIGN = 'spiffe://other.example/ns/x/sa/y';
const PLAIN = 'not-a-spiffe-id';
const AUD = 'https://rp.example/spiffe';
const REFRESH = ['--bundle-refresh-ms', '300'];

// The standard's proto, loaded the way any gRPC user would (keepCase: the proto's own field names).
const def = protoLoader.loadSync(join(import.meta.dirname, '../../proto/spiffe/workloadapi.proto'), {
  keepCase: true,
  longs: String,
  defaults: true,
});
type Svid = { spiffe_id: string; svid: string; hint: string };
interface SpiffeClient extends grpc.Client {
  FetchJWTSVID(
    r: object,
    md: grpc.Metadata,
    o: grpc.CallOptions,
    cb: grpc.requestCallback<{ svids: Svid[] }>,
  ): void;
  ValidateJWTSVID(
    r: object,
    md: grpc.Metadata,
    o: grpc.CallOptions,
    cb: grpc.requestCallback<{
      spiffe_id: string;
      claims: { fields: Record<string, Record<string, unknown>> };
    }>,
  ): void;
  FetchJWTBundles(
    r: object,
    md: grpc.Metadata,
  ): grpc.ClientReadableStream<{ bundles: Record<string, Buffer> }>;
  FetchX509SVID(r: object, md: grpc.Metadata): grpc.ClientReadableStream<unknown>;
  FetchX509Bundles(r: object, md: grpc.Metadata): grpc.ClientReadableStream<unknown>;
}
const Ctor = (
  grpc.loadPackageDefinition(def) as unknown as {
    SpiffeWorkloadAPI: new (a: string, c: grpc.ChannelCredentials) => SpiffeClient;
  }
).SpiffeWorkloadAPI;

function spiffeClient(socket: string): SpiffeClient {
  return new Ctor(`unix://${socket}`, grpc.credentials.createInsecure());
}
function header(on = true): grpc.Metadata {
  const md = new grpc.Metadata();
  if (on) md.set('workload.spiffe.io', 'true');
  return md;
}
const deadline = (ms = 20_000) => ({ deadline: Date.now() + ms });

function fetchSvid(c: SpiffeClient, req: object, md = header()): Promise<Svid[]> {
  return new Promise((res, rej) =>
    c.FetchJWTSVID(req, md, deadline(), (e, r) => (e ? rej(e) : res(r!.svids))),
  );
}
function validate(c: SpiffeClient, svid: string, audience: string, md = header()) {
  return new Promise<{ spiffe_id: string; claims: { fields: Record<string, Record<string, unknown>> } }>(
    (res, rej) => c.ValidateJWTSVID({ svid, audience }, md, deadline(), (e, r) => (e ? rej(e) : res(r!))),
  );
}
async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: grpc.ServiceError) => e,
  );
}

/** A FetchJWTBundles stream: every message as {trust domain -> JWKS}. */
function watchBundles(c: SpiffeClient, md = header()) {
  const messages: Record<string, { keys: JWK[] }>[] = [];
  let error: grpc.ServiceError | undefined;
  const stream = c.FetchJWTBundles({}, md);
  stream.on('data', (m: { bundles: Record<string, Buffer> }) => {
    messages.push(
      Object.fromEntries(
        Object.entries(m.bundles).map(([k, v]) => [k, JSON.parse(Buffer.from(v).toString('utf8'))]),
      ),
    );
  });
  stream.on('error', (e: grpc.ServiceError) => {
    error = e;
  });
  return {
    messages,
    get error() {
      return error;
    },
    cancel: () => stream.cancel(),
  };
}
const kidsOf = (m: Record<string, { keys: JWK[] }> | undefined) => (m?.[TD]?.keys ?? []).map((k) => k.kid!);

let cluster: TestCluster;
let api: { agent: AgentProc; es256Kid: string; client: SpiffeClient };

async function es256KidOf(agent: AgentProc): Promise<string> {
  const id = await call(agent.workload, agent.workload.GetIdentity, {}, 5_000);
  return id.es256Kid;
}

beforeAll(async () => {
  cluster = await startCluster(3, 2);
  const e = await cluster.enroll(API);
  const agent = await cluster.startAgent(e.stateDir, undefined, { extraArgs: REFRESH });
  api = { agent, es256Kid: await es256KidOf(agent), client: spiffeClient(agent.socket) };
}, 180_000);

afterAll(async () => {
  api?.client.close();
  await cluster?.stop();
});

describe('SPIFFE Workload API: JWT-SVID profile', { tags: ['slow'] }, () => {
  let svid: string;

  it('FetchJWTSVID returns one ES256 JWT-SVID for the SPIFFE ID', async () => {
    const svids = await fetchSvid(api.client, { audience: [AUD] });
    expect(svids).toHaveLength(1);
    expect(svids[0]!.spiffe_id).toBe(API);
    svid = svids[0]!.svid;
    expect(decodeProtectedHeader(svid)).toEqual({ alg: 'ES256', typ: 'JWT', kid: api.es256Kid });
    const c = decodeJwt(svid);
    expect(c.sub).toBe(API);
    expect(c.aud).toBe(AUD);
    expect(typeof c.exp).toBe('number');
    expect(typeof c.iat).toBe('number');
    expect(c.exp! - c.iat!).toBe(300);
  });

  it('the bundle streams at once; the SVID validates offline against it, and ValidateJWTSVID agrees', async () => {
    const w = watchBundles(api.client);
    await waitUntil('first bundle', async () => {
      if (w.messages.length === 0) throw new Error('no message yet');
    });
    w.cancel();
    const jwks = w.messages[0]![TD]!;
    expect(Object.keys(w.messages[0]!)).toEqual([TD]);
    const key = jwks.keys.find((k) => k.kid === api.es256Kid);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'jwt-svid', kid: api.es256Kid });
    for (const k of jwks.keys) expect(k.use).toBe('jwt-svid');
    // jose, as a SPIFFE client would use it: the bundle's keys are for JWT-SVIDs (use "jwt-svid"),
    // which jose's key selection does not know, so the client strips `use` (go-spiffe ignores it).
    const keys = jwks.keys.map(({ use: _u, ...k }) => k);
    const offline = await jwtVerify(svid, createLocalJWKSet({ keys }), {
      algorithms: ['ES256'],
      audience: AUD,
    });
    expect(offline.payload.sub).toBe(API);
    const v = await validate(api.client, svid, AUD);
    expect(v.spiffe_id).toBe(API);
    expect(v.claims.fields['sub']).toMatchObject({ stringValue: API });
    expect(v.claims.fields['aud']).toMatchObject({ stringValue: AUD });
    expect(v.claims.fields['exp']).toMatchObject({ numberValue: offline.payload.exp });
  });

  it('every call without `workload.spiffe.io: true` is InvalidArgument', async () => {
    for (const md of [
      header(false),
      (() => {
        const m = new grpc.Metadata();
        m.set('workload.spiffe.io', 'TRUE');
        return m;
      })(),
    ]) {
      const a = await failure(fetchSvid(api.client, { audience: [AUD] }, md));
      expect(a.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(errorCodeOf(a)).toBe('SPIFFE_HEADER_MISSING');
      const b = await failure(validate(api.client, svid, AUD, md));
      expect(b.code).toBe(grpc.status.INVALID_ARGUMENT);
      const w = watchBundles(api.client, md);
      await waitUntil('stream refused', async () => {
        if (!w.error) throw new Error('no error yet');
      });
      expect(w.error!.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(w.messages).toHaveLength(0);
    }
  });

  it('X.509-SVID methods are Unimplemented', async () => {
    for (const m of ['FetchX509SVID', 'FetchX509Bundles'] as const) {
      const s = api.client[m]({}, header());
      const err = await new Promise<grpc.ServiceError>((res) => {
        s.on('error', res);
        s.on('data', () => undefined);
      });
      expect(err.code, m).toBe(grpc.status.UNIMPLEMENTED);
    }
  });

  it('FetchJWTSVID: no audience is InvalidArgument; another SPIFFE ID is PermissionDenied', async () => {
    const a = await failure(fetchSvid(api.client, { audience: [] }));
    expect(a.code).toBe(grpc.status.INVALID_ARGUMENT);
    const b = await failure(fetchSvid(api.client, { audience: [AUD], spiffe_id: `${TD}/someone/else` }));
    expect(b.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(errorCodeOf(b)).toBe('NOT_SPIFFE_ID');
    expect(await fetchSvid(api.client, { audience: [AUD], spiffe_id: API })).toHaveLength(1);
  });

  it('`mpcid token fetch` and FetchJWT default to ES256; EdDSA stays available by asking', async () => {
    const wl = api.agent.workload;
    const es = await call(wl, wl.FetchJWT, { audience: [AUD] }, 20_000);
    expect(decodeProtectedHeader(es.token).alg).toBe('ES256');
    const ed = await call(wl, wl.FetchJWT, { audience: [AUD], alg: 'EdDSA' }, 20_000);
    expect(decodeProtectedHeader(ed.token).alg).toBe('EdDSA');
  });

  it('the stream sends a new bundle when a key is added and when an identity is revoked', async () => {
    const w = watchBundles(api.client);
    await waitUntil('first bundle', async () => {
      if (w.messages.length === 0) throw new Error('no message yet');
    });
    const before = kidsOf(w.messages[0]);
    // A key is added: a new identity of the trust domain enrolls (and sets up ES256).
    const late = await cluster.enroll(LATE);
    const lateAgent = await cluster.startAgent(late.stateDir, undefined, { heartbeatMs: 0 });
    const lateKid = await es256KidOf(lateAgent);
    expect(before).not.toContain(lateKid);
    await waitUntil('bundle with the new key', async () => {
      if (!kidsOf(w.messages.at(-1)).includes(lateKid)) throw new Error('not yet');
    });
    // An identity is revoked: a copy of its agent signs after the original did.
    const n = w.messages.length;
    const e = await cluster.enroll(CLONED);
    const original = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
    const clonedKid = await es256KidOf(original);
    await waitUntil('bundle with the cloned identity', async () => {
      if (!kidsOf(w.messages.at(-1)).includes(clonedKid)) throw new Error('not yet');
    });
    cpSync(e.stateDir, `${e.stateDir}-copy`, { recursive: true });
    const copy = await cluster.startAgent(`${e.stateDir}-copy`, undefined, { heartbeatMs: 0 });
    await original.sign(Buffer.from('the original signs'));
    await copy.sign(Buffer.from('the copy signs')).catch(() => undefined);
    await waitUntil('bundle without the revoked key', async () => {
      if (kidsOf(w.messages.at(-1)).includes(clonedKid)) throw new Error('not yet');
    });
    expect(w.messages.length).toBeGreaterThan(n + 1);
    // Every message is the whole bundle: the other keys are still there.
    expect(kidsOf(w.messages.at(-1))).toEqual(expect.arrayContaining([api.es256Kid, lateKid]));
    expect(w.error).toBeUndefined();
    w.cancel();

    // A revoked identity asking for an SVID: PermissionDenied, and nothing changes.
    const revoked = spiffeClient(original.socket);
    for (let i = 0; i < 2; i++) {
      const err = await failure(fetchSvid(revoked, { audience: [AUD] }));
      expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(errorCodeOf(err)).toBe('IDENTITY_REVOKED');
    }
    revoked.close();
    expect(original.running).toBe(true);
    expect(await fetchSvid(api.client, { audience: [AUD] })).toHaveLength(1);
  }, 180_000);
});

describe('SPIFFE Workload API: bad input', { tags: ['slow'] }, () => {
  it('ValidateJWTSVID refuses malformed, tampered, EdDSA, wrong-audience and foreign SVIDs with InvalidArgument', async () => {
    const [{ svid }] = (await fetchSvid(api.client, { audience: [AUD] })) as [Svid];
    const [h, p, s] = svid.split('.') as [string, string, string];
    const claims = decodeJwt(svid);
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: `${TD}/ns/prod/sa/admin` })).toString('base64url')}.${s}`;
    const wl = api.agent.workload;
    const eddsa = (await call(wl, wl.FetchJWT, { audience: [AUD], alg: 'EdDSA' }, 20_000)).token;
    // An SVID of another trust domain (an identity of this cluster, but not of the agent's bundle).
    const foreign = await cluster.enroll(FOREIGN);
    const fAgent = await cluster.startAgent(foreign.stateDir, undefined, { heartbeatMs: 0 });
    const fClient = spiffeClient(fAgent.socket);
    const [{ svid: foreignSvid }] = (await fetchSvid(fClient, { audience: [AUD] })) as [Svid];
    fClient.close();
    const cases: [string, string, string, RegExp][] = [
      ['not a JWS', 'garbage', AUD, /compact JWS/],
      ['three empty parts', '..', AUD, /compact JWS/],
      ['bad base64', `${h}.!!!.${s}`, AUD, /compact JWS/],
      ['tampered claims', tampered, AUD, /signature/],
      ['signature cut', `${h}.${p}.${s.slice(0, 20)}`, AUD, /signature|JWS/],
      ['EdDSA token', eddsa, AUD, /alg "EdDSA" is not allowed/],
      ['wrong audience', svid, 'https://other.example', /aud/],
      ['unknown trust domain', foreignSvid, AUD, /no JWT bundle for trust domain spiffe:\/\/other\.example/],
      ['huge', 'a'.repeat(9000), AUD, /larger than/],
    ];
    for (const [what, token, aud, why] of cases) {
      const err = await failure(validate(api.client, token, aud));
      expect(err.code, what).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details, what).toMatch(why);
    }
    const empty = await failure(validate(api.client, '', AUD));
    expect(empty.code).toBe(grpc.status.INVALID_ARGUMENT);
    // Nothing crashed or changed: the same SVID still validates, the agent still signs.
    expect((await validate(api.client, svid, AUD)).spiffe_id).toBe(API);
    expect(api.agent.running).toBe(true);
    expect(await fetchSvid(api.client, { audience: [AUD] })).toHaveLength(1);
  }, 120_000);

  it('an oracle asked for the bundle of an unknown trust domain answers NotFound; a malformed one InvalidArgument', async () => {
    const v1 = services().oracle.mpcid.oracle.v1;
    const c = new v1.Bundle(cluster.oracles[0]!.address, testCredentials());
    try {
      const unknown = await call(c, c.GetJwtBundle, { trustDomain: 'spiffe://nowhere.example' }, 5_000).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      expect(unknown?.code).toBe(grpc.status.NOT_FOUND);
      expect(errorCodeOf(unknown)).toBe('UNKNOWN_TRUST_DOMAIN');
      for (const td of ['', 'spiffe://Upper.Case', 'spiffe://a b', 'x'.repeat(300)]) {
        const bad = await call(c, c.GetJwtBundle, { trustDomain: td }, 5_000).then(
          () => undefined,
          (e: grpc.ServiceError) => e,
        );
        expect(bad?.code, td).toBe(grpc.status.INVALID_ARGUMENT);
      }
      const known = await call(c, c.GetJwtBundle, { trustDomain: TD }, 5_000);
      expect(known.keys.map((k) => k.kid)).toContain(api.es256Kid);
    } finally {
      c.close();
    }
    expect(cluster.oracles.every((o) => o.running)).toBe(true);
  });

  it('an identity whose name is no SPIFFE ID gets PermissionDenied for SVIDs and bundles', async () => {
    const e = await cluster.enroll(PLAIN);
    const agent = await cluster.startAgent(e.stateDir, undefined, { heartbeatMs: 0 });
    const c = spiffeClient(agent.socket);
    const a = await failure(fetchSvid(c, { audience: [AUD] }));
    expect(a.code).toBe(grpc.status.PERMISSION_DENIED);
    const w = watchBundles(c);
    await waitUntil('stream refused', async () => {
      if (!w.error) throw new Error('no error yet');
    });
    expect(w.error!.code).toBe(grpc.status.PERMISSION_DENIED);
    c.close();
  }, 60_000);
});

describe('SPIFFE_ENDPOINT_SOCKET', { tags: ['slow'] }, () => {
  it('`mpcid agent run` without --socket serves on $SPIFFE_ENDPOINT_SOCKET', async () => {
    const e = await cluster.enroll(ENVSOCK);
    const socket = join(cluster.dir, 'spiffe-endpoint.sock');
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../helpers/cluster.js');
    const p = spawn(
      process.execPath,
      [CLI, 'agent', 'run', '--state', e.stateDir, ...cluster.agentTransportArgs],
      {
        env: { ...process.env, SPIFFE_ENDPOINT_SOCKET: `unix://${socket}` },
        stdio: 'ignore',
      },
    );
    const c = spiffeClient(socket);
    try {
      let svids: Svid[] = [];
      await waitUntil(
        'agent on the env socket',
        async () => {
          svids = await fetchSvid(c, { audience: [AUD] });
        },
        p,
      );
      expect(svids[0]!.spiffe_id).toBe(ENVSOCK);
    } finally {
      c.close();
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  }, 60_000);
});
