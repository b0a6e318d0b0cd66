/**
 * The cap on enrollments in progress (`limits.maxPendingEnrollments`, oracle/enrollment.ts) counts
 * only enrollments begun and not finished. A finished enrollment stays on each oracle until its
 * timeout to answer retries, but it must not hold a place: `npm run trials` found every enrollment
 * past the 64th in one timeout window refused RATE_LIMITED, however quickly each had finished.
 * Enrollments that never finish still fill the cap and a further one is refused.
 *
 * Slow suite (tag `slow`): real processes, about 15 s.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOracles, type OracleClient } from '../../agent/oracles.js';
import { readState } from '../../agent/state.js';
import { EDDSA_ONLY, startCluster, type TestCluster } from '../helpers/cluster.js';
import { begin, beginParts, beginRequest, connectHostile, expectRejected } from '../helpers/hostile.js';

const CAP = 2;

describe('enrollments in progress are capped; finished ones do not count', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let clients: OracleClient[] | undefined;

  beforeAll(async () => {
    cluster = await startCluster(3, 2, {
      ...EDDSA_ONLY,
      oracleConfig: () => ({ limits: { maxPendingEnrollments: CAP } }),
    });
  });

  afterAll(async () => {
    if (clients) closeOracles(clients);
    await cluster?.stop();
  });

  it(`enrolls ${CAP + 2} identities one after another inside one timeout window`, async () => {
    const dirs: string[] = [];
    for (let i = 0; i < CAP + 2; i++)
      dirs.push((await cluster.enroll(`spiffe://test.mpcid/cap/${i}`)).stateDir);
    const ids = new Set(dirs.map((d) => readState(d).identityId));
    expect(ids.size).toBe(CAP + 2);
    clients = connectHostile(readState(dirs[0]!).cluster);
  });

  it(`${CAP} enrollments begun and never finished fill the cap: the next is RATE_LIMITED`, async () => {
    const oracle = clients![0]!;
    for (let i = 0; i < CAP; i++) {
      const token = await cluster.createToken(`spiffe://test.mpcid/cap/open-${i}`);
      const res = await begin(oracle, beginRequest(beginParts(token)));
      expect(res.round1).toBeTruthy();
    }
    const token = await cluster.createToken('spiffe://test.mpcid/cap/one-too-many');
    await expectRejected(
      begin(oracle, beginRequest(beginParts(token))),
      grpc.status.RESOURCE_EXHAUSTED,
      'RATE_LIMITED',
    );
  });
});
