/**
 * What the agent and the oracles both build or check for ES256 (docs/ecdsa.md §2, §4): the setup
 * context, the byte strings that node keys sign on relayed signing messages, the binding of the
 * agent's own message to what it relays, and the envelope wire codec. Both sides use these, so
 * they cannot drift apart, and agent/ and oracle/ never import each other. The begin and
 * confirmation statements of ES256 setup have the same fields as enrollment's (`beginFields`,
 * `enrolledFields` in ./protocol.ts) under their own domains (STATEMENT_DOMAINS.ecdsaSetup, ecdsaEnrolled).
 *
 * Digests over sealed messages (up to ~54 KB each) use node:crypto's SHA-256; the bytes are the
 * same as crypto/hash.ts's.
 */
import { hash } from 'node:crypto';
import { framed } from '../crypto/bytes.js';
import { HASH_DOMAINS, STATEMENT_DOMAINS } from '../crypto/domains.js';
import { type PairSetup, ROUND2_LEN, SETUP_ROUNDS } from '../crypto/ecdsa/index.js';
import { CryptoError } from '../crypto/errors.js';
import { NO_CULPRIT } from '../crypto/es256.js';
import { sealEnvelope } from '../crypto/seal.js';
import type { Secret } from '../crypto/secret.js';
import { verifyStatement } from '../crypto/statement.js';
import type { Envelope, Envelope__Output } from '../proto/gen/mpcid/oracle/v1/Envelope.js';
import { detailsOf, MpcidError } from './errors.js';
import { MAX_MESSAGE_BYTES } from './grpc.js';

/** Bytes of an ES256 setup id. */
export const SETUP_ID_LEN = 16;
/** RPC rounds of EcdsaSetup: begin, shares + first OT message, then one per OT message. */
export const ECDSA_SETUP_RPC_ROUNDS = SETUP_ROUNDS + 2;

/** Room left in a message for protobuf and gRPC framing, the identity id and the session digest. */
const FRAMING_SLACK_BYTES = 32 * 1024;
/** Per envelope: the Poly1305 tag, a relayed message's node-key signature, protobuf field framing. */
const ENVELOPE_OVERHEAD_BYTES = 16 + 64 + 32;

/**
 * Bytes of the largest ES256 message with t oracles: the round-3 EcdsaRound request to one
 * oracle, and an oracle's round-2 answer, each carry t sealed round-2 messages (~53.9 KB each).
 */
export function es256LargestMessageBytes(t: number): number {
  return t * (ROUND2_LEN + ENVELOPE_OVERHEAD_BYTES) + FRAMING_SLACK_BYTES;
}

/** The largest quorum whose ES256 messages fit the transport limit (18 on P-256). */
export const ES256_MAX_T = Math.floor(
  (MAX_MESSAGE_BYTES - FRAMING_SLACK_BYTES) / (ROUND2_LEN + ENVELOPE_OVERHEAD_BYTES),
);

function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', b, 'buffer'));
}

/** Context of an identity's ES256 setup: binds every message and the channel keys to it. */
export function ecdsaSetupContext(identityId: string, setupId: Uint8Array, sessionPublicKey: Uint8Array) {
  return sha256(framed(HASH_DOMAINS.ecdsaSetupContext, identityId, setupId, sessionPublicKey));
}

/** An envelope as it goes on the wire (no signature: an empty one). */
export function envelopeToWire(
  from: number,
  to: number,
  round: number,
  sealed: Uint8Array,
  signature?: Uint8Array,
): Envelope {
  return { from, to, round, sealed: Buffer.from(sealed), signature: Buffer.from(signature ?? []) };
}

/**
 * Fields of an oracle's node-key signature on a signing message for another oracle, which the
 * agent relays: a message altered in transit fails it (the relay is to blame), one that carries
 * a valid signature and still does not open is its sender's.
 */
export function relayedFields(
  identityId: string,
  session: Uint8Array,
  round: number,
  from: number,
  to: number,
  sealed: Uint8Array,
) {
  return [identityId, session, round, from, to, sha256(sealed)];
}

/**
 * What the agent's own signing message in an EcdsaRound request is bound to: the oracle messages
 * relayed beside it. A request whose relayed messages were altered after the agent sent it (by
 * anyone but the agent) no longer opens, so it is refused without an abort; only the agent can
 * relay an altered message under its own authentication, and is then blamed for it.
 */
export function relayBinding(
  relayed: readonly Pick<Envelope__Output, 'from' | 'to' | 'round' | 'sealed' | 'signature'>[],
) {
  const sorted = [...relayed].sort((a, b) => a.from - b.from);
  return sha256(
    framed(
      HASH_DOMAINS.ecdsaRelayBinding,
      ...sorted.flatMap((e) => [e.from, e.to, e.round, sha256(e.sealed), sha256(e.signature)]),
    ),
  );
}

/** Checks the sender's signature on a relayed signing message; throws ECDSA_ABORT blaming `blame`. */
export function checkRelayed(
  nodeKeys: ReadonlyMap<number, Uint8Array>,
  identityId: string,
  session: Uint8Array,
  e: Envelope__Output,
  blame: number,
  check: string,
): void {
  const key = nodeKeys.get(e.from);
  try {
    if (!key) throw new Error('unknown sender');
    verifyStatement(
      key,
      new Uint8Array(e.signature),
      'relayed message',
      STATEMENT_DOMAINS.ecdsaRelayed,
      relayedFields(identityId, session, e.round, e.from, e.to, e.sealed),
    );
  } catch {
    throw new MpcidError(
      'ECDSA_ABORT',
      `message from party ${e.from} to party ${e.to} (round ${e.round}) does not carry its sender's signature`,
      { details: { culprit: blame, check } },
    );
  }
}

/**
 * The (culprit, check) of an error that aborts an ES256 session, or undefined if it does not: a
 * local signer's CryptoError names them in its typed details (also as the cause of the MpcidError
 * made from it); another MpcidError in its typed ECDSA_ABORT details (a relayed message whose
 * signature fails), else its ErrorInfo metadata (a peer's answer). An unattributable failure
 * blames NO_CULPRIT; a check name that is not a plain slug becomes 'unspecified'.
 */
export function abortOf(e: unknown): { culprit: number; check: string } | undefined {
  let culprit: number;
  let check: string;
  if (e instanceof CryptoError) {
    if (e.details.check === undefined && e.code !== 'ECDSA_ABORT') return undefined;
    const culprits = e.culprits();
    culprit = culprits.length === 1 ? culprits[0]! : NO_CULPRIT;
    check = e.details.check ?? '';
  } else if (e instanceof MpcidError && e.cause instanceof CryptoError) {
    return abortOf(e.cause);
  } else if (e instanceof MpcidError) {
    const typed = detailsOf(e, 'ECDSA_ABORT');
    const c = typed ? String(typed.culprit) : e.metadata['culprit'];
    if (c === undefined && e.code !== 'ECDSA_ABORT') return undefined;
    culprit = Number(c);
    check = typed?.check ?? e.metadata['check'] ?? '';
  } else {
    return undefined;
  }
  return {
    culprit: Number.isSafeInteger(culprit) && culprit >= 0 && culprit <= NO_CULPRIT ? culprit : NO_CULPRIT,
    check: /^[a-z0-9-]{1,40}$/.test(check) ? check : 'unspecified',
  };
}

/**
 * This party's OT setup messages of setup round `round` to every peer, sealed under the pair's
 * channel key: what the agent and the oracles send in ES256 setup, and the oracles in the
 * federation issuer's key generation (oracle/issuer-setup.ts).
 */
export function setupEnvelopes(
  me: number,
  pairSetups: ReadonlyMap<number, PairSetup>,
  channels: ReadonlyMap<number, Secret>,
  context: Uint8Array,
  round: number,
  incoming: ReadonlyMap<number, Uint8Array>,
): Envelope[] {
  const out: Envelope[] = [];
  for (const [peer, ps] of pairSetups) {
    const msg = ps.next(round === 1 ? undefined : incoming.get(peer)!);
    out.push(
      envelopeToWire(
        me,
        peer,
        round,
        sealEnvelope(channels.get(peer)!, 'setup', context, round, me, peer, msg),
      ),
    );
  }
  return out;
}
