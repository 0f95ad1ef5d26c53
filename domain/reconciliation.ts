import type { AdminRole } from './access.ts';
import { csvRecord } from './csv.ts';
import { DomainError } from './errors.ts';
import { checkerRefusal, type FourEyesActor } from './four-eyes.ts';
import { Money } from './money.ts';

/**
 * Daily reconciliation (docs/rules.md#daily-reconciliation), the pure part: which day may be reconciled, the report's
 * shape from the rows `reconciliation_report(day)` returns (migration 033 computes every figure in SQL), what must be
 * explained before sign-off, who may sign, and the archived CSV. Amounts are exact decimal text throughout.
 */

/**
 * The movement groups, in report order (docs/rules.md#reconciliation-movements). The SQL function
 * `reconciliation_movement_group` assigns each posting to one of them from its entry's kind and key.
 */
export const movementGroups = [
  'commissions_created',
  'commissions_approved',
  'commissions_paid',
  'commissions_reversed',
  'payouts_requested',
  'payouts_completed',
  'payouts_failed',
  'payouts_cancelled',
  'payouts_rejected',
  'adjustments',
  'bonuses',
  'pools',
  'refunds',
  'chargebacks',
  'fees',
  'other',
] as const;
export type MovementGroup = (typeof movementGroups)[number];

/** Who may sign a day off (with a fresh TOTP code; never the person who ran it on demand). */
export const reconciliationSigners: readonly AdminRole[] = ['finance_manager', 'finance_director'];

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC calendar day of an instant, as YYYY-MM-DD. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The day before `day` (YYYY-MM-DD). */
export function previousDay(day: string): string {
  const at = new Date(`${day}T00:00:00.000Z`);
  at.setUTCDate(at.getUTCDate() - 1);
  return utcDay(at);
}

/** Whether the text is a real calendar day as YYYY-MM-DD. */
export function isCalendarDay(text: string): boolean {
  const at = new Date(`${text}T00:00:00.000Z`);
  return dayPattern.test(text) && !Number.isNaN(at.getTime()) && utcDay(at) === text;
}

/**
 * A day that may be reconciled: a real calendar date (YYYY-MM-DD, UTC) that has ended. A future day, and today (its
 * figures still move), are refused naming `field`.
 */
export function reconcilableDay(text: string, now: Date, field = 'date'): string {
  if (!isCalendarDay(text)) {
    throw new DomainError('invalid', 'invalid_date', `${field} must be a calendar date as YYYY-MM-DD (UTC)`, field);
  }
  const today = utcDay(now);
  if (text > today) throw new DomainError('invalid', 'future_date', `${field} ${text} is in the future; a day is reconciled once it has ended`, field);
  if (text === today) throw new DomainError('invalid', 'day_not_ended', `${field} ${text} is today; a day is reconciled once it has ended (UTC)`, field);
  return text;
}

/** One row of `reconciliation_report(day)`. */
export interface ReportRow {
  section: 'opening' | 'movement' | 'closing' | 'variance';
  movement: string | null;
  owner_type: string;
  bucket: string;
  currency: string;
  amount: string;
}

export interface BalanceLine {
  ownerType: string;
  bucket: string;
  currency: string;
  amount: string;
}

export interface MovementLine extends BalanceLine {
  movement: string;
}

/** One row of `ledger_rebuild_findings()`. */
export interface RebuildFinding {
  check: string;
  subject: string;
  detail: Record<string, unknown>;
}

export interface ReconciliationReport {
  day: string;
  opening: BalanceLine[];
  movements: MovementLine[];
  closing: BalanceLine[];
  variance: BalanceLine[];
  /** True when every variance line is zero. */
  balanced: boolean;
}

const lineKey = (line: BalanceLine) => `${line.ownerType}:${line.bucket}:${line.currency}`;
const byLine = (a: BalanceLine, b: BalanceLine) => (lineKey(a) < lineKey(b) ? -1 : lineKey(a) > lineKey(b) ? 1 : 0);
const groupOrder = (movement: string) => {
  const index = movementGroups.indexOf(movement as MovementGroup);
  return index === -1 ? movementGroups.length : index;
};

/** Normalised decimal text (no trailing zeros, no exponent): the same figure always reads the same. */
const exact = (amount: string) => new Money(amount).toFixed();

/** The report from the SQL rows, in a fixed order (so the same rows always give the same JSON and CSV). */
export function buildReport(day: string, rows: readonly ReportRow[]): ReconciliationReport {
  const balance = (section: ReportRow['section']) =>
    rows
      .filter((row) => row.section === section)
      .map((row) => ({ ownerType: row.owner_type, bucket: row.bucket, currency: row.currency, amount: exact(row.amount) }))
      .sort(byLine);
  const movements = rows
    .filter((row) => row.section === 'movement')
    .map((row) => ({ movement: row.movement ?? 'other', ownerType: row.owner_type, bucket: row.bucket, currency: row.currency, amount: exact(row.amount) }))
    .sort((a, b) => groupOrder(a.movement) - groupOrder(b.movement) || a.movement.localeCompare(b.movement) || byLine(a, b));
  const variance = balance('variance');
  return { day, opening: balance('opening'), movements, closing: balance('closing'), variance, balanced: variance.every((line) => new Money(line.amount).isZero()) };
}

/**
 * What needs a recorded finding before the day can be signed: every non-zero variance line and every rebuild
 * finding, each by a stable reference.
 */
export function itemsToExplain(report: ReconciliationReport, rebuild: readonly RebuildFinding[]): string[] {
  return [
    ...report.variance.filter((line) => !new Money(line.amount).isZero()).map((line) => `variance:${lineKey(line)}`),
    ...rebuild.map((finding) => `rebuild:${finding.check}:${finding.subject}`),
  ];
}

/** The items no finding explains yet. */
export function unexplainedItems(items: readonly string[], findings: readonly { item: string }[]): string[] {
  const explained = new Set(findings.map((finding) => finding.item));
  return items.filter((item) => !explained.has(item));
}

/**
 * The refusal of a sign-off, or null: a signer's role, not the person who ran the day on demand, not twice, and
 * nothing left unexplained. (The TOTP code is verified by the caller, before this.)
 */
export function signOffRefusal(
  state: { status: string; requestedBy: string | null; items: readonly string[]; findings: readonly { item: string }[] },
  signer: FourEyesActor,
): DomainError | null {
  if (state.status === 'SIGNED') return new DomainError('conflict', 'already_signed', 'this day is already signed off', 'date');
  const roleOrMaker = checkerRefusal(
    { makerUserId: state.requestedBy ?? '', checkerRoles: reconciliationSigners, reason: 'a reconciliation is signed off' },
    signer,
  );
  if (roleOrMaker) return new DomainError(roleOrMaker.kind, roleOrMaker.code, roleOrMaker.message, 'role');
  const open = unexplainedItems(state.items, state.findings);
  if (open.length > 0) {
    return new DomainError('conflict', 'unexplained_items', `record a finding for each of: ${open.join(', ')}`, 'findings');
  }
  return null;
}

export interface ArchivedFinding {
  item: string;
  note: string;
  adjustmentId: string | null;
  recordedBy: string;
  recordedAt: string;
}

/**
 * The archived CSV (RFC 4180, CRLF): one record per report line (section, movement, owner type, bucket, currency,
 * amount), then the rebuild findings, the recorded findings and the sign-off. Deterministic for the same inputs.
 */
export function reportCsv(
  report: ReconciliationReport,
  rebuild: readonly RebuildFinding[],
  findings: readonly ArchivedFinding[],
  signOff: { signedBy: string; role: string; signedAt: string },
): string {
  let csv = csvRecord(['day', 'section', 'movement', 'owner_type', 'bucket', 'currency', 'amount']);
  const balanceRows = (section: string, lines: readonly BalanceLine[]) => {
    for (const line of lines) csv += csvRecord([report.day, section, '', line.ownerType, line.bucket, line.currency, line.amount]);
  };
  balanceRows('opening', report.opening);
  for (const line of report.movements) csv += csvRecord([report.day, 'movement', line.movement, line.ownerType, line.bucket, line.currency, line.amount]);
  balanceRows('closing', report.closing);
  balanceRows('variance', report.variance);
  for (const finding of rebuild) csv += csvRecord([report.day, 'rebuild_finding', finding.check, finding.subject, '', '', JSON.stringify(finding.detail)]);
  for (const finding of findings) {
    csv += csvRecord([report.day, 'finding', finding.item, finding.note, finding.adjustmentId ?? '', finding.recordedBy, finding.recordedAt]);
  }
  csv += csvRecord([report.day, 'signed_off', signOff.role, signOff.signedBy, '', '', signOff.signedAt]);
  return csv;
}
