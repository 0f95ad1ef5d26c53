import { Money, fitsScale, isCurrency } from './money.ts';

/**
 * Partner-side buckets (docs/rules.md#ledger-accounts). Amounts are signed: a positive balance is money the platform owes the
 * partner; `debt` runs from 0 downwards (what the partner owes), and the API reports it as a positive figure.
 */
export const partnerBuckets = [
  'commission_pending',
  'commission_approved',
  'available',
  'payout_reserved',
  'held',
  'debt',
] as const;
export type PartnerBucket = (typeof partnerBuckets)[number];

/** Platform-side accounts: unconstrained, striped so that hot accounts do not serialise writers. */
export const platformBuckets = [
  'commission_expense',
  'bonus_expense',
  'pool_funding',
  /** What equal, floored pool shares leave over: the rounding remainder of each pool run, kept in the ledger. */
  'pool_remainder',
  /** The source of type 4 income: the returns of partners' own investments, paid out through their balances. */
  'portfolio_returns',
  'payout_clearing',
  'fees_income',
  'refunds',
  'fx',
  'adjustments',
] as const;
export type PlatformBucket = (typeof platformBuckets)[number];

export type AccountRef =
  | { ownerType: 'partner'; ownerId: string; bucket: PartnerBucket; currency: string }
  | { ownerType: 'platform'; ownerId: string; bucket: PlatformBucket; currency: string };

export interface AccountLimits {
  minBalance: string | null;
  maxBalance: string | null;
  stripes: number;
}

export const platformStripes = 16;

/** Limits are a property of the bucket: every partner bucket has a floor of 0, except debt with a ceiling of 0. */
export function accountLimits(account: AccountRef): AccountLimits {
  if (account.ownerType === 'platform') return { minBalance: null, maxBalance: null, stripes: platformStripes };
  if (account.bucket === 'debt') return { minBalance: null, maxBalance: '0', stripes: 1 };
  return { minBalance: '0', maxBalance: null, stripes: 1 };
}

export function accountKey(account: AccountRef): string {
  return `${account.ownerType}:${account.ownerId}:${account.bucket}:${account.currency}`;
}

export interface PostingInput {
  account: AccountRef;
  /** Signed decimal string: positive credits the account's balance, negative debits it. */
  amount: string;
}

export interface EntryInput {
  /** Business key (workflow ID + step). Same key and input returns the first entry; other input is an error. */
  idempotencyKey: string;
  kind: string;
  description?: string;
  metadata?: Record<string, unknown>;
  reversesEntryId?: string;
  postings: PostingInput[];
}

export class LedgerInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * Checks an entry before it reaches the database (which checks it again): at least two postings, no zero
 * amount, amounts within each currency's scale, and a zero sum per currency.
 */
export function validateEntry(entry: EntryInput): void {
  if (entry.idempotencyKey.length === 0 || entry.idempotencyKey.length > 200) {
    throw new LedgerInputError('idempotency key must be 1 to 200 characters', 'idempotencyKey');
  }
  if (entry.postings.length < 2) throw new LedgerInputError('an entry needs at least two postings', 'postings');
  const sums = new Map<string, Money>();
  entry.postings.forEach((posting, index) => {
    const field = `postings.${index}.amount`;
    if (!isCurrency(posting.account.currency)) {
      throw new LedgerInputError(`unknown currency ${posting.account.currency}`, `postings.${index}.currency`);
    }
    const amount = new Money(posting.amount);
    if (amount.isZero()) throw new LedgerInputError('a posting amount cannot be zero', field);
    if (!fitsScale(amount, posting.account.currency)) {
      throw new LedgerInputError(`${posting.amount} is finer than ${posting.account.currency} allows`, field);
    }
    sums.set(posting.account.currency, (sums.get(posting.account.currency) ?? new Money(0)).plus(amount));
  });
  for (const [currency, sum] of sums) {
    if (!sum.isZero()) {
      throw new LedgerInputError(`postings in ${currency} do not sum to zero`, 'postings');
    }
  }
}
