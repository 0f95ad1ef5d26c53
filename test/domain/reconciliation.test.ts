import { describe, expect, it } from 'vitest';
import {
  buildReport,
  itemsToExplain,
  previousDay,
  reconcilableDay,
  reportCsv,
  signOffRefusal,
  type ReportRow,
} from '../../domain/reconciliation.ts';

/** The pure part of the daily reconciliation (docs/rules.md#daily-reconciliation). */

const now = new Date('2026-12-06T10:00:00Z');

describe('reconcilableDay', () => {
  it('takes an ended UTC calendar day', () => {
    expect(reconcilableDay('2026-12-05', now)).toBe('2026-12-05');
    expect(reconcilableDay('2024-02-29', now)).toBe('2024-02-29');
  });

  it.each([
    ['2026-12-07', 'future_date'],
    ['2026-12-06', 'day_not_ended'],
    ['2026-02-29', 'invalid_date'],
    ['2026-1-05', 'invalid_date'],
    ['yesterday', 'invalid_date'],
  ])('refuses %s (%s), naming the field', (text, code) => {
    expect(() => reconcilableDay(text, now, 'body.date')).toThrow(expect.objectContaining({ code, field: 'body.date', kind: 'invalid' }));
  });

  it('steps back over a month and a year end', () => {
    expect(previousDay('2026-03-01')).toBe('2026-02-28');
    expect(previousDay('2027-01-01')).toBe('2026-12-31');
  });
});

const rows: ReportRow[] = [
  { section: 'variance', movement: null, owner_type: 'platform', bucket: 'fees_income', currency: 'USD', amount: '0.00' },
  { section: 'variance', movement: null, owner_type: 'partner', bucket: 'available', currency: 'USD', amount: '-1.50' },
  { section: 'movement', movement: 'fees', owner_type: 'platform', bucket: 'fees_income', currency: 'USD', amount: '2.00' },
  { section: 'movement', movement: 'commissions_created', owner_type: 'partner', bucket: 'commission_pending', currency: 'USD', amount: '10.10' },
  { section: 'opening', movement: null, owner_type: 'partner', bucket: 'available', currency: 'USD', amount: '5.000000' },
  { section: 'closing', movement: null, owner_type: 'partner', bucket: 'available', currency: 'USD', amount: '6.5' },
];

describe('buildReport and itemsToExplain', () => {
  it('orders movements by group and lines by owner type, bucket and currency, with exact normalised amounts', () => {
    const report = buildReport('2026-12-05', rows);
    expect(report.movements.map((line) => line.movement)).toEqual(['commissions_created', 'fees']);
    expect(report.opening).toEqual([{ ownerType: 'partner', bucket: 'available', currency: 'USD', amount: '5' }]);
    expect(report.variance.map((line) => `${line.ownerType}:${line.bucket}`)).toEqual(['partner:available', 'platform:fees_income']);
    expect(report.balanced).toBe(false);
    expect(buildReport('2026-12-05', [...rows].reverse())).toEqual(report);
  });

  it('lists each non-zero variance line and each rebuild finding as an item', () => {
    const report = buildReport('2026-12-05', rows);
    expect(itemsToExplain(report, [{ check: 'drifted_balance', subject: 'account 7', detail: {} }])).toEqual([
      'variance:partner:available:USD',
      'rebuild:drifted_balance:account 7',
    ]);
  });
});

describe('signOffRefusal', () => {
  const state = { status: 'AWAITING_SIGN_OFF', requestedBy: 'maker', items: ['variance:partner:available:USD'], findings: [{ item: 'variance:partner:available:USD' }] };
  it('lets a finance manager or director other than the runner sign an explained day', () => {
    expect(signOffRefusal(state, { userId: 'checker', role: 'finance_manager' })).toBeNull();
    expect(signOffRefusal({ ...state, requestedBy: null }, { userId: 'maker', role: 'finance_director' })).toBeNull();
  });
  it('refuses the runner, another role, an unexplained item and a second signature, each naming its field', () => {
    expect(signOffRefusal(state, { userId: 'maker', role: 'finance_director' })).toMatchObject({ code: 'maker_checker', field: 'role' });
    expect(signOffRefusal(state, { userId: 'checker', role: 'senior_admin' })).toMatchObject({ code: 'checker_role_required', field: 'role' });
    expect(signOffRefusal({ ...state, findings: [] }, { userId: 'checker', role: 'finance_manager' })).toMatchObject({ code: 'unexplained_items', field: 'findings' });
    expect(signOffRefusal({ ...state, status: 'SIGNED' }, { userId: 'checker', role: 'finance_manager' })).toMatchObject({ code: 'already_signed', field: 'date' });
  });
});

describe('reportCsv', () => {
  it('is deterministic CRLF CSV whose notes cannot start a spreadsheet formula', () => {
    const report = buildReport('2026-12-05', rows);
    const findings = [{ item: 'variance:partner:available:USD', note: '=HYPERLINK("x")', adjustmentId: null, recordedBy: 'u1', recordedAt: '2026-12-06T09:00:00.000Z' }];
    const signOff = { signedBy: 'u2', role: 'finance_director', signedAt: '2026-12-06T09:30:00.000Z' };
    const csv = reportCsv(report, [], findings, signOff);
    expect(csv).toBe(reportCsv(report, [], findings, signOff));
    expect(csv.split('\r\n')).toEqual([
      'day,section,movement,owner_type,bucket,currency,amount',
      '2026-12-05,opening,,partner,available,USD,5',
      '2026-12-05,movement,commissions_created,partner,commission_pending,USD,10.1',
      '2026-12-05,movement,fees,platform,fees_income,USD,2',
      '2026-12-05,closing,,partner,available,USD,6.5',
      '2026-12-05,variance,,partner,available,USD,-1.5',
      '2026-12-05,variance,,platform,fees_income,USD,0',
      `2026-12-05,finding,variance:partner:available:USD,"'=HYPERLINK(""x"")",,u1,2026-12-06T09:00:00.000Z`,
      '2026-12-05,signed_off,finance_director,u2,,,2026-12-06T09:30:00.000Z',
      '',
    ]);
  });
});
