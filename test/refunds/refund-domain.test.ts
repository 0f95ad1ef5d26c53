import { describe, expect, it } from 'vitest';
import { defaultRefundPolicy } from '../../domain/lifecycle-policy.ts';
import { proportionalReversal, refundTypeOf, reversalModeOf, transitionRefund } from '../../domain/refund.ts';

/** The refund rules as pure values (docs/rules.md#refund-reasons, docs/rules.md#proportional-reversal). */

describe('how a refund reverses commissions', () => {
  const mode = (reason: Parameters<typeof reversalModeOf>[1]['reason'], amount: string, refundedBefore = '0') =>
    reversalModeOf(defaultRefundPolicy, { reason, amount, orderTotal: '10000.00', refundedBefore });

  it('the FULL reasons reverse in full when the refund takes the whole order (or what earlier refunds left of it)', () => {
    for (const reason of ['PRODUCT_DEFECTIVE', 'WRONG_ITEM', 'NOT_AS_DESCRIBED', 'BUYER_REMORSE', 'NON_DELIVERY', 'GOODWILL'] as const) {
      expect(mode(reason, '10000.00')).toBe('FULL');
      expect(mode(reason, '7500.00', '2500.00')).toBe('FULL');
    }
  });

  it('PARTIAL_DAMAGE, and any partial amount whatever the reason, reverse proportionally', () => {
    expect(mode('PARTIAL_DAMAGE', '10000.00')).toBe('PROPORTIONAL');
    expect(mode('PARTIAL_DAMAGE', '2500.00')).toBe('PROPORTIONAL');
    expect(mode('PRODUCT_DEFECTIVE', '2500.00')).toBe('PROPORTIONAL');
    expect(mode('GOODWILL', '0.01', '2500.00')).toBe('PROPORTIONAL');
  });

  it('The example in docs/rules.md#proportional-reversal: 1,000 × (2,500 / 10,000) = 250; shares floor to cents and never exceed what is left', () => {
    expect(proportionalReversal({ original: '1000.00', remaining: '1000.00', refund: '2500.00', orderTotal: '10000.00' })).toBe('250.00');
    expect(proportionalReversal({ original: '33.33', remaining: '33.33', refund: '1.00', orderTotal: '3.00' })).toBe('11.11');
    expect(proportionalReversal({ original: '10.00', remaining: '10.00', refund: '1.00', orderTotal: '3.00' })).toBe('3.33');
    expect(proportionalReversal({ original: '100.00', remaining: '20.00', refund: '50.00', orderTotal: '100.00' })).toBe('20.00');
  });

  it('a refund of the whole order is FULL, anything less PARTIAL', () => {
    expect(refundTypeOf('10000.00', '10000')).toBe('FULL');
    expect(refundTypeOf('9999.99', '10000')).toBe('PARTIAL');
  });
});

describe('the refund lifecycle', () => {
  it('PENDING → APPROVED → PROCESSED, or PENDING → REJECTED; nothing else', () => {
    expect(transitionRefund('PENDING', 'APPROVED')).toBe('APPROVED');
    expect(transitionRefund('APPROVED', 'PROCESSED')).toBe('PROCESSED');
    expect(transitionRefund('PENDING', 'REJECTED')).toBe('REJECTED');
    expect(() => transitionRefund('PENDING', 'PROCESSED')).toThrow(/PENDING to PROCESSED/);
    expect(() => transitionRefund('REJECTED', 'APPROVED')).toThrow();
    expect(() => transitionRefund('PROCESSED', 'REJECTED')).toThrow();
  });
});
