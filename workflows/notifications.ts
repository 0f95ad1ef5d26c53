import { proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { NotificationActivities } from '../activities/notifications.ts';
import type { DeliveryResult } from '../modules/notifications/delivery.ts';

/**
 * Sends what the notification outbox holds. The `notification-delivery` Schedule starts it every minute (overlap
 * SKIP: one run at a time); it calls the activity until a batch comes back short. SMTP failures are the
 * activity's business (recorded per row, retried on later runs); only infrastructure errors (the database) fail
 * the activity, and those are retried a few times and then left to the next minute's run, so a run never blocks
 * the Schedule for long.
 */
const { deliverNotifications } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
});

/** A bound on one run's history: a larger backlog is carried on by the next scheduled run. */
export const maxBatchesPerRun = 200;

export async function notificationDeliveryWorkflow(): Promise<Omit<DeliveryResult, 'full'> & { batches: number }> {
  const total = { configured: true, claimed: 0, sent: 0, retrying: 0, gaveUp: 0, batches: 0 };
  for (;;) {
    const batch = await deliverNotifications({});
    total.batches += 1;
    total.configured = batch.configured;
    total.claimed += batch.claimed;
    total.sent += batch.sent;
    total.retrying += batch.retrying;
    total.gaveUp += batch.gaveUp;
    if (!batch.full || total.batches >= maxBatchesPerRun) break;
  }
  await upsertMemo({
    summary: total.configured
      ? `sent ${total.sent}, retrying ${total.retrying}, gave up ${total.gaveUp} in ${total.batches} batch(es)`
      : 'no SMTP relay configured (LEDGERFLOW_SMTP_URL): notifications wait in the outbox',
  });
  return total;
}
