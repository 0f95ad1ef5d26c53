import { createRoute, z } from '@hono/zod-openapi';
import { payoutStatuses } from '../../domain/payout.ts';
import { payoutExportKinds } from '../../domain/payout-export.ts';
import { payoutFailureCodes } from '../../domain/payout.ts';
import { CloseRequestError, linesOfLists, parseResultFile, paymentFileStatuses, type CloseLine } from '../../domain/payment-file.ts';
import { createPayoutExport, listPayoutExports, paymentFileKinds, payoutExportFile, type PayoutExportRow } from '../../modules/payouts/exports.ts';
import {
  paymentFileCloseProgress,
  paymentFileItems,
  paymentFileProgress,
  paymentFileSummaries,
  recordPaymentFileClose,
  startPaymentFileClose,
  startPaymentFileLock,
  type PaymentFileSummary,
} from '../../modules/payouts/payment-files.ts';
import { clientIp, createSubApp, personRole, requireFreshTotp, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError, toApiError, withFields } from '../errors.ts';
import { storedFileResponse } from '../files.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { runIdempotent } from '../idempotency.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/**
 * Payout exports (docs/rules.md#payout-exports), mounted at /v1/payout-exports: CSV of all or only new requests, the PayQuicker file,
 * and a batch file per method. Each export is recorded with the payouts it listed and the file's bytes, so it can
 * be downloaded again, byte for byte, and "new" means "never in a CSV export before".
 */

const createExportBody = z
  .object({
    kind: z.enum(payoutExportKinds).openapi({
      description:
        'CSV_ALL: every payout matching the filters; CSV_NEW: those never in a CSV export before; PAYQUICKER: APPROVED ' +
        'payouts of a method with an `email` detail (default PAYQUICKER) in PayQuicker’s columns; METHOD_BATCH: the ' +
        'APPROVED payouts of `methodId` in its batch layout. Payment files leave out payouts an earlier payment file listed.',
    }),
    methodId: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'upper-case letters, digits and _').optional(),
    status: z.enum(payoutStatuses).optional().openapi({ description: 'CSV kinds: that status only (default: every status but DRAFT); payment files: APPROVED only (the default)' }),
    from: z.string().datetime({ offset: true }).optional().openapi({ description: 'Created at or after' }),
    to: z.string().datetime({ offset: true }).optional().openapi({ description: 'Created before' }),
  })
  .strict()
  .superRefine((body, context) => {
    if (body.from && body.to && new Date(body.from) >= new Date(body.to)) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'must be after from' });
    }
    if (body.kind === 'METHOD_BATCH' && body.methodId === undefined) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['methodId'], message: 'a METHOD_BATCH is for one method: name it' });
    }
    if (paymentFileKinds.includes(body.kind) && body.status !== undefined && body.status !== 'APPROVED') {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['status'], message: `a ${body.kind} file lists APPROVED payouts only` });
    }
  })
  .openapi('CreatePayoutExportRequest');
type CreateExportBody = z.infer<typeof createExportBody>;

const totalsSchema = z.record(
  z.object({ count: z.number(), amount: z.string(), fee: z.string(), amountToTransfer: z.string() }),
).openapi({ description: 'Per currency: how many payouts and the sums of amount, fee and amount to transfer' });

const paymentFileSchema = z
  .object({
    status: z.enum(paymentFileStatuses).openapi({
      description:
        'LOCKING: its manual payouts are being moved to PROCESSING; OPEN: waiting for the bank’s result; CLOSING: a bulk close runs; ' +
        'CLOSED: every payout in it is COMPLETED, FAILED (or otherwise terminal)',
    }),
    counts: z.object({ total: z.number(), processing: z.number(), completed: z.number(), failed: z.number(), other: z.number() }),
  })
  .openapi('PaymentFileSummary');

const exportSchema = z
  .object({
    id: z.string(),
    kind: z.enum(payoutExportKinds),
    methodId: z.string().nullable(),
    status: z.enum(payoutStatuses).nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    rowCount: z.number(),
    totals: totalsSchema,
    fileName: z.string(),
    contentType: z.string(),
    checksumSha256: z.string().openapi({ description: 'SHA-256 (hex) of the file; every download is checked against it' }),
    fileUrl: z.string(),
    paymentFile: paymentFileSchema.optional().openapi({ description: 'PAYQUICKER and METHOD_BATCH exports only: the payment file’s status and counts' }),
  })
  .openapi('PayoutExport');
type ExportBody = z.infer<typeof exportSchema>;

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Not allowed'),
};

const createExport = createRoute({
  operationId: 'createPayoutExport',
  method: 'post',
  path: '/',
  summary: 'Produce and record an export file (CSV of all or new payouts, PayQuicker file, or a batch per method)',
  description: 'Admins who may export. Honours `Idempotency-Key`: a retried request returns the export first made.',
  security: bearerSecurity,
  request: {
    headers: z.object({ 'idempotency-key': z.string().optional() }),
    body: { content: { 'application/json': { schema: createExportBody } }, required: true },
  },
  responses: {
    201: { description: 'Recorded; download it from fileUrl', content: { 'application/json': { schema: exportSchema } } },
    ...errors,
    409: errorResponse('The Idempotency-Key is in progress'),
    422: errorResponse('Unknown method, a method without the details the file needs, mixed currencies, or too many payouts'),
  },
});

const listQuery = z.object({
  kind: z.enum(payoutExportKinds).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
});

const listExports = createRoute({
  operationId: 'listPayoutExports',
  method: 'get',
  path: '/',
  summary: 'Exports made, newest first',
  security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: {
      description: 'A page of exports',
      content: { 'application/json': { schema: z.object({ exports: z.array(exportSchema), nextCursor: z.string().nullable() }) } },
    },
    ...errors,
  },
});

const getExportFile = createRoute({
  operationId: 'downloadPayoutExport',
  method: 'get',
  path: '/{id}/file',
  summary: 'Download an export: the same bytes as when it was made, checked against its SHA-256',
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The file (attachment)', content: { 'text/csv': { schema: z.string() } } },
    ...errors,
    404: errorResponse('No such export'),
    500: errorResponse('The stored file no longer matches its checksum'),
  },
});

const idParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const getExport = createRoute({
  operationId: 'getPayoutExport',
  method: 'get',
  path: '/{id}',
  summary: 'One export; a payment file with its status and counts',
  security: bearerSecurity,
  request: { params: idParam },
  responses: {
    200: { description: 'The export', content: { 'application/json': { schema: exportSchema } } },
    ...errors,
    404: errorResponse('No such export'),
  },
});

const itemSchema = z
  .object({
    payoutId: z.string(),
    reference: z.string().openapi({ description: 'What the file and the bank’s result name the payout by (its id)' }),
    partnerId: z.string(),
    methodId: z.string(),
    currency: z.string(),
    amountToTransfer: z.string(),
    payoutStatus: z.enum(payoutStatuses),
    failureCode: z.string().nullable(),
  })
  .openapi('PaymentFileItem');

const listItems = createRoute({
  operationId: 'listPaymentFileItems',
  method: 'get',
  path: '/{id}/items',
  summary: 'The payouts of an export in file order, with their status now',
  security: bearerSecurity,
  request: {
    params: idParam,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(1000).default(200),
      cursor: z.string().regex(/^\d{1,9}$/, 'nextCursor of the previous page').optional().openapi({ description: 'nextCursor of the previous page' }),
    }),
  },
  responses: {
    200: {
      description: 'A page of the file’s payouts',
      content: { 'application/json': { schema: z.object({ items: z.array(itemSchema), nextCursor: z.string().nullable() }) } },
    },
    ...errors,
    404: errorResponse('No such export'),
  },
});

const closeBody = z
  .object({
    resultFile: z.string().min(1).max(10_000_000).optional().openapi({
      description: 'The bank’s result file (docs/rules.md#payment-files): CSV with a header naming reference,status,failureCode,reason; status PAID or FAILED',
    }),
    paid: z.array(z.string().max(200)).max(50_000).optional().openapi({ description: 'References (payout ids) the bank paid' }),
    failed: z
      .array(z.object({ reference: z.string().max(200), failureCode: z.string().max(50).openapi({ description: payoutFailureCodes.join(', ') }), reason: z.string().max(500).optional() }).strict())
      .max(50_000)
      .optional(),
  })
  .strict()
  .superRefine((body, context) => {
    const lists = body.paid !== undefined || body.failed !== undefined;
    if (body.resultFile !== undefined && lists) context.addIssue({ code: z.ZodIssueCode.custom, path: ['resultFile'], message: 'send either resultFile or paid/failed, not both' });
    if (body.resultFile === undefined && !lists) context.addIssue({ code: z.ZodIssueCode.custom, path: ['resultFile'], message: 'send the result file, or paid and failed lists' });
  })
  .openapi('ClosePaymentFileRequest');

const closeAccepted = z
  .object({
    closeId: z.string(),
    paid: z.number().openapi({ description: 'Payouts to be marked paid' }),
    failed: z.number().openapi({ description: 'Payouts to be marked failed' }),
    alreadyDecided: z.number().openapi({ description: 'Named payouts already COMPLETED or FAILED: left as they are' }),
    unknown: z.array(z.string()).openapi({ description: 'Always empty: an unknown reference refuses the whole request (422)' }),
  })
  .openapi('PaymentFileCloseAccepted');

const closeFile = createRoute({
  operationId: 'closePaymentFile',
  method: 'post',
  path: '/{id}/results',
  summary: 'Mark the payouts of a payment file paid or failed in bulk (the bank’s result file or lists of references); needs a fresh TOTP code',
  description:
    'docs/rules.md#payment-files. Permission payouts.process, one fresh TOTP code for the whole action, honours `Idempotency-Key`. ' +
    'Everything is checked first: an unknown reference, a payout not in this file, a bad failure code or a reference named twice is a 422 ' +
    'naming the line or field, and nothing changes. Then a workflow delivers each payout’s complete or fail; follow it at `results/{closeId}`.',
  security: bearerSecurity,
  request: {
    params: idParam,
    headers: z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }), 'idempotency-key': z.string().optional() }),
    body: { content: { 'application/json': { schema: closeBody } }, required: true },
  },
  responses: {
    202: { description: 'Recorded; the decisions are being delivered', content: { 'application/json': { schema: closeAccepted } } },
    ...errors,
    404: errorResponse('No such export'),
    409: errorResponse('The file is still locking, another close of it runs, or the Idempotency-Key is in progress'),
    422: errorResponse('Not a payment file, or a line or reference that cannot be applied (named); nothing changed'),
  },
});

const closeProgressSchema = z
  .object({
    status: z.enum(['RUNNING', 'DONE']),
    paid: z.number(),
    failed: z.number(),
    alreadyDecided: z.number(),
    pending: z.number().openapi({ description: 'Decisions not yet answered by their payout' }),
    refused: z.array(z.object({ payoutId: z.string(), code: z.string(), message: z.string() })),
  })
  .openapi('PaymentFileCloseProgress');

const getClose = createRoute({
  operationId: 'getPaymentFileClose',
  method: 'get',
  path: '/{id}/results/{closeId}',
  summary: 'Progress of one bulk close of a payment file',
  security: bearerSecurity,
  request: {
    params: z.object({
      id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }),
      closeId: z.string().uuid().openapi({ param: { name: 'closeId', in: 'path' } }),
    }),
  },
  responses: {
    200: { description: 'The close’s progress', content: { 'application/json': { schema: closeProgressSchema } } },
    ...errors,
    404: errorResponse('No such export or close'),
  },
});

function toExport(row: PayoutExportRow, paymentFile?: PaymentFileSummary): ExportBody {
  return {
    ...(paymentFile ? { paymentFile } : {}),
    id: row.id,
    kind: row.kind,
    methodId: row.method_id,
    status: row.status_filter,
    from: row.created_from?.toISOString() ?? null,
    to: row.created_to?.toISOString() ?? null,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    rowCount: row.row_count,
    totals: row.totals,
    fileName: row.file_name,
    contentType: row.content_type,
    checksumSha256: row.checksum_sha256,
    fileUrl: `/v1/payout-exports/${row.id}/file`,
  };
}

export function payoutExportRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal } = dependencies;
  const starter = { temporal, taskQueue: dependencies.taskQueue };
  const loadExport = async (id: string) => {
    const [row] = await listPayoutExports(database, { id, limit: 1 });
    if (!row) throw new ApiError(404, 'not_found', `export ${id} does not exist`, 'params.id');
    return row;
  };

  return createSubApp()
    .openapi(createExport, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'payouts.export');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/payout-exports', body] },
        async () => {
          const { policy } = await dependencies.policies.active();
          const created = createPayoutExport(database, { ...body, policy: policy.payouts, actor: user.id, ip: clientIp(c) });
          const row = await withFields(created, { methodId: 'body.methodId', to: 'body.to' });
          // docs/rules.md#payment-files: the file's payouts are locked (committed); its manual ones now go to PROCESSING.
          // The export is committed whatever Temporal says: a start that fails leaves the file LOCKING, and the next
          // close request for it starts the lock again (docs/decisions.md, lost starts).
          if (paymentFileKinds.includes(row.kind) && row.row_count > 0) await startPaymentFileLock(starter, row.id).catch(() => undefined);
          return { status: 201, body: toExport(row, (await paymentFileSummaries(database, [row.id])).get(row.id)) };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as ExportBody, 201);
    })
    .openapi(listExports, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const query = c.req.valid('query');
      const after = query.cursor ? decodeTimeCursor(query.cursor) : undefined;
      const rows = await listPayoutExports(database, { kind: query.kind, after, limit: query.limit });
      const last = rows.at(-1);
      const files = await paymentFileSummaries(database, rows.filter((row) => paymentFileKinds.includes(row.kind)).map((row) => row.id));
      return c.json({ exports: rows.map((row) => toExport(row, files.get(row.id))), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null }, 200);
    })
    .openapi(getExport, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const { id } = c.req.valid('param');
      const row = await loadExport(id);
      return c.json(toExport(row, (await paymentFileSummaries(database, [id])).get(id)), 200);
    })
    .openapi(listItems, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const { id } = c.req.valid('param');
      const query = c.req.valid('query');
      await loadExport(id);
      const rows = await paymentFileItems(database, id, query.cursor === undefined ? -1 : Number(query.cursor), query.limit);
      const last = rows.at(-1);
      return c.json({
        items: rows.map((row) => ({
          payoutId: row.payout_id,
          reference: row.payout_id,
          partnerId: row.partner_id,
          methodId: row.method_id,
          currency: row.currency,
          amountToTransfer: row.amount_to_transfer,
          payoutStatus: row.status as (typeof payoutStatuses)[number],
          failureCode: row.failure_code,
        })),
        nextCursor: rows.length === query.limit && last ? String(last.position) : null,
      }, 200);
    })
    .openapi(closeFile, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'payouts.process');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/payout-exports/{id}/results', id, body] },
        async () => {
          const actor = { userId: user.id, role: personRole(user) };
          await requireFreshTotp(identity, user, headers['x-totp-code'], 'closing a payment file');
          let lines: CloseLine[];
          try {
            lines = body.resultFile !== undefined ? parseResultFile(body.resultFile) : linesOfLists(body);
          } catch (error) {
            throw closeRefusal(error);
          }
          let recorded;
          try {
            recorded = await recordPaymentFileClose(database, {
              exportId: id, lines, source: body.resultFile !== undefined ? 'RESULT_FILE' : 'LIST', resultFile: body.resultFile ?? null, actor, ip: clientIp(c),
            });
          } catch (error) {
            if (error instanceof ApiError || error instanceof CloseRequestError) throw closeRefusal(error);
            const refusal = toApiError(error);
            if (refusal instanceof ApiError && refusal.field === 'id') throw new ApiError(refusal.status, refusal.code, refusal.message, 'params.id');
            // A lost start (the API died after a commit) is made good here: starting again changes nothing otherwise.
            if (refusal instanceof ApiError && refusal.code === 'payment_file_locking') await startPaymentFileLock(starter, id);
            if (refusal instanceof ApiError && refusal.code === 'payment_file_closing') {
              const { running } = await paymentFileProgress(database, id);
              if (running) await startPaymentFileClose(starter, { exportId: id, closeId: running.id, closeNo: running.close_no });
            }
            throw refusal;
          }
          if (recorded.deliver) await startPaymentFileClose(starter, { exportId: id, closeId: recorded.closeId, closeNo: recorded.closeNo });
          return { status: 202, body: { closeId: recorded.closeId, paid: recorded.paid, failed: recorded.failed, alreadyDecided: recorded.alreadyDecided, unknown: [] as string[] } };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as z.infer<typeof closeAccepted>, 202);
    })
    .openapi(getClose, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const { id, closeId } = c.req.valid('param');
      const progress = await paymentFileCloseProgress(database, id, closeId);
      if (!progress) throw new ApiError(404, 'not_found', `payment file ${id} has no close ${closeId}`, 'params.closeId');
      return c.json(progress, 200);
    })
    .openapi(getExportFile, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const { id } = c.req.valid('param');
      const file = await payoutExportFile(database, id);
      if (!file) throw new ApiError(404, 'not_found', `export ${id} does not exist`, 'params.id');
      // The stored bytes must still be the ones first produced: a file that was altered is never handed out.
      return storedFileResponse(c, file, `the stored file of export ${id}`, 'export_corrupted', `attachment; filename="${file.file_name}"`);
    });
}

/** A close request that cannot be applied: 422 naming the first problem's line or field, every problem in the message. */
function closeRefusal(error: unknown): unknown {
  if (!(error instanceof CloseRequestError)) return error;
  const [first] = error.problems;
  const shown = error.problems.slice(0, 20).map((problem) => (problem.field === first!.field ? problem.message : `${problem.field}: ${problem.message}`));
  const more = error.problems.length > 20 ? `; and ${error.problems.length - 20} more` : '';
  return new ApiError(422, 'invalid_close', `${shown.join('; ')}${more}; nothing was changed`, first!.field);
}
