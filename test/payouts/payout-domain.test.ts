import { describe, expect, it } from 'vitest';
import {
  attemptOfKey,
  failureCodes,
  idempotencyKeyFor,
  millisecondsToNextUtcDay,
  retryClassOf,
  approvalChainFor,
  chainComplete,
  computePayoutFee,
  evaluateChecklist,
  namesMatch,
  type ChecklistFacts,
  findPaymentMethod,
  openStepFor,
  payoutPriority,
  rubEquivalent,
  transitionPayout,
  validatePaymentDetails,
} from '../../domain/payout.ts';
import { defaultPayoutPolicy, paymentMethodSchema } from '../../domain/payout-policy.ts';
import { defaultPolicy, policySchema } from '../../domain/policy.ts';

const policy = defaultPayoutPolicy;
const bank = findPaymentMethod(policy, 'BANK_TRANSFER')!;

describe('payout policy', () => {
  it('a stored policy document written before payouts existed still parses, with the default payouts section', () => {
    const { payouts: _payouts, ...withoutPayouts } = defaultPolicy;
    expect(policySchema.parse(withoutPayouts).payouts).toEqual(defaultPayoutPolicy);
  });
});

describe('fees', () => {
  it('charges the minimum fee when the percentage is below it, and rounds a half cent up', () => {
    expect(computePayoutFee('100.00', 'USD', bank)).toEqual({ fee: '5.00', surcharge: '0.00', amountToTransfer: '95.00' });
    expect(computePayoutFee('1000.50', 'USD', bank)).toEqual({ fee: '10.01', surcharge: '0.00', amountToTransfer: '990.49' });
    const payquicker = findPaymentMethod(policy, 'PAYQUICKER')!;
    // 1.5 % of 1000.30 = 15.0045 → 15.00; of 1000.35 = 15.00525 → 15.01 (ROUND_HALF_UP at the cent)
    expect(computePayoutFee('1000.30', 'USD', payquicker).fee).toBe('15.00');
    expect(computePayoutFee('1000.35', 'USD', payquicker).fee).toBe('15.01');
  });

  it('adds the non-regular surcharge (docs/rules.md#payout-fees) to the fee, rounded half up at the cent, and shows it', () => {
    expect(bank.nonRegularSurchargePercent).toBe('5');
    // 1 % of 1000.50 = 10.005 → 10.01; 5 % = 50.025 → 50.03; fee 60.04, 940.46 to transfer.
    expect(computePayoutFee('1000.50', 'USD', bank, { nonRegular: true })).toEqual({ fee: '60.04', surcharge: '50.03', amountToTransfer: '940.46' });
    expect(computePayoutFee('1000.50', 'USD', bank, { nonRegular: false })).toEqual(computePayoutFee('1000.50', 'USD', bank));
    // A method stored without the field reads the default.
    const { nonRegularSurchargePercent: _dropped, ...storedBefore } = bank;
    expect(paymentMethodSchema.parse(storedBefore).nonRegularSurchargePercent).toBe('5');
  });
});

describe('approval chain by RUB-equivalent', () => {
  it('picks the tier whose upper bound is at or above the amount, and the highest without an FX rate', () => {
    expect(approvalChainFor('50000.00', policy.approvalChain)).toHaveLength(1);
    expect(approvalChainFor('50000.01', policy.approvalChain)).toEqual([{ roles: ['senior_admin'] }]);
    expect(approvalChainFor('1000000.00', policy.approvalChain)).toEqual([{ roles: ['finance_manager'] }, { roles: ['senior_admin'] }]);
    expect(approvalChainFor('1000000.01', policy.approvalChain)).toEqual([{ roles: ['finance_director'] }, { roles: ['finance_manager'] }]);
    expect(approvalChainFor(null, policy.approvalChain)).toEqual([{ roles: ['finance_director'] }, { roles: ['finance_manager'] }]);
  });

  it('a minimum tier (docs/rules.md#details-change-controls) raises a lower tier, never lowers a higher one, and stops at the last', () => {
    expect(approvalChainFor('100.00', policy.approvalChain, { minimumTier: 1 })).toEqual([{ roles: ['senior_admin'] }]);
    expect(approvalChainFor('300000', policy.approvalChain, { minimumTier: 1 })).toEqual([{ roles: ['finance_manager'] }, { roles: ['senior_admin'] }]);
    expect(approvalChainFor(null, policy.approvalChain, { minimumTier: 1 })).toEqual([{ roles: ['finance_director'] }, { roles: ['finance_manager'] }]);
    expect(approvalChainFor('100.00', policy.approvalChain, { minimumTier: 20 })).toEqual([{ roles: ['finance_director'] }, { roles: ['finance_manager'] }]);
    expect(approvalChainFor('100.00', policy.approvalChain, { minimumTier: 0 })).toHaveLength(1);
  });

  it('reads policy versions stored before the details-change rules with their defaults', () => {
    const { detailsChange: _omitted, ...older } = defaultPolicy.payouts;
    expect(policySchema.parse({ ...defaultPolicy, payouts: older }).payouts.detailsChange).toEqual({ windowDays: 7, minimumTier: 1, partnerTotpRequiredAboveRub: null });
  });

  it('converts through USD rates and rounds up to the kopeck; no rate gives null', () => {
    expect(rubEquivalent('100.00', 'USD', { currency: null, rub: '0.011' })).toBe('9090.91');
    expect(rubEquivalent('10.00', 'EUR', { currency: '1.1', rub: '0.01' })).toBe('1100.00');
    expect(rubEquivalent('10.00', 'EUR', { currency: null, rub: '0.01' })).toBeNull();
    expect(rubEquivalent('10.00', 'USD', { currency: null, rub: null })).toBeNull();
    expect(rubEquivalent('10.005', 'RUB', { currency: null, rub: null })).toBe('10.01');
  });

  it('each approval fills one open step its role fits, in any order, until the chain is complete', () => {
    const chain = approvalChainFor('300000', policy.approvalChain);
    expect(openStepFor(chain, [], 'senior_admin')).toBe(1);
    expect(openStepFor(chain, [], 'admin')).toBeNull();
    const approvals = [{ userId: 'u1', role: 'senior_admin' as const, step: 1, at: '' }];
    expect(openStepFor(chain, approvals, 'senior_admin')).toBeNull();
    expect(chainComplete(chain, approvals)).toBe(false);
    expect(chainComplete(chain, [...approvals, { userId: 'u2', role: 'finance_manager', step: 0, at: '' }])).toBe(true);
  });
});

describe('checklist, priority, details, transitions', () => {
  const facts: ChecklistFacts = {
    kycStatus: 'APPROVED',
    partnerStatus: 'ACTIVE',
    accountAgeDays: 30,
    amountRub: '1000.00',
    frozen: false,
    requestedTodayRub: '1000.00',
    recentRequests: 1,
    kycName: 'Ada Lovelace',
    accountName: 'Ada Lovelace',
    amount: '10.00',
    completedCount: 0,
    completedTotal: '0',
    flags: [],
  };
  it('holds for KYC or a young account, rejects a suspended partner or an amount over the limit', () => {
    expect(evaluateChecklist(facts, policy.checklist).outcome).toBe('PASS');
    expect(evaluateChecklist({ ...facts, kycStatus: 'PENDING' }, policy.checklist).outcome).toBe('HOLD');
    expect(evaluateChecklist({ ...facts, accountAgeDays: 6.9 }, policy.checklist).outcome).toBe('HOLD');
    expect(evaluateChecklist({ ...facts, partnerStatus: 'SUSPENDED', kycStatus: 'PENDING' }, policy.checklist)).toMatchObject({ outcome: 'REJECT', rejectionCode: 'ACCOUNT_SUSPENDED' });
    expect(evaluateChecklist({ ...facts, amountRub: '5000000.01' }, policy.checklist)).toMatchObject({ outcome: 'REJECT', rejectionCode: 'LIMIT_EXCEEDED' });
  });

  it('holds a frozen partner, a request over the daily cap (until the next day), too many requests, or a name that is not the KYC name', () => {
    const failedChecks = (outcome: ReturnType<typeof evaluateChecklist>) => outcome.checks.filter((check) => !check.passed).map((check) => [check.check, check.action]);
    expect(failedChecks(evaluateChecklist({ ...facts, frozen: true }, policy.checklist))).toEqual([['NOT_FROZEN', 'HOLD']]);
    expect(evaluateChecklist({ ...facts, requestedTodayRub: '2000000' }, policy.checklist).outcome).toBe('PASS');
    const overCap = evaluateChecklist({ ...facts, requestedTodayRub: '2000000.01' }, policy.checklist);
    expect(overCap.outcome).toBe('HOLD');
    expect(failedChecks(overCap)).toEqual([['DAILY_CAP', 'NEXT_DAY']]);
    expect(evaluateChecklist({ ...facts, recentRequests: 5 }, policy.checklist).outcome).toBe('PASS');
    expect(failedChecks(evaluateChecklist({ ...facts, recentRequests: 6 }, policy.checklist))).toEqual([['VELOCITY', 'HOLD']]);
    expect(failedChecks(evaluateChecklist({ ...facts, accountName: 'Charles Babbage' }, policy.checklist))).toEqual([['NAME_MATCHES_KYC', 'HOLD']]);
    // A method without an account holder name has nothing to match.
    expect(evaluateChecklist({ ...facts, accountName: null }, policy.checklist).checks.map((check) => check.check)).not.toContain('NAME_MATCHES_KYC');
  });

  it('holds while a dispute is open or the account is under review, and shows chargeback flags without holding', () => {
    const failedChecks = (outcome: ReturnType<typeof evaluateChecklist>) => outcome.checks.filter((check) => !check.passed).map((check) => [check.check, check.action]);
    const dispute = evaluateChecklist({ ...facts, flags: [{ kind: 'OPEN_DISPUTE', reason: 'dispute 7 is open' }] }, policy.checklist);
    expect(dispute.outcome).toBe('HOLD');
    expect(failedChecks(dispute)).toEqual([['NO_OPEN_DISPUTES', 'HOLD']]);
    expect(dispute.checks.find((check) => check.check === 'NO_OPEN_DISPUTES')!.detail).toContain('dispute 7 is open');
    for (const kind of ['DEBT_LIMIT', 'ACCOUNT_REVIEW'] as const) {
      expect(failedChecks(evaluateChecklist({ ...facts, flags: [{ kind, reason: 'r' }] }, policy.checklist))).toEqual([['NO_ACCOUNT_REVIEW', 'HOLD']]);
    }
    for (const kind of ['CHARGEBACK', 'CHARGEBACK_WARNING', 'CHARGEBACK_MONITORING'] as const) {
      const flagged = evaluateChecklist({ ...facts, flags: [{ kind, reason: 'r' }] }, policy.checklist);
      expect(flagged.outcome).toBe('PASS');
      expect(failedChecks(flagged)).toEqual([['NO_CHARGEBACK_FLAGS', 'FLAG']]);
    }
  });

  it('compares names as people write them: case, accents, punctuation and word order do not matter', () => {
    expect(namesMatch('LOVELACE, Ada', 'Ada Lovelace')).toBe(true);
    expect(namesMatch('José  Núñez', 'jose nunez')).toBe(true);
    expect(namesMatch('Ada Lovelace', 'Ada Byron')).toBe(false);
  });

  it('flags an amount above three times the partner’s average completed payout, once there are three, and lets it pass', () => {
    // Average of 300.00 over 3: 900.00 is usual, 900.01 is flagged; the flag holds nothing.
    const history = { completedCount: 3, completedTotal: '900.00' };
    expect(evaluateChecklist({ ...facts, ...history, amount: '900.00' }, policy.checklist).checks.find((check) => check.check === 'UNUSUAL_AMOUNT')).toMatchObject({ passed: true });
    const unusual = evaluateChecklist({ ...facts, ...history, amount: '900.01' }, policy.checklist);
    expect(unusual.outcome).toBe('PASS');
    expect(unusual.checks.find((check) => check.check === 'UNUSUAL_AMOUNT')).toMatchObject({ passed: false, action: 'FLAG' });
    expect(evaluateChecklist({ ...facts, completedCount: 2, completedTotal: '20.00', amount: '900.00' }, policy.checklist).checks.map((check) => check.check)).not.toContain('UNUSUAL_AMOUNT');
  });

  it('ranks HIGH for top leaders below 50,000 RUB, REVIEW above 500,000 or for new partners or without a rate', () => {
    expect(payoutPriority({ amountRub: '49999.99', rank: '11', accountAgeDays: 100 }, policy.priority)).toBe('HIGH');
    expect(payoutPriority({ amountRub: '49999.99', rank: '5', accountAgeDays: 100 }, policy.priority)).toBe('NORMAL');
    expect(payoutPriority({ amountRub: '500000.01', rank: '11', accountAgeDays: 100 }, policy.priority)).toBe('REVIEW');
    expect(payoutPriority({ amountRub: '100.00', rank: '5', accountAgeDays: 3 }, policy.priority)).toBe('REVIEW');
    expect(payoutPriority({ amountRub: null, rank: '11', accountAgeDays: 100 }, policy.priority)).toBe('REVIEW');
  });

  it('names the first detail field that is unknown, missing or malformed', () => {
    expect(validatePaymentDetails(bank, { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' })).toEqual([]);
    expect(validatePaymentDetails(bank, { accountName: 'Jane Doe', accountNumber: '1234x', routingNumber: '021000021' })[0]!.field).toBe('accountNumber');
    expect(validatePaymentDetails(bank, { accountName: 'Jane Doe', accountNumber: '12345678' })[0]!.field).toBe('routingNumber');
  });

  it('refuses a transition the lifecycle does not allow', () => {
    expect(transitionPayout('AWAITING_APPROVAL', 'APPROVED')).toBe('APPROVED');
    expect(() => transitionPayout('PROCESSING', 'CANCELLED')).toThrow(/cannot go from PROCESSING to CANCELLED/);
    expect(() => transitionPayout('COMPLETED', 'FAILED')).toThrow();
  });
});

describe('automatic processing helpers', () => {
  it('the failure-code table is the one docs/rules.md#payout-provider-retries gives, and the adapter re-exports the same object', async () => {
    expect(Object.fromEntries(Object.entries(failureCodes).map(([code, { retry }]) => [code, retry]))).toEqual({
      INVALID_ACCOUNT: 'none', ACCOUNT_CLOSED: 'none', NAME_MISMATCH: 'none', PROVIDER_ERROR: 'auto', TIMEOUT: 'auto', LIMIT_EXCEEDED: 'next_day',
    });
    expect(retryClassOf('TIMEOUT')).toBe('auto');
    expect((await import('../../providers/adapter.ts')).failureCodes).toBe(failureCodes);
  });

  it('reads the attempt back from this payout’s idempotency keys only', () => {
    const id = '0b7c2f1e-2f7a-4c1e-9a51-3f2b8c6d4e10';
    expect(attemptOfKey(id, idempotencyKeyFor(id, 3))).toBe(3);
    expect(attemptOfKey(id, `other:${1}`)).toBeNull();
    expect(attemptOfKey(id, `${id}:0`)).toBeNull();
    expect(attemptOfKey(id, `${id}:1x`)).toBeNull();
  });

  it('a next_day retry waits until the next UTC midnight', () => {
    expect(millisecondsToNextUtcDay(Date.parse('2026-03-01T23:59:59.000Z'))).toBe(1_000);
    expect(millisecondsToNextUtcDay(Date.parse('2026-12-31T00:00:00.000Z'))).toBe(86_400_000);
  });
});
