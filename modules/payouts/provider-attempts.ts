import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/money.ts';
import { idempotencyKeyFor, type PayoutFailureCode } from '../../domain/payout.ts';
import { ProviderRequestRejectedError, type PayoutProvider, type ProviderPayoutStatus } from '../../providers/adapter.ts';

/**
 * An automatic payout's attempts at the payment provider (docs/rules.md#payout-provider-retries): attempt n is sent under key `<payoutId>:<n>`,
 * and the payout row records the latest attempt and the provider's reference. The worker decides which provider
 * (and whether its requests are batched); these functions are given it.
 */

/** The provider an automatic payout is paid through, and the API's public base URL its webhooks come back to. */
export interface PayoutProviderAccess {
  provider: PayoutProvider;
  /** The callback is `${publicUrl}/v1/webhooks/provider`. */
  publicUrl: string;
}

const providerPayoutRow = z.object({
  id: z.string(),
  method_id: z.string(),
  currency: z.string(),
  amount_to_transfer: z.string(),
  status: z.string(),
  payment_details: z.record(z.string()),
  provider_attempt: z.number(),
});

/**
 * What one attempt at the provider came to, as far as is known now. PENDING: accepted, the outcome comes by
 * webhook (or a later status query). `attempt` is the attempt whose idempotency key holds the outcome: normally
 * the one asked for, but an earlier attempt whose answer was lost and that the provider did accept wins.
 */
export type ProviderAttemptResult =
  | { outcome: 'PENDING' | 'COMPLETED'; attempt: number; providerReference: string }
  | {
      outcome: 'FAILED';
      attempt: number;
      providerReference: string | null;
      failureCode: PayoutFailureCode;
      message: string;
      /** When the failure was learnt (ISO): a `next_day` retry waits for the UTC day after it. */
      at: string;
    }
  | { outcome: 'NOT_FOUND'; attempt: number };

function fromStatus(attempt: number, status: ProviderPayoutStatus): ProviderAttemptResult {
  switch (status.status) {
    case 'NOT_FOUND':
      return { outcome: 'NOT_FOUND', attempt };
    case 'FAILED':
      return { outcome: 'FAILED', attempt, providerReference: status.providerReference, failureCode: status.failureCode, message: status.message, at: new Date().toISOString() };
    default:
      return { outcome: status.status, attempt, providerReference: status.providerReference };
  }
}

async function recordProviderAttempt(database: Database, payoutId: string, attempt: number, providerReference: string | null): Promise<void> {
  await database.query(sql.unsafe`
    UPDATE payouts SET provider_attempt = greatest(provider_attempt, ${attempt}),
                       provider_reference = coalesce(${providerReference}, provider_reference), updated_at = now()
    WHERE id = ${payoutId}`);
}

/**
 * One attempt at the provider, exactly once toward it: first asks the provider about this attempt's key (a
 * worker that died after sending finds its payout there), then about every earlier attempt's key (an earlier
 * answer that was lost may still have been accepted: that attempt wins and nothing is sent), and sends only
 * when the provider knows none of them. A retryable synchronous failure is followed by one more status query
 * for the same key, since the answer rather than the request may have been lost.
 */
export async function sendPayoutAttempt(
  database: Database,
  { provider: adapter, publicUrl }: PayoutProviderAccess,
  input: { payoutId: string; attempt: number },
): Promise<ProviderAttemptResult> {
  const key = idempotencyKeyFor(input.payoutId, input.attempt);
  const known = await adapter.status({ idempotencyKey: key });
  if (known.status !== 'NOT_FOUND') {
    const result = fromStatus(input.attempt, known);
    await recordProviderAttempt(database, input.payoutId, input.attempt, 'providerReference' in result ? result.providerReference : null);
    return result;
  }
  for (let earlier = input.attempt - 1; earlier >= 1; earlier -= 1) {
    const previous = await adapter.status({ idempotencyKey: idempotencyKeyFor(input.payoutId, earlier) });
    if (previous.status === 'PENDING' || previous.status === 'COMPLETED') {
      await recordProviderAttempt(database, input.payoutId, earlier, previous.providerReference);
      return fromStatus(earlier, previous);
    }
  }
  const payout = await database.maybeOne(sql.type(providerPayoutRow)`
    SELECT id, method_id, currency, amount_to_transfer, status, payment_details, provider_attempt FROM payouts WHERE id = ${input.payoutId}`);
  if (!payout) throw new DomainError('not_found', 'payout_not_found', `payout ${input.payoutId} does not exist`);
  await recordProviderAttempt(database, input.payoutId, input.attempt, null);
  let sent;
  try {
    sent = await adapter.send({
      idempotencyKey: key,
      payoutId: input.payoutId,
      amount: formatMoney(payout.amount_to_transfer, payout.currency),
      currency: payout.currency,
      method: payout.method_id,
      paymentDetails: payout.payment_details,
      callbackUrl: `${publicUrl.replace(/\/+$/, '')}/v1/webhooks/provider`,
    });
  } catch (error) {
    if (error instanceof ProviderRequestRejectedError) {
      throw new DomainError('unprocessable', 'provider_request_rejected', `the provider refused the request: ${error.message}`);
    }
    throw error;
  }
  if (sent.accepted) {
    await recordProviderAttempt(database, input.payoutId, input.attempt, sent.providerReference);
    return { outcome: 'PENDING', attempt: input.attempt, providerReference: sent.providerReference };
  }
  if (sent.failureCode === 'PROVIDER_ERROR' || sent.failureCode === 'TIMEOUT') {
    const after = await adapter.status({ idempotencyKey: key }).catch(() => ({ status: 'NOT_FOUND' }) as const);
    if (after.status !== 'NOT_FOUND') {
      const result = fromStatus(input.attempt, after);
      await recordProviderAttempt(database, input.payoutId, input.attempt, 'providerReference' in result ? result.providerReference : null);
      return result;
    }
  }
  return { outcome: 'FAILED', attempt: input.attempt, providerReference: null, failureCode: sent.failureCode, message: sent.message, at: new Date().toISOString() };
}

/** The provider's view of one attempt (the fallback when its webhook does not come). */
export async function checkPayoutAttempt(adapter: PayoutProvider, input: { payoutId: string; attempt: number }): Promise<ProviderAttemptResult> {
  return fromStatus(input.attempt, await adapter.status({ idempotencyKey: idempotencyKeyFor(input.payoutId, input.attempt) }));
}
