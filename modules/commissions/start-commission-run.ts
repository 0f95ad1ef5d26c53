import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { DomainError } from '../../domain/errors.ts';
import { commissionRunWorkflowId, commissionRunWorkflowTypes, type CommissionRunKind } from '../../workflows/commission-messages.ts';

/**
 * Starts the hold release or the pay batch now, outside its schedule, for the moment of the request. Both sweeps
 * are idempotent, so a run beside a scheduled one moves nothing twice. Returns the run's workflow id.
 */
export async function startCommissionRun(
  temporal: Client,
  input: { kind: CommissionRunKind; taskQueue: string; actor: string },
): Promise<string> {
  const workflowId = commissionRunWorkflowId(input.kind, randomUUID());
  try {
    await temporal.workflow.start(commissionRunWorkflowTypes[input.kind], {
      workflowId,
      taskQueue: input.taskQueue,
      args: [{ asOf: new Date().toISOString() }],
      memo: { summary: `started by ${input.actor}` },
    });
  } catch {
    throw new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable; nothing was started');
  }
  return workflowId;
}
