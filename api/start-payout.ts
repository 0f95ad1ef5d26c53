import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { appendAuditRecord } from '../activities/audit-store.ts';
import type { LedgerStore } from '../activities/ledger-store.ts';
import type { AccountRef } from '../domain/ledger.ts';
import { Money, formatMoney } from '../domain/money.ts';
import type { PayoutWorkflowPolicy, payoutWorkflow } from '../workflows/payout.ts';
import type { PayoutRequest } from '../workflows/payout-messages.ts';
import { amountKey, currencyKey, methodKey, partnerIdKey, payoutStatusKey, priorityKey } from '../workflows/search-attributes.ts';

export const payoutWorkflowId = (payoutId: string) => `payout-${payoutId}`;

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

/**
 * Records a payout request on the caller's transaction: the reserve entry `payout-reserve-<id>` (available →
 * payout_reserved; the floor CHECK refuses an overdraft with InsufficientFundsError), the payout row (the partial
 * unique index refuses a second active request for the wallet), the partner's saved details, and PAYOUT_REQUEST.
 */
export async function recordPayoutRequest(
  transaction: CommonQueryMethods,
  ledger: LedgerStore,
  input: {
    request: PayoutRequest;
    paymentDetails: Record<string, string>;
    policyVersion: number;
    slaHours: number;
    ip: string | null;
  },
): Promise<PayoutRow> {
  const { request } = input;
  const account = (bucket: 'available' | 'payout_reserved'): AccountRef => ({ ownerType: 'partner', ownerId: request.partnerId, bucket, currency: request.currency });
  const ids = await ledger.accountIds([account('available'), account('payout_reserved')], transaction);
  // Lock before reading, so the balance in the audit record is the one the entry changes.
  const locked = await transaction.any(sql.type(z.object({ account_id: z.string(), balance: z.string() }))`
    SELECT account_id, balance FROM lock_account_balances(${sql.array(ids, 'int8')})`);
  const availableBefore = locked.find((row) => row.account_id === ids[0])?.balance ?? '0';
  const posted = await ledger.postEntry(
    {
      idempotencyKey: `payout-reserve-${request.payoutId}`,
      kind: 'payout_reserve',
      description: `payout ${request.payoutId} requested via ${request.methodId}`,
      metadata: { payoutId: request.payoutId, partnerId: request.partnerId },
      postings: [
        { account: account('available'), amount: formatMoney(new Money(request.amount).negated(), request.currency) },
        { account: account('payout_reserved'), amount: request.amount },
      ],
    },
    transaction,
  );
  const row = await transaction.one(sql.type(payoutRow)`
    INSERT INTO payouts (id, partner_id, method_id, currency, amount, fee, amount_to_transfer, amount_rub, status, priority,
                         payment_details, details_hash, required_chain, policy_version, initiated_by, initiated_role,
                         sla_due_at, reserve_entry_id)
    VALUES (${request.payoutId}, ${request.partnerId}, ${request.methodId}, ${request.currency}, ${request.amount},
            ${request.fee}, ${request.amountToTransfer}, ${request.amountRub}, 'REQUESTED', ${request.priority},
            ${sql.jsonb(input.paymentDetails)}, ${request.detailsHash}, ${sql.jsonb(request.requiredChain as never)},
            ${input.policyVersion}, ${request.initiatedBy.userId}, ${request.initiatedBy.role},
            now() + make_interval(hours => ${input.slaHours}), ${posted.entryId})
    RETURNING ${payoutColumns}`);
  await transaction.query(sql.unsafe`
    INSERT INTO partner_payment_methods (partner_id, method_id, details)
    VALUES (${request.partnerId}, ${request.methodId}, ${sql.jsonb(input.paymentDetails)})
    ON CONFLICT (partner_id, method_id) DO UPDATE SET details = EXCLUDED.details, updated_at = now()`);
  await appendAuditRecord(transaction, {
    action: 'PAYOUT_REQUEST',
    actor: request.initiatedBy.userId,
    targetType: 'payout',
    targetId: request.payoutId,
    amount: request.amount,
    currency: request.currency,
    balanceBefore: formatMoney(availableBefore, request.currency),
    balanceAfter: formatMoney(new Money(availableBefore).minus(request.amount), request.currency),
    ip: input.ip,
    entryId: posted.entryId,
    details: {
      partnerId: request.partnerId,
      methodId: request.methodId,
      fee: request.fee,
      amountToTransfer: request.amountToTransfer,
      amountRub: request.amountRub,
      priority: request.priority,
      detailsHash: request.detailsHash,
    },
  });
  return row;
}

/** Starts `payout-<id>` under the captured policy, with the search attributes and memo ops filter on. */
export async function startPayoutWorkflow(client: Client, taskQueue: string, request: PayoutRequest, policy: PayoutWorkflowPolicy): Promise<void> {
  await client.workflow.start<typeof payoutWorkflow>('payoutWorkflow', {
    workflowId: payoutWorkflowId(request.payoutId),
    taskQueue,
    args: [request, { version: policy.version, payouts: policy.payouts }],
    typedSearchAttributes: [
      { key: partnerIdKey, value: request.partnerId },
      // A Double search attribute is for filtering in the Temporal UI only; the money is the string.
      { key: amountKey, value: new Money(request.amount).toNumber() },
      { key: currencyKey, value: request.currency },
      { key: payoutStatusKey, value: 'REQUESTED' },
      { key: methodKey, value: request.methodId },
      { key: priorityKey, value: request.priority },
    ],
    memo: { summary: `Payout ${request.amount} ${request.currency} (fee ${request.fee}) to partner ${request.partnerId} via ${request.methodId}` }, // the status is the PayoutStatus search attribute
  });
}
