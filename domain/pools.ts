import Decimal from 'decimal.js';
import { Money, currencyScale } from './money.ts';
import type { CommissionPolicy, PoolName, PoolPolicy } from './policy.ts';
import type { Rank } from './network.ts';
import { DomainError } from './errors.ts';

/**
 * Leadership pools (income type 7; docs/rules.md#pools): periods, the weekly volume qualification with
 * the 50 % branch rule, and the equal split of a pool. Pure: no database, no clock. The qualification works on
 * typed arrays so that a network of millions of partners qualifies in one pass over memory.
 */

export type PoolFrequency = PoolPolicy['frequency'];
export const poolFrequencies = ['WEEKLY', 'MONTHLY'] as const satisfies readonly PoolFrequency[];

const dayMs = 86_400_000;

/** A pool period, [start, end) in UTC. */
export interface PoolPeriod {
  frequency: PoolFrequency;
  start: Date;
  end: Date;
}

/** Monday 00:00 UTC of the week that contains the instant. */
export function startOfWeekUtc(instant: Date): Date {
  const daysSinceMonday = (instant.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate() - daysSinceMonday));
}

/** The 1st, 00:00 UTC, of the month that contains the instant. */
export function startOfMonthUtc(instant: Date): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), 1));
}

function assertValidDate(instant: Date, field: string): void {
  if (Number.isNaN(instant.getTime())) throw new PoolPeriodError(`${field} is not a valid instant`, field);
}

/**
 * The ApplicationFailure types of the pool workflow's refusals: the retry policy names them as non-retryable, and
 * recorded histories carry them, so they never change.
 */
export const poolFailureTypes = { invalidPeriod: 'InvalidPoolPeriod', policyInvalid: 'PoolPolicyInvalid' } as const;

/** A period that is not a whole week or month (or not over yet); `field` names the input at fault. */
export class PoolPeriodError extends DomainError {
  constructor(message: string, field: string) {
    super('invalid', 'invalid_pool_period', message, field);
  }
}

/**
 * The period that begins at `start`, which must be a period boundary: a Monday 00:00 UTC for weekly pools
 * (Monday to Sunday, docs/rules.md#pool-schedule), the 1st 00:00 UTC for monthly pools (the calendar month).
 */
export function periodStartingAt(frequency: PoolFrequency, start: Date): PoolPeriod {
  assertValidDate(start, 'periodStart');
  if (frequency === 'WEEKLY') {
    if (startOfWeekUtc(start).getTime() !== start.getTime()) {
      throw new PoolPeriodError(`a weekly pool period starts on a Monday at 00:00 UTC, not ${start.toISOString()}`, 'periodStart');
    }
    return { frequency, start, end: new Date(start.getTime() + 7 * dayMs) };
  }
  if (startOfMonthUtc(start).getTime() !== start.getTime()) {
    throw new PoolPeriodError(`a monthly pool period starts on the 1st at 00:00 UTC, not ${start.toISOString()}`, 'periodStart');
  }
  return { frequency, start, end: new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)) };
}

/**
 * The last period that is complete at `asOf`: for a run scheduled Monday 00:15 UTC, the week that ended 15
 * minutes earlier; for the 1st 00:15 UTC, the previous calendar month.
 */
export function lastCompletePeriod(frequency: PoolFrequency, asOf: Date): PoolPeriod {
  assertValidDate(asOf, 'asOf');
  if (frequency === 'WEEKLY') {
    const end = startOfWeekUtc(asOf);
    return { frequency, start: new Date(end.getTime() - 7 * dayMs), end };
  }
  const end = startOfMonthUtc(asOf);
  return { frequency, start: new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1)), end };
}

/**
 * The instant at which rank, status and the policy version are judged: the period's last millisecond. A change
 * effective exactly at the period's end (Monday 00:00) belongs to the next period, as an event completed then does.
 */
export function periodJudgedAt(period: Pick<PoolPeriod, 'end'>): Date {
  return new Date(period.end.getTime() - 1);
}

export function poolsOfFrequency(policy: CommissionPolicy, frequency: PoolFrequency): PoolPolicy[] {
  return policy.pools.filter((pool) => pool.frequency === frequency);
}

/** Idempotency key of a pool run's journal entry: one entry per pool and period, whatever retries happen. */
export function poolEntryKey(pool: PoolName, periodStart: Date): string {
  return `pool:${pool}:${periodStart.toISOString()}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Money: the pool amount and its equal split.

export interface PoolSplit {
  /** turnover × turnover share, floored to the currency's scale. */
  poolAmount: Money;
  /** poolAmount / qualified, floored to the currency's scale (0 when nobody qualified). */
  share: Money;
  /** poolAmount − share × qualified: what the floored shares leave over (the whole pool when nobody qualified). */
  remainder: Money;
}

/**
 * Example 3 of docs/rules.md#commission-examples: a pool of 1 % of $1,000,000 split among 50 qualified partners pays $200 each. Every
 * rounding floors (docs/rules.md#rounding: "rounding down prevents over-payment"); what it leaves is the remainder.
 */
export function splitPool(input: { turnover: string; turnoverShare: string; qualified: number; currency: string }): PoolSplit {
  if (!Number.isSafeInteger(input.qualified) || input.qualified < 0) {
    throw new RangeError(`qualified must be a whole number ≥ 0, not ${input.qualified}`);
  }
  const scale = currencyScale(input.currency);
  const turnover = new Money(input.turnover);
  if (turnover.isNegative()) throw new RangeError(`turnover cannot be negative: ${input.turnover}`);
  const poolAmount = turnover.times(input.turnoverShare).toDecimalPlaces(scale, Decimal.ROUND_FLOOR);
  const share = input.qualified === 0 ? new Money(0) : poolAmount.dividedBy(input.qualified).toDecimalPlaces(scale, Decimal.ROUND_FLOOR);
  const remainder = poolAmount.minus(share.times(input.qualified));
  // The split never pays out more than the pool, and floors leave less than one smallest unit per partner.
  const unit = new Money(1).dividedBy(new Money(10).pow(scale));
  if (remainder.isNegative() || (input.qualified > 0 && remainder.gte(unit.times(input.qualified)))) {
    throw new Error(`pool split broke its invariant: ${poolAmount.toFixed()} / ${input.qualified}`);
  }
  return { poolAmount, share, remainder };
}

/** 1 / qualified, truncated: the rate recorded on each pool commission (its base is the pool amount). */
export function equalShareRate(qualified: number): string {
  if (!Number.isSafeInteger(qualified) || qualified < 1) throw new RangeError(`qualified must be ≥ 1, not ${qualified}`);
  return new Money(1).dividedBy(qualified).toDecimalPlaces(10, Decimal.ROUND_DOWN).toFixed();
}

// ---------------------------------------------------------------------------------------------------------------
// The network and weekly volume qualification.

/**
 * Volumes are whole cents held in float64: every integer up to 2^53 (about 90 trillion dollars) is exact, and
 * the sums below never exceed the company's turnover, which the loader asserts is under that bound. This is
 * arithmetic for a threshold test on millions of partners, not money that is posted.
 */
export const maximumVolumeCents = Number.MAX_SAFE_INTEGER;

/** The network in dense arrays: partner i has number `nums[i]`, sponsor `sponsorIndex[i]` (−1 for a root). */
export interface PoolNetwork {
  readonly size: number;
  readonly nums: Int32Array;
  readonly sponsorIndex: Int32Array;
  readonly depth: Int32Array;
  /** Every partner, deepest first: a child always comes before its sponsor. */
  readonly bottomUp: Int32Array;
  /** Direct children of partner i: `children[childStart[i] .. childStart[i + 1])`. */
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  /** Dense index of a partner number, or −1. */
  indexOf(num: number): number;
}

/** A sponsor number of −1 (or any negative) marks a root. */
export const noSponsor = -1;

/**
 * Builds the dense network from (num, sponsor_num, depth) columns in any order, in O(n): a num → index table,
 * a counting sort by depth (deepest first) and the child lists. Refuses a sponsor that is missing or a depth that
 * is not the sponsor's + 1, since either would make a subtree sum wrong without anyone noticing.
 */
export function buildPoolNetwork(columns: { nums: Int32Array; sponsorNums: Int32Array; depths: Int32Array }): PoolNetwork {
  const { nums, sponsorNums, depths } = columns;
  const size = nums.length;
  if (sponsorNums.length !== size || depths.length !== size) throw new RangeError('network columns differ in length');

  let maximumNum = 0;
  let maximumDepth = 0;
  for (let index = 0; index < size; index += 1) {
    const num = nums[index]!;
    if (num < 0) throw new RangeError(`partner number ${num} is negative`);
    if (num > maximumNum) maximumNum = num;
    const depth = depths[index]!;
    if (depth < 0) throw new RangeError(`partner ${num} has negative depth ${depth}`);
    if (depth > maximumDepth) maximumDepth = depth;
  }

  // A direct table while numbers are dense enough (identity values with few gaps); a Map otherwise.
  let indexOf: (num: number) => number;
  if (maximumNum <= 4 * size + 1_024) {
    const table = new Int32Array(maximumNum + 1).fill(-1);
    for (let index = 0; index < size; index += 1) {
      if (table[nums[index]!] !== -1) throw new RangeError(`partner number ${nums[index]} appears twice`);
      table[nums[index]!] = index;
    }
    indexOf = (num) => (num >= 0 && num <= maximumNum ? table[num]! : -1);
  } else {
    const map = new Map<number, number>();
    for (let index = 0; index < size; index += 1) {
      if (map.has(nums[index]!)) throw new RangeError(`partner number ${nums[index]} appears twice`);
      map.set(nums[index]!, index);
    }
    indexOf = (num) => map.get(num) ?? -1;
  }

  const sponsorIndex = new Int32Array(size);
  const childCount = new Int32Array(size + 1);
  const perDepth = new Int32Array(maximumDepth + 2);
  for (let index = 0; index < size; index += 1) {
    const sponsorNum = sponsorNums[index]!;
    const depth = depths[index]!;
    perDepth[depth] = perDepth[depth]! + 1;
    if (sponsorNum < 0) {
      if (depth !== 0) throw new RangeError(`partner ${nums[index]} has no sponsor but depth ${depth}`);
      sponsorIndex[index] = -1;
      continue;
    }
    const sponsor = indexOf(sponsorNum);
    if (sponsor < 0) throw new RangeError(`partner ${nums[index]} names sponsor ${sponsorNum}, who is not in the network`);
    if (depths[sponsor]! !== depth - 1) {
      throw new RangeError(`partner ${nums[index]} has depth ${depth} but its sponsor ${sponsorNum} has depth ${depths[sponsor]}`);
    }
    sponsorIndex[index] = sponsor;
    childCount[sponsor] = childCount[sponsor]! + 1;
  }

  // Counting sort, deepest first: a depth's slot starts after every deeper partner.
  const slot = new Int32Array(maximumDepth + 2);
  let position = 0;
  for (let depth = maximumDepth; depth >= 0; depth -= 1) {
    slot[depth] = position;
    position += perDepth[depth]!;
  }
  const bottomUp = new Int32Array(size);
  for (let index = 0; index < size; index += 1) {
    const depth = depths[index]!;
    bottomUp[slot[depth]!] = index;
    slot[depth] = slot[depth]! + 1;
  }

  const childStart = new Int32Array(size + 1);
  for (let index = 0; index < size; index += 1) childStart[index + 1] = childStart[index]! + childCount[index]!;
  const fill = childStart.slice(0, size);
  const children = new Int32Array(Math.max(0, size - (perDepth[0] ?? 0)));
  for (let index = 0; index < size; index += 1) {
    const sponsor = sponsorIndex[index]!;
    if (sponsor < 0) continue;
    children[fill[sponsor]!] = index;
    fill[sponsor] = fill[sponsor]! + 1;
  }

  return { size, nums, sponsorIndex, depth: depths, bottomUp, childStart, children, indexOf };
}

/** Each partner's structure volume: their own volume plus their whole downline's, in one bottom-up pass. */
export function structureVolumes(network: PoolNetwork, personalVolumeCents: Float64Array): Float64Array {
  if (personalVolumeCents.length !== network.size) throw new RangeError('one personal volume per partner is needed');
  const structure = Float64Array.from(personalVolumeCents);
  const { bottomUp, sponsorIndex } = network;
  for (let position = 0; position < bottomUp.length; position += 1) {
    const index = bottomUp[position]!;
    const sponsor = sponsorIndex[index]!;
    if (sponsor >= 0) structure[sponsor] = structure[sponsor]! + structure[index]!;
  }
  return structure;
}

export interface WeeklyCandidate {
  /** Dense index of the partner in the network. */
  index: number;
  /** The weekly volume the partner's rank needs, in cents. */
  requirementCents: number;
}

export interface WeeklyQualification {
  index: number;
  requirementCents: number;
  /** What any one leg (and the partner's own volume) may count for: requirement × branch rule share, floored. */
  legCapCents: number;
  personalCents: number;
  /** The partner's whole structure: own volume plus the whole downline. */
  structureCents: number;
  /** The volume that counts after the 50 % branch rule. */
  countedCents: number;
  /** Direct legs, and the largest one's volume (before the cap). */
  legs: number;
  largestLegCents: number;
  qualified: boolean;
}

/** requirement × share in cents, floored: a fractional cent of cap would make the rule more lenient, not less. */
export function legCapCents(requirementCents: number, branchRuleShare: string): number {
  return new Money(requirementCents).times(branchRuleShare).toDecimalPlaces(0, Decimal.ROUND_FLOOR).toNumber();
}

/**
 * The weekly qualification of pools 5–8 (docs/rules.md#pools): a candidate qualifies when the volume that counts reaches
 * the requirement of their rank. Under the 50 % branch rule each direct leg (that child's whole subtree) counts
 * for at most requirement × `branchRuleShare`, and the partner's own volume counts as one more leg with the same
 * cap. The example in docs/rules.md#pool-qualification, requirement $10,000: leg A $80,000 counts $5,000 and leg B $15,000 counts $5,000,
 * so the partner qualifies; leg A alone would not.
 *
 * O(partners + candidates' direct legs): one bottom-up pass for the structure volumes, then each candidate's
 * children. Returns one result per candidate, in the candidates' order.
 */
export function qualifyWeeklyPools(input: {
  network: PoolNetwork;
  personalVolumeCents: Float64Array;
  candidates: readonly WeeklyCandidate[];
  branchRuleShare: string;
}): { qualifications: WeeklyQualification[]; structureCents: Float64Array } {
  const { network, personalVolumeCents, candidates, branchRuleShare } = input;
  const structure = structureVolumes(network, personalVolumeCents);
  const caps = new Map<number, number>();
  const { childStart, children } = network;
  const qualifications = candidates.map((candidate): WeeklyQualification => {
    const { index, requirementCents } = candidate;
    if (!(index >= 0 && index < network.size)) throw new RangeError(`candidate index ${index} is outside the network`);
    if (!Number.isSafeInteger(requirementCents) || requirementCents < 0) {
      throw new RangeError(`requirement ${requirementCents} is not a whole number of cents`);
    }
    let cap = caps.get(requirementCents);
    if (cap === undefined) {
      cap = legCapCents(requirementCents, branchRuleShare);
      caps.set(requirementCents, cap);
    }
    const personal = personalVolumeCents[index]!;
    let counted = Math.min(personal, cap);
    let largestLeg = 0;
    const first = childStart[index]!;
    const last = childStart[index + 1]!;
    for (let position = first; position < last; position += 1) {
      const leg = structure[children[position]!]!;
      if (leg > largestLeg) largestLeg = leg;
      counted += Math.min(leg, cap);
    }
    return {
      index,
      requirementCents,
      legCapCents: cap,
      personalCents: personal,
      structureCents: structure[index]!,
      countedCents: counted,
      legs: last - first,
      largestLegCents: largestLeg,
      qualified: counted >= requirementCents,
    };
  });
  return { qualifications, structureCents: structure };
}

/** A USD amount ("5000", "5000.00") as whole cents; refuses a fraction of a cent. */
export function toCents(amount: string, currency: string): number {
  const scaled = new Money(amount).times(new Money(10).pow(currencyScale(currency)));
  if (!scaled.isInteger()) throw new RangeError(`${amount} is finer than ${currency} allows`);
  const cents = scaled.toNumber();
  if (!Number.isSafeInteger(cents)) throw new RangeError(`${amount} is too large to count in cents exactly`);
  return cents;
}

/** Whole cents back to a decimal string at the currency's scale. */
export function fromCents(cents: number, currency: string): string {
  const scale = currencyScale(currency);
  return new Money(cents).dividedBy(new Money(10).pow(scale)).toFixed(scale, Decimal.ROUND_DOWN);
}

/** The weekly volume a rank needs in a pool, in cents, or undefined when the pool does not list the rank. */
export function requirementCentsOf(pool: PoolPolicy, rank: Rank, currency: string): number | undefined {
  const requirement = pool.volumeRequirement?.[rank];
  return requirement === undefined ? undefined : toCents(requirement, currency);
}

/** A partner who may qualify for a pool: ACTIVE at the period's end with one of the pools' ranks. */
export interface PoolCandidate {
  partnerId: string;
  num: number;
  rank: Rank;
}

export interface QualifiedPartner {
  partnerId: string;
  rank: Rank;
  /** Weekly pools: the figures of the qualification, for the commission's breakdown. */
  volume?: WeeklyQualification;
}

export interface PoolPlan {
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
        throw new DomainError('unprocessable', 'pool_policy_invalid', `${pool.pool} lists rank ${candidate.rank} without a weekly volume requirement`);
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

/** What the pool workflow asks for: one period of one frequency. */
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

// ---------------------------------------------------------------------------------------------------------------
// Pools on demand (docs/rules.md#pools-on-demand).

/**
 * The period a finance manager may preview or run on demand: a period boundary (`periodStart`) of a period that
 * is over at `now`. A period that has not begun is `future_period`, one still under way `period_not_ended`; both
 * name `periodStart`, the only instant the request carries.
 */
export function pastPoolPeriod(frequency: PoolFrequency, periodStart: string, now: Date): PoolPeriod {
  const period = periodStartingAt(frequency, new Date(periodStart));
  if (period.start.getTime() > now.getTime()) {
    throw new DomainError('invalid', 'future_period', `the ${frequency.toLowerCase()} period starting ${period.start.toISOString()} has not begun`, 'periodStart');
  }
  if (period.end.getTime() > now.getTime()) {
    throw new DomainError('invalid', 'period_not_ended', `the ${frequency.toLowerCase()} period starting ${period.start.toISOString()} runs until ${period.end.toISOString()}`, 'periodStart');
  }
  return period;
}
