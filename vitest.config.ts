import { defineConfig } from 'vitest/config';
import SuiteSequencer from './test/helpers/sequencer.js';

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
    // Process suites first, longest first; the in-process suites fill the workers at the end.
    sequence: { sequencer: SuiteSequencer },
    // Both projects share one pool of three workers (vitest runs projects with the same
    // maxWorkers side by side; a project limited to one worker ran after all the others: the
    // in-process suites took the last 79 s of a fresh-clone run on one core, after the process
    // suites were done).
    projects: [
      {
        // In-process suites (crypto, units, oracle parts on a real LevelDB).
        test: {
          ...common,
          name: 'in-process',
          include: ['test/{crypto,unit,oracle,common,agent}/**/*.test.ts'],
          maxWorkers: 3,
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
