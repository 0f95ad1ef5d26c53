import Decimal from 'decimal.js';

/**
 * Money is never a JS number. Amounts are decimal strings across HTTP and Temporal payloads and `Decimal` in
 * arithmetic. Every rounding step names its mode.
 */
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_DOWN, toExpNeg: -40, toExpPos: 40 });
export type Money = Decimal;

/** Decimal places per currency; mirrors the `currencies` table (migration 001). */
export const currencyScales: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  RUB: 2,
  GBP: 2,
  JPY: 0,
  USDT: 6,
  BTC: 8,
};

export type Currency = keyof typeof currencyScales;

export function isCurrency(code: string): code is Currency {
  return Object.hasOwn(currencyScales, code);
}

export function currencyScale(currency: string): number {
  const scale = currencyScales[currency];
  if (scale === undefined) throw new RangeError(`unknown currency ${currency}`);
  return scale;
}

/** A plain decimal literal: optional minus, digits, optional fraction. No exponent, no spaces, no plus sign. */
export const decimalPattern = /^-?(0|[1-9]\d{0,17})(\.\d{1,18})?$/;

export function parseMoney(text: string): Money {
  if (!decimalPattern.test(text)) throw new RangeError(`not a decimal amount: ${JSON.stringify(text)}`);
  return new Money(text);
}

/** True when the amount has no more decimal places than the currency allows. */
export function fitsScale(amount: Money, currency: string): boolean {
  return amount.decimalPlaces() <= currencyScale(currency);
}

/** The canonical wire form: fixed notation at the currency's scale ("10" in USD is "10.00"). */
export function formatMoney(amount: Money | string, currency: string): string {
  const value = typeof amount === 'string' ? new Money(amount) : amount;
  if (!fitsScale(value, currency)) {
    throw new RangeError(`${value.toFixed()} has more decimal places than ${currency} allows`);
  }
  // Exact: the scale check above means toFixed only pads with zeros here, so the mode never applies.
  return value.toFixed(currencyScale(currency), Decimal.ROUND_DOWN);
}

export function sumMoney(values: Iterable<Money | string>): Money {
  let total = new Money(0);
  for (const value of values) total = total.plus(value);
  return total;
}
