import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { AccountRef } from '../../domain/ledger.ts';
import { partnerValidationOf, payoutStatuses } from '../../domain/payout.ts';
import type { PartnerValidationPolicy } from '../../domain/payout-policy.ts';
import { policySchema } from '../../domain/policy.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import type { PolicyStore } from '../policy/policy-store.ts';

/**
 * The `payouts` table's rows as the payout module reads them, and the small reads several use-cases share. The
 * lifecycle's own writes are in create-payout.ts (requests, drafts) and payout-steps.ts (the workflow's steps).
 */

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

export const payoutRecordStatuses = ['DRAFT', ...payoutStatuses] as const;
export type PayoutRecordStatus = (typeof payoutRecordStatuses)[number];

/** A payouts row with the columns of migration 010; drafts (no reserve entry yet) included. */
export const payoutRecord = payoutRow.extend({
  status: z.enum(payoutRecordStatuses),
  reserve_entry_id: z.string().nullable(),
  drafted_by: z.string().nullable(),
  requested_at: z.date().nullable(),
  schedule_date: z.string().nullable(),
  assigned_to: z.string().nullable(),
  assigned_at: z.date().nullable(),
  non_regular: z.boolean(),
  surcharge: z.string(),
});
export type PayoutRecord = z.infer<typeof payoutRecord>;
export const payoutRecordColumns = sql.fragment`
  ${payoutColumns}, drafted_by, requested_at, schedule_date::text AS schedule_date, assigned_to, assigned_at, non_regular,
  surcharge::text AS surcharge`;

const lockedBalanceRow = z.object({ account_id: z.string(), balance: z.string() });

/**
 * Locks the accounts' balance rows (in the database's order) and returns each balance, in the order given, so an
 * audit record's before and after are the ones the entry posted next changes.
 */
export async function lockBalances(ledger: LedgerStore, connection: CommonQueryMethods, accounts: AccountRef[]): Promise<string[]> {
  const ids = await ledger.accountIds(accounts, connection);
  const rows = await connection.any(sql.type(lockedBalanceRow)`
    SELECT account_id, balance FROM lock_account_balances(${sql.array(ids, 'int8')})`);
  return ids.map((id) => rows.find((row) => row.account_id === id)?.balance ?? '0');
}

/** Whether a payout with this id exists (drafts included). */
export async function payoutExists(connection: CommonQueryMethods, payoutId: string): Promise<boolean> {
  const found = await connection.maybeOne(sql.type(z.object({ id: z.string() }))`SELECT id FROM payouts WHERE id = ${payoutId}`);
  return found !== null;
}

/**
 * The partner-validation settings of a policy version: whether a payout requested under it waits for its partner.
 * The store's list is cached for a few seconds, so a version another process added just now is read from the table
 * instead.
 */
export async function partnerValidationOfVersion(
  dependencies: { database: Database; policies: PolicyStore },
  version: number,
): Promise<PartnerValidationPolicy> {
  const cached = await dependencies.policies.byVersion(version);
  if (cached) return partnerValidationOf(cached.policy.payouts);
  const document = await dependencies.database.oneFirst(sql.type(z.object({ document: z.unknown() }))`
    SELECT document FROM policy_versions WHERE version = ${version}`);
  return partnerValidationOf(policySchema.parse(document).payouts);
}
