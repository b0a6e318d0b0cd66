/**
 * Config validation refuses clusters whose ES256 messages cannot fit the transport limit: an
 * ES256 signing round to one oracle carries t sealed round-2 messages (~54 KB each), and gRPC
 * refuses messages over MAX_MESSAGE_BYTES, so t > ES256_MAX_T would fail every ES256 signature.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initCluster } from '../../common/cluster.js';
import { ClusterSchema, parseOracleConfig } from '../../common/config.js';
import { ES256_MAX_T, es256LargestMessageBytes } from '../../common/ecdsa-wire.js';
import { MAX_MESSAGE_BYTES } from '../../common/grpc.js';
import { ROUND2_LEN } from '../../crypto/ecdsa/index.js';

function cluster(n: number, t: number) {
  return {
    id: 'big',
    n,
    t,
    oracles: Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      address: `127.0.0.1:${7000 + i}`,
      publicKey: 'A'.repeat(43),
    })),
  };
}

describe('ES256 and the transport limit', () => {
  it('the limit is t = 18 on P-256, with t round-2 messages in one EcdsaRound', () => {
    expect(ES256_MAX_T).toBe(18);
    expect(es256LargestMessageBytes(18)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(es256LargestMessageBytes(19)).toBeGreaterThan(MAX_MESSAGE_BYTES);
    expect(es256LargestMessageBytes(19)).toBeGreaterThan(19 * (ROUND2_LEN + 16));
  });

  it('ClusterSchema accepts t = 18 and refuses t = 19 (n = 31) naming t and the limit', () => {
    expect(ClusterSchema.safeParse(cluster(31, 18)).success).toBe(true);
    expect(ClusterSchema.safeParse(cluster(3, 2)).success).toBe(true);
    const r = ClusterSchema.safeParse(cluster(31, 19));
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(issue.path).toEqual(['t']);
    expect(issue.message).toContain('t = 19 is too large for ES256');
    expect(issue.message).toContain('t <= 18');
  });

  it('an oracle config with such a cluster is CONFIG_INVALID', () => {
    const raw = {
      nodeId: 1,
      listen: '127.0.0.1:7000',
      adminListen: '127.0.0.1:7100',
      nodeKeyFile: 'node.key',
      dataDir: 'data',
      cluster: cluster(31, 20),
      tls: { insecure: true },
    };
    expect(() => parseOracleConfig(raw, '/tmp')).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('too large for ES256'),
      }),
    );
  });

  it('mpcid init refuses it before writing anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mpcid-es256-t-'));
    try {
      expect(() =>
        initCluster({
          dir,
          n: 31,
          t: 19,
          hosts: Array.from({ length: 31 }, () => '127.0.0.1'),
          ports: Array.from({ length: 31 }, (_, i) => 7000 + i),
          adminPorts: Array.from({ length: 31 }, (_, i) => 7100 + i),
          tls: 'insecure',
        }),
      ).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('ES256') }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
