import { randomUUID } from 'node:crypto';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  ApplicationFailure,
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { sql } from 'slonik';
import { z as zod } from 'zod';
import {
  AdjustmentInputError,
  listAdjustments,
  listBulkAdjustments,
  parseBulkCsv,
  recordBulkAdjustment,
  recordManualAdjustment,
  type BulkTarget,
} from '../../activities/adjustment-store.ts';
import { ClawbackRefusal, clawbackCommission } from '../../activities/adjustments.ts';
import type { AdminRole } from '../../domain/access.ts';
import {
  bulkAmountKinds,
  bulkDirections,
  manualCommissionStatuses,
  manualCommissionTypes,
  seniorAdjustmentRoles,
  type AdjustmentActor,
  type BulkAdjustmentRequest,
  type ManualAdjustmentRequest,
} from '../../domain/adjustment.ts';
import { Money, currencyScale, fitsScale, formatMoney } from '../../domain/money.ts';
import { ranks, partnerStatuses } from '../../domain/network.ts';
import type { Policy } from '../../domain/policy.ts';
import type { adjustmentWorkflow } from '../../workflows/adjustment.ts';
import { type AdjustmentRefusal, adjustmentRefusedType, adjustmentWorkflowId, approveAdjustmentUpdate, approveBulkAdjustmentUpdate, bulkAdjustmentWorkflowId, rejectAdjustmentUpdate, rejectBulkAdjustmentUpdate } from '../../workflows/adjustment-messages.ts';
import type { bulkAdjustmentWorkflow } from '../../workflows/bulk-adjustment.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountSchema, bearerSecurity, currencySchema, errorResponse, partnerIdSchema, refineAmountScale } from '../schemas.ts';

/**
 * Adjustments (SPEC 10): manual commissions (`adjustment-<id>`), clawbacks of a commission, and bulk adjustments
 * (`bulk-adjustment-<id>`) with their preview, approval by total impact and results report.
 */


const documentationMaxBytes = 5 * 1024 * 1024;
const totpHeaders = z.object({
  'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }),
  'idempotency-key': z.string().optional(),
});
const idParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed (permission, maker–checker, or approval tier)'),
};

const createAdjustmentBody = z
  .object({
    partnerId: partnerIdSchema,
    type: z.enum(manualCommissionTypes),
    amount: amountSchema.refine((value) => new Money(value).gt(0), 'a manual commission is positive'),
    currency: currencySchema,
    reason: z.string().trim().min(1).max(1000).openapi({ description: 'Mandatory (source 000)' }),
    status: z.enum(manualCommissionStatuses).openapi({ description: 'PENDING: normal hold and release; APPROVED: paid by the next pay batch' }),
    period: z.string().trim().min(1).max(40).optional().openapi({ description: 'Period assignment, e.g. "2026-11"' }),
    documentation: z
      .object({
        fileName: z.string().trim().min(1).max(200),
        contentType: z.string().min(1).max(100),
        contentBase64: z.string().min(1).max(Math.ceil((documentationMaxBytes * 4) / 3) + 4),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine(refineAmountScale)
  .openapi('CreateAdjustmentRequest');

const adjustmentSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    workflowUrl: z.string().nullable(),
    partnerId: z.string(),
    type: z.enum(manualCommissionTypes),
    amount: z.string(),
    currency: z.string(),
    amountRub: z.string().nullable(),
    commissionStatus: z.enum(manualCommissionStatuses),
    reason: z.string(),
    period: z.string().nullable(),
    status: z.enum(['AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED']),
    needsSeniorApproval: z.boolean(),
    createdBy: z.string(),
    decidedBy: z.string().nullable(),
    commissionId: z.string().nullable(),
    entryId: z.string().nullable(),
    documentation: z.object({ fileName: z.string(), contentType: z.string(), sha256: z.string() }).nullable(),
    createdAt: z.string(),
    postedAt: z.string().nullable(),
  })
  .openapi('Adjustment');

const adjustmentRow = zod.object({
  id: zod.string(), partner_id: zod.string(), type: zod.enum(manualCommissionTypes), amount: zod.string(), currency: zod.string(),
  amount_rub: zod.string().nullable(), commission_status: zod.enum(manualCommissionStatuses), reason: zod.string(), period: zod.string().nullable(),
  status: zod.enum(['AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED']), needs_senior_approval: zod.boolean(), created_by: zod.string(),
  decided_by: zod.string().nullable(), commission_id: zod.string().nullable(), entry_id: zod.string().nullable(),
  documentation_name: zod.string().nullable(), documentation_type: zod.string().nullable(), documentation_sha256: zod.string().nullable(),
  created_at: zod.date(), posted_at: zod.date().nullable(),
});
const adjustmentColumns = sql.fragment`
  id, partner_id, type, amount, currency, amount_rub, commission_status, reason, period, status, needs_senior_approval,
  created_by::text AS created_by, decided_by::text AS decided_by, commission_id, entry_id, documentation_name, documentation_type,
  encode(documentation_sha256, 'hex') AS documentation_sha256, created_at, posted_at`;

const decisionBody = z.object({ reason: z.string().trim().min(1).max(1000).optional() }).strict().openapi('AdjustmentDecision');
const rejectionBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict().openapi('AdjustmentRejection');

const clawbackBody = z
  .object({
    amount: amountSchema.refine((value) => new Money(value).gt(0), 'a clawback is positive').optional().openapi({ description: 'Absent: the full remaining amount' }),
    reason: z.string().trim().min(1).max(1000),
  })
  .strict()
  .openapi('ClawbackRequest');
const clawbackSchema = z
  .object({
    clawbackId: z.string(), commissionId: z.string(), amount: z.string(), currency: z.string(), full: z.boolean(),
    statusBefore: z.string(), commissionStatus: z.string(), entryId: z.string(),
  })
  .openapi('Clawback');

const bulkTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('IDS'), partnerIds: z.array(partnerIdSchema).min(1).max(200_000) }).strict(),
  z.object({
    kind: z.literal('FILTER'),
    ranks: z.array(z.enum(ranks)).min(1).optional(),
    statuses: z.array(z.enum(partnerStatuses)).min(1).optional().openapi({ description: 'Default ACTIVE' }),
    joinedFrom: z.string().datetime({ offset: true }).optional(),
    joinedTo: z.string().datetime({ offset: true }).optional().openapi({ description: 'Exclusive' }),
  }).strict(),
  z.object({ kind: z.literal('CSV'), csv: z.string().min(1).max(8 * 1024 * 1024).openapi({ description: 'Lines of partnerId[,amount]' }) }).strict(),
]);

const createBulkBody = z
  .object({
    direction: z.enum(bulkDirections),
    amountKind: z.enum(bulkAmountKinds).openapi({ description: 'FIXED: `value` per partner (or each CSV line’s amount); PERCENTAGE: `value` % of the partner’s available balance, ROUND_FLOOR to cents' }),
    value: amountSchema.optional(),
    currency: currencySchema,
    reason: z.string().trim().min(1).max(1000),
    period: z.string().trim().min(1).max(40).optional(),
    target: bulkTargetSchema,
  })
  .strict()
  .superRefine((body, context) => {
    const issue = (message: string) => context.addIssue({ code: z.ZodIssueCode.custom, path: ['value'], message });
    if (body.value === undefined) {
      if (body.amountKind === 'PERCENTAGE' || body.target.kind !== 'CSV') issue(`required for ${body.amountKind}${body.target.kind === 'CSV' ? '' : ` targets by ${body.target.kind}`}`);
      return;
    }
    const value = new Money(body.value);
    if (!value.gt(0)) issue('must be positive');
    if (body.amountKind === 'PERCENTAGE' && value.gt(100)) issue('a percentage is at most 100');
    if (body.amountKind === 'FIXED') refineAmountScale({ amount: body.value, currency: body.currency }, { ...context, addIssue: (issue_) => context.addIssue({ ...issue_, path: ['value'] }) } as z.RefinementCtx);
  })
  .openapi('CreateBulkAdjustmentRequest');

const bulkSchema = z
  .object({
    id: z.string(), workflowId: z.string(), workflowUrl: z.string().nullable(),
    direction: z.enum(bulkDirections), amountKind: z.enum(bulkAmountKinds), value: z.string().nullable(), currency: z.string(),
    reason: z.string(), period: z.string().nullable(), targetKind: z.enum(['IDS', 'FILTER', 'CSV']), target: z.record(z.string(), z.any()),
    status: z.enum(['AWAITING_APPROVAL', 'EXECUTING', 'COMPLETED', 'REJECTED', 'EXPIRED']),
    partners: z.number(), affected: z.number(), totalImpact: z.string(), totalImpactRub: z.string().nullable(),
    tier: z.enum(['STANDARD', 'SENIOR', 'FINANCE_DIRECTOR']), approverRoles: z.array(z.string()),
    createdBy: z.string(), decidedBy: z.string().nullable(),
    progress: z.object({ processed: z.number(), applied: z.number(), skipped: z.number(), appliedTotal: z.string(), percent: z.number() }),
    createdAt: z.string(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(),
  })
  .openapi('BulkAdjustment');

const bulkRow = zod.object({
  id: zod.string(), direction: zod.enum(bulkDirections), amount_kind: zod.enum(bulkAmountKinds), value: zod.string().nullable(), currency: zod.string(),
  reason: zod.string(), period: zod.string().nullable(), target_kind: zod.enum(['IDS', 'FILTER', 'CSV']), target: zod.record(zod.string(), zod.any()),
  status: zod.enum(['AWAITING_APPROVAL', 'EXECUTING', 'COMPLETED', 'REJECTED', 'EXPIRED']), partners: zod.number(), affected: zod.number(),
  total_impact: zod.string(), total_impact_rub: zod.string().nullable(), tier: zod.enum(['STANDARD', 'SENIOR', 'FINANCE_DIRECTOR']),
  approver_roles: zod.array(zod.string()), created_by: zod.string(), decided_by: zod.string().nullable(), processed: zod.number(),
  applied: zod.number(), skipped: zod.number(), applied_total: zod.string(), created_at: zod.date(), started_at: zod.date().nullable(),
  finished_at: zod.date().nullable(),
});
const bulkColumns = sql.fragment`
  id, direction, amount_kind, value, currency, reason, period, target_kind, target, status, partners, affected, total_impact,
  total_impact_rub, tier, approver_roles, created_by::text AS created_by, decided_by::text AS decided_by, processed, applied, skipped,
  applied_total, created_at, started_at, finished_at`;

const previewSchema = z
  .object({
    bulkId: z.string(), partners: z.number(), affected: z.number(), skipped: z.number(), totalImpact: z.string(),
    totalImpactRub: z.string().nullable(), currency: z.string(), tier: z.string(), approverRoles: z.array(z.string()),
    items: z.array(z.object({ partnerId: z.string(), amount: z.string(), status: z.string(), skipReason: z.string().nullable() })),
    offset: z.number(), limit: z.number(), nextOffset: z.number().nullable(),
  })
  .openapi('BulkAdjustmentPreview');

const adjustmentStatuses = ['AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED'] as const;
const bulkStatuses = ['AWAITING_APPROVAL', 'EXECUTING', 'COMPLETED', 'REJECTED', 'EXPIRED'] as const;
const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
};
const createdByQuery = z.string().uuid().optional().openapi({ description: 'The maker (a user id)' });
const listAdjustmentsQuery = z.object({
  status: z.enum(adjustmentStatuses).optional().openapi({ description: 'A partner only ever sees POSTED ones' }),
  type: z.enum(manualCommissionTypes).optional(),
  partnerId: partnerIdSchema.optional().openapi({ description: 'A partner always gets their own' }),
  createdBy: createdByQuery,
  from: z.string().datetime({ offset: true }).optional().openapi({ description: 'created_at at or after' }),
  to: z.string().datetime({ offset: true }).optional().openapi({ description: 'created_at before (exclusive)' }),
  ...pageQuery,
});
const listBulkQuery = z.object({ status: z.enum(bulkStatuses).optional(), createdBy: createdByQuery, ...pageQuery });

const adjustmentListItemSchema = z
  .object({
    id: z.string(), partnerId: z.string(), type: z.enum(manualCommissionTypes), amount: z.string(), currency: z.string(),
    amountRub: z.string().nullable(), commissionStatus: z.enum(manualCommissionStatuses), status: z.enum(adjustmentStatuses),
    needsSeniorApproval: z.boolean(), reason: z.string(), createdBy: z.string(), decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(), commissionId: z.string().nullable(), workflowId: z.string(), workflowUrl: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('AdjustmentListItem');
const bulkListItemSchema = z
  .object({
    id: z.string(), direction: z.enum(bulkDirections), amountKind: z.enum(bulkAmountKinds), value: z.string().nullable(), currency: z.string(),
    targetKind: z.enum(['IDS', 'FILTER', 'CSV']), status: z.enum(bulkStatuses), partners: z.number(), affected: z.number(),
    totalImpact: z.string(), totalImpactRub: z.string().nullable(), tier: z.enum(['STANDARD', 'SENIOR', 'FINANCE_DIRECTOR']),
    processed: z.number(), applied: z.number(), skipped: z.number(), appliedTotal: z.string(), createdBy: z.string(),
    decidedBy: z.string().nullable(), createdAt: z.string(), finishedAt: z.string().nullable(), workflowId: z.string(),
    workflowUrl: z.string().nullable(),
  })
  .openapi('BulkAdjustmentListItem');

const route = <T extends Parameters<typeof createRoute>[0]>(definition: T) => createRoute({ security: bearerSecurity, ...definition });

const createAdjustment = route({
  method: 'post', path: '/adjustments',
  summary: 'Add a manual commission (BONUS, ADJUSTMENT, OTHER); runs as workflow adjustment-<id>',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`. Above `adjustments.seniorApprovalAboveRub` a senior admin other than the maker approves first. Honours `Idempotency-Key`.',
  request: { headers: totpHeaders, body: { content: { 'application/json': { schema: createAdjustmentBody } }, required: true } },
  responses: {
    202: { description: 'Accepted', content: { 'application/json': { schema: adjustmentSchema } } },
    ...errors, 409: errorResponse('Same Idempotency-Key still in progress'), 422: errorResponse('Unknown partner'), 503: errorResponse('Temporal unavailable'),
  },
});
const listAdjustmentsRoute = route({
  method: 'get', path: '/adjustments',
  summary: 'Manual commissions, newest first (filters: status, type, partner, maker, created between); a partner sees their own POSTED ones',
  request: { query: listAdjustmentsQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(adjustmentListItemSchema), nextCursor: z.string().nullable() }).openapi('AdjustmentPage') } } },
    ...errors,
  },
});
const listBulkRoute = route({
  method: 'get', path: '/bulk-adjustments', summary: 'Bulk adjustments, newest first (filters: status, maker); admins only',
  request: { query: listBulkQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(bulkListItemSchema), nextCursor: z.string().nullable() }).openapi('BulkAdjustmentPage') } } },
    ...errors,
  },
});
const getAdjustment = route({
  method: 'get', path: '/adjustments/{id}', summary: 'One manual commission request and its state', request: { params: idParam },
  responses: { 200: { description: 'The adjustment', content: { 'application/json': { schema: adjustmentSchema } } }, ...errors, 404: errorResponse('No such adjustment') },
});
const getDocumentation = route({
  method: 'get', path: '/adjustments/{id}/documentation', summary: 'The supporting documentation uploaded with the adjustment', request: { params: idParam },
  responses: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string() } } }, ...errors, 404: errorResponse('No such adjustment or no documentation') },
});
const approveAdjustment = route({
  method: 'post', path: '/adjustments/{id}/approve', summary: 'Senior approval of a manual commission above the threshold (maker ≠ checker)',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: decisionBody } }, required: false } },
  responses: { 200: { description: 'Approved and posted', content: { 'application/json': { schema: adjustmentSchema } } }, ...errors, 404: errorResponse('No such adjustment'), 409: errorResponse('Not awaiting approval'), 503: errorResponse('Temporal unavailable') },
});
const rejectAdjustment = route({
  method: 'post', path: '/adjustments/{id}/reject', summary: 'Reject a manual commission awaiting approval', description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: rejectionBody } }, required: true } },
  responses: { 200: { description: 'Rejected', content: { 'application/json': { schema: adjustmentSchema } } }, ...errors, 404: errorResponse('No such adjustment'), 409: errorResponse('Not awaiting approval'), 503: errorResponse('Temporal unavailable') },
});
const clawback = route({
  method: 'post', path: '/commissions/{id}/clawback',
  summary: 'Claw a commission back, in full or in part (a reversing entry; the original REVERSED when full)',
  description: 'Senior admins only (source 000: "Reverse commission — senior admin"). Requires a fresh TOTP code in `X-TOTP-Code`. Honours `Idempotency-Key`.',
  request: {
    params: z.object({ id: z.string().regex(/^[1-9]\d{0,17}$/, 'a commission id').openapi({ param: { name: 'id', in: 'path' } }) }),
    headers: totpHeaders, body: { content: { 'application/json': { schema: clawbackBody } }, required: true },
  },
  responses: { 200: { description: 'Clawed back', content: { 'application/json': { schema: clawbackSchema } } }, ...errors, 404: errorResponse('No such commission'), 409: errorResponse('Already REVERSED'), 422: errorResponse('Amount beyond what is left') },
});
const createBulk = route({
  method: 'post', path: '/bulk-adjustments',
  summary: 'Create a bulk adjustment (targets by IDs, filter or CSV; ADD/REMOVE; fixed or percentage); runs as bulk-adjustment-<id>',
  description: 'Every partner’s amount is fixed now (see the preview); approval by total impact (SPEC 10 tiers) starts the execution. Honours `Idempotency-Key`.',
  request: { headers: totpHeaders, body: { content: { 'application/json': { schema: createBulkBody } }, required: true } },
  responses: { 202: { description: 'Created, awaiting approval', content: { 'application/json': { schema: bulkSchema } } }, ...errors, 422: errorResponse('Unknown partner, duplicate, or nobody selected'), 503: errorResponse('Temporal unavailable') },
});
const getBulk = route({
  method: 'get', path: '/bulk-adjustments/{id}', summary: 'A bulk adjustment with its progress', request: { params: idParam },
  responses: { 200: { description: 'The bulk adjustment', content: { 'application/json': { schema: bulkSchema } } }, ...errors, 404: errorResponse('No such bulk adjustment') },
});
const previewBulk = route({
  method: 'get', path: '/bulk-adjustments/{id}/preview', summary: 'Affected partners with their amounts (paged) and the total impact',
  request: {
    params: idParam,
    query: z.object({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
  },
  responses: { 200: { description: 'The preview', content: { 'application/json': { schema: previewSchema } } }, ...errors, 404: errorResponse('No such bulk adjustment') },
});
const approveBulk = route({
  method: 'post', path: '/bulk-adjustments/{id}/approve', summary: 'Approve a bulk adjustment (tier by total impact; maker ≠ checker); execution starts',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: decisionBody } }, required: false } },
  responses: { 200: { description: 'Approved; executing', content: { 'application/json': { schema: bulkSchema } } }, ...errors, 404: errorResponse('No such bulk adjustment'), 409: errorResponse('Not awaiting approval'), 503: errorResponse('Temporal unavailable') },
});
const rejectBulk = route({
  method: 'post', path: '/bulk-adjustments/{id}/reject', summary: 'Reject a bulk adjustment awaiting approval', description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: rejectionBody } }, required: true } },
  responses: { 200: { description: 'Rejected', content: { 'application/json': { schema: bulkSchema } } }, ...errors, 404: errorResponse('No such bulk adjustment'), 409: errorResponse('Not awaiting approval'), 503: errorResponse('Temporal unavailable') },
});
const reportBulk = route({
  method: 'get', path: '/bulk-adjustments/{id}/report', summary: 'The results report as CSV: per partner applied / skipped (with why), then totals',
  request: { params: idParam },
  responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } }, ...errors, 404: errorResponse('No such bulk adjustment') },
});

function translateWorkflowError(error: unknown, what: string): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.type === adjustmentRefusedType) {
      const refusal = cause.details?.[0] as AdjustmentRefusal | undefined;
      return new ApiError(refusal?.status ?? 409, refusal?.code ?? 'refused', cause.message, refusal?.field ?? undefined);
    }
    return new ApiError(409, 'refused', cause instanceof Error ? cause.message : `the ${what} refused the update`);
  }
  if (error instanceof WorkflowNotFoundError) return new ApiError(409, 'invalid_state', `the ${what}’s workflow is closed or missing`, 'status');
  const grpc = error instanceof ServiceError ? error.cause : error;
  if (isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4)) return new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; nothing was decided');
  return error;
}

function inputError(error: unknown): unknown {
  if (error instanceof AdjustmentInputError) return new ApiError(422, error.code, error.message, error.field);
  return error;
}

function actorOf(user: AuthenticatedUser): AdjustmentActor {
  return { userId: user.id, role: user.role as AdminRole };
}

export function adjustmentRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, temporal, ledger, policies } = dependencies;
  const activePolicy = async (): Promise<Policy> => (await policies.active()).policy;

  const loadAdjustment = async (id: string) => {
    const row = await database.maybeOne(sql.type(adjustmentRow)`SELECT ${adjustmentColumns} FROM adjustments WHERE id = ${id}`);
    if (!row) throw new ApiError(404, 'not_found', `no adjustment ${id}`, 'params.id');
    return row;
  };
  const toAdjustment = (row: zod.infer<typeof adjustmentRow>) => ({
    id: row.id, workflowId: adjustmentWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, adjustmentWorkflowId(row.id)),
    partnerId: row.partner_id, type: row.type, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    amountRub: row.amount_rub === null ? null : new Money(row.amount_rub).toFixed(2), commissionStatus: row.commission_status,
    reason: row.reason, period: row.period, status: row.status, needsSeniorApproval: row.needs_senior_approval, createdBy: row.created_by,
    decidedBy: row.decided_by, commissionId: row.commission_id, entryId: row.entry_id,
    documentation: row.documentation_name ? { fileName: row.documentation_name, contentType: row.documentation_type ?? 'application/octet-stream', sha256: row.documentation_sha256 ?? '' } : null,
    createdAt: row.created_at.toISOString(), postedAt: row.posted_at?.toISOString() ?? null,
  });

  const loadBulk = async (id: string) => {
    const row = await database.maybeOne(sql.type(bulkRow)`SELECT ${bulkColumns} FROM bulk_adjustments WHERE id = ${id}`);
    if (!row) throw new ApiError(404, 'not_found', `no bulk adjustment ${id}`, 'params.id');
    return row;
  };
  const toBulk = (row: zod.infer<typeof bulkRow>) => ({
    id: row.id, workflowId: bulkAdjustmentWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, bulkAdjustmentWorkflowId(row.id)),
    direction: row.direction, amountKind: row.amount_kind, value: row.value, currency: row.currency, reason: row.reason, period: row.period,
    targetKind: row.target_kind, target: row.target, status: row.status, partners: row.partners, affected: row.affected,
    totalImpact: formatMoney(row.total_impact, row.currency), totalImpactRub: row.total_impact_rub === null ? null : new Money(row.total_impact_rub).toFixed(2),
    tier: row.tier, approverRoles: row.approver_roles, createdBy: row.created_by, decidedBy: row.decided_by,
    progress: {
      processed: row.processed, applied: row.applied, skipped: row.skipped, appliedTotal: formatMoney(row.applied_total, row.currency),
      percent: row.partners === 0 ? 100 : Math.floor((row.processed * 100) / row.partners),
    },
    createdAt: row.created_at.toISOString(), startedAt: row.started_at?.toISOString() ?? null, finishedAt: row.finished_at?.toISOString() ?? null,
  });

  const requireAdmin = (user: AuthenticatedUser, permission: 'adjustments.create' | 'adjustments.approve') => {
    if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'only admins make adjustments');
    requirePermission(user, permission);
  };

  return createSubApp()
    .openapi(createAdjustment, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'adjustments.create');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const documentation = body.documentation
        ? { fileName: body.documentation.fileName, contentType: body.documentation.contentType, content: Buffer.from(body.documentation.contentBase64, 'base64') }
        : null;
      if (documentation && (documentation.content.length === 0 || documentation.content.length > documentationMaxBytes)) {
        throw new ApiError(400, 'invalid_request', 'documentation must be 1 byte to 5 MB of base64', 'body.documentation.contentBase64');
      }
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/adjustments', body] }, async () => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a manual commission');
        const policy = await activePolicy();
        const adjustmentId = randomUUID();
        const amount = formatMoney(body.amount, body.currency);
        const recorded = await database.transaction((transaction) => recordManualAdjustment(transaction, {
          adjustmentId, partnerId: body.partnerId, type: body.type, amount, currency: body.currency, commissionStatus: body.status,
          reason: body.reason, period: body.period ?? null, documentation, maker: actorOf(user), ip: clientIp(c.req.raw.headers),
          policyVersion: policy.version, policy: policy.adjustments,
        })).catch((error: unknown) => { throw inputError(error); });
        const request: ManualAdjustmentRequest = {
          adjustmentId, partnerId: body.partnerId, type: body.type, amount, currency: body.currency, commissionStatus: body.status,
          needsSeniorApproval: recorded.needsSeniorApproval, maker: actorOf(user),
        };
        try {
          await startAdjustmentWorkflow(temporal, dependencies.taskQueue, request, policy);
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
            await database.query(sql.unsafe`
              UPDATE adjustments SET status = 'EXPIRED', decision_reason = 'the workflow could not be started', decided_at = now()
              WHERE id = ${adjustmentId} AND status = 'AWAITING_APPROVAL'`);
            throw new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; nothing was posted');
          }
        }
        return { status: 202, body: toAdjustment(await loadAdjustment(adjustmentId)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof adjustmentSchema>, 202);
    })
    .openapi(listAdjustmentsRoute, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'adjustments.read.any');
      if (query.from !== undefined && query.to !== undefined && new Date(query.from) >= new Date(query.to)) {
        throw new ApiError(400, 'invalid_request', 'query.to must be after query.from', 'query.to');
      }
      const rows = await listAdjustments(database, {
        ...(partnerId === undefined ? {} : { partnerId }),
        ...(user.role === 'partner' ? { statusIn: ['POSTED'] } : {}),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.type === undefined ? {} : { type: query.type }),
        ...(query.createdBy === undefined ? {} : { createdBy: query.createdBy }),
        ...(query.from === undefined ? {} : { from: query.from }),
        ...(query.to === undefined ? {} : { to: query.to }),
        ...(query.cursor === undefined ? {} : { cursor: decodeTimeCursor(query.cursor) }),
        limit: query.limit,
      });
      const last = rows.at(-1);
      return c.json({
        data: rows.map((row) => ({
          id: row.id, partnerId: row.partner_id, type: row.type, amount: formatMoney(row.amount, row.currency), currency: row.currency,
          amountRub: row.amount_rub === null ? null : new Money(row.amount_rub).toFixed(2), commissionStatus: row.commission_status,
          status: row.status, needsSeniorApproval: row.needs_senior_approval, reason: row.reason, createdBy: row.created_by,
          decidedBy: row.decided_by, decidedAt: row.decided_at?.toISOString() ?? null, commissionId: row.commission_id,
          workflowId: adjustmentWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, adjustmentWorkflowId(row.id)),
          createdAt: row.created_at.toISOString(),
        })),
        nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null,
      }, 200);
    })
    .openapi(listBulkRoute, async (c) => {
      const user = c.get('user');
      if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'bulk adjustments are for admins');
      requirePermission(user, 'adjustments.read.any');
      const query = c.req.valid('query');
      const rows = await listBulkAdjustments(database, {
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.createdBy === undefined ? {} : { createdBy: query.createdBy }),
        ...(query.cursor === undefined ? {} : { cursor: decodeTimeCursor(query.cursor) }),
        limit: query.limit,
      });
      const last = rows.at(-1);
      return c.json({
        data: rows.map((row) => ({
          id: row.id, direction: row.direction, amountKind: row.amount_kind, value: row.value, currency: row.currency, targetKind: row.target_kind,
          status: row.status, partners: row.partners, affected: row.affected, totalImpact: formatMoney(row.total_impact, row.currency),
          totalImpactRub: row.total_impact_rub === null ? null : new Money(row.total_impact_rub).toFixed(2), tier: row.tier,
          processed: row.processed, applied: row.applied, skipped: row.skipped, appliedTotal: formatMoney(row.applied_total, row.currency),
          createdBy: row.created_by, decidedBy: row.decided_by, createdAt: row.created_at.toISOString(),
          finishedAt: row.finished_at?.toISOString() ?? null,
          workflowId: bulkAdjustmentWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, bulkAdjustmentWorkflowId(row.id)),
        })),
        nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null,
      }, 200);
    })
    .openapi(getAdjustment, async (c) => {
      const { id } = c.req.valid('param');
      const row = await loadAdjustment(id);
      requirePartnerAccess(c.get('user'), row.partner_id, 'adjustments.read.any');
      return c.json(toAdjustment(row), 200);
    })
    .openapi(getDocumentation, async (c) => {
      const { id } = c.req.valid('param');
      const row = await loadAdjustment(id);
      requirePartnerAccess(c.get('user'), row.partner_id, 'adjustments.read.any');
      const file = await database.maybeOne(sql.type(zod.object({ documentation: zod.instanceof(Buffer) }))`
        SELECT documentation FROM adjustments WHERE id = ${id} AND documentation IS NOT NULL`);
      if (!file) throw new ApiError(404, 'not_found', `adjustment ${id} has no documentation`, 'params.id');
      return c.body(new Uint8Array(file.documentation), 200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${(row.documentation_name ?? 'documentation').replace(/[^\w.-]/g, '_')}"`,
      });
    })
    .openapi(approveAdjustment, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'adjustments.approve');
      const { id } = c.req.valid('param');
      const body = (await c.req.json().catch(() => ({}))) as { reason?: string };
      const headers = c.req.valid('header');
      const row = await loadAdjustment(id);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['approve-adjustment', id, body] }, async () => {
        // Refused before the TOTP is checked: a refusal consumes no code.
        if (row.created_by === user.id) throw new ApiError(403, 'maker_checker', 'the maker of an adjustment cannot approve it');
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'an approval');
        const handle = temporal.workflow.getHandle<typeof adjustmentWorkflow>(adjustmentWorkflowId(id));
        try {
          await handle.executeUpdate(approveAdjustmentUpdate, { args: [{ actor: actorOf(user), reason: typeof body.reason === 'string' ? body.reason : null }] });
        } catch (error) {
          throw translateWorkflowError(error, 'adjustment');
        }
        return { status: 200, body: toAdjustment(await loadAdjustment(id)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof adjustmentSchema>, 200);
    })
    .openapi(rejectAdjustment, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'adjustments.approve');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      await loadAdjustment(id);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['reject-adjustment', id, body] }, async () => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a rejection');
        try {
          await temporal.workflow.getHandle<typeof adjustmentWorkflow>(adjustmentWorkflowId(id)).executeUpdate(rejectAdjustmentUpdate, { args: [{ actor: actorOf(user), reason: body.reason }] });
        } catch (error) {
          throw translateWorkflowError(error, 'adjustment');
        }
        return { status: 200, body: toAdjustment(await loadAdjustment(id)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof adjustmentSchema>, 200);
    })
    .openapi(clawback, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'adjustments.approve');
      if (!seniorAdjustmentRoles.includes(user.role as AdminRole)) throw new ApiError(403, 'senior_required', 'a clawback is a senior admin’s decision');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const currency = await database.maybeOneFirst(sql.type(zod.object({ currency: zod.string() }))`SELECT currency FROM commissions WHERE id = ${id}`);
      if (currency === null) throw new ApiError(404, 'not_found', `no commission ${id}`, 'params.id');
      if (body.amount !== undefined && !fitsScale(new Money(body.amount), currency)) throw new ApiError(400, 'invalid_request', `more decimal places than ${currency} allows`, 'body.amount');
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['clawback', id, body] }, async () => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a clawback');
        try {
          const done = await clawbackCommission(database, ledger, {
            commissionId: id, ...(body.amount === undefined ? {} : { amount: body.amount }), reason: body.reason, actor: actorOf(user),
            ip: clientIp(c.req.raw.headers), idempotencyKey: headers['idempotency-key'] ? `${user.id}:${headers['idempotency-key']}` : randomUUID(),
          });
          const status = await database.oneFirst(sql.type(zod.object({ status: zod.string() }))`SELECT status FROM commissions WHERE id = ${id}`);
          return { status: 200, body: { clawbackId: done.clawbackId, commissionId: done.commissionId, amount: done.amount, currency: done.currency, full: done.full, statusBefore: done.statusBefore, commissionStatus: status, entryId: done.entryId } };
        } catch (error) {
          if (error instanceof ClawbackRefusal) throw new ApiError(error.status, error.code, error.message, error.field);
          throw error;
        }
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof clawbackSchema>, 200);
    })
    .openapi(createBulk, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'adjustments.create');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const target: BulkTarget = body.target.kind === 'CSV'
        ? (() => {
            try {
              return { kind: 'CSV' as const, rows: parseBulkCsv(body.target.csv, currencyScale(body.currency)) };
            } catch (error) {
              throw inputError(error);
            }
          })()
        : body.target;
      if (target.kind === 'CSV' && target.rows.length === 0) throw new ApiError(400, 'invalid_request', 'the CSV lists no partner', 'body.target.csv');
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/bulk-adjustments', body] }, async () => {
        const policy = await activePolicy();
        const bulkId = randomUUID();
        const value = body.value === undefined ? null : body.amountKind === 'FIXED' ? formatMoney(body.value, body.currency) : new Money(body.value).toFixed();
        const created = await database.transaction((transaction) => recordBulkAdjustment(transaction, {
          bulkId, direction: body.direction, amountKind: body.amountKind, value, currency: body.currency, reason: body.reason,
          period: body.period ?? null, target, maker: actorOf(user), ip: clientIp(c.req.raw.headers), policyVersion: policy.version, policy: policy.adjustments,
        })).catch((error: unknown) => { throw inputError(error); });
        const request: BulkAdjustmentRequest = {
          bulkId, partners: created.partners, totalImpact: created.totalImpact, currency: body.currency, approverRoles: created.approverRoles, maker: actorOf(user),
        };
        try {
          await temporal.workflow.start<typeof bulkAdjustmentWorkflow>('bulkAdjustmentWorkflow', {
            workflowId: bulkAdjustmentWorkflowId(bulkId), taskQueue: dependencies.taskQueue,
            args: [request, { version: policy.version, adjustments: policy.adjustments }, null],
            typedSearchAttributes: [
              { key: amountKey, value: new Money(created.totalImpact).toNumber() }, { key: currencyKey, value: body.currency },
              { key: statusKey, value: 'AWAITING_APPROVAL' },
            ],
            memo: { summary: `Bulk adjustment ${body.direction} ${created.totalImpact} ${body.currency} over ${created.affected} partners (tier ${created.tier})` },
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
            await database.query(sql.unsafe`
              UPDATE bulk_adjustments SET status = 'EXPIRED', decision_reason = 'the workflow could not be started', decided_at = now(), finished_at = now()
              WHERE id = ${bulkId} AND status = 'AWAITING_APPROVAL'`);
            throw new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; nothing will be applied');
          }
        }
        return { status: 202, body: toBulk(await loadBulk(bulkId)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof bulkSchema>, 202);
    })
    .openapi(getBulk, async (c) => {
      const user = c.get('user');
      if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'bulk adjustments are for admins');
      requirePermission(user, 'adjustments.read.any');
      return c.json(toBulk(await loadBulk(c.req.valid('param').id)), 200);
    })
    .openapi(previewBulk, async (c) => {
      const user = c.get('user');
      if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'bulk adjustments are for admins');
      requirePermission(user, 'adjustments.read.any');
      const { id } = c.req.valid('param');
      const { offset, limit } = c.req.valid('query');
      const bulk = await loadBulk(id);
      const items = await database.any(sql.type(zod.object({ partner_id: zod.string(), amount: zod.string(), status: zod.string(), skip_reason: zod.string().nullable() }))`
        SELECT partner_id, amount, status, skip_reason FROM bulk_adjustment_items WHERE bulk_id = ${id} AND seq >= ${offset} ORDER BY seq LIMIT ${limit}`);
      const skipped = await database.oneFirst(sql.type(zod.object({ count: zod.number() }))`
        SELECT count(*)::int AS count FROM bulk_adjustment_items WHERE bulk_id = ${id} AND status = 'SKIPPED'`);
      return c.json({
        bulkId: bulk.id, partners: bulk.partners, affected: bulk.affected, skipped, totalImpact: formatMoney(bulk.total_impact, bulk.currency),
        totalImpactRub: bulk.total_impact_rub === null ? null : new Money(bulk.total_impact_rub).toFixed(2), currency: bulk.currency, tier: bulk.tier,
        approverRoles: bulk.approver_roles,
        items: items.map((item) => ({ partnerId: item.partner_id, amount: formatMoney(item.amount, bulk.currency), status: item.status, skipReason: item.skip_reason })),
        offset, limit, nextOffset: offset + limit < bulk.partners ? offset + limit : null,
      }, 200);
    })
    .openapi(approveBulk, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'adjustments.approve');
      const { id } = c.req.valid('param');
      const headers = c.req.valid('header');
      const body = (await c.req.json().catch(() => ({}))) as { reason?: string };
      const bulk = await loadBulk(id);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['approve-bulk', id, body] }, async () => {
        // Refused before the TOTP is checked: a refusal consumes no code.
        if (bulk.created_by === user.id) throw new ApiError(403, 'maker_checker', 'the maker of a bulk adjustment cannot approve it');
        if (!bulk.approver_roles.includes(user.role)) {
          throw new ApiError(403, 'approval_tier', `a total impact of ${formatMoney(bulk.total_impact, bulk.currency)} ${bulk.currency} (tier ${bulk.tier}) needs one of: ${bulk.approver_roles.join(', ')}`);
        }
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'an approval');
        try {
          await temporal.workflow.getHandle<typeof bulkAdjustmentWorkflow>(bulkAdjustmentWorkflowId(id)).executeUpdate(approveBulkAdjustmentUpdate, { args: [{ actor: actorOf(user), reason: typeof body.reason === 'string' ? body.reason : null }] });
        } catch (error) {
          throw translateWorkflowError(error, 'bulk adjustment');
        }
        return { status: 200, body: toBulk(await loadBulk(id)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof bulkSchema>, 200);
    })
    .openapi(rejectBulk, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'adjustments.approve');
      const { id } = c.req.valid('param');
      const headers = c.req.valid('header');
      const body = c.req.valid('json');
      await loadBulk(id);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['reject-bulk', id, body] }, async () => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a rejection');
        try {
          await temporal.workflow.getHandle<typeof bulkAdjustmentWorkflow>(bulkAdjustmentWorkflowId(id)).executeUpdate(rejectBulkAdjustmentUpdate, { args: [{ actor: actorOf(user), reason: body.reason }] });
        } catch (error) {
          throw translateWorkflowError(error, 'bulk adjustment');
        }
        return { status: 200, body: toBulk(await loadBulk(id)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof bulkSchema>, 200);
    })
    .openapi(reportBulk, async (c) => {
      const user = c.get('user');
      if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'bulk adjustments are for admins');
      requirePermission(user, 'adjustments.read.any');
      const { id } = c.req.valid('param');
      const bulk = await loadBulk(id);
      const items = await database.any(sql.type(zod.object({ partner_id: zod.string(), amount: zod.string(), status: zod.string(), applied_amount: zod.string().nullable(), skip_reason: zod.string().nullable(), entry_id: zod.string().nullable() }))`
        SELECT partner_id, amount, status, applied_amount, skip_reason, entry_id FROM bulk_adjustment_items WHERE bulk_id = ${id} ORDER BY seq`);
      const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
      const lines = ['partner_id,planned_amount,result,applied_amount,reason,entry_id'];
      for (const item of items) {
        const result = item.status === 'PENDING' ? 'PENDING' : item.status;
        lines.push([quote(item.partner_id), formatMoney(item.amount, bulk.currency), result, item.applied_amount === null ? '' : formatMoney(item.applied_amount, bulk.currency), item.skip_reason ?? '', item.entry_id ?? ''].join(','));
      }
      lines.push(`# status ${bulk.status}; partners ${bulk.partners}; applied ${bulk.applied}; skipped ${bulk.skipped}; applied total ${formatMoney(bulk.applied_total, bulk.currency)} ${bulk.currency}; direction ${bulk.direction}`);
      return c.body(`${lines.join('\n')}\n`, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="bulk-adjustment-${id}.csv"`,
      });
    });
}

/** Starts `adjustment-<id>` for a recorded manual commission, as the route does and the demo data set does. */
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
