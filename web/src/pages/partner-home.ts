import { api, query } from '../api.ts';
import { balanceCards } from '../components/balances.ts';
import { expectedRelease } from '../components/commissions.ts';
import { showFailure, totpInput } from '../dialog.ts';
import { field, formatDate, formatMoney, formatTime, h, link, replace, setFieldError, statusBadge, table, toast } from '../dom.ts';
import type { PageContext } from '../router.ts';

export async function partnerHomePage({ root, user }: PageContext) {
  const partnerId = user.partnerId!;
  const [{ balances }, partner, next, totpStatus] = await Promise.all([
    api.get('/v1/partners/{id}/balances', { params: { id: partnerId } }),
    api.get('/v1/partners/{id}', { params: { id: partnerId } }),
    api.get('/v1/partners/{id}/next-payment', { params: { id: partnerId } }).catch(() => null),
    api.get('/v1/me/totp'),
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
    totpPanel(totpStatus),
  );
}

/**
 * Two-step sign-in (docs/rules.md#details-change-controls): enrolled, or a form that starts the enrolment with the
 * password, shows the secret once, and confirms it with a code. Once enrolled, sign-in and payment-details changes ask
 * for a code.
 */
function totpPanel(status: { enrolled: boolean; pending: boolean; required: boolean }): HTMLElement {
  const panel = h('section', { class: 'panel', 'aria-labelledby': 'totp-title', 'data-testid': 'totp-panel' });
  const title = h('h2', { id: 'totp-title' }, 'Two-step sign-in (TOTP)');
  if (status.enrolled) {
    replace(panel, title, h('p', {}, 'On: sign-in and every change of your payment details ask for a code from your authenticator.'));
    return panel;
  }
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const start = h('form', { novalidate: true }, field('Your password', password, 'Asked again so that a stolen session cannot add a second factor.'), formError, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Set up TOTP')));
  start.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    setFieldError(password, null);
    try {
      const { secret, otpauthUri } = await api.post('/v1/me/totp', { body: { password: password.value } });
      const code = totpInput();
      const confirmError = h('p', { class: 'form-error', role: 'alert' });
      const confirm = h(
        'form',
        { novalidate: true },
        h('p', {}, 'Add this secret to your authenticator app (shown once): ', h('code', { 'data-testid': 'totp-secret' }, secret)),
        h('p', { class: 'muted' }, h('a', { href: otpauthUri }, 'Open in an authenticator app')),
        field('Code from your authenticator', code),
        confirmError,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Confirm')),
      );
      confirm.addEventListener('submit', async (confirmEvent) => {
        confirmEvent.preventDefault();
        confirmError.textContent = '';
        try {
          await api.post('/v1/me/totp/confirm', { body: { code: code.value.trim() } });
          toast('Two-step sign-in is on.');
          replace(panel, title, h('p', {}, 'On: sign-in and every change of your payment details ask for a code from your authenticator.'));
        } catch (error) {
          showFailure(error, { code }, confirmError);
        }
      });
      replace(panel, title, confirm);
      code.focus();
    } catch (error) {
      showFailure(error, { password }, formError);
    }
  });
  replace(
    panel,
    title,
    h('p', {}, status.required
      ? 'Required at your balance: until you set it up, you cannot change payment details or request a payout.'
      : 'Off. Set it up so that nobody with your password alone can sign in or change where your money goes.'),
    start,
  );
  return panel;
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
