import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import { bulkAdjustmentStatuses, bulkAmountKinds, bulkApprovalTiers, bulkDirections, bulkTargetKinds } from '../../domain/adjustment.ts';
import { Money, currencyScale, decimalPattern, formatMoney } from '../../domain/money.ts';
import { partnerStatuses, ranks } from '../../domain/network.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import {
  bulkAdjustmentPreviewItems,
  bulkAdjustmentReport,
  createBulkAdjustment,
  findBulkAdjustment,
  listBulkAdjustments,
  parseBulkCsv,
  type BulkAdjustmentRow,
  type BulkTarget,
} from '../../modules/adjustments/bulk-adjustments.ts';
import { approveBulkAdjustmentUpdate, bulkAdjustmentWorkflowId, rejectBulkAdjustmentUpdate } from '../../workflows/adjustment-messages.ts';
import type { bulkAdjustmentWorkflow } from '../../workflows/bulk-adjustment.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError, toApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountSchema, currencySchema, errorResponse, partnerIdSchema, refineAmountScale } from '../schemas.ts';
import {
  actorOf,
  createdByQuery,
  decisionBody,
  errors,
  idParam,
  pageQuery,
  rejectionBody,
  requireAdjustmentAdmin,
  route,
  totpHeaders,
} from './adjustment-schemas.ts';

/**
 * Bulk adjustments (docs/rules.md#bulk-adjustments, `bulk-adjustment-<id>`): created with every partner's amount fixed (the preview),
 * approved by the tier their total impact requires (maker ≠ checker), executed chunk by chunk, and reported as CSV.
 */

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
    // Zod runs this refinement even when `value`'s own pattern failed; a malformed number is that pattern's refusal.
    if (!decimalPattern.test(body.value)) return;
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
    reason: z.string(), period: z.string().nullable(), targetKind: z.enum(bulkTargetKinds), target: z.record(z.string(), z.any()),
    status: z.enum(bulkAdjustmentStatuses),
    partners: z.number(), affected: z.number(), totalImpact: z.string(), totalImpactRub: z.string().nullable(),
    tier: z.enum(bulkApprovalTiers), approverRoles: z.array(z.string()),
    createdBy: z.string(), decidedBy: z.string().nullable(),
    progress: z.object({ processed: z.number(), applied: z.number(), skipped: z.number(), appliedTotal: z.string(), percent: z.number() }),
    createdAt: z.string(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(),
  })
  .openapi('BulkAdjustment');

const previewSchema = z
  .object({
    bulkId: z.string(), partners: z.number(), affected: z.number(), skipped: z.number(), totalImpact: z.string(),
    totalImpactRub: z.string().nullable(), currency: z.string(), tier: z.string(), approverRoles: z.array(z.string()),
    items: z.array(z.object({ partnerId: z.string(), amount: z.string(), status: z.string(), skipReason: z.string().nullable() })),
    offset: z.number(), limit: z.number(), nextOffset: z.number().nullable(),
  })
  .openapi('BulkAdjustmentPreview');

const listBulkQuery = z.object({ status: z.enum(bulkAdjustmentStatuses).optional(), createdBy: createdByQuery, ...pageQuery });

const bulkListItemSchema = z
  .object({
    id: z.string(), direction: z.enum(bulkDirections), amountKind: z.enum(bulkAmountKinds), value: z.string().nullable(), currency: z.string(),
    targetKind: z.enum(bulkTargetKinds), status: z.enum(bulkAdjustmentStatuses), partners: z.number(), affected: z.number(),
    totalImpact: z.string(), totalImpactRub: z.string().nullable(), tier: z.enum(bulkApprovalTiers),
    processed: z.number(), applied: z.number(), skipped: z.number(), appliedTotal: z.string(), createdBy: z.string(),
    decidedBy: z.string().nullable(), createdAt: z.string(), finishedAt: z.string().nullable(), workflowId: z.string(),
    workflowUrl: z.string().nullable(),
  })
  .openapi('BulkAdjustmentListItem');

const listBulkRoute = route({
  method: 'get', path: '/bulk-adjustments', operationId: 'listBulkAdjustments', summary: 'Bulk adjustments, newest first (filters: status, maker); admins only',
  request: { query: listBulkQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(bulkListItemSchema), nextCursor: z.string().nullable() }).openapi('BulkAdjustmentPage') } } },
    ...errors,
  },
});
const createBulk = route({
  method: 'post', path: '/bulk-adjustments', operationId: 'createBulkAdjustment',
  summary: 'Create a bulk adjustment (targets by IDs, filter or CSV; ADD/REMOVE; fixed or percentage); runs as bulk-adjustment-<id>',
  description: 'Every partner’s amount is fixed now (see the preview); approval by total impact (docs/rules.md#bulk-adjustments tiers) starts the execution. Honours `Idempotency-Key`.',
  request: { headers: totpHeaders, body: { content: { 'application/json': { schema: createBulkBody } }, required: true } },
  responses: { 202: { description: 'Created, awaiting approval', content: { 'application/json': { schema: bulkSchema } } }, ...errors, 422: errorResponse('Unknown partner, duplicate, or nobody selected'), 503: errorResponse('Temporal unavailable') },
});
const getBulk = route({
  method: 'get', path: '/bulk-adjustments/{id}', operationId: 'getBulkAdjustment', summary: 'A bulk adjustment with its progress', request: { params: idParam },
  responses: { 200: { description: 'The bulk adjustment', content: { 'application/json': { schema: bulkSchema } } }, ...errors, 404: errorResponse('No such bulk adjustment') },
});
const previewBulk = route({
  method: 'get', path: '/bulk-adjustments/{id}/preview', operationId: 'getBulkAdjustmentPreview', summary: 'Affected partners with their amounts (paged) and the total impact',
  request: {
    params: idParam,
    query: z.object({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
  },
  responses: { 200: { description: 'The preview', content: { 'application/json': { schema: previewSchema } } }, ...errors, 404: errorResponse('No such bulk adjustment') },
});
const approveBulk = route({
  method: 'post', path: '/bulk-adjustments/{id}/approve', operationId: 'approveBulkAdjustment', summary: 'Approve a bulk adjustment (tier by total impact; maker ≠ checker); execution starts',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: decisionBody } }, required: false } },
  responses: { 200: { description: 'Approved; executing', content: { 'application/json': { schema: bulkSchema } } }, ...errors, 404: errorResponse('No such bulk adjustment'), 409: errorResponse('Not awaiting approval'), 503: errorResponse('Temporal unavailable') },
});
const rejectBulk = route({
  method: 'post', path: '/bulk-adjustments/{id}/reject', operationId: 'rejectBulkAdjustment', summary: 'Reject a bulk adjustment awaiting approval', description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: rejectionBody } }, required: true } },
  responses: { 200: { description: 'Rejected', content: { 'application/json': { schema: bulkSchema } } }, ...errors, 404: errorResponse('No such bulk adjustment'), 409: errorResponse('Not awaiting approval'), 503: errorResponse('Temporal unavailable') },
});
const reportBulk = route({
  method: 'get', path: '/bulk-adjustments/{id}/report', operationId: 'downloadBulkAdjustmentReport', summary: 'The results report as CSV: per partner applied / skipped (with why), then totals',
  request: { params: idParam },
  responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } }, ...errors, 404: errorResponse('No such bulk adjustment') },
});


/** Bulk adjustments are for admins who may read every adjustment. */
function requireBulkReader(user: AuthenticatedUser): void {
  if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'bulk adjustments are for admins');
  requirePermission(user, 'adjustments.read.any');
}

export function bulkAdjustmentRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, temporal, policies } = dependencies;

  const loadBulk = async (id: string) => {
    const row = await findBulkAdjustment(database, id);
    if (!row) throw new ApiError(404, 'not_found', `no bulk adjustment ${id}`, 'params.id');
    return row;
  };
  const toBulk = (row: BulkAdjustmentRow) => ({
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

  return createSubApp()
    .openapi(listBulkRoute, async (c) => {
      requireBulkReader(c.get('user'));
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
    .openapi(createBulk, async (c) => {
      const user = c.get('user');
      requireAdjustmentAdmin(user, 'adjustments.create');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const target: BulkTarget = body.target.kind === 'CSV' ? { kind: 'CSV', rows: parseBulkCsv(body.target.csv, currencyScale(body.currency)) } : body.target;
      if (target.kind === 'CSV' && target.rows.length === 0) throw new ApiError(400, 'invalid_request', 'the CSV lists no partner', 'body.target.csv');
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/bulk-adjustments', body] }, async () => {
        const bulkId = await createBulkAdjustment({ database, temporal, taskQueue: dependencies.taskQueue }, {
          direction: body.direction, amountKind: body.amountKind, value: body.value ?? null, currency: body.currency, reason: body.reason,
          period: body.period ?? null, target, maker: actorOf(user), ip: clientIp(c), policy: (await policies.active()).policy,
        });
        return { status: 202, body: toBulk(await loadBulk(bulkId)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof bulkSchema>, 202);
    })
    .openapi(getBulk, async (c) => {
      requireBulkReader(c.get('user'));
      return c.json(toBulk(await loadBulk(c.req.valid('param').id)), 200);
    })
    .openapi(previewBulk, async (c) => {
      requireBulkReader(c.get('user'));
      const { id } = c.req.valid('param');
      const { offset, limit } = c.req.valid('query');
      const bulk = await loadBulk(id);
      const { items, skipped } = await bulkAdjustmentPreviewItems(database, id, { offset, limit });
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
      requireAdjustmentAdmin(user, 'adjustments.approve');
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
          await temporal.workflow.getHandle<typeof bulkAdjustmentWorkflow>(bulkAdjustmentWorkflowId(id)).executeUpdate(approveBulkAdjustmentUpdate, { args: [{ actor: actorOf(user, clientIp(c)), reason: typeof body.reason === 'string' ? body.reason : null }] });
        } catch (error) {
          throw toApiError(error, 'the bulk adjustment');
        }
        return { status: 200, body: toBulk(await loadBulk(id)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof bulkSchema>, 200);
    })
    .openapi(rejectBulk, async (c) => {
      const user = c.get('user');
      requireAdjustmentAdmin(user, 'adjustments.approve');
      const { id } = c.req.valid('param');
      const headers = c.req.valid('header');
      const body = c.req.valid('json');
      await loadBulk(id);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['reject-bulk', id, body] }, async () => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a rejection');
        try {
          await temporal.workflow.getHandle<typeof bulkAdjustmentWorkflow>(bulkAdjustmentWorkflowId(id)).executeUpdate(rejectBulkAdjustmentUpdate, { args: [{ actor: actorOf(user, clientIp(c)), reason: body.reason }] });
        } catch (error) {
          throw toApiError(error, 'the bulk adjustment');
        }
        return { status: 200, body: toBulk(await loadBulk(id)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof bulkSchema>, 200);
    })
    .openapi(reportBulk, async (c) => {
      requireBulkReader(c.get('user'));
      const { id } = c.req.valid('param');
      const report = await bulkAdjustmentReport(database, await loadBulk(id));
      return c.body(report, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="bulk-adjustment-${id}.csv"`,
      });
    });
}
