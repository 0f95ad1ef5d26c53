import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ZodError, z as zod } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { chargebackOutcomes, chargebackStatuses, chargebackSteps, providerActor, type ChargebackActor } from '../../domain/chargeback.ts';
import { chargebackPenalties } from '../../domain/lifecycle-policy.ts';
import { Money, formatMoney, isCurrency } from '../../domain/money.ts';
import { chargebackWorkflowId } from '../../workflows/chargeback-messages.ts';
import { chargebackReversals, chargebackStepsOf, listChargebacks as listChargebackRows, requireChargeback, type ChargebackRow } from '../../modules/chargebacks/chargeback-store.ts';
import { checkChargebackUndecided, deliverProviderDecision, sendChargebackDecision } from '../../modules/chargebacks/decide-chargeback.ts';
import { sendChargebackStep } from '../../modules/chargebacks/investigate-chargeback.ts';
import { receiveChargebackNotice } from '../../modules/chargebacks/record-chargeback.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { signatureHeaderName, verifyWebhook, WebhookSignatureError } from '../../providers/webhooks.ts';
import { orderRefundState } from '../../modules/refunds/order-refunds.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError, toApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountWhere, bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * Chargebacks (docs/rules.md#chargebacks): a provider's notice — its signed webhook
 * (POST /v1/webhooks/chargebacks) or an admin's entry (POST /v1/chargebacks) — opens workflow `chargeback-<id>`,
 * which reverses the order's commissions at once, flags and penalises the seller; admins record the investigation's
 * steps and the outcome (or the provider's webhook brings it). A notice whose provider reference is known opens
 * nothing new.
 */

export const chargebackWebhookPath = '/v1/webhooks/chargebacks';

const textSchema = (max: number) => z.string().trim().min(1).max(max).regex(/^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/, 'no control characters');
const orderIdSchema = z.string().min(1).max(200).regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters');
const referenceSchema = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'visible ASCII characters');
const positiveAmount = amountWhere((amount) => amount.gt(0), 'a positive amount');
const stepUpHeaders = z.object({
  'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }),
  'idempotency-key': z.string().optional(),
});
const idParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed'),
};

const noticeFields = {
  orderId: orderIdSchema.openapi({ description: 'The order id its ORDER_COMPLETED event was reported with (`sourceId`)' }),
  amount: positiveAmount.openapi({ description: 'The amount charged back, in the order’s currency' }),
  currency: z.string().refine(isCurrency, 'unknown currency').openapi({ example: 'USD' }),
  providerReference: referenceSchema.openapi({ description: 'The provider’s id of the chargeback: a second notice with it opens nothing' }),
  reasonCode: textSchema(100).openapi({ description: 'The provider’s reason code (e.g. 10.4, 4837)' }),
  note: textSchema(2000).optional(),
};
const createBody = z.object(noticeFields).strict().openapi('CreateChargebackRequest');

const stepSchema = z.object({ sequence: z.number(), step: z.enum(chargebackSteps), note: z.string().nullable(), recordedBy: z.string(), recordedAt: z.string() });
const reversalLine = z.object({
  commissionId: z.string(), partnerId: z.string(), level: z.number(), statusBefore: z.enum(['PENDING', 'APPROVED', 'PAID']), amount: z.string(),
  currency: z.string(), recredited: z.string(), recreditStatus: z.enum(['PENDING', 'APPROVED', 'PAID', 'SUPERSEDED']).nullable(),
});
const chargebackSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    workflowUrl: z.string().nullable(),
    providerReference: z.string(),
    source: z.enum(['WEBHOOK', 'ADMIN']),
    orderId: z.string(),
    partnerId: z.string().nullable().openapi({ description: 'The seller (the partner whose sale it was)' }),
    partnerChargebackCount: z.number().nullable().openapi({ description: 'This is the seller’s Nth chargeback (the penalty matrix’s row)' }),
    customerId: z.string().nullable(),
    amount: z.string(),
    currency: z.string(),
    orderTotal: z.string(),
    reasonCode: z.string(),
    note: z.string().nullable(),
    status: z.enum(chargebackStatuses),
    openedBy: z.string(),
    openedAt: z.string(),
    reversal: z.enum(['FULL', 'PROPORTIONAL']),
    reversed: z.object({ at: z.string().nullable(), entryId: z.string().nullable(), count: z.number(), total: z.string() }),
    penalty: z.object({
      kind: z.enum(chargebackPenalties).nullable(), appliedAt: z.string().nullable(), monitoringEndsAt: z.string().nullable(), monitoringEndedAt: z.string().nullable(),
    }),
    escalations: z.number(),
    decision: z.object({
      outcome: z.enum(chargebackOutcomes), amountWon: z.string(), decidedBy: z.string(), decidedAt: z.string(), note: z.string().nullable(),
      recreditEntryId: z.string().nullable(), recreditedTotal: z.string(),
    }).nullable(),
  })
  .openapi('Chargeback');
const chargebackDetailSchema = chargebackSchema
  .extend({
    steps: z.array(stepSchema),
    reversals: z.array(reversalLine).openapi({ description: 'Each commission reversed at open and what the outcome gave back (a partner sees only their own)' }),
    order: z.object({ total: z.string(), refunded: z.string(), refundable: z.string(), currency: z.string() }),
  })
  .openapi('ChargebackDetail');
const openedSchema = chargebackSchema.extend({ duplicate: z.boolean().openapi({ description: 'The provider reference was known: nothing new was opened' }) });

const listQuery = z.object({
  status: z.enum(chargebackStatuses).optional(),
  orderId: orderIdSchema.optional(),
  partnerId: partnerIdSchema.optional().openapi({ description: 'The seller; a partner always gets their own' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
});
const stepBody = z.object({ step: z.enum(chargebackSteps), note: textSchema(2000).optional() }).strict().openapi('ChargebackStep');
const decisionBody = z
  .object({
    outcome: z.enum(chargebackOutcomes),
    amountWon: positiveAmount.optional().openapi({ description: 'PARTIAL only: the part of the chargeback amount won' }),
    note: textSchema(2000).optional(),
  })
  .strict()
  .superRefine((value, context) => {
    if (value.outcome === 'PARTIAL' && value.amountWon === undefined) context.addIssue({ code: 'custom', path: ['amountWon'], message: 'a PARTIAL outcome needs amountWon' });
    if (value.outcome !== 'PARTIAL' && value.amountWon !== undefined) context.addIssue({ code: 'custom', path: ['amountWon'], message: 'amountWon is for a PARTIAL outcome only' });
  })
  .openapi('ChargebackDecision');

/** The provider's chargeback webhook: its own event types, signed like the payout webhook. */
const webhookEvent = zod.discriminatedUnion('type', [
  zod.object({
    type: zod.literal('chargeback.opened'), eventId: zod.string().min(1).max(200),
    orderId: orderIdSchema, amount: zod.string().regex(/^\d{1,16}(\.\d{1,8})?$/), currency: zod.string().refine(isCurrency, 'unknown currency'),
    providerReference: referenceSchema, reasonCode: zod.string().trim().min(1).max(100), note: zod.string().trim().min(1).max(2000).optional(),
  }).strict(),
  zod.object({
    type: zod.literal('chargeback.decided'), eventId: zod.string().min(1).max(200), providerReference: referenceSchema,
    outcome: zod.enum(chargebackOutcomes), amountWon: zod.string().regex(/^\d{1,16}(\.\d{1,8})?$/).optional(), note: zod.string().trim().min(1).max(2000).optional(),
  }).strict(),
]);

const route = <T extends Parameters<typeof createRoute>[0]>(definition: T) => createRoute({ security: bearerSecurity, ...definition });

const createChargeback = route({
  operationId: 'createChargeback', method: 'post', path: '/chargebacks',
  summary: 'Enter a provider’s chargeback notice; runs as workflow chargeback-<id>',
  description: 'Claims the amount on the order at once (beyond what is left: 409 naming `amount`, nothing written); the workflow reverses the '
    + 'order’s commissions, flags and penalises the seller. A known `providerReference` opens nothing new (200, `duplicate: true`). Honours `Idempotency-Key`.',
  request: { headers: stepUpHeaders, body: { content: { 'application/json': { schema: createBody } }, required: true } },
  responses: {
    201: { description: 'Opened', content: { 'application/json': { schema: openedSchema } } },
    200: { description: 'A duplicate notice: the chargeback it names', content: { 'application/json': { schema: openedSchema } } },
    ...errors, 404: errorResponse('Unknown order'),
    409: errorResponse('Beyond what is left of the order, the order cancelled, the reference names another order, or the same Idempotency-Key is in progress'),
    422: errorResponse('Currency or amount not the order’s, or the Idempotency-Key reused with another request'), 503: errorResponse('Temporal unavailable'),
  },
});
const listChargebacks = route({
  operationId: 'listChargebacks', method: 'get', path: '/chargebacks', summary: 'Chargebacks, newest first (filters: status, order, seller); partners see their own orders’',
  request: { query: listQuery },
  responses: { 200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(chargebackSchema), nextCursor: z.string().nullable() }) } } }, ...errors },
});
const getChargeback = route({
  operationId: 'getChargeback', method: 'get', path: '/chargebacks/{id}', summary: 'One chargeback with its investigation steps and the commissions it reversed (and re-credited)',
  request: { params: idParam },
  responses: { 200: { description: 'The chargeback', content: { 'application/json': { schema: chargebackDetailSchema } } }, ...errors, 404: errorResponse('No such chargeback') },
});
const recordStep = route({
  operationId: 'createChargebackStep', method: 'post', path: '/chargebacks/{id}/steps', summary: 'Record an investigation step (evidence gathered, submitted to the provider, awaiting decision)',
  request: { params: idParam, body: { content: { 'application/json': { schema: stepBody } }, required: true } },
  responses: { 200: { description: 'Recorded', content: { 'application/json': { schema: chargebackDetailSchema } } }, ...errors, 404: errorResponse('No such chargeback'), 409: errorResponse('Decided, or a step behind the current one'), 503: errorResponse('Temporal unavailable') },
});
const decide = route({
  operationId: 'createChargebackDecision', method: 'post', path: '/chargebacks/{id}/decision', summary: 'Record the provider’s outcome: WON re-credits the reversed commissions, LOST keeps the reversal, PARTIAL re-credits the share won',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`. Answers once the re-credit is posted.',
  request: { params: idParam, headers: stepUpHeaders, body: { content: { 'application/json': { schema: decisionBody } }, required: true } },
  responses: { 200: { description: 'Decided', content: { 'application/json': { schema: chargebackDetailSchema } } }, ...errors, 404: errorResponse('No such chargeback'), 409: errorResponse('Decided already, or the same Idempotency-Key is in progress'), 422: errorResponse('amountWon out of range, or the Idempotency-Key reused with another request'), 503: errorResponse('Temporal unavailable') },
});
const webhook = createRoute({
  operationId: 'receiveChargebackWebhook',
  method: 'post', path: '/webhooks/chargebacks',
  // No session: the provider signs each delivery instead (the description says how); api/app.ts lets it through.
  security: [],
  summary: "The payment provider's chargeback notices: opened, decided (signed; no session)",
  description: `Authenticated by \`${signatureHeaderName}: t=<unix seconds>,v1=<HMAC-SHA256 hex of "t.rawBody">\` with the provider's shared secret `
    + '(LEDGERFLOW_PROVIDER_WEBHOOK_SECRET), like /v1/webhooks/provider. `chargeback.opened` opens a chargeback (a known `providerReference` opens nothing); '
    + '`chargeback.decided` brings the outcome to workflow chargeback-<id>; a repeated delivery is answered 200 and changes nothing.',
  responses: {
    200: { description: 'Received', content: { 'application/json': { schema: z.object({ received: z.literal(true), chargebackId: z.string(), duplicate: z.boolean() }) } } },
    400: errorResponse('Signed, but not a chargeback event'),
    401: errorResponse(`Missing, stale or wrong ${signatureHeaderName}`),
    404: errorResponse('Unknown order or provider reference'),
    409: errorResponse('Beyond what is left of the order, or decided otherwise already'),
    422: errorResponse('Currency or amount not the order’s'),
    503: errorResponse('No webhook secret configured, or Temporal unavailable'),
  },
});

function actorOf(user: AuthenticatedUser, ip: string | null = null): ChargebackActor {
  return { userId: user.id, role: user.role as AdminRole, ...(ip ? { ip } : {}) };
}

export function chargebackRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, temporal } = dependencies;

  const toChargeback = (row: ChargebackRow) => ({
    id: row.id, workflowId: chargebackWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, chargebackWorkflowId(row.id)),
    providerReference: row.provider_reference, source: row.source, orderId: row.order_id, partnerId: row.partner_id, partnerChargebackCount: row.partner_sequence,
    customerId: row.customer_id, amount: formatMoney(row.amount, row.currency), currency: row.currency, orderTotal: formatMoney(row.order_total, row.currency),
    reasonCode: row.reason_code, note: row.note, status: row.status, openedBy: row.opened_by, openedAt: row.opened_at.toISOString(), reversal: row.reversal,
    reversed: { at: row.reversed_at?.toISOString() ?? null, entryId: row.reversal_entry_id, count: row.reversed_count, total: new Money(row.reversed_total).toFixed(2) },
    penalty: {
      kind: row.penalty, appliedAt: row.penalty_applied_at?.toISOString() ?? null, monitoringEndsAt: row.monitoring_ends_at?.toISOString() ?? null,
      monitoringEndedAt: row.monitoring_ended_at?.toISOString() ?? null,
    },
    escalations: row.escalations,
    decision: row.decided_at === null ? null : {
      outcome: row.status as (typeof chargebackOutcomes)[number], amountWon: formatMoney(row.amount_won!, row.currency), decidedBy: row.decided_by!,
      decidedAt: row.decided_at.toISOString(), note: row.decision_note, recreditEntryId: row.recredit_entry_id, recreditedTotal: new Money(row.recredited_total).toFixed(2),
    },
  });
  const detail = async (row: ChargebackRow, user: AuthenticatedUser) => {
    const order = await orderRefundState(database, row.order_id);
    const steps = await chargebackStepsOf(database, row.id);
    const reversals = await chargebackReversals(database, row.id, user.role === 'partner' ? user.partnerId! : null);
    return {
      ...toChargeback(row),
      steps: steps.map((step) => ({ sequence: step.sequence, step: step.step, note: step.note, recordedBy: step.recorded_by, recordedAt: step.recorded_at.toISOString() })),
      reversals: reversals.map((line) => ({
        commissionId: line.commission_id, partnerId: line.partner_id, level: line.level, statusBefore: line.status_before,
        amount: formatMoney(line.amount, line.currency), currency: line.currency, recredited: formatMoney(line.recredited, line.currency), recreditStatus: line.recredit_status,
      })),
      order: { total: formatMoney(order.total, order.currency), refunded: formatMoney(order.refunded, order.currency), refundable: formatMoney(order.refundable, order.currency), currency: order.currency },
    };
  };
  const requireManager = (user: AuthenticatedUser) => {
    if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'chargebacks are managed by admins');
    requirePermission(user, 'chargebacks.manage');
  };

  return createSubApp()
    .openapi(createChargeback, async (c) => {
      const user = c.get('user');
      requireManager(user);
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/chargebacks', body] }, async () => {
        const { row, created } = await receiveChargebackNotice(dependencies, body, { source: 'ADMIN', openedBy: user.id, ip: clientIp(c) });
        return { status: created ? 201 : 200, body: { ...toChargeback(row), duplicate: !created } };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof openedSchema>, result.status as 201);
    })
    .openapi(listChargebacks, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'chargebacks.read.any');
      const rows = await listChargebackRows(database, {
        partnerId, status: query.status, orderId: query.orderId, limit: query.limit, after: query.cursor ? decodeTimeCursor(query.cursor) : undefined,
      });
      const last = rows.at(-1);
      return c.json({ data: rows.map(toChargeback), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null }, 200);
    })
    .openapi(getChargeback, async (c) => {
      const user = c.get('user');
      const row = await requireChargeback(database, c.req.valid('param').id);
      if (user.role === 'partner') {
        if (row.partner_id === null) throw new ApiError(403, 'forbidden', 'partners may only read their own data');
        requirePartnerAccess(user, row.partner_id, 'chargebacks.read.any');
      } else requirePermission(user, 'chargebacks.read.any');
      return c.json(await detail(row, user), 200);
    })
    .openapi(recordStep, async (c) => {
      const user = c.get('user');
      requireManager(user);
      const row = await requireChargeback(database, c.req.valid('param').id);
      const body = c.req.valid('json');
      try {
        await sendChargebackStep(temporal, row.id, { actor: actorOf(user, clientIp(c)), step: body.step, note: body.note ?? null });
      } catch (error) {
        throw toApiError(error, 'the chargeback');
      }
      return c.json(await detail(await requireChargeback(database, row.id), user), 200);
    })
    .openapi(decide, async (c) => {
      const user = c.get('user');
      requireManager(user);
      const id = c.req.valid('param').id;
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const row = await requireChargeback(database, id);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['decide-chargeback', id, body] }, async () => {
        // Refused before the TOTP is checked: a refusal consumes no code.
        checkChargebackUndecided(row);
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a chargeback decision');
        try {
          await sendChargebackDecision(temporal, row.id, { actor: actorOf(user, clientIp(c)), outcome: body.outcome, amountWon: body.amountWon ?? null, note: body.note ?? null });
        } catch (error) {
          throw toApiError(error, 'the chargeback');
        }
        return { status: 200, body: await detail(await requireChargeback(database, id), user) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof chargebackDetailSchema>, 200);
    })
    // Outside the session check (api/app.ts sessionFreeRoutes), authenticated by the provider's signature.
    .openapi(webhook, async (c) => {
      const secret = dependencies.providerWebhookSecret;
      if (!secret) throw new ApiError(503, 'not_configured', 'no provider webhook secret is configured (LEDGERFLOW_PROVIDER_WEBHOOK_SECRET)');
      const rawBody = new Uint8Array(await c.req.arrayBuffer());
      let event: zod.infer<typeof webhookEvent>;
      try {
        verifyWebhook({ rawBody, header: c.req.header(signatureHeaderName), secret });
        event = webhookEvent.parse(JSON.parse(Buffer.from(rawBody).toString('utf8')));
      } catch (error) {
        if (error instanceof WebhookSignatureError) throw new ApiError(401, 'invalid_signature', error.message, signatureHeaderName);
        if (error instanceof ZodError || error instanceof SyntaxError) throw new ApiError(400, 'invalid_request', `not a chargeback event: ${error.message.slice(0, 200)}`, 'body');
        throw error;
      }
      if (event.type === 'chargeback.opened') {
        const { row, created } = await receiveChargebackNotice(dependencies, event, { source: 'WEBHOOK', openedBy: providerActor.userId, ip: null });
        return c.json({ received: true as const, chargebackId: row.id, duplicate: !created }, 200);
      }
      try {
        const { chargebackId, duplicate } = await deliverProviderDecision(dependencies, event);
        return c.json({ received: true as const, chargebackId, duplicate }, 200);
      } catch (error) {
        throw toApiError(error, 'the chargeback');
      }
    });
}
