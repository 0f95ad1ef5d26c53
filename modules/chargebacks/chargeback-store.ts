import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { permissions } from '../../domain/access.ts';
import type { ChargebackStatus } from '../../domain/chargeback.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money, currencyScale, formatMoney } from '../../domain/money.ts';
import type { Database } from '../../db/pool.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';

/**
 * The `chargebacks` table, its investigation steps (`chargeback_steps`) and the commissions each chargeback
 * reversed (`chargeback_reversals`): the row schemas and the reads the API and the lifecycle share. Writes are in
 * the use-cases beside this file.
 */

const statusEnum = z.enum(['OPEN', 'EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION', 'WON', 'LOST', 'PARTIAL']);
const penaltyEnum = z.enum(['WARNING', 'MONITORING', 'ACCOUNT_REVIEW', 'SUSPENSION']);

export const chargebackRow = z.object({
  id: z.string(),
  provider_reference: z.string(),
  source: z.enum(['WEBHOOK', 'ADMIN']),
  order_id: z.string(),
  order_event_id: z.string(),
  partner_id: z.string().nullable(),
  customer_id: z.string().nullable(),
  partner_sequence: z.number().nullable(),
  amount: z.string(),
  currency: z.string(),
  order_total: z.string(),
  reason_code: z.string(),
  note: z.string().nullable(),
  status: statusEnum,
  opened_by: z.string(),
  opened_at: z.date(),
  reversal: z.enum(['FULL', 'PROPORTIONAL']),
  reversed_at: z.date().nullable(),
  reversal_entry_id: z.string().nullable(),
  reversed_count: z.number(),
  reversed_total: z.string(),
  penalty: penaltyEnum.nullable(),
  penalty_applied_at: z.date().nullable(),
  monitoring_ends_at: z.date().nullable(),
  monitoring_ended_at: z.date().nullable(),
  escalations: z.number(),
  last_escalated_at: z.date().nullable(),
  amount_won: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.date().nullable(),
  decision_note: z.string().nullable(),
  recredit_entry_id: z.string().nullable(),
  recredited_total: z.string(),
  policy_version: z.number(),
  /** The keyset cursor's time, microseconds kept. */
  cursor_time: z.string(),
});
export type ChargebackRow = z.infer<typeof chargebackRow>;

export const chargebackColumns = sql.fragment`
  id, provider_reference, source, order_id, order_event_id::text AS order_event_id, partner_id, customer_id, partner_sequence,
  amount::text AS amount, currency, order_total::text AS order_total, reason_code, note, status, opened_by, opened_at, reversal,
  reversed_at, reversal_entry_id::text AS reversal_entry_id, reversed_count, reversed_total::text AS reversed_total, penalty,
  penalty_applied_at, monitoring_ends_at, monitoring_ended_at, escalations, last_escalated_at, amount_won::text AS amount_won,
  decided_by, decided_at, decision_note, recredit_entry_id::text AS recredit_entry_id, recredited_total::text AS recredited_total,
  policy_version, to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time`;

export async function loadChargeback(connection: CommonQueryMethods, chargebackId: string, { forUpdate = false } = {}): Promise<ChargebackRow | null> {
  return connection.maybeOne(sql.type(chargebackRow)`
    SELECT ${chargebackColumns} FROM chargebacks WHERE id = ${chargebackId} ${forUpdate ? sql.fragment`FOR UPDATE` : sql.fragment``}`);
}

export async function loadChargebackByReference(connection: CommonQueryMethods, providerReference: string): Promise<ChargebackRow | null> {
  return connection.maybeOne(sql.type(chargebackRow)`
    SELECT ${chargebackColumns} FROM chargebacks WHERE provider_reference = ${providerReference}`);
}

export const chargebackStepRow = z.object({
  sequence: z.number(), step: z.enum(['EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION']), note: z.string().nullable(),
  recorded_by: z.string(), recorded_at: z.date(),
});
export const chargebackReversalRow = z.object({
  commission_id: z.string(), partner_id: z.string(), level: z.number(), status_before: z.enum(['PENDING', 'APPROVED', 'PAID']),
  amount: z.string(), currency: z.string(), recredited: z.string(), recredit_status: z.enum(['PENDING', 'APPROVED', 'PAID', 'SUPERSEDED']).nullable(),
});

/** The chargeback, or a not_found refusal naming `params.id`. */
export async function requireChargeback(connection: CommonQueryMethods, chargebackId: string): Promise<ChargebackRow> {
  const row = await loadChargeback(connection, chargebackId);
  if (!row) throw new DomainError('not_found', 'not_found', `no chargeback ${chargebackId}`, 'params.id');
  return row;
}

/** The chargeback's row locked for a step of its lifecycle (inside a transaction). */
export async function lockedChargeback(transaction: CommonQueryMethods, chargebackId: string): Promise<ChargebackRow> {
  const row = await loadChargeback(transaction, chargebackId, { forUpdate: true });
  if (!row) throw new DomainError('not_found', 'not_found', `chargeback ${chargebackId} does not exist`);
  return row;
}

export interface ChargebackFilter {
  /** The seller; undefined: every seller's. */
  partnerId?: string | undefined;
  status?: ChargebackStatus | undefined;
  orderId?: string | undefined;
  /** The last row of the previous page (its opened_at, microseconds kept, and id). */
  after?: { cursorTime: string; id: string } | undefined;
  limit: number;
}

/** Chargebacks, newest first. */
export async function listChargebacks(connection: CommonQueryMethods, filter: ChargebackFilter): Promise<readonly ChargebackRow[]> {
  const conditions = [sql.fragment`TRUE`];
  if (filter.partnerId !== undefined) conditions.push(sql.fragment`partner_id = ${filter.partnerId}`);
  if (filter.status) conditions.push(sql.fragment`status = ${filter.status}`);
  if (filter.orderId) conditions.push(sql.fragment`order_id = ${filter.orderId}`);
  if (filter.after) conditions.push(sql.fragment`(opened_at, id) < (${filter.after.cursorTime}::timestamptz, ${filter.after.id}::uuid)`);
  return connection.any(sql.type(chargebackRow)`
    SELECT ${chargebackColumns} FROM chargebacks WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY opened_at DESC, id DESC LIMIT ${filter.limit}`);
}

/** The investigation's steps, in order. */
export async function chargebackStepsOf(connection: CommonQueryMethods, chargebackId: string): Promise<readonly z.infer<typeof chargebackStepRow>[]> {
  return connection.any(sql.type(chargebackStepRow)`
    SELECT sequence, step, note, recorded_by, recorded_at FROM chargeback_steps WHERE chargeback_id = ${chargebackId} ORDER BY sequence`);
}

/** Each commission reversed at open and what the outcome gave back; with `partnerId`, only that partner's. */
export async function chargebackReversals(
  connection: CommonQueryMethods,
  chargebackId: string,
  partnerId: string | null = null,
): Promise<readonly z.infer<typeof chargebackReversalRow>[]> {
  return connection.any(sql.type(chargebackReversalRow)`
    SELECT commission_id::text AS commission_id, partner_id, level, status_before, amount::text AS amount, currency,
           recredited::text AS recredited, recredit_status
    FROM chargeback_reversals
    WHERE chargeback_id = ${chargebackId} ${partnerId === null ? sql.fragment`` : sql.fragment`AND partner_id = ${partnerId}`}
    ORDER BY level, commission_id`);
}

/** The admins who manage chargebacks: told when one opens, escalates or is decided. */
export const chargebackManagers = permissions['chargebacks.manage'];

/** An amount for a notice: the currency's decimals and its code ("12.50 USD"). */
export const money = (amount: string | Money, currency: string) => `${formatMoney(new Money(amount).toDecimalPlaces(currencyScale(currency)), currency)} ${currency}`;

/** What the lifecycle's steps that move money need. */
export interface ChargebackLedgerDependencies {
  database: Database;
  ledger: LedgerStore;
}
