import { Money, formatMoney as canonicalMoney } from '../../../domain/money.ts';
import { api, query } from '../api.ts';
import { createPayRunButton } from '../components/pay-runs.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, statusBadge, table } from '../dom.ts';
import type { Page } from '../router.ts';
import type { ResponseOf } from '../types.ts';

/**
 * The payment schedule's preview (docs/rules.md#payment-schedule, issue #17 "Console"): for a payment date, who is due,
 * who is below the minimum and why the others are not paid, with the totals per currency of the page shown.
 */

type Preview = ResponseOf<'/v1/payout-schedule/preview', 'get'>;
type Wallet = Preview['partners'][number]['wallets'][number];

const base = '/app/admin/payout-schedule';
const pageSize = 200;

/** Why the schedule would not pay a wallet, in words (docs/rules.md#payment-schedule). */
function why(wallet: Wallet, includeBelowMinimum: boolean): string {
  switch (wallet.state) {
    case 'READY':
      return 'Due: the run pays what is in available.';
    case 'BELOW_MINIMUM':
      return `${formatMoney(wallet.amount, wallet.currency)} is below the ${wallet.method ? `${wallet.method.name} minimum of ${formatMoney(wallet.method.minPayout, wallet.currency)}` : 'lowest minimum of the currency (no saved method)'}${includeBelowMinimum ? '; paid anyway (the policy includes payouts below the minimum).' : '; not paid.'}`;
    case 'NO_PAYMENT_DETAILS':
      return 'No saved payment details for this currency (or they are no longer valid): not paid.';
    case 'ACTIVE_PAYOUT':
      return 'A payout of this wallet is already open: not paid again.';
    case 'SCHEDULED':
      return 'Already paid for this date.';
    case 'NOTHING_DUE':
      return 'Nothing due.';
  }
}

/** Count and sum per currency and state, in decimal (never a JS number). */
function totals(preview: Preview) {
  const sums = new Map<string, { currency: string; state: Wallet['state']; count: number; amount: Money; inAvailable: Money }>();
  for (const partner of preview.partners) {
    for (const wallet of partner.wallets) {
      const key = `${wallet.currency} ${wallet.state}`;
      const sum = sums.get(key) ?? { currency: wallet.currency, state: wallet.state, count: 0, amount: new Money(0), inAvailable: new Money(0) };
      sum.count += 1;
      sum.amount = sum.amount.plus(wallet.amount);
      sum.inAvailable = sum.inAvailable.plus(wallet.inAvailable);
      sums.set(key, sum);
    }
  }
  return [...sums.values()].sort((left, right) => left.currency.localeCompare(right.currency) || left.state.localeCompare(right.state));
}

export const payoutSchedulePage: Page = async (context) => {
  const date = context.search.get('date') ?? '';
  const after = context.search.get('after') ?? '';
  const preview = await api.get('/v1/payout-schedule/preview', { query: { date, after, limit: pageSize } });
  document.title = `Payment schedule ${preview.paymentDate} · ledgerflow`;
  const dateControl = h('input', { type: 'date', value: preview.paymentDate, 'data-testid': 'schedule-date' });
  const form = h(
    'form',
    { class: 'filters panel', role: 'search', 'aria-label': 'Choose a payment date' },
    field('Payment date', dateControl, 'Default: the next payment date on or after today (UTC)'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Preview')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    context.navigate(`${base}${query({ date: dateControl.value })}`);
  });
  const wallets = preview.partners.flatMap((partner) => partner.wallets.map((wallet) => ({ partner, wallet })));
  const due = wallets.filter(({ wallet }) => wallet.state === 'READY' || (wallet.state === 'BELOW_MINIMUM' && preview.includeBelowMinimum));
  const notPaid = wallets.filter((item) => !due.includes(item));
  const row = ({ partner, wallet }: (typeof wallets)[number]) =>
    h(
      'tr',
      { 'data-partner': partner.partnerId, 'data-currency': wallet.currency, 'data-state': wallet.state },
      h('td', {}, link(`/app/admin/partners/${encodeURIComponent(partner.partnerId)}`, partner.partnerName), h('div', { class: 'muted small mono' }, partner.partnerId)),
      h('td', { class: 'number' }, formatMoney(wallet.amount, wallet.currency)),
      h('td', { class: 'number' }, formatMoney(wallet.inAvailable, wallet.currency)),
      h('td', { class: 'number' }, formatMoney(wallet.awaitingPayBatch, wallet.currency)),
      h('td', {}, wallet.method ? `${wallet.method.name} (min ${formatMoney(wallet.method.minPayout, wallet.currency)})` : '—'),
      h('td', {}, statusBadge(wallet.state)),
      h('td', { 'data-testid': 'why' }, why(wallet, preview.includeBelowMinimum)),
    );
  const headers = ['Partner', 'Next payment', 'In available', 'With the pay batch', 'Method', 'State', 'Why'];
  replace(
    context.root,
    h('p', {}, link('/app/admin/pay-runs', 'Pay runs →')),
    h('h1', {}, `Payment schedule: ${preview.paymentDate}`),
    form,
    h('div', { class: 'actions' }, createPayRunButton(context.navigate, { paymentDate: preview.paymentDate }, 'Pay run for this date…')),
    h(
      'section',
      { class: 'panel' },
      definitionList([
        ['Payment date', preview.paymentDate],
        ['Cutoff', `${formatTime(preview.cutoff)} (money cleared by then counts)`],
        ['Schedule', preview.scheduleEnabled ? 'enabled: the run creates the payouts on the date' : 'disabled in the policy: nothing is paid automatically'],
        ['Below the minimum', preview.includeBelowMinimum ? 'paid (policy includeBelowMinimum)' : 'not paid'],
      ]),
      table(
        ['Currency', 'State', 'Wallets', 'Next payment', 'In available (what the run pays)'],
        totals(preview).map((sum) =>
          h(
            'tr',
            { 'data-testid': 'schedule-total', 'data-currency': sum.currency, 'data-state': sum.state },
            h('td', {}, sum.currency),
            h('td', {}, statusBadge(sum.state)),
            h('td', { class: 'number' }, sum.count),
            h('td', { class: 'number' }, formatMoney(canonicalMoney(sum.amount, sum.currency), sum.currency)),
            h('td', { class: 'number' }, formatMoney(canonicalMoney(sum.inAvailable, sum.currency), sum.currency)),
          ),
        ),
        { caption: preview.next || after ? 'Totals of this page' : 'Totals', empty: 'Nobody has anything due on this date.' },
      ),
    ),
    h('section', { class: 'panel', 'aria-labelledby': 'due-heading' }, h('h2', { id: 'due-heading' }, `Due (${due.length})`), table(headers, due.map(row), { empty: 'Nobody is due.', className: 'schedule-due' })),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'not-paid-heading' },
      h('h2', { id: 'not-paid-heading' }, `Not paid on this date (${notPaid.length})`),
      table(headers, notPaid.map(row), { empty: 'Every wallet with something due is paid.', className: 'schedule-not-paid' }),
    ),
    preview.next ? h('p', {}, link(`${base}${query({ date: preview.paymentDate, after: preview.next })}`, 'Next page →')) : null,
  );
};
