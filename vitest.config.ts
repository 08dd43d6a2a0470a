import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { chispa: new URL('./src/index.ts', import.meta.url).pathname } },
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite's summary line (test/faults/): printed once, after every file has run.
    globalSetup: ['test/faults/summary.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Worker pools and TCP servers per file: two files at a time is what two cores can carry.
    maxWorkers: 2,
  },
});
