import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { policyLimits, policyLimitsChanged } from '../../domain/four-eyes.ts';
import {
  approverGroup,
  decisionLines,
  defaultPayRunPolicy,
  exclusionCounts,
  fundsShortfall,
  payRunTotals,
  runApprovalFor,
  selectPayRunItems,
  settledPayRunStatus,
  type DecisionCandidate,
  type PayRunCandidate,
} from '../../domain/pay-run.ts';
import { defaultPolicy, policySchema } from '../../domain/policy.ts';

const candidate = (overrides: Partial<PayRunCandidate>): PayRunCandidate => ({
  payoutId: 'p1', partnerId: 'a', methodId: 'BANK_TRANSFER', currency: 'USD', amount: '100.00', fee: '5.00', amountToTransfer: '95.00',
  amountRub: '10000.00', detailsHash: 'h', status: 'AWAITING_APPROVAL', hasPaymentDetails: true, belowMinimum: false, flagged: false,
  inAnotherRun: false, ...overrides,
});

describe('pay run selection (docs/rules.md#pay-runs)', () => {
  it('includes payouts awaiting approval and leaves out each other one with its reason', () => {
    const selection = selectPayRunItems([
      candidate({ payoutId: 'ok' }),
      candidate({ payoutId: 'held', status: 'HELD' }),
      candidate({ payoutId: 'approved', status: 'APPROVED' }),
      candidate({ payoutId: 'other-run', inAnotherRun: true }),
      candidate({ payoutId: 'no-details', hasPaymentDetails: false }),
      candidate({ payoutId: 'small', belowMinimum: true }),
      candidate({ payoutId: 'flagged', flagged: true }),
    ]);
    expect(selection.included.map((item) => item.payoutId)).toEqual(['ok']);
    expect(selection.excluded).toEqual([
      { payoutId: 'held', reason: 'held' },
      { payoutId: 'approved', reason: 'not_awaiting_approval' },
      { payoutId: 'other-run', reason: 'in_another_run' },
      { payoutId: 'no-details', reason: 'no_payment_details' },
      { payoutId: 'small', reason: 'below_minimum' },
      { payoutId: 'flagged', reason: 'flagged' },
    ]);
    expect(exclusionCounts([...selection.excluded, { reason: 'held' }])).toEqual([
      { reason: 'below_minimum', count: 1 }, { reason: 'no_payment_details', count: 1 }, { reason: 'held', count: 2 }, { reason: 'flagged', count: 1 },
      { reason: 'in_another_run', count: 1 }, { reason: 'not_awaiting_approval', count: 1 },
    ]);
  });

  it('totals exactly per currency and per method, and an item without a RUB equivalent makes the RUB total unknown', () => {
    const items = [
      { methodId: 'BANK_TRANSFER', currency: 'USD', amount: '0.10', fee: '0.01', amountToTransfer: '0.09', amountRub: '10.00' },
      { methodId: 'BANK_TRANSFER', currency: 'USD', amount: '0.20', fee: '0.02', amountToTransfer: '0.18', amountRub: '20.00' },
      { methodId: 'YOOMONEY', currency: 'RUB', amount: '1000.00', fee: '50.00', amountToTransfer: '950.00', amountRub: '1000.00' },
    ];
    const totals = payRunTotals(items);
    expect(totals.byCurrency).toEqual([
      { currency: 'RUB', count: 1, amount: '1000.00', fee: '50.00', amountToTransfer: '950.00', amountRub: '1000.00' },
      { currency: 'USD', count: 2, amount: '0.30', fee: '0.03', amountToTransfer: '0.27', amountRub: '30.00' },
    ]);
    expect(totals.byMethod).toEqual([
      { methodId: 'BANK_TRANSFER', currency: 'USD', count: 2, amount: '0.30', amountToTransfer: '0.27' },
      { methodId: 'YOOMONEY', currency: 'RUB', count: 1, amount: '1000.00', amountToTransfer: '950.00' },
    ]);
    expect(totals.amountRub).toBe('1030.00');
    expect(payRunTotals([...items, { ...items[0]!, amountRub: null }]).amountRub).toBeNull();
  });

  it('needs run-level approvers above the policy limits, the highest passed tier deciding, and the strictest without a RUB total', () => {
    const policy = defaultPayRunPolicy;
    expect(runApprovalFor('1000000.00', policy)).toEqual({ required: false, roles: [] });
    expect(runApprovalFor('1000000.01', policy)).toEqual({ required: true, roles: ['finance_manager', 'finance_director'] });
    expect(runApprovalFor('10000000.01', policy)).toEqual({ required: true, roles: ['finance_director'] });
    expect(runApprovalFor(null, policy)).toEqual({ required: true, roles: ['finance_director'] });
  });

  it('treats a change of the run limits as a limit change (a second person), and reads stored policies without the section', () => {
    const { payRuns: _omitted, ...older } = defaultPolicy;
    expect(policySchema.parse(older).payRuns).toEqual(defaultPayRunPolicy);
    const before = policyLimits(defaultPolicy);
    const moved = policySchema.parse({ ...defaultPolicy, payRuns: { ...defaultPolicy.payRuns, runApproval: [{ aboveRub: '5', roles: ['admin'] }] } });
    expect(policyLimitsChanged(before, policyLimits(moved))).toBe(true);
    const chunked = policySchema.parse({ ...defaultPolicy, payRuns: { ...defaultPolicy.payRuns, chunkSize: 7 } });
    expect(policyLimitsChanged(before, policyLimits(chunked))).toBe(false);
  });
});

const chainOf = (...steps: string[][]) => steps.map((roles) => ({ roles: roles as never }));
const decisionItem = (overrides: Partial<DecisionCandidate>): DecisionCandidate => ({
  payoutId: 'p1', currency: 'USD', amount: '100.00', detailsHash: 'h1', payoutStatus: 'AWAITING_APPROVAL', initiatedBy: 'maker', draftedBy: null,
  requiredChain: chainOf(['admin', 'senior_admin']), approvals: [], ...overrides,
});

describe('an approver’s group (one decision per run, per tier)', () => {
  const items = [
    decisionItem({ payoutId: 'small' }),
    decisionItem({ payoutId: 'big', requiredChain: chainOf(['senior_admin']), amount: '900.00' }),
    decisionItem({ payoutId: 'two-step', requiredChain: chainOf(['senior_admin'], ['finance_manager']) }),
    decisionItem({ payoutId: 'own', initiatedBy: 'a1' }),
    decisionItem({ payoutId: 'drafted', draftedBy: 'a1' }),
    decisionItem({ payoutId: 'done', approvals: [{ userId: 'x', role: 'admin', step: 0, at: '' }] }),
  ];

  it('gives an admin the first tier, refusing their own and drafted payouts and naming the higher tiers', () => {
    const group = approverGroup(items, { userId: 'a1', role: 'admin' });
    expect(group.approvable.map((item) => [item.payoutId, item.step])).toEqual([['small', 0]]);
    expect(group.refusedUpfront).toEqual([
      { payoutId: 'big', code: 'role_not_in_chain' },
      { payoutId: 'drafted', code: 'maker_checker' },
      { payoutId: 'own', code: 'maker_checker' },
      { payoutId: 'two-step', code: 'role_not_in_chain' },
    ]);
  });

  it('gives a senior admin every open step their role takes, and a finance manager the second step of the two-step chain', () => {
    expect(approverGroup(items, { userId: 's1', role: 'senior_admin' }).approvable.map((item) => [item.payoutId, item.step])).toEqual([
      ['big', 0], ['drafted', 0], ['own', 0], ['small', 0], ['two-step', 0],
    ]);
    const afterSenior = items.map((item) => (item.payoutId === 'two-step' ? { ...item, approvals: [{ userId: 's1', role: 'senior_admin' as const, step: 0, at: '' }] } : item));
    expect(approverGroup(afterSenior, { userId: 'f1', role: 'finance_manager' }).approvable.map((item) => [item.payoutId, item.step])).toEqual([['two-step', 1]]);
    expect(approverGroup(afterSenior, { userId: 's1', role: 'senior_admin' }).refusedUpfront).toContainEqual({ payoutId: 'two-step', code: 'already_approved' });
  });

  it('binds the decision to sorted (payoutId, amount, detailsHash) lines: a changed amount or hash changes the SHA-256', () => {
    const lines = decisionLines([{ payoutId: 'b', amount: '2.50', detailsHash: 'y' }, { payoutId: 'a', amount: '1.00', detailsHash: 'x' }]);
    expect(lines).toBe('a,1,x\nb,2.5,y');
    const hash = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(hash(lines)).not.toBe(hash(decisionLines([{ payoutId: 'b', amount: '2.51', detailsHash: 'y' }, { payoutId: 'a', amount: '1.00', detailsHash: 'x' }])));
    expect(hash(lines)).not.toBe(hash(decisionLines([{ payoutId: 'b', amount: '2.50', detailsHash: 'z' }, { payoutId: 'a', amount: '1.00', detailsHash: 'x' }])));
  });
});

describe('funds and the run status', () => {
  it('waits when the declared funds fall short, and only when declared funds are required if none were declared', () => {
    expect(fundsShortfall('100.00', '99.99', false)).toEqual({ waiting: true, short: '0.01' });
    expect(fundsShortfall('100.00', '100', false)).toEqual({ waiting: false, short: null });
    expect(fundsShortfall('100.00', null, false)).toEqual({ waiting: false, short: null });
    expect(fundsShortfall('100.00', null, true)).toEqual({ waiting: true, short: '100' });
  });

  it('never says COMPLETED while a payout is open or when one failed', () => {
    const base = { included: 0, approved: 3, refused: 0, rejected: false };
    expect(settledPayRunStatus({ ...base, included: 1, byPayoutStatus: {} })).toBe('AWAITING_APPROVAL');
    expect(settledPayRunStatus({ ...base, byPayoutStatus: { COMPLETED: 2, PROCESSING: 1 } })).toBe('IN_PROGRESS');
    expect(settledPayRunStatus({ ...base, byPayoutStatus: { COMPLETED: 3 } })).toBe('COMPLETED');
    expect(settledPayRunStatus({ ...base, byPayoutStatus: { COMPLETED: 2, FAILED: 1 } })).toBe('COMPLETED_WITH_FAILURES');
    expect(settledPayRunStatus({ ...base, refused: 1, byPayoutStatus: { COMPLETED: 3 } })).toBe('COMPLETED_WITH_FAILURES');
    expect(settledPayRunStatus({ ...base, approved: 0, rejected: true, byPayoutStatus: {} })).toBe('REJECTED');
  });
});
