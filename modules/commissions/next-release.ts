import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';

const nextReleaseRow = z.object({ next: z.date().nullable(), wait_ms: z.number().nullable() });

export interface NextRelease {
  /** When the next release should run: the earliest hold end after `after`, but not before `notBefore`. */
  releaseAt: Date;
  /** How long from now (the database's clock) until then; 0 when it is already due. */
  waitMs: number;
}

/**
 * The earliest hold end after `after` among PENDING commissions (not before `notBefore`), or null: the release run
 * sleeps until then (docs/rules.md#release-cadence). The wait is measured on the database's clock, because workflow
 * code reads no clock of its own (docs/style.md#workflow-code). Ends at or before `after` were the last release's business (a commission still
 * PENDING then is one the release left for a reason of its own, and must not make the run spin).
 */
export async function nextCommissionReleaseAt(database: Database, after: Date, notBefore: Date = after): Promise<NextRelease | null> {
  const row = await database.one(sql.type(nextReleaseRow)`
    WITH next AS (SELECT min(release_at) AS next FROM commissions WHERE status = 'PENDING' AND release_at > ${after.toISOString()})
    SELECT at AS next, greatest(0, ceil(extract(epoch FROM at - now()) * 1000))::float8 AS wait_ms
    FROM next, LATERAL (
      -- greatest() skips NULLs: without this CASE "nothing pending" would read as "due at notBefore".
      SELECT CASE WHEN next IS NULL THEN NULL ELSE greatest(next, ${notBefore.toISOString()}::timestamptz) END AS at
    ) AS due`);
  return row.next === null ? null : { releaseAt: row.next, waitMs: row.wait_ms ?? 0 };
}
