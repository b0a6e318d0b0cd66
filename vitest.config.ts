import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start real processes; two cores are shared, so files run one at a time.
    fileParallelism: false,
    // Suites that run real processes for tens of seconds; skip them with --tags-filter='!slow'.
    tags: [{ name: 'slow', description: 'real-process suites that take tens of seconds' }],
  },
});
