import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { DocumentContentType } from '../../domain/documents.ts';
import { documentContentTypes } from '../../domain/documents.ts';
import { DomainError } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/money.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/**
 * The transfer confirmation a finance admin attaches to a manually processed payout (the bank's or provider's
 * proof): kept immutable, a new upload replaces the current one for readers and keeps the earlier ones.
 */
const payoutRow = z.object({ partner_id: z.string(), status: z.string(), amount: z.string(), currency: z.string() });
const confirmationRow = z.object({
  id: z.string(),
  payout_id: z.string(),
  file_name: z.string(),
  content_type: z.enum(documentContentTypes),
  size_bytes: z.number(),
  sha256: z.string(),
  uploaded_by: z.string(),
  uploaded_at: z.date(),
});
const columns = sql.fragment`id::text, payout_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at`;
const fileRow = z.object({ id: z.string(), file_name: z.string(), content_type: z.string(), content: z.instanceof(Buffer), sha256: z.string() });

export type PayoutConfirmation = z.infer<typeof confirmationRow>;
export type ConfirmationFile = z.infer<typeof fileRow>;

/**
 * Attaches a confirmation while the payout is PROCESSING or once COMPLETED (audited as PAYOUT_CONFIRMATION_UPLOAD).
 * The same file again changes nothing (`created: false`). Refusals: not_found (`payoutId`; a draft is not a payout
 * yet), conflict (`status`).
 */
export async function attachConfirmation(
  database: Database,
  input: { payoutId: string; type: DocumentContentType; fileName: string; content: Buffer; actor: string; ip: string | null },
): Promise<{ confirmation: PayoutConfirmation; created: boolean }> {
  const { payoutId, type, fileName, content } = input;
  const sha256 = createHash('sha256').update(content).digest('hex');
  return database.transaction(async (transaction) => {
    const payout = await transaction.maybeOne(sql.type(payoutRow)`
      SELECT partner_id, status, amount::text AS amount, currency FROM payouts WHERE id = ${payoutId} FOR SHARE`);
    if (!payout || payout.status === 'DRAFT') throw new DomainError('not_found', 'not_found', `payout ${payoutId} does not exist`, 'payoutId');
    if (payout.status !== 'PROCESSING' && payout.status !== 'COMPLETED') {
      throw new DomainError('conflict', 'invalid_state', `the payout is ${payout.status}; a confirmation is attached while it is PROCESSING or once COMPLETED`, 'status');
    }
    const current = await transaction.maybeOne(sql.type(confirmationRow)`
      SELECT ${columns} FROM payout_confirmations WHERE payout_id = ${payoutId} ORDER BY id DESC LIMIT 1`);
    if (current && current.sha256 === sha256 && current.file_name === fileName && current.content_type === type) {
      return { confirmation: current, created: false };
    }
    const inserted = await transaction.one(sql.type(confirmationRow)`
      INSERT INTO payout_confirmations (payout_id, file_name, content_type, size_bytes, content, sha256, uploaded_by)
      VALUES (${payoutId}, ${fileName}, ${type}, ${content.length}, ${sql.binary(content)}, ${sha256}, ${input.actor})
      RETURNING ${columns}`);
    await appendAuditRecord(transaction, {
      action: 'PAYOUT_CONFIRMATION_UPLOAD',
      actor: input.actor,
      targetType: 'payout',
      targetId: payoutId,
      amount: formatMoney(payout.amount, payout.currency),
      currency: payout.currency,
      ip: input.ip,
      details: { partnerId: payout.partner_id, confirmationId: inserted.id, fileName, contentType: type, sizeBytes: content.length, sha256, replaces: current?.id ?? null },
    });
    return { confirmation: inserted, created: true };
  });
}

/** Whose payout this is and its status, for the access check before a download; null when there is none. */
export async function payoutOwner(connection: CommonQueryMethods, payoutId: string): Promise<{ partnerId: string; status: string } | null> {
  const payout = await connection.maybeOne(sql.type(payoutRow)`
    SELECT partner_id, status, amount::text AS amount, currency FROM payouts WHERE id = ${payoutId}`);
  return payout && { partnerId: payout.partner_id, status: payout.status };
}

/** The payout's current confirmation with its content, or null. */
export async function latestConfirmationFile(connection: CommonQueryMethods, payoutId: string): Promise<ConfirmationFile | null> {
  return connection.maybeOne(sql.type(fileRow)`
    SELECT id::text, file_name, content_type, content, sha256 FROM payout_confirmations WHERE payout_id = ${payoutId} ORDER BY id DESC LIMIT 1`);
}
