import { query, request } from '../api.ts';
import { formatDate, formatMoney, formatTime, h, link, replace, statusBadge, table } from '../dom.ts';
import type { PageContext } from '../main.ts';

export interface Balances {
  currency: string;
  commissionPending: string;
  commissionApproved: string;
  available: string;
  payoutReserved: string;
  held: string;
  debt: string;
}

/** What each bucket means, in the partner's words. */
export const bucketMeanings: { key: keyof Omit<Balances, 'currency'>; label: string; meaning: string }[] = [
  { key: 'available', label: 'Available', meaning: 'Yours to withdraw now: request a payout of up to this amount.' },
  { key: 'commissionPending', label: 'Pending commissions', meaning: 'Earned, still in the holding period; released on each commission’s release date.' },
  { key: 'commissionApproved', label: 'Approved commissions', meaning: 'Past the hold; moved to Available by the next pay run.' },
  { key: 'payoutReserved', label: 'Reserved for payouts', meaning: 'Set aside for a payout you requested until it is paid, or returned if it is rejected or fails.' },
  { key: 'held', label: 'Held', meaning: 'Frozen during an investigation; released or returned once it is resolved.' },
  { key: 'debt', label: 'Debt', meaning: 'Owed after a refund or chargeback took back commission already paid; repaid from your next commissions first.' },
];

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

export async function partnerHomePage({ root, user }: PageContext) {
  const partnerId = user.partnerId!;
  const [{ balances }, partner, next] = await Promise.all([
    request<{ balances: Balances[] }>(`/v1/partners/${encodeURIComponent(partnerId)}/balances`),
    request<{ id: string; name: string; rank: string; status: string; kycStatus: string }>(`/v1/partners/${encodeURIComponent(partnerId)}`),
    request<{ paymentDate: string; cutoff: string; scheduleEnabled: boolean; wallets: { currency: string; amount: string; state: string }[] }>(
      `/v1/partners/${encodeURIComponent(partnerId)}/next-payment`,
    ).catch(() => null),
  ]);
  document.title = 'Balances · ledgerflow';
  replace(
    root,
    h('h1', {}, `Hello, ${partner.name}`),
    h('p', { class: 'muted' }, `Partner ${partner.id} · rank ${partner.rank} · ${partner.status} · KYC ${partner.kycStatus}`),
    balanceCards(balances),
    next && next.scheduleEnabled
      ? h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Next scheduled payment'),
          h('p', {}, `On ${next.paymentDate} (covers what cleared its hold by ${formatDate(next.cutoff)}).`),
          next.wallets.map((wallet) => h('p', {}, `${formatMoney(wallet.amount, wallet.currency)} — ${wallet.state.replaceAll('_', ' ').toLowerCase()}`)),
        )
      : null,
    h('p', { class: 'actions' }, link('/app/partner/payouts/new', 'Request a payout'), ' ', link('/app/partner/payouts', 'Payout history')),
  );
}

export interface Commission {
  id: string;
  partnerId: string;
  incomeType: number;
  incomeTypeName: string;
  level: number;
  sourceType: string;
  sourceId: string | null;
  base: string;
  rate: string;
  amount: string;
  reversedAmount: string;
  currency: string;
  status: string;
  releaseAt: string;
  createdAt: string;
  approvedAt: string | null;
  paidAt: string | null;
  policyVersion: number;
}

/** When the money becomes available: the release date for a pending commission, else what already happened. */
export function expectedRelease(commission: Commission): string {
  if (commission.status === 'PENDING') return `${formatDate(commission.releaseAt)} (expected)`;
  if (commission.status === 'APPROVED') return `released ${formatDate(commission.approvedAt)}; paid in the next pay run`;
  if (commission.status === 'PAID') return `paid ${formatDate(commission.paidAt)}`;
  return '—';
}

export async function partnerCommissionsPage({ root, search }: PageContext) {
  const status = search.get('status') ?? '';
  const { commissions, next } = await request<{ commissions: Commission[]; next: string | null }>(
    `/v1/commissions${query({ status, limit: 100, after: search.get('after') })}`,
  );
  document.title = 'Commissions · ledgerflow';
  const select = h('select', { id: 'commission-status', name: 'status' }, ['', 'PENDING', 'APPROVED', 'PAID', 'REVERSED'].map((value) => h('option', { value, selected: value === status }, value || 'Any status')));
  select.addEventListener('change', () => {
    history.pushState(null, '', `/app/partner/commissions${query({ status: select.value })}`);
    dispatchEvent(new PopStateEvent('popstate'));
  });
  replace(
    root,
    h('h1', {}, 'Your commissions'),
    h('div', { class: 'filters' }, h('label', { for: 'commission-status' }, 'Status '), select),
    table(
      ['Created', 'Type', 'Level', 'Source', 'Amount', 'Status', 'Expected release'],
      commissions.map((commission) =>
        h(
          'tr',
          {},
          h('td', {}, formatTime(commission.createdAt)),
          h('td', {}, commission.incomeTypeName),
          h('td', { class: 'number' }, commission.level),
          h('td', {}, `${commission.sourceType}${commission.sourceId ? ` ${commission.sourceId}` : ''}`),
          h('td', { class: 'number' }, formatMoney(commission.amount, commission.currency), commission.reversedAmount !== '0' && commission.reversedAmount !== '0.00' ? h('small', { class: 'muted' }, ` (−${commission.reversedAmount} reversed)`) : null),
          h('td', {}, statusBadge(commission.status)),
          h('td', {}, expectedRelease(commission)),
        ),
      ),
      { caption: 'Newest first', empty: 'No commissions yet.' },
    ),
    next ? h('p', {}, link(`/app/partner/commissions${query({ status, after: next })}`, 'Older commissions →')) : null,
  );
}
