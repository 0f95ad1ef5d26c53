import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { auditablePeriod, auditCadences, auditDescriptions, auditKinds, auditSignOffRefusal, auditWorkflowId } from '../../domain/audit-schedule.ts';
import { auditExport, decideFinding, getAuditRun, listAuditRuns, signOffAuditRun, type AuditRun } from '../../modules/audits/audit-store.ts';
import { auditWorkflowType, type AuditRequest } from '../../workflows/audit-messages.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePermission, workflowUrl, type ApiDependencies } from '../context.ts';
import { ApiError, withFields } from '../errors.ts';
import { storedFileResponse } from '../files.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/**
 * The audit schedule (docs/rules.md#audit-schedule), mounted at /v1/audits: start a kind's run for a period on demand
 * (its workflow `audit-<kind>-<period>` computes and stores it once), list and read runs with their findings, resolve
 * or accept a finding with a note, sign a run off with a fresh TOTP code, and download the annual export's archive.
 */

const kindSchema = z.enum(auditKinds).openapi({
  description: auditKinds.map((kind) => `\`${kind}\` (${auditCadences[kind]}): ${auditDescriptions[kind]}`).join('; '),
});
const periodSchema = z
  .string()
  .max(10)
  .openapi({ description: 'The period of the kind’s cadence: 2026-W49 (ISO week), 2026-11 (month), 2026-Q3 (quarter), 2025 (year)', example: '2026-11' });
const idParams = z.object({ id: z.string().regex(/^\d{1,18}$/, 'a run id').openapi({ param: { name: 'id', in: 'path' } }) });
const findingParams = idParams.extend({ findingId: z.string().regex(/^\d{1,18}$/, 'a finding id').openapi({ param: { name: 'findingId', in: 'path' } }) });

const findingSchema = z
  .object({
    id: z.string(),
    check: z.string(),
    subject: z.string(),
    detail: z.record(z.unknown()),
    status: z.enum(['OPEN', 'RESOLVED', 'ACCEPTED']),
    note: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
  })
  .openapi('AuditFinding');

const summaryFields = {
  id: z.string(),
  kind: kindSchema,
  period: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  seed: z.string().nullable().openapi({ description: 'The recorded seed of a sampling kind: re-running the sample from it yields the same set' }),
  status: z.enum(['AWAITING_SIGN_OFF', 'SIGNED']),
  requestedBy: z.string().nullable().openapi({ description: 'Who started it on demand (may not sign it); null when its Schedule did' }),
  startedAt: z.string(),
  finishedAt: z.string(),
  sha256: z.string().openapi({ description: 'SHA-256 of the run’s evidence and findings as computed (of the archive, for the export)' }),
  findings: z.object({ total: z.number(), open: z.number() }),
  signedBy: z.string().nullable(),
  signedRole: z.string().nullable(),
  signedAt: z.string().nullable(),
  exportUrl: z.string().nullable(),
};
const summarySchema = z.object(summaryFields).openapi('AuditRunSummary');
const runSchema = z
  .object({ ...summaryFields, report: z.record(z.unknown()).openapi({ description: 'What the run examined' }), findingList: z.array(findingSchema) })
  .openapi('AuditRun');

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or no fresh TOTP code'),
  403: errorResponse('Not allowed'),
};

const startRoute = createRoute({
  operationId: 'createAuditRun',
  method: 'post',
  path: '/',
  summary: 'Start an audit for a period on demand',
  description:
    'Starts (or joins) the workflow `audit-<kind>-<period>`, which computes and stores the run once: a second start of the ' +
    'same period returns the first run. Only a period that has ended may be audited.',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: z.object({ kind: kindSchema, period: periodSchema }).strict() } }, required: true } },
  responses: {
    202: {
      description: 'Running (or already run): the workflow and where the run will be listed',
      content: { 'application/json': { schema: z.object({ kind: kindSchema, period: z.string(), workflowId: z.string(), workflowUrl: z.string().nullable(), runsUrl: z.string() }) } },
    },
    ...errors,
  },
});

const listRoute = createRoute({
  operationId: 'listAuditRuns',
  method: 'get',
  path: '/',
  summary: 'Audit runs, newest first',
  security: bearerSecurity,
  request: {
    query: z.object({
      kind: kindSchema.optional(),
      period: periodSchema.optional(),
      status: z.enum(['AWAITING_SIGN_OFF', 'SIGNED']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      before: z.string().regex(/^\d{1,18}$/).optional().openapi({ description: 'The last id of the previous page' }),
    }),
  },
  responses: {
    200: { description: 'A page of runs', content: { 'application/json': { schema: z.object({ runs: z.array(summarySchema), nextBefore: z.string().nullable() }) } } },
    ...errors,
  },
});

const getRoute = createRoute({
  operationId: 'getAuditRun',
  method: 'get',
  path: '/{id}',
  summary: 'One audit run: what it examined, its findings and its sign-off',
  security: bearerSecurity,
  request: { params: idParams },
  responses: { 200: { description: 'The run', content: { 'application/json': { schema: runSchema } } }, ...errors, 404: errorResponse('No such run') },
});

const decideRoute = createRoute({
  operationId: 'decideAuditFinding',
  method: 'post',
  path: '/{id}/findings/{findingId}',
  summary: 'Resolve (the problem was corrected) or accept (it stands, for the reason given) one open finding, with a note',
  security: bearerSecurity,
  request: {
    params: findingParams,
    body: {
      content: { 'application/json': { schema: z.object({ status: z.enum(['RESOLVED', 'ACCEPTED']), note: z.string().trim().min(1).max(2000) }).strict() } },
      required: true,
    },
  },
  responses: {
    200: { description: 'Decided', content: { 'application/json': { schema: findingSchema } } },
    ...errors,
    404: errorResponse('No such run or finding'),
    409: errorResponse('The finding is already decided, or the run is signed off'),
  },
});

const signOffRoute = createRoute({
  operationId: 'signOffAuditRun',
  method: 'post',
  path: '/{id}/sign-off',
  summary: 'Sign a run off (finance manager or director, fresh TOTP code, not the person who started it on demand)',
  description: 'Refused while a finding is open, and a second time. A signed run and its findings never change.',
  security: bearerSecurity,
  request: { params: idParams, headers: z.object({ 'x-totp-code': z.string().optional() }) },
  responses: {
    200: { description: 'Signed', content: { 'application/json': { schema: runSchema } } },
    ...errors,
    404: errorResponse('No such run'),
    409: errorResponse('Already signed, or findings open'),
  },
});

const exportRoute = createRoute({
  operationId: 'downloadAuditExport',
  method: 'get',
  path: '/{id}/export.tar',
  summary: 'The annual full-audit export: a tar of ledger.csv, postings.csv, audit_log.csv, approvals.csv and manifest.csv (their SHA-256s)',
  security: bearerSecurity,
  request: { params: idParams },
  responses: {
    200: { description: 'The archive (attachment)', content: { 'application/x-tar': { schema: z.string() } } },
    ...errors,
    404: errorResponse('No such run, or the run has no archive'),
    500: errorResponse('The stored archive no longer matches its checksum'),
  },
});

function toBody<T extends { id: string; hasExport: boolean }>(run: T): Omit<T, 'hasExport'> & { exportUrl: string | null } {
  const { hasExport, ...rest } = run;
  return { ...rest, exportUrl: hasExport ? `/v1/audits/${run.id}/export.tar` : null };
}

export function auditRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal } = dependencies;

  const load = async (id: string): Promise<AuditRun> => {
    const run = await getAuditRun(database, id);
    if (!run) throw new ApiError(404, 'not_found', `no audit run ${id}`, 'params.id');
    return run;
  };

  return createSubApp()
    .openapi(startRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'audits.run');
      const { kind, period: text } = c.req.valid('json');
      const { period } = await withFields(Promise.resolve().then(() => auditablePeriod(kind, text, new Date())), { period: 'body.period' });
      const workflowId = auditWorkflowId(kind, period);
      const request: AuditRequest = { kind, period, requestedBy: user.id };
      // A run already going is joined; a finished one is started again, which returns the stored run.
      await temporal.workflow.start(auditWorkflowType, {
        workflowId,
        taskQueue: dependencies.taskQueue,
        args: [request],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
      return c.json({ kind, period, workflowId, workflowUrl: workflowUrl(dependencies, workflowId), runsUrl: `/v1/audits?kind=${kind}&period=${period}` }, 202);
    })
    .openapi(listRoute, async (c) => {
      requirePermission(c.get('user'), 'audits.read');
      const query = c.req.valid('query');
      const runs = await listAuditRuns(database, query);
      return c.json({ runs: runs.map((run) => toBody(run)), nextBefore: runs.length === query.limit ? runs.at(-1)!.id : null }, 200);
    })
    .openapi(getRoute, async (c) => {
      requirePermission(c.get('user'), 'audits.read');
      return c.json(toBody(await load(c.req.valid('param').id)), 200);
    })
    .openapi(decideRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'audits.findings');
      const { id, findingId } = c.req.valid('param');
      const body = c.req.valid('json');
      const finding = await decideFinding(database, { runId: id, findingId, status: body.status, note: body.note, actor: user.id, ip: clientIp(c) });
      return c.json(finding, 200);
    })
    .openapi(signOffRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'audits.read');
      const { id } = c.req.valid('param');
      const signer = { userId: user.id, role: user.role as Exclude<typeof user.role, 'api_key'> };
      const current = await load(id);
      // Refused before the TOTP is checked (a refusal consumes no code); checked again under the run's lock.
      const refusal = auditSignOffRefusal({ status: current.status, requestedBy: current.requestedBy, openFindings: current.findings.open }, signer);
      if (refusal) throw refusal;
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'a sign-off');
      return c.json(toBody(await signOffAuditRun(database, { runId: id, signer, ip: clientIp(c) })), 200);
    })
    .openapi(exportRoute, async (c) => {
      requirePermission(c.get('user'), 'audits.read');
      const { id } = c.req.valid('param');
      const archive = await auditExport(database, id);
      if (!archive) throw new ApiError(404, 'not_found', `audit run ${id} has no archive (only the annual full-audit export has one)`, 'params.id');
      return storedFileResponse(c, { file_name: archive.fileName, content_type: 'application/x-tar', content: archive.bytes, sha256: archive.sha256 }, `the archive of audit run ${id}`, 'archive_corrupted');
    });
}
