/**
 * An identity record at rest in the oracle store (oracle/store.ts): its secret fields (records.ts
 * IDENTITY_FIELDS) are sealed under the node's KEK into one blob, whose additional data binds the
 * store schema, the cluster, the node, the identity id and which fields it holds; opening checks
 * all of it and that nothing secret is stored in clear (STATE_CORRUPT otherwise).
 */
import { MpcidError } from '../common/errors.js';
import { openAtRest, sealAtRest } from '../crypto/atrest.js';
import { framed, fromB64u, toB64u, utf8Bytes } from '../crypto/bytes.js';
import { HASH_DOMAINS } from '../crypto/domains.js';
import type { Secret } from '../crypto/secret.js';
import {
  IDENTITY_FIELDS,
  IDENTITY_SECRET_FIELDS,
  type IdentityPublic,
  type IdentityRecord,
  OPTIONAL_FIELDS,
  type StoredIdentity,
  sealedFields,
} from './records.js';

export class IdentitySealing {
  readonly #kek: Secret;
  /** HKDF salt of the at-rest keys: they belong to this node of this cluster. */
  readonly #context: Uint8Array;
  readonly #schema: number;
  readonly #clusterId: string;
  readonly #nodeId: number;

  constructor(kek: Secret, context: Uint8Array, schema: number, clusterId: string, nodeId: number) {
    this.#kek = kek;
    this.#context = context;
    this.#schema = schema;
    this.#clusterId = clusterId;
    this.#nodeId = nodeId;
  }

  /** Additional data of an identity's sealed secrets: where they belong and what they are. */
  #aad(identityId: string, fields: readonly string[]): Uint8Array {
    return framed(
      HASH_DOMAINS.oracleStoreIdentitySecrets,
      this.#schema,
      this.#clusterId,
      this.#nodeId,
      identityId,
      fields.join(','),
    );
  }

  /** The stored form of an identity: secret fields replaced by one sealed blob. */
  seal(rec: IdentityRecord, identityId: string): StoredIdentity {
    const out: Record<string, unknown> = {};
    const secrets: Record<string, unknown> = {};
    for (const [k, cls] of Object.entries(IDENTITY_FIELDS)) {
      const v = (rec as unknown as Record<string, unknown>)[k];
      if (v === undefined) {
        if (OPTIONAL_FIELDS.has(k)) continue;
        throw new MpcidError('INTERNAL', `identity record without ${k}`);
      }
      if (cls === 'secret') secrets[k] = v;
      else out[k] = v;
    }
    const fields = sealedFields(out);
    if (Object.keys(secrets).length !== fields.length || !fields.every((k) => k in secrets))
      throw new MpcidError('INTERNAL', 'identity record: optional secret fields without their public part');
    const plain = utf8Bytes(JSON.stringify(secrets));
    try {
      out['sealed'] = toB64u(sealAtRest(this.#kek, this.#context, this.#aad(identityId, fields), plain));
    } finally {
      plain.fill(0);
    }
    return out as StoredIdentity;
  }

  /** Opens a stored identity; STATE_CORRUPT if it is not exactly a sealed record of `identityId`. */
  open(raw: unknown, identityId: string): IdentityRecord {
    const what = `stored identity ${identityId}`;
    const stored = this.public(raw, identityId);
    if (IDENTITY_SECRET_FIELDS.some((k) => k in (raw as object)))
      throw new MpcidError('STATE_CORRUPT', `${what}: a secret field is stored in clear`);
    const sealed = (raw as { sealed?: unknown }).sealed;
    if (typeof sealed !== 'string' || !/^[A-Za-z0-9_-]+$/.test(sealed))
      throw new MpcidError('STATE_CORRUPT', `${what}: no sealed secrets`);
    const fields = sealedFields(stored);
    const plain = openAtRest(
      this.#kek,
      this.#context,
      this.#aad(identityId, fields),
      fromB64u(sealed, 'sealed'),
      what,
    );
    let secrets: Record<string, unknown>;
    try {
      secrets = JSON.parse(Buffer.from(plain.expose()).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new MpcidError('STATE_CORRUPT', `${what}: sealed secrets are not a valid record`);
    } finally {
      plain.wipe();
    }
    const keys = Object.keys(secrets ?? {});
    if (
      keys.length !== fields.length ||
      !fields.every(
        (k) =>
          typeof secrets[k] === 'string' ||
          Array.isArray(secrets[k]) ||
          (typeof secrets[k] === 'object' && secrets[k] !== null),
      )
    )
      throw new MpcidError('STATE_CORRUPT', `${what}: sealed secrets do not hold the expected fields`);
    return { ...stored, ...secrets } as IdentityRecord;
  }

  /**
   * The public part of a stored identity (STATE_CORRUPT if it is not a record of this id). Secret
   * fields are never part of it, even if a damaged record holds one in clear.
   */
  public(raw: unknown, identityId: string): IdentityPublic {
    const r = raw as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || r['identityId'] !== identityId)
      throw new MpcidError(
        'STATE_CORRUPT',
        `stored identity ${identityId}: not an identity record of this id`,
      );
    const pub: Record<string, unknown> = {};
    for (const [k, cls] of Object.entries(IDENTITY_FIELDS)) if (cls === 'public' && k in r) pub[k] = r[k];
    return pub as unknown as IdentityPublic;
  }
}
