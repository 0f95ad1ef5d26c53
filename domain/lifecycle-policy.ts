import { z } from 'zod';
import { adminRoles } from './access.ts';
import { durationText } from './duration.ts';

/**
 * The policy sections of issue #5's lifecycles (docs/rules.md#refunds, docs/rules.md#chargebacks, docs/rules.md#disputes, docs/rules.md#adjustments): refunds and debt, chargebacks and their
 * penalty matrix, partner disputes, adjustments. Every section has a default, so a stored policy version written
 * before these sections existed reads as the defaults (and a running workflow keeps the section it started with).
 * Each lifecycle's module may extend its own section; amounts are decimal strings in the commission currency
 * (USD) unless the name says RUB.
 */

/** A non-negative decimal amount as a string ("500", "12.50"). */
const amountText = z.string().regex(/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/, 'a non-negative decimal amount, e.g. "500.00"');

export const refundReasons = [
  'PRODUCT_DEFECTIVE', 'WRONG_ITEM', 'NOT_AS_DESCRIBED', 'BUYER_REMORSE', 'NON_DELIVERY', 'GOODWILL', 'PARTIAL_DAMAGE',
] as const;
export type RefundReason = (typeof refundReasons)[number];

export const refundPolicySchema = z.object({
  /** docs/rules.md#refund-reasons: how each reason reverses commissions: FULL (every commission in full) or PROPORTIONAL (× refund / order total). */
  reversalByReason: z.record(z.enum(refundReasons), z.enum(['FULL', 'PROPORTIONAL'])),
  /** A refund request not decided within this time is left PENDING and flagged in the queue as overdue. */
  decisionSla: durationText,
  /** startToClose of a refund activity (a decision, or the reversal of one order's commissions: one transaction). */
  activityTimeoutSeconds: z.number().int().min(1).max(3_600).default(60),
});
export type RefundPolicy = z.infer<typeof refundPolicySchema>;

export const defaultRefundPolicy: RefundPolicy = {
  reversalByReason: {
    PRODUCT_DEFECTIVE: 'FULL', WRONG_ITEM: 'FULL', NOT_AS_DESCRIBED: 'FULL', BUYER_REMORSE: 'FULL',
    NON_DELIVERY: 'FULL', GOODWILL: 'FULL', PARTIAL_DAMAGE: 'PROPORTIONAL',
  },
  decisionSla: '3d',
  activityTimeoutSeconds: 60,
};

export const debtPolicySchema = z.object({
  /** docs/rules.md#debt: a partner whose `debt` reaches this amount (USD) is flagged for review and their payouts are held. */
  limit: amountText,
});
export type DebtPolicy = z.infer<typeof debtPolicySchema>;
export const defaultDebtPolicy: DebtPolicy = { limit: '500' };

export const chargebackPenalties = ['WARNING', 'MONITORING', 'ACCOUNT_REVIEW', 'SUSPENSION'] as const;
export type ChargebackPenalty = (typeof chargebackPenalties)[number];

export const chargebackPolicySchema = z.object({
  /**
   * The penalty matrix in docs/rules.md#chargeback-penalties: the penalty for the partner's Nth chargeback is the last row whose `fromCount` ≤ N.
   * MONITORING lasts `monitoringPeriod`; ACCOUNT_REVIEW holds payouts until an admin clears it; SUSPENSION suspends.
   */
  penalties: z.array(z.object({ fromCount: z.number().int().min(1), penalty: z.enum(chargebackPenalties) })).min(1),
  monitoringPeriod: durationText,
  /** How long the investigation waits for the provider's decision before it is escalated to the admins. */
  decisionWait: durationText,
  /** startToClose of a chargeback activity (the reversal at open, a decision's re-credit: one transaction each). */
  activityTimeoutSeconds: z.number().int().min(1).max(3_600).default(60),
});
export type ChargebackPolicy = z.infer<typeof chargebackPolicySchema>;
export const defaultChargebackPolicy: ChargebackPolicy = {
  penalties: [
    { fromCount: 1, penalty: 'WARNING' },
    { fromCount: 2, penalty: 'MONITORING' },
    { fromCount: 3, penalty: 'ACCOUNT_REVIEW' },
    { fromCount: 4, penalty: 'SUSPENSION' },
  ],
  monitoringPeriod: '30d',
  decisionWait: '75d',
  activityTimeoutSeconds: 60,
};

export const disputePolicySchema = z.object({
  /** docs/rules.md#dispute-decision-tree: a dispute about a transaction older than this is rejected. */
  window: durationText,
  /** How long a dispute waits for the partner's evidence before it closes itself. */
  informationWait: durationText,
  /** The largest goodwill credit financial support may grant (USD); above it a senior admin decides. */
  goodwillMax: amountText,
  /** After an EXPLANATION, how long the partner may ask for escalation to a senior admin before the dispute closes. */
  escalationWindow: durationText.default('14d'),
  /** startToClose of a dispute activity (a resolution with its ledger correction is one transaction). */
  activityTimeoutSeconds: z.number().int().min(1).max(3_600).default(60),
});
export type DisputePolicy = z.infer<typeof disputePolicySchema>;
export const defaultDisputePolicy: DisputePolicy = {
  window: '30d', informationWait: '14d', goodwillMax: '50', escalationWindow: '14d', activityTimeoutSeconds: 60,
};

export const adjustmentPolicySchema = z.object({
  /** docs/rules.md#manual-commissions: a manual commission above this RUB-equivalent needs a senior admin's approval. */
  seniorApprovalAboveRub: amountText,
  /** Bulk adjustments by total impact (RUB-equivalent): below `standardBelowRub` any admin, up to `seniorUpToRub` a senior admin, above it a finance director. */
  bulkStandardBelowRub: amountText,
  bulkSeniorUpToRub: amountText,
  /** Partners per step of a bulk adjustment's execution (one transaction each). */
  bulkChunkSize: z.number().int().min(1).max(10_000),
  /** A PENDING manual commission's hold before the release sweep approves it (the normal hold/release path). */
  manualPendingHold: durationText.default('14d'),
  /** How long a manual commission or bulk adjustment waits for its approval before it expires. */
  approvalWait: durationText.default('7d'),
  /** Chunks one run of `bulk-adjustment-<id>` executes before it continues as new (keeps the history small). */
  bulkChunksPerRun: z.number().int().min(1).max(1_000).default(25),
  /** startToClose of an adjustment activity (one chunk is one transaction). */
  activityTimeoutSeconds: z.number().int().min(1).max(3_600).default(120),
});
export type AdjustmentPolicy = z.infer<typeof adjustmentPolicySchema>;
export const defaultAdjustmentPolicy: AdjustmentPolicy = {
  seniorApprovalAboveRub: '10000',
  bulkStandardBelowRub: '50000',
  bulkSeniorUpToRub: '500000',
  bulkChunkSize: 1_000,
  manualPendingHold: '14d',
  approvalWait: '7d',
  bulkChunksPerRun: 25,
  activityTimeoutSeconds: 120,
};

/** A rate band as a decimal fraction: "0.10" is 10 %. */
const bandText = z.string().regex(/^0(\.\d{1,4})?$|^1(\.0{1,4})?$/, 'a decimal fraction between 0 and 1, e.g. "0.10"');

/**
 * Four eyes (docs/rules.md#four-eyes): above these thresholds a second person of a named role, never the maker,
 * approves with a fresh TOTP code. Amounts are judged by their RUB-equivalent at the rates in force; where no rate
 * is known, by `aboveByCurrency` in the amount's own currency; a currency with neither always needs the second
 * person. Defaulted as a whole, so versions stored before this section read as these defaults.
 */
export const fourEyesPolicySchema = z.object({
  /** A bonus (either sign) above this RUB-equivalent waits for a checker. */
  bonusAboveRub: amountText.default('10000'),
  /** A dispute CORRECTION (either sign) or GOODWILL above this RUB-equivalent waits for a checker. */
  disputeCreditAboveRub: amountText.default('10000'),
  /** The amount thresholds in the amount's own currency, used where its RUB-equivalent is unknown. */
  aboveByCurrency: z.record(z.string().regex(/^[A-Z]{3,4}$/), amountText).default({ RUB: '10000', USD: '100', EUR: '100' }),
  /** Who may be the second person for money (senior admin or above). */
  moneyCheckerRoles: z.array(z.enum(adminRoles)).min(1).default(['senior_admin', 'finance_director']),
  /** A new FX rate more than this fraction away from the one in force waits for a checker. */
  fxRateBand: bandText.default('0.10'),
  /** Who may be the second person for an FX rate outside the band. */
  fxCheckerRoles: z.array(z.enum(adminRoles)).min(1).default(['finance_director', 'finance_manager']),
  /** How long a bonus or a dispute credit waits for its checker before it expires. */
  approvalWait: durationText.default('7d'),
});
export type FourEyesPolicy = z.infer<typeof fourEyesPolicySchema>;
export const defaultFourEyesPolicy: FourEyesPolicy = fourEyesPolicySchema.parse({});
