import { api, newIdempotencyKey, query } from '../api.ts';
import { expectedRelease } from '../components/commissions.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, statusBadge, table } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { Commission, QueryOf } from '../types.ts';

// Each filter is also the query parameter of GET /v1/commissions that it sets.
const filterNames = ['status', 'partnerId', 'sourceType', 'level', 'from', 'to', 'minAmount', 'maxAmount'] as const satisfies readonly (keyof QueryOf<'/v1/commissions', 'get'>)[];

/** The commission list in docs/rules.md#commission-list: transaction, partner, source, level, amount, status, created at; and its filters. */
export async function adminCommissionsPage({ root, search, navigate }: PageContext) {
  const filters = Object.fromEntries(filterNames.map((name) => [name, search.get(name) ?? ''])) as Record<(typeof filterNames)[number], string>;
  const toIso = (value: string) => (value ? new Date(`${value}T00:00:00Z`).toISOString() : undefined);
  const { commissions, next } = await api.get('/v1/commissions', { query: { ...filters, from: toIso(filters.from), to: toIso(filters.to), limit: 100, after: search.get('after') } });
  document.title = 'Commissions · ledgerflow';
  const controls = {
    status: h('select', {}, ['', 'PENDING', 'APPROVED', 'PAID', 'REVERSED', 'HELD'].map((value) => h('option', { value, selected: filters.status === value }, value || 'Any status'))),
    partnerId: h('input', { value: filters.partnerId, placeholder: 'p_…' }),
    sourceType: h('select', {}, ['', 'PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT', 'PORTFOLIO_YIELD', 'POOL'].map((value) => h('option', { value, selected: filters.sourceType === value }, value || 'Any source'))),
    level: h('select', {}, ['', ...Array.from({ length: 10 }, (_, index) => String(index + 1))].map((value) => h('option', { value, selected: filters.level === value }, value || 'Any level'))),
    from: h('input', { type: 'date', value: filters.from }),
    to: h('input', { type: 'date', value: filters.to }),
    minAmount: h('input', { inputmode: 'decimal', value: filters.minAmount }),
    maxAmount: h('input', { inputmode: 'decimal', value: filters.maxAmount }),
  };
  const labels: Record<keyof typeof controls, string> = { status: 'Status', partnerId: 'Partner', sourceType: 'Source type', level: 'Level', from: 'Created from', to: 'Created before', minAmount: 'Min amount', maxAmount: 'Max amount' };
  const form = h(
    'form',
    { class: 'filters panel', role: 'search', 'aria-label': 'Filter commissions' },
    Object.entries(controls).map(([name, control]) => field(labels[name as keyof typeof controls], control)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters'), link('/app/admin/commissions', 'Clear')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`/app/admin/commissions${query(Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value])))}`);
  });
  replace(
    root,
    h('h1', {}, 'Commissions'),
    h('details', { class: 'filter-box', open: true }, h('summary', {}, 'Filters'), form),
    table(
      ['Transaction ID', 'Partner', 'Source', 'Level', 'Type', 'Base', 'Amount', 'Status', 'Created at', 'Release'],
      commissions.map((commission) =>
        h(
          'tr',
          {},
          h('td', {}, link(`/app/admin/commissions/${commission.id}`, commission.id)),
          h('td', {}, link(`/app/admin/partners/${encodeURIComponent(commission.partnerId)}`, commission.partnerId)),
          h('td', {}, `${commission.sourceType}${commission.sourceId ? ` ${commission.sourceId}` : ''}`),
          h('td', { class: 'number' }, commission.level),
          h('td', {}, commission.incomeTypeName),
          h('td', { class: 'number' }, formatMoney(commission.base)),
          h('td', { class: 'number' }, formatMoney(commission.amount, commission.currency)),
          h('td', {}, statusBadge(commission.status)),
          h('td', {}, formatTime(commission.createdAt)),
          h('td', {}, expectedRelease(commission)),
        ),
      ),
      { caption: 'Newest first', empty: 'No commissions match.' },
    ),
    next ? h('p', {}, link(`/app/admin/commissions${query({ ...filters, after: next })}`, 'Next page →')) : null,
  );
}

export async function adminCommissionPage({ root, params, user, navigate }: PageContext) {
  const commission = await api.get('/v1/commissions/{id}', { params: { id: params.id! } });
  document.title = `Commission ${commission.id} · ledgerflow`;
  const breakdownRows = Object.entries(commission.breakdown).filter(([name]) => name !== 'text');
  replace(
    root,
    h('p', {}, link('/app/admin/commissions', '← Commissions')),
    h('h1', {}, `Commission ${commission.id}`),
    h(
      'section',
      { class: 'panel' },
      definitionList([
        ['Partner', h('span', {}, link(`/app/admin/partners/${encodeURIComponent(commission.partner.id)}`, commission.partner.name), ` (${commission.partner.id}, rank ${commission.partner.rank})`)],
        ['Income type', `${commission.incomeType} · ${commission.incomeTypeName}`],
        ['Level', String(commission.level)],
        ['Source', `${commission.sourceType}${commission.sourceId ? ` ${commission.sourceId}` : ''}${commission.eventExternalId ? ` (event ${commission.eventExternalId})` : ''}`],
        ['Base', formatMoney(commission.base)],
        ['Rate', commission.rate],
        ['Amount', formatMoney(commission.amount, commission.currency)],
        ['Reversed', formatMoney(commission.reversedAmount, commission.currency)],
        ['Status', statusBadge(commission.status)],
        ['Release', expectedRelease(commission)],
        ['Policy version', String(commission.policyVersion)],
      ]),
      clawbackAction(commission, user.role, () => navigate(location.pathname + location.search)),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Calculation'),
      commission.breakdown.text ? h('pre', { class: 'breakdown', 'data-testid': 'breakdown' }, String(commission.breakdown.text)) : null,
      table(
        ['Step', 'Value'],
        breakdownRows.map(([name, value]) => h('tr', {}, h('td', {}, name), h('td', { class: 'mono' }, typeof value === 'object' ? JSON.stringify(value) : String(value)))),
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'History'),
      table(
        ['When', 'Action', 'By', 'Amount', 'Reason'],
        commission.history.map((record) => h('tr', {}, h('td', {}, formatTime(record.at)), h('td', {}, record.action), h('td', {}, record.actor), h('td', { class: 'number' }, formatMoney(record.amount)), h('td', {}, record.reason ?? ''))),
      ),
    ),
  );
}

/**
 * The "Reverse commission — senior admin" in docs/rules.md#clawbacks: a full or partial clawback (POST /v1/commissions/:id/clawback) with
 * a reason and a fresh TOTP code. Other roles see why they cannot; the server refuses them anyway.
 */
function clawbackAction(commission: Commission, role: string, reload: () => void): Node | null {
  if (commission.status === 'REVERSED') return null;
  if (role !== 'senior_admin') return h('p', { class: 'hint' }, 'A senior admin can claw this commission back.');
  const amount = h('input', { inputmode: 'decimal', autocomplete: 'off', placeholder: 'all that is left' });
  const reason = h('textarea', { rows: 2, maxlength: 1000, required: true });
  return h('div', { class: 'actions' }, h('button', {
    type: 'button', class: 'danger',
    onclick: async () => {
      const done = await formDialog({
        title: 'Claw back commission',
        intro: `Takes the amount back from the partner's ${commission.status === 'PAID' ? 'available balance (any shortfall becomes debt)' : 'commission balance'}; a full clawback marks it REVERSED.`,
        fields: [
          { name: 'amount', label: `Amount (${commission.currency}, empty for all that is left)`, control: amount },
          { name: 'reason', label: 'Reason', control: reason },
        ],
        totp: true,
        danger: true,
        submitLabel: 'Claw back',
        submit: async (values, totp) => {
          await api.post('/v1/commissions/{id}/clawback', {
            params: { id: commission.id },
            body: { ...(values.amount!.trim() ? { amount: values.amount!.trim() } : {}), reason: values.reason!.trim() },
            totp,
            idempotencyKey: newIdempotencyKey(),
          });
        },
      });
      if (done) reload();
    },
  }, 'Claw back…'));
}
