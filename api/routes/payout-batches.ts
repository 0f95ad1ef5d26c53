import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'slonik';
import { z as zod } from 'zod';
import { createSubApp, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/**
 * What went to the payment provider together (SPEC 6.6 "batched by payment method"): each batch as the worker
 * recorded it before sending (SENDING) and with the provider's answer per payout (SENT). Read-only, for admins.
 */

const batchSchema = z
  .object({
    id: z.string(),
    methodId: z.string(),
    provider: z.string(),
    status: z.enum(['SENDING', 'SENT']).openapi({ description: 'SENDING: recorded, no answer yet (or the worker died while sending)' }),
    itemCount: z.number(),
    totals: z.record(z.string()).openapi({ description: 'The amounts sent per currency, as decimal strings', example: { USD: '1960.00' } }),
    acceptedCount: z.number().nullable(),
    failedCount: z.number().nullable(),
    createdAt: z.string(),
    answeredAt: z.string().nullable(),
  })
  .openapi('PayoutBatch');

const itemSchema = z
  .object({
    position: z.number(),
    payoutId: z.string(),
    idempotencyKey: z.string().openapi({ description: '<payoutId>:<attempt>: the attempt this item carried' }),
    amount: z.string(),
    currency: z.string(),
    outcome: z.enum(['ACCEPTED', 'FAILED', 'REJECTED']).nullable(),
    providerReference: z.string().nullable(),
    failureCode: z.string().nullable(),
    message: z.string().nullable(),
  })
  .openapi('PayoutBatchItem');

const batchRow = zod.object({
  id: zod.string(),
  method_id: zod.string(),
  provider: zod.string(),
  status: zod.enum(['SENDING', 'SENT']),
  item_count: zod.number(),
  totals: zod.record(zod.string()),
  accepted_count: zod.number().nullable(),
  failed_count: zod.number().nullable(),
  created_at: zod.date(),
  answered_at: zod.date().nullable(),
});

const itemRow = zod.object({
  position: zod.number(),
  payout_id: zod.string(),
  idempotency_key: zod.string(),
  amount: zod.string(),
  currency: zod.string(),
  outcome: zod.enum(['ACCEPTED', 'FAILED', 'REJECTED']).nullable(),
  provider_reference: zod.string().nullable(),
  failure_code: zod.string().nullable(),
  message: zod.string().nullable(),
});

const batchColumns = sql.fragment`id, method_id, provider, status, item_count, totals, accepted_count, failed_count, created_at, answered_at`;

const toBatch = (row: zod.infer<typeof batchRow>) => ({
  id: row.id,
  methodId: row.method_id,
  provider: row.provider,
  status: row.status,
  itemCount: row.item_count,
  totals: row.totals,
  acceptedCount: row.accepted_count,
  failedCount: row.failed_count,
  createdAt: row.created_at.toISOString(),
  answeredAt: row.answered_at?.toISOString() ?? null,
});

const listBatches = createRoute({
  method: 'get',
  path: '/',
  summary: 'Provider batches, newest first',
  security: bearerSecurity,
  request: {
    query: z.object({
      methodId: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'a payment method id').optional(),
      status: z.enum(['SENDING', 'SENT']).optional(),
      before: z.string().datetime().optional().openapi({ description: 'The `next` cursor of the previous page (a createdAt)' }),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    }),
  },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ batches: z.array(batchSchema), next: z.string().nullable() }) } } },
    400: errorResponse('Malformed request'),
    401: errorResponse('Not signed in'),
    403: errorResponse('Not allowed'),
  },
});

const getBatch = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'One provider batch with each payout it carried and the provider’s answer',
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The batch', content: { 'application/json': { schema: batchSchema.extend({ items: z.array(itemSchema) }) } } },
    400: errorResponse('Malformed request'),
    401: errorResponse('Not signed in'),
    403: errorResponse('Not allowed'),
    404: errorResponse('No such batch'),
  },
});

export function payoutBatchRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  return createSubApp()
    .openapi(listBatches, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const query = c.req.valid('query');
      const conditions = [sql.fragment`TRUE`];
      if (query.methodId) conditions.push(sql.fragment`method_id = ${query.methodId}`);
      if (query.status) conditions.push(sql.fragment`status = ${query.status}`);
      if (query.before) conditions.push(sql.fragment`created_at < ${query.before}::timestamptz`);
      const rows = await database.any(sql.type(batchRow)`
        SELECT ${batchColumns} FROM payout_batches WHERE ${sql.join(conditions, sql.fragment` AND `)}
        ORDER BY created_at DESC, id LIMIT ${query.limit + 1}`);
      const page = rows.slice(0, query.limit);
      return c.json({ batches: page.map(toBatch), next: rows.length > query.limit ? page.at(-1)!.created_at.toISOString() : null }, 200);
    })
    .openapi(getBatch, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const { id } = c.req.valid('param');
      const batch = await database.maybeOne(sql.type(batchRow)`SELECT ${batchColumns} FROM payout_batches WHERE id = ${id}`);
      if (!batch) throw new ApiError(404, 'not_found', `payout batch ${id} does not exist`, 'params.id');
      const items = await database.any(sql.type(itemRow)`
        SELECT position, payout_id, idempotency_key, amount::text AS amount, currency, outcome, provider_reference, failure_code, message
        FROM payout_batch_items WHERE batch_id = ${id} ORDER BY position`);
      return c.json(
        {
          ...toBatch(batch),
          items: items.map((item) => ({
            position: item.position,
            payoutId: item.payout_id,
            idempotencyKey: item.idempotency_key,
            amount: item.amount,
            currency: item.currency,
            outcome: item.outcome,
            providerReference: item.provider_reference,
            failureCode: item.failure_code,
            message: item.message,
          })),
        },
        200,
      );
    });
}
