import { api, download, newIdempotencyKey } from '../api.ts';
import { showFailure } from '../dialog.ts';
import { field, formatTime, h, replace, table, toast } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { BodyOf } from '../types.ts';

type ExportRequest = BodyOf<'/v1/payout-exports', 'post'>;

const kinds: [ExportRequest['kind'], string][] = [
  ['CSV_ALL', 'CSV of all requests'],
  ['CSV_NEW', 'CSV of new requests only (not exported before)'],
  ['PAYQUICKER', 'PayQuicker file (approved payouts)'],
  ['METHOD_BATCH', 'Batch file for one method (approved payouts)'],
];

/** The exports in docs/rules.md#payout-exports: made and recorded by the server (with a checksum), downloaded from here with the session. */
export async function adminExportsPage(context: PageContext) {
  const { root } = context;
  const [{ exports }, { methods }] = await Promise.all([api.get('/v1/payout-exports', { query: { limit: 50 } }), api.get('/v1/payment-methods')]);
  document.title = 'Exports · ledgerflow';
  const kind = h('select', {}, kinds.map(([value, label]) => h('option', { value }, label)));
  const method = h('select', {}, h('option', { value: '' }, 'Any method'), methods.map((item) => h('option', { value: item.id }, item.name)));
  const status = h('select', {}, ['', 'REQUESTED', 'HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL', 'APPROVED', 'PROCESSING', 'COMPLETED'].map((value) => h('option', { value }, value || 'Any status')));
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'panel filters', novalidate: true, 'aria-label': 'Make an export' },
    field('Kind', kind),
    field('Method', method, 'Required for a batch file'),
    field('Status', status, 'PayQuicker and batch files list APPROVED payouts'),
    field('Requested from', from),
    field('Requested before', to),
    formError,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Make and download')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    // The selects offer only the kinds and statuses listed above.
    const body: ExportRequest = { kind: kind.value as ExportRequest['kind'] };
    if (method.value) body.methodId = method.value;
    if (status.value) body.status = status.value as ExportRequest['status'];
    if (from.value) body.from = new Date(`${from.value}T00:00:00Z`).toISOString();
    if (to.value) body.to = new Date(`${to.value}T00:00:00Z`).toISOString();
    try {
      const made = await api.post('/v1/payout-exports', { body, idempotencyKey: newIdempotencyKey() });
      await download(made.fileUrl, made.fileName);
      toast(`${made.fileName}: ${made.rowCount} rows.`);
      await adminExportsPage(context);
    } catch (error) {
      showFailure(error, { kind, methodId: method, status, from, to }, formError);
    }
  });
  replace(
    root,
    h('h1', {}, 'Payout exports'),
    form,
    table(
      ['Made', 'Kind', 'Method', 'Rows', 'By', 'File', 'SHA-256'],
      exports.map((item) =>
        h(
          'tr',
          {},
          h('td', {}, formatTime(item.createdAt)),
          h('td', {}, item.kind),
          h('td', {}, item.methodId ?? '—'),
          h('td', { class: 'number' }, item.rowCount),
          h('td', {}, item.createdBy.slice(0, 8)),
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => download(item.fileUrl, item.fileName).catch((error: unknown) => toast(String(error), 'error')) }, item.fileName)),
          h('td', { class: 'mono small' }, item.checksumSha256.slice(0, 16), '…'),
        ),
      ),
      { caption: 'Exports made, newest first', empty: 'No exports yet.' },
    ),
  );
}
