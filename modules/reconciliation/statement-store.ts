import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { currencyScales, Money } from '../../domain/money.ts';
import { parseCsv } from '../../domain/payment-file.ts';
import {
  exceptionTransition,
  matchingRulesSchema,
  matchStatement,
  parseBankStatement,
  type ExceptionAction,
  type ExceptionKind,
  type ExceptionStatus,
  type LineItem,
  type MatchingRule,
  type MatchShape,
  type PayoutItem,
  type StatementLineInput,
} from '../../domain/statement-matching.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';

/**
 * Statement matching (docs/rules.md#statement-matching): stores the statements a day is matched against (the
 * provider's, fetched by `reconciliation-<date>`; bank statements uploaded by finance), matches the day's completed
 * payouts of each source against their lines by the configured rules (domain/statement-matching.ts), records the
 * matches (a payout or a line at most once: migration 035's primary keys) and the exceptions (one per day, source,
 * kind and subject), and moves exceptions through their lifecycle.
 */

export const statementSources = ['provider', 'bank'] as const;
export type StatementSource = (typeof statementSources)[number];

/** Who finance is: told of new exceptions (the roles that act on them). */
const financeRoles = ['finance_manager', 'finance_director'] as const;

/** The provider's statement of a day, as a provider client returns it. */
export interface ProviderStatement {
  provider: string;
  day: string;
  lines: { lineId: string; providerReference: string; amount: string; currency: string; valueDate: string }[];
}

/** Anything that can fetch a provider's settlement statement (providers/sandbox/client.ts does). */
export interface SettlementStatementSource {
  readonly name: string;
  settlementStatement(day: string): Promise<ProviderStatement>;
}

export function isSettlementStatementSource(value: unknown): value is SettlementStatementSource {
  return value !== null && typeof value === 'object' && typeof (value as { settlementStatement?: unknown }).settlementStatement === 'function';
}

/* ------------------------------------------------------------------- rules ------------------------------------------------------------------- */

const ruleRow = z.object({
  name: z.string(),
  shape: z.enum(['one_to_one', 'one_to_many', 'many_to_one']),
  match_reference: z.boolean(),
  amount_tolerance: z.string(),
  date_tolerance_days: z.number(),
  max_group_size: z.number().nullable(),
});

/** The source's rules, in order. */
export async function loadMatchingRules(connection: CommonQueryMethods, source: StatementSource): Promise<MatchingRule[]> {
  const rows = await connection.any(sql.type(ruleRow)`
    SELECT name, shape, match_reference, amount_tolerance::text AS amount_tolerance, date_tolerance_days, max_group_size
    FROM statement_matching_rules WHERE source = ${source} ORDER BY position`);
  return rows.map((row) => ({
    name: row.name,
    shape: row.shape,
    matchReference: row.match_reference,
    amountTolerance: row.amount_tolerance,
    dateToleranceDays: row.date_tolerance_days,
    ...(row.max_group_size === null ? {} : { maxGroupSize: row.max_group_size }),
  }));
}

/** Replaces the source's rules (validated as a whole: shapes, tolerances, unique names). */
export async function replaceMatchingRules(
  database: Database,
  input: { source: StatementSource; rules: unknown; actor: string; ip?: string | null },
): Promise<MatchingRule[]> {
  const parsed = matchingRulesSchema.safeParse(input.rules);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = ['body', 'rules', ...issue.path].join('.');
    throw new DomainError('invalid', 'invalid_rules', `${field}: ${issue.message}`, field);
  }
  return database.transaction(async (transaction) => {
    const before = await loadMatchingRules(transaction, input.source);
    await transaction.query(sql.unsafe`DELETE FROM statement_matching_rules WHERE source = ${input.source}`);
    for (const [index, rule] of parsed.data.entries()) {
      await transaction.query(sql.unsafe`
        INSERT INTO statement_matching_rules (source, position, name, shape, match_reference, amount_tolerance, date_tolerance_days, max_group_size, updated_by)
        VALUES (${input.source}, ${index + 1}, ${rule.name}, ${rule.shape}, ${rule.matchReference}, ${rule.amountTolerance}::numeric,
                ${rule.dateToleranceDays}, ${rule.maxGroupSize ?? null}, ${input.actor})`);
    }
    await appendAuditRecord(transaction, {
      action: 'STATEMENT_RULES_CHANGE', actor: input.actor, targetType: 'statement_matching_rules', targetId: input.source, ip: input.ip ?? null,
      reason: `${parsed.data.length} rule(s)`, details: { before, after: parsed.data },
    });
    return loadMatchingRules(transaction, input.source);
  });
}

/* ----------------------------------------------------------------- statements ----------------------------------------------------------------- */

async function refuseSignedDay(connection: CommonQueryMethods, day: string): Promise<void> {
  const signed = await connection.maybeOne(sql.type(z.object({ day: z.string() }))`
    SELECT day::text AS day FROM reconciliation_archives WHERE day = ${day}::date`);
  if (signed) throw new DomainError('conflict', 'already_signed', `${day} is signed off: its statements and exceptions no longer change`, 'date');
}

async function insertLines(connection: CommonQueryMethods, statementId: string, day: string, source: StatementSource, lines: readonly StatementLineInput[]) {
  const column = <T>(pick: (line: StatementLineInput) => T) => lines.map(pick);
  await connection.query(sql.unsafe`
    INSERT INTO statement_lines (statement_id, day, source, line_ref, reference, amount, currency, value_date)
    SELECT ${statementId}::bigint, ${day}::date, ${source}, l.line_ref, l.reference, l.amount, l.currency, l.value_date
    FROM unnest(${sql.array(column((l) => l.lineId), 'text')}, ${sql.array(column((l) => l.reference), 'text')},
                ${sql.array(column((l) => l.amount), 'numeric')}, ${sql.array(column((l) => l.currency), 'text')},
                ${sql.array(column((l) => l.valueDate), 'date')}) AS l (line_ref, reference, amount, currency, value_date)`);
}

/**
 * Stores the provider's statement of a day, once: if the day's provider statement is already stored (a retry, a
 * rerun), the stored one stands and false is returned.
 */
export async function recordProviderStatement(
  database: Database,
  input: { day: string; statement: ProviderStatement; receivedBy: string },
): Promise<boolean> {
  const lines: StatementLineInput[] = input.statement.lines.map((line) => ({
    lineId: line.lineId, reference: line.providerReference, amount: line.amount, currency: line.currency, valueDate: line.valueDate,
  }));
  return database.transaction(async (transaction) => {
    await refuseSignedDay(transaction, input.day);
    const sha256 = createHash('sha256').update(JSON.stringify(input.statement)).digest('hex');
    const id = await transaction.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO statements (day, source, origin, sha256, line_count, received_by)
      VALUES (${input.day}::date, 'provider', ${input.statement.provider}, ${sha256}, ${lines.length}, ${input.receivedBy})
      ON CONFLICT (day) WHERE source = 'provider' DO NOTHING
      RETURNING id::text AS id`);
    if (id === null) return false;
    await insertLines(transaction, id, input.day, 'provider', lines);
    await appendAuditRecord(transaction, {
      action: 'STATEMENT_RECEIVE', actor: input.receivedBy, targetType: 'statement', targetId: id, reason: `provider statement of ${input.day}`,
      details: { day: input.day, source: 'provider', provider: input.statement.provider, lines: lines.length, sha256 },
    });
    return true;
  });
}

/** A bank statement refused for its content: every problem, by line and field; nothing was stored. */
export class StatementFileRefused extends DomainError {
  constructor(readonly problems: { line: number; field: string; message: string }[]) {
    const first = problems[0]!;
    super(
      'unprocessable',
      'invalid_statement',
      `${problems.length} problem(s) in the statement, nothing was stored: ` +
        problems.slice(0, 20).map((problem) => `line ${problem.line} ${problem.field}: ${problem.message}`).join('; ') +
        (problems.length > 20 ? `; … and ${problems.length - 20} more` : ''),
      `file.line.${first.line}.${first.field}`,
    );
  }
}

/**
 * Stores an uploaded bank statement for a day, after checking every line (StatementFileRefused naming line and field,
 * nothing stored). A line id already stated for the day (the same file twice) is refused too.
 */
export async function uploadBankStatement(
  database: Database,
  input: { day: string; fileName: string; text: string; actor: string; ip?: string | null },
): Promise<{ statementId: string; lines: number }> {
  let records: { line: number; fields: string[] }[];
  try {
    records = parseCsv(input.text, ',');
  } catch (error) {
    throw new StatementFileRefused([{ line: 1, field: 'file', message: (error as Error).message }]);
  }
  const { lines, problems } = parseBankStatement(records, (currency) => currencyScales[currency]);
  if (problems.length > 0) throw new StatementFileRefused(problems);
  return database.transaction(async (transaction) => {
    await refuseSignedDay(transaction, input.day);
    const known = await transaction.any(sql.type(z.object({ line_ref: z.string() }))`
      SELECT line_ref FROM statement_lines WHERE day = ${input.day}::date AND source = 'bank' AND line_ref = ANY(${sql.array(lines.map((l) => l.lineId), 'text')})`);
    if (known.length > 0) {
      const stated = new Set(known.map((row) => row.line_ref));
      const lineNumber = (lineId: string) => records.find((record) => record.fields[0]?.trim() === lineId)?.line ?? 0;
      throw new StatementFileRefused(
        lines.filter((line) => stated.has(line.lineId)).map((line) => ({ line: lineNumber(line.lineId), field: 'line_id', message: `${line.lineId} is already stated for ${input.day}` })),
      );
    }
    const sha256 = createHash('sha256').update(input.text).digest('hex');
    const id = await transaction.oneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO statements (day, source, origin, sha256, line_count, received_by)
      VALUES (${input.day}::date, 'bank', ${input.fileName}, ${sha256}, ${lines.length}, ${input.actor})
      RETURNING id::text AS id`);
    await insertLines(transaction, id, input.day, 'bank', lines);
    await appendAuditRecord(transaction, {
      action: 'STATEMENT_RECEIVE', actor: input.actor, targetType: 'statement', targetId: id, ip: input.ip ?? null,
      reason: `bank statement of ${input.day}`, details: { day: input.day, source: 'bank', fileName: input.fileName, lines: lines.length, sha256 },
    });
    return { statementId: id, lines: lines.length };
  });
}

/* ------------------------------------------------------------------ matching ------------------------------------------------------------------ */

const payoutRow = z.object({
  id: z.string(),
  provider_reference: z.string().nullable(),
  external_reference: z.string().nullable(),
  amount: z.string(),
  currency: z.string(),
  day: z.string(),
});
const lineRow = z.object({ id: z.string(), line_ref: z.string(), reference: z.string().nullable(), amount: z.string(), currency: z.string(), value_date: z.string() });

/** The day's completed payouts of a source: provider = paid through the provider (it has a provider reference); bank = the rest. */
const sourcePayouts = (source: StatementSource) =>
  source === 'provider' ? sql.fragment`p.provider_reference IS NOT NULL` : sql.fragment`p.provider_reference IS NULL`;

export interface MatchDayResult {
  day: string;
  source: StatementSource;
  statements: number;
  matchesCreated: number;
  exceptionsCreated: number;
  exceptionsResolvedByMatch: number;
}

/**
 * Matches the day's completed payouts of a source against the day's statement lines of that source: only what no
 * earlier run matched takes part (a match stands once made). What stays unmatched becomes an exception unless the day
 * already has it (deduplicated); an open exception whose payout or line a later run matched is resolved by that match.
 * With no statement of the source for the day, the payouts are not matched (their exception would be noise): the
 * day has a STATEMENT_MISSING exception instead, when the provider's could not be fetched, or when manual payouts
 * completed and no bank statement was uploaded. One run per day and source at a time (advisory lock); idempotent.
 */
export async function matchDay(database: Database, input: { day: string; source: StatementSource; actor: string }): Promise<MatchDayResult> {
  return database.transaction(async (transaction) => {
    await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext(${`statement-match:${input.day}:${input.source}`}))`);
    await refuseSignedDay(transaction, input.day);
    const statements = await transaction.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM statements WHERE day = ${input.day}::date AND source = ${input.source}`);
    const payouts = await transaction.any(sql.type(payoutRow)`
      SELECT p.id::text AS id, p.provider_reference, p.external_reference, p.amount_to_transfer::text AS amount, p.currency,
             (p.closed_at AT TIME ZONE 'UTC')::date::text AS day
      FROM payouts p
      WHERE p.status = 'COMPLETED'
        AND p.closed_at >= (${input.day}::date::timestamp AT TIME ZONE 'UTC') AND p.closed_at < ((${input.day}::date + 1)::timestamp AT TIME ZONE 'UTC')
        AND ${sourcePayouts(input.source)}
        AND NOT EXISTS (SELECT 1 FROM statement_match_payouts m WHERE m.payout_id = p.id)
      ORDER BY p.id`);
    const result: MatchDayResult = { day: input.day, source: input.source, statements, matchesCreated: 0, exceptionsCreated: 0, exceptionsResolvedByMatch: 0 };
    if (statements === 0) {
      if (input.source === 'bank' && payouts.length > 0) {
        result.exceptionsCreated += await insertException(transaction, {
          day: input.day, source: 'bank', kind: 'STATEMENT_MISSING', subject: 'statement', payoutId: null, lineId: null, amount: null, currency: null,
          detail: `${payouts.length} manual payout(s) completed on ${input.day} and no bank statement is uploaded`,
        });
      }
      await notifyNewExceptions(transaction, input.day, input.source, result.exceptionsCreated);
      return result;
    }
    const lines = await transaction.any(sql.type(lineRow)`
      SELECT l.id::text AS id, l.line_ref, l.reference, l.amount::text AS amount, l.currency, l.value_date::text AS value_date
      FROM statement_lines l
      WHERE l.day = ${input.day}::date AND l.source = ${input.source}
        AND NOT EXISTS (SELECT 1 FROM statement_match_lines m WHERE m.line_id = l.id)
      ORDER BY l.id`);
    const rules = await loadMatchingRules(transaction, input.source);
    const payoutItems: PayoutItem[] = payouts.map((row) => ({
      id: row.id,
      references: [row.provider_reference, row.external_reference, row.id].filter((reference): reference is string => reference !== null && reference !== ''),
      amount: row.amount,
      currency: row.currency,
      day: row.day,
    }));
    const lineItems: LineItem[] = lines.map((row) => ({ id: row.id, reference: row.reference, amount: row.amount, currency: row.currency, valueDate: row.value_date }));
    const matching = matchStatement(payoutItems, lineItems, rules);

    for (const match of matching.matches) {
      const matchId = await transaction.oneFirst(sql.type(z.object({ id: z.string() }))`
        INSERT INTO statement_matches (day, source, rule, shape, difference)
        VALUES (${input.day}::date, ${input.source}, ${match.rule}, ${match.shape}, ${match.difference}::numeric) RETURNING id::text AS id`);
      await transaction.query(sql.unsafe`
        INSERT INTO statement_match_payouts (payout_id, match_id) SELECT unnest(${sql.array(match.payoutIds, 'uuid')}), ${matchId}::bigint`);
      await transaction.query(sql.unsafe`
        INSERT INTO statement_match_lines (line_id, match_id) SELECT unnest(${sql.array(match.lineIds, 'int8')}), ${matchId}::bigint`);
      result.matchesCreated += 1;
      // An exception an earlier run raised for one of these items is accounted for by this match.
      const resolved = await transaction.query(sql.unsafe`
        UPDATE statement_exceptions SET status = 'RESOLVED', closed_by = ${input.actor}, closed_at = now(), resolved_by_match_id = ${matchId}::bigint,
               note = ${`matched later by rule ${match.rule}`}
        WHERE day = ${input.day}::date AND source = ${input.source} AND status IN ('OPEN', 'ACKNOWLEDGED')
          AND (payout_id = ANY(${sql.array(match.payoutIds, 'uuid')}) OR line_id = ANY(${sql.array(match.lineIds, 'int8')}))`);
      result.exceptionsResolvedByMatch += resolved.rowCount;
    }
    // The statement is here now: a "missing" exception of this source is closed (what it left unmatched gets its own).
    const arrived = await transaction.query(sql.unsafe`
      UPDATE statement_exceptions SET status = 'ACCEPTED', closed_by = ${input.actor}, closed_at = now(),
             note = 'the statement was received; its lines are matched item by item'
      WHERE day = ${input.day}::date AND source = ${input.source} AND kind = 'STATEMENT_MISSING' AND status IN ('OPEN', 'ACKNOWLEDGED')`);
    result.exceptionsResolvedByMatch += arrived.rowCount;

    const payoutById = new Map(payouts.map((row) => [row.id, row]));
    for (const id of matching.unmatchedPayoutIds) {
      const payout = payoutById.get(id)!;
      result.exceptionsCreated += await insertException(transaction, {
        day: input.day, source: input.source, kind: 'UNMATCHED_PAYOUT', subject: id, payoutId: id, lineId: null, amount: payout.amount, currency: payout.currency,
        detail: `payout ${id} (${payout.amount} ${payout.currency}, reference ${payout.provider_reference ?? payout.external_reference ?? '—'}) completed on ${input.day} and is on no ${input.source} statement line`,
      });
    }
    const lineById = new Map(lines.map((row) => [row.id, row]));
    for (const id of matching.unmatchedLineIds) {
      const line = lineById.get(id)!;
      result.exceptionsCreated += await insertException(transaction, {
        day: input.day, source: input.source, kind: 'UNMATCHED_LINE', subject: `line ${line.line_ref}`, payoutId: null, lineId: id, amount: line.amount, currency: line.currency,
        detail: `${input.source} statement line ${line.line_ref} (${line.amount} ${line.currency}, reference ${line.reference ?? '—'}, value date ${line.value_date}) matches no completed payout`,
      });
    }
    if (result.matchesCreated > 0 || result.exceptionsCreated > 0) {
      await appendAuditRecord(transaction, {
        action: 'STATEMENT_MATCH', actor: input.actor, targetType: 'reconciliation', targetId: input.day,
        reason: `${input.source}: ${result.matchesCreated} match(es), ${result.exceptionsCreated} new exception(s)`, details: { ...result },
      });
    }
    await notifyNewExceptions(transaction, input.day, input.source, result.exceptionsCreated);
    return result;
  });
}

/** What an exception records when it is found; its view adds the lifecycle. */
export interface ExceptionInput {
  day: string;
  source: StatementSource;
  kind: ExceptionKind;
  subject: string;
  payoutId: string | null;
  lineId: string | null;
  amount: string | null;
  currency: string | null;
  detail: string;
}

/** Inserts the exception unless the day already has it (by day, source, kind and subject); 1 when inserted. */
async function insertException(connection: CommonQueryMethods, input: ExceptionInput): Promise<number> {
  const inserted = await connection.query(sql.unsafe`
    INSERT INTO statement_exceptions (day, source, kind, subject, payout_id, line_id, amount, currency, detail)
    VALUES (${input.day}::date, ${input.source}, ${input.kind}, ${input.subject}, ${input.payoutId}::uuid, ${input.lineId}::bigint,
            ${input.amount}::numeric, ${input.currency}, ${input.detail})
    ON CONFLICT (day, source, kind, subject) DO NOTHING`);
  return inserted.rowCount;
}

async function notifyNewExceptions(connection: CommonQueryMethods, day: string, source: StatementSource, created: number): Promise<void> {
  if (created === 0) return;
  const open = await connection.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM statement_exceptions WHERE day = ${day}::date AND status IN ('OPEN', 'ACKNOWLEDGED')`);
  const last = await connection.oneFirst(sql.type(z.object({ id: z.string() }))`
    SELECT max(id)::text AS id FROM statement_exceptions WHERE day = ${day}::date AND source = ${source}`);
  await enqueueNotification(connection, {
    // One notice per batch of new exceptions (the newest id): a rerun that adds none sends none.
    dedupeKey: `statement-exceptions:${day}:${source}:${last}`,
    kind: 'STATEMENT_EXCEPTIONS',
    recipient: { kind: 'admin_role', roles: financeRoles },
    subject: `Statement matching of ${day} (${source}): ${created} new exception(s)`,
    text: `Matching the ${source} statement of ${day} left ${created} new exception(s); ${open} are open or acknowledged for the day.\n\n` +
      'Acknowledge each, then resolve it (a note and the correcting entry) or accept it (a note) before the day is signed off.',
  });
}

/** Records that the provider's statement of a day could not be fetched (deduplicated per day). */
export async function recordStatementMissing(database: Database, input: { day: string; detail: string }): Promise<number> {
  return database.transaction(async (transaction) => {
    await refuseSignedDay(transaction, input.day);
    const created = await insertException(transaction, {
      day: input.day, source: 'provider', kind: 'STATEMENT_MISSING', subject: 'statement', payoutId: null, lineId: null, amount: null, currency: null,
      detail: `the provider's statement of ${input.day} could not be fetched: ${input.detail}`.slice(0, 2000),
    });
    await notifyNewExceptions(transaction, input.day, 'provider', created);
    return created;
  });
}

/* ------------------------------------------------------------------- reading ------------------------------------------------------------------- */

export interface StatementLineView {
  id: string;
  statementId: string;
  source: StatementSource;
  lineRef: string;
  reference: string | null;
  amount: string;
  currency: string;
  valueDate: string;
  matchId: string | null;
}

export interface StatementMatchView {
  id: string;
  source: StatementSource;
  rule: string;
  shape: MatchShape;
  difference: string;
  payoutIds: string[];
  lineIds: string[];
  matchedAt: string;
}

export interface StatementExceptionView extends ExceptionInput {
  id: string;
  status: ExceptionStatus;
  createdAt: string;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  closedBy: string | null;
  closedAt: string | null;
  note: string | null;
  correctingEntryId: string | null;
  resolvedByMatchId: string | null;
}

/** Per source and currency: the day's completed payouts against the statement (counts and sums, exact decimal). */
export interface StatementComparison {
  source: StatementSource;
  currency: string;
  payouts: number;
  payoutsTotal: string;
  lines: number;
  linesTotal: string;
  difference: string;
}

export interface DayStatements {
  day: string;
  statements: { id: string; source: StatementSource; origin: string; sha256: string | null; lineCount: number; receivedBy: string; receivedAt: string }[];
  /** Sources with completed payouts on the day and no statement. */
  missing: StatementSource[];
  comparison: StatementComparison[];
  lines: StatementLineView[];
  matches: StatementMatchView[];
  exceptions: { open: number; acknowledged: number; resolved: number; accepted: number };
}

const exceptionRow = z.object({
  id: z.string(), day: z.string(), source: z.enum(statementSources), kind: z.enum(['UNMATCHED_PAYOUT', 'UNMATCHED_LINE', 'STATEMENT_MISSING']),
  subject: z.string(), payout_id: z.string().nullable(), line_id: z.string().nullable(), amount: z.string().nullable(), currency: z.string().nullable(),
  detail: z.string(), status: z.enum(['OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'ACCEPTED']), created_at: z.date(), acknowledged_by: z.string().nullable(),
  acknowledged_at: z.date().nullable(), closed_by: z.string().nullable(), closed_at: z.date().nullable(), note: z.string().nullable(),
  correcting_entry_id: z.string().nullable(), resolved_by_match_id: z.string().nullable(),
});
const exceptionColumns = sql.fragment`
  id::text AS id, day::text AS day, source, kind, subject, payout_id::text AS payout_id, line_id::text AS line_id, amount::text AS amount,
  currency, detail, status, created_at, acknowledged_by, acknowledged_at, closed_by, closed_at, note,
  correcting_entry_id::text AS correcting_entry_id, resolved_by_match_id::text AS resolved_by_match_id`;
const selectException = sql.fragment`SELECT ${exceptionColumns} FROM statement_exceptions`;
const toException = (row: z.infer<typeof exceptionRow>): StatementExceptionView => ({
  id: row.id, day: row.day, source: row.source, kind: row.kind, subject: row.subject, payoutId: row.payout_id, lineId: row.line_id,
  amount: row.amount === null ? null : normal(row.amount), currency: row.currency, detail: row.detail, status: row.status, createdAt: row.created_at.toISOString(),
  acknowledgedBy: row.acknowledged_by, acknowledgedAt: row.acknowledged_at?.toISOString() ?? null, closedBy: row.closed_by,
  closedAt: row.closed_at?.toISOString() ?? null, note: row.note, correctingEntryId: row.correcting_entry_id, resolvedByMatchId: row.resolved_by_match_id,
});

/** The day's exceptions, oldest first, optionally of some statuses. */
export async function listExceptions(connection: CommonQueryMethods, day: string, statuses?: readonly ExceptionStatus[]): Promise<StatementExceptionView[]> {
  const rows = await connection.any(sql.type(exceptionRow)`
    ${selectException} WHERE day = ${day}::date
    ${statuses && statuses.length > 0 ? sql.fragment`AND status = ANY(${sql.array([...statuses], 'text')})` : sql.fragment``}
    ORDER BY id`);
  return rows.map(toException);
}

/** How many of the day's exceptions still block its sign-off (open or acknowledged). */
export async function blockingExceptionCount(connection: CommonQueryMethods, day: string): Promise<number> {
  return connection.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM statement_exceptions WHERE day = ${day}::date AND status IN ('OPEN', 'ACKNOWLEDGED')`);
}

/** Everything the day's statement matching holds: statements, the payouts-vs-statement comparison, lines, matches, exception counts. */
export async function dayStatements(connection: CommonQueryMethods, day: string): Promise<DayStatements> {
  const statements = await connection.any(sql.type(z.object({
    id: z.string(), source: z.enum(statementSources), origin: z.string(), sha256: z.string().nullable(), line_count: z.number(), received_by: z.string(), received_at: z.date(),
  }))`SELECT id::text AS id, source, origin, sha256, line_count, received_by, received_at FROM statements WHERE day = ${day}::date ORDER BY id`);
  const comparison = await connection.any(sql.type(z.object({
    source: z.enum(statementSources), currency: z.string(), payouts: z.number(), payouts_total: z.string(), lines: z.number(), lines_total: z.string(),
  }))`
    WITH paid AS (
      SELECT CASE WHEN provider_reference IS NOT NULL THEN 'provider' ELSE 'bank' END AS source, currency,
             count(*)::int AS payouts, sum(amount_to_transfer) AS total
      FROM payouts
      WHERE status = 'COMPLETED' AND closed_at >= (${day}::date::timestamp AT TIME ZONE 'UTC') AND closed_at < ((${day}::date + 1)::timestamp AT TIME ZONE 'UTC')
      GROUP BY 1, 2
    ), stated AS (
      SELECT source, currency, count(*)::int AS lines, sum(amount) AS total FROM statement_lines WHERE day = ${day}::date GROUP BY 1, 2
    )
    SELECT source, currency, coalesce(p.payouts, 0) AS payouts, coalesce(p.total, 0)::text AS payouts_total,
           coalesce(s.lines, 0) AS lines, coalesce(s.total, 0)::text AS lines_total
    FROM paid p FULL JOIN stated s USING (source, currency)
    ORDER BY source, currency`);
  const lines = await connection.any(sql.type(lineRow.extend({ statement_id: z.string(), source: z.enum(statementSources), match_id: z.string().nullable() }))`
    SELECT l.id::text AS id, l.statement_id::text AS statement_id, l.source, l.line_ref, l.reference, l.amount::text AS amount, l.currency,
           l.value_date::text AS value_date, m.match_id::text AS match_id
    FROM statement_lines l LEFT JOIN statement_match_lines m ON m.line_id = l.id
    WHERE l.day = ${day}::date ORDER BY l.id`);
  const matches = await connection.any(sql.type(z.object({
    id: z.string(), source: z.enum(statementSources), rule: z.string(), shape: z.enum(['one_to_one', 'one_to_many', 'many_to_one']), difference: z.string(),
    payout_ids: z.array(z.string()), line_ids: z.array(z.string()), matched_at: z.date(),
  }))`
    SELECT m.id::text AS id, m.source, m.rule, m.shape, m.difference::text AS difference,
           (SELECT coalesce(array_agg(payout_id::text ORDER BY payout_id), '{}') FROM statement_match_payouts WHERE match_id = m.id) AS payout_ids,
           (SELECT coalesce(array_agg(line_id::text ORDER BY line_id), '{}') FROM statement_match_lines WHERE match_id = m.id) AS line_ids,
           m.matched_at
    FROM statement_matches m WHERE m.day = ${day}::date ORDER BY m.id`);
  const counts = await connection.any(sql.type(z.object({ status: z.string(), count: z.number() }))`
    SELECT status, count(*)::int AS count FROM statement_exceptions WHERE day = ${day}::date GROUP BY status`);
  const count = (status: string) => counts.find((row) => row.status === status)?.count ?? 0;
  const received = new Set(statements.map((statement) => statement.source));
  return {
    day,
    statements: statements.map((row) => ({
      id: row.id, source: row.source, origin: row.origin, sha256: row.sha256, lineCount: row.line_count, receivedBy: row.received_by, receivedAt: row.received_at.toISOString(),
    })),
    missing: statementSources.filter((source) => !received.has(source) && comparison.some((row) => row.source === source && row.payouts > 0)),
    comparison: comparison.map((row) => ({
      source: row.source, currency: row.currency, payouts: row.payouts, payoutsTotal: normal(row.payouts_total), lines: row.lines, linesTotal: normal(row.lines_total),
      difference: normal(subtract(row.payouts_total, row.lines_total)),
    })),
    lines: lines.map((row) => ({
      id: row.id, statementId: row.statement_id, source: row.source, lineRef: row.line_ref, reference: row.reference, amount: normal(row.amount),
      currency: row.currency, valueDate: row.value_date, matchId: row.match_id,
    })),
    matches: matches.map((row) => ({
      id: row.id, source: row.source, rule: row.rule, shape: row.shape, difference: normal(row.difference), payoutIds: row.payout_ids, lineIds: row.line_ids,
      matchedAt: row.matched_at.toISOString(),
    })),
    exceptions: { open: count('OPEN'), acknowledged: count('ACKNOWLEDGED'), resolved: count('RESOLVED'), accepted: count('ACCEPTED') },
  };
}

const normal = (text: string) => new Money(text).toFixed();
const subtract = (left: string, right: string) => new Money(left).minus(right).toFixed();

/* ----------------------------------------------------------------- lifecycle ----------------------------------------------------------------- */

/**
 * Acknowledges, resolves or accepts one of the day's exceptions. Resolving needs a note and the correcting entry: a
 * posted journal entry (entryId), or an adjustment that has posted one (adjustmentId, its entry is recorded); accepting
 * needs a note. Refused for a final exception, an exception of a signed day, or an entry that does not exist.
 */
export async function actOnException(
  database: Database,
  input: { day: string; id: string; action: ExceptionAction; note: string | null; entryId: string | null; adjustmentId: string | null; actor: string; ip?: string | null },
): Promise<StatementExceptionView> {
  return database.transaction(async (transaction) => {
    await refuseSignedDay(transaction, input.day);
    const row = await transaction.maybeOne(sql.type(exceptionRow)`${selectException} WHERE id = ${input.id}::bigint AND day = ${input.day}::date FOR UPDATE`);
    if (!row) throw new DomainError('not_found', 'exception_not_found', `no statement exception ${input.id} on ${input.day}`, 'params.id');
    const transition = exceptionTransition(row.status, input.action);
    if ('refused' in transition) throw new DomainError('conflict', 'exception_final', transition.refused, 'status');
    if (input.action !== 'acknowledge' && (input.note === null || input.note.trim() === '')) {
      throw new DomainError('invalid', 'note_required', `a note is required to ${input.action} an exception`, 'body.note');
    }
    let entryId: string | null = null;
    if (input.action === 'resolve') {
      if (input.entryId === null && input.adjustmentId === null) {
        throw new DomainError('invalid', 'correcting_entry_required', 'resolving needs the correcting entry: body.entryId or body.adjustmentId', 'body.entryId');
      }
      if (input.entryId !== null) {
        entryId = await transaction.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
          SELECT id::text AS id FROM journal_entries WHERE id = ${input.entryId}::bigint`);
        if (entryId === null) throw new DomainError('invalid', 'entry_not_found', `journal entry ${input.entryId} does not exist`, 'body.entryId');
      } else {
        const adjustment = await transaction.maybeOne(sql.type(z.object({ entry_id: z.string().nullable() }))`
          SELECT entry_id::text AS entry_id FROM adjustments WHERE id = ${input.adjustmentId}::uuid`);
        if (!adjustment) throw new DomainError('invalid', 'adjustment_not_found', `adjustment ${input.adjustmentId} does not exist`, 'body.adjustmentId');
        if (adjustment.entry_id === null) throw new DomainError('invalid', 'adjustment_not_posted', `adjustment ${input.adjustmentId} has posted no entry yet`, 'body.adjustmentId');
        entryId = adjustment.entry_id;
      }
    }
    const updated =
      input.action === 'acknowledge'
        ? await transaction.one(sql.type(exceptionRow)`
            UPDATE statement_exceptions SET status = 'ACKNOWLEDGED', acknowledged_by = ${input.actor}, acknowledged_at = now(),
                   note = coalesce(${input.note}, note)
            WHERE id = ${row.id}::bigint RETURNING ${exceptionColumns}`)
        : await transaction.one(sql.type(exceptionRow)`
            UPDATE statement_exceptions SET status = ${transition.to}, closed_by = ${input.actor}, closed_at = now(), note = ${input.note},
                   correcting_entry_id = ${entryId}::bigint
            WHERE id = ${row.id}::bigint RETURNING ${exceptionColumns}`);
    await appendAuditRecord(transaction, {
      action: 'STATEMENT_EXCEPTION_ACT', actor: input.actor, targetType: 'statement_exception', targetId: row.id, ip: input.ip ?? null,
      amount: row.amount, currency: row.currency, entryId, reason: input.note ?? input.action,
      details: { day: input.day, action: input.action, from: row.status, to: updated.status, kind: row.kind, subject: row.subject, adjustmentId: input.adjustmentId },
    });
    return toException(updated);
  });
}
