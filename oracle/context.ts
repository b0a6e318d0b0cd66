/**
 * What every oracle service shares: config, access structure, node key, store, logger, and a
 * cache of decoded identities (points validated once when first loaded).
 */
import * as grpc from '@grpc/grpc-js';
import type { OracleConfig } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { type AccessStructure, accessStructure } from '../crypto/access.js';
import { fromB64u } from '../crypto/bytes.js';
import { decodePoint } from '../crypto/ed25519.js';
import { checkGroupPublic, type GroupPublic, type KeyShare } from '../crypto/frost.js';
import { Secret } from '../crypto/secret.js';
import { OracleMetrics } from './metrics.js';
import type { IdentityRecord } from './records.js';
import type { OracleStore } from './store.js';

export interface LoadedIdentity {
  readonly record: IdentityRecord;
  readonly group: GroupPublic;
  readonly share: KeyShare;
  readonly sessionPublicKey: Uint8Array;
}

/** Identity ids are RFC 7638 thumbprints: 43 base64url characters. */
export const IDENTITY_ID = /^[A-Za-z0-9_-]{43}$/;

export class OracleContext {
  readonly config: OracleConfig;
  readonly as: AccessStructure;
  readonly nodeKey: Secret;
  readonly nodePublicKey: Uint8Array;
  readonly store: OracleStore;
  readonly log: Logger;
  /** This node's Prometheus metrics (its own registry). */
  readonly metrics = new OracleMetrics();
  readonly #identities = new Map<string, LoadedIdentity>();
  /** Credentials for calls to peers: mTLS with this node's certificate (set at start), else plaintext. */
  peerCredentials: grpc.ChannelCredentials = grpc.credentials.createInsecure();
  /** The cluster CA certificate (PEM) under mTLS, else null: it checks operators' signed revocations. */
  clusterCa: Buffer | null = null;
  /** Set once the revocation service is up: answers whether an identity is revoked. */
  revoked: (identityId: string) => void = () => undefined;

  constructor(
    config: OracleConfig,
    nodeKey: Secret,
    nodePublicKey: Uint8Array,
    store: OracleStore,
    log: Logger,
  ) {
    this.config = config;
    this.as = accessStructure(config.cluster.n, config.cluster.t);
    this.nodeKey = nodeKey;
    this.nodePublicKey = nodePublicKey;
    this.store = store;
    this.log = log;
  }

  get nodeId(): number {
    return this.config.nodeId;
  }

  /**
   * Loads an identity: NOT_FOUND (UNKNOWN_IDENTITY) if absent, PERMISSION_DENIED
   * (IDENTITY_REVOKED) if revoked unless `allowRevoked`.
   */
  async identity(identityId: unknown, opts: { allowRevoked?: boolean } = {}): Promise<LoadedIdentity> {
    if (typeof identityId !== 'string' || !IDENTITY_ID.test(identityId)) {
      throw new MpcidError('MALFORMED_INPUT', 'identity_id: expected an RFC 7638 thumbprint');
    }
    if (!opts.allowRevoked) this.revoked(identityId);
    const cached = this.#identities.get(identityId);
    if (cached) return cached;
    const record = await this.store.getIdentity(identityId);
    if (!record) throw new MpcidError('UNKNOWN_IDENTITY', 'no such identity');
    const loaded = decodeIdentity(record);
    this.#identities.set(identityId, loaded);
    return loaded;
  }

  remember(loaded: LoadedIdentity): void {
    this.#identities.set(loaded.record.identityId, loaded);
  }
}

function decodeIdentity(record: IdentityRecord): LoadedIdentity {
  try {
    const as = accessStructure(record.n, record.t);
    const group = checkGroupPublic(
      as,
      record.commitments.map((c, i) => fromB64u(c, `commitments[${i}]`)),
      record.verifyingShares.map((v, i) => fromB64u(v, `verifyingShares[${i}]`)),
    );
    return {
      record,
      group,
      share: {
        participant: record.participant,
        signingShare: new Secret(fromB64u(record.signingShare, 'share', 32), 'signing-share'),
      },
      sessionPublicKey: decodePoint(
        fromB64u(record.sessionPublicKey, 'sessionPublicKey'),
        'sessionPublicKey',
      ),
    };
  } catch {
    throw new MpcidError('STATE_CORRUPT', `stored identity ${record.identityId} failed its integrity checks`);
  }
}
