import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { PayoutWorkflowPolicy, payoutWorkflow } from '../../workflows/payout.ts';
import type { PayoutRequest } from '../../workflows/payout-messages.ts';
import { payoutSearchAttributesAtStart } from '../../workflows/search-attributes.ts';
import { payoutWorkflowId } from '../../workflows/payout-messages.ts';


/**
 * What an approver confirms they saw: SHA-256 over a canonical form of the amount, currency, method and payment
 * details (keys sorted). Any change to what would be paid changes the hash, and the workflow refuses the approval.
 */
export function paymentDetailsHash(input: { amount: string; currency: string; methodId: string; details: Record<string, string> }): string {
  const details = Object.keys(input.details)
    .sort()
    .map((key) => [key, input.details[key]]);
  return createHash('sha256').update(JSON.stringify([input.amount, input.currency, input.methodId, details])).digest('hex');
}

export const payoutRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  method_id: z.string(),
  currency: z.string(),
  amount: z.string(),
  fee: z.string(),
  amount_to_transfer: z.string(),
  amount_rub: z.string().nullable(),
  status: z.enum(['REQUESTED', 'HELD', 'AWAITING_APPROVAL', 'APPROVED', 'PROCESSING', 'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED']),
  priority: z.enum(['HIGH', 'NORMAL', 'REVIEW']),
  payment_details: z.record(z.string()),
  details_hash: z.string(),
  required_chain: z.array(z.object({ roles: z.array(z.string()) })),
  checklist: z.array(z.object({ check: z.string(), passed: z.boolean(), action: z.string(), detail: z.string() })),
  policy_version: z.number(),
  initiated_by: z.string(),
  initiated_role: z.string(),
  created_at: z.date(),
  updated_at: z.date(),
  sla_due_at: z.date(),
  rejection_code: z.string().nullable(),
  rejection_reason: z.string().nullable(),
  external_reference: z.string().nullable(),
  failure_code: z.string().nullable(),
  failure_reason: z.string().nullable(),
  closed_by: z.string().nullable(),
  closed_at: z.date().nullable(),
  reserve_entry_id: z.string(),
  settle_entry_id: z.string().nullable(),
  provider_attempt: z.number(),
  provider_reference: z.string().nullable(),
  needs_review: z.boolean(),
});
export type PayoutRow = z.infer<typeof payoutRow>;

export const payoutColumns = sql.fragment`
  id, partner_id, method_id, currency, amount, fee, amount_to_transfer, amount_rub, status, priority, payment_details,
  details_hash, required_chain, checklist, policy_version, initiated_by, initiated_role, created_at, updated_at,
  sla_due_at, rejection_code, rejection_reason, external_reference, failure_code, failure_reason, closed_by, closed_at,
  reserve_entry_id, settle_entry_id, provider_attempt, provider_reference, needs_review`;

const rateRow = z.object({ currency: z.string(), usd_rate: z.string() });

/** The latest USD rates (USD per unit) of the currency and of RUB in force now; null where there is none. */
export async function usdRatesForRub(connection: CommonQueryMethods, currency: string): Promise<{ currency: string | null; rub: string | null }> {
  const rows = await connection.any(sql.type(rateRow)`
    SELECT DISTINCT ON (currency) currency, usd_rate::text AS usd_rate
    FROM fx_rates WHERE currency = ANY(${sql.array([currency, 'RUB'], 'text')}) AND effective_at <= now()
    ORDER BY currency, effective_at DESC`);
  return {
    currency: rows.find((row) => row.currency === currency)?.usd_rate ?? null,
    rub: rows.find((row) => row.currency === 'RUB')?.usd_rate ?? null,
  };
}

/** Starts `payout-<id>` under the captured policy, with the search attributes and memo ops filter on. */
export async function startPayoutWorkflow(client: Client, taskQueue: string, request: PayoutRequest, policy: PayoutWorkflowPolicy): Promise<void> {
  await client.workflow.start<typeof payoutWorkflow>('payoutWorkflow', {
    workflowId: payoutWorkflowId(request.payoutId),
    taskQueue,
    args: [request, { version: policy.version, payouts: policy.payouts }],
    typedSearchAttributes: payoutSearchAttributesAtStart(request),
    memo: { summary: `Payout ${request.amount} ${request.currency} (fee ${request.fee}) to partner ${request.partnerId} via ${request.methodId}` }, // the status is the PayoutStatus search attribute
  });
}
