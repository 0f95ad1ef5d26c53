import type { Client } from '@temporalio/client';
import type { BonusRequest } from '../domain/bonus.ts';
import { Money } from '../domain/money.ts';
import type { BonusPolicy, bonusWorkflow } from '../workflows/bonus.ts';
import { defaultPolicy } from '../domain/policy.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../workflows/search-attributes.ts';

export const bonusWorkflowId = (bonusId: string) => `bonus-${bonusId}`;

/** Starts `bonus-<id>` under the given (active) policy, with the search attributes and memo ops filter and read in the Temporal UI. */
export async function startBonusWorkflow(
  client: Client,
  taskQueue: string,
  request: BonusRequest,
  policy: BonusPolicy = defaultPolicy,
): Promise<void> {
  await client.workflow.start<typeof bonusWorkflow>('bonusWorkflow', {
    workflowId: bonusWorkflowId(request.bonusId),
    taskQueue,
    args: [request, { version: policy.version, bonuses: policy.bonuses }],
    typedSearchAttributes: [
      { key: partnerIdKey, value: request.partnerId },
      // A Double search attribute is for filtering in the Temporal UI only; the money is the string.
      { key: amountKey, value: new Money(request.amount).toNumber() },
      { key: currencyKey, value: request.currency },
      { key: statusKey, value: 'PENDING' },
    ],
    memo: { summary: `Bonus ${request.amount} ${request.currency} to partner ${request.partnerId}: ${request.reason}` },
  });
}
