import { sql, type CommonQueryMethods, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { isActiveAdminWith } from '../identity/identity.ts';
import { DomainError } from '../../domain/errors.ts';
import { decimalPattern } from '../../domain/money.ts';
import type { Rank } from '../../domain/network.ts';
import { isTerminalPayoutStatus } from '../../domain/payout.ts';
import type { PartnerValidationPolicy, PayoutPriority } from '../../domain/payout-policy.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { detailsChangedSinceMany, type DetailsChange } from './details-change.ts';
import { currentInvoices, type InvoiceRow } from './invoices.ts';
import { partnerValidationOfVersion, payoutRecord, payoutRecordColumns, type PayoutRecord, type PayoutRecordStatus } from './payout-store.ts';

/**
 * The payout queue (the columns in docs/rules.md#payout-queue and filters): payouts with their partner's name and rank and whether their
 * SLA is breached, filtered, sorted and paged by keyset; and what a page shows of each payout beyond its row
 * (approvals, details changed, current invoice and confirmation, the partner validation its policy asks for).
 */

/** A payout as the queue lists it: the row, its partner's name and rank, and whether its SLA is breached. */
const queueRow = payoutRecord.extend({
  partner_name: z.string(),
  partner_rank: z.string(),
  sla_breached: z.boolean(),
  sort_key: z.string(),
  partner_validation_due_at: z.date().nullable(),
  partner_validated_by: z.string().nullable(),
  partner_validated_at: z.date().nullable(),
  partner_invoice_id: z.string().nullable(),
});
export type QueueRow = z.infer<typeof queueRow>;

/**
 * SLA breached: an open request past its due time, or a closed one closed after it. A draft (never requested) has
 * no SLA running.
 */
const slaBreachedSql = sql.fragment`(CASE
  WHEN requested_at IS NULL THEN false
  WHEN status IN ('COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED') THEN coalesce(closed_at > sla_due_at, false)
  ELSE now() > sla_due_at END)`;

export const queueSortKeys = ['sla_due_at', 'created_at', 'amount'] as const;
export type QueueSortKey = (typeof queueSortKeys)[number];

const timestampKey = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/** The sort keys of the queue: a column, and how a key's text value is read back (exactly, microseconds kept). */
const sortColumns: Record<QueueSortKey, { column: FragmentSqlToken; valid: RegExp; cast: (key: string) => FragmentSqlToken }> = {
  sla_due_at: { column: sql.fragment`sla_due_at`, valid: timestampKey, cast: (key) => sql.fragment`${key}::timestamptz` },
  created_at: { column: sql.fragment`created_at`, valid: timestampKey, cast: (key) => sql.fragment`${key}::timestamptz` },
  amount: { column: sql.fragment`amount`, valid: decimalPattern, cast: (key) => sql.fragment`${key}::numeric` },
};

/** Whether a key (a row's `sort_key` given out in a cursor) can be a key of the sort. */
export function isQueueSortKey(sort: QueueSortKey, key: string): boolean {
  return sortColumns[sort].valid.test(key);
}

export interface PayoutQueueFilter {
  /** Statuses to list; DRAFT is listed only when asked for. */
  statuses?: PayoutRecordStatus[];
  partnerId?: string;
  methodId?: string;
  priority?: PayoutPriority;
  /** The partner's current rank. */
  rank?: Rank;
  minAmount?: string;
  maxAmount?: string;
  /** Requested at or after, and before (ISO instants). */
  from?: string;
  to?: string;
  /** An admin's user id, or `none`. */
  assignedTo?: string;
  slaBreached?: boolean;
  /** true: the manual review queue (automatic payouts whose provider attempts ran out). */
  needsReview?: boolean;
  /** What the payout's partner sees: only requested payouts, never a draft. */
  partnerView: boolean;
}

export interface PayoutQueuePage {
  sort: QueueSortKey;
  order: 'asc' | 'desc';
  /** The last row of the previous page: its sort key and id. */
  after: { key: string; id: string } | null;
  limit: number;
}

function selectQueueRows(connection: CommonQueryMethods, where: FragmentSqlToken, tail: FragmentSqlToken, sortColumn: FragmentSqlToken = sql.fragment`sla_due_at`) {
  return connection.any(sql.type(queueRow)`
    SELECT ${payoutRecordColumns},
           (SELECT pa.name FROM partners pa WHERE pa.id = payouts.partner_id) AS partner_name,
           (SELECT pa.rank FROM partners pa WHERE pa.id = payouts.partner_id) AS partner_rank,
           ${slaBreachedSql} AS sla_breached,
           ${sortColumn}::text AS sort_key,
           partner_validation_due_at, partner_validated_by, partner_validated_at, partner_invoice_id
    FROM payouts WHERE ${where} ${tail}`);
}

/** One page of the queue and whether more follow. */
export async function listPayoutQueue(
  connection: CommonQueryMethods,
  filter: PayoutQueueFilter,
  page: PayoutQueuePage,
): Promise<{ rows: readonly QueueRow[]; more: boolean }> {
  const conditions = [sql.fragment`TRUE`];
  const statuses = filter.statuses?.filter((status) => !filter.partnerView || status !== 'DRAFT');
  if (statuses) conditions.push(sql.fragment`status = ANY(${sql.array(statuses, 'text')})`);
  // Drafts are an admin's working copies: listed only when asked for by status, and never to their partner.
  if (!statuses?.includes('DRAFT')) conditions.push(sql.fragment`status <> 'DRAFT'`);
  if (filter.partnerView) conditions.push(sql.fragment`requested_at IS NOT NULL`);
  if (filter.partnerId) conditions.push(sql.fragment`partner_id = ${filter.partnerId}`);
  if (filter.methodId) conditions.push(sql.fragment`method_id = ${filter.methodId}`);
  if (filter.priority) conditions.push(sql.fragment`priority = ${filter.priority}`);
  if (filter.rank) conditions.push(sql.fragment`partner_id IN (SELECT id FROM partners WHERE rank = ${filter.rank})`);
  if (filter.minAmount) conditions.push(sql.fragment`amount >= ${filter.minAmount}::numeric`);
  if (filter.maxAmount) conditions.push(sql.fragment`amount <= ${filter.maxAmount}::numeric`);
  if (filter.from) conditions.push(sql.fragment`requested_at >= ${filter.from}::timestamptz`);
  if (filter.to) conditions.push(sql.fragment`requested_at < ${filter.to}::timestamptz`);
  if (filter.assignedTo === 'none') conditions.push(sql.fragment`assigned_to IS NULL`);
  else if (filter.assignedTo) conditions.push(sql.fragment`assigned_to = ${filter.assignedTo}`);
  if (filter.slaBreached !== undefined) conditions.push(filter.slaBreached ? slaBreachedSql : sql.fragment`NOT ${slaBreachedSql}`);
  if (filter.needsReview === true) conditions.push(sql.fragment`needs_review AND status = 'PROCESSING'`);
  if (filter.needsReview === false) conditions.push(sql.fragment`NOT (needs_review AND status = 'PROCESSING')`);
  const sort = sortColumns[page.sort];
  const descending = page.order === 'desc';
  if (page.after) {
    conditions.push(
      descending
        ? sql.fragment`(${sort.column}, id) < (${sort.cast(page.after.key)}, ${page.after.id}::uuid)`
        : sql.fragment`(${sort.column}, id) > (${sort.cast(page.after.key)}, ${page.after.id}::uuid)`,
    );
  }
  const direction = descending ? sql.fragment`DESC` : sql.fragment`ASC`;
  const rows = await selectQueueRows(
    connection,
    sql.fragment`${sql.join(conditions, sql.fragment` AND `)}`,
    sql.fragment`ORDER BY ${sort.column} ${direction}, id ${direction} LIMIT ${page.limit + 1}`,
    sort.column,
  );
  return { rows: rows.slice(0, page.limit), more: rows.length > page.limit };
}

/** The queue rows of the payouts, in no particular order; missing ids are absent. */
export async function findQueueRows(connection: CommonQueryMethods, payoutIds: readonly string[]): Promise<readonly QueueRow[]> {
  if (payoutIds.length === 0) return [];
  return selectQueueRows(connection, sql.fragment`id = ANY(${sql.array([...payoutIds], 'uuid')})`, sql.fragment``);
}

/** One payout as the queue lists it; null when there is no such payout. */
export async function findQueueRow(connection: CommonQueryMethods, payoutId: string): Promise<QueueRow | null> {
  const [row] = await selectQueueRows(connection, sql.fragment`id = ${payoutId}`, sql.fragment``);
  return row ?? null;
}

const approvalRow = z.object({ payout_id: z.string(), approver_id: z.string(), role: z.string(), decision: z.enum(['APPROVE', 'REJECT']), step: z.number().nullable(), decided_at: z.date() });
export type PayoutApprovalRow = z.infer<typeof approvalRow>;
const confirmationSummaryRow = z.object({
  id: z.string(), payout_id: z.string(), file_name: z.string(), sha256: z.string(), uploaded_by: z.string(), uploaded_at: z.date(),
});
export type ConfirmationSummaryRow = z.infer<typeof confirmationSummaryRow>;

/** What a page shows of one payout beyond its queue row. */
export interface PayoutFacts {
  approvals: PayoutApprovalRow[];
  detailsChanged: DetailsChange;
  /** The current invoice and the current confirmation file; null when none. */
  invoice: InvoiceRow | null;
  confirmation: ConfirmationSummaryRow | null;
  /** What the policy version the payout was requested under asks of its partner. */
  partnerValidation: PartnerValidationPolicy;
}

/** The facts of each payout of a page, read for the whole page at once, in the rows' order. */
export async function payoutFacts(dependencies: { database: Database; policies: PolicyStore }, rows: readonly QueueRow[]): Promise<PayoutFacts[]> {
  if (rows.length === 0) return [];
  const { database } = dependencies;
  const payoutIds = rows.map((row) => row.id);
  const ids = sql.array(payoutIds, 'uuid');
  const approvals = await database.any(sql.type(approvalRow)`
    SELECT payout_id, approver_id, role, decision, step, decided_at FROM payout_approvals
    WHERE payout_id = ANY(${ids}) ORDER BY decided_at, approver_id`);
  const changes = await detailsChangedSinceMany(database, payoutIds);
  const invoices = await currentInvoices(database, payoutIds);
  const confirmations = new Map(
    (
      await database.any(sql.type(confirmationSummaryRow)`
        SELECT DISTINCT ON (payout_id) id::text, payout_id, file_name, sha256, uploaded_by, uploaded_at FROM payout_confirmations
        WHERE payout_id = ANY(${ids}) ORDER BY payout_id, id DESC`)
    ).map((row) => [row.payout_id, row]),
  );
  // Whether a payout waits for its partner is decided by the policy version it was requested under.
  const versions = new Map<number, PartnerValidationPolicy>();
  for (const version of new Set(rows.map((row) => row.policy_version))) versions.set(version, await partnerValidationOfVersion(dependencies, version));
  return rows.map((row) => ({
    approvals: approvals.filter((approval) => approval.payout_id === row.id),
    detailsChanged: changes.get(row.id) ?? { changedFields: [], previousPayoutId: null },
    invoice: invoices.get(row.id) ?? null,
    confirmation: confirmations.get(row.id) ?? null,
    partnerValidation: versions.get(row.policy_version)!,
  }));
}

/**
 * The "Assigned To" in docs/rules.md#payout-queue: assigns an open payout (or a draft) to an admin who works the payout queue, or removes
 * the assignment (`assigneeId` null).
 */
export async function assignPayout(database: Database, payout: Pick<PayoutRecord, 'id' | 'status'>, assigneeId: string | null): Promise<void> {
  if (payout.status !== 'DRAFT' && isTerminalPayoutStatus(payout.status)) throw new DomainError('conflict', 'invalid_state', `the payout is ${payout.status}`, 'status');
  if (assigneeId !== null) {
    if (!(await isActiveAdminWith(database, assigneeId, 'payouts.approve'))) {
      throw new DomainError('unprocessable', 'invalid_assignee', 'the assignee must be an active admin who works the payout queue', 'body.userId');
    }
  }
  await database.query(sql.unsafe`
    UPDATE payouts SET assigned_to = ${assigneeId}, assigned_at = ${assigneeId === null ? null : sql.fragment`now()`}, updated_at = now()
    WHERE id = ${payout.id}`);
}
