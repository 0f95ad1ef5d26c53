import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';

const nextReleaseRow = z.object({ next: z.date().nullable() });

/**
 * The earliest hold end after `after` among PENDING commissions, or null: the release run sleeps until then
 * (docs/rules.md#release-cadence). Ends at or before `after` were the last release's business (a commission still
 * PENDING then is one the release left for a reason of its own, and must not make the run spin).
 */
export async function nextCommissionReleaseAt(database: Database, after: Date): Promise<Date | null> {
  return database.oneFirst(sql.type(nextReleaseRow)`
    SELECT min(release_at) AS next FROM commissions WHERE status = 'PENDING' AND release_at > ${after.toISOString()}`);
}
