import { createRoute, z } from '@hono/zod-openapi';
import type { z as zod } from 'zod';
import { eventKinds } from '../../domain/commission.ts';
import { DomainError } from '../../domain/errors.ts';
import { decimalPattern, isCurrency, parseMoney, fitsScale } from '../../domain/money.ts';
import { commissionHistory, findCommission, findCommissionEvent, listCommissions } from '../../modules/commissions/commission-store.ts';
import type { EventInput, EventResult } from '../../modules/commissions/ingest-events.ts';
import { startCommissionRun } from '../../modules/commissions/start-commission-run.ts';
import { createSubApp, partnerScope, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies } from '../context.ts';
import { ApiError, validationError } from '../errors.ts';
import { amountSchema, apiKeySecurity, bearerSecurity, currencySchema, errorResponse, partnerIdSchema } from '../schemas.ts';

const referenceSchema = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'visible ASCII characters only');

export const eventSchema = z
  .object({
    externalId: referenceSchema.openapi({ description: 'The sender’s unique id: resending it changes nothing' }),
    kind: z.enum(eventKinds),
    sourceId: referenceSchema.openapi({ description: 'The order, investment or profit distribution' }),
    partnerId: partnerIdSchema.nullable().openapi({ description: 'The partner the customer is attributed to (type 4: the investor); null = no attribution, no commission' }),
    customerId: z.string().max(128).nullable().optional(),
    repeatPurchase: z.boolean().optional().openapi({ description: 'An existing client’s additional purchase (type 3)' }),
    completedAt: z.string().datetime({ offset: true }),
    amount: amountSchema.optional().openapi({ description: 'Net order value, entrance fee, net profit or own investment; not for ORDER_CANCELLED' }),
    currency: currencySchema.optional(),
    yieldRate: z.string().regex(decimalPattern, 'a decimal fraction such as "0.035"').optional().openapi({ description: 'PORTFOLIO_YIELD only' }),
  })
  .strict()
  .superRefine((event, context) => {
    const issue = (path: string, message: string) => context.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    if (event.kind === 'ORDER_CANCELLED') {
      if (event.amount !== undefined) issue('amount', 'an ORDER_CANCELLED event carries no amount');
      return;
    }
    if (event.amount === undefined) return issue('amount', `required for ${event.kind}`);
    if (event.currency === undefined) return issue('currency', `required for ${event.kind}`);
    // Zod runs this refinement even when a field's own pattern failed; a malformed number is that pattern's refusal.
    if (!decimalPattern.test(event.amount)) return;
    const amount = parseMoney(event.amount);
    if (amount.lte(0)) issue('amount', 'must be positive');
    else if (isCurrency(event.currency) && !fitsScale(amount, event.currency)) issue('amount', `more decimal places than ${event.currency} allows`);
    if (event.kind === 'PORTFOLIO_YIELD') {
      if (event.yieldRate === undefined) issue('yieldRate', 'required for PORTFOLIO_YIELD');
      else if (decimalPattern.test(event.yieldRate) && parseMoney(event.yieldRate).lte(0)) issue('yieldRate', 'must be positive');
      if (event.partnerId === null) issue('partnerId', 'a portfolio yield belongs to a partner');
    } else if (event.yieldRate !== undefined) {
      issue('yieldRate', 'only PORTFOLIO_YIELD events carry a yield rate');
    }
  })
  .openapi('CommissionEvent');

const summarySchema = z.object({ id: z.string(), partnerId: z.string(), incomeType: z.number(), level: z.number(), amount: z.string() });
const eventResultSchema = z
  .object({
    externalId: z.string(),
    status: z.enum(['PROCESSED', 'DUPLICATE', 'REJECTED']),
    eventId: z.string().optional(),
    commissions: z.array(summarySchema).optional(),
    reversed: z.number().optional().openapi({ description: 'ORDER_CANCELLED: commissions reversed' }),
    error: z.object({ code: z.string(), message: z.string(), field: z.string() }).optional(),
  })
  .openapi('EventResult');

export const maxBulkEvents = 5_000;

const commissionStatuses = ['PENDING', 'APPROVED', 'PAID', 'REVERSED', 'HELD'] as const;
const commissionSchema = z
  .object({
    id: z.string(),
    partnerId: z.string(),
    incomeType: z.number(),
    incomeTypeName: z.string(),
    level: z.number(),
    sourceType: z.string(),
    sourceId: z.string().nullable(),
    eventExternalId: z.string().nullable(),
    poolRunId: z.string().nullable(),
    base: z.string(),
    rate: z.string(),
    amount: z.string(),
    reversedAmount: z.string(),
    currency: z.string(),
    status: z.enum(commissionStatuses),
    releaseAt: z.string(),
    createdAt: z.string(),
    approvedAt: z.string().nullable(),
    paidAt: z.string().nullable(),
    reversedAt: z.string().nullable(),
    policyVersion: z.number(),
  })
  .openapi('Commission');

const eventDetailSchema = z
  .object({
    id: z.string(), externalId: z.string(), kind: z.string(), sourceType: z.string().nullable(), sourceId: z.string(),
    partnerId: z.string().nullable(), completedAt: z.string(), originalAmount: z.string().nullable(),
    originalCurrency: z.string().nullable(), fxRate: z.string().nullable(), baseUsd: z.string().nullable(),
    policyVersion: z.number().nullable(), commissionCount: z.number(), commissionTotal: z.string(),
    entryId: z.string().nullable(), cancelledByEventId: z.string().nullable(), receivedAt: z.string(),
    commissions: z.array(commissionSchema.extend({ breakdown: z.record(z.string(), z.any()) })),
  })
  .openapi('CommissionEventDetail');

function toResultBody(result: EventResult) {
  if (result.status === 'REJECTED') {
    return { externalId: result.externalId, status: result.status, error: { code: result.code, message: result.message, field: result.field } };
  }
  if (result.status === 'DUPLICATE') return { externalId: result.externalId, status: result.status, eventId: result.eventId };
  return { externalId: result.externalId, status: result.status, eventId: result.eventId, commissions: result.commissions, reversed: result.reversed };
}

function toEventInput(event: zod.infer<typeof eventSchema>): EventInput {
  return {
    externalId: event.externalId,
    kind: event.kind,
    sourceId: event.sourceId,
    partnerId: event.partnerId,
    customerId: event.customerId ?? null,
    repeatPurchase: event.repeatPurchase ?? false,
    completedAt: event.completedAt,
    amount: event.amount,
    currency: event.currency,
    yieldRate: event.yieldRate,
  };
}

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Not allowed'),
};

const postEvent = createRoute({
  method: 'post',
  path: '/events',
  operationId: 'createEvent',
  summary: 'Record one trigger event and calculate its commissions (exactly once per externalId)',
  security: apiKeySecurity('events:write'),
  request: { body: { content: { 'application/json': { schema: eventSchema } }, required: true } },
  responses: {
    201: { description: 'Processed: commissions posted to commission_pending (or, ORDER_CANCELLED, reversed)', content: { 'application/json': { schema: eventResultSchema } } },
    200: { description: 'Already received with the same content: nothing changed', content: { 'application/json': { schema: eventResultSchema } } },
    ...errors,
    409: errorResponse('The externalId was received with different content, or the order already completed'),
    422: errorResponse('Unknown partner or order, or no exchange rate for the completion time'),
  },
});

const postEventsBulk = createRoute({
  method: 'post',
  path: '/events/bulk',
  operationId: 'bulkCreateEvents',
  summary: `Record up to ${maxBulkEvents} events in one request; each line gets its own result`,
  description: 'One transaction for the accepted lines; a rejected line (its error names the field, e.g. `events.3.amount`) changes nothing and does not stop the others.',
  security: apiKeySecurity('events:write'),
  request: { body: { content: { 'application/json': { schema: z.object({ events: z.array(z.unknown()).min(1).max(maxBulkEvents) }).strict() } }, required: true } },
  responses: {
    200: {
      description: 'Per-line results and counts',
      content: { 'application/json': { schema: z.object({ processed: z.number(), duplicates: z.number(), rejected: z.number(), results: z.array(eventResultSchema) }) } },
    },
    ...errors,
  },
});

const getEventRoute = createRoute({
  method: 'get',
  path: '/events/{externalId}',
  operationId: 'getEvent',
  summary: 'One event: its USD conversion, policy version and commissions',
  security: apiKeySecurity('events:read'),
  request: { params: z.object({ externalId: referenceSchema.openapi({ param: { name: 'externalId', in: 'path' } }) }) },
  responses: {
    200: { description: 'The event', content: { 'application/json': { schema: eventDetailSchema } } },
    ...errors,
    404: errorResponse('No such event'),
  },
});

/** The largest PostgreSQL `integer`, the type of commissions.level. */
const levelMax = 2_147_483_647;

const listQuery = z.object({
  status: z.enum(commissionStatuses).optional(),
  partnerId: partnerIdSchema.optional(),
  sourceType: z.enum(['PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT', 'PORTFOLIO_YIELD', 'POOL']).optional(),
  incomeType: z.coerce.number().int().min(1).max(7).optional(),
  // At most what the `level integer` column holds: `1e308` is an integer to JavaScript and a 500 to PostgreSQL.
  level: z.coerce.number().int().min(1).max(levelMax).optional().openapi({ description: 'Exact level (1 = the attributed partner)' }),
  levelMin: z.coerce.number().int().min(1).max(levelMax).optional().openapi({ description: 'Level at least this (the "10+" in docs/rules.md#commission-list)' }),
  from: z.string().datetime({ offset: true }).optional().openapi({ description: 'Created at or after' }),
  to: z.string().datetime({ offset: true }).optional().openapi({ description: 'Created before' }),
  minAmount: amountSchema.optional(),
  maxAmount: amountSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().regex(/^\d{1,19}$/).optional().openapi({ description: 'The `next` cursor of the previous page' }),
});

const listCommissionsRoute = createRoute({
  method: 'get',
  path: '/commissions',
  operationId: 'listCommissions',
  summary: 'Commissions, newest first, with the filters of docs/rules.md#commission-list (partners see only their own)',
  security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ commissions: z.array(commissionSchema), next: z.string().nullable() }) } } },
    ...errors,
  },
});

const getCommissionRoute = createRoute({
  method: 'get',
  path: '/commissions/{id}',
  operationId: 'getCommission',
  summary: 'One commission with its calculation breakdown, source and status history',
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().regex(/^\d{1,19}$/, 'a commission id').openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The commission', content: { 'application/json': { schema: commissionSchema.extend({ breakdown: z.record(z.string(), z.any()), history: z.array(z.object({ action: z.string(), at: z.string(), actor: z.string(), amount: z.string().nullable(), reason: z.string().nullable(), entryId: z.string().nullable() })), partner: z.object({ id: z.string(), name: z.string(), rank: z.string() }) }) } } },
    ...errors,
    404: errorResponse('No such commission'),
  },
});

const startRun = createRoute({
  method: 'post',
  path: '/commission-runs',
  operationId: 'createCommissionRun',
  summary: 'Run the hold release or the pay batch now (the schedules also run them)',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: z.object({ kind: z.enum(['release', 'pay-batch']) }).strict() } }, required: true } },
  responses: {
    202: { description: 'Started', content: { 'application/json': { schema: z.object({ workflowId: z.string(), workflowUrl: z.string().nullable() }) } } },
    ...errors,
    503: errorResponse('Temporal unavailable'),
  },
});

export function commissionRoutes(dependencies: ApiDependencies) {
  const { database, engine, temporal } = dependencies;
  return createSubApp()
    .openapi(postEvent, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'events.ingest');
      const [result] = await engine.ingest([toEventInput(c.req.valid('json'))], user.id);
      if (result!.status === 'REJECTED') throw new DomainError(result!.kind, result!.code, result!.message, `body.${result!.field}`);
      return c.json(toResultBody(result!), result!.status === 'PROCESSED' ? 201 : 200);
    })
    .openapi(postEventsBulk, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'events.ingest');
      const lines = c.req.valid('json').events;
      const results: ReturnType<typeof toResultBody>[] = new Array(lines.length);
      const accepted: { position: number; event: EventInput }[] = [];
      for (const [position, line] of lines.entries()) {
        const parsed = eventSchema.safeParse(line);
        if (parsed.success) {
          accepted.push({ position, event: toEventInput(parsed.data) });
        } else {
          const error = validationError(parsed.error, `events.${position}`);
          const externalId = typeof (line as { externalId?: unknown })?.externalId === 'string' ? (line as { externalId: string }).externalId : '';
          results[position] = { externalId, status: 'REJECTED', error: { code: error.code, message: error.message, field: error.field! } };
        }
      }
      const outcome = await engine.ingest(accepted.map((item) => item.event), user.id);
      for (const [index, item] of accepted.entries()) {
        const body = toResultBody(outcome[index]!);
        if (body.status === 'REJECTED') body.error!.field = `events.${item.position}.${body.error!.field}`;
        results[item.position] = body;
      }
      const count = (status: string) => results.filter((result) => result.status === status).length;
      return c.json({ processed: count('PROCESSED'), duplicates: count('DUPLICATE'), rejected: count('REJECTED'), results }, 200);
    })
    .openapi(getEventRoute, async (c) => {
      requirePermission(c.get('user'), 'events.read');
      const { externalId } = c.req.valid('param');
      const event = await findCommissionEvent(database, externalId);
      if (!event) throw new ApiError(404, 'not_found', `no event ${externalId}`, 'params.externalId');
      return c.json(event, 200);
    })
    .openapi(listCommissionsRoute, async (c) => {
      const query = c.req.valid('query');
      const partnerId = partnerScope(c.get('user'), query.partnerId, 'commissions.read.any');
      return c.json(await listCommissions(database, { ...query, partnerId }), 200);
    })
    .openapi(getCommissionRoute, async (c) => {
      const { id } = c.req.valid('param');
      const commission = await findCommission(database, id);
      if (!commission) throw new ApiError(404, 'not_found', `no commission ${id}`, 'params.id');
      requirePartnerAccess(c.get('user'), commission.partnerId, 'commissions.read.any');
      return c.json({ ...commission, ...(await commissionHistory(database, commission)) }, 200);
    })
    .openapi(startRun, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'commissions.run');
      const { kind } = c.req.valid('json');
      const workflowId = await startCommissionRun(temporal, { kind, taskQueue: dependencies.taskQueue, actor: user.id });
      return c.json({ workflowId, workflowUrl: workflowUrl(dependencies, workflowId) }, 202);
    });
}
