import type { Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { appendAuditRecord } from '../modules/audit/audit-store.ts';
import type { BonusRequest } from '../domain/bonus.ts';
import { Money } from '../domain/money.ts';
import type { BonusPolicy, bonusWorkflow } from '../workflows/bonus.ts';
import { defaultPolicy } from '../domain/policy.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../workflows/search-attributes.ts';
import { bonusWorkflowId } from '../workflows/messages.ts';


export const bonusRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  amount: z.string(),
  currency: z.string(),
  reason: z.string(),
  status: z.enum(['PENDING', 'COMPLETED', 'FAILED']),
  entry_id: z.string().nullable(),
  failure: z.string().nullable(),
  created_at: z.date(),
});

/**
 * Records a requested bonus (status PENDING) and its BONUS_CREATE audit record, on the caller's connection so
 * both commit with whatever else the caller writes. The workflow started afterwards posts it.
 */
export async function recordBonusRequest(connection: CommonQueryMethods, request: BonusRequest) {
  const row = await connection.one(sql.type(bonusRow)`
    INSERT INTO bonuses (id, partner_id, amount, currency, reason, status, created_by)
    VALUES (${request.bonusId}, ${request.partnerId}, ${request.amount}, ${request.currency}, ${request.reason},
            'PENDING', ${request.actorUserId})
    RETURNING id, partner_id, amount, currency, reason, status, entry_id, failure, created_at`);
  await appendAuditRecord(connection, {
    action: 'BONUS_CREATE',
    actor: request.actorUserId,
    targetType: 'partner',
    targetId: request.partnerId,
    amount: request.amount,
    currency: request.currency,
    reason: request.reason,
    ip: request.ip,
    details: { bonusId: request.bonusId },
  });
  return row;
}

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
