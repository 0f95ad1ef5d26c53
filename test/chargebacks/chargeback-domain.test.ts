import { describe, expect, it } from 'vitest';
import { amountWonOf, penaltyFor, recreditShare, transitionChargeback } from '../../domain/chargeback.ts';
import { defaultChargebackPolicy } from '../../domain/lifecycle-policy.ts';

describe('the chargeback penalty matrix (docs/rules.md#chargeback-penalties)', () => {
  it('gives a warning, monitoring, an account review, then suspension from the fourth chargeback on', () => {
    const penalties = defaultChargebackPolicy.penalties;
    expect([1, 2, 3, 4, 5, 12].map((count) => penaltyFor(count, penalties))).toEqual([
      'WARNING', 'MONITORING', 'ACCOUNT_REVIEW', 'SUSPENSION', 'SUSPENSION', 'SUSPENSION',
    ]);
  });

  it('reads the last row at or below the count, whatever the rows’ order, and nothing below the first row', () => {
    const penalties = [{ fromCount: 5, penalty: 'SUSPENSION' as const }, { fromCount: 2, penalty: 'WARNING' as const }];
    expect(penaltyFor(1, penalties)).toBeNull();
    expect(penaltyFor(4, penalties)).toBe('WARNING');
    expect(penaltyFor(5, penalties)).toBe('SUSPENSION');
    expect(() => penaltyFor(0, penalties)).toThrow(RangeError);
  });
});

describe('chargeback transitions', () => {
  it('moves the investigation forward, allows an outcome at any stage, and refuses anything after one', () => {
    expect(transitionChargeback('OPEN', 'SUBMITTED_TO_PROVIDER')).toBe('SUBMITTED_TO_PROVIDER');
    expect(transitionChargeback('EVIDENCE_GATHERED', 'EVIDENCE_GATHERED')).toBe('EVIDENCE_GATHERED');
    expect(transitionChargeback('OPEN', 'LOST')).toBe('LOST');
    expect(() => transitionChargeback('AWAITING_DECISION', 'EVIDENCE_GATHERED')).toThrow(/back/);
    expect(() => transitionChargeback('WON', 'LOST')).toThrow(/decided/);
    expect(() => transitionChargeback('EVIDENCE_GATHERED', 'OPEN')).toThrow();
  });
});

describe('what an outcome gives back', () => {
  it('WON gives back the whole reversal, PARTIAL its share floored to cents, LOST nothing', () => {
    expect(recreditShare({ reversed: '32.00', won: '400.00', amount: '400.00' })).toBe('32.00');
    expect(recreditShare({ reversed: '32.00', won: '100.00', amount: '400.00' })).toBe('8.00');
    // 10.00 × 1/3 = 3.333… is floored to 3.33: a re-credit never exceeds what was taken.
    expect(recreditShare({ reversed: '10.00', won: '1.00', amount: '3.00' })).toBe('3.33');
    expect(amountWonOf('WON', '400.00', null)).toBe('400');
    expect(amountWonOf('LOST', '400.00', null)).toBe('0');
    expect(amountWonOf('PARTIAL', '400.00', '100.50')).toBe('100.5');
    expect(() => amountWonOf('PARTIAL', '400.00', '400.00')).toThrow(RangeError);
    expect(() => amountWonOf('PARTIAL', '400.00', '0')).toThrow(RangeError);
    expect(() => amountWonOf('PARTIAL', '400.00', null)).toThrow(RangeError);
  });
});
