/**
 * Revocation (docs/protocol.md §7): permanent, evidence-based, and spread to every node.
 *
 * The node that detects a fork revokes, persists the evidence with its alert event in one sync
 * batch, and pushes the revocation to every peer. A peer verifies the evidence against the
 * session key it stored at enrollment before applying it, so forged evidence changes nothing.
 * A node pulls every peer's revocations when it starts and then periodically, so one that was
 * down (or missed a push) catches up.
 *
 * Forensic fields (who detected it, when, from which network peers) are not evidence: the
 * detecting node signs them with its node key (its report), and a receiver records them as that
 * node's claim if the signature verifies, else as unverified (detectedBy 0, no peers). A record
 * says whether it was found here ('local', 'observed') or received ('peer'); a local detection is
 * never replaced by a peer's record, and replaces a peer's record that got here first.
 *
 * Accusations (docs/ecdsa.md §5): abort evidence whose claim an oracle signed is one node's word.
 * Alone it only suspends the identity (IDENTITY_SUSPENDED: nothing signs, alert
 * identity.suspended); accusations by ACCUSERS_TO_REVOKE distinct oracles, or the agent's own
 * signed abort claim, revoke it. Suspensions travel between nodes like revocations.
 *
 * The kill switch: an operator's revocation (`mpcid identity revoke`, admin RevokeIdentity) is
 * evidence signed with the operator's certificate key (common/operator-revocation.ts). Each node
 * checks it against its cluster CA, stores it like any revocation (alert identity.revoked) and it
 * spreads by the same push and pull.
 *
 * Push, pull and the signed forensic report are in oracle/revocation-peers.ts; this file is the
 * one concern of deciding on revocations (verify, record, corroborate accusations, the kill
 * switch), a little over 500 lines.
 */

import { clusterNodeKeys } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { evidenceFromWire } from '../common/evidence-wire.js';
import { LOG } from '../common/log.js';
import { Mutex } from '../common/mutex.js';
import {
  checkOperatorStatement,
  isOperatorRevocation,
  operatorDocument,
  operatorToWire,
  verifyOperatorRevocation,
} from '../common/operator-revocation.js';
import { type EvidenceJSON, evidenceFromJSON, evidenceToJSON, stepFromJSON } from '../common/protocol.js';
import { framed, fromB64u, toB64u } from '../crypto/bytes.js';
import { HASH_DOMAINS } from '../crypto/domains.js';
import { signEd25519 } from '../crypto/ed25519.js';
import { AGENT_PARTY } from '../crypto/es256.js';
import { sha256 } from '../crypto/hash.js';
import { type Evidence, evidenceDigest, headAfter, verifyEvidence } from '../crypto/ratchet.js';
import type { RevokeIdentityRequest__Output } from '../proto/gen/mpcid/admin/v1/RevokeIdentityRequest.js';
import type { PeerHandlers } from '../proto/gen/mpcid/oracle/v1/Peer.js';
import type { Revocation__Output } from '../proto/gen/mpcid/oracle/v1/Revocation.js';
import { type AlertHub, historiesOf } from './alerts.js';
import type { LoadedIdentity, OracleContext } from './context.js';
import type { AlertEvent, AlertHistory, RevocationEvidenceJSON, RevocationRecord } from './records.js';
import {
  MAX_PEER_LEN,
  MAX_PEERS,
  PAGE,
  peerFields,
  type Report,
  RevocationPeers,
  reportBytes,
} from './revocation-peers.js';

/** An operator's revocation must be signed within this long of the receiving oracle's clock. */
const OPERATOR_CLOCK_SKEW_MS = 5 * 60_000;

/** Distinct oracles whose accusations together revoke an identity (one alone only suspends it). */
export const ACCUSERS_TO_REVOKE = 2;

/** An oracle's accusation: ES256 abort evidence whose claim an oracle signed (not the agent). */
export function isAccusation(e: Evidence): boolean {
  return e.abort !== undefined && e.abort.accuser !== AGENT_PARTY;
}

/** The alert id of a revocation by accusations: over their evidence digests, in order. */
function accusationsDigest(digests: readonly string[]): string {
  return toB64u(
    sha256(
      framed(HASH_DOMAINS.revocationAccusations, ...[...digests].sort().map((d) => fromB64u(d, 'digest'))),
    ),
  );
}

/** The highest counter among the evidence's steps (what the revocation is at, from the evidence alone). */
function evidenceCounter(e: Evidence): number {
  return Math.max(...e.steps.map((s) => s.step.counter));
}

export class RevocationService {
  readonly #ctx: OracleContext;
  readonly #alerts: AlertHub;
  readonly #revoked = new Map<string, RevocationRecord>();
  /** Identities suspended on an oracle's accusation (status 'suspended'), not revoked. */
  readonly #suspended = new Map<string, RevocationRecord>();
  /** Push and pull of revocations between nodes (oracle/revocation-peers.ts). */
  readonly #exchange: RevocationPeers;
  /** Node keys of the cluster: they verify oracles' ECDSA abort claims. */
  readonly #nodeKeys: Map<number, Uint8Array>;
  #seq = 0;
  readonly #chain = new Mutex();

  private constructor(ctx: OracleContext, alerts: AlertHub) {
    this.#ctx = ctx;
    this.#alerts = alerts;
    this.#nodeKeys = clusterNodeKeys(ctx.config.cluster);
    this.#exchange = new RevocationPeers(ctx, (m, from) => this.apply(m, from));
  }

  static async create(ctx: OracleContext, alerts: AlertHub): Promise<RevocationService> {
    const s = new RevocationService(ctx, alerts);
    let after = '';
    for (;;) {
      const page = await ctx.store.listRevocations(after, PAGE);
      for (const r of page) (r.status === 'suspended' ? s.#suspended : s.#revoked).set(r.identityId, r);
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.identityId;
    }
    s.#seq = await ctx.store.lastEventSeq();
    return s;
  }

  /** The identity's revocation (a suspension is not one: see suspension()). */
  get(identityId: string): RevocationRecord | undefined {
    return this.#revoked.get(identityId);
  }

  /** The identity's suspension on an uncorroborated accusation, if any. */
  suspension(identityId: string): RevocationRecord | undefined {
    return this.#suspended.get(identityId);
  }

  /** Throws IDENTITY_REVOKED if the identity is revoked, IDENTITY_SUSPENDED if it is suspended. */
  check(identityId: string): void {
    this.checkRevoked(identityId);
    const s = this.#suspended.get(identityId);
    if (s) {
      const accusation = s.evidence as EvidenceJSON;
      const a = accusation.abort!;
      throw new MpcidError(
        'IDENTITY_SUSPENDED',
        `identity suspended: oracle ${a.accuser} accuses party ${a.culprit} of an aborted ES256 session (${a.check}); it signs nothing until the accusation is corroborated (then it is revoked)`,
        { details: { evidence: evidenceFromJSON(accusation), accuser: a.accuser, accused: a.culprit } },
      );
    }
  }

  /** Throws IDENTITY_REVOKED if the identity is revoked (a suspension passes). */
  checkRevoked(identityId: string): void {
    const r = this.#revoked.get(identityId);
    if (r) {
      // The evidence travels with the refusal, so an agent believes it only if it verifies.
      throw new MpcidError('IDENTITY_REVOKED', `identity revoked (evidence ${r.digest})`, {
        details: isOperatorRevocation(r.evidence)
          ? { operator: operatorToWire(r.evidence) }
          : { evidence: evidenceFromJSON(r.evidence) },
      });
    }
  }

  /** Serialises every revocation write on this node (they are rare; order keeps seq simple). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.#chain.run(fn);
  }

  /** Whether `r` was found by this node (records from before `origin` existed: detectedBy). */
  #isLocal(r: RevocationRecord): boolean {
    return (r.origin ?? (r.detectedBy === this.#ctx.nodeId ? 'local' : 'peer')) === 'local';
  }

  /**
   * Stores a revocation with its alert event, unless this node already holds one for the identity.
   * Exception: a local detection replaces a peer's record that got here first (both nodes found
   * the fork at about the same time), so this node's own observation is never lost. The record is
   * rewritten without a second event: this node has alerted on the revocation once already.
   */
  async #record(rec: RevocationRecord, identity: LoadedIdentity): Promise<boolean> {
    return this.#serial(async () => {
      const have = this.#revoked.get(rec.identityId);
      if (have && (this.#isLocal(have) || !this.#isLocal(rec))) return false;
      if (have) {
        await this.#ctx.store.putRevocation(rec);
        this.#revoked.set(rec.identityId, rec);
        this.#ctx.log.warn(
          {
            [LOG.identity]: rec.identityId,
            from: have.receivedFrom,
            digest: rec.digest,
            peers: rec.peers,
          },
          "a local detection replaces a peer's revocation record (alerted once already, when the peer's arrived)",
        );
        return true;
      }
      await this.#commit(
        rec,
        identity,
        isOperatorRevocation(rec.evidence)
          ? 'identity.revoked'
          : rec.reason === 'ecdsa-abort'
            ? 'identity.ecdsa_aborted'
            : 'identity.clone_detected',
      );
      this.#suspended.delete(rec.identityId);
      this.#revoked.set(rec.identityId, rec);
      this.#ctx.metrics.revocations.inc({ source: this.#isLocal(rec) ? 'local' : 'peer' });
      return true;
    });
  }

  /** Stores `rec` (revocation or suspension) with its alert event in one sync batch, and publishes it. */
  async #commit(rec: RevocationRecord, identity: LoadedIdentity, type: AlertEvent['type']): Promise<void> {
    const seq = this.#seq + 1;
    const histories = await this.#linkAudit(
      rec.identityId,
      rec.evidence,
      historiesOf(rec.evidence, rec.peers),
    );
    const operator = isOperatorRevocation(rec.evidence)
      ? { name: rec.evidence.operator, issuedAt: new Date(rec.evidence.issuedAt).toISOString() }
      : undefined;
    const event: AlertEvent = {
      id: rec.digest,
      type,
      identityId: rec.identityId,
      name: identity.record.name,
      kids: [rec.identityId, ...(identity.record.ecdsa ? [identity.record.ecdsa.kid] : [])],
      counter: rec.counter,
      reason: rec.reason,
      peers: rec.peers,
      ...(histories ? { histories } : {}),
      detectingNode: rec.detectedBy,
      reportingNode: this.#ctx.nodeId,
      time: new Date(rec.detectedAt).toISOString(),
      forensics: rec.forensics ?? (this.#isLocal(rec) ? 'observed' : 'claimed'),
      ...(operator ? { operator } : {}),
    };
    await this.#ctx.store.commitRevocation(rec, event, seq, this.#alerts.durableEntries({ seq, event }));
    this.#seq = seq;
    this.#alerts.published({ seq, event });
  }

  /**
   * Links each history of a fork to the last step of it in this node's audit log: the accepted
   * step's own entry (its head is the head after the step), and for the conflicting step the
   * audited step it follows (its head is the conflicting step's prevHead).
   */
  async #linkAudit(
    identityId: string,
    evidence: RevocationEvidenceJSON,
    histories: AlertHistory[] | undefined,
  ): Promise<AlertHistory[] | undefined> {
    if (!histories || isOperatorRevocation(evidence)) return histories;
    const [accepted, conflicting] = evidence.steps;
    if (!accepted || !conflicting) return histories;
    const store = this.#ctx.store;
    try {
      const mine = await store.getAudit(identityId, accepted.counter);
      const head = toB64u(headAfter(stepFromJSON(accepted).step));
      const branch =
        conflicting.counter > 0 ? await store.getAudit(identityId, conflicting.counter - 1) : undefined;
      const links = [
        mine?.head === head ? mine : undefined,
        branch?.head === conflicting.prevHead ? branch : undefined,
      ];
      return histories.map((h, i) => (links[i] ? { ...h, lastAudited: links[i] } : h));
    } catch {
      return histories;
    }
  }

  /**
   * Records a verified accusation: suspends the identity, or revokes it once accusations by
   * ACCUSERS_TO_REVOKE distinct oracles are held (the revocation keeps the first record's fields,
   * lists the others in `accusations`, and its id is over all their digests). The same accuser
   * again corroborates nothing. Returns the record now held and whether anything changed.
   */
  async #accused(
    rec: RevocationRecord,
    identity: LoadedIdentity,
  ): Promise<{ held: RevocationRecord; changed: boolean }> {
    return this.#serial(async () => {
      const id = rec.identityId;
      const revoked = this.#revoked.get(id);
      if (revoked) return { held: revoked, changed: false };
      const have = this.#suspended.get(id);
      if (!have) {
        const next: RevocationRecord = { ...rec, status: 'suspended', accusations: [] };
        await this.#commit(next, identity, 'identity.suspended');
        this.#suspended.set(id, next);
        return { held: next, changed: true };
      }
      const held = [have.evidence as EvidenceJSON, ...(have.accusations ?? [])];
      if (held.some((e) => e.abort?.accuser === (rec.evidence as EvidenceJSON).abort?.accuser))
        return { held: have, changed: false };
      const all = [...held, rec.evidence as EvidenceJSON];
      const accusations = all.slice(1);
      if (new Set(all.map((e) => e.abort?.accuser)).size < ACCUSERS_TO_REVOKE) {
        const next = { ...have, accusations };
        await this.#ctx.store.putRevocation(next);
        this.#suspended.set(id, next);
        return { held: next, changed: true };
      }
      const next: RevocationRecord = {
        ...have,
        status: 'revoked',
        accusations,
        digest: accusationsDigest(all.map((e) => e.digest)),
        appliedAt: Date.now(),
      };
      await this.#commit(next, identity, 'identity.ecdsa_aborted');
      this.#suspended.delete(id);
      this.#revoked.set(id, next);
      this.#ctx.metrics.revocations.inc({ source: this.#isLocal(rec) ? 'local' : 'peer' });
      this.#ctx.log.warn(
        { [LOG.identity]: id, accusers: all.map((e) => e.abort?.accuser), digest: next.digest },
        'accusations by distinct oracles corroborate each other: identity revoked',
      );
      return { held: next, changed: true };
    });
  }

  /** This node found a fork: revoke, persist, alert, and push to every peer. */
  async revokeLocal(
    identity: LoadedIdentity,
    evidence: Evidence,
    peers: string[],
    counter: number,
  ): Promise<RevocationRecord> {
    const reason = verifyEvidence(identity.sessionPublicKey, evidence, this.#nodeKeys, identity.group.as);
    const now = Date.now();
    const report: Report = {
      identityId: identity.record.identityId,
      digest: toB64u(evidenceDigest(evidence)),
      detectedBy: this.#ctx.nodeId,
      detectedAt: now,
      peers: peers.slice(0, MAX_PEERS).map((p) => p.slice(0, MAX_PEER_LEN)),
      counter,
    };
    const rec: RevocationRecord = {
      ...report,
      peers: [...report.peers],
      name: identity.record.name,
      evidence: evidenceToJSON(evidence, reason),
      reason,
      appliedAt: now,
      origin: 'local',
      forensics: 'observed',
      reportSignature: toB64u(signEd25519(reportBytes(report), this.#ctx.nodeKey.expose())),
    };
    if (isAccusation(evidence)) {
      // Peers hold the suspension before the agent hears of it, so its next step is refused.
      const { held } = await this.#accused(rec, identity);
      await this.#exchange.pushAll(held);
      return held;
    }
    await this.#record(rec, identity);
    const stored = this.#revoked.get(rec.identityId)!;
    void this.#exchange.pushAll(stored);
    return stored;
  }

  /**
   * The kill switch (admin RevokeIdentity): checks the operator's signed revocation against the
   * cluster CA, stores it with its alert (identity.revoked) and pushes it to every peer before
   * answering, so the revocation holds on every reachable node when the operator's command returns.
   */
  async revokeByOperator(
    req: RevokeIdentityRequest__Output,
    caller: string,
  ): Promise<{ applied: boolean; record: RevocationRecord }> {
    const ca = this.#ctx.clusterCa;
    if (!ca)
      throw new MpcidError(
        'NO_CLUSTER_CA',
        'this oracle serves without mTLS: it has no cluster CA to check an operator revocation with',
      );
    if (!Number.isSafeInteger(req.issuedAt) || Math.abs(req.issuedAt - Date.now()) > OPERATOR_CLOCK_SKEW_MS)
      throw new MpcidError('MALFORMED_INPUT', "issued_at: not within 5 minutes of this oracle's clock");
    const identity = await this.#ctx.identity(req.identityId, { allowRevoked: true });
    checkOperatorStatement({ ...req, clusterId: this.#ctx.config.cluster.id });
    const evidence = verifyOperatorRevocation(operatorDocument(this.#ctx.config.cluster.id, req), ca, {
      clusterId: this.#ctx.config.cluster.id,
      identityId: identity.record.identityId,
    });
    const have = this.#revoked.get(identity.record.identityId);
    if (have) return { applied: false, record: have };
    const now = Date.now();
    const counter = (await this.#ctx.store.getRatchet(identity.record.identityId))?.counter ?? 0;
    const report: Report = {
      identityId: identity.record.identityId,
      digest: evidence.digest,
      detectedBy: this.#ctx.nodeId,
      detectedAt: now,
      peers: [caller.slice(0, MAX_PEER_LEN)],
      counter,
    };
    const rec: RevocationRecord = {
      ...report,
      peers: [...report.peers],
      name: identity.record.name,
      evidence,
      reason: evidence.reason,
      appliedAt: now,
      origin: 'local',
      forensics: 'observed',
      reportSignature: toB64u(signEd25519(reportBytes(report), this.#ctx.nodeKey.expose())),
    };
    const applied = await this.#record(rec, identity);
    const stored = this.#revoked.get(rec.identityId)!;
    this.#ctx.log.warn(
      { [LOG.identity]: rec.identityId, operator: evidence.operator, digest: stored.digest, from: caller },
      'identity revoked by an operator (kill switch)',
    );
    await this.#exchange.pushAll(stored);
    return { applied, record: stored };
  }

  /** Verifies a revocation from a peer against our own copy of the identity, then applies it. */
  async apply(m: Revocation__Output | null | undefined, from: string): Promise<boolean> {
    if (m?.operator) return this.#applyOperator(m, m.operator, from);
    if (!m?.evidence) throw new MpcidError('BAD_EVIDENCE', 'revocation without evidence');
    const identityId = m.evidence.identityId;
    if (this.#revoked.has(identityId)) return false;
    const evidence = evidenceFromWire(m.evidence, identityId);
    if (m.accusations.length > this.#nodeKeys.size)
      throw new MpcidError('BAD_EVIDENCE', `at most ${this.#nodeKeys.size} accusations`);
    const identity = await this.#ctx.identity(identityId, { allowRevoked: true });
    // The evidence decides; what the sender says about the detection is only a claim.
    const reason = verifyEvidence(identity.sessionPublicKey, evidence, this.#nodeKeys, identity.group.as);
    const more = m.accusations.map((a) => {
      const e = evidenceFromWire(a, identityId);
      verifyEvidence(identity.sessionPublicKey, e, this.#nodeKeys, identity.group.as);
      if (!isAccusation(e)) throw new MpcidError('BAD_EVIDENCE', 'accusations: not an oracle accusation');
      return e;
    });
    const digest = toB64u(evidenceDigest(evidence));
    const { report, fields } = peerFields(
      this.#nodeKeys,
      identityId,
      digest,
      m,
      from,
      evidenceCounter(evidence),
    );
    const rec: RevocationRecord = {
      ...fields,
      name: identity.record.name,
      evidence: evidenceToJSON(evidence, reason),
      reason,
    };
    let applied: boolean;
    if (isAccusation(evidence)) {
      applied = (await this.#accused(rec, identity)).changed;
      for (const e of more) {
        const extra: RevocationRecord = {
          ...rec,
          evidence: evidenceToJSON(e, reason),
          digest: toB64u(evidenceDigest(e)),
        };
        applied = (await this.#accused(extra, identity)).changed || applied;
      }
    } else {
      applied = await this.#record(rec, identity);
    }
    if (applied)
      this.#ctx.log.warn(
        {
          [LOG.identity]: identityId,
          from,
          digest,
          forensics: rec.forensics,
          ...(report ? { detectedBy: report.detectedBy } : {}),
        },
        report
          ? 'revocation applied from a peer (its forensic fields are the detecting node’s signed claim)'
          : 'revocation applied from a peer on its evidence; its forensic fields carry no valid report signature and are not used',
      );
    return applied;
  }

  /** An operator's revocation from a peer: checked against this node's cluster CA, then applied. */
  async #applyOperator(
    m: Revocation__Output,
    op: NonNullable<Revocation__Output['operator']>,
    from: string,
  ): Promise<boolean> {
    const ca = this.#ctx.clusterCa;
    if (!ca)
      throw new MpcidError(
        'NO_CLUSTER_CA',
        'this oracle has no cluster CA to check an operator revocation with',
      );
    if (this.#revoked.has(op.identityId)) return false;
    const identity = await this.#ctx.identity(op.identityId, { allowRevoked: true });
    const identityId = identity.record.identityId;
    const evidence = verifyOperatorRevocation(operatorDocument(this.#ctx.config.cluster.id, op), ca, {
      clusterId: this.#ctx.config.cluster.id,
      identityId,
    });
    const counter = (await this.#ctx.store.getRatchet(identityId))?.counter ?? 0;
    const { fields } = peerFields(this.#nodeKeys, identityId, evidence.digest, m, from, counter);
    const rec: RevocationRecord = {
      ...fields,
      name: identity.record.name,
      evidence,
      reason: evidence.reason,
    };
    const applied = await this.#record(rec, identity);
    if (applied)
      this.#ctx.log.warn(
        { [LOG.identity]: identityId, from, digest: evidence.digest, operator: evidence.operator },
        "an operator's revocation applied from a peer",
      );
    return applied;
  }

  /** Pulls every peer's revocations (at start and periodically). */
  pullFromPeers(): Promise<void> {
    return this.#exchange.pullFromPeers();
  }

  /** Starts pulling from peers: now, then periodically. */
  start(): void {
    this.#exchange.start();
  }

  close(): void {
    this.#exchange.close();
  }

  /** The Peer service: peers push revocations here and list this node's. */
  handlers(): PeerHandlers {
    return this.#exchange.handlers();
  }
}
