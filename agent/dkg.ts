/**
 * The agent's side of one DKG's share exchange (docs/protocol.md §4), shared by enrollment
 * (Ed25519) and ES256 setup (P-256): the agent runs its w participants, keeps the shares between
 * them local, seals the others to each oracle's box key, and routes each oracle's sealed shares,
 * opening those for its own participants and forwarding the rest unopened.
 */

import { MpcidError } from '../common/errors.js';
import { oracleRound1Fields, round1FromWire } from '../common/protocol.js';
import type { AccessStructure } from '../crypto/access.js';
import { abytes } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { type DkgParticipant, ED25519, type Round1Package, type Suite } from '../crypto/frost.js';
import { BOX_KEY_LEN, type BoxKeyPair, openShare, sealShare } from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import { verifyStatement } from '../crypto/statement.js';
import type { OracleRound1__Output } from '../proto/gen/mpcid/oracle/v1/OracleRound1.js';
import type { SealedShare, SealedShare__Output } from '../proto/gen/mpcid/oracle/v1/SealedShare.js';

/**
 * Checks each oracle's node-signed round-1 answer (`answers` in node order: node id -> its
 * round-1): its own node id and participant, its box key, its signature over the context.
 * Returns the round-1 messages to relay, each oracle's box key and its round-1 package.
 */
export function checkOracleRound1(
  as: AccessStructure,
  answers: readonly (readonly [number, OracleRound1__Output | null | undefined])[],
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  context: Uint8Array,
  what: string,
  suite: Suite = ED25519,
): { oracleRound1: OracleRound1__Output[]; oracleBox: Map<number, Uint8Array>; pkgs: Round1Package[] } {
  const oracleRound1: OracleRound1__Output[] = [];
  const oracleBox = new Map<number, Uint8Array>();
  const pkgs: Round1Package[] = [];
  for (const [nodeId, r1] of answers) {
    if (!r1 || r1.nodeId !== nodeId)
      throw new MpcidError('DKG_FAILED', `oracle ${nodeId} answered as another node`);
    const pkg = round1FromWire(as, r1.package, `${what} of oracle ${nodeId}`, suite);
    if (pkg.participant !== nodeId)
      throw new MpcidError('DKG_FAILED', `oracle ${nodeId} used participant ${pkg.participant}`);
    const boxKey = abytes(new Uint8Array(r1.boxPublicKey), `oracle ${nodeId} box key`, BOX_KEY_LEN);
    verifyStatement(
      nodeKeys.get(nodeId)!,
      new Uint8Array(r1.signature),
      `${what} of oracle ${nodeId}`,
      STATEMENT_DOMAINS.dkgRound1,
      oracleRound1Fields(context, nodeId, boxKey, pkg),
      'DKG_FAILED',
    );
    oracleRound1.push(r1);
    oracleBox.set(nodeId, boxKey);
    pkgs.push(pkg);
  }
  return { oracleRound1, oracleBox, pkgs };
}

/** Shares for the agent's own participants: recipient -> sender -> share. */
export type LocalShares = Map<number, Map<number, Secret>>;

function keep(local: LocalShares, recipient: number, sender: number, share: Secret): void {
  if (!local.has(recipient)) local.set(recipient, new Map());
  local.get(recipient)!.set(sender, share);
}

/** Round 2 of the agent's participants: shares between them stay local; the rest are sealed per oracle. */
export function agentRound2(
  mine: readonly DkgParticipant[],
  all: readonly Round1Package[],
  n: number,
  box: BoxKeyPair,
  oracleBox: ReadonlyMap<number, Uint8Array>,
  context: Uint8Array,
): { local: LocalShares; toOracle: Map<number, SealedShare[]> } {
  const local: LocalShares = new Map();
  const toOracle = new Map<number, SealedShare[]>();
  for (const d of mine) {
    const sender = d.round1.participant;
    for (const [recipient, share] of d.round2(all)) {
      if (recipient > n) {
        keep(local, recipient, sender, share);
        continue;
      }
      const sealed = sealShare({
        senderKey: box.secretKey,
        recipientPublic: oracleBox.get(recipient)!,
        context,
        sender,
        recipient,
        share,
      });
      share.wipe();
      if (!toOracle.has(recipient)) toOracle.set(recipient, []);
      toOracle.get(recipient)!.push({ sender, recipient, sealed: Buffer.from(sealed) });
    }
  }
  return { local, toOracle };
}

/**
 * Routes each oracle's sealed round-2 shares (`answers`: oracle id -> its shares): those for the
 * agent's participants are opened into `local`, the others returned per recipient oracle.
 */
export function routeOracleShares(
  answers: Iterable<readonly [number, readonly SealedShare__Output[]]>,
  n: number,
  box: BoxKeyPair,
  oracleBox: ReadonlyMap<number, Uint8Array>,
  context: Uint8Array,
  local: LocalShares,
): Map<number, SealedShare[]> {
  const forOracle = new Map<number, SealedShare[]>();
  for (const [from, shares] of answers) {
    for (const s of shares) {
      if (s.sender !== from)
        throw new MpcidError('DKG_FAILED', `oracle ${from} sent a share as participant ${s.sender}`);
      if (s.recipient > n) {
        const share = openShare({
          recipientKey: box.secretKey,
          senderPublic: oracleBox.get(from)!,
          context,
          sender: from,
          recipient: s.recipient,
          sealed: new Uint8Array(s.sealed),
        });
        keep(local, s.recipient, from, share);
      } else {
        if (!forOracle.has(s.recipient)) forOracle.set(s.recipient, []);
        forOracle.get(s.recipient)!.push(s);
      }
    }
  }
  return forOracle;
}
