import { Money, formatMoney } from '../../domain/money.ts';
import type { PoolName } from '../../domain/policy.ts';
import {
  fromCents,
  pastPoolPeriod,
  periodJudgedAt,
  poolsOfFrequency,
  splitPool,
  type PoolFrequency,
} from '../../domain/pools.ts';
import { planPeriod, type PoolDependencies } from './distribute-pools.ts';
import { poolRunsOfPeriod } from './pool-store.ts';

/**
 * The preview of one pool period (docs/rules.md#pools-on-demand): the same snapshot read and the same plan as a run
 * (planPeriod), the same split (splitPool), nothing written. Money is a decimal string in the policy's currency.
 */

/** How every amount of a pool is rounded (docs/rules.md#rounding): floored, what the floors leave is the remainder. */
export const poolRounding = {
  poolAmount: 'ROUND_FLOOR: turnover × turnover share, floored to the currency’s scale',
  share: 'ROUND_FLOOR: pool amount ÷ qualified partners, floored to the currency’s scale',
  remainder: 'exact: pool amount − share × qualified partners, kept in pool_remainder',
} as const;

export interface PreviewPartner {
  partnerId: string;
  rank: string;
  share: string;
  /** Weekly pools: the volume qualification's figures (decimal strings); null for rank-only (monthly) pools. */
  volume: {
    requirement: string;
    legCap: string;
    personal: string;
    structure: string;
    counted: string;
    legs: number;
    largestLeg: string;
  } | null;
}

export interface PoolPreview {
  pool: PoolName;
  turnover: string;
  turnoverShare: string;
  poolAmount: string;
  candidates: number;
  qualifiedCount: number;
  share: string;
  remainder: string;
  /** Sorted by partner id; at most `partnerLimit` of them (qualifiedCount says how many in all). */
  qualified: PreviewPartner[];
  /** The run already recorded for the period (the figures it posted), or null. */
  run: { runId: string; entryId: string | null; poolAmount: string; qualified: number; share: string; remainder: string; policyVersion: number } | null;
}

export interface PoolPeriodPreview {
  frequency: PoolFrequency;
  periodStart: string;
  periodEnd: string;
  policyVersion: number;
  currency: string;
  rounding: typeof poolRounding;
  pools: PoolPreview[];
}

export async function previewPoolPeriod(
  deps: PoolDependencies,
  input: { frequency: PoolFrequency; periodStart: string; partnerLimit?: number },
  options: { now?: Date } = {},
): Promise<PoolPeriodPreview> {
  const period = pastPoolPeriod(input.frequency, input.periodStart, options.now ?? new Date());
  const policy = await deps.policies.at(periodJudgedAt(period));
  const commissions = policy.policy.commissions;
  const currency = commissions.currency;
  const pools = poolsOfFrequency(commissions, input.frequency);
  const limit = input.partnerLimit ?? 1_000;
  const money = (value: Money) => formatMoney(value, currency);
  const existing = pools.length === 0 ? [] : await poolRunsOfPeriod(deps.database, period, pools.map((pool) => pool.pool));
  const runs = new Map(existing.map((row) => [row.pool, row]));
  const { turnover, plans } = pools.length === 0 ? { turnover: '0', plans: [] } : await planPeriod(deps.database, period, pools, commissions);
  return {
    frequency: input.frequency,
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    policyVersion: policy.version,
    currency,
    rounding: poolRounding,
    pools: plans.map((plan) => {
      const count = plan.qualified.length;
      const split = splitPool({ turnover, turnoverShare: plan.pool.turnoverShare, qualified: count, currency });
      const run = runs.get(plan.pool.pool);
      const qualified = [...plan.qualified]
        .sort((left, right) => (left.partnerId < right.partnerId ? -1 : left.partnerId > right.partnerId ? 1 : 0))
        .slice(0, limit)
        .map((partner): PreviewPartner => ({
          partnerId: partner.partnerId,
          rank: String(partner.rank),
          share: money(split.share),
          volume: partner.volume
            ? {
                requirement: fromCents(partner.volume.requirementCents, currency),
                legCap: fromCents(partner.volume.legCapCents, currency),
                personal: fromCents(partner.volume.personalCents, currency),
                structure: fromCents(partner.volume.structureCents, currency),
                counted: fromCents(partner.volume.countedCents, currency),
                legs: partner.volume.legs,
                largestLeg: fromCents(partner.volume.largestLegCents, currency),
              }
            : null,
        }));
      return {
        pool: plan.pool.pool,
        turnover,
        turnoverShare: plan.pool.turnoverShare,
        poolAmount: money(split.poolAmount),
        candidates: plan.candidates,
        qualifiedCount: count,
        share: money(split.share),
        // As a run records it: with nobody qualified nothing is posted, so nothing is left over either.
        remainder: money(count === 0 ? new Money(0) : split.remainder),
        qualified,
        run: run
          ? { runId: run.id, entryId: run.entry_id, poolAmount: run.pool_amount, qualified: run.qualified, share: run.share, remainder: run.remainder, policyVersion: run.policy_version }
          : null,
      };
    }),
  };
}
