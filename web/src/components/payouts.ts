import { api, newIdempotencyKey } from '../api.ts';
import { formDialog } from '../dialog.ts';
import { definitionList, formatMoney, h, toast } from '../dom.ts';
import type { Payout } from '../types.ts';

/** The approval dialog: the amount and the details the approver sees are what the approval is bound to. */
export function approveDialog(payout: Payout, title = 'Approve payout'): Promise<boolean> {
  return formDialog({
    title,
    intro: h(
      'div',
      {},
      definitionList([
        ['Partner', `${payout.partner.name} (${payout.partnerId})`],
        ['Amount', formatMoney(payout.amount, payout.currency)],
        ['Amount to transfer', formatMoney(payout.amountToTransfer, payout.currency)],
        ['Method', payout.methodId],
        ['Paid to', Object.entries(payout.paymentDetails).map(([name, value]) => `${name}: ${value}`).join(', ')],
      ]),
      payout.detailsChanged.changedFields.length > 0 ? h('p', { class: 'warning' }, `Payment details changed since the last completed payout: ${payout.detailsChanged.changedFields.join(', ')}.`) : null,
      h('p', { class: 'muted small' }, 'Your approval is bound to this amount and these details; if either changes, it no longer counts.'),
    ),
    fields: [],
    totp: true,
    submitLabel: 'Approve',
    submit: async (_values, totp) => {
      await api.post('/v1/payouts/{id}/approve', { params: { id: payout.id }, body: { amount: payout.amount, detailsHash: payout.detailsHash }, totp, idempotencyKey: newIdempotencyKey() });
      toast(`Approved ${formatMoney(payout.amount, payout.currency)} for ${payout.partner.name}.`);
    },
  });
}
