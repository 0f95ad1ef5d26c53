import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildPoolNetwork,
  equalShareRate,
  lastCompletePeriod,
  legCapCents,
  noSponsor,
  periodJudgedAt,
  periodStartingAt,
  poolsOfFrequency,
  qualifyWeeklyPools,
  splitPool,
  toCents,
  type PoolNetwork,
} from '../../domain/pools.ts';
import { defaultPolicy } from '../../domain/policy.ts';

const iso = (date: Date) => date.toISOString();

/** A network from [num, sponsorNum] pairs (sponsor −1 for a root), depths derived. */
function network(pairs: [number, number][]): PoolNetwork {
  const depthOf = new Map<number, number>();
  const sponsorOf = new Map(pairs);
  const depth = (num: number): number => {
    const sponsor = sponsorOf.get(num)!;
    if (sponsor === noSponsor) return 0;
    if (!depthOf.has(num)) depthOf.set(num, depth(sponsor) + 1);
    return depthOf.get(num)!;
  };
  return buildPoolNetwork({
    nums: Int32Array.from(pairs.map(([num]) => num)),
    sponsorNums: Int32Array.from(pairs.map(([, sponsor]) => sponsor)),
    depths: Int32Array.from(pairs.map(([num]) => depth(num))),
  });
}

function volumes(net: PoolNetwork, byNum: Record<number, number>): Float64Array {
  const result = new Float64Array(net.size);
  for (const [num, dollars] of Object.entries(byNum)) result[net.indexOf(Number(num))] = Math.round(dollars * 100);
  return result;
}

describe('pool periods', () => {
  it('a weekly period runs Monday 00:00 UTC to the next Monday; a monthly one is the calendar month', () => {
    expect(iso(periodStartingAt('WEEKLY', new Date('2025-03-03T00:00:00Z')).end)).toBe('2025-03-10T00:00:00.000Z');
    expect(iso(periodStartingAt('MONTHLY', new Date('2024-02-01T00:00:00Z')).end)).toBe('2024-03-01T00:00:00.000Z');
    expect(iso(periodStartingAt('MONTHLY', new Date('2024-12-01T00:00:00Z')).end)).toBe('2025-01-01T00:00:00.000Z');
  });

  it('a period that does not start on its boundary is refused', () => {
    expect(() => periodStartingAt('WEEKLY', new Date('2025-03-04T00:00:00Z'))).toThrow(/Monday/);
    expect(() => periodStartingAt('WEEKLY', new Date('2025-03-03T00:15:00Z'))).toThrow(/Monday/);
    expect(() => periodStartingAt('MONTHLY', new Date('2025-03-02T00:00:00Z'))).toThrow(/1st/);
    expect(() => periodStartingAt('MONTHLY', new Date('not a date'))).toThrow(/valid/);
  });

  it('the run scheduled Monday 00:15 UTC distributes the week that just ended', () => {
    const period = lastCompletePeriod('WEEKLY', new Date('2025-03-10T00:15:00Z'));
    expect([iso(period.start), iso(period.end)]).toEqual(['2025-03-03T00:00:00.000Z', '2025-03-10T00:00:00.000Z']);
    // Sunday night in the Americas is already Monday in UTC; a run late on Sunday UTC still takes the week before.
    const sunday = lastCompletePeriod('WEEKLY', new Date('2025-03-09T23:59:59Z'));
    expect(iso(sunday.start)).toBe('2025-02-24T00:00:00.000Z');
    expect(iso(lastCompletePeriod('WEEKLY', new Date('2025-03-10T00:00:00Z')).start)).toBe('2025-03-03T00:00:00.000Z');
  });

  it('the run scheduled on the 1st 00:15 UTC distributes the previous month, across a year end', () => {
    const period = lastCompletePeriod('MONTHLY', new Date('2025-01-01T00:15:00Z'));
    expect([iso(period.start), iso(period.end)]).toEqual(['2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
  });

  it('rank, status and policy are judged at the last millisecond of the period', () => {
    expect(iso(periodJudgedAt({ end: new Date('2025-03-10T00:00:00Z') }))).toBe('2025-03-09T23:59:59.999Z');
  });

  it('the default policy has four weekly pools and three monthly ones', () => {
    expect(poolsOfFrequency(defaultPolicy.commissions, 'WEEKLY').map((pool) => pool.pool)).toEqual(['POOL_5', 'POOL_6', 'POOL_7', 'POOL_8']);
    expect(poolsOfFrequency(defaultPolicy.commissions, 'MONTHLY').map((pool) => pool.pool)).toEqual(['POOL_9', 'POOL_10', 'POOL_11']);
  });
});

describe('pool split', () => {
  it('Example 3 of docs/rules.md#commission-examples: 1 % of $1,000,000 among 50 qualified is $200 each, nothing left', () => {
    const split = splitPool({ turnover: '1000000.00', turnoverShare: '0.01', qualified: 50, currency: 'USD' });
    expect([split.poolAmount.toFixed(2), split.share.toFixed(2), split.remainder.toFixed(2)]).toEqual(['10000.00', '200.00', '0.00']);
  });

  it('a split that does not divide floors each share and keeps the remainder', () => {
    const split = splitPool({ turnover: '10000.00', turnoverShare: '0.01', qualified: 3, currency: 'USD' });
    expect([split.poolAmount.toFixed(2), split.share.toFixed(2), split.remainder.toFixed(2)]).toEqual(['100.00', '33.33', '0.01']);
  });

  it('the pool amount is floored to the cent', () => {
    expect(splitPool({ turnover: '1234.56', turnoverShare: '0.005', qualified: 1, currency: 'USD' }).poolAmount.toFixed()).toBe('6.17');
  });

  it('nobody qualified: no share, and the whole pool is undistributed', () => {
    const split = splitPool({ turnover: '500.00', turnoverShare: '0.01', qualified: 0, currency: 'USD' });
    expect([split.share.toFixed(2), split.remainder.toFixed(2)]).toEqual(['0.00', '5.00']);
  });

  it('shares and remainder always add up to the pool, and the remainder is under a cent per partner', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 1, max: 100_000 }), (turnoverCents, qualified) => {
        const turnover = (turnoverCents / 100).toFixed(2);
        const split = splitPool({ turnover, turnoverShare: '0.005', qualified, currency: 'USD' });
        expect(split.share.times(qualified).plus(split.remainder).eq(split.poolAmount)).toBe(true);
        expect(split.remainder.gte(0) && split.remainder.lt(qualified / 100)).toBe(true);
      }),
    );
  });

  it('the recorded rate is 1/n, truncated', () => {
    expect(equalShareRate(50)).toBe('0.02');
    expect(equalShareRate(3)).toBe('0.3333333333');
  });
});

describe('weekly qualification and the 50 % branch rule', () => {
  // 1 sponsors 2 (leg A) and 3 (leg B); 2's volume sits two levels down at 4.
  const net = network([[1, -1], [2, 1], [3, 1], [4, 2], [5, 4]]);

  it('docs/rules.md#pool-qualification: requirement $10,000, leg A $80,000 counts $5,000 and leg B $15,000 counts $5,000: qualified', () => {
    const { qualifications } = qualifyWeeklyPools({
      network: net,
      personalVolumeCents: volumes(net, { 5: 80_000, 3: 15_000 }),
      candidates: [{ index: net.indexOf(1), requirementCents: toCents('10000', 'USD') }],
      branchRuleShare: '0.5',
    });
    expect(qualifications[0]).toMatchObject({
      structureCents: 9_500_000,
      countedCents: 1_000_000,
      legCapCents: 500_000,
      legs: 2,
      largestLegCents: 8_000_000,
      qualified: true,
    });
  });

  it('a single $80,000 leg alone counts $5,000 of $10,000: not qualified', () => {
    const { qualifications } = qualifyWeeklyPools({
      network: net,
      personalVolumeCents: volumes(net, { 5: 80_000 }),
      candidates: [{ index: net.indexOf(1), requirementCents: 1_000_000 }],
      branchRuleShare: '0.5',
    });
    expect(qualifications[0]).toMatchObject({ countedCents: 500_000, qualified: false });
  });

  it("the partner's own volume counts as one more leg under the same cap", () => {
    const ownOnly = qualifyWeeklyPools({
      network: net,
      personalVolumeCents: volumes(net, { 1: 80_000 }),
      candidates: [{ index: net.indexOf(1), requirementCents: 1_000_000 }],
      branchRuleShare: '0.5',
    });
    expect(ownOnly.qualifications[0]).toMatchObject({ countedCents: 500_000, qualified: false });
    const ownAndLeg = qualifyWeeklyPools({
      network: net,
      personalVolumeCents: volumes(net, { 1: 5_000, 3: 5_000 }),
      candidates: [{ index: net.indexOf(1), requirementCents: 1_000_000 }],
      branchRuleShare: '0.5',
    });
    expect(ownAndLeg.qualifications[0]).toMatchObject({ countedCents: 1_000_000, qualified: true });
  });

  it('one cent short of the requirement does not qualify', () => {
    const { qualifications } = qualifyWeeklyPools({
      network: net,
      personalVolumeCents: volumes(net, { 5: 5_000, 3: 4_999.99 }),
      candidates: [{ index: net.indexOf(1), requirementCents: 1_000_000 }],
      branchRuleShare: '0.5',
    });
    expect(qualifications[0]).toMatchObject({ countedCents: 999_999, qualified: false });
  });

  it('a cap with a fraction of a cent is floored', () => {
    expect(legCapCents(1_000_001, '0.5')).toBe(500_000);
  });

  it('the structure volume of every partner equals the sum over their subtree, on random networks', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 1_000_000 })), { minLength: 1, maxLength: 60 }), (spec) => {
        // Partner k + 1's sponsor is an earlier partner (or none); numbers shuffled to exercise the num → index table.
        const pairs: [number, number][] = spec.map(([pick], k) => [k * 3 + 7, k === 0 || pick % 5 === 0 ? -1 : (pick % k) * 3 + 7]);
        const net = network([...pairs].reverse());
        const personal = new Float64Array(net.size);
        spec.forEach(([, cents], k) => (personal[net.indexOf(k * 3 + 7)] = cents));
        const candidates = pairs.map(([num]) => ({ index: net.indexOf(num), requirementCents: 600_000 }));
        const { qualifications } = qualifyWeeklyPools({ network: net, personalVolumeCents: personal, candidates, branchRuleShare: '0.5' });
        const childrenOf = (num: number) => pairs.filter(([, sponsor]) => sponsor === num).map(([child]) => child);
        const subtree = (num: number): number => personal[net.indexOf(num)]! + childrenOf(num).reduce((sum, child) => sum + subtree(child), 0);
        for (const [position, [num]] of pairs.entries()) {
          const result = qualifications[position]!;
          expect(result.structureCents).toBe(subtree(num));
          const counted = Math.min(personal[net.indexOf(num)]!, 300_000) + childrenOf(num).reduce((sum, child) => sum + Math.min(subtree(child), 300_000), 0);
          expect(result.countedCents).toBe(counted);
          expect(result.qualified).toBe(counted >= 600_000);
        }
      }),
    );
  });

  it('a network whose depths do not follow the sponsors, or that names a missing sponsor, is refused', () => {
    expect(() => buildPoolNetwork({ nums: Int32Array.of(1, 2), sponsorNums: Int32Array.of(-1, 1), depths: Int32Array.of(0, 2) })).toThrow(/depth/);
    expect(() => buildPoolNetwork({ nums: Int32Array.of(1, 2), sponsorNums: Int32Array.of(-1, 9), depths: Int32Array.of(0, 1) })).toThrow(/not in the network/);
    expect(() => buildPoolNetwork({ nums: Int32Array.of(1, 1), sponsorNums: Int32Array.of(-1, -1), depths: Int32Array.of(0, 0) })).toThrow(/twice/);
  });

  it('sparse partner numbers work through the map fallback', () => {
    const sparse = network([[1, -1], [2_000_000_000, 1], [1_500_000_000, 2_000_000_000]]);
    const { qualifications } = qualifyWeeklyPools({
      network: sparse,
      personalVolumeCents: volumes(sparse, { 1_500_000_000: 100 }),
      candidates: [{ index: sparse.indexOf(1), requirementCents: 10_000 }],
      branchRuleShare: '0.5',
    });
    expect(qualifications[0]).toMatchObject({ structureCents: 10_000, countedCents: 5_000 });
  });

  it('a chain 10,000 deep qualifies without recursion', () => {
    const depth = 10_000;
    const nums = Int32Array.from({ length: depth }, (_, index) => index + 1);
    const sponsorNums = Int32Array.from({ length: depth }, (_, index) => (index === 0 ? -1 : index));
    const depths = Int32Array.from({ length: depth }, (_, index) => index);
    const deep = buildPoolNetwork({ nums, sponsorNums, depths });
    const personal = new Float64Array(depth).fill(100);
    const { qualifications } = qualifyWeeklyPools({ network: deep, personalVolumeCents: personal, candidates: [{ index: 0, requirementCents: 1_000 }], branchRuleShare: '0.5' });
    expect(qualifications[0]).toMatchObject({ structureCents: 1_000_000, countedCents: 600, qualified: false });
  });
});
