/**
 * Signer service (docs/protocol.md §6): hands out FROST nonce commitments ahead of time and
 * signs with exactly one of them per request.
 *
 * Nonces live only in memory, a bounded set per identity; a nonce is removed from the pool
 * before it is used, so a retry or a replay can never use it twice, and a restart loses unused
 * nonces rather than reusing them. Requests are authenticated with the identity's session key
 * before any nonce is touched.
 */
import { ensure, MpcidError } from '../common/errors.js';
import { unary } from '../common/grpc.js';
import {
  commitmentFromWire,
  commitmentToWire,
  DOMAINS,
  nonceRequestFields,
  signRequestFields,
} from '../common/protocol.js';
import { abytes, concatBytes, toHex } from '../crypto/bytes.js';
import {
  checkCommitmentList,
  commit,
  type NonceCommitment,
  type SigningNonces,
  signShare,
} from '../crypto/frost.js';
import { verifyStatement } from '../crypto/statement.js';
import type { GetNoncesRequest__Output } from '../proto/gen/mpcid/oracle/v1/GetNoncesRequest.js';
import type { GetNoncesResponse } from '../proto/gen/mpcid/oracle/v1/GetNoncesResponse.js';
import type { SignerHandlers } from '../proto/gen/mpcid/oracle/v1/Signer.js';
import type { SignRequest__Output } from '../proto/gen/mpcid/oracle/v1/SignRequest.js';
import type { SignResponse } from '../proto/gen/mpcid/oracle/v1/SignResponse.js';
import type { LoadedIdentity, OracleContext } from './context.js';

export const REQUEST_ID_LEN = 16;
/** Identities with a nonce pool at once; the least recently used pool is dropped beyond this. */
const MAX_POOLS = 100_000;

/** Per-identity pools of unused nonces, keyed by their commitment. Insertion order = age. */
class NoncePools {
  readonly #pools = new Map<string, Map<string, SigningNonces>>();
  readonly #perIdentity: number;
  constructor(perIdentity: number) {
    this.#perIdentity = perIdentity;
  }

  static key(c: NonceCommitment): string {
    return toHex(concatBytes(c.hiding, c.binding));
  }

  #pool(identityId: string): Map<string, SigningNonces> {
    let pool = this.#pools.get(identityId);
    if (pool) {
      this.#pools.delete(identityId);
    } else {
      pool = new Map();
      if (this.#pools.size >= MAX_POOLS) {
        const oldest = this.#pools.keys().next().value!;
        this.#wipe(this.#pools.get(oldest)!);
        this.#pools.delete(oldest);
      }
    }
    this.#pools.set(identityId, pool);
    return pool;
  }

  #wipe(pool: Map<string, SigningNonces>): void {
    for (const n of pool.values()) {
      n.hiding.wipe();
      n.binding.wipe();
    }
    pool.clear();
  }

  /** Makes a fresh nonce pair; evicts (and wipes) the oldest when the pool is full. */
  fresh(id: LoadedIdentity): NonceCommitment {
    const pool = this.#pool(id.record.identityId);
    const { nonces, commitment } = commit(id.share);
    while (pool.size >= this.#perIdentity) {
      const oldest = pool.keys().next().value!;
      const n = pool.get(oldest)!;
      n.hiding.wipe();
      n.binding.wipe();
      pool.delete(oldest);
    }
    pool.set(NoncePools.key(commitment), nonces);
    return commitment;
  }

  /** Removes and returns the nonces for a commitment, if this node handed it out and it is unused. */
  take(identityId: string, c: NonceCommitment): SigningNonces | undefined {
    const pool = this.#pools.get(identityId);
    const k = NoncePools.key(c);
    const nonces = pool?.get(k);
    pool?.delete(k);
    return nonces;
  }

  clear(): void {
    for (const p of this.#pools.values()) this.#wipe(p);
    this.#pools.clear();
  }
}

export class SignerService {
  readonly #ctx: OracleContext;
  readonly #nonces: NoncePools;

  constructor(ctx: OracleContext) {
    this.#ctx = ctx;
    this.#nonces = new NoncePools(ctx.config.limits.noncesPerIdentity);
  }

  handlers(): SignerHandlers {
    const log = this.#ctx.log;
    return {
      GetNonces: unary(log, 'GetNonces', (req) => this.getNonces(req)),
      Sign: unary(log, 'Sign', (req) => this.sign(req)),
    };
  }

  close(): void {
    this.#nonces.clear();
  }

  async getNonces(req: GetNoncesRequest__Output): Promise<GetNoncesResponse> {
    const ctx = this.#ctx;
    const max = ctx.config.limits.noncesPerIdentity;
    ensure(
      Number.isSafeInteger(req.count) && req.count >= 1 && req.count <= max,
      'MALFORMED_INPUT',
      `count: expected 1..${max}`,
    );
    const requestId = abytes(new Uint8Array(req.requestId), 'request_id', REQUEST_ID_LEN);
    const id = await ctx.identity(req.identityId);
    verifyStatement(
      id.sessionPublicKey,
      new Uint8Array(req.sessionSignature),
      'session_signature',
      DOMAINS.nonceRequest,
      nonceRequestFields(req.identityId, req.count, requestId),
    );
    const commitments = [];
    for (let i = 0; i < req.count; i++) commitments.push(commitmentToWire(this.#nonces.fresh(id)));
    return { commitments };
  }

  async sign(req: SignRequest__Output): Promise<SignResponse> {
    const ctx = this.#ctx;
    const message = new Uint8Array(req.message);
    if (message.length > ctx.config.limits.maxSignBytes) {
      throw new MpcidError('MESSAGE_TOO_LARGE', `message: at most ${ctx.config.limits.maxSignBytes} bytes`);
    }
    const requestId = abytes(new Uint8Array(req.requestId), 'request_id', REQUEST_ID_LEN);
    const id = await ctx.identity(req.identityId);
    const list = checkCommitmentList(id.group.as, req.commitments.map(commitmentFromWire));
    const mine = list.find((c) => c.participant === ctx.nodeId);
    if (!mine) throw new MpcidError('BAD_PARTICIPANT', `signing set does not include node ${ctx.nodeId}`);
    verifyStatement(
      id.sessionPublicKey,
      new Uint8Array(req.sessionSignature),
      'session_signature',
      DOMAINS.signRequest,
      signRequestFields(req.identityId, message, list, requestId),
    );
    const nonces = this.#nonces.take(req.identityId, mine);
    if (!nonces) throw new MpcidError('UNKNOWN_NONCE', 'nonce commitment unknown or already used');
    const share = signShare(id.group, id.share, nonces, list, message);
    return {
      nodeId: ctx.nodeId,
      signatureShare: Buffer.from(share),
      next: commitmentToWire(this.#nonces.fresh(id)),
    };
  }
}
