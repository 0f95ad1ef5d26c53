import { createRoute, z } from '@hono/zod-openapi';
import { batchItemOutcomes, batchStatuses, findPayoutBatch, listPayoutBatches, type PayoutBatchRow } from '../../modules/payouts/batch-store.ts';
import { createSubApp, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/**
 * What went to the payment provider together (docs/rules.md#payout-batches: "batched by payment method"): each batch as the worker
 * recorded it before sending (SENDING) and with the provider's answer per payout (SENT). Read-only, for admins.
 * The batches are modules/payouts/batch-store.ts's.
 */

const batchSchema = z
  .object({
    id: z.string(),
    methodId: z.string(),
    provider: z.string(),
    status: z.enum(batchStatuses).openapi({ description: 'SENDING: recorded, no answer yet (or the worker died while sending)' }),
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
    outcome: z.enum(batchItemOutcomes).nullable(),
    providerReference: z.string().nullable(),
    failureCode: z.string().nullable(),
    message: z.string().nullable(),
  })
  .openapi('PayoutBatchItem');

const toBatch = (row: PayoutBatchRow) => ({
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
  operationId: 'listPayoutBatches',
  summary: 'Provider batches, newest first',
  security: bearerSecurity,
  request: {
    query: z.object({
      methodId: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'a payment method id').optional(),
      status: z.enum(batchStatuses).optional(),
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
  operationId: 'getPayoutBatch',
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
      const page = await listPayoutBatches(database, c.req.valid('query'));
      return c.json({ batches: page.batches.map(toBatch), next: page.next }, 200);
    })
    .openapi(getBatch, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const { id } = c.req.valid('param');
      const found = await findPayoutBatch(database, id);
      if (!found) throw new ApiError(404, 'not_found', `payout batch ${id} does not exist`, 'params.id');
      const { batch, items } = found;
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
