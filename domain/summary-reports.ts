import { DomainError } from './errors.ts';

/**
 * Summary reports (docs/rules.md#summary-reports), the pure part: which periods the Schedules report, and which
 * ranges a request may ask for. Periods are half-open [from, to) in UTC.
 */

export const summaryReportKinds = ['commissions', 'payouts'] as const;
export type SummaryReportKind = (typeof summaryReportKinds)[number];

export const summaryReportPeriods = ['DAILY', 'WEEKLY', 'MONTHLY', 'ON_DEMAND'] as const;
export type SummaryReportPeriod = (typeof summaryReportPeriods)[number];
export type ScheduledPeriod = Exclude<SummaryReportPeriod, 'ON_DEMAND'>;

export const summaryReportFormats = ['json', 'csv', 'pdf'] as const;
export type SummaryReportFormat = (typeof summaryReportFormats)[number];

/** The longest range one report covers: a year and a day (a leap year's report fits; longer ones are refused). */
export const maximumRangeDays = 366;

/** The most partners a report lists (largest first); the rest are counted, not listed. */
export const maximumPartnerRows = 1_000;
export const defaultPartnerRows = 100;

export interface ReportPeriod {
  from: string;
  to: string;
}

const dayMilliseconds = 86_400_000;
const latestInstant = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Checks a requested range: both ends real instants, `to` after `from`, at most `maximumRangeDays` apart. A refusal
 * names the field at fault (`from` or `to`). Returns the range as canonical ISO instants.
 */
export function checkedRange(from: string, to: string): ReportPeriod {
  const start = new Date(from);
  const end = new Date(to);
  if (Number.isNaN(start.getTime())) throw new DomainError('invalid', 'invalid_range', 'from is not an instant', 'from');
  if (Number.isNaN(end.getTime())) throw new DomainError('invalid', 'invalid_range', 'to is not an instant', 'to');
  // Instants outside 1970..9999 are no period anyone reports on, and some are no timestamp PostgreSQL accepts.
  if (start.getTime() < 0 || start.getTime() > latestInstant) throw new DomainError('invalid', 'invalid_range', 'from must be between 1970 and 9999', 'from');
  if (end.getTime() < 0 || end.getTime() > latestInstant) throw new DomainError('invalid', 'invalid_range', 'to must be between 1970 and 9999', 'to');
  if (end.getTime() <= start.getTime()) throw new DomainError('invalid', 'invalid_range', 'to must be after from', 'to');
  if (end.getTime() - start.getTime() > maximumRangeDays * dayMilliseconds) {
    throw new DomainError('invalid', 'range_too_long', `a report covers at most ${maximumRangeDays} days: narrow from..to or page by period`, 'to');
  }
  return { from: start.toISOString(), to: end.toISOString() };
}

/**
 * The period a Schedule run due at `scheduledAt` reports: the UTC day, ISO week (Monday to Sunday) or calendar month
 * that ended before it was due. A late or caught-up run still reports the right period.
 */
export function scheduledPeriod(period: ScheduledPeriod, scheduledAt: Date): ReportPeriod {
  const midnight = Date.UTC(scheduledAt.getUTCFullYear(), scheduledAt.getUTCMonth(), scheduledAt.getUTCDate());
  if (period === 'DAILY') return { from: new Date(midnight - dayMilliseconds).toISOString(), to: new Date(midnight).toISOString() };
  if (period === 'WEEKLY') {
    // getUTCDay: Sunday 0 … Saturday 6; the week just ended began on the Monday before this week's Monday.
    const sinceMonday = (new Date(midnight).getUTCDay() + 6) % 7;
    const thisMonday = midnight - sinceMonday * dayMilliseconds;
    return { from: new Date(thisMonday - 7 * dayMilliseconds).toISOString(), to: new Date(thisMonday).toISOString() };
  }
  const thisMonth = Date.UTC(scheduledAt.getUTCFullYear(), scheduledAt.getUTCMonth(), 1);
  const previousMonth = Date.UTC(scheduledAt.getUTCFullYear(), scheduledAt.getUTCMonth() - 1, 1);
  return { from: new Date(previousMonth).toISOString(), to: new Date(thisMonth).toISOString() };
}

/** The bucket of the trend series: days for up to two weeks, weeks up to about a quarter, months beyond. */
export function trendBucket(range: ReportPeriod): 'day' | 'week' | 'month' {
  const days = (new Date(range.to).getTime() - new Date(range.from).getTime()) / dayMilliseconds;
  if (days <= 14) return 'day';
  if (days <= 92) return 'week';
  return 'month';
}

/** The first day (YYYY-MM-DD) of the trend bucket that holds `day`. */
export function bucketStart(day: string, bucket: 'day' | 'week' | 'month'): string {
  if (bucket === 'day') return day;
  if (bucket === 'month') return `${day.slice(0, 7)}-01`;
  const at = new Date(`${day}T00:00:00.000Z`);
  at.setUTCDate(at.getUTCDate() - ((at.getUTCDay() + 6) % 7));
  return at.toISOString().slice(0, 10);
}

/** The stored file's name, e.g. `payouts-summary-2026-01-01-2026-02-01.pdf` (the `to` day is exclusive). */
export function summaryFileName(kind: SummaryReportKind, period: ReportPeriod, format: SummaryReportFormat): string {
  const day = (instant: string) => instant.slice(0, 10);
  return `${kind}-summary-${day(period.from)}-${day(period.to)}.${format}`;
}
