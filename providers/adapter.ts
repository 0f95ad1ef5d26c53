import { z } from 'zod';
import { currencyScales, decimalPattern, parseMoney } from '../domain/money.ts';
import { payoutFailureCodes, type PayoutFailureCode } from '../domain/payout.ts';

/**
 * The boundary between the payout lifecycle and a payment provider (issue #4). A payout workflow's activities
 * call a `PayoutProvider`; each provider (the sandbox, later real ones) implements it. Nothing here knows about
 * Temporal or the ledger: activities map these results to ledger entries and workflow failures.
 *
 * The contract in one paragraph. `send` hands a payout to the provider under an idempotency key; the provider
 * pays at most once per key, whatever the number of sends. The answer is either "accepted" (the outcome comes
 * later, as a signed webhook to `callbackUrl` or through `status`) or a failure with one of the codes in docs/rules.md#payout-provider-retries.
 * After a retryable failure (PROVIDER_ERROR, TIMEOUT) the provider may nevertheless have accepted the payout —
 * the answer, not the request, may be what was lost — so retry with the SAME idempotency key, or ask `status`
 * for the old key before sending under a new one. Sending a new attempt's key while the previous attempt's
 * outcome is unknown can pay twice.
 */

// The failure codes in docs/rules.md#payout-provider-retries, their retry classes and the idempotency key of an attempt live in domain/payout.ts
// (the workflow decides retries from them without importing providers/); re-exported here for the adapters.
export { failureCodes, idempotencyKeyFor, isFailureCode, retryClassOf, type RetryClass } from '../domain/payout.ts';
export type ProviderFailureCode = PayoutFailureCode;

export const failureCodeSchema = z.enum(payoutFailureCodes);

const keyText = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** A positive decimal string within the currency's scale (when ledgerflow knows the currency). */
const amountSchema = z.string().regex(decimalPattern, 'a decimal string such as "125.50"');

export const providerPayoutRequestSchema = z
  .object({
    idempotencyKey: keyText,
    payoutId: keyText,
    amount: amountSchema,
    currency: z.string().regex(/^[A-Z]{3,5}$/, 'an upper-case currency code'),
    method: z.string().min(1).max(64),
    paymentDetails: z.record(z.string().max(1_000)),
    callbackUrl: z.string().url().refine((url) => /^https?:\/\//.test(url), 'an http(s) URL'),
  })
  .strict()
  .superRefine((request, context) => {
    if (!decimalPattern.test(request.amount)) return;
    const amount = parseMoney(request.amount);
    if (!amount.isPositive() || amount.isZero()) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['amount'], message: 'must be greater than zero' });
    }
    const scale = currencyScales[request.currency];
    if (scale !== undefined && amount.decimalPlaces() > scale) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['amount'], message: `${request.currency} allows ${scale} decimal places` });
    }
  });

export type ProviderPayoutRequest = z.infer<typeof providerPayoutRequestSchema>;

export type ProviderSendResult =
  | { accepted: true; providerReference: string }
  | { accepted: false; failureCode: ProviderFailureCode; message: string };

export const payoutStatusValues = ['PENDING', 'COMPLETED', 'FAILED'] as const;

const knownPayoutFields = {
  providerReference: z.string().min(1),
  idempotencyKey: z.string().min(1),
  payoutId: z.string().min(1),
};

/** What a provider knows about a payout. `NOT_FOUND`: it has no payout under that reference or key. */
export const providerPayoutStatusSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('NOT_FOUND') }),
  z.object({ status: z.literal('PENDING'), ...knownPayoutFields }),
  z.object({ status: z.literal('COMPLETED'), ...knownPayoutFields }),
  z.object({ status: z.literal('FAILED'), ...knownPayoutFields, failureCode: failureCodeSchema, message: z.string() }),
]);

export type ProviderPayoutStatus = z.infer<typeof providerPayoutStatusSchema>;

export type ProviderPayoutLookup = { providerReference: string } | { idempotencyKey: string };

/**
 * The body of a provider's webhook: the final outcome of an accepted payout. `eventId` is the same on every
 * delivery of one event, so a receiver that has already applied it can answer 2xx and do nothing.
 */
export const providerWebhookEventSchema = z
  .object({
    eventId: z.string().min(1),
    providerReference: z.string().min(1),
    idempotencyKey: z.string().min(1),
    payoutId: z.string().min(1),
    status: z.enum(['COMPLETED', 'FAILED']),
    failureCode: failureCodeSchema.optional(),
    message: z.string().optional(),
    occurredAt: z.string().datetime(),
  })
  .superRefine((event, context) => {
    if ((event.status === 'FAILED') !== (event.failureCode !== undefined)) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['failureCode'], message: 'present exactly when status is FAILED' });
    }
  });

export type ProviderWebhookEvent = z.infer<typeof providerWebhookEventSchema>;

/** The adapter a payout workflow's activities call. */
export interface PayoutProvider {
  readonly name: string;
  /**
   * Hands the payout to the provider. Resolves with a failure code for every outcome docs/rules.md#payout-provider-retries names (including a
   * timeout or an unreachable provider); throws only for a request the provider refuses as malformed or as a
   * reuse of a key with another body — a bug on our side that no retry can fix (`ProviderRequestRejectedError`)
   * — or one that fails `providerPayoutRequestSchema` before it is sent (a `ZodError`).
   */
  send(request: ProviderPayoutRequest): Promise<ProviderSendResult>;
  /**
   * The provider's view of one payout. Throws `ProviderUnavailableError` when the provider cannot answer, which
   * is retryable.
   */
  status(lookup: ProviderPayoutLookup): Promise<ProviderPayoutStatus>;
}

/** One payout of a batch the provider could not take as asked: a bug on our side (see ProviderRequestRejectedError). */
export interface ProviderItemRejection {
  accepted: false;
  rejected: { httpStatus: number; code: string; message: string; field?: string };
}

/** Per item, in the order sent: accepted, failed with a docs/rules.md#payout-provider-retries code, or refused as malformed. */
export type ProviderBatchItemResult = ProviderSendResult | ProviderItemRejection;

export interface ProviderBatch {
  /** Ours: the `payout_batches` row that records what was sent together. */
  batchId: string;
  /** Every request of a batch is for this payment method. */
  method: string;
  requests: ProviderPayoutRequest[];
}

/**
 * A provider that also takes payouts in batches (docs/rules.md#payout-batches: "approved payouts are batched by payment method"). The
 * contract per item is `send`'s: each request keeps its own idempotency key, so an item resent in a later batch is
 * paid at most once. A batch that gets no answer as a whole resolves every item with TIMEOUT or PROVIDER_ERROR
 * (the provider may have accepted them: ask `statusMany` before sending under new keys).
 */
export interface BatchPayoutProvider extends PayoutProvider {
  sendBatch(batch: ProviderBatch): Promise<ProviderBatchItemResult[]>;
  /** The provider's view of many payouts by idempotency key, in the order asked. Throws ProviderUnavailableError. */
  statusMany(idempotencyKeys: string[]): Promise<ProviderPayoutStatus[]>;
}

export function isBatchPayoutProvider(provider: PayoutProvider): provider is BatchPayoutProvider {
  return typeof (provider as Partial<BatchPayoutProvider>).sendBatch === 'function' && typeof (provider as Partial<BatchPayoutProvider>).statusMany === 'function';
}

/** The largest batch a provider is sent (also the sandbox's limit). */
export const maximumBatchItems = 500;

/** The provider could not answer a status query (retryable). */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
  constructor(
    readonly code: 'PROVIDER_ERROR' | 'TIMEOUT',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The provider refused our request as malformed (400) or as a reuse of an idempotency key with another body
 * (409). Not a statement about the partner's account, so not a failure code: retrying the same request cannot
 * succeed, and the payout belongs in manual review.
 */
export class ProviderRequestRejectedError extends Error {
  override readonly name = 'ProviderRequestRejectedError';
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
