import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { userInfo } from 'node:os';
import type { Database } from '../db/pool.ts';
import { importFields, type ImportField, type ImportInput, type ImportProgress, type ImportRejection } from '../domain/network-import.ts';
import { importPartners } from '../modules/network/import-partners.ts';

/** The CSV header's names for the import fields. */
export const csvColumns: Record<ImportField, string> = {
  id: 'id',
  name: 'name',
  sponsorId: 'sponsor_id',
  rank: 'rank',
  status: 'status',
  kycStatus: 'kyc_status',
  joinedAt: 'joined_at',
};
const fieldOfColumn = new Map(Object.entries(csvColumns).map(([field, column]) => [column, field as ImportField]));

/** A quoted field may span lines; one still open after this many lines is taken for a stray quote. */
const csvRecordLinesMax = 100;
const errorsShown = 20;

export interface NetworkImportOptions {
  file: string;
  reportFile?: string;
  openDatabase: () => Promise<Database>;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream;
}

class ImportFileError extends Error {}

/**
 * `ledgerflow network import <file.csv|file.ndjson> [--report errors.ndjson]`. Exit code 0 when every line was
 * imported, 2 when some were rejected (each named in the report), 1 when the import could not run.
 */
export async function runNetworkImport(options: NetworkImportOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  try {
    const format = formatOf(options.file);
    const size = (await stat(options.file).catch(() => {
      throw new ImportFileError(`cannot read ${options.file}`);
    })).size;
    const database = await options.openDatabase();
    const progress = new ProgressDisplay(stderr, size);
    const source = createReadStream(options.file);
    const lines = format === 'csv' ? readCsv(source) : readNdjson(source);
    let result;
    try {
      result = await importPartners(database, lines, (update) => progress.update(update, source.bytesRead), {
        actor: `system:network-import:${safeUserName()}`,
      });
    } finally {
      progress.finish();
      await database.end();
    }
    const rejected = format === 'csv' ? result.rejected.map(toCsvNames) : result.rejected;
    if (options.reportFile) {
      await writeFile(options.reportFile, rejected.map((rejection) => `${JSON.stringify(rejection)}\n`).join(''));
    }
    const linesPerSecond = Math.round(result.read / Math.max(result.elapsedSeconds, 1e-3));
    stdout.write(
      `${JSON.stringify(
        {
          file: options.file,
          importId: result.importId,
          lines: result.read,
          imported: result.imported,
          rejected: rejected.length,
          seconds: Number(result.elapsedSeconds.toFixed(1)),
          linesPerSecond,
          report: options.reportFile ?? null,
        },
        null,
        2,
      )}\n`,
    );
    if (rejected.length > 0) {
      for (const rejection of rejected.slice(0, errorsShown)) {
        stderr.write(`line ${rejection.line}${rejection.field ? ` (${rejection.field})` : ''}: ${rejection.message}\n`);
      }
      if (rejected.length > errorsShown) {
        const rest = rejected.length - errorsShown;
        stderr.write(`… and ${rest} more${options.reportFile ? ` in ${options.reportFile}` : ' (--report FILE writes them all)'}\n`);
      }
      return 2;
    }
    return 0;
  } catch (error) {
    stderr.write(`ledgerflow: network import: ${(error as Error).message}\n`);
    return 1;
  }
}

function formatOf(file: string): 'csv' | 'ndjson' {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  throw new ImportFileError(`cannot tell the format of ${file}: name it .csv or .ndjson`);
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The store names fields as NDJSON does; a CSV user reads the header's names. */
function toCsvNames(rejection: ImportRejection): ImportRejection {
  const rename = (text: string) => text.replace(/\b(sponsorId|kycStatus|joinedAt)\b/g, (name) => csvColumns[name as ImportField]);
  return { line: rejection.line, field: rejection.field === null ? null : rename(rejection.field), message: rename(rejection.message) };
}

async function* numberedLines(source: NodeJS.ReadableStream): AsyncGenerator<[number, string]> {
  const reader = createInterface({ input: source, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const text of reader) {
    lineNumber += 1;
    yield [lineNumber, lineNumber === 1 ? text.replace(/^\uFEFF/, '') : text];
  }
}

/** NDJSON: one object a line, keys as the store names them; blank lines are skipped. */
export async function* readNdjson(source: NodeJS.ReadableStream): AsyncGenerator<ImportInput> {
  for await (const [line, text] of numberedLines(source)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, malformed: `not JSON: ${(error as Error).message}` };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, malformed: 'not a JSON object' };
      continue;
    }
    const unknownKey = Object.keys(value).find((key) => !(importFields as readonly string[]).includes(key));
    if (unknownKey !== undefined) {
      yield { line, malformed: `unknown field ${JSON.stringify(unknownKey)}`, field: unknownKey };
      continue;
    }
    yield { ...(value as Record<string, unknown>), line };
  }
}

/** CSV (RFC 4180): a header naming the seven columns in any order, quoted fields with "" for a quote. */
export async function* readCsv(source: NodeJS.ReadableStream): AsyncGenerator<ImportInput> {
  const reader = new CsvRecords();
  let columns: ImportField[] | null = null;
  for await (const [line, text] of numberedLines(source)) {
    for (const record of reader.push(line, text)) {
      if (columns === null) {
        columns = headerColumns(record);
        continue;
      }
      yield toInput(columns, record);
    }
  }
  for (const record of reader.end()) {
    if (columns === null) {
      columns = headerColumns(record);
      continue;
    }
    yield toInput(columns, record);
  }
  if (columns === null) throw new ImportFileError(`the file is empty: the first line must be the header ${Object.values(csvColumns).join(',')}`);
}

function headerColumns(record: CsvRecord): ImportField[] {
  if ('error' in record) throw new ImportFileError(`line ${record.line}: the header is not valid CSV: ${record.error}`);
  const expected = Object.values(csvColumns).join(',');
  const fields = record.fields.map((name) => {
    const field = fieldOfColumn.get(name.trim().toLowerCase());
    if (!field) throw new ImportFileError(`line ${record.line}: unknown column "${name}" in the header; expected ${expected}`);
    return field;
  });
  const missing = importFields.filter((field) => !fields.includes(field));
  if (missing.length > 0) throw new ImportFileError(`line ${record.line}: the header lacks ${missing.map((field) => csvColumns[field]).join(', ')}; expected ${expected}`);
  if (new Set(fields).size !== fields.length) throw new ImportFileError(`line ${record.line}: the header names a column twice`);
  return fields;
}

function toInput(columns: ImportField[], record: CsvRecord): ImportInput {
  if ('error' in record) return { line: record.line, malformed: record.error };
  if (record.fields.length !== columns.length) {
    return { line: record.line, malformed: `expected ${columns.length} fields, found ${record.fields.length}` };
  }
  const input: ImportInput = { line: record.line };
  columns.forEach((field, index) => {
    input[field] = record.fields[index];
  });
  return input;
}

type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

/**
 * Splits physical lines into CSV records. A record whose quoted field is still open at the end of a line
 * continues on the next; one still open after `csvRecordLinesMax` lines (or at the end of the file) is rejected
 * as an unterminated quote, and its following lines are read again as records of their own.
 */
export class CsvRecords {
  #pending: [number, string][] = [];

  *push(line: number, text: string): Generator<CsvRecord> {
    this.#pending.push([line, text]);
    yield* this.#drain(false);
  }

  *end(): Generator<CsvRecord> {
    yield* this.#drain(true);
  }

  *#drain(atEnd: boolean): Generator<CsvRecord> {
    while (this.#pending.length > 0) {
      const [line, first] = this.#pending[0]!;
      if (this.#pending.length === 1 && first === '') {
        this.#pending = [];
        return;
      }
      const text = this.#pending.map(([, part]) => part).join('\n');
      const parsed = parseCsvRecord(text);
      if (parsed !== 'open') {
        this.#pending = [];
        yield typeof parsed === 'string' ? { line, error: parsed } : { line, fields: parsed };
        return;
      }
      if (!atEnd && this.#pending.length < csvRecordLinesMax) return;
      // A stray quote: reject the first line and read the rest again.
      yield { line, error: 'a quoted field is not closed' };
      this.#pending = this.#pending.slice(1);
      if (!atEnd) {
        const again = this.#pending;
        this.#pending = [];
        for (const [nextLine, nextText] of again) yield* this.push(nextLine, nextText);
        return;
      }
    }
  }
}

/** One CSV record: its fields, 'open' when a quoted field runs past the end, or an error message. */
export function parseCsvRecord(text: string): string[] | 'open' | string {
  const fields: string[] = [];
  let position = 0;
  for (;;) {
    if (text[position] === '"') {
      let value = '';
      position += 1;
      for (;;) {
        const quote = text.indexOf('"', position);
        if (quote === -1) return 'open';
        value += text.slice(position, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          position = quote + 2;
          continue;
        }
        position = quote + 1;
        break;
      }
      fields.push(value);
      if (position === text.length) return fields;
      if (text[position] !== ',') return `unexpected text after the closing quote of field ${fields.length}`;
      position += 1;
    } else {
      const comma = text.indexOf(',', position);
      const value = comma === -1 ? text.slice(position) : text.slice(position, comma);
      if (value.includes('"')) return `a quote inside unquoted field ${fields.length + 1}: quote the whole field and double the quote`;
      fields.push(value);
      if (comma === -1) return fields;
      position = comma + 1;
    }
  }
}

/**
 * Progress on stderr: on a terminal one line rewritten in place (percent, lines, lines/s, ETA); otherwise a
 * line every few seconds, for logs.
 */
class ProgressDisplay {
  readonly #interactive: boolean;
  readonly #intervalMilliseconds: number;
  #lastShown = 0;
  // The file is read from the moment the display exists.
  #phase: ImportProgress['phase'] = 'reading';
  #phaseStartedAt = performance.now();
  #shown = false;

  constructor(
    readonly stream: NodeJS.WriteStream,
    readonly fileSize: number,
  ) {
    this.#interactive = Boolean(stream.isTTY);
    this.#intervalMilliseconds = this.#interactive ? 200 : 5_000;
  }

  update(progress: ImportProgress, bytesRead: number): void {
    const now = performance.now();
    if (progress.phase !== this.#phase) {
      this.#phase = progress.phase;
      this.#phaseStartedAt = now;
    }
    const complete = progress.total !== null && progress.done === progress.total;
    if (!complete && now - this.#lastShown < this.#intervalMilliseconds) return;
    if (!this.#interactive && complete) return;
    this.#lastShown = now;
    const seconds = Math.max((now - this.#phaseStartedAt) / 1_000, 1e-3);
    const rate = progress.done / seconds;
    let fraction: number;
    let counted: string;
    if (progress.phase === 'reading') {
      fraction = this.fileSize > 0 ? Math.min(bytesRead / this.fileSize, 1) : 1;
      counted = `${formatCount(progress.done)} lines`;
    } else {
      fraction = progress.total ? progress.done / progress.total : 1;
      counted = `${formatCount(progress.done)}/${formatCount(progress.total ?? 0)} lines`;
    }
    const remaining = fraction === 0 ? '?' : formatDuration(fraction < 1 ? (seconds * (1 - fraction)) / fraction : 0);
    const text = [
      progress.phase === 'inserting' ? 'importing' : progress.phase,
      `${(fraction * 100).toFixed(0).padStart(3)}%`,
      counted,
      `${formatCount(Math.round(rate))} lines/s`,
      `ETA ${remaining}`,
      progress.rejected > 0 ? `${formatCount(progress.rejected)} rejected` : '',
    ]
      .filter(Boolean)
      .join('  ');
    if (this.#interactive) {
      this.stream.write(`\r${text}\u001b[K`);
      this.#shown = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  finish(): void {
    if (this.#interactive && this.#shown) this.stream.write('\r\u001b[K');
  }
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  return minutes < 60 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
