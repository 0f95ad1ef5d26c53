import Decimal from 'decimal.js';
import type { AccountRef } from './ledger.ts';
import { Money } from './money.ts';
import type { PartnerStatus, Rank } from './network.ts';
import type { CommissionPolicy, RateColumn } from './policy.ts';

/**
 * The commission calculation of docs/rules.md#commissions, as a pure function: no database, no clock.
 * Given an event's USD base and the chain from the attributed partner upwards (rank and status as they were
 * when the event completed), it returns one line per partner who earns something.
 */

export const eventKinds = [
  'ORDER_COMPLETED', 'INVESTMENT_CONFIRMED', 'INVESTMENT_PROFIT', 'PORTFOLIO_YIELD', 'ORDER_CANCELLED',
] as const;
export type EventKind = (typeof eventKinds)[number];

export type SourceType = 'PRODUCT' | 'INVESTMENT' | 'INVESTMENT_PROFIT' | 'PORTFOLIO_YIELD';

export const incomeTypeNames = {
  1: 'personal sales',
  2: 'team sales',
  3: 'repeat sales',
  4: 'own portfolio returns',
  5: 'client investment profits',
  6: 'network investment profits',
  7: 'leadership pool',
} as const;
export type IncomeType = keyof typeof incomeTypeNames;

export function sourceTypeOf(kind: Exclude<EventKind, 'ORDER_CANCELLED'>): SourceType {
  return ({
    ORDER_COMPLETED: 'PRODUCT',
    INVESTMENT_CONFIRMED: 'INVESTMENT',
    INVESTMENT_PROFIT: 'INVESTMENT_PROFIT',
    PORTFOLIO_YIELD: 'PORTFOLIO_YIELD',
  } as const)[kind];
}

/** Which hold applies to a source type (the pending periods in docs/rules.md#holds). */
export function holdKindOf(sourceType: SourceType | 'POOL'): keyof CommissionPolicy['holds'] {
  if (sourceType === 'PRODUCT' || sourceType === 'INVESTMENT' || sourceType === 'POOL') return sourceType;
  return 'PASSIVE';
}

/** The rate column an event uses, for the direct commission and the differential alike (docs/rules.md#differential). */
export function rateColumnOf(sourceType: Exclude<SourceType, 'PORTFOLIO_YIELD'>): RateColumn {
  if (sourceType === 'PRODUCT') return 'personalSales';
  if (sourceType === 'INVESTMENT') return 'entranceFee';
  return 'passiveIncome';
}

export interface ChainMember {
  partnerId: string;
  rank: Rank;
  status: PartnerStatus;
  /** 1 for the attributed partner, 2 for their sponsor…; defaults to the position in the chain. A chain may omit
   *  members who cannot change the result (see the engine), so the level is carried, not counted. */
  level?: number;
}

export interface CommissionLine {
  partnerId: string;
  incomeType: IncomeType;
  /** 1 for the attributed partner, 2 for their sponsor, and so on up the chain. */
  level: number;
  base: string;
  /** The rate applied: the partner's own rate less the highest rate already paid below them. */
  rate: string;
  amount: string;
  breakdown: CommissionBreakdown;
}

export interface CommissionBreakdown {
  text: string;
  base: string;
  ownRate: string;
  paidBelow: string;
  rate: string;
  /** rate × base, truncated to the policy's percentage places. */
  percentage: string;
  amount: string;
  /** Inactive partners passed over below this one, whose rate does not count as paid. */
  skippedInactive: string[];
  rateColumn?: RateColumn;
  rank?: Rank;
}

/** Rounds a product: the percentage step truncated (ROUND_DOWN), then the amount floored (ROUND_FLOOR). */
export function roundCommission(product: Decimal, policy: CommissionPolicy): { percentage: Money; amount: Money } {
  const percentage = new Money(product).toDecimalPlaces(policy.rounding.percentageDecimals, Decimal.ROUND_DOWN);
  const amount = percentage.toDecimalPlaces(policy.rounding.amountDecimals, Decimal.ROUND_FLOOR);
  return { percentage, amount };
}

function fixed(value: Decimal, places: number): string {
  // Exact: every value passed here already has at most `places` decimal places, so only zeros are added.
  return value.toFixed(places, Decimal.ROUND_DOWN);
}

/** The top rate of a column: once it has been paid in a chain, no ancestor can earn anything more. */
export function topRate(policy: CommissionPolicy, column: RateColumn): Money {
  return rateTable(policy, column).top.rate;
}

interface RateStep {
  rate: Money;
  /** The rate in millionths: an exact integer (the policy allows at most 6 places), for comparisons only. */
  micros: number;
}

const rateTables = new WeakMap<CommissionPolicy, Map<RateColumn, { byRank: Map<Rank, RateStep>; top: RateStep }>>();

/**
 * A column's rates by rank, parsed once per policy object: walking a chain thousands deep compares integers and
 * builds decimals only for the members who are paid.
 */
export function rateTable(policy: CommissionPolicy, column: RateColumn): { byRank: Map<Rank, RateStep>; top: RateStep } {
  let columns = rateTables.get(policy);
  if (!columns) {
    columns = new Map();
    rateTables.set(policy, columns);
  }
  let table = columns.get(column);
  if (!table) {
    const byRank = new Map<Rank, RateStep>();
    let top: RateStep = { rate: new Money(0), micros: 0 };
    for (const [rank, rates] of Object.entries(policy.rates) as [Rank, Record<RateColumn, string>][]) {
      const rate = new Money(rates[column]);
      // Exact: the policy schema allows at most six decimal places, so this is an integer.
      const step = { rate, micros: Number(rate.times(1_000_000).toFixed(0, Decimal.ROUND_DOWN)) };
      byRank.set(rank, step);
      if (step.micros > top.micros) top = step;
    }
    table = { byRank, top };
    columns.set(column, table);
  }
  return table;
}

/** True when an ACTIVE member of the chain already has the top rate: nobody above can earn anything. */
export function chainSettles(chain: readonly ChainMember[], policy: CommissionPolicy, column: RateColumn): boolean {
  const { byRank, top } = rateTable(policy, column);
  return chain.some((member) => member.status === 'ACTIVE' && byRank.get(member.rank)!.micros >= top.micros);
}

/**
 * Types 1/3 and 2 (orders, investments) or 5 and 6 (investment profits). Walking up from the attributed
 * partner, each ACTIVE member earns (own rate − highest rate already paid below) × base when positive; inactive
 * members are skipped and their rate does not count as paid. No attributed partner, no commission.
 */
export function calculateChainCommissions(
  input: { sourceType: Exclude<SourceType, 'PORTFOLIO_YIELD'>; base: string; repeatPurchase: boolean },
  chain: readonly ChainMember[],
  policy: CommissionPolicy,
): CommissionLine[] {
  const column = rateColumnOf(input.sourceType);
  const { byRank, top } = rateTable(policy, column);
  const base = new Money(input.base);
  const directType: IncomeType = input.sourceType === 'INVESTMENT_PROFIT' ? 5 : input.repeatPurchase ? 3 : 1;
  const chainType: IncomeType = input.sourceType === 'INVESTMENT_PROFIT' ? 6 : 2;
  const lines: CommissionLine[] = [];
  let paidBelow = new Money(0);
  let paidMicros = 0;
  let skipped: string[] = [];
  for (let index = 0; index < chain.length; index += 1) {
    if (paidMicros >= top.micros) break;
    const member = chain[index]!;
    if (member.status !== 'ACTIVE') {
      skipped.push(member.partnerId);
      continue;
    }
    const own = byRank.get(member.rank)!;
    if (own.micros <= paidMicros) continue;
    const ownRate = own.rate;
    const rate = ownRate.minus(paidBelow);
    const { percentage, amount } = roundCommission(base.times(rate), policy);
    const previous = paidBelow;
    paidBelow = ownRate;
    paidMicros = own.micros;
    if (amount.lte(0)) continue;
    const places = policy.rounding.percentageDecimals;
    const amountText = fixed(amount, policy.rounding.amountDecimals);
    const rateText = rate.toFixed();
    const level = member.level ?? index + 1;
    const incomeType = level === 1 ? directType : chainType;
    lines.push({
      partnerId: member.partnerId,
      incomeType,
      level,
      base: fixed(base, 2),
      rate: rateText,
      amount: amountText,
      breakdown: {
        text: '',
        base: fixed(base, 2),
        ownRate: ownRate.toFixed(),
        paidBelow: previous.toFixed(),
        rate: rateText,
        percentage: fixed(percentage, places),
        amount: amountText,
        skippedInactive: skipped,
        rateColumn: column,
        rank: member.rank,
      },
    });
    const line = lines.at(-1)!;
    line.breakdown.text = breakdownText(line.incomeType, line.level, line.breakdown);
    skipped = [];
  }
  return lines;
}

/** Type 4: the partner's own investment times the strategy's yield, credited to the partner alone. */
export function calculatePortfolioYield(
  input: { partnerId: string; base: string; yieldRate: string },
  policy: CommissionPolicy,
): CommissionLine[] {
  const base = new Money(input.base);
  const yieldRate = new Money(input.yieldRate);
  const { percentage, amount } = roundCommission(base.times(yieldRate), policy);
  if (amount.lte(0)) return [];
  const places = policy.rounding.percentageDecimals;
  const amountText = fixed(amount, policy.rounding.amountDecimals);
  const lines: CommissionLine[] = [
    {
      partnerId: input.partnerId,
      incomeType: 4,
      level: 1,
      base: fixed(base, 2),
      rate: yieldRate.toFixed(),
      amount: amountText,
      breakdown: {
        text: '',
        base: fixed(base, 2),
        ownRate: yieldRate.toFixed(),
        paidBelow: '0',
        rate: yieldRate.toFixed(),
        percentage: fixed(percentage, places),
        amount: amountText,
        skippedInactive: [],
      },
    },
  ];
  lines[0]!.breakdown.text = breakdownText(4, 1, lines[0]!.breakdown);
  return lines;
}

const placesOf = (text: string) => (text.includes('.') ? text.length - text.indexOf('.') - 1 : 0);

/**
 * The readable form of a breakdown, from its figures alone: the engine stores the figures and the API renders
 * this text, so a million commissions do not each carry the same sentence.
 */
export function breakdownText(incomeType: IncomeType, level: number, breakdown: Omit<CommissionBreakdown, 'text'>): string {
  const rounding = `= ${breakdown.percentage} (truncated to ${placesOf(breakdown.percentage)} dp) → ${breakdown.amount} ` +
    `(floored to ${placesOf(breakdown.amount)} dp)`;
  if (incomeType === 4) return `own portfolio returns: ${breakdown.base} × ${breakdown.rate} ${rounding}`;
  const rate = breakdown.paidBelow === '0' ? breakdown.ownRate : `(${breakdown.ownRate} − ${breakdown.paidBelow})`;
  const skipped = breakdown.skippedInactive.length > 0 ? `; skipped inactive below: ${breakdown.skippedInactive.join(', ')}` : '';
  return `${incomeTypeNames[incomeType]}, level ${level}, rank ${breakdown.rank}: ${breakdown.base} × ${rate} ${rounding}${skipped}`;
}

/** A partial reversal: original × refund / order total, floored to cents (docs/rules.md#proportional-reversal: 1,000 × 0.25 = 250). */
export function proportionalReversal(original: string, refund: string, orderTotal: string): Money {
  return new Money(original).times(refund).div(orderTotal).toDecimalPlaces(2, Decimal.ROUND_FLOOR);
}

/** The platform account a commission is paid from: portfolio returns for type 4, the commission expense for the rest. */
export function commissionPlatformAccount(bucket: 'commission_expense' | 'portfolio_returns', currency: string): AccountRef {
  return { ownerType: 'platform', ownerId: 'platform', bucket, currency };
}

/** A partner's account that a commission moves through: pending, approved, then available (or debt, when reversed). */
export function commissionPartnerAccount(partnerId: string, bucket: 'commission_pending' | 'commission_approved' | 'available' | 'debt', currency: string): AccountRef {
  return { ownerType: 'partner', ownerId: partnerId, bucket, currency };
}
