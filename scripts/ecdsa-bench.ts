/**
 * CPU timings of threshold ECDSA (crypto/ecdsa): pair setup per side, and signing per party per
 * signature (rounds 1-3, plus combineSignature for the combiner), in process.
 *
 *   npm run build && node dist/scripts/ecdsa-bench.js [curve] [parties] [signatures]
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  combineSignature,
  type EcdsaCurve,
  EcdsaSigner,
  PairSetup,
  type PairState,
  SETUP_ROUNDS,
} from '../crypto/ecdsa/index.js';
import { Secret } from '../crypto/secret.js';

/** CPU time of this process (user + system), ms: robust against other load on the machine. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const curve = (process.argv[2] ?? 'P-256') as EcdsaCurve;
const n = Number(process.argv[3] ?? 3);
const sigs = Number(process.argv[4] ?? 30);
const noble = curve === 'P-256' ? p256 : secp256k1;
const Fn = noble.Point.Fn;

const ids = Array.from({ length: n }, (_, i) => i);
const setupMs: number[] = [];
const pairs = new Map<number, Map<number, PairState>>(ids.map((i) => [i, new Map()]));
const sid = randomBytes(32);
for (const a of ids) {
  for (const b of ids) {
    if (b <= a) continue;
    const A = new PairSetup({ curve, self: a, peer: b, sessionId: sid });
    const B = new PairSetup({ curve, self: b, peer: a, sessionId: sid });
    let ma: Uint8Array | undefined;
    let mb: Uint8Array | undefined;
    let ta = 0;
    let tb = 0;
    for (let r = 1; r <= SETUP_ROUNDS; r++) {
      let t0 = cpuMs();
      const na = A.next(mb);
      ta += cpuMs() - t0;
      t0 = cpuMs();
      const nb = B.next(ma);
      tb += cpuMs() - t0;
      ma = na;
      mb = nb;
    }
    let t0 = cpuMs();
    pairs.get(a)!.set(b, A.finish(mb!));
    ta += cpuMs() - t0;
    t0 = cpuMs();
    pairs.get(b)!.set(a, B.finish(ma!));
    tb += cpuMs() - t0;
    setupMs.push(ta, tb);
  }
}

const shares = ids.map(() => Fn.create(BigInt('0x' + randomBytes(40).toString('hex'))));
const sk = shares.reduce((x, y) => Fn.add(x, y), 0n);
const pk = noble.Point.BASE.multiply(sk).toBytes(false);
const pub = new Map(ids.map((i) => [i, noble.Point.BASE.multiply(shares[i]!).toBytes(true)]));
const perParty = ids.map(() => [] as number[]);
const combineMs: number[] = [];
const bytesPerRound = [0, 0, 0];
for (let k = 0; k < sigs; k++) {
  const msg = randomBytes(64);
  const e = new Uint8Array(createHash('sha256').update(msg).digest());
  const sessionId = randomBytes(32);
  const t = ids.map(() => 0);
  const timed = <T>(i: number, f: () => T): T => {
    const t0 = cpuMs();
    const out = f();
    t[i]! += cpuMs() - t0;
    return out;
  };
  const signers = ids.map((i) =>
    timed(
      i,
      () =>
        new EcdsaSigner({
          curve,
          self: i,
          parties: ids,
          sessionId,
          messageHash: e,
          additiveShare: new Secret(Fn.toBytes(shares[i]!)),
          publicShares: pub,
          publicKey: pk,
          pairs: pairs.get(i)!,
        }),
    ),
  );
  const route = (outs: Map<number, Uint8Array>[], round: number) =>
    ids.map((j) => {
      const m = new Map<number, Uint8Array>();
      ids.forEach((i) => {
        if (i !== j) {
          const b = outs[i]!.get(j)!;
          if (k === 0 && j === 1 && i === 0) bytesPerRound[round] = b.length;
          m.set(i, b);
        }
      });
      return m;
    });
  const r1 = signers.map((s, i) => timed(i, () => s.round1()));
  const in2 = route(r1, 0);
  const r2 = signers.map((s, i) => timed(i, () => s.round2(in2[i]!)));
  const in3 = route(r2, 1);
  const r3 = signers.map((s, i) => timed(i, () => s.round3(in3[i]!)));
  bytesPerRound[2] = r3[0]!.length;
  const t0 = cpuMs();
  const { signature } = combineSignature({
    curve,
    messageHash: e,
    publicKey: pk,
    shares: new Map(ids.map((i) => [i, r3[i]!])),
  });
  combineMs.push(cpuMs() - t0);
  if (curve === 'P-256') {
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(pk.subarray(1, 33)).toString('base64url'),
        y: Buffer.from(pk.subarray(33)).toString('base64url'),
      },
      format: 'jwk',
    });
    if (!verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, signature))
      throw new Error('bad signature');
  }
  if (k > 2) for (const i of ids) perParty[i]!.push(t[i]!);
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `mean ${mean.toFixed(1)} ms, median ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
};
console.log(`${curve}, ${n} parties, ${sigs} signatures (first 3 discarded as warm-up)`);
console.log(`pair setup per side (CPU): ${stats(setupMs)} (first pair includes warm-up)`);
for (const i of ids) console.log(`party ${i} rounds 1-3 (CPU): ${stats(perParty[i]!)}`);
console.log(`combineSignature (CPU): ${stats(combineMs.slice(3))}`);
console.log(
  `message bytes to one peer: round1 ${bytesPerRound[0]}, round2 ${bytesPerRound[1]}, share ${bytesPerRound[2]}`,
);
