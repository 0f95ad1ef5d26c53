import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import {
  adjustmentStatuses,
  manualCommissionStatuses,
  manualCommissionTypes,
  needsSeniorApproval,
  seniorAdjustmentRoles,
  type AdjustmentActor,
  type ManualAdjustmentRequest,
  type ManualCommissionStatus,
  type ManualCommissionType,
} from '../../domain/adjustment.ts';
import { DomainError } from '../../domain/errors.ts';
import type { AdjustmentPolicy } from '../../domain/lifecycle-policy.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import type { Policy } from '../../domain/policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { partnerExists } from '../partners/partner-store.ts';
import { amountInRub } from '../policy/fx-rates.ts';
import type { adjustmentWorkflow } from '../../workflows/adjustment.ts';
import { adjustmentWorkflowId } from '../../workflows/adjustment-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';

/**
 * Manual commissions (docs/rules.md#manual-commissions) before and around their workflow: the request recorded with its RUB value and
 * whether a senior admin must approve, `adjustment-<id>` started, and the `adjustments` table read back.
 */

export const adjustmentRow = z.object({
  id: z.string(), partner_id: z.string(), type: z.enum(manualCommissionTypes), amount: z.string(), currency: z.string(),
  amount_rub: z.string().nullable(), commission_status: z.enum(manualCommissionStatuses), reason: z.string(), period: z.string().nullable(),
  status: z.enum(adjustmentStatuses), needs_senior_approval: z.boolean(), created_by: z.string(),
  decided_by: z.string().nullable(), commission_id: z.string().nullable(), entry_id: z.string().nullable(),
  documentation_name: z.string().nullable(), documentation_type: z.string().nullable(), documentation_sha256: z.string().nullable(),
  created_at: z.date(), posted_at: z.date().nullable(),
});
export type AdjustmentRow = z.infer<typeof adjustmentRow>;

const adjustmentColumns = sql.fragment`
  id, partner_id, type, amount, currency, amount_rub, commission_status, reason, period, status, needs_senior_approval,
  created_by::text AS created_by, decided_by::text AS decided_by, commission_id, entry_id, documentation_name, documentation_type,
  encode(documentation_sha256, 'hex') AS documentation_sha256, created_at, posted_at`;

export async function findAdjustment(connection: CommonQueryMethods, adjustmentId: string): Promise<AdjustmentRow | null> {
  return connection.maybeOne(sql.type(adjustmentRow)`SELECT ${adjustmentColumns} FROM adjustments WHERE id = ${adjustmentId}`);
}

/** The supporting documentation uploaded with the adjustment; null when it has none. */
export async function adjustmentDocumentation(connection: CommonQueryMethods, adjustmentId: string): Promise<Buffer | null> {
  return connection.maybeOneFirst(sql.type(z.object({ documentation: z.instanceof(Buffer) }))`
    SELECT documentation FROM adjustments WHERE id = ${adjustmentId} AND documentation IS NOT NULL`);
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

/**
 * Records the request (audited ADJUSTMENT_CREATE) and, when a senior admin must approve, tells the seniors. A
 * partner that does not exist is refused (unprocessable `partner_not_found`); nothing was written.
 */
export async function recordManualAdjustment(connection: CommonQueryMethods, input: ManualAdjustmentInput): Promise<{ amountRub: string | null; needsSeniorApproval: boolean }> {
  if (!(await partnerExists(connection, input.partnerId))) {
    throw new DomainError('unprocessable', 'partner_not_found', `partner ${input.partnerId} does not exist`, 'body.partnerId');
  }
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

/** Starts `adjustment-<id>` for a recorded manual commission, as a request through the API does and the demo data set does. */
export async function startAdjustmentWorkflow(temporal: Client, taskQueue: string, request: ManualAdjustmentRequest, policy: Policy): Promise<void> {
  await temporal.workflow.start<typeof adjustmentWorkflow>('adjustmentWorkflow', {
    workflowId: adjustmentWorkflowId(request.adjustmentId), taskQueue,
    args: [request, { version: policy.version, adjustments: policy.adjustments }],
    typedSearchAttributes: [
      { key: partnerIdKey, value: request.partnerId }, { key: amountKey, value: new Money(request.amount).toNumber() },
      { key: currencyKey, value: request.currency }, { key: statusKey, value: 'AWAITING_APPROVAL' },
    ],
    memo: { summary: `Manual commission ${request.amount} ${request.currency} (${request.type}) to ${request.partnerId}` },
  });
}

/**
 * A manual commission as an admin requests it: recorded (recordManualAdjustment), then `adjustment-<id>` started
 * under the active policy. A workflow that could not be started leaves the adjustment EXPIRED and the request
 * refused as unavailable. Returns the new adjustment's id.
 */
export async function createManualAdjustment(
  { database, temporal, taskQueue }: { database: Database; temporal: Client; taskQueue: string },
  input: Omit<ManualAdjustmentInput, 'adjustmentId' | 'policyVersion' | 'policy'> & { policy: Policy },
): Promise<string> {
  const { policy, ...request } = input;
  const adjustmentId = randomUUID();
  const amount = formatMoney(input.amount, input.currency);
  const recorded = await database.transaction((transaction) => recordManualAdjustment(transaction, {
    ...request, adjustmentId, amount, policyVersion: policy.version, policy: policy.adjustments,
  }));
  const workflowRequest: ManualAdjustmentRequest = {
    adjustmentId, partnerId: input.partnerId, type: input.type, amount, currency: input.currency, commissionStatus: input.commissionStatus,
    needsSeniorApproval: recorded.needsSeniorApproval, maker: input.maker,
  };
  try {
    await startAdjustmentWorkflow(temporal, taskQueue, workflowRequest, policy);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      await database.query(sql.unsafe`
        UPDATE adjustments SET status = 'EXPIRED', decision_reason = 'the workflow could not be started', decided_at = now()
        WHERE id = ${adjustmentId} AND status = 'AWAITING_APPROVAL'`);
      throw new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable; nothing was posted');
    }
  }
  return adjustmentId;
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

export const cursorTime = sql.fragment`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time`;

export const adjustmentListRow = z.object({
  id: z.string(), partner_id: z.string(), type: z.enum(manualCommissionTypes), amount: z.string(), currency: z.string(),
  amount_rub: z.string().nullable(), commission_status: z.enum(manualCommissionStatuses), reason: z.string(),
  status: z.enum(adjustmentStatuses), needs_senior_approval: z.boolean(), created_by: z.string(),
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
