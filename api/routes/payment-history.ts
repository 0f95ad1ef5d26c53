import { createRoute, z } from '@hono/zod-openapi';
import { payoutStatuses } from '../../domain/payout.ts';
import { searchPaymentHistory } from '../../modules/payouts/payment-history.ts';
import { createSubApp, partnerScope, type ApiDependencies } from '../context.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * Payments history and search (docs/rules.md#payment-history), mounted at
 * /v1/payment-history: payouts newest first, each with the copy of the payment details it was (or is to be) paid
 * to, searchable by substring over those details' values, the partner's id and name, and the payout's references.
 * Each payout also says which of its details changed since the partner's previous completed payout by the same
 * method (the warning in docs/rules.md#details-changed).
 */

const historyQuery = z.object({
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters')
    .optional()
    .openapi({ description: 'Case-insensitive substring of a payment detail value, the partner id or name, or a reference' }),
  partnerId: partnerIdSchema.optional(),
  methodId: z.string().max(40).optional(),
  status: z.enum(payoutStatuses).optional().openapi({ description: 'COMPLETED: payments made' }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
});

const paymentSchema = z
  .object({
    id: z.string(),
    partnerId: z.string(),
    partnerName: z.string(),
    methodId: z.string(),
    currency: z.string(),
    amount: z.string(),
    fee: z.string(),
    amountToTransfer: z.string(),
    status: z.enum(payoutStatuses),
    paymentDetails: z.record(z.string()).openapi({ description: 'The payout’s own copy of the details it is paid to' }),
    externalReference: z.string().nullable(),
    providerReference: z.string().nullable(),
    createdAt: z.string(),
    closedAt: z.string().nullable(),
    detailsChange: z
      .object({
        changed: z.boolean(),
        changedFields: z.array(z.string()),
        previousPayoutId: z.string().nullable().openapi({ description: 'The partner’s previous COMPLETED payout by the same method' }),
      })
      .openapi({ description: 'Which details differ from the previous completed payout’s copy (docs/rules.md#details-changed)' }),
  })
  .openapi('PaymentHistoryItem');
type PaymentBody = z.infer<typeof paymentSchema>;

const listHistory = createRoute({
  operationId: 'listPaymentHistory',
  method: 'get',
  path: '/',
  summary: 'Payments history and search, newest first (partners see their own)',
  security: bearerSecurity,
  request: { query: historyQuery },
  responses: {
    200: {
      description: 'A page of payouts',
      content: { 'application/json': { schema: z.object({ payments: z.array(paymentSchema), nextCursor: z.string().nullable() }) } },
    },
    400: errorResponse('Malformed request'),
    401: errorResponse('Not signed in'),
    403: errorResponse('Not allowed'),
  },
});

export function paymentHistoryRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;

  return createSubApp().openapi(listHistory, async (c) => {
    const query = c.req.valid('query');
    const user = c.get('user');
    const partnerId = partnerScope(user, query.partnerId, 'payouts.read.any');
    const rows = await searchPaymentHistory(database, {
      partnerId,
      methodId: query.methodId,
      status: query.status,
      // A draft is not a payment (docs/rules.md#payout-statuses): listed only when an admin asks for drafts, never to the partner.
      includeDrafts: Boolean(query.status) && user.role !== 'partner',
      text: query.q,
      after: query.cursor ? decodeTimeCursor(query.cursor) : undefined,
      limit: query.limit,
    });
    const payments: PaymentBody[] = rows.map((row) => ({
      id: row.id,
      partnerId: row.partner_id,
      partnerName: row.partner_name,
      methodId: row.method_id,
      currency: row.currency,
      amount: row.amount,
      fee: row.fee,
      amountToTransfer: row.amount_to_transfer,
      status: row.status,
      paymentDetails: row.payment_details,
      externalReference: row.external_reference,
      providerReference: row.provider_reference,
      createdAt: row.created_at.toISOString(),
      closedAt: row.closed_at?.toISOString() ?? null,
      detailsChange: { changed: row.detailsChange.changedFields.length > 0, ...row.detailsChange },
    }));
    const last = rows.at(-1);
    const nextCursor = rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null;
    return c.json({ payments, nextCursor }, 200);
  });
}
