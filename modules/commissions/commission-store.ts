import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { breakdownText, incomeTypeNames, type CommissionBreakdown, type IncomeType, type SourceType } from '../../domain/commission.ts';
import { formatMoney } from '../../domain/money.ts';
import { appendAuditRecords } from '../audit/audit-store.ts';

export interface NewCommission {
  eventId: string | null;
  poolRunId: string | null;
  partnerId: string;
  incomeType: IncomeType;
  level: number;
  sourceType: SourceType | 'POOL';
  base: string;
  rate: string;
  amount: string;
  currency: string;
  releaseAt: Date;
  breakdown: CommissionBreakdown | Record<string, unknown>;
  policyVersion: number;
}

/**
 * Inserts commissions (status PENDING) and their COMMISSION_CREATE audit records in one round trip each, on the
 * caller's connection, inside the transaction that posts their ledger entry (before it, so the balances that
 * entry locks are held for as short a time as possible). Returns ids in input order.
 */
export async function insertCommissions(
  connection: CommonQueryMethods,
  rows: readonly NewCommission[],
  actor: string,
): Promise<string[]> {
  if (rows.length === 0) return [];
  const column = <T>(pick: (row: NewCommission) => T) => rows.map(pick);
  const ids = await connection.manyFirst(sql.type(z.object({ id: z.string() }))`
    INSERT INTO commissions (event_id, pool_run_id, partner_id, income_type, level, source_type, base, rate, amount,
                             currency, status, release_at, breakdown, policy_version)
    SELECT event_id, pool_run_id, partner_id, income_type, level, source_type, base, rate, amount, currency,
           'PENDING', release_at, breakdown, policy_version
    FROM unnest(
      ${sql.array(column((row) => row.eventId), 'int8')}, ${sql.array(column((row) => row.poolRunId), 'int8')},
      ${sql.array(column((row) => row.partnerId), 'text')}, ${sql.array(column((row) => row.incomeType), 'int2')},
      ${sql.array(column((row) => row.level), 'int4')}, ${sql.array(column((row) => row.sourceType), 'text')},
      ${sql.array(column((row) => row.base), 'numeric')}, ${sql.array(column((row) => row.rate), 'numeric')},
      ${sql.array(column((row) => row.amount), 'numeric')}, ${sql.array(column((row) => row.currency), 'text')},
      ${sql.array(column((row) => row.releaseAt.toISOString()), 'timestamptz')},
      ${sql.array(column((row) => JSON.stringify(row.breakdown)), 'jsonb')},
      ${sql.array(column((row) => row.policyVersion), 'int4')}
    ) WITH ORDINALITY AS r(event_id, pool_run_id, partner_id, income_type, level, source_type, base, rate, amount,
                           currency, release_at, breakdown, policy_version, position)
    ORDER BY position
    RETURNING id`);
  await appendAuditRecords(
    connection,
    rows.map((row, index) => ({
      action: 'COMMISSION_CREATE' as const,
      actor,
      targetType: 'commission',
      targetId: ids[index]!,
      amount: row.amount,
      currency: row.currency,
      details: { incomeType: row.incomeType, level: row.level, eventId: row.eventId, poolRunId: row.poolRunId },
    })),
  );
  return [...ids];
}

// ---------------------------------------------------------------------------------------------------------------
// Reads: commissions with their event, one event with its commissions, a commission's history.

const commissionRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  income_type: z.number(),
  level: z.number(),
  source_type: z.string(),
  source_id: z.string().nullable(),
  external_id: z.string().nullable(),
  pool_run_id: z.string().nullable(),
  base: z.string(),
  rate: z.string(),
  amount: z.string(),
  reversed_amount: z.string(),
  currency: z.string(),
  status: z.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']),
  release_at: z.date(),
  created_at: z.date(),
  approved_at: z.date().nullable(),
  paid_at: z.date().nullable(),
  reversed_at: z.date().nullable(),
  policy_version: z.number(),
  breakdown: z.unknown(),
});
type CommissionRow = z.infer<typeof commissionRow>;

const commissionColumns = sql.fragment`
  c.id, c.partner_id, c.income_type, c.level, c.source_type, e.source_id, e.external_id, c.pool_run_id, c.base,
  c.rate, c.amount, c.reversed_amount, c.currency, c.status, c.release_at, c.created_at, c.approved_at, c.paid_at,
  c.reversed_at, c.policy_version, c.breakdown`;

/** A commission as it is shown: amounts at the currency's scale, times as ISO 8601. */
export interface Commission {
  id: string;
  partnerId: string;
  incomeType: number;
  incomeTypeName: string;
  level: number;
  sourceType: string;
  sourceId: string | null;
  eventExternalId: string | null;
  poolRunId: string | null;
  base: string;
  rate: string;
  amount: string;
  reversedAmount: string;
  currency: string;
  status: CommissionRow['status'];
  releaseAt: string;
  createdAt: string;
  approvedAt: string | null;
  paidAt: string | null;
  reversedAt: string | null;
  policyVersion: number;
}

/** A commission with its calculation: the stored figures and the readable sentence. */
export type CommissionWithBreakdown = Commission & { breakdown: Record<string, unknown> };

function toCommission(row: CommissionRow): Commission {
  return {
    id: row.id,
    partnerId: row.partner_id,
    incomeType: row.income_type,
    incomeTypeName: incomeTypeNames[row.income_type as keyof typeof incomeTypeNames],
    level: row.level,
    sourceType: row.source_type,
    sourceId: row.source_id,
    eventExternalId: row.external_id,
    poolRunId: row.pool_run_id,
    base: formatMoney(row.base, row.currency),
    rate: row.rate,
    amount: formatMoney(row.amount, row.currency),
    reversedAmount: formatMoney(row.reversed_amount, row.currency),
    currency: row.currency,
    status: row.status,
    releaseAt: row.release_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    approvedAt: row.approved_at?.toISOString() ?? null,
    paidAt: row.paid_at?.toISOString() ?? null,
    reversedAt: row.reversed_at?.toISOString() ?? null,
    policyVersion: row.policy_version,
  };
}

/** The stored figures plus the readable sentence, rendered here when the row does not carry it. */
function withBreakdown(row: CommissionRow): CommissionWithBreakdown {
  const breakdown = row.breakdown as Record<string, unknown>;
  const text = typeof breakdown.text === 'string' ? breakdown : { ...breakdown, text: breakdownText(row.income_type as IncomeType, row.level, breakdown as unknown as CommissionBreakdown) };
  return { ...toCommission(row), breakdown: text };
}

/** The commission filters in docs/rules.md#commission-list; HELD is one of its statuses. */
export interface CommissionFilter {
  status?: CommissionRow['status'] | 'HELD';
  partnerId?: string;
  sourceType?: string;
  incomeType?: number;
  /** Exact level (1 = the attributed partner). */
  level?: number;
  /** Level at least this. */
  levelMin?: number;
  /** Created at or after, and before (ISO 8601). */
  from?: string;
  to?: string;
  minAmount?: string;
  maxAmount?: string;
  limit: number;
  /** The `next` cursor of the previous page. */
  after?: string;
}

/** Commissions, newest first, a page at a time. */
export async function listCommissions(connection: CommonQueryMethods, filter: CommissionFilter): Promise<{ commissions: Commission[]; next: string | null }> {
  const conditions = [sql.fragment`TRUE`];
  // HELD is a status of the filter in docs/rules.md#commission-list; a commission is never HELD in this model (frozen money sits in
  // the partner's `held` bucket instead), so the filter returns nothing.
  if (filter.status === 'HELD') conditions.push(sql.fragment`FALSE`);
  else if (filter.status) conditions.push(sql.fragment`c.status = ${filter.status}`);
  if (filter.partnerId) conditions.push(sql.fragment`c.partner_id = ${filter.partnerId}`);
  if (filter.sourceType) conditions.push(sql.fragment`c.source_type = ${filter.sourceType}`);
  if (filter.incomeType) conditions.push(sql.fragment`c.income_type = ${filter.incomeType}`);
  if (filter.level) conditions.push(sql.fragment`c.level = ${filter.level}`);
  if (filter.levelMin) conditions.push(sql.fragment`c.level >= ${filter.levelMin}`);
  if (filter.from) conditions.push(sql.fragment`c.created_at >= ${filter.from}`);
  if (filter.to) conditions.push(sql.fragment`c.created_at < ${filter.to}`);
  if (filter.minAmount) conditions.push(sql.fragment`c.amount >= ${filter.minAmount}`);
  if (filter.maxAmount) conditions.push(sql.fragment`c.amount <= ${filter.maxAmount}`);
  if (filter.after) conditions.push(sql.fragment`c.id < ${filter.after}`);
  const rows = await connection.any(sql.type(commissionRow)`
    SELECT ${commissionColumns} FROM commissions c LEFT JOIN commission_events e ON e.id = c.event_id
    WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY c.id DESC LIMIT ${filter.limit + 1}`);
  const page = rows.slice(0, filter.limit);
  return { commissions: page.map(toCommission), next: rows.length > filter.limit ? page.at(-1)!.id : null };
}

/** One commission with its breakdown, or null. */
export async function findCommission(connection: CommonQueryMethods, id: string): Promise<CommissionWithBreakdown | null> {
  const row = await connection.maybeOne(sql.type(commissionRow)`
    SELECT ${commissionColumns} FROM commissions c LEFT JOIN commission_events e ON e.id = c.event_id WHERE c.id = ${id}`);
  return row ? withBreakdown(row) : null;
}

export interface CommissionHistoryRecord {
  action: string;
  at: string;
  actor: string;
  amount: string | null;
  reason: string | null;
  entryId: string | null;
}

const historyRow = z.object({ action: z.string(), created_at: z.date(), actor: z.string(), amount: z.string().nullable(), reason: z.string().nullable(), entry_id: z.string().nullable() });
const partnerRow = z.object({ id: z.string(), name: z.string(), rank: z.string() });

/** What happened to the commission (its audit records, oldest first) and whose it is. */
export async function commissionHistory(
  connection: CommonQueryMethods,
  commission: Pick<Commission, 'id' | 'partnerId'>,
): Promise<{ history: CommissionHistoryRecord[]; partner: z.infer<typeof partnerRow> }> {
  const history = await connection.any(sql.type(historyRow)`
    SELECT action, created_at, actor, amount, reason, entry_id FROM audit_records
    WHERE target_type = 'commission' AND target_id = ${commission.id} ORDER BY id`);
  const partner = await connection.one(sql.type(partnerRow)`
    SELECT id, name, rank FROM partners WHERE id = ${commission.partnerId}`);
  return {
    history: history.map((record) => ({ action: record.action, at: record.created_at.toISOString(), actor: record.actor, amount: record.amount, reason: record.reason, entryId: record.entry_id })),
    partner,
  };
}

const eventRow = z.object({
  id: z.string(), external_id: z.string(), kind: z.string(), source_type: z.string().nullable(), source_id: z.string(),
  partner_id: z.string().nullable(), completed_at: z.date(), original_amount: z.string().nullable(),
  original_currency: z.string().nullable(), fx_rate: z.string().nullable(), base_usd: z.string().nullable(),
  policy_version: z.number().nullable(), commission_count: z.number(), commission_total: z.string(),
  entry_id: z.string().nullable(), cancelled_by: z.string().nullable(), received_at: z.date(),
});

/** One trigger event as recorded: its USD conversion, policy version and commissions. */
export interface CommissionEventDetail {
  id: string;
  externalId: string;
  kind: string;
  sourceType: string | null;
  sourceId: string;
  partnerId: string | null;
  completedAt: string;
  originalAmount: string | null;
  originalCurrency: string | null;
  fxRate: string | null;
  baseUsd: string | null;
  policyVersion: number | null;
  commissionCount: number;
  commissionTotal: string;
  entryId: string | null;
  cancelledByEventId: string | null;
  receivedAt: string;
  commissions: CommissionWithBreakdown[];
}

/** The event the sender named `externalId`, or null. */
export async function findCommissionEvent(connection: CommonQueryMethods, externalId: string): Promise<CommissionEventDetail | null> {
  const event = await connection.maybeOne(sql.type(eventRow)`
    SELECT id, external_id, kind, source_type, source_id, partner_id, completed_at, original_amount, original_currency,
           fx_rate, base_usd, policy_version, commission_count, commission_total, entry_id, cancelled_by, received_at
    FROM commission_events WHERE external_id = ${externalId}`);
  if (!event) return null;
  const commissions = await connection.any(sql.type(commissionRow)`
    SELECT ${commissionColumns} FROM commissions c LEFT JOIN commission_events e ON e.id = c.event_id
    WHERE c.event_id = ${event.id} ORDER BY c.level`);
  return {
    id: event.id, externalId: event.external_id, kind: event.kind, sourceType: event.source_type, sourceId: event.source_id,
    partnerId: event.partner_id, completedAt: event.completed_at.toISOString(), originalAmount: event.original_amount,
    originalCurrency: event.original_currency, fxRate: event.fx_rate, baseUsd: event.base_usd, policyVersion: event.policy_version,
    commissionCount: event.commission_count, commissionTotal: event.commission_total, entryId: event.entry_id,
    cancelledByEventId: event.cancelled_by, receivedAt: event.received_at.toISOString(),
    commissions: commissions.map(withBreakdown),
  };
}
