import { chargebackOutcomes, chargebackStatuses, chargebackSteps, type ChargebackOutcome, type ChargebackStep } from '../../../domain/chargeback.ts';
import {
  disputeErrorKinds,
  disputeResolutions,
  disputeStatuses,
  disputeTypes,
  type DisputeErrorKind,
  type DisputeResolution,
  type DisputeType,
} from '../../../domain/dispute.ts';
import { refundReasons, type RefundReason } from '../../../domain/lifecycle-policy.ts';
import { refundStatuses } from '../../../domain/refund.ts';
import { api, apiUrl, download, newIdempotencyKey, query, type QueryValue } from '../api.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { Page, PageContext } from '../router.ts';
import type { BodyOf, QueryOf, ResponseOf } from '../types.ts';

/**
 * Issue #5's queues in the console: refunds, chargebacks, disputes and manual adjustments, each a list with a status
 * filter and a detail page with its actions (every decision asks for a fresh TOTP code, as the API does), and the
 * partner's own disputes. One module: the four share their shape, only columns and actions differ.
 */

/** Each queue's list route and the route of one of its records. */
interface QueueRoutes {
  '/v1/refunds': '/v1/refunds/{id}';
  '/v1/chargebacks': '/v1/chargebacks/{id}';
  '/v1/disputes': '/v1/disputes/{id}';
  '/v1/adjustments': '/v1/adjustments/{id}';
}
type QueueApi = keyof QueueRoutes;
type ListRow<A extends QueueApi> = ResponseOf<A, 'get'> extends { data: (infer Row)[] } ? Row : never;
type Detail<A extends QueueApi> = ResponseOf<QueueRoutes[A], 'get'>;
type EvidenceFile = NonNullable<NonNullable<BodyOf<'/v1/disputes', 'post'>['evidence']>['file']>;
type AdjustmentRequest = BodyOf<'/v1/adjustments', 'post'>;
/** What the shared list and detail pages read of every record. */
interface Shown {
  id: string;
  status: string;
  workflowId: string;
  workflowUrl: string | null;
}

const text = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : String(value));
const money = (row: { amount: string; currency: string }) => formatMoney(row.amount, row.currency);
const select = (values: readonly string[], options: { empty?: string; selected?: string } = {}) =>
  h('select', {}, [...(options.empty !== undefined ? [''] : []), ...values].map((value) => h('option', { value, selected: options.selected === value }, value || options.empty!)));

/** A list filter: a select when it has values, else a text box; its name is both the page's and the API's query key. */
interface Filter<A extends QueueApi> {
  name: keyof QueryOf<A, 'get'> & string;
  label: string;
  values?: readonly string[];
}

interface QueueConfig<A extends QueueApi> {
  title: string;
  base: string;
  api: A;
  statuses: readonly string[];
  filters?: Filter<A>[];
  columns: [string, (row: ListRow<A>) => string | Node][];
  create?: (context: PageContext) => HTMLElement;
  actions?: (row: Detail<A>, reload: () => void) => HTMLElement[];
  sections?: (row: Detail<A>) => (HTMLElement | null)[];
}

/**
 * The two reads the shared pages make. Their routes are one of the queues' (the configurations below are checked
 * against each route's own types); here, with the queue left open, only the common shape is known.
 */
function listPage<A extends QueueApi>(config: QueueConfig<A>, search: Record<string, QueryValue>): Promise<{ data: (ListRow<A> & Shown)[]; nextCursor: string | null }> {
  return api.get(config.api as QueueApi, { query: search }) as Promise<{ data: (ListRow<A> & Shown)[]; nextCursor: string | null }>;
}
function record<A extends QueueApi>(config: QueueConfig<A>, id: string): Promise<Detail<A> & Shown> {
  return api.get(`${config.api}/{id}` as QueueRoutes[QueueApi], { params: { id } }) as Promise<Detail<A> & Shown>;
}

function queuePage<A extends QueueApi>(config: QueueConfig<A>): Page {
  return async (context) => {
    const filters: { name: string; label: string; values?: readonly string[] }[] = [{ name: 'status', label: 'Status', values: config.statuses }, ...(config.filters ?? [])];
    const current = Object.fromEntries(filters.map((filter) => [filter.name, context.search.get(filter.name) ?? '']));
    const page = await listPage(config, { ...current, limit: 100, cursor: context.search.get('cursor') });
    document.title = `${config.title} · ledgerflow`;
    const controls = filters.map((filter) => ({
      filter,
      control: filter.values ? select(filter.values, { empty: 'Any', selected: current[filter.name] }) : h('input', { value: current[filter.name], autocomplete: 'off' }),
    }));
    const form = h(
      'form',
      { class: 'filters panel', role: 'search', 'aria-label': `Filter ${config.title.toLowerCase()}` },
      controls.map(({ filter, control }) => field(filter.label, control)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters'), link(config.base, 'Clear')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      context.navigate(`${config.base}${query(Object.fromEntries(controls.map(({ filter, control }) => [filter.name, control.value.trim()])))}`);
    });
    replace(
      context.root,
      h('h1', {}, config.title),
      config.create ? config.create(context) : null,
      form,
      table(
        config.columns.map(([name]) => name),
        page.data.map((row) => h('tr', { 'data-id': row.id }, config.columns.map(([, cell], index) => h('td', {}, index === 0 ? link(`${config.base}/${encodeURIComponent(row.id)}`, cell(row)) : cell(row))))),
        { caption: 'Newest first', empty: `No ${config.title.toLowerCase()} match.` },
      ),
      page.nextCursor ? h('p', {}, link(`${config.base}${query({ ...current, cursor: page.nextCursor })}`, 'Next page →')) : null,
    );
  };
}

/** camelCase field names as words ("decisionDueAt" → "Decision due at"); nested ones joined ("penalty kind"). */
const label = (name: string) => {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/\./g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};
/** The scalar facts of a record, one level of nested objects flattened (order, penalty, decision, reversed). */
function facts(row: object, skip: string[] = []): [string, string][] {
  const entries: [string, string][] = [];
  const add = (name: string, value: unknown) => {
    if (Array.isArray(value) || skip.includes(name)) return;
    if (value !== null && typeof value === 'object') {
      for (const [inner, innerValue] of Object.entries(value)) if (innerValue === null || typeof innerValue !== 'object') add(`${name}.${inner}`, innerValue);
      return;
    }
    entries.push([label(name), /(At|\.at)$/.test(name) && typeof value === 'string' ? formatTime(value) : text(value)]);
  };
  for (const [name, value] of Object.entries(row)) add(name, value);
  return entries;
}

function detailPage<A extends QueueApi>(config: QueueConfig<A>): Page {
  return async (context) => {
    const row = await record(config, context.params.id!);
    document.title = `${config.title} ${row.id} · ledgerflow`;
    const reload = () => context.navigate(`${config.base}/${encodeURIComponent(row.id)}`);
    replace(
      context.root,
      h('p', {}, link(config.base, `← ${config.title}`)),
      h('h1', {}, `${config.title.replace(/s$/, '')} ${row.id.slice(0, 8)}`, ' ', statusBadge(row.status)),
      h(
        'section',
        { class: 'panel', 'data-status': row.status },
        definitionList(facts(row, ['workflowUrl', 'order'])),
        row.workflowUrl ? h('p', {}, h('a', { href: row.workflowUrl, target: '_blank', rel: 'noopener' }, `${row.workflowId} in the Temporal UI`)) : null,
        h('div', { class: 'actions', 'data-testid': 'lifecycle-actions' }, config.actions ? config.actions(row, reload) : []),
      ),
      ...(config.sections ? config.sections(row) : []),
    );
  };
}

/** A list of objects as a table of their own fields (timelines, steps, reversed commissions). */
function objectTable(title: string, items: unknown, render?: Record<string, (value: unknown, item: Record<string, unknown>) => Node | string>): HTMLElement | null {
  if (!Array.isArray(items) || items.length === 0) return null;
  const columns = [...new Set(items.flatMap((item) => Object.keys(item as object)))];
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, title),
    table(columns.map(label), items.map((item) => h('tr', {}, columns.map((column) => {
      const value = (item as Record<string, unknown>)[column];
      if (render?.[column]) return h('td', {}, render[column]!(value, item as Record<string, unknown>));
      return h('td', {}, value !== null && typeof value === 'object' ? JSON.stringify(value) : /At$/.test(column) && typeof value === 'string' ? formatTime(value) : text(value));
    })))),
  );
}

const actionButton = (label: string, open: () => Promise<boolean>, reload: () => void) =>
  h('button', { type: 'button', onclick: async () => { if (await open()) reload(); } }, label);

// Refunds (docs/rules.md#refunds).
const refunds: QueueConfig<'/v1/refunds'> = {
  title: 'Refunds',
  base: '/app/admin/refunds',
  api: '/v1/refunds',
  statuses: refundStatuses,
  filters: [
    { name: 'reason', label: 'Reason', values: refundReasons },
    { name: 'orderId', label: 'Order ID' },
    { name: 'partnerId', label: 'Seller (partner ID)' },
  ],
  columns: [
    ['Request ID', (row) => row.id.slice(0, 8)],
    ['Order', (row) => text(row.orderId)],
    ['Customer', (row) => text(row.customerId)],
    ['Amount', (row) => money(row)],
    ['Full / partial', (row) => text(row.type)],
    ['Reason', (row) => text(row.reason)],
    ['Status', (row) => h('span', {}, statusBadge(row.status), row.overdue ? h('span', { class: 'badge status-overdue' }, 'overdue') : null)],
    ['Requested at', (row) => formatTime(row.requestedAt)],
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
          const created = await api.post('/v1/refunds', {
            body: { orderId: values.orderId!.trim(), reason: values.reason as RefundReason, ...(values.amount!.trim() ? { amount: values.amount!.trim() } : {}), ...(values.note!.trim() ? { note: values.note!.trim() } : {}) },
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
                await api.post('/v1/refunds/{id}/approve', { params: { id: row.id }, body: values.reason!.trim() ? { reason: values.reason!.trim() } : {}, totp, idempotencyKey: newIdempotencyKey() });
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
                await api.post('/v1/refunds/{id}/reject', { params: { id: row.id }, body: { reason: values.reason!.trim() }, totp, idempotencyKey: newIdempotencyKey() });
                toast('Refund rejected.');
              },
            });
          }, reload),
        ],
  sections: (row) => [objectTable('Order', row.order ? [row.order] : null), objectTable('Commissions reversed', row.reversals)],
};

// Chargebacks (docs/rules.md#chargebacks).
const chargebacks: QueueConfig<'/v1/chargebacks'> = {
  title: 'Chargebacks',
  base: '/app/admin/chargebacks',
  api: '/v1/chargebacks',
  statuses: chargebackStatuses,
  filters: [
    { name: 'orderId', label: 'Order ID' },
    { name: 'partnerId', label: 'Seller (partner ID)' },
  ],
  create: (context) => h('div', { class: 'actions' }, h('button', {
    type: 'button', class: 'primary',
    onclick: () => {
      const orderId = h('input', { required: true, autocomplete: 'off' });
      const amount = h('input', { inputmode: 'decimal', required: true });
      const currency = h('input', { value: 'USD', maxlength: 5, required: true });
      const providerReference = h('input', { required: true, autocomplete: 'off' });
      const reasonCode = h('input', { required: true, maxlength: 100 });
      const note = h('input', { maxlength: 2000 });
      return formDialog({
        title: 'Enter a chargeback',
        intro: 'For a provider notice that did not arrive by webhook. The order’s commissions are reversed at once and the seller is flagged.',
        fields: [
          { name: 'orderId', label: 'Order ID', control: orderId },
          { name: 'amount', label: 'Amount charged back', control: amount },
          { name: 'currency', label: 'Currency', control: currency },
          { name: 'providerReference', label: 'Provider reference', control: providerReference },
          { name: 'reasonCode', label: 'Reason code', control: reasonCode, hint: 'The provider’s code, e.g. 10.4 or 4837' },
          { name: 'note', label: 'Note (optional)', control: note },
        ],
        submitLabel: 'Open chargeback',
        submit: async (values) => {
          const opened = await api.post('/v1/chargebacks', {
            body: {
              orderId: values.orderId!.trim(), amount: values.amount!.trim(), currency: values.currency!.trim().toUpperCase(),
              providerReference: values.providerReference!.trim(), reasonCode: values.reasonCode!.trim(), ...(values.note!.trim() ? { note: values.note!.trim() } : {}),
            },
            idempotencyKey: newIdempotencyKey(),
          });
          toast(opened.duplicate ? 'That provider reference is known: here is its chargeback.' : 'Chargeback opened.');
          context.navigate(`/app/admin/chargebacks/${opened.id}`);
        },
      });
    },
  }, 'Enter a chargeback…')),
  columns: [
    ['ID', (row) => row.id.slice(0, 8)],
    ['Provider reference', (row) => text(row.providerReference)],
    ['Order', (row) => text(row.orderId)],
    ['Seller', (row) => text(row.partnerId)],
    ['Amount', (row) => money(row)],
    ['Reason code', (row) => text(row.reasonCode)],
    ['Status', (row) => statusBadge(row.status)],
    ['Opened at', (row) => formatTime(row.openedAt)],
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
                await api.post('/v1/chargebacks/{id}/steps', { params: { id: row.id }, body: { step: values.step as ChargebackStep, ...(values.note!.trim() ? { note: values.note!.trim() } : {}) }, idempotencyKey: newIdempotencyKey() });
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
                await api.post('/v1/chargebacks/{id}/decision', {
                  params: { id: row.id },
                  body: { outcome: values.outcome as ChargebackOutcome, ...(values.amountWon!.trim() ? { amountWon: values.amountWon!.trim() } : {}), ...(values.note!.trim() ? { note: values.note!.trim() } : {}) },
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

// Disputes (docs/rules.md#disputes): the admins' side.
const evidenceTable = (row: Detail<'/v1/disputes'>) =>
  objectTable('Evidence', row.evidence, {
    file: (value) => {
      const file = value as Detail<'/v1/disputes'>['evidence'][number]['file'];
      if (!file) return '—';
      return h('button', { type: 'button', class: 'link', onclick: () => void download(file.url, file.fileName).catch((error: unknown) => toast(String((error as Error).message ?? error), 'error')) }, `${file.fileName} (${file.sizeBytes} bytes)`);
    },
  });

/** A chosen file as the API's { fileName, contentType, contentBase64 }, or undefined when none is chosen. */
async function fileBody(input: HTMLInputElement): Promise<{ fileName: string; contentType: string; contentBase64: string } | undefined> {
  const file = input.files?.[0];
  if (!file) return undefined;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  return { fileName: file.name, contentType: file.type || 'application/octet-stream', contentBase64: btoa(binary) };
}
/** Evidence is a PDF, PNG or JPEG: the file inputs offer only those, and the server refuses any other type, naming the field. */
const evidenceFileBody = (input: HTMLInputElement) => fileBody(input) as Promise<EvidenceFile | undefined>;
const resolveDialog = (row: Detail<'/v1/disputes'>) => {
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
      { name: 'amount', label: 'Amount (CORRECTION, GOODWILL)', control: amount, hint: 'CORRECTION: signed (−12.50 debits the partner); GOODWILL: positive' },
      { name: 'note', label: 'Note shown to the partner', control: note },
    ],
    totp: true,
    submitLabel: 'Resolve',
    submit: async (values, totp) => {
      await api.post('/v1/disputes/{id}/resolve', {
        params: { id: row.id },
        body: { resolution: values.resolution as DisputeResolution, note: values.note!.trim(), ...(values.errorKind ? { errorKind: values.errorKind as DisputeErrorKind } : {}), ...(values.amount!.trim() ? { amount: values.amount!.trim() } : {}) },
        totp,
        idempotencyKey: newIdempotencyKey(),
      });
      toast('Dispute resolved.');
    },
  });
};
const disputeColumns: QueueConfig<'/v1/disputes'>['columns'] = [
  ['ID', (row) => row.id.slice(0, 8)],
  ['Partner', (row) => text(row.partnerId)],
  ['Type', (row) => text(row.type)],
  ['Transaction', (row) => text(row.transactionRef)],
  ['Status', (row) => statusBadge(row.status)],
  ['Resolution', (row) => text(row.resolution)],
  ['Opened at', (row) => formatTime(row.openedAt)],
];
const disputes: QueueConfig<'/v1/disputes'> = {
  title: 'Disputes',
  base: '/app/admin/disputes',
  api: '/v1/disputes',
  statuses: disputeStatuses,
  filters: [
    { name: 'type', label: 'Type', values: disputeTypes },
    { name: 'partnerId', label: 'Partner ID' },
  ],
  columns: [...disputeColumns.slice(0, 6), ['Assignee', (row) => text(row.assigneeId?.slice(0, 8))], disputeColumns[6]!],
  actions: (row, reload) =>
    row.status === 'CLOSED'
      ? []
      : [
          actionButton('Claim', async () => {
            await api.post('/v1/disputes/{id}/assign', { params: { id: row.id }, body: {}, idempotencyKey: newIdempotencyKey() });
            toast('Assigned to you.');
            return true;
          }, reload),
          actionButton('Assign…', () => {
            const assigneeId = h('input', { required: true, autocomplete: 'off' });
            return formDialog({
              title: 'Assign dispute',
              fields: [{ name: 'assigneeId', label: 'Reviewer’s user ID', control: assigneeId }],
              submitLabel: 'Assign',
              submit: async (values) => {
                await api.post('/v1/disputes/{id}/assign', { params: { id: row.id }, body: { assigneeId: values.assigneeId!.trim() }, idempotencyKey: newIdempotencyKey() });
                toast('Assigned.');
              },
            });
          }, reload),
          actionButton('Resolve…', () => resolveDialog(row), reload),
        ],
  sections: (row) => [objectTable('Timeline', row.timeline), evidenceTable(row)],
};

// Disputes: the partner's side.
const partnerDisputes: QueueConfig<'/v1/disputes'> = {
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
    const evidenceFile = h('input', { type: 'file', accept: 'application/pdf,image/png,image/jpeg' });
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
          { name: 'file', label: 'Attach a file (PDF, PNG or JPEG, optional)', control: evidenceFile },
        ],
        submitLabel: 'Open dispute',
        submit: async (values) => {
          const file = await evidenceFileBody(evidenceFile);
          const evidenceValue = { ...(values.evidence!.trim() ? { text: values.evidence!.trim() } : {}), ...(file ? { file } : {}) };
          const created = await api.post('/v1/disputes', {
            body: { type: values.type as DisputeType, transactionRef: values.transactionRef!.trim(), description: values.description!.trim(), ...(Object.keys(evidenceValue).length > 0 ? { evidence: evidenceValue } : {}) },
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
          const evidence = h('textarea', { rows: 3, maxlength: 4000 });
          const evidenceFile = h('input', { type: 'file', accept: 'application/pdf,image/png,image/jpeg' });
          return formDialog({
            title: 'Send evidence',
            intro: row.status === 'INFORMATION_REQUESTED' ? `We need more information${row.informationDueAt ? ` by ${formatTime(row.informationDueAt)}` : ''}; without it the dispute closes.` : undefined,
            fields: [{ name: 'text', label: 'Evidence', control: evidence }, { name: 'file', label: 'Attach a file (PDF, PNG or JPEG, optional)', control: evidenceFile }],
            submitLabel: 'Send',
            submit: async (values) => {
              const file = await evidenceFileBody(evidenceFile);
              await api.post('/v1/disputes/{id}/evidence', { params: { id: row.id }, body: { ...(values.text!.trim() ? { text: values.text!.trim() } : {}), ...(file ? { file } : {}) }, idempotencyKey: newIdempotencyKey() });
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
              await api.post('/v1/disputes/{id}/escalate', { params: { id: row.id }, body: { reason: values.reason!.trim() }, idempotencyKey: newIdempotencyKey() });
              toast('Escalated to a senior admin.');
            },
          });
        }, reload)]
      : []),
  ],
  sections: (row) => [objectTable('Timeline', row.timeline), evidenceTable(row)],
};

// Manual commissions (docs/rules.md#manual-commissions).
const adjustments: QueueConfig<'/v1/adjustments'> = {
  title: 'Adjustments',
  base: '/app/admin/adjustments',
  api: '/v1/adjustments',
  statuses: ['AWAITING_APPROVAL', 'POSTED', 'REJECTED', 'EXPIRED'],
  filters: [
    { name: 'type', label: 'Type', values: ['BONUS', 'ADJUSTMENT', 'OTHER'] },
    { name: 'partnerId', label: 'Partner ID' },
  ],
  columns: [
    ['ID', (row) => row.id.slice(0, 8)],
    ['Partner', (row) => text(row.partnerId)],
    ['Type', (row) => text(row.type)],
    ['Amount', (row) => money(row)],
    ['Commission status', (row) => text(row.commissionStatus)],
    ['Status', (row) => statusBadge(row.status)],
    ['Reason', (row) => text(row.reason)],
    ['Created at', (row) => formatTime(row.createdAt)],
  ],
  create: (context) => {
    const partnerId = h('input', { required: true, autocomplete: 'off' });
    const type = select(['BONUS', 'ADJUSTMENT', 'OTHER']);
    const amount = h('input', { inputmode: 'decimal', required: true });
    const currency = h('input', { value: 'USD', maxlength: 5 });
    const status = select(['APPROVED', 'PENDING']);
    const reason = h('textarea', { rows: 2, maxlength: 1000, required: true });
    const period = h('input', { maxlength: 40, placeholder: 'e.g. 2026-11' });
    const documentation = h('input', { type: 'file' });
    return h('div', { class: 'actions' }, link('/app/admin/bulk-adjustments', 'Bulk adjustments →'), h('button', {
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
          { name: 'period', label: 'Period (optional)', control: period },
          { name: 'documentation', label: 'Documentation (optional)', control: documentation },
        ],
        totp: true,
        submitLabel: 'Create',
        submit: async (values, totp) => {
          const file = await fileBody(documentation);
          const created = await api.post('/v1/adjustments', {
            body: {
              partnerId: values.partnerId!.trim(), type: values.type as AdjustmentRequest['type'], amount: values.amount!.trim(), currency: values.currency!.trim().toUpperCase(), status: values.status as AdjustmentRequest['status'], reason: values.reason!.trim(),
              ...(values.period!.trim() ? { period: values.period!.trim() } : {}), ...(file ? { documentation: file } : {}),
            },
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
              await api.post('/v1/adjustments/{id}/approve', { params: { id: row.id }, body: {}, totp, idempotencyKey: newIdempotencyKey() });
              toast('Approved and posted.');
            },
          }), reload),
          actionButton('Reject…', () => {
            const reason = h('input', { required: true, maxlength: 1000 });
            return formDialog({
              title: 'Reject manual commission', fields: [{ name: 'reason', label: 'Reason', control: reason }], totp: true, danger: true, submitLabel: 'Reject',
              submit: async (values, totp) => {
                await api.post('/v1/adjustments/{id}/reject', { params: { id: row.id }, body: { reason: values.reason!.trim() }, totp, idempotencyKey: newIdempotencyKey() });
                toast('Rejected.');
              },
            });
          }, reload),
        ],
  sections: (row) => [
    h('section', { class: 'panel' }, h('h2', {}, 'Posting'), h('p', {},
      row.commissionId ? link(`/app/admin/commissions/${encodeURIComponent(row.commissionId)}`, `Commission ${row.commissionId}`) : 'Nothing is posted yet.',
    ), row.documentation
      ? h('p', {}, h('button', { type: 'button', onclick: () => void download(apiUrl('/v1/adjustments/{id}/documentation', { id: row.id }), row.documentation!.fileName).catch((error: unknown) => toast((error as Error).message, 'error')) }, 'Download the documentation'))
      : null),
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
