import { sql } from 'slonik';
import type { Database } from '../../db/pool.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import type { ProviderBatch, ProviderBatchItemResult } from '../../providers/adapter.ts';
import type { BatchRecorder } from '../../providers/batcher.ts';

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
