/**
 * The oracle's gRPC health service in process (regressions found by the fuzz suite): an
 * undecodable request gets INVALID_ARGUMENT / MALFORMED_INPUT instead of a bare INTERNAL, and a
 * Watch on a name nobody registered leaves nothing behind once cancelled (grpc-health-check kept
 * one watcher set per name ever watched: unbounded memory for unauthenticated clients).
 */
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodeOf } from '../../common/grpc.js';
import { checkHealth, healthClient, ServerHealth } from '../../oracle/health.js';
import { rawClient, rawStream, rawUnary } from '../helpers/fuzz.js';

describe('ServerHealth', () => {
  const server = new grpc.Server();
  let health: ServerHealth;
  let address: string;

  beforeAll(async () => {
    const def = {
      Ping: {
        path: '/test.v1.Pinger/Ping',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    } as grpc.ServiceDefinition;
    health = new ServerHealth(server, [def], pino({ level: 'silent' }));
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? rej(e) : res(p),
      ),
    );
    address = `127.0.0.1:${port}`;
    health.set('SERVING');
  });

  afterAll(() => {
    server.forceShutdown();
  });

  it('Check: SERVING for "" and registered names, NOT_FOUND for others', async () => {
    const c = healthClient(address);
    expect(await checkHealth(c, '', 2000)).toBe('SERVING');
    expect(await checkHealth(c, 'test.v1.Pinger', 2000)).toBe('SERVING');
    await expect(checkHealth(c, 'nope', 2000)).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    c.close();
  });

  it('an undecodable request: INVALID_ARGUMENT / MALFORMED_INPUT on Check, Watch and List', async () => {
    const c = rawClient(address, grpc.credentials.createInsecure());
    // An unknown field 5, length-delimited, 53 bytes running past the end (what the fuzzer sent).
    const garbage = Uint8Array.from([0x2a, 0x35]);
    for (const o of [
      await rawUnary(c, '/grpc.health.v1.Health/Check', garbage, 2000),
      await rawUnary(c, '/grpc.health.v1.Health/List', garbage, 2000),
      await rawStream(c, '/grpc.health.v1.Health/Watch', garbage, 2000),
    ]) {
      expect(o.ok).toBe(false);
      if (o.ok) continue;
      expect(o.err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(errorCodeOf(o.err)).toBe('MALFORMED_INPUT');
    }
    c.close();
  });

  it('Watches on 300 random names, cancelled, leave nothing tracked; a registered one sees changes', async () => {
    const c = rawClient(address, grpc.credentials.createInsecure());
    for (let i = 0; i < 300; i++) {
      const name = Buffer.from(`random-${i}-${Math.random()}`);
      const req = Buffer.concat([Buffer.from([0x0a, name.length]), name]);
      const o = await rawStream(c, '/grpc.health.v1.Health/Watch', req, 2000);
      expect(o.ok).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(health.watchedNames).toBe(0);
    // A watch on a registered name gets the current status, then each change.
    const stream = c.makeServerStreamRequest(
      '/grpc.health.v1.Health/Watch',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
    );
    const seen: number[] = [];
    stream.on('data', (d: Buffer) => seen.push(d[1] ?? 0));
    stream.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(health.watchedNames).toBe(1);
    health.set('NOT_SERVING');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([1, 2]); // SERVING, then NOT_SERVING
    stream.cancel();
    await new Promise((r) => setTimeout(r, 100));
    expect(health.watchedNames).toBe(0);
    c.close();
  });
});
