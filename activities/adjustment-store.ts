import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../db/pool.ts';
import {
  bulkApprovalTier,
  bulkItemAmount,
  needsSeniorApproval,
  seniorAdjustmentRoles,
  type AdjustmentActor,
  type BulkAmountKind,
  type BulkApprovalTier,
  type BulkDirection,
  type ManualCommissionStatus,
  type ManualCommissionType,
} from '../domain/adjustment.ts';
import type { AdminRole } from '../domain/access.ts';
import type { AdjustmentPolicy } from '../domain/lifecycle-policy.ts';
import { Money, formatMoney } from '../domain/money.ts';
import { rubEquivalent } from '../domain/payout.ts';
import { appendAuditRecord } from '../modules/audit/audit-store.ts';
import { enqueueNotification } from './notifications.ts';

/**
 * Recording adjustments before their workflows run: a manual commission's request (with its RUB value and whether a
 * senior admin must approve), and a bulk adjustment with its targets resolved and every partner's amount fixed
 * (the preview is what the approver approves and what executes).
 */

/** A refusal of the request, naming the field; nothing was written. */
export class AdjustmentInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const rateRow = z.object({ currency: z.string(), usd_rate: z.string() });

/** The RUB-equivalent of an amount at the latest rates in force (as payouts judge their approval chain). */
export async function amountInRub(connection: CommonQueryMethods, amount: string, currency: string): Promise<string | null> {
  const rows = await connection.any(sql.type(rateRow)`
    SELECT DISTINCT ON (currency) currency, usd_rate::text AS usd_rate
    FROM fx_rates WHERE currency = ANY(${sql.array([currency, 'RUB'], 'text')}) AND effective_at <= now()
    ORDER BY currency, effective_at DESC`);
  return rubEquivalent(amount, currency, {
    currency: rows.find((row) => row.currency === currency)?.usd_rate ?? null,
    rub: rows.find((row) => row.currency === 'RUB')?.usd_rate ?? null,
  });
}

export interface ManualAdjustmentInput {
  adjustmentId: string;
  partnerId: string;
  type: ManualCommissionType;
  amount: string;
  currency: string;
  commissionStatus: ManualCommissionStatus;
  reason: string;
  period: string | null;
  documentation: { fileName: string; contentType: string; content: Buffer } | null;
  maker: AdjustmentActor;
  ip: string | null;
  policyVersion: number;
  policy: AdjustmentPolicy;
}

/** Records the request (audited ADJUSTMENT_CREATE) and, when a senior admin must approve, tells the seniors. */
export async function recordManualAdjustment(connection: CommonQueryMethods, input: ManualAdjustmentInput): Promise<{ amountRub: string | null; needsSeniorApproval: boolean }> {
  const partner = await connection.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${input.partnerId}`);
  if (!partner) throw new AdjustmentInputError('partner_not_found', `partner ${input.partnerId} does not exist`, 'body.partnerId');
  const amountRub = await amountInRub(connection, input.amount, input.currency);
  const senior = needsSeniorApproval(amountRub, input.policy);
  const documentation = input.documentation;
  await connection.query(sql.unsafe`
    INSERT INTO adjustments (id, partner_id, type, amount, currency, amount_rub, commission_status, reason, period, status,
                             needs_senior_approval, created_by, created_role, documentation_name, documentation_type,
                             documentation, documentation_sha256, policy_version)
    VALUES (${input.adjustmentId}, ${input.partnerId}, ${input.type}, ${input.amount}, ${input.currency}, ${amountRub},
            ${input.commissionStatus}, ${input.reason}, ${input.period}, 'AWAITING_APPROVAL', ${senior}, ${input.maker.userId},
            ${input.maker.role}, ${documentation?.fileName ?? null}, ${documentation?.contentType ?? null},
            ${documentation ? sql.binary(documentation.content) : null},
            ${documentation ? sql.binary(createHash('sha256').update(documentation.content).digest()) : null}, ${input.policyVersion})`);
  await appendAuditRecord(connection, {
    action: 'ADJUSTMENT_CREATE', actor: input.maker.userId, targetType: 'adjustment', targetId: input.adjustmentId,
    amount: formatMoney(input.amount, input.currency), currency: input.currency, reason: input.reason, ip: input.ip,
    details: { partnerId: input.partnerId, type: input.type, commissionStatus: input.commissionStatus, amountRub, needsSeniorApproval: senior, documentation: documentation?.fileName ?? null },
  });
  if (senior) {
    await enqueueNotification(connection, {
      dedupeKey: `adjustment-approval:${input.adjustmentId}`,
      kind: 'ADJUSTMENT_APPROVAL_REQUESTED',
      recipient: { kind: 'admin_role', roles: seniorAdjustmentRoles, excludeUserIds: [input.maker.userId] },
      subject: `Manual commission ${formatMoney(input.amount, input.currency)} ${input.currency} awaits your approval`,
      text: `Adjustment ${input.adjustmentId}: ${input.type} of ${formatMoney(input.amount, input.currency)} ${input.currency} ` +
        `to partner ${input.partnerId} (≈ ${amountRub ?? 'unknown'} RUB).\nReason: ${input.reason}\nApprove: POST /v1/adjustments/${input.adjustmentId}/approve`,
    });
  }
  return { amountRub, needsSeniorApproval: senior };
}

export type BulkTarget =
  | { kind: 'IDS'; partnerIds: string[] }
  | { kind: 'FILTER'; ranks?: string[]; statuses?: string[]; joinedFrom?: string; joinedTo?: string }
  | { kind: 'CSV'; rows: { partnerId: string; amount: string | null; line: number }[] };

export interface BulkAdjustmentInput {
  bulkId: string;
  direction: BulkDirection;
  amountKind: BulkAmountKind;
  /** FIXED: the amount per partner (a CSV line's own amount wins); PERCENTAGE: percent of `available`. */
  value: string | null;
  currency: string;
  reason: string;
  period: string | null;
  target: BulkTarget;
  maker: AdjustmentActor;
  ip: string | null;
  policyVersion: number;
  policy: AdjustmentPolicy;
}

export interface BulkAdjustmentCreated {
  partners: number;
  affected: number;
  totalImpact: string;
  totalImpactRub: string | null;
  tier: BulkApprovalTier;
  approverRoles: AdminRole[];
}

const insertChunk = 10_000;

/**
 * Resolves the targets, fixes each partner's amount (percentages on the `available` balance now, ROUND_FLOOR to
 * cents) and the approval tier by total impact, and writes it all in the caller's transaction. Items that cannot
 * apply are SKIPPED already here (ZERO_AMOUNT; REMOVE beyond `available`: INSUFFICIENT_AVAILABLE) and left out of
 * the total impact, so the preview's total is what executes when balances do not move in between.
 */
export async function recordBulkAdjustment(connection: CommonQueryMethods, input: BulkAdjustmentInput): Promise<BulkAdjustmentCreated> {
  const targets = await resolveTargets(connection, input);
  if (targets.length === 0) throw new AdjustmentInputError('no_partners', 'the target selects no partner', 'body.target');
  const available = new Map<string, string>();
  if (input.amountKind === 'PERCENTAGE' || input.direction === 'REMOVE') {
    for (let start = 0; start < targets.length; start += insertChunk) {
      const ids = targets.slice(start, start + insertChunk).map((target) => target.partnerId);
      const rows = await connection.any(sql.type(z.object({ owner_id: z.string(), balance: z.string() }))`
        SELECT a.owner_id, sum(b.balance)::text AS balance FROM accounts a JOIN account_balances b ON b.account_id = a.id
        WHERE a.owner_type = 'partner' AND a.bucket = 'available' AND a.currency = ${input.currency}
          AND a.owner_id = ANY(${sql.array(ids, 'text')})
        GROUP BY a.owner_id`);
      for (const row of rows) available.set(row.owner_id, row.balance);
    }
  }
  const items = targets.map((target) => {
    const balance = available.get(target.partnerId) ?? '0';
    const amount = bulkItemAmount(input.amountKind, target.amount ?? input.value ?? '0', balance, input.currency);
    const skip = !amount.gt(0) ? 'ZERO_AMOUNT' : input.direction === 'REMOVE' && amount.gt(balance) ? 'INSUFFICIENT_AVAILABLE' : null;
    return { partnerId: target.partnerId, amount: formatMoney(amount, input.currency), skip };
  });
  const total = items.filter((item) => item.skip === null).reduce((sum, item) => sum.plus(item.amount), new Money(0));
  const affected = items.filter((item) => item.skip === null).length;
  const totalImpact = formatMoney(total, input.currency);
  const totalImpactRub = await amountInRub(connection, totalImpact, input.currency);
  const { tier, roles } = bulkApprovalTier(totalImpactRub, input.policy);

  const targetDocument = input.target.kind === 'CSV' ? { kind: 'CSV', lines: input.target.rows.length } : input.target.kind === 'IDS' ? { kind: 'IDS', count: input.target.partnerIds.length } : input.target;
  await connection.query(sql.unsafe`
    INSERT INTO bulk_adjustments (id, direction, amount_kind, value, currency, reason, period, target_kind, target, status, partners,
                                  affected, total_impact, total_impact_rub, tier, approver_roles, created_by, created_role, policy_version)
    VALUES (${input.bulkId}, ${input.direction}, ${input.amountKind}, ${input.value}, ${input.currency}, ${input.reason}, ${input.period},
            ${input.target.kind}, ${sql.jsonb(targetDocument as never)}, 'AWAITING_APPROVAL', ${items.length}, ${affected}, ${total.toFixed()},
            ${totalImpactRub}, ${tier}, ${sql.array(roles, 'text')}, ${input.maker.userId}, ${input.maker.role}, ${input.policyVersion})`);
  for (let start = 0; start < items.length; start += insertChunk) {
    const slice = items.slice(start, start + insertChunk);
    await connection.query(sql.unsafe`
      INSERT INTO bulk_adjustment_items (bulk_id, seq, partner_id, amount, status, skip_reason, processed_at)
      SELECT ${input.bulkId}, u.seq, u.partner_id, u.amount, CASE WHEN u.skip IS NULL THEN 'PENDING' ELSE 'SKIPPED' END, u.skip,
             CASE WHEN u.skip IS NULL THEN NULL ELSE now() END
      FROM unnest(${sql.array(slice.map((_, index) => start + index), 'int4')}, ${sql.array(slice.map((item) => item.partnerId), 'text')},
                  ${sql.array(slice.map((item) => item.amount), 'numeric')}, ${sql.array(slice.map((item) => item.skip), 'text')})
           AS u(seq, partner_id, amount, skip)`);
  }
  const skippedAtCreation = items.length - affected;
  if (skippedAtCreation > 0) {
    await connection.query(sql.unsafe`
      UPDATE bulk_adjustments SET processed = ${skippedAtCreation}, skipped = ${skippedAtCreation} WHERE id = ${input.bulkId}`);
  }
  await appendAuditRecord(connection, {
    action: 'BULK_ADJUSTMENT_CREATE', actor: input.maker.userId, targetType: 'bulk_adjustment', targetId: input.bulkId,
    amount: totalImpact, currency: input.currency, reason: input.reason, ip: input.ip,
    details: { direction: input.direction, amountKind: input.amountKind, value: input.value, target: targetDocument, partners: items.length, affected, totalImpactRub, tier },
  });
  await enqueueNotification(connection, {
    dedupeKey: `bulk-adjustment-approval:${input.bulkId}`,
    kind: 'ADJUSTMENT_APPROVAL_REQUESTED',
    recipient: { kind: 'admin_role', roles, excludeUserIds: [input.maker.userId] },
    subject: `Bulk adjustment of ${totalImpact} ${input.currency} (${affected} partners) awaits approval`,
    text: `Bulk adjustment ${input.bulkId}: ${input.direction} ${input.amountKind === 'FIXED' ? `${input.value ?? 'per CSV line'} ${input.currency}` : `${input.value}% of available`} ` +
      `for ${affected} partner(s), total ${totalImpact} ${input.currency} (≈ ${totalImpactRub ?? 'unknown'} RUB, tier ${tier}).\n` +
      `Reason: ${input.reason}\nPreview: GET /v1/bulk-adjustments/${input.bulkId}/preview`,
  });
  return { partners: items.length, affected, totalImpact, totalImpactRub, tier, approverRoles: roles };
}

async function resolveTargets(connection: CommonQueryMethods, input: BulkAdjustmentInput): Promise<{ partnerId: string; amount: string | null }[]> {
  const target = input.target;
  if (target.kind === 'FILTER') {
    const conditions = [sql.fragment`TRUE`];
    if (target.ranks?.length) conditions.push(sql.fragment`rank = ANY(${sql.array(target.ranks, 'text')})`);
    conditions.push(sql.fragment`status = ANY(${sql.array(target.statuses?.length ? target.statuses : ['ACTIVE'], 'text')})`);
    if (target.joinedFrom) conditions.push(sql.fragment`joined_at >= ${target.joinedFrom}`);
    if (target.joinedTo) conditions.push(sql.fragment`joined_at < ${target.joinedTo}`);
    const ids = await connection.anyFirst(sql.type(z.object({ id: z.string() }))`
      SELECT id FROM partners WHERE ${sql.join(conditions, sql.fragment` AND `)} ORDER BY id`);
    return ids.map((partnerId) => ({ partnerId, amount: null }));
  }
  const rows = target.kind === 'IDS'
    ? target.partnerIds.map((partnerId, index) => ({ partnerId, amount: null, field: `body.target.partnerIds.${index}` }))
    : target.rows.map((row) => ({ partnerId: row.partnerId, amount: row.amount, field: `body.target.csv line ${row.line}` }));
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.partnerId)) throw new AdjustmentInputError('duplicate_partner', `partner ${row.partnerId} is listed twice`, row.field);
    seen.add(row.partnerId);
  }
  const known = new Set<string>();
  for (let start = 0; start < rows.length; start += insertChunk) {
    const ids = rows.slice(start, start + insertChunk).map((row) => row.partnerId);
    for (const id of await connection.anyFirst(sql.type(z.object({ id: z.string() }))`
      SELECT id FROM partners WHERE id = ANY(${sql.array(ids, 'text')})`)) known.add(id);
  }
  const unknown = rows.find((row) => !known.has(row.partnerId));
  if (unknown) throw new AdjustmentInputError('partner_not_found', `partner ${unknown.partnerId} does not exist`, unknown.field);
  if (input.amountKind === 'FIXED' && input.value === null) {
    const missing = rows.find((row) => row.amount === null);
    if (missing) throw new AdjustmentInputError('amount_required', 'a FIXED adjustment needs `value` or an amount on every CSV line', missing.field);
  }
  return rows.map((row) => ({ partnerId: row.partnerId, amount: row.amount }));
}

/** A partner id per line, with an optional amount: `partnerId[,amount]`; a header line `partnerId[,amount]` is skipped. */
export function parseBulkCsv(text: string, currencyScale: number): { partnerId: string; amount: string | null; line: number }[] {
  const rows: { partnerId: string; amount: string | null; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const cells = line.split(',').map((cell) => cell.trim());
    if (index === 0 && /^partner_?id$/i.test(cells[0] ?? '')) continue;
    if (cells.length > 2) throw new AdjustmentInputError('invalid_csv', `line ${index + 1}: expected partnerId[,amount]`, `body.target.csv line ${index + 1}`);
    const [partnerId, amount] = cells as [string, string | undefined];
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(partnerId)) throw new AdjustmentInputError('invalid_csv', `line ${index + 1}: not a partner id`, `body.target.csv line ${index + 1}`);
    if (amount !== undefined && amount !== '') {
      const pattern = new RegExp(`^(0|[1-9]\\d{0,15})(\\.\\d{1,${Math.max(currencyScale, 1)}})?$`);
      if (!pattern.test(amount) || (currencyScale === 0 && amount.includes('.'))) {
        throw new AdjustmentInputError('invalid_csv', `line ${index + 1}: amount must be a non-negative decimal within the currency's scale`, `body.target.csv line ${index + 1}`);
      }
    }
    rows.push({ partnerId, amount: amount === undefined || amount === '' ? null : amount, line: index + 1 });
  }
  return rows;
}

/** A page's filters; `cursor` is the last row's (created_at, id) of the previous page (newest first). */
export interface AdjustmentListFilter {
  status?: string;
  type?: string;
  partnerId?: string;
  /** Only these statuses whatever else is asked (a partner reads POSTED ones only). */
  statusIn?: readonly string[];
  createdBy?: string;
  from?: string;
  /** Exclusive. */
  to?: string;
  cursor?: { cursorTime: string; id: string };
  limit: number;
}

const cursorTime = sql.fragment`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time`;

export const adjustmentListRow = z.object({
  id: z.string(), partner_id: z.string(), type: z.enum(['BONUS', 'ADJUSTMENT', 'OTHER']), amount: z.string(), currency: z.string(),
  amount_rub: z.string().nullable(), commission_status: z.enum(['PENDING', 'APPROVED']), reason: z.string(),
  status: z.enum(['AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED']), needs_senior_approval: z.boolean(), created_by: z.string(),
  decided_by: z.string().nullable(), decided_at: z.date().nullable(), commission_id: z.string().nullable(), created_at: z.date(),
  cursor_time: z.string(),
});
export type AdjustmentListRow = z.infer<typeof adjustmentListRow>;

/** Manual commissions, newest first (created_at, then id), one page. */
export async function listAdjustments(connection: CommonQueryMethods, filter: AdjustmentListFilter): Promise<readonly AdjustmentListRow[]> {
  const conditions = [sql.fragment`TRUE`];
  if (filter.partnerId !== undefined) conditions.push(sql.fragment`partner_id = ${filter.partnerId}`);
  if (filter.statusIn !== undefined) conditions.push(sql.fragment`status = ANY(${sql.array([...filter.statusIn], 'text')})`);
  if (filter.status !== undefined) conditions.push(sql.fragment`status = ${filter.status}`);
  if (filter.type !== undefined) conditions.push(sql.fragment`type = ${filter.type}`);
  if (filter.createdBy !== undefined) conditions.push(sql.fragment`created_by = ${filter.createdBy}::uuid`);
  if (filter.from !== undefined) conditions.push(sql.fragment`created_at >= ${filter.from}::timestamptz`);
  if (filter.to !== undefined) conditions.push(sql.fragment`created_at < ${filter.to}::timestamptz`);
  if (filter.cursor !== undefined) conditions.push(sql.fragment`(created_at, id) < (${filter.cursor.cursorTime}::timestamptz, ${filter.cursor.id}::uuid)`);
  return connection.any(sql.type(adjustmentListRow)`
    SELECT id, partner_id, type, amount::text AS amount, currency, amount_rub::text AS amount_rub, commission_status, reason, status,
           needs_senior_approval, created_by::text AS created_by, decided_by::text AS decided_by, decided_at,
           commission_id::text AS commission_id, created_at, ${cursorTime}
    FROM adjustments WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY created_at DESC, id DESC LIMIT ${filter.limit}`);
}

export const bulkAdjustmentListRow = z.object({
  id: z.string(), direction: z.enum(['ADD', 'REMOVE']), amount_kind: z.enum(['FIXED', 'PERCENTAGE']), value: z.string().nullable(),
  currency: z.string(), target_kind: z.enum(['IDS', 'FILTER', 'CSV']),
  status: z.enum(['AWAITING_APPROVAL', 'EXECUTING', 'COMPLETED', 'REJECTED', 'EXPIRED']), partners: z.number(), affected: z.number(),
  total_impact: z.string(), total_impact_rub: z.string().nullable(), tier: z.enum(['STANDARD', 'SENIOR', 'FINANCE_DIRECTOR']),
  processed: z.number(), applied: z.number(), skipped: z.number(), applied_total: z.string(), created_by: z.string(),
  decided_by: z.string().nullable(), created_at: z.date(), finished_at: z.date().nullable(), cursor_time: z.string(),
});
export type BulkAdjustmentListRow = z.infer<typeof bulkAdjustmentListRow>;

/** Bulk adjustments, newest first (created_at, then id), one page. */
export async function listBulkAdjustments(
  connection: CommonQueryMethods,
  filter: Pick<AdjustmentListFilter, 'status' | 'createdBy' | 'cursor' | 'limit'>,
): Promise<readonly BulkAdjustmentListRow[]> {
  const conditions = [sql.fragment`TRUE`];
  if (filter.status !== undefined) conditions.push(sql.fragment`status = ${filter.status}`);
  if (filter.createdBy !== undefined) conditions.push(sql.fragment`created_by = ${filter.createdBy}::uuid`);
  if (filter.cursor !== undefined) conditions.push(sql.fragment`(created_at, id) < (${filter.cursor.cursorTime}::timestamptz, ${filter.cursor.id}::uuid)`);
  return connection.any(sql.type(bulkAdjustmentListRow)`
    SELECT id, direction, amount_kind, value::text AS value, currency, target_kind, status, partners, affected,
           total_impact::text AS total_impact, total_impact_rub::text AS total_impact_rub, tier, processed, applied, skipped,
           applied_total::text AS applied_total, created_by::text AS created_by, decided_by::text AS decided_by, created_at, finished_at,
           ${cursorTime}
    FROM bulk_adjustments WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY created_at DESC, id DESC LIMIT ${filter.limit}`);
}

export type { Database };
