import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Database } from '../../db/pool.ts';
import type { BonusRequest } from '../../domain/bonus.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money } from '../../domain/money.ts';
import { defaultPolicy } from '../../domain/policy.ts';
import { partnerExists } from '../partners/partner-store.ts';
import type { BonusPolicy, bonusWorkflow } from '../../workflows/bonus.ts';
import { bonusWorkflowId } from '../../workflows/bonus-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';
import { markBonusFailed, recordBonusRequest, type BonusRow } from './bonus-store.ts';

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

const notStarted = () => new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable; nothing was posted');

/**
 * A bonus as an admin requests it: recorded (with its audit record) for a partner that exists, then `bonus-<id>`
 * started to post it. When the start cannot be confirmed the bonus is FAILED, unless the workflow turns out to
 * exist after all, and the request is refused as unavailable.
 */
export async function requestBonus(
  { database, temporal, taskQueue, policy }: { database: Database; temporal: Client; taskQueue: string; policy: BonusPolicy },
  request: BonusRequest,
): Promise<BonusRow> {
  const row = await database.transaction(async (transaction) => {
    if (!(await partnerExists(transaction, request.partnerId))) {
      throw new DomainError('unprocessable', 'partner_not_found', `partner ${request.partnerId} does not exist`, 'body.partnerId');
    }
    return recordBonusRequest(transaction, request);
  });
  try {
    await startBonusWorkflow(temporal, taskQueue, request, policy);
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return row;
    // The start may have reached the server even though its answer did not reach us.
    try {
      await temporal.workflow.getHandle(bonusWorkflowId(request.bonusId)).describe();
      return row;
    } catch (describeError) {
      if (!(describeError instanceof WorkflowNotFoundError)) throw notStarted();
    }
    await markBonusFailed(database, request.bonusId, 'the workflow could not be started');
    throw notStarted();
  }
  return row;
}
