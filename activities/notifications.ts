import { Context } from '@temporalio/activity';
import type { Database } from '../db/pool.ts';
import { deliverNotifications, type NotificationSmtp } from '../modules/notifications/delivery.ts';
import { millisecondsToNextNotificationAttempt } from '../modules/notifications/next-attempt.ts';

export type { NotificationSmtp };

function heartbeat(details: unknown) {
  // Called outside an activity (a test, the CLI) there is no context to report to.
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity */
  }
}

/** The activities of the notification-delivery workflow. `smtp` null: delivery is off, the outbox fills. */
export function createNotificationActivities({ database, smtp = null }: { database: Database; smtp?: NotificationSmtp | null }) {
  return {
    async deliverNotifications(input: { batchSize?: number } = {}) {
      return deliverNotifications(database, smtp, { ...input, progress: heartbeat });
    },
    /** Milliseconds until the earliest PENDING row may be sent, or null: how long the delivery workflow may sleep. */
    async millisecondsToNextNotificationAttempt(): Promise<number | null> {
      return millisecondsToNextNotificationAttempt(database);
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
