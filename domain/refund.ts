import Decimal from 'decimal.js';
import type { AdminRole } from './access.ts';
import type { RefundPolicy, RefundReason } from './lifecycle-policy.ts';
import { Money } from './money.ts';

export { refundReasons, type RefundReason } from './lifecycle-policy.ts';

/**
 * Refunds (docs/rules.md#refunds) as pure rules: the queue's
 * statuses and their transitions, how a refund reverses commissions, and the proportional amount. The money
 * moves in modules/refunds/; the lifecycle is workflows/refund.ts (`refund-<id>`).
 */

/** The queue statuses in docs/rules.md#refunds, plus REJECTED (a refund an admin turned down: nothing reversed, the claim released). */
export const refundStatuses = ['PENDING', 'APPROVED', 'PROCESSED', 'REJECTED'] as const;
export type RefundStatus = (typeof refundStatuses)[number];

const refundTransitions: Record<RefundStatus, readonly RefundStatus[]> = {
  PENDING: ['APPROVED', 'REJECTED'],
  APPROVED: ['PROCESSED'],
  PROCESSED: [],
  REJECTED: [],
};

export function transitionRefund(from: RefundStatus, to: RefundStatus): RefundStatus {
  if (!refundTransitions[from].includes(to)) throw new Error(`a refund cannot go from ${from} to ${to}`);
  return to;
}

/** The "Type" column in docs/rules.md#refunds. */
export const refundTypes = ['FULL', 'PARTIAL'] as const;
export type RefundType = (typeof refundTypes)[number];

export const reversalModes = ['FULL', 'PROPORTIONAL'] as const;
export type ReversalMode = (typeof reversalModes)[number];

/**
 * How a refund reverses the order's commissions. docs/rules.md#refund-reasons: the reasons marked FULL reverse every commission in full,
 * PARTIAL_DAMAGE proportionally; and any partial refund is proportional (original × refund / order total). A refund
 * that takes the order's last money (what earlier partial refunds left) with a FULL reason reverses what is left of
 * each commission in full, so no floored cent stays behind and the commissions end REVERSED.
 */
export function reversalModeOf(
  policy: Pick<RefundPolicy, 'reversalByReason'>,
  input: { reason: RefundReason; amount: string; orderTotal: string; refundedBefore: string },
): ReversalMode {
  if (policy.reversalByReason[input.reason] !== 'FULL') return 'PROPORTIONAL';
  const after = new Money(input.refundedBefore).plus(input.amount);
  return after.gte(input.orderTotal) ? 'FULL' : 'PROPORTIONAL';
}

export function refundTypeOf(amount: string, orderTotal: string): RefundType {
  return new Money(amount).gte(orderTotal) ? 'FULL' : 'PARTIAL';
}

/**
 * docs/rules.md#proportional-reversal: reversal = original commission × (refund / order total), floored to cents
 * (ROUND_FLOOR), never more than what is left of the commission. reverseCommissions
 * (modules/commissions/reverse-commissions.ts) posts it; processRefund (modules/refunds/process-refund.ts) checks each
 * commission against this before it commits.
 */
export function proportionalReversal(input: { original: string; remaining: string; refund: string; orderTotal: string; decimals?: number }): string {
  const share = new Money(input.original).times(input.refund).div(input.orderTotal).toDecimalPlaces(input.decimals ?? 2, Decimal.ROUND_FLOOR);
  return Money.min(share, input.remaining).toFixed(input.decimals ?? 2);
}

/** The admin the API verified (session, permission, fresh TOTP) for a decision. */
export interface RefundActor {
  userId: string;
  role: AdminRole;
  /** The client address the API saw (docs/rules.md#audit-trail); optional, so histories recorded before it replay unchanged. */
  ip?: string | null;
}

/** What `refund-<id>` starts with: the recorded request (the row in `refunds` is the source of truth). */
export interface RefundRequest {
  refundId: string;
  orderId: string;
  /** The seller, for the PartnerId search attribute; null for an order without attribution. */
  partnerId: string | null;
  amount: string;
  currency: string;
  reversal: ReversalMode;
  requestedBy: string;
}

export interface RefundState {
  refundId: string;
  status: RefundStatus;
  decidedBy: string | null;
  /** After processing: how many commissions were reversed and for how much (commission currency). */
  reversedCount: number;
  reversedTotal: string;
  entryId: string | null;
  policyVersion: number;
}
