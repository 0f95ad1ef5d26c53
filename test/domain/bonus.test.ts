import { describe, expect, it } from 'vitest';
import { planBonusPostings, transitionBonus } from '../../domain/bonus.ts';
import { formatMoney, parseMoney, sumMoney } from '../../domain/money.ts';

const request = (amount: string) => ({ partnerId: 'p1', amount, currency: 'USD' });
const byBucket = (postings: ReturnType<typeof planBonusPostings>) =>
  Object.fromEntries(postings.map((posting) => [posting.account.bucket, posting.amount]));

describe('bonus postings', () => {
  it('a positive bonus with no debt goes to available, paid from bonus expense', () => {
    expect(byBucket(planBonusPostings(request('25.00'), { available: '3.00', debt: '0' }))).toEqual({
      bonus_expense: '-25.00',
      available: '25.00',
    });
  });

  it('a positive bonus repays debt first and credits the rest', () => {
    expect(byBucket(planBonusPostings(request('25.00'), { available: '0', debt: '-10.50' }))).toEqual({
      bonus_expense: '-25.00',
      debt: '10.50',
      available: '14.50',
    });
  });

  it('a negative bonus beyond available takes what is there and records the rest as debt', () => {
    expect(byBucket(planBonusPostings(request('-25.00'), { available: '10.00', debt: '0' }))).toEqual({
      bonus_expense: '25.00',
      available: '-10.00',
      debt: '-15.00',
    });
  });

  it('every plan sums to zero', () => {
    for (const [amount, available, debt] of [['0.01', '0', '-0.01'], ['-0.01', '0', '0'], ['99.99', '5', '-200']]) {
      expect(sumMoney(planBonusPostings(request(amount!), { available: available!, debt: debt! }).map((posting) => posting.amount)).isZero()).toBe(true);
    }
  });

  it('a completed bonus cannot fail afterwards', () => {
    expect(transitionBonus('PENDING', 'COMPLETED')).toBe('COMPLETED');
    expect(() => transitionBonus('COMPLETED', 'FAILED')).toThrow(/cannot go from COMPLETED to FAILED/);
  });
});

describe('money', () => {
  it('formats at the currency scale and refuses amounts finer than it', () => {
    expect(formatMoney('10', 'USD')).toBe('10.00');
    expect(formatMoney('1.5', 'BTC')).toBe('1.50000000');
    expect(formatMoney('7', 'JPY')).toBe('7');
    expect(() => formatMoney('0.001', 'USD')).toThrow(RangeError);
  });

  it('parses only plain decimal strings', () => {
    expect(parseMoney('-12.34').toFixed()).toBe('-12.34');
    for (const text of ['1e3', ' 1', '+1', '01', '1.', '', 'NaN']) expect(() => parseMoney(text)).toThrow(RangeError);
  });
});
