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
        // Suites that start real oracle and agent processes: three files at a time. Much of their
        // time is waiting (deadlines, restarts, retries, kills): with two at a time a fresh-clone
        // run kept 1.44 of the 2 cores busy and took 625-648 s of tests; three took 565-575 s.
        // Each worker draws listener ports from its own range (test/helpers/ports.ts).
        test: {
          ...common,
          name: 'processes',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/helpers/ports.ts'],
          maxWorkers: 3,
        },
      },
    ],
  },
});
