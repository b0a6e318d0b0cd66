/**
 * Gives each parallel vitest worker of the process suites its own listener port range
 * (MPCID_PORT_RANGE, read by common/cluster.ts freePorts), so two suites starting clusters at the
 * same moment can never pick the same port: a fresh-clone run with three workers lost an oracle
 * to EADDRINUSE when two suites drew the same random port from the shared range.
 */
const WIDTH = 2_000;
const SLOTS = 6; // 20000-32000
const slot = (Number(process.env['VITEST_POOL_ID'] ?? '1') - 1) % SLOTS;
process.env['MPCID_PORT_RANGE'] = `${20_000 + slot * WIDTH}-${20_000 + (slot + 1) * WIDTH}`;
