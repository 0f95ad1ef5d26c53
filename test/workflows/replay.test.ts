import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { quietRuntime, repositoryRoot, workflowBundle } from '../helpers/temporal.ts';

/**
 * Recorded histories of each lifecycle branch (test/histories, exported with `temporal workflow show
 * --output json`), replayed against today's workflow code: a change that breaks determinism for a running
 * workflow fails here instead of in production. Record a new branch's history when you add one; change a
 * running lifecycle's code behind `patched()`.
 */
const historiesDirectory = path.join(repositoryRoot, 'test', 'histories');
quietRuntime();
const files = (await readdir(historiesDirectory)).filter((file) => file.endsWith('.json')).sort();

describe('replaying recorded workflow histories', () => {
  it('has a recorded history for each bonus branch', () => {
    expect(files).toEqual(expect.arrayContaining(['bonus-completed.json', 'bonus-failed-unknown-bonus.json']));
  });

  // Recorded by test/histories/record.ts (`npx bun test/histories/record.ts`).
  it('has a recorded history for each commission release and pay-batch branch', () => {
    expect(files).toEqual(
      expect.arrayContaining(['commission-release-approved.json', 'commission-release-nothing-due.json', 'commission-pay-batch.json']),
    );
  });

  it('has a recorded history for each pool distribution branch', () => {
    expect(files).toEqual(expect.arrayContaining(['pool-distribution-weekly.json', 'pool-distribution-monthly.json']));
  });

  // Recorded by test/payouts/payout-lifecycle.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history for each payout branch', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'payout-completed.json', 'payout-rejected.json', 'payout-cancelled.json', 'payout-failed.json',
        'payout-held-released-completed.json', 'payout-checklist-rejected.json',
        // Recorded by test/payouts/payout-automatic.test.ts: AUTOMATIC methods through the provider.
        'payout-automatic-completed.json', 'payout-automatic-failed.json', 'payout-automatic-retried-completed.json',
      ]),
    );
  });

  // docs/rules.md#payout-lean-lifecycle: workflows under patch `payout-lean-lifecycle`, recorded by the payout tests above
  // with LEDGERFLOW_RECORD_HISTORIES=1 (the files without `-lean` keep the older paths replaying).
  it('has a recorded history for each payout branch of the lean lifecycle', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'payout-completed-lean.json', 'payout-approved-before-checklist-lean.json', 'payout-rejected-lean.json', 'payout-cancelled-lean.json',
        'payout-failed-lean.json', 'payout-held-released-completed-lean.json', 'payout-checklist-rejected-lean.json',
        'payout-automatic-completed-lean.json', 'payout-automatic-failed-lean.json', 'payout-automatic-retried-completed-lean.json',
        'payout-automatic-paused-resumed-lean.json', 'payout-automatic-switched-manual-lean.json',
        'payout-partner-validated-lean.json', 'payout-partner-timeout-cancelled-lean.json',
      ]),
    );
  });

  it.each(files.filter((file) => file.startsWith('payout-') && file.endsWith('-lean.json')))('%s ran under the lean lifecycle patch', async (file) => {
    const history = JSON.parse(await readFile(path.join(historiesDirectory, file), 'utf8')) as {
      events: { markerRecordedEventAttributes?: { markerName: string; details?: Record<string, { payloads: { data: string }[] }> } }[];
    };
    const patches = history.events
      .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')
      .map((event) => JSON.parse(Buffer.from(event.markerRecordedEventAttributes!.details!['patch-data']!.payloads[0]!.data, 'base64').toString('utf8')).id);
    expect(patches).toEqual(['payout-lean-lifecycle']);
  });

  // Recorded by test/adjustments/manual-commission.test.ts and bulk-adjustment.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history for each adjustment and bulk adjustment branch', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'adjustment-posted.json', 'adjustment-approved-posted.json', 'adjustment-rejected.json', 'adjustment-expired.json',
        'bulk-adjustment-completed.json', 'bulk-adjustment-continued-as-new.json', 'bulk-adjustment-rejected.json',
        'bulk-adjustment-expired.json',
      ]),
    );
  });

  // Recorded by test/refunds/refund-queue.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history for each refund branch', () => {
    expect(files).toEqual(expect.arrayContaining(['refund-approved-processed.json', 'refund-rejected.json']));
  });

  // Recorded by test/chargebacks/chargeback-lifecycle.test.ts and chargeback-penalties.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history for each chargeback branch', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'chargeback-won.json', 'chargeback-lost.json', 'chargeback-partial-webhook.json', 'chargeback-escalated-won.json',
        'chargeback-monitoring-lost.json', 'chargeback-monitoring-ended.json',
      ]),
    );
  });

  // Recorded by test/disputes/dispute-lifecycle.test.ts and dispute-deadlines.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history for each dispute branch', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dispute-out-of-window.json', 'dispute-information-provided.json', 'dispute-no-information.json', 'dispute-correction.json',
        'dispute-system-error-escalated.json', 'dispute-explained-escalated.json', 'dispute-explained-closed.json', 'dispute-goodwill.json',
        'dispute-rejected.json',
      ]),
    );
  });

  // Recorded by test/payouts/payment-files.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history of a payment file’s lock and close', () => {
    expect(files).toEqual(expect.arrayContaining(['payment-file-locked.json', 'payment-file-closed.json']));
  });

  // Recorded by test/reconciliation/reconciliation-workflow.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history for each daily reconciliation branch', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'reconciliation-signed.json', 'reconciliation-already-signed.json',
        'reconciliation-schedule-started.json', 'reconciliation-schedule-already-started.json',
      ]),
    );
  });

  // Recorded by test/pay-runs/pay-run-lifecycle.test.ts, pay-run-crash.test.ts and test/payouts/payout-schedule.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history for each pay run branch, and the schedule run that starts one', () => {
    expect(files).toEqual(expect.arrayContaining([
      'pay-run-completed.json', 'pay-run-funds-waited.json', 'pay-run-continued-as-new.json', 'payout-schedule-run-pay-run.json',
    ]));
  });

  // Recorded by test/reports/report-schedules.test.ts with LEDGERFLOW_RECORD_HISTORIES=1.
  it('has a recorded history of the summary reports’ scheduled run, storing and finding its period', () => {
    expect(files).toEqual(expect.arrayContaining(['summary-reports-daily-created.json', 'summary-reports-daily-stored-before.json']));
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = JSON.parse(await readFile(path.join(historiesDirectory, file), 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`),
    ).resolves.toBeUndefined();
  });

  // docs/rules.md#pay-runs, fan-out design 2: a lean payout approved by a pay run's `payRunApproved` signal (recorded by
  // test/pay-runs/pay-run-fan-out.test.ts with LEDGERFLOW_RECORD_HISTORIES=1) records the signal patch beside the lean one.
  it('has a recorded lean payout approved by a pay run’s signal, under both patches', async () => {
    expect(files).toContain('payout-pay-run-signal-completed.json');
    const history = JSON.parse(await readFile(path.join(historiesDirectory, 'payout-pay-run-signal-completed.json'), 'utf8')) as {
      events: { eventType: string; markerRecordedEventAttributes?: { markerName: string; details?: Record<string, { payloads: { data: string }[] }> } }[];
    };
    const patches = history.events
      .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')
      .map((event) => JSON.parse(Buffer.from(event.markerRecordedEventAttributes!.details!['patch-data']!.payloads[0]!.data, 'base64').toString('utf8')).id);
    expect(patches).toEqual(['payout-lean-lifecycle', 'payout-pay-run-signal']);
    expect(history.events.filter((event) => event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(2);
  });
});
