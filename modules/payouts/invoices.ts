import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { documentContentTypes, type DocumentContentType } from '../../domain/documents.ts';
import { DomainError } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/money.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { partnerValidationOfVersion } from './payout-store.ts';

/**
 * `payout_invoices`: the invoices a partner uploads for their payout (docs/rules.md#partner-validation) before validating it. Earlier
 * uploads are kept; the latest is the current invoice.
 */

const invoiceRow = z.object({
  id: z.string(),
  payout_id: z.string(),
  file_name: z.string(),
  content_type: z.enum(documentContentTypes),
  size_bytes: z.number(),
  sha256: z.string(),
  uploaded_by: z.string(),
  uploaded_at: z.date(),
});
export type InvoiceRow = z.infer<typeof invoiceRow>;
const invoiceColumns = sql.fragment`id, payout_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at`;
const invoiceFileRow = z.object({ id: z.string(), file_name: z.string(), content_type: z.string(), content: z.instanceof(Buffer), sha256: z.string() });
const lockedPayoutRow = z.object({ status: z.string(), partner_validated: z.boolean() });

/** The current invoice of each of the payouts (one query); payouts without one are absent from the map. */
export async function currentInvoices(connection: CommonQueryMethods, payoutIds: readonly string[]): Promise<Map<string, InvoiceRow>> {
  if (payoutIds.length === 0) return new Map();
  const rows = await connection.any(sql.type(invoiceRow)`
    SELECT DISTINCT ON (payout_id) ${invoiceColumns} FROM payout_invoices
    WHERE payout_id = ANY(${sql.array([...payoutIds], 'uuid')}) ORDER BY payout_id, id DESC`);
  return new Map(rows.map((row) => [row.payout_id, row]));
}

/** The id of the payout's current invoice; null when none was uploaded. */
export async function currentInvoiceId(connection: CommonQueryMethods, payoutId: string): Promise<string | null> {
  return connection.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
    SELECT id FROM payout_invoices WHERE payout_id = ${payoutId} ORDER BY id DESC LIMIT 1`);
}

/** The payout's current invoice with its content, for download; null when none was uploaded. */
export async function currentInvoiceFile(connection: CommonQueryMethods, payoutId: string): Promise<z.infer<typeof invoiceFileRow> | null> {
  return connection.maybeOne(sql.type(invoiceFileRow)`
    SELECT id, file_name, content_type, content, sha256 FROM payout_invoices WHERE payout_id = ${payoutId} ORDER BY id DESC LIMIT 1`);
}

/**
 * The partner uploads an invoice (already checked: type, size, signature, name). Allowed under a policy version that
 * asks for partner validation, while the payout waits for its partner and is not yet validated; the same file
 * again changes nothing (`created: false`). Audited as PAYOUT_INVOICE_UPLOAD. Refuses with `conflict`
 * (`invoice_not_expected`, `invalid_state`) on `status`.
 */
export async function uploadPayoutInvoice(
  dependencies: { database: Database; policies: PolicyStore },
  payout: { id: string; partner_id: string; amount: string; currency: string; policy_version: number },
  file: { type: DocumentContentType; fileName: string; content: Buffer },
  context: { uploadedBy: string; ip: string | null },
): Promise<{ created: boolean; invoice: InvoiceRow }> {
  const { database } = dependencies;
  const { type, fileName, content } = file;
  if (!(await partnerValidationOfVersion(dependencies, payout.policy_version)).required) {
    throw new DomainError('conflict', 'invoice_not_expected', `policy version ${payout.policy_version}, which this payout was requested under, asks for no partner validation`, 'status');
  }
  const sha256 = createHash('sha256').update(content).digest('hex');
  return database.transaction(async (transaction) => {
    // The payout row is the lock the partner's validation takes too: an invoice lands before it or is refused after.
    const locked = await transaction.one(sql.type(lockedPayoutRow)`
      SELECT status, partner_validated_at IS NOT NULL AS partner_validated FROM payouts WHERE id = ${payout.id} FOR UPDATE`);
    if (locked.partner_validated) throw new DomainError('conflict', 'invalid_state', 'the partner validated the payout already; its invoice can no longer change', 'status');
    if (!['REQUESTED', 'HELD', 'AWAITING_PARTNER'].includes(locked.status)) {
      throw new DomainError('conflict', 'invalid_state', `the payout is ${locked.status}; an invoice is uploaded while it waits for its partner`, 'status');
    }
    const current = await transaction.maybeOne(sql.type(invoiceRow)`
      SELECT ${invoiceColumns} FROM payout_invoices WHERE payout_id = ${payout.id} ORDER BY id DESC LIMIT 1`);
    if (current && current.sha256 === sha256 && current.file_name === fileName && current.content_type === type) {
      return { created: false, invoice: current };
    }
    const inserted = await transaction.one(sql.type(invoiceRow)`
      INSERT INTO payout_invoices (payout_id, file_name, content_type, size_bytes, content, sha256, uploaded_by)
      VALUES (${payout.id}, ${fileName}, ${type}, ${content.length}, ${sql.binary(content)}, ${sha256}, ${context.uploadedBy})
      RETURNING ${invoiceColumns}`);
    await appendAuditRecord(transaction, {
      action: 'PAYOUT_INVOICE_UPLOAD',
      actor: context.uploadedBy,
      targetType: 'payout',
      targetId: payout.id,
      amount: formatMoney(payout.amount, payout.currency),
      currency: payout.currency,
      ip: context.ip,
      details: { partnerId: payout.partner_id, invoiceId: inserted.id, fileName, contentType: type, sizeBytes: content.length, sha256, replaces: current?.id ?? null },
    });
    return { created: true, invoice: inserted };
  });
}
