/**
 * A hostile agent for the token-policy tests: it holds a real enrolled identity (state dir made
 * by `mpcid agent enroll`, no agent process) and speaks the real Step RPC to every oracle, with
 * real nonces, a real session-signed ratchet step and a real certificate chain, so a test can put
 * any payload it likes into a `jwt` or `sign` step and see exactly what each oracle answers.
 *
 * It follows the agent's rules (agent/ratchet.ts): one step at a time, each certified by t
 * commits before the next; so a refused payload must still leave it with a certified step.
 */

import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { closeOracles, connectOracles, type OracleClient } from '../../agent/oracles.js';
import { certified, prepareStep, type RatchetState, readRatchet } from '../../agent/ratchet.js';
import { type AgentState, readState } from '../../agent/state.js';
import { clusterNodeKeys } from '../../common/config.js';
import { call } from '../../common/grpc.js';
import type { JwtClaims } from '../../common/jwt.js';
import {
  commitFromWire,
  commitmentFromWire,
  commitToWire,
  nonceRequestFields,
  signPayloadDigest,
  stepToWire,
} from '../../common/protocol.js';
import { equalBytes } from '../../crypto/bytes.js';
import { STATEMENT_DOMAINS } from '../../crypto/domains.js';
import { aggregate, checkCommitmentList, commit, signShare } from '../../crypto/frost.js';
import { type Commit, headAfter, verifyCertificate } from '../../crypto/ratchet.js';
import { signStatement } from '../../crypto/statement.js';
import { testDoubleTls } from './cluster.js';

const DEADLINE_MS = 10_000;

/** What one oracle answered to a step. */
export interface OracleAnswer {
  nodeId: number;
  /** Whether the oracle is in the step's signing set. */
  signer: boolean;
  commit: Commit;
  share: Uint8Array;
  /** The deprecated string form, "CODE: message". */
  refusal: string;
  /** The typed refusal (null when the oracle co-signs). */
  policyRefusal: { code: string; message: string } | null;
}

export interface StepResult {
  counter: number;
  message: Uint8Array;
  answers: OracleAnswer[];
  /** The aggregated signature, when every signer sent a share (verified by aggregate()). */
  signature?: Uint8Array;
}

/** The header and claims of a token that policy allows, for the step with `counter`. */
export function validToken(
  agent: { name: string; kid: string; issuer: string },
  counter: number,
  over: { header?: Record<string, unknown>; claims?: JwtClaims } = {},
): { header: Record<string, unknown>; claims: JwtClaims } {
  const iat = Math.floor(Date.now() / 1000);
  return {
    header: { alg: 'EdDSA', typ: 'JWT', kid: agent.kid, ...over.header },
    claims: {
      iss: agent.issuer,
      sub: agent.name,
      aud: 'https://rp.example',
      iat,
      exp: iat + 300,
      jti: randomBytes(16).toString('base64url'),
      ctr: counter,
      ...over.claims,
    },
  };
}

const seg = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** ASCII(BASE64URL(JSON(header)) '.' BASE64URL(JSON(claims))); `undefined` values drop the member. */
export function encodeInput(t: { header: Record<string, unknown>; claims: JwtClaims }): Uint8Array {
  return new Uint8Array(Buffer.from(`${seg(t.header)}.${seg(t.claims)}`, 'ascii'));
}

export class HostileAgent {
  readonly state: AgentState;
  readonly clients: OracleClient[];
  readonly issuer: string;
  #rs: RatchetState;
  readonly #nodeKeys: Map<number, Uint8Array>;

  constructor(stateDir: string) {
    this.state = readState(stateDir);
    this.#rs = readRatchet(stateDir, this.state);
    // Over mTLS it dials as an agent would: a certificate of the test CA with role agent.
    this.clients = connectOracles(this.state.cluster, testDoubleTls('agent', this.state.name));
    this.issuer = this.state.cluster.issuer ?? `urn:mpcid:cluster:${this.state.cluster.id}`;
    this.#nodeKeys = clusterNodeKeys(this.state.cluster);
  }

  get name(): string {
    return this.state.name;
  }
  get kid(): string {
    return this.state.identityId;
  }
  /** The certified ratchet counter. */
  get counter(): number {
    return this.#rs.counter;
  }

  async #nonce(c: OracleClient) {
    const rid = new Uint8Array(randomBytes(16));
    const sig = signStatement(
      this.state.sessionKey,
      STATEMENT_DOMAINS.nonceRequest,
      ...nonceRequestFields(this.state.identityId, 1, rid, this.#rs.counter, c.nodeId),
    );
    const res = await call(
      c.signer,
      c.signer.GetNonces,
      {
        identityId: this.state.identityId,
        count: 1,
        requestId: Buffer.from(rid),
        sessionSignature: Buffer.from(sig),
        counter: this.#rs.counter,
        nodeId: c.nodeId,
      },
      DEADLINE_MS,
      true,
    );
    return commitmentFromWire(res.commitments[0]!);
  }

  /**
   * One ratchet step of `kind` carrying `build(counter)`: the signing set is oracles
   * `signers` (default 1..t) plus the agent; the step goes to every oracle. Each commit is
   * checked against the oracle's node key; t of them certify the step (else this throws).
   */
  async step(
    kind: 'sign' | 'jwt',
    build: (counter: number) => Uint8Array,
    signers: readonly number[] = this.clients.slice(0, this.state.cluster.t).map((c) => c.nodeId),
  ): Promise<StepResult> {
    const group = this.state.group;
    const chosen = this.clients.filter((c) => signers.includes(c.nodeId));
    const oracleCommitments = await Promise.all(chosen.map((c) => this.#nonce(c)));
    const mine = this.state.shares.map((s) => commit(s));
    const list = checkCommitmentList(group.as, [...oracleCommitments, ...mine.map((m) => m.commitment)]);
    const counter = this.#rs.counter + 1;
    const message = build(counter);
    const next = prepareStep(
      this.#rs,
      this.state.identityId,
      this.state.sessionKey,
      kind,
      signPayloadDigest(kind, message, list),
      { message, list },
    );
    const signed = next.pending!.signed;
    const req = {
      step: stepToWire(signed),
      certificate: this.#rs.certificate.map(commitToWire),
      sign: {
        message: Buffer.from(message),
        commitments: list.map((c) => ({
          participant: c.participant,
          hiding: Buffer.from(c.hiding),
          binding: Buffer.from(c.binding),
        })),
      },
    };
    const head = headAfter(signed.step);
    const responses = await Promise.all(
      this.clients.map((c) => call(c.signer, c.signer.Step, req, DEADLINE_MS, true)),
    );
    const answers = responses.map((r, i): OracleAnswer => {
      const nodeId = this.clients[i]!.nodeId;
      expect(r.commit, `oracle ${nodeId} sent no commit`).toBeTruthy();
      const cm = commitFromWire(r.commit!);
      expect({ nodeId: cm.nodeId, counter: cm.counter, head: equalBytes(cm.head, head) }).toEqual({
        nodeId,
        counter,
        head: true,
      });
      verifyCertificate(new Map([[nodeId, this.#nodeKeys.get(nodeId)!]]), 1, this.kid, counter, head, [cm]);
      return {
        nodeId,
        signer: signers.includes(nodeId),
        commit: cm,
        share: new Uint8Array(r.signatureShare),
        refusal: r.refusal,
        policyRefusal: r.policyRefusal,
      };
    });
    // The step is certified (t valid commits for it), refused payload or not.
    const commits = answers.map((a) => a.commit);
    verifyCertificate(this.#nodeKeys, this.state.cluster.t, this.kid, counter, head, commits);
    this.#rs = certified(next, commits);

    const result: StepResult = { counter, message, answers };
    const shares = new Map<number, Uint8Array>();
    for (const a of answers) if (a.signer && a.share.length > 0) shares.set(a.nodeId, a.share);
    if (shares.size === chosen.length) {
      this.state.shares.forEach((s, i) => {
        shares.set(s.participant, signShare(group, s, mine[i]!.nonces, list, message));
      });
      result.signature = aggregate(group, list, message, shares);
    } else {
      for (const m of mine) {
        m.nonces.hiding.wipe();
        m.nonces.binding.wipe();
      }
    }
    return result;
  }

  close(): void {
    closeOracles(this.clients);
  }
}
