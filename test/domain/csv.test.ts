import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, neutraliseFormula } from '../../domain/csv.ts';

/**
 * The one CSV writer every file uses (domain/csv.ts). RFC 4180 quoting and the OWASP formula characters are also
 * covered through the export files in test/domain/payout-export.test.ts; here, the rule for numbers and the line
 * endings.
 */

describe('formula neutralisation', () => {
  it.each(['=1+1', '+1+1', '-1+1', '@SUM(A1)', '\t=1', '\r=1', '-A1', '-', '+12.50', '-12.50e3', '- 12.50', '-.5'])('%j is text to a spreadsheet: a leading quote', (value) => {
    expect(neutraliseFormula(value)).toBe(`'${value}`);
  });

  it.each(['-12.50', '-1', '-0.000001', '12.50', '0'])('%j is a plain decimal number and stays one', (value) => {
    expect(neutraliseFormula(value)).toBe(value);
    expect(csvField(value)).toBe(value);
  });

  it('leaves a value alone that has the characters only after its start', () => {
    expect(neutraliseFormula('a=b')).toBe('a=b');
    expect(neutraliseFormula('')).toBe('');
  });
});

describe('records', () => {
  it('end with CRLF by default and with LF when asked, every field neutralised and quoted', () => {
    expect(csvRecord(['=HYPERLINK("http://x","y")', '-12.50', 'plain'])).toBe(`"'=HYPERLINK(""http://x"",""y"")",-12.50,plain\r\n`);
    expect(csvRecord(['@me', 'a,b'], '\n')).toBe(`'@me,"a,b"\n`);
  });
});
