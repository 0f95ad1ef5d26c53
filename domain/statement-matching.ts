import { z } from 'zod';
import { Money, decimalPattern } from './money.ts';

/**
 * Statement matching (docs/rules.md#statement-matching), the pure part: a day's completed payouts are matched item by
 * item against the lines of a settlement statement (the provider's, or an uploaded bank statement) by configured,
 * ordered rules. Each rule has a shape (one payout to one line, one payout split over several lines, several payouts
 * paid as one line), and compares amount, date and, optionally, reference, each with the rule's tolerance. A payout
 * and a line are matched at most once; what no rule matches stays unmatched and becomes an exception. Amounts are
 * exact decimal text, compared in decimal.js (no rounding: a tolerance is an absolute amount).
 */

export const matchShapes = ['one_to_one', 'one_to_many', 'many_to_one'] as const;
/** one_to_one: one payout, one line; one_to_many: one payout, several lines (a split); many_to_one: several payouts, one line. */
export type MatchShape = (typeof matchShapes)[number];

export interface MatchingRule {
  /** Unique among the rules; recorded on every match it makes. */
  name: string;
  shape: MatchShape;
  /** The line's reference must equal one of the payout's references. */
  matchReference: boolean;
  /** Largest |payouts' sum − lines' sum| accepted, exact decimal (0: exact amounts). */
  amountTolerance: string;
  /** Largest distance in days between the payout's completion day and a line's value date. */
  dateToleranceDays: number;
  /** For one_to_many and many_to_one: the most items on the grouped side (default 4). */
  maxGroupSize?: number;
}

const amountText = z.string().regex(decimalPattern, 'an exact decimal amount').refine((text) => !text.startsWith('-'), 'not negative');

export const matchingRuleSchema = z
  .object({
    name: z.string().trim().min(1).max(64),
    shape: z.enum(matchShapes),
    matchReference: z.boolean(),
    amountTolerance: amountText,
    dateToleranceDays: z.number().int().min(0).max(31),
    maxGroupSize: z.number().int().min(2).max(8).optional(),
  })
  .strict();

/** Rules in order; names unique. */
export const matchingRulesSchema = z
  .array(matchingRuleSchema)
  .min(1)
  .max(20)
  .superRefine((rules, context) => {
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      if (seen.has(rule.name)) context.addIssue({ code: z.ZodIssueCode.custom, message: `duplicate rule name ${rule.name}`, path: [index, 'name'] });
      seen.add(rule.name);
    });
  });

/**
 * The rules used when none are configured: exact reference first, then a split or an aggregate by reference, then
 * amount and date alone for lines without a usable reference (a bank statement). Most certain first.
 */
export const defaultMatchingRules: readonly MatchingRule[] = [
  { name: 'reference-exact', shape: 'one_to_one', matchReference: true, amountTolerance: '0', dateToleranceDays: 1 },
  { name: 'reference-split', shape: 'one_to_many', matchReference: true, amountTolerance: '0', dateToleranceDays: 1, maxGroupSize: 6 },
  { name: 'reference-aggregate', shape: 'many_to_one', matchReference: true, amountTolerance: '0', dateToleranceDays: 1, maxGroupSize: 6 },
  { name: 'amount-date', shape: 'one_to_one', matchReference: false, amountTolerance: '0', dateToleranceDays: 0 },
];

/** A completed payout as matching sees it. */
export interface PayoutItem {
  id: string;
  /** Every reference the payout is known by (provider reference, external reference, its id); any may match. */
  references: string[];
  /** What was sent to the beneficiary (amount to transfer), exact decimal. */
  amount: string;
  currency: string;
  /** The UTC day it completed, YYYY-MM-DD. */
  day: string;
}

/** One statement line. */
export interface LineItem {
  id: string;
  reference: string | null;
  amount: string;
  currency: string;
  /** YYYY-MM-DD. */
  valueDate: string;
}

export interface Match {
  rule: string;
  shape: MatchShape;
  payoutIds: string[];
  lineIds: string[];
  /** Payouts' sum − lines' sum, exact decimal (within the rule's tolerance). */
  difference: string;
}

export interface MatchingResult {
  matches: Match[];
  unmatchedPayoutIds: string[];
  unmatchedLineIds: string[];
}

/** Days between two YYYY-MM-DD dates (absolute). */
export function daysApart(left: string, right: string): number {
  return Math.abs(Date.parse(`${left}T00:00:00Z`) - Date.parse(`${right}T00:00:00Z`)) / 86_400_000;
}

/** At most this many candidates are searched for a group, and this many combinations tried, per item. */
const maximumCandidates = 16;
const maximumCombinations = 20_000;

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function referenceMatches(payout: PayoutItem, line: LineItem): boolean {
  return line.reference !== null && line.reference !== '' && payout.references.includes(line.reference);
}

function compatible(rule: MatchingRule, payout: PayoutItem, line: LineItem): boolean {
  return (
    payout.currency === line.currency &&
    daysApart(payout.day, line.valueDate) <= rule.dateToleranceDays &&
    (!rule.matchReference || referenceMatches(payout, line))
  );
}

/**
 * The group of `candidates` (2..maxGroupSize of them, in id order) whose sum is closest to `target` within the
 * tolerance, the smallest group first; null if none. Deterministic: ties go to the first combination in id order.
 */
function bestGroup<T extends { amount: string }>(candidates: readonly T[], target: Money, tolerance: Money, maxGroupSize: number): T[] | null {
  const pool = candidates.slice(0, maximumCandidates);
  let tried = 0;
  for (let size = 2; size <= Math.min(maxGroupSize, pool.length); size += 1) {
    let best: { group: T[]; distance: Money } | null = null;
    const chosen: number[] = [];
    const walk = (start: number, sum: Money): boolean => {
      if (tried >= maximumCombinations) return false;
      if (chosen.length === size) {
        tried += 1;
        const distance = sum.minus(target).abs();
        if (distance.lte(tolerance) && (best === null || distance.lt(best.distance))) {
          best = { group: chosen.map((index) => pool[index]!), distance };
        }
        return true;
      }
      for (let index = start; index <= pool.length - (size - chosen.length); index += 1) {
        chosen.push(index);
        const going = walk(index + 1, sum.plus(pool[index]!.amount));
        chosen.pop();
        if (!going) return false;
      }
      return true;
    };
    walk(0, new Money(0));
    if (best !== null) return (best as { group: T[] }).group;
  }
  return null;
}

/**
 * Matches payouts against statement lines by the rules, in order: each rule sees only what earlier rules left
 * unmatched. Within a rule, payouts (one_to_one, one_to_many) or lines (many_to_one) are taken in id order and each
 * takes the closest candidate (smallest amount difference, then date distance, then id). Pure and deterministic.
 */
export function matchStatement(payouts: readonly PayoutItem[], lines: readonly LineItem[], rules: readonly MatchingRule[]): MatchingResult {
  const openPayouts = new Map([...payouts].sort(byId).map((payout) => [payout.id, payout]));
  const openLines = new Map([...lines].sort(byId).map((line) => [line.id, line]));
  if (openPayouts.size !== payouts.length) throw new RangeError('payout ids must be unique');
  if (openLines.size !== lines.length) throw new RangeError('line ids must be unique');
  const matches: Match[] = [];

  const record = (rule: MatchingRule, matchedPayouts: PayoutItem[], matchedLines: LineItem[]) => {
    const difference = new Money(0)
      .plus(matchedPayouts.reduce((sum, payout) => sum.plus(payout.amount), new Money(0)))
      .minus(matchedLines.reduce((sum, line) => sum.plus(line.amount), new Money(0)));
    for (const payout of matchedPayouts) openPayouts.delete(payout.id);
    for (const line of matchedLines) openLines.delete(line.id);
    matches.push({
      rule: rule.name,
      shape: rule.shape,
      payoutIds: matchedPayouts.map((payout) => payout.id),
      lineIds: matchedLines.map((line) => line.id),
      difference: difference.toFixed(),
    });
  };

  // Lines by reference, and by currency in amount order: a payout looks only at the lines that can match it.
  const linesByReference = new Map<string, LineItem[]>();
  for (const line of openLines.values()) {
    if (line.reference === null || line.reference === '') continue;
    const list = linesByReference.get(line.reference) ?? [];
    list.push(line);
    linesByReference.set(line.reference, list);
  }
  const linesByCurrency = new Map<string, { amount: Money; line: LineItem }[]>();
  for (const line of openLines.values()) {
    const list = linesByCurrency.get(line.currency) ?? [];
    list.push({ amount: new Money(line.amount), line });
    linesByCurrency.set(line.currency, list);
  }
  for (const list of linesByCurrency.values()) list.sort((a, b) => a.amount.comparedTo(b.amount) || byId(a.line, b.line));
  /** Open lines that may match the payout under the rule (a superset by reference or amount range; `compatible` decides). */
  const candidateLines = (rule: MatchingRule, payout: PayoutItem, tolerance: Money | null): LineItem[] => {
    let found: LineItem[];
    if (rule.matchReference) {
      found = [...new Set(payout.references.flatMap((reference) => linesByReference.get(reference) ?? []))];
    } else if (tolerance !== null) {
      const list = linesByCurrency.get(payout.currency) ?? [];
      const low = new Money(payout.amount).minus(tolerance);
      const high = new Money(payout.amount).plus(tolerance);
      let start = 0;
      let end = list.length;
      while (start < end) {
        const middle = (start + end) >> 1;
        if (list[middle]!.amount.lt(low)) start = middle + 1;
        else end = middle;
      }
      found = [];
      for (let index = start; index < list.length && list[index]!.amount.lte(high); index += 1) found.push(list[index]!.line);
    } else {
      found = (linesByCurrency.get(payout.currency) ?? []).map((entry) => entry.line);
    }
    return found.filter((line) => openLines.has(line.id)).sort(byId);
  };

  for (const rule of rules) {
    const tolerance = new Money(rule.amountTolerance);
    const maxGroupSize = rule.maxGroupSize ?? 4;
    if (rule.shape === 'one_to_one') {
      for (const payout of [...openPayouts.values()]) {
        let best: { line: LineItem; distance: Money; days: number } | null = null;
        for (const line of candidateLines(rule, payout, tolerance)) {
          if (!compatible(rule, payout, line)) continue;
          const distance = new Money(payout.amount).minus(line.amount).abs();
          if (distance.gt(tolerance)) continue;
          const days = daysApart(payout.day, line.valueDate);
          if (best === null || distance.lt(best.distance) || (distance.eq(best.distance) && days < best.days)) best = { line, distance, days };
        }
        if (best) record(rule, [payout], [best.line]);
      }
    } else if (rule.shape === 'one_to_many') {
      for (const payout of [...openPayouts.values()]) {
        const candidates = candidateLines(rule, payout, null).filter((line) => compatible(rule, payout, line));
        const group = bestGroup(candidates, new Money(payout.amount), tolerance, maxGroupSize);
        if (group) record(rule, [payout], group);
      }
    } else {
      for (const line of [...openLines.values()]) {
        const candidates = [...openPayouts.values()].filter((payout) => compatible(rule, payout, line));
        const group = bestGroup(candidates, new Money(line.amount), tolerance, maxGroupSize);
        if (group) record(rule, group, [line]);
      }
    }
  }
  return { matches, unmatchedPayoutIds: [...openPayouts.keys()], unmatchedLineIds: [...openLines.keys()] };
}

/* ---------------------------------------------------------------- exceptions ---------------------------------------------------------------- */

export const exceptionKinds = ['UNMATCHED_PAYOUT', 'UNMATCHED_LINE', 'STATEMENT_MISSING'] as const;
export type ExceptionKind = (typeof exceptionKinds)[number];
export const exceptionStatuses = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'ACCEPTED'] as const;
export type ExceptionStatus = (typeof exceptionStatuses)[number];
export const exceptionActions = ['acknowledge', 'resolve', 'accept'] as const;
export type ExceptionAction = (typeof exceptionActions)[number];

/** Statuses that still block the day's sign-off (docs/decisions.md: an acknowledged exception is not yet explained). */
export const blockingExceptionStatuses: readonly ExceptionStatus[] = ['OPEN', 'ACKNOWLEDGED'];

/**
 * The status an action moves an exception to, or the reason it may not: acknowledge from OPEN; resolve (note and the
 * correcting entry) or accept (note) from OPEN or ACKNOWLEDGED; RESOLVED and ACCEPTED are final.
 */
export function exceptionTransition(from: ExceptionStatus, action: ExceptionAction): { to: ExceptionStatus } | { refused: string } {
  if (from === 'RESOLVED' || from === 'ACCEPTED') return { refused: `the exception is already ${from.toLowerCase()}` };
  if (action === 'acknowledge') return from === 'OPEN' ? { to: 'ACKNOWLEDGED' } : { refused: 'the exception is already acknowledged' };
  return { to: action === 'resolve' ? 'RESOLVED' : 'ACCEPTED' };
}

/* ------------------------------------------------------------- bank statements ------------------------------------------------------------- */

/**
 * The columns of an uploaded bank statement (CSV, RFC 4180, comma, a header line naming exactly these columns in this
 * order; docs/rules.md#statement-matching):
 *   line_id     the bank's id of the line, unique in the file (1–100 characters)
 *   reference   the payment reference the bank shows (may be empty)
 *   amount      positive exact decimal, no finer than the currency's scale
 *   currency    ISO code the ledger knows
 *   value_date  YYYY-MM-DD
 */
export const bankStatementColumns = ['line_id', 'reference', 'amount', 'currency', 'value_date'] as const;

/** At most this many lines in one upload. */
export const maximumStatementLines = 50_000;

export interface StatementLineInput {
  lineId: string;
  reference: string | null;
  amount: string;
  currency: string;
  valueDate: string;
}

export interface LineProblem {
  /** The physical line of the file (1 is the header). */
  line: number;
  field: string;
  message: string;
}

const calendarDayPattern = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (text: string) => calendarDayPattern.test(text) && new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;

/**
 * Parses and checks every line of a bank statement before anything is written: the lines, or every problem found
 * (line and field), never a part of the file. `scaleOf` gives a known currency's scale (undefined: unknown).
 */
export function parseBankStatement(
  records: readonly { line: number; fields: string[] }[],
  scaleOf: (currency: string) => number | undefined,
): { lines: StatementLineInput[]; problems: LineProblem[] } {
  const problems: LineProblem[] = [];
  const nonEmpty = records.filter((record) => !(record.fields.length === 1 && record.fields[0]!.trim() === ''));
  const header = nonEmpty[0];
  if (!header || header.fields.map((field) => field.trim().toLowerCase()).join(',') !== bankStatementColumns.join(',')) {
    return { lines: [], problems: [{ line: header?.line ?? 1, field: 'header', message: `the first line must be ${bankStatementColumns.join(',')}` }] };
  }
  const body = nonEmpty.slice(1);
  if (body.length === 0) problems.push({ line: header.line, field: 'lines', message: 'the statement has no lines' });
  if (body.length > maximumStatementLines) {
    return { lines: [], problems: [{ line: header.line, field: 'lines', message: `at most ${maximumStatementLines} lines, got ${body.length}` }] };
  }
  const lines: StatementLineInput[] = [];
  const seen = new Map<string, number>();
  for (const record of body) {
    const problem = (field: string, message: string) => problems.push({ line: record.line, field, message });
    if (record.fields.length !== bankStatementColumns.length) {
      problem('columns', `expected ${bankStatementColumns.length} fields, got ${record.fields.length}`);
      continue;
    }
    const [lineId, reference, amount, currency, valueDate] = record.fields.map((field) => field.trim()) as [string, string, string, string, string];
    const before = problems.length;
    if (lineId.length < 1 || lineId.length > 100) problem('line_id', 'must be 1 to 100 characters');
    else if (seen.has(lineId)) problem('line_id', `${lineId} repeats line ${seen.get(lineId)}`);
    else seen.set(lineId, record.line);
    if (reference.length > 200) problem('reference', 'at most 200 characters');
    const scale = scaleOf(currency);
    if (scale === undefined) problem('currency', `${currency || '(empty)'} is not a known currency`);
    if (!decimalPattern.test(amount)) problem('amount', `${amount || '(empty)'} is not an exact decimal amount`);
    else if (!new Money(amount).gt(0)) problem('amount', 'must be positive');
    else if (scale !== undefined && new Money(amount).decimalPlaces() > scale) problem('amount', `${currency} takes at most ${scale} decimal places`);
    if (!isDay(valueDate)) problem('value_date', `${valueDate || '(empty)'} is not a date as YYYY-MM-DD`);
    if (problems.length === before) lines.push({ lineId, reference: reference === '' ? null : reference, amount: new Money(amount).toFixed(), currency, valueDate });
  }
  return problems.length > 0 ? { lines: [], problems } : { lines, problems };
}
