/**
 * The one registry of mpcid's domain-separation strings: every `mpcid/...` label that prefixes a
 * signed statement, a hash, a key derivation, a transcript or an AEAD context. Each value is part
 * of stored data, test vectors and the wire: changing one (even a byte) is a protocol change, so
 * values only ever get added, never edited; a new version gets a new entry.
 *
 * Two groups, so that signStatement's type admits statement domains only:
 * - STATEMENT_DOMAINS: Ed25519 statements (crypto/statement.ts), signed by node or session keys;
 * - HASH_DOMAINS: hash, KDF, transcript and AEAD labels, never signed on their own.
 *
 * No two entries share a value, and no `mpcid/...` literal lives outside this file
 * (test/unit/domains.test.ts checks both).
 */

/** Domains of every Ed25519 statement mpcid signs (crypto/statement.ts). Adding one is a protocol change. */
export const STATEMENT_DOMAINS = {
  /** A join token, signed by the cluster's token issuer key (common/jointoken.ts). */
  joinToken: 'mpcid/join-token/v1',
  /** The enrollment context every DKG message is bound to (common/protocol.ts enrollmentContext). */
  dkgContext: 'mpcid/dkg/context/v1',
  /** The agent's begin-enrollment message, signed by its session key (agent/enroll.ts, oracle/enrollment.ts). */
  enrollBegin: 'mpcid/dkg/agent-begin/v1',
  /** An oracle's DKG round-1 package, signed by its node key (agent/dkg.ts, common/protocol.ts). */
  dkgRound1: 'mpcid/dkg/oracle-round1/v1',
  /** An oracle's enrollment confirmation, signed by its node key (agent/enroll.ts, oracle/enrollment.ts). */
  enrolled: 'mpcid/dkg/enrolled/v1',
  /** An agent's co-signing request, signed by its session key (agent/cosigner.ts, oracle/signer.ts). */
  signRequest: 'mpcid/sign-request/v1',
  /** An agent's nonce request, signed by its session key (agent/cosigner.ts, oracle/signer.ts). */
  nonceRequest: 'mpcid/nonce-request/v1',
  /** A ratchet step, signed by the agent's session key (crypto/ratchet.ts signStep/verifySignedStep). */
  signedStep: 'mpcid/ratchet/signed-step/v1',
  /** An oracle's commit to a ratchet step, signed by its node key (crypto/ratchet.ts). */
  commit: 'mpcid/ratchet/commit/v1',
  /** The agent's ES256 setup begin, signed by its session key (agent/es256.ts, oracle/ecdsa.ts). */
  ecdsaSetup: 'mpcid/ecdsa/setup-begin/v1',
  /** An oracle's ES256 setup confirmation, signed by its node key (agent/es256.ts, oracle/ecdsa.ts). */
  ecdsaEnrolled: 'mpcid/ecdsa/enrolled/v1',
  /** An ES256 abort claim naming a culprit, by the agent or an oracle (crypto/ratchet.ts evidence). */
  ecdsaAbort: 'mpcid/ecdsa/abort/v1',
  /** A signing message an oracle relays through the agent, signed by its node key (common/ecdsa-wire.ts). */
  ecdsaRelayed: 'mpcid/ecdsa/relayed/v1',
  /** A detecting oracle's revocation report, signed by its node key (oracle/revocation.ts reportBytes). */
  revocationReport: 'mpcid/revocation/report/v1',
  /** An operator's signed revocation, ECDSA P-256 with its certificate key (common/operator-revocation.ts). */
  operatorRevocation: 'mpcid/operator-revocation/v1',
  /** An issuer key generation's begin message, signed by the coordinating oracle (oracle/issuer-setup.ts). */
  issuerSetup: 'mpcid/issuer/setup-begin/v1',
  /** An oracle's confirmation that it holds its share of a new issuer key (oracle/issuer-setup.ts). */
  issuerKey: 'mpcid/issuer/key-confirmed/v1',
  /** An agent's relayed issuer signing round request, signed with its session key (agent/issuer.ts). */
  issuerRound: 'mpcid/issuer/round-request/v1',
} as const;

/** One of the statement domains: what signStatement and verifyStatement take. */
export type StatementDomain = (typeof STATEMENT_DOMAINS)[keyof typeof STATEMENT_DOMAINS];

/** Labels of hashes, KDFs, transcripts and AEAD contexts (never signed on their own). */
export const HASH_DOMAINS = {
  // Ratchet (crypto/ratchet.ts)
  /** The bytes of a ratchet step, as its session key signs them (stepBytes). */
  ratchetStep: 'mpcid/ratchet/step/v1',
  /** The chain head after a step: H(prev head, step digest) (headAfter). */
  ratchetHead: 'mpcid/ratchet/head/v1',
  /** An identity's genesis head, over its identity id and public keys (genesisHead). */
  ratchetGenesis: 'mpcid/ratchet/genesis/v1',
  /** The digest of a step's payload, by step kind (payloadDigest). */
  ratchetPayload: 'mpcid/ratchet/payload/v1',
  /** The digest of fork evidence (two conflicting steps) (evidenceDigest). */
  ratchetEvidence: 'mpcid/ratchet/evidence/v1',
  /** The digest of ES256 abort evidence (a claim over a session) (evidenceDigest). */
  ratchetAbortEvidence: 'mpcid/ratchet/ecdsa-abort-evidence/v2',

  // FROST DKG (crypto/frost.ts, crypto/seal.ts)
  /** The digest of a DKG round-1 set, which every participant confirms (round1Digest). */
  dkgRound1Set: 'mpcid/dkg/round1-set/v1',
  /** HKDF info of the X25519 box key that seals one round-2 share (sealShare/openShare). */
  dkgRound2Seal: 'mpcid/dkg/round2-seal/v1',

  // Threshold ECDSA (crypto/ecdsa/*, crypto/seal.ts, common/ecdsa-wire.ts)
  /** HKDF info of an ES256 pair's channel key (crypto/seal.ts channelKey). */
  ecdsaChannel: 'mpcid/ecdsa/channel/v1',
  /** Additional data of an ES256 envelope: purpose, session, round, sender, recipient (crypto/seal.ts). */
  ecdsaEnvelope: 'mpcid/ecdsa/envelope/v1',
  /** The context an ES256 setup binds its messages and channel keys to (common/ecdsa-wire.ts). */
  ecdsaSetupContext: 'mpcid/ecdsa/setup-context/v1',
  /** The binding of the agent's own message to the messages it relays (common/ecdsa-wire.ts relayBinding). */
  ecdsaRelayBinding: 'mpcid/ecdsa/relay-binding/v1',
  /** The tag of one DKLs23 pair setup: curve, session id, the two party ids (crypto/ecdsa/setup.ts). */
  dklsPairSetup: 'mpcid/dkls23/pair-setup/v1',
  /** A pair's zero-sharing seed from its P-256 DH secret (setup wire version 1, no longer made). */
  dklsZeroSeed: 'mpcid/dkls23/zero-seed/v1',
  /** A pair's zero-sharing seed from its DH secret in the base-OT group, Ed25519 (crypto/ecdsa/setup.ts). */
  dklsZeroSeedEd25519: 'mpcid/dkls23/zero-seed/ed25519/v1',
  /** The session tag of one signing session (crypto/ecdsa/sign.ts). */
  dklsSignSession: 'mpcid/dkls23/sign/session/v1',
  /** The session tag of a presigning session, which omits the message (crypto/ecdsa/sign.ts). */
  dklsSignPresign: 'mpcid/dkls23/sign/presign/v1',
  /** The tag of one pair's VOLE inside a signing session (crypto/ecdsa/sign.ts). */
  dklsSignVole: 'mpcid/dkls23/sign/vole/v1',
  /** A signer's commitment to its nonce R_i (crypto/ecdsa/sign.ts). */
  dklsSignCommit: 'mpcid/dkls23/sign/commit/v1',
  /** A signer's zero share derived from a pair seed (crypto/ecdsa/sign.ts). */
  dklsSignZeroShare: 'mpcid/dkls23/sign/zero-share/v1',
  /** The nonce of SoftSpokenOT's PRG (crypto/ecdsa/softspoken.ts). */
  dklsSoftspokenPrg: 'mpcid/dkls23/softspoken/prg/v3',
  /** SoftSpokenOT's consistency-check challenge (crypto/ecdsa/softspoken.ts). */
  dklsSoftspokenCheck: 'mpcid/dkls23/softspoken/check/v1',
  /** The random oracle of VSOT over P-256 (setup wire version 1, no longer run). */
  dklsVsot: 'mpcid/dkls23/vsot/v1',
  /** The Fiat-Shamir challenge of VSOT's proof over P-256 (setup wire version 1, no longer run). */
  dklsVsotDlog: 'mpcid/dkls23/vsot/dlog/v1',
  /** The random oracle of the verified simplest OT (VSOT) base OTs over Ed25519 (crypto/ecdsa/baseot.ts). */
  dklsVsotEd25519: 'mpcid/dkls23/vsot/ed25519/v1',
  /** The Fiat-Shamir challenge of VSOT's discrete-log proof over Ed25519 (crypto/ecdsa/baseot.ts). */
  dklsVsotDlogEd25519: 'mpcid/dkls23/vsot/dlog/ed25519/v1',
  /** The VOLE's gadget vector (crypto/ecdsa/vole.ts). */
  dklsGadget: 'mpcid/dkls23/gadget/v1',
  /** The VOLE's random-OT key derivation (crypto/ecdsa/vole.ts). */
  dklsVoleRot: 'mpcid/dkls23/vole/rot/v2',
  /** The VOLE's challenge scalars (crypto/ecdsa/vole.ts). */
  dklsVoleChallenge: 'mpcid/dkls23/vole/challenge/v1',
  /** The VOLE's r value (crypto/ecdsa/vole.ts). */
  dklsVoleR: 'mpcid/dkls23/vole/r/v1',
  /** The digest of Bob's VOLE message (crypto/ecdsa/vole.ts). */
  dklsVoleBobMsg: 'mpcid/dkls23/vole/bob-msg/v1',

  // Secrets at rest (crypto/atrest.ts, oracle/store.ts)
  /** HKDF info of a subkey of the key-encryption key, by purpose (crypto/atrest.ts subkey). */
  kek: 'mpcid/kek/v1',
  /** The sealing context of one oracle's store: cluster id and node id (oracle/store.ts). */
  oracleStore: 'mpcid/oracle/store/v1',
  /** Additional data of an identity's sealed secrets in the store (oracle/store.ts). */
  oracleStoreIdentitySecrets: 'mpcid/oracle/store/identity-secrets',
  /** Additional data of an issuer key's sealed secrets in the store (oracle/store.ts). */
  oracleStoreIssuerSecrets: 'mpcid/oracle/store/issuer-secrets',

  // Federation issuer (oracle/issuer-setup.ts)
  /** The context an issuer key setup binds its messages and channel keys to (issuerSetupContext). */
  issuerSetupContext: 'mpcid/issuer/setup-context/v1',

  // Sealed blobs (crypto/blobkey.ts, crypto/blob.ts)
  /** RFC 9380 hash_to_curve DST of a blob's point H(cluster, identity, blob id) (blobPoint). */
  blobPoint: 'mpcid/blob/point/v1',
  /** The Fiat-Shamir challenge of a partial's DLEQ (Chaum-Pedersen) proof (crypto/blobkey.ts). */
  blobDleq: 'mpcid/blob/dleq/v1',
  /** The hedged nonce of a partial's DLEQ proof (crypto/blobkey.ts). */
  blobDleqNonce: 'mpcid/blob/dleq-nonce/v1',
  /** HKDF info of a blob's AEAD key from K = x·H(blob) (crypto/blob.ts). */
  blobKey: 'mpcid/blob/key/v1',
  /** Additional data of a blob's AEAD: cluster, identity, blob id, policy (crypto/blob.ts). */
  blobAead: 'mpcid/blob/aead/v1',

  // Measurement registers (crypto/registers.ts)
  /** The extend of a register: new = SHA-256(this || old || digest) (extendRegister). */
  registerExtend: 'mpcid/register/extend/v1',

  // Revocation (oracle/revocation.ts)
  /** The alert id of a revocation by accusations, over their evidence digests. */
  revocationAccusations: 'mpcid/revocation/accusations/v1',
} as const;

export type HashDomain = (typeof HASH_DOMAINS)[keyof typeof HASH_DOMAINS];
