import type { AdminRole } from './access.ts';
import type { PostingInput } from './ledger.ts';
import { Money, formatMoney } from './money.ts';

/**
 * Partner disputes (docs/rules.md#disputes, its decision tree and resolution types) as pure rules: the types,
 * statuses and resolutions, the window, and the postings of a correction or goodwill credit. Which status a
 * resolution leads to and who may give it are in domain/dispute-resolution.ts. The side effects are in
 * modules/disputes/; the lifecycle is workflows/dispute.ts (`dispute-<id>`).
 */

/** The dispute types in docs/rules.md#disputes: what the partner disputes, and the reference it names. */
export const disputeTypes = ['COMMISSION', 'REVERSAL', 'PAYOUT', 'RANK'] as const;
export type DisputeType = (typeof disputeTypes)[number];

/**
 * OPEN: filed, the workflow is taking its first step. INFORMATION_REQUESTED: no evidence, waiting for it.
 * UNDER_REVIEW: financial support reviews. ESCALATED: a senior admin decides. EXPLAINED: answered with an
 * explanation, the partner may still ask for escalation. CLOSED: resolved (its resolution says how).
 */
export const disputeStatuses = ['OPEN', 'INFORMATION_REQUESTED', 'UNDER_REVIEW', 'ESCALATED', 'EXPLAINED', 'CLOSED'] as const;
export type DisputeStatus = (typeof disputeStatuses)[number];

/** The resolution types in docs/rules.md#disputes. */
export const disputeResolutions = ['CORRECTION', 'EXPLANATION', 'GOODWILL', 'ESCALATION', 'REJECTION'] as const;
export type DisputeResolution = (typeof disputeResolutions)[number];

/** The decision tree's two kinds of error: a calculation error is corrected; a system error is corrected and escalated for a fix. */
export const disputeErrorKinds = ['CALCULATION', 'SYSTEM'] as const;
export type DisputeErrorKind = (typeof disputeErrorKinds)[number];

/** A dispute holds the partner's payouts (an OPEN_DISPUTE flag) while it is in one of these statuses. */
export const holdingStatuses: readonly DisputeStatus[] = ['OPEN', 'INFORMATION_REQUESTED', 'UNDER_REVIEW', 'ESCALATED'];

export function isHolding(status: DisputeStatus): boolean {
  return holdingStatuses.includes(status);
}

const transitions: Record<DisputeStatus, readonly DisputeStatus[]> = {
  OPEN: ['INFORMATION_REQUESTED', 'UNDER_REVIEW', 'CLOSED'],
  INFORMATION_REQUESTED: ['UNDER_REVIEW', 'CLOSED'],
  UNDER_REVIEW: ['ESCALATED', 'EXPLAINED', 'CLOSED'],
  ESCALATED: ['CLOSED'],
  EXPLAINED: ['ESCALATED', 'CLOSED'],
  CLOSED: [],
};

export function transitionDispute(from: DisputeStatus, to: DisputeStatus): DisputeStatus {
  if (!transitions[from].includes(to)) throw new Error(`a dispute cannot go from ${from} to ${to}`);
  return to;
}

/** docs/rules.md#dispute-decision-tree: "Is dispute within 30 days of transaction?" — measured from the transaction to the filing. */
export function isOutOfWindow(transactionAt: Date, openedAt: Date, windowMs: number): boolean {
  return openedAt.getTime() - transactionAt.getTime() > windowMs;
}

/** Who acts on a dispute: a user the API verified (session, permission, a fresh TOTP for money), or the workflow. */
export interface DisputeActor {
  userId: string;
  role: AdminRole | 'partner';
}

export interface DisputeResolutionInput {
  resolution: DisputeResolution;
  /** CORRECTION only: which branch of the decision tree (a SYSTEM error is also escalated). */
  errorKind?: DisputeErrorKind | null;
  /** CORRECTION: signed (a credit to the partner, or a debit); GOODWILL: positive. Decimal string. */
  amount?: string | null;
  currency?: string | null;
  /** The explanation, the reason of a rejection, what was corrected: shown to the partner. */
  note: string;
}

/**
 * The postings of a correction or goodwill credit given the partner's `available` and `debt` (zero or negative),
 * against the platform's `adjustments` account. A credit repays debt first (the decision in docs/rules.md#debt), the rest goes to
 * `available`; a debit takes what `available` holds and records the remainder as debt.
 */
export function planDisputeCreditPostings(input: { partnerId: string; amount: string; currency: string }, balances: { available: string; debt: string }): PostingInput[] {
  const amount = new Money(input.amount);
  if (amount.isZero()) throw new RangeError('a dispute credit cannot be zero');
  const partner = (bucket: 'available' | 'debt') => ({ ownerType: 'partner', ownerId: input.partnerId, bucket, currency: input.currency }) as const;
  const postings: PostingInput[] = [
    { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'adjustments', currency: input.currency }, amount: formatMoney(amount.negated(), input.currency) },
  ];
  const push = (bucket: 'available' | 'debt', value: Money) => {
    if (!value.isZero()) postings.push({ account: partner(bucket), amount: formatMoney(value, input.currency) });
  };
  if (amount.isPositive()) {
    const repaid = Money.min(new Money(balances.debt).negated(), amount);
    push('debt', repaid);
    push('available', amount.minus(repaid));
  } else {
    const taken = Money.min(new Money(balances.available), amount.negated());
    push('available', taken.negated());
    push('debt', amount.negated().minus(taken).negated());
  }
  return postings;
}

/** What `dispute-<id>` starts with (the row in `disputes` is the source of truth). */
export interface DisputeRequest {
  disputeId: string;
  partnerId: string;
  type: DisputeType;
  transactionRef: string;
  openedBy: string;
}

export interface DisputeResolutionRecord {
  sequence: number;
  resolution: DisputeResolution;
  errorKind: DisputeErrorKind | null;
  amount: string | null;
  currency: string | null;
  entryId: string | null;
  by: string;
  statusAfter: DisputeStatus;
}

export interface DisputeState {
  disputeId: string;
  partnerId: string;
  status: DisputeStatus;
  /** The last resolution given (null until the first). */
  resolution: DisputeResolution | null;
  resolutions: DisputeResolutionRecord[];
  assigneeId: string | null;
  evidenceCount: number;
  /** What corrections and goodwill moved for the partner, in `creditedCurrency`. */
  creditedTotal: string;
  creditedCurrency: string | null;
  automaticReason: 'OUT_OF_WINDOW' | 'NO_INFORMATION' | null;
  policyVersion: number;
  /** A CORRECTION or GOODWILL waiting for a second person (docs/rules.md#four-eyes); absent or null when none. */
  pendingResolution?: { makerUserId: string; resolution: DisputeResolution; amount: string | null; currency: string | null; amountRub: string | null } | null;
}
