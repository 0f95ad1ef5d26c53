import { createRoute, z } from '@hono/zod-openapi';
import { documentContentTypes } from '../../../domain/documents.ts';
import { formatMoney } from '../../../domain/money.ts';
import { payoutPriorities } from '../../../domain/payout-policy.ts';
import type { AuthenticatedUser } from '../../../modules/identity/identity.ts';
import type { PayoutInitiator } from '../../../modules/payouts/create-payout.ts';
import type { InvoiceRow } from '../../../modules/payouts/invoices.ts';
import { findQueueRow, payoutFacts, type QueueRow } from '../../../modules/payouts/payout-queue.ts';
import { payoutRecordStatuses, type PayoutRecord } from '../../../modules/payouts/payout-store.ts';
import { payoutWorkflowId } from '../../../workflows/payout-messages.ts';
import { personRole, workflowUrl, type ApiDependencies } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { bearerSecurity, errorResponse } from '../../schemas.ts';

/**
 * What the payout routes share: the Payout as every one of them answers it (and how a queue row becomes one), the
 * shared parameters and error answers, and the checks every payout route makes of its caller.
 */

const approvalSchema = z.object({
  userId: z.string(),
  role: z.string(),
  decision: z.enum(['APPROVE', 'REJECT']),
  step: z.number().nullable(),
  at: z.string(),
});

export const invoiceSchema = z
  .object({
    id: z.string(),
    payoutId: z.string(),
    fileName: z.string(),
    contentType: z.enum(documentContentTypes),
    sizeBytes: z.number(),
    sha256: z.string(),
    uploadedBy: z.string(),
    uploadedAt: z.string(),
    url: z.string().openapi({ description: 'GET it for the file' }),
  })
  .openapi('PayoutInvoice');

export const payoutSchema = z
  .object({
    id: z.string(),
    workflowId: z.string().openapi({ description: 'payout-<id>; a DRAFT has none running until it is submitted' }),
    workflowUrl: z.string().nullable(),
    status: z.enum(payoutRecordStatuses).openapi({ description: 'AWAITING_PARTNER (docs/rules.md#partner-validation: “Pending”): the partner validates, and uploads an invoice when the policy asks, before the approval chain' }),
    partnerId: z.string(),
    partner: z.object({ id: z.string(), name: z.string(), rank: z.string() }).openapi({ description: 'The queue column in docs/rules.md#payout-queue: name and id' }),
    methodId: z.string(),
    currency: z.string(),
    amount: z.string(),
    fee: z.string().openapi({ description: 'What the platform keeps: the method’s fee plus, for a non-regular payout, the surcharge' }),
    nonRegular: z.boolean(),
    surcharge: z.string().openapi({ description: 'The non-regular surcharge included in `fee` (0 for a regular payout)' }),
    amountToTransfer: z.string(),
    amountRub: z.string().nullable().openapi({ description: 'RUB-equivalent at creation; null when no FX rate was known (highest approval tier)' }),
    priority: z.enum(payoutPriorities),
    slaDueAt: z.string(),
    slaBreached: z.boolean().openapi({ description: 'Open past its SLA, or closed after it; never for a draft' }),
    paymentDetails: z.record(z.string()),
    detailsHash: z.string().openapi({ description: 'Send it back with an approval: what the approver saw' }),
    detailsChanged: z
      .object({ changedFields: z.array(z.string()), previousPayoutId: z.string().nullable() })
      .openapi({ description: 'docs/rules.md#details-changed: the payment-detail fields that differ from the partner’s last completed payout by this method' }),
    initiatedBy: z.object({ userId: z.string(), role: z.string() }).openapi({ description: 'Role `system`: the payment schedule' }),
    draftedBy: z.string().nullable().openapi({ description: 'The admin who drafted it (neither they nor the submitter may approve it)' }),
    requestedAt: z.string().nullable().openapi({ description: 'When the amount was reserved (a draft: null until submitted)' }),
    scheduleDate: z.string().nullable().openapi({ description: 'The payment date of the schedule run that made it' }),
    assignedTo: z.object({ userId: z.string(), at: z.string() }).nullable().openapi({ description: 'The “Assigned To” in docs/rules.md#payout-queue' }),
    requiredChain: z.array(z.object({ roles: z.array(z.string()) })),
    approvals: z.array(approvalSchema),
    checklist: z.array(z.object({ check: z.string(), passed: z.boolean(), action: z.string(), detail: z.string() })),
    rejection: z.object({ code: z.string(), reason: z.string().nullable() }).nullable(),
    externalReference: z.string().nullable(),
    failure: z.object({ code: z.string(), reason: z.string().nullable() }).nullable(),
    reserveEntryId: z.string().nullable().openapi({ description: 'payout-reserve-<id>; null for a draft, and for a draft discarded before submission' }),
    settleEntryId: z.string().nullable(),
    confirmation: z
      .object({ id: z.string(), fileName: z.string(), sha256: z.string(), uploadedBy: z.string(), uploadedAt: z.string(), url: z.string() })
      .nullable()
      .openapi({ description: 'The current confirmation file of a manually processed payout (POST /v1/payouts/{id}/confirmation)' }),
    provider: z
      .object({
        attempt: z.number().openapi({ description: 'The current attempt at the provider (idempotency key <id>:<attempt>)' }),
        reference: z.string().nullable(),
        needsReview: z.boolean().openapi({ description: 'Attempts ran out: an admin completes or fails it' }),
      })
      .openapi({ description: 'AUTOMATIC methods: processing through the payment provider' }),
    partnerValidation: z
      .object({
        invoiceRequired: z.boolean(),
        dueAt: z.string().nullable().openapi({ description: 'Not validated by then: CANCELLED, the amount back to available (set once AWAITING_PARTNER)' }),
        validatedBy: z.string().nullable(),
        validatedAt: z.string().nullable(),
        validatedInvoiceId: z.string().nullable().openapi({ description: 'The invoice current when the partner validated' }),
        invoice: invoiceSchema.nullable().openapi({ description: 'The current invoice (the latest uploaded)' }),
      })
      .nullable()
      .openapi({ description: 'docs/rules.md#partner-validation: the partner validates before the approval chain (AWAITING_PARTNER); null when the payout’s policy version asks for no validation' }),
    policyVersion: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Payout');
export type PayoutBody = z.infer<typeof payoutSchema>;

export const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed'),
};
export const updateErrors = {
  ...errors,
  404: errorResponse('No such payout'),
  409: errorResponse('The payout’s state does not allow it, or what the approver saw changed'),
  422: errorResponse('Refused by the lifecycle'),
  503: errorResponse('Temporal unavailable'),
};
export const idParams = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
export const stepUpHeaders = z.object({
  'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }),
  'idempotency-key': z.string().optional(),
});
/** The body of an action that takes none. */
export const emptyBody = z.object({}).strict();
export const payoutResponse = (description: string) => ({ description, content: { 'application/json': { schema: payoutSchema } } });

/** A POST on one payout that answers with the payout afterwards: a decision, a draft's submission, an assignment. */
export const payoutActionRoute = (operationId: string, path: string, summary: string, body: z.ZodTypeAny, required: boolean) =>
  createRoute({
    method: 'post',
    path,
    operationId,
    summary,
    security: bearerSecurity,
    request: { params: idParams, headers: stepUpHeaders, body: { content: { 'application/json': { schema: body } }, required } },
    responses: { 200: payoutResponse('The payout after the decision'), ...updateErrors },
  });

export function toInvoice(row: InvoiceRow): z.infer<typeof invoiceSchema> {
  return {
    id: row.id,
    payoutId: row.payout_id,
    fileName: row.file_name,
    contentType: row.content_type,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    uploadedBy: row.uploaded_by,
    uploadedAt: row.uploaded_at.toISOString(),
    url: `/v1/payouts/${row.payout_id}/invoice`,
  };
}

/** The API's view of payouts: approvals, details changes, invoices and confirmations are read for the whole page at once. */
export function payoutViews(dependencies: ApiDependencies) {
  const toPayouts = async (rows: readonly QueueRow[]): Promise<PayoutBody[]> => {
    const facts = await payoutFacts(dependencies, rows);
    return rows.map((row, index) => {
      const { approvals, detailsChanged, invoice, confirmation, partnerValidation: validation } = facts[index]!;
      const money = (value: string) => formatMoney(value, row.currency);
      return {
        id: row.id,
        workflowId: payoutWorkflowId(row.id),
        workflowUrl: row.requested_at ? workflowUrl(dependencies, payoutWorkflowId(row.id)) : null,
        status: row.status,
        partnerId: row.partner_id,
        partner: { id: row.partner_id, name: row.partner_name, rank: row.partner_rank },
        methodId: row.method_id,
        currency: row.currency,
        amount: money(row.amount),
        fee: money(row.fee),
        nonRegular: row.non_regular,
        surcharge: money(row.surcharge),
        amountToTransfer: money(row.amount_to_transfer),
        amountRub: row.amount_rub,
        priority: row.priority,
        slaDueAt: row.sla_due_at.toISOString(),
        slaBreached: row.sla_breached,
        paymentDetails: row.payment_details,
        detailsHash: row.details_hash,
        detailsChanged,
        initiatedBy: { userId: row.initiated_by, role: row.initiated_role },
        draftedBy: row.drafted_by,
        requestedAt: row.requested_at?.toISOString() ?? null,
        scheduleDate: row.schedule_date,
        assignedTo: row.assigned_to && row.assigned_at ? { userId: row.assigned_to, at: row.assigned_at.toISOString() } : null,
        requiredChain: row.required_chain,
        approvals: approvals.map((approval) => ({
          userId: approval.approver_id,
          role: approval.role,
          decision: approval.decision,
          step: approval.step,
          at: approval.decided_at.toISOString(),
        })),
        checklist: row.checklist,
        rejection: row.rejection_code ? { code: row.rejection_code, reason: row.rejection_reason } : null,
        externalReference: row.external_reference,
        failure: row.failure_code ? { code: row.failure_code, reason: row.failure_reason } : null,
        reserveEntryId: row.reserve_entry_id,
        settleEntryId: row.settle_entry_id,
        confirmation: confirmation && {
          id: confirmation.id,
          fileName: confirmation.file_name,
          sha256: confirmation.sha256,
          uploadedBy: confirmation.uploaded_by,
          uploadedAt: confirmation.uploaded_at.toISOString(),
          url: `/v1/payouts/${row.id}/confirmation`,
        },
        provider: { attempt: row.provider_attempt, reference: row.provider_reference, needsReview: row.needs_review },
        partnerValidation:
          validation.required || row.partner_validation_due_at !== null
            ? {
                invoiceRequired: validation.invoiceRequired,
                dueAt: row.partner_validation_due_at?.toISOString() ?? null,
                validatedBy: row.partner_validated_by,
                validatedAt: row.partner_validated_at?.toISOString() ?? null,
                validatedInvoiceId: row.partner_invoice_id,
                invoice: invoice && toInvoice(invoice),
              }
            : null,
        policyVersion: row.policy_version,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      };
    });
  };

  const loadPayout = async (id: string): Promise<QueueRow> => {
    const row = await findQueueRow(dependencies.database, id);
    if (!row) throw new ApiError(404, 'not_found', `payout ${id} does not exist`, 'params.id');
    return row;
  };
  const toPayout = async (row: QueueRow): Promise<PayoutBody> => (await toPayouts([row]))[0]!;
  const reloadPayout = async (id: string): Promise<PayoutBody> => toPayout(await loadPayout(id));
  return { toPayouts, toPayout, loadPayout, reloadPayout };
}

/** A partner never learns that a draft exists (or existed, if it was discarded): to them it is not found. */
export function hideDraftFromPartner(user: AuthenticatedUser, row: PayoutRecord): void {
  if (user.role === 'partner' && row.requested_at === null) throw new ApiError(404, 'not_found', `payout ${row.id} does not exist`, 'params.id');
}

export function initiatorOf(user: AuthenticatedUser): PayoutInitiator {
  return { userId: user.id, role: personRole(user), auditActor: user.id };
}
