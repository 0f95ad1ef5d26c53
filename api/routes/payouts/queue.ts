import { createRoute, z } from '@hono/zod-openapi';
import { ranks } from '../../../domain/network.ts';
import { payoutPriorities } from '../../../domain/payout-policy.ts';
import { assignPayout, isQueueSortKey, listPayoutQueue, queueSortKeys, type QueueRow, type QueueSortKey } from '../../../modules/payouts/payout-queue.ts';
import { payoutRecordStatuses } from '../../../modules/payouts/payout-store.ts';
import { createSubApp, partnerScope, requirePartnerAccess, requirePermission, type ApiDependencies } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { amountSchema, bearerSecurity, errorResponse, partnerIdSchema } from '../../schemas.ts';
import { errors, hideDraftFromPartner, idParams, payoutActionRoute, payoutResponse, payoutSchema, payoutViews } from './views.ts';

/** The payout queue: the list with its filters and cursor, one payout, and who in the queue works it. */

const listQuery = z.object({
  status: z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(payoutRecordStatuses)).min(1))
    .optional()
    .openapi({ description: 'One status or several, comma-separated (docs/rules.md#payout-queue: PENDING is REQUESTED). DRAFT is listed only when asked for, and never to partners' }),
  partnerId: partnerIdSchema.optional(),
  methodId: z.string().max(40).optional(),
  priority: z.enum(payoutPriorities).optional(),
  rank: z.enum(ranks).optional().openapi({ description: 'The partner’s current rank' }),
  minAmount: amountSchema.optional(),
  maxAmount: amountSchema.optional(),
  from: z.string().datetime({ offset: true }).optional().openapi({ description: 'Requested at or after' }),
  to: z.string().datetime({ offset: true }).optional().openapi({ description: 'Requested before' }),
  assignedTo: z.union([z.string().uuid(), z.literal('none')]).optional().openapi({ description: 'An admin’s user id, or `none`' }),
  slaBreached: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
  needsReview: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .openapi({ description: 'true: the manual review queue (automatic payouts whose provider attempts ran out)' }),
  sort: z.enum(queueSortKeys).default('sla_due_at'),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().max(300).optional().openapi({ description: 'The `next` cursor of the previous page (same sort and order)' }),
});

const listPayouts = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listPayouts',
  summary: 'The payout queue (the columns in docs/rules.md#payout-queue and filters), soonest SLA first by default; partners see their own',
  security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ payouts: z.array(payoutSchema), next: z.string().nullable() }) } } },
    ...errors,
  },
});

const getPayout = createRoute({
  method: 'get',
  path: '/{id}',
  operationId: 'getPayout',
  summary: 'One payout: state, checklist, required chain, approvals, fee',
  security: bearerSecurity,
  request: { params: idParams },
  responses: { 200: payoutResponse('The payout'), ...errors, 404: errorResponse('No such payout') },
});

const assignBody = z
  .object({ userId: z.string().uuid().nullable().openapi({ description: 'The admin to assign; null removes the assignment' }) })
  .strict()
  .openapi('AssignPayoutRequest');
const assignPayoutRoute = payoutActionRoute('assignPayout', '/{id}/assign', 'Assign the payout to an admin in the queue, or remove the assignment', assignBody, true);

/** The `next` cursor: the sort and order it is for, and the last row's sort key and id, opaque to the client. */
const cursorSchema = z.tuple([z.enum(queueSortKeys), z.enum(['asc', 'desc']), z.string(), z.string().uuid()]);

function encodeCursor(sort: string, order: string, row: QueueRow): string {
  return Buffer.from(JSON.stringify([sort, order, row.sort_key, row.id])).toString('base64url');
}

function decodeCursor(text: string, sort: QueueSortKey, order: 'asc' | 'desc'): { key: string; id: string } {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new ApiError(400, 'invalid_request', 'query.after: not a cursor this list gave out', 'query.after');
  }
  const [cursorSort, cursorOrder, key, id] = parsed;
  if (cursorSort !== sort || cursorOrder !== order) {
    throw new ApiError(400, 'invalid_request', `query.after: the cursor is for sort=${cursorSort}&order=${cursorOrder}`, 'query.after');
  }
  if (!isQueueSortKey(sort, key)) throw new ApiError(400, 'invalid_request', 'query.after: not a cursor this list gave out', 'query.after');
  return { key, id };
}

export function payoutQueueRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  const { toPayouts, toPayout, loadPayout, reloadPayout } = payoutViews(dependencies);

  return createSubApp()
    .openapi(listPayouts, async (c) => {
      const user = c.get('user');
      const { status, sort, order, limit, after, partnerId: requested, ...filter } = c.req.valid('query');
      const partnerId = partnerScope(user, requested, 'payouts.read.any');
      const cursor = after === undefined ? null : decodeCursor(after, sort, order);
      const page = await listPayoutQueue(database, { ...filter, statuses: status, partnerId, partnerView: user.role === 'partner' }, { sort, order, after: cursor, limit });
      const next = page.more ? encodeCursor(sort, order, page.rows.at(-1)!) : null;
      return c.json({ payouts: await toPayouts(page.rows), next }, 200);
    })
    .openapi(getPayout, async (c) => {
      const { id } = c.req.valid('param');
      const user = c.get('user');
      const row = await loadPayout(id);
      requirePartnerAccess(user, row.partner_id, 'payouts.read.any');
      hideDraftFromPartner(user, row);
      return c.json(await toPayout(row), 200);
    })
    .openapi(assignPayoutRoute, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const user = c.get('user');
      if (user.role === 'partner') {
        hideDraftFromPartner(user, await loadPayout(id));
        throw new ApiError(403, 'forbidden', 'only admins assign payouts');
      }
      requirePermission(user, 'payouts.approve');
      await assignPayout(database, await loadPayout(id), body.userId);
      return c.json(await reloadPayout(id), 200);
    });
}
