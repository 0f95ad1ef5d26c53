import Decimal from 'decimal.js';
import type { AdminRole } from './access.ts';
import type { ChargebackPenalty, ChargebackPolicy } from './lifecycle-policy.ts';
import { Money } from './money.ts';

export { chargebackPenalties, type ChargebackPenalty } from './lifecycle-policy.ts';

/**
 * Chargebacks (docs/rules.md#chargebacks) as pure rules: the
 * statuses and their transitions, the penalty matrix, and the share of a reversal a PARTIAL outcome gives back.
 * The money moves in modules/chargebacks/; the lifecycle is workflows/chargeback.ts (`chargeback-<id>`).
 */

/** The investigation steps in docs/rules.md#chargebacks, in their order. */
export const chargebackSteps = ['EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION'] as const;
export type ChargebackStep = (typeof chargebackSteps)[number];

/** The outcomes in docs/rules.md#chargebacks. */
export const chargebackOutcomes = ['WON', 'LOST', 'PARTIAL'] as const;
export type ChargebackOutcome = (typeof chargebackOutcomes)[number];

export const chargebackStatuses = ['OPEN', ...chargebackSteps, ...chargebackOutcomes] as const;
export type ChargebackStatus = (typeof chargebackStatuses)[number];

export function isDecided(status: ChargebackStatus): boolean {
  return (chargebackOutcomes as readonly string[]).includes(status);
}

const stageOrder: Record<ChargebackStatus, number> = {
  OPEN: 0, EVIDENCE_GATHERED: 1, SUBMITTED_TO_PROVIDER: 2, AWAITING_DECISION: 3, WON: 4, LOST: 4, PARTIAL: 4,
};

/**
 * The investigation moves forward (a step may be recorded again, with a further note, but never one behind the
 * current stage); an outcome may arrive at any stage before one (a provider decides when it decides); an outcome
 * is final.
 */
export function transitionChargeback(from: ChargebackStatus, to: ChargebackStatus): ChargebackStatus {
  if (isDecided(from)) throw new Error(`a chargeback that is ${from} is decided already`);
  if (to === 'OPEN') throw new Error('a chargeback cannot go back to OPEN');
  if (!isDecided(to) && stageOrder[to] < stageOrder[from]) throw new Error(`a chargeback cannot go from ${from} back to ${to}`);
  return to;
}

/** The matrix in docs/rules.md#chargeback-penalties: the penalty for the partner's Nth chargeback is the last row whose `fromCount` ≤ N. */
export function penaltyFor(count: number, penalties: ChargebackPolicy['penalties']): ChargebackPenalty | null {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`a chargeback count is a positive integer, got ${count}`);
  let found: ChargebackPenalty | null = null;
  for (const row of [...penalties].sort((left, right) => left.fromCount - right.fromCount)) {
    if (row.fromCount <= count) found = row.penalty;
  }
  return found;
}

/**
 * What a PARTIAL outcome gives back of one commission's reversal: reversed × won / chargeback amount, floored to
 * the currency's cents (ROUND_FLOOR), so the re-credit never exceeds what was taken. WON gives back all of it.
 */
export function recreditShare(input: { reversed: string; won: string; amount: string; decimals?: number }): string {
  const decimals = input.decimals ?? 2;
  if (new Money(input.won).gte(input.amount)) return new Money(input.reversed).toFixed(decimals);
  return new Money(input.reversed).times(input.won).div(input.amount).toDecimalPlaces(decimals, Decimal.ROUND_FLOOR).toFixed(decimals);
}

/** The amount of the order the outcome gives back (the claim released): WON all, LOST none, PARTIAL what was won. */
export function amountWonOf(outcome: ChargebackOutcome, amount: string, amountWon: string | null | undefined): string {
  if (outcome === 'WON') return new Money(amount).toFixed();
  if (outcome === 'LOST') return '0';
  if (amountWon === null || amountWon === undefined) throw new RangeError('a PARTIAL outcome needs the amount won');
  const won = new Money(amountWon);
  if (!won.gt(0) || !won.lt(amount)) throw new RangeError(`a PARTIAL outcome wins more than 0 and less than ${amount}, got ${amountWon}`);
  return won.toFixed();
}

/** Who acts on a chargeback: an admin the API verified (session, permission, fresh TOTP for a decision), or the provider. */
export interface ChargebackActor {
  userId: string;
  role: AdminRole | 'provider';
  /** The client address the API saw (docs/rules.md#audit-trail); optional, so histories recorded before it replay unchanged. */
  ip?: string | null;
}

export const providerActor: ChargebackActor = { userId: 'system:provider-webhook', role: 'provider' };

/** What `chargeback-<id>` starts with: the recorded notice (the row in `chargebacks` is the source of truth). */
export interface ChargebackRequest {
  chargebackId: string;
  orderId: string;
  /** The seller, for the PartnerId search attribute and the penalty; null for an order without attribution. */
  partnerId: string | null;
  amount: string;
  currency: string;
  providerReference: string;
  openedBy: string;
}

export interface ChargebackStepRecord {
  sequence: number;
  step: ChargebackStep;
  note: string | null;
  recordedBy: string;
  /** ISO time the step was recorded (the database's, from the activity). */
  recordedAt: string;
}

export interface ChargebackState {
  chargebackId: string;
  status: ChargebackStatus;
  /** The reversal at open (commission currency). */
  reversedCount: number;
  reversedTotal: string;
  penalty: ChargebackPenalty | null;
  partnerSequence: number | null;
  steps: ChargebackStepRecord[];
  escalations: number;
  decidedBy: string | null;
  amountWon: string | null;
  recreditedTotal: string;
  policyVersion: number;
}
