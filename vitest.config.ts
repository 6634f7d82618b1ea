import { defineConfig } from 'vitest/config';

// Every test file runs in its own process: chDB allows one data directory per process,
// and each integration file starts its own platform with its own engines.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    include: ['**/*.test.ts'],
    // One fast-check seed for every property that does not pick its own (FC_SEED to change it).
    setupFiles: ['test/support/fast-check-seed.ts'],
    exclude: ['node_modules/**', 'data/**'],
  },
});
