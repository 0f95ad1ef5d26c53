import type { Client } from '@temporalio/client';
import { DomainError } from '../../domain/errors.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { createPayout, type PayoutInitiator } from '../payouts/create-payout.ts';
import { startPayoutOrUndo } from '../payouts/start-payout.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import type { Database } from '../../db/pool.ts';
import { createPayRun, failedPayRunPayouts, findPayRun, retryOfPayRun, type PayRunRow } from './pay-run-store.ts';
import { startPayRunWorkflow } from './start-pay-run.ts';

/** The run exists, has finished, was not retried yet, and has FAILED payouts: else the refusal. */
export async function assertRetryable(database: Database, runId: string) {
  const previous = await findPayRun(database, runId);
  if (!previous) throw new DomainError('not_found', 'not_found', `no pay run ${runId}`, 'params.id');
  if (previous.status !== 'COMPLETED_WITH_FAILURES' && previous.status !== 'COMPLETED') {
    throw new DomainError('conflict', 'invalid_state', `the pay run is ${previous.status}; a run is retried once it has finished`, 'status');
  }
  const existing = await retryOfPayRun(database, previous.id);
  if (existing) throw new DomainError('conflict', 'already_retried', `the pay run was retried as ${existing}`, 'status');
  const failed = await failedPayRunPayouts(database, previous.id);
  if (failed.length === 0) throw new DomainError('unprocessable', 'nothing_to_retry', 'the pay run has no FAILED payouts', 'status');
  return { previous, failed };
}

/**
 * A retry of a finished run (docs/rules.md#pay-runs): for each of its FAILED payouts, a new payout request for the same
 * partner, method, currency, amount and payment details, initiated by the admin who retries (so they cannot approve
 * it); then a new run of those payouts, attempt + 1, linked to the first. Paid payouts are never touched. A payout
 * that cannot be requested again (the partner has another active payout, the money is no longer available) is
 * reported, not retried.
 */
export async function retryPayRun(
  dependencies: { database: Database; ledger: LedgerStore; policies: PolicyStore; temporal: Client; taskQueue: string },
  input: { runId: string; initiator: PayoutInitiator; ip: string | null },
): Promise<{ run: PayRunRow; notRetried: { payoutId: string; code: string; message: string }[] }> {
  const { database } = dependencies;
  const { previous, failed } = await assertRetryable(database, input.runId);
  const created: string[] = [];
  const notRetried: { payoutId: string; code: string; message: string }[] = [];
  for (const payout of failed) {
    try {
      const result = await createPayout(dependencies, {
        partnerId: payout.partner_id, amount: payout.amount, currency: payout.currency, methodId: payout.method_id,
        paymentDetails: payout.payment_details, nonRegular: payout.non_regular,
      }, { initiator: input.initiator, field: (name) => name, ip: input.ip, allowBelowMinimum: true });
      if (result.start) await startPayoutOrUndo(dependencies, result.start);
      created.push(result.row.id);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      notRetried.push({ payoutId: payout.payout_id, code: error.code, message: error.message });
    }
  }
  if (created.length === 0) throw new DomainError('unprocessable', 'nothing_to_retry', `no FAILED payout could be requested again: ${notRetried.map((item) => `${item.payoutId} ${item.code}`).join(', ')}`, 'status');
  const active = await dependencies.policies.active();
  const { run } = await createPayRun(database, {
    source: 'ADMIN', paymentDate: null, selection: { payoutIds: created }, note: `retry of pay run ${previous.id} (attempt ${previous.attempt})`,
    createdBy: input.initiator.userId, idempotencyKey: null, attempt: previous.attempt + 1, previousRunId: previous.id,
    policyVersion: active.version, payouts: active.policy.payouts, payRuns: active.policy.payRuns, includeRequested: true,
  });
  await startPayRunWorkflow(dependencies.temporal, dependencies.taskQueue, run, active.policy.payRuns);
  return { run, notRetried };
}
