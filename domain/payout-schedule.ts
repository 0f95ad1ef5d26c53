import { Money, formatMoney } from './money.ts';

/**
 * The payment schedule's calendar and its "next payment" figure (docs/rules.md#payment-schedule). Pure: the API, the
 * schedule's activities and the Temporal Schedule's calendar all use it.
 *
 * docs/rules.md#payment-schedule pays *on* dates ("we pay on the 15th and the 31st"), not for periods. A payment day the month does not
 * have (31 in April, 30 in February) is that month's last day, so "the 31st" means "the end of the month".
 */

const isoDatePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date (UTC) as `YYYY-MM-DD`; refuses anything that is not a real date. */
export function parseIsoDate(text: string): { year: number; month: number; day: number } {
  const match = isoDatePattern.exec(text);
  if (!match) throw new RangeError(`not a date (YYYY-MM-DD): ${text}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new RangeError(`not a date: ${text}`);
  return { year, month, day };
}

export function isIsoDate(text: string): boolean {
  try {
    parseIsoDate(text);
    return true;
  } catch {
    return false;
  }
}

/** Days in a month (1–12) of a year, Gregorian. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function formatIsoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The UTC calendar date of an instant. */
export function utcDateOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** The month's payment dates: each payment day, a day the month lacks taken as its last day; sorted, distinct. */
export function paymentDatesOfMonth(year: number, month: number, paymentDays: readonly number[]): string[] {
  const last = daysInMonth(year, month);
  const days = [...new Set(paymentDays.map((day) => Math.min(day, last)))].sort((a, b) => a - b);
  return days.map((day) => formatIsoDate(year, month, day));
}

export function isPaymentDate(date: string, paymentDays: readonly number[]): boolean {
  const { year, month } = parseIsoDate(date);
  return paymentDatesOfMonth(year, month, paymentDays).includes(date);
}

/**
 * The next payment date on or after `today` (docs/rules.md#payment-schedule: "Next payment shows the date nearest to the current one").
 * A payment day is a day of every month, so one is always found within two months.
 */
export function nextPaymentDate(today: string, paymentDays: readonly number[]): string {
  if (paymentDays.length === 0) throw new RangeError('no payment days');
  let { year, month } = parseIsoDate(today);
  for (let step = 0; step < 2; step += 1) {
    const found = paymentDatesOfMonth(year, month, paymentDays).find((date) => date >= today);
    if (found) return found;
    month += 1;
    if (month === 13) {
      month = 1;
      year += 1;
    }
  }
  throw new Error(`no payment date after ${today}`);
}

/**
 * The hold's cutoff for a payment date: 00:00 UTC of the payment date minus `holdDays` days. Money counts for the
 * payment when its hold ended at or before the cutoff (docs/rules.md#payment-schedule: "paying on the 31st with a 14-day hold counts
 * up to the 17th"). Bonuses have no hold (docs/rules.md#payment-schedule: "counted at once in the nearest payment").
 */
export function paymentCutoff(paymentDate: string, holdDays: number): Date {
  if (!Number.isInteger(holdDays) || holdDays < 0) throw new RangeError(`holdDays must be a whole number ≥ 0, got ${holdDays}`);
  const { year, month, day } = parseIsoDate(paymentDate);
  return new Date(Date.UTC(year, month - 1, day - holdDays));
}

/**
 * The Temporal Schedule's calendar for the payment days: each day at `hourUtc`, plus month ends for days some
 * months lack (31 → the 30th of 30-day months, and days ≥ 29 → February 28th and 29th). A firing that is not a
 * payment date under the policy in force (February 28th of a leap year, for one) is skipped by the run itself.
 */
export function paymentDayCalendars(paymentDays: readonly number[], hourUtc: number) {
  const months30 = ['APRIL', 'JUNE', 'SEPTEMBER', 'NOVEMBER'] as const;
  const calendars: { dayOfMonth: number; month?: (typeof months30)[number][] | 'FEBRUARY'; hour: number; minute: number; comment: string }[] = [];
  const days = [...new Set(paymentDays)].sort((a, b) => a - b);
  const minute = 0;
  calendars.push(...days.map((day) => ({ dayOfMonth: day, hour: hourUtc, minute, comment: `payment day ${day}` })));
  if (days.includes(31) && !days.includes(30)) calendars.push({ dayOfMonth: 30, month: [...months30], hour: hourUtc, minute, comment: 'payment day 31 in a 30-day month' });
  if (days.some((day) => day >= 29)) {
    if (!days.includes(28)) calendars.push({ dayOfMonth: 28, month: 'FEBRUARY', hour: hourUtc, minute, comment: 'February’s last day (or not: the run checks)' });
    if (!days.includes(29)) calendars.push({ dayOfMonth: 29, month: 'FEBRUARY', hour: hourUtc, minute, comment: 'February’s last day in a leap year' });
  }
  return calendars;
}

/** What one wallet holds toward a payment, each part a non-negative decimal string except as noted. */
export interface WalletFigures {
  /** The `available` balance now. */
  available: string;
  /** Commissions already paid into `available` whose hold ended after the cutoff (net of partial reversals). */
  paidAfterCutoff: string;
  /** Commissions whose hold ended by the cutoff but which the pay batch has not moved to `available` yet. */
  clearedNotYetPaid: string;
  /** What the partner owes (`debt`, as a positive amount): the pay batch repays it first. */
  debtOwed: string;
}

export interface NextPaymentAmount {
  /** The next payment: `inAvailable` + `awaitingPayBatch`. */
  amount: string;
  /** The part already in `available` that cleared the hold by the cutoff: what a run on the date can pay. */
  inAvailable: string;
  /** The part that cleared by the cutoff but reaches `available` only with the pay batch (after debt is repaid). */
  awaitingPayBatch: string;
}

/**
 * The "next payment" of one wallet (docs/rules.md#payment-schedule). Everything in `available` counts — bonuses, returned payouts and
 * older money alike (they have no hold) — except commissions whose hold ended after the cutoff; when the partner has
 * since spent part of `available`, that subtraction can exceed it, and the figure stays at zero rather than paying
 * uncleared money. Commissions that cleared by the cutoff but are not yet in `available` are added, less the debt
 * the pay batch will repay from them. Rounding: none is needed (all inputs are exact at the currency's scale).
 */
export function nextPaymentAmount(figures: WalletFigures, currency: string): NextPaymentAmount {
  const zero = new Money(0);
  const inAvailable = Money.max(new Money(figures.available).minus(figures.paidAfterCutoff), zero);
  const awaitingPayBatch = Money.max(new Money(figures.clearedNotYetPaid).minus(figures.debtOwed), zero);
  return {
    amount: formatMoney(inAvailable.plus(awaitingPayBatch), currency),
    inAvailable: formatMoney(inAvailable, currency),
    awaitingPayBatch: formatMoney(awaitingPayBatch, currency),
  };
}
