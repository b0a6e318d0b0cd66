/**
 * The agent's state dir: one file, state.json, mode 0600 in a 0700 dir, written atomically
 * (temp file, fsync, rename, fsync dir) and sealed with a SHA-256 checksum so a truncated or
 * corrupted file is detected and reported (STATE_CORRUPT), never half-used.
 *
 * The optional `es256` section holds the identity's ES256 key material once ES256 setup has
 * finished (docs/protocol.md §4): the P-256 group's public material, the agent's w P-256 shares,
 * and per oracle the channel key and the DKLs23 OT pair state. Secrets print redacted
 * (Secret, PairState) and are only ever written here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type ClusterConfig, ClusterSchema } from '../common/config.js';
import { MpcidError } from '../common/errors.js';
import { writeFileDurable } from '../common/fsutil.js';
import { type RequiredClaims, RequiredClaimsSchema } from '../common/jwt.js';
import { accessStructure } from '../crypto/access.js';
import { fromB64u, toB64u, utf8Bytes } from '../crypto/bytes.js';
import { PairState } from '../crypto/ecdsa/index.js';
import { ed25519PublicKey } from '../crypto/ed25519.js';
import { AGENT_PARTY } from '../crypto/es256.js';
import { checkGroupPublic, checkKeyShare, type GroupPublic, type KeyShare, P256 } from '../crypto/frost.js';
import { sha256 } from '../crypto/hash.js';
import { jwkThumbprint } from '../crypto/jwk.js';
import { p256Thumbprint } from '../crypto/p256.js';
import { Secret } from '../crypto/secret.js';
import type { Es256Key } from './ecdsa-setup.js';
import { RATCHET_FILE } from './ratchet.js';

export const STATE_FILE = 'state.json';

/** The signature algorithms an identity can be enrolled for; EdDSA always (it is the identity). */
export const ALGS = ['EdDSA', 'ES256'] as const;
export type Alg = (typeof ALGS)[number];
const STATE_VERSION = 1;

const b64u = z.string().regex(/^[A-Za-z0-9_-]*$/);
const ShareSchema = z.strictObject({ participant: z.number().int(), signingShare: b64u });
const Es256Schema = z.strictObject({
  curve: z.literal('P-256'),
  publicKey: b64u,
  kid: z.string(),
  commitments: z.array(b64u),
  verifyingShares: z.array(b64u),
  shares: z.array(ShareSchema),
  pairs: z.array(z.strictObject({ party: z.number().int(), channelKey: b64u, state: b64u })),
});
const FileSchema = z.strictObject({
  version: z.literal(STATE_VERSION),
  cluster: ClusterSchema,
  identity: z.strictObject({
    name: z.string(),
    identityId: z.string(),
    alg: z.literal('EdDSA'),
    publicKey: b64u,
    commitments: z.array(b64u),
    verifyingShares: z.array(b64u),
    enrolledAt: z.number().int(),
    /** Claims the join token bound to the identity (`token create --require`); every token carries them. */
    requiredClaims: RequiredClaimsSchema.optional(),
  }),
  shares: z.array(ShareSchema),
  sessionKey: b64u,
  es256: Es256Schema.optional(),
  /** Absent: both algorithms (files written before the choice existed, and the default). */
  algs: z.array(z.enum(ALGS)).optional(),
  checksum: b64u,
});
type StateFile = z.infer<typeof FileSchema>;

/** The agent's durable state, decoded and checked. */
export interface AgentState {
  readonly cluster: ClusterConfig;
  readonly name: string;
  readonly identityId: string;
  readonly group: GroupPublic;
  readonly shares: readonly KeyShare[];
  readonly sessionKey: Secret;
  readonly sessionPublicKey: Uint8Array;
  readonly enrolledAt: number;
  /** Claims bound at enrollment: the agent puts them in every token it makes. */
  readonly requiredClaims?: RequiredClaims | undefined;
  /** What the identity was enrolled for (`agent enroll --algs`); ES256 setup runs only if listed. */
  readonly algs: readonly Alg[];
  /** The ES256 key, once ES256 setup has finished. */
  readonly es256?: Es256Key;
}

/** NO_ES256_KEY for an ES256 request of identity `s`, saying why it has no key. */
export function noEs256Key(s: Pick<AgentState, 'algs'>): MpcidError {
  return new MpcidError(
    'NO_ES256_KEY',
    s.algs.includes('ES256')
      ? 'this identity has no ES256 key (its ES256 setup has not finished)'
      : 'this identity was enrolled without ES256 (agent enroll --algs EdDSA)',
  );
}

function checksum(body: Omit<StateFile, 'checksum'>): string {
  return toB64u(sha256(utf8Bytes(JSON.stringify(body))));
}

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

export function hasState(dir: string): boolean {
  return existsSync(statePath(dir));
}

export function writeState(dir: string, s: AgentState): void {
  const body: Omit<StateFile, 'checksum'> = {
    version: STATE_VERSION,
    cluster: s.cluster,
    identity: {
      name: s.name,
      identityId: s.identityId,
      alg: 'EdDSA',
      publicKey: toB64u(s.group.groupPublicKey),
      commitments: s.group.commitments.map(toB64u),
      verifyingShares: s.group.verifyingShares.map(toB64u),
      enrolledAt: s.enrolledAt,
      ...(s.requiredClaims ? { requiredClaims: s.requiredClaims } : {}),
    },
    shares: s.shares.map((k) => ({
      participant: k.participant,
      signingShare: toB64u(k.signingShare.expose()),
    })),
    sessionKey: toB64u(s.sessionKey.expose()),
    ...(s.es256 ? { es256: es256ToFile(s.es256) } : {}),
    ...(s.algs.includes('ES256') ? {} : { algs: [...s.algs] }),
  };
  writeFileDurable(
    statePath(dir),
    `${JSON.stringify({ ...body, checksum: checksum(body) }, null, 2)}\n`,
    0o600,
  );
}

/** Reads and fully checks the state; any inconsistency is STATE_CORRUPT naming what failed. */
export function readState(dir: string): AgentState {
  const file = statePath(dir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // No state.json beside a ratchet.json is a damaged state dir, not one that never enrolled:
    // the ratchet names an identity whose key shares are gone.
    if (code === 'ENOENT' && existsSync(join(dir, RATCHET_FILE)))
      throw new MpcidError(
        'STATE_CORRUPT',
        `${file} is missing but ${RATCHET_FILE} is there; refusing to start`,
      );
    if (code === 'ENOENT')
      throw new MpcidError('NOT_READY', `no agent state in ${dir}; run mpcid agent enroll first`);
    throw new MpcidError('STATE_CORRUPT', `cannot read ${file}: ${code ?? 'error'}`);
  }
  const corrupt = (why: string) => new MpcidError('STATE_CORRUPT', `${file}: ${why}; refusing to use it`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt('not valid JSON (truncated?)');
  }
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) throw corrupt('unexpected structure');
  const { checksum: sum, ...body } = parsed.data;
  if (checksum(body) !== sum) throw corrupt('checksum mismatch');
  try {
    const as = accessStructure(body.cluster.n, body.cluster.t);
    const group = checkGroupPublic(
      as,
      body.identity.commitments.map((c) => fromB64u(c, 'commitment')),
      body.identity.verifyingShares.map((v) => fromB64u(v, 'verifyingShare')),
    );
    if (jwkThumbprint(group.groupPublicKey) !== body.identity.identityId) throw new Error('identity id');
    const shares = body.shares.map((k) => ({
      participant: k.participant,
      signingShare: new Secret(fromB64u(k.signingShare, 'share', 32), 'signing-share'),
    }));
    const expected = Array.from({ length: as.w }, (_, i) => as.n + 1 + i);
    if (shares.length !== as.w || !shares.every((k, i) => k.participant === expected[i]))
      throw new Error('participants');
    for (const k of shares) checkKeyShare(group, k);
    const sessionKey = new Secret(fromB64u(body.sessionKey, 'sessionKey', 32), 'session-key');
    const algs = body.algs ?? [...ALGS];
    if (!algs.includes('EdDSA') || (body.es256 && !algs.includes('ES256'))) throw new Error('algs');
    return {
      cluster: body.cluster,
      name: body.identity.name,
      identityId: body.identity.identityId,
      group,
      shares,
      sessionKey,
      sessionPublicKey: ed25519PublicKey(sessionKey.expose()),
      enrolledAt: body.identity.enrolledAt,
      ...(body.identity.requiredClaims ? { requiredClaims: body.identity.requiredClaims } : {}),
      algs,
      ...(body.es256 ? { es256: es256FromFile(body.es256, as, body.cluster) } : {}),
    };
  } catch {
    throw corrupt('key material is inconsistent');
  }
}

function es256ToFile(k: Es256Key): z.infer<typeof Es256Schema> {
  return {
    curve: 'P-256',
    publicKey: toB64u(k.publicKey),
    kid: k.kid,
    commitments: k.group.commitments.map(toB64u),
    verifyingShares: k.group.verifyingShares.map(toB64u),
    shares: k.shares.map((s) => ({
      participant: s.participant,
      signingShare: toB64u(s.signingShare.expose()),
    })),
    pairs: [...k.pairs].map(([party, ps]) => ({
      party,
      channelKey: toB64u(k.channels.get(party)!.expose()),
      state: toB64u(ps.toBytes().expose()),
    })),
  };
}

/** Decodes and checks the ES256 section (throws on any inconsistency). */
function es256FromFile(
  f: z.infer<typeof Es256Schema>,
  as: ReturnType<typeof accessStructure>,
  cluster: ClusterConfig,
): Es256Key {
  const group = checkGroupPublic(
    as,
    f.commitments.map((c) => fromB64u(c, 'commitment')),
    f.verifyingShares.map((v) => fromB64u(v, 'verifyingShare')),
    P256,
  );
  const publicKey = fromB64u(f.publicKey, 'publicKey');
  if (!Buffer.from(publicKey).equals(group.groupPublicKey)) throw new Error('es256 public key');
  if (p256Thumbprint(publicKey) !== f.kid) throw new Error('es256 kid');
  const shares = f.shares.map((k) => ({
    participant: k.participant,
    signingShare: new Secret(fromB64u(k.signingShare, 'share', 32), 'es256-share'),
  }));
  const expected = Array.from({ length: as.w }, (_, i) => as.n + 1 + i);
  if (shares.length !== as.w || !shares.every((k, i) => k.participant === expected[i]))
    throw new Error('es256 participants');
  for (const k of shares) checkKeyShare(group, k, P256);
  const oracles = cluster.oracles.map((o) => o.id).sort((a, b) => a - b);
  const parties = f.pairs.map((p) => p.party).sort((a, b) => a - b);
  if (parties.join() !== oracles.join()) throw new Error('es256 pairs');
  const pairs = new Map<number, PairState>();
  const channels = new Map<number, Secret>();
  for (const p of f.pairs) {
    const ps = PairState.fromBytes(fromB64u(p.state, 'pair'));
    if (ps.curve !== 'P-256' || ps.self !== AGENT_PARTY || ps.peer !== p.party) throw new Error('es256 pair');
    pairs.set(p.party, ps);
    channels.set(p.party, new Secret(fromB64u(p.channelKey, 'channelKey', 32), 'channel-key'));
  }
  return { group, publicKey, kid: f.kid, shares, pairs, channels };
}
