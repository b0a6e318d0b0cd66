import { defineConfig } from 'vitest/config';

/** Shared by both projects. */
const common = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Suites that run real processes for tens of seconds; skip them with --tags-filter='!slow'.
  tags: [{ name: 'slow', description: 'real-process suites that take tens of seconds' }],
};

export default defineConfig({
  test: {
    // Runs once for the whole run (builds dist/ for the suites that start the real binary).
    globalSetup: ['test/helpers/global-setup.ts'],
    projects: [
      {
        // In-process suites (crypto, units, oracle parts on a real LevelDB): one worker, running
        // beside the process suites, so the two cores are both busy.
        test: {
          ...common,
          name: 'in-process',
          include: ['test/{crypto,unit,oracle,common,agent}/**/*.test.ts'],
          fileParallelism: false,
        },
      },
      {
        // Suites that start real oracle and agent processes: two files at a time. Much of their
        // time is waiting (deadlines, restarts, retries, kills): a fresh-clone run kept 1.44 of
        // the 2 cores busy. Three at a time took 565-575 s of tests instead of 625 s, but each of
        // its two runs hit a test race (a shared port, fixed by test/helpers/ports.ts; lying-oracle
        // finishing before the agent asked its liar, fixed); two stay until three has a green run.
        test: {
          ...common,
          name: 'processes',
          include: ['test/integration/**/*.test.ts'],
          // Each worker picks listener ports from its own range (no two suites share a port).
          setupFiles: ['test/helpers/ports.ts'],
          maxWorkers: 2,
        },
      },
    ],
  },
});
