import { sql, type CommonQueryMethods, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { currencyScale } from '../../domain/money.ts';
import type { Rank } from '../../domain/network.ts';
import type { PoolName } from '../../domain/policy.ts';
import { buildPoolNetwork, maximumVolumeCents, type PoolCandidate, type PoolNetwork, type PoolPeriod } from '../../domain/pools.ts';

/**
 * The tables of the leadership pools: what a pool run reads (the network, the period's volumes and turnover, the
 * candidates' ranks and statuses at the period's end) and the `pool_runs` rows it writes.
 */

/** The events whose base counts as volume and as company turnover (the decision in docs/decisions.md#leadership-pools-income-type-7). */
export const volumeEventKinds = ['ORDER_COMPLETED', 'INVESTMENT_CONFIRMED'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Loading. Millions of rows would cost seconds through per-row parsing, so the database packs each column set
// into one bytea of fixed-width big-endian integers, which is decoded straight into typed arrays.

const packedRow = z.object({ packed: z.instanceof(Buffer).nullable() });
const networkRecordBytes = 12;
const volumeRecordBytes = 12;

/** Every partner's (num, sponsor_num, depth), whatever their status: volume flows through inactive partners too. */
export async function loadPoolNetwork(connection: CommonQueryMethods): Promise<PoolNetwork> {
  const { packed } = await connection.one(sql.type(packedRow)`
    SELECT string_agg(int4send(num) || int4send(coalesce(sponsor_num, -1)) || int4send(depth), ''::bytea) AS packed
    FROM partners`);
  return buildPoolNetwork(decodeNetwork(packed ?? Buffer.alloc(0)));
}

export function decodeNetwork(packed: Buffer): { nums: Int32Array; sponsorNums: Int32Array; depths: Int32Array } {
  if (packed.length % networkRecordBytes !== 0) throw new Error(`packed network has ${packed.length} bytes, not a multiple of ${networkRecordBytes}`);
  const size = packed.length / networkRecordBytes;
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const nums = new Int32Array(size);
  const sponsorNums = new Int32Array(size);
  const depths = new Int32Array(size);
  for (let index = 0, offset = 0; index < size; index += 1, offset += networkRecordBytes) {
    nums[index] = view.getInt32(offset);
    sponsorNums[index] = view.getInt32(offset + 4);
    depths[index] = view.getInt32(offset + 8);
  }
  return { nums, sponsorNums, depths };
}

function periodFilter(period: Pick<PoolPeriod, 'start' | 'end'>) {
  return sql.fragment`
    e.kind = ANY(${sql.array([...volumeEventKinds], 'text')})
    AND e.completed_at >= ${sql.timestamp(period.start)} AND e.completed_at < ${sql.timestamp(period.end)}
    AND e.cancelled_by IS NULL AND e.base_usd IS NOT NULL`;
}

/**
 * Each partner's personal volume for the period in whole cents (dense index of the network), from one GROUP BY.
 * A partner's sum is floored to the cent; event bases are at cent precision, so this loses nothing in practice.
 */
export async function loadPersonalVolumes(
  connection: CommonQueryMethods,
  network: PoolNetwork,
  period: Pick<PoolPeriod, 'start' | 'end'>,
  currency = 'USD',
): Promise<Float64Array> {
  const unitsPerWhole = 10 ** currencyScale(currency);
  const { packed } = await connection.one(sql.type(packedRow)`
    SELECT string_agg(int4send(p.num) || int8send(v.cents), ''::bytea) AS packed
    FROM (
      SELECT e.partner_id, floor(sum(e.base_usd) * ${unitsPerWhole})::int8 AS cents
      FROM commission_events e
      WHERE e.partner_id IS NOT NULL AND ${periodFilter(period)}
      GROUP BY e.partner_id
    ) v
    JOIN partners p ON p.id = v.partner_id`);
  const volumes = new Float64Array(network.size);
  const bytes = packed ?? Buffer.alloc(0);
  if (bytes.length % volumeRecordBytes !== 0) throw new Error(`packed volumes have ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.length; offset += volumeRecordBytes) {
    const num = view.getInt32(offset);
    const cents = view.getBigInt64(offset + 4);
    if (cents > BigInt(maximumVolumeCents) || cents < -BigInt(maximumVolumeCents)) {
      throw new Error(`partner ${num}'s volume of ${cents} cents cannot be summed exactly`);
    }
    const index = network.indexOf(num);
    if (index < 0) throw new Error(`partner ${num} has volume but is not in the network snapshot`);
    volumes[index] = Number(cents);
  }
  return volumes;
}

/** The company's turnover for the period: every counted event, attributed to a partner or not. Exact. */
export async function loadPeriodTurnover(connection: CommonQueryMethods, period: Pick<PoolPeriod, 'start' | 'end'>): Promise<string> {
  return connection.oneFirst(sql.type(z.object({ turnover: z.string() }))`
    SELECT coalesce(sum(e.base_usd), 0)::text AS turnover FROM commission_events e WHERE ${periodFilter(period)}`);
}

const candidateRow = z.object({ id: z.string(), num: z.number(), rank: z.string() });

/**
 * Partners who had joined before the period ended, whose rank at its end is one of `ranks` and whose status then
 * was ACTIVE. The value
 * at a moment is the old value of the first change effective at or after it, else the current column; only the
 * few partners with such later changes need the lookup, so this is one scan of `partners`.
 */
export async function loadPoolCandidates(connection: CommonQueryMethods, periodEnd: Date, ranks: readonly Rank[]): Promise<PoolCandidate[]> {
  const rows = await connection.any(sql.type(candidateRow)`
    WITH later AS (
      SELECT DISTINCT ON (partner_id, field) partner_id, field, old_value
      FROM partner_changes
      WHERE field IN ('rank', 'status') AND effective_at >= ${sql.timestamp(periodEnd)}
      ORDER BY partner_id, field, effective_at, id
    ),
    as_of AS (
      SELECT p.id, p.num, coalesce(r.old_value, p.rank) AS rank, coalesce(s.old_value, p.status) AS status
      FROM partners p
      LEFT JOIN later r ON r.partner_id = p.id AND r.field = 'rank'
      LEFT JOIN later s ON s.partner_id = p.id AND s.field = 'status'
      WHERE p.joined_at < ${sql.timestamp(periodEnd)}
    )
    SELECT id, num, rank FROM as_of
    WHERE rank = ANY(${sql.array([...ranks], 'text')}) AND status = 'ACTIVE'
    ORDER BY id`);
  return rows.map((row) => ({ partnerId: row.id, num: row.num, rank: row.rank as Rank }));
}

// ---------------------------------------------------------------------------------------------------------------
// Pool runs: one row per pool and period.

const runRow = z.object({
  id: z.string(),
  pool: z.string(),
  turnover: z.string(),
  pool_amount: z.string(),
  qualified: z.number(),
  share: z.string(),
  remainder: z.string(),
  entry_id: z.string().nullable(),
  policy_version: z.number(),
});
export type PoolRunRow = z.infer<typeof runRow>;
const runColumns = sql.fragment`id, pool, turnover::text AS turnover, pool_amount::text AS pool_amount, qualified,
  share::text AS share, remainder::text AS remainder, entry_id, policy_version`;

/** The runs of these pools already recorded for the period. */
export async function poolRunsOfPeriod(connection: CommonQueryMethods, period: Pick<PoolPeriod, 'start'>, pools: readonly PoolName[]): Promise<readonly PoolRunRow[]> {
  return connection.any(sql.type(runRow)`
    SELECT ${runColumns} FROM pool_runs
    WHERE period_start = ${sql.timestamp(period.start)} AND pool = ANY(${sql.array([...pools], 'text')})`);
}

export interface NewPoolRun {
  pool: PoolName;
  period: Pick<PoolPeriod, 'start' | 'end'>;
  turnover: string;
  poolAmount: string;
  qualified: number;
  share: string;
  remainder: string;
  policyVersion: number;
  details: Parameters<typeof sql.jsonb>[0];
}

/**
 * Records the run, or returns the one already recorded for the pool and period (`created: false`): another call
 * (a retry, a second schedule firing, a manual run) got there first and posted everything.
 */
export async function insertPoolRun(transaction: DatabaseTransactionConnection, run: NewPoolRun): Promise<{ row: PoolRunRow; created: boolean }> {
  const inserted = await transaction.maybeOne(sql.type(runRow)`
    INSERT INTO pool_runs (pool, period_start, period_end, turnover, pool_amount, qualified, share, remainder,
                           policy_version, details)
    VALUES (${run.pool}, ${sql.timestamp(run.period.start)}, ${sql.timestamp(run.period.end)}, ${run.turnover},
            ${run.poolAmount}, ${run.qualified}, ${run.share}, ${run.remainder}, ${run.policyVersion}, ${sql.jsonb(run.details)})
    ON CONFLICT (pool, period_start) DO NOTHING
    RETURNING ${runColumns}`);
  if (inserted) return { row: inserted, created: true };
  const existing = await transaction.one(sql.type(runRow)`
    SELECT ${runColumns} FROM pool_runs WHERE pool = ${run.pool} AND period_start = ${sql.timestamp(run.period.start)}`);
  return { row: existing, created: false };
}

export async function setPoolRunEntry(transaction: DatabaseTransactionConnection, runId: string, entryId: string): Promise<void> {
  await transaction.query(sql.unsafe`UPDATE pool_runs SET entry_id = ${entryId} WHERE id = ${runId}`);
}

/** Runs `read` in one read-only snapshot, so that everything it reads (turnover, volumes, ranks, statuses) agrees. */
export async function inSnapshot<T>(database: Database, read: (transaction: DatabaseTransactionConnection) => Promise<T>): Promise<T> {
  return database.transaction(async (transaction) => {
    await transaction.query(sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
    return read(transaction);
  });
}
