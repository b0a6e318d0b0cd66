/**
 * The issuer key's two-phase commit (oracle/issuer-commit.ts, oracle/store.ts), in process on real
 * LevelDB with real Ed25519 node keys: a pending key is durable and sealed (no clear share in any
 * file); the commit writes the key with its proof and deletes the pending entry in one batch; a
 * peer's proof is adopted only with all n confirmations, each by its own node key, over this
 * oracle's own context, key and round-1 digest (forged, partial, repeated, misattributed, of
 * another key or of another setup: refused); superseded and too-old pending keys are dropped.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../common/errors.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
import { generateEd25519 } from '../../crypto/ed25519.js';
import { Secret } from '../../crypto/secret.js';
import { signStatement } from '../../crypto/statement.js';
import {
  ABANDONED_AFTER_MS,
  adoptableConfirmations,
  type Confirmation,
  confirmationFields,
  issuerSetupContext,
  PENDING_MAX_AGE_MS,
  pendingAbandoned,
  pendingSuperseded,
  verifyConfirmations,
} from '../../oracle/issuer-commit.js';
import type { IssuerKeyProof, IssuerKeyRecord } from '../../oracle/records.js';
import { OracleStore } from '../../oracle/store.js';
import type { IssuerKey__Output } from '../../proto/gen/mpcid/oracle/v1/IssuerKey.js';

const CLUSTER = 'c';
const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const tmp = () => join(mkdtempSync(join(tmpdir(), 'mpcid-issuer-commit-')), 'data');
const nodes = [1, 2, 3].map((id) => ({ id, ...generateEd25519() }));
const nodeKeys = new Map(nodes.map((n) => [n.id, n.publicKey]));

function pendingKey(createdAt = Date.now()) {
  const setupId = new Uint8Array(randomBytes(16));
  const publicKey = new Uint8Array(randomBytes(33));
  const digest = new Uint8Array(randomBytes(32));
  const share = b64u(randomBytes(32));
  const rec: IssuerKeyRecord & { proof: IssuerKeyProof } = {
    generation: 0,
    kid: b64u(randomBytes(32)),
    publicKey: b64u(publicKey),
    commitments: [b64u(randomBytes(33))],
    verifyingShares: [b64u(randomBytes(33))],
    createdAt,
    secrets: { signingShare: share, pairs: [{ party: 1, channelKey: b64u(randomBytes(32)), state: 'x' }] },
    proof: { setupId: b64u(setupId), coordinator: 1, round1Digest: b64u(digest), confirmations: [] },
  };
  const context = issuerSetupContext(CLUSTER, setupId, 1);
  return { rec, setupId, publicKey, digest, context, share };
}

/** Node `signer`'s confirmation as node `nodeId` of (context, key, digest). */
function confirm(
  signer: number,
  nodeId: number,
  context: Uint8Array,
  publicKey: Uint8Array,
  digest: Uint8Array,
): Confirmation {
  const seed = new Secret(nodes[signer - 1]!.seed, 'node key');
  return {
    nodeId,
    publicKey,
    round1Digest: digest,
    signature: signStatement(
      seed,
      STATEMENT_DOMAINS.issuerKey,
      ...confirmationFields(context, nodeId, publicKey, digest),
    ),
  };
}

const allOf = (k: ReturnType<typeof pendingKey>) =>
  [1, 2, 3].map((n) => confirm(n, n, k.context, k.publicKey, k.digest));

function asPeerKey(
  k: ReturnType<typeof pendingKey>,
  list: Confirmation[],
  setupId = k.setupId,
): IssuerKey__Output {
  return {
    kid: k.rec.kid,
    publicKey: Buffer.from(k.publicKey),
    state: 'current',
    generation: 1,
    setupId: Buffer.from(setupId),
    coordinator: 1,
    confirmations: list.map((c) => ({
      nodeId: c.nodeId,
      publicKey: Buffer.from(c.publicKey),
      round1Digest: Buffer.from(c.round1Digest),
      signature: Buffer.from(c.signature),
    })),
  };
}

function refusal(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return codeOf(e) ?? 'not an MpcidError';
  }
  return undefined;
}

describe('issuer key two-phase commit (real LevelDB)', () => {
  it('a pending key is durable and sealed; the commit adds it with its proof and deletes the pending entry in one batch', async () => {
    const dir = tmp();
    const kek = new Secret(new Uint8Array(randomBytes(32)), 'kek');
    const meta = { clusterId: CLUSTER, nodeId: 2, nodePublicKey: b64u(nodes[1]!.publicKey) };
    const k = pendingKey();
    let store = await OracleStore.open(dir, meta, kek);
    await store.putIssuerPending(k.rec);
    await store.close();
    // No file of the data dir holds the share in clear.
    const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
    for (const f of files) expect(readFileSync(join(dir, f), 'latin1')).not.toContain(k.share);
    expect(files.some((f) => readFileSync(join(dir, f), 'latin1').includes(k.rec.kid))).toBe(true);

    store = await OracleStore.open(dir, meta, kek);
    expect(await store.getIssuerPending()).toEqual([k.rec]);
    expect(await store.getIssuerKeys()).toEqual([]);
    const list = allOf(k);
    const committed: IssuerKeyRecord = {
      ...k.rec,
      generation: 1,
      proof: {
        ...k.rec.proof,
        confirmations: list.map((c) => ({ nodeId: c.nodeId, signature: b64u(c.signature) })),
      },
    };
    await store.putIssuerKeys([committed], [k.rec.proof.setupId]);
    await store.close();
    store = await OracleStore.open(dir, meta, kek);
    try {
      expect(await store.getIssuerKeys()).toEqual([committed]);
      expect(await store.getIssuerPending()).toEqual([]);
      // Dropping: by setup id, in one batch.
      const a = pendingKey();
      const b = pendingKey();
      await store.putIssuerPending(a.rec);
      await store.putIssuerPending(b.rec);
      await store.deleteIssuerPending([a.rec.proof.setupId]);
      expect((await store.getIssuerPending()).map((r) => r.kid)).toEqual([b.rec.kid]);
    } finally {
      await store.close();
    }
  });

  it('all n valid confirmations are adopted; forged, partial, repeated, misattributed, of another key or another setup are refused', () => {
    const k = pendingKey();
    const list = allOf(k);
    expect(
      refusal(() => verifyConfirmations(nodeKeys, k.context, k.publicKey, k.digest, list)),
    ).toBeUndefined();
    expect(adoptableConfirmations(CLUSTER, nodeKeys, k.rec, asPeerKey(k, list))).toHaveLength(3);

    const adopt = (peer: IssuerKey__Output) =>
      refusal(() => adoptableConfirmations(CLUSTER, nodeKeys, k.rec, peer));
    // Forged: one signature altered.
    const forged = list.map((c, i) =>
      i === 2 ? { ...c, signature: c.signature.map((b, j) => (j === 5 ? b ^ 0x80 : b)) } : c,
    );
    expect(adopt(asPeerKey(k, forged))).toBe('ISSUER_SETUP_FAILED');
    // Partial: n - 1 confirmations, or none.
    expect(adopt(asPeerKey(k, list.slice(0, 2)))).toBe('BAD_LENGTH');
    expect(adopt(asPeerKey(k, []))).toBe('BAD_LENGTH');
    // Repeated: node 1 twice instead of node 3.
    expect(adopt(asPeerKey(k, [list[0]!, list[1]!, list[0]!]))).toBe('BAD_PARTICIPANT');
    // Unknown node.
    expect(adopt(asPeerKey(k, [list[0]!, list[1]!, { ...list[2]!, nodeId: 9 }]))).toBe('BAD_PARTICIPANT');
    // Misattributed: node 2's key signs node 3's confirmation.
    expect(adopt(asPeerKey(k, [list[0]!, list[1]!, confirm(2, 3, k.context, k.publicKey, k.digest)]))).toBe(
      'ISSUER_SETUP_FAILED',
    );
    // Valid confirmations of another key (the peer's own, honest about it): not ours.
    const other = pendingKey();
    expect(adopt(asPeerKey(other, allOf(other)))).toBe('ISSUER_SETUP_FAILED');
    // Our key and digest, but signed under another setup's context: the peer's setup id is not used.
    const elsewhere = issuerSetupContext(CLUSTER, new Uint8Array(randomBytes(16)), 1);
    const moved = [1, 2, 3].map((n) => confirm(n, n, elsewhere, k.publicKey, k.digest));
    expect(adopt(asPeerKey(k, moved))).toBe('ISSUER_SETUP_FAILED');
    // Another cluster's context.
    expect(refusal(() => adoptableConfirmations('other', nodeKeys, k.rec, asPeerKey(k, list)))).toBe(
      'ISSUER_SETUP_FAILED',
    );
  });

  it('a pending key is dropped once a key made after it is committed, or once it is too old; not otherwise', () => {
    const now = Date.now();
    const p = pendingKey(now - 1000).rec;
    const older = { ...pendingKey(now - 5000).rec, generation: 1 };
    const newer = { ...pendingKey(now).rec, generation: 2 };
    expect(pendingSuperseded(p, [], now)).toBe(false);
    expect(pendingSuperseded(p, [older], now)).toBe(false);
    expect(pendingSuperseded(p, [older, newer], now)).toBe(true);
    expect(pendingSuperseded(p, [], now + PENDING_MAX_AGE_MS + 1000)).toBe(true);
  });

  it('a pending key is abandoned only when every peer answered without it, long enough after round 7', () => {
    const k = pendingKey();
    const later = k.rec.createdAt + ABANDONED_AFTER_MS + 1000;
    const without = [pendingKey()].map((o) => asPeerKey(o, allOf(o)));
    const withIt = [asPeerKey(k, allOf(k))];
    expect(
      pendingAbandoned(
        k.rec,
        new Map([
          [1, without],
          [3, []],
        ]),
        2,
        later,
      ),
    ).toBe(true);
    expect(
      pendingAbandoned(
        k.rec,
        new Map([
          [1, without],
          [3, []],
        ]),
        2,
        k.rec.createdAt + 1000,
      ),
    ).toBe(false);
    expect(pendingAbandoned(k.rec, new Map([[1, without]]), 2, later)).toBe(false); // a peer did not answer
    expect(
      pendingAbandoned(
        k.rec,
        new Map([
          [1, without],
          [3, withIt],
        ]),
        2,
        later,
      ),
    ).toBe(false);
  });
});
