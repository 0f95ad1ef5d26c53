import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../domain/payment-file.ts';
import { currencyScales, Money } from '../../domain/money.ts';
import {
  defaultMatchingRules,
  exceptionTransition,
  matchingRulesSchema,
  matchStatement,
  parseBankStatement,
  type LineItem,
  type MatchingRule,
  type PayoutItem,
} from '../../domain/statement-matching.ts';

/** Statement matching, the pure part (docs/rules.md#statement-matching). */

const payout = (id: string, amount: string, reference: string | null = `ref-${id}`, day = '2026-12-01', currency = 'USD'): PayoutItem => ({
  id, references: reference === null ? [id] : [reference, id], amount, currency, day,
});
const line = (id: string, amount: string, reference: string | null, valueDate = '2026-12-01', currency = 'USD'): LineItem => ({ id, reference, amount, currency, valueDate });
const exactReference: MatchingRule = { name: 'ref', shape: 'one_to_one', matchReference: true, amountTolerance: '0', dateToleranceDays: 0 };

describe('matchStatement', () => {
  it('matches one to one by reference, amount and date, and leaves the rest unmatched on both sides', () => {
    const result = matchStatement(
      [payout('a', '10.00'), payout('b', '20.00'), payout('c', '30.00')],
      [line('1', '10', 'ref-a'), line('2', '20.01', 'ref-b'), line('3', '5.00', 'other')],
      [exactReference],
    );
    expect(result.matches).toEqual([{ rule: 'ref', shape: 'one_to_one', payoutIds: ['a'], lineIds: ['1'], difference: '0' }]);
    expect(result.unmatchedPayoutIds).toEqual(['b', 'c']);
    expect(result.unmatchedLineIds).toEqual(['2', '3']);
  });

  it('applies the amount and date tolerance of the rule, and no more', () => {
    const loose: MatchingRule = { ...exactReference, amountTolerance: '0.01', dateToleranceDays: 1 };
    expect(matchStatement([payout('b', '20.00')], [line('2', '20.01', 'ref-b', '2026-12-02')], [loose]).matches[0]!.difference).toBe('-0.01');
    expect(matchStatement([payout('b', '20.00')], [line('2', '20.02', 'ref-b')], [loose]).matches).toEqual([]);
    expect(matchStatement([payout('b', '20.00')], [line('2', '20.00', 'ref-b', '2026-12-03')], [loose]).matches).toEqual([]);
    expect(matchStatement([payout('b', '20.00', 'ref-b', '2026-12-01', 'EUR')], [line('2', '20.00', 'ref-b')], [loose]).matches).toEqual([]);
  });

  it('matches a payout split over several lines (one to many) and several payouts paid as one line (many to one)', () => {
    const rules = defaultMatchingRules;
    const split = matchStatement([payout('a', '100.00')], [line('1', '60.00', 'ref-a'), line('2', '40.00', 'ref-a'), line('3', '40.00', 'ref-x')], rules);
    expect(split.matches).toEqual([{ rule: 'reference-split', shape: 'one_to_many', payoutIds: ['a'], lineIds: ['1', '2'], difference: '0' }]);
    expect(split.unmatchedLineIds).toEqual(['3']);
    const aggregate = matchStatement([payout('a', '10.00', 'batch-7'), payout('b', '15.50', 'batch-7'), payout('c', '1.00', 'batch-8')], [line('1', '25.5', 'batch-7')], rules);
    expect(aggregate.matches).toEqual([{ rule: 'reference-aggregate', shape: 'many_to_one', payoutIds: ['a', 'b'], lineIds: ['1'], difference: '0' }]);
    expect(aggregate.unmatchedPayoutIds).toEqual(['c']);
  });

  it('takes rules in order: an earlier rule wins an item a later rule could also match', () => {
    const byAmount: MatchingRule = { name: 'amount', shape: 'one_to_one', matchReference: false, amountTolerance: '0', dateToleranceDays: 0 };
    const items = [payout('a', '10.00'), payout('b', '10.00')];
    const lines = [line('1', '10.00', 'ref-b'), line('2', '10.00', null)];
    expect(matchStatement(items, lines, [exactReference, byAmount]).matches.map((m) => [m.rule, m.payoutIds, m.lineIds])).toEqual([
      ['ref', ['b'], ['1']],
      ['amount', ['a'], ['2']],
    ]);
    // Amount first: a takes line 1 (closest, then id order), and b the other.
    expect(matchStatement(items, lines, [byAmount, exactReference]).matches.map((m) => [m.rule, m.payoutIds, m.lineIds])).toEqual([
      ['amount', ['a'], ['1']],
      ['amount', ['b'], ['2']],
    ]);
  });

  it('refuses duplicate ids', () => {
    expect(() => matchStatement([payout('a', '1'), payout('a', '2')], [], [exactReference])).toThrow(RangeError);
  });

  const amount = fc.integer({ min: 1, max: 1_000_000 }).map((cents) => new Money(cents).dividedBy(100).toFixed());
  const scenario = fc.record({
    payouts: fc.uniqueArray(fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }), amount, ref: fc.constantFrom('r1', 'r2', 'r3', 'r4', null) }), {
      selector: (item) => item.id, maxLength: 12,
    }),
    lines: fc.uniqueArray(fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }), amount, ref: fc.constantFrom('r1', 'r2', 'r3', 'r4', null), day: fc.integer({ min: 1, max: 3 }) }), {
      selector: (item) => item.id, maxLength: 12,
    }),
  });

  it('property: every item is matched at most once or left unmatched, and each match is within its rule', () => {
    fc.assert(
      fc.property(scenario, ({ payouts, lines }) => {
        const payoutItems = payouts.map((p) => payout(p.id, p.amount, p.ref, '2026-12-02'));
        const lineItems = lines.map((l) => line(l.id, l.amount, l.ref, `2026-12-0${l.day}`));
        const result = matchStatement(payoutItems, lineItems, defaultMatchingRules);
        const matchedPayouts = result.matches.flatMap((m) => m.payoutIds);
        const matchedLines = result.matches.flatMap((m) => m.lineIds);
        expect(new Set(matchedPayouts).size).toBe(matchedPayouts.length);
        expect(new Set(matchedLines).size).toBe(matchedLines.length);
        expect([...matchedPayouts, ...result.unmatchedPayoutIds].sort()).toEqual(payoutItems.map((p) => p.id).sort());
        expect([...matchedLines, ...result.unmatchedLineIds].sort()).toEqual(lineItems.map((l) => l.id).sort());
        for (const match of result.matches) {
          const rule = defaultMatchingRules.find((r) => r.name === match.rule)!;
          const sumPayouts = match.payoutIds.reduce((s, id) => s.plus(payoutItems.find((p) => p.id === id)!.amount), new Money(0));
          const sumLines = match.lineIds.reduce((s, id) => s.plus(lineItems.find((l) => l.id === id)!.amount), new Money(0));
          expect(sumPayouts.minus(sumLines).toFixed()).toBe(match.difference);
          expect(sumPayouts.minus(sumLines).abs().lte(rule.amountTolerance)).toBe(true);
          if (rule.shape === 'one_to_one') expect([match.payoutIds.length, match.lineIds.length]).toEqual([1, 1]);
          if (rule.shape === 'one_to_many') expect(match.payoutIds.length).toBe(1);
          if (rule.shape === 'many_to_one') expect(match.lineIds.length).toBe(1);
          for (const lineId of match.lineIds) {
            const l = lineItems.find((item) => item.id === lineId)!;
            if (rule.matchReference) for (const id of match.payoutIds) expect(payoutItems.find((p) => p.id === id)!.references).toContain(l.reference);
          }
        }
        // Deterministic, whatever the input order.
        expect(matchStatement([...payoutItems].reverse(), [...lineItems].reverse(), defaultMatchingRules)).toEqual(result);
      }),
      { numRuns: 200 },
    );
  });

  it('property: a faithful statement (one line per payout, same reference and amount) matches everything', () => {
    fc.assert(
      fc.property(fc.uniqueArray(amount, { maxLength: 30 }), (amounts) => {
        const payouts = amounts.map((value, index) => payout(`p${index}`, value));
        const lines = amounts.map((value, index) => line(`l${index}`, value, `ref-p${index}`));
        const result = matchStatement(payouts, lines, defaultMatchingRules);
        expect(result.unmatchedPayoutIds).toEqual([]);
        expect(result.unmatchedLineIds).toEqual([]);
        expect(result.matches.every((m) => m.rule === 'reference-exact')).toBe(true);
      }),
    );
  });
});

describe('matching rules', () => {
  it('are validated as data: shape, tolerances, unique names', () => {
    expect(matchingRulesSchema.safeParse(defaultMatchingRules).success).toBe(true);
    const bad = matchingRulesSchema.safeParse([exactReference, { ...exactReference }]);
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual([1, 'name']);
    expect(matchingRulesSchema.safeParse([{ ...exactReference, amountTolerance: '-1' }]).success).toBe(false);
    expect(matchingRulesSchema.safeParse([{ ...exactReference, shape: 'many_to_many' }]).success).toBe(false);
  });
});

describe('exception lifecycle', () => {
  it('open -> acknowledged -> resolved or accepted; final states stay final', () => {
    expect(exceptionTransition('OPEN', 'acknowledge')).toEqual({ to: 'ACKNOWLEDGED' });
    expect(exceptionTransition('ACKNOWLEDGED', 'resolve')).toEqual({ to: 'RESOLVED' });
    expect(exceptionTransition('OPEN', 'accept')).toEqual({ to: 'ACCEPTED' });
    expect(exceptionTransition('ACKNOWLEDGED', 'acknowledge')).toHaveProperty('refused');
    expect(exceptionTransition('RESOLVED', 'accept')).toHaveProperty('refused');
    expect(exceptionTransition('ACCEPTED', 'resolve')).toHaveProperty('refused');
  });
});

describe('parseBankStatement', () => {
  const scaleOf = (currency: string) => currencyScales[currency];
  const parse = (text: string) => parseBankStatement(parseCsv(text, ','), scaleOf);

  it('reads a well-formed statement', () => {
    const result = parse('line_id,reference,amount,currency,value_date\r\nB1,PAY-1,10.50,USD,2026-12-01\r\nB2,,3,USD,2026-12-01\r\n');
    expect(result.problems).toEqual([]);
    expect(result.lines).toEqual([
      { lineId: 'B1', reference: 'PAY-1', amount: '10.5', currency: 'USD', valueDate: '2026-12-01' },
      { lineId: 'B2', reference: null, amount: '3', currency: 'USD', valueDate: '2026-12-01' },
    ]);
  });

  it('names every bad line and field, and keeps no line of a bad file', () => {
    const result = parse(
      'line_id,reference,amount,currency,value_date\nB1,x,10.50,USD,2026-12-01\nB2,x,-1,USD,2026-12-01\nB3,x,1.001,USD,2026-02-30\nB1,x,1,XXX,2026-12-01\nB5,x\n',
    );
    expect(result.lines).toEqual([]);
    expect(result.problems).toEqual([
      { line: 3, field: 'amount', message: 'must be positive' },
      { line: 4, field: 'amount', message: 'USD takes at most 2 decimal places' },
      { line: 4, field: 'value_date', message: '2026-02-30 is not a date as YYYY-MM-DD' },
      { line: 5, field: 'line_id', message: 'B1 repeats line 2' },
      { line: 5, field: 'currency', message: 'XXX is not a known currency' },
      { line: 6, field: 'columns', message: 'expected 5 fields, got 2' },
    ]);
    expect(parse('id,amount\n1,2\n').problems[0]).toMatchObject({ line: 1, field: 'header' });
  });
});
