import type { Database } from '../db/pool.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { recordRefundDecision, type RecordRefundDecisionInput } from '../modules/refunds/decide-refund.ts';
import { processRefund, type ProcessRefundInput } from '../modules/refunds/process-refund.ts';
import { refundRefusedType } from '../workflows/refund-messages.ts';
import { refusing } from './refusals.ts';

/**
 * The refund lifecycle's activities (workflows/refund.ts) over modules/refunds: recording the admin's decision and
 * processing an approved refund. A refusal of the module is the workflow's RefundRefused.
 */
export function createRefundActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  return {
    recordRefundDecision: (input: RecordRefundDecisionInput) => refusing(refundRefusedType, () => recordRefundDecision(database, input)),
    processRefund: (input: ProcessRefundInput) => refusing(refundRefusedType, () => processRefund({ database, ledger }, input)),
  };
}

export type RefundActivities = ReturnType<typeof createRefundActivities>;
