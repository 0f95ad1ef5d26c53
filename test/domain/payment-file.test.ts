import { describe, expect, it } from 'vitest';
import { CloseRequestError, linesOfLists, matchCloseLines, parseCsv, parseResultFile, paymentFileStatus } from '../../domain/payment-file.ts';

/** The pure part of docs/rules.md#payment-files: reading a bank's result file, the lists, matching, the status. */

const a = '6b0c1f7e-8a0d-4c53-9d0e-0d4cf1d1a0e1';
const b = '0f3a9b1c-2d4e-4f60-8a7b-9c0d1e2f3a9d';

function problemsOf(work: () => unknown): string[] {
  try {
    work();
  } catch (error) {
    if (error instanceof CloseRequestError) return error.problems.map((problem) => `${problem.field}: ${problem.message}`);
    throw error;
  }
  throw new Error('no problem found');
}

describe('the result file', () => {
  it('reads what a bank plausibly sends: BOM, semicolons, any header case and order, extra columns, quotes, blank and TOTAL rows', () => {
    const text = `\uFEFFAmount;STATUS;Reference;failure_code;Reason\r\n95.00;paid;${a};;\r\n\r\n95.00;Failed;"'${b}";account_closed;"closed; ""returned"""\r\nTOTAL;2;190.00;USD\r\n`;
    expect(parseResultFile(text)).toEqual([
      { field: 'body.resultFile', line: 2, reference: a, decision: 'PAID', failureCode: null, reason: null },
      { field: 'body.resultFile', line: 4, reference: b, decision: 'FAILED', failureCode: 'ACCOUNT_CLOSED', reason: 'closed; "returned"' },
    ]);
  });

  it('reads comma-separated LF files with synonyms of the statuses, and counts lines across quoted line breaks', () => {
    const text = `reference,status,failureCode,reason\n${a},COMPLETED,,\n${b},RETURNED,NAME_MISMATCH,"two\nlines"\n`;
    const lines = parseResultFile(text);
    expect(lines.map((line) => [line.line, line.decision, line.failureCode, line.reason])).toEqual([
      [2, 'PAID', null, null],
      [3, 'FAILED', 'NAME_MISMATCH', 'two\nlines'],
    ]);
    expect(parseCsv('x,y\n"a\nb",c\nd,e', ',').map((record) => record.line)).toEqual([1, 2, 4]);
  });

  it('names every bad line: no header column, an unknown status or code, a FAILED without a code, an empty reference', () => {
    expect(problemsOf(() => parseResultFile('payout,result_code\r\n1,2\r\n'))).toEqual([
      'body.resultFile: line 1: the header has no reference and status column (expected reference,status,failureCode,reason)',
    ]);
    expect(problemsOf(() => parseResultFile(`reference,status,failureCode\n${a},MAYBE,\n${b},FAILED,\n${a},FAILED,NOPE\n,PAID,\n`))).toEqual([
      'body.resultFile: line 2: status "MAYBE" is neither PAID nor FAILED',
      'body.resultFile: line 3: a FAILED payout needs a failure code',
      'body.resultFile: line 4: failure code "NOPE" is unknown',
      'body.resultFile: line 5: reference is empty',
    ]);
    expect(problemsOf(() => parseResultFile(''))).toEqual(['body.resultFile: the file is empty: it needs a header row and one row per payout']);
    expect(problemsOf(() => parseResultFile('reference,status\n'))).toEqual(['body.resultFile: the file names no payout']);
    expect(problemsOf(() => parseResultFile(`reference,status\n"${a},PAID\n`))).toEqual(['body.resultFile: line 2: a quoted field is not closed']);
  });
});

describe('the lists and the matching', () => {
  it('turns paid and failed lists into lines naming their index', () => {
    expect(linesOfLists({ paid: [a], failed: [{ reference: b, failureCode: 'invalid_account', reason: 'no' }] })).toEqual([
      { field: 'body.paid[0]', line: 0, reference: a, decision: 'PAID', failureCode: null, reason: null },
      { field: 'body.failed[0]', line: 0, reference: b, decision: 'FAILED', failureCode: 'INVALID_ACCOUNT', reason: 'no' },
    ]);
    expect(problemsOf(() => linesOfLists({ failed: [{ reference: b, failureCode: 'LATER' }] }))).toEqual(['body.failed[0].failureCode: failure code "LATER" is unknown']);
    expect(problemsOf(() => linesOfLists({}))).toEqual(['body: name at least one reference in paid or failed']);
  });

  it('refuses an unknown reference, another file’s payout and a reference named twice, each at its place', () => {
    const file = new Map([[a, { payoutId: a }]]);
    const lines = linesOfLists({ paid: [a, b, 'nope'], failed: [{ reference: a.toUpperCase(), failureCode: 'TIMEOUT' }] });
    expect(problemsOf(() => matchCloseLines(lines, file, (reference) => reference === b))).toEqual([
      `body.paid[1]: payout ${b} is not in this file`,
      'body.paid[2]: reference "nope" is unknown',
      `body.failed[0].reference: reference ${a.toUpperCase()} is named twice (also at body.paid[0])`,
    ]);
    expect(matchCloseLines(linesOfLists({ paid: [a.toUpperCase()] }), file, () => false)).toMatchObject([{ payoutId: a }]);
  });
});

describe('the file’s status', () => {
  it('is LOCKING until locked, then CLOSED when every payout is terminal, CLOSING while a close runs, else OPEN', () => {
    expect(paymentFileStatus({ locked: false, closing: false, terminal: 0, total: 0 })).toBe('LOCKING');
    expect(paymentFileStatus({ locked: true, closing: false, terminal: 0, total: 0 })).toBe('CLOSED');
    expect(paymentFileStatus({ locked: true, closing: true, terminal: 1, total: 3 })).toBe('CLOSING');
    expect(paymentFileStatus({ locked: true, closing: false, terminal: 1, total: 3 })).toBe('OPEN');
    expect(paymentFileStatus({ locked: true, closing: true, terminal: 3, total: 3 })).toBe('CLOSED');
  });
});
