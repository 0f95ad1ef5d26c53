import { createHash, randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { findPaymentMethod, payoutStatuses, type PayoutStatus } from '../../domain/payout.ts';
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
import { appendAuditRecord } from '../audit/audit-store.ts';
import { recordPaymentFile } from './payment-files.ts';

/**
 * Payout exports (docs/rules.md#payout-exports): CSV of all or only new requests, the PayQuicker file, and a batch file per method.
 * Each export is recorded with the payouts it listed and the file's bytes, so it can be downloaded again, byte for
 * byte, and "new" means "never in a CSV export before".
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

export const paymentFileKinds: readonly PayoutExportKind[] = ['PAYQUICKER', 'METHOD_BATCH'];

/** What an export is asked for (validated by the caller: from < to, a METHOD_BATCH names its method). */
export interface PayoutExportRequest {
  kind: PayoutExportKind;
  methodId?: string;
  status?: PayoutStatus;
  from?: string;
  to?: string;
}

const exportedPayoutRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  partner_name: z.string(),
  method_id: z.string(),
  currency: z.string(),
  amount: z.string(),
  fee: z.string(),
  amount_to_transfer: z.string(),
  status: z.string(),
  priority: z.string(),
  created_at: z.date(),
  sla_due_at: z.date(),
  external_reference: z.string().nullable(),
  provider_reference: z.string().nullable(),
  payment_details: z.record(z.string()),
});

const exportRow = z.object({
  id: z.string(),
  kind: z.enum(payoutExportKinds),
  method_id: z.string().nullable(),
  status_filter: z.enum(payoutStatuses).nullable(),
  created_from: z.date().nullable(),
  created_to: z.date().nullable(),
  created_by: z.string(),
  created_at: z.date(),
  cursor_time: z.string(),
  row_count: z.number(),
  totals: z.record(z.object({ count: z.number(), amount: z.string(), fee: z.string(), amountToTransfer: z.string() })),
  file_name: z.string(),
  content_type: z.string(),
  checksum_sha256: z.string(),
});
export type PayoutExportRow = z.infer<typeof exportRow>;

const exportColumns = sql.fragment`
  id, kind, method_id, status_filter, created_from, created_to, created_by, created_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time, row_count, totals, file_name,
  content_type, checksum_sha256`;

const fileRow = z.object({ file_name: z.string(), content_type: z.string(), content: z.instanceof(Buffer), checksum_sha256: z.string() });

const csvContentType = 'text/csv; charset=utf-8';

/** The method a payment file is for, from the policy in force; CSV kinds filter by any method id, past ones included. */
function paymentFileMethod(body: PayoutExportRequest, policy: PayoutPolicy): PaymentMethod | null {
  if (!paymentFileKinds.includes(body.kind)) return null;
  const methodId = body.methodId ?? 'PAYQUICKER';
  const method = findPaymentMethod(policy, methodId);
  if (!method) throw new DomainError('unprocessable', 'unknown_method', `no payment method ${methodId} in the policy in force`, 'methodId');
  if (body.kind === 'PAYQUICKER' && !method.fields.some((field) => field.name === 'email')) {
    throw new DomainError('unprocessable', 'unsupported_method', `${method.id} has no email detail, which the PayQuicker file needs`, 'methodId');
  }
  return method;
}

/** The payouts an export lists, oldest request first; at most maxExportRows + 1 (one more says "too many"). */
async function selectPayouts(connection: CommonQueryMethods, body: PayoutExportRequest, methodId: string | null): Promise<ExportedPayout[]> {
  const conditions = [sql.fragment`TRUE`];
  const status = paymentFileKinds.includes(body.kind) ? 'APPROVED' : body.status;
  // A draft is not a request yet (docs/rules.md#payout-statuses): no export lists one unless drafts are asked for by status.
  conditions.push(status ? sql.fragment`p.status = ${status}` : sql.fragment`p.status <> 'DRAFT'`);
  if (methodId) conditions.push(sql.fragment`p.method_id = ${methodId}`);
  if (body.from) conditions.push(sql.fragment`p.created_at >= ${body.from}::timestamptz`);
  if (body.to) conditions.push(sql.fragment`p.created_at < ${body.to}::timestamptz`);
  const excluded = excludedBy[body.kind];
  // A payment file locks what it lists (docs/rules.md#payment-files): its rows are locked as they are read, and a row
  // a concurrent cancel changed meanwhile is read again (READ COMMITTED re-checks the conditions), so the file never
  // lists a payout whose reserve was just released.
  const lockRows = paymentFileKinds.includes(body.kind);
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
    LIMIT ${maxExportRows + 1}
    ${lockRows ? sql.fragment`FOR UPDATE OF p` : sql.fragment``}`);
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
    if (error instanceof PayoutExportError) throw new DomainError('unprocessable', error.code, error.message, 'methodId');
    throw error;
  }
}

function fileNameOf(kind: PayoutExportKind, methodId: string | null, createdAt: Date, id: string): string {
  const stamp = createdAt.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(/[-:]/g, '');
  const method = methodId ? `-${methodId.toLowerCase().replaceAll('_', '-')}` : '';
  return `payouts-${kind.toLowerCase().replaceAll('_', '-')}${method}-${stamp}-${id.slice(0, 8)}.csv`;
}

/**
 * Builds, stores and audits (PAYOUT_EXPORT) one export. Refusals: unprocessable on `methodId` (unknown method, or
 * a file its details cannot fill) or on `to` (more than maxExportRows payouts match).
 */
export async function createPayoutExport(
  database: Database,
  input: PayoutExportRequest & { policy: PayoutPolicy; actor: string; ip: string | null },
): Promise<PayoutExportRow> {
  const method = paymentFileMethod(input, input.policy);
  const methodId = method?.id ?? input.methodId ?? null;
  return database.transaction(async (transaction) => {
    // One export at a time: two concurrent CSV_NEW (or two batches) would otherwise both list the same
    // payouts. READ COMMITTED takes the next statement's snapshot after the lock, so it sees the export
    // that held the lock before.
    await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('ledgerflow.payout_exports'))`);
    const payouts = await selectPayouts(transaction, input, methodId);
    if (payouts.length > maxExportRows) {
      throw new DomainError('unprocessable', 'too_many_rows', `more than ${maxExportRows} payouts match: narrow the export with from and to`, 'to');
    }
    const content = Buffer.from(formatFile(input.kind, method, payouts), 'utf8');
    const checksum = createHash('sha256').update(content).digest('hex');
    const totals = exportTotals(payouts);
    const id = randomUUID();
    const createdAt = await transaction.oneFirst(sql.type(z.object({ now: z.date() }))`SELECT now() AS now`);
    const fileName = fileNameOf(input.kind, methodId, createdAt, id);
    const status = paymentFileKinds.includes(input.kind) ? 'APPROVED' : (input.status ?? null);
    const inserted = await transaction.one(sql.type(exportRow)`
      INSERT INTO payout_exports (id, kind, method_id, status_filter, created_from, created_to, created_by, created_at,
                                  row_count, totals, file_name, content_type, content, checksum_sha256)
      VALUES (${id}, ${input.kind}, ${methodId}, ${status}, ${input.from ?? null}::timestamptz,
              ${input.to ?? null}::timestamptz, ${input.actor}, ${sql.timestamp(createdAt)}, ${payouts.length},
              ${sql.jsonb(totals as never)}, ${fileName}, ${csvContentType}, ${sql.binary(content)}, ${checksum})
      RETURNING ${exportColumns}`);
    if (payouts.length > 0) {
      await transaction.query(sql.unsafe`
        INSERT INTO payout_export_items (export_id, position, payout_id)
        SELECT ${id}, item.ordinality - 1, item.payout_id
        FROM unnest(${sql.array(payouts.map((payout) => payout.id), 'uuid')}) WITH ORDINALITY AS item (payout_id, ordinality)`);
    }
    if (paymentFileKinds.includes(input.kind)) await recordPaymentFile(transaction, id, payouts.map((payout) => payout.id));
    await appendAuditRecord(transaction, {
      action: 'PAYOUT_EXPORT',
      actor: input.actor,
      targetType: 'payout_export',
      targetId: id,
      ip: input.ip,
      details: {
        kind: input.kind,
        methodId,
        status,
        from: input.from ?? null,
        to: input.to ?? null,
        rowCount: payouts.length,
        totals,
        fileName,
        checksumSha256: checksum,
      },
    });
    return inserted;
  });
}

/** Exports newest first, optionally of one kind, after a (created_at, id) cursor. */
export async function listPayoutExports(
  connection: CommonQueryMethods,
  query: { kind?: PayoutExportKind; id?: string; after?: { cursorTime: string; id: string }; limit: number },
): Promise<readonly PayoutExportRow[]> {
  const conditions = [sql.fragment`TRUE`];
  if (query.id) conditions.push(sql.fragment`id = ${query.id}`);
  if (query.kind) conditions.push(sql.fragment`kind = ${query.kind}`);
  if (query.after) conditions.push(sql.fragment`(created_at, id) < (${query.after.cursorTime}::timestamptz, ${query.after.id}::uuid)`);
  return connection.any(sql.type(exportRow)`
    SELECT ${exportColumns} FROM payout_exports WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY created_at DESC, id DESC LIMIT ${query.limit}`);
}

/** An export's stored file with the checksum recorded when it was made, or null. */
export async function payoutExportFile(connection: CommonQueryMethods, id: string) {
  const file = await connection.maybeOne(sql.type(fileRow)`
    SELECT file_name, content_type, content, checksum_sha256 FROM payout_exports WHERE id = ${id}`);
  return file && { file_name: file.file_name, content_type: file.content_type, content: file.content, sha256: file.checksum_sha256 };
}
