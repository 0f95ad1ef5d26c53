import { ApplicationFailure } from '@temporalio/activity';
import { DomainError, domainErrorFailure } from '../domain/errors.ts';
import { invoiceChangedType, invoiceMissingType, processingStoppedType } from '../domain/payout.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { createBatchRecorder } from '../modules/payouts/batch-store.ts';
import { createPayoutSteps } from '../modules/payouts/payout-steps.ts';
import { checkPayoutAttempt, sendPayoutAttempt, type PayoutProviderAccess, type ProviderAttemptResult } from '../modules/payouts/provider-attempts.ts';
import { isBatchPayoutProvider } from '../providers/adapter.ts';
import { BatchingPayoutProvider, defaultBatchingOptions, type BatchingOptions } from '../providers/batcher.ts';
import { payoutRefusedType } from '../workflows/payout-messages.ts';

/** The provider an automatic payout is paid through, and where its webhooks come back. */
export interface PayoutProviderDependencies extends PayoutProviderAccess {
  /**
   * How sends and status questions are gathered into per-method batches when the provider takes batches
   * (providers/batcher.ts); false sends each payout alone. Default `defaultBatchingOptions`.
   */
  batching?: BatchingOptions | false;
}

/**
 * The failure type by which `payout-<id>` tells a step's refusal apart (the workflow branches on it, and recorded
 * histories hold it: never renamed). `PayoutNotFound` is also in the workflow's non-retryable error types.
 */
const failureTypes: Record<string, string> = {
  payout_not_found: 'PayoutNotFound',
  not_awaiting_partner: 'PayoutNotAwaitingPartner',
  invoice_required: invoiceMissingType,
  invoice_changed: invoiceChangedType,
  processing_stopped: processingStoppedType,
  provider_request_rejected: 'ProviderRequestRejected',
};

/** Runs a step; its refusal becomes the non-retryable failure the workflow expects, anything else is retried. */
async function refusing<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof DomainError) throw domainErrorFailure(failureTypes[error.code] ?? payoutRefusedType, error);
    throw error;
  }
}

/** Each step as an activity, refusing as the workflow expects. */
function asActivities<T extends Record<string, (input: never) => Promise<unknown>>>(steps: T): T {
  return Object.fromEntries(Object.entries(steps).map(([name, step]) => [name, (input: never) => refusing(() => step(input))])) as T;
}

/** The activities of `payout-<id>`: its steps (modules/payouts/payout-steps.ts) and its attempts at the provider. */
export function createPayoutActivities({ ledger, provider = null }: { ledger: LedgerStore; provider?: PayoutProviderDependencies | null }) {
  const steps = createPayoutSteps({ ledger });
  // Batched per method when the provider takes batches: every send and status question below goes through it.
  const configured: PayoutProviderAccess | null =
    provider && provider.batching !== false && isBatchPayoutProvider(provider.provider)
      ? { ...provider, provider: new BatchingPayoutProvider(provider.provider, provider.batching ?? defaultBatchingOptions, createBatchRecorder(ledger.database)) }
      : provider;
  const requireProvider = (): PayoutProviderAccess => {
    // Retryable on purpose: a worker started without a provider URL keeps the payout waiting, not failed.
    if (!configured) throw ApplicationFailure.retryable('no payment provider is configured (LEDGERFLOW_PROVIDER_URL)', 'ProviderNotConfigured');
    return configured;
  };
  return {
    ...asActivities(steps),
    sendPayoutToProvider: (input: { payoutId: string; attempt: number }): Promise<ProviderAttemptResult> =>
      refusing(() => sendPayoutAttempt(ledger.database, requireProvider(), input)),
    checkPayoutAtProvider: (input: { payoutId: string; attempt: number }): Promise<ProviderAttemptResult> =>
      refusing(() => checkPayoutAttempt(requireProvider().provider, input)),
  };
}

export type PayoutActivities = ReturnType<typeof createPayoutActivities>;
