import { randomUUID } from 'node:crypto';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  ActivityFailure,
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
import { RefundInputError, abandonRefund, loadRefund, recordRefundRequest, refundColumns, refundRow, type RefundRow } from '../../activities/refunds.ts';
import { orderRefundState } from '../../modules/refunds/order-refunds.ts';
import type { AdminRole } from '../../domain/access.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { refundReasons, refundStatuses, refundTypes, reversalModes, type RefundActor, type RefundRequest } from '../../domain/refund.ts';
import type { refundWorkflow } from '../../workflows/refund.ts';
import { approveRefundUpdate, type RefundRefusal, refundRefusedType, refundWorkflowId, rejectRefundUpdate } from '../../workflows/refund-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';
import type { Policy } from '../../domain/policy.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountSchema, bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * The refund queue (SPEC 7, source 000 "Refund Requests Queue"): request ID, order, customer, amount, full or
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
    amount: amountSchema
      .refine((value) => new Money(value).gt(0), 'a refund is positive')
      .optional()
      .openapi({ description: 'In the order’s currency. Absent: everything the order still has to refund (the whole order when nothing was refunded)' }),
    reason: z.enum(refundReasons).openapi({ description: 'SPEC 7: PARTIAL_DAMAGE reverses proportionally, the others in full (a partial amount always proportionally)' }),
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
  method: 'post', path: '/refunds',
  summary: 'Request a refund of an order (full or partial); runs as workflow refund-<id>',
  description: 'Claims the amount on the order at once: a request beyond what is left to refund is a 409 naming `amount` and changes nothing. Honours `Idempotency-Key`.',
  request: { headers: stepUpHeaders, body: { content: { 'application/json': { schema: createBody } }, required: true } },
  responses: {
    202: { description: 'Recorded, PENDING an admin’s decision', content: { 'application/json': { schema: refundSchema } } },
    ...errors, 404: errorResponse('Unknown order'), 409: errorResponse('Beyond what is left to refund, or the order was cancelled'),
    422: errorResponse('Amount finer than the order’s currency'), 503: errorResponse('Temporal unavailable'),
  },
});
const listRefunds = route({
  method: 'get', path: '/refunds', summary: 'The refund queue, newest first (filters: status, reason, order, seller); partners see their own orders’',
  request: { query: listQuery },
  responses: { 200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(refundSchema), nextCursor: z.string().nullable() }) } } }, ...errors },
});
const getRefund = route({
  method: 'get', path: '/refunds/{id}', summary: 'One refund, the order’s refund state and the commissions it reversed', request: { params: idParam },
  responses: { 200: { description: 'The refund', content: { 'application/json': { schema: refundDetailSchema } } }, ...errors, 404: errorResponse('No such refund') },
});
const approveRefund = route({
  method: 'post', path: '/refunds/{id}/approve',
  summary: 'Approve a refund: every commission of the order, at every level, is reversed (PROCESSED)',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`; the requester cannot approve. Answers once the reversal is posted.',
  request: { params: idParam, headers: stepUpHeaders, body: { content: { 'application/json': { schema: approveBody } }, required: false } },
  responses: { 200: { description: 'Approved and processed', content: { 'application/json': { schema: refundDetailSchema } } }, ...errors, 404: errorResponse('No such refund'), 409: errorResponse('Not PENDING'), 503: errorResponse('Temporal unavailable') },
});
const rejectRefund = route({
  method: 'post', path: '/refunds/{id}/reject', summary: 'Reject a PENDING refund (the order amount it claimed is released)',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: stepUpHeaders, body: { content: { 'application/json': { schema: rejectBody } }, required: true } },
  responses: { 200: { description: 'Rejected', content: { 'application/json': { schema: refundDetailSchema } } }, ...errors, 404: errorResponse('No such refund'), 409: errorResponse('Not PENDING'), 503: errorResponse('Temporal unavailable') },
});

function translateWorkflowError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof WorkflowUpdateFailedError) {
    // A validator's refusal is the update's cause; an activity's refusal arrives wrapped in its ActivityFailure.
    const cause = error.cause instanceof ActivityFailure ? error.cause.cause : error.cause;
    if (cause instanceof ApplicationFailure && cause.type === refundRefusedType) {
      const refusal = cause.details?.[0] as RefundRefusal | undefined;
      return new ApiError(refusal?.status ?? 409, refusal?.code ?? 'refused', cause.message, refusal?.field ?? undefined);
    }
    return new ApiError(409, 'refused', cause instanceof Error ? cause.message : 'the refund refused the decision');
  }
  if (error instanceof WorkflowNotFoundError) return new ApiError(409, 'invalid_state', 'the refund’s workflow is closed or missing', 'status');
  const grpc = error instanceof ServiceError ? error.cause : error;
  if (isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4)) return new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; nothing was decided');
  return error;
}

function actorOf(user: AuthenticatedUser): RefundActor {
  return { userId: user.id, role: user.role as AdminRole };
}

const reversalRow = zod.object({
  commission_id: zod.string(), partner_id: zod.string(), level: zod.number(), status_before: zod.enum(['PENDING', 'APPROVED', 'PAID']), amount: zod.string(), currency: zod.string(),
});

export function refundRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, temporal, policies } = dependencies;

  const toRefund = (row: RefundRow) => ({
    id: row.id, workflowId: refundWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, refundWorkflowId(row.id)),
    orderId: row.order_id, partnerId: row.partner_id, customerId: row.customer_id, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    orderTotal: formatMoney(row.order_total, row.currency), type: row.refund_type, reason: row.reason as (typeof refundReasons)[number], reversal: row.reversal,
    note: row.note, status: row.status, overdue: row.status === 'PENDING' && row.decision_due_at.getTime() < Date.now(), requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(), decisionDueAt: row.decision_due_at.toISOString(), decidedBy: row.decided_by,
    decidedAt: row.decided_at?.toISOString() ?? null, decisionReason: row.decision_reason, processedAt: row.processed_at?.toISOString() ?? null,
    reversed: { entryId: row.reversal_entry_id, count: row.reversed_count, total: new Money(row.reversed_total).toFixed(2) },
  });
  const load = async (id: string) => {
    const row = await loadRefund(database, id);
    if (!row) throw new ApiError(404, 'not_found', `no refund ${id}`, 'params.id');
    return row;
  };
  const detail = async (row: RefundRow, user: AuthenticatedUser) => {
    const order = await orderRefundState(database, row.order_id);
    const reversals = await database.any(sql.type(reversalRow)`
      SELECT commission_id::text AS commission_id, partner_id, level, status_before, amount::text AS amount, currency FROM refund_reversals
      WHERE refund_id = ${row.id} ${user.role === 'partner' ? sql.fragment`AND partner_id = ${user.partnerId!}` : sql.fragment``}
      ORDER BY level, commission_id`);
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
  const decide = async (kind: 'approve' | 'reject', id: string, user: AuthenticatedUser, headers: { 'x-totp-code'?: string; 'idempotency-key'?: string }, reason: string | null) => {
    const row = await load(id);
    return runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: [`${kind}-refund`, id, reason] }, async () => {
      // Refused before the TOTP is checked: a refusal consumes no code.
      if (row.status !== 'PENDING') throw new ApiError(409, 'invalid_state', `refund ${id} is ${row.status}`, 'status');
      if (kind === 'approve' && row.requested_by === user.id) throw new ApiError(403, 'maker_checker', 'the requester of a refund cannot approve it');
      await requireFreshTotp(identity, user, headers['x-totp-code'], kind === 'approve' ? 'an approval' : 'a rejection');
      const handle = temporal.workflow.getHandle<typeof refundWorkflow>(refundWorkflowId(id));
      try {
        await handle.executeUpdate(kind === 'approve' ? approveRefundUpdate : rejectRefundUpdate, { args: [{ actor: actorOf(user), reason }] });
      } catch (error) {
        throw translateWorkflowError(error);
      }
      return { status: 200, body: await detail(await load(id), user) };
    });
  };

  return createSubApp()
    .openapi(createRefund, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'refunds.request');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/refunds', body] }, async () => {
        const { policy } = await policies.active();
        const refundId = randomUUID();
        const recorded = await database.transaction((transaction) => recordRefundRequest(transaction, {
          refundId, orderId: body.orderId, ...(body.amount === undefined ? {} : { amount: body.amount }), reason: body.reason, note: body.note ?? null,
          requestedBy: actorOf(user), ip: clientIp(c.req.raw.headers), policyVersion: policy.version, policy: policy.refunds,
        })).catch((error: unknown) => {
          if (error instanceof RefundInputError) throw new ApiError(error.status, error.code, error.message, error.field);
          throw error;
        });
        const row = recorded.row;
        try {
          await startRefundWorkflow(temporal, dependencies.taskQueue, row, policy, user.id);
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
            await database.transaction((transaction) => abandonRefund(transaction, refundId, 'the workflow could not be started'));
            throw new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; the refund was not recorded');
          }
        }
        return { status: 202, body: toRefund(row) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof refundSchema>, 202);
    })
    .openapi(listRefunds, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'refunds.read.any');
      const conditions = [sql.fragment`TRUE`];
      if (partnerId !== undefined) conditions.push(sql.fragment`partner_id = ${partnerId}`);
      if (query.status) conditions.push(sql.fragment`status = ${query.status}`);
      if (query.reason) conditions.push(sql.fragment`reason = ${query.reason}`);
      if (query.orderId) conditions.push(sql.fragment`order_id = ${query.orderId}`);
      if (query.cursor) {
        const cursor = decodeTimeCursor(query.cursor);
        conditions.push(sql.fragment`(requested_at, id) < (${cursor.cursorTime}::timestamptz, ${cursor.id}::uuid)`);
      }
      const rows = await database.any(sql.type(refundRow)`
        SELECT ${refundColumns} FROM refunds WHERE ${sql.join(conditions, sql.fragment` AND `)}
        ORDER BY requested_at DESC, id DESC LIMIT ${query.limit}`);
      const last = rows.at(-1);
      return c.json({ data: rows.map(toRefund), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null }, 200);
    })
    .openapi(getRefund, async (c) => {
      const user = c.get('user');
      const row = await load(c.req.valid('param').id);
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
      const result = await decide('approve', c.req.valid('param').id, user, c.req.valid('header'), reason);
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof refundDetailSchema>, 200);
    })
    .openapi(rejectRefund, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'refunds.approve');
      const body = c.req.valid('json');
      const result = await decide('reject', c.req.valid('param').id, user, c.req.valid('header'), body.reason);
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof refundDetailSchema>, 200);
    });
}

/** Starts `refund-<id>` for a recorded request, as the route does and the demo data set does. */
export async function startRefundWorkflow(temporal: Client, taskQueue: string, row: RefundRow, policy: Policy, requestedBy: string): Promise<void> {
  const request: RefundRequest = {
    refundId: row.id, orderId: row.order_id, partnerId: row.partner_id, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    reversal: row.reversal, requestedBy,
  };
  await temporal.workflow.start<typeof refundWorkflow>('refundWorkflow', {
    workflowId: refundWorkflowId(row.id), taskQueue,
    args: [request, { version: policy.version, refunds: policy.refunds, debt: policy.debt }],
    typedSearchAttributes: [
      ...(row.partner_id === null ? [] : [{ key: partnerIdKey, value: row.partner_id }]),
      { key: amountKey, value: new Money(row.amount).toNumber() }, { key: currencyKey, value: row.currency }, { key: statusKey, value: 'PENDING' },
    ],
    memo: { summary: `Refund ${request.amount} ${row.currency} of order ${row.order_id} (${row.reason}, ${row.refund_type}, reversal ${row.reversal})` },
  });
}
