import { ApiFailure, api, query } from '../api.ts';
import { definitionList, field, formatMoney, h, link, replace, table, toast } from '../dom.ts';
import type { Page } from '../router.ts';
import type { ResponseOf } from '../types.ts';

/**
 * Pools on demand (docs/rules.md#pools-on-demand): a finance manager picks a past week or month, previews every pool
 * of it (turnover, pool amount, who qualifies with their volumes, the share and the remainder, each rounding named)
 * and runs it. A period runs once: the run is the Schedule's workflow for that period.
 */

type Preview = ResponseOf<'/v1/pools/preview', 'get'>;
type Frequency = Preview['frequency'];

const base = '/app/admin/pools';

/** Monday 00:00 UTC of the last complete week, or the 1st of the last complete month. */
function lastPeriodStart(frequency: Frequency): string {
  const now = new Date();
  if (frequency === 'MONTHLY') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString();
  const monday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - ((now.getUTCDay() + 6) % 7));
  return new Date(monday - 7 * 86_400_000).toISOString();
}

function poolSection(preview: Preview, pool: Preview['pools'][number]): HTMLElement {
  const money = (amount: string) => formatMoney(amount, preview.currency);
  return h(
    'section',
    { class: 'panel', 'data-pool': pool.pool },
    h('h2', {}, pool.pool),
    definitionList([
      ['Turnover', money(pool.turnover)],
      ['Turnover share', pool.turnoverShare],
      ['Pool amount', h('span', { 'data-testid': 'pool-amount' }, money(pool.poolAmount))],
      ['Candidates (rank)', String(pool.candidates)],
      ['Qualified', String(pool.qualifiedCount)],
      ['Share each', h('span', { 'data-testid': 'pool-share' }, money(pool.share))],
      ['Remainder', h('span', { 'data-testid': 'pool-remainder' }, money(pool.remainder))],
      ['Run', pool.run ? `run ${pool.run.runId}${pool.run.entryId ? `, entry ${pool.run.entryId}` : ', nothing posted'}: ${pool.run.qualified} × ${money(pool.run.share)}` : 'not run yet'],
    ]),
    table(
      ['Partner', 'Rank', 'Share', 'Counted volume', 'Requirement', 'Structure', 'Legs (largest)'],
      pool.qualified.map((partner) =>
        h(
          'tr',
          { 'data-partner': partner.partnerId },
          h('td', {}, link(`/app/admin/partners/${encodeURIComponent(partner.partnerId)}`, partner.partnerId)),
          h('td', {}, partner.rank),
          h('td', { class: 'number' }, money(partner.share)),
          h('td', { class: 'number' }, partner.volume ? money(partner.volume.counted) : '—'),
          h('td', { class: 'number' }, partner.volume ? money(partner.volume.requirement) : 'rank only'),
          h('td', { class: 'number' }, partner.volume ? money(partner.volume.structure) : '—'),
          h('td', {}, partner.volume ? `${partner.volume.legs} (${money(partner.volume.largestLeg)})` : '—'),
        ),
      ),
      { empty: 'Nobody qualified: nothing is posted.', caption: pool.qualifiedCount > pool.qualified.length ? `The first ${pool.qualified.length} of ${pool.qualifiedCount}` : undefined },
    ),
  );
}

export const poolsPage: Page = async (context) => {
  const frequency: Frequency = context.search.get('frequency') === 'MONTHLY' ? 'MONTHLY' : 'WEEKLY';
  const periodStart = context.search.get('periodStart') ?? lastPeriodStart(frequency);
  document.title = `Leadership pools ${periodStart.slice(0, 10)} · ledgerflow`;
  const frequencyControl = h('select', { 'data-testid': 'pool-frequency' }, h('option', { value: 'WEEKLY', selected: frequency === 'WEEKLY' }, 'Weekly (Monday to Sunday)'), h('option', { value: 'MONTHLY', selected: frequency === 'MONTHLY' }, 'Monthly'));
  const startControl = h('input', { type: 'date', value: periodStart.slice(0, 10), 'data-testid': 'pool-period-start' });
  const form = h(
    'form',
    { class: 'filters panel', role: 'search', 'aria-label': 'Choose a pool period' },
    field('Pools', frequencyControl),
    field('Period start', startControl, 'A Monday (weekly) or the 1st (monthly), UTC; the period must be over'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Preview')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    context.navigate(`${base}${query({ frequency: frequencyControl.value, periodStart: `${startControl.value}T00:00:00.000Z` })}`);
  });

  let preview: Preview;
  try {
    preview = await api.get('/v1/pools/preview', { query: { frequency, periodStart } });
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 400) throw error;
    replace(context.root, h('h1', {}, 'Leadership pools'), form, h('p', { class: 'error', role: 'alert' }, error.message));
    return;
  }
  const allRun = preview.pools.length > 0 && preview.pools.every((pool) => pool.run !== null);
  const run = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      'data-testid': 'pool-run',
      disabled: allRun || preview.pools.length === 0,
      onclick: async () => {
        run.disabled = true;
        try {
          const started = await api.post('/v1/pools/runs', { body: { frequency, periodStart: preview.periodStart } });
          toast(`Running as ${started.workflowId}; a period runs once.`);
          setTimeout(() => context.navigate(`${base}${query({ frequency, periodStart: preview.periodStart })}`), 1_500);
        } catch (error) {
          run.disabled = false;
          toast(error instanceof Error ? error.message : String(error), 'error');
        }
      },
    },
    allRun ? 'Already run' : 'Run this period',
  );
  replace(
    context.root,
    h('h1', {}, `Leadership pools, ${preview.frequency.toLowerCase()}: ${preview.periodStart.slice(0, 10)} to ${preview.periodEnd.slice(0, 10)} (end excluded)`),
    form,
    h(
      'section',
      { class: 'panel' },
      definitionList([
        ['Policy version', String(preview.policyVersion)],
        ['Currency', preview.currency],
        ['Pool amount', preview.rounding.poolAmount],
        ['Share', preview.rounding.share],
        ['Remainder', preview.rounding.remainder],
      ]),
      h('div', { class: 'actions' }, run),
    ),
    preview.pools.length === 0 ? h('p', {}, 'The policy has no pools of this frequency.') : preview.pools.map((pool) => poolSection(preview, pool)),
  );
};
