import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';

const nextAttemptRow = z.object({ next: z.date().nullable() });

/**
 * When the earliest PENDING notification may next be sent (now or earlier for a row that is due, later for a row
 * waiting out a retry delay), or null when nothing is pending: the delivery workflow sleeps until then at most.
 */
export async function nextNotificationAttemptAt(database: Database): Promise<Date | null> {
  return database.oneFirst(sql.type(nextAttemptRow)`
    SELECT min(next_attempt_at) AS next FROM notifications WHERE status = 'PENDING'`);
}
