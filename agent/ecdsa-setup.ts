/**
 * The agent's side of ES256 setup (docs/protocol.md §4.2): right after enrollment, the agent runs
 * its w P-256 DKG participants and, as DKLs23 party 0, the pairwise OT setup with every oracle,
 * and relays the oracles' sealed messages to each other. All n oracles must confirm the same key
 * and round-1 transcript. Counterpart: oracle/ecdsa-setup.ts. Signing is agent/ecdsa.ts.
 */

import { randomBytes } from 'node:crypto';
import { clusterNodeKeys } from '../common/config.js';
import {
  ECDSA_SETUP_RPC_ROUNDS,
  ecdsaSetupContext,
  SETUP_ID_LEN,
  setupEnvelopes,
} from '../common/ecdsa-wire.js';
import { MpcidError } from '../common/errors.js';
import { call } from '../common/grpc.js';
import { beginFields, enrolledFields, round1ToWire } from '../common/protocol.js';
import { type AccessStructure, agentParticipants } from '../crypto/access.js';
import { equalBytes } from '../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../crypto/domains.js';
import { PairSetup, type PairState } from '../crypto/ecdsa/index.js';
import { AGENT_PARTY } from '../crypto/es256.js';
import { DkgParticipant, type GroupPublic, type KeyShare, P256, round1Digest } from '../crypto/frost.js';
import { p256Thumbprint } from '../crypto/p256.js';
import { type BoxKeyPair, channelKey, generateBoxKey, openEnvelope } from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import { signStatement, verifyStatement } from '../crypto/statement.js';
import type { EcdsaSetupRequest } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupRequest.js';
import type { EcdsaSetupResponse__Output } from '../proto/gen/mpcid/oracle/v1/EcdsaSetupResponse.js';
import type { Envelope } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import { agentRound2, checkOracleRound1, routeOracleShares } from './dkg.js';
import { type OracleClient, whileSending } from './oracles.js';
import type { AgentState } from './state.js';

/** The agent's ES256 key material: w P-256 shares, and per oracle its pair state and channel key. */
export interface Es256Key {
  readonly group: GroupPublic;
  readonly publicKey: Uint8Array;
  readonly kid: string;
  readonly shares: readonly KeyShare[];
  readonly pairs: ReadonlyMap<number, PairState>;
  readonly channels: ReadonlyMap<number, Secret>;
}

/**
 * What ES256 setup makes before it knows the identity: the agent's P-256 DKG participants and its
 * box key, fresh for one setup (enrollment makes them while the oracles finish the Ed25519 DKG).
 */
export interface Es256Prep {
  readonly mine: readonly DkgParticipant[];
  readonly box: BoxKeyPair;
}

export function prepareEs256(as: AccessStructure): Es256Prep {
  return { box: generateBoxKey(), mine: agentParticipants(as).map((p) => new DkgParticipant(as, p, P256)) };
}

/** Erases a preparation (idempotent): setup does when it ends, enrollment if setup never ran. */
export function abandonEs256(prep: Es256Prep): void {
  for (const d of prep.mine) d.abandon();
  prep.box.secretKey.wipe();
}

/** Runs ES256 setup with all n oracles (each must answer every round), consuming `prep`. */
export async function setupEs256(
  state: AgentState,
  clients: readonly OracleClient[],
  deadlineMs: number,
  prep: Es256Prep = prepareEs256(state.group.as),
): Promise<Es256Key> {
  const as = state.group.as;
  const { n } = as;
  const identityId = state.identityId;
  const setupId = new Uint8Array(randomBytes(SETUP_ID_LEN));
  const context = ecdsaSetupContext(identityId, setupId, state.sessionPublicKey);
  const { box, mine } = prep;
  const agentRound1 = mine.map((d) => d.round1);
  const nodeKeys = clusterNodeKeys(state.cluster);
  const rpc = (c: OracleClient, req: Omit<EcdsaSetupRequest, 'identityId' | 'setupId'>) =>
    call(
      c.enrollment,
      c.enrollment.EcdsaSetup,
      { identityId, setupId: Buffer.from(setupId), ...req },
      deadlineMs,
    );
  const onAll = async (f: (c: OracleClient) => Promise<EcdsaSetupResponse__Output>) => {
    const res = await Promise.all(clients.map(f));
    return new Map(res.map((r, i) => [clients[i]!.nodeId, r]));
  };
  const pairsOut = new Map<number, PairState>();
  try {
    // Round 1: begin; collect each oracle's node-signed P-256 round-1.
    const sessionSignature = signStatement(
      state.sessionKey,
      STATEMENT_DOMAINS.ecdsaSetup,
      ...beginFields(context, box.publicKey, agentRound1),
    );
    const begun = await onAll((c) =>
      rpc(c, {
        round: 1,
        agentBoxPublicKey: Buffer.from(box.publicKey),
        agentRound1: agentRound1.map(round1ToWire),
        sessionSignature: Buffer.from(sessionSignature),
      }),
    );
    const { oracleRound1, oracleBox, pkgs } = checkOracleRound1(
      as,
      clients.map((c) => [c.nodeId, begun.get(c.nodeId)!.round1] as const),
      nodeKeys,
      context,
      'ES256 round-1',
      P256,
    );
    const all = [...pkgs, ...agentRound1];
    const channels = new Map<number, Secret>();
    const pairSetups = new Map<number, PairSetup>();
    for (const [o, pub] of oracleBox) {
      channels.set(o, channelKey(box.secretKey, pub, context, AGENT_PARTY, o));
      pairSetups.set(o, new PairSetup({ curve: 'P-256', self: AGENT_PARTY, peer: o, sessionId: context }));
    }

    // Round 2: our DKG shares (sealed to each oracle); oracles answer with theirs and OT round 1.
    const { local, toOracle } = agentRound2(mine, all, n, box, oracleBox, context);
    const exchanged = await onAll((c) =>
      rpc(c, { round: 2, oracleRound1, shares: toOracle.get(c.nodeId) ?? [] }),
    );
    const forOracle = routeOracleShares(
      [...exchanged].map(([from, res]) => [from, res.shares] as const),
      n,
      box,
      oracleBox,
      context,
      local,
    );
    // OT setup: in RPC round k >= 3 each oracle gets every setup message of round k - 2
    // addressed to it (ours and the other oracles'), and answers with its round k - 1 messages.
    // Our own messages of round k - 1 need only the oracles' messages of round k - 2 (the answers
    // to RPC round k - 1), so we make them while RPC round k is out and the oracles make theirs;
    // in the last RPC round (whose answers are the confirmations) we finish our pairs and our DKG.
    let inbox = collect(exchanged, 1);
    let ours = setupEnvelopes(AGENT_PARTY, pairSetups, channels, context, 1, new Map());
    let finished: Map<number, EcdsaSetupResponse__Output> | undefined;
    let results: ReturnType<DkgParticipant['finish']>[] = [];
    for (let k = 3; k <= ECDSA_SETUP_RPC_ROUNDS; k++) {
      const setupRound = k - 2;
      const sending = onAll((c) =>
        rpc(c, {
          round: k,
          shares: k === 3 ? (forOracle.get(c.nodeId) ?? []) : [],
          envelopes: [
            ...ours.filter((e) => e.to === c.nodeId),
            ...inbox.filter((e) => e.to === c.nodeId && e.from !== AGENT_PARTY),
          ],
        }),
      );
      const received = inbox;
      const res = await whileSending(sending, () => {
        const toUs = openForAgent(received, channels, context, setupRound);
        if (k < ECDSA_SETUP_RPC_ROUNDS) {
          ours = setupEnvelopes(AGENT_PARTY, pairSetups, channels, context, setupRound + 1, toUs);
          return;
        }
        for (const [o, ps] of pairSetups) pairsOut.set(o, ps.finish(toUs.get(o)!));
        results = mine.map((d) => d.finish(all, local.get(d.round1.participant) ?? new Map()));
      });
      if (k < ECDSA_SETUP_RPC_ROUNDS) inbox = collect(res, setupRound + 1);
      else finished = res;
    }
    // Every oracle must confirm the key and transcript our own DKG participants derived.
    const group = results[0]!.group;
    if (!results.every((r) => equalBytes(r.group.groupPublicKey, group.groupPublicKey)))
      throw new MpcidError('DKG_FAILED', 'agent participants derived different P-256 keys');
    const digest = round1Digest(context, all);
    for (const c of clients) {
      const e = finished!.get(c.nodeId)!.enrolled;
      if (
        !e ||
        e.nodeId !== c.nodeId ||
        e.identityId !== identityId ||
        !equalBytes(new Uint8Array(e.publicKey), group.groupPublicKey) ||
        !equalBytes(new Uint8Array(e.round1Digest), digest)
      )
        throw new MpcidError(
          'DKG_FAILED',
          `oracle ${c.nodeId} confirmed a different ES256 key or transcript`,
        );
      verifyStatement(
        nodeKeys.get(c.nodeId)!,
        new Uint8Array(e.signature),
        `ES256 confirmation of oracle ${c.nodeId}`,
        STATEMENT_DOMAINS.ecdsaEnrolled,
        enrolledFields(context, c.nodeId, identityId, group.groupPublicKey, digest),
        'DKG_FAILED',
      );
    }
    return {
      group,
      publicKey: group.groupPublicKey,
      kid: p256Thumbprint(group.groupPublicKey),
      shares: results.map((r) => r.share),
      pairs: pairsOut,
      channels,
    };
  } finally {
    abandonEs256(prep);
  }
}

function collect(res: Map<number, EcdsaSetupResponse__Output>, round: number): Envelope[] {
  const out: Envelope[] = [];
  for (const [from, r] of res) {
    for (const e of r.envelopes) {
      if (e.from !== from || e.round !== round)
        throw new MpcidError(
          'DKG_FAILED',
          `oracle ${from} sent an OT setup message as ${e.from} for round ${e.round}`,
        );
      out.push({ from: e.from, to: e.to, round: e.round, sealed: e.sealed });
    }
  }
  return out;
}

function openForAgent(inbox: Envelope[], channels: Map<number, Secret>, context: Uint8Array, round: number) {
  const out = new Map<number, Uint8Array>();
  for (const e of inbox) {
    if (e.to !== AGENT_PARTY) continue;
    out.set(
      e.from!,
      openEnvelope(
        channels.get(e.from!)!,
        'setup',
        context,
        round,
        e.from!,
        AGENT_PARTY,
        new Uint8Array(e.sealed as Uint8Array),
      ),
    );
  }
  if (out.size !== channels.size)
    throw new MpcidError('DKG_FAILED', `missing OT setup messages for round ${round}`);
  return out;
}
