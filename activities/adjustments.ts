import type { Database } from '../db/pool.ts';
import {
  applyBulkAdjustmentChunk,
  closeBulkAdjustment,
  finishBulkAdjustment,
  startBulkAdjustmentExecution,
  type BulkChunkResult,
} from '../modules/adjustments/bulk-execution.ts';
import { postManualCommission, recordAdjustmentDecision, type PostManualCommissionInput } from '../modules/adjustments/manual-commission-posting.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { adjustmentRefusedType } from '../workflows/adjustment-messages.ts';
import { refusing } from './refusals.ts';

/** The activities of `adjustment-<id>` and `bulk-adjustment-<id>`, over modules/adjustments. */
export function createAdjustmentActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  return {
    async postManualCommission(input: PostManualCommissionInput): Promise<{ commissionId: string; entryId: string }> {
      return refusing(adjustmentRefusedType, () => postManualCommission({ database, ledger }, input));
    },
    async recordAdjustmentDecision(input: Parameters<typeof recordAdjustmentDecision>[1]): Promise<void> {
      return refusing(adjustmentRefusedType, () => recordAdjustmentDecision(database, input));
    },
    async startBulkAdjustmentExecution(input: Parameters<typeof startBulkAdjustmentExecution>[1]): Promise<void> {
      return refusing(adjustmentRefusedType, () => startBulkAdjustmentExecution(database, input));
    },
    async closeBulkAdjustment(input: Parameters<typeof closeBulkAdjustment>[1]): Promise<void> {
      return refusing(adjustmentRefusedType, () => closeBulkAdjustment(database, input));
    },
    async applyBulkAdjustmentChunk(input: Parameters<typeof applyBulkAdjustmentChunk>[1]): Promise<BulkChunkResult> {
      return refusing(adjustmentRefusedType, () => applyBulkAdjustmentChunk({ database, ledger }, input));
    },
    async finishBulkAdjustment(input: Parameters<typeof finishBulkAdjustment>[1]): Promise<BulkChunkResult> {
      return refusing(adjustmentRefusedType, () => finishBulkAdjustment(database, input));
    },
  };
}

export type AdjustmentActivities = ReturnType<typeof createAdjustmentActivities>;
