/**
 * The oracle's accept rule (oracle/ratchet.ts): every row of decide()'s table, the property that
 * an honest history is never judged a fork while a second history always is, and
 * RatchetService.accept over an in-memory store (persist-then-reply, replay of the stored reply
 * without a new signature, fast-forward only on a real certificate, forks handed to revocation).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { MpcidError } from '../../common/errors.js';
import { toB64u } from '../../crypto/bytes.js';
import {
  type Commit,
  conflict,
  type Evidence,
  EXPOSING_TIME,
  genesisHead,
  headAfter,
  type SignedStep,
  signCommit,
  signStep,
} from '../../crypto/ratchet.js';
import type { LoadedIdentity, OracleContext } from '../../oracle/context.js';
import { OracleMetrics } from '../../oracle/metrics.js';
import { decide, RatchetService, type RatchetView } from '../../oracle/ratchet.js';
import type { RatchetRecord } from '../../oracle/records.js';
import type { RevocationService } from '../../oracle/revocation.js';
import { fakeIdentityId, genesisFor, honestChain, keyPair, makeStep, randInt } from '../helpers/ratchet.js';

const ID = fakeIdentityId();
const session = keyPair();
const G = genesisFor(ID, session);
const yes = () => true;
const no = () => false;

/** The oracle's view after it accepted steps[0..c-1] of a chain (L = steps[c-1]). */
function viewAt(chain: { steps: SignedStep[]; heads: Uint8Array[] }, c: number): RatchetView {
  return { counter: c, head: chain.heads[c]!, last: c > 0 ? chain.steps[c - 1]!.step : undefined };
}

describe('decide(): the rule table', () => {
  const chain = honestChain(ID, session, 8, { prevHead: G, time0: 100_000 });
  const s = chain.steps.map((x) => x.step);
  const c = 5; // stored: counter 5, head h_5, L = step 5
  const v = viewAt(chain, c);
  const L = s[c - 1]!;

  it('same bytes as L: a retry, replayed', () => {
    expect(decide(v, L, no)).toEqual({ kind: 'replay' });
    expect(decide(v, { ...L }, no)).toEqual({ kind: 'replay' });
  });

  it('counter = c+1 extending h_c: the next step', () => {
    expect(decide(v, s[c]!, no)).toEqual({ kind: 'next' });
  });

  it('counter = c+1 not extending h_c (L known): a fork (broken chain)', () => {
    const step = makeStep(ID, { counter: c + 1, prevHead: chain.heads[c - 1]!, time: L.time + 10 });
    expect(decide(v, step, no)).toEqual({ kind: 'fork' });
    expect(conflict(L, step)).toBe('broken-chain');
  });

  it('counter > c+1 with a valid certificate: this oracle lagged, fast-forward', () => {
    const certified = vi.fn(yes);
    expect(decide(v, s[7]!, certified)).toEqual({ kind: 'fast-forward' });
    expect(certified).toHaveBeenCalledTimes(1);
  });

  it('counter > c+1 without one: NEED_CERTIFICATE', () => {
    expect(decide(v, s[6]!, no)).toEqual({ kind: 'need-certificate' });
    expect(decide(v, s[7]!, no)).toEqual({ kind: 'need-certificate' });
  });

  it('the certificate is consulted only for steps ahead of c+1', () => {
    const certified = vi.fn(yes);
    for (const step of [L, s[c]!, s[0]!, s[c - 2]!]) decide(v, step, certified);
    expect(certified).not.toHaveBeenCalled();
  });

  it('counter = c with other bytes than L: a fork (equivocation), whatever its time', () => {
    for (const time of [L.time + 1, L.time, L.time - 1, s[7]!.time + 1000]) {
      const step = makeStep(ID, { counter: c, prevHead: L.prevHead, time, kind: 'sign' });
      expect(decide(v, step, yes)).toEqual({ kind: 'fork' });
      expect(conflict(L, step)).toBe('equivocation');
    }
  });

  it('counter < c signed after L: a fork (a second history behind the first)', () => {
    const step = makeStep(ID, { counter: 2, prevHead: chain.heads[1]!, time: L.time + 1 });
    expect(decide(v, step, yes)).toEqual({ kind: 'fork' });
    expect(conflict(L, step)).toBe('time-reversal');
    const prev = makeStep(ID, { counter: c - 1, prevHead: chain.heads[c - 2]!, time: L.time + 1 });
    expect(decide(v, prev, yes)).toEqual({ kind: 'fork' });
    expect(conflict(L, prev)).toBe('broken-chain');
  });

  it('counter < c and time <= L.time: STALE (an old step replayed, or a clock set back), no fork', () => {
    // Stale replays of old honest steps.
    for (let i = 0; i < c - 1; i++) expect(decide(v, s[i]!, yes), `step ${i + 1}`).toEqual({ kind: 'stale' });
    // A step with a clock set back, two or more behind L: other bytes, time not after L. Nothing
    // the oracle holds contradicts it, so it is refused without evidence.
    for (const time of [L.time - 1, 0]) {
      const step = makeStep(ID, { counter: c - 2, prevHead: chain.heads[c - 3]!, time, kind: 'sign' });
      expect(decide(v, step, yes)).toEqual({ kind: 'stale' });
      expect(conflict(L, step)).toBeUndefined();
    }
    // The same time as L with other bytes is never honest (times strictly increase): a fork.
    const sameTime = makeStep(ID, {
      counter: c - 2,
      prevHead: chain.heads[c - 3]!,
      time: L.time,
      kind: 'sign',
    });
    expect(decide(v, sameTime, yes)).toEqual({ kind: 'fork' });
    expect(conflict(L, sameTime)).toBe('equivocation');
  });

  it('counter = c+1 extending h_c but not after L in time: a fork (time reversal), never next', () => {
    for (const time of [L.time, L.time - 1, 0]) {
      const step = makeStep(ID, { counter: c + 1, prevHead: chain.heads[c]!, time, kind: 'sign' });
      expect(decide(v, step, no)).toEqual({ kind: 'fork' });
      expect(conflict(L, step)).toBe(time === L.time ? 'equivocation' : 'time-reversal');
    }
  });

  it('a certified step ahead but not after L in time: a fork, not a fast-forward', () => {
    const step = makeStep(ID, {
      counter: c + 3,
      prevHead: new Uint8Array(randomBytes(32)),
      time: L.time - 1,
    });
    expect(decide(v, step, yes)).toEqual({ kind: 'fork' });
    expect(decide(v, step, no)).toEqual({ kind: 'need-certificate' });
  });

  it('an exposing step (EXPOSING_TIME) at any counter below c: a fork, whatever L.time is', () => {
    // The stale copy's step at its own counter k <= c, from its own head: every oracle past k
    // holds a step of another history there or later, and none is after the end of time.
    for (const far of [L.time, Number.MAX_SAFE_INTEGER - 1]) {
      const hist = honestChain(ID, session, 6, { prevHead: G, time0: far - 1000 });
      const view = viewAt(hist, 6);
      for (let k = 1; k <= 6; k++) {
        const x = makeStep(ID, { counter: k, prevHead: hist.heads[k - 1]!, time: EXPOSING_TIME });
        expect(decide(view, x, yes), `k=${k}`).toEqual({ kind: 'fork' });
        expect(conflict(view.last!, x), `k=${k}`).toBe(
          k === 6 ? 'equivocation' : k === 5 ? 'broken-chain' : 'time-reversal',
        );
      }
    }
  });

  it('an exposing step reaching a lagging oracle is taken, and the other history then forks there', () => {
    const lagging = viewAt(chain, 2);
    const x = makeStep(ID, { counter: 3, prevHead: chain.heads[2]!, time: EXPOSING_TIME });
    expect(decide(lagging, x, no)).toEqual({ kind: 'next' });
    const after: RatchetView = { counter: 3, head: headAfter(x), last: x };
    // The other history's later steps, even certified ones, all conflict with it.
    for (const step of [s[2]!, s[3]!, s[7]!]) expect(decide(after, step, yes)).toEqual({ kind: 'fork' });
  });

  it('counter = c-1 with a clock set back but not the step L extends: a fork (broken chain)', () => {
    for (const time of [L.time, L.time - 1, 0]) {
      const step = makeStep(ID, { counter: c - 1, prevHead: chain.heads[c - 2]!, time, kind: 'sign' });
      expect(decide(v, step, yes)).toEqual({ kind: 'fork' });
      expect(conflict(L, step)).toBe(time === L.time ? 'equivocation' : 'broken-chain');
    }
  });

  it('at genesis (no L): step 1 on h_0 is next; a wrong prevHead or counter <= 0 cannot be judged', () => {
    const g = viewAt(chain, 0);
    expect(decide(g, s[0]!, no)).toEqual({ kind: 'next' });
    const wrong = makeStep(ID, { counter: 1, prevHead: new Uint8Array(randomBytes(32)), time: 1 });
    expect(decide(g, wrong, no)).toEqual({ kind: 'stale' });
    expect(decide(g, s[3]!, no)).toEqual({ kind: 'need-certificate' });
    expect(decide(g, s[3]!, yes)).toEqual({ kind: 'fast-forward' });
  });

  it('after a fast-forward (L = the forwarded step) the table applies from there', () => {
    const ff = viewAt(chain, 8);
    expect(decide(ff, s[7]!, no)).toEqual({ kind: 'replay' });
    expect(decide(ff, s[6]!, no)).toEqual({ kind: 'stale' });
  });
});

describe('decide(): honest histories are never forks; second histories always are', () => {
  it('an honest chain, any oracle state, any step of it: never fork', () => {
    for (let trial = 0; trial < 30; trial++) {
      const len = randInt(2, 12);
      const chain = honestChain(ID, session, len, { prevHead: G, time0: randInt(0, 1e9) });
      for (let c = 0; c <= len; c++) {
        const v = viewAt(chain, c);
        for (let j = 1; j <= len; j++) {
          const step = chain.steps[j - 1]!.step;
          const d = decide(v, step, yes).kind;
          const expected = j === c ? 'replay' : j === c + 1 ? 'next' : j > c + 1 ? 'fast-forward' : 'stale';
          expect(d, `view ${c}, step ${j}`).toBe(expected);
        }
      }
    }
  });

  it('a second history branching at b, acting after the first: every step that reaches an oracle past b is a fork', () => {
    for (let trial = 0; trial < 30; trial++) {
      const len = randInt(3, 10);
      const first = honestChain(ID, session, len, { prevHead: G, time0: 1_000_000 });
      const b = randInt(0, len - 1);
      // The copy starts from the first history's state at b and steps later in time.
      const second = honestChain(ID, session, randInt(1, 6), {
        prevHead: first.heads[b]!,
        from: b,
        time0: first.steps[len - 1]!.step.time + randInt(1, 1000),
      });
      for (let c = b + 1; c <= len; c++) {
        const v = viewAt(first, c);
        for (const g of second.steps) {
          const step = g.step;
          const d = decide(v, step, no).kind;
          if (step.counter <= c + 1) {
            expect(d, `view ${c}, second-history step ${step.counter}`).toBe('fork');
            // The service revokes only with evidence: the pair must conflict.
            expect(conflict(v.last!, step)).toBeDefined();
          } else {
            // Ahead without a certificate (the copy cannot get one past an intersecting quorum).
            expect(d).toBe('need-certificate');
          }
        }
      }
      // An oracle still at b (it missed the first history's next step) accepts the copy's step.
      expect(decide(viewAt(first, b), second.steps[0]!.step, no).kind).toBe('next');
    }
  });
});

// ---- RatchetService.accept over an in-memory store ----

const NODE_ID = 2;
const nodes = [1, 2, 3].map((id) => ({ id, ...keyPair('node-key') }));

function harness() {
  const db = new Map<string, RatchetRecord>();
  const writes: RatchetRecord[] = [];
  const store = {
    getRatchet: async (id: string) => structuredClone(db.get(id)),
    putRatchet: async (r: RatchetRecord) => {
      writes.push(structuredClone(r));
      db.set(r.identityId, structuredClone(r));
    },
  };
  const log = { warn: vi.fn(), info: vi.fn(), error: vi.fn() };
  const ctx = {
    config: { cluster: { oracles: nodes.map((n) => ({ id: n.id, publicKey: toB64u(n.publicKey) })) } },
    nodeKey: nodes[NODE_ID - 1]!.key,
    nodeId: NODE_ID,
    store,
    log,
    metrics: new OracleMetrics(),
  } as unknown as OracleContext;
  const revoked: { evidence: Evidence; peers: string[] }[] = [];
  const revocations = {
    check: (id: string) => {
      if (revoked.some((r) => r.evidence.identityId === id))
        throw new MpcidError('IDENTITY_REVOKED', 'identity revoked');
    },
    revokeLocal: async (_id: LoadedIdentity, evidence: Evidence, peers: string[]) => {
      revoked.push({ evidence, peers });
      return { digest: 'd'.repeat(43) };
    },
  } as unknown as RevocationService;
  const groupPublicKey = new Uint8Array(32).fill(7);
  const identity = {
    record: { identityId: ID },
    group: { groupPublicKey, as: { t: 2 } },
    sessionPublicKey: session.publicKey,
  } as unknown as LoadedIdentity;
  return {
    svc: new RatchetService(ctx, revocations),
    identity,
    writes,
    revoked,
    log,
    db,
    genesis: genesisHead(ID, groupPublicKey, session.publicKey),
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: unknown) => (e instanceof MpcidError ? e.code : String(e)),
  );
}

describe('RatchetService.accept', () => {
  it('accepts the next step, persists it before replying, and replays the stored reply on retry', async () => {
    const h = harness();
    const chain = honestChain(ID, session, 3, { prevHead: h.genesis });
    const share = new Uint8Array(randomBytes(32));
    const sign = vi.fn(() => ({ share }));
    const out = await h.svc.accept(h.identity, chain.steps[0]!, [], 'peer-a', sign);
    expect(out.commit).toMatchObject({ nodeId: NODE_ID, identityId: ID, counter: 1 });
    expect(Buffer.from(out.commit.head).equals(Buffer.from(headAfter(chain.steps[0]!.step)))).toBe(true);
    expect(Buffer.from(out.signatureShare!).equals(Buffer.from(share))).toBe(true);
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]!.counter).toBe(1);
    expect(h.writes[0]!.last!.reply.signatureShare).toBe(toB64u(share));

    // The same bytes again (a lost reply): the stored reply, no new signature share, no write.
    const again = await h.svc.accept(h.identity, chain.steps[0]!, [], 'peer-a', sign);
    expect(sign).toHaveBeenCalledTimes(1);
    expect(h.writes).toHaveLength(1);
    expect(Buffer.from(again.commit.signature).equals(Buffer.from(out.commit.signature))).toBe(true);
    expect(Buffer.from(again.signatureShare!).equals(Buffer.from(share))).toBe(true);

    await h.svc.accept(h.identity, chain.steps[1]!, [], 'peer-a', () => ({}));
    expect(h.db.get(ID)!.counter).toBe(2);
    // The old step 1 seen again now is stale, not a fork.
    expect(await codeOf(h.svc.accept(h.identity, chain.steps[0]!, [], 'peer-x', sign))).toBe('STALE_STEP');
    expect(h.revoked).toHaveLength(0);
    expect(h.log.warn).toHaveBeenCalled();
  });

  it('fast-forwards only on t valid commits for (counter - 1, prevHead)', async () => {
    const h = harness();
    const chain = honestChain(ID, session, 6, { prevHead: h.genesis });
    const step5 = chain.steps[4]!;
    const cert = (ids: number[], counter = 4, head = chain.heads[4]!): Commit[] =>
      ids.map((id) => signCommit(nodes[id - 1]!.key, id, ID, counter, head));
    const sign = vi.fn(() => ({}));
    expect(await codeOf(h.svc.accept(h.identity, step5, [], 'p', sign))).toBe('NEED_CERTIFICATE');
    expect(await codeOf(h.svc.accept(h.identity, step5, cert([1]), 'p', sign))).toBe('NEED_CERTIFICATE');
    expect(await codeOf(h.svc.accept(h.identity, step5, cert([1, 1]), 'p', sign))).toBe('NEED_CERTIFICATE');
    expect(await codeOf(h.svc.accept(h.identity, step5, cert([1, 3], 5), 'p', sign))).toBe(
      'NEED_CERTIFICATE',
    );
    expect(await codeOf(h.svc.accept(h.identity, step5, cert([1, 3], 4, chain.heads[3]!), 'p', sign))).toBe(
      'NEED_CERTIFICATE',
    );
    expect(h.writes).toHaveLength(0);
    expect(sign).not.toHaveBeenCalled();
    const out = await h.svc.accept(h.identity, step5, cert([1, 3]), 'p', sign);
    expect(out.commit.counter).toBe(5);
    expect(h.db.get(ID)!.counter).toBe(5);
    expect(h.db.get(ID)!.head).toBe(toB64u(chain.heads[5]!));
    // And the chain continues from there.
    await h.svc.accept(h.identity, chain.steps[5]!, [], 'p', sign);
    expect(h.db.get(ID)!.counter).toBe(6);
  });

  it('a second history: FORK_DETECTED, revoked with (L, new) and both peers; nothing stored', async () => {
    const h = harness();
    const chain = honestChain(ID, session, 3, { prevHead: h.genesis, time0: 5_000 });
    for (const st of chain.steps) await h.svc.accept(h.identity, st, [], 'original', () => ({}));
    const writes = h.writes.length;
    const clone = signStep(session.key, makeStep(ID, { counter: 2, prevHead: chain.heads[1]!, time: 9_000 }));
    expect(await codeOf(h.svc.accept(h.identity, clone, [], 'copy', () => ({})))).toBe('FORK_DETECTED');
    expect(h.writes).toHaveLength(writes);
    expect(h.revoked).toHaveLength(1);
    const ev = h.revoked[0]!;
    expect(ev.peers).toEqual(['original', 'copy']);
    expect(ev.evidence.steps[0].step).toEqual(chain.steps[2]!.step);
    expect(ev.evidence.steps[1]).toBe(clone);
    // From now on every step is refused as revoked, even the honest next one.
    const next = honestChain(ID, session, 1, { prevHead: chain.heads[3]!, from: 3, time0: 10_000 });
    expect(await codeOf(h.svc.accept(h.identity, next.steps[0]!, [], 'original', () => ({})))).toBe(
      'IDENTITY_REVOKED',
    );
  });

  it('steps of one identity are handled one at a time: concurrent copies of one step store it once', async () => {
    const h = harness();
    const chain = honestChain(ID, session, 1, { prevHead: h.genesis });
    const sign = vi.fn(() => ({ share: new Uint8Array(32) }));
    const outs = await Promise.all(
      Array.from({ length: 5 }, () => h.svc.accept(h.identity, chain.steps[0]!, [], 'p', sign)),
    );
    expect(sign).toHaveBeenCalledTimes(1);
    expect(h.writes).toHaveLength(1);
    for (const o of outs) expect(o.commit.counter).toBe(1);
  });
});
