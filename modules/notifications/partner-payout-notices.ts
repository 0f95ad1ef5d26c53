import type { CommonQueryMethods } from 'slonik';
import { formatMoney } from '../../domain/money.ts';
import { enqueueNotification } from './outbox.ts';

/**
 * The partner hears when their payout is approved and when it goes to review (issue #17, docs/rules.md#partner-payout-notices).
 * Each is written by the payout step that records the moment, in that step's transaction, keyed once per payout and
 * moment, so a retried step writes it once and a replayed workflow writes nothing new.
 */

/** What the payout steps know of the payout they locked. */
export interface PartnerPayoutFacts {
  payoutId: string;
  partnerId: string;
  amount: string;
  currency: string;
  methodId: string;
}

const money = (facts: Pick<PartnerPayoutFacts, 'amount' | 'currency'>) => `${formatMoney(facts.amount, facts.currency)} ${facts.currency}`;

/** Why a payout is in review, as the partner is told. The checklist's checks are not named (some are anti-fraud). */
export type PartnerReviewReason = 'CHECKLIST_HOLD' | 'PROVIDER_ATTEMPTS_EXHAUSTED';

/** Subject and text of the partner's notices. Pure: the same facts give the same message. */
export const partnerPayoutNotices = {
  approved(facts: PartnerPayoutFacts) {
    return {
      subject: `Your payout request of ${money(facts)} was approved`,
      text: [
        `Your payout request ${facts.payoutId} of ${money(facts)} by ${facts.methodId} was approved.`,
        '',
        'It is now being paid; you will hear again when the payment is made.',
      ].join('\n'),
    };
  },
  inReview(facts: PartnerPayoutFacts & { reason: PartnerReviewReason }) {
    return {
      subject: `Your payout request of ${money(facts)} is being reviewed`,
      text: [
        `Your payout request ${facts.payoutId} of ${money(facts)} by ${facts.methodId} is being reviewed by our team.`,
        '',
        facts.reason === 'CHECKLIST_HOLD'
          ? 'It needs a manual check before it can go to approval.'
          : 'The payment system could not pay it after several attempts; our team will complete it or tell you what to change.',
        'The amount stays reserved for this payout meanwhile; you need not do anything unless we contact you.',
      ].join('\n'),
    };
  },
};

/** docs/rules.md#partner-payout-notices: the chain is complete (the payout became APPROVED). Once per payout. */
export async function noticePartnerPayoutApproved(connection: CommonQueryMethods, facts: PartnerPayoutFacts): Promise<void> {
  await enqueueNotification(connection, {
    dedupeKey: `payout-approved:${facts.payoutId}`,
    kind: 'PAYOUT_APPROVED',
    recipient: { kind: 'partner', partnerId: facts.partnerId },
    ...partnerPayoutNotices.approved(facts),
  });
}

/**
 * docs/rules.md#partner-payout-notices: the payout went to review: HELD by the checklist, or in the manual-review queue after the
 * provider's attempts. Once per payout and reason: a HELD payout whose checklist is run again and holds again is
 * not announced twice.
 */
export async function noticePartnerPayoutInReview(connection: CommonQueryMethods, facts: PartnerPayoutFacts & { reason: PartnerReviewReason }): Promise<void> {
  await enqueueNotification(connection, {
    dedupeKey: `payout-in-review:${facts.payoutId}:${facts.reason === 'CHECKLIST_HOLD' ? 'held' : 'provider'}`,
    kind: 'PAYOUT_IN_REVIEW',
    recipient: { kind: 'partner', partnerId: facts.partnerId },
    ...partnerPayoutNotices.inReview(facts),
  });
}
