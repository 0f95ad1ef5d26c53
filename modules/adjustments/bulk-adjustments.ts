import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { AdminRole } from '../../domain/access.ts';
import {
  bulkAdjustmentStatuses,
  bulkAmountKinds,
  bulkApprovalTier,
  bulkApprovalTiers,
  bulkDirections,
  bulkItemAmount,
  bulkTargetKinds,
  type AdjustmentActor,
  type BulkAdjustmentRequest,
  type BulkAmountKind,
  type BulkApprovalTier,
  type BulkDirection,
} from '../../domain/adjustment.ts';
import { csvRecord } from '../../domain/csv.ts';
import { DomainError } from '../../domain/errors.ts';
import type { AdjustmentPolicy } from '../../domain/lifecycle-policy.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import type { Policy } from '../../domain/policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { amountInRub } from '../policy/fx-rates.ts';
import type { bulkAdjustmentWorkflow } from '../../workflows/bulk-adjustment.ts';
import { bulkAdjustmentWorkflowId } from '../../workflows/adjustment-messages.ts';
import { amountKey, currencyKey, statusKey } from '../../workflows/search-attributes.ts';
import { cursorTime, type AdjustmentListFilter } from './manual-adjustments.ts';

/**
 * Bulk adjustments (docs/rules.md#bulk-adjustments) before and around their workflow: the targets resolved and every partner's amount
 * fixed when it is created (the preview is what the approver approves and what executes), `bulk-adjustment-<id>`
 * started, and the `bulk_adjustments` table and its items read back (list, preview, results report).
 */

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
  if (targets.length === 0) throw new DomainError('unprocessable', 'no_partners', 'the target selects no partner', 'body.target');
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
    if (seen.has(row.partnerId)) throw new DomainError('unprocessable', 'duplicate_partner', `partner ${row.partnerId} is listed twice`, row.field);
    seen.add(row.partnerId);
  }
  const known = new Set<string>();
  for (let start = 0; start < rows.length; start += insertChunk) {
    const ids = rows.slice(start, start + insertChunk).map((row) => row.partnerId);
    for (const id of await connection.anyFirst(sql.type(z.object({ id: z.string() }))`
      SELECT id FROM partners WHERE id = ANY(${sql.array(ids, 'text')})`)) known.add(id);
  }
  const unknown = rows.find((row) => !known.has(row.partnerId));
  if (unknown) throw new DomainError('unprocessable', 'partner_not_found', `partner ${unknown.partnerId} does not exist`, unknown.field);
  if (input.amountKind === 'FIXED' && input.value === null) {
    const missing = rows.find((row) => row.amount === null);
    if (missing) throw new DomainError('unprocessable', 'amount_required', 'a FIXED adjustment needs `value` or an amount on every CSV line', missing.field);
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
    if (cells.length > 2) throw new DomainError('unprocessable', 'invalid_csv', `line ${index + 1}: expected partnerId[,amount]`, `body.target.csv line ${index + 1}`);
    const [partnerId, amount] = cells as [string, string | undefined];
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(partnerId)) throw new DomainError('unprocessable', 'invalid_csv', `line ${index + 1}: not a partner id`, `body.target.csv line ${index + 1}`);
    if (amount !== undefined && amount !== '') {
      const pattern = new RegExp(`^(0|[1-9]\\d{0,15})(\\.\\d{1,${Math.max(currencyScale, 1)}})?$`);
      if (!pattern.test(amount) || (currencyScale === 0 && amount.includes('.'))) {
        throw new DomainError('unprocessable', 'invalid_csv', `line ${index + 1}: amount must be a non-negative decimal within the currency's scale`, `body.target.csv line ${index + 1}`);
      }
    }
    rows.push({ partnerId, amount: amount === undefined || amount === '' ? null : amount, line: index + 1 });
  }
  return rows;
}

export const bulkAdjustmentListRow = z.object({
  id: z.string(), direction: z.enum(bulkDirections), amount_kind: z.enum(bulkAmountKinds), value: z.string().nullable(),
  currency: z.string(), target_kind: z.enum(bulkTargetKinds),
  status: z.enum(bulkAdjustmentStatuses), partners: z.number(), affected: z.number(),
  total_impact: z.string(), total_impact_rub: z.string().nullable(), tier: z.enum(bulkApprovalTiers),
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

export const bulkAdjustmentRow = z.object({
  id: z.string(), direction: z.enum(bulkDirections), amount_kind: z.enum(bulkAmountKinds), value: z.string().nullable(), currency: z.string(),
  reason: z.string(), period: z.string().nullable(), target_kind: z.enum(bulkTargetKinds), target: z.record(z.string(), z.any()),
  status: z.enum(bulkAdjustmentStatuses), partners: z.number(), affected: z.number(),
  total_impact: z.string(), total_impact_rub: z.string().nullable(), tier: z.enum(bulkApprovalTiers),
  approver_roles: z.array(z.string()), created_by: z.string(), decided_by: z.string().nullable(), processed: z.number(),
  applied: z.number(), skipped: z.number(), applied_total: z.string(), created_at: z.date(), started_at: z.date().nullable(),
  finished_at: z.date().nullable(),
});
export type BulkAdjustmentRow = z.infer<typeof bulkAdjustmentRow>;

const bulkColumns = sql.fragment`
  id, direction, amount_kind, value, currency, reason, period, target_kind, target, status, partners, affected, total_impact,
  total_impact_rub, tier, approver_roles, created_by::text AS created_by, decided_by::text AS decided_by, processed, applied, skipped,
  applied_total, created_at, started_at, finished_at`;

export async function findBulkAdjustment(connection: CommonQueryMethods, bulkId: string): Promise<BulkAdjustmentRow | null> {
  return connection.maybeOne(sql.type(bulkAdjustmentRow)`SELECT ${bulkColumns} FROM bulk_adjustments WHERE id = ${bulkId}`);
}

/** Starts `bulk-adjustment-<id>` for a recorded bulk adjustment, awaiting the approval its tier requires. */
export async function startBulkAdjustmentWorkflow(
  temporal: Client,
  taskQueue: string,
  request: BulkAdjustmentRequest,
  created: { direction: BulkDirection; affected: number; tier: BulkApprovalTier },
  policy: Policy,
): Promise<void> {
  await temporal.workflow.start<typeof bulkAdjustmentWorkflow>('bulkAdjustmentWorkflow', {
    workflowId: bulkAdjustmentWorkflowId(request.bulkId), taskQueue,
    args: [request, { version: policy.version, adjustments: policy.adjustments }, null],
    typedSearchAttributes: [
      { key: amountKey, value: new Money(request.totalImpact).toNumber() }, { key: currencyKey, value: request.currency },
      { key: statusKey, value: 'AWAITING_APPROVAL' },
    ],
    memo: { summary: `Bulk adjustment ${created.direction} ${request.totalImpact} ${request.currency} over ${created.affected} partners (tier ${created.tier})` },
  });
}

/**
 * A bulk adjustment as an admin requests it: recorded (recordBulkAdjustment, every partner's amount fixed), then
 * `bulk-adjustment-<id>` started under the active policy to wait for its approval. `value` is as the request gave
 * it (FIXED: an amount, PERCENTAGE: a percentage; null: each CSV line's own amount). A workflow that could not be
 * started leaves the bulk adjustment EXPIRED and the request refused as unavailable. Returns the new id.
 */
export async function createBulkAdjustment(
  { database, temporal, taskQueue }: { database: Database; temporal: Client; taskQueue: string },
  input: Omit<BulkAdjustmentInput, 'bulkId' | 'policyVersion' | 'policy'> & { policy: Policy },
): Promise<string> {
  const { policy, ...request } = input;
  const bulkId = randomUUID();
  const value = input.value === null ? null : input.amountKind === 'FIXED' ? formatMoney(input.value, input.currency) : new Money(input.value).toFixed();
  const created = await database.transaction((transaction) => recordBulkAdjustment(transaction, {
    ...request, bulkId, value, policyVersion: policy.version, policy: policy.adjustments,
  }));
  const workflowRequest: BulkAdjustmentRequest = {
    bulkId, partners: created.partners, totalImpact: created.totalImpact, currency: input.currency, approverRoles: created.approverRoles,
    // The maker's client address rides in the workflow input (docs/rules.md#audit-trail): the execution's postings are the maker's.
    maker: input.ip ? { ...input.maker, ip: input.ip } : input.maker,
  };
  try {
    await startBulkAdjustmentWorkflow(temporal, taskQueue, workflowRequest, { direction: input.direction, ...created }, policy);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      await database.query(sql.unsafe`
        UPDATE bulk_adjustments SET status = 'EXPIRED', decision_reason = 'the workflow could not be started', decided_at = now(), finished_at = now()
        WHERE id = ${bulkId} AND status = 'AWAITING_APPROVAL'`);
      throw new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable; nothing will be applied');
    }
  }
  return bulkId;
}

const previewItemRow = z.object({ partner_id: z.string(), amount: z.string(), status: z.string(), skip_reason: z.string().nullable() });

/** Items `offset` to `offset + limit - 1` of the preview, and how many items are SKIPPED in all. */
export async function bulkAdjustmentPreviewItems(
  connection: CommonQueryMethods,
  bulkId: string,
  page: { offset: number; limit: number },
): Promise<{ items: readonly z.infer<typeof previewItemRow>[]; skipped: number }> {
  const items = await connection.any(sql.type(previewItemRow)`
    SELECT partner_id, amount, status, skip_reason FROM bulk_adjustment_items WHERE bulk_id = ${bulkId} AND seq >= ${page.offset} ORDER BY seq LIMIT ${page.limit}`);
  const skipped = await connection.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM bulk_adjustment_items WHERE bulk_id = ${bulkId} AND status = 'SKIPPED'`);
  return { items, skipped };
}

const reportItemRow = z.object({
  partner_id: z.string(), amount: z.string(), status: z.string(), applied_amount: z.string().nullable(), skip_reason: z.string().nullable(), entry_id: z.string().nullable(),
});

/** The results report as CSV: one line per partner (applied or skipped, with why), then a line of totals. */
export async function bulkAdjustmentReport(connection: CommonQueryMethods, bulk: BulkAdjustmentRow): Promise<string> {
  const items = await connection.any(sql.type(reportItemRow)`
    SELECT partner_id, amount, status, applied_amount, skip_reason, entry_id FROM bulk_adjustment_items WHERE bulk_id = ${bulk.id} ORDER BY seq`);
  let text = csvRecord(['partner_id', 'planned_amount', 'result', 'applied_amount', 'reason', 'entry_id'], '\n');
  for (const item of items) {
    text += csvRecord([item.partner_id, formatMoney(item.amount, bulk.currency), item.status, item.applied_amount === null ? '' : formatMoney(item.applied_amount, bulk.currency), item.skip_reason ?? '', item.entry_id ?? ''], '\n');
  }
  // The totals line is a comment of known words and numbers; nothing in it comes from a user.
  return `${text}# status ${bulk.status}; partners ${bulk.partners}; applied ${bulk.applied}; skipped ${bulk.skipped}; applied total ${formatMoney(bulk.applied_total, bulk.currency)} ${bulk.currency}; direction ${bulk.direction}\n`;
}
