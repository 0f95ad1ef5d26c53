import { describe, expect, it } from 'vitest';
import { amountNeedsChecker, checkerRefusal, rateOutsideBand } from '../../domain/four-eyes.ts';
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
