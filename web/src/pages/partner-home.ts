import { api, query } from '../api.ts';
import { balanceCards } from '../components/balances.ts';
import { expectedRelease } from '../components/commissions.ts';
import { formatDate, formatMoney, formatTime, h, link, replace, statusBadge, table } from '../dom.ts';
import type { PageContext } from '../router.ts';

export async function partnerHomePage({ root, user }: PageContext) {
  const partnerId = user.partnerId!;
  const [{ balances }, partner, next] = await Promise.all([
    api.get('/v1/partners/{id}/balances', { params: { id: partnerId } }),
    api.get('/v1/partners/{id}', { params: { id: partnerId } }),
    api.get('/v1/partners/{id}/next-payment', { params: { id: partnerId } }).catch(() => null),
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

export async function partnerCommissionsPage({ root, search, navigate }: PageContext) {
  const status = search.get('status') ?? '';
  const { commissions, next } = await api.get('/v1/commissions', { query: { status, limit: 100, after: search.get('after') } });
  document.title = 'Commissions · ledgerflow';
  const select = h('select', { id: 'commission-status', name: 'status' }, ['', 'PENDING', 'APPROVED', 'PAID', 'REVERSED'].map((value) => h('option', { value, selected: value === status }, value || 'Any status')));
  select.addEventListener('change', () => navigate(`/app/partner/commissions${query({ status: select.value })}`));
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
