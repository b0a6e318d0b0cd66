/**
 * Per-call cost of FROST(Ed25519, SHA-512) signing (RFC 9591 §5) on both backends of
 * crypto/frost.ts, in one process and one run: noble (@noble/curves, the reference) and sodium
 * (libsodium via sodium-native). The access structure is the 3-oracle cluster with t = 2 (signing
 * sets of 4 points: the agent's 2 and 2 oracles'). Blocks of each backend alternate so that drift
 * on the shared machine hits both alike; figures are CPU ms per call (user + system) and the
 * noble/sodium ratio.
 *
 *   npm run build && node dist/scripts/frost-bench.js [rounds] [calls-per-block]
 */
import { createPublicKey, verify } from 'node:crypto';
import { ed25519, ed25519_FROST } from '@noble/curves/ed25519.js';
import { accessStructure, agentParticipants, oracleParticipants } from '../crypto/access.js';
import { toB64u } from '../crypto/bytes.js';
import { cryptoBackend } from '../crypto/ed25519-native.js';
import {
  aggregate,
  commit,
  type FrostBackend,
  type GroupPublic,
  type KeyShare,
  NOBLE_FROST,
  type NonceCommitment,
  type SigningNonces,
  SODIUM_FROST,
  signShare,
  verifyShare,
} from '../crypto/frost.js';
import { Secret } from '../crypto/secret.js';

const rounds = Number(process.argv[2] ?? 4);
const perBlock = Number(process.argv[3] ?? 10);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// A trusted-dealer group for n = 3, t = 2 (threshold 4, 5 points), built with noble.
const as = accessStructure(3, 2);
const Fn = ed25519.Point.Fn;
const coeffs = Array.from({ length: as.threshold }, () => Fn.fromBytes(ed25519_FROST.utils.randomScalar()));
const poly = (x: bigint) => coeffs.reduceRight((acc, a) => Fn.add(Fn.mul(acc, x), a), 0n);
const shares: KeyShare[] = Array.from({ length: as.total }, (_, i) => ({
  participant: i + 1,
  signingShare: new Secret(Fn.toBytes(poly(BigInt(i + 1)))),
}));
const commitments = coeffs.map((a) => ed25519.Point.BASE.multiply(a).toBytes());
const group: GroupPublic = {
  as,
  groupPublicKey: commitments[0]!,
  commitments,
  verifyingShares: shares.map((s) =>
    ed25519.Point.BASE.multiply(Fn.fromBytes(s.signingShare.expose())).toBytes(),
  ),
};
const signers = [...oracleParticipants(as).slice(0, as.t), ...agentParticipants(as)];
const message = new TextEncoder().encode('mpcid frost bench: a 32-byte-ish signing payload.');

function session(be: FrostBackend): { list: NonceCommitment[]; nonces: Map<number, SigningNonces> } {
  const list: NonceCommitment[] = [];
  const nonces = new Map<number, SigningNonces>();
  for (const p of signers) {
    const c = commit(shares[p - 1]!, be);
    list.push(c.commitment);
    nonces.set(p, c.nonces);
  }
  return { list, nonces };
}

type Op = 'commit' | 'signShare' | 'aggregate' | 'verifyShare' | 'aggregate (bad share, blame)';
const OPS: Op[] = ['commit', 'signShare', 'aggregate', 'verifyShare', 'aggregate (bad share, blame)'];
const totals = new Map<string, { ms: number; calls: number }>();
const add = (be: string, op: Op, ms: number, calls: number) => {
  const k = `${be}/${op}`;
  const t = totals.get(k) ?? { ms: 0, calls: 0 };
  totals.set(k, { ms: t.ms + ms, calls: t.calls + calls });
};

function block(be: FrostBackend, calls: number) {
  for (let i = 0; i < calls; i++) {
    let t0 = cpuMs();
    const { list, nonces } = session(be);
    add(be.name, 'commit', cpuMs() - t0, signers.length);
    const z = new Map<number, Uint8Array>();
    t0 = cpuMs();
    for (const p of signers) z.set(p, signShare(group, shares[p - 1]!, nonces.get(p)!, list, message, be));
    add(be.name, 'signShare', cpuMs() - t0, signers.length);
    t0 = cpuMs();
    const sig = aggregate(group, list, message, z, be);
    add(be.name, 'aggregate', cpuMs() - t0, 1);
    t0 = cpuMs();
    if (!verifyShare(group, list, message, signers[0]!, z.get(signers[0]!)!, be)) throw new Error('share');
    add(be.name, 'verifyShare', cpuMs() - t0, 1);
    const bad = new Map(z).set(signers[signers.length - 1]!, z.get(signers[0]!)!);
    t0 = cpuMs();
    try {
      aggregate(group, list, message, bad, be);
      throw new Error('bad share accepted');
    } catch (e) {
      if (!(e instanceof Error) || !/participant/.test(e.message)) throw e;
    }
    add(be.name, 'aggregate (bad share, blame)', cpuMs() - t0, 1);
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: toB64u(group.groupPublicKey) },
      format: 'jwk',
    });
    if (!verify(null, message, key, sig)) throw new Error('node:crypto rejects the signature');
  }
}

block(SODIUM_FROST, 2); // warm-up, not counted
block(NOBLE_FROST, 1);
totals.clear();
for (let r = 0; r < rounds; r++) {
  process.stderr.write(`round ${r + 1}/${rounds}\n`);
  block(NOBLE_FROST, perBlock);
  block(SODIUM_FROST, perBlock * 5);
}

const rows = OPS.map((op) => {
  const n = totals.get(`noble/${op}`)!;
  const s = totals.get(`sodium/${op}`)!;
  const nobleMs = n.ms / n.calls;
  const sodiumMs = s.ms / s.calls;
  return {
    op,
    nobleMs: +nobleMs.toFixed(3),
    sodiumMs: +sodiumMs.toFixed(3),
    ratio: +(nobleMs / sodiumMs).toFixed(1),
  };
});
console.log(
  `FROST(Ed25519, SHA-512), n=3 t=2 (sets of ${signers.length}); active backend: ${cryptoBackend().name}`,
);
console.log('op                              noble ms   sodium ms   noble/sodium');
for (const r of rows) {
  console.log(
    `${r.op.padEnd(32)}${r.nobleMs.toFixed(3).padStart(8)}${r.sodiumMs.toFixed(3).padStart(12)}${`${r.ratio}x`.padStart(15)}`,
  );
}
console.log(JSON.stringify({ rounds, perBlock, rows }));
