import type { CommonQueryMethods } from 'slonik';
import { permissions } from '../../domain/access.ts';
import type { DisputeType } from '../../domain/dispute.ts';
import { clearPartnerFlags } from '../partner-flags/partner-flags-store.ts';
import type { DisputeRow } from './dispute-store.ts';

/**
 * Who a dispute's notices go to and how they name it, and the OPEN_DISPUTE flags that hold the partner's payouts
 * while it holds (the payout checklist's NO_OPEN_DISPUTE check).
 */

/** Financial support reviews disputes: told when one opens. */
export const disputeReviewers = ['financial_support'] as const;
/** Senior admins take escalated disputes: told when one escalates. */
export const disputeSeniors = permissions['disputes.escalated'];
const typeNames: Record<DisputeType, string> = { COMMISSION: 'commission', REVERSAL: 'reversal', PAYOUT: 'payout', RANK: 'rank' };
export const disputeTypeName = (type: DisputeType) => typeNames[type];
/** The dispute as the partner's notices name it: "your commission dispute (1234)". */
export const describeDispute = (row: DisputeRow) => `your ${typeNames[row.type]} dispute (${row.transaction_ref})`;

/** The flags a dispute raises: one while it first holds, one again if the partner escalates after an explanation. */
export const disputeFlagSource = (disputeId: string) => ({ sourceType: 'dispute', sourceId: disputeId });
export const escalationFlagSource = (disputeId: string) => ({ sourceType: 'dispute', sourceId: `${disputeId}:escalation` });

/** Ends the hold: both flags the dispute may have raised are cleared. */
export async function clearDisputeFlags(transaction: CommonQueryMethods, row: DisputeRow, actor: string, reason: string): Promise<number> {
  const cleared = [
    ...(await clearPartnerFlags(transaction, { ...disputeFlagSource(row.id), kind: 'OPEN_DISPUTE', actor, reason })),
    ...(await clearPartnerFlags(transaction, { ...escalationFlagSource(row.id), kind: 'OPEN_DISPUTE', actor, reason })),
  ];
  return cleared.length;
}
