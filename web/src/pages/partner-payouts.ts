import { Money } from '../../../domain/money.ts';
import { computePayoutFee, validatePaymentDetails } from '../../../domain/payout.ts';
import { ApiFailure, api, download, newIdempotencyKey, query } from '../api.ts';
import { confirmDialog, showFailure, totpInput } from '../dialog.ts';
import { definitionList, field, formatMoney, formatTime, h, link, replace, setFieldError, statusBadge, table, toast } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { Payout } from '../types.ts';

/** What a status means to the partner. */
const statusMeanings: Record<string, string> = {
  REQUESTED: 'Received; the checks are running.',
  HELD: 'On hold until a check clears (see the reason below).',
  AWAITING_PARTNER: 'Waiting for you: confirm the payout (and upload an invoice when asked).',
  AWAITING_APPROVAL: 'Waiting for the finance team’s approval.',
  APPROVED: 'Approved; it will be sent with the next batch.',
  PROCESSING: 'Sent to the payment provider or the accountant.',
  COMPLETED: 'Paid.',
  REJECTED: 'Rejected; the amount went back to your balance (unless held for investigation).',
  CANCELLED: 'Cancelled; the amount went back to your balance.',
  FAILED: 'The payment failed; the amount went back to your balance and you may request again.',
};

export async function partnerPayoutsPage({ root, user, search }: PageContext) {
  const { payouts, next } = await api.get('/v1/payouts', { query: { partnerId: user.partnerId, sort: 'created_at', order: 'desc', limit: 50, after: search.get('after') } });
  document.title = 'Payouts · ledgerflow';
  replace(
    root,
    h('h1', {}, 'Your payouts'),
    h('p', {}, link('/app/partner/payouts/new', 'Request a payout')),
    table(
      ['Requested', 'Amount', 'Fee', 'You receive', 'Method', 'Status'],
      payouts.map((payout) =>
        h(
          'tr',
          { 'data-payout-id': payout.id },
          h('td', {}, link(`/app/partner/payouts/${payout.id}`, formatTime(payout.requestedAt ?? payout.createdAt))),
          h('td', { class: 'number' }, formatMoney(payout.amount, payout.currency)),
          h('td', { class: 'number' }, formatMoney(payout.fee, payout.currency)),
          h('td', { class: 'number' }, formatMoney(payout.amountToTransfer, payout.currency)),
          h('td', {}, payout.methodId),
          h('td', {}, statusBadge(payout.status)),
        ),
      ),
      { caption: 'Newest first', empty: 'No payouts yet.' },
    ),
    next ? h('p', {}, link(`/app/partner/payouts${query({ after: next })}`, 'Older payouts →')) : null,
  );
}

export async function partnerRequestPage({ root, user, navigate }: PageContext) {
  const partnerId = user.partnerId!;
  const [{ methods }, saved, { balances }, totpStatus] = await Promise.all([
    api.get('/v1/payment-methods'),
    api.get('/v1/partners/{id}/payment-methods', { params: { id: partnerId } }),
    api.get('/v1/partners/{id}/balances', { params: { id: partnerId } }),
    api.get('/v1/me/totp'),
  ]);
  document.title = 'Request a payout · ledgerflow';
  const method = h('select', { name: 'methodId', required: true }, methods.map((item) => h('option', { value: item.id }, `${item.name} (${item.currency})`)));
  const amount = h('input', { name: 'amount', inputmode: 'decimal', autocomplete: 'off', required: true, placeholder: '0.00' });
  const nonRegular = h('input', { type: 'checkbox', name: 'nonRegular' });
  const detailFields = h('fieldset', { class: 'details' });
  const summary = h('div', { class: 'summary', 'aria-live': 'polite', 'data-testid': 'payout-summary' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  // docs/rules.md#details-change-controls: once enrolled, a request that changes the saved details asks for a code.
  const totp = totpStatus.enrolled ? totpInput() : null;
  if (totp) totp.required = false;
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Request payout');
  let detailControls: Record<string, HTMLInputElement> = {};

  const selected = () => methods.find((item) => item.id === method.value)!;
  const availableIn = (currency: string) => balances.find((row) => row.currency === currency)?.available ?? '0';

  const renderDetails = () => {
    const current = selected();
    const savedDetails = saved.methods.find((item) => item.methodId === current.id);
    detailControls = {};
    replace(
      detailFields,
      h('legend', {}, `${current.name}: payment details`),
      current.fields.map((item) => {
        const control = h('input', { name: `paymentDetails.${item.name}`, required: item.required, autocomplete: 'off', value: savedDetails?.details[item.name] ?? '' });
        detailControls[item.name] = control;
        return field(`${item.label}${item.required ? '' : ' (optional)'}`, control);
      }),
      savedDetails && savedDetails.changedSinceLastCompleted.length > 0
        ? h('p', { class: 'warning' }, `Changed since your last completed payout by this method: ${savedDetails.changedSinceLastCompleted.join(', ')}.`)
        : null,
    );
  };

  /** Minimum, fee and amount to receive, with the same function (and rounding) the server uses. */
  const renderSummary = () => {
    const current = selected();
    const available = availableIn(current.currency);
    const facts: [string, string][] = [
      ['Available', formatMoney(available, current.currency)],
      ['Minimum payout', formatMoney(current.minPayout, current.currency)],
      ['Fee', `${current.feePercent} %, at least ${formatMoney(current.minFee, current.currency)}`],
    ];
    const text = amount.value.trim();
    let valid = /^\d{1,16}(\.\d{1,8})?$/.test(text) && new Money(text).isPositive();
    if (valid) {
      const price = computePayoutFee(text, current.currency, current, { nonRegular: nonRegular.checked });
      facts.push(['Fee for this amount', formatMoney(price.fee, current.currency)]);
      if (nonRegular.checked) facts.push(['of which non-regular surcharge', formatMoney(price.surcharge, current.currency)]);
      facts.push(['You receive', formatMoney(price.amountToTransfer, current.currency)]);
      if (new Money(text).lessThan(current.minPayout) && !nonRegular.checked) facts.push(['Note', 'Below the minimum payout: mark it non-regular (surcharge applies) or request more.']);
      if (new Money(text).greaterThan(available)) facts.push(['Note', 'More than your available balance.']);
      valid = new Money(price.amountToTransfer).isPositive();
    }
    replace(summary, h('dl', { class: 'facts' }, facts.map(([term, value]) => [h('dt', {}, term), h('dd', { 'data-fact': term }, value)])));
  };

  method.addEventListener('change', () => {
    renderDetails();
    renderSummary();
  });
  amount.addEventListener('input', () => {
    setFieldError(amount, null);
    renderSummary();
  });
  nonRegular.addEventListener('change', renderSummary);

  const form = h(
    'form',
    { class: 'panel', novalidate: true, 'aria-labelledby': 'request-title' },
    h('h1', { id: 'request-title' }, 'Request a payout'),
    field('Payment method', method),
    detailFields,
    field('Amount', amount, 'In the method’s currency; it is reserved from your available balance at once.'),
    h('div', { class: 'field checkbox' }, h('label', {}, nonRegular, ' Non-regular payout (off the payment schedule or below the minimum; a surcharge applies)')),
    summary,
    totp ? field('TOTP code (only when you changed the details)', totp, 'Changing where your money goes asks for a code from your authenticator.') : null,
    formError,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    setFieldError(amount, null);
    for (const control of Object.values(detailControls)) setFieldError(control, null);
    const current = selected();
    const details = Object.fromEntries(Object.entries(detailControls).filter(([, control]) => control.value.trim() !== '').map(([name, control]) => [name, control.value.trim()]));
    const issues = validatePaymentDetails(current, details);
    for (const issue of issues) if (detailControls[issue.field]) setFieldError(detailControls[issue.field]!, issue.message);
    if (!/^\d{1,16}(\.\d{1,8})?$/.test(amount.value.trim())) {
      setFieldError(amount, 'Enter an amount such as 100 or 100.50.');
      amount.focus();
      return;
    }
    if (issues.length > 0) {
      detailControls[issues[0]!.field]?.focus();
      return;
    }
    submit.disabled = true;
    try {
      const payout = await api.post('/v1/payouts', {
        body: { partnerId, amount: amount.value.trim(), currency: current.currency, methodId: current.id, paymentDetails: details, ...(nonRegular.checked ? { nonRegular: true } : {}) },
        idempotencyKey: newIdempotencyKey(),
        ...(totp && totp.value.trim() ? { totp: totp.value.trim() } : {}),
      });
      toast(`Payout requested: ${formatMoney(payout.amount, payout.currency)}`);
      navigate(`/app/partner/payouts/${payout.id}`);
    } catch (error) {
      const controls: Record<string, Element> = { amount, methodId: method, currency: method, nonRegular, ...(totp ? { 'X-TOTP-Code': totp } : {}) };
      for (const [name, control] of Object.entries(detailControls)) controls[`paymentDetails.${name}`] = control;
      showFailure(error, controls, formError);
    } finally {
      submit.disabled = false;
    }
  });
  renderDetails();
  renderSummary();
  replace(root, form);
  method.focus();
}

function payoutFacts(payout: Payout): HTMLElement {
  return definitionList([
    ['Status', h('span', {}, statusBadge(payout.status), ' ', h('span', { class: 'muted' }, statusMeanings[payout.status] ?? ''))],
    ['Amount', formatMoney(payout.amount, payout.currency)],
    ['Fee', `${formatMoney(payout.fee, payout.currency)}${payout.nonRegular ? ` (incl. surcharge ${formatMoney(payout.surcharge, payout.currency)})` : ''}`],
    ['Amount to transfer', h('strong', { 'data-testid': 'amount-to-transfer' }, formatMoney(payout.amountToTransfer, payout.currency))],
    ['Method', payout.methodId],
    ['Requested at', formatTime(payout.requestedAt)],
    ['Last change', formatTime(payout.updatedAt)],
  ]);
}

export async function partnerPayoutPage(context: PageContext) {
  let alive = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let shown = '';
  const load = async (): Promise<void> => {
    const payout = await api.get('/v1/payouts/{id}', { params: { id: context.params.id! } });
    if (!alive) return;
    // Re-render only on a change, so the polling never moves the partner's focus.
    const version = `${payout.updatedAt}|${payout.status}|${payout.partnerValidation?.invoice?.id ?? ''}`;
    if (version !== shown) {
      shown = version;
      renderPartnerPayout(context.root, payout, load);
    }
    // Until the payout is settled the page follows it (the provider's confirmation arrives by itself).
    // AWAITING_PARTNER waits for this partner: no re-render under their hands while they upload.
    if (!['COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED', 'AWAITING_PARTNER'].includes(payout.status)) {
      clearTimeout(timer);
      timer = setTimeout(() => void load().catch(() => {}), 2_000);
    }
  };
  await load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

function renderPartnerPayout(root: HTMLElement, payout: Payout, refresh: () => Promise<void>): void {
  document.title = `Payout ${payout.status} · ledgerflow`;
  const actions = h('div', { class: 'actions' });
  if (['REQUESTED', 'HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL', 'APPROVED'].includes(payout.status)) {
    actions.append(
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            if (!(await confirmDialog('Cancel this payout?', `The ${formatMoney(payout.amount, payout.currency)} returns to your available balance.`, 'Cancel payout'))) return;
            try {
              await api.post('/v1/payouts/{id}/cancel', { params: { id: payout.id }, body: {} });
              toast('Payout cancelled.');
            } catch (error) {
              toast(error instanceof Error ? error.message : String(error), 'error');
            }
            await refresh();
          },
        },
        'Cancel payout',
      ),
    );
  }
  replace(
    root,
    h('p', {}, link('/app/partner/payouts', '← All payouts')),
    h('h1', {}, `Payout of ${formatMoney(payout.amount, payout.currency)}`),
    h('section', { class: 'panel', 'data-payout-id': payout.id }, payoutFacts(payout), actions),
    payout.rejection ? h('section', { class: 'panel warning' }, h('h2', {}, 'Why it was rejected'), h('p', {}, `${payout.rejection.code}: ${payout.rejection.reason ?? ''}`)) : null,
    payout.failure ? h('section', { class: 'panel warning' }, h('h2', {}, 'Why it failed'), h('p', {}, `${payout.failure.code}${payout.failure.reason ? `: ${payout.failure.reason}` : ''}`)) : null,
    payout.status === 'HELD'
      ? h('section', { class: 'panel' }, h('h2', {}, 'On hold because'), h('ul', {}, payout.checklist.filter((item) => !item.passed).map((item) => h('li', {}, item.detail))))
      : null,
    validationPanel(payout, refresh),
    h('section', { class: 'panel' }, h('h2', {}, 'Paid to'), definitionList(Object.entries(payout.paymentDetails).map(([name, value]) => [name, value]))),
  );
}

/** docs/rules.md#partner-validation: the partner confirms the payout, uploading the invoice first when the policy asks for one. */
function validationPanel(payout: Payout, refresh: () => Promise<unknown>): HTMLElement | null {
  const validation = payout.partnerValidation;
  if (!validation) return null;
  if (validation.validatedAt) return h('section', { class: 'panel' }, h('h2', {}, 'Confirmed'), h('p', {}, `You confirmed this payout on ${formatTime(validation.validatedAt)}.`));
  const waiting = ['REQUESTED', 'HELD', 'AWAITING_PARTNER'].includes(payout.status);
  if (!waiting) return null;
  const file = h('input', { type: 'file', name: 'file', accept: 'application/pdf,image/png,image/jpeg' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const upload = h('form', { novalidate: true }, field('Invoice (PDF, PNG or JPEG, at most 5 MB)', file), h('button', { type: 'submit' }, 'Upload invoice'));
  upload.addEventListener('submit', async (event) => {
    event.preventDefault();
    setFieldError(file, null);
    const chosen = file.files?.[0];
    if (!chosen) return setFieldError(file, 'Choose the invoice file.');
    const form = new FormData();
    form.append('file', chosen, chosen.name);
    try {
      await api.post('/v1/payouts/{id}/invoice', { params: { id: payout.id }, form });
      toast('Invoice uploaded.');
      await refresh();
    } catch (error) {
      showFailure(error, { file, 'body.file': file }, formError);
    }
  });
  const confirm = h('button', { type: 'button', class: 'primary', disabled: payout.status !== 'AWAITING_PARTNER' }, 'Confirm amount and details');
  confirm.addEventListener('click', async () => {
    try {
      await api.post('/v1/payouts/{id}/validate', { params: { id: payout.id }, body: { amount: payout.amount, detailsHash: payout.detailsHash }, idempotencyKey: newIdempotencyKey() });
      toast('Payout confirmed.');
      await refresh();
    } catch (error) {
      formError.textContent = error instanceof ApiFailure && error.field === 'invoice' ? 'Upload the invoice first.' : error instanceof Error ? error.message : String(error);
    }
  });
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, 'Your confirmation'),
    h('p', {}, validation.invoiceRequired ? 'Upload your invoice, then confirm the amount and the payment details.' : 'Confirm the amount and the payment details.'),
    validation.dueAt ? h('p', { class: 'muted' }, `Confirm by ${formatTime(validation.dueAt)}, or the payout is cancelled and the amount returns to your balance.`) : null,
    validation.invoiceRequired
      ? h(
          'div',
          {},
          validation.invoice
            ? h('p', {}, 'Current invoice: ', h('button', { type: 'button', class: 'link', onclick: () => download(validation.invoice!.url, validation.invoice!.fileName) }, validation.invoice.fileName), ` (${validation.invoice.sizeBytes} bytes, ${formatTime(validation.invoice.uploadedAt)})`)
            : h('p', { class: 'warning' }, 'No invoice uploaded yet.'),
          upload,
        )
      : null,
    formError,
    h('div', { class: 'actions' }, confirm),
  );
}
