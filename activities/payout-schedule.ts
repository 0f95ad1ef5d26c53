import { Context } from '@temporalio/activity';
import type { Database } from '../db/pool.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { PayoutSchedule, type ScheduleRecordPage, type ScheduleRunStart, type ScheduleStartPage } from '../modules/payouts/payout-schedule.ts';
import type { PolicyStore } from '../modules/policy/policy-store.ts';

/** The activities of `payoutScheduleRunWorkflow`, over the payment schedule of modules/payouts/payout-schedule.ts. */
export function createPayoutScheduleActivities({ database, ledger, policies }: { database: Database; ledger: LedgerStore; policies: PolicyStore }) {
  const schedule = new PayoutSchedule(database, ledger, policies);
  return {
    async beginPayoutScheduleRun(input: { paymentDate: string; scheduled: boolean }): Promise<ScheduleRunStart> {
      return schedule.beginRun(input);
    },
    async recordScheduledPayouts(input: { paymentDate: string; after: string | null; limit: number }): Promise<ScheduleRecordPage> {
      return schedule.recordPage(input, (progress) => Context.current().heartbeat(progress));
    },
    async scheduledPayoutsToStart(input: { paymentDate: string; after: string | null; limit: number }): Promise<ScheduleStartPage> {
      return schedule.startPage(input);
    },
  };
}

export type PayoutScheduleActivities = ReturnType<typeof createPayoutScheduleActivities>;
