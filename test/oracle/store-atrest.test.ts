/**
 * Keys at rest in the oracle's store (oracle/store.ts, crypto/atrest.ts), in process on real
 * LevelDB: the raw files never hold a share in any encoding (with a positive control: a schema-1
 * store does, until it is migrated), a wrong KEK is refused when the store opens, and a sealed
 * blob that was altered, swapped between identities or replaced by a clear share is STATE_CORRUPT
 * and yields nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { asMpcidError, MpcidError } from '../../common/errors.js';
import { loadKek } from '../../common/kek.js';
import { kekCheckValue, openAtRest, sealAtRest } from '../../crypto/atrest.js';
import { Secret } from '../../crypto/secret.js';
import { IDENTITY_SECRET_FIELDS, type IdentityRecord } from '../../oracle/records.js';
import { OracleStore, STORE_SCHEMA } from '../../oracle/store.js';
import { findLeaks, type Haystack, type SecretItem } from '../helpers/leaks.js';

const META = { clusterId: 'c', nodeId: 2, nodePublicKey: 'k' };
const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const newKek = () => new Secret(new Uint8Array(randomBytes(32)), 'kek');
const tmp = () => join(mkdtempSync(join(tmpdir(), 'mpcid-atrest-')), 'data');

function identity(): { rec: IdentityRecord; share: Uint8Array } {
  const share = new Uint8Array(randomBytes(32));
  const id = b64u(randomBytes(32));
  return {
    share,
    rec: {
      identityId: id,
      name: `spiffe://t/${id.slice(0, 6)}`,
      alg: 'EdDSA',
      publicKey: b64u(randomBytes(32)),
      n: 3,
      t: 2,
      participant: 2,
      signingShare: b64u(share),
      commitments: [b64u(randomBytes(32))],
      verifyingShares: [b64u(randomBytes(32))],
      sessionPublicKey: b64u(randomBytes(32)),
      tokenId: b64u(randomBytes(16)),
      round1Digest: b64u(randomBytes(32)),
      enrolledAt: Date.now(),
      status: 'active',
    },
  };
}

const token = (rec: IdentityRecord) => ({
  tokenId: rec.tokenId,
  name: rec.name,
  issuedBy: 1,
  expiresAt: Date.now() + 1000,
  state: 'used' as const,
  identityId: rec.identityId,
});

/** Every file of a LevelDB dir (tables, write-ahead log, manifest), as latin1 text. */
function rawFiles(dir: string): Haystack[] {
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => ({ source: f, text: readFileSync(join(dir, f)).toString('latin1') }));
}

function leaksOf(dir: string, shares: Uint8Array[]) {
  const secrets: SecretItem[] = shares.map((s, i) => ({ label: `share ${i}`, bytes: s }));
  const raw = shares.map((s, i) => ({ label: `share ${i} raw`, needle: Buffer.from(s).toString('latin1') }));
  const files = rawFiles(dir);
  return [
    ...findLeaks(secrets, files),
    ...raw.flatMap((r) =>
      files.filter((f) => f.text.includes(r.needle)).map((f) => `${r.label} in ${f.source}`),
    ),
  ];
}

async function rawDb(dir: string, f: (db: Level<string, Record<string, unknown>>) => Promise<void>) {
  const db = new Level<string, Record<string, unknown>>(dir, { valueEncoding: 'json' });
  await db.open();
  try {
    await f(db);
  } finally {
    await db.close();
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    // crypto/atrest's CryptoError reaches callers as the MpcidError it maps to.
    expect(asMpcidError(e)).toBeInstanceOf(MpcidError);
    return asMpcidError(e)!.code;
  }
  return 'no error';
}

describe('crypto/atrest', () => {
  it('opens what it sealed only with the same KEK, context and AAD', () => {
    const kek = newKek();
    const ctx = new Uint8Array([1]);
    const aad = new Uint8Array([2]);
    const box = sealAtRest(kek, ctx, aad, new Uint8Array([7, 7, 7]));
    expect([...openAtRest(kek, ctx, aad, box, 'x').expose()]).toEqual([7, 7, 7]);
    for (const [k, c, a] of [
      [newKek(), ctx, aad],
      [kek, new Uint8Array([9]), aad],
      [kek, ctx, new Uint8Array([9])],
    ] as const) {
      expect(() => openAtRest(k, c, a, box, 'x')).toThrow(/STATE_CORRUPT|fail authentication/);
    }
    expect(() => openAtRest(kek, ctx, aad, box.subarray(0, 30), 'x')).toThrow(/truncated/);
    // Two seals of the same value differ (random nonce); the check value does not reveal the KEK.
    expect(b64u(sealAtRest(kek, ctx, aad, new Uint8Array([7])))).not.toBe(
      b64u(sealAtRest(kek, ctx, aad, new Uint8Array([7]))),
    );
    expect(b64u(kekCheckValue(kek, ctx))).not.toContain(b64u(kek.expose()).slice(0, 10));
  });

  it('loadKek: file (raw or base64url, 0600) or MPCID_KEK, never both, never missing', async () => {
    const { writeFileSync, chmodSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'mpcid-kek-'));
    const key = randomBytes(32);
    const raw = join(dir, 'raw');
    writeFileSync(raw, key, { mode: 0o600 });
    const text = join(dir, 'text');
    writeFileSync(text, `${key.toString('base64url')}\n`, { mode: 0o600 });
    expect(b64u(loadKek({ kek: { file: raw } }, {}).expose())).toBe(key.toString('base64url'));
    expect(b64u(loadKek({ kek: { file: text } }, {}).expose())).toBe(key.toString('base64url'));
    expect(b64u(loadKek({}, { MPCID_KEK: key.toString('base64url') }).expose())).toBe(
      key.toString('base64url'),
    );
    const fails = (f: () => unknown, re: RegExp) => {
      try {
        f();
      } catch (e) {
        expect((e as MpcidError).code).toBe('CONFIG_INVALID');
        expect((e as Error).message).toMatch(re);
        expect((e as Error).message).not.toContain(key.toString('base64url').slice(0, 10));
        return;
      }
      throw new Error('expected CONFIG_INVALID');
    };
    fails(() => loadKek({}, {}), /no key-encryption key/);
    fails(() => loadKek({ kek: { file: raw } }, { MPCID_KEK: key.toString('base64url') }), /both/);
    fails(() => loadKek({}, { MPCID_KEK: key.subarray(0, 31).toString('base64url') }), /MPCID_KEK/);
    fails(() => loadKek({ kek: { file: join(dir, 'absent') } }, {}), /ENOENT/);
    const short = join(dir, 'short');
    writeFileSync(short, key.subarray(0, 16), { mode: 0o600 });
    fails(() => loadKek({ kek: { file: short } }, {}), /expected 32 raw bytes/);
    chmodSync(raw, 0o644);
    fails(() => loadKek({ kek: { file: raw } }, {}), /readable by others/);
  });
});

describe('OracleStore: identity secrets sealed at rest', () => {
  it('after enrollment the raw LevelDB files hold no share (hex, base64, base64url, raw)', async () => {
    const dir = tmp();
    const kek = newKek();
    const store = await OracleStore.open(dir, META, kek);
    const ids = [identity(), identity(), identity()];
    for (const { rec } of ids) await store.commitEnrollment(rec, token(rec));
    for (const { rec } of ids) expect(await store.getIdentity(rec.identityId)).toEqual(rec);
    expect(
      (await store.listIdentities('', 10)).every((r) => !('signingShare' in r) && !('sealed' in r)),
    ).toBe(true);
    await store.close();
    expect(
      leaksOf(
        dir,
        ids.map((i) => i.share),
      ),
    ).toEqual([]);
    await rawDb(dir, async (db) => {
      const meta = await db.get('meta');
      expect(meta).toMatchObject({ schema: STORE_SCHEMA, kekCheck: expect.stringMatching(/^[\w-]{43}$/) });
      for (const { rec } of ids) {
        const stored = (await db.get(`identity!${rec.identityId}`))!;
        for (const f of IDENTITY_SECRET_FIELDS) expect(stored).not.toHaveProperty(f);
        expect(stored['sealed']).toMatch(/^[\w-]{100,}$/);
        expect(stored['publicKey']).toBe(rec.publicKey);
      }
    });
    // Reopened with the same KEK: the same records.
    const again = await OracleStore.open(dir, META, kek);
    for (const { rec } of ids) expect(await again.getIdentity(rec.identityId)).toEqual(rec);
    await again.close();
  });

  it('a different KEK is refused when the store opens (KEK_MISMATCH); the store is left as it was', async () => {
    const dir = tmp();
    const kek = newKek();
    const { rec } = identity();
    const store = await OracleStore.open(dir, META, kek);
    await store.commitEnrollment(rec, token(rec));
    await store.close();
    expect(await code(OracleStore.open(dir, META, newKek()))).toBe('KEK_MISMATCH');
    // The same data dir with a KEK but for another node is refused as before (CONFIG_INVALID).
    expect(await code(OracleStore.open(dir, { ...META, nodeId: 3 }, kek))).toBe('CONFIG_INVALID');
    const ok = await OracleStore.open(dir, META, kek);
    expect(await ok.getIdentity(rec.identityId)).toEqual(rec);
    await ok.close();
  });

  it('altered, swapped or clear secrets are STATE_CORRUPT and nothing of them is returned', async () => {
    const dir = tmp();
    const kek = newKek();
    const [a, b, c, d, e] = [identity(), identity(), identity(), identity(), identity()];
    const store = await OracleStore.open(dir, META, kek);
    for (const { rec } of [a, b, c, d, e]) await store.commitEnrollment(rec, token(rec));
    await store.close();
    await rawDb(dir, async (db) => {
      const get = async (x: typeof a) => (await db.get(`identity!${x.rec.identityId}`))!;
      const put = (x: typeof a, v: Record<string, unknown>) => db.put(`identity!${x.rec.identityId}`, v);
      const [ra, rb, rc, rd, re] = await Promise.all([get(a), get(b), get(c), get(d), get(e)]);
      // a <-> b: each one's sealed blob moved into the other's record.
      await put(a, { ...ra, sealed: rb['sealed'] });
      await put(b, { ...rb, sealed: ra['sealed'] });
      // c: one bit of the ciphertext flipped.
      const sealed = Buffer.from(rc['sealed'] as string, 'base64url');
      sealed[40]! ^= 1;
      await put(c, { ...rc, sealed: sealed.toString('base64url') });
      // d: its secret written back in clear beside the sealed blob; e: the whole record moved to d's key.
      await put(d, { ...rd, signingShare: d.rec.signingShare });
      await db.put(`identity!${d.rec.identityId}-x`, re);
    });
    const reopened = await OracleStore.open(dir, META, kek);
    for (const x of [a, b, c, d]) {
      let err: unknown;
      const got = await reopened.getIdentity(x.rec.identityId).catch((e2: unknown) => {
        err = e2;
        return undefined;
      });
      expect(got).toBeUndefined();
      expect((err as MpcidError).code, x.rec.name).toBe('STATE_CORRUPT');
      expect((err as Error).message).toContain(x.rec.identityId);
      expect((err as Error).message).not.toContain(x.rec.signingShare);
      // Public fields are still readable (JWKS, status): nothing is decrypted for them.
      expect((await reopened.getIdentityPublic(x.rec.identityId))?.publicKey).toBe(x.rec.publicKey);
    }
    expect(await code(reopened.getIdentity(`${d.rec.identityId}-x`))).toBe('STATE_CORRUPT');
    // Listings (admin, JWKS) go on, and never carry a secret, not even one found in clear.
    const listed = await reopened.listIdentities('', 10);
    expect(listed).toHaveLength(6);
    expect(JSON.stringify(listed)).not.toContain(d.rec.signingShare);
    expect(await reopened.getIdentity(e.rec.identityId)).toEqual(e.rec);
    await reopened.close();
  });

  it('an ES256 key added later (putIdentity): its share and pair states are sealed, its public part and kid index are not', async () => {
    const dir = tmp();
    const kek = newKek();
    const store = await OracleStore.open(dir, META, kek);
    const { rec, share } = identity();
    await store.commitEnrollment(rec, token(rec));
    const ecShare = new Uint8Array(randomBytes(32));
    const pairState = new Uint8Array(randomBytes(200));
    const channelKey = new Uint8Array(randomBytes(32));
    const kid = b64u(randomBytes(32));
    const withEs256: IdentityRecord = {
      ...rec,
      ecdsa: {
        curve: 'P-256',
        publicKey: b64u(randomBytes(33)),
        kid,
        commitments: [b64u(randomBytes(33))],
        verifyingShares: [b64u(randomBytes(33))],
        setupDigest: b64u(randomBytes(32)),
      },
      ecdsaSecrets: {
        signingShare: b64u(ecShare),
        pairs: [{ party: 0, channelKey: b64u(channelKey), state: b64u(pairState) }],
      },
    };
    await store.putIdentity(withEs256);
    expect(await store.getIdentity(rec.identityId)).toEqual(withEs256);
    const pub = await store.getIdentityPublic(rec.identityId);
    expect(pub?.ecdsa?.kid).toBe(kid);
    expect(pub).not.toHaveProperty('ecdsaSecrets');
    expect(await store.identityIdOfKid(kid)).toBe(rec.identityId);
    expect(await store.identityIdOfKid(rec.identityId)).toBe(rec.identityId);
    expect(await store.identityIdOfKid(b64u(randomBytes(32)))).toBeUndefined();
    // A record with the public part but no secrets (or the reverse) is refused, not half-stored.
    const { ecdsaSecrets: _s, ...noSecrets } = withEs256;
    expect(await code(store.putIdentity(noSecrets))).toBe('INTERNAL');
    await store.close();
    expect(leaksOf(dir, [share, ecShare, pairState.subarray(0, 32), channelKey])).toEqual([]);
    await rawDb(dir, async (db) => {
      const stored = (await db.get(`identity!${rec.identityId}`))!;
      expect(stored).not.toHaveProperty('ecdsaSecrets');
      expect(stored['ecdsa']).toEqual(withEs256.ecdsa);
      // Dropping the public ES256 part changes which secrets the blob must hold: it no longer opens.
      const { ecdsa: _e, ...stripped } = stored;
      await db.put(`identity!${rec.identityId}`, stripped);
    });
    const reopened = await OracleStore.open(dir, META, kek);
    expect(await code(reopened.getIdentity(rec.identityId))).toBe('STATE_CORRUPT');
    await reopened.close();
  });

  it('a schema-1 store (shares in clear) is migrated on first open with a KEK, one way, and compacted', async () => {
    const dir = tmp();
    const ids = [identity(), identity()];
    await rawDb(dir, async (db) => {
      await db.put('meta', { schema: 1, ...META });
      for (const { rec } of ids) await db.put(`identity!${rec.identityId}`, { ...rec });
    });
    // Positive control: the search finds the clear shares in the raw files.
    expect(
      leaksOf(
        dir,
        ids.map((i) => i.share),
      ).length,
    ).toBeGreaterThan(0);
    const kek = newKek();
    const store = await OracleStore.open(dir, META, kek);
    expect(store.migration).toEqual({ from: 1, to: 2, identitiesSealed: 2 });
    for (const { rec } of ids) expect(await store.getIdentity(rec.identityId)).toEqual(rec);
    await store.close();
    expect(
      leaksOf(
        dir,
        ids.map((i) => i.share),
      ),
    ).toEqual([]);
    const again = await OracleStore.open(dir, META, kek);
    expect(again.migration).toBeUndefined();
    await again.close();
    expect(await code(OracleStore.open(dir, META, newKek()))).toBe('KEK_MISMATCH');
  });
});
