import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'slonik';
import { z as zod } from 'zod';
import { payoutStatuses } from '../../domain/payout.ts';
import { detailsChangedSinceMany } from '../../modules/payouts/details-change.ts';
import { createSubApp, partnerScope, type ApiDependencies } from '../context.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * Payments history and search (SPEC 6.8, source 004's "Payments history / Search"), mounted at
 * /v1/payment-history: payouts newest first, each with the copy of the payment details it was (or is to be) paid
 * to, searchable by substring over those details' values, the partner's id and name, and the payout's references.
 * Each payout also says which of its details changed since the partner's previous completed payout by the same
 * method (SPEC 6.6's warning).
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
      .openapi({ description: 'Which details differ from the previous completed payout’s copy (SPEC 6.6)' }),
  })
  .openapi('PaymentHistoryItem');
type PaymentBody = zod.infer<typeof paymentSchema>;

const listHistory = createRoute({
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

const historyRow = zod.object({
  id: zod.string(),
  partner_id: zod.string(),
  partner_name: zod.string(),
  method_id: zod.string(),
  currency: zod.string(),
  amount: zod.string(),
  fee: zod.string(),
  amount_to_transfer: zod.string(),
  status: zod.enum(payoutStatuses),
  payment_details: zod.record(zod.string()),
  external_reference: zod.string().nullable(),
  provider_reference: zod.string().nullable(),
  created_at: zod.date(),
  closed_at: zod.date().nullable(),
  cursor_time: zod.string(),
});

/** ILIKE's wildcards and its escape character, taken literally. */
export function likePattern(text: string): string {
  return `%${text.replaceAll(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export function paymentHistoryRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;

  return createSubApp().openapi(listHistory, async (c) => {
    const query = c.req.valid('query');
    const user = c.get('user');
    const partnerId = partnerScope(user, query.partnerId, 'payouts.read.any');
    const conditions = [sql.fragment`TRUE`];
    if (partnerId) conditions.push(sql.fragment`p.partner_id = ${partnerId}`);
    if (query.methodId) conditions.push(sql.fragment`p.method_id = ${query.methodId}`);
    if (query.status) conditions.push(sql.fragment`p.status = ${query.status}`);
    // A draft is not a payment (SPEC 6.1): listed only when an admin asks for drafts, never to the partner.
    if (!query.status || user.role === 'partner') conditions.push(sql.fragment`p.status <> 'DRAFT'`);
    if (query.cursor) {
      const cursor = decodeTimeCursor(query.cursor);
      conditions.push(sql.fragment`(p.created_at, p.id) < (${cursor.cursorTime}::timestamptz, ${cursor.id}::uuid)`);
    }
    if (query.q) {
      // Two searches, each able to use its trigram index (migration 009): the payout's own text, and its partner's
      // id and name. An OR across the join would scan every payout instead.
      const pattern = likePattern(query.q);
      conditions.push(sql.fragment`p.id IN (
        SELECT s.id FROM payouts s
        WHERE payout_search_text(s.payment_details, s.external_reference, s.provider_reference) ILIKE ${pattern}
        UNION
        SELECT s.id FROM payouts s JOIN partners sp ON sp.id = s.partner_id
        WHERE sp.name ILIKE ${pattern} OR sp.id ILIKE ${pattern})`);
    }
    const rows = await database.any(sql.type(historyRow)`
      SELECT p.id, p.partner_id, pa.name AS partner_name, p.method_id, p.currency, p.amount, p.fee, p.amount_to_transfer,
             p.status, p.payment_details, p.external_reference, p.provider_reference, p.created_at, p.closed_at,
             to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time
      FROM payouts p JOIN partners pa ON pa.id = p.partner_id
      WHERE ${sql.join(conditions, sql.fragment` AND `)}
      ORDER BY p.created_at DESC, p.id DESC
      LIMIT ${query.limit}`);
    const changes = await detailsChangedSinceMany(database, rows.map((row) => row.id));
    const payments: PaymentBody[] = rows.map((row) => {
      const change = changes.get(row.id) ?? { changedFields: [], previousPayoutId: null };
      return {
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
        detailsChange: { changed: change.changedFields.length > 0, ...change },
      };
    });
    const last = rows.at(-1);
    const nextCursor = rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null;
    return c.json({ payments, nextCursor }, 200);
  });
}
