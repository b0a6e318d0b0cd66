/**
 * Measurement registers (docs/protocol.md §6.4): the extend rule against pinned vectors and an
 * independent node:crypto computation; register requirements and quote claims
 * (common/registers.ts); and register proofs (common/measure-wire.ts), which an oracle adopts
 * only when the session key signed the measure step and t oracles committed to it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { measurePayloadDigest, type RegisterProof, verifyRegisterProof } from '../../common/measure-wire.js';
import {
  checkRegistersClaim,
  checkRequiredRegisters,
  parseRequiredRegisters,
} from '../../common/registers.js';
import { parseSealPolicy, sealPolicyFromBytes } from '../../common/unseal-wire.js';
import { toHex, utf8Bytes } from '../../crypto/bytes.js';
import { headAfter, signCommit, signStep } from '../../crypto/ratchet.js';
import { extendRegister, extendRegisters, initialRegisters, REGISTER_COUNT } from '../../crypto/registers.js';
import { expectMpcidError } from '../crypto/helpers.js';
import { fakeIdentityId, keyPair, makeStep } from '../helpers/ratchet.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const nodeExtend = (old: Uint8Array, digest: Uint8Array) =>
  new Uint8Array(
    createHash('sha256')
      .update(Buffer.concat([Buffer.from('mpcid/register/extend/v1', 'utf8'), old, digest]))
      .digest(),
  );

describe('the extend rule', () => {
  it('matches the pinned vectors', () => {
    // Register 0 extended with SHA-256("abc"), then with SHA-256("").
    const d1 = hex('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const d2 = hex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const v1 = extendRegister(new Uint8Array(32), d1);
    expect(toHex(v1)).toBe('96b4b8f9412c8312ed265b815b49fdc9a29dfc655895301ed89d93a32655513f');
    expect(toHex(extendRegister(v1, d2))).toBe(
      '556f730efd2df66f664216b8629cbe3e9ddb4b13078e83d2fe1c6e81f478203a',
    );
  });

  it('equals SHA-256(domain || old || digest) computed by node:crypto, and is order-sensitive', () => {
    for (let i = 0; i < 32; i++) {
      const old = new Uint8Array(randomBytes(32));
      const d = new Uint8Array(randomBytes(32));
      expect(toHex(extendRegister(old, d))).toBe(toHex(nodeExtend(old, d)));
    }
    const [a, b] = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
    const z = new Uint8Array(32);
    expect(toHex(extendRegister(extendRegister(z, a), b))).not.toBe(
      toHex(extendRegister(extendRegister(z, b), a)),
    );
  });

  it('extends exactly one register of 16, all zero at first, without changing its input', () => {
    const start = initialRegisters();
    expect(start).toHaveLength(REGISTER_COUNT);
    expect(start.every((v) => v.length === 32 && v.every((x) => x === 0))).toBe(true);
    const d = new Uint8Array(randomBytes(32));
    const after = extendRegisters(start, 5, d);
    expect(toHex(after[5]!)).toBe(toHex(nodeExtend(new Uint8Array(32), d)));
    for (let i = 0; i < REGISTER_COUNT; i++)
      if (i !== 5) expect(toHex(after[i]!)).toBe(toHex(new Uint8Array(32)));
    expect(start[5]!.every((x) => x === 0)).toBe(true);
  });

  it('refuses registers out of range and digests of the wrong length', () => {
    const start = initialRegisters();
    expectMpcidError(() => extendRegisters(start, 16, new Uint8Array(32)), 'MALFORMED_INPUT');
    expectMpcidError(() => extendRegisters(start, -1, new Uint8Array(32)), 'MALFORMED_INPUT');
    expectMpcidError(() => extendRegister(new Uint8Array(32), new Uint8Array(31)), 'BAD_LENGTH');
    expectMpcidError(() => extendRegisters(start.slice(1), 0, new Uint8Array(32)), 'MALFORMED_INPUT');
  });
});

describe('register requirements, policies and quote claims', () => {
  const v = 'ab'.repeat(32);

  it('parses {"N": hex} with stable codes for a bad index or length', () => {
    expect(parseRequiredRegisters({ '3': v.toUpperCase() }, 'f')).toEqual({ '3': v });
    expectMpcidError(() => parseRequiredRegisters({ '16': v }, 'f'), 'REGISTER_OUT_OF_RANGE');
    expectMpcidError(() => parseRequiredRegisters({ '03': v }, 'f'), 'REGISTER_OUT_OF_RANGE');
    expectMpcidError(() => parseRequiredRegisters({ '1': 'abcd' }, 'f'), 'BAD_DIGEST_LENGTH');
    expectMpcidError(() => parseRequiredRegisters({}, 'f'), 'MALFORMED_INPUT');
    expectMpcidError(() => parseRequiredRegisters([v], 'f'), 'MALFORMED_INPUT');
  });

  it('checks held values (REGISTER_MISMATCH) and a quote claim against them', () => {
    const held = initialRegisters();
    held[3] = hex(v);
    checkRequiredRegisters(held, { '3': v }, 'x');
    expectMpcidError(() => checkRequiredRegisters(held, { '4': v }, 'x'), 'REGISTER_MISMATCH');
    checkRegistersClaim(held.map(toHex), held);
    checkRegistersClaim(undefined, undefined);
    checkRegistersClaim(initialRegisters().map(toHex), undefined);
    expectMpcidError(() => checkRegistersClaim(undefined, held), 'REGISTER_MISMATCH');
    expectMpcidError(() => checkRegistersClaim(initialRegisters().map(toHex), held), 'REGISTER_MISMATCH');
  });

  it('seal policies: canonical bytes, only `registers`, and oracles refuse non-canonical bytes', () => {
    const p = parseSealPolicy(JSON.stringify({ registers: { '3': v.toUpperCase() } }));
    expect(Buffer.from(p.bytes).toString()).toBe(JSON.stringify({ registers: { '3': v } }));
    expect(sealPolicyFromBytes(p.bytes).registers).toEqual({ '3': v });
    expect(Buffer.from(parseSealPolicy('').bytes).toString()).toBe('{}');
    expectMpcidError(() => parseSealPolicy('{"pcr":1}'), 'MALFORMED_INPUT');
    expectMpcidError(
      () => sealPolicyFromBytes(utf8Bytes(`{ "registers": {"3": "${v}"} }`)),
      'MALFORMED_INPUT',
    );
  });
});

describe('register proofs', () => {
  const identityId = fakeIdentityId();
  const session = keyPair();
  const nodes = [keyPair('node-1'), keyPair('node-2'), keyPair('node-3')];
  const nodeKeys = new Map(nodes.map((k, i) => [i + 1, k.publicKey]));
  const measure = {
    register: 2,
    digest: new Uint8Array(32).fill(9),
    previous: 0,
    values: [] as Uint8Array[],
  };
  measure.values = extendRegisters(initialRegisters(), 2, measure.digest);
  const ctx = { clusterId: 'c', identityId, sessionPublicKey: session.publicKey, nodeKeys, t: 2 };

  function proof(
    over: { kind?: 'measure' | 'heartbeat'; signers?: number[]; values?: Uint8Array[] } = {},
  ): RegisterProof {
    const m = { ...measure, values: over.values ?? measure.values };
    const step = makeStep(identityId, {
      counter: 4,
      kind: over.kind ?? 'measure',
      payloadDigest: measurePayloadDigest('c', measure),
    });
    const signed = signStep(session.key, step);
    const head = headAfter(step);
    const certificate = (over.signers ?? [1, 2]).map((n) =>
      signCommit(nodes[n - 1]!.key, n, identityId, 4, head),
    );
    return { signed, certificate, measure: m };
  }

  it('adopts the values of a certified measure step', () => {
    const st = verifyRegisterProof(proof(), ctx);
    expect(st.counter).toBe(4);
    expect(st.values.map(toHex)).toEqual(measure.values.map(toHex));
  });

  it('refuses one with too few commits, other values, or another kind (REGISTERS_OUT_OF_SYNC)', () => {
    expectMpcidError(() => verifyRegisterProof(proof({ signers: [1] }), ctx), 'REGISTERS_OUT_OF_SYNC');
    expectMpcidError(() => verifyRegisterProof(proof({ signers: [1, 1] }), ctx), 'REGISTERS_OUT_OF_SYNC');
    expectMpcidError(
      () => verifyRegisterProof(proof({ values: initialRegisters() }), ctx),
      'REGISTERS_OUT_OF_SYNC',
    );
    expectMpcidError(() => verifyRegisterProof(proof({ kind: 'heartbeat' }), ctx), 'REGISTERS_OUT_OF_SYNC');
    expectMpcidError(
      () => verifyRegisterProof(proof(), { ...ctx, sessionPublicKey: keyPair().publicKey }),
      'REGISTERS_OUT_OF_SYNC',
    );
  });
});
