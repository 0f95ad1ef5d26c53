import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'slonik';
import { z as zod } from 'zod';
import { createSubApp, requirePermission, type ApiDependencies } from '../context.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * Aggregates for the web console's charts and its history panels (issue #6), mounted at /v1. Admins only; amounts
 * are decimal strings summed by PostgreSQL's NUMERIC (never a float), one row per currency so nothing of two
 * currencies is ever added together.
 */

const rangeFields = {
  from: z.string().datetime({ offset: true }).openapi({ description: 'At or after (requested at / created at)' }),
  to: z.string().datetime({ offset: true }).openapi({ description: 'Before' }),
};
const refineRange = (value: { from: string; to: string }, context: z.RefinementCtx) => {
  const milliseconds = new Date(value.to).getTime() - new Date(value.from).getTime();
  if (milliseconds <= 0) context.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'must be after from' });
  // A chart of more than ~3 years of days is not a chart; the cap keeps the query bounded.
  if (milliseconds > 1_100 * 86_400_000) context.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'at most 1,100 days after from' });
};

const payoutsQuery = z
  .object({ ...rangeFields, bucket: z.enum(['day', 'week', 'month']).default('day').openapi({ description: 'UTC day, ISO week (from Monday) or month' }) })
  .superRefine(refineRange);
const commissionsQuery = z.object(rangeFields).superRefine(refineRange);
const auditQuery = z
  .object({
    targetType: z.enum(['payout', 'partner', 'commission']).optional(),
    targetId: z.string().min(1).max(100).optional(),
    partnerId: partnerIdSchema.optional().openapi({ description: 'The partner’s own records and those of their payouts' }),
    limit: z.coerce.number().int().min(1).max(500).default(200),
  })
  .superRefine((value, context) => {
    const byTarget = value.targetType !== undefined || value.targetId !== undefined;
    if (byTarget && (value.targetType === undefined || value.targetId === undefined)) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: [value.targetType === undefined ? 'targetType' : 'targetId'], message: 'targetType and targetId go together' });
    }
    if (byTarget === (value.partnerId !== undefined)) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['partnerId'], message: 'name either targetType and targetId, or partnerId' });
    }
  });

const payoutBucketSchema = z
  .object({
    bucket: z.string().openapi({ description: 'The period’s first day, YYYY-MM-DD (UTC)' }),
    status: z.string(),
    methodId: z.string(),
    currency: z.string(),
    count: z.number(),
    amount: z.string(),
  })
  .openapi('PayoutReportRow');
const commissionBucketSchema = z
  .object({ level: z.number(), sourceType: z.string(), currency: z.string(), count: z.number(), amount: z.string() })
  .openapi('CommissionReportRow');
const auditRecordSchema = z
  .object({
    id: z.string(),
    action: z.string(),
    actor: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    amount: z.string().nullable(),
    currency: z.string().nullable(),
    reason: z.string().nullable(),
    entryId: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('AuditTrailRecord');

const errors = { 400: errorResponse('Malformed query'), 401: errorResponse('Not signed in'), 403: errorResponse('Admins only') };

const payoutsReport = createRoute({
  method: 'get',
  path: '/reports/payouts-by-status-method',
  summary: 'Payouts per period, status and method (count and amount per currency), for the console’s charts',
  security: bearerSecurity,
  request: { query: payoutsQuery },
  responses: { 200: { description: 'Rows, oldest period first', content: { 'application/json': { schema: z.object({ rows: z.array(payoutBucketSchema) }) } } }, ...errors },
});
const commissionsReport = createRoute({
  method: 'get',
  path: '/reports/commissions-by-level-source',
  summary: 'Commissions created in a range per level and source type (count and amount per currency)',
  security: bearerSecurity,
  request: { query: commissionsQuery },
  responses: { 200: { description: 'Rows by level', content: { 'application/json': { schema: z.object({ rows: z.array(commissionBucketSchema) }) } } }, ...errors },
});
const auditTrail = createRoute({
  method: 'get',
  path: '/reports/audit-trail',
  summary: 'Audit records of one target (a payout’s history), or of a partner and their payouts, newest first',
  security: bearerSecurity,
  request: { query: auditQuery },
  responses: { 200: { description: 'Records', content: { 'application/json': { schema: z.object({ records: z.array(auditRecordSchema) }) } } }, ...errors },
});

const payoutRow = zod.object({ bucket: zod.string(), status: zod.string(), method_id: zod.string(), currency: zod.string(), count: zod.number(), amount: zod.string() });
const commissionRow = zod.object({ level: zod.number(), source_type: zod.string(), currency: zod.string(), count: zod.number(), amount: zod.string() });
const auditRow = zod.object({
  id: zod.string(),
  action: zod.string(),
  actor: zod.string(),
  target_type: zod.string(),
  target_id: zod.string(),
  amount: zod.string().nullable(),
  currency: zod.string().nullable(),
  reason: zod.string().nullable(),
  entry_id: zod.string().nullable(),
  created_at: zod.date(),
});

export function reportRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  return createSubApp()
    .openapi(payoutsReport, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const query = c.req.valid('query');
      const rows = await database.any(sql.type(payoutRow)`
        SELECT to_char(date_trunc(${query.bucket}::text, created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS bucket,
               status, method_id, currency, count(*)::int AS count, sum(amount)::text AS amount
        FROM payouts
        WHERE created_at >= ${query.from} AND created_at < ${query.to}
        GROUP BY 1, status, method_id, currency
        ORDER BY 1, status, method_id, currency`);
      return c.json({ rows: rows.map((row) => ({ bucket: row.bucket, status: row.status, methodId: row.method_id, currency: row.currency, count: row.count, amount: row.amount })) }, 200);
    })
    .openapi(commissionsReport, async (c) => {
      requirePermission(c.get('user'), 'commissions.read.any');
      const query = c.req.valid('query');
      const rows = await database.any(sql.type(commissionRow)`
        SELECT level, source_type, currency, count(*)::int AS count, sum(amount)::text AS amount
        FROM commissions
        WHERE created_at >= ${query.from} AND created_at < ${query.to}
        GROUP BY level, source_type, currency
        ORDER BY level, source_type, currency`);
      return c.json({ rows: rows.map((row) => ({ level: row.level, sourceType: row.source_type, currency: row.currency, count: row.count, amount: row.amount })) }, 200);
    })
    .openapi(auditTrail, async (c) => {
      requirePermission(c.get('user'), 'ledger.read.any');
      const query = c.req.valid('query');
      const condition = query.partnerId
        ? sql.fragment`(target_type = 'partner' AND target_id = ${query.partnerId})
            OR (target_type = 'payout' AND target_id IN (SELECT id::text FROM payouts WHERE partner_id = ${query.partnerId}))`
        : sql.fragment`target_type = ${query.targetType!} AND target_id = ${query.targetId!}`;
      const rows = await database.any(sql.type(auditRow)`
        SELECT id::text AS id, action, actor, target_type, target_id, amount::text AS amount, currency, reason, entry_id::text AS entry_id, created_at
        FROM audit_records WHERE ${condition}
        ORDER BY id DESC LIMIT ${query.limit}`);
      return c.json(
        {
          records: rows.map((row) => ({
            id: row.id,
            action: row.action,
            actor: row.actor,
            targetType: row.target_type,
            targetId: row.target_id,
            amount: row.amount,
            currency: row.currency,
            reason: row.reason,
            entryId: row.entry_id,
            createdAt: row.created_at.toISOString(),
          })),
        },
        200,
      );
    });
}
