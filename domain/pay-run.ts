import Decimal from 'decimal.js';
import { z } from 'zod';
import { adminRoles, type UserRole } from './access.ts';
import { Money, formatMoney } from './money.ts';
import { isTerminalPayoutStatus, openStepFor, chainComplete, type ApprovalStep, type PayoutApproval, type PayoutStatus } from './payout.ts';

/**
 * Pay runs (docs/rules.md#pay-runs): a pay day's payouts reviewed, approved and followed as one batch, `pay-run-<id>`.
 * Pure: what a selection includes and leaves out (and why), the totals per currency and per method, which items an
 * approver may approve now, the lines their one decision is bound to, and whether the run's total needs run-level
 * approvers. The modules read the rows; the workflow delivers the decisions.
 */

export const payRunStatuses = [
  'AWAITING_APPROVAL', 'DELIVERING', 'IN_PROGRESS', 'COMPLETED', 'COMPLETED_WITH_FAILURES', 'REJECTED',
  // The schedule's run before its row exists (its date's payouts still in their checklists): listed from its reserved id.
  'PREPARING',
] as const;
export type PayRunStatus = (typeof payRunStatuses)[number];
export const terminalPayRunStatuses = ['COMPLETED', 'COMPLETED_WITH_FAILURES', 'REJECTED'] as const satisfies readonly PayRunStatus[];
export function isTerminalPayRunStatus(status: PayRunStatus): boolean {
  return (terminalPayRunStatuses as readonly PayRunStatus[]).includes(status);
}

export const payRunSources = ['SCHEDULE', 'ADMIN'] as const;
export type PayRunSource = (typeof payRunSources)[number];

/** An item's state in its run: INCLUDED until its payout's chain is complete (APPROVED) or a payout refused (REFUSED). */
export const payRunItemStates = ['INCLUDED', 'EXCLUDED', 'APPROVED', 'REFUSED'] as const;
export type PayRunItemState = (typeof payRunItemStates)[number];

export const payRunExclusionReasons = [
  'below_minimum', 'no_payment_details', 'held', 'flagged', 'in_another_run', 'not_awaiting_approval', 'excluded_by_admin',
  'run_rejected', 'closed_outside_run',
] as const;
export type PayRunExclusionReason = (typeof payRunExclusionReasons)[number];

/** docs/rules.md#pay-runs: the run-level limits, the fan-out's chunk and concurrency, and how often progress is read. */
export const payRunPolicySchema = z.object({
  /** Above each `aboveRub` (the run's included total in RUB equivalent), one of `roles` approves the run itself; the highest passed tier applies. */
  runApproval: z
    .array(z.object({ aboveRub: z.string().regex(/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/), roles: z.array(z.enum(adminRoles)).min(1) }))
    .default([
      { aboveRub: '1000000', roles: ['finance_manager', 'finance_director'] },
      { aboveRub: '10000000', roles: ['finance_director'] },
    ]),
  /** Payout updates per delivery activity, and how many of them are in flight at once. */
  chunkSize: z.number().int().min(1).max(5_000).default(500),
  concurrency: z.number().int().min(1).max(200).default(50),
  /** How often the run reads its payouts' statuses (and re-checks funds a method waits for). */
  progressPollSeconds: z.number().int().min(1).max(86_400).default(30),
  /** When true, a method and currency with no declared funds waits like an underfunded one; when false it is not checked. */
  requireDeclaredFunds: z.boolean().default(false),
  /**
   * How a decision reaches its payouts (docs/decisions.md, pay-run fan-out): `signal` (design 2, the default) records
   * each chunk's approvals in one set-based transaction and wakes each payout with a `payRunApproved` signal;
   * `update` (design 1) sends each payout the `approve` update a single approval sends. A run started before this
   * setting existed delivers by update, as it did.
   */
  fanOut: z.enum(['signal', 'update']).default('signal'),
});
export type PayRunPolicy = z.infer<typeof payRunPolicySchema>;
export const defaultPayRunPolicy: PayRunPolicy = payRunPolicySchema.parse({});

/** A payout as the selection sees it (one row of the candidates query). */
export interface PayRunCandidate {
  payoutId: string;
  partnerId: string;
  methodId: string;
  currency: string;
  amount: string;
  fee: string;
  amountToTransfer: string;
  amountRub: string | null;
  detailsHash: string;
  status: PayoutStatus;
  hasPaymentDetails: boolean;
  /** Below the method's minPayout and not marked non-regular. */
  belowMinimum: boolean;
  /** The partner has an open flag that holds payouts. */
  flagged: boolean;
  inAnotherRun: boolean;
}

export interface PayRunSelection {
  included: PayRunCandidate[];
  excluded: { payoutId: string; reason: PayRunExclusionReason }[];
}

/**
 * The first reason that leaves a candidate out, in the order the docs list them; null when it is included.
 * `includeRequested`: a retry's new payouts are still in their checklist when the run is made; they are included
 * and become approvable once AWAITING_APPROVAL.
 */
export function exclusionReasonOf(candidate: PayRunCandidate, options: { includeRequested?: boolean } = {}): PayRunExclusionReason | null {
  if (candidate.status === 'HELD') return 'held';
  if (candidate.status !== 'AWAITING_APPROVAL' && !(options.includeRequested && candidate.status === 'REQUESTED')) return 'not_awaiting_approval';
  if (candidate.inAnotherRun) return 'in_another_run';
  if (!candidate.hasPaymentDetails) return 'no_payment_details';
  if (candidate.belowMinimum) return 'below_minimum';
  if (candidate.flagged) return 'flagged';
  return null;
}

export function selectPayRunItems(candidates: readonly PayRunCandidate[], options: { includeRequested?: boolean } = {}): PayRunSelection {
  const selection: PayRunSelection = { included: [], excluded: [] };
  for (const candidate of candidates) {
    const reason = exclusionReasonOf(candidate, options);
    if (reason === null) selection.included.push(candidate);
    else selection.excluded.push({ payoutId: candidate.payoutId, reason });
  }
  return selection;
}

/** Counts of excluded items by reason, in the reasons' order, without zeros. */
export function exclusionCounts(excluded: readonly { reason: PayRunExclusionReason }[]): { reason: PayRunExclusionReason; count: number }[] {
  return payRunExclusionReasons
    .map((reason) => ({ reason, count: excluded.filter((item) => item.reason === reason).length }))
    .filter((entry) => entry.count > 0);
}

export interface PayRunTotalsItem {
  methodId: string;
  currency: string;
  amount: string;
  fee: string;
  amountToTransfer: string;
  amountRub: string | null;
}

export interface CurrencyTotal {
  currency: string;
  count: number;
  amount: string;
  fee: string;
  amountToTransfer: string;
  /** Null when an item has no RUB equivalent (no FX rate): an unknown sum is never shown as a smaller one. */
  amountRub: string | null;
}
export interface MethodTotal {
  methodId: string;
  currency: string;
  count: number;
  amount: string;
  amountToTransfer: string;
}

/** Totals per currency and per method+currency, sorted by their keys; sums are exact, formatted to the currency's scale. */
export function payRunTotals(items: readonly PayRunTotalsItem[]): { byCurrency: CurrencyTotal[]; byMethod: MethodTotal[]; amountRub: string | null } {
  const currencies = new Map<string, { count: number; amount: Money; fee: Money; amountToTransfer: Money; amountRub: Money | null }>();
  const methods = new Map<string, { methodId: string; currency: string; count: number; amount: Money; amountToTransfer: Money }>();
  for (const item of items) {
    const currency = currencies.get(item.currency) ?? { count: 0, amount: new Money(0), fee: new Money(0), amountToTransfer: new Money(0), amountRub: new Money(0) };
    currency.count += 1;
    currency.amount = currency.amount.plus(item.amount);
    currency.fee = currency.fee.plus(item.fee);
    currency.amountToTransfer = currency.amountToTransfer.plus(item.amountToTransfer);
    currency.amountRub = currency.amountRub === null || item.amountRub === null ? null : currency.amountRub.plus(item.amountRub);
    currencies.set(item.currency, currency);
    const key = `${item.methodId}\u0000${item.currency}`;
    const method = methods.get(key) ?? { methodId: item.methodId, currency: item.currency, count: 0, amount: new Money(0), amountToTransfer: new Money(0) };
    method.count += 1;
    method.amount = method.amount.plus(item.amount);
    method.amountToTransfer = method.amountToTransfer.plus(item.amountToTransfer);
    methods.set(key, method);
  }
  const byCurrency = [...currencies.entries()]
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
    .map(([currency, total]) => ({
      currency,
      count: total.count,
      amount: formatMoney(total.amount, currency),
      fee: formatMoney(total.fee, currency),
      amountToTransfer: formatMoney(total.amountToTransfer, currency),
      // RUB equivalents are already rounded ROUND_UP to kopecks per item (domain/payout.ts rubEquivalent): the sum is exact.
      amountRub: total.amountRub === null ? null : total.amountRub.toFixed(2, Decimal.ROUND_UP),
    }));
  const byMethod = [...methods.values()]
    .sort((left, right) => (left.methodId === right.methodId ? (left.currency < right.currency ? -1 : 1) : left.methodId < right.methodId ? -1 : 1))
    .map((total) => ({ methodId: total.methodId, currency: total.currency, count: total.count, amount: formatMoney(total.amount, total.currency), amountToTransfer: formatMoney(total.amountToTransfer, total.currency) }));
  const amountRub = byCurrency.some((total) => total.amountRub === null)
    ? null
    : byCurrency.reduce((sum, total) => sum.plus(total.amountRub!), new Money(0)).toFixed(2, Decimal.ROUND_UP);
  return { byCurrency, byMethod, amountRub };
}

/**
 * The run-level approval a total needs (docs/rules.md#pay-runs): the highest tier whose `aboveRub` the total passes.
 * A total without a RUB equivalent (a missing FX rate) cannot be shown to be small: it needs the highest tier.
 */
export function runApprovalFor(totalRub: string | null, policy: Pick<PayRunPolicy, 'runApproval'>): { required: boolean; roles: string[] } {
  const tiers = [...policy.runApproval].sort((left, right) => new Money(left.aboveRub).comparedTo(right.aboveRub));
  if (tiers.length === 0) return { required: false, roles: [] };
  if (totalRub === null) return { required: true, roles: [...tiers.at(-1)!.roles] };
  const passed = tiers.filter((tier) => new Money(totalRub).greaterThan(tier.aboveRub));
  if (passed.length === 0) return { required: false, roles: [] };
  return { required: true, roles: [...passed.at(-1)!.roles] };
}

/** One run item as an approver's decision sees it: the payout's current amount, details and approvals. */
export interface DecisionCandidate {
  payoutId: string;
  currency: string;
  amount: string;
  detailsHash: string;
  payoutStatus: PayoutStatus;
  initiatedBy: string;
  draftedBy: string | null;
  requiredChain: ApprovalStep[];
  /** Recorded approvals, plus the steps of decisions accepted by the run but not yet delivered. */
  approvals: PayoutApproval[];
}

export interface ApproverGroup {
  /** The items the approver may approve now, with the step each approval satisfies; sorted by payout id. */
  approvable: { payoutId: string; currency: string; amount: string; detailsHash: string; step: number }[];
  /** Items awaiting approval that this approver may not approve, with why. */
  refusedUpfront: { payoutId: string; code: 'maker_checker' | 'already_approved' | 'role_not_in_chain' | 'invalid_state' }[];
}

/**
 * What an approver may approve now (docs/rules.md#pay-runs, "one decision per run, per tier"): for each INCLUDED item
 * still awaiting approval, the open step of its chain that takes their role, unless they initiated or drafted it or
 * already approved it. The payout workflow checks the same again on delivery; this is what the approver is shown.
 */
export function approverGroup(items: readonly DecisionCandidate[], approver: { userId: string; role: UserRole }): ApproverGroup {
  const group: ApproverGroup = { approvable: [], refusedUpfront: [] };
  for (const item of [...items].sort((left, right) => (left.payoutId < right.payoutId ? -1 : left.payoutId > right.payoutId ? 1 : 0))) {
    if (isTerminalPayoutStatus(item.payoutStatus) || chainComplete(item.requiredChain, item.approvals)) continue;
    if (item.payoutStatus !== 'AWAITING_APPROVAL') {
      group.refusedUpfront.push({ payoutId: item.payoutId, code: 'invalid_state' });
    } else if (item.initiatedBy === approver.userId || item.draftedBy === approver.userId) {
      group.refusedUpfront.push({ payoutId: item.payoutId, code: 'maker_checker' });
    } else if (item.approvals.some((approval) => approval.userId === approver.userId)) {
      group.refusedUpfront.push({ payoutId: item.payoutId, code: 'already_approved' });
    } else {
      const step = openStepFor(item.requiredChain, item.approvals, approver.role);
      if (step === null) group.refusedUpfront.push({ payoutId: item.payoutId, code: 'role_not_in_chain' });
      else group.approvable.push({ payoutId: item.payoutId, currency: item.currency, amount: item.amount, detailsHash: item.detailsHash, step });
    }
  }
  return group;
}

/**
 * The text a decision's hash is taken over (SHA-256, hex, by the module): one line `payoutId,amount,detailsHash` per
 * item, sorted by payout id, joined by newlines. The approver's client shows the same lines it sends the hash of.
 */
export function decisionLines(items: readonly { payoutId: string; amount: string; detailsHash: string }[]): string {
  return [...items]
    .sort((left, right) => (left.payoutId < right.payoutId ? -1 : left.payoutId > right.payoutId ? 1 : 0))
    .map((item) => `${item.payoutId},${new Money(item.amount).toFixed()},${item.detailsHash}`)
    .join('\n');
}

/** The funds a method and currency needs against what the platform declared for it (null: nothing declared). */
export function fundsShortfall(needed: string, declared: string | null, requireDeclared: boolean): { waiting: boolean; short: string | null } {
  if (declared === null) return { waiting: requireDeclared, short: requireDeclared ? new Money(needed).toFixed() : null };
  const short = new Money(needed).minus(declared);
  return short.greaterThan(0) ? { waiting: true, short: short.toFixed() } : { waiting: false, short: null };
}

/** The run's status once nothing is being delivered, from its items' states and their payouts' statuses. */
export function settledPayRunStatus(input: { included: number; approved: number; refused: number; rejected: boolean; byPayoutStatus: Readonly<Record<string, number>> }): PayRunStatus {
  if (input.included > 0) return 'AWAITING_APPROVAL';
  if (input.approved === 0) return input.rejected ? 'REJECTED' : input.refused > 0 ? 'COMPLETED_WITH_FAILURES' : 'COMPLETED';
  const open = Object.entries(input.byPayoutStatus)
    .filter(([status]) => !isTerminalPayoutStatus(status as PayoutStatus))
    .reduce((sum, [, count]) => sum + count, 0);
  if (open > 0) return 'IN_PROGRESS';
  const completed = input.byPayoutStatus.COMPLETED ?? 0;
  return completed === input.approved && input.refused === 0 ? 'COMPLETED' : 'COMPLETED_WITH_FAILURES';
}
