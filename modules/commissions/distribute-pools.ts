import { ApplicationFailure } from '@temporalio/activity';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { incomeTypeNames } from '../../domain/commission.ts';
import type { AccountRef, PostingInput } from '../../domain/ledger.ts';
import { Money, currencyScale, formatMoney } from '../../domain/money.ts';
import type { Rank } from '../../domain/network.ts';
import { durationMs, type PoolName, type PoolPolicy } from '../../domain/policy.ts';
import {
  buildPoolNetwork,
  equalShareRate,
  fromCents,
  maximumVolumeCents,
  periodJudgedAt,
  periodStartingAt,
  poolEntryKey,
  poolsOfFrequency,
  qualifyWeeklyPools,
  requirementCentsOf,
  splitPool,
  PoolPeriodError,
  type PoolFrequency,
  type PoolNetwork,
  type PoolPeriod,
  type WeeklyCandidate,
  type WeeklyQualification,
} from '../../domain/pools.ts';
import { insertCommissions, type NewCommission } from './commission-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import type { PolicyStore, PolicyVersion } from '../policy/policy-store.ts';

/**
 * Leadership pool runs (income type 7). One call distributes every pool of a frequency for one period: it reads
 * the network, volumes, ranks and statuses in one consistent snapshot, qualifies in memory (typed arrays), and
 * then writes each pool in its own transaction: the `pool_runs` row (unique per pool and period), one journal
 * entry, the commissions and their audit records. A second call for the same period finds the rows and posts
 * nothing.
 */

export const poolActor = 'system:pools';

/** The events whose base counts as volume and as company turnover (the decision in docs/decisions-pools.md). */
export const volumeEventKinds = ['ORDER_COMPLETED', 'INVESTMENT_CONFIRMED'] as const;

export interface PoolDistributionInput {
  frequency: PoolFrequency;
  /** ISO instants; the period must be a whole week (Monday 00:00 UTC) or calendar month (the 1st 00:00 UTC). */
  periodStart: string;
  periodEnd: string;
}

export interface PoolRunResult {
  pool: PoolName;
  runId: string;
  /** False when the run already existed: this call posted nothing for the pool. */
  created: boolean;
  turnover: string;
  poolAmount: string;
  qualified: number;
  share: string;
  remainder: string;
  entryId: string | null;
  policyVersion: number;
}

export interface PoolDistributionResult {
  frequency: PoolFrequency;
  periodStart: string;
  periodEnd: string;
  policyVersion: number;
  runs: PoolRunResult[];
}

const platformOwnerId = 'platform';

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

export interface PoolCandidate {
  partnerId: string;
  num: number;
  rank: Rank;
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
// Qualification of one period, all pools of the frequency.

interface QualifiedPartner {
  partnerId: string;
  rank: Rank;
  /** Weekly pools: the figures of the qualification, for the commission's breakdown. */
  volume?: WeeklyQualification;
}

interface PoolPlan {
  pool: PoolPolicy;
  candidates: number;
  qualified: QualifiedPartner[];
}

/** Which candidates qualify for each pool; the weekly ones by volume under the branch rule, the monthly by rank alone. */
export function planPools(input: {
  pools: readonly PoolPolicy[];
  candidates: readonly PoolCandidate[];
  network: PoolNetwork | null;
  personalVolumeCents: Float64Array | null;
  branchRuleShare: string;
  currency: string;
}): PoolPlan[] {
  return input.pools.map((pool) => {
    const eligible = input.candidates.filter((candidate) => pool.ranks.includes(candidate.rank));
    if (pool.frequency === 'MONTHLY') {
      return { pool, candidates: eligible.length, qualified: eligible.map(({ partnerId, rank }) => ({ partnerId, rank })) };
    }
    if (eligible.length === 0) return { pool, candidates: 0, qualified: [] };
    const { network, personalVolumeCents } = input;
    if (!network || !personalVolumeCents) throw new Error('weekly pools need the network and the personal volumes');
    const weekly: WeeklyCandidate[] = eligible.map((candidate) => {
      const requirementCents = requirementCentsOf(pool, candidate.rank, input.currency);
      if (requirementCents === undefined) {
        throw ApplicationFailure.nonRetryable(`${pool.pool} lists rank ${candidate.rank} without a weekly volume requirement`, 'PoolPolicyInvalid');
      }
      const index = network.indexOf(candidate.num);
      if (index < 0) throw new Error(`candidate ${candidate.partnerId} is not in the network snapshot`);
      return { index, requirementCents };
    });
    const { qualifications } = qualifyWeeklyPools({ network, personalVolumeCents, candidates: weekly, branchRuleShare: input.branchRuleShare });
    const qualified = qualifications.flatMap((volume, position) =>
      volume.qualified ? [{ partnerId: eligible[position]!.partnerId, rank: eligible[position]!.rank, volume }] : [],
    );
    return { pool, candidates: eligible.length, qualified };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Writing one pool run.

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
const runColumns = sql.fragment`id, pool, turnover::text AS turnover, pool_amount::text AS pool_amount, qualified,
  share::text AS share, remainder::text AS remainder, entry_id, policy_version`;

function toRunResult(row: z.infer<typeof runRow>, created: boolean): PoolRunResult {
  return {
    pool: row.pool as PoolName,
    runId: row.id,
    created,
    turnover: row.turnover,
    poolAmount: row.pool_amount,
    qualified: row.qualified,
    share: row.share,
    remainder: row.remainder,
    entryId: row.entry_id,
    policyVersion: row.policy_version,
  };
}

async function writePoolRun(
  deps: { database: Database; ledger: LedgerStore },
  input: { plan: PoolPlan; period: PoolPeriod; turnover: string; policy: PolicyVersion; now: Date },
): Promise<PoolRunResult> {
  const { plan, period, turnover, policy, now } = input;
  const currency = policy.policy.commissions.currency;
  const qualified = [...plan.qualified].sort((left, right) => (left.partnerId < right.partnerId ? -1 : left.partnerId > right.partnerId ? 1 : 0));
  const split = splitPool({ turnover, turnoverShare: plan.pool.turnoverShare, qualified: qualified.length, currency });
  const money = (value: Money) => formatMoney(value, currency);
  const details = {
    turnoverShare: plan.pool.turnoverShare,
    frequency: plan.pool.frequency,
    ranks: plan.pool.ranks,
    candidates: plan.candidates,
    ...(plan.pool.frequency === 'WEEKLY'
      ? { volumeRequirement: plan.pool.volumeRequirement, branchRuleShare: policy.policy.commissions.branchRuleShare }
      : {}),
    ...(qualified.length === 0 ? { note: 'no partner qualified: nothing is posted' } : {}),
    ...(qualified.length > 0 && split.share.isZero() ? { note: 'the pool is smaller than one cent per partner: all of it stays in pool_remainder' } : {}),
  };

  return deps.database.transaction(async (transaction) => {
    const inserted = await transaction.maybeOne(sql.type(runRow)`
      INSERT INTO pool_runs (pool, period_start, period_end, turnover, pool_amount, qualified, share, remainder,
                             policy_version, details)
      VALUES (${plan.pool.pool}, ${sql.timestamp(period.start)}, ${sql.timestamp(period.end)}, ${turnover},
              ${money(split.poolAmount)}, ${qualified.length}, ${money(split.share)},
              ${money(qualified.length === 0 ? new Money(0) : split.remainder)}, ${policy.version}, ${sql.jsonb(details)})
      ON CONFLICT (pool, period_start) DO NOTHING
      RETURNING ${runColumns}`);
    if (!inserted) {
      // Another call (a retry, a second schedule firing, a manual run) got there first; it posted everything.
      const existing = await transaction.one(sql.type(runRow)`
        SELECT ${runColumns} FROM pool_runs WHERE pool = ${plan.pool.pool} AND period_start = ${sql.timestamp(period.start)}`);
      return toRunResult(existing, false);
    }
    if (qualified.length === 0 || split.poolAmount.isZero()) return toRunResult(inserted, true);

    const platform = (bucket: 'pool_funding' | 'pool_remainder'): AccountRef => ({ ownerType: 'platform', ownerId: platformOwnerId, bucket, currency });
    const postings: PostingInput[] = [{ account: platform('pool_funding'), amount: money(split.poolAmount.negated()) }];
    if (!split.share.isZero()) {
      for (const partner of qualified) {
        postings.push({ account: { ownerType: 'partner', ownerId: partner.partnerId, bucket: 'commission_pending', currency }, amount: money(split.share) });
      }
    }
    if (!split.remainder.isZero()) postings.push({ account: platform('pool_remainder'), amount: money(split.remainder) });

    const posted = await deps.ledger.postEntry(
      {
        idempotencyKey: poolEntryKey(plan.pool.pool, period.start),
        kind: 'leadership_pool',
        description: `${plan.pool.pool} ${period.start.toISOString()} – ${period.end.toISOString()}`,
        metadata: { pool: plan.pool.pool, periodStart: period.start.toISOString(), periodEnd: period.end.toISOString(), poolRunId: inserted.id },
        postings,
      },
      transaction,
    );
    await transaction.query(sql.unsafe`UPDATE pool_runs SET entry_id = ${posted.entryId} WHERE id = ${inserted.id}`);

    if (!split.share.isZero()) {
      const releaseAt = new Date(now.getTime() + durationMs(policy.policy.commissions.holds.POOL));
      const rate = equalShareRate(qualified.length);
      const commissions: NewCommission[] = qualified.map((partner) => ({
        eventId: null,
        poolRunId: inserted.id,
        partnerId: partner.partnerId,
        incomeType: 7,
        level: 1,
        sourceType: 'POOL',
        base: money(split.poolAmount),
        rate,
        amount: money(split.share),
        currency,
        releaseAt,
        breakdown: poolBreakdown({ plan, partner, period, turnover, split, qualified: qualified.length, currency }),
        policyVersion: policy.version,
      }));
      await insertCommissions(transaction, commissions, poolActor);
    }
    return { ...toRunResult(inserted, true), entryId: posted.entryId };
  });
}

function poolBreakdown(input: {
  plan: PoolPlan;
  partner: QualifiedPartner;
  period: PoolPeriod;
  turnover: string;
  split: ReturnType<typeof splitPool>;
  qualified: number;
  currency: string;
}): Record<string, unknown> {
  const { plan, partner, period, split, qualified, currency } = input;
  const money = (value: Money) => formatMoney(value, currency);
  const usd = (cents: number) => fromCents(cents, currency);
  const volume = partner.volume;
  const qualification = volume
    ? `; qualified with ${usd(volume.countedCents)} counted of ${usd(volume.requirementCents)} required ` +
      `(structure ${usd(volume.structureCents)}, ${volume.legs} legs, largest ${usd(volume.largestLegCents)}, ` +
      `each leg and own volume capped at ${usd(volume.legCapCents)})`
    : `; qualified by rank ${partner.rank}`;
  return {
    text:
      `${incomeTypeNames[7]} ${plan.pool.pool}, ${period.start.toISOString()} – ${period.end.toISOString()}: turnover ` +
      `${input.turnover} × ${plan.pool.turnoverShare} = ${money(split.poolAmount)} (floored), split equally among ` +
      `${qualified} qualified: ${money(split.poolAmount)} / ${qualified} = ${money(split.share)} (floored; rate = 1/${qualified}, ` +
      `remainder ${money(split.remainder)} kept in pool_remainder)${qualification}`,
    pool: plan.pool.pool,
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    turnover: input.turnover,
    turnoverShare: plan.pool.turnoverShare,
    poolAmount: money(split.poolAmount),
    qualified,
    share: money(split.share),
    remainder: money(split.remainder),
    rank: partner.rank,
    ...(volume
      ? {
          requirement: usd(volume.requirementCents),
          legCap: usd(volume.legCapCents),
          personalVolume: usd(volume.personalCents),
          structureVolume: usd(volume.structureCents),
          countedVolume: usd(volume.countedCents),
          legs: volume.legs,
          largestLeg: usd(volume.largestLegCents),
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The whole period.

export interface PoolDependencies {
  database: Database;
  ledger: LedgerStore;
  policies: PolicyStore;
}

function parsePeriod(input: PoolDistributionInput): PoolPeriod {
  try {
    const period = periodStartingAt(input.frequency, new Date(input.periodStart));
    if (period.end.getTime() !== new Date(input.periodEnd).getTime()) {
      throw new PoolPeriodError(`the ${input.frequency.toLowerCase()} period starting ${input.periodStart} ends ${period.end.toISOString()}, not ${input.periodEnd}`, 'periodEnd');
    }
    return period;
  } catch (error) {
    if (error instanceof PoolPeriodError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidPoolPeriod');
    throw error;
  }
}

/**
 * Distributes every pool of the frequency for one period under the policy version in force at the period's
 * end. Pools already run for the period are returned as they are (`created: false`).
 */
export async function distributePoolsForPeriod(
  deps: PoolDependencies,
  input: PoolDistributionInput,
  options: { now?: Date } = {},
): Promise<PoolDistributionResult> {
  const period = parsePeriod(input);
  const now = options.now ?? new Date();
  if (now.getTime() < period.end.getTime()) {
    throw ApplicationFailure.nonRetryable(`the period ending ${period.end.toISOString()} is not over yet`, 'InvalidPoolPeriod');
  }
  const policy = await deps.policies.at(periodJudgedAt(period));
  const commissions = policy.policy.commissions;
  const pools = poolsOfFrequency(commissions, input.frequency);
  const result = (runs: PoolRunResult[]): PoolDistributionResult => ({
    frequency: input.frequency,
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    policyVersion: policy.version,
    runs,
  });
  if (pools.length === 0) return result([]);

  const existing = await deps.database.any(sql.type(runRow)`
    SELECT ${runColumns} FROM pool_runs
    WHERE period_start = ${sql.timestamp(period.start)} AND pool = ANY(${sql.array(pools.map((pool) => pool.pool), 'text')})`);
  const done = new Map(existing.map((row) => [row.pool, toRunResult(row, false)]));
  const pending = pools.filter((pool) => !done.has(pool.pool));
  if (pending.length === 0) return result(pools.map((pool) => done.get(pool.pool)!));

  // One snapshot for everything the qualification reads, so turnover, volumes, ranks and statuses agree.
  const snapshot = await deps.database.transaction(async (transaction) => {
    await transaction.query(sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
    const turnover = await loadPeriodTurnover(transaction, period);
    const ranks = [...new Set(pending.flatMap((pool) => pool.ranks))];
    const candidates = await loadPoolCandidates(transaction, period.end, ranks);
    const weeklyCandidates = candidates.some((candidate) =>
      pending.some((pool) => pool.frequency === 'WEEKLY' && pool.ranks.includes(candidate.rank)),
    );
    const network = weeklyCandidates ? await loadPoolNetwork(transaction) : null;
    const personalVolumeCents = network ? await loadPersonalVolumes(transaction, network, period, commissions.currency) : null;
    return { turnover, candidates, network, personalVolumeCents };
  });
  if (new Money(snapshot.turnover).times(10 ** currencyScale(commissions.currency)).gt(maximumVolumeCents)) {
    throw new Error(`turnover ${snapshot.turnover} is too large to sum volumes exactly in cents`);
  }

  const plans = planPools({
    pools: pending,
    candidates: snapshot.candidates,
    network: snapshot.network,
    personalVolumeCents: snapshot.personalVolumeCents,
    branchRuleShare: commissions.branchRuleShare,
    currency: commissions.currency,
  });
  for (const plan of plans) {
    done.set(plan.pool.pool, await writePoolRun(deps, { plan, period, turnover: snapshot.turnover, policy, now }));
  }
  return result(pools.map((pool) => done.get(pool.pool)!));
}

export function createPoolActivities(deps: PoolDependencies) {
  return {
    /** Every pool of the frequency for one period; idempotent per pool and period. */
    async distributePools(input: PoolDistributionInput): Promise<PoolDistributionResult> {
      return distributePoolsForPeriod(deps, input);
    },
  };
}

export type PoolActivities = ReturnType<typeof createPoolActivities>;
