import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'slonik';
import { z as zod } from 'zod';
import type { EventInput, EventResult } from '../../modules/commissions/ingest-events.ts';
import { breakdownText, eventKinds, incomeTypeNames, type CommissionBreakdown, type IncomeType } from '../../domain/commission.ts';
import { decimalPattern, formatMoney, isCurrency, parseMoney, fitsScale } from '../../domain/money.ts';
import { createSubApp, partnerScope, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies } from '../context.ts';
import { ApiError, validationError } from '../errors.ts';
import { amountSchema, bearerSecurity, currencySchema, errorResponse, partnerIdSchema } from '../schemas.ts';

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
    const amount = parseMoney(event.amount);
    if (amount.lte(0)) issue('amount', 'must be positive');
    else if (isCurrency(event.currency) && !fitsScale(amount, event.currency)) issue('amount', `more decimal places than ${event.currency} allows`);
    if (event.kind === 'PORTFOLIO_YIELD') {
      if (event.yieldRate === undefined) issue('yieldRate', 'required for PORTFOLIO_YIELD');
      else if (parseMoney(event.yieldRate).lte(0)) issue('yieldRate', 'must be positive');
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

const commissionRow = zod.object({
  id: zod.string(),
  partner_id: zod.string(),
  income_type: zod.number(),
  level: zod.number(),
  source_type: zod.string(),
  source_id: zod.string().nullable(),
  external_id: zod.string().nullable(),
  pool_run_id: zod.string().nullable(),
  base: zod.string(),
  rate: zod.string(),
  amount: zod.string(),
  reversed_amount: zod.string(),
  currency: zod.string(),
  status: zod.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']),
  release_at: zod.date(),
  created_at: zod.date(),
  approved_at: zod.date().nullable(),
  paid_at: zod.date().nullable(),
  reversed_at: zod.date().nullable(),
  policy_version: zod.number(),
  breakdown: zod.unknown(),
});

const commissionColumns = sql.fragment`
  c.id, c.partner_id, c.income_type, c.level, c.source_type, e.source_id, e.external_id, c.pool_run_id, c.base,
  c.rate, c.amount, c.reversed_amount, c.currency, c.status, c.release_at, c.created_at, c.approved_at, c.paid_at,
  c.reversed_at, c.policy_version, c.breakdown`;

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

function toCommission(row: zod.infer<typeof commissionRow>) {
  return {
    id: row.id,
    partnerId: row.partner_id,
    incomeType: row.income_type,
    incomeTypeName: incomeTypeNames[row.income_type as keyof typeof incomeTypeNames],
    level: row.level,
    sourceType: row.source_type,
    sourceId: row.source_id,
    eventExternalId: row.external_id,
    poolRunId: row.pool_run_id,
    base: formatMoney(row.base, row.currency),
    rate: row.rate,
    amount: formatMoney(row.amount, row.currency),
    reversedAmount: formatMoney(row.reversed_amount, row.currency),
    currency: row.currency,
    status: row.status,
    releaseAt: row.release_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    approvedAt: row.approved_at?.toISOString() ?? null,
    paidAt: row.paid_at?.toISOString() ?? null,
    reversedAt: row.reversed_at?.toISOString() ?? null,
    policyVersion: row.policy_version,
  };
}

/** The stored figures plus the readable sentence, rendered here when the row does not carry it. */
function withText(row: zod.infer<typeof commissionRow>): Record<string, unknown> {
  const breakdown = row.breakdown as Record<string, unknown>;
  if (typeof breakdown.text === 'string') return breakdown;
  return { ...breakdown, text: breakdownText(row.income_type as IncomeType, row.level, breakdown as unknown as CommissionBreakdown) };
}

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
  summary: 'Record one trigger event and calculate its commissions (exactly once per externalId)',
  security: bearerSecurity,
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
  summary: `Record up to ${maxBulkEvents} events in one request; each line gets its own result`,
  description: 'One transaction for the accepted lines; a rejected line (its error names the field, e.g. `events.3.amount`) changes nothing and does not stop the others.',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: z.object({ events: z.array(z.unknown()).min(1).max(maxBulkEvents) }).strict() } }, required: true } },
  responses: {
    200: {
      description: 'Per-line results and counts',
      content: { 'application/json': { schema: z.object({ processed: z.number(), duplicates: z.number(), rejected: z.number(), results: z.array(eventResultSchema) }) } },
    },
    ...errors,
  },
});

const getEvent = createRoute({
  method: 'get',
  path: '/events/{externalId}',
  summary: 'One event: its USD conversion, policy version and commissions',
  security: bearerSecurity,
  request: { params: z.object({ externalId: referenceSchema.openapi({ param: { name: 'externalId', in: 'path' } }) }) },
  responses: {
    200: { description: 'The event', content: { 'application/json': { schema: eventDetailSchema } } },
    ...errors,
    404: errorResponse('No such event'),
  },
});

const listQuery = z.object({
  status: z.enum(commissionStatuses).optional(),
  partnerId: partnerIdSchema.optional(),
  sourceType: z.enum(['PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT', 'PORTFOLIO_YIELD', 'POOL']).optional(),
  incomeType: z.coerce.number().int().min(1).max(7).optional(),
  level: z.coerce.number().int().min(1).optional().openapi({ description: 'Exact level (1 = the attributed partner)' }),
  levelMin: z.coerce.number().int().min(1).optional().openapi({ description: 'Level at least this (source 000’s "10+")' }),
  from: z.string().datetime({ offset: true }).optional().openapi({ description: 'Created at or after' }),
  to: z.string().datetime({ offset: true }).optional().openapi({ description: 'Created before' }),
  minAmount: amountSchema.optional(),
  maxAmount: amountSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().regex(/^\d{1,19}$/).optional().openapi({ description: 'The `next` cursor of the previous page' }),
});

const listCommissions = createRoute({
  method: 'get',
  path: '/commissions',
  summary: 'Commissions, newest first, with the filters of source 000 (partners see only their own)',
  security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ commissions: z.array(commissionSchema), next: z.string().nullable() }) } } },
    ...errors,
  },
});

const getCommission = createRoute({
  method: 'get',
  path: '/commissions/{id}',
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
      if (result!.status === 'REJECTED') {
        const status = result!.code === 'idempotency_conflict' || result!.code === 'duplicate_order' ? 409 : 422;
        throw new ApiError(status, result!.code, result!.message, `body.${result!.field}`);
      }
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
    .openapi(getEvent, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'events.read');
      const { externalId } = c.req.valid('param');
      const event = await database.maybeOne(sql.type(zod.object({
        id: zod.string(), external_id: zod.string(), kind: zod.string(), source_type: zod.string().nullable(), source_id: zod.string(),
        partner_id: zod.string().nullable(), completed_at: zod.date(), original_amount: zod.string().nullable(),
        original_currency: zod.string().nullable(), fx_rate: zod.string().nullable(), base_usd: zod.string().nullable(),
        policy_version: zod.number().nullable(), commission_count: zod.number(), commission_total: zod.string(),
        entry_id: zod.string().nullable(), cancelled_by: zod.string().nullable(), received_at: zod.date(),
      }))`
        SELECT id, external_id, kind, source_type, source_id, partner_id, completed_at, original_amount, original_currency,
               fx_rate, base_usd, policy_version, commission_count, commission_total, entry_id, cancelled_by, received_at
        FROM commission_events WHERE external_id = ${externalId}`);
      if (!event) throw new ApiError(404, 'not_found', `no event ${externalId}`, 'params.externalId');
      const commissions = await database.any(sql.type(commissionRow)`
        SELECT ${commissionColumns} FROM commissions c LEFT JOIN commission_events e ON e.id = c.event_id
        WHERE c.event_id = ${event.id} ORDER BY c.level`);
      return c.json({
        id: event.id, externalId: event.external_id, kind: event.kind, sourceType: event.source_type, sourceId: event.source_id,
        partnerId: event.partner_id, completedAt: event.completed_at.toISOString(), originalAmount: event.original_amount,
        originalCurrency: event.original_currency, fxRate: event.fx_rate, baseUsd: event.base_usd, policyVersion: event.policy_version,
        commissionCount: event.commission_count, commissionTotal: event.commission_total, entryId: event.entry_id,
        cancelledByEventId: event.cancelled_by, receivedAt: event.received_at.toISOString(),
        commissions: commissions.map((row) => ({ ...toCommission(row), breakdown: withText(row) })),
      }, 200);
    })
    .openapi(listCommissions, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'commissions.read.any');
      const conditions = [sql.fragment`TRUE`];
      // HELD is a status of source 000's filter; a commission is never HELD in this model (frozen money sits in
      // the partner's `held` bucket instead), so the filter returns nothing.
      if (query.status === 'HELD') conditions.push(sql.fragment`FALSE`);
      else if (query.status) conditions.push(sql.fragment`c.status = ${query.status}`);
      if (partnerId) conditions.push(sql.fragment`c.partner_id = ${partnerId}`);
      if (query.sourceType) conditions.push(sql.fragment`c.source_type = ${query.sourceType}`);
      if (query.incomeType) conditions.push(sql.fragment`c.income_type = ${query.incomeType}`);
      if (query.level) conditions.push(sql.fragment`c.level = ${query.level}`);
      if (query.levelMin) conditions.push(sql.fragment`c.level >= ${query.levelMin}`);
      if (query.from) conditions.push(sql.fragment`c.created_at >= ${query.from}`);
      if (query.to) conditions.push(sql.fragment`c.created_at < ${query.to}`);
      if (query.minAmount) conditions.push(sql.fragment`c.amount >= ${query.minAmount}`);
      if (query.maxAmount) conditions.push(sql.fragment`c.amount <= ${query.maxAmount}`);
      if (query.after) conditions.push(sql.fragment`c.id < ${query.after}`);
      const rows = await database.any(sql.type(commissionRow)`
        SELECT ${commissionColumns} FROM commissions c LEFT JOIN commission_events e ON e.id = c.event_id
        WHERE ${sql.join(conditions, sql.fragment` AND `)}
        ORDER BY c.id DESC LIMIT ${query.limit + 1}`);
      const page = rows.slice(0, query.limit);
      return c.json({ commissions: page.map(toCommission), next: rows.length > query.limit ? page.at(-1)!.id : null }, 200);
    })
    .openapi(getCommission, async (c) => {
      const user = c.get('user');
      const { id } = c.req.valid('param');
      const row = await database.maybeOne(sql.type(commissionRow)`
        SELECT ${commissionColumns} FROM commissions c LEFT JOIN commission_events e ON e.id = c.event_id WHERE c.id = ${id}`);
      if (!row) throw new ApiError(404, 'not_found', `no commission ${id}`, 'params.id');
      requirePartnerAccess(user, row.partner_id, 'commissions.read.any');
      const history = await database.any(sql.type(zod.object({ action: zod.string(), created_at: zod.date(), actor: zod.string(), amount: zod.string().nullable(), reason: zod.string().nullable(), entry_id: zod.string().nullable() }))`
        SELECT action, created_at, actor, amount, reason, entry_id FROM audit_records
        WHERE target_type = 'commission' AND target_id = ${id} ORDER BY id`);
      const partner = await database.one(sql.type(zod.object({ id: zod.string(), name: zod.string(), rank: zod.string() }))`
        SELECT id, name, rank FROM partners WHERE id = ${row.partner_id}`);
      return c.json({
        ...toCommission(row),
        breakdown: withText(row),
        history: history.map((record) => ({ action: record.action, at: record.created_at.toISOString(), actor: record.actor, amount: record.amount, reason: record.reason, entryId: record.entry_id })),
        partner,
      }, 200);
    })
    .openapi(startRun, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'commissions.run');
      const { kind } = c.req.valid('json');
      const workflowId = `${kind === 'release' ? 'commission-release' : 'commission-pay-batch'}-manual-${randomUUID()}`;
      try {
        await temporal.workflow.start(kind === 'release' ? 'commissionReleaseWorkflow' : 'commissionPayBatchWorkflow', {
          workflowId,
          taskQueue: dependencies.taskQueue,
          args: [{ asOf: new Date().toISOString() }],
          memo: { summary: `started by ${user.id}` },
        });
      } catch {
        throw new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; nothing was started');
      }
      return c.json({ workflowId, workflowUrl: workflowUrl(dependencies, workflowId) }, 202);
    });
}
