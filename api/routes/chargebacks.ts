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
} from '@temporalio/client';
import { sql } from 'slonik';
import { ZodError, z as zod } from 'zod';
import {
  ChargebackInputError,
  chargebackColumns,
  chargebackReversalRow,
  chargebackRow,
  chargebackStepRow,
  loadChargeback,
  loadChargebackByReference,
  recordChargeback,
  type ChargebackRow,
} from '../../activities/chargebacks.ts';
import { orderRefundState } from '../../modules/refunds/order-refunds.ts';
import type { AdminRole } from '../../domain/access.ts';
import {
  chargebackOutcomes,
  chargebackRefusedType,
  chargebackStatuses,
  chargebackSteps,
  providerActor,
  type ChargebackActor,
  type ChargebackRefusal,
  type ChargebackRequest,
} from '../../domain/chargeback.ts';
import { chargebackPenalties } from '../../domain/lifecycle-policy.ts';
import { Money, formatMoney, isCurrency } from '../../domain/money.ts';
import { signatureHeaderName, verifyWebhook, WebhookSignatureError } from '../../providers/webhooks.ts';
import type { chargebackWorkflow } from '../../workflows/chargeback.ts';
import { type ChargebackDecisionInput, chargebackWorkflowId, decideChargebackUpdate, recordChargebackStepUpdate } from '../../workflows/chargeback-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountSchema, bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * Chargebacks (SPEC 8, source 000 "Chargeback Process"): a provider's notice — its signed webhook
 * (POST /v1/webhooks/chargebacks) or an admin's entry (POST /v1/chargebacks) — opens workflow `chargeback-<id>`,
 * which reverses the order's commissions at once, flags and penalises the seller; admins record the investigation's
 * steps and the outcome (or the provider's webhook brings it). A notice whose provider reference is known opens
 * nothing new.
 */

export const chargebackWebhookPath = '/v1/webhooks/chargebacks';

const textSchema = (max: number) => z.string().trim().min(1).max(max).regex(/^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/, 'no control characters');
const orderIdSchema = z.string().min(1).max(200).regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters');
const referenceSchema = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'visible ASCII characters');
const positiveAmount = amountSchema.refine((value) => new Money(value).gt(0), 'a positive amount');
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
  method: 'post', path: '/chargebacks',
  summary: 'Enter a provider’s chargeback notice; runs as workflow chargeback-<id>',
  description: 'Claims the amount on the order at once (beyond what is left: 409 naming `amount`, nothing written); the workflow reverses the '
    + 'order’s commissions, flags and penalises the seller. A known `providerReference` opens nothing new (200, `duplicate: true`). Honours `Idempotency-Key`.',
  request: { headers: stepUpHeaders, body: { content: { 'application/json': { schema: createBody } }, required: true } },
  responses: {
    201: { description: 'Opened', content: { 'application/json': { schema: openedSchema } } },
    200: { description: 'A duplicate notice: the chargeback it names', content: { 'application/json': { schema: openedSchema } } },
    ...errors, 404: errorResponse('Unknown order'), 409: errorResponse('Beyond what is left of the order, the order cancelled, or the reference names another order'),
    422: errorResponse('Currency or amount not the order’s'), 503: errorResponse('Temporal unavailable'),
  },
});
const listChargebacks = route({
  method: 'get', path: '/chargebacks', summary: 'Chargebacks, newest first (filters: status, order, seller); partners see their own orders’',
  request: { query: listQuery },
  responses: { 200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(chargebackSchema), nextCursor: z.string().nullable() }) } } }, ...errors },
});
const getChargeback = route({
  method: 'get', path: '/chargebacks/{id}', summary: 'One chargeback with its investigation steps and the commissions it reversed (and re-credited)',
  request: { params: idParam },
  responses: { 200: { description: 'The chargeback', content: { 'application/json': { schema: chargebackDetailSchema } } }, ...errors, 404: errorResponse('No such chargeback') },
});
const recordStep = route({
  method: 'post', path: '/chargebacks/{id}/steps', summary: 'Record an investigation step (evidence gathered, submitted to the provider, awaiting decision)',
  request: { params: idParam, body: { content: { 'application/json': { schema: stepBody } }, required: true } },
  responses: { 200: { description: 'Recorded', content: { 'application/json': { schema: chargebackDetailSchema } } }, ...errors, 404: errorResponse('No such chargeback'), 409: errorResponse('Decided, or a step behind the current one'), 503: errorResponse('Temporal unavailable') },
});
const decide = route({
  method: 'post', path: '/chargebacks/{id}/decision', summary: 'Record the provider’s outcome: WON re-credits the reversed commissions, LOST keeps the reversal, PARTIAL re-credits the share won',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`. Answers once the re-credit is posted.',
  request: { params: idParam, headers: stepUpHeaders, body: { content: { 'application/json': { schema: decisionBody } }, required: true } },
  responses: { 200: { description: 'Decided', content: { 'application/json': { schema: chargebackDetailSchema } } }, ...errors, 404: errorResponse('No such chargeback'), 409: errorResponse('Decided already'), 422: errorResponse('amountWon out of range'), 503: errorResponse('Temporal unavailable') },
});
const webhook = createRoute({
  method: 'post', path: '/webhooks/chargebacks',
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

function translateWorkflowError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof WorkflowUpdateFailedError) {
    // A validator's refusal is the update's cause; an activity's refusal arrives wrapped in its ActivityFailure.
    const cause = error.cause instanceof ActivityFailure ? error.cause.cause : error.cause;
    if (cause instanceof ApplicationFailure && cause.type === chargebackRefusedType) {
      const refusal = cause.details?.[0] as ChargebackRefusal | undefined;
      return new ApiError(refusal?.status ?? 409, refusal?.code ?? 'refused', cause.message, refusal?.field ?? undefined);
    }
    return new ApiError(409, 'refused', cause instanceof Error ? cause.message : 'the chargeback refused it');
  }
  if (error instanceof WorkflowNotFoundError) return new ApiError(409, 'invalid_state', 'the chargeback’s workflow is closed or missing', 'status');
  const grpc = error instanceof ServiceError ? error.cause : error;
  if (isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4)) return new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; nothing was recorded');
  return error;
}

function actorOf(user: AuthenticatedUser): ChargebackActor {
  return { userId: user.id, role: user.role as AdminRole };
}

const reversalColumns = sql.fragment`commission_id::text AS commission_id, partner_id, level, status_before, amount::text AS amount, currency,
  recredited::text AS recredited, recredit_status`;

export function chargebackRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, temporal, policies } = dependencies;

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
  const load = async (id: string) => {
    const row = await loadChargeback(database, id);
    if (!row) throw new ApiError(404, 'not_found', `no chargeback ${id}`, 'params.id');
    return row;
  };
  const detail = async (row: ChargebackRow, user: AuthenticatedUser | null) => {
    const order = await orderRefundState(database, row.order_id);
    const steps = await database.any(sql.type(chargebackStepRow)`
      SELECT sequence, step, note, recorded_by, recorded_at FROM chargeback_steps WHERE chargeback_id = ${row.id} ORDER BY sequence`);
    const reversals = await database.any(sql.type(chargebackReversalRow)`
      SELECT ${reversalColumns} FROM chargeback_reversals
      WHERE chargeback_id = ${row.id} ${user?.role === 'partner' ? sql.fragment`AND partner_id = ${user.partnerId!}` : sql.fragment``}
      ORDER BY level, commission_id`);
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

  const open = (notice: Notice, source: 'WEBHOOK' | 'ADMIN', openedBy: string, ip: string | null) => openNotice(dependencies, notice, source, openedBy, ip);

  const sendDecision = async (row: ChargebackRow, decision: ChargebackDecisionInput) => {
    const handle = temporal.workflow.getHandle<typeof chargebackWorkflow>(chargebackWorkflowId(row.id));
    try {
      await handle.executeUpdate(decideChargebackUpdate, { args: [decision] });
    } catch (error) {
      throw translateWorkflowError(error);
    }
  };

  return createSubApp()
    .openapi(createChargeback, async (c) => {
      const user = c.get('user');
      requireManager(user);
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/chargebacks', body] }, async () => {
        const { row, created } = await open(body, 'ADMIN', user.id, clientIp(c.req.raw.headers));
        return { status: created ? 201 : 200, body: { ...toChargeback(row), duplicate: !created } };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof openedSchema>, result.status as 201);
    })
    .openapi(listChargebacks, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'chargebacks.read.any');
      const conditions = [sql.fragment`TRUE`];
      if (partnerId !== undefined) conditions.push(sql.fragment`partner_id = ${partnerId}`);
      if (query.status) conditions.push(sql.fragment`status = ${query.status}`);
      if (query.orderId) conditions.push(sql.fragment`order_id = ${query.orderId}`);
      if (query.cursor) {
        const cursor = decodeTimeCursor(query.cursor);
        conditions.push(sql.fragment`(opened_at, id) < (${cursor.cursorTime}::timestamptz, ${cursor.id}::uuid)`);
      }
      const rows = await database.any(sql.type(chargebackRow)`
        SELECT ${chargebackColumns} FROM chargebacks WHERE ${sql.join(conditions, sql.fragment` AND `)}
        ORDER BY opened_at DESC, id DESC LIMIT ${query.limit}`);
      const last = rows.at(-1);
      return c.json({ data: rows.map(toChargeback), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null }, 200);
    })
    .openapi(getChargeback, async (c) => {
      const user = c.get('user');
      const row = await load(c.req.valid('param').id);
      if (user.role === 'partner') {
        if (row.partner_id === null) throw new ApiError(403, 'forbidden', 'partners may only read their own data');
        requirePartnerAccess(user, row.partner_id, 'chargebacks.read.any');
      } else requirePermission(user, 'chargebacks.read.any');
      return c.json(await detail(row, user), 200);
    })
    .openapi(recordStep, async (c) => {
      const user = c.get('user');
      requireManager(user);
      const row = await load(c.req.valid('param').id);
      const body = c.req.valid('json');
      const handle = temporal.workflow.getHandle<typeof chargebackWorkflow>(chargebackWorkflowId(row.id));
      try {
        await handle.executeUpdate(recordChargebackStepUpdate, { args: [{ actor: actorOf(user), step: body.step, note: body.note ?? null }] });
      } catch (error) {
        throw translateWorkflowError(error);
      }
      return c.json(await detail(await load(row.id), user), 200);
    })
    .openapi(decide, async (c) => {
      const user = c.get('user');
      requireManager(user);
      const id = c.req.valid('param').id;
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const row = await load(id);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['decide-chargeback', id, body] }, async () => {
        // Refused before the TOTP is checked: a refusal consumes no code.
        if (row.decided_at !== null) throw new ApiError(409, 'invalid_state', `chargeback ${id} is ${row.status}`, 'status');
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'a chargeback decision');
        await sendDecision(row, { actor: actorOf(user), outcome: body.outcome, amountWon: body.amountWon ?? null, note: body.note ?? null });
        return { status: 200, body: await detail(await load(id), user) };
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
        const { row, created } = await open(event, 'WEBHOOK', providerActor.userId, null);
        return c.json({ received: true as const, chargebackId: row.id, duplicate: !created }, 200);
      }
      const row = await loadChargebackByReference(database, event.providerReference);
      if (!row) throw new ApiError(404, 'not_found', `no chargeback with provider reference ${event.providerReference}`, 'body.providerReference');
      if (row.decided_at !== null) {
        if (row.status === event.outcome) return c.json({ received: true as const, chargebackId: row.id, duplicate: true }, 200);
        throw new ApiError(409, 'invalid_state', `chargeback ${row.id} is ${row.status} already`, 'body.outcome');
      }
      await sendDecision(row, { actor: providerActor, outcome: event.outcome, amountWon: event.amountWon ?? null, note: event.note ?? null });
      return c.json({ received: true as const, chargebackId: row.id, duplicate: false }, 200);
    });
}

interface Notice { orderId: string; amount: string; currency: string; providerReference: string; reasonCode: string; note?: string | undefined }

/** Records a notice (an admin's entry or the webhook's `chargeback.opened`) and starts its workflow. */
async function openNotice(dependencies: ApiDependencies, notice: Notice, source: 'WEBHOOK' | 'ADMIN', openedBy: string, ip: string | null) {
  const { database, policies } = dependencies;
  const { policy } = await policies.active();
  const { row, created } = await database.transaction((transaction) => recordChargeback(transaction, {
    chargebackId: randomUUID(), providerReference: notice.providerReference, source, orderId: notice.orderId, amount: notice.amount,
    currency: notice.currency, reasonCode: notice.reasonCode, note: notice.note ?? null, openedBy, ip, policyVersion: policy.version,
  })).catch((error: unknown) => {
    if (error instanceof ChargebackInputError) throw new ApiError(error.status, error.code, error.message, error.field);
    throw error;
  });
  await startChargeback(dependencies, row);
  return { row, created };
}

/**
 * Starts `chargeback-<id>` for a recorded notice, under the policy version it was recorded with. A workflow that
 * runs or ran already is left alone (REJECT_DUPLICATE: a closed chargeback is never run again), so a repeated
 * notice after a failed start starts it, and any other repeat does nothing.
 */
export async function startChargeback(dependencies: ApiDependencies, row: ChargebackRow): Promise<void> {
  const version = await dependencies.policies.byVersion(row.policy_version);
  if (!version) throw new Error(`policy version ${row.policy_version} vanished`);
  const policy = version.policy;
  const request: ChargebackRequest = {
    chargebackId: row.id, orderId: row.order_id, partnerId: row.partner_id, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    providerReference: row.provider_reference, openedBy: row.opened_by,
  };
  try {
    await dependencies.temporal.workflow.start<typeof chargebackWorkflow>('chargebackWorkflow', {
      workflowId: chargebackWorkflowId(row.id), taskQueue: dependencies.taskQueue, workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [request, { version: policy.version, chargebacks: policy.chargebacks, debt: policy.debt }],
      typedSearchAttributes: [
        ...(row.partner_id === null ? [] : [{ key: partnerIdKey, value: row.partner_id }]),
        { key: amountKey, value: new Money(row.amount).toNumber() }, { key: currencyKey, value: row.currency }, { key: statusKey, value: 'OPEN' },
      ],
      memo: { summary: `Chargeback ${request.amount} ${row.currency} on order ${row.order_id} (${row.reason_code}, provider ${row.provider_reference})` },
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    throw new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable: the chargeback is recorded and starts when the notice is sent again');
  }
}
