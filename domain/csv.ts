/**
 * CSV as every file ledgerflow produces writes it (the payout exports, the bulk-adjustment report, the console's
 * "Export selected"): RFC 4180 quoting, and every cell made safe to open in a spreadsheet.
 *
 * CSV injection (OWASP): a spreadsheet runs a cell that begins with = + - @, TAB or CR as a formula, so a partner
 * whose name is `=HYPERLINK(...)` could make an admin's spreadsheet fetch a URL or run a command. Such a cell gets a
 * leading single quote, which the spreadsheet shows as text. A cell that is a plain decimal number (`-12.50`,
 * `100.00`) is left as it is: a spreadsheet reads it as a number, never as a formula, and an amount column must stay
 * numeric (docs/decisions.md, "CSV formula neutralisation").
 */

/** The characters a spreadsheet takes as the start of a formula (OWASP's list: = + - @, TAB, CR). */
const formulaStart = /^[=+\-@\t\r]/;
/** An optional minus, digits, optionally a point and more digits: a number to a spreadsheet, nothing more. */
const plainDecimal = /^-?\d+(\.\d+)?$/;
const needsQuotes = /[",\r\n]/;

/** The cell's text as a spreadsheet may safely read it: a leading quote before anything that would start a formula. */
export function neutraliseFormula(value: string): string {
  return formulaStart.test(value) && !plainDecimal.test(value) ? `'${value}` : value;
}

/** One field: injection-safe first, then quoted by RFC 4180 when it must be. */
export function csvField(value: string): string {
  const safe = neutraliseFormula(value);
  return needsQuotes.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * One record, terminated by `lineEnding`: CRLF as RFC 4180 writes it (the export files), or LF where a file has
 * always used it (the bulk-adjustment report, the console's export).
 */
export function csvRecord(fields: readonly string[], lineEnding: '\r\n' | '\n' = '\r\n'): string {
  return `${fields.map(csvField).join(',')}${lineEnding}`;
}
