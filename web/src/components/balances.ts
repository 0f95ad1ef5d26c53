import { formatMoney, h } from '../dom.ts';
import type { Balances } from '../types.ts';

/** What each bucket means, in the partner's words. */
const bucketMeanings: { key: keyof Omit<Balances, 'currency'>; label: string; meaning: string }[] = [
  { key: 'available', label: 'Available', meaning: 'Yours to withdraw now: request a payout of up to this amount.' },
  { key: 'commissionPending', label: 'Pending commissions', meaning: 'Earned, still in the holding period; released on each commission’s release date.' },
  { key: 'commissionApproved', label: 'Approved commissions', meaning: 'Past the hold; moved to Available by the next pay run.' },
  { key: 'payoutReserved', label: 'Reserved for payouts', meaning: 'Set aside for a payout you requested until it is paid, or returned if it is rejected or fails.' },
  { key: 'held', label: 'Held', meaning: 'Frozen during an investigation; released or returned once it is resolved.' },
  { key: 'debt', label: 'Debt', meaning: 'Owed after a refund or chargeback took back commission already paid; repaid from your next commissions first.' },
];

/** A partner's balances, one card per bucket with what it means: the partner's home and the admin's partner page. */
export function balanceCards(balances: Balances[]): HTMLElement {
  if (balances.length === 0) return h('p', { class: 'muted' }, 'No balances yet.');
  return h(
    'div',
    {},
    balances.map((row) =>
      h(
        'section',
        { class: 'balances', 'aria-label': `Balances in ${row.currency}`, 'data-currency': row.currency },
        h('h2', {}, row.currency),
        h(
          'div',
          { class: 'cards' },
          bucketMeanings.map((bucket) =>
            h(
              'article',
              { class: `card bucket-${bucket.key}`, 'data-bucket': bucket.key },
              h('h3', {}, bucket.label),
              h('p', { class: 'amount', 'data-testid': `balance-${bucket.key}` }, formatMoney(row[bucket.key], row.currency)),
              h('p', { class: 'muted small' }, bucket.meaning),
            ),
          ),
        ),
      ),
    ),
  );
}
