import { api, newIdempotencyKey } from '../api.ts';
import { formDialog } from '../dialog.ts';
import { h, toast } from '../dom.ts';
import type { BodyOf } from '../types.ts';

/**
 * Creating a pay run (issue #17, docs/rules.md#pay-runs), from the pay-runs page, the payment schedule's preview (a
 * payment date) and the payout queue (the selected payouts): POST /v1/pay-runs with an Idempotency-Key.
 */

type Selection = BodyOf<'/v1/pay-runs', 'post'>['selection'];

/** Text split on commas, spaces and line breaks, empties dropped. */
const list = (text: string | undefined) => (text ?? '').split(/[\s,;]+/).map((item) => item.trim()).filter(Boolean);
/** A date input's value (YYYY-MM-DD) as the start of that day in UTC. */
const dayStart = (day: string) => new Date(`${day}T00:00:00Z`).toISOString();
const nextDayStart = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();

/** The dialog that creates a run: from a filter of AWAITING_APPROVAL payouts, or those requested on a payment date. */
export function openCreatePayRunDialog(navigate: (path: string) => void, preset: { paymentDate?: string; payoutIds?: string[] } = {}): Promise<boolean> {
  const kind = h('select', {}, h('option', { value: 'FILTER' }, 'A filter'), h('option', { value: 'DATE', selected: Boolean(preset.paymentDate) }, 'A payment date'));
  const methodIds = h('input', { placeholder: 'e.g. BANK_TRANSFER, YOOMONEY (empty: any)' });
  const currencies = h('input', { placeholder: 'e.g. USD, RUB (empty: any)' });
  const partnerIds = h('textarea', { rows: 2, placeholder: 'One per line or separated by commas (empty: any)' });
  const payoutIds = h('textarea', { rows: 2, placeholder: 'One per line or separated by commas (empty: any)' });
  payoutIds.value = (preset.payoutIds ?? []).join('\n');
  const createdFrom = h('input', { type: 'date' });
  const createdTo = h('input', { type: 'date' });
  const paymentDate = h('input', { type: 'date', value: preset.paymentDate ?? '' });
  const note = h('input', { maxlength: 500 });
  const byKind: Record<string, HTMLElement[]> = { FILTER: [methodIds, currencies, partnerIds, payoutIds, createdFrom, createdTo], DATE: [paymentDate] };
  const sync = () => {
    for (const [name, controls] of Object.entries(byKind)) for (const control of controls) control.closest<HTMLElement>('.field')!.hidden = name !== kind.value;
  };
  kind.addEventListener('change', sync);
  const done = formDialog({
    title: 'New pay run',
    intro: 'The run takes the payouts awaiting approval that match; it lists what it leaves out and why. Nothing is approved until an approver approves their group.',
    fields: [
      { name: 'kind', label: 'Take the payouts of', control: kind },
      { name: 'methodIds', label: 'Methods', control: methodIds },
      { name: 'currencies', label: 'Currencies', control: currencies },
      { name: 'partnerIds', label: 'Partner IDs', control: partnerIds },
      { name: 'payoutIds', label: 'Payout IDs', control: payoutIds },
      { name: 'createdFrom', label: 'Requested on or after', control: createdFrom },
      { name: 'createdTo', label: 'Requested before', control: createdTo },
      { name: 'paymentDate', label: 'Payment date', control: paymentDate, hint: 'The payouts the schedule (or anyone) requested on that date' },
      { name: 'note', label: 'Note (optional)', control: note },
    ],
    submitLabel: 'Create the run',
    submit: async (values) => {
      let selection: Selection;
      if (values.kind === 'DATE') {
        if (!values.paymentDate) throw new Error('Choose the payment date.');
        selection = { createdFrom: dayStart(values.paymentDate), createdTo: nextDayStart(values.paymentDate) };
      } else {
        selection = {};
        if (list(values.methodIds).length > 0) selection.methodIds = list(values.methodIds);
        if (list(values.currencies).length > 0) selection.currencies = list(values.currencies).map((currency) => currency.toUpperCase());
        if (list(values.partnerIds).length > 0) selection.partnerIds = list(values.partnerIds);
        if (list(values.payoutIds).length > 0) selection.payoutIds = list(values.payoutIds);
        if (values.createdFrom) selection.createdFrom = dayStart(values.createdFrom);
        if (values.createdTo) selection.createdTo = dayStart(values.createdTo);
      }
      const created = await api.post('/v1/pay-runs', { body: { selection, ...(values.note!.trim() ? { note: values.note!.trim() } : {}) }, idempotencyKey: newIdempotencyKey() });
      toast(`Pay run created: ${created.totals.byCurrency.reduce((count, row) => count + row.count, 0)} payouts.`);
      navigate(`/app/admin/pay-runs/${created.id}`);
    },
  });
  sync();
  return done;
}

export function createPayRunButton(navigate: (path: string) => void, preset: { paymentDate?: string; payoutIds?: string[] } = {}, label = 'New pay run…'): HTMLElement {
  return h('button', { type: 'button', class: 'primary', onclick: () => void openCreatePayRunDialog(navigate, preset) }, label);
}

