import { isFailureCode, type PayoutFailureCode } from './payout.ts';

/**
 * Payment files (docs/rules.md#payment-files): a PAYQUICKER or METHOD_BATCH export locks the payouts it lists, and is
 * closed by marking them paid or failed in bulk, from the bank's result file or from lists of references. Pure: the
 * parsing and checking of a close request, the file's status from its counts, the workflows' ids.
 */

export const paymentFileStatuses = ['LOCKING', 'OPEN', 'CLOSING', 'CLOSED'] as const;
export type PaymentFileStatus = (typeof paymentFileStatuses)[number];

export interface PaymentFileCounts {
  total: number;
  processing: number;
  completed: number;
  failed: number;
  /** Neither PROCESSING nor COMPLETED nor FAILED: APPROVED ones the lock could not move, or an automatic method's. */
  other: number;
}

/**
 * LOCKING until the lock workflow has moved the manual payouts to PROCESSING; CLOSED once every payout in it is
 * terminal; CLOSING while a bulk close runs; OPEN otherwise.
 */
export function paymentFileStatus(input: { locked: boolean; closing: boolean; terminal: number; total: number }): PaymentFileStatus {
  if (!input.locked) return 'LOCKING';
  if (input.terminal === input.total) return 'CLOSED';
  return input.closing ? 'CLOSING' : 'OPEN';
}

/** `payment-file-<exportId>`: moves the file's manual payouts to PROCESSING. */
export const paymentFileLockWorkflowId = (exportId: string) => `payment-file-${exportId}`;
/** `payment-file-<exportId>-close-<n>`: delivers the n-th bulk close's decisions. */
export const paymentFileCloseWorkflowId = (exportId: string, closeNo: number) => `payment-file-${exportId}-close-${closeNo}`;
/** The update ids: one per payout and step, so a re-delivery after a crash never runs twice. */
export const paymentFileLockUpdateId = (exportId: string, payoutId: string) => `payment-file-${exportId}-lock-${payoutId}`;
export const paymentFileCloseUpdateId = (exportId: string, closeNo: number, payoutId: string) => `payment-file-${exportId}-close-${closeNo}-${payoutId}`;

/** One decision of a close request, before it is matched to the file's payouts. */
export interface CloseLine {
  /** Where it came from, for the 422: `body.resultFile` line n, or `body.paid[i]` / `body.failed[i]`. */
  field: string;
  /** The result file's line (header = 1) or the list index. */
  line: number;
  reference: string;
  decision: 'PAID' | 'FAILED';
  failureCode: PayoutFailureCode | null;
  reason: string | null;
}

/** A problem with one line or field of a close request: the whole request is refused, nothing changes. */
export interface CloseProblem {
  field: string;
  message: string;
}

export class CloseRequestError extends Error {
  constructor(readonly problems: readonly CloseProblem[]) {
    super(problems.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
  }
}

/** At most this many decisions in one close (a payment file holds at most maxExportRows payouts). */
export const maxCloseLines = 50_000;
const maxReasonLength = 500;

/**
 * Splits CSV text into records of fields (RFC 4180: quoted fields may hold the delimiter, doubled quotes and line
 * breaks), with the physical line each record starts on. CRLF, LF or CR line ends; a UTF-8 BOM is dropped.
 */
export function parseCsv(text: string, delimiter: string): { line: number; fields: string[] }[] {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let index = 0;
  const endRecord = () => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (index < source.length) {
    const char = source[index]!;
    if (quoted) {
      if (char === '"') {
        if (source[index + 1] === '"') {
          field += '"';
          index += 2;
          continue;
        }
        quoted = false;
      } else {
        if (char === '\n' || (char === '\r' && source[index + 1] !== '\n')) line += 1;
        field += char;
      }
      index += 1;
      continue;
    }
    if (char === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (char === delimiter) {
      fields.push(field);
      field = '';
    } else if (char === '\r' || char === '\n') {
      if (char === '\r' && source[index + 1] === '\n') index += 1;
      endRecord();
      line += 1;
      recordLine = line;
    } else {
      field += char;
    }
    index += 1;
  }
  if (quoted) throw new CloseRequestError([{ field: 'body.resultFile', message: `line ${recordLine}: a quoted field is not closed` }]);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

const columnAliases: Record<string, 'reference' | 'status' | 'failureCode' | 'reason'> = {
  reference: 'reference',
  ref: 'reference',
  payoutid: 'reference',
  payout_id: 'reference',
  clientpaymentid: 'reference',
  status: 'status',
  result: 'status',
  failurecode: 'failureCode',
  failure_code: 'failureCode',
  reason: 'reason',
  message: 'reason',
};

const paidWords = new Set(['PAID', 'COMPLETED', 'SUCCESS', 'OK']);
const failedWords = new Set(['FAILED', 'REJECTED', 'RETURNED', 'ERROR']);

/** A cell as we may have written it: spreadsheet neutralising quote (domain/csv.ts) and surrounding spaces removed. */
function cell(value: string | undefined): string {
  const trimmed = (value ?? '').trim();
  return trimmed.startsWith("'") ? trimmed.slice(1).trim() : trimmed;
}

/**
 * The bank's result file (docs/rules.md#payment-files): a header row naming at least `reference` and `status`
 * (any case and order; `failureCode`/`failure_code`, `reason` optional; other columns ignored), comma- or
 * semicolon-separated (the header decides), one row per payout. Status PAID or FAILED (any case; COMPLETED,
 * SUCCESS, OK read as PAID; REJECTED, RETURNED, ERROR as FAILED); a FAILED row names a failure code. Blank rows and
 * a trailing `TOTAL` control row are skipped. Every problem is collected, each naming its line.
 */
export function parseResultFile(text: string): CloseLine[] {
  const firstLine = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r\n|\n|\r/, 1)[0] ?? '';
  const delimiter = firstLine.includes(';') && !firstLine.includes(',') ? ';' : firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  const records = parseCsv(text, delimiter).filter((record) => record.fields.some((value) => value.trim() !== ''));
  const [header, ...rows] = records;
  if (!header) throw new CloseRequestError([{ field: 'body.resultFile', message: 'the file is empty: it needs a header row and one row per payout' }]);
  const columns = new Map<string, number>();
  header.fields.forEach((name, index) => {
    const known = columnAliases[cell(name).toLowerCase().replaceAll(/[\s-]/g, '')];
    if (known && !columns.has(known)) columns.set(known, index);
  });
  const missing = ['reference', 'status'].filter((name) => !columns.has(name));
  if (missing.length > 0) {
    throw new CloseRequestError([{ field: 'body.resultFile', message: `line ${header.line}: the header has no ${missing.join(' and ')} column (expected reference,status,failureCode,reason)` }]);
  }
  const problems: CloseProblem[] = [];
  const lines: CloseLine[] = [];
  for (const row of rows) {
    const at = (name: string) => (columns.has(name) ? cell(row.fields[columns.get(name)!]) : '');
    const reference = at('reference');
    // A control-total row (ours starts with TOTAL; a bank's may put it under the reference).
    if (reference.toUpperCase() === 'TOTAL' || cell(row.fields[0]).toUpperCase() === 'TOTAL') continue;
    const field = `body.resultFile`;
    const where = `line ${row.line}`;
    const status = at('status').toUpperCase();
    const failure = at('failureCode').toUpperCase();
    const reason = at('reason');
    if (reference === '') {
      problems.push({ field, message: `${where}: reference is empty` });
      continue;
    }
    let decision: 'PAID' | 'FAILED';
    if (paidWords.has(status)) decision = 'PAID';
    else if (failedWords.has(status)) decision = 'FAILED';
    else {
      problems.push({ field, message: `${where}: status ${JSON.stringify(at('status'))} is neither PAID nor FAILED` });
      continue;
    }
    const checked = checkDecision({ field, where, decision, failure, reason }, problems);
    if (checked) lines.push({ field, line: row.line, reference, decision, ...checked });
  }
  if (problems.length > 0) throw new CloseRequestError(problems);
  if (lines.length === 0) throw new CloseRequestError([{ field: 'body.resultFile', message: 'the file names no payout' }]);
  return lines;
}

/** `{ paid: [reference…], failed: [{ reference, failureCode, reason? }] }` as lines, each naming its list index. */
export function linesOfLists(input: { paid?: readonly string[]; failed?: readonly { reference: string; failureCode: string; reason?: string | null }[] }): CloseLine[] {
  const problems: CloseProblem[] = [];
  const lines: CloseLine[] = [];
  (input.paid ?? []).forEach((reference, index) => {
    const value = cell(reference);
    if (value === '') problems.push({ field: `body.paid[${index}]`, message: 'reference is empty' });
    else lines.push({ field: `body.paid[${index}]`, line: index, reference: value, decision: 'PAID', failureCode: null, reason: null });
  });
  (input.failed ?? []).forEach((item, index) => {
    const field = `body.failed[${index}]`;
    const reference = cell(item.reference);
    if (reference === '') {
      problems.push({ field: `${field}.reference`, message: 'reference is empty' });
      return;
    }
    const checked = checkDecision({ field: `${field}.failureCode`, where: '', decision: 'FAILED', failure: cell(item.failureCode).toUpperCase(), reason: cell(item.reason ?? '') }, problems);
    if (checked) lines.push({ field, line: index, reference, decision: 'FAILED', ...checked });
  });
  if (problems.length > 0) throw new CloseRequestError(problems);
  if (lines.length === 0) throw new CloseRequestError([{ field: 'body', message: 'name at least one reference in paid or failed' }]);
  return lines;
}

function checkDecision(
  input: { field: string; where: string; decision: 'PAID' | 'FAILED'; failure: string; reason: string },
  problems: CloseProblem[],
): { failureCode: PayoutFailureCode | null; reason: string | null } | null {
  const prefix = input.where === '' ? '' : `${input.where}: `;
  if (input.reason.length > maxReasonLength) {
    problems.push({ field: input.field, message: `${prefix}reason is longer than ${maxReasonLength} characters` });
    return null;
  }
  if (input.decision === 'PAID') return { failureCode: null, reason: null };
  if (input.failure === '') {
    problems.push({ field: input.field, message: `${prefix}a FAILED payout needs a failure code` });
    return null;
  }
  if (!isFailureCode(input.failure)) {
    problems.push({ field: input.field, message: `${prefix}failure code ${JSON.stringify(input.failure)} is unknown` });
    return null;
  }
  return { failureCode: input.failure, reason: input.reason === '' ? null : input.reason };
}

/** Where a line came from, in a problem's message. */
export function placeOf(line: CloseLine): string {
  return line.field === 'body.resultFile' ? `line ${line.line}` : line.field;
}

/**
 * Matches the lines to the file's payouts (by payout id, the reference column of the files we write): an unknown
 * reference, a payout of another file, and a reference named twice are problems naming their line.
 */
export function matchCloseLines(
  lines: readonly CloseLine[],
  fileItems: ReadonlyMap<string, { payoutId: string }>,
  inOtherFile: (reference: string) => boolean,
): { line: CloseLine; payoutId: string }[] {
  const problems: CloseProblem[] = [];
  const seen = new Map<string, CloseLine>();
  const matched: { line: CloseLine; payoutId: string }[] = [];
  if (lines.length > maxCloseLines) throw new CloseRequestError([{ field: lines[0]!.field, message: `more than ${maxCloseLines} decisions in one close` }]);
  for (const line of lines) {
    const key = line.reference.toLowerCase();
    const item = fileItems.get(key);
    const field = line.field === 'body.resultFile' ? line.field : line.field.endsWith(']') && line.decision === 'FAILED' ? `${line.field}.reference` : line.field;
    const where = line.field === 'body.resultFile' ? `line ${line.line}: ` : '';
    if (!item) {
      problems.push({ field, message: `${where}${inOtherFile(key) ? `payout ${line.reference} is not in this file` : `reference ${JSON.stringify(line.reference)} is unknown`}` });
      continue;
    }
    const earlier = seen.get(key);
    if (earlier) {
      problems.push({ field, message: `${where}reference ${line.reference} is named twice (also at ${placeOf(earlier)})` });
      continue;
    }
    seen.set(key, line);
    matched.push({ line, payoutId: item.payoutId });
  }
  if (problems.length > 0) throw new CloseRequestError(problems);
  return matched;
}

/**
 * How a payment file's workflows deliver: `chunkSize` payouts per delivery activity, `concurrency` updates in flight,
 * a new run (continue-as-new) every `chunksPerRun` chunks so the history stays small for any file, and the
 * delivery activity's heartbeat timeout (how soon a killed worker's chunk is delivered again by another).
 */
export interface PaymentFileDelivery {
  chunkSize: number;
  concurrency: number;
  chunksPerRun: number;
  heartbeatSeconds: number;
}
export const paymentFileDeliveryDefaults: PaymentFileDelivery = { chunkSize: 500, concurrency: 64, chunksPerRun: 6, heartbeatSeconds: 10 };
