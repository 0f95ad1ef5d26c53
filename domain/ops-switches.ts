/**
 * docs/rules.md#payment-exclusions as pure values: what a payments exclusion matches, and what the emergency switches mean for a payout.
 * No I/O: activities/payment-exclusions-store.ts and activities/ops-switches-store.ts keep them in Postgres, and
 * the payout lifecycle (workflow or activities) can import this module to decide.
 */

/**
 * What an exclusion matches on, from what a commission carries (commission_events has no billing or provider
 * field; the commission's `source_type` and its event's `source_id` are what there is):
 *  - SOURCE_TYPE: every commission of one source type (PRODUCT, INVESTMENT, INVESTMENT_PROFIT, PORTFOLIO_YIELD,
 *    POOL) — the coarse "one billing/product line" of docs/rules.md#payment-exclusions;
 *  - SOURCE_ID: the commissions of one order, investment or profit distribution (`commission_events.source_id`).
 */
export const exclusionMatchFields = ['SOURCE_TYPE', 'SOURCE_ID'] as const;
export type ExclusionMatchField = (typeof exclusionMatchFields)[number];

export const commissionSourceTypes = ['PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT', 'PORTFOLIO_YIELD', 'POOL'] as const;
export type CommissionSourceType = (typeof commissionSourceTypes)[number];

export interface PaymentExclusionRule {
  matchField: ExclusionMatchField;
  matchValue: string;
  /** Inclusive: a transaction at exactly `from` is excluded. */
  from: Date;
  /** Exclusive; null = open-ended. docs/rules.md#payment-exclusions: "End date: none" means no end. */
  to: Date | null;
  /** Removed exclusions exclude nothing. */
  removedAt: Date | null;
}

/** The commission as an exclusion sees it. */
export interface ExcludableCommission {
  sourceType: CommissionSourceType;
  /** The event's source id; null for a leadership-pool commission (no event). */
  sourceId: string | null;
  /**
   * When the transaction happened: the event's `completed_at`, or for a pool commission its creation (the
   * distribution). docs/rules.md#payment-exclusions excludes "the billing's transactions for the period": the range is about when the
   * transaction happened, not when the pay batch runs, so an ended range keeps excluding its transactions until
   * the exclusion is removed.
   */
  transactionAt: Date;
}

/**
 * The rule the SQL in activities/payment-exclusions-store.ts (`commissionExcludedFromPayment`) applies; kept here
 * so it is written down once in TypeScript and tested without a database.
 */
export function exclusionCovers(rule: PaymentExclusionRule, commission: ExcludableCommission): boolean {
  if (rule.removedAt !== null) return false;
  const value = rule.matchField === 'SOURCE_TYPE' ? commission.sourceType : commission.sourceId;
  if (value !== rule.matchValue) return false;
  const at = commission.transactionAt.getTime();
  return at >= rule.from.getTime() && (rule.to === null || at < rule.to.getTime());
}

/** Why a match value is unusable for its field, or null. */
export function matchValueProblem(field: ExclusionMatchField, value: string): string | null {
  if (field === 'SOURCE_TYPE' && !(commissionSourceTypes as readonly string[]).includes(value)) {
    return `a SOURCE_TYPE exclusion matches one of ${commissionSourceTypes.join(', ')}`;
  }
  return null;
}

/** The emergencies in docs/rules.md#emergency-switches that freeze a partner's payouts. */
export const partnerFreezeKinds = ['FRAUD_SUSPECTED', 'BALANCE_DISCREPANCY'] as const;
export type PartnerFreezeKind = (typeof partnerFreezeKinds)[number];

/**
 * The emergency switches that bear on one payout, read by `readPayoutSwitches` (activities/ops-switches-store.ts)
 * in one query. What each means for the payout lifecycle:
 *  - processingPaused (docs/rules.md#emergency-switches: "system error → pause processing"): no payout goes to a provider and no manual
 *    payout may be marked PROCESSING while it is set; the payout waits (stays APPROVED) and carries on once it is
 *    cleared. Approvals and refusals are unaffected.
 *  - methodForcedManual (docs/rules.md#emergency-switches: "provider outage → switch to manual processing and queue"): an AUTOMATIC
 *    method is treated as MANUAL (`effectiveProcessing`): the payout is queued for an admin to process by hand
 *    instead of being sent to the provider. Meaningless for a MANUAL method.
 *  - partnerFrozen (docs/rules.md#emergency-switches: "suspected fraud → hold payouts", "balance discrepancy → freeze affected accounts"):
 *    the partner's payouts go no further than they are (no approval to processing, no send, no completion by the
 *    provider path) until the partner is unfrozen; the money stays where it is (reserve untouched).
 * `reasons` has one human-readable line per switch that is set (who, when, why), for the memo and the queue.
 */
export interface PayoutSwitches {
  processingPaused: boolean;
  methodForcedManual: boolean;
  partnerFrozen: boolean;
  reasons: string[];
}

export type ProcessingMode = 'MANUAL' | 'AUTOMATIC';

/** The processing a payout gets now: its method's, unless an outage forced the method to manual. */
export function effectiveProcessing(methodProcessing: ProcessingMode, switches: Pick<PayoutSwitches, 'methodForcedManual'>): ProcessingMode {
  return switches.methodForcedManual ? 'MANUAL' : methodProcessing;
}

/** True when a payout may move into PROCESSING (sent to a provider or marked processing by an admin) now. */
export function mayStartProcessing(switches: Pick<PayoutSwitches, 'processingPaused' | 'partnerFrozen'>): boolean {
  return !switches.processingPaused && !switches.partnerFrozen;
}
