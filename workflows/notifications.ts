import { condition, continueAsNew, proxyActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { NotificationActivities } from '../activities/notifications.ts';
import {
  notificationIterationsPerRun,
  notificationSweepIntervalMs,
  wakeNotificationDeliverySignal,
  type NotificationDeliveryInput,
} from './notification-messages.ts';

/**
 * Sends what the notification outbox holds, from ONE long-lived workflow (`notification-delivery`) instead of a run
 * per minute (docs/rules.md#notification-delivery). It sleeps until the first of: a wake-up signal (the worker's
 * outbox listener sends one after a transaction that wrote outbox rows committed), the next retry time of a failed
 * row, or the safety-net sweep interval. Each time it calls the activity until a batch comes back short. SMTP
 * failures are the activity's business (recorded per row, retried later); an infrastructure error (the database)
 * is retried a few times and then the workflow simply waits for the next wake-up or sweep. It continues as new
 * every `notificationIterationsPerRun` iterations, or sooner when the SDK suggests it, so its history stays small.
 */
const { deliverNotifications, millisecondsToNextNotificationAttempt } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
});

/** A bound on the batches of one iteration: a larger backlog is carried on by the next iteration at once. */
export const maxBatchesPerRun = 200;

export interface NotificationDeliveryTotals {
  configured: boolean;
  claimed: number;
  sent: number;
  retrying: number;
  gaveUp: number;
  batches: number;
}

/** Sends batch after batch until one comes back short (or `maxBatchesPerRun`); true when more may be due now. */
async function deliverDue(total: NotificationDeliveryTotals): Promise<boolean> {
  for (let batches = 0; ; ) {
    let batch;
    try {
      batch = await deliverNotifications({});
    } catch {
      // The database is unreachable (the activity's retries are spent): the next wake-up or sweep tries again.
      return false;
    }
    batches += 1;
    total.batches += 1;
    total.configured = batch.configured;
    total.claimed += batch.claimed;
    total.sent += batch.sent;
    total.retrying += batch.retrying;
    total.gaveUp += batch.gaveUp;
    if (!batch.full) return false;
    if (batches >= maxBatchesPerRun) return true;
  }
}

export async function notificationDeliveryWorkflow(input: NotificationDeliveryInput = {}): Promise<NotificationDeliveryTotals> {
  const sweepIntervalMs = input.sweepIntervalMs ?? notificationSweepIntervalMs;
  const carried = input.carried ?? { sent: 0, runs: 0 };
  let woken = false;
  setHandler(wakeNotificationDeliverySignal, () => {
    woken = true;
  });
  const total: NotificationDeliveryTotals = { configured: true, claimed: 0, sent: 0, retrying: 0, gaveUp: 0, batches: 0 };
  for (let iteration = 1; ; iteration += 1) {
    // Cleared before the work: a wake-up that arrives while a batch is being sent wakes the next iteration.
    woken = false;
    const more = await deliverDue(total);
    await upsertMemo({
      summary: total.configured
        ? `long-lived outbox delivery: sent ${carried.sent + total.sent} in ${carried.runs + 1} run(s); this run: sent ${total.sent}, retrying ${total.retrying}, gave up ${total.gaveUp}`
        : 'no SMTP relay configured (LEDGERFLOW_SMTP_URL): notifications wait in the outbox',
    });
    if (iteration >= notificationIterationsPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof notificationDeliveryWorkflow>({ sweepIntervalMs, carried: { sent: carried.sent + total.sent, runs: carried.runs + 1 } });
    }
    if (more) continue;
    // Sleep until the earliest failed row may be retried, if that comes before the safety-net sweep.
    let waitMs = sweepIntervalMs;
    if (total.configured) {
      const untilNextMs = await millisecondsToNextNotificationAttempt().catch(() => null);
      if (untilNextMs !== null) waitMs = Math.max(1_000, Math.min(waitMs, untilNextMs));
    }
    await condition(() => woken, waitMs);
  }
}
