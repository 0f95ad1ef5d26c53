import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  transitionBulkAdjustment,
  type BulkAdjustmentProgress,
  type BulkAdjustmentRequest,
} from '../domain/adjustment.ts';
import { refusalFailure } from '../domain/errors.ts';
import { Money } from '../domain/money.ts';
import { durationMs } from '../domain/policy.ts';
import { adjustmentActivities, type AdjustmentWorkflowPolicy } from './adjustment.ts';
import { adjustmentRefusedType, approveBulkAdjustmentUpdate, getBulkAdjustmentProgressQuery, rejectBulkAdjustmentUpdate } from './adjustment-messages.ts';
import { amountKey, currencyKey, statusKey } from './search-attributes.ts';

/**
 * `bulk-adjustment-<id>` (docs/rules.md#bulk-adjustments): waits for the approval of the tier its total impact requires (maker ≠ checker),
 * then executes the items in chunks of `bulkChunkSize` consecutive item numbers, each chunk one activity and one
 * database transaction that moves only items still PENDING. A worker killed anywhere resumes at the chunk whose
 * activity had not completed, and re-running a chunk that had committed changes nothing. After
 * `bulkChunksPerRun` chunks (or when Temporal suggests it) the run continues as new with its progress.
 */
export async function bulkAdjustmentWorkflow(
  request: BulkAdjustmentRequest,
  policy: AdjustmentWorkflowPolicy,
  resume: BulkAdjustmentProgress | null = null,
): Promise<BulkAdjustmentProgress> {
  const { startBulkAdjustmentExecution, closeBulkAdjustment, applyBulkAdjustmentChunk, finishBulkAdjustment } = adjustmentActivities(policy);
  const progress: BulkAdjustmentProgress = resume
    ? { ...resume, run: resume.run + 1 }
    : {
        bulkId: request.bulkId, status: 'AWAITING_APPROVAL', decidedBy: null, nextSeq: 0, partners: request.partners, processed: 0,
        applied: 0, skipped: 0, appliedTotal: '0', run: 1, policyVersion: policy.version,
      };
  let decided = progress.status !== 'AWAITING_APPROVAL';

  setHandler(getBulkAdjustmentProgressQuery, () => progress);
  const validateDecision = ({ actor }: { actor: BulkAdjustmentRequest['maker'] }) => {
    if (progress.status !== 'AWAITING_APPROVAL' || decided) throw refusalFailure(adjustmentRefusedType, 'conflict', 'invalid_state', `the bulk adjustment is ${progress.status}`, 'status');
    if (actor.userId === request.maker.userId) throw refusalFailure(adjustmentRefusedType, 'forbidden', 'maker_checker', 'the maker of a bulk adjustment cannot decide it');
    if (!request.approverRoles.includes(actor.role)) {
      throw refusalFailure(adjustmentRefusedType, 'forbidden', 'approval_tier', `a total impact of ${request.totalImpact} ${request.currency} needs one of: ${request.approverRoles.join(', ')}`);
    }
  };
  setHandler(approveBulkAdjustmentUpdate, async ({ actor }) => {
    decided = true;
    await startBulkAdjustmentExecution({ bulkId: request.bulkId, actor });
    progress.decidedBy = actor.userId;
    progress.status = transitionBulkAdjustment(progress.status, 'EXECUTING');
    return progress;
  }, { validator: validateDecision });
  setHandler(rejectBulkAdjustmentUpdate, async ({ actor, reason }) => {
    decided = true;
    await closeBulkAdjustment({ bulkId: request.bulkId, status: 'REJECTED', actor, reason: reason ?? null });
    progress.decidedBy = actor.userId;
    progress.status = transitionBulkAdjustment(progress.status, 'REJECTED');
    return progress;
  }, { validator: validateDecision });

  if (!resume) {
    upsertSearchAttributes([
      { key: amountKey, value: new Money(request.totalImpact).toNumber() },
      { key: currencyKey, value: request.currency },
      { key: statusKey, value: progress.status },
    ]);
    const inTime = await condition(() => decided, durationMs(policy.adjustments.approvalWait));
    if (!inTime) {
      await closeBulkAdjustment({ bulkId: request.bulkId, status: 'EXPIRED', actor: null, reason: null });
      progress.status = transitionBulkAdjustment(progress.status, 'EXPIRED');
    }
    await condition(() => progress.status !== 'AWAITING_APPROVAL');
    upsertSearchAttributes([{ key: statusKey, value: progress.status }]);
    if (progress.status !== 'EXECUTING') {
      await condition(allHandlersFinished);
      return progress;
    }
  }

  const chunkSize = policy.adjustments.bulkChunkSize;
  let chunksThisRun = 0;
  while (progress.nextSeq < request.partners) {
    if (chunksThisRun >= policy.adjustments.bulkChunksPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof bulkAdjustmentWorkflow>(request, policy, progress);
    }
    const toSeq = Math.min(progress.nextSeq + chunkSize, request.partners);
    // The maker's client address, when the request carries it (docs/rules.md#audit-trail); older requests have none.
    const ip = request.maker.ip ?? null;
    const result = await applyBulkAdjustmentChunk({ bulkId: request.bulkId, fromSeq: progress.nextSeq, toSeq, ...(ip ? { ip } : {}) });
    progress.nextSeq = toSeq;
    progress.processed += result.processed;
    progress.applied += result.applied;
    progress.skipped += result.skipped;
    progress.appliedTotal = new Money(progress.appliedTotal).plus(result.appliedTotal).toFixed();
    chunksThisRun += 1;
  }
  const totals = await finishBulkAdjustment({ bulkId: request.bulkId });
  progress.processed = totals.processed;
  progress.applied = totals.applied;
  progress.skipped = totals.skipped;
  progress.appliedTotal = totals.appliedTotal;
  progress.status = transitionBulkAdjustment(progress.status, 'COMPLETED');
  upsertSearchAttributes([{ key: statusKey, value: progress.status }]);
  await condition(allHandlersFinished);
  return progress;
}
