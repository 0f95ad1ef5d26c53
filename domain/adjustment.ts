import Decimal from 'decimal.js';
import type { AdminRole } from './access.ts';
import type { AdjustmentPolicy } from './lifecycle-policy.ts';
import { Money, currencyScale, formatMoney, isCurrency } from './money.ts';
import type { AccountRef, PostingInput } from './ledger.ts';

/**
 * Adjustments (docs/rules.md#adjustments): manual commissions, clawbacks and bulk
 * adjustments. Pure rules here; the money moves in modules/adjustments/.
 */

export const manualCommissionTypes = ['BONUS', 'ADJUSTMENT', 'OTHER'] as const;
export type ManualCommissionType = (typeof manualCommissionTypes)[number];

/** The status the manual commission is created in (docs/rules.md#manual-commissions: PENDING goes through the normal path). */
export const manualCommissionStatuses = ['PENDING', 'APPROVED'] as const;
export type ManualCommissionStatus = (typeof manualCommissionStatuses)[number];

/** The adjustment's own lifecycle (`adjustment-<id>`). */
export const adjustmentStatuses = ['AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED'] as const;
export type AdjustmentStatus = (typeof adjustmentStatuses)[number];

const adjustmentTransitions: Record<AdjustmentStatus, readonly AdjustmentStatus[]> = {
  AWAITING_APPROVAL: ['POSTED', 'REJECTED', 'EXPIRED'],
  POSTED: [],
  REJECTED: [],
  EXPIRED: [],
};

export function transitionAdjustment(from: AdjustmentStatus, to: AdjustmentStatus): AdjustmentStatus {
  if (!adjustmentTransitions[from].includes(to)) throw new Error(`an adjustment cannot go from ${from} to ${to}`);
  return to;
}

export const bulkAdjustmentStatuses = ['AWAITING_APPROVAL', 'EXECUTING', 'COMPLETED', 'REJECTED', 'EXPIRED'] as const;
export type BulkAdjustmentStatus = (typeof bulkAdjustmentStatuses)[number];

const bulkTransitions: Record<BulkAdjustmentStatus, readonly BulkAdjustmentStatus[]> = {
  AWAITING_APPROVAL: ['EXECUTING', 'REJECTED', 'EXPIRED'],
  EXECUTING: ['COMPLETED'],
  COMPLETED: [],
  REJECTED: [],
  EXPIRED: [],
};

export function transitionBulkAdjustment(from: BulkAdjustmentStatus, to: BulkAdjustmentStatus): BulkAdjustmentStatus {
  if (!bulkTransitions[from].includes(to)) throw new Error(`a bulk adjustment cannot go from ${from} to ${to}`);
  return to;
}

/**
 * Who counts as a senior admin for adjustments: docs/rules.md#adjustments names "senior admin" for amounts above the threshold and
 * for clawbacks; a finance director outranks one, so both qualify.
 */
export const seniorAdjustmentRoles: readonly AdminRole[] = ['senior_admin', 'finance_director'];
/** Any admin who may approve adjustments (the standard tier). */
export const standardAdjustmentRoles: readonly AdminRole[] = ['admin', 'senior_admin', 'finance_manager', 'finance_director'];

/** docs/rules.md#manual-commissions: a manual commission above the RUB threshold (or of unknown RUB value) needs a senior admin. */
export function needsSeniorApproval(amountRub: string | null, policy: Pick<AdjustmentPolicy, 'seniorApprovalAboveRub'>): boolean {
  return amountRub === null || new Money(amountRub).gt(policy.seniorApprovalAboveRub);
}

export const bulkApprovalTiers = ['STANDARD', 'SENIOR', 'FINANCE_DIRECTOR'] as const;
export type BulkApprovalTier = (typeof bulkApprovalTiers)[number];

/**
 * The tiers in docs/rules.md#bulk-adjustments by total impact (RUB-equivalent): below `bulkStandardBelowRub` any admin approver, up to and
 * including `bulkSeniorUpToRub` a senior admin, above it a finance director. Unknown RUB value: the highest tier.
 */
export function bulkApprovalTier(totalRub: string | null, policy: Pick<AdjustmentPolicy, 'bulkStandardBelowRub' | 'bulkSeniorUpToRub'>): { tier: BulkApprovalTier; roles: AdminRole[] } {
  if (totalRub !== null && new Money(totalRub).lt(policy.bulkStandardBelowRub)) return { tier: 'STANDARD', roles: [...standardAdjustmentRoles] };
  if (totalRub !== null && new Money(totalRub).lte(policy.bulkSeniorUpToRub)) return { tier: 'SENIOR', roles: [...seniorAdjustmentRoles] };
  return { tier: 'FINANCE_DIRECTOR', roles: ['finance_director'] };
}

export const bulkDirections = ['ADD', 'REMOVE'] as const;
export type BulkDirection = (typeof bulkDirections)[number];
export const bulkAmountKinds = ['FIXED', 'PERCENTAGE'] as const;
export type BulkAmountKind = (typeof bulkAmountKinds)[number];
/** How a bulk adjustment names its partners: a list of ids, a filter on the network, or CSV lines. */
export const bulkTargetKinds = ['IDS', 'FILTER', 'CSV'] as const;

/**
 * One partner's amount in a bulk adjustment. FIXED: the value itself (or the CSV line's amount). PERCENTAGE: that
 * percentage of the partner's `available` balance in the adjustment's currency at the preview, rounded with
 * ROUND_FLOOR to the currency's scale (a partner never gets or loses more than the stated share).
 */
export function bulkItemAmount(kind: BulkAmountKind, value: string, available: string, currency: string): Money {
  if (!isCurrency(currency)) throw new RangeError(`unknown currency ${currency}`);
  if (kind === 'FIXED') return new Money(value);
  const balance = Money.max(new Money(available), new Money(0));
  return balance.times(value).div(100).toDecimalPlaces(currencyScale(currency), Decimal.ROUND_FLOOR);
}

/** A partner's account in a bucket adjustments move money in or out of. */
export function partnerAccount(partnerId: string, bucket: 'commission_pending' | 'commission_approved' | 'available' | 'debt', currency: string): AccountRef {
  return { ownerType: 'partner', ownerId: partnerId, bucket, currency };
}

/** The platform's `adjustments` account: the other side of every adjustment's posting. */
export function adjustmentsAccount(currency: string): AccountRef {
  return { ownerType: 'platform', ownerId: 'platform', bucket: 'adjustments', currency };
}

/**
 * The postings of one applied bulk item, given the partner's `available` and `debt` (≤ 0) balances. ADD repays
 * debt first (the decision in docs/rules.md#debt), the rest to `available`; REMOVE takes from `available` only — the caller skips a
 * partner whose `available` is short (decision: a bulk REMOVE never creates debt and never applies less than was
 * approved; the report says why).
 */
export function planBulkItemPostings(
  input: { partnerId: string; direction: BulkDirection; amount: string; currency: string },
  balances: { available: string; debt: string },
): PostingInput[] {
  const amount = new Money(input.amount);
  if (!amount.gt(0)) throw new RangeError('a bulk item moves a positive amount');
  const partner = (bucket: 'available' | 'debt') => partnerAccount(input.partnerId, bucket, input.currency);
  const platform = adjustmentsAccount(input.currency);
  if (input.direction === 'REMOVE') {
    if (new Money(balances.available).lt(amount)) throw new RangeError('available is short of the amount to remove');
    return [
      { account: partner('available'), amount: formatMoney(amount.negated(), input.currency) },
      { account: platform, amount: formatMoney(amount, input.currency) },
    ];
  }
  const owed = new Money(balances.debt).negated();
  const repaid = Money.min(Money.max(owed, new Money(0)), amount);
  const postings: PostingInput[] = [{ account: platform, amount: formatMoney(amount.negated(), input.currency) }];
  if (repaid.gt(0)) postings.push({ account: partner('debt'), amount: formatMoney(repaid, input.currency) });
  if (amount.minus(repaid).gt(0)) postings.push({ account: partner('available'), amount: formatMoney(amount.minus(repaid), input.currency) });
  return postings;
}

/** Why a bulk item was not applied (the results report's `reason`). */
export const bulkSkipReasons = ['ZERO_AMOUNT', 'INSUFFICIENT_AVAILABLE', 'PARTNER_NOT_ACTIVE'] as const;
export type BulkSkipReason = (typeof bulkSkipReasons)[number];

/** The verified admin behind a decision (the API checked the session, the permission and a fresh TOTP). */
export interface AdjustmentActor {
  userId: string;
  role: AdminRole;
  /** The client address the API saw (docs/rules.md#audit-trail); optional, so histories recorded before it replay unchanged. */
  ip?: string | null;
}

/** What `adjustment-<id>` starts with. */
export interface ManualAdjustmentRequest {
  adjustmentId: string;
  partnerId: string;
  type: ManualCommissionType;
  amount: string;
  currency: string;
  commissionStatus: ManualCommissionStatus;
  needsSeniorApproval: boolean;
  maker: AdjustmentActor;
}

export interface ManualAdjustmentState {
  adjustmentId: string;
  status: AdjustmentStatus;
  decidedBy: string | null;
  commissionId: string | null;
  entryId: string | null;
  policyVersion: number;
}

/** What `bulk-adjustment-<id>` starts with. */
export interface BulkAdjustmentRequest {
  bulkId: string;
  /** Items are numbered 0..partners-1. */
  partners: number;
  totalImpact: string;
  currency: string;
  approverRoles: AdminRole[];
  maker: AdjustmentActor;
}

export interface BulkAdjustmentProgress {
  bulkId: string;
  status: BulkAdjustmentStatus;
  decidedBy: string | null;
  /** The next item number to execute: items below it are done. */
  nextSeq: number;
  partners: number;
  processed: number;
  applied: number;
  skipped: number;
  appliedTotal: string;
  /** Runs of the workflow so far (continue-as-new keeps each history small). */
  run: number;
  policyVersion: number;
}
