import Decimal from 'decimal.js';
import { sql, type CommonQueryMethods, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { currencyScale, Money } from '../../domain/money.ts';
import { bucketStart, checkedRange, defaultPartnerRows, maximumPartnerRows, trendBucket, type ReportPeriod } from '../../domain/summary-reports.ts';

/**
 * The commission and payout summary reports of a period (docs/rules.md#summary-reports), with every field the finance guide
 * lists. Read-only: each report is read in one REPEATABLE READ, READ ONLY transaction (one consistent snapshot, no
 * row locks, so a report never blocks a payout) under a statement timeout. SQL groups the period's events at a small
 * grain (day × level × source, or day × method × status × failure code, per currency) and sums NUMERIC; everything
 * coarser is added up here with decimal.js. Money stays a decimal string per currency throughout.
 */

/** A report's statements are cut off after this long: a report may fail, it never holds up the ledger. */
export const reportStatementTimeoutMilliseconds = 60_000;

export interface CountAmount {
  currency: string;
  count: number;
  amount: string;
}

export interface CommissionTotals {
  generated: CountAmount[];
  approved: CountAmount[];
  paid: CountAmount[];
  reversed: CountAmount[];
  /** Generated minus reversed, per currency (docs/rules.md#summary-reports: net is generated minus reversed). */
  net: { currency: string; amount: string }[];
}

export interface CommissionBreakdownRow {
  currency: string;
  generatedCount: number;
  generated: string;
  approved: string;
  paid: string;
  reversed: string;
  net: string;
  /** This row's share of the currency's generated total, in percent, 2 dp half-even; null when nothing was generated. */
  sharePercent: string | null;
}

export interface CommissionSummary {
  kind: 'commissions';
  period: ReportPeriod;
  totals: CommissionTotals;
  byLevel: (CommissionBreakdownRow & { level: number })[];
  bySource: (CommissionBreakdownRow & { sourceType: string; sourceGroup: 'ORDER' | 'INVESTMENT' | 'OTHER' })[];
  daily: (Omit<CommissionBreakdownRow, 'sharePercent'> & { day: string })[];
  byPartner: { partners: number; rows: (Omit<CommissionBreakdownRow, 'sharePercent' | 'approved' | 'paid'> & { partnerId: string })[] };
  trend: { bucket: 'day' | 'week' | 'month'; rows: { start: string; currency: string; generated: string; net: string; changePercent: string | null }[] };
}

export interface PayoutTotals {
  submitted: CountAmount[];
  approved: CountAmount[];
  processed: CountAmount[];
  completed: CountAmount[];
  failed: CountAmount[];
  cancelled: CountAmount[];
  rejected: CountAmount[];
  /** The sum of the payouts completed in the period (docs/rules.md#summary-reports: the total is of completed payouts). */
  totalAmount: { currency: string; amount: string }[];
  /** Their mean, rounded half-even to the currency's scale. */
  averageAmount: { currency: string; amount: string }[];
  /** From request to completion, of the payouts completed in the period. */
  processingTime: ProcessingTime;
}

export interface ProcessingTime {
  completed: number;
  /** Seconds, 3 dp half-even; null when none completed. */
  meanSeconds: string | null;
  /** Nearest rank: the shortest time that at least 90 % of the completions took no longer than; 3 dp half-even. */
  p90Seconds: string | null;
}

export interface PayoutSummary {
  kind: 'payouts';
  period: ReportPeriod;
  totals: PayoutTotals;
  daily: { day: string; currency: string; submitted: number; approved: number; processed: number; completed: number; failed: number; cancelled: number; completedAmount: string }[];
  byMethod: {
    methodId: string;
    currency: string;
    submitted: number;
    completed: number;
    failed: number;
    cancelled: number;
    completedAmount: string;
    averageAmount: string | null;
    processingTime: ProcessingTime;
  }[];
  /** The payouts requested in the period by their status now. */
  byStatus: { status: string; currency: string; count: number; amount: string }[];
  byPartner: { partners: number; rows: { partnerId: string; currency: string; submitted: number; completed: number; failed: number; cancelled: number; completedAmount: string }[] };
  /** The payouts that failed in the period, by failure code and method; `failureRatePercent` of all that closed (completed or failed), 2 dp half-even. */
  failures: {
    rows: { failureCode: string; methodId: string; currency: string; count: number; amount: string }[];
    failureRatePercent: { currency: string; percent: string | null }[];
  };
}

export type SummaryReport = CommissionSummary | PayoutSummary;

export interface SummaryRequest extends ReportPeriod {
  partnerRows?: number;
}

// ---- arithmetic helpers (exact; every rounding names its mode) ----

const zero = () => new Money(0);

function addTo(map: Map<string, Money>, key: string, amount: string | Money): void {
  map.set(key, (map.get(key) ?? zero()).plus(amount));
}

/** `part / whole` in percent, 2 dp, half-even; null when the whole is zero. */
function percentOf(part: Money, whole: Money): string | null {
  if (whole.isZero()) return null;
  return part.times(100).dividedBy(whole).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN).toFixed(2);
}

/** Money at its currency's scale (exact sums of amounts at that scale need no rounding; the mode is for safety only). */
function money(amount: Money, currency: string): string {
  return amount.toDecimalPlaces(currencyScale(currency), Decimal.ROUND_HALF_EVEN).toFixed(currencyScale(currency));
}

function seconds(value: string | null): string | null {
  return value === null ? null : new Money(value).toDecimalPlaces(3, Decimal.ROUND_HALF_EVEN).toFixed(3);
}

function countAmounts(rows: { currency: string; count: number; amount: string }[]): CountAmount[] {
  const counts = new Map<string, number>();
  const sums = new Map<string, Money>();
  for (const row of rows) {
    counts.set(row.currency, (counts.get(row.currency) ?? 0) + row.count);
    addTo(sums, row.currency, row.amount);
  }
  return [...counts.keys()].sort().map((currency) => ({ currency, count: counts.get(currency)!, amount: money(sums.get(currency)!, currency) }));
}

/** Runs `read` in one read-only snapshot with the statement timeout. */
async function readOnly<T>(database: DatabasePool, read: (connection: CommonQueryMethods) => Promise<T>): Promise<T> {
  return database.transaction(async (transaction) => {
    await transaction.query(sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
    await transaction.query(sql.unsafe`SELECT set_config('statement_timeout', ${String(reportStatementTimeoutMilliseconds)}, true)`);
    return read(transaction);
  });
}

function partnerRowsOf(request: SummaryRequest): number {
  const rows = request.partnerRows ?? defaultPartnerRows;
  if (!Number.isInteger(rows) || rows < 0 || rows > maximumPartnerRows) throw new RangeError(`partnerRows must be 0..${maximumPartnerRows}`);
  return rows;
}

// ---- commissions ----

const commissionEventRow = z.object({
  event: z.enum(['generated', 'approved', 'paid', 'reversed']),
  day: z.string(),
  level: z.number(),
  source_type: z.string(),
  currency: z.string(),
  count: z.number(),
  amount: z.string(),
});

/**
 * The period's commission events at the grain (event, UTC day, level, source type, currency):
 *   generated  created in the period, at the commission's amount
 *   approved   approved in the period (released from the hold), at its amount
 *   paid       paid in the period (moved to available by a pay batch), at its amount
 *   reversed   what reversals and clawbacks recorded in the period took back (their audit records carry the amount
 *              of each commission; partial refunds included)
 */
/**
 * An audit record's target id as the key of the row it names, so the join probes that table's primary key for each of
 * the period's records instead of scanning the whole table; a target id of another shape names no row (NULL).
 */
const auditTargetBigint = sql.fragment`(CASE WHEN r.target_id ~ '^[0-9]{1,18}$' THEN r.target_id::bigint END)`;
const auditTargetUuid = sql.fragment`(CASE WHEN r.target_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN r.target_id::uuid END)`;

const commissionEvents = (period: ReportPeriod, partnerFilter = sql.fragment`TRUE`) => sql.fragment`
  SELECT 'generated' AS event, created_at AS at, partner_id, level, source_type, currency, amount
  FROM commissions c WHERE created_at >= ${period.from} AND created_at < ${period.to} AND ${partnerFilter}
  UNION ALL
  SELECT 'approved', approved_at, partner_id, level, source_type, currency, amount
  FROM commissions c WHERE approved_at >= ${period.from} AND approved_at < ${period.to} AND ${partnerFilter}
  UNION ALL
  SELECT 'paid', paid_at, partner_id, level, source_type, currency, amount
  FROM commissions c WHERE paid_at >= ${period.from} AND paid_at < ${period.to} AND ${partnerFilter}
  UNION ALL
  SELECT 'reversed', r.created_at, c.partner_id, c.level, c.source_type, c.currency, r.amount
  FROM audit_records r JOIN commissions c ON c.id = ${auditTargetBigint}
  WHERE r.action IN ('COMMISSION_REVERSE', 'COMMISSION_CLAWBACK') AND r.target_type = 'commission' AND r.amount IS NOT NULL
    AND r.created_at >= ${period.from} AND r.created_at < ${period.to} AND ${partnerFilter}`;

const commissionPartnerRow = z.object({
  partner_id: z.string(),
  currency: z.string(),
  generated_count: z.number(),
  generated: z.string(),
  reversed: z.string(),
  partners: z.number(),
});

const sourceGroups: Record<string, 'ORDER' | 'INVESTMENT' | 'OTHER'> = {
  PRODUCT: 'ORDER',
  INVESTMENT: 'INVESTMENT',
  INVESTMENT_PROFIT: 'INVESTMENT',
  PORTFOLIO_YIELD: 'INVESTMENT',
};

type CommissionEvent = z.infer<typeof commissionEventRow>;

function commissionBreakdown<K extends string | number>(events: CommissionEvent[], keyOf: (event: CommissionEvent) => K) {
  const groups = new Map<string, { key: K; currency: string; generatedCount: number; sums: Record<CommissionEvent['event'], Money> }>();
  for (const event of events) {
    const key = keyOf(event);
    const id = `${String(key)}|${event.currency}`;
    let group = groups.get(id);
    if (!group) {
      group = { key, currency: event.currency, generatedCount: 0, sums: { generated: zero(), approved: zero(), paid: zero(), reversed: zero() } };
      groups.set(id, group);
    }
    group.sums[event.event] = group.sums[event.event].plus(event.amount);
    if (event.event === 'generated') group.generatedCount += event.count;
  }
  const generatedByCurrency = new Map<string, Money>();
  for (const group of groups.values()) addTo(generatedByCurrency, group.currency, group.sums.generated);
  return [...groups.values()]
    .sort((left, right) => (left.key < right.key ? -1 : left.key > right.key ? 1 : left.currency.localeCompare(right.currency)))
    .map((group) => ({
      key: group.key,
      currency: group.currency,
      generatedCount: group.generatedCount,
      generated: money(group.sums.generated, group.currency),
      approved: money(group.sums.approved, group.currency),
      paid: money(group.sums.paid, group.currency),
      reversed: money(group.sums.reversed, group.currency),
      net: money(group.sums.generated.minus(group.sums.reversed), group.currency),
      sharePercent: percentOf(group.sums.generated, generatedByCurrency.get(group.currency) ?? zero()),
    }));
}

/** The commission summary of the period (docs/rules.md#summary-reports). */
export async function commissionSummary(database: DatabasePool, request: SummaryRequest): Promise<CommissionSummary> {
  const period = checkedRange(request.from, request.to);
  const partnerRows = partnerRowsOf(request);
  return readOnly(database, async (connection) => {
    const events = [
      ...(await connection.any(sql.type(commissionEventRow)`
        SELECT event, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, level, source_type, currency,
               count(*)::int AS count, sum(amount)::text AS amount
        FROM (${commissionEvents(period)}) events
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`)),
    ];
    const partners = await connection.any(sql.type(commissionPartnerRow)`
      SELECT partner_id, currency,
             (count(*) FILTER (WHERE event = 'generated'))::int AS generated_count,
             coalesce(sum(amount) FILTER (WHERE event = 'generated'), 0)::text AS generated,
             coalesce(sum(amount) FILTER (WHERE event = 'reversed'), 0)::text AS reversed,
             (count(*) OVER ())::int AS partners
      FROM (${commissionEvents(period)}) events
      WHERE event IN ('generated', 'reversed')
      GROUP BY partner_id, currency
      ORDER BY coalesce(sum(amount) FILTER (WHERE event = 'generated'), 0) DESC, partner_id, currency
      LIMIT ${partnerRows}`);
    const partnerCount = partners[0]?.partners ?? (partnerRows === 0 ? await countCommissionPartners(connection, period) : 0);

    const totalsOf = (event: CommissionEvent['event']) => countAmounts(events.filter((row) => row.event === event));
    const generated = totalsOf('generated');
    const reversed = totalsOf('reversed');
    const currencies = [...new Set(events.map((row) => row.currency))].sort();
    const net = currencies.map((currency) => {
      const plus = new Money(generated.find((row) => row.currency === currency)?.amount ?? '0');
      const minus = new Money(reversed.find((row) => row.currency === currency)?.amount ?? '0');
      return { currency, amount: money(plus.minus(minus), currency) };
    });

    const daily = commissionBreakdown(events, (event) => event.day).map(({ key, sharePercent: _share, ...row }) => ({ day: key, ...row }));
    const bucket = trendBucket(period);
    const trendGroups = commissionBreakdown(events, (event) => bucketStart(event.day, bucket));
    const previous = new Map<string, Money>();
    const trendRows = trendGroups.map((group) => {
      const before = previous.get(group.currency);
      const now = new Money(group.generated);
      previous.set(group.currency, now);
      // The change of generated commissions from the previous bucket that had any in this currency.
      return { start: group.key, currency: group.currency, generated: group.generated, net: group.net, changePercent: before ? percentOf(now.minus(before), before) : null };
    });

    return {
      kind: 'commissions',
      period,
      totals: { generated, approved: totalsOf('approved'), paid: totalsOf('paid'), reversed, net },
      byLevel: commissionBreakdown(events, (event) => event.level).map(({ key, ...row }) => ({ level: key, ...row })),
      bySource: commissionBreakdown(events, (event) => event.source_type).map(({ key, ...row }) => ({ sourceType: key, sourceGroup: sourceGroups[key] ?? 'OTHER', ...row })),
      daily,
      byPartner: {
        partners: partnerCount,
        rows: partners.map((row) => ({
          partnerId: row.partner_id,
          currency: row.currency,
          generatedCount: row.generated_count,
          generated: money(new Money(row.generated), row.currency),
          reversed: money(new Money(row.reversed), row.currency),
          net: money(new Money(row.generated).minus(row.reversed), row.currency),
        })),
      },
      trend: { bucket, rows: trendRows },
    };
  });
}

async function countCommissionPartners(connection: CommonQueryMethods, period: ReportPeriod): Promise<number> {
  return connection.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM (
      SELECT DISTINCT partner_id, currency FROM (${commissionEvents(period)}) events WHERE event IN ('generated', 'reversed')
    ) partners`);
}

// ---- payouts ----

/**
 * The period's payout events, one row per payout and event:
 *   submitted  requested in the period (its reserve posted: a draft counts when submitted)
 *   approved   its approval chain completed in the period (the PAYOUT_APPROVE record that completed it)
 *   processed  sent to the provider, or taken into manual processing, in the period (its first PAYOUT_PROCESS record
 *              there, not the one that sends it to manual review)
 *   completed, failed, cancelled, rejected   closed in the period with that status
 */
const payoutEvents = (period: ReportPeriod) => sql.fragment`
  SELECT 'submitted' AS event, p.requested_at AS at, p.id, p.partner_id, p.method_id, p.currency, p.amount, p.status, p.failure_code
  FROM payouts p WHERE p.requested_at >= ${period.from} AND p.requested_at < ${period.to}
  UNION ALL
  SELECT 'approved', r.created_at, p.id, p.partner_id, p.method_id, p.currency, p.amount, p.status, p.failure_code
  FROM audit_records r JOIN payouts p ON p.id = ${auditTargetUuid}
  WHERE r.action = 'PAYOUT_APPROVE' AND r.target_type = 'payout' AND r.details->>'completesChain' = 'true'
    AND r.created_at >= ${period.from} AND r.created_at < ${period.to}
  UNION ALL
  SELECT 'processed', min(r.created_at), p.id, p.partner_id, p.method_id, p.currency, p.amount, p.status, p.failure_code
  FROM audit_records r JOIN payouts p ON p.id = ${auditTargetUuid}
  WHERE r.action = 'PAYOUT_PROCESS' AND r.target_type = 'payout' AND coalesce(r.details->>'needsReview', 'false') <> 'true'
    AND r.created_at >= ${period.from} AND r.created_at < ${period.to}
  GROUP BY p.id
  UNION ALL
  SELECT lower(p.status), p.closed_at, p.id, p.partner_id, p.method_id, p.currency, p.amount, p.status, p.failure_code
  FROM payouts p
  WHERE p.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'REJECTED') AND p.closed_at >= ${period.from} AND p.closed_at < ${period.to}
    AND p.requested_at IS NOT NULL`;

const payoutEventRow = z.object({
  event: z.enum(['submitted', 'approved', 'processed', 'completed', 'failed', 'cancelled', 'rejected']),
  day: z.string(),
  method_id: z.string(),
  currency: z.string(),
  status: z.string(),
  failure_code: z.string().nullable(),
  count: z.number(),
  amount: z.string(),
});
type PayoutEvent = z.infer<typeof payoutEventRow>;

const processingRow = z.object({ method_id: z.string().nullable(), completed: z.number(), mean_seconds: z.string().nullable(), p90_seconds: z.string().nullable() });

const payoutPartnerRow = z.object({
  partner_id: z.string(),
  currency: z.string(),
  submitted: z.number(),
  completed: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  completed_amount: z.string(),
  partners: z.number(),
});

/** The payout summary of the period (docs/rules.md#summary-reports). */
export async function payoutSummary(database: DatabasePool, request: SummaryRequest): Promise<PayoutSummary> {
  const period = checkedRange(request.from, request.to);
  const partnerRows = partnerRowsOf(request);
  return readOnly(database, async (connection) => {
    const events = [
      ...(await connection.any(sql.type(payoutEventRow)`
        SELECT event, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, method_id, currency, status, failure_code,
               count(*)::int AS count, sum(amount)::text AS amount
        FROM (${payoutEvents(period)}) events
        GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`)),
    ];
    // Per method and overall (the grouping set's NULL method), of the payouts completed in the period.
    const processing = await connection.any(sql.type(processingRow)`
      SELECT method_id, count(*)::int AS completed,
             avg(extract(epoch FROM closed_at - requested_at))::text AS mean_seconds,
             (percentile_disc(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - requested_at)))::text AS p90_seconds
      FROM payouts
      WHERE status = 'COMPLETED' AND closed_at >= ${period.from} AND closed_at < ${period.to} AND requested_at IS NOT NULL
      GROUP BY GROUPING SETS ((method_id), ())`);
    const partners = await connection.any(sql.type(payoutPartnerRow)`
      SELECT partner_id, currency,
             (count(*) FILTER (WHERE event = 'submitted'))::int AS submitted,
             (count(*) FILTER (WHERE event = 'completed'))::int AS completed,
             (count(*) FILTER (WHERE event = 'failed'))::int AS failed,
             (count(*) FILTER (WHERE event = 'cancelled'))::int AS cancelled,
             coalesce(sum(amount) FILTER (WHERE event = 'completed'), 0)::text AS completed_amount,
             (count(*) OVER ())::int AS partners
      FROM (${payoutEvents(period)}) events
      GROUP BY partner_id, currency
      ORDER BY coalesce(sum(amount) FILTER (WHERE event = 'completed'), 0) DESC, partner_id, currency
      LIMIT ${partnerRows}`);
    const partnerCount =
      partners[0]?.partners ??
      (partnerRows === 0
        ? await connection.oneFirst(sql.type(z.object({ count: z.number() }))`
            SELECT count(*)::int AS count FROM (SELECT DISTINCT partner_id, currency FROM (${payoutEvents(period)}) events) partners`)
        : 0);
    return buildPayoutSummary(period, events, processing, partners, partnerCount);
  });
}

function processingTimeOf(row: z.infer<typeof processingRow> | undefined): ProcessingTime {
  return row ? { completed: row.completed, meanSeconds: seconds(row.mean_seconds), p90Seconds: seconds(row.p90_seconds) } : { completed: 0, meanSeconds: null, p90Seconds: null };
}

function buildPayoutSummary(
  period: ReportPeriod,
  events: PayoutEvent[],
  processing: readonly z.infer<typeof processingRow>[],
  partners: readonly z.infer<typeof payoutPartnerRow>[],
  partnerCount: number,
): PayoutSummary {
  const of = (event: PayoutEvent['event']) => events.filter((row) => row.event === event);
  const completed = countAmounts(of('completed'));
  const averageAmount = completed.map((row) => ({
    currency: row.currency,
    // docs/rules.md#summary-reports: the mean is rounded half-even to the currency's scale.
    amount: new Money(row.amount).dividedBy(row.count).toDecimalPlaces(currencyScale(row.currency), Decimal.ROUND_HALF_EVEN).toFixed(currencyScale(row.currency)),
  }));

  const dailyMap = new Map<string, PayoutSummary['daily'][number] & { sum: Money }>();
  for (const row of events) {
    if (row.event === 'rejected') continue;
    const id = `${row.day}|${row.currency}`;
    let day = dailyMap.get(id);
    if (!day) {
      day = { day: row.day, currency: row.currency, submitted: 0, approved: 0, processed: 0, completed: 0, failed: 0, cancelled: 0, completedAmount: '', sum: zero() };
      dailyMap.set(id, day);
    }
    day[row.event] += row.count;
    if (row.event === 'completed') day.sum = day.sum.plus(row.amount);
  }
  const daily = [...dailyMap.values()]
    .sort((left, right) => (left.day === right.day ? left.currency.localeCompare(right.currency) : left.day < right.day ? -1 : 1))
    .map(({ sum, ...row }) => ({ ...row, completedAmount: money(sum, row.currency) }));

  const methodMap = new Map<string, { methodId: string; currency: string; submitted: number; completed: number; failed: number; cancelled: number; sum: Money }>();
  for (const row of events) {
    if (row.event !== 'submitted' && row.event !== 'completed' && row.event !== 'failed' && row.event !== 'cancelled') continue;
    const id = `${row.method_id}|${row.currency}`;
    let method = methodMap.get(id);
    if (!method) {
      method = { methodId: row.method_id, currency: row.currency, submitted: 0, completed: 0, failed: 0, cancelled: 0, sum: zero() };
      methodMap.set(id, method);
    }
    method[row.event] += row.count;
    if (row.event === 'completed') method.sum = method.sum.plus(row.amount);
  }
  const byMethod = [...methodMap.values()]
    .sort((left, right) => (left.methodId === right.methodId ? left.currency.localeCompare(right.currency) : left.methodId < right.methodId ? -1 : 1))
    .map(({ sum, ...row }) => ({
      ...row,
      completedAmount: money(sum, row.currency),
      averageAmount: row.completed === 0 ? null : sum.dividedBy(row.completed).toDecimalPlaces(currencyScale(row.currency), Decimal.ROUND_HALF_EVEN).toFixed(currencyScale(row.currency)),
      // Processing time is a duration, the same whatever the currency: per method.
      processingTime: processingTimeOf(processing.find((time) => time.method_id === row.methodId)),
    }));

  const statusMap = new Map<string, { status: string; currency: string; count: number; sum: Money }>();
  for (const row of of('submitted')) {
    const id = `${row.status}|${row.currency}`;
    const entry = statusMap.get(id) ?? { status: row.status, currency: row.currency, count: 0, sum: zero() };
    entry.count += row.count;
    entry.sum = entry.sum.plus(row.amount);
    statusMap.set(id, entry);
  }
  const byStatus = [...statusMap.values()]
    .sort((left, right) => (left.status === right.status ? left.currency.localeCompare(right.currency) : left.status < right.status ? -1 : 1))
    .map(({ sum, ...row }) => ({ ...row, amount: money(sum, row.currency) }));

  const failureMap = new Map<string, { failureCode: string; methodId: string; currency: string; count: number; sum: Money }>();
  for (const row of of('failed')) {
    const failureCode = row.failure_code ?? 'UNKNOWN';
    const id = `${failureCode}|${row.method_id}|${row.currency}`;
    const entry = failureMap.get(id) ?? { failureCode, methodId: row.method_id, currency: row.currency, count: 0, sum: zero() };
    entry.count += row.count;
    entry.sum = entry.sum.plus(row.amount);
    failureMap.set(id, entry);
  }
  const failed = countAmounts(of('failed'));
  const closedCurrencies = [...new Set([...completed, ...failed].map((row) => row.currency))].sort();
  const failureRatePercent = closedCurrencies.map((currency) => {
    const failures = failed.find((row) => row.currency === currency)?.count ?? 0;
    const completions = completed.find((row) => row.currency === currency)?.count ?? 0;
    return { currency, percent: percentOf(new Money(failures), new Money(failures + completions)) };
  });

  return {
    kind: 'payouts',
    period,
    totals: {
      submitted: countAmounts(of('submitted')),
      approved: countAmounts(of('approved')),
      processed: countAmounts(of('processed')),
      completed,
      failed,
      cancelled: countAmounts(of('cancelled')),
      rejected: countAmounts(of('rejected')),
      totalAmount: completed.map((row) => ({ currency: row.currency, amount: row.amount })),
      averageAmount,
      processingTime: processingTimeOf(processing.find((row) => row.method_id === null)),
    },
    daily,
    byMethod,
    byStatus,
    byPartner: {
      partners: partnerCount,
      rows: partners.map((row) => ({
        partnerId: row.partner_id,
        currency: row.currency,
        submitted: row.submitted,
        completed: row.completed,
        failed: row.failed,
        cancelled: row.cancelled,
        completedAmount: money(new Money(row.completed_amount), row.currency),
      })),
    },
    failures: {
      rows: [...failureMap.values()]
        .sort((left, right) => right.count - left.count || left.failureCode.localeCompare(right.failureCode) || left.methodId.localeCompare(right.methodId))
        .map(({ sum, ...row }) => ({ ...row, amount: money(sum, row.currency) })),
      failureRatePercent,
    },
  };
}
