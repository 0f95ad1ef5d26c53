import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // One PostgreSQL (with a migrated template) and one Temporal dev server for the whole run.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for something a page or a worker does next; one second is too short with two files and
    // their servers sharing two cores (a sign-in redirect has taken longer).
    expect: { poll: { timeout: 15_000, interval: 100 } },
    // Files run two at a time, each in its own process, so a native module or a leaked handle in one file cannot
    // disturb another; their data is kept apart by a database per file and a task queue per test.
    pool: 'forks',
    maxWorkers: 2,
  },
});
