import { describe, expect, it } from 'vitest';
import { amountNeedsChecker, checkerRefusal, policyLimits, policyLimitsChanged, rateOutsideBand } from '../../domain/four-eyes.ts';
import { defaultFourEyesPolicy } from '../../domain/lifecycle-policy.ts';
import { defaultPolicy, policySchema } from '../../domain/policy.ts';

describe('four eyes (docs/rules.md#four-eyes)', () => {
  it('needs a checker above 10,000 RUB-equivalent, either sign, and not at it', () => {
    expect(amountNeedsChecker({ amount: '100', currency: 'USD', amountRub: '10000.00' }, '10000', defaultFourEyesPolicy)).toBe(false);
    expect(amountNeedsChecker({ amount: '100.01', currency: 'USD', amountRub: '10000.01' }, '10000', defaultFourEyesPolicy)).toBe(true);
    expect(amountNeedsChecker({ amount: '-200', currency: 'USD', amountRub: '-20000.00' }, '10000', defaultFourEyesPolicy)).toBe(true);
  });

  it('without a RUB-equivalent, judges the amount in its own currency, and an unlisted currency always needs a checker', () => {
    expect(amountNeedsChecker({ amount: '25', currency: 'USD', amountRub: null }, '10000', defaultFourEyesPolicy)).toBe(false);
    expect(amountNeedsChecker({ amount: '150', currency: 'USD', amountRub: null }, '10000', defaultFourEyesPolicy)).toBe(true);
    expect(amountNeedsChecker({ amount: '10000', currency: 'RUB', amountRub: null }, '10000', defaultFourEyesPolicy)).toBe(false);
    expect(amountNeedsChecker({ amount: '1', currency: 'BTC', amountRub: null }, '10000', defaultFourEyesPolicy)).toBe(true);
  });

  it('puts a rate more than 10 % away from the one in force outside the band; a first rate is inside', () => {
    expect(rateOutsideBand('1.00', '1.10', '0.10')).toBe(false);
    expect(rateOutsideBand('1.00', '1.1001', '0.10')).toBe(true);
    expect(rateOutsideBand('1.00', '0.5', '0.10')).toBe(true);
    expect(rateOutsideBand(null, '123', '0.10')).toBe(false);
  });

  it('refuses the maker and roles outside the list, and lets a listed second person decide', () => {
    const requirement = { makerUserId: 'u1', checkerRoles: ['senior_admin', 'finance_director'] as const, reason: 'a bonus' };
    expect(checkerRefusal({ ...requirement, checkerRoles: [...requirement.checkerRoles] }, { userId: 'u1', role: 'senior_admin' })?.code).toBe('maker_checker');
    expect(checkerRefusal({ ...requirement, checkerRoles: [...requirement.checkerRoles] }, { userId: 'u2', role: 'admin' })?.code).toBe('checker_role_required');
    expect(checkerRefusal({ ...requirement, checkerRoles: [...requirement.checkerRoles] }, { userId: 'u2', role: 'partner' })?.code).toBe('checker_role_required');
    expect(checkerRefusal({ ...requirement, checkerRoles: [...requirement.checkerRoles] }, { userId: 'u2', role: 'finance_director' })).toBeNull();
  });

  it('reads a stored policy without the section as the defaults', () => {
    const { fourEyes: _omitted, ...older } = defaultPolicy;
    expect(policySchema.parse(older).fourEyes).toEqual(defaultFourEyesPolicy);
    expect(defaultFourEyesPolicy).toMatchObject({ bonusAboveRub: '10000', disputeCreditAboveRub: '10000', fxRateBand: '0.10' });
  });
});

describe('policy limits (docs/rules.md#four-eyes): which policy changes need a second person', () => {
  const limitsOf = (change: Record<string, unknown>) => policyLimits(policySchema.parse({ ...defaultPolicy, ...change }));
  const before = policyLimits(defaultPolicy);

  it('a change outside the limit sections moves no limit, whatever order the keys were written in', () => {
    expect(policyLimitsChanged(before, limitsOf({ bonuses: { postTimeoutSeconds: 99 } }))).toBe(false);
    const reordered = Object.fromEntries(Object.entries(defaultPolicy.fourEyes).reverse());
    expect(policyLimitsChanged(before, limitsOf({ fourEyes: reordered }))).toBe(false);
  });

  it('a change of a payout tier, an adjustment threshold, the goodwill limit, the sign-in limits, the details-change window or the four-eyes settings moves a limit', () => {
    const chain = defaultPolicy.payouts.approvalChain.map((tier, index) => (index === 0 ? { ...tier, maxAmountRub: '40000' } : tier));
    expect(policyLimitsChanged(before, limitsOf({ payouts: { ...defaultPolicy.payouts, approvalChain: chain } }))).toBe(true);
    expect(policyLimitsChanged(before, limitsOf({ payouts: { ...defaultPolicy.payouts, detailsChange: { ...defaultPolicy.payouts.detailsChange, windowDays: 0 } } }))).toBe(true);
    expect(policyLimitsChanged(before, limitsOf({ adjustments: { ...defaultPolicy.adjustments, seniorApprovalAboveRub: '999999' } }))).toBe(true);
    expect(policyLimitsChanged(before, limitsOf({ disputes: { ...defaultPolicy.disputes, goodwillMax: '5000' } }))).toBe(true);
    expect(policyLimitsChanged(before, limitsOf({ signIn: { ...defaultPolicy.signIn, lockoutAfterFailures: 1000 } }))).toBe(true);
    expect(policyLimitsChanged(before, limitsOf({ fourEyes: { ...defaultPolicy.fourEyes, moneyCheckerRoles: ['admin'] } }))).toBe(true);
  });
});
