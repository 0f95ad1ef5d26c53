import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, WorkflowIdReusePolicy, startChild } from '@temporalio/workflow';
import type { PayoutPolicy } from '../domain/payout-policy.ts';
import { payoutWorkflowId, type PayoutRequest } from './payout-messages.ts';
import { payoutWorkflow } from './payout.ts';
import { payoutSearchAttributesAtStart } from './search-attributes.ts';

/**
 * Starts `payout-<id>` for payouts recorded earlier (the schedule's run, the sweep), each as a child with
 * ParentClosePolicy ABANDON — the payout outlives its starter — and WorkflowIdReusePolicy REJECT_DUPLICATE, so a
 * payout whose workflow exists (running or closed) is never started again: that one is counted, not an error.
 */
export async function startPayoutChildren(
  page: { requests: { request: PayoutRequest; policyVersion: number }[]; policies: Record<string, PayoutPolicy> },
  startedBy: string,
): Promise<{ started: number; alreadyStarted: number }> {
  const outcomes = await Promise.all(
    page.requests.map(async ({ request, policyVersion }) => {
      try {
        await startChild(payoutWorkflow, {
          workflowId: payoutWorkflowId(request.payoutId),
          args: [request, { version: policyVersion, payouts: page.policies[String(policyVersion)]! }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: payoutSearchAttributesAtStart(request),
          memo: { summary: `Payout ${request.amount} ${request.currency} (fee ${request.fee}) to partner ${request.partnerId} via ${request.methodId} (${startedBy})` },
        });
        return 'started' as const;
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return 'alreadyStarted' as const;
        throw error;
      }
    }),
  );
  return {
    started: outcomes.filter((outcome) => outcome === 'started').length,
    alreadyStarted: outcomes.filter((outcome) => outcome === 'alreadyStarted').length,
  };
}
