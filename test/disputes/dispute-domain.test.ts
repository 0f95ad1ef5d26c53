import { describe, expect, it } from 'vitest';
import { isOutOfWindow, planDisputeCreditPostings } from '../../domain/dispute.ts';
import { checkResolution, statusAfterResolution } from '../../domain/dispute-resolution.ts';
import { DomainError } from '../../domain/errors.ts';

/** The decision tree in docs/rules.md#dispute-decision-tree and the correction postings as pure rules (the workflow and activities use these). */
describe('dispute rules', () => {
  it('measures the window from the transaction to the filing: day 30 is in, day 31 out', () => {
    const window = 30 * 86_400_000;
    const openedAt = new Date('2026-03-31T12:00:00Z');
    expect(isOutOfWindow(new Date('2026-03-01T12:00:00Z'), openedAt, window)).toBe(false);
    expect(isOutOfWindow(new Date('2026-02-28T12:00:00Z'), openedAt, window)).toBe(true);
  });

  it('leads each resolution to its status', () => {
    expect(statusAfterResolution('UNDER_REVIEW', { resolution: 'CORRECTION', errorKind: 'CALCULATION' })).toBe('CLOSED');
    expect(statusAfterResolution('UNDER_REVIEW', { resolution: 'CORRECTION', errorKind: 'SYSTEM' })).toBe('ESCALATED');
    expect(statusAfterResolution('ESCALATED', { resolution: 'CORRECTION', errorKind: 'SYSTEM' })).toBe('CLOSED');
    expect(statusAfterResolution('UNDER_REVIEW', { resolution: 'EXPLANATION' })).toBe('EXPLAINED');
    expect(statusAfterResolution('ESCALATED', { resolution: 'EXPLANATION' })).toBe('CLOSED');
    expect(statusAfterResolution('UNDER_REVIEW', { resolution: 'GOODWILL' })).toBe('CLOSED');
    expect(() => statusAfterResolution('ESCALATED', { resolution: 'ESCALATION' })).toThrow();
    expect(() => statusAfterResolution('INFORMATION_REQUESTED', { resolution: 'REJECTION' })).toThrow();
  });

  it('keeps goodwill above the limit for senior admins and names the field', () => {
    const base = { status: 'UNDER_REVIEW' as const, assigneeId: null, policy: { goodwillMax: '50' } };
    const goodwill = (amount: string, currency = 'USD') => ({ resolution: 'GOODWILL' as const, amount, currency, note: 'sorry' });
    expect(checkResolution({ ...base, actor: { userId: 'u1', role: 'financial_support' }, resolution: goodwill('50.00') }).amount).toBe('50.00');
    expect(() => checkResolution({ ...base, actor: { userId: 'u1', role: 'financial_support' }, resolution: goodwill('50.01') })).toThrow(DomainError);
    expect(() => checkResolution({ ...base, actor: { userId: 'u1', role: 'financial_support' }, resolution: goodwill('10.00', 'EUR') })).toThrow(/senior/);
    expect(checkResolution({ ...base, actor: { userId: 'u2', role: 'senior_admin' }, resolution: goodwill('500.00') }).statusAfter).toBe('CLOSED');
    expect(() => checkResolution({ ...base, actor: { userId: 'u1', role: 'financial_support' }, resolution: goodwill('-1.00') })).toThrow(/positive/);
    expect(() => checkResolution({ ...base, actor: { userId: 'u1', role: 'financial_support' }, resolution: goodwill('1.001') })).toThrow(/decimal places/);
  });

  it('posts a credit to debt first, then available; a debit beyond available into debt; always balanced', () => {
    const credit = planDisputeCreditPostings({ partnerId: 'p', amount: '30.00', currency: 'USD' }, { available: '0', debt: '-10.00' });
    expect(credit.map((posting) => [posting.account.bucket, posting.amount])).toEqual([['adjustments', '-30.00'], ['debt', '10.00'], ['available', '20.00']]);
    const debit = planDisputeCreditPostings({ partnerId: 'p', amount: '-20.00', currency: 'USD' }, { available: '5.00', debt: '0' });
    expect(debit.map((posting) => [posting.account.bucket, posting.amount])).toEqual([['adjustments', '20.00'], ['available', '-5.00'], ['debt', '-15.00']]);
  });
});
