import { createRoute, z } from '@hono/zod-openapi';
import { commissionsByLevelSource, payoutsByStatusMethod } from '../../modules/reports/report-store.ts';
import { readAuditTrail } from '../../modules/audit/audit-store.ts';
import { createSubApp, requirePermission, type ApiDependencies } from '../context.ts';
import { apiKeySecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * Aggregates for the web console's charts and its history panels (issue #6), mounted at /v1. Admins only; the
 * figures come from modules/reports.
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
    // docs/rules.md#audit-trail: the balance the action moved, the client address, the checksum.
    balanceBefore: z.string().nullable().openapi({ description: 'The partner balance before the action (decimal string); null when it moved none' }),
    balanceAfter: z.string().nullable().openapi({ description: 'The same balance after the action' }),
    balanceAccount: z.string().nullable().openapi({ description: 'Which account, owner:id:bucket:currency, when the database chose it' }),
    reason: z.string().nullable(),
    clientAddress: z.string().nullable().openapi({ description: 'The client address of the person who acted; null for automatic steps' }),
    entryId: z.string().nullable(),
    checksum: z.string().openapi({ description: 'SHA-256 of the record’s content, hex' }),
    checksumValid: z.boolean().openapi({ description: 'Whether the content still hashes to the checksum' }),
    createdAt: z.string(),
  })
  .openapi('AuditTrailRecord');

const errors = { 400: errorResponse('Malformed query'), 401: errorResponse('Not signed in'), 403: errorResponse('Admins only') };

const payoutsReport = createRoute({
  method: 'get',
  path: '/reports/payouts-by-status-method',
  operationId: 'getPayoutsByStatusMethodReport',
  summary: 'Payouts per period, status and method (count and amount per currency), for the console’s charts',
  security: apiKeySecurity('reports:read'),
  request: { query: payoutsQuery },
  responses: { 200: { description: 'Rows, oldest period first', content: { 'application/json': { schema: z.object({ rows: z.array(payoutBucketSchema) }) } } }, ...errors },
});
const commissionsReport = createRoute({
  method: 'get',
  path: '/reports/commissions-by-level-source',
  operationId: 'getCommissionsByLevelSourceReport',
  summary: 'Commissions created in a range per level and source type (count and amount per currency)',
  security: apiKeySecurity('reports:read'),
  request: { query: commissionsQuery },
  responses: { 200: { description: 'Rows by level', content: { 'application/json': { schema: z.object({ rows: z.array(commissionBucketSchema) }) } } }, ...errors },
});
const auditTrail = createRoute({
  method: 'get',
  path: '/reports/audit-trail',
  operationId: 'getAuditTrailReport',
  summary: 'Audit records of one target (a payout’s history), or of a partner and their payouts, newest first',
  security: apiKeySecurity('reports:read'),
  request: { query: auditQuery },
  responses: { 200: { description: 'Records', content: { 'application/json': { schema: z.object({ records: z.array(auditRecordSchema) }) } } }, ...errors },
});

export function reportRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  return createSubApp()
    .openapi(payoutsReport, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      return c.json({ rows: await payoutsByStatusMethod(database, c.req.valid('query')) }, 200);
    })
    .openapi(commissionsReport, async (c) => {
      requirePermission(c.get('user'), 'commissions.read.any');
      return c.json({ rows: await commissionsByLevelSource(database, c.req.valid('query')) }, 200);
    })
    .openapi(auditTrail, async (c) => {
      requirePermission(c.get('user'), 'ledger.read.any');
      const query = c.req.valid('query');
      // The query's refinement lets through exactly one of the two: a partner, or a target type and id.
      const subject = query.partnerId ? { partnerId: query.partnerId } : { targetType: query.targetType!, targetId: query.targetId! };
      return c.json({ records: await readAuditTrail(database, subject, query.limit) }, 200);
    });
}
