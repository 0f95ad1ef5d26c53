import { ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';

/**
 * The Schedule that empties the notification outbox: `notification-delivery` runs notificationDeliveryWorkflow
 * every minute, one run at a time (overlap SKIP). A run missed while the workers were down is not worth catching
 * up one by one: the next run sends everything due, so the catch-up window is a single interval.
 */
export const notificationScheduleIds = { delivery: 'notification-delivery' } as const;

export const notificationDeliveryInterval = '1 minute';

export function notificationScheduleOptions(taskQueue: string, ids: { delivery: string } = notificationScheduleIds): ScheduleOptions[] {
  return [
    {
      scheduleId: ids.delivery,
      spec: { intervals: [{ every: notificationDeliveryInterval }] },
      action: { type: 'startWorkflow', workflowType: 'notificationDeliveryWorkflow', workflowId: ids.delivery, taskQueue, args: [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: notificationDeliveryInterval },
      memo: { summary: 'sends pending partner and admin notifications by SMTP' },
    },
  ];
}
