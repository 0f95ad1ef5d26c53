import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import { isCalendarDay, movementGroups, reconcilableDay, signOffRefusal } from '../../domain/reconciliation.ts';
import {
  archivedReport,
  getReconciliation,
  listReconciliations,
  recordFinding,
  signOffReconciliation,
  type Reconciliation,
} from '../../modules/reconciliation/reconciliation-store.ts';
import { reconciliationSignedSignal, reconciliationWorkflowId, reconciliationWorkflowType, type ReconciliationRequest } from '../../workflows/reconciliation-messages.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePermission, workflowUrl, type ApiDependencies } from '../context.ts';
import { ApiError, withFields } from '../errors.ts';
import { storedFileResponse } from '../files.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';
import { exceptionActions, exceptionStatuses, maximumStatementLines } from '../../domain/statement-matching.ts';
import {
  actOnException,
  blockingExceptionCount,
  dayStatements,
  listExceptions,
  loadMatchingRules,
  matchDay,
  replaceMatchingRules,
  statementSources,
  uploadBankStatement,
} from '../../modules/reconciliation/statement-store.ts';

/**
 * Daily reconciliation (docs/rules.md#daily-reconciliation), mounted at /v1/reconciliations: run a day on demand (its
 * workflow `reconciliation-<date>` computes and stores the report), list and read the days, record findings, sign a
 * day off with a fresh TOTP code, and download the signed day's archived CSV.
 */

const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .openapi({ description: 'A UTC calendar day, YYYY-MM-DD', example: '2026-12-05' });
/** A day addressed (path, query): a real calendar day, or 400 naming it. (A day to run is checked by reconcilableDay.) */
const calendarDay = dateSchema.refine(isCalendarDay, 'not a calendar day');
const dateParams = z.object({ date: calendarDay.openapi({ param: { name: 'date', in: 'path' } }) });

const balanceLine = z.object({ ownerType: z.string(), bucket: z.string(), currency: z.string(), amount: z.string() });
const reportSchema = z
  .object({
    day: z.string(),
    opening: z.array(balanceLine).openapi({ description: 'Per owner type, bucket and currency: the sum of every posting before the day' }),
    movements: z.array(balanceLine.extend({ movement: z.string().openapi({ description: `One of ${movementGroups.join(', ')}` }) })),
    closing: z.array(balanceLine).openapi({ description: 'The stored (cached) balances less every posting after the day' }),
    variance: z.array(balanceLine).openapi({ description: 'opening + movements − closing; 0 on a healthy ledger' }),
    balanced: z.boolean(),
  })
  .openapi('ReconciliationReport');

const findingSchema = z
  .object({ id: z.string(), item: z.string(), note: z.string(), adjustmentId: z.string().nullable(), recordedBy: z.string(), recordedAt: z.string() })
  .openapi('ReconciliationFinding');

const reconciliationSchema = z
  .object({
    day: z.string(),
    status: z.enum(['AWAITING_SIGN_OFF', 'SIGNED']),
    requestedBy: z.string().nullable().openapi({ description: 'Who ran it on demand (may not sign it); null when its Schedule ran it' }),
    computedAt: z.string(),
    report: reportSchema,
    rebuildFindings: z.array(z.object({ check: z.string(), subject: z.string(), detail: z.record(z.unknown()) })),
    items: z.array(z.string()).openapi({ description: 'Every non-zero variance line and rebuild finding: each needs a finding before sign-off' }),
    unexplained: z.array(z.string()),
    findings: z.array(findingSchema),
    signedBy: z.string().nullable(),
    signedRole: z.string().nullable(),
    signedAt: z.string().nullable(),
    archive: z.object({ fileName: z.string(), sha256: z.string(), archivedAt: z.string(), fileUrl: z.string() }).nullable(),
  })
  .openapi('Reconciliation');
type ReconciliationBody = z.infer<typeof reconciliationSchema>;

const summarySchema = z
  .object({
    day: z.string(),
    status: z.enum(['AWAITING_SIGN_OFF', 'SIGNED']),
    balanced: z.boolean(),
    rebuildFindings: z.number(),
    unexplained: z.number(),
    signedBy: z.string().nullable(),
    signedAt: z.string().nullable(),
    archiveSha256: z.string().nullable(),
  })
  .openapi('ReconciliationSummary');

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or no fresh TOTP code'),
  403: errorResponse('Not allowed'),
};

const runRoute = createRoute({
  operationId: 'runReconciliation',
  method: 'post',
  path: '/',
  summary: 'Reconcile a day on demand',
  description:
    'Starts (or joins) the workflow `reconciliation-<date>`, which computes and stores the day once; read it with GET ' +
    '/v1/reconciliations/{date}. Only a day that has ended (UTC) may be reconciled.',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: z.object({ date: dateSchema }).strict() } }, required: true } },
  responses: {
    202: {
      description: 'Running (or already run): the workflow and where the report will be',
      content: { 'application/json': { schema: z.object({ day: z.string(), workflowId: z.string(), workflowUrl: z.string().nullable(), reconciliationUrl: z.string() }) } },
    },
    ...errors,
  },
});

const listRoute = createRoute({
  operationId: 'listReconciliations',
  method: 'get',
  path: '/',
  summary: 'Reconciled days, newest first',
  security: bearerSecurity,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(366).default(31),
      before: calendarDay.optional().openapi({ description: 'The last day of the previous page' }),
    }),
  },
  responses: {
    200: { description: 'A page of days', content: { 'application/json': { schema: z.object({ reconciliations: z.array(summarySchema), nextBefore: z.string().nullable() }) } } },
    ...errors,
  },
});

const getRoute = createRoute({
  operationId: 'getReconciliation',
  method: 'get',
  path: '/{date}',
  summary: 'One reconciled day: the report, the rebuild findings, the findings recorded and the sign-off',
  security: bearerSecurity,
  request: { params: dateParams },
  responses: {
    200: { description: 'The day', content: { 'application/json': { schema: reconciliationSchema } } },
    ...errors,
    404: errorResponse('The day is not reconciled (yet)'),
  },
});

const findingRoute = createRoute({
  operationId: 'recordReconciliationFinding',
  method: 'post',
  path: '/{date}/findings',
  summary: 'Record a finding against a variance line or a rebuild finding, optionally linking the correcting adjustment',
  security: bearerSecurity,
  request: {
    params: dateParams,
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              item: z.string().min(1).max(300).openapi({ description: 'One of the day’s `items`' }),
              note: z.string().trim().min(1).max(2000),
              adjustmentId: z.string().uuid().optional().openapi({ description: 'The adjustment that corrects it (in an open day)' }),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    201: { description: 'Recorded', content: { 'application/json': { schema: findingSchema } } },
    ...errors,
    404: errorResponse('The day is not reconciled'),
    409: errorResponse('The day is already signed off'),
  },
});

const signOffRoute = createRoute({
  operationId: 'signOffReconciliation',
  method: 'post',
  path: '/{date}/sign-off',
  summary: 'Sign a day off (finance manager or director, fresh TOTP code, not the person who ran it on demand)',
  description:
    'Refused while a variance line or a rebuild finding has no finding recorded, and a second time. The signed report ' +
    'is archived as CSV with its SHA-256 and the day is sealed: the ledger takes no entry dated in it.',
  security: bearerSecurity,
  request: { params: dateParams, headers: z.object({ 'x-totp-code': z.string().optional() }) },
  responses: {
    200: { description: 'Signed, archived and sealed', content: { 'application/json': { schema: reconciliationSchema } } },
    ...errors,
    404: errorResponse('The day is not reconciled'),
    409: errorResponse('Already signed, or items without a finding'),
  },
});

const archiveRoute = createRoute({
  operationId: 'downloadReconciliationArchive',
  method: 'get',
  path: '/{date}/archive.csv',
  summary: 'The signed day’s archived report (CSV), byte for byte, checked against its SHA-256',
  security: bearerSecurity,
  request: { params: dateParams },
  responses: {
    200: { description: 'The CSV (attachment)', content: { 'text/csv': { schema: z.string() } } },
    ...errors,
    404: errorResponse('The day is not signed off'),
    500: errorResponse('The stored file no longer matches its checksum'),
  },
});

function toBody(reconciliation: Reconciliation): ReconciliationBody {
  return {
    ...reconciliation,
    archive: reconciliation.archive ? { ...reconciliation.archive, fileUrl: `/v1/reconciliations/${reconciliation.day}/archive.csv` } : null,
  };
}

export function reconciliationRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal } = dependencies;

  const load = async (date: string): Promise<Reconciliation> => {
    const reconciliation = await getReconciliation(database, date);
    if (!reconciliation) throw new ApiError(404, 'not_found', `${date} is not reconciled; run it first`, 'params.date');
    return reconciliation;
  };

  return createSubApp()
    .openapi(runRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'reconciliations.run');
      const { date } = c.req.valid('json');
      const day = await withFields(Promise.resolve().then(() => reconcilableDay(date, new Date())), { date: 'body.date' });
      const workflowId = reconciliationWorkflowId(day);
      // A day already running (its Schedule, an earlier request) is joined; a finished one is run again, which returns it.
      const request: ReconciliationRequest = { day, requestedBy: user.id };
      await temporal.workflow.start(reconciliationWorkflowType, {
        workflowId,
        taskQueue: dependencies.taskQueue,
        args: [request],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
      return c.json({ day, workflowId, workflowUrl: workflowUrl(dependencies, workflowId), reconciliationUrl: `/v1/reconciliations/${day}` }, 202);
    })
    .openapi(listRoute, async (c) => {
      requirePermission(c.get('user'), 'reconciliations.read');
      const query = c.req.valid('query');
      const page = await listReconciliations(database, { limit: query.limit, before: query.before });
      return c.json({ reconciliations: page, nextBefore: page.length === query.limit ? page.at(-1)!.day : null }, 200);
    })
    .openapi(getRoute, async (c) => {
      requirePermission(c.get('user'), 'reconciliations.read');
      return c.json(toBody(await load(c.req.valid('param').date)), 200);
    })
    .openapi(findingRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'reconciliations.findings');
      const { date } = c.req.valid('param');
      const body = c.req.valid('json');
      await load(date);
      const finding = await recordFinding(database, { day: date, item: body.item, note: body.note, adjustmentId: body.adjustmentId ?? null, actor: user.id, ip: clientIp(c) });
      return c.json(finding, 201);
    })
    .openapi(signOffRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'reconciliations.read');
      const { date } = c.req.valid('param');
      const headers = c.req.valid('header');
      const signer = { userId: user.id, role: user.role as Exclude<typeof user.role, 'api_key'> };
      const current = await load(date);
      // Refused before the TOTP is checked: a refusal consumes no code. Checked again under the row's lock.
      const refusal = signOffRefusal({ status: current.status, requestedBy: current.requestedBy, items: current.items, findings: current.findings }, signer);
      if (refusal) throw refusal;
      // Statement exceptions not yet resolved or accepted block the sign-off (docs/decisions.md); migration 035 checks it again.
      const blocking = await blockingExceptionCount(database, date);
      if (blocking > 0) {
        throw new ApiError(409, 'open_statement_exceptions', `${date} has ${blocking} statement exception(s) open or acknowledged: resolve or accept each first`, 'exceptions');
      }
      await requireFreshTotp(identity, user, headers['x-totp-code'], 'a sign-off');
      const signed = await signOffReconciliation(database, { day: date, signer, ip: clientIp(c) });
      try {
        await temporal.workflow.getHandle(reconciliationWorkflowId(date)).signal(reconciliationSignedSignal, { signedBy: user.id });
      } catch (error) {
        // No workflow for the day (closed, or never run through one), or Temporal unreachable: the database is the
        // record, and a waiting workflow looks there every day (workflows/reconciliation.ts).
        if (!(error instanceof WorkflowNotFoundError)) console.warn(`the sign-off of ${date} was not signalled to its workflow`, error);
      }
      return c.json(toBody(signed), 200);
    })
    .openapi(archiveRoute, async (c) => {
      requirePermission(c.get('user'), 'reconciliations.read');
      const { date } = c.req.valid('param');
      const archive = await archivedReport(database, date);
      if (!archive) throw new ApiError(404, 'not_found', `${date} is not signed off: it has no archive`, 'params.date');
      return storedFileResponse(
        c,
        { file_name: archive.fileName, content_type: 'text/csv; charset=utf-8', content: archive.bytes, sha256: archive.sha256 },
        `the archived reconciliation of ${date}`,
        'archive_corrupted',
      );
    });
}

/* ------------------------------------------------------------------------------------------------------------------------
 * Statement matching (docs/rules.md#statement-matching), mounted at /v1: the day's statements, lines,
 * matches and payouts-vs-statement comparison; a bank statement upload (manual methods); the exceptions and their
 * lifecycle; the matching rules.
 * ---------------------------------------------------------------------------------------------------------------------- */

const statementSourceSchema = z.enum(statementSources);
const exceptionSchema = z
  .object({
    id: z.string(),
    day: z.string(),
    source: statementSourceSchema,
    kind: z.enum(['UNMATCHED_PAYOUT', 'UNMATCHED_LINE', 'STATEMENT_MISSING']),
    subject: z.string(),
    payoutId: z.string().nullable(),
    lineId: z.string().nullable(),
    amount: z.string().nullable(),
    currency: z.string().nullable(),
    detail: z.string(),
    status: z.enum(exceptionStatuses),
    createdAt: z.string(),
    acknowledgedBy: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    closedBy: z.string().nullable(),
    closedAt: z.string().nullable(),
    note: z.string().nullable(),
    correctingEntryId: z.string().nullable(),
    resolvedByMatchId: z.string().nullable(),
  })
  .openapi('StatementException');

const dayStatementsSchema = z
  .object({
    day: z.string(),
    statements: z.array(z.object({ id: z.string(), source: statementSourceSchema, origin: z.string(), sha256: z.string().nullable(), lineCount: z.number(), receivedBy: z.string(), receivedAt: z.string() })),
    missing: z.array(statementSourceSchema).openapi({ description: 'Sources with completed payouts on the day and no statement' }),
    comparison: z.array(
      z.object({ source: statementSourceSchema, currency: z.string(), payouts: z.number(), payoutsTotal: z.string(), lines: z.number(), linesTotal: z.string(), difference: z.string() }),
    ).openapi({ description: 'Per source and currency: the day’s completed payouts (amount transferred) against the statement lines' }),
    lines: z.array(z.object({
      id: z.string(), statementId: z.string(), source: statementSourceSchema, lineRef: z.string(), reference: z.string().nullable(), amount: z.string(),
      currency: z.string(), valueDate: z.string(), matchId: z.string().nullable(),
    })),
    matches: z.array(z.object({
      id: z.string(), source: statementSourceSchema, rule: z.string(), shape: z.enum(['one_to_one', 'one_to_many', 'many_to_one']), difference: z.string(),
      payoutIds: z.array(z.string()), lineIds: z.array(z.string()), matchedAt: z.string(),
    })),
    exceptions: z.object({ open: z.number(), acknowledged: z.number(), resolved: z.number(), accepted: z.number() }),
  })
  .openapi('DayStatements');

const matchResultSchema = z.object({
  day: z.string(), source: statementSourceSchema, statements: z.number(), matchesCreated: z.number(), exceptionsCreated: z.number(), exceptionsResolvedByMatch: z.number(),
});

const ruleSchema = z
  .object({
    name: z.string(),
    shape: z.enum(['one_to_one', 'one_to_many', 'many_to_one']),
    matchReference: z.boolean(),
    amountTolerance: z.string(),
    dateToleranceDays: z.number().int(),
    maxGroupSize: z.number().int().optional(),
  })
  .openapi('StatementMatchingRule');

const statementsRoute = createRoute({
  operationId: 'getReconciliationStatements',
  method: 'get',
  path: '/reconciliations/{date}/statements',
  summary: 'The day’s statements, lines, matches, exception counts and the comparison of completed payouts with the statements',
  security: bearerSecurity,
  request: { params: dateParams },
  responses: { 200: { description: 'The day’s statement matching', content: { 'application/json': { schema: dayStatementsSchema } } }, ...errors },
});

const uploadRoute = createRoute({
  operationId: 'uploadBankStatement',
  method: 'post',
  path: '/reconciliations/{date}/statements',
  summary: 'Upload a bank statement of the day (manual methods) and match it',
  description:
    `The CSV (comma, header \`line_id,reference,amount,currency,value_date\`, at most ${maximumStatementLines} lines) is checked whole first: ` +
    'any bad line is refused with 422 naming the first line and field (`file.line.<n>.<column>`) and listing every problem; nothing is stored. ' +
    'A line id already stated for the day is refused the same way. The day’s manual payouts are then matched against the bank lines.',
  security: bearerSecurity,
  request: {
    params: dateParams,
    body: {
      content: {
        'application/json': {
          schema: z.object({ fileName: z.string().trim().min(1).max(255), csv: z.string().min(1).max(8 * 1024 * 1024) }).strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    201: {
      description: 'Stored and matched',
      content: { 'application/json': { schema: z.object({ statementId: z.string(), lines: z.number(), matching: matchResultSchema }) } },
    },
    ...errors,
    409: errorResponse('The day is signed off'),
    422: errorResponse('A line of the file is invalid (line and field named); nothing stored'),
  },
});

const exceptionsRoute = createRoute({
  operationId: 'listStatementExceptions',
  method: 'get',
  path: '/reconciliations/{date}/exceptions',
  summary: 'The day’s statement exceptions, oldest first',
  security: bearerSecurity,
  request: {
    params: dateParams,
    query: z.object({ status: z.enum(exceptionStatuses).optional().openapi({ description: 'Only those in this status' }) }),
  },
  responses: { 200: { description: 'The exceptions', content: { 'application/json': { schema: z.object({ exceptions: z.array(exceptionSchema) }) } } }, ...errors },
});

const exceptionActionRoute = createRoute({
  operationId: 'actOnStatementException',
  method: 'post',
  path: '/reconciliations/{date}/exceptions/{id}/{action}',
  summary: 'Acknowledge, resolve (note and the correcting entry) or accept (note) a statement exception',
  security: bearerSecurity,
  request: {
    params: z.object({
      date: calendarDay.openapi({ param: { name: 'date', in: 'path' } }),
      id: z.string().regex(/^\d{1,18}$/, 'an exception id').openapi({ param: { name: 'id', in: 'path' } }),
      action: z.enum(exceptionActions).openapi({ param: { name: 'action', in: 'path' } }),
    }),
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              note: z.string().trim().min(1).max(2000).optional(),
              entryId: z.string().regex(/^\d{1,18}$/, 'a journal entry id').optional().openapi({ description: 'resolve: the posted correcting entry' }),
              adjustmentId: z.string().uuid().optional().openapi({ description: 'resolve: the adjustment whose posted entry corrects it' }),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    200: { description: 'The exception after the action', content: { 'application/json': { schema: exceptionSchema } } },
    ...errors,
    404: errorResponse('No such exception on the day'),
    409: errorResponse('The exception is final, or the day is signed off'),
  },
});

const rulesParams = z.object({ source: statementSourceSchema.openapi({ param: { name: 'source', in: 'path' } }) });
const rulesRoute = createRoute({
  operationId: 'getStatementMatchingRules',
  method: 'get',
  path: '/statement-matching-rules/{source}',
  summary: 'The matching rules of a statement source, in the order they are applied',
  security: bearerSecurity,
  request: { params: rulesParams },
  responses: { 200: { description: 'The rules', content: { 'application/json': { schema: z.object({ source: statementSourceSchema, rules: z.array(ruleSchema) }) } } }, ...errors },
});
const replaceRulesRoute = createRoute({
  operationId: 'replaceStatementMatchingRules',
  method: 'put',
  path: '/statement-matching-rules/{source}',
  summary: 'Replace the matching rules of a statement source (finance director); applies to matching from now on',
  security: bearerSecurity,
  request: { params: rulesParams, body: { content: { 'application/json': { schema: z.object({ rules: z.array(z.unknown()) }).strict() } }, required: true } },
  responses: { 200: { description: 'The rules now', content: { 'application/json': { schema: z.object({ source: statementSourceSchema, rules: z.array(ruleSchema) }) } } }, ...errors },
});

export function statementRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  return createSubApp()
    .openapi(rulesRoute, async (c) => {
      requirePermission(c.get('user'), 'reconciliations.read');
      const { source } = c.req.valid('param');
      return c.json({ source, rules: await loadMatchingRules(database, source) }, 200);
    })
    .openapi(replaceRulesRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'statements.rules');
      const { source } = c.req.valid('param');
      const rules = await replaceMatchingRules(database, { source, rules: c.req.valid('json').rules, actor: user.id, ip: clientIp(c) });
      return c.json({ source, rules }, 200);
    })
    .openapi(statementsRoute, async (c) => {
      requirePermission(c.get('user'), 'reconciliations.read');
      return c.json(await dayStatements(database, c.req.valid('param').date), 200);
    })
    .openapi(uploadRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'statements.upload');
      const { date } = c.req.valid('param');
      const body = c.req.valid('json');
      // A statement of a day that has not ended is refused like its reconciliation.
      reconcilableDay(date, new Date(), 'params.date');
      const stored = await uploadBankStatement(database, { day: date, fileName: body.fileName, text: body.csv, actor: user.id, ip: clientIp(c) });
      const matching = await matchDay(database, { day: date, source: 'bank', actor: user.id });
      return c.json({ ...stored, matching }, 201);
    })
    .openapi(exceptionsRoute, async (c) => {
      requirePermission(c.get('user'), 'reconciliations.read');
      const { date } = c.req.valid('param');
      const { status } = c.req.valid('query');
      return c.json({ exceptions: await listExceptions(database, date, status ? [status] : undefined) }, 200);
    })
    .openapi(exceptionActionRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'statements.exceptions');
      const { date, id, action } = c.req.valid('param');
      const body = c.req.valid('json');
      const exception = await actOnException(database, {
        day: date, id, action, note: body.note ?? null, entryId: body.entryId ?? null, adjustmentId: body.adjustmentId ?? null, actor: user.id, ip: clientIp(c),
      });
      return c.json(exception, 200);
    });
}
