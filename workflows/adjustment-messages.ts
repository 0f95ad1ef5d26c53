import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AdjustmentActor, BulkAdjustmentProgress, ManualAdjustmentState } from '../domain/adjustment.ts';

/**
 * Messages of `adjustment-<id>` and `bulk-adjustment-<id>`. Every update carries the actor the API verified
 * (session, permission, fresh TOTP); validators refuse what the state or the maker–checker rule does not allow.
 */

/** The failure type of every refusal of an adjustment or a bulk adjustment (its details: domain/errors.ts `Refusal`). */
export const adjustmentRefusedType = 'AdjustmentRefused';

export interface AdjustmentDecisionInput {
  actor: AdjustmentActor;
  reason?: string | null;
}

export const approveAdjustmentUpdate = defineUpdate<ManualAdjustmentState, [AdjustmentDecisionInput]>('approveAdjustment');
export const rejectAdjustmentUpdate = defineUpdate<ManualAdjustmentState, [AdjustmentDecisionInput]>('rejectAdjustment');
export const getAdjustmentStateQuery = defineQuery<ManualAdjustmentState>('getAdjustmentState');

export const approveBulkAdjustmentUpdate = defineUpdate<BulkAdjustmentProgress, [AdjustmentDecisionInput]>('approveBulkAdjustment');
export const rejectBulkAdjustmentUpdate = defineUpdate<BulkAdjustmentProgress, [AdjustmentDecisionInput]>('rejectBulkAdjustment');
export const getBulkAdjustmentProgressQuery = defineQuery<BulkAdjustmentProgress>('getBulkAdjustmentProgress');

/** The manual commission's workflow id. */
export const adjustmentWorkflowId = (adjustmentId: string) => `adjustment-${adjustmentId}`;

/** The bulk adjustment's workflow id. */
export const bulkAdjustmentWorkflowId = (bulkId: string) => `bulk-adjustment-${bulkId}`;
