import { createRoute, z } from '@hono/zod-openapi';
import { PayoutSchedule, walletStates } from '../../modules/payouts/payout-schedule.ts';
import { isIsoDate } from '../../domain/payout-schedule.ts';
import { createSubApp, requirePartnerAccess, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * The payment schedule as the API shows it (docs/rules.md#payment-schedule): a partner's "next payment" and the admin's list
 * for a payment date. The figures come from modules/payouts/payout-schedule.ts, the same code the schedule's run
 * pays by.
 */

const dateSchema = z
  .string()
  .refine(isIsoDate, 'a date such as "2025-01-15"')
  .openapi({ description: 'A payment date (YYYY-MM-DD); default: the next payment date of the policy on or after today (UTC)' });

const walletSchema = z
  .object({
    currency: z.string(),
    amount: z.string().openapi({ description: 'The next payment: inAvailable + awaitingPayBatch' }),
    inAvailable: z.string().openapi({ description: 'In `available` and cleared by the cutoff: what a run on the date pays' }),
    awaitingPayBatch: z.string().openapi({ description: 'Cleared by the cutoff, reaching `available` with the daily pay batch (less debt it repays)' }),
    method: z.object({ id: z.string(), name: z.string(), minPayout: z.string() }).nullable().openapi({ description: 'The saved method paying this currency (the latest updated); null: none' }),
    belowMinimum: z.boolean(),
    state: z.enum(walletStates).openapi({ description: 'READY is paid by the run; BELOW_MINIMUM only with policy includeBelowMinimum; the others are not' }),
  })
  .openapi('NextPaymentWallet');

const nextPaymentSchema = z
  .object({
    partnerId: z.string(),
    partnerName: z.string(),
    paymentDate: z.string(),
    cutoff: z.string().openapi({ description: 'Money whose hold ended at or before this instant counts (payment date 00:00 UTC − holdDays); bonuses have no hold' }),
    scheduleEnabled: z.boolean(),
    wallets: z.array(walletSchema),
  })
  .openapi('NextPayment');

const previewSchema = z
  .object({
    paymentDate: z.string(),
    cutoff: z.string(),
    scheduleEnabled: z.boolean(),
    includeBelowMinimum: z.boolean(),
    partners: z.array(z.object({ partnerId: z.string(), partnerName: z.string(), wallets: z.array(walletSchema) })),
    next: z.string().nullable(),
  })
  .openapi('PayoutSchedulePreview');

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Not allowed'),
};

const getNextPayment = createRoute({
  method: 'get',
  path: '/partners/{id}/next-payment',
  operationId: 'getPartnerNextPayment',
  summary: 'A partner’s next payment per wallet: what cleared the hold by (payment date − hold days), bonuses without a hold',
  security: bearerSecurity,
  request: {
    params: z.object({ id: partnerIdSchema.openapi({ param: { name: 'id', in: 'path' } }) }),
    query: z.object({ date: dateSchema.optional() }),
  },
  responses: {
    200: { description: 'The next payment', content: { 'application/json': { schema: nextPaymentSchema } } },
    ...errors,
    404: errorResponse('No such partner'),
  },
});

const getPreview = createRoute({
  method: 'get',
  path: '/payout-schedule/preview',
  operationId: 'getPayoutSchedulePreview',
  summary: 'Every partner with something due on a payment date and what the schedule would do (below the minimum: listed, flagged)',
  security: bearerSecurity,
  request: {
    query: z.object({
      date: dateSchema.optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      after: partnerIdSchema.optional().openapi({ description: 'The `next` cursor of the previous page' }),
    }),
  },
  responses: { 200: { description: 'A page, by partner id', content: { 'application/json': { schema: previewSchema } } }, ...errors },
});

export function payoutScheduleRoutes(dependencies: ApiDependencies) {
  const schedule = new PayoutSchedule(dependencies.database, dependencies.ledger, dependencies.policies);
  return createSubApp()
    .openapi(getNextPayment, async (c) => {
      const { id } = c.req.valid('param');
      const { date } = c.req.valid('query');
      requirePartnerAccess(c.get('user'), id, 'payouts.read.any');
      const figure = await schedule.nextPayment(id, date);
      if (!figure) throw new ApiError(404, 'not_found', `partner ${id} does not exist`, 'params.id');
      return c.json(figure, 200);
    })
    .openapi(getPreview, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const query = c.req.valid('query');
      return c.json(await schedule.preview({ date: query.date, after: query.after ?? null, limit: query.limit }), 200);
    });
}
