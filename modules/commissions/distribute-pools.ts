import type { Database } from '../../db/pool.ts';
import { incomeTypeNames } from '../../domain/commission.ts';
import type { AccountRef, PostingInput } from '../../domain/ledger.ts';
import { Money, currencyScale, formatMoney } from '../../domain/money.ts';
import { durationMs, type CommissionPolicy, type PoolName, type PoolPolicy } from '../../domain/policy.ts';
import {
  equalShareRate,
  fromCents,
  maximumVolumeCents,
  periodJudgedAt,
  periodStartingAt,
  planPools,
  poolEntryKey,
  poolsOfFrequency,
  splitPool,
  PoolPeriodError,
  type PoolDistributionInput,
  type PoolDistributionResult,
  type PoolPeriod,
  type PoolPlan,
  type PoolRunResult,
  type QualifiedPartner,
} from '../../domain/pools.ts';
import { insertCommissions, type NewCommission } from './commission-store.ts';
import {
  inSnapshot,
  insertPoolRun,
  loadPeriodTurnover,
  loadPersonalVolumes,
  loadPoolCandidates,
  loadPoolNetwork,
  poolRunsOfPeriod,
  setPoolRunEntry,
  type PoolRunRow,
} from './pool-store.ts';
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

const platformOwnerId = 'platform';

// ---------------------------------------------------------------------------------------------------------------
// Writing one pool run.

function toRunResult(row: PoolRunRow, created: boolean): PoolRunResult {
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
    const run = await insertPoolRun(transaction, {
      pool: plan.pool.pool,
      period,
      turnover,
      poolAmount: money(split.poolAmount),
      qualified: qualified.length,
      share: money(split.share),
      remainder: money(qualified.length === 0 ? new Money(0) : split.remainder),
      policyVersion: policy.version,
      details,
    });
    // Another call (a retry, a second schedule firing, a manual run) got there first; it posted everything.
    if (!run.created) return toRunResult(run.row, false);
    const inserted = run.row;
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
    await setPoolRunEntry(transaction, inserted.id, posted.entryId);

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
  const period = periodStartingAt(input.frequency, new Date(input.periodStart));
  if (period.end.getTime() !== new Date(input.periodEnd).getTime()) {
    throw new PoolPeriodError(`the ${input.frequency.toLowerCase()} period starting ${input.periodStart} ends ${period.end.toISOString()}, not ${input.periodEnd}`, 'periodEnd');
  }
  return period;
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
    throw new PoolPeriodError(`the period ending ${period.end.toISOString()} is not over yet`, 'periodEnd');
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

  const existing = await poolRunsOfPeriod(deps.database, period, pools.map((pool) => pool.pool));
  const done = new Map(existing.map((row) => [row.pool, toRunResult(row, false)]));
  const pending = pools.filter((pool) => !done.has(pool.pool));
  if (pending.length === 0) return result(pools.map((pool) => done.get(pool.pool)!));

  const { turnover, plans } = await planPeriod(deps.database, period, pending, commissions);
  for (const plan of plans) {
    done.set(plan.pool.pool, await writePoolRun(deps, { plan, period, turnover, policy, now }));
  }
  return result(pools.map((pool) => done.get(pool.pool)!));
}

/**
 * Reads, in one snapshot, everything the qualification needs (turnover, volumes, ranks and statuses agree) and
 * plans the pools: who qualifies for each. Writes nothing; the run and the preview share it, so a preview shows
 * exactly what a run of the same data posts.
 */
export async function planPeriod(
  database: Database,
  period: PoolPeriod,
  pools: readonly PoolPolicy[],
  commissions: CommissionPolicy,
): Promise<{ turnover: string; plans: PoolPlan[] }> {
  const pending = pools;
  const snapshot = await inSnapshot(database, async (transaction) => {
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
  return { turnover: snapshot.turnover, plans };
}
