/** Test harness: the same local cluster of real processes that `mpcid dev up` runs. */
export {
  AgentProc,
  CLI,
  LocalCluster as TestCluster,
  mpcid,
  OracleProc,
  waitUntil,
} from '../../cli/localcluster.js';

import { LocalCluster } from '../../cli/localcluster.js';

/** Starts a test cluster of n oracles with quorum t in a fresh temp dir. */
export function startCluster(n: number, t: number): Promise<LocalCluster> {
  return LocalCluster.start({ n, t, clusterId: 'test' });
}
