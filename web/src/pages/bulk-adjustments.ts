import { bulkAmountKinds, bulkDirections, type BulkAmountKind, type BulkDirection } from '../../../domain/adjustment.ts';
import { ranks, type Rank } from '../../../domain/network.ts';
import { api, apiUrl, download, newIdempotencyKey, query } from '../api.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { Page } from '../router.ts';
import type { BodyOf, ResponseOf } from '../types.ts';

/**
 * Bulk adjustments (docs/rules.md#bulk-adjustments): create one by partner IDs, by a filter (rank, joined between) or by an uploaded CSV;
 * its detail shows the preview (every affected partner's amount and the total impact that decides the approval tier),
 * the approve/reject decisions with a TOTP code, the execution's progress (refreshed while it runs) and the results
 * report to download.
 */

const bulkStatuses = ['AWAITING_APPROVAL', 'EXECUTING', 'COMPLETED', 'REJECTED', 'EXPIRED'] as const;
const refreshMs = 2_000;

type BulkListItem = ResponseOf<'/v1/bulk-adjustments', 'get'>['data'][number];
type Target = BodyOf<'/v1/bulk-adjustments', 'post'>['target'];

const base = '/app/admin/bulk-adjustments';
const options = (values: readonly string[], empty?: string, selected = '') =>
  [...(empty !== undefined ? [''] : []), ...values].map((value) => h('option', { value, selected: value === selected }, value || empty!));
const value = (bulk: Pick<BulkListItem, 'amountKind' | 'value' | 'currency'>) =>
  bulk.value === null ? 'per CSV line' : bulk.amountKind === 'PERCENTAGE' ? `${bulk.value} % of available` : formatMoney(bulk.value, bulk.currency);
/** A date input's value (YYYY-MM-DD) as the start of that day in UTC. */
const dayStart = (day: string) => (day ? new Date(`${day}T00:00:00Z`).toISOString() : undefined);

function createButton(navigate: (path: string) => void): HTMLElement {
  return h('button', {
    type: 'button',
    class: 'primary',
    onclick: () => {
      const direction = h('select', {}, options(bulkDirections));
      const amountKind = h('select', {}, options(bulkAmountKinds));
      const amount = h('input', { inputmode: 'decimal', placeholder: 'empty: each CSV line’s amount' });
      const currency = h('input', { value: 'USD', maxlength: 5, required: true });
      const reason = h('textarea', { rows: 2, maxlength: 1000, required: true });
      const targetKind = h('select', {}, h('option', { value: 'IDS' }, 'Partner IDs'), h('option', { value: 'FILTER' }, 'Filter'), h('option', { value: 'CSV' }, 'CSV file'));
      const partnerIds = h('textarea', { rows: 3, placeholder: 'One per line, or separated by commas' });
      const rank = h('select', {}, options(ranks, 'Any rank'));
      const joinedFrom = h('input', { type: 'date' });
      const joinedTo = h('input', { type: 'date' });
      const csv = h('input', { type: 'file', accept: '.csv,text/csv,text/plain' });
      // Only the fields of the chosen target are shown (hidden fields are also out of the dialog's Tab order).
      const targetFields: Record<string, HTMLElement[]> = { IDS: [partnerIds], FILTER: [rank, joinedFrom, joinedTo], CSV: [csv] };
      const sync = () => {
        for (const [kind, controls] of Object.entries(targetFields)) for (const control of controls) control.closest<HTMLElement>('.field')!.hidden = kind !== targetKind.value;
      };
      targetKind.addEventListener('change', sync);
      const done = formDialog({
        title: 'New bulk adjustment',
        intro: 'Nothing moves until it is approved: the preview shows each partner’s amount and the total impact, which decides who approves.',
        fields: [
          { name: 'direction', label: 'Direction', control: direction },
          { name: 'amountKind', label: 'Fixed or percentage', control: amountKind, hint: 'PERCENTAGE: of each partner’s available balance, floored to cents' },
          { name: 'value', label: 'Value', control: amount },
          { name: 'currency', label: 'Currency', control: currency },
          { name: 'reason', label: 'Reason (mandatory)', control: reason },
          { name: 'kind', label: 'Target', control: targetKind },
          { name: 'partnerIds', label: 'Partner IDs', control: partnerIds },
          { name: 'ranks', label: 'Rank', control: rank },
          { name: 'joinedFrom', label: 'Joined on or after', control: joinedFrom },
          { name: 'joinedTo', label: 'Joined before', control: joinedTo },
          { name: 'csv', label: 'CSV (partnerId[,amount] per line)', control: csv },
        ],
        submitLabel: 'Create and preview',
        submit: async (values) => {
          let target: Target;
          if (values.kind === 'IDS') target = { kind: 'IDS', partnerIds: values.partnerIds!.split(/[\s,;]+/).filter(Boolean) };
          else if (values.kind === 'FILTER') {
            target = { kind: 'FILTER', ...(values.ranks ? { ranks: [values.ranks as Rank] } : {}), ...(values.joinedFrom ? { joinedFrom: dayStart(values.joinedFrom) } : {}), ...(values.joinedTo ? { joinedTo: dayStart(values.joinedTo) } : {}) };
          } else {
            const file = csv.files?.[0];
            target = { kind: 'CSV', csv: file ? await file.text() : '' };
          }
          const created = await api.post('/v1/bulk-adjustments', {
            body: {
              direction: values.direction as BulkDirection, amountKind: values.amountKind as BulkAmountKind, currency: values.currency!.trim().toUpperCase(), reason: values.reason!.trim(), target,
              ...(values.value!.trim() ? { value: values.value!.trim() } : {}),
            },
            idempotencyKey: newIdempotencyKey(),
          });
          toast(`Bulk adjustment created: ${created.affected} partners affected.`);
          navigate(`${base}/${created.id}`);
        },
      });
      sync();
      return done;
    },
  }, 'New bulk adjustment…');
}

export const bulkAdjustmentsPage: Page = async (context) => {
  const status = context.search.get('status') ?? '';
  const page = await api.get('/v1/bulk-adjustments', { query: { status, limit: 100, cursor: context.search.get('cursor') } });
  document.title = 'Bulk adjustments · ledgerflow';
  const statusControl = h('select', {}, options(bulkStatuses, 'Any', status));
  const filters = h('form', { class: 'filters panel', role: 'search', 'aria-label': 'Filter bulk adjustments' }, field('Status', statusControl), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters')));
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    context.navigate(`${base}${query({ status: statusControl.value })}`);
  });
  replace(
    context.root,
    h('p', {}, link('/app/admin/adjustments', '← Manual commissions')),
    h('h1', {}, 'Bulk adjustments'),
    h('div', { class: 'actions' }, createButton(context.navigate)),
    filters,
    table(
      ['ID', 'Direction', 'Value', 'Target', 'Partners', 'Total impact', 'Tier', 'Status', 'Progress', 'Created at'],
      page.data.map((bulk) =>
        h(
          'tr',
          { 'data-id': bulk.id },
          h('td', {}, link(`${base}/${bulk.id}`, bulk.id.slice(0, 8))),
          h('td', {}, bulk.direction),
          h('td', {}, value(bulk)),
          h('td', {}, bulk.targetKind),
          h('td', {}, `${bulk.affected} of ${bulk.partners}`),
          h('td', {}, formatMoney(bulk.totalImpact, bulk.currency)),
          h('td', {}, bulk.tier),
          h('td', {}, statusBadge(bulk.status)),
          h('td', {}, `${bulk.processed} / ${bulk.affected}`),
          h('td', {}, formatTime(bulk.createdAt)),
        ),
      ),
      { caption: 'Newest first', empty: 'No bulk adjustments match.' },
    ),
    page.nextCursor ? h('p', {}, link(`${base}${query({ status, cursor: page.nextCursor })}`, 'Next page →')) : null,
  );
};

export const bulkAdjustmentPage: Page = async (context) => {
  const id = context.params.id!;
  const offset = Number(context.search.get('offset') ?? '0') || 0;
  const [bulk, preview] = await Promise.all([
    api.get('/v1/bulk-adjustments/{id}', { params: { id } }),
    api.get('/v1/bulk-adjustments/{id}/preview', { params: { id }, query: { offset, limit: 100 } }),
  ]);
  document.title = `Bulk adjustment ${bulk.id.slice(0, 8)} · ledgerflow`;
  const reload = () => context.navigate(`${base}/${bulk.id}${query({ offset })}`);
  const decide = (kind: 'approve' | 'reject') => async () => {
    const reason = h('input', { maxlength: 1000, required: kind === 'reject' });
    const done = await formDialog({
      title: kind === 'approve' ? 'Approve bulk adjustment' : 'Reject bulk adjustment',
      intro: kind === 'approve' ? `${bulk.direction} ${formatMoney(preview.totalImpact, preview.currency)} over ${preview.affected} partners. Execution starts at once.` : undefined,
      fields: [{ name: 'reason', label: kind === 'approve' ? 'Reason (optional)' : 'Reason', control: reason }],
      totp: true,
      danger: kind === 'reject',
      submitLabel: kind === 'approve' ? 'Approve' : 'Reject',
      submit: async (values, totp) => {
        const text = values.reason!.trim();
        await api.post(kind === 'approve' ? '/v1/bulk-adjustments/{id}/approve' : '/v1/bulk-adjustments/{id}/reject', { params: { id: bulk.id }, body: text ? { reason: text } : {}, totp, idempotencyKey: newIdempotencyKey() });
        toast(kind === 'approve' ? 'Approved: executing.' : 'Rejected.');
      },
    });
    if (done) reload();
  };
  const progress = h('progress', { max: 100, value: bulk.progress.percent, 'aria-label': 'Progress' });
  replace(
    context.root,
    h('p', {}, link(base, '← Bulk adjustments')),
    h('h1', {}, `Bulk adjustment ${bulk.id.slice(0, 8)} `, statusBadge(bulk.status)),
    h(
      'section',
      { class: 'panel', 'data-status': bulk.status },
      definitionList([
        ['Direction', bulk.direction],
        ['Value', value(bulk)],
        ['Reason', bulk.reason],
        ['Period', bulk.period ?? '—'],
        ['Target', `${bulk.targetKind}${bulk.targetKind === 'FILTER' ? ` ${JSON.stringify(bulk.target)}` : ''}`],
        ['Partners selected', String(bulk.partners)],
        ['Affected', String(bulk.affected)],
        ['Total impact', h('strong', { 'data-testid': 'total-impact' }, formatMoney(bulk.totalImpact, bulk.currency))],
        ['Total impact (RUB)', bulk.totalImpactRub ?? '—'],
        ['Approval tier', `${bulk.tier} (${bulk.approverRoles.join(', ').replaceAll('_', ' ')})`],
        ['Created', formatTime(bulk.createdAt)],
        ['Decided by', bulk.decidedBy ?? '—'],
        ['Started', formatTime(bulk.startedAt)],
        ['Finished', formatTime(bulk.finishedAt)],
      ]),
      bulk.workflowUrl ? h('p', {}, h('a', { href: bulk.workflowUrl, target: '_blank', rel: 'noopener' }, `${bulk.workflowId} in the Temporal UI`)) : null,
      h(
        'div',
        { class: 'actions' },
        bulk.status === 'AWAITING_APPROVAL' ? [h('button', { type: 'button', class: 'primary', onclick: decide('approve') }, 'Approve…'), h('button', { type: 'button', onclick: decide('reject') }, 'Reject…')] : [],
        bulk.status === 'COMPLETED' || bulk.status === 'EXECUTING'
          ? h('button', { type: 'button', onclick: () => void download(apiUrl('/v1/bulk-adjustments/{id}/report', { id: bulk.id }), `bulk-adjustment-${bulk.id}.csv`).catch((error: unknown) => toast((error as Error).message, 'error')) }, 'Download the results report')
          : null,
      ),
    ),
    h(
      'section',
      { class: 'panel', 'aria-live': 'polite' },
      h('h2', {}, 'Progress'),
      progress,
      h('p', { 'data-testid': 'bulk-progress' }, `${bulk.progress.processed} of ${bulk.affected} processed (${bulk.progress.percent} %): ${bulk.progress.applied} applied, ${bulk.progress.skipped} skipped, ${formatMoney(bulk.progress.appliedTotal, bulk.currency)} applied in all.`),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Preview'),
      h('p', {}, `${preview.affected} partners affected, ${preview.skipped} skipped; total impact ${formatMoney(preview.totalImpact, preview.currency)}.`),
      table(
        ['Partner', 'Amount', 'Status', 'Skipped because'],
        preview.items.map((item) => h('tr', {}, h('td', {}, link(`/app/admin/partners/${encodeURIComponent(item.partnerId)}`, item.partnerId)), h('td', {}, formatMoney(item.amount, preview.currency)), h('td', {}, statusBadge(item.status)), h('td', {}, item.skipReason ?? '—'))),
        { empty: 'Nobody is affected.' },
      ),
      h(
        'p',
        { class: 'actions' },
        offset > 0 ? link(`${base}/${bulk.id}${query({ offset: Math.max(0, offset - preview.limit) })}`, '← Previous') : null,
        preview.nextOffset !== null ? link(`${base}/${bulk.id}${query({ offset: preview.nextOffset })}`, 'Next →') : null,
      ),
    ),
  );
  // While it runs, the progress refreshes itself; the page re-renders once it is done.
  if (bulk.status !== 'EXECUTING') return;
  const timer = setInterval(async () => {
    try {
      const latest = await api.get('/v1/bulk-adjustments/{id}', { params: { id } });
      if (latest.status !== 'EXECUTING') reload();
      else {
        progress.value = latest.progress.percent;
        context.root.querySelector('[data-testid="bulk-progress"]')!.textContent =
          `${latest.progress.processed} of ${latest.affected} processed (${latest.progress.percent} %): ${latest.progress.applied} applied, ${latest.progress.skipped} skipped, ${formatMoney(latest.progress.appliedTotal, latest.currency)} applied in all.`;
      }
    } catch {
      // A missed refresh is retried on the next tick.
    }
  }, refreshMs);
  return () => clearInterval(timer);
};
