import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calculateChainCommissions, topRate, type ChainMember } from '../../domain/commission.ts';
import { Money } from '../../domain/money.ts';
import { partnerStatuses, ranks } from '../../domain/network.ts';
import { defaultPolicy } from '../../domain/policy.ts';

/** Properties of the pure calculation over random chains, bases and event kinds (docs/rules.md#differential). */

const policy = defaultPolicy.commissions;
const member = fc.record({
  partnerId: fc.uuid(),
  rank: fc.constantFrom(...ranks),
  status: fc.constantFrom(...partnerStatuses, 'ACTIVE', 'ACTIVE'),
}) as fc.Arbitrary<ChainMember>;
const chain = fc.array(member, { minLength: 0, maxLength: 40 });
const cents = fc.bigInt({ min: 1n, max: 10_000_000_00n }).map((value) => new Money(value.toString()).div(100).toFixed(2));
const sourceType = fc.constantFrom('PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT') as fc.Arbitrary<'PRODUCT' | 'INVESTMENT' | 'INVESTMENT_PROFIT'>;

describe('the differential calculation', () => {
  it('never pays more on one event than the top rate × base, and every amount is whole cents, positive', () => {
    fc.assert(
      fc.property(chain, cents, sourceType, fc.boolean(), (members, base, type, repeat) => {
        const lines = calculateChainCommissions({ sourceType: type, base, repeatPurchase: repeat }, members, policy);
        const column = type === 'PRODUCT' ? 'personalSales' : type === 'INVESTMENT' ? 'entranceFee' : 'passiveIncome';
        const total = lines.reduce((sum, line) => sum.plus(line.amount), new Money(0));
        expect(total.lte(topRate(policy, column).times(base))).toBe(true);
        for (const line of lines) {
          expect(new Money(line.amount).gt(0)).toBe(true);
          expect(new Money(line.amount).decimalPlaces()).toBeLessThanOrEqual(2);
          expect(new Money(line.breakdown.percentage).decimalPlaces()).toBeLessThanOrEqual(4);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('pays only ACTIVE members, each at most once, in chain order, with levels counted from the seller', () => {
    fc.assert(
      fc.property(chain, cents, sourceType, (members, base, type) => {
        const lines = calculateChainCommissions({ sourceType: type, base, repeatPurchase: false }, members, policy);
        const levels = lines.map((line) => line.level);
        expect([...levels].sort((a, b) => a - b)).toEqual(levels);
        for (const line of lines) expect(members[line.level - 1]!.status).toBe('ACTIVE');
        for (const line of lines) expect(line.incomeType).toBe(line.level === 1 ? (type === 'INVESTMENT_PROFIT' ? 5 : 1) : type === 'INVESTMENT_PROFIT' ? 6 : 2);
      }),
      { numRuns: 300 },
    );
  });

  it('a chain where everyone is inactive pays nothing', () => {
    fc.assert(
      fc.property(fc.array(member.map((m) => ({ ...m, status: 'SUSPENDED' as const })), { maxLength: 30 }), cents, sourceType, (members, base, type) => {
        expect(calculateChainCommissions({ sourceType: type, base, repeatPurchase: false }, members, policy)).toEqual([]);
      }),
    );
  });

  it('an ancestor ranked at or below the highest rate paid beneath earns nothing (example 4 of docs/rules.md#commission-examples)', () => {
    const lines = calculateChainCommissions(
      { sourceType: 'PRODUCT', base: '10000.00', repeatPurchase: false },
      [{ partnerId: 'partner', rank: '5', status: 'ACTIVE' }, { partnerId: 'you', rank: '3', status: 'ACTIVE' }],
      policy,
    );
    expect(lines.map((line) => [line.partnerId, line.amount])).toEqual([['partner', '1400.00']]);
  });
});
