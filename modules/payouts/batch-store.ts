import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import type { ProviderBatch, ProviderBatchItemResult } from '../../providers/adapter.ts';
import type { BatchRecorder } from '../../providers/batcher.ts';

/**
 * What went to the payment provider together (docs/rules.md#payout-batches: "batched by payment method"): `payout_batches` and
 * `payout_batch_items`, each batch as the worker recorded it before sending (SENDING) and with the provider's answer
 * per payout (SENT).
 */

/** Sums the batch's amounts per currency, exactly (decimal strings). */
function totalsOf(batch: ProviderBatch): Record<string, string> {
  const totals = new Map<string, Money>();
  for (const request of batch.requests) totals.set(request.currency, (totals.get(request.currency) ?? new Money(0)).plus(request.amount));
  return Object.fromEntries([...totals].map(([currency, total]) => [currency, formatMoney(total, currency)]));
}

function outcomeOf(result: ProviderBatchItemResult): { outcome: 'ACCEPTED' | 'FAILED' | 'REJECTED'; reference: string | null; code: string | null; message: string | null } {
  if (result.accepted) return { outcome: 'ACCEPTED', reference: result.providerReference, code: null, message: null };
  if ('rejected' in result) return { outcome: 'REJECTED', reference: null, code: result.rejected.code, message: result.rejected.message };
  return { outcome: 'FAILED', reference: null, code: result.failureCode, message: result.message };
}

/** `payout_batches` and `payout_batch_items`: one statement each before sending, and one pair with the answer. */
export function createBatchRecorder(database: Database): BatchRecorder {
  return {
    async sending(batch, provider) {
      const { requests } = batch;
      await database.transaction(async (transaction) => {
        await transaction.query(sql.unsafe`
          INSERT INTO payout_batches (id, method_id, provider, item_count, totals, status)
          VALUES (${batch.batchId}, ${batch.method}, ${provider}, ${requests.length}, ${sql.jsonb(totalsOf(batch))}, 'SENDING')`);
        await transaction.query(sql.unsafe`
          INSERT INTO payout_batch_items (batch_id, position, payout_id, idempotency_key, amount, currency)
          SELECT ${batch.batchId}, position - 1, payout_id, idempotency_key, amount, currency
          FROM unnest(${sql.array(requests.map((request) => request.payoutId), 'uuid')},
                      ${sql.array(requests.map((request) => request.idempotencyKey), 'text')},
                      ${sql.array(requests.map((request) => request.amount), 'numeric')},
                      ${sql.array(requests.map((request) => request.currency), 'text')})
               WITH ORDINALITY AS item (payout_id, idempotency_key, amount, currency, position)`);
      });
    },

    async answered(batch, results) {
      const outcomes = results.map(outcomeOf);
      const accepted = outcomes.filter((item) => item.outcome === 'ACCEPTED').length;
      await database.transaction(async (transaction) => {
        await transaction.query(sql.unsafe`
          UPDATE payout_batch_items AS item
          SET outcome = answer.outcome, provider_reference = answer.reference, failure_code = answer.code, message = answer.message
          FROM unnest(${sql.array(outcomes.map((item) => item.outcome), 'text')},
                      ${sql.array(outcomes.map((item) => item.reference), 'text')},
                      ${sql.array(outcomes.map((item) => item.code), 'text')},
                      ${sql.array(outcomes.map((item) => item.message), 'text')})
               WITH ORDINALITY AS answer (outcome, reference, code, message, position)
          WHERE item.batch_id = ${batch.batchId} AND item.position = answer.position - 1`);
        await transaction.query(sql.unsafe`
          UPDATE payout_batches SET status = 'SENT', accepted_count = ${accepted}, failed_count = ${outcomes.length - accepted},
                                    answered_at = now()
          WHERE id = ${batch.batchId}`);
      });
    },
  };
}

export const batchStatuses = ['SENDING', 'SENT'] as const;
export const batchItemOutcomes = ['ACCEPTED', 'FAILED', 'REJECTED'] as const;

const batchRow = z.object({
  id: z.string(),
  method_id: z.string(),
  provider: z.string(),
  status: z.enum(batchStatuses),
  item_count: z.number(),
  totals: z.record(z.string()),
  accepted_count: z.number().nullable(),
  failed_count: z.number().nullable(),
  created_at: z.date(),
  answered_at: z.date().nullable(),
});
export type PayoutBatchRow = z.infer<typeof batchRow>;

const itemRow = z.object({
  position: z.number(),
  payout_id: z.string(),
  idempotency_key: z.string(),
  amount: z.string(),
  currency: z.string(),
  outcome: z.enum(batchItemOutcomes).nullable(),
  provider_reference: z.string().nullable(),
  failure_code: z.string().nullable(),
  message: z.string().nullable(),
});
export type PayoutBatchItemRow = z.infer<typeof itemRow>;

const batchColumns = sql.fragment`id, method_id, provider, status, item_count, totals, accepted_count, failed_count, created_at, answered_at`;

/** A page of batches, newest first, before `before` (a createdAt); `next` is the page's last createdAt when more follow. */
export async function listPayoutBatches(
  database: Database,
  query: { methodId?: string; status?: (typeof batchStatuses)[number]; before?: string; limit: number },
): Promise<{ batches: readonly PayoutBatchRow[]; next: string | null }> {
  const conditions = [sql.fragment`TRUE`];
  if (query.methodId) conditions.push(sql.fragment`method_id = ${query.methodId}`);
  if (query.status) conditions.push(sql.fragment`status = ${query.status}`);
  if (query.before) conditions.push(sql.fragment`created_at < ${query.before}::timestamptz`);
  const rows = await database.any(sql.type(batchRow)`
    SELECT ${batchColumns} FROM payout_batches WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY created_at DESC, id LIMIT ${query.limit + 1}`);
  const page = rows.slice(0, query.limit);
  return { batches: page, next: rows.length > query.limit ? page.at(-1)!.created_at.toISOString() : null };
}

/** One batch with its items in the order sent; null when there is no such batch. */
export async function findPayoutBatch(database: Database, batchId: string): Promise<{ batch: PayoutBatchRow; items: readonly PayoutBatchItemRow[] } | null> {
  const batch = await database.maybeOne(sql.type(batchRow)`SELECT ${batchColumns} FROM payout_batches WHERE id = ${batchId}`);
  if (!batch) return null;
  const items = await database.any(sql.type(itemRow)`
    SELECT position, payout_id, idempotency_key, amount::text AS amount, currency, outcome, provider_reference, failure_code, message
    FROM payout_batch_items WHERE batch_id = ${batchId} ORDER BY position`);
  return { batch, items };
}
