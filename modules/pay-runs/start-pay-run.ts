import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { PayRunPolicy } from '../../domain/pay-run.ts';
import { payRunWorkflowId } from '../../workflows/pay-run-messages.ts';
import type { payRunWorkflow } from '../../workflows/pay-run.ts';
import { statusKey } from '../../workflows/search-attributes.ts';

/**
 * Starts `pay-run-<id>` for a run row (docs/rules.md#pay-runs). Starting it again (a retried request, the schedule run
 * twice) finds the one already running: the workflow id is the run's.
 */
export async function startPayRunWorkflow(
  client: Client,
  taskQueue: string,
  run: { id: string; run_approval_required: boolean },
  policy: PayRunPolicy,
): Promise<void> {
  try {
    await client.workflow.start<typeof payRunWorkflow>('payRunWorkflow', {
      workflowId: payRunWorkflowId(run.id),
      taskQueue,
      args: [{ runId: run.id, policy, runApprovalRequired: run.run_approval_required }],
      typedSearchAttributes: [{ key: statusKey, value: 'AWAITING_APPROVAL' }],
      memo: { summary: `Pay run ${run.id}: AWAITING_APPROVAL` },
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
