import { chargebackOutcomes, chargebackStatuses, chargebackSteps } from '../../../domain/chargeback.ts';
import { disputeErrorKinds, disputeResolutions, disputeStatuses, disputeTypes } from '../../../domain/dispute.ts';
import { refundReasons } from '../../../domain/lifecycle-policy.ts';
import { refundStatuses } from '../../../domain/refund.ts';
import { newIdempotencyKey, query, request } from '../api.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { Page, PageContext } from '../main.ts';

/**
 * Issue #5's queues in the console: refunds, chargebacks, disputes and manual adjustments, each a list with a status
 * filter and a detail page with its actions (every decision asks for a fresh TOTP code, as the API does), and the
 * partner's own disputes. One module: the four share their shape, only columns and actions differ.
 */

type Row = Record<string, unknown> & { id: string; status: string; workflowUrl?: string | null; workflowId?: string };
const text = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : String(value));
const money = (row: Row, amount = 'amount', currency = 'currency') => formatMoney(row[amount] as string, row[currency] as string);
const select = (values: readonly string[], options: { empty?: string; selected?: string } = {}) =>
  h('select', {}, [...(options.empty !== undefined ? [''] : []), ...values].map((value) => h('option', { value, selected: options.selected === value }, value || options.empty!)));

interface QueueConfig {
  title: string;
  base: string;
  api: string;
  statuses: readonly string[];
  columns: [string, (row: Row) => string | Node][];
  create?: (context: PageContext) => HTMLElement;
  actions?: (row: Row, reload: () => void) => HTMLElement[];
  sections?: (row: Row) => (HTMLElement | null)[];
}

function queuePage(config: QueueConfig): Page {
  return async (context) => {
    const status = context.search.get('status') ?? '';
    const page = await request<{ data: Row[]; nextCursor: string | null }>(`${config.api}${query({ status, limit: 100, cursor: context.search.get('cursor') })}`);
    document.title = `${config.title} · ledgerflow`;
    const statusControl = select(config.statuses, { empty: 'Any status', selected: status });
    const filters = h('form', { class: 'filters panel', role: 'search', 'aria-label': `Filter ${config.title.toLowerCase()}` }, field('Status', statusControl), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters')));
    filters.addEventListener('submit', (event) => {
      event.preventDefault();
      context.navigate(`${config.base}${query({ status: statusControl.value })}`);
    });
    replace(
      context.root,
      h('h1', {}, config.title),
      config.create ? config.create(context) : null,
      filters,
      table(
        config.columns.map(([name]) => name),
        page.data.map((row) => h('tr', { 'data-id': row.id }, config.columns.map(([, cell], index) => h('td', {}, index === 0 ? link(`${config.base}/${encodeURIComponent(row.id)}`, cell(row)) : cell(row))))),
        { caption: 'Newest first', empty: `No ${config.title.toLowerCase()} match.` },
      ),
      page.nextCursor ? h('p', {}, link(`${config.base}${query({ status, cursor: page.nextCursor })}`, 'Next page →')) : null,
    );
  };
}

function detailPage(config: QueueConfig): Page {
  return async (context) => {
    const row = await request<Row>(`${config.api}/${encodeURIComponent(context.params.id!)}`);
    document.title = `${config.title} ${row.id} · ledgerflow`;
    const reload = () => context.navigate(`${config.base}/${encodeURIComponent(row.id)}`);
    const scalar = Object.entries(row).filter(([, value]) => value === null || typeof value !== 'object');
    replace(
      context.root,
      h('p', {}, link(config.base, `← ${config.title}`)),
      h('h1', {}, `${config.title.replace(/s$/, '')} ${row.id.slice(0, 8)}`, ' ', statusBadge(row.status)),
      h(
        'section',
        { class: 'panel', 'data-status': row.status },
        definitionList(scalar.filter(([name]) => !['workflowUrl'].includes(name)).map(([name, value]) => [name, text(value)])),
        row.workflowUrl ? h('p', {}, h('a', { href: row.workflowUrl, target: '_blank', rel: 'noopener' }, `${row.workflowId} in the Temporal UI`)) : null,
        h('div', { class: 'actions', 'data-testid': 'lifecycle-actions' }, config.actions ? config.actions(row, reload) : []),
      ),
      ...(config.sections ? config.sections(row) : []),
    );
  };
}

/** A list of objects as a table of their own fields (timelines, steps, reversed commissions). */
function objectTable(title: string, items: unknown): HTMLElement | null {
  if (!Array.isArray(items) || items.length === 0) return null;
  const columns = [...new Set(items.flatMap((item) => Object.keys(item as object)))];
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, title),
    table(columns, items.map((item) => h('tr', {}, columns.map((column) => {
      const value = (item as Record<string, unknown>)[column];
      return h('td', {}, value !== null && typeof value === 'object' ? JSON.stringify(value) : text(value));
    })))),
  );
}

const actionButton = (label: string, open: () => Promise<boolean>, reload: () => void) =>
  h('button', { type: 'button', onclick: async () => { if (await open()) reload(); } }, label);

// Refunds (SPEC 7).
const refunds: QueueConfig = {
  title: 'Refunds',
  base: '/app/admin/refunds',
  api: '/v1/refunds',
  statuses: refundStatuses,
  columns: [
    ['Request ID', (row) => row.id.slice(0, 8)],
    ['Order', (row) => text(row.orderId)],
    ['Customer', (row) => text(row.customerId)],
    ['Amount', (row) => money(row)],
    ['Full / partial', (row) => text(row.type)],
    ['Reason', (row) => text(row.reason)],
    ['Status', (row) => statusBadge(row.status)],
    ['Requested at', (row) => formatTime(row.requestedAt as string)],
  ],
  create: (context) => {
    const orderId = h('input', { required: true, autocomplete: 'off' });
    const amount = h('input', { inputmode: 'decimal', placeholder: 'all that is left' });
    const reason = select(refundReasons);
    const note = h('input', { maxlength: 500 });
    const button = h('button', {
      type: 'button', class: 'primary',
      onclick: () => formDialog({
        title: 'Request a refund',
        fields: [
          { name: 'orderId', label: 'Order ID', control: orderId },
          { name: 'amount', label: 'Amount (empty: the whole refundable amount)', control: amount },
          { name: 'reason', label: 'Reason', control: reason },
          { name: 'note', label: 'Note (optional)', control: note },
        ],
        submitLabel: 'Request refund',
        submit: async (values) => {
          const created = await request<Row>('/v1/refunds', {
            body: { orderId: values.orderId!.trim(), reason: values.reason, ...(values.amount!.trim() ? { amount: values.amount!.trim() } : {}), ...(values.note!.trim() ? { note: values.note!.trim() } : {}) },
            idempotencyKey: newIdempotencyKey(),
          });
          toast('Refund requested.');
          context.navigate(`/app/admin/refunds/${created.id}`);
        },
      }),
    }, 'Request a refund…');
    return h('div', { class: 'actions' }, button);
  },
  actions: (row, reload) =>
    row.status !== 'PENDING'
      ? []
      : [
          actionButton('Approve…', () => {
            const reason = h('input', { maxlength: 1000 });
            return formDialog({
              title: 'Approve refund',
              intro: `Every commission of order ${text(row.orderId)} is reversed (${text(row.reversal)}).`,
              fields: [{ name: 'reason', label: 'Reason (optional)', control: reason }],
              totp: true,
              submitLabel: 'Approve',
              submit: async (values, totp) => {
                await request(`/v1/refunds/${row.id}/approve`, { body: values.reason!.trim() ? { reason: values.reason!.trim() } : {}, totp, idempotencyKey: newIdempotencyKey() });
                toast('Refund approved and processed.');
              },
            });
          }, reload),
          actionButton('Reject…', () => {
            const reason = h('input', { required: true, maxlength: 1000 });
            return formDialog({
              title: 'Reject refund',
              fields: [{ name: 'reason', label: 'Reason', control: reason }],
              totp: true,
              danger: true,
              submitLabel: 'Reject',
              submit: async (values, totp) => {
                await request(`/v1/refunds/${row.id}/reject`, { body: { reason: values.reason!.trim() }, totp, idempotencyKey: newIdempotencyKey() });
                toast('Refund rejected.');
              },
            });
          }, reload),
        ],
  sections: (row) => [objectTable('Order', row.order ? [row.order] : null), objectTable('Commissions reversed', row.reversals)],
};

// Chargebacks (SPEC 8).
const chargebacks: QueueConfig = {
  title: 'Chargebacks',
  base: '/app/admin/chargebacks',
  api: '/v1/chargebacks',
  statuses: chargebackStatuses,
  columns: [
    ['ID', (row) => row.id.slice(0, 8)],
    ['Provider reference', (row) => text(row.providerReference)],
    ['Order', (row) => text(row.orderId)],
    ['Seller', (row) => text(row.partnerId)],
    ['Amount', (row) => money(row)],
    ['Reason code', (row) => text(row.reasonCode)],
    ['Status', (row) => statusBadge(row.status)],
    ['Opened at', (row) => formatTime(row.openedAt as string)],
  ],
  actions: (row, reload) =>
    ['WON', 'LOST', 'PARTIAL'].includes(row.status)
      ? []
      : [
          actionButton('Record step…', () => {
            const step = select(chargebackSteps);
            const note = h('input', { maxlength: 2000 });
            return formDialog({
              title: 'Record investigation step',
              fields: [{ name: 'step', label: 'Step', control: step }, { name: 'note', label: 'Note (optional)', control: note }],
              submitLabel: 'Record',
              submit: async (values) => {
                await request(`/v1/chargebacks/${row.id}/steps`, { body: { step: values.step, ...(values.note!.trim() ? { note: values.note!.trim() } : {}) }, idempotencyKey: newIdempotencyKey() });
                toast('Step recorded.');
              },
            });
          }, reload),
          actionButton('Record outcome…', () => {
            const outcome = select(chargebackOutcomes);
            const amountWon = h('input', { inputmode: 'decimal' });
            const note = h('input', { maxlength: 2000 });
            return formDialog({
              title: 'Record chargeback outcome',
              intro: 'WON re-credits the reversed commissions; LOST keeps the reversal; PARTIAL re-credits the share won.',
              fields: [
                { name: 'outcome', label: 'Outcome', control: outcome },
                { name: 'amountWon', label: 'Amount won (PARTIAL only)', control: amountWon },
                { name: 'note', label: 'Note (optional)', control: note },
              ],
              totp: true,
              submitLabel: 'Record outcome',
              submit: async (values, totp) => {
                await request(`/v1/chargebacks/${row.id}/decision`, {
                  body: { outcome: values.outcome, ...(values.amountWon!.trim() ? { amountWon: values.amountWon!.trim() } : {}), ...(values.note!.trim() ? { note: values.note!.trim() } : {}) },
                  totp,
                  idempotencyKey: newIdempotencyKey(),
                });
                toast('Outcome recorded.');
              },
            });
          }, reload),
        ],
  sections: (row) => [objectTable('Order', row.order ? [row.order] : null), objectTable('Investigation steps', row.steps), objectTable('Commissions reversed', row.reversals)],
};

// Disputes (SPEC 9): the admins' side.
const resolveDialog = (row: Row) => {
  const resolution = select(disputeResolutions);
  const errorKind = select(disputeErrorKinds, { empty: '—' });
  const amount = h('input', { inputmode: 'decimal' });
  const note = h('textarea', { rows: 3, maxlength: 2000, required: true });
  return formDialog({
    title: 'Resolve dispute',
    intro: 'CORRECTION posts to the ledger (signed amount) and GOODWILL credits the partner: both need the TOTP code.',
    fields: [
      { name: 'resolution', label: 'Resolution', control: resolution },
      { name: 'errorKind', label: 'Error kind (CORRECTION)', control: errorKind },
      { name: 'amount', label: 'Amount (CORRECTION, GOODWILL)', control: amount },
      { name: 'note', label: 'Note shown to the partner', control: note },
    ],
    totp: true,
    submitLabel: 'Resolve',
    submit: async (values, totp) => {
      await request(`/v1/disputes/${row.id}/resolve`, {
        body: { resolution: values.resolution, note: values.note!.trim(), ...(values.errorKind ? { errorKind: values.errorKind } : {}), ...(values.amount!.trim() ? { amount: values.amount!.trim() } : {}) },
        totp,
        idempotencyKey: newIdempotencyKey(),
      });
      toast('Dispute resolved.');
    },
  });
};
const disputeColumns: QueueConfig['columns'] = [
  ['ID', (row) => row.id.slice(0, 8)],
  ['Partner', (row) => text(row.partnerId)],
  ['Type', (row) => text(row.type)],
  ['Transaction', (row) => text(row.transactionRef)],
  ['Status', (row) => statusBadge(row.status)],
  ['Resolution', (row) => text(row.resolution)],
  ['Opened at', (row) => formatTime(row.openedAt as string)],
];
const disputes: QueueConfig = {
  title: 'Disputes',
  base: '/app/admin/disputes',
  api: '/v1/disputes',
  statuses: disputeStatuses,
  columns: [...disputeColumns.slice(0, 6), ['Assignee', (row) => text((row.assigneeId as string | null)?.slice(0, 8))], disputeColumns[6]!],
  actions: (row, reload) =>
    row.status === 'CLOSED'
      ? []
      : [
          actionButton('Claim', async () => {
            await request(`/v1/disputes/${row.id}/assign`, { body: {}, idempotencyKey: newIdempotencyKey() });
            toast('Assigned to you.');
            return true;
          }, reload),
          actionButton('Resolve…', () => resolveDialog(row), reload),
        ],
  sections: (row) => [objectTable('Timeline', row.timeline), objectTable('Evidence', row.evidence)],
};

// Disputes: the partner's side.
const partnerDisputes: QueueConfig = {
  title: 'My disputes',
  base: '/app/partner/disputes',
  api: '/v1/disputes',
  statuses: disputeStatuses,
  columns: disputeColumns,
  create: (context) => {
    const type = select(disputeTypes);
    const transactionRef = h('input', { required: true, autocomplete: 'off' });
    const description = h('textarea', { rows: 3, maxlength: 4000, required: true });
    const evidence = h('textarea', { rows: 2, maxlength: 4000 });
    return h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'primary',
      onclick: () => formDialog({
        title: 'Open a dispute',
        intro: 'Disputes are accepted within 30 days of the transaction. While one is open, your payouts wait for it.',
        fields: [
          { name: 'type', label: 'What you dispute', control: type },
          { name: 'transactionRef', label: 'Transaction (commission or payout ID)', control: transactionRef },
          { name: 'description', label: 'What is wrong', control: description },
          { name: 'evidence', label: 'Evidence (optional; without it we ask you for it)', control: evidence },
        ],
        submitLabel: 'Open dispute',
        submit: async (values) => {
          const created = await request<Row>('/v1/disputes', {
            body: { type: values.type, transactionRef: values.transactionRef!.trim(), description: values.description!.trim(), ...(values.evidence!.trim() ? { evidence: { text: values.evidence!.trim() } } : {}) },
            idempotencyKey: newIdempotencyKey(),
          });
          toast('Dispute opened.');
          context.navigate(`/app/partner/disputes/${created.id}`);
        },
      }),
    }, 'Open a dispute…'));
  },
  actions: (row, reload) => [
    ...(row.status === 'INFORMATION_REQUESTED' || row.status === 'OPEN' || row.status === 'UNDER_REVIEW'
      ? [actionButton('Send evidence…', () => {
          const evidence = h('textarea', { rows: 3, maxlength: 4000, required: true });
          return formDialog({
            title: 'Send evidence',
            fields: [{ name: 'text', label: 'Evidence', control: evidence }],
            submitLabel: 'Send',
            submit: async (values) => {
              await request(`/v1/disputes/${row.id}/evidence`, { body: { text: values.text!.trim() }, idempotencyKey: newIdempotencyKey() });
              toast('Evidence sent.');
            },
          });
        }, reload)]
      : []),
    ...(row.status === 'EXPLAINED'
      ? [actionButton('Ask for a senior admin…', () => {
          const reason = h('textarea', { rows: 3, maxlength: 2000, required: true });
          return formDialog({
            title: 'Ask for escalation',
            fields: [{ name: 'reason', label: 'Why the explanation does not settle it', control: reason }],
            submitLabel: 'Escalate',
            submit: async (values) => {
              await request(`/v1/disputes/${row.id}/escalate`, { body: { reason: values.reason!.trim() }, idempotencyKey: newIdempotencyKey() });
              toast('Escalated to a senior admin.');
            },
          });
        }, reload)]
      : []),
  ],
  sections: (row) => [objectTable('Timeline', row.timeline)],
};

// Manual commissions (SPEC 10).
const adjustments: QueueConfig = {
  title: 'Adjustments',
  base: '/app/admin/adjustments',
  api: '/v1/adjustments',
  statuses: ['AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED'],
  columns: [
    ['ID', (row) => row.id.slice(0, 8)],
    ['Partner', (row) => text(row.partnerId)],
    ['Type', (row) => text(row.type)],
    ['Amount', (row) => money(row)],
    ['Commission status', (row) => text(row.commissionStatus)],
    ['Status', (row) => statusBadge(row.status)],
    ['Reason', (row) => text(row.reason)],
    ['Created at', (row) => formatTime(row.createdAt as string)],
  ],
  create: (context) => {
    const partnerId = h('input', { required: true, autocomplete: 'off' });
    const type = select(['BONUS', 'ADJUSTMENT', 'OTHER']);
    const amount = h('input', { inputmode: 'decimal', required: true });
    const currency = h('input', { value: 'USD', maxlength: 5 });
    const status = select(['APPROVED', 'PENDING']);
    const reason = h('textarea', { rows: 2, maxlength: 1000, required: true });
    return h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'primary',
      onclick: () => formDialog({
        title: 'Manual commission',
        intro: 'Above 10,000 RUB-equivalent a senior admin other than you approves it before anything is posted.',
        fields: [
          { name: 'partnerId', label: 'Partner ID', control: partnerId },
          { name: 'type', label: 'Type', control: type },
          { name: 'amount', label: 'Amount', control: amount },
          { name: 'currency', label: 'Currency', control: currency },
          { name: 'status', label: 'Commission status', control: status },
          { name: 'reason', label: 'Reason (mandatory)', control: reason },
        ],
        totp: true,
        submitLabel: 'Create',
        submit: async (values, totp) => {
          const created = await request<Row>('/v1/adjustments', {
            body: { partnerId: values.partnerId!.trim(), type: values.type, amount: values.amount!.trim(), currency: values.currency!.trim(), status: values.status, reason: values.reason!.trim() },
            totp,
            idempotencyKey: newIdempotencyKey(),
          });
          toast('Manual commission created.');
          context.navigate(`/app/admin/adjustments/${created.id}`);
        },
      }),
    }, 'New manual commission…'));
  },
  actions: (row, reload) =>
    row.status !== 'AWAITING_APPROVAL'
      ? []
      : [
          actionButton('Approve…', () => formDialog({
            title: 'Approve manual commission', fields: [], totp: true, submitLabel: 'Approve',
            submit: async (_values, totp) => {
              await request(`/v1/adjustments/${row.id}/approve`, { body: {}, totp, idempotencyKey: newIdempotencyKey() });
              toast('Approved and posted.');
            },
          }), reload),
          actionButton('Reject…', () => {
            const reason = h('input', { required: true, maxlength: 1000 });
            return formDialog({
              title: 'Reject manual commission', fields: [{ name: 'reason', label: 'Reason', control: reason }], totp: true, danger: true, submitLabel: 'Reject',
              submit: async (values, totp) => {
                await request(`/v1/adjustments/${row.id}/reject`, { body: { reason: values.reason!.trim() }, totp, idempotencyKey: newIdempotencyKey() });
                toast('Rejected.');
              },
            });
          }, reload),
        ],
};

export const lifecyclePages = {
  refunds: queuePage(refunds),
  refund: detailPage(refunds),
  chargebacks: queuePage(chargebacks),
  chargeback: detailPage(chargebacks),
  disputes: queuePage(disputes),
  dispute: detailPage(disputes),
  partnerDisputes: queuePage(partnerDisputes),
  partnerDispute: detailPage(partnerDisputes),
  adjustments: queuePage(adjustments),
  adjustment: detailPage(adjustments),
};
