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
        // run kept 1.44 of the 2 cores busy on average (user+sys 16.8 min over 10.6 min wall), and
        // every suite passed with eight such processes and four other suites sharing the cores.
        test: {
          ...common,
          name: 'processes',
          include: ['test/integration/**/*.test.ts'],
          // Each worker picks listener ports from its own range (no two suites share a port).
          setupFiles: ['test/helpers/ports.ts'],
          maxWorkers: 3,
        },
      },
    ],
  },
});
