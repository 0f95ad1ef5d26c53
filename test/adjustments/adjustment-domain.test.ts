import { describe, expect, it } from 'vitest';
import { bulkApprovalTier, bulkItemAmount, needsSeniorApproval, planBulkItemPostings, transitionAdjustment, transitionBulkAdjustment } from '../../domain/adjustment.ts';
import { defaultAdjustmentPolicy } from '../../domain/lifecycle-policy.ts';

describe('adjustment rules (docs/rules.md#adjustments)', () => {
  it('a manual commission above 10,000 RUB, or of unknown RUB value, needs a senior admin; exactly 10,000 does not', () => {
    expect(needsSeniorApproval('10000.00', defaultAdjustmentPolicy)).toBe(false);
    expect(needsSeniorApproval('10000.01', defaultAdjustmentPolicy)).toBe(true);
    expect(needsSeniorApproval(null, defaultAdjustmentPolicy)).toBe(true);
  });

  it('bulk tiers by total impact: < 50,000 standard, 50,000 to 500,000 senior, above (or unknown) finance director', () => {
    expect(bulkApprovalTier('49999.99', defaultAdjustmentPolicy).tier).toBe('STANDARD');
    expect(bulkApprovalTier('50000.00', defaultAdjustmentPolicy).tier).toBe('SENIOR');
    expect(bulkApprovalTier('500000.00', defaultAdjustmentPolicy).tier).toBe('SENIOR');
    expect(bulkApprovalTier('500000.01', defaultAdjustmentPolicy)).toEqual({ tier: 'FINANCE_DIRECTOR', roles: ['finance_director'] });
    expect(bulkApprovalTier(null, defaultAdjustmentPolicy).tier).toBe('FINANCE_DIRECTOR');
  });

  it('a percentage is of the available balance, ROUND_FLOOR to the currency scale; a negative balance gives zero', () => {
    expect(bulkItemAmount('PERCENTAGE', '10', '33.39', 'USD').toFixed(2)).toBe('3.33');
    expect(bulkItemAmount('PERCENTAGE', '2.5', '99.99', 'USD').toFixed(2)).toBe('2.49');
    expect(bulkItemAmount('PERCENTAGE', '10', '-5.00', 'USD').toFixed(2)).toBe('0.00');
    expect(bulkItemAmount('FIXED', '7.50', '0', 'USD').toFixed(2)).toBe('7.50');
  });

  it('ADD repays debt first; REMOVE takes only from available and refuses to go below it', () => {
    expect(planBulkItemPostings({ partnerId: 'p', direction: 'ADD', amount: '25.00', currency: 'USD' }, { available: '0', debt: '-10.00' }).map((posting) => [posting.account.bucket, posting.amount]))
      .toEqual([['adjustments', '-25.00'], ['debt', '10.00'], ['available', '15.00']]);
    expect(planBulkItemPostings({ partnerId: 'p', direction: 'REMOVE', amount: '5.00', currency: 'USD' }, { available: '5.00', debt: '0' }).map((posting) => [posting.account.bucket, posting.amount]))
      .toEqual([['available', '-5.00'], ['adjustments', '5.00']]);
    expect(() => planBulkItemPostings({ partnerId: 'p', direction: 'REMOVE', amount: '5.01', currency: 'USD' }, { available: '5.00', debt: '0' })).toThrow(RangeError);
  });

  it('the state machines refuse what the state does not allow', () => {
    expect(transitionAdjustment('AWAITING_APPROVAL', 'POSTED')).toBe('POSTED');
    expect(() => transitionAdjustment('POSTED', 'REJECTED')).toThrow();
    expect(transitionBulkAdjustment('EXECUTING', 'COMPLETED')).toBe('COMPLETED');
    expect(() => transitionBulkAdjustment('AWAITING_APPROVAL', 'COMPLETED')).toThrow();
  });
});
