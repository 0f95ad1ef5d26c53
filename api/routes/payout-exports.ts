import { createHash, randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { sql, type CommonQueryMethods } from 'slonik';
import { z as zod } from 'zod';
import { appendAuditRecord } from '../../modules/audit/audit-store.ts';
import { findPaymentMethod, payoutStatuses } from '../../domain/payout.ts';
import {
  PayoutExportError,
  exportTotals,
  formatMethodBatch,
  formatPayoutCsv,
  formatPayQuickerCsv,
  payoutExportKinds,
  type ExportedPayout,
  type PayoutExportKind,
} from '../../domain/payout-export.ts';
import type { PaymentMethod, PayoutPolicy } from '../../domain/payout-policy.ts';
import { clientIp, createSubApp, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { runIdempotent } from '../idempotency.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/**
 * Payout exports (SPEC 6.8), mounted at /v1/payout-exports: CSV of all or only new requests, the PayQuicker file,
 * and a batch file per method. Each export is recorded with the payouts it listed and the file's bytes, so it can
 * be downloaded again, byte for byte, and "new" means "never in a CSV export before".
 */

/** Beyond this many payouts an export is refused: narrow it with from/to (the file is built in memory and stored). */
export const maxExportRows = 50_000;

/** CSV_NEW leaves out what any CSV export listed; a payment file leaves out what any payment file listed. */
const excludedBy: Record<PayoutExportKind, readonly PayoutExportKind[]> = {
  CSV_ALL: [],
  CSV_NEW: ['CSV_ALL', 'CSV_NEW'],
  PAYQUICKER: ['PAYQUICKER', 'METHOD_BATCH'],
  METHOD_BATCH: ['PAYQUICKER', 'METHOD_BATCH'],
};

const paymentFileKinds: readonly PayoutExportKind[] = ['PAYQUICKER', 'METHOD_BATCH'];

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
type CreateExportBody = zod.infer<typeof createExportBody>;

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
type ExportBody = zod.infer<typeof exportSchema>;

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Not allowed'),
};

const createExport = createRoute({
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

const exportedPayoutRow = zod.object({
  id: zod.string(),
  partner_id: zod.string(),
  partner_name: zod.string(),
  method_id: zod.string(),
  currency: zod.string(),
  amount: zod.string(),
  fee: zod.string(),
  amount_to_transfer: zod.string(),
  status: zod.string(),
  priority: zod.string(),
  created_at: zod.date(),
  sla_due_at: zod.date(),
  external_reference: zod.string().nullable(),
  provider_reference: zod.string().nullable(),
  payment_details: zod.record(zod.string()),
});

const exportRow = zod.object({
  id: zod.string(),
  kind: zod.enum(payoutExportKinds),
  method_id: zod.string().nullable(),
  status_filter: zod.enum(payoutStatuses).nullable(),
  created_from: zod.date().nullable(),
  created_to: zod.date().nullable(),
  created_by: zod.string(),
  created_at: zod.date(),
  cursor_time: zod.string(),
  row_count: zod.number(),
  totals: totalsSchema,
  file_name: zod.string(),
  content_type: zod.string(),
  checksum_sha256: zod.string(),
});
type ExportRow = zod.infer<typeof exportRow>;

const exportColumns = sql.fragment`
  id, kind, method_id, status_filter, created_from, created_to, created_by, created_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time, row_count, totals, file_name,
  content_type, checksum_sha256`;

const fileRow = zod.object({ file_name: zod.string(), content_type: zod.string(), content: zod.instanceof(Buffer), checksum_sha256: zod.string() });

const csvContentType = 'text/csv; charset=utf-8';

function toExport(row: ExportRow): ExportBody {
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

/** The method a payment file is for, from the policy in force; CSV kinds filter by any method id, past ones included. */
function paymentFileMethod(body: CreateExportBody, policy: PayoutPolicy): PaymentMethod | null {
  if (!paymentFileKinds.includes(body.kind)) return null;
  const methodId = body.methodId ?? 'PAYQUICKER';
  const method = findPaymentMethod(policy, methodId);
  if (!method) throw new ApiError(422, 'unknown_method', `no payment method ${methodId} in the policy in force`, 'body.methodId');
  if (body.kind === 'PAYQUICKER' && !method.fields.some((field) => field.name === 'email')) {
    throw new ApiError(422, 'unsupported_method', `${method.id} has no email detail, which the PayQuicker file needs`, 'body.methodId');
  }
  return method;
}

/** The payouts an export lists, oldest request first; at most maxExportRows + 1 (one more says "too many"). */
async function selectPayouts(connection: CommonQueryMethods, body: CreateExportBody, methodId: string | null): Promise<ExportedPayout[]> {
  const conditions = [sql.fragment`TRUE`];
  const status = paymentFileKinds.includes(body.kind) ? 'APPROVED' : body.status;
  // A draft is not a request yet (SPEC 6.1): no export lists one unless drafts are asked for by status.
  conditions.push(status ? sql.fragment`p.status = ${status}` : sql.fragment`p.status <> 'DRAFT'`);
  if (methodId) conditions.push(sql.fragment`p.method_id = ${methodId}`);
  if (body.from) conditions.push(sql.fragment`p.created_at >= ${body.from}::timestamptz`);
  if (body.to) conditions.push(sql.fragment`p.created_at < ${body.to}::timestamptz`);
  const excluded = excludedBy[body.kind];
  if (excluded.length > 0) {
    conditions.push(sql.fragment`NOT EXISTS (
      SELECT 1 FROM payout_export_items i JOIN payout_exports e ON e.id = i.export_id
      WHERE i.payout_id = p.id AND e.kind = ANY(${sql.array([...excluded], 'text')}))`);
  }
  const rows = await connection.any(sql.type(exportedPayoutRow)`
    SELECT p.id, p.partner_id, pa.name AS partner_name, p.method_id, p.currency, p.amount, p.fee, p.amount_to_transfer,
           p.status, p.priority, p.created_at, p.sla_due_at, p.external_reference, p.provider_reference, p.payment_details
    FROM payouts p JOIN partners pa ON pa.id = p.partner_id
    WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY p.created_at, p.id
    LIMIT ${maxExportRows + 1}`);
  return rows.map((row) => ({
    id: row.id,
    partnerId: row.partner_id,
    partnerName: row.partner_name,
    methodId: row.method_id,
    currency: row.currency,
    amount: row.amount,
    fee: row.fee,
    amountToTransfer: row.amount_to_transfer,
    status: row.status,
    priority: row.priority,
    createdAt: row.created_at.toISOString(),
    slaDueAt: row.sla_due_at.toISOString(),
    externalReference: row.external_reference,
    providerReference: row.provider_reference,
    paymentDetails: row.payment_details,
  }));
}

function formatFile(kind: PayoutExportKind, method: PaymentMethod | null, payouts: readonly ExportedPayout[]): string {
  try {
    if (kind === 'PAYQUICKER') return formatPayQuickerCsv(payouts);
    if (kind === 'METHOD_BATCH') return formatMethodBatch(method!, payouts);
    return formatPayoutCsv(payouts);
  } catch (error) {
    if (error instanceof PayoutExportError) throw new ApiError(422, error.code, error.message, 'body.methodId');
    throw error;
  }
}

function fileNameOf(kind: PayoutExportKind, methodId: string | null, createdAt: Date, id: string): string {
  const stamp = createdAt.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(/[-:]/g, '');
  const method = methodId ? `-${methodId.toLowerCase().replaceAll('_', '-')}` : '';
  return `payouts-${kind.toLowerCase().replaceAll('_', '-')}${method}-${stamp}-${id.slice(0, 8)}.csv`;
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
          const method = paymentFileMethod(body, policy.payouts);
          const methodId = method?.id ?? body.methodId ?? null;
          const row = await database.transaction(async (transaction) => {
            // One export at a time: two concurrent CSV_NEW (or two batches) would otherwise both list the same
            // payouts. READ COMMITTED takes the next statement's snapshot after the lock, so it sees the export
            // that held the lock before.
            await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('ledgerflow.payout_exports'))`);
            const payouts = await selectPayouts(transaction, body, methodId);
            if (payouts.length > maxExportRows) {
              throw new ApiError(422, 'too_many_rows', `more than ${maxExportRows} payouts match: narrow the export with from and to`, 'body.to');
            }
            const content = Buffer.from(formatFile(body.kind, method, payouts), 'utf8');
            const checksum = createHash('sha256').update(content).digest('hex');
            const totals = exportTotals(payouts);
            const id = randomUUID();
            const createdAt = await transaction.oneFirst(sql.type(zod.object({ now: zod.date() }))`SELECT now() AS now`);
            const fileName = fileNameOf(body.kind, methodId, createdAt, id);
            const status = paymentFileKinds.includes(body.kind) ? 'APPROVED' : (body.status ?? null);
            const inserted = await transaction.one(sql.type(exportRow)`
              INSERT INTO payout_exports (id, kind, method_id, status_filter, created_from, created_to, created_by, created_at,
                                          row_count, totals, file_name, content_type, content, checksum_sha256)
              VALUES (${id}, ${body.kind}, ${methodId}, ${status}, ${body.from ?? null}::timestamptz,
                      ${body.to ?? null}::timestamptz, ${user.id}, ${sql.timestamp(createdAt)}, ${payouts.length},
                      ${sql.jsonb(totals as never)}, ${fileName}, ${csvContentType}, ${sql.binary(content)}, ${checksum})
              RETURNING ${exportColumns}`);
            if (payouts.length > 0) {
              await transaction.query(sql.unsafe`
                INSERT INTO payout_export_items (export_id, position, payout_id)
                SELECT ${id}, item.ordinality - 1, item.payout_id
                FROM unnest(${sql.array(payouts.map((payout) => payout.id), 'uuid')}) WITH ORDINALITY AS item (payout_id, ordinality)`);
            }
            await appendAuditRecord(transaction, {
              action: 'PAYOUT_EXPORT',
              actor: user.id,
              targetType: 'payout_export',
              targetId: id,
              ip: clientIp(c.req.raw.headers),
              details: {
                kind: body.kind,
                methodId,
                status,
                from: body.from ?? null,
                to: body.to ?? null,
                rowCount: payouts.length,
                totals,
                fileName,
                checksumSha256: checksum,
              },
            });
            return inserted;
          });
          return { status: 201, body: toExport(row) };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as ExportBody, 201);
    })
    .openapi(listExports, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const query = c.req.valid('query');
      const conditions = [sql.fragment`TRUE`];
      if (query.kind) conditions.push(sql.fragment`kind = ${query.kind}`);
      if (query.cursor) {
        const cursor = decodeTimeCursor(query.cursor);
        conditions.push(sql.fragment`(created_at, id) < (${cursor.cursorTime}::timestamptz, ${cursor.id}::uuid)`);
      }
      const rows = await database.any(sql.type(exportRow)`
        SELECT ${exportColumns} FROM payout_exports WHERE ${sql.join(conditions, sql.fragment` AND `)}
        ORDER BY created_at DESC, id DESC LIMIT ${query.limit}`);
      const last = rows.at(-1);
      return c.json({ exports: rows.map(toExport), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null }, 200);
    })
    .openapi(getExportFile, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const { id } = c.req.valid('param');
      const file = await database.maybeOne(sql.type(fileRow)`
        SELECT file_name, content_type, content, checksum_sha256 FROM payout_exports WHERE id = ${id}`);
      if (!file) throw new ApiError(404, 'not_found', `export ${id} does not exist`, 'params.id');
      // The stored bytes must still be the ones first produced: a file that was altered is never handed out.
      if (createHash('sha256').update(file.content).digest('hex') !== file.checksum_sha256) {
        console.error(`payout export ${id}: stored file does not match its checksum`);
        throw new ApiError(500, 'export_corrupted', `the stored file of export ${id} does not match its checksum`);
      }
      return c.body(new Uint8Array(file.content), 200, {
        'content-type': file.content_type,
        'content-disposition': `attachment; filename="${file.file_name}"`,
        etag: `"${file.checksum_sha256}"`,
        'repr-digest': `sha-256=:${Buffer.from(file.checksum_sha256, 'hex').toString('base64')}:`,
        'cache-control': 'private, no-store',
      });
    });
}
