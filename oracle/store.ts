/**
 * The oracle's durable state, one LevelDB per node. Every write that a reply depends on is a
 * sync write (fsync) made before the reply is sent. Values are JSON; byte fields are base64url.
 *
 * Keys:  meta                 node and cluster this data dir belongs to
 *        identity!<id>        enrolled identities (includes this node's signing share)
 *        token!<jti>          join tokens issued here or used here
 */
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import { MpcidError } from '../common/errors.js';

export const STORE_SCHEMA = 1;

export interface MetaRecord {
  schema: number;
  clusterId: string;
  nodeId: number;
  nodePublicKey: string;
}

export interface IdentityRecord {
  identityId: string;
  name: string;
  alg: 'EdDSA';
  /** Group public key, base64url. */
  publicKey: string;
  n: number;
  t: number;
  /** This node's participant index (= node id). */
  participant: number;
  /** SECRET: this node's signing share, base64url. */
  signingShare: string;
  commitments: string[];
  verifyingShares: string[];
  sessionPublicKey: string;
  tokenId: string;
  round1Digest: string;
  enrolledAt: number;
  status: 'active';
}

export interface TokenRecord {
  tokenId: string;
  name: string;
  issuedBy: number;
  expiresAt: number;
  state: 'issued' | 'used';
  identityId?: string;
  usedAt?: number;
}

const SYNC = { sync: true } as const;

export class OracleStore {
  readonly #db: Level<string, unknown>;
  private constructor(db: Level<string, unknown>) {
    this.#db = db;
  }

  /** Opens (creating if needed) the store and checks it belongs to this node of this cluster. */
  static async open(dir: string, meta: Omit<MetaRecord, 'schema'>): Promise<OracleStore> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (e) {
      throw new MpcidError('CONFIG_INVALID', `cannot open data dir ${dir}: ${(e as Error).message}`);
    }
    const store = new OracleStore(db);
    const existing = (await db.get('meta')) as MetaRecord | undefined;
    if (!existing) {
      await db.put('meta', { schema: STORE_SCHEMA, ...meta }, SYNC);
    } else if (
      existing.schema !== STORE_SCHEMA ||
      existing.clusterId !== meta.clusterId ||
      existing.nodeId !== meta.nodeId ||
      existing.nodePublicKey !== meta.nodePublicKey
    ) {
      await db.close();
      throw new MpcidError(
        'CONFIG_INVALID',
        `data dir ${dir} belongs to node ${existing.nodeId} of cluster ${existing.clusterId} (schema ${existing.schema}), not this node`,
      );
    }
    return store;
  }

  async getIdentity(identityId: string): Promise<IdentityRecord | undefined> {
    return (await this.#db.get(`identity!${identityId}`)) as IdentityRecord | undefined;
  }

  /** Identities in id order, starting after `after`. */
  async listIdentities(after: string, limit: number): Promise<IdentityRecord[]> {
    const out: IdentityRecord[] = [];
    const opts = after
      ? { gt: `identity!${after}`, lt: 'identity!\xff', limit }
      : { gte: 'identity!', lt: 'identity!\xff', limit };
    for await (const v of this.#db.values(opts)) out.push(v as IdentityRecord);
    return out;
  }

  async getToken(tokenId: string): Promise<TokenRecord | undefined> {
    return (await this.#db.get(`token!${tokenId}`)) as TokenRecord | undefined;
  }

  async putToken(rec: TokenRecord): Promise<void> {
    await this.#db.put(`token!${rec.tokenId}`, rec, SYNC);
  }

  /** Atomically stores a new identity and marks its join token used. */
  async commitEnrollment(identity: IdentityRecord, token: TokenRecord): Promise<void> {
    await this.#db
      .batch()
      .put(`identity!${identity.identityId}`, identity)
      .put(`token!${token.tokenId}`, token)
      .write(SYNC);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
