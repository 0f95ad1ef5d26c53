import { Money, formatMoney } from './money.ts';
import type { AdminRole } from './access.ts';
import type { PostingInput } from './ledger.ts';

/** A bonus (docs/rules.md#bonuses): positive or negative, not subject to the hold, posted straight to `available`. */
/**
 * AWAITING_APPROVAL: above the four-eyes threshold (docs/rules.md#four-eyes), waiting for a second person;
 * PENDING: approved (or needing no approval), being posted; then COMPLETED or FAILED; or REJECTED by the checker,
 * or EXPIRED when nobody decided within the policy's wait.
 */
export const bonusStatuses = ['AWAITING_APPROVAL', 'PENDING', 'COMPLETED', 'FAILED', 'REJECTED', 'EXPIRED'] as const;
export type BonusStatus = (typeof bonusStatuses)[number];

const transitions: Record<BonusStatus, readonly BonusStatus[]> = {
  AWAITING_APPROVAL: ['PENDING', 'REJECTED', 'EXPIRED'],
  PENDING: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
  REJECTED: [],
  EXPIRED: [],
};

export function transitionBonus(from: BonusStatus, to: BonusStatus): BonusStatus {
  if (!transitions[from].includes(to)) throw new Error(`a bonus cannot go from ${from} to ${to}`);
  return to;
}

export interface BonusRequest {
  bonusId: string;
  partnerId: string;
  /** Signed decimal string at the currency's scale. */
  amount: string;
  currency: string;
  reason: string;
  actorUserId: string;
  ip: string | null;
  /**
   * Set when the bonus is above the four-eyes threshold: the workflow waits for a second person of these roles.
   * Absent in requests made before four eyes existed (their histories replay the direct path).
   */
  approval?: { checkerRoles: AdminRole[]; amountRub: string | null } | null;
}

/** A checker's decision on a bonus, as the API verified them (session, permission, a fresh TOTP code). */
export interface BonusDecisionActor {
  userId: string;
  role: AdminRole;
}

/**
 * The postings of a bonus given the partner's current balances (`debt` is zero or negative).
 * A positive bonus repays outstanding debt first (the decision in docs/rules.md#debt: later credits repay debt first), the rest
 * goes to `available`. A negative bonus takes what `available` holds and records the remainder as debt.
 */
export function planBonusPostings(
  request: Pick<BonusRequest, 'partnerId' | 'amount' | 'currency'>,
  balances: { available: string; debt: string },
): PostingInput[] {
  const amount = new Money(request.amount);
  if (amount.isZero()) throw new RangeError('a bonus cannot be zero');
  const partner = (bucket: 'available' | 'debt') =>
    ({ ownerType: 'partner', ownerId: request.partnerId, bucket, currency: request.currency }) as const;
  const expense = {
    ownerType: 'platform',
    ownerId: 'platform',
    bucket: 'bonus_expense',
    currency: request.currency,
  } as const;
  const postings: PostingInput[] = [{ account: expense, amount: formatMoney(amount.negated(), request.currency) }];
  const push = (bucket: 'available' | 'debt', value: Money) => {
    if (!value.isZero()) postings.push({ account: partner(bucket), amount: formatMoney(value, request.currency) });
  };
  if (amount.isPositive()) {
    const owed = new Money(balances.debt).negated();
    const repaid = Money.min(owed, amount);
    push('debt', repaid);
    push('available', amount.minus(repaid));
  } else {
    const available = new Money(balances.available);
    const taken = Money.min(available, amount.negated());
    push('available', taken.negated());
    push('debt', amount.negated().minus(taken).negated());
  }
  return postings;
}
