import { api, newIdempotencyKey, query } from '../api.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { Page, PageContext } from '../router.ts';
import { createPayRunButton } from '../components/pay-runs.ts';
import type { ResponseOf } from '../types.ts';

/**
 * Pay runs (issue #17, docs/rules.md#pay-runs): the list, a new run from a filter or for a payment date, and one run's
 * page: totals per currency and per method with the funds declared and short, what was left out and why, the signed-in
 * approver's group (count, totals) approved with one TOTP code, run-level approval, excluding items, rejecting, live
 * progress per payout status while it runs, the failures and a retry of them as a new attempt.
 */

type PayRun = ResponseOf<'/v1/pay-runs/{id}', 'get'>;
type PayRunItem = ResponseOf<'/v1/pay-runs/{id}/items', 'get'>['items'][number];

const base = '/app/admin/pay-runs';
const refreshMs = 2_000;
const payRunStatuses = ['PREPARING', 'AWAITING_APPROVAL', 'DELIVERING', 'IN_PROGRESS', 'COMPLETED', 'COMPLETED_WITH_FAILURES', 'REJECTED'] as const;
const itemStates = ['INCLUDED', 'EXCLUDED', 'APPROVED', 'REFUSED'] as const;
/** While a run is in one of these, its page polls for progress. */
const liveStatuses = new Set<string>(['PREPARING', 'AWAITING_APPROVAL', 'DELIVERING', 'IN_PROGRESS']);
/** Payout statuses in the order a payout moves through them, for the progress table. */
const payoutStatusOrder = ['AWAITING_APPROVAL', 'APPROVED', 'PROCESSING', 'COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED'];

const options = (values: readonly string[], empty?: string, selected = '') =>
  [...(empty !== undefined ? [''] : []), ...values].map((value) => h('option', { value, selected: value === selected }, value || empty!));

/** PUT /v1/platform-funds/{methodId}/{currency} with a TOTP code: a method waiting for funds is re-checked at once. */
function declareFunds(methodId: string, currency: string, reload: () => void) {
  return async () => {
    const available = h('input', { inputmode: 'decimal', required: true });
    const done = await formDialog({
      title: `Funds for ${methodId} in ${currency}`,
      intro: 'What the platform has available to pay with by this method and currency; an underfunded method waits until it is enough.',
      fields: [{ name: 'available', label: `Available (${currency})`, control: available }],
      totp: true,
      submitLabel: 'Declare',
      submit: async (values, totp) => {
        await api.put('/v1/platform-funds/{methodId}/{currency}', { params: { methodId, currency }, body: { available: values.available!.trim() }, totp, idempotencyKey: newIdempotencyKey() });
        toast(`Funds declared for ${methodId} ${currency}.`);
      },
    });
    if (done) reload();
  };
}

const itemCount = (run: Pick<PayRun, 'totals'>) => run.totals.byCurrency.reduce((count, row) => count + row.count, 0);

export const payRunsPage: Page = async (context) => {
  const status = context.search.get('status') ?? '';
  const page = await api.get('/v1/pay-runs', { query: { status, cursor: context.search.get('cursor') } });
  document.title = 'Pay runs · ledgerflow';
  const statusControl = h('select', {}, options(payRunStatuses, 'Any', status));
  const filters = h('form', { class: 'filters panel', role: 'search', 'aria-label': 'Filter pay runs' }, field('Status', statusControl), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters')));
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    context.navigate(`${base}${query({ status: statusControl.value })}`);
  });
  replace(
    context.root,
    h('h1', {}, 'Pay runs'),
    h('div', { class: 'actions' }, createPayRunButton(context.navigate), link('/app/admin/payout-schedule', 'Payment schedule preview'), link('/app/admin/payment-files', 'Payment files')),
    filters,
    table(
      ['Run', 'Source', 'Payment date', 'Payouts', 'Totals', 'Status', 'Progress', 'Created'],
      page.payRuns.map((run) =>
        h(
          'tr',
          { 'data-id': run.id },
          h('td', {}, link(`${base}/${run.id}`, run.id.slice(0, 8)), run.attempt > 1 ? h('span', { class: 'muted small' }, ` attempt ${run.attempt}`) : null),
          h('td', {}, run.source),
          h('td', {}, run.paymentDate ?? '—'),
          h('td', { class: 'number' }, itemCount(run)),
          h('td', {}, run.totals.byCurrency.map((row) => h('div', {}, formatMoney(row.amount, row.currency)))),
          h('td', {}, statusBadge(run.status)),
          h('td', {}, progressText(run)),
          h('td', {}, formatTime(run.createdAt)),
        ),
      ),
      { caption: 'Newest first', empty: 'No pay runs match.' },
    ),
    page.nextCursor ? h('p', {}, link(`${base}${query({ status, cursor: page.nextCursor })}`, 'Next page →')) : null,
  );
};

/** "12 of 40 decided: 10 approved, 2 refused; 28 pending". Never says paid for items that are not (counts by payout status are below). */
function progressText(run: Pick<PayRun, 'progress'>): string {
  const { delivered, refused, pending } = run.progress;
  return `${delivered + refused} decided: ${delivered} delivered, ${refused} refused; ${pending} pending`;
}

function progressTable(run: PayRun): HTMLElement {
  const counts = run.progress.byPayoutStatus as Record<string, number>;
  const names = [...payoutStatusOrder.filter((name) => name in counts), ...Object.keys(counts).filter((name) => !payoutStatusOrder.includes(name)).sort()];
  return table(
    ['Payout status', 'Payouts'],
    names.map((name) => h('tr', { 'data-testid': 'progress-status', 'data-status': name }, h('td', {}, statusBadge(name)), h('td', { class: 'number' }, counts[name] ?? 0))),
    { caption: 'Items per payout status (refreshed while the run is live)', empty: 'No items.' },
  );
}

function progressSection(run: PayRun): HTMLElement {
  const total = itemCount(run);
  const counts = run.progress.byPayoutStatus as Record<string, number>;
  const terminal = ['COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED'].reduce((sum, name) => sum + (counts[name] ?? 0), 0);
  return h(
    'section',
    { class: 'panel', 'aria-live': 'polite', 'data-testid': 'pay-run-progress', 'data-run-status': run.status },
    h('h2', {}, 'Progress'),
    h('progress', { max: Math.max(total, 1), value: terminal, 'aria-label': 'Payouts finished' }),
    h('p', { 'data-testid': 'progress-text' }, `${terminal} of ${total} payouts finished. Decisions: ${progressText(run)}.`),
    progressTable(run),
  );
}

/** The approver's own group: what they may approve now, with one code. */
async function decisionSection(context: PageContext, run: PayRun, reload: () => void): Promise<HTMLElement | null> {
  if (run.status !== 'AWAITING_APPROVAL' && run.status !== 'DELIVERING' && run.status !== 'IN_PROGRESS') return null;
  let decision: ResponseOf<'/v1/pay-runs/{id}/decision', 'get'>;
  try {
    decision = await api.get('/v1/pay-runs/{id}/decision', { params: { id: run.id } });
  } catch (error) {
    return h('section', { class: 'panel' }, h('h2', {}, 'Your approval'), h('p', { class: 'muted' }, error instanceof Error ? error.message : String(error)));
  }
  const approve = async () => {
    const done = await formDialog({
      title: 'Approve your group',
      intro: h(
        'div',
        {},
        h('p', {}, `You approve ${decision.items} payouts of this run with one code:`),
        h('ul', {}, decision.totals.map((row) => h('li', {}, `${row.count} × ${row.currency}: ${formatMoney(row.amount, row.currency)}`))),
        h('p', { class: 'muted small' }, 'An item whose amount or details changed since this page loaded is refused and named, never approved.'),
      ),
      fields: [],
      totp: true,
      submitLabel: `Approve ${decision.items} payouts`,
      submit: async (_values, totp) => {
        const answer = await api.post('/v1/pay-runs/{id}/approve', { params: { id: run.id }, body: { itemsHash: decision.itemsHash }, totp, idempotencyKey: newIdempotencyKey() });
        toast(`Approving ${answer.approving} payouts${answer.refused.length > 0 ? `; ${answer.refused.length} refused: ${answer.refused.map((item) => `${item.payoutId} (${item.code})`).join(', ')}` : ''}.`);
      },
    });
    if (done) reload();
  };
  return h(
    'section',
    { class: 'panel', 'data-testid': 'my-group' },
    h('h2', {}, `Your approval (${context.user.role.replaceAll('_', ' ')})`),
    decision.items > 0
      ? [
          h('p', { 'data-testid': 'my-group-count' }, `${decision.items} payouts you may approve now.`),
          table(
            ['Currency', 'Payouts', 'Amount'],
            decision.totals.map((row) => h('tr', {}, h('td', {}, row.currency), h('td', { class: 'number' }, row.count), h('td', { class: 'number' }, formatMoney(row.amount, row.currency)))),
          ),
          h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: approve }, `Approve ${decision.items} payouts…`)),
        ]
      : h('p', { class: 'muted', 'data-testid': 'my-group-count' }, 'Nothing in this run is yours to approve now.'),
    decision.refusedUpfront.length > 0
      ? table(
          ['Payout', 'Why you may not approve it'],
          decision.refusedUpfront.map((item) => h('tr', {}, h('td', {}, link(`/app/admin/payouts/${item.payoutId}`, item.payoutId)), h('td', {}, item.code))),
          { caption: 'Not yours to approve' },
        )
      : null,
  );
}

function runApprovalSection(run: PayRun, reload: () => void): HTMLElement | null {
  if (!run.runApproval.required) return null;
  const approve = async () => {
    const done = await formDialog({
      title: 'Approve the run',
      intro: `The run’s total passes the policy’s run limit: one of ${run.runApproval.roles.join(', ').replaceAll('_', ' ')} approves the whole run before any payout is approved.`,
      fields: [],
      totp: true,
      submitLabel: 'Approve the run',
      submit: async (_values, totp) => {
        await api.post('/v1/pay-runs/{id}/run-approval', { params: { id: run.id }, totp, idempotencyKey: newIdempotencyKey() });
        toast('Run approved.');
      },
    });
    if (done) reload();
  };
  return h(
    'section',
    { class: 'panel', 'data-testid': 'run-approval' },
    h('h2', {}, 'Run-level approval'),
    h('p', {}, run.runApproval.approvedBy ? `Approved by ${run.runApproval.approvedBy}.` : `Needed from: ${run.runApproval.roles.join(', ').replaceAll('_', ' ')}.`),
    !run.runApproval.approvedBy && run.status === 'AWAITING_APPROVAL' ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: approve }, 'Approve the run…')) : null,
  );
}

function itemsSection(context: PageContext, run: PayRun, items: ResponseOf<'/v1/pay-runs/{id}/items', 'get'>, state: string, reload: () => void): HTMLElement {
  const selected = new Set<string>();
  const excludable = (item: PayRunItem) => item.state === 'INCLUDED' && run.status === 'AWAITING_APPROVAL';
  const excludeButton = h('button', { type: 'button', disabled: true }, 'Exclude selected…');
  const sync = () => {
    excludeButton.disabled = selected.size === 0;
    excludeButton.textContent = selected.size > 0 ? `Exclude ${selected.size} selected…` : 'Exclude selected…';
  };
  excludeButton.addEventListener('click', async () => {
    const reason = h('input', { maxlength: 500, required: true });
    const done = await formDialog({
      title: 'Exclude from the run',
      intro: `${selected.size} payouts leave this run; they stay awaiting approval on their own.`,
      fields: [{ name: 'reason', label: 'Reason', control: reason }],
      submitLabel: 'Exclude',
      submit: async (values) => {
        await api.post('/v1/pay-runs/{id}/exclude', { params: { id: run.id }, body: { payoutIds: [...selected], reason: values.reason!.trim() }, idempotencyKey: newIdempotencyKey() });
        toast(`${selected.size} payouts excluded.`);
      },
    });
    if (done) reload();
  });
  const stateControl = h('select', { 'aria-label': 'Item state' }, options(itemStates, 'Any state', state));
  stateControl.addEventListener('change', () => context.navigate(`${base}/${run.id}${query({ state: stateControl.value })}`));
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, 'Items'),
    h('div', { class: 'actions' }, stateControl, run.status === 'AWAITING_APPROVAL' ? excludeButton : null),
    table(
      ['', 'Payout', 'Partner', 'Method', 'Amount', 'In the run', 'Payout status', 'Reason'],
      items.items.map((item) => {
        const box = h('input', { type: 'checkbox', 'aria-label': `Select payout ${item.payoutId}`, disabled: !excludable(item) });
        box.addEventListener('change', () => {
          if (box.checked) selected.add(item.payoutId);
          else selected.delete(item.payoutId);
          sync();
        });
        return h(
          'tr',
          { 'data-payout': item.payoutId, 'data-state': item.state },
          h('td', {}, box),
          h('td', {}, link(`/app/admin/payouts/${item.payoutId}`, item.payoutId.slice(0, 8))),
          h('td', {}, item.partnerName, h('div', { class: 'muted small mono' }, item.partnerId)),
          h('td', {}, item.methodId),
          h('td', { class: 'number' }, formatMoney(item.amount, item.currency)),
          h('td', {}, statusBadge(item.state)),
          h('td', {}, statusBadge(item.payoutStatus)),
          h('td', {}, item.reason ?? '—'),
        );
      }),
      { empty: 'No items in this state.' },
    ),
    items.nextCursor ? h('p', {}, link(`${base}/${run.id}${query({ state, cursor: items.nextCursor })}`, 'Next page →')) : null,
  );
}

export const payRunPage: Page = async (context) => {
  const id = context.params.id!;
  const state = context.search.get('state') ?? '';
  const cursor = context.search.get('cursor');
  const [run, items, refused] = await Promise.all([
    api.get('/v1/pay-runs/{id}', { params: { id } }),
    api.get('/v1/pay-runs/{id}/items', { params: { id }, query: { state, cursor } }),
    api.get('/v1/pay-runs/{id}/items', { params: { id }, query: { state: 'REFUSED' } }),
  ]);
  document.title = `Pay run ${run.id.slice(0, 8)} · ledgerflow`;
  const reload = () => context.navigate(`${base}/${run.id}${query({ state, cursor })}`);
  const failedPayouts = (run.progress.byPayoutStatus as Record<string, number>).FAILED ?? 0;
  // The approved items whose payout then failed (the provider or the bank's result), from the first 1,000 approved.
  const approved = failedPayouts > 0 ? await api.get('/v1/pay-runs/{id}/items', { params: { id }, query: { state: 'APPROVED', limit: 1000 } }) : null;
  const failedItems = approved?.items.filter((item) => item.payoutStatus === 'FAILED') ?? [];
  const reject = async () => {
    const reason = h('input', { maxlength: 1000, required: true });
    const done = await formDialog({
      title: 'Reject the run',
      intro: 'What is left undecided leaves the run; those payouts stay awaiting approval on their own. Payouts already approved are not touched.',
      fields: [{ name: 'reason', label: 'Reason', control: reason }],
      totp: true,
      danger: true,
      submitLabel: 'Reject',
      submit: async (values, totp) => {
        await api.post('/v1/pay-runs/{id}/reject', { params: { id: run.id }, body: { reason: values.reason!.trim() }, totp, idempotencyKey: newIdempotencyKey() });
        toast('Run rejected.');
      },
    });
    if (done) reload();
  };
  const retry = async () => {
    await formDialog({
      title: 'Retry the failures',
      intro: `A new attempt of this run takes its ${failedPayouts} failed payouts only: each is requested again (same partner, method, amount and details) in a new linked run, initiated by you, so you cannot approve them. Paid payouts are not touched.`,
      fields: [],
      totp: true,
      submitLabel: 'Create the new attempt',
      submit: async (_values, totp) => {
        const created = await api.post('/v1/pay-runs/{id}/retry', { params: { id: run.id }, totp, idempotencyKey: newIdempotencyKey() });
        toast(`New attempt created${created.notRetried.length > 0 ? `; not retried: ${created.notRetried.map((item) => `${item.payoutId} (${item.code})`).join(', ')}` : ''}.`);
        context.navigate(`${base}/${created.id}`);
      },
    });
  };
  const decision = await decisionSection(context, run, reload);
  const progress = progressSection(run);
  replace(
    context.root,
    h('p', {}, link(base, '← Pay runs')),
    h('h1', {}, `Pay run ${run.id.slice(0, 8)} `, h('span', { 'data-testid': 'pay-run-status' }, statusBadge(run.status))),
    h(
      'section',
      { class: 'panel', 'data-status': run.status },
      definitionList([
        ['Source', run.source === 'SCHEDULE' ? `the payment schedule${run.paymentDate ? ` (${run.paymentDate})` : ''}` : 'an admin'],
        ['Created', `${formatTime(run.createdAt)} by ${run.createdBy}`],
        ['Attempt', run.previousRunId ? h('span', {}, `${run.attempt} (retry of `, link(`${base}/${run.previousRunId}`, run.previousRunId.slice(0, 8)), ')') : String(run.attempt)],
        ['Payouts', String(itemCount(run))],
        ['Note', run.note ?? '—'],
        ['Finished', formatTime(run.finishedAt)],
        ...(run.rejection ? ([['Rejected', `by ${run.rejection.by}: ${run.rejection.reason ?? 'no reason given'}`]] as [string, string][]) : []),
      ]),
      run.workflowUrl ? h('p', {}, h('a', { href: run.workflowUrl, target: '_blank', rel: 'noopener' }, `${run.workflowId} in the Temporal UI`)) : null,
      h(
        'div',
        { class: 'actions' },
        run.status === 'AWAITING_APPROVAL' ? h('button', { type: 'button', class: 'danger', onclick: reject }, 'Reject the run…') : null,
        failedPayouts > 0 && !liveStatuses.has(run.status) ? h('button', { type: 'button', onclick: retry }, `Retry ${failedPayouts} failed…`) : null,
      ),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Totals'),
      table(
        ['Currency', 'Payouts', 'Amount', 'Fee', 'To transfer', 'RUB equivalent'],
        run.totals.byCurrency.map((row) =>
          h(
            'tr',
            { 'data-testid': 'currency-total', 'data-currency': row.currency },
            h('td', {}, row.currency),
            h('td', { class: 'number' }, row.count),
            h('td', { class: 'number' }, formatMoney(row.amount, row.currency)),
            h('td', { class: 'number' }, formatMoney(row.fee, row.currency)),
            h('td', { class: 'number' }, formatMoney(row.amountToTransfer, row.currency)),
            h('td', { class: 'number' }, formatMoney(row.amountRub, 'RUB')),
          ),
        ),
        { caption: 'Per currency', empty: 'No payouts in the run.' },
      ),
      table(
        ['Method', 'Currency', 'Payouts', 'To transfer', 'Funds declared', 'Short by', 'Release'],
        run.totals.byMethod.map((row) =>
          h(
            'tr',
            { 'data-testid': 'method-total', 'data-method': row.methodId, 'data-currency': row.currency },
            h('td', {}, row.methodId),
            h('td', {}, row.currency),
            h('td', { class: 'number' }, row.count),
            h('td', { class: 'number' }, formatMoney(row.amountToTransfer, row.currency)),
            h('td', { class: 'number' }, formatMoney(row.fundsDeclared, row.currency)),
            h('td', { class: 'number' }, row.fundsShort ? h('strong', {}, formatMoney(row.fundsShort, row.currency)) : '—'),
            h('td', {}, row.waitingForFunds ? [statusBadge('WAITING_FOR_FUNDS'), ' ', h('button', { type: 'button', class: 'link', onclick: declareFunds(row.methodId, row.currency, reload) }, 'Declare funds…')] : '—'),
          ),
        ),
        { caption: 'Per method: what each payment system needs', empty: 'No payouts in the run.' },
      ),
      table(
        ['Left out because', 'Payouts'],
        run.excluded.map((row) => h('tr', { 'data-testid': 'excluded', 'data-reason': row.reason }, h('td', {}, row.reason.replaceAll('_', ' ')), h('td', { class: 'number' }, row.count))),
        { caption: 'Left out of the run', empty: 'Nothing was left out.' },
      ),
    ),
    runApprovalSection(run, reload),
    decision,
    progress,
    run.decisions.length > 0
      ? h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Decisions'),
          table(
            ['When', 'By', 'Role', 'Approved', 'Refused'],
            run.decisions.map((row) => h('tr', {}, h('td', {}, formatTime(row.at)), h('td', {}, row.by), h('td', {}, row.role.replaceAll('_', ' ')), h('td', { class: 'number' }, row.approved), h('td', { class: 'number' }, row.refused))),
          ),
        )
      : null,
    refused.items.length > 0 || failedPayouts > 0
      ? h(
          'section',
          { class: 'panel', 'data-testid': 'failures' },
          h('h2', {}, 'Failures'),
          refused.items.length > 0
            ? table(
                ['Payout', 'Partner', 'Amount', 'Why'],
                refused.items.map((item) => h('tr', { 'data-payout': item.payoutId }, h('td', {}, link(`/app/admin/payouts/${item.payoutId}`, item.payoutId.slice(0, 8))), h('td', {}, item.partnerName), h('td', { class: 'number' }, formatMoney(item.amount, item.currency)), h('td', {}, item.reason ?? '—'))),
                { caption: `Refused by their payouts (not approved)${refused.nextCursor ? ', first page' : ''}` },
              )
            : null,
          failedPayouts > 0
            ? table(
                ['Payout', 'Partner', 'Amount', 'Method'],
                failedItems.map((item) => h('tr', { 'data-payout': item.payoutId }, h('td', {}, link(`/app/admin/payouts/${item.payoutId}`, item.payoutId.slice(0, 8))), h('td', {}, item.partnerName), h('td', { class: 'number' }, formatMoney(item.amount, item.currency)), h('td', {}, item.methodId))),
                { caption: `${failedPayouts} approved payouts FAILED${failedItems.length < failedPayouts ? ` (${failedItems.length} shown)` : ''}; each payout’s page has its failure code` },
              )
            : null,
        )
      : null,
    itemsSection(context, run, items, state, reload),
  );
  if (!liveStatuses.has(run.status)) return;
  // While the run is live, its progress refreshes itself; the page re-renders when the run's status changes.
  let current = progress;
  const timer = setInterval(async () => {
    try {
      const latest = await api.get('/v1/pay-runs/{id}', { params: { id } });
      if (latest.status !== run.status) {
        reload();
        return;
      }
      const next = progressSection(latest);
      current.replaceWith(next);
      current = next;
    } catch {
      // A missed refresh is retried on the next tick.
    }
  }, refreshMs);
  return () => clearInterval(timer);
};
