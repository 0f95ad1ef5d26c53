import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { refundReasons, refundStatuses, refundTypes, reversalModes, type RefundActor } from '../../domain/refund.ts';
import { refundWorkflowId } from '../../workflows/refund-messages.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { checkRefundDecision, sendRefundDecision, type RefundDecisionKind } from '../../modules/refunds/decide-refund.ts';
import { orderRefundState } from '../../modules/refunds/order-refunds.ts';
import { listRefunds as listRefundRows, refundReversals, requireRefund, type RefundRow } from '../../modules/refunds/refund-store.ts';
import { requestRefund } from '../../modules/refunds/request-refund.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError, toApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountWhere, bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * The refund queue (docs/rules.md#refunds): request ID, order, customer, amount, full or
 * partial, reason, status PENDING → APPROVED → PROCESSED (or REJECTED). Each refund is workflow `refund-<id>`; the
 * order amount is claimed when the request is recorded, so the total refunded never exceeds the order. An order
 * cancelled before shipping needs no refund here: its ORDER_CANCELLED event (POST /v1/events) reverses every
 * commission at once (and a refund of a cancelled order is refused).
 */


const orderIdSchema = z.string().min(1).max(200).regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters');
const stepUpHeaders = z.object({
  'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }),
  'idempotency-key': z.string().optional(),
});
const idParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed (permission, or the requester approving their own refund)'),
};

const createBody = z
  .object({
    orderId: orderIdSchema.openapi({ description: 'The order id its ORDER_COMPLETED event was reported with (`sourceId`)' }),
    amount: amountWhere((amount) => amount.gt(0), 'a refund is positive')
      .optional()
      .openapi({ description: 'In the order’s currency. Absent: everything the order still has to refund (the whole order when nothing was refunded)' }),
    reason: z.enum(refundReasons).openapi({ description: 'docs/rules.md#refund-reasons: PARTIAL_DAMAGE reverses proportionally, the others in full (a partial amount always proportionally)' }),
    note: z.string().trim().min(1).max(2000).optional(),
  })
  .strict()
  .openapi('CreateRefundRequest');

const reversalLine = z.object({
  commissionId: z.string(), partnerId: z.string(), level: z.number(), statusBefore: z.enum(['PENDING', 'APPROVED', 'PAID']), amount: z.string(), currency: z.string(),
});
const refundSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    workflowUrl: z.string().nullable(),
    orderId: z.string(),
    partnerId: z.string().nullable().openapi({ description: 'The seller (the partner whose sale it was)' }),
    customerId: z.string().nullable(),
    amount: z.string(),
    currency: z.string(),
    orderTotal: z.string(),
    type: z.enum(refundTypes).openapi({ description: 'FULL: the whole order; PARTIAL: part of it' }),
    reason: z.enum(refundReasons),
    reversal: z.enum(reversalModes).openapi({ description: 'How the commissions are reversed on approval' }),
    note: z.string().nullable(),
    status: z.enum(refundStatuses),
    overdue: z.boolean().openapi({ description: 'PENDING past the policy’s refunds.decisionSla' }),
    requestedBy: z.string(),
    requestedAt: z.string(),
    decisionDueAt: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
    processedAt: z.string().nullable(),
    reversed: z.object({ entryId: z.string().nullable(), count: z.number(), total: z.string() }),
  })
  .openapi('Refund');
const refundDetailSchema = refundSchema
  .extend({
    order: z.object({ total: z.string(), refunded: z.string(), refundable: z.string(), currency: z.string(), cancelled: z.boolean() }),
    reversals: z.array(reversalLine).openapi({ description: 'Each commission the refund reversed (a partner sees only their own)' }),
  })
  .openapi('RefundDetail');

const listQuery = z.object({
  status: z.enum(refundStatuses).optional(),
  reason: z.enum(refundReasons).optional(),
  orderId: orderIdSchema.optional(),
  partnerId: partnerIdSchema.optional().openapi({ description: 'The seller; a partner always gets their own' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
});

const approveBody = z.object({ reason: z.string().trim().min(1).max(1000).optional() }).strict().openapi('RefundApproval');
const rejectBody = z.object({ reason: z.string().trim().min(1).max(1000) }).strict().openapi('RefundRejection');

const route = <T extends Parameters<typeof createRoute>[0]>(definition: T) => createRoute({ security: bearerSecurity, ...definition });

const createRefund = route({
  operationId: 'createRefund', method: 'post', path: '/refunds',
  summary: 'Request a refund of an order (full or partial); runs as workflow refund-<id>',
  description: 'Claims the amount on the order at once: a request beyond what is left to refund is a 409 naming `amount` and changes nothing. Honours `Idempotency-Key`.',
  request: { headers: stepUpHeaders, body: { content: { 'application/json': { schema: createBody } }, required: true } },
  responses: {
    202: { description: 'Recorded, PENDING an admin’s decision', content: { 'application/json': { schema: refundSchema } } },
    ...errors, 404: errorResponse('Unknown order'), 409: errorResponse('Beyond what is left to refund, the order was cancelled, or the same Idempotency-Key is in progress'),
    422: errorResponse('Amount finer than the order’s currency, or the Idempotency-Key reused with another request'), 503: errorResponse('Temporal unavailable'),
  },
});
const listRefunds = route({
  operationId: 'listRefunds', method: 'get', path: '/refunds', summary: 'The refund queue, newest first (filters: status, reason, order, seller); partners see their own orders’',
  request: { query: listQuery },
  responses: { 200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(refundSchema), nextCursor: z.string().nullable() }) } } }, ...errors },
});
const getRefund = route({
  operationId: 'getRefund', method: 'get', path: '/refunds/{id}', summary: 'One refund, the order’s refund state and the commissions it reversed', request: { params: idParam },
  responses: { 200: { description: 'The refund', content: { 'application/json': { schema: refundDetailSchema } } }, ...errors, 404: errorResponse('No such refund') },
});
const approveRefund = route({
  operationId: 'approveRefund', method: 'post', path: '/refunds/{id}/approve',
  summary: 'Approve a refund: every commission of the order, at every level, is reversed (PROCESSED)',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`; the requester cannot approve. Answers once the reversal is posted.',
  request: { params: idParam, headers: stepUpHeaders, body: { content: { 'application/json': { schema: approveBody } }, required: false } },
  responses: { 200: { description: 'Approved and processed', content: { 'application/json': { schema: refundDetailSchema } } }, ...errors, 404: errorResponse('No such refund'), 409: errorResponse('Not PENDING, or the same Idempotency-Key is in progress'), 422: errorResponse('Idempotency-Key reused with another request'), 503: errorResponse('Temporal unavailable') },
});
const rejectRefund = route({
  operationId: 'rejectRefund', method: 'post', path: '/refunds/{id}/reject', summary: 'Reject a PENDING refund (the order amount it claimed is released)',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: stepUpHeaders, body: { content: { 'application/json': { schema: rejectBody } }, required: true } },
  responses: { 200: { description: 'Rejected', content: { 'application/json': { schema: refundDetailSchema } } }, ...errors, 404: errorResponse('No such refund'), 409: errorResponse('Not PENDING, or the same Idempotency-Key is in progress'), 422: errorResponse('Idempotency-Key reused with another request'), 503: errorResponse('Temporal unavailable') },
});

function actorOf(user: AuthenticatedUser, ip: string | null = null): RefundActor {
  return { userId: user.id, role: user.role as AdminRole, ...(ip ? { ip } : {}) };
}

export function refundRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, temporal } = dependencies;

  const toRefund = (row: RefundRow) => ({
    id: row.id, workflowId: refundWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, refundWorkflowId(row.id)),
    orderId: row.order_id, partnerId: row.partner_id, customerId: row.customer_id, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    orderTotal: formatMoney(row.order_total, row.currency), type: row.refund_type, reason: row.reason as (typeof refundReasons)[number], reversal: row.reversal,
    note: row.note, status: row.status, overdue: row.status === 'PENDING' && row.decision_due_at.getTime() < Date.now(), requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(), decisionDueAt: row.decision_due_at.toISOString(), decidedBy: row.decided_by,
    decidedAt: row.decided_at?.toISOString() ?? null, decisionReason: row.decision_reason, processedAt: row.processed_at?.toISOString() ?? null,
    reversed: { entryId: row.reversal_entry_id, count: row.reversed_count, total: new Money(row.reversed_total).toFixed(2) },
  });
  const detail = async (row: RefundRow, user: AuthenticatedUser) => {
    const order = await orderRefundState(database, row.order_id);
    const reversals = await refundReversals(database, row.id, user.role === 'partner' ? user.partnerId! : null);
    return {
      ...toRefund(row),
      order: { total: formatMoney(order.total, order.currency), refunded: formatMoney(order.refunded, order.currency), refundable: formatMoney(order.refundable, order.currency), currency: order.currency, cancelled: order.cancelled },
      reversals: reversals.map((line) => ({ commissionId: line.commission_id, partnerId: line.partner_id, level: line.level, statusBefore: line.status_before, amount: formatMoney(line.amount, line.currency), currency: line.currency })),
    };
  };
  const requireAdmin = (user: AuthenticatedUser, permission: 'refunds.request' | 'refunds.approve') => {
    if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'refunds are requested and decided by admins');
    requirePermission(user, permission);
  };
  const decide = async (kind: RefundDecisionKind, id: string, user: AuthenticatedUser, headers: { 'x-totp-code'?: string; 'idempotency-key'?: string }, reason: string | null, ip: string | null) => {
    const row = await requireRefund(database, id);
    return runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: [`${kind}-refund`, id, reason] }, async () => {
      // Refused before the TOTP is checked: a refusal consumes no code.
      checkRefundDecision(row, kind, user.id);
      await requireFreshTotp(identity, user, headers['x-totp-code'], kind === 'approve' ? 'an approval' : 'a rejection');
      try {
        await sendRefundDecision(temporal, id, kind, { actor: actorOf(user, ip), reason });
      } catch (error) {
        throw toApiError(error, 'the refund');
      }
      return { status: 200, body: await detail(await requireRefund(database, id), user) };
    });
  };

  return createSubApp()
    .openapi(createRefund, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'refunds.request');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/refunds', body] }, async () => {
        const row = await requestRefund(dependencies, {
          orderId: body.orderId, ...(body.amount === undefined ? {} : { amount: body.amount }), reason: body.reason, note: body.note ?? null,
          requestedBy: actorOf(user), ip: clientIp(c),
        });
        return { status: 202, body: toRefund(row) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof refundSchema>, 202);
    })
    .openapi(listRefunds, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'refunds.read.any');
      const rows = await listRefundRows(database, {
        partnerId, status: query.status, reason: query.reason, orderId: query.orderId, limit: query.limit,
        after: query.cursor ? decodeTimeCursor(query.cursor) : undefined,
      });
      const last = rows.at(-1);
      return c.json({ data: rows.map(toRefund), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null }, 200);
    })
    .openapi(getRefund, async (c) => {
      const user = c.get('user');
      const row = await requireRefund(database, c.req.valid('param').id);
      if (user.role === 'partner') {
        if (row.partner_id === null) throw new ApiError(403, 'forbidden', 'partners may only read their own data');
        requirePartnerAccess(user, row.partner_id, 'refunds.read.any');
      } else requirePermission(user, 'refunds.read.any');
      return c.json(await detail(row, user), 200);
    })
    .openapi(approveRefund, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'refunds.approve');
      const body = (await c.req.json().catch(() => ({}))) as { reason?: unknown };
      const reason = typeof body.reason === 'string' && body.reason.trim().length > 0 ? body.reason.trim().slice(0, 1000) : null;
      const result = await decide('approve', c.req.valid('param').id, user, c.req.valid('header'), reason, clientIp(c));
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof refundDetailSchema>, 200);
    })
    .openapi(rejectRefund, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'refunds.approve');
      const body = c.req.valid('json');
      const result = await decide('reject', c.req.valid('param').id, user, c.req.valid('header'), body.reason, clientIp(c));
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof refundDetailSchema>, 200);
    });
}
