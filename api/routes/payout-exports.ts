import { createRoute, z } from '@hono/zod-openapi';
import { payoutStatuses } from '../../domain/payout.ts';
import { payoutExportKinds } from '../../domain/payout-export.ts';
import { createPayoutExport, listPayoutExports, paymentFileKinds, payoutExportFile, type PayoutExportRow } from '../../modules/payouts/exports.ts';
import { clientIp, createSubApp, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError, withFields } from '../errors.ts';
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

function toExport(row: PayoutExportRow): ExportBody {
  return {
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
  const { database } = dependencies;

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
          return { status: 201, body: toExport(row) };
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
      return c.json({ exports: rows.map(toExport), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null }, 200);
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
