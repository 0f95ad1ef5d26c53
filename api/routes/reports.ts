import { createRoute, z } from '@hono/zod-openapi';
import { commissionsByLevelSource, payoutsByStatusMethod } from '../../modules/reports/report-store.ts';
import { readAuditTrail } from '../../modules/audit/audit-store.ts';
import { createSubApp, requirePermission, type ApiDependencies } from '../context.ts';
import { apiKeySecurity, bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';
import { maximumPartnerRows, maximumRangeDays, summaryFileName, summaryReportFormats, summaryReportKinds, summaryReportPeriods, type SummaryReportKind } from '../../domain/summary-reports.ts';
import { contentTypes, summaryFile } from '../../modules/reports/summary-files.ts';
import { generateSummaryReport, getSummaryReport, listSummaryReports, summaryOf, summaryReportFile, type StoredSummaryReport } from '../../modules/reports/summary-report-store.ts';
import { archivedReportPdf } from '../../modules/reports/reconciliation-pdf.ts';
import { isCalendarDay } from '../../domain/reconciliation.ts';
import { ApiError, withFields } from '../errors.ts';
import { attachmentDisposition, storedFileResponse } from '../files.ts';

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

// ---- Summary reports (issue #18, docs/rules.md#summary-reports) ----

const summaryRangeFields = {
  from: z.string().datetime({ offset: true }).openapi({ description: 'Start of the period, inclusive (an ISO 8601 instant)' }),
  to: z.string().datetime({ offset: true }).openapi({ description: `End of the period, exclusive; at most ${maximumRangeDays} days after from` }),
};
const summaryQuery = z.object({
  ...summaryRangeFields,
  format: z.enum(summaryReportFormats).default('json').openapi({ description: 'json (the report object), csv or pdf (an attachment)' }),
  partnerRows: z.coerce.number().int().min(0).max(maximumPartnerRows).default(100).openapi({ description: 'How many partners to list, largest first (the rest are counted)' }),
});
const countAmountSchema = z.object({ currency: z.string(), count: z.number(), amount: z.string() });
const currencyAmountSchema = z.object({ currency: z.string(), amount: z.string() });
const processingTimeSchema = z.object({ completed: z.number(), meanSeconds: z.string().nullable(), p90Seconds: z.string().nullable() });
const periodSchema = z.object({ from: z.string(), to: z.string() });
const commissionBreakdownFields = {
  currency: z.string(), generatedCount: z.number(), generated: z.string(), approved: z.string(), paid: z.string(), reversed: z.string(), net: z.string(),
};
const commissionSummarySchema = z
  .object({
    kind: z.literal('commissions'),
    period: periodSchema,
    totals: z.object({ generated: z.array(countAmountSchema), approved: z.array(countAmountSchema), paid: z.array(countAmountSchema), reversed: z.array(countAmountSchema), net: z.array(currencyAmountSchema) }),
    byLevel: z.array(z.object({ level: z.number(), ...commissionBreakdownFields, sharePercent: z.string().nullable() })),
    bySource: z.array(z.object({ sourceType: z.string(), sourceGroup: z.enum(['ORDER', 'INVESTMENT', 'OTHER']), ...commissionBreakdownFields, sharePercent: z.string().nullable() })),
    daily: z.array(z.object({ day: z.string(), ...commissionBreakdownFields })),
    byPartner: z.object({
      partners: z.number(),
      rows: z.array(z.object({ partnerId: z.string(), currency: z.string(), generatedCount: z.number(), generated: z.string(), reversed: z.string(), net: z.string() })),
    }),
    trend: z.object({
      bucket: z.enum(['day', 'week', 'month']),
      rows: z.array(z.object({ start: z.string(), currency: z.string(), generated: z.string(), net: z.string(), changePercent: z.string().nullable() })),
    }),
  })
  .openapi('CommissionSummaryReport');
const payoutSummarySchema = z
  .object({
    kind: z.literal('payouts'),
    period: periodSchema,
    totals: z.object({
      submitted: z.array(countAmountSchema),
      approved: z.array(countAmountSchema),
      processed: z.array(countAmountSchema),
      completed: z.array(countAmountSchema),
      failed: z.array(countAmountSchema),
      cancelled: z.array(countAmountSchema),
      rejected: z.array(countAmountSchema),
      totalAmount: z.array(currencyAmountSchema),
      averageAmount: z.array(currencyAmountSchema),
      processingTime: processingTimeSchema,
    }),
    daily: z.array(
      z.object({
        day: z.string(), currency: z.string(), submitted: z.number(), approved: z.number(), processed: z.number(), completed: z.number(), failed: z.number(),
        cancelled: z.number(), completedAmount: z.string(),
      }),
    ),
    byMethod: z.array(
      z.object({
        methodId: z.string(), currency: z.string(), submitted: z.number(), completed: z.number(), failed: z.number(), cancelled: z.number(),
        completedAmount: z.string(), averageAmount: z.string().nullable(), processingTime: processingTimeSchema,
      }),
    ),
    byStatus: z.array(z.object({ status: z.string(), currency: z.string(), count: z.number(), amount: z.string() })),
    byPartner: z.object({
      partners: z.number(),
      rows: z.array(
        z.object({ partnerId: z.string(), currency: z.string(), submitted: z.number(), completed: z.number(), failed: z.number(), cancelled: z.number(), completedAmount: z.string() }),
      ),
    }),
    failures: z.object({
      rows: z.array(z.object({ failureCode: z.string(), methodId: z.string(), currency: z.string(), count: z.number(), amount: z.string() })),
      failureRatePercent: z.array(z.object({ currency: z.string(), percent: z.string().nullable() })),
    }),
  })
  .openapi('PayoutSummaryReport');
const storedSummarySchema = z
  .object({
    id: z.string(),
    kind: z.enum(summaryReportKinds),
    period: z.enum(summaryReportPeriods),
    from: z.string(),
    to: z.string(),
    requestedBy: z.string().nullable(),
    sha256: z.object({ json: z.string(), csv: z.string(), pdf: z.string() }),
    createdAt: z.string(),
    files: z.object({ json: z.string(), csv: z.string(), pdf: z.string() }),
  })
  .openapi('StoredSummaryReport');
const fileResponses = {
  'application/json': { schema: z.unknown() },
  'text/csv': { schema: z.string() },
  'application/pdf': { schema: z.string().openapi({ format: 'binary' }) },
};
const summaryErrors = { 400: errorResponse('Malformed query, or a range that is reversed or longer than the maximum'), 401: errorResponse('Not signed in'), 403: errorResponse('Admins only') };

const summaryRoute = (kind: SummaryReportKind) =>
  createRoute({
    method: 'get',
    path: kind === 'commissions' ? '/reports/commission-summary' : '/reports/payout-summary',
    operationId: kind === 'commissions' ? 'getCommissionSummaryReport' : 'getPayoutSummaryReport',
    summary:
      kind === 'commissions'
        ? 'Commission summary of a period: generated, approved, paid, reversed, net; by level, source, day, partner; trend'
        : 'Payout summary of a period: submitted, approved, processed, completed, failed, cancelled; amounts, processing time; by method, status, day, partner; failures',
    description: 'Computed now, read-only (one snapshot, statement timeout), not stored: POST /v1/reports/summaries stores one. Money as decimal strings per currency.',
    security: bearerSecurity,
    request: { query: summaryQuery },
    responses: {
      200: {
        description: 'The report (JSON), or its CSV or PDF as an attachment',
        content: { ...fileResponses, 'application/json': { schema: kind === 'commissions' ? commissionSummarySchema : payoutSummarySchema } },
      },
      ...summaryErrors,
    },
  });
const commissionSummaryRoute = summaryRoute('commissions');
const payoutSummaryRoute = summaryRoute('payouts');

const generateSummaryRoute = createRoute({
  method: 'post',
  path: '/reports/summaries',
  operationId: 'createSummaryReport',
  summary: 'Generate and store a summary report on demand (JSON, CSV and PDF, each with its SHA-256)',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: z.object({ kind: z.enum(summaryReportKinds), ...summaryRangeFields }).strict() } }, required: true } },
  responses: { 201: { description: 'Stored', content: { 'application/json': { schema: storedSummarySchema } } }, ...summaryErrors },
});
const listSummariesRoute = createRoute({
  method: 'get',
  path: '/reports/summaries',
  operationId: 'listSummaryReports',
  summary: 'Stored summary reports (scheduled and on demand), newest first',
  security: bearerSecurity,
  request: {
    query: z.object({
      kind: z.enum(summaryReportKinds).optional(),
      period: z.enum(summaryReportPeriods).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      before: z.string().regex(/^[1-9]\d{0,17}$/).optional().openapi({ description: 'The last id of the previous page' }),
    }),
  },
  responses: {
    200: { description: 'A page of reports', content: { 'application/json': { schema: z.object({ reports: z.array(storedSummarySchema), nextBefore: z.string().nullable() }) } } },
    ...summaryErrors,
  },
});
const summaryIdParams = z.object({ id: z.string().regex(/^[1-9]\d{0,17}$/).openapi({ param: { name: 'id', in: 'path' } }) });
const getSummaryRoute = createRoute({
  method: 'get',
  path: '/reports/summaries/{id}',
  operationId: 'getSummaryReport',
  summary: 'One stored summary report: its period, hashes and file links',
  security: bearerSecurity,
  request: { params: summaryIdParams },
  responses: { 200: { description: 'The report', content: { 'application/json': { schema: storedSummarySchema } } }, ...summaryErrors, 404: errorResponse('No such report') },
});
const downloadSummaryRoute = createRoute({
  method: 'get',
  path: '/reports/summaries/{id}/{format}',
  operationId: 'downloadSummaryReport',
  summary: 'A stored summary report’s file (json, csv or pdf), byte for byte, checked against its SHA-256',
  security: bearerSecurity,
  request: { params: summaryIdParams.extend({ format: z.enum(summaryReportFormats).openapi({ param: { name: 'format', in: 'path' } }) }) },
  responses: {
    200: { description: 'The file (attachment)', content: fileResponses },
    ...summaryErrors,
    404: errorResponse('No such report'),
    500: errorResponse('The stored file no longer matches its checksum'),
  },
});
const reconciliationPdfRoute = createRoute({
  method: 'get',
  path: '/reconciliations/{date}/archive.pdf',
  operationId: 'downloadReconciliationArchivePdf',
  summary: 'The signed day’s archived report as PDF, byte for byte, checked against its SHA-256',
  security: bearerSecurity,
  request: { params: z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine(isCalendarDay, 'not a calendar day').openapi({ param: { name: 'date', in: 'path' }, example: '2026-01-31' }) }) },
  responses: {
    200: { description: 'The PDF (attachment)', content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } } },
    ...summaryErrors,
    404: errorResponse('The day is not signed off'),
    500: errorResponse('The stored file no longer matches its checksum'),
  },
});

const summaryPermission = { commissions: 'commissions.read.any', payouts: 'payouts.read.any' } as const;
const rangeFieldNames = { from: 'query.from', to: 'query.to' };

function storedBody(report: StoredSummaryReport) {
  const base = `/v1/reports/summaries/${report.id}`;
  return { ...report, files: { json: `${base}/json`, csv: `${base}/csv`, pdf: `${base}/pdf` } };
}

export function reportRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  const liveSummary = async (kind: SummaryReportKind, c: { get: (key: 'user') => Parameters<typeof requirePermission>[0] }, query: z.infer<typeof summaryQuery>) => {
    requirePermission(c.get('user'), summaryPermission[kind]);
    const report = await withFields(summaryOf(database, kind, query), rangeFieldNames);
    if (query.format === 'json') return { json: report };
    const bytes = await summaryFile(report, query.format, { generatedAt: new Date(), generatedBy: c.get('user').id });
    return { file: { bytes, fileName: summaryFileName(kind, report.period, query.format), contentType: contentTypes[query.format] } };
  };
  const fileResponse = (file: { bytes: Buffer; fileName: string; contentType: string }) =>
    new Response(new Uint8Array(file.bytes), {
      status: 200,
      headers: { 'content-type': file.contentType, 'content-disposition': attachmentDisposition(file.fileName), 'x-content-type-options': 'nosniff', 'cache-control': 'private, no-store' },
    });
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
    })
    .openapi(commissionSummaryRoute, async (c) => {
      const result = await liveSummary('commissions', c, c.req.valid('query'));
      return result.json ? c.json(result.json as never, 200) : (fileResponse(result.file!) as never);
    })
    .openapi(payoutSummaryRoute, async (c) => {
      const result = await liveSummary('payouts', c, c.req.valid('query'));
      return result.json ? c.json(result.json as never, 200) : (fileResponse(result.file!) as never);
    })
    .openapi(generateSummaryRoute, async (c) => {
      const user = c.get('user');
      const body = c.req.valid('json');
      requirePermission(user, summaryPermission[body.kind]);
      const { report } = await withFields(
        generateSummaryReport(database, { kind: body.kind, period: 'ON_DEMAND', from: body.from, to: body.to, requestedBy: user.id }),
        { from: 'body.from', to: 'body.to' },
      );
      return c.json(storedBody(report), 201);
    })
    .openapi(listSummariesRoute, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      requirePermission(user, query.kind ? summaryPermission[query.kind] : 'payouts.read.any');
      if (!query.kind) requirePermission(user, 'commissions.read.any');
      const page = await listSummaryReports(database, { kind: query.kind, period: query.period, limit: query.limit, before: query.before });
      return c.json({ reports: page.map(storedBody), nextBefore: page.length === query.limit ? page.at(-1)!.id : null }, 200);
    })
    .openapi(getSummaryRoute, async (c) => {
      const { id } = c.req.valid('param');
      const report = await getSummaryReport(database, id);
      if (!report) throw new ApiError(404, 'not_found', `summary report ${id} does not exist`, 'params.id');
      requirePermission(c.get('user'), summaryPermission[report.kind]);
      return c.json(storedBody(report), 200);
    })
    .openapi(downloadSummaryRoute, async (c) => {
      const { id, format } = c.req.valid('param');
      const report = await getSummaryReport(database, id);
      if (!report) throw new ApiError(404, 'not_found', `summary report ${id} does not exist`, 'params.id');
      requirePermission(c.get('user'), summaryPermission[report.kind]);
      const file = (await summaryReportFile(database, id, format))!;
      return storedFileResponse(
        c,
        { file_name: file.fileName, content_type: contentTypes[format], content: file.bytes, sha256: file.sha256 },
        `the stored ${format} of summary report ${id}`,
        'report_corrupted',
      ) as never;
    })
    .openapi(reconciliationPdfRoute, async (c) => {
      requirePermission(c.get('user'), 'reconciliations.read');
      const { date } = c.req.valid('param');
      const archive = await archivedReportPdf(database, date);
      if (!archive) throw new ApiError(404, 'not_found', `${date} is not signed off: it has no archive`, 'params.date');
      return storedFileResponse(
        c,
        { file_name: archive.fileName, content_type: 'application/pdf', content: archive.bytes, sha256: archive.sha256 },
        `the archived reconciliation PDF of ${date}`,
        'archive_corrupted',
      ) as never;
    });
}
