import { api, download, query } from '../api.ts';
import { stackedBarChart, type StackedSeries } from '../charts.ts';
import { field, formatTime, h, replace, table, toast } from '../dom.ts';
import type { PageContext } from '../router.ts';

/**
 * The summary reports (docs/rules.md#summary-reports): the commission and payout summaries of a period with their
 * charts and tables, CSV and PDF downloads of the same period, and the stored reports (scheduled and on demand) with
 * their files. Every figure is the server's decimal string; the charts turn them into pixels only.
 */

type Row = { currency: string; count?: number; amount: string };

function series(categories: string[], keys: string[], value: (key: string, category: string) => string | undefined): StackedSeries {
  const values: Record<string, Record<string, string>> = {};
  for (const key of keys) {
    for (const category of categories) {
      const amount = value(key, category);
      if (amount !== undefined) (values[key] ??= {})[category] = amount;
    }
  }
  return { categories, keys, values };
}

const totalsRows = (lines: [string, Row[]][], currency: string) =>
  lines.map(([label, rows]) => {
    const row = rows.find((candidate) => candidate.currency === currency);
    return h('tr', {}, h('td', {}, label), h('td', { class: 'number' }, String(row?.count ?? 0)), h('td', { class: 'number' }, row?.amount ?? '0'));
  });

export async function adminSummaryReportsPage({ root, search, navigate }: PageContext) {
  const today = new Date();
  const fromDay = search.get('from') ?? new Date(today.getTime() - 29 * 86_400_000).toISOString().slice(0, 10);
  const toDay = search.get('to') ?? new Date(today.getTime() + 86_400_000).toISOString().slice(0, 10);
  const currency = search.get('currency') ?? 'USD';
  const range = { from: new Date(`${fromDay}T00:00:00Z`).toISOString(), to: new Date(`${toDay}T00:00:00Z`).toISOString() };
  const [commissions, payouts, stored] = await Promise.all([
    api.get('/v1/reports/commission-summary', { query: range }),
    api.get('/v1/reports/payout-summary', { query: range }),
    api.get('/v1/reports/summaries', { query: { limit: 30 } }),
  ]);
  document.title = 'Summary reports · ledgerflow';
  const currencies = [...new Set([...commissions.totals.generated, ...payouts.totals.submitted].map((row) => row.currency).concat('USD'))].sort();

  const controls = {
    from: h('input', { type: 'date', value: fromDay }),
    to: h('input', { type: 'date', value: toDay }),
    currency: h('select', {}, currencies.map((value) => h('option', { value, selected: value === currency }, value))),
  };
  const form = h(
    'form',
    { class: 'filters panel', 'aria-label': 'Report period' },
    field('From', controls.from),
    field('Before', controls.to),
    field('Currency', controls.currency),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`/app/admin/summary-reports${query({ from: controls.from.value, to: controls.to.value, currency: controls.currency.value })}`);
  });

  const fileButton = (kind: 'commission' | 'payout', format: 'csv' | 'pdf') =>
    h(
      'button',
      {
        type: 'button',
        'data-testid': `download-${kind}-${format}`,
        onclick: () =>
          download(`/v1/reports/${kind}-summary${query({ ...range, format })}`, `${kind}s-summary.${format}`).catch((error: unknown) => toast(String(error), 'error')),
      },
      `${format.toUpperCase()}`,
    );
  const storeButton = (kind: 'commissions' | 'payouts') =>
    h(
      'button',
      {
        type: 'button',
        'data-testid': `store-${kind}`,
        onclick: async () => {
          try {
            const made = await api.post('/v1/reports/summaries', { body: { kind, ...range } });
            toast(`Stored ${made.kind} report ${made.id} (PDF SHA-256 ${made.sha256.pdf.slice(0, 12)}…).`);
            navigate(`/app/admin/summary-reports${query({ from: fromDay, to: toDay, currency })}`);
          } catch (error) {
            toast(String(error), 'error');
          }
        },
      },
      'Store',
    );

  const commissionDays = [...new Set(commissions.daily.map((row) => row.day))].sort();
  const commissionDaily = series(commissionDays, ['generated', 'reversed'], (key, day) => {
    const row = commissions.daily.find((candidate) => candidate.day === day && candidate.currency === currency);
    return row ? (key === 'generated' ? row.generated : row.reversed) : undefined;
  });
  const levels = commissions.byLevel.filter((row) => row.currency === currency);
  const byLevel = series(levels.map((row) => String(row.level)), ['generated', 'reversed'], (key, level) => {
    const row = levels.find((candidate) => String(candidate.level) === level);
    return row ? (key === 'generated' ? row.generated : row.reversed) : undefined;
  });
  const payoutDays = [...new Set(payouts.daily.map((row) => row.day))].sort();
  const payoutDaily = series(payoutDays, ['completed'], (_key, day) => payouts.daily.find((row) => row.day === day && row.currency === currency)?.completedAmount);
  const methods = payouts.byMethod.filter((row) => row.currency === currency);
  const byMethod = series(methods.map((row) => row.methodId), ['completed'], (_key, method) => methods.find((row) => row.methodId === method)?.completedAmount);
  const average = payouts.totals.averageAmount.find((row) => row.currency === currency)?.amount ?? '—';
  const time = payouts.totals.processingTime;

  replace(
    root,
    h('h1', {}, 'Summary reports'),
    form,
    h(
      'section',
      { class: 'panel', 'data-testid': 'commission-summary' },
      h('h2', {}, `Commissions (${currency})`),
      h('div', { class: 'actions' }, fileButton('commission', 'csv'), fileButton('commission', 'pdf'), storeButton('commissions')),
      table(
        ['Field', 'Count', 'Amount'],
        [
          ...totalsRows(
            [
              ['Total generated', commissions.totals.generated],
              ['Total approved', commissions.totals.approved],
              ['Total paid', commissions.totals.paid],
              ['Total reversed', commissions.totals.reversed],
            ],
            currency,
          ),
          h('tr', {}, h('td', {}, 'Net commissions'), h('td', {}, ''), h('td', { class: 'number' }, commissions.totals.net.find((row) => row.currency === currency)?.amount ?? '0')),
        ],
        { caption: 'Totals' },
      ),
      stackedBarChart(`Commissions generated and reversed per day (${currency})`, commissionDaily, currency),
      stackedBarChart(`Commissions by level (${currency})`, byLevel, currency),
      table(
        ['Source', 'Group', 'Generated', 'Reversed', 'Net', 'Share %'],
        commissions.bySource
          .filter((row) => row.currency === currency)
          .map((row) => h('tr', {}, h('td', {}, row.sourceType), h('td', {}, row.sourceGroup), h('td', { class: 'number' }, row.generated), h('td', { class: 'number' }, row.reversed), h('td', { class: 'number' }, row.net), h('td', { class: 'number' }, row.sharePercent ?? ''))),
        { caption: 'By source' },
      ),
    ),
    h(
      'section',
      { class: 'panel', 'data-testid': 'payout-summary' },
      h('h2', {}, `Payouts (${currency})`),
      h('div', { class: 'actions' }, fileButton('payout', 'csv'), fileButton('payout', 'pdf'), storeButton('payouts')),
      table(
        ['Field', 'Count', 'Amount'],
        totalsRows(
          [
            ['Requests submitted', payouts.totals.submitted],
            ['Requests approved', payouts.totals.approved],
            ['Requests processed', payouts.totals.processed],
            ['Requests completed', payouts.totals.completed],
            ['Requests failed', payouts.totals.failed],
            ['Requests cancelled', payouts.totals.cancelled],
          ],
          currency,
        ),
        { caption: 'Totals' },
      ),
      h('p', {}, `Average completed amount ${average} ${currency}; processing time mean ${time.meanSeconds ?? '—'} s, p90 ${time.p90Seconds ?? '—'} s (${time.completed} completed).`),
      stackedBarChart(`Completed payout amounts per day (${currency})`, payoutDaily, currency),
      stackedBarChart(`Completed payout amounts by method (${currency})`, byMethod, currency),
      table(
        ['Failure code', 'Method', 'Count', 'Amount'],
        payouts.failures.rows
          .filter((row) => row.currency === currency)
          .map((row) => h('tr', {}, h('td', {}, row.failureCode), h('td', {}, row.methodId), h('td', { class: 'number' }, String(row.count)), h('td', { class: 'number' }, row.amount))),
        { caption: 'Failures', empty: 'No failed payouts in this period' },
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Stored reports'),
      table(
        ['Kind', 'Period', 'From', 'To', 'Created', 'Files'],
        stored.reports.map((report) =>
          h(
            'tr',
            {},
            h('td', {}, report.kind),
            h('td', {}, report.period),
            h('td', {}, report.from.slice(0, 10)),
            h('td', {}, report.to.slice(0, 10)),
            h('td', {}, formatTime(report.createdAt)),
            h(
              'td',
              {},
              ...(['json', 'csv', 'pdf'] as const).flatMap((format, index) => [
                index === 0 ? '' : ' · ',
                h('button', { type: 'button', class: 'link', title: `SHA-256 ${report.sha256[format]}`, onclick: () => download(report.files[format], `${report.kind}-summary.${format}`).catch((error: unknown) => toast(String(error), 'error')) }, format.toUpperCase()),
              ]),
            ),
          ),
        ),
        { empty: 'No stored reports yet: the Schedules store them daily, weekly and monthly' },
      ),
    ),
  );
}
