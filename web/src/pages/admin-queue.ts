import { csvRecord } from '../../../domain/csv.ts';
import { api, query } from '../api.ts';
import { openCreatePayRunDialog } from '../components/pay-runs.ts';
import { approveDialog } from '../components/payouts.ts';
import { countdown, field, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { PageContext } from '../router.ts';

/** The queue in docs/rules.md#payout-queue: the statuses an admin works on (PENDING is REQUESTED here). */
const openStatuses = ['REQUESTED', 'HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL', 'APPROVED', 'PROCESSING'];
const allStatuses = [...openStatuses, 'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED', 'DRAFT'];
const ranks = ['0', '1', '2', '3', '4', '4_PRO', '5', '5_PRO', '6', '6_PRO', '7', '7_PRO', '8', '8_PRO', '9', '9_PRO', '10', '10_PRO'];
const filterNames = ['status', 'methodId', 'priority', 'rank', 'partnerId', 'minAmount', 'maxAmount', 'from', 'to', 'assignedTo', 'slaBreached', 'needsReview', 'sort', 'order'] as const;

/** The selection as CSV, through the server's own writer: quoted by RFC 4180, formulas neutralised (domain/csv.ts). */
function toCsv(rows: string[][]): string {
  return rows.map((row) => csvRecord(row, '\n')).join('');
}

function saveText(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const anchor = h('a', { href: url, download: name });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function adminQueuePage(context: PageContext) {
  const { root, search, user, navigate } = context;
  const filters = Object.fromEntries(filterNames.map((name) => [name, search.get(name) ?? ''])) as Record<(typeof filterNames)[number], string>;
  const statusFilter = filters.status || openStatuses.join(',');
  const toIso = (value: string) => (value ? new Date(`${value}T00:00:00Z`).toISOString() : undefined);
  // The emergency switches come first: an admin-only read, so the server's refusal (403) is what a partner who
  // types this address sees, and the queue says when processing is paused or a method is forced to manual.
  const switches = await api.get('/v1/ops/switches');
  const [{ payouts, next }, { methods }] = await Promise.all([
    api.get('/v1/payouts', {
      query: {
        status: statusFilter,
        methodId: filters.methodId,
        priority: filters.priority,
        rank: filters.rank,
        partnerId: filters.partnerId,
        minAmount: filters.minAmount,
        maxAmount: filters.maxAmount,
        from: toIso(filters.from),
        to: toIso(filters.to),
        assignedTo: filters.assignedTo === 'me' ? user.id : filters.assignedTo,
        slaBreached: filters.slaBreached,
        needsReview: filters.needsReview,
        sort: filters.sort || 'sla_due_at',
        order: filters.order || 'asc',
        limit: 100,
        after: search.get('after'),
      },
    }),
    api.get('/v1/payment-methods'),
  ]);
  document.title = 'Payout queue · ledgerflow';

  // The filter form: its values live in the URL, so a filtered queue can be bookmarked and reloaded.
  const controls = {
    status: h('select', { name: 'status' }, h('option', { value: '' }, 'Open (to work on)'), allStatuses.map((status) => h('option', { value: status, selected: filters.status === status }, status))),
    methodId: h('select', { name: 'methodId' }, h('option', { value: '' }, 'Any method'), methods.map((method) => h('option', { value: method.id, selected: filters.methodId === method.id }, method.name))),
    priority: h('select', { name: 'priority' }, h('option', { value: '' }, 'Any priority'), ['HIGH', 'NORMAL', 'REVIEW'].map((value) => h('option', { value, selected: filters.priority === value }, value))),
    rank: h('select', { name: 'rank' }, h('option', { value: '' }, 'Any rank'), ranks.map((value) => h('option', { value, selected: filters.rank === value }, value))),
    partnerId: h('input', { name: 'partnerId', value: filters.partnerId, placeholder: 'p_…' }),
    minAmount: h('input', { name: 'minAmount', value: filters.minAmount, inputmode: 'decimal' }),
    maxAmount: h('input', { name: 'maxAmount', value: filters.maxAmount, inputmode: 'decimal' }),
    from: h('input', { name: 'from', type: 'date', value: filters.from }),
    to: h('input', { name: 'to', type: 'date', value: filters.to }),
    assignedTo: h('select', { name: 'assignedTo' }, [['', 'Anyone'], ['me', 'Me'], ['none', 'Nobody']].map(([value, label]) => h('option', { value: value!, selected: filters.assignedTo === value }, label!))),
    slaBreached: h('select', { name: 'slaBreached' }, [['', 'Any SLA'], ['true', 'Past SLA'], ['false', 'Within SLA']].map(([value, label]) => h('option', { value: value!, selected: filters.slaBreached === value }, label!))),
    needsReview: h('select', { name: 'needsReview' }, [['', 'All'], ['true', 'Manual review queue']].map(([value, label]) => h('option', { value: value!, selected: filters.needsReview === value }, label!))),
    sort: h('select', { name: 'sort' }, [['sla_due_at', 'SLA deadline'], ['created_at', 'Requested at'], ['amount', 'Amount']].map(([value, label]) => h('option', { value: value!, selected: (filters.sort || 'sla_due_at') === value }, label!))),
    order: h('select', { name: 'order' }, [['asc', 'Ascending'], ['desc', 'Descending']].map(([value, label]) => h('option', { value: value!, selected: (filters.order || 'asc') === value }, label!))),
  };
  const labels: Record<keyof typeof controls, string> = {
    status: 'Status', methodId: 'Method', priority: 'Priority', rank: 'Partner rank', partnerId: 'Partner ID', minAmount: 'Min amount', maxAmount: 'Max amount',
    from: 'Requested from', to: 'Requested before', assignedTo: 'Assigned to', slaBreached: 'SLA', needsReview: 'Review', sort: 'Sort by', order: 'Order',
  };
  const filterForm = h(
    'form',
    { class: 'filters panel', role: 'search', 'aria-label': 'Filter the queue' },
    Object.entries(controls).map(([name, control]) => field(labels[name as keyof typeof controls], control)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters'), link('/app/admin/payouts', 'Clear')),
  );
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(`/app/admin/payouts${query(Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value])))}`);
  });

  const selected = new Set<string>();
  const selectionText = h('span', { class: 'muted', 'aria-live': 'polite' }, 'Nothing selected');
  const bulkApprove = h('button', { type: 'button', disabled: true }, 'Approve selected…');
  const bulkExport = h('button', { type: 'button', disabled: true }, 'Export selected (CSV)');
  const bulkAssign = h('button', { type: 'button', disabled: true }, 'Assign selected to me');
  const bulkPayRun = h('button', { type: 'button', disabled: true }, 'Pay run from selected…');
  const updateSelection = () => {
    selectionText.textContent = selected.size === 0 ? 'Nothing selected' : `${selected.size} selected`;
    for (const button of [bulkApprove, bulkPayRun, bulkExport, bulkAssign]) button.disabled = selected.size === 0;
  };
  const chosen = () => payouts.filter((payout) => selected.has(payout.id));

  bulkExport.addEventListener('click', () => {
    const rows = [['requestId', 'partnerId', 'partnerName', 'amount', 'currency', 'fee', 'amountToTransfer', 'method', 'requestedAt', 'status', 'priority', 'assignedTo', 'slaDueAt']];
    for (const payout of chosen()) {
      rows.push([payout.id, payout.partnerId, payout.partner.name, payout.amount, payout.currency, payout.fee, payout.amountToTransfer, payout.methodId, payout.requestedAt ?? '', payout.status, payout.priority, payout.assignedTo?.userId ?? '', payout.slaDueAt]);
    }
    saveText(toCsv(rows), `payout-queue-selection-${new Date().toISOString().slice(0, 10)}.csv`);
  });
  bulkAssign.addEventListener('click', async () => {
    let done = 0;
    for (const payout of chosen()) {
      try {
        await api.post('/v1/payouts/{id}/assign', { params: { id: payout.id }, body: { userId: user.id } });
        done += 1;
      } catch (error) {
        toast(`${payout.id.slice(0, 8)}: ${error instanceof Error ? error.message : String(error)}`, 'error');
      }
    }
    toast(`${done} assigned to you.`);
    await adminQueuePage(context);
  });
  // Each approval is its own step-up: the server accepts every TOTP code once, so the dialog asks for a fresh code
  // per payout and walks through the selection (Cancel stops).
  bulkApprove.addEventListener('click', async () => {
    const awaiting = chosen().filter((payout) => payout.status === 'AWAITING_APPROVAL');
    if (awaiting.length === 0) return toast('None of the selected payouts awaits approval.', 'error');
    let approved = 0;
    for (const [index, payout] of awaiting.entries()) {
      const ok = await approveDialog(payout, `Approve ${index + 1} of ${awaiting.length}`);
      if (!ok) break;
      approved += 1;
    }
    toast(`${approved} approved.`);
    await adminQueuePage(context);
  });

  // Issue #17: many payouts are approved together as one pay run (one code per approver), not one dialog each.
  bulkPayRun.addEventListener('click', () => {
    const awaiting = chosen().filter((payout) => payout.status === 'AWAITING_APPROVAL');
    if (awaiting.length === 0) return toast('None of the selected payouts awaits approval.', 'error');
    void openCreatePayRunDialog(navigate, { payoutIds: awaiting.map((payout) => payout.id) });
  });

  const countdownCells: { cell: HTMLElement; due: string; open: boolean }[] = [];
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every payout on this page' });
  const rowBoxes: HTMLInputElement[] = [];
  selectAll.addEventListener('change', () => {
    for (const box of rowBoxes) {
      box.checked = selectAll.checked;
      box.dispatchEvent(new Event('change'));
    }
  });
  const rows = payouts.map((payout) => {
    const box = h('input', { type: 'checkbox', 'aria-label': `Select payout ${payout.id}` });
    rowBoxes.push(box);
    box.addEventListener('change', () => {
      if (box.checked) selected.add(payout.id);
      else selected.delete(payout.id);
      updateSelection();
    });
    const slaCell = h('td', { class: 'sla' });
    countdownCells.push({ cell: slaCell, due: payout.slaDueAt, open: openStatuses.includes(payout.status) });
    return h(
      'tr',
      { 'data-payout-id': payout.id, class: payout.slaBreached ? 'breached' : '' },
      h('td', {}, box),
      h('td', { class: 'mono' }, link(`/app/admin/payouts/${payout.id}`, payout.id.slice(0, 8))),
      h('td', {}, link(`/app/admin/partners/${encodeURIComponent(payout.partnerId)}`, payout.partner.name), h('br'), h('small', { class: 'muted' }, payout.partnerId)),
      h('td', { class: 'number' }, formatMoney(payout.amount, payout.currency)),
      h('td', {}, payout.methodId),
      h('td', {}, formatTime(payout.requestedAt)),
      h('td', {}, statusBadge(payout.status), payout.provider.needsReview ? h('small', { class: 'warning-text' }, ' needs review') : null),
      h('td', {}, h('span', { class: `badge priority-${payout.priority.toLowerCase()}` }, payout.priority)),
      h('td', {}, payout.assignedTo ? (payout.assignedTo.userId === user.id ? 'me' : payout.assignedTo.userId.slice(0, 8)) : '—'),
      slaCell,
    );
  });
  const tick = () => {
    const now = Date.now();
    for (const item of countdownCells) {
      if (!item.open) {
        item.cell.textContent = '—';
        continue;
      }
      const left = countdown(item.due, now);
      item.cell.textContent = left.text;
      item.cell.classList.toggle('overdue', left.overdue);
    }
  };
  tick();
  const timer = setInterval(tick, 1_000);

  replace(
    root,
    h('h1', {}, 'Payout queue'),
    switches.processing.paused ? h('p', { class: 'warning', role: 'note' }, `Processing is paused: ${switches.processing.reason ?? ''}. Approved payouts wait.`) : null,
    switches.methods
      .filter((method) => method.forceManual)
      .map((method) => h('p', { class: 'warning', role: 'note' }, `${method.methodId} is switched to manual processing: ${method.reason ?? ''}`)),
    h('details', { class: 'filter-box', open: true }, h('summary', {}, 'Filters and sort'), filterForm),
    h('div', { class: 'bulk-bar' }, selectionText, bulkApprove, bulkPayRun, bulkAssign, bulkExport, link('/app/admin/exports', 'Export files (CSV, PayQuicker, per method)…')),
    table(
      [selectAll, 'Request ID', 'Partner', 'Amount', 'Method', 'Requested at', 'Status', 'Priority', 'Assigned to', 'SLA'],
      rows,
      { caption: `${payouts.length} payouts${next ? ' (more on the next page)' : ''}`, empty: 'No payouts match these filters.', className: 'queue' },
    ),
    next ? h('p', {}, link(`/app/admin/payouts${query({ ...filters, after: next })}`, 'Next page →')) : null,
  );
  return () => clearInterval(timer);
}
