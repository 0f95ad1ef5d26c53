import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';

const nextAttemptRow = z.object({ wait_ms: z.number().nullable() });

/**
 * How long from now (the database's clock; 0 when a row is due) until the earliest PENDING notification may be
 * sent, or null when nothing is pending: the delivery workflow sleeps that long at most. Measured here because
 * workflow code reads no clock of its own (docs/style.md#workflow-code).
 */
export async function millisecondsToNextNotificationAttempt(database: Database): Promise<number | null> {
  return database.oneFirst(sql.type(nextAttemptRow)`
    SELECT CASE WHEN min(next_attempt_at) IS NULL THEN NULL
                -- greatest() skips NULLs, hence the CASE: "nothing pending" must not read as "due now".
                ELSE greatest(0, ceil(extract(epoch FROM min(next_attempt_at) - now()) * 1000)) END::float8 AS wait_ms
    FROM notifications WHERE status = 'PENDING'`);
}
