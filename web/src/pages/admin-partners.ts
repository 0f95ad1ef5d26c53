import { api, query } from '../api.ts';
import { balanceCards } from '../components/balances.ts';
import { auditTrailTable } from '../components/audit-trail.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { AuditRecord, ResponseOf } from '../types.ts';

type Flag = ResponseOf<'/v1/partners/{id}/flags', 'get'>['data'][number];
type Freeze = ResponseOf<'/v1/ops/switches', 'get'>['frozenPartners'][number];

/**
 * Find a partner by a substring of their name, id or login e-mail (GET /v1/partners?q=), open one by exact id, and
 * the search in docs/rules.md#payment-history over payment details and history: a substring of any detail value, the partner's id or name, or
 * a reference.
 */
export async function adminPartnersPage({ root, navigate, search }: PageContext) {
  document.title = 'Partners · ledgerflow';
  const name = search.get('name')?.trim() ?? '';
  const nameInput = h('input', { name: 'name', value: name, required: true, minlength: 2, maxlength: 100, autocomplete: 'off', placeholder: 'part of a name, ID or e-mail' });
  const findForm = h('form', { class: 'panel filters', role: 'search', 'aria-label': 'Find a partner' }, field('Find a partner (name, ID or e-mail)', nameInput), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Find')));
  findForm.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`/app/admin/partners${query({ name: nameInput.value.trim() })}`);
  });
  const id = h('input', { name: 'partnerId', required: true, placeholder: 'p_…', autocomplete: 'off' });
  const form = h('form', { class: 'panel filters', role: 'search', 'aria-label': 'Open a partner' }, field('Partner ID', id), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Open profile')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (id.value.trim()) navigate(`/app/admin/partners/${encodeURIComponent(id.value.trim())}`);
  });
  const q = search.get('q') ?? '';
  const text = h('input', { name: 'q', value: q, autocomplete: 'off', placeholder: 'account number, e-mail, wallet, name, reference…' });
  const searchForm = h('form', { class: 'panel filters', role: 'search', 'aria-label': 'Search payment history' }, field('Search payment details and history', text), h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search')));
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`/app/admin/partners${query({ q: text.value.trim() })}`);
  });
  const results = q ? await api.get('/v1/payment-history', { query: { q, limit: 50 } }) : null;
  // The API needs at least two characters; a shorter name in the URL is answered here instead of with its 400.
  const directory = name.length >= 2 ? await api.get('/v1/partners', { query: { q: name, limit: 50, cursor: search.get('cursor') } }) : null;
  replace(
    root,
    h('h1', {}, 'Partners and payment history'),
    findForm,
    name && !directory ? h('p', { class: 'muted', role: 'status' }, 'Type at least two characters to find a partner.') : null,
    directory
      ? [
          table(
            ['Name', 'Partner ID', 'Rank', 'Status', 'KYC', 'Joined'],
            directory.data.map((partner) =>
              h(
                'tr',
                { 'data-partner-id': partner.id },
                h('td', {}, link(`/app/admin/partners/${encodeURIComponent(partner.id)}`, partner.name)),
                h('td', { class: 'mono' }, partner.id),
                h('td', {}, partner.rank),
                h('td', {}, statusBadge(partner.status)),
                h('td', {}, partner.kycStatus),
                h('td', {}, formatTime(partner.joinedAt)),
              ),
            ),
            { caption: `Partners matching “${name}”, by name`, empty: 'No partner matches.' },
          ),
          directory.nextCursor ? h('p', {}, link(`/app/admin/partners${query({ name, cursor: directory.nextCursor })}`, 'Next page →')) : null,
        ]
      : null,
    form,
    searchForm,
    results
      ? table(
          ['Requested', 'Partner', 'Amount', 'Method', 'Paid to', 'Reference', 'Status'],
          results.payments.map((item) =>
            h(
              'tr',
              {},
              h('td', {}, link(`/app/admin/payouts/${item.id}`, formatTime(item.createdAt))),
              h('td', {}, link(`/app/admin/partners/${encodeURIComponent(item.partnerId)}`, item.partnerName), h('br'), h('small', { class: 'muted' }, item.partnerId)),
              h('td', { class: 'number' }, formatMoney(item.amount, item.currency)),
              h('td', {}, item.methodId),
              h('td', {}, Object.entries(item.paymentDetails).map(([name, value]) => `${name}: ${value}`).join(', '), item.detailsChange.changed ? h('small', { class: 'warning-text' }, ` (changed: ${item.detailsChange.changedFields.join(', ')})`) : null),
              h('td', {}, item.externalReference ?? '—'),
              h('td', {}, statusBadge(item.status)),
            ),
          ),
          { caption: `Payments matching “${q}”, newest first`, empty: 'Nothing matches.' },
        )
      : null,
  );
  (q ? text : nameInput).focus();
}

export async function adminPartnerPage(context: PageContext) {
  const { root, params } = context;
  const partnerId = params.id!;
  const partnerParams = { id: partnerId };
  const [partner, { balances }, ledger, { payouts }, flags, switches, trail] = await Promise.all([
    api.get('/v1/partners/{id}', { params: partnerParams }),
    api.get('/v1/partners/{id}/balances', { params: partnerParams }),
    api.get('/v1/partners/{id}/ledger', { params: partnerParams, query: { limit: 50 } }),
    api.get('/v1/payouts', { query: { partnerId, status: 'REQUESTED,HELD,AWAITING_PARTNER,AWAITING_APPROVAL,APPROVED,PROCESSING,COMPLETED,REJECTED,CANCELLED,FAILED', sort: 'created_at', order: 'desc', limit: 50 } }),
    api.get('/v1/partners/{id}/flags', { params: partnerParams }).catch(() => ({ data: [] as Flag[] })),
    api.get('/v1/ops/switches').catch(() => ({ frozenPartners: [] as Freeze[] })),
    api.get('/v1/reports/audit-trail', { query: { partnerId } }).catch(() => ({ records: [] as AuditRecord[] })),
  ]);
  document.title = `${partner.name} · ledgerflow`;
  const freeze = switches.frozenPartners.find((item) => item.partnerId === partnerId && item.frozen);
  const reload = () => adminPartnerPage(context);

  const freezeButton = freeze
    ? h('button', {
        type: 'button',
        onclick: async () => {
          const reason = h('textarea', { rows: 2, required: true, maxlength: 500 });
          const done = await formDialog({
            title: 'Unfreeze partner',
            intro: `Lift the freeze on ${partner.name}; their held payouts re-run the checklist.`,
            fields: [{ name: 'reason', label: 'Reason', control: reason }],
            totp: true,
            submitLabel: 'Unfreeze',
            submit: async (values, totp) => {
              await api.post('/v1/ops/partners/{id}/unfreeze', { params: partnerParams, body: { reason: values.reason!.trim() }, totp });
              toast('Partner unfrozen.');
            },
          });
          if (done) await reload();
        },
      }, 'Unfreeze…')
    : h('button', {
        type: 'button',
        class: 'danger',
        onclick: async () => {
          const kind = h('select', {}, h('option', { value: 'FRAUD_SUSPECTED' }, 'Fraud suspected'), h('option', { value: 'BALANCE_DISCREPANCY' }, 'Balance discrepancy'));
          const reason = h('textarea', { rows: 2, required: true, maxlength: 500 });
          const done = await formDialog({
            title: 'Freeze partner',
            intro: `Freeze ${partner.name}: their payouts are held until the freeze is lifted.`,
            fields: [
              { name: 'kind', label: 'Why', control: kind },
              { name: 'reason', label: 'Reason', control: reason },
            ],
            totp: true,
            submitLabel: 'Freeze',
            danger: true,
            submit: async (values, totp) => {
              await api.post('/v1/ops/partners/{id}/freeze', { params: partnerParams, body: { kind: values.kind as NonNullable<Freeze['kind']>, reason: values.reason!.trim() }, totp });
              toast('Partner frozen.');
            },
          });
          if (done) await reload();
        },
      }, 'Freeze…');

  const flagRows = flags.data.map((flag) =>
    h(
      'tr',
      { class: flag.active ? '' : 'muted' },
      h('td', {}, flag.kind),
      h('td', {}, flag.active ? 'active' : 'cleared'),
      h('td', {}, flag.holdsPayouts ? 'yes' : 'no'),
      h('td', {}, flag.reason),
      h('td', {}, formatTime(flag.raisedAt)),
      h(
        'td',
        {},
        flag.active
          ? h('button', {
              type: 'button',
              onclick: async () => {
                const reason = h('textarea', { rows: 2, required: true, maxlength: 500 });
                const done = await formDialog({
                  title: `Clear ${flag.kind} flag`,
                  fields: [{ name: 'reason', label: 'Reason', control: reason }],
                  totp: true,
                  submitLabel: 'Clear flag',
                  submit: async (values, totp) => {
                    await api.post('/v1/partner-flags/{flagId}/clear', { params: { flagId: flag.id }, body: { reason: values.reason!.trim() }, totp });
                    toast('Flag cleared.');
                  },
                });
                if (done) await reload();
              },
            }, 'Clear…')
          : null,
      ),
    ),
  );

  replace(
    root,
    h('h1', {}, partner.name),
    h(
      'section',
      { class: 'panel' },
      definitionList([
        ['Partner ID', partner.id],
        ['Rank', partner.rank],
        ['Status', statusBadge(partner.status)],
        ['KYC', partner.kycStatus],
        ['Joined', formatTime(partner.joinedAt)],
        ['Sponsor', partner.sponsorId ? link(`/app/admin/partners/${encodeURIComponent(partner.sponsorId)}`, partner.sponsorId) : '—'],
        ['Freeze', freeze ? h('strong', { class: 'warning-text' }, `FROZEN (${freeze.kind}): ${freeze.reason ?? ''}`) : 'not frozen'],
      ]),
      h('div', { class: 'actions' }, freezeButton),
    ),
    h('h2', {}, 'Balances by bucket'),
    balanceCards(balances),
    h('section', { class: 'panel', id: 'flags' }, h('h2', {}, 'Flags'), table(['Kind', 'State', 'Holds payouts', 'Reason', 'Raised', ''], flagRows, { empty: 'No flags.' })),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Payouts'),
      table(
        ['Requested', 'Amount', 'Method', 'Status'],
        payouts.map((payout) =>
          h('tr', {}, h('td', {}, link(`/app/admin/payouts/${payout.id}`, formatTime(payout.requestedAt ?? payout.createdAt))), h('td', { class: 'number' }, formatMoney(payout.amount, payout.currency)), h('td', {}, payout.methodId), h('td', {}, statusBadge(payout.status))),
        ),
        { empty: 'No payouts.' },
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Ledger postings'),
      table(
        ['When', 'Entry', 'Kind', 'Bucket', 'Amount', 'Description'],
        ledger.postings.map((posting) =>
          h('tr', {}, h('td', {}, formatTime(posting.createdAt)), h('td', { class: 'mono' }, posting.entryId), h('td', {}, posting.kind), h('td', {}, posting.bucket), h('td', { class: 'number' }, formatMoney(posting.amount, posting.currency)), h('td', {}, posting.description)),
        ),
        { caption: 'The 50 newest', empty: 'No postings.' },
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Audit trail'),
      auditTrailTable(trail.records, { showTarget: true, empty: 'No audit records.' }),
    ),
  );
}
