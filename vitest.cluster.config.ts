import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * The lifecycles that matter most, run again on a Temporal cluster (stack/cluster.ts: frontend, history, matching and
 * worker as separate processes, PostgreSQL persistence, SQL visibility) instead of the dev server: the same test files,
 * which take the Temporal address from the global setup, plus test/cluster/ for what only a cluster shows (two worker
 * processes on one task queue, search attributes queried through SQL visibility).
 * `npx vitest run -c vitest.cluster.config.ts`; the first run on a machine builds the server (about 6 minutes).
 */
export const clusterTestFiles = [
  // Payout with approvals (one admin, a chain of four eyes) and through the provider (sandbox, webhooks).
  'test/payouts/payout-lifecycle.test.ts',
  'test/payouts/payout-automatic.test.ts',
  // A worker process killed mid-activity while the provider holds the payment; a new one finishes it.
  'test/payouts/payout-crash.test.ts',
  // Refunds: the queue's four-eyes workflow and the debt it leaves.
  'test/refunds/refund-queue.test.ts',
  'test/refunds/refund-debt.test.ts',
  // Chargebacks with their monitoring timers, and disputes with their deadlines.
  'test/chargebacks/chargeback-lifecycle.test.ts',
  'test/disputes/dispute-lifecycle.test.ts',
  'test/disputes/dispute-deadlines.test.ts',
  // Schedules (created, updated and triggered through the cluster's worker service).
  'test/payouts/payout-schedule.test.ts',
  'test/cluster/**/*.test.ts',
];

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: clusterTestFiles,
    globalSetup: ['test/cluster/global-setup.ts'],
  },
});
