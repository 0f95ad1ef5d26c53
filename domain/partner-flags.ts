/**
 * Flags a lifecycle raises on a partner (issue #5), as pure values. Stored in `partner_flags` (migration 014) by
 * activities/partner-flags-store.ts; the payout checklist reads the active ones.
 *
 *  - DEBT_LIMIT: the partner's `debt` reached the policy's limit (docs/rules.md#debt): review, payouts held.
 *  - CHARGEBACK: a chargeback on one of the partner's orders is open (docs/rules.md#chargebacks): shown to approvers.
 *  - CHARGEBACK_WARNING: the penalty for a first chargeback: shown, holds nothing.
 *  - CHARGEBACK_MONITORING: the second chargeback's 30-day monitoring: shown, holds nothing; a timer clears it.
 *  - ACCOUNT_REVIEW: the third chargeback's account review (suspension pending review): payouts held until an
 *    admin clears it.
 *  - OPEN_DISPUTE: a dispute the partner opened is not closed (docs/rules.md#disputes): payouts held until it closes.
 */
export const partnerFlagKinds = [
  'DEBT_LIMIT', 'CHARGEBACK', 'CHARGEBACK_WARNING', 'CHARGEBACK_MONITORING', 'ACCOUNT_REVIEW', 'OPEN_DISPUTE',
] as const;
export type PartnerFlagKind = (typeof partnerFlagKinds)[number];

/** Which kinds hold the partner's payouts while active (and the checklist check that holds them). */
export const payoutHoldingFlags: Readonly<Partial<Record<PartnerFlagKind, 'NO_OPEN_DISPUTES' | 'NO_ACCOUNT_REVIEW'>>> = {
  OPEN_DISPUTE: 'NO_OPEN_DISPUTES',
  DEBT_LIMIT: 'NO_ACCOUNT_REVIEW',
  ACCOUNT_REVIEW: 'NO_ACCOUNT_REVIEW',
};

export function holdsPayouts(kind: PartnerFlagKind): boolean {
  return payoutHoldingFlags[kind] !== undefined;
}

export interface PartnerFlag {
  id: string;
  partnerId: string;
  kind: PartnerFlagKind;
  holdsPayouts: boolean;
  sourceType: string;
  sourceId: string;
  reason: string;
  raisedBy: string;
  raisedAt: Date;
  expiresAt: Date | null;
  clearedBy: string | null;
  clearedAt: Date | null;
  clearanceReason: string | null;
}
