import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import { adjustmentStatuses, manualCommissionStatuses, manualCommissionTypes } from '../../domain/adjustment.ts';
import { documentMaxBytes } from '../../domain/documents.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import {
  adjustmentDocumentation,
  createManualAdjustment,
  findAdjustment,
  listAdjustments,
  type AdjustmentRow,
} from '../../modules/adjustments/manual-adjustments.ts';
import type { adjustmentWorkflow } from '../../workflows/adjustment.ts';
import { adjustmentWorkflowId, approveAdjustmentUpdate, rejectAdjustmentUpdate } from '../../workflows/adjustment-messages.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePartnerAccess, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError, toApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountWhere, currencySchema, errorResponse, partnerIdSchema, refineAmountScale } from '../schemas.ts';
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
 * Manual commissions (docs/rules.md#manual-commissions, `adjustment-<id>`): requested by an admin with a fresh TOTP code, approved by a
 * senior admin above the RUB threshold, listed and read back with their supporting documentation.
 */

const createAdjustmentBody = z
  .object({
    partnerId: partnerIdSchema,
    type: z.enum(manualCommissionTypes),
    amount: amountWhere((amount) => amount.gt(0), 'a manual commission is positive'),
    currency: currencySchema,
    reason: z.string().trim().min(1).max(1000).openapi({ description: 'Mandatory (docs/rules.md#manual-commissions)' }),
    status: z.enum(manualCommissionStatuses).openapi({ description: 'PENDING: normal hold and release; APPROVED: paid by the next pay batch' }),
    period: z.string().trim().min(1).max(40).optional().openapi({ description: 'Period assignment, e.g. "2026-11"' }),
    documentation: z
      .object({
        fileName: z.string().trim().min(1).max(200),
        contentType: z.string().min(1).max(100),
        contentBase64: z.string().min(1).max(Math.ceil((documentMaxBytes * 4) / 3) + 4),
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
    status: z.enum(adjustmentStatuses),
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

const listAdjustmentsQuery = z.object({
  status: z.enum(adjustmentStatuses).optional().openapi({ description: 'A partner only ever sees POSTED ones' }),
  type: z.enum(manualCommissionTypes).optional(),
  partnerId: partnerIdSchema.optional().openapi({ description: 'A partner always gets their own' }),
  createdBy: createdByQuery,
  from: z.string().datetime({ offset: true }).optional().openapi({ description: 'created_at at or after' }),
  to: z.string().datetime({ offset: true }).optional().openapi({ description: 'created_at before (exclusive)' }),
  ...pageQuery,
});

const adjustmentListItemSchema = z
  .object({
    id: z.string(), partnerId: z.string(), type: z.enum(manualCommissionTypes), amount: z.string(), currency: z.string(),
    amountRub: z.string().nullable(), commissionStatus: z.enum(manualCommissionStatuses), status: z.enum(adjustmentStatuses),
    needsSeniorApproval: z.boolean(), reason: z.string(), createdBy: z.string(), decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(), commissionId: z.string().nullable(), workflowId: z.string(), workflowUrl: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('AdjustmentListItem');

const createAdjustmentRoute = route({
  method: 'post', path: '/adjustments', operationId: 'createAdjustment',
  summary: 'Add a manual commission (BONUS, ADJUSTMENT, OTHER); runs as workflow adjustment-<id>',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`. Above `adjustments.seniorApprovalAboveRub` a senior admin other than the maker approves first. Honours `Idempotency-Key`.',
  request: { headers: totpHeaders, body: { content: { 'application/json': { schema: createAdjustmentBody } }, required: true } },
  responses: {
    202: { description: 'Accepted', content: { 'application/json': { schema: adjustmentSchema } } },
    ...errors, 409: errorResponse('Same Idempotency-Key still in progress'), 422: errorResponse('Unknown partner'), 503: errorResponse('Temporal unavailable'),
  },
});
const listAdjustmentsRoute = route({
  method: 'get', path: '/adjustments', operationId: 'listAdjustments',
  summary: 'Manual commissions, newest first (filters: status, type, partner, maker, created between); a partner sees their own POSTED ones',
  request: { query: listAdjustmentsQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(adjustmentListItemSchema), nextCursor: z.string().nullable() }).openapi('AdjustmentPage') } } },
    ...errors,
  },
});
const getAdjustmentRoute = route({
  method: 'get', path: '/adjustments/{id}', operationId: 'getAdjustment', summary: 'One manual commission request and its state', request: { params: idParam },
  responses: { 200: { description: 'The adjustment', content: { 'application/json': { schema: adjustmentSchema } } }, ...errors, 404: errorResponse('No such adjustment') },
});
const getDocumentationRoute = route({
  method: 'get', path: '/adjustments/{id}/documentation', operationId: 'downloadAdjustmentDocumentation', summary: 'The supporting documentation uploaded with the adjustment', request: { params: idParam },
  responses: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string() } } }, ...errors, 404: errorResponse('No such adjustment or no documentation') },
});
const approveAdjustmentRoute = route({
  method: 'post', path: '/adjustments/{id}/approve', operationId: 'approveAdjustment', summary: 'Senior approval of a manual commission above the threshold (maker ≠ checker)',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: decisionBody } }, required: false } },
  responses: { 200: { description: 'Approved and posted', content: { 'application/json': { schema: adjustmentSchema } } }, ...errors, 404: errorResponse('No such adjustment'), 409: errorResponse('Not awaiting approval'), 503: errorResponse('Temporal unavailable') },
});
const rejectAdjustmentRoute = route({
  method: 'post', path: '/adjustments/{id}/reject', operationId: 'rejectAdjustment', summary: 'Reject a manual commission awaiting approval', description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: rejectionBody } }, required: true } },
  responses: { 200: { description: 'Rejected', content: { 'application/json': { schema: adjustmentSchema } } }, ...errors, 404: errorResponse('No such adjustment'), 409: errorResponse('Not awaiting approval'), 503: errorResponse('Temporal unavailable') },
});

export function adjustmentRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, temporal, policies } = dependencies;

  const loadAdjustment = async (id: string) => {
    const row = await findAdjustment(database, id);
    if (!row) throw new ApiError(404, 'not_found', `no adjustment ${id}`, 'params.id');
    return row;
  };
  const toAdjustment = (row: AdjustmentRow) => ({
    id: row.id, workflowId: adjustmentWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, adjustmentWorkflowId(row.id)),
    partnerId: row.partner_id, type: row.type, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    amountRub: row.amount_rub === null ? null : new Money(row.amount_rub).toFixed(2), commissionStatus: row.commission_status,
    reason: row.reason, period: row.period, status: row.status, needsSeniorApproval: row.needs_senior_approval, createdBy: row.created_by,
    decidedBy: row.decided_by, commissionId: row.commission_id, entryId: row.entry_id,
    documentation: row.documentation_name ? { fileName: row.documentation_name, contentType: row.documentation_type ?? 'application/octet-stream', sha256: row.documentation_sha256 ?? '' } : null,
    createdAt: row.created_at.toISOString(), postedAt: row.posted_at?.toISOString() ?? null,
  });

  return createSubApp()
    .openapi(createAdjustmentRoute, async (c) => {
      const user = c.get('user');
      requireAdjustmentAdmin(user, 'adjustments.create');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const documentation = body.documentation
        ? { fileName: body.documentation.fileName, contentType: body.documentation.contentType, content: Buffer.from(body.documentation.contentBase64, 'base64') }
        : null;
      if (documentation && (documentation.content.length === 0 || documentation.content.length > documentMaxBytes)) {
        throw new ApiError(400, 'invalid_request', 'documentation must be 1 byte to 5 MB of base64', 'body.documentation.contentBase64');
      }
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/adjustments', body] }, async () => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a manual commission');
        const adjustmentId = await createManualAdjustment({ database, temporal, taskQueue: dependencies.taskQueue }, {
          partnerId: body.partnerId, type: body.type, amount: body.amount, currency: body.currency, commissionStatus: body.status,
          reason: body.reason, period: body.period ?? null, documentation, maker: actorOf(user), ip: clientIp(c),
          policy: (await policies.active()).policy,
        });
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
    .openapi(getAdjustmentRoute, async (c) => {
      const { id } = c.req.valid('param');
      const row = await loadAdjustment(id);
      requirePartnerAccess(c.get('user'), row.partner_id, 'adjustments.read.any');
      return c.json(toAdjustment(row), 200);
    })
    .openapi(getDocumentationRoute, async (c) => {
      const { id } = c.req.valid('param');
      const row = await loadAdjustment(id);
      requirePartnerAccess(c.get('user'), row.partner_id, 'adjustments.read.any');
      const documentation = await adjustmentDocumentation(database, id);
      if (!documentation) throw new ApiError(404, 'not_found', `adjustment ${id} has no documentation`, 'params.id');
      return c.body(new Uint8Array(documentation), 200, {
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${(row.documentation_name ?? 'documentation').replace(/[^\w.-]/g, '_')}"`,
      });
    })
    .openapi(approveAdjustmentRoute, async (c) => {
      const user = c.get('user');
      requireAdjustmentAdmin(user, 'adjustments.approve');
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
          await handle.executeUpdate(approveAdjustmentUpdate, { args: [{ actor: actorOf(user, clientIp(c)), reason: typeof body.reason === 'string' ? body.reason : null }] });
        } catch (error) {
          throw toApiError(error, 'the adjustment');
        }
        return { status: 200, body: toAdjustment(await loadAdjustment(id)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof adjustmentSchema>, 200);
    })
    .openapi(rejectAdjustmentRoute, async (c) => {
      const user = c.get('user');
      requireAdjustmentAdmin(user, 'adjustments.approve');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      await loadAdjustment(id);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['reject-adjustment', id, body] }, async () => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a rejection');
        try {
          await temporal.workflow.getHandle<typeof adjustmentWorkflow>(adjustmentWorkflowId(id)).executeUpdate(rejectAdjustmentUpdate, { args: [{ actor: actorOf(user, clientIp(c)), reason: body.reason }] });
        } catch (error) {
          throw toApiError(error, 'the adjustment');
        }
        return { status: 200, body: toAdjustment(await loadAdjustment(id)) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof adjustmentSchema>, 200);
    });
}
