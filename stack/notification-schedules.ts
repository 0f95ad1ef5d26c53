import { ScheduleNotFoundError, type Client } from '@temporalio/client';

/**
 * Notifications used to be sent by the `notification-delivery` Schedule, which started a workflow every minute
 * (1,440 runs a day that buried the lifecycles ops look for in the Temporal UI). They are now sent by one
 * long-lived workflow woken by the outbox (workflows/notifications.ts, workers/notification-wake.ts;
 * docs/rules.md#notification-delivery). A worker that keeps the calendar work deletes the old Schedule on start.
 */
export const retiredNotificationScheduleIds = ['notification-delivery'] as const;

/** Deletes the retired Schedules; those already gone are fine. Safe to call from many workers at once. */
export async function removeRetiredNotificationSchedules(client: Client, ids: readonly string[] = retiredNotificationScheduleIds): Promise<string[]> {
  const removed: string[] = [];
  for (const id of ids) {
    try {
      await client.schedule.getHandle(id).delete();
      removed.push(id);
    } catch (error) {
      // NOT_FOUND (gRPC 5) where the client does not translate it.
      if (!(error instanceof ScheduleNotFoundError) && (error as { code?: unknown }).code !== 5) throw error;
    }
  }
  return removed;
}
