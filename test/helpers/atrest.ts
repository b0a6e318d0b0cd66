/**
 * Keys-at-rest helpers for integration tests: read a STOPPED oracle's identity records with its
 * real KEK (what only the oracle itself can do), and every raw file of its LevelDB data dir.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadKek } from '../../common/kek.js';
import type { IdentityRecord } from '../../oracle/records.js';
import { OracleStore } from '../../oracle/store.js';
import type { OracleProc } from './cluster.js';
import type { Haystack } from './leaks.js';

/** Opens a stopped oracle's store with its KEK (as the oracle does) and runs `f`. */
export async function withOracleStore<T>(o: OracleProc, f: (s: OracleStore) => Promise<T>): Promise<T> {
  if (o.running) throw new Error(`oracle ${o.id} is running; stop it before opening its LevelDB`);
  const me = o.config.cluster.oracles.find((x) => x.id === o.id)!;
  const store = await OracleStore.open(
    o.config.dataDir,
    { clusterId: o.config.cluster.id, nodeId: o.id, nodePublicKey: me.publicKey },
    loadKek(o.config, {}),
  );
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

/** Every identity record of a stopped oracle, secrets opened with its KEK. */
export function oracleIdentities(o: OracleProc): Promise<IdentityRecord[]> {
  return withOracleStore(o, async (s) => {
    const out: IdentityRecord[] = [];
    for (const p of await s.listIdentities('', 1000)) out.push((await s.getIdentity(p.identityId))!);
    return out;
  });
}

/** Every file of a data dir (LevelDB tables, write-ahead log, manifest, info log) as latin1 text. */
export function rawDataFiles(dir: string): Haystack[] {
  return readdirSync(dir)
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => ({ source: join(dir, f), text: readFileSync(join(dir, f)).toString('latin1') }));
}
