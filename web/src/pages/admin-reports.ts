import { Money } from '../../../domain/money.ts';
import { api, query } from '../api.ts';
import { stackedBarChart } from '../charts.ts';
import { field, formatMoney, h, replace, table } from '../dom.ts';
import type { PageContext } from '../router.ts';

/** Pivot rows into a stacked series: one stack per category, one segment per key, amounts as decimal strings. */
function pivot<T>(rows: T[], category: (row: T) => string, key: (row: T) => string, value: (row: T) => string, sortCategories?: (a: string, b: string) => number) {
  const categories = [...new Set(rows.map(category))].sort(sortCategories);
  const keys = [...new Set(rows.map(key))].sort();
  const values: Record<string, Record<string, string>> = {};
  for (const row of rows) (values[key(row)] ??= {})[category(row)] = value(row);
  return { categories, keys, values };
}

export async function adminReportsPage({ root, search, navigate }: PageContext) {
  const today = new Date();
  const defaultFrom = new Date(today.getTime() - 29 * 86_400_000).toISOString().slice(0, 10);
  const fromDay = search.get('from') ?? defaultFrom;
  const toDay = search.get('to') ?? new Date(today.getTime() + 86_400_000).toISOString().slice(0, 10);
  const bucket = search.get('bucket') ?? 'day';
  const currency = search.get('currency') ?? 'USD';
  const range = { from: new Date(`${fromDay}T00:00:00Z`).toISOString(), to: new Date(`${toDay}T00:00:00Z`).toISOString() };
  const [payouts, commissions] = await Promise.all([
    api.get('/v1/reports/payouts-by-status-method', { query: { ...range, bucket } }),
    api.get('/v1/reports/commissions-by-level-source', { query: range }),
  ]);
  document.title = 'Charts · ledgerflow';
  const currencies = [...new Set([...payouts.rows.map((row) => row.currency), ...commissions.rows.map((row) => row.currency), 'USD'])].sort();
  const inCurrency = payouts.rows.filter((row) => row.currency === currency);
  const commissionsIn = commissions.rows.filter((row) => row.currency === currency);

  const controls = {
    from: h('input', { type: 'date', value: fromDay }),
    to: h('input', { type: 'date', value: toDay }),
    bucket: h('select', {}, ['day', 'week', 'month'].map((value) => h('option', { value, selected: value === bucket }, value))),
    currency: h('select', {}, currencies.map((value) => h('option', { value, selected: value === currency }, value))),
  };
  const form = h(
    'form',
    { class: 'filters panel', 'aria-label': 'Chart range' },
    field('From', controls.from),
    field('Before', controls.to),
    field('Per', controls.bucket),
    field('Currency', controls.currency),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`/app/admin/reports${query(Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value])))}`);
  });

  const byStatus = pivot(inCurrency, (row) => row.bucket, (row) => row.status, (row) => row.amount);
  // The same bucket can hold several statuses of one method: the server sums per method per bucket separately.
  const methodTotals = new Map<string, Map<string, string>>();
  for (const row of inCurrency) {
    const perBucket = methodTotals.get(row.methodId) ?? new Map<string, string>();
    perBucket.set(row.bucket, addDecimal(perBucket.get(row.bucket) ?? '0', row.amount));
    methodTotals.set(row.methodId, perBucket);
  }
  const byMethod = {
    categories: byStatus.categories,
    keys: [...methodTotals.keys()].sort(),
    values: Object.fromEntries([...methodTotals.entries()].map(([method, perBucket]) => [method, Object.fromEntries(perBucket)])),
  };
  const byLevel = pivot(commissionsIn, (row) => String(row.level).padStart(2, '0'), (row) => row.sourceType, (row) => row.amount);

  replace(
    root,
    h('h1', {}, 'Charts'),
    form,
    h('section', { class: 'panel' }, h('h2', {}, `Payouts by status (${currency}, per ${bucket})`), stackedBarChart(`Payout amounts by status per ${bucket}`, byStatus, currency)),
    h('section', { class: 'panel' }, h('h2', {}, `Payouts by method (${currency}, per ${bucket})`), stackedBarChart(`Payout amounts by method per ${bucket}`, byMethod, currency)),
    h('section', { class: 'panel' }, h('h2', {}, `Commissions by level and source (${currency})`), stackedBarChart('Commission amounts by level, stacked by source', byLevel, currency)),
    h(
      'details',
      { class: 'panel' },
      h('summary', {}, 'The numbers behind the charts'),
      table(
        ['Period', 'Status', 'Method', 'Count', 'Amount'],
        inCurrency.map((row) => h('tr', {}, h('td', {}, row.bucket), h('td', {}, row.status), h('td', {}, row.methodId), h('td', { class: 'number' }, row.count), h('td', { class: 'number' }, formatMoney(row.amount, row.currency)))),
        { caption: 'Payouts' },
      ),
      table(
        ['Level', 'Source', 'Count', 'Amount'],
        commissionsIn.map((row) => h('tr', {}, h('td', { class: 'number' }, row.level), h('td', {}, row.sourceType), h('td', { class: 'number' }, row.count), h('td', { class: 'number' }, formatMoney(row.amount, row.currency)))),
        { caption: 'Commissions' },
      ),
    ),
  );
}

/** Exact decimal addition (decimal.js, as the server adds money). */
function addDecimal(left: string, right: string): string {
  return new Money(left).plus(right).toFixed();
}
