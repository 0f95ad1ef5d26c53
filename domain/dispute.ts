import { permissions, type AdminRole } from './access.ts';
import { DomainError } from './errors.ts';
import type { PostingInput } from './ledger.ts';
import type { DisputePolicy } from './lifecycle-policy.ts';
import { Money, fitsScale, formatMoney } from './money.ts';

/**
 * Partner disputes (docs/rules.md#disputes, its decision tree and resolution types) as pure
 * rules: the types, statuses and resolutions, which status a resolution leads to, who may give it, the window, and
 * the postings of a correction or goodwill credit. The side effects are in modules/disputes/; the lifecycle is
 * workflows/dispute.ts (`dispute-<id>`).
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

/** The roles that take escalated disputes and goodwill above the policy's limit (senior admins). */
export const seniorDisputeRoles: readonly AdminRole[] = permissions['disputes.escalated'];
/** The roles that review disputes (financial support, and every role above it). */
export const reviewDisputeRoles: readonly AdminRole[] = permissions['disputes.review'];

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

/** A goodwill credit above the policy's limit (or in another currency than the limit's, USD) needs a senior admin. */
export function goodwillNeedsSenior(amount: string, currency: string, policy: Pick<DisputePolicy, 'goodwillMax'>): boolean {
  return currency !== 'USD' || new Money(amount).gt(policy.goodwillMax);
}

/**
 * The status a resolution leads to from the current one (the decision tree in docs/rules.md#dispute-decision-tree):
 *  - CORRECTION of a calculation error closes it; of a system error it also goes to a senior admin (ESCALATED) —
 *    unless a senior admin is deciding already, which closes it.
 *  - EXPLANATION from review: EXPLAINED (the partner may ask for escalation); from a senior admin: closed.
 *  - ESCALATION: to a senior admin (not again from ESCALATED).
 *  - GOODWILL and REJECTION close it.
 */
export function statusAfterResolution(from: DisputeStatus, input: Pick<DisputeResolutionInput, 'resolution' | 'errorKind'>): DisputeStatus {
  if (from !== 'UNDER_REVIEW' && from !== 'ESCALATED') throw new Error(`a dispute that is ${from} cannot be resolved`);
  switch (input.resolution) {
    case 'CORRECTION':
      return input.errorKind === 'SYSTEM' && from === 'UNDER_REVIEW' ? 'ESCALATED' : 'CLOSED';
    case 'EXPLANATION':
      return from === 'UNDER_REVIEW' ? 'EXPLAINED' : 'CLOSED';
    case 'ESCALATION':
      if (from === 'ESCALATED') throw new Error('the dispute is with a senior admin already');
      return 'ESCALATED';
    case 'GOODWILL':
    case 'REJECTION':
      return 'CLOSED';
  }
}

/**
 * Checks a resolution before anything is recorded: the state allows it, the actor may give it, and its amount is
 * right for its kind. Throws a DomainError naming the field.
 */
export function checkResolution(
  input: { status: DisputeStatus; assigneeId: string | null; actor: DisputeActor; resolution: DisputeResolutionInput; policy: Pick<DisputePolicy, 'goodwillMax'> },
): { amount: string | null; currency: string | null; statusAfter: DisputeStatus } {
  const { status, actor, resolution } = input;
  if (status !== 'UNDER_REVIEW' && status !== 'ESCALATED') {
    throw new DomainError('conflict', 'invalid_state', `the dispute is ${status}; it is resolved while UNDER_REVIEW or ESCALATED`, 'status');
  }
  if (actor.role === 'partner' || !reviewDisputeRoles.includes(actor.role)) {
    throw new DomainError('forbidden', 'forbidden', `role ${actor.role} may not resolve disputes`);
  }
  const senior = seniorDisputeRoles.includes(actor.role);
  if (status === 'ESCALATED' && !senior) {
    throw new DomainError('forbidden', 'senior_required', 'an escalated dispute is resolved by a senior admin');
  }
  if (status === 'UNDER_REVIEW' && input.assigneeId !== null && input.assigneeId !== actor.userId && !senior) {
    throw new DomainError('forbidden', 'not_assignee', 'the dispute is assigned to another reviewer');
  }
  if (resolution.note.trim().length === 0) {
    throw new DomainError('unprocessable', 'invalid_request', 'a resolution needs a note for the partner', 'body.note');
  }
  if (resolution.resolution === 'CORRECTION' && !resolution.errorKind) {
    throw new DomainError('unprocessable', 'invalid_request', 'a correction names its error: CALCULATION or SYSTEM', 'body.errorKind');
  }
  if (resolution.resolution !== 'CORRECTION' && resolution.errorKind) {
    throw new DomainError('unprocessable', 'invalid_request', 'only a correction names an error kind', 'body.errorKind');
  }
  let statusAfter: DisputeStatus;
  try {
    statusAfter = statusAfterResolution(status, resolution);
  } catch (error) {
    throw new DomainError('conflict', 'invalid_state', (error as Error).message, 'body.resolution');
  }
  const moves = resolution.resolution === 'CORRECTION' || resolution.resolution === 'GOODWILL';
  if (!moves) {
    if (resolution.amount) throw new DomainError('unprocessable', 'invalid_request', `a ${resolution.resolution} moves no money`, 'body.amount');
    return { amount: null, currency: null, statusAfter };
  }
  if (!resolution.amount || !resolution.currency) {
    throw new DomainError('unprocessable', 'invalid_request', `a ${resolution.resolution} needs an amount and its currency`, 'body.amount');
  }
  const amount = new Money(resolution.amount);
  if (amount.isZero() || (resolution.resolution === 'GOODWILL' && amount.isNegative())) {
    throw new DomainError('unprocessable', 'invalid_amount', resolution.resolution === 'GOODWILL' ? 'a goodwill credit is positive' : 'a correction is not zero', 'body.amount');
  }
  if (!fitsScale(amount, resolution.currency)) {
    throw new DomainError('unprocessable', 'invalid_amount', `more decimal places than ${resolution.currency} allows`, 'body.amount');
  }
  if (resolution.resolution === 'GOODWILL' && !senior && goodwillNeedsSenior(resolution.amount, resolution.currency, input.policy)) {
    throw new DomainError('forbidden', 'senior_required', `a goodwill credit above ${input.policy.goodwillMax} USD (or in another currency) is granted by a senior admin`, 'body.amount');
  }
  return { amount: formatMoney(amount, resolution.currency), currency: resolution.currency, statusAfter };
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
}
