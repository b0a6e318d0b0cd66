/**
 * How oracles exchange revocations (docs/protocol.md §7): the forensic report a detecting node
 * signs, a revocation's wire form, the push to every peer when a node revokes, and the pull of
 * every peer's revocations at start and periodically (so a node that was down catches up). What
 * a received revocation means is decided by RevocationService (oracle/revocation.ts), which
 * verifies its evidence before applying it.
 */
import { codeOf, MpcidError } from '../common/errors.js';
import { evidenceToWire } from '../common/evidence-wire.js';
import { CLIENT_OPTIONS, call, fromServiceError, services, unary } from '../common/grpc.js';
import { LOG } from '../common/log.js';
import { isOperatorRevocation, operatorToWire } from '../common/operator-revocation.js';
import { evidenceFromJSON } from '../common/protocol.js';
import { framed, fromB64u, toB64u, u64be } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { verifyEd25519 } from '../crypto/ed25519.js';
import type { PeerClient, PeerHandlers } from '../proto/gen/mpcid/oracle/v1/Peer.js';
import type { Revocation, Revocation__Output } from '../proto/gen/mpcid/oracle/v1/Revocation.js';
import { IDENTITY_ID, type OracleContext } from './context.js';
import type { RevocationRecord } from './records.js';

const PEER_DEADLINE_MS = 3_000;
const PULL_INTERVAL_MS = 10_000;
/** Revocations per page, listed to peers and read at start. */
export const PAGE = 100;
/** At most this many network peers, of at most MAX_PEER_LEN characters each, in a report. */
export const MAX_PEERS = 2;
export const MAX_PEER_LEN = 200;

/** The forensic fields a detecting node signs. */
export interface Report {
  identityId: string;
  /** Evidence digest, base64url. */
  digest: string;
  detectedBy: number;
  detectedAt: number;
  peers: readonly string[];
  counter: number;
}

/** The bytes of a report its detecting node signs with its node key. */
export function reportBytes(r: Report): Uint8Array {
  return framed(
    STATEMENT_DOMAINS.revocationReport,
    r.identityId,
    fromB64u(r.digest, 'digest', 32),
    r.detectedBy,
    u64be(r.detectedAt),
    u64be(r.counter),
    r.peers.length,
    ...r.peers,
  );
}

export function revocationToWire(r: RevocationRecord): Revocation {
  return {
    ...(isOperatorRevocation(r.evidence)
      ? { operator: operatorToWire(r.evidence), evidence: null }
      : { evidence: evidenceToWire(evidenceFromJSON(r.evidence)) }),
    accusations: (r.accusations ?? []).map((a) => evidenceToWire(evidenceFromJSON(a))),
    digest: Buffer.from(r.digest, 'base64url'),
    reason: r.reason,
    detectedBy: r.detectedBy,
    detectedAt: r.detectedAt,
    peers: r.peers,
    counter: r.counter,
    reportSignature: Buffer.from(r.reportSignature ?? '', 'base64url'),
  };
}

/**
 * The fields of a revocation received from a peer: the detecting node's signed report as its
 * claim, or, without a valid one, unverified fields (`counter`: what this node knows) with what
 * was claimed kept aside.
 */
export function peerFields(
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  identityId: string,
  digest: string,
  m: Revocation__Output,
  from: string,
  counter: number,
) {
  const now = Date.now();
  const report = signedReport(nodeKeys, identityId, digest, m);
  const fields = {
    identityId,
    digest,
    appliedAt: now,
    origin: 'peer' as const,
    receivedFrom: from.slice(0, MAX_PEER_LEN),
    ...(report
      ? {
          detectedBy: report.detectedBy,
          detectedAt: report.detectedAt,
          peers: [...report.peers],
          counter: report.counter,
          forensics: 'claimed' as const,
          reportSignature: toB64u(new Uint8Array(m.reportSignature)),
        }
      : {
          detectedBy: 0,
          detectedAt: now,
          peers: [],
          counter,
          forensics: 'unverified' as const,
          unverifiedClaim: {
            detectedBy: Number.isSafeInteger(m.detectedBy) ? m.detectedBy : 0,
            detectedAt: Number.isSafeInteger(m.detectedAt) ? m.detectedAt : 0,
            peers: m.peers.slice(0, MAX_PEERS).map((p) => String(p).slice(0, MAX_PEER_LEN)),
          },
        }),
  };
  return { report, fields };
}

/** The sender's forensic fields, if they are a report signed by the node they name; else undefined. */
export function signedReport(
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  identityId: string,
  digest: string,
  m: Revocation__Output,
): Report | undefined {
  const key = nodeKeys.get(m.detectedBy);
  const sig = new Uint8Array(m.reportSignature);
  if (
    !key ||
    sig.length !== 64 ||
    !Number.isSafeInteger(m.detectedAt) ||
    m.detectedAt <= 0 ||
    !Number.isSafeInteger(m.counter) ||
    m.counter < 0 ||
    m.peers.length > MAX_PEERS ||
    m.peers.some((p) => typeof p !== 'string' || p.length > MAX_PEER_LEN)
  )
    return undefined;
  const report: Report = {
    identityId,
    digest,
    detectedBy: m.detectedBy,
    detectedAt: m.detectedAt,
    peers: m.peers,
    counter: m.counter,
  };
  return verifyEd25519(sig, reportBytes(report), key) ? report : undefined;
}

/** Applies a revocation received from a peer (RevocationService.apply); true if it changed anything. */
export type ApplyRevocation = (m: Revocation__Output | null | undefined, from: string) => Promise<boolean>;

export class RevocationPeers {
  readonly #ctx: OracleContext;
  readonly #apply: ApplyRevocation;
  readonly #peers: { nodeId: number; client: PeerClient }[];
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: OracleContext, apply: ApplyRevocation) {
    this.#ctx = ctx;
    this.#apply = apply;
    const Peer = services().oracle.mpcid.oracle.v1.Peer;
    this.#peers = ctx.config.cluster.oracles
      .filter((o) => o.id !== ctx.nodeId)
      .map((o) => ({
        nodeId: o.id,
        client: new Peer(o.address, ctx.peerCredentials, CLIENT_OPTIONS),
      }));
  }

  /** Pushes a revocation to every peer; a peer that misses it pulls it later. */
  async pushAll(rec: RevocationRecord): Promise<void> {
    const wire = revocationToWire(rec);
    await Promise.allSettled(
      this.#peers.map(async (p) => {
        try {
          await call(p.client, p.client.PushRevocation, { revocation: wire }, PEER_DEADLINE_MS);
        } catch (e) {
          const err = fromServiceError(e, `peer ${p.nodeId}`);
          this.#ctx.log.warn(
            { [LOG.peer]: p.nodeId, [LOG.errorCode]: err.code },
            'revocation push failed; the peer will pull it',
          );
        }
      }),
    );
  }

  /** Pulls every peer's revocations (at start and periodically). */
  async pullFromPeers(): Promise<void> {
    await Promise.allSettled(
      this.#peers.map(async (p) => {
        let pageToken = '';
        do {
          const res = await call(
            p.client,
            p.client.ListRevocations,
            { pageToken, pageSize: PAGE },
            PEER_DEADLINE_MS,
          );
          for (const r of res.revocations) {
            try {
              await this.#apply(r, `node ${p.nodeId}`);
            } catch (e) {
              const code = codeOf(e) ?? 'INTERNAL';
              if (code !== 'UNKNOWN_IDENTITY')
                this.#ctx.log.warn(
                  { [LOG.peer]: p.nodeId, [LOG.errorCode]: code },
                  'ignored a revocation from a peer',
                );
            }
          }
          pageToken = res.nextPageToken;
        } while (pageToken);
      }),
    );
  }

  start(): void {
    void this.pullFromPeers();
    this.#timer = setInterval(() => void this.pullFromPeers(), PULL_INTERVAL_MS).unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const p of this.#peers) p.client.close();
  }

  handlers(): PeerHandlers {
    const log = this.#ctx.log;
    return {
      PushRevocation: unary(log, 'PushRevocation', async (req, c) => ({
        applied: await this.#apply(req.revocation, c.getPeer()),
      })),
      ListRevocations: unary(log, 'ListRevocations', async (req) => {
        const size = Math.min(req.pageSize || PAGE, PAGE);
        const after = req.pageToken;
        if (after !== '' && !IDENTITY_ID.test(after))
          throw new MpcidError('MALFORMED_INPUT', 'page_token: malformed');
        const page = await this.#ctx.store.listRevocations(after, size + 1);
        const items = page.slice(0, size);
        return {
          revocations: items.map(revocationToWire),
          nextPageToken: page.length > size ? items[items.length - 1]!.identityId : '',
        };
      }),
    };
  }
}
