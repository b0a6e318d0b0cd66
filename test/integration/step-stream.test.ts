/**
 * Signer.Steps against real oracle processes (docs/protocol.md §5.1): an agent's steps travel on
 * the stream, an oracle without Steps (older) is stepped with unary calls and co-signs all the
 * same, an oracle whose stream never answers costs each step its deadline and is failed over,
 * and a bad step gets the same stable code on the stream as in a unary call. The "older" and
 * "silent" oracles are relays in front of a real oracle (unary calls forwarded as they are);
 * every signature is verified with node:crypto. The two ends' own rules are in
 * test/agent/step-stream.test.ts.
 *
 * Slow suite (tag `slow`): a few seconds on two cores.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cosigner } from '../../agent/cosigner.js';
import { closeOracles, connectOracles, type OracleClient } from '../../agent/oracles.js';
import { readRatchet } from '../../agent/ratchet.js';
import { type AgentState, readState } from '../../agent/state.js';
import type { ClusterConfig } from '../../common/config.js';
import { bind, call, errorCodeOf, SERVER_OPTIONS, serviceErrorOfStep, services } from '../../common/grpc.js';
import { createLogger } from '../../common/log.js';
import type { StepCall__Output } from '../../proto/gen/mpcid/oracle/v1/StepCall.js';
import type { StepResult__Output } from '../../proto/gen/mpcid/oracle/v1/StepResult.js';
import { nodeVerify } from '../crypto/helpers.js';
import {
  EDDSA_ONLY,
  startCluster,
  type TestCluster,
  testClientTls,
  testOracleServerCredentials,
} from '../helpers/cluster.js';
import { connectHostile, HostileRatchet } from '../helpers/hostile.js';

const DEADLINE_MS = 10_000;

/** A relay for one real oracle: unary Signer calls forwarded; Steps per `steps`. */
async function relay(real: OracleClient, steps: 'absent' | 'forward' | 'silent') {
  const seen = { unarySteps: 0, streamSteps: 0 };
  const forward =
    (method: 'GetNonces' | 'Step' | 'GetCapabilities') =>
    (c: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      if (method === 'Step') seen.unarySteps++;
      const m = real.signer[method] as unknown as Parameters<typeof call>[1];
      call(real.signer, m, c.request, DEADLINE_MS).then(
        (res) => cb(null, res),
        (err: grpc.ServiceError) => cb(err),
      );
    };
  const handlers: grpc.UntypedServiceImplementation = {
    GetNonces: forward('GetNonces'),
    Step: forward('Step'),
    GetCapabilities: forward('GetCapabilities'),
  };
  if (steps !== 'absent') {
    handlers['Steps'] = ((s: grpc.ServerDuplexStream<StepCall__Output, StepResult__Output>) => {
      s.on('data', (m: StepCall__Output) => {
        seen.streamSteps++;
        if (steps === 'silent') return;
        call(real.signer, real.signer.Step, m.request!, DEADLINE_MS).then(
          (response) => s.write({ callId: m.callId, response }),
          (err: grpc.ServiceError) =>
            s.write({
              callId: m.callId,
              error: { code: err.code, status: err.metadata.get('grpc-status-details-bin')[0] as Buffer },
            }),
        );
      });
      s.on('end', () => s.end());
      s.on('error', () => undefined);
    }) as grpc.UntypedHandleCall;
  }
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(services().oracle.mpcid.oracle.v1.Signer.service, handlers);
  // Over mTLS the relay serves as an oracle would (a cluster certificate with role oracle).
  const port = await bind(server, '127.0.0.1:0', testOracleServerCredentials(`relay-${real.nodeId}`));
  return { server, seen, address: `127.0.0.1:${port}` };
}

describe('Signer.Steps on real oracles', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let state: AgentState;
  let stateDir: string;
  let real: OracleClient[];

  beforeAll(async () => {
    cluster = await startCluster(3, 2, EDDSA_ONLY);
    const e = await cluster.enroll('spiffe://test.mpcid/step-stream');
    stateDir = e.stateDir;
    state = readState(stateDir);
    real = connectOracles(state.cluster, testClientTls());
  });

  afterAll(async () => {
    closeOracles(real ?? []);
    await cluster?.stop();
  });

  /**
   * Signs with oracle 1 at `address` (a relay) while `more(i)` holds, verifying each signature;
   * `oracle3Down` points oracle 3 at a closed port, so every signing set holds oracle 1.
   */
  async function signThrough(
    address: string,
    more: (i: number) => boolean,
    { oracle3Down = true, deadlineMs = DEADLINE_MS } = {},
  ): Promise<void> {
    const dead = await grpcClosedPort();
    const cfg: ClusterConfig = {
      ...state.cluster,
      oracles: state.cluster.oracles.map((o) =>
        o.id === 1 ? { ...o, address } : o.id === 3 && oracle3Down ? { ...o, address: dead } : o,
      ),
    };
    const clients = connectOracles(cfg, testClientTls());
    const cosigner = new Cosigner(
      state,
      stateDir,
      readRatchet(stateDir, state),
      clients,
      createLogger('step-stream', 'silent'),
      { heartbeatMs: 0, deadlineMs },
    );
    try {
      for (let i = 0; more(i); i++) {
        const msg = randomBytes(32);
        const sig = await cosigner.sign(msg);
        expect(nodeVerify(sig, msg, state.group.groupPublicKey)).toBe(true);
      }
    } finally {
      await cosigner.stop();
      closeOracles(clients);
    }
  }

  /** Runs `fn` with a relay of kind `steps` in front of oracle 1, closed afterwards. */
  async function withRelay(
    steps: 'absent' | 'forward' | 'silent',
    fn: (r: Awaited<ReturnType<typeof relay>>) => Promise<void>,
  ): Promise<void> {
    const r = await relay(real[0]!, steps);
    try {
      await fn(r);
    } finally {
      // Forced: a graceful close would wait for the agent's open (or silent) streams.
      r.server.forceShutdown();
    }
  }

  it("an agent's steps travel on the stream once the channel is up", () =>
    withRelay('forward', async (r) => {
      await signThrough(r.address, (i) => i < 6);
      // The first step may go unary while the channel connects; every later one streams.
      expect(r.seen.streamSteps).toBeGreaterThanOrEqual(5);
      expect(r.seen.unarySteps).toBeLessThanOrEqual(1);
    }));

  it('an oracle without Steps gets unary Step calls and co-signs', () =>
    withRelay('absent', async (r) => {
      await signThrough(r.address, (i) => i < 4);
      expect(r.seen.unarySteps).toBeGreaterThanOrEqual(4);
    }));

  it('an oracle whose stream never answers costs a step its deadline, and the agent fails over', () =>
    withRelay('silent', async (r) => {
      // Oracle 3 is reachable here: the agent signs with 2 and 3 once 1 has failed; until the
      // agent has picked oracle 1 on a connected channel (its signing sets are sticky).
      await signThrough(r.address, (i) => i < 300 && r.seen.streamSteps === 0, {
        oracle3Down: false,
        deadlineMs: 1_500,
      });
      expect(r.seen.streamSteps).toBeGreaterThanOrEqual(1);
    }));

  it('a bad step gets the same stable code on the stream as in a unary Step call', async () => {
    const [c1] = connectHostile(state.cluster);
    const hr = HostileRatchet.load(stateDir, state);
    try {
      // Signed by another key: refused before anything is stored.
      const forged = hr.heartbeat({ signature: new Uint8Array(randomBytes(64)) });
      const unaryCode = await call(c1!.signer, c1!.signer.Step, forged.request, DEADLINE_MS, true).then(
        () => 'OK',
        (e: unknown) => errorCodeOf(e),
      );
      expect(unaryCode).not.toBe('OK');
      const s = c1!.signer.Steps();
      s.on('error', () => undefined);
      const result = await new Promise<StepResult__Output>((resolve) => {
        s.once('data', resolve);
        s.write({ callId: 1, request: forged.request });
      });
      s.end();
      expect(Number(result.callId)).toBe(1);
      expect(errorCodeOf(serviceErrorOfStep(result.error))).toBe(unaryCode);
    } finally {
      closeOracles([c1!]);
    }
  });
});

/** host:port of a loopback port nothing listens on. */
async function grpcClosedPort(): Promise<string> {
  const s = new grpc.Server();
  const port = await bind(s, '127.0.0.1:0');
  s.forceShutdown();
  return `127.0.0.1:${port}`;
}
