import { payoutFailureCodes } from '../../../domain/payout.ts';
import { api, download, newIdempotencyKey, query } from '../api.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { Page, PageContext } from '../router.ts';
import type { BodyOf, ResponseOf } from '../types.ts';

/**
 * Payment files (issue #17, docs/rules.md#payment-files): the exported files that lock the payouts they list, with their
 * status and counts; one file's items; and its close in bulk (mark paid or failed) from the bank's result file or a
 * pasted reference list, with one TOTP code, followed live until every payout in it is decided.
 */

type PayoutExport = ResponseOf<'/v1/payout-exports/{id}', 'get'>;
type ResultsBody = BodyOf<'/v1/payout-exports/{id}/results', 'post'>;

const base = '/app/admin/payment-files';
const refreshMs = 2_000;
const paymentFileKinds = ['PAYQUICKER', 'METHOD_BATCH'] as const;
/** While the file is in one of these, its page polls for progress. */
const liveStatuses = new Set(['LOCKING', 'CLOSING']);

function countsText(paymentFile: NonNullable<PayoutExport['paymentFile']>): string {
  const { total, processing, completed, failed, other } = paymentFile.counts;
  return `${completed} paid, ${failed} failed, ${processing} processing${other > 0 ? `, ${other} other` : ''} of ${total}`;
}

export const paymentFilesPage: Page = async (context) => {
  // The two payment-file kinds, newest 100 of each, merged newest first.
  const pages = await Promise.all(paymentFileKinds.map((kind) => api.get('/v1/payout-exports', { query: { kind, limit: 100 } })));
  document.title = 'Payment files · ledgerflow';
  const files = pages.flatMap((page) => page.exports).sort((left, right) => right.createdAt.localeCompare(left.createdAt));
  replace(
    context.root,
    h('p', {}, link('/app/admin/pay-runs', '← Pay runs'), ' · ', link('/app/admin/exports', 'Make an export')),
    h('h1', {}, 'Payment files'),
    h('p', { class: 'muted' }, 'A payout in a payment file is locked: it cannot be cancelled or rejected until the file is closed by marking its payouts paid or failed.'),
    table(
      ['Made', 'Kind', 'Method', 'Payouts', 'Status', 'Progress', 'File'],
      files.map((item) =>
        h(
          'tr',
          { 'data-id': item.id },
          h('td', {}, link(`${base}/${item.id}`, formatTime(item.createdAt))),
          h('td', {}, item.kind),
          h('td', {}, item.methodId ?? '—'),
          h('td', { class: 'number' }, item.rowCount),
          h('td', {}, item.paymentFile ? statusBadge(item.paymentFile.status) : '—'),
          h('td', {}, item.paymentFile ? countsText(item.paymentFile) : '—'),
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => download(item.fileUrl, item.fileName).catch((error: unknown) => toast(String(error), 'error')) }, item.fileName)),
        ),
      ),
      { caption: 'Newest first', empty: 'No payment files yet: make a PayQuicker or batch file on the exports page.' },
    ),
  );
};

/** The close dialog: the bank's result file (upload) or references pasted as paid and failed lines. */
function closeDialog(context: PageContext, file: PayoutExport): Promise<boolean> {
  const source = h('select', {}, h('option', { value: 'FILE' }, 'The bank’s result file (CSV)'), h('option', { value: 'LIST' }, 'A list of references'));
  const resultFile = h('input', { type: 'file', accept: '.csv,text/csv,text/plain' });
  const paid = h('textarea', { rows: 4, placeholder: 'One reference per line (or separated by commas)' });
  const failed = h('textarea', { rows: 3, placeholder: `reference,failureCode[,reason] per line; codes: ${payoutFailureCodes.join(', ')}` });
  const byKind: Record<string, HTMLElement[]> = { FILE: [resultFile], LIST: [paid, failed] };
  const sync = () => {
    for (const [name, controls] of Object.entries(byKind)) for (const control of controls) control.closest<HTMLElement>('.field')!.hidden = name !== source.value;
  };
  source.addEventListener('change', sync);
  const done = formDialog({
    title: 'Mark paid or failed',
    intro: 'Every line is checked first: an unknown reference, one not in this file, a bad failure code or a duplicate refuses the whole request and changes nothing.',
    fields: [
      { name: 'source', label: 'Result source', control: source },
      { name: 'resultFile', label: 'Result file', control: resultFile, hint: 'Columns reference,status,failureCode,reason; status PAID or FAILED' },
      { name: 'paid', label: 'Paid references', control: paid },
      { name: 'failed', label: 'Failed references', control: failed },
    ],
    totp: true,
    submitLabel: 'Close these payouts',
    submit: async (values, totp) => {
      let body: ResultsBody;
      if (values.source === 'FILE') {
        const chosen = resultFile.files?.[0];
        if (!chosen) throw new Error('Choose the bank’s result file.');
        body = { resultFile: await chosen.text() };
      } else {
        const failedLines = (values.failed ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
        body = {
          paid: (values.paid ?? '').split(/[\s,;]+/).map((reference) => reference.trim()).filter(Boolean),
          failed: failedLines.map((line) => {
            const [reference = '', failureCode = '', ...reason] = line.split(',').map((part) => part.trim());
            return { reference, failureCode, ...(reason.join(',') ? { reason: reason.join(',') } : {}) };
          }),
        };
      }
      const answer = await api.post('/v1/payout-exports/{id}/results', { params: { id: file.id }, body, totp, idempotencyKey: newIdempotencyKey() });
      toast(`Closing: ${answer.paid} paid, ${answer.failed} failed, ${answer.alreadyDecided} already decided.`);
      context.navigate(`${base}/${file.id}${query({ close: answer.closeId })}`);
    },
  });
  sync();
  return done;
}

function statusSection(file: PayoutExport): HTMLElement {
  const paymentFile = file.paymentFile;
  if (!paymentFile) return h('section', { class: 'panel' }, h('p', {}, 'This export is not a payment file.'));
  const { total, completed, failed } = paymentFile.counts;
  return h(
    'section',
    { class: 'panel', 'aria-live': 'polite', 'data-testid': 'payment-file-status', 'data-status': paymentFile.status },
    h('h2', {}, 'Status ', statusBadge(paymentFile.status)),
    h('progress', { max: Math.max(total, 1), value: completed + failed, 'aria-label': 'Payouts decided' }),
    h('p', { 'data-testid': 'payment-file-counts' }, countsText(paymentFile)),
  );
}

function closeProgress(close: ResponseOf<'/v1/payout-exports/{id}/results/{closeId}', 'get'>): HTMLElement {
  return h(
    'section',
    { class: 'panel', 'aria-live': 'polite', 'data-testid': 'close-progress', 'data-status': close.status },
    h('h2', {}, 'This close ', statusBadge(close.status)),
    h('p', { 'data-testid': 'close-counts' }, `${close.paid} paid, ${close.failed} failed, ${close.alreadyDecided} already decided, ${close.pending} pending.`),
    close.refused.length > 0
      ? table(
          ['Payout', 'Code', 'Message'],
          close.refused.map((item) => h('tr', {}, h('td', {}, link(`/app/admin/payouts/${item.payoutId}`, item.payoutId.slice(0, 8))), h('td', {}, item.code), h('td', {}, item.message))),
          { caption: 'Refused by their payouts' },
        )
      : null,
  );
}

export const paymentFilePage: Page = async (context) => {
  const id = context.params.id!;
  const closeId = context.search.get('close');
  const cursor = context.search.get('cursor');
  const [file, items, close] = await Promise.all([
    api.get('/v1/payout-exports/{id}', { params: { id } }),
    api.get('/v1/payout-exports/{id}/items', { params: { id }, query: { cursor } }),
    closeId ? api.get('/v1/payout-exports/{id}/results/{closeId}', { params: { id, closeId } }) : Promise.resolve(null),
  ]);
  document.title = `Payment file ${file.fileName} · ledgerflow`;
  const reload = () => context.navigate(`${base}/${id}${query({ close: closeId, cursor })}`);
  const open = file.paymentFile && file.paymentFile.status !== 'CLOSED' && file.paymentFile.status !== 'LOCKING';
  let status = statusSection(file);
  let progress = close ? closeProgress(close) : null;
  replace(
    context.root,
    h('p', {}, link(base, '← Payment files')),
    h('h1', {}, `Payment file ${file.fileName}`),
    h(
      'section',
      { class: 'panel' },
      definitionList([
        ['Kind', `${file.kind}${file.methodId ? ` (${file.methodId})` : ''}`],
        ['Made', `${formatTime(file.createdAt)} by ${file.createdBy}`],
        ['Payouts', String(file.rowCount)],
        ['Totals', h('span', {}, Object.entries(file.totals).map(([currency, total]) => h('div', {}, `${total.count} × ${currency}: ${formatMoney(total.amountToTransfer, currency)} to transfer`)))],
        ['SHA-256', h('span', { class: 'mono small' }, file.checksumSha256)],
      ]),
      h(
        'div',
        { class: 'actions' },
        open ? h('button', { type: 'button', class: 'primary', onclick: async () => (await closeDialog(context, file)) || undefined }, 'Mark paid or failed…') : null,
        h('button', { type: 'button', onclick: () => download(file.fileUrl, file.fileName).catch((error: unknown) => toast(String(error), 'error')) }, 'Download the file'),
      ),
    ),
    status,
    progress,
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Payouts in the file'),
      table(
        ['Reference', 'Payout', 'Partner', 'Method', 'To transfer', 'Status', 'Failure'],
        items.items.map((item) =>
          h(
            'tr',
            { 'data-payout': item.payoutId, 'data-reference': item.reference, 'data-status': item.payoutStatus },
            h('td', { class: 'mono' }, item.reference),
            h('td', {}, link(`/app/admin/payouts/${item.payoutId}`, item.payoutId.slice(0, 8))),
            h('td', { class: 'mono small' }, item.partnerId),
            h('td', {}, item.methodId),
            h('td', { class: 'number' }, formatMoney(item.amountToTransfer, item.currency)),
            h('td', {}, statusBadge(item.payoutStatus)),
            h('td', {}, item.failureCode ?? '—'),
          ),
        ),
        { empty: 'No payouts.' },
      ),
      items.nextCursor ? h('p', {}, link(`${base}/${id}${query({ close: closeId, cursor: items.nextCursor })}`, 'Next page →')) : null,
    ),
  );
  const live = () => (file.paymentFile && liveStatuses.has(file.paymentFile.status)) || (close !== null && close.status === 'RUNNING');
  if (!live()) return;
  // While the file locks or closes, its counts refresh themselves; the page re-renders once it settles.
  const timer = setInterval(async () => {
    try {
      const [latest, latestClose] = await Promise.all([
        api.get('/v1/payout-exports/{id}', { params: { id } }),
        closeId ? api.get('/v1/payout-exports/{id}/results/{closeId}', { params: { id, closeId } }) : Promise.resolve(null),
      ]);
      const next = statusSection(latest);
      status.replaceWith(next);
      status = next;
      if (latestClose && progress) {
        const nextProgress = closeProgress(latestClose);
        progress.replaceWith(nextProgress);
        progress = nextProgress;
      }
      const settled = !(latest.paymentFile && liveStatuses.has(latest.paymentFile.status)) && (latestClose === null || latestClose.status === 'DONE');
      if (settled) reload();
    } catch {
      // A missed refresh is retried on the next tick.
    }
  }, refreshMs);
  return () => clearInterval(timer);
};
