import { failureCodes, payoutFailureCodes, payoutRejectionCodes, rejectionDestination, type PayoutFailureCode, type PayoutRejectionCode } from '../../../domain/payout.ts';
import { ApiFailure, api, download, newIdempotencyKey } from '../api.ts';
import { approveDialog } from '../components/payouts.ts';
import { auditTrailTable } from '../components/audit-trail.ts';
import { formDialog } from '../dialog.ts';
import { countdown, definitionList, formatMoney, formatTime, h, link, replace, statusBadge, table, toast } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { AuditRecord, Payout } from '../types.ts';

function rejectDialog(payout: Payout): Promise<boolean> {
  const code = h(
    'select',
    { required: true },
    payoutRejectionCodes.map((value) =>
      h('option', { value }, `${value} — ${rejectionDestination(value) === 'held' ? 'amount moves to held for investigation' : 'amount returns to available'}`),
    ),
  );
  const reason = h('textarea', { required: true, rows: 3, maxlength: 500 });
  return formDialog({
    title: 'Reject payout',
    intro: `Reject ${formatMoney(payout.amount, payout.currency)} for ${payout.partner.name}. The partner is told the reason.`,
    fields: [
      { name: 'code', label: 'Reason code', control: code },
      { name: 'reason', label: 'Reason (shown to the partner)', control: reason },
    ],
    totp: true,
    submitLabel: 'Reject',
    danger: true,
    submit: async (values, totp) => {
      // docs/rules.md#payout-rejection: the reason text is mandatory (the server says so too; asking first spares the TOTP code).
      if (!values.reason!.trim()) throw new ApiFailure(400, 'invalid_request', 'A reason is required.', 'body.reason');
      await api.post('/v1/payouts/{id}/reject', { params: { id: payout.id }, body: { code: values.code as PayoutRejectionCode, reason: values.reason!.trim() }, totp, idempotencyKey: newIdempotencyKey() });
      toast('Payout rejected.');
    },
  });
}

/** Attaches the transfer's proof (PDF, PNG or JPEG) when one was chosen; the server checks type and size again. */
async function uploadConfirmation(payout: Payout, input: HTMLInputElement): Promise<void> {
  const chosen = input.files?.[0];
  if (!chosen) return;
  const form = new FormData();
  form.append('file', chosen, chosen.name);
  await api.post('/v1/payouts/{id}/confirmation', { params: { id: payout.id }, form });
}

function confirmationInput(): HTMLInputElement {
  return h('input', { type: 'file', accept: 'application/pdf,image/png,image/jpeg' });
}

function processDialog(payout: Payout): Promise<boolean> {
  const reference = h('input', { required: true, maxlength: 200, autocomplete: 'off' });
  const confirmation = confirmationInput();
  return formDialog({
    title: 'Record manual processing',
    intro: 'Enter the reference of the transfer you made (bank reference, transaction hash), and attach its confirmation if you have it. The payout becomes PROCESSING; complete it once the money arrived.',
    fields: [
      { name: 'externalReference', label: 'External reference', control: reference },
      { name: 'file', label: 'Confirmation file (optional: PDF, PNG or JPEG, at most 5 MB)', control: confirmation },
    ],
    totp: true,
    submitLabel: 'Mark processing',
    submit: async (values, totp) => {
      await api.post('/v1/payouts/{id}/process', { params: { id: payout.id }, body: { externalReference: values.externalReference!.trim() }, totp, idempotencyKey: newIdempotencyKey() });
      try {
        await uploadConfirmation(payout, confirmation);
        toast('Marked as processing.');
      } catch (error) {
        // The payout is PROCESSING already: say what happened to the file rather than offer the step again.
        toast(`Marked as processing, but the confirmation file was refused (${error instanceof Error ? error.message : String(error)}); attach it when completing.`);
      }
    },
  });
}

function completeDialog(payout: Payout): Promise<boolean> {
  const confirmation = confirmationInput();
  return formDialog({
    title: 'Mark payout paid',
    intro: `Confirm that ${formatMoney(payout.amountToTransfer, payout.currency)} reached ${payout.partner.name}${payout.externalReference ? ` (reference ${payout.externalReference})` : ''}.`,
    fields: payout.confirmation ? [] : [{ name: 'file', label: 'Confirmation file (optional: PDF, PNG or JPEG, at most 5 MB)', control: confirmation }],
    totp: true,
    submitLabel: 'Mark completed',
    submit: async (_values, totp) => {
      // The proof first: a refused file leaves the payout PROCESSING, so the admin can fix it and complete again.
      await uploadConfirmation(payout, confirmation);
      await api.post('/v1/payouts/{id}/complete', { params: { id: payout.id }, body: {}, totp, idempotencyKey: newIdempotencyKey() });
      toast('Payout completed.');
    },
  });
}

function failDialog(payout: Payout): Promise<boolean> {
  const code = h('select', { required: true }, payoutFailureCodes.map((value) => h('option', { value }, `${value} — ${failureCodes[value].description}`)));
  const reason = h('textarea', { rows: 3, maxlength: 500 });
  return formDialog({
    title: 'Mark payout failed',
    intro: `The ${formatMoney(payout.amount, payout.currency)} returns to the partner’s available balance and they are notified.`,
    fields: [
      { name: 'failureCode', label: 'Failure code', control: code },
      { name: 'reason', label: 'Reason (optional)', control: reason },
    ],
    totp: true,
    submitLabel: 'Mark failed',
    danger: true,
    submit: async (values, totp) => {
      await api.post('/v1/payouts/{id}/fail', { params: { id: payout.id }, body: { failureCode: values.failureCode as PayoutFailureCode, ...(values.reason!.trim() ? { reason: values.reason!.trim() } : {}) }, totp, idempotencyKey: newIdempotencyKey() });
      toast('Payout failed; the amount is back in available.');
    },
  });
}

function cancelDialog(payout: Payout): Promise<boolean> {
  const reason = h('textarea', { rows: 2, maxlength: 500 });
  return formDialog({
    title: 'Cancel payout',
    intro: `The ${formatMoney(payout.amount, payout.currency)} returns to the partner’s available balance.`,
    fields: [{ name: 'reason', label: 'Reason (optional)', control: reason }],
    submitLabel: 'Cancel payout',
    danger: true,
    submit: async (values) => {
      await api.post('/v1/payouts/{id}/cancel', { params: { id: payout.id }, body: values.reason!.trim() ? { reason: values.reason!.trim() } : {} });
      toast('Payout cancelled.');
    },
  });
}

function submitDraftDialog(payout: Payout): Promise<boolean> {
  return formDialog({
    title: 'Submit draft',
    intro: `Reserve ${formatMoney(payout.amount, payout.currency)} from ${payout.partner.name}’s available balance and start the payout.`,
    fields: [],
    totp: true,
    submitLabel: 'Submit',
    submit: async (_values, totp) => {
      await api.post('/v1/payouts/{id}/submit', { params: { id: payout.id }, body: {}, totp, idempotencyKey: newIdempotencyKey() });
      toast('Draft submitted.');
    },
  });
}

const checkNames: Record<string, string> = {
  KYC_APPROVED: 'KYC approved',
  PARTNER_ACTIVE: 'Partner active',
  ACCOUNT_AGE: 'Account age',
  PER_REQUEST_LIMIT: 'Per-request limit',
  NOT_FROZEN: 'Partner not frozen',
  DAILY_CAP: 'Daily cap',
  VELOCITY: 'Request velocity',
  NAME_MATCHES_KYC: 'Account name matches KYC name',
  UNUSUAL_AMOUNT: 'Usual amount for the partner',
  NO_OPEN_DISPUTES: 'No open disputes',
  NO_ACCOUNT_REVIEW: 'No account review',
  NO_CHARGEBACK_FLAGS: 'No chargeback flags',
};

export async function adminPayoutPage(context: PageContext) {
  const { root, params, user } = context;
  let alive = true;
  let timer: ReturnType<typeof setInterval> | undefined;
  let shown = '';
  const load = async () => {
    const [payout, trail] = await Promise.all([
      api.get('/v1/payouts/{id}', { params: { id: params.id! } }),
      api.get('/v1/reports/audit-trail', { query: { targetType: 'payout', targetId: params.id } }).catch(() => ({ records: [] as AuditRecord[] })),
    ]);
    if (!alive) return;
    // Re-render only on a change, so a keyboard user's focus is not reset by the polling.
    const version = `${payout.updatedAt}|${payout.status}|${payout.approvals.length}|${payout.assignedTo?.userId ?? ""}|${trail.records.length}`;
    if (version === shown) return;
    shown = version;
    render(payout, trail.records);
  };
  const act = (dialog: Promise<boolean>) => async () => {
    if (await dialog) await load();
  };

  const render = (payout: Payout, trail: AuditRecord[]) => {
    document.title = `Payout ${payout.id.slice(0, 8)} · ledgerflow`;
    const open = !['COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED'].includes(payout.status);
    const buttons: HTMLElement[] = [];
    const button = (label: string, handler: () => Promise<void>, kind = '') => h('button', { type: 'button', class: kind, onclick: handler }, label);
    if (payout.status === 'AWAITING_APPROVAL') buttons.push(button('Approve…', () => act(approveDialog(payout))(), 'primary'));
    if (['REQUESTED', 'HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL'].includes(payout.status)) buttons.push(button('Reject…', () => act(rejectDialog(payout))(), 'danger'));
    if (payout.status === 'HELD') {
      buttons.push(
        button('Release (re-run the checklist)', async () => {
          try {
            await api.post('/v1/payouts/{id}/release', { params: { id: payout.id }, body: {} });
            toast('Checklist re-run.');
          } catch (error) {
            toast(error instanceof Error ? error.message : String(error), 'error');
          }
          await load();
        }),
      );
    }
    if (payout.status === 'APPROVED') buttons.push(button('Record manual processing…', () => act(processDialog(payout))()));
    if (payout.status === 'PROCESSING' || payout.provider.needsReview) {
      buttons.push(button('Mark completed…', () => act(completeDialog(payout))(), 'primary'));
      buttons.push(button('Mark failed…', () => act(failDialog(payout))(), 'danger'));
    }
    if (payout.status === 'DRAFT') buttons.push(button('Submit draft…', () => act(submitDraftDialog(payout))(), 'primary'));
    if (['REQUESTED', 'HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL', 'APPROVED'].includes(payout.status)) buttons.push(button('Cancel…', () => act(cancelDialog(payout))()));
    if (open && payout.assignedTo?.userId !== user.id) {
      buttons.push(
        button('Assign to me', async () => {
          await api.post('/v1/payouts/{id}/assign', { params: { id: payout.id }, body: { userId: user.id } }).catch((error: unknown) => toast(String(error), 'error'));
          await load();
        }),
      );
    }

    const sla = countdown(payout.slaDueAt);
    const chain = payout.requiredChain.map((step, index) => {
      const approval = payout.approvals.find((item) => item.decision === 'APPROVE' && item.step === index);
      return h(
        'li',
        { class: approval ? 'done' : 'waiting' },
        `Step ${index + 1}: ${step.roles.map((role) => role.replaceAll('_', ' ')).join(' or ')} — `,
        approval ? `approved by ${approval.userId === user.id ? 'you' : approval.userId.slice(0, 8)} (${approval.role.replaceAll('_', ' ')}) at ${formatTime(approval.at)}` : 'waiting',
      );
    });
    const rejections = payout.approvals.filter((item) => item.decision === 'REJECT');
    replace(
      root,
      h('p', {}, link('/app/admin/payouts', '← Queue')),
      h('h1', {}, `Payout ${payout.id.slice(0, 8)} · ${formatMoney(payout.amount, payout.currency)}`),
      h(
        'section',
        { class: 'panel', 'data-payout-id': payout.id },
        h(
          'div',
          { class: 'grid-2' },
          definitionList([
            ['Status', h('span', {}, statusBadge(payout.status), payout.provider.needsReview ? h('strong', { class: 'warning-text' }, ' needs manual review') : null)],
            ['Partner', h('span', {}, link(`/app/admin/partners/${encodeURIComponent(payout.partnerId)}`, payout.partner.name), ` (${payout.partnerId}, rank ${payout.partner.rank})`)],
            ['Amount', formatMoney(payout.amount, payout.currency)],
            ['Fee', `${formatMoney(payout.fee, payout.currency)}${payout.nonRegular ? ` (non-regular, surcharge ${formatMoney(payout.surcharge, payout.currency)})` : ''}`],
            ['Amount to transfer', h('strong', {}, formatMoney(payout.amountToTransfer, payout.currency))],
            ['RUB-equivalent', payout.amountRub ? formatMoney(payout.amountRub, 'RUB') : 'no FX rate (highest tier)'],
          ]),
          definitionList([
            ['Method', payout.methodId],
            ['Priority', h('span', { class: `badge priority-${payout.priority.toLowerCase()}` }, payout.priority)],
            ['SLA', open ? h('span', { class: sla.overdue ? 'overdue' : '' }, `${formatTime(payout.slaDueAt)} (${sla.text})`) : formatTime(payout.slaDueAt)],
            ['Requested at', formatTime(payout.requestedAt)],
            ['Initiated by', `${payout.initiatedBy.role.replaceAll('_', ' ')} ${payout.initiatedBy.userId.slice(0, 8)}`],
            ['Assigned to', payout.assignedTo ? (payout.assignedTo.userId === user.id ? 'me' : payout.assignedTo.userId.slice(0, 8)) : '—'],
            ['External reference', payout.externalReference ?? payout.provider.reference ?? '—'],
            [
              'Confirmation file',
              payout.confirmation
                ? h('button', { type: 'button', class: 'link', 'data-testid': 'confirmation-download', onclick: () => download(payout.confirmation!.url, payout.confirmation!.fileName) }, payout.confirmation.fileName)
                : '—',
            ],
            [
              'Workflow',
              payout.workflowUrl
                ? h('a', { href: payout.workflowUrl, target: '_blank', rel: 'noopener', 'data-testid': 'workflow-link' }, `${payout.workflowId} in the Temporal UI`)
                : payout.workflowId,
            ],
          ]),
        ),
        h('div', { class: 'actions', 'data-testid': 'payout-actions' }, buttons),
      ),
      payout.rejection ? h('section', { class: 'panel warning' }, h('h2', {}, 'Rejected'), h('p', {}, `${payout.rejection.code}: ${payout.rejection.reason ?? ''}`)) : null,
      payout.failure ? h('section', { class: 'panel warning' }, h('h2', {}, 'Failed'), h('p', {}, `${payout.failure.code}: ${payout.failure.reason ?? failureCodes[payout.failure.code as keyof typeof failureCodes]?.description ?? ''}`)) : null,
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'Review checklist'),
        table(
          ['Check', 'Result', 'Action if failed', 'Detail'],
          payout.checklist.map((item) =>
            h(
              'tr',
              { class: item.passed ? '' : 'failed' },
              h('td', {}, checkNames[item.check] ?? item.check),
              h('td', {}, item.passed ? '✓ passed' : '✗ failed'),
              h('td', {}, item.action === 'PASS' ? '—' : item.action),
              h(
                'td',
                {},
                item.detail,
                !item.passed && ['NO_ACCOUNT_REVIEW', 'NO_CHARGEBACK_FLAGS', 'NO_OPEN_DISPUTES', 'NOT_FROZEN'].includes(item.check)
                  ? h('span', {}, ' ', link(`/app/admin/partners/${encodeURIComponent(payout.partnerId)}#flags`, 'see flags'))
                  : null,
              ),
            ),
          ),
          { empty: 'The checklist has not run yet.' },
        ),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'Approval chain'),
        h('ol', { class: 'chain', 'data-testid': 'approval-chain' }, chain),
        rejections.map((item) => h('p', { class: 'warning' }, `Rejected by ${item.userId.slice(0, 8)} (${item.role}) at ${formatTime(item.at)}`)),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'Payment details'),
        payout.detailsChanged.changedFields.length > 0
          ? h(
              'p',
              { class: 'warning', role: 'note', 'data-testid': 'details-changed' },
              `Changed since the partner’s last completed payout by this method: ${payout.detailsChanged.changedFields.join(', ')}. `,
              payout.detailsChanged.previousPayoutId ? link(`/app/admin/payouts/${payout.detailsChanged.previousPayoutId}`, 'previous payout') : null,
            )
          : h('p', { class: 'muted' }, 'Same details as the last completed payout by this method (or none before).'),
        definitionList(Object.entries(payout.paymentDetails).map(([name, value]) => [name, h('span', { class: payout.detailsChanged.changedFields.includes(name) ? 'changed' : '' }, value)])),
      ),
      payout.partnerValidation
        ? h(
            'section',
            { class: 'panel' },
            h('h2', {}, 'Partner validation'),
            definitionList([
              ['Invoice required', payout.partnerValidation.invoiceRequired ? 'yes' : 'no'],
              ['Validated', payout.partnerValidation.validatedAt ? formatTime(payout.partnerValidation.validatedAt) : 'not yet'],
              ['Invoice', payout.partnerValidation.invoice ? payout.partnerValidation.invoice.fileName : '—'],
            ]),
          )
        : null,
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, 'History'),
        auditTrailTable(trail, { showTarget: false, empty: 'No audit records yet.' }),
      ),
    );
    if (timer === undefined && open) {
      // The payout moves by itself (checklist, provider confirmations): the page follows it every few seconds.
      timer = setInterval(() => {
        if (!document.querySelector('.backdrop')) void load().catch(() => {});
      }, 3_000);
    }
  };
  await load();
  return () => {
    alive = false;
    clearInterval(timer);
  };
}
