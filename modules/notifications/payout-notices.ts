import { formatMoney } from '../../domain/money.ts';

/** The payout notices' wording, in one place: the payout activities pass these to enqueueNotification (outbox.ts). */

export interface PayoutFacts {
  payoutId: string;
  partnerId: string;
  amount: string;
  currency: string;
  methodId?: string;
}

const money = (facts: Pick<PayoutFacts, 'amount' | 'currency'>) => `${formatMoney(facts.amount, facts.currency)} ${facts.currency}`;

/** Subject and text of each payout notice (docs/rules.md#notifications). Pure: the same facts give the same message. */
export const payoutNotices = {
  /** docs/rules.md#notifications: "the partner is notified with the reason". FRAUD_SUSPECTED moves the amount to `held`. */
  rejected(facts: PayoutFacts & { rejectionCode: string; reason: string; destination: 'available' | 'held' }) {
    return {
      subject: `Your payout request of ${money(facts)} was rejected`,
      text: [
        `Your payout request ${facts.payoutId} of ${money(facts)} was rejected.`,
        '',
        `Reason: ${facts.rejectionCode}: ${facts.reason}`,
        '',
        facts.destination === 'held'
          ? 'The amount is held while the request is investigated.'
          : 'The amount is back in your available balance; you may request a payout again.',
      ].join('\n'),
    };
  },
  /** docs/rules.md#payout-provider-retries: a permanent failure returns the full amount; the partner may request again. */
  failed(facts: PayoutFacts & { failureCode: string | null; reason: string | null }) {
    return {
      subject: `Your payout of ${money(facts)} failed`,
      text: [
        `Your payout ${facts.payoutId} of ${money(facts)} could not be paid.`,
        '',
        `Reason: ${[facts.failureCode, facts.reason].filter(Boolean).join(': ') || 'not given'}`,
        '',
        'The full amount is back in your available balance; check your payment details and request a payout again.',
      ].join('\n'),
    };
  },
  completed(facts: PayoutFacts & { fee: string; amountToTransfer: string; reference: string | null }) {
    return {
      subject: `Your payout of ${money(facts)} was paid`,
      text: [
        `Your payout ${facts.payoutId} was paid.`,
        '',
        `Amount: ${money(facts)}`,
        `Fee: ${formatMoney(facts.fee, facts.currency)} ${facts.currency}`,
        `Transferred: ${formatMoney(facts.amountToTransfer, facts.currency)} ${facts.currency}${facts.methodId ? ` by ${facts.methodId}` : ''}`,
        ...(facts.reference ? [`Reference: ${facts.reference}`] : []),
      ].join('\n'),
    };
  },
  cancelled(facts: PayoutFacts & { reason: string | null }) {
    return {
      subject: `Your payout request of ${money(facts)} was cancelled`,
      text: [
        `Your payout request ${facts.payoutId} of ${money(facts)} was cancelled.`,
        ...(facts.reason ? ['', `Reason: ${facts.reason}`] : []),
        '',
        'The amount is back in your available balance.',
      ].join('\n'),
    };
  },
  /** docs/rules.md#payout-provider-retries: attempts ran out, "then the manual-review queue and an admin notice". */
  needsReview(facts: PayoutFacts & { failureCode: string | null; reason: string }) {
    return {
      subject: `Payout ${facts.payoutId} needs manual review`,
      text: [
        `Payout ${facts.payoutId} of partner ${facts.partnerId}, ${money(facts)}${facts.methodId ? ` by ${facts.methodId}` : ''}, needs manual review.`,
        '',
        `The provider did not pay it: ${[facts.failureCode, facts.reason].filter(Boolean).join(': ')}`,
        'It stays PROCESSING until an admin completes or fails it (queue: GET /v1/payouts?needsReview=true).',
      ].join('\n'),
    };
  },
  /** docs/rules.md#partner-validation: the payout waits for the partner to confirm it (and upload an invoice when the policy asks). */
  validationRequested(facts: PayoutFacts & { dueAt: string }) {
    return {
      subject: `Please confirm your payout of ${money(facts)}`,
      text: [
        `Your payout ${facts.payoutId} of ${money(facts)} waits for you to confirm the amount and the payment details`,
        '(and to upload an invoice, if your program asks for one) before it goes to approval.',
        '',
        `Confirm it by ${facts.dueAt}: after that it is cancelled and the amount returns to your available balance.`,
      ].join('\n'),
    };
  },

  /** docs/rules.md#payout-approval: "each approver is notified in turn". `roles`: who may take the open step(s). */
  approvalRequested(facts: PayoutFacts & { roles: readonly string[]; approvedSoFar: number; stepsInChain: number }) {
    return {
      subject: `Payout ${facts.payoutId} of ${money(facts)} awaits your approval`,
      text: [
        `Payout ${facts.payoutId} of partner ${facts.partnerId}, ${money(facts)}${facts.methodId ? ` by ${facts.methodId}` : ''}, awaits approval.`,
        '',
        `Approvals: ${facts.approvedSoFar} of ${facts.stepsInChain}; the next may come from: ${facts.roles.join(', ')}.`,
        `Approve or reject it with a fresh TOTP code: POST /v1/payouts/${facts.payoutId}/approve or /reject.`,
      ].join('\n'),
    };
  },
};
