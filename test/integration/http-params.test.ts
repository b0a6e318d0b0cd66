/**
 * Every query parameter of the relying-party HTTP port is validated (oracle/http.ts), against a
 * real oracle process: a bad value, an unknown or repeated parameter, or a request target that is
 * not a path is a 400 whose JSON body carries a stable code from common/errors.ts; nothing reaches
 * the oracle's log (no "http handler failed", no stack trace), and the oracle keeps serving.
 *
 * Reproductions from issue 11: `?limit=-3` scanned every identity (it answered every key) and
 * `?limit=-1000000` answered 500 and logged a stack trace.
 *
 * Slow suite (tag `slow`): one oracle process and three enrollments, about 10 s.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isErrorCode } from '../../common/errors.js';
import { EDDSA_ONLY, startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;
let base: string;
let kids: string[];

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A raw HTTP/1.1 request line (fetch cannot send absolute-form or `*` targets); the status code. */
function rawStatus(requestLine: string): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(`${requestLine}\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    s.on('data', (c) => {
      data += c.toString('utf8');
    });
    s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), text: data }));
    s.on('error', reject);
  });
}

function logOf(): string {
  return readFileSync(cluster.oracles[0]!.logFile, 'utf8');
}

beforeAll(async () => {
  cluster = await startCluster(1, 1, EDDSA_ONLY);
  base = `http://${cluster.oracles[0]!.config.http!.listen}`;
  kids = [];
  for (const n of ['a', 'b', 'c']) kids.push((await cluster.enroll(`spiffe://test.mpcid/sa/${n}`)).kid);
  kids.sort();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('relying-party HTTP query validation (real oracle)', { tags: ['slow'] }, () => {
  it('issue 11: limit=-3 no longer scans every identity, limit=-1000000 is no longer a 500', async () => {
    for (const limit of ['-3', '-1000000']) {
      const r = await get(`/.well-known/jwks.json?limit=${limit}`);
      expect(r).toEqual({
        status: 400,
        body: { error: 'MALFORMED_INPUT', message: 'limit: expected an integer from 1 to 500' },
      });
    }
  });

  it.each([
    ['limit=0'],
    ['limit=501'],
    ['limit=10000'],
    ['limit=1.5'],
    ['limit=1e2'],
    ['limit=0x10'],
    ['limit=abc'],
    ['limit='],
    ['limit=%205'],
    ['limit=01'],
    ['limit=%ZZ'],
    ['limit=99999999999999999999'],
  ])('400 MALFORMED_INPUT for %s', async (q) => {
    const r = await get(`/.well-known/jwks.json?${q}`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'MALFORMED_INPUT', message: expect.stringMatching(/^limit: /) });
  });

  it('page_token must be a next_page_token (an identity id); paging with valid values works', async () => {
    for (const t of ['x', 'A'.repeat(44), '..%2F..%2Fetc', '%00'.repeat(43), `${kids[0]}%20`]) {
      const r = await get(`/.well-known/jwks.json?page_token=${t}`);
      expect(r, t).toEqual({
        status: 400,
        body: { error: 'MALFORMED_INPUT', message: expect.stringMatching(/^page_token: /) },
      });
    }
    // The valid values still page: two identities, then the third.
    const p1 = await get('/.well-known/jwks.json?limit=2');
    expect(p1.status).toBe(200);
    expect((p1.body['keys'] as JWK[]).map((k) => k.kid)).toEqual(kids.slice(0, 2));
    const p2 = await get(`/.well-known/jwks.json?limit=2&page_token=${p1.body['next_page_token']}`);
    expect(p2.status).toBe(200);
    expect((p2.body['keys'] as JWK[]).map((k) => k.kid)).toEqual(kids.slice(2));
    expect(p2.body['next_page_token']).toBeUndefined();
    expect((await get('/.well-known/jwks.json?limit=500&page_token=')).status).toBe(200);
  });

  it('unknown and repeated parameters are refused on every route, naming the parameter', async () => {
    const paths = [
      '/.well-known/jwks.json',
      '/.well-known/openid-configuration',
      `/v1/identities/${kids[0]}/jwks.json`,
      `/v1/identities/${kids[0]}/status`,
      '/healthz',
      '/readyz',
      '/metrics',
    ];
    for (const p of paths) {
      const r = await get(`${p}?limit=1&evil=%3Cscript%3E`);
      expect(r.status, p).toBe(400);
      expect(r.body['error']).toBe('MALFORMED_INPUT');
      expect(r.body['message']).toMatch(/^unknown query parameter "(limit|evil)"/);
      // Without the parameter the route answers (the refusal above is the parameter's).
      expect((await fetch(`${base}${p}`)).status, p).toBe(200);
    }
    const twice = await get('/.well-known/jwks.json?limit=1&limit=2');
    expect(twice).toEqual({
      status: 400,
      body: { error: 'MALFORMED_INPUT', message: 'query parameter limit given more than once' },
    });
    const long = await get(`/healthz?${'x'.repeat(5000)}=1`);
    expect(long.status).toBe(400);
    expect(String(long.body['message']).length).toBeLessThan(120);
  });

  it('malformed kids, other methods, unknown paths and non-path targets get codes from the one table', async () => {
    const bad = await get('/v1/identities/not-a-kid/status');
    expect(bad).toMatchObject({ status: 400, body: { error: 'MALFORMED_INPUT' } });
    const post = await fetch(`${base}/.well-known/jwks.json`, { method: 'POST' });
    expect(post.status).toBe(405);
    const nf = await get('/nope');
    expect(nf.status).toBe(404);
    for (const b of [bad.body, (await post.json()) as Record<string, unknown>, nf.body])
      expect(isErrorCode(b['error']), String(b['error'])).toBe(true);
    const absolute = await rawStatus('GET http://evil.example/.well-known/jwks.json HTTP/1.1');
    expect(absolute.status).toBe(400);
    expect(absolute.text).toContain('"error":"MALFORMED_INPUT"');
    expect((await rawStatus('GET * HTTP/1.1')).status).toBe(400);
  });

  it('none of it reached the oracle log (no handler failure, no stack trace); the oracle still serves', async () => {
    const log = logOf();
    expect(log).not.toContain('http handler failed');
    expect(log).not.toMatch(/"stack"|\n\s+at /);
    expect((await get('/healthz')).status).toBe(200);
    expect(((await get('/.well-known/jwks.json')).body['keys'] as JWK[]).length).toBe(3);
  });
});
