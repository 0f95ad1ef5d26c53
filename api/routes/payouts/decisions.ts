import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import {
  ApplicationFailure,
  isGrpcServiceError,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { sql, type FragmentSqlToken, type ListSqlToken } from 'slonik';
import { z as zod } from 'zod';
import { can, type Permission } from '../../../domain/access.ts';
import type { AuthenticatedUser } from '../../../modules/identity/identity.ts';
import { Money, decimalPattern, fitsScale, formatMoney } from '../../../domain/money.ts';
import { ranks } from '../../../domain/network.ts';
import {
  isTerminalPayoutStatus,
  partnerValidationOf,
  payoutFailureCodes,
  payoutRejectionCodes,
  type PayoutActor,
} from '../../../domain/payout.ts';
import { appendAuditRecord } from '../../../modules/audit/audit-store.ts';
import { payoutPriorities, type PartnerValidationPolicy } from '../../../domain/payout-policy.ts';
import { policySchema } from '../../../domain/policy.ts';
import type { payoutWorkflow } from '../../../workflows/payout.ts';
import { approvePayoutUpdate, type PayoutRefusal, payoutRefusedType, payoutWorkflowId, cancelPayoutUpdate, completePayoutUpdate, failPayoutUpdate, markPayoutProcessingUpdate, rejectPayoutUpdate, releasePayoutUpdate, validatePayoutUpdate } from '../../../workflows/payout-messages.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../../context.ts';
import {
  createPayout as createPayoutRecord,
  discardPayoutDraft,
  payoutRecord,
  payoutRecordColumns,
  payoutRecordStatuses,
  startPayoutOrUndo,
  submitPayoutDraft,
  type PayoutInitiator,
  type PayoutRecord,
} from '../../../modules/payouts/create-payout.ts';
import { ApiError, validationError } from '../../errors.ts';
import { readUploadedDocument, storedFileResponse } from '../../files.ts';
import { documentContentTypes, documentMaxBytes } from '../../../domain/documents.ts';
import { runIdempotent } from '../../idempotency.ts';
import { detailsChangedSinceMany } from '../../../modules/payouts/details-change.ts';

import { amountSchema, bearerSecurity, currencySchema, errorResponse, partnerIdSchema, refineAmountScale } from '../../schemas.ts';

/** At most this many lines per bulk request. */
export const maxBulkPayouts = 500;
/** Wallets a bulk request works on at once (each holds a database connection while it writes). */
const bulkConcurrency = 4;

/** Room for the multipart envelope around the largest invoice. */
const invoiceEnvelopeBytes = 64 * 1024;

const payoutItemFields = {
  partnerId: partnerIdSchema,
  amount: amountSchema.refine((value) => new Money(value).isPositive(), 'a payout amount must be positive'),
  currency: currencySchema,
  methodId: z.string().min(1).max(40).openapi({ example: 'BANK_TRANSFER' }),
  paymentDetails: z
    .record(z.string().max(200))
    .optional()
    .openapi({ description: 'The method’s fields (policy `payouts.methods[].fields`); omitted: the partner’s saved details for the method' }),
  nonRegular: z
    .boolean()
    .optional()
    .openapi({ description: 'Source 004’s non-regular payment: off the schedule or below the method’s minimum, at the method’s `nonRegularSurchargePercent` (added to the fee)' }),
};

/** One line of a bulk request: a payout without the `draft` flag (the request carries it). */
const payoutItemSchema = z.object(payoutItemFields).strict().superRefine(refineAmountScale).openapi('BulkPayoutItem');

const createPayoutBody = z
  .object({
    ...payoutItemFields,
    draft: z
      .boolean()
      .optional()
      .openapi({ description: 'Admins only: a DRAFT — nothing is reserved, no workflow starts, the partner does not see it until it is submitted' }),
  })
  .strict()
  .superRefine(refineAmountScale)
  .openapi('CreatePayoutRequest');

const approvalSchema = z.object({
  userId: z.string(),
  role: z.string(),
  decision: z.enum(['APPROVE', 'REJECT']),
  step: z.number().nullable(),
  at: z.string(),
});

const invoiceSchema = z
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

const payoutSchema = z
  .object({
    id: z.string(),
    workflowId: z.string().openapi({ description: 'payout-<id>; a DRAFT has none running until it is submitted' }),
    workflowUrl: z.string().nullable(),
    status: z.enum(payoutRecordStatuses).openapi({ description: 'AWAITING_PARTNER (source 003 “Pending”): the partner validates, and uploads an invoice when the policy asks, before the approval chain' }),
    partnerId: z.string(),
    partner: z.object({ id: z.string(), name: z.string(), rank: z.string() }).openapi({ description: 'Source 000’s queue column: name and id' }),
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
      .openapi({ description: 'SPEC 6.6: the payment-detail fields that differ from the partner’s last completed payout by this method' }),
    initiatedBy: z.object({ userId: z.string(), role: z.string() }).openapi({ description: 'Role `system`: the payment schedule' }),
    draftedBy: z.string().nullable().openapi({ description: 'The admin who drafted it (neither they nor the submitter may approve it)' }),
    requestedAt: z.string().nullable().openapi({ description: 'When the amount was reserved (a draft: null until submitted)' }),
    scheduleDate: z.string().nullable().openapi({ description: 'The payment date of the schedule run that made it' }),
    assignedTo: z.object({ userId: z.string(), at: z.string() }).nullable().openapi({ description: 'Source 000’s “Assigned To”' }),
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
      .openapi({ description: 'Source 003: the partner validates before the approval chain (AWAITING_PARTNER); null when the payout’s policy version asks for no validation' }),
    policyVersion: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Payout');
type PayoutBody = zod.infer<typeof payoutSchema>;

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed'),
};
const updateErrors = {
  ...errors,
  404: errorResponse('No such payout'),
  409: errorResponse('The payout’s state does not allow it, or what the approver saw changed'),
  422: errorResponse('Refused by the lifecycle'),
  503: errorResponse('Temporal unavailable'),
};
const idParams = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const stepUpHeaders = z.object({
  'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }),
  'idempotency-key': z.string().optional(),
});
const payoutResponse = (description: string) => ({ description, content: { 'application/json': { schema: payoutSchema } } });

const createPayout = createRoute({
  method: 'post',
  path: '/',
  summary: 'Request a payout: reserves the amount (available → payout_reserved) and starts workflow payout-<id>; or an admin’s DRAFT',
  description:
    'A partner for themself, or an admin with a fresh TOTP code in `X-TOTP-Code`. With `"draft": true` (admins only, no TOTP: nothing moves) the payout is a DRAFT: validated and priced, nothing reserved, no workflow, invisible to the partner, until `POST /v1/payouts/{id}/submit`. Honours `Idempotency-Key`.',
  security: bearerSecurity,
  request: { headers: stepUpHeaders, body: { content: { 'application/json': { schema: createPayoutBody } }, required: true } },
  responses: {
    201: payoutResponse('Requested (the amount is reserved), or drafted'),
    ...errors,
    409: errorResponse('An active payout exists for this partner and currency, or the Idempotency-Key is in progress'),
    422: errorResponse('Unknown partner or method, below the minimum, or not enough available balance'),
    503: errorResponse('Temporal unavailable; the reservation was undone'),
  },
});

const bulkResultSchema = z
  .object({
    index: z.number(),
    status: z.enum(['CREATED', 'REFUSED']),
    payout: payoutSchema.optional(),
    error: z.object({ code: z.string(), field: z.string().optional(), message: z.string() }).optional().openapi({ description: 'The field is named as sent: `items[3].amount`' }),
  })
  .openapi('BulkPayoutResult');

const bulkPayouts = createRoute({
  method: 'post',
  path: '/bulk',
  summary: `Create up to ${maxBulkPayouts} payouts (or drafts) in one request; each line is processed on its own`,
  description:
    'Admins, with one fresh TOTP code for the request (none for drafts). A refused line (its error names the field, e.g. `items[3].amount`) changes nothing and does not stop the others. Honours `Idempotency-Key`: a replay answers the first response and creates nothing.',
  security: bearerSecurity,
  request: {
    headers: stepUpHeaders,
    body: {
      content: {
        'application/json': {
          schema: z.object({ draft: z.boolean().optional(), items: z.array(z.unknown()).min(1).max(maxBulkPayouts) }).strict().openapi('BulkPayoutRequest'),
        },
      },
      required: true,
    },
  },
  responses: {
    200: {
      description: 'One result per line, in order',
      content: { 'application/json': { schema: z.object({ created: z.number(), refused: z.number(), results: z.array(bulkResultSchema) }) } },
    },
    ...errors,
    409: errorResponse('The Idempotency-Key is in progress'),
  },
});

const sortKeys = ['sla_due_at', 'created_at', 'amount'] as const;
const listQuery = z.object({
  status: z
    .string()
    .transform((value) => value.split(','))
    .pipe(z.array(z.enum(payoutRecordStatuses)).min(1))
    .optional()
    .openapi({ description: 'One status or several, comma-separated (source 000: PENDING is REQUESTED). DRAFT is listed only when asked for, and never to partners' }),
  partnerId: partnerIdSchema.optional(),
  methodId: z.string().max(40).optional(),
  priority: z.enum(payoutPriorities).optional(),
  rank: z.enum(ranks).optional().openapi({ description: 'The partner’s current rank' }),
  minAmount: amountSchema.optional(),
  maxAmount: amountSchema.optional(),
  from: z.string().datetime({ offset: true }).optional().openapi({ description: 'Requested at or after' }),
  to: z.string().datetime({ offset: true }).optional().openapi({ description: 'Requested before' }),
  assignedTo: z.union([z.string().uuid(), z.literal('none')]).optional().openapi({ description: 'An admin’s user id, or `none`' }),
  slaBreached: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
  needsReview: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .openapi({ description: 'true: the manual review queue (automatic payouts whose provider attempts ran out)' }),
  sort: z.enum(sortKeys).default('sla_due_at'),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().max(300).optional().openapi({ description: 'The `next` cursor of the previous page (same sort and order)' }),
});

const listPayouts = createRoute({
  method: 'get',
  path: '/',
  summary: 'The payout queue (source 000’s columns and filters), soonest SLA first by default; partners see their own',
  security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: z.object({ payouts: z.array(payoutSchema), next: z.string().nullable() }) } } },
    ...errors,
  },
});

const getPayout = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'One payout: state, checklist, required chain, approvals, fee',
  security: bearerSecurity,
  request: { params: idParams },
  responses: { 200: payoutResponse('The payout'), ...errors, 404: errorResponse('No such payout') },
});

const updateRoute = (path: string, summary: string, body: z.ZodTypeAny, required: boolean) =>
  createRoute({
    method: 'post',
    path,
    summary,
    security: bearerSecurity,
    request: { params: idParams, headers: stepUpHeaders, body: { content: { 'application/json': { schema: body } }, required } },
    responses: { 200: payoutResponse('The payout after the decision'), ...updateErrors },
  });

const approveBody = z
  .object({
    amount: amountSchema.openapi({ description: 'The amount the approver saw' }),
    detailsHash: z.string().regex(/^[0-9a-f]{64}$/, 'the detailsHash the payout shows'),
  })
  .strict()
  .openapi('ApprovePayoutRequest');
const rejectBody = z.object({ code: z.enum(payoutRejectionCodes), reason: z.string().trim().min(1).max(500) }).strict().openapi('RejectPayoutRequest');
const cancelBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict().openapi('CancelPayoutRequest');
const emptyBody = z.object({}).strict();
const processBody = z.object({ externalReference: z.string().trim().min(1).max(200) }).strict().openapi('ProcessPayoutRequest');
const failBody = z
  .object({ failureCode: z.enum(payoutFailureCodes), reason: z.string().trim().min(1).max(500).optional() })
  .strict()
  .openapi('FailPayoutRequest');
const discardBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict().openapi('DiscardPayoutDraftRequest');
const assignBody = z
  .object({ userId: z.string().uuid().nullable().openapi({ description: 'The admin to assign; null removes the assignment' }) })
  .strict()
  .openapi('AssignPayoutRequest');

const approvePayout = updateRoute('/{id}/approve', 'Approve (one step of the chain); needs a fresh TOTP code', approveBody, true);
const rejectPayout = updateRoute('/{id}/reject', 'Reject with a reason code; needs a fresh TOTP code', rejectBody, true);
const cancelPayout = updateRoute('/{id}/cancel', 'Cancel before processing (the partner for their own, or an admin)', cancelBody, false);
const releasePayout = updateRoute('/{id}/release', 'Re-run the checklist of a HELD payout', emptyBody, false);
const processPayout = updateRoute('/{id}/process', 'Record the external reference (manual processing); needs a fresh TOTP code', processBody, true);
const completePayout = updateRoute('/{id}/complete', 'Mark paid; posts payout-complete-<id>; needs a fresh TOTP code', emptyBody, false);
const failPayout = updateRoute('/{id}/fail', 'Mark failed; the amount returns to available; needs a fresh TOTP code', failBody, true);
const submitDraft = updateRoute('/{id}/submit', 'Submit a DRAFT: reserves the amount and starts payout-<id> (same id); needs a fresh TOTP code', emptyBody, false);
const discardDraft = updateRoute('/{id}/discard', 'Discard a DRAFT (it becomes CANCELLED; nothing was reserved)', discardBody, false);
const assignPayout = updateRoute('/{id}/assign', 'Assign the payout to an admin in the queue, or remove the assignment', assignBody, true);

const validateBody = z
  .object({
    amount: amountSchema.openapi({ description: 'The amount the partner saw' }),
    detailsHash: z.string().regex(/^[0-9a-f]{64}$/, 'the detailsHash the payout shows'),
  })
  .strict()
  .openapi('ValidatePayoutRequest');
const validatePayout = createRoute({
  method: 'post',
  path: '/{id}/validate',
  summary: 'The partner validates their payout (AWAITING_PARTNER → AWAITING_APPROVAL), bound to the amount and details hash they saw',
  description:
    'Source 003: the partner confirms the amount and the payment details; when the payout’s policy requires an invoice, it must be uploaded first (409 `invoice_required`, field `invoice`), and the invoice current at this moment is the one recorded with the validation. Only the payout’s own partner. Honours `Idempotency-Key`.',
  security: bearerSecurity,
  request: { params: idParams, headers: stepUpHeaders, body: { content: { 'application/json': { schema: validateBody } }, required: true } },
  responses: { 200: payoutResponse('The payout after the validation'), ...updateErrors },
});

const invoiceUpload = z
  .object({
    file: z
      .custom<File>((value) => value instanceof File, 'attach the invoice as the multipart field "file"')
      .openapi({ type: 'string', format: 'binary', description: `PDF, PNG or JPEG, at most ${documentMaxBytes} bytes; the part’s Content-Type must be the file’s` }),
  })
  .openapi('PayoutInvoiceUpload');

/** 415 for anything but multipart/form-data, before the body is read. */
const requireMultipart: MiddlewareHandler = async (c, next) => {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new ApiError(415, 'unsupported_media_type', 'send the invoice as multipart/form-data with the file in the field "file"', 'Content-Type');
  }
  await next();
};
const limitInvoiceBody = bodyLimit({
  maxSize: documentMaxBytes + invoiceEnvelopeBytes,
  onError: () => {
    throw new ApiError(413, 'file_too_large', `an invoice may be at most ${documentMaxBytes} bytes (5 MB)`, 'body.file');
  },
});

const uploadInvoice = createRoute({
  method: 'post',
  path: '/{id}/invoice',
  summary: 'The partner uploads the invoice for their payout (source 003), before validating it',
  description:
    'multipart/form-data with one field, `file`: a PDF, PNG or JPEG of at most 5 MB whose content matches its type. Allowed while the payout waits for its partner (REQUESTED, HELD or AWAITING_PARTNER, not yet validated) under a policy version that asks for partner validation. A new upload replaces the current invoice (earlier ones are kept); the same file again changes nothing (200). 413 `file_too_large`, 415 `unsupported_media_type` (field `body.file`, or `Content-Type` when the request is not multipart), 400 naming `body.file`.',
  security: bearerSecurity,
  middleware: [requireMultipart, limitInvoiceBody] as const,
  request: { params: idParams, body: { content: { 'multipart/form-data': { schema: invoiceUpload } }, required: true } },
  responses: {
    201: { description: 'Uploaded: now the current invoice', content: { 'application/json': { schema: invoiceSchema } } },
    200: { description: 'The same file is already the current invoice; nothing changed', content: { 'application/json': { schema: invoiceSchema } } },
    ...errors,
    404: errorResponse('No such payout'),
    409: errorResponse('The payout does not wait for its partner, or the partner validated it already'),
    413: errorResponse('The file is larger than 5 MB'),
    415: errorResponse('Not multipart/form-data, or the file is not a PDF, PNG or JPEG'),
  },
});

const getInvoice = createRoute({
  method: 'get',
  path: '/{id}/invoice',
  summary: 'Download the payout’s current invoice (checked against its SHA-256)',
  security: bearerSecurity,
  request: { params: idParams },
  responses: {
    200: {
      description: 'The file (attachment)',
      content: Object.fromEntries(documentContentTypes.map((type) => [type, { schema: z.string().openapi({ format: 'binary' }) }])),
    },
    ...errors,
    404: errorResponse('No such payout, or no invoice uploaded'),
    500: errorResponse('The stored file no longer matches its checksum'),
  },
});

const approvalRow = zod.object({ payout_id: zod.string(), approver_id: zod.string(), role: zod.string(), decision: zod.enum(['APPROVE', 'REJECT']), step: zod.number().nullable(), decided_at: zod.date() });
const assigneeRow = zod.object({ role: zod.string(), disabled: zod.boolean() });
const invoiceRow = zod.object({
  id: zod.string(),
  payout_id: zod.string(),
  file_name: zod.string(),
  content_type: zod.enum(documentContentTypes),
  size_bytes: zod.number(),
  sha256: zod.string(),
  uploaded_by: zod.string(),
  uploaded_at: zod.date(),
});
type InvoiceRow = zod.infer<typeof invoiceRow>;
const confirmationSummaryRow = zod.object({
  id: zod.string(), payout_id: zod.string(), file_name: zod.string(), sha256: zod.string(), uploaded_by: zod.string(), uploaded_at: zod.date(),
});
const invoiceFileRow = zod.object({ id: zod.string(), file_name: zod.string(), content_type: zod.string(), content: zod.instanceof(Buffer), sha256: zod.string() });
const lockedPayoutRow = zod.object({ status: zod.string(), partner_validated: zod.boolean() });
const invoiceColumns = sql.fragment`id, payout_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at`;

function toInvoice(row: InvoiceRow): zod.infer<typeof invoiceSchema> {
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


/** A payout as the queue lists it: the row, its partner's name and rank, and whether its SLA is breached. */
const queueRow = payoutRecord.extend({
  partner_name: zod.string(),
  partner_rank: zod.string(),
  sla_breached: zod.boolean(),
  sort_key: zod.string(),
  partner_validation_due_at: zod.date().nullable(),
  partner_validated_by: zod.string().nullable(),
  partner_validated_at: zod.date().nullable(),
  partner_invoice_id: zod.string().nullable(),
});
type QueueRow = zod.infer<typeof queueRow>;

/**
 * SLA breached: an open request past its due time, or a closed one closed after it. A draft (never requested) has
 * no SLA running.
 */
const slaBreachedSql = sql.fragment`(CASE
  WHEN requested_at IS NULL THEN false
  WHEN status IN ('COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED') THEN coalesce(closed_at > sla_due_at, false)
  ELSE now() > sla_due_at END)`;

/** The sort keys of the queue: a column, and how a cursor's text value is read back (exactly, microseconds kept). */
const sortColumns: Record<(typeof sortKeys)[number], { column: FragmentSqlToken; valid: RegExp; cast: (key: string) => FragmentSqlToken }> = {
  sla_due_at: { column: sql.fragment`sla_due_at`, valid: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/, cast: (key) => sql.fragment`${key}::timestamptz` },
  created_at: { column: sql.fragment`created_at`, valid: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/, cast: (key) => sql.fragment`${key}::timestamptz` },
  amount: { column: sql.fragment`amount`, valid: decimalPattern, cast: (key) => sql.fragment`${key}::numeric` },
};

const cursorSchema = zod.tuple([zod.enum(sortKeys), zod.enum(['asc', 'desc']), zod.string(), zod.string().uuid()]);

function encodeCursor(sort: string, order: string, row: QueueRow): string {
  return Buffer.from(JSON.stringify([sort, order, row.sort_key, row.id])).toString('base64url');
}

function decodeCursor(text: string, sort: (typeof sortKeys)[number], order: 'asc' | 'desc'): { key: string; id: string } {
  let parsed: zod.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new ApiError(400, 'invalid_request', 'query.after: not a cursor this list gave out', 'query.after');
  }
  const [cursorSort, cursorOrder, key, id] = parsed;
  if (cursorSort !== sort || cursorOrder !== order) {
    throw new ApiError(400, 'invalid_request', `query.after: the cursor is for sort=${cursorSort}&order=${cursorOrder}`, 'query.after');
  }
  if (!sortColumns[sort].valid.test(key)) throw new ApiError(400, 'invalid_request', 'query.after: not a cursor this list gave out', 'query.after');
  return { key, id };
}

export function payoutRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal, ledger } = dependencies;
  const creation = { database, ledger, policies: dependencies.policies };
  const starter = { temporal, taskQueue: dependencies.taskQueue, ledger };

  const selectPayouts = (where: FragmentSqlToken | ListSqlToken, tail: FragmentSqlToken, sortColumn: FragmentSqlToken = sql.fragment`sla_due_at`) =>
    database.any(sql.type(queueRow)`
      SELECT ${payoutRecordColumns},
             (SELECT pa.name FROM partners pa WHERE pa.id = payouts.partner_id) AS partner_name,
             (SELECT pa.rank FROM partners pa WHERE pa.id = payouts.partner_id) AS partner_rank,
             ${slaBreachedSql} AS sla_breached,
             ${sortColumn}::text AS sort_key,
             partner_validation_due_at, partner_validated_by, partner_validated_at, partner_invoice_id
      FROM payouts WHERE ${where} ${tail}`);

  /** The API's view of payouts; approvals and details changes are read for the whole page at once. */
  const toPayouts = async (rows: readonly QueueRow[]): Promise<PayoutBody[]> => {
    if (rows.length === 0) return [];
    const ids = sql.array(rows.map((row) => row.id), 'uuid');
    const approvals = await database.any(sql.type(approvalRow)`
      SELECT payout_id, approver_id, role, decision, step, decided_at FROM payout_approvals
      WHERE payout_id = ANY(${ids}) ORDER BY decided_at, approver_id`);
    const changes = await detailsChangedSinceMany(database, rows.map((row) => row.id));
    const invoices = new Map(
      (
        await database.any(sql.type(invoiceRow)`
          SELECT DISTINCT ON (payout_id) ${invoiceColumns} FROM payout_invoices
          WHERE payout_id = ANY(${ids}) ORDER BY payout_id, id DESC`)
      ).map((invoice) => [invoice.payout_id, toInvoice(invoice)]),
    );
    const confirmations = new Map(
      (
        await database.any(sql.type(confirmationSummaryRow)`
          SELECT DISTINCT ON (payout_id) id::text, payout_id, file_name, sha256, uploaded_by, uploaded_at FROM payout_confirmations
          WHERE payout_id = ANY(${ids}) ORDER BY payout_id, id DESC`)
      ).map((row) => [
        row.payout_id,
        { id: row.id, fileName: row.file_name, sha256: row.sha256, uploadedBy: row.uploaded_by, uploadedAt: row.uploaded_at.toISOString(), url: `/v1/payouts/${row.payout_id}/confirmation` },
      ]),
    );
    // Whether a payout waits for its partner is decided by the policy version it was requested under.
    const versions = new Map<number, PartnerValidationPolicy>();
    for (const version of new Set(rows.map((row) => row.policy_version))) versions.set(version, await partnerValidationFor(version));
    return rows.map((row) => {
      const validation = versions.get(row.policy_version);
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
        detailsChanged: changes.get(row.id) ?? { changedFields: [], previousPayoutId: null },
        initiatedBy: { userId: row.initiated_by, role: row.initiated_role },
        draftedBy: row.drafted_by,
        requestedAt: row.requested_at?.toISOString() ?? null,
        scheduleDate: row.schedule_date,
        assignedTo: row.assigned_to && row.assigned_at ? { userId: row.assigned_to, at: row.assigned_at.toISOString() } : null,
        requiredChain: row.required_chain,
        approvals: approvals
          .filter((approval) => approval.payout_id === row.id)
          .map((approval) => ({
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
        confirmation: confirmations.get(row.id) ?? null,
        provider: { attempt: row.provider_attempt, reference: row.provider_reference, needsReview: row.needs_review },
        partnerValidation:
          validation?.required || row.partner_validation_due_at !== null
            ? {
                invoiceRequired: validation?.invoiceRequired ?? false,
                dueAt: row.partner_validation_due_at?.toISOString() ?? null,
                validatedBy: row.partner_validated_by,
                validatedAt: row.partner_validated_at?.toISOString() ?? null,
                validatedInvoiceId: row.partner_invoice_id,
                invoice: invoices.get(row.id) ?? null,
              }
            : null,
        policyVersion: row.policy_version,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      };
    });
  };

  const loadPayout = async (id: string): Promise<QueueRow> => {
    const [row] = await selectPayouts(sql.fragment`id = ${id}`, sql.fragment``);
    if (!row) throw new ApiError(404, 'not_found', `payout ${id} does not exist`, 'params.id');
    return row;
  };

  /**
   * The partner-validation settings of a policy version. The store's list is cached for a few seconds, so a version
   * another process added just now is read from the table instead.
   */
  const partnerValidationFor = async (version: number): Promise<PartnerValidationPolicy> => {
    const cached = await dependencies.policies.byVersion(version);
    if (cached) return partnerValidationOf(cached.policy.payouts);
    const document = await database.oneFirst(sql.type(zod.object({ document: zod.unknown() }))`
      SELECT document FROM policy_versions WHERE version = ${version}`);
    return partnerValidationOf(policySchema.parse(document).payouts);
  };

  const toPayout = async (row: QueueRow): Promise<PayoutBody> => (await toPayouts([row]))[0]!;
  const reloadPayout = async (id: string): Promise<PayoutBody> => toPayout(await loadPayout(id));

  /** A partner never learns that a draft exists (or existed, if it was discarded): to them it is not found. */
  const hideDraftFromPartner = (user: AuthenticatedUser, row: PayoutRecord) => {
    if (user.role === 'partner' && row.requested_at === null) throw new ApiError(404, 'not_found', `payout ${row.id} does not exist`, 'params.id');
  };

  const initiatorOf = (user: AuthenticatedUser): PayoutInitiator => ({ userId: user.id, role: user.role, auditActor: user.id });

  /**
   * Sends one update to `payout-<id>` with the verified actor, and answers with the payout as the database has it
   * afterwards (the update's activities wrote it before the update returned). Refusals become 403/409/422.
   */
  const decide = async (
    c: Context<ApiEnv>,
    input: {
      id: string;
      permission: Permission;
      /** The payout's partner may do it for themself (cancel, validate). */
      partnerMay: boolean;
      /** Only the payout's partner may do it (validate): admins are refused whatever their permissions. */
      partnerOnly?: boolean;
      /** Completes "… needs a fresh TOTP code"; null: no step-up. */
      totpAction: string | null;
      fingerprint: unknown;
      send: (handle: WorkflowHandle<typeof payoutWorkflow>, actor: PayoutActor, row: QueueRow) => Promise<unknown>;
    },
  ) => {
    const user: AuthenticatedUser = c.get('user');
    const headers = c.req.header();
    const row = await loadPayout(input.id);
    if (user.role === 'partner') {
      hideDraftFromPartner(user, row);
      if (!input.partnerMay || user.partnerId !== row.partner_id) throw new ApiError(403, 'forbidden', 'partners may only cancel or validate their own payouts');
    } else {
      if (input.partnerOnly) throw new ApiError(403, 'forbidden', 'only the payout’s partner may do this');
      requirePermission(user, input.permission);
    }
    const result = await runIdempotent(
      database,
      { userId: user.id, key: headers['idempotency-key'], fingerprint: input.fingerprint },
      async () => {
        if (user.role !== 'partner' && input.totpAction) await requireFreshTotp(identity, user, headers['x-totp-code'], input.totpAction);
        if (row.status === 'DRAFT') throw new ApiError(409, 'invalid_state', 'the payout is a DRAFT: submit or discard it', 'status');
        if (isTerminalPayoutStatus(row.status)) throw new ApiError(409, 'invalid_state', `the payout is ${row.status}`, 'status');
        const handle = temporal.workflow.getHandle<typeof payoutWorkflow>(payoutWorkflowId(input.id));
        try {
          await input.send(handle, { userId: user.id, role: user.role }, row);
        } catch (error) {
          throw translateUpdateError(error);
        }
        return { status: 200, body: await reloadPayout(input.id) };
      },
    );
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as PayoutBody, 200);
  };

  /** An admin's action on a DRAFT (submit, discard): permission, idempotency, then the action. */
  const onDraft = async (c: Context<ApiEnv>, id: string, fingerprint: unknown, action: (user: AuthenticatedUser, headers: Record<string, string>) => Promise<PayoutBody>) => {
    const user: AuthenticatedUser = c.get('user');
    const headers = c.req.header();
    if (user.role === 'partner') {
      hideDraftFromPartner(user, await loadPayout(id));
      throw new ApiError(403, 'forbidden', 'only admins act on drafts');
    }
    requirePermission(user, 'payouts.create.any');
    const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint }, async () => ({
      status: 200,
      body: await action(user, headers),
    }));
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as PayoutBody, 200);
  };

  return createSubApp()
    .openapi(createPayout, async (c) => {
      const user = c.get('user');
      const { draft = false, ...body } = c.req.valid('json');
      const headers = c.req.valid('header');
      if (user.role === 'partner') {
        if (draft) throw new ApiError(403, 'forbidden', 'only admins draft payouts', 'body.draft');
        if (user.partnerId !== body.partnerId) throw new ApiError(403, 'forbidden', 'partners may only request payouts for themselves', 'body.partnerId');
      } else {
        requirePermission(user, 'payouts.create.any');
      }
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: draft ? ['POST /v1/payouts', body, 'draft'] : ['POST /v1/payouts', body] },
        async () => {
          if (user.role !== 'partner' && !draft) await requireFreshTotp(identity, user, headers['x-totp-code'], 'a payout requested by an admin');
          const created = await createPayoutRecord(creation, body, {
            initiator: initiatorOf(user),
            field: (name) => `body.${name}`,
            ip: clientIp(c.req.raw.headers),
            draft,
          });
          if (created.start) await startPayoutOrUndo(starter, created.start);
          return { status: 201, body: await reloadPayout(created.row.id) };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as PayoutBody, 201);
    })
    .openapi(bulkPayouts, async (c) => {
      const user = c.get('user');
      const { draft = false, items } = c.req.valid('json');
      const headers = c.req.valid('header');
      requirePermission(user, 'payouts.create.any');
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/payouts/bulk', items, draft] },
        async () => {
          if (!draft) await requireFreshTotp(identity, user, headers['x-totp-code'], 'a bulk payout request');
          const ip = clientIp(c.req.raw.headers);
          const results: zod.infer<typeof bulkResultSchema>[] = new Array(items.length);
          const refuse = (index: number, error: ApiError) => {
            results[index] = { index, status: 'REFUSED', error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
          };
          // Lines of one wallet (partner and currency) run in order, so the earlier line wins a conflict exactly as
          // if the request ran line by line; different wallets run a few at a time. Each line is its own
          // transaction: a refused line changes nothing and the others go on.
          const wallets = new Map<string, { index: number; input: zod.infer<typeof payoutItemSchema> }[]>();
          for (const [index, item] of items.entries()) {
            const parsed = payoutItemSchema.safeParse(item);
            if (!parsed.success) {
              refuse(index, validationError(parsed.error, `items[${index}]`));
              continue;
            }
            const wallet = `${parsed.data.partnerId}\u0000${parsed.data.currency}`;
            wallets.set(wallet, [...(wallets.get(wallet) ?? []), { index, input: parsed.data }]);
          }
          const queue = [...wallets.values()];
          const createdIds = new Map<number, string>();
          let failure: { error: unknown } | null = null;
          const work = async () => {
            for (let lines = queue.shift(); lines && !failure; lines = queue.shift()) {
              for (const { index, input } of lines) {
                try {
                  const created = await createPayoutRecord(creation, input, { initiator: initiatorOf(user), field: (name) => `items[${index}].${name}`, ip, draft });
                  if (created.start) await startPayoutOrUndo(starter, created.start);
                  createdIds.set(index, created.row.id);
                } catch (error) {
                  if (error instanceof ApiError) refuse(index, error);
                  else failure ??= { error };
                }
              }
            }
          };
          await Promise.all(Array.from({ length: Math.min(bulkConcurrency, queue.length) }, work));
          if (failure) throw (failure as { error: unknown }).error;
          // The created payouts as they are now, read in one go.
          const rows = await selectPayouts(sql.fragment`id = ANY(${sql.array([...createdIds.values()], 'uuid')})`, sql.fragment``);
          const bodies = new Map((await toPayouts(rows)).map((payout) => [payout.id, payout]));
          for (const [index, id] of createdIds) results[index] = { index, status: 'CREATED', payout: bodies.get(id)! };
          const created = results.filter((line) => line.status === 'CREATED').length;
          return { status: 200, body: { created, refused: results.length - created, results } };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as { created: number; refused: number; results: zod.infer<typeof bulkResultSchema>[] }, 200);
    })
    .openapi(listPayouts, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'payouts.read.any');
      const conditions = [sql.fragment`TRUE`];
      const statuses = query.status?.filter((status) => user.role !== 'partner' || status !== 'DRAFT');
      if (statuses) conditions.push(sql.fragment`status = ANY(${sql.array(statuses, 'text')})`);
      // Drafts are an admin's working copies: listed only when asked for by status, and never to their partner.
      if (!statuses?.includes('DRAFT')) conditions.push(sql.fragment`status <> 'DRAFT'`);
      if (user.role === 'partner') conditions.push(sql.fragment`requested_at IS NOT NULL`);
      if (partnerId) conditions.push(sql.fragment`partner_id = ${partnerId}`);
      if (query.methodId) conditions.push(sql.fragment`method_id = ${query.methodId}`);
      if (query.priority) conditions.push(sql.fragment`priority = ${query.priority}`);
      if (query.rank) conditions.push(sql.fragment`partner_id IN (SELECT id FROM partners WHERE rank = ${query.rank})`);
      if (query.minAmount) conditions.push(sql.fragment`amount >= ${query.minAmount}::numeric`);
      if (query.maxAmount) conditions.push(sql.fragment`amount <= ${query.maxAmount}::numeric`);
      if (query.from) conditions.push(sql.fragment`requested_at >= ${query.from}::timestamptz`);
      if (query.to) conditions.push(sql.fragment`requested_at < ${query.to}::timestamptz`);
      if (query.assignedTo === 'none') conditions.push(sql.fragment`assigned_to IS NULL`);
      else if (query.assignedTo) conditions.push(sql.fragment`assigned_to = ${query.assignedTo}`);
      if (query.slaBreached !== undefined) conditions.push(query.slaBreached ? slaBreachedSql : sql.fragment`NOT ${slaBreachedSql}`);
      if (query.needsReview === true) conditions.push(sql.fragment`needs_review AND status = 'PROCESSING'`);
      if (query.needsReview === false) conditions.push(sql.fragment`NOT (needs_review AND status = 'PROCESSING')`);
      const sort = sortColumns[query.sort];
      const descending = query.order === 'desc';
      if (query.after) {
        const cursor = decodeCursor(query.after, query.sort, query.order);
        conditions.push(
          descending
            ? sql.fragment`(${sort.column}, id) < (${sort.cast(cursor.key)}, ${cursor.id}::uuid)`
            : sql.fragment`(${sort.column}, id) > (${sort.cast(cursor.key)}, ${cursor.id}::uuid)`,
        );
      }
      const direction = descending ? sql.fragment`DESC` : sql.fragment`ASC`;
      const rows = await selectPayouts(
        sql.join(conditions, sql.fragment` AND `),
        sql.fragment`ORDER BY ${sort.column} ${direction}, id ${direction} LIMIT ${query.limit + 1}`,
        sort.column,
      );
      const page = rows.slice(0, query.limit);
      const next = rows.length > query.limit ? encodeCursor(query.sort, query.order, page.at(-1)!) : null;
      return c.json({ payouts: await toPayouts(page), next }, 200);
    })
    .openapi(getPayout, async (c) => {
      const { id } = c.req.valid('param');
      const user = c.get('user');
      const row = await loadPayout(id);
      requirePartnerAccess(user, row.partner_id, 'payouts.read.any');
      hideDraftFromPartner(user, row);
      return c.json(await toPayout(row), 200);
    })
    .openapi(submitDraft, async (c) => {
      const { id } = c.req.valid('param');
      return onDraft(c, id, ['submit', id], async (user, headers) => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'submitting a draft payout');
        const submitted = await submitPayoutDraft(creation, id, { initiator: initiatorOf(user), ip: clientIp(c.req.raw.headers) });
        await startPayoutOrUndo(starter, submitted.start!);
        return reloadPayout(id);
      });
    })
    .openapi(discardDraft, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return onDraft(c, id, ['discard', id, body], async (user) => {
        await discardPayoutDraft(database, id, { actor: user.id, reason: body.reason ?? null, ip: clientIp(c.req.raw.headers) });
        return reloadPayout(id);
      });
    })
    .openapi(assignPayout, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const user = c.get('user');
      if (user.role === 'partner') {
        hideDraftFromPartner(user, await loadPayout(id));
        throw new ApiError(403, 'forbidden', 'only admins assign payouts');
      }
      requirePermission(user, 'payouts.approve');
      const row = await loadPayout(id);
      if (row.status !== 'DRAFT' && isTerminalPayoutStatus(row.status)) throw new ApiError(409, 'invalid_state', `the payout is ${row.status}`, 'status');
      if (body.userId !== null) {
        const assignee = await database.maybeOne(sql.type(assigneeRow)`
          SELECT role, disabled_at IS NOT NULL AS disabled FROM users WHERE id = ${body.userId}`);
        if (!assignee || assignee.disabled || assignee.role === 'partner' || !can(assignee.role as never, 'payouts.approve')) {
          throw new ApiError(422, 'invalid_assignee', 'the assignee must be an active admin who works the payout queue', 'body.userId');
        }
      }
      await database.query(sql.unsafe`
        UPDATE payouts SET assigned_to = ${body.userId}, assigned_at = ${body.userId === null ? null : sql.fragment`now()`}, updated_at = now()
        WHERE id = ${id}`);
      return c.json(await reloadPayout(id), 200);
    })
    .openapi(approvePayout, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return decide(c, {
        id,
        permission: 'payouts.approve',
        partnerMay: false,
        totpAction: 'an approval',
        fingerprint: ['approve', id, body],
        send: (handle, actor, row) => {
          // The workflow knows the initiator (the submitter, for a draft); the drafter is a maker too.
          if (row.drafted_by === actor.userId) throw new ApiError(403, 'maker_checker', 'an admin cannot approve a payout they drafted');
          const amount = new Money(body.amount);
          if (!fitsScale(amount, row.currency)) throw new ApiError(409, 'amount_mismatch', `the payout's amount is ${formatMoney(row.amount, row.currency)}`, 'body.amount');
          return handle.executeUpdate(approvePayoutUpdate, { args: [{ actor, amount: formatMoney(amount, row.currency), detailsHash: body.detailsHash }] });
        },
      });
    })
    .openapi(rejectPayout, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return decide(c, {
        id,
        permission: 'payouts.reject',
        partnerMay: false,
        totpAction: 'a rejection',
        fingerprint: ['reject', id, body],
        send: (handle, actor) => handle.executeUpdate(rejectPayoutUpdate, { args: [{ actor, code: body.code, reason: body.reason }] }),
      });
    })
    .openapi(cancelPayout, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return decide(c, {
        id,
        permission: 'payouts.cancel.any',
        partnerMay: true,
        totpAction: null,
        fingerprint: ['cancel', id, body],
        send: (handle, actor) => handle.executeUpdate(cancelPayoutUpdate, { args: [{ actor, reason: body.reason ?? null }] }),
      });
    })
    .openapi(releasePayout, async (c) => {
      const { id } = c.req.valid('param');
      return decide(c, {
        id,
        permission: 'payouts.release',
        partnerMay: false,
        totpAction: null,
        fingerprint: ['release', id],
        send: (handle, actor) => handle.executeUpdate(releasePayoutUpdate, { args: [{ actor }] }),
      });
    })
    .openapi(processPayout, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return decide(c, {
        id,
        permission: 'payouts.process',
        partnerMay: false,
        totpAction: 'marking a payout processed',
        fingerprint: ['process', id, body],
        send: (handle, actor) => handle.executeUpdate(markPayoutProcessingUpdate, { args: [{ actor, externalReference: body.externalReference }] }),
      });
    })
    .openapi(completePayout, async (c) => {
      const { id } = c.req.valid('param');
      return decide(c, {
        id,
        permission: 'payouts.process',
        partnerMay: false,
        totpAction: 'completing a payout',
        fingerprint: ['complete', id],
        send: (handle, actor) => handle.executeUpdate(completePayoutUpdate, { args: [{ actor }] }),
      });
    })
    .openapi(failPayout, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return decide(c, {
        id,
        permission: 'payouts.process',
        partnerMay: false,
        totpAction: 'failing a payout',
        fingerprint: ['fail', id, body],
        send: (handle, actor) => handle.executeUpdate(failPayoutUpdate, { args: [{ actor, failureCode: body.failureCode, reason: body.reason ?? null }] }),
      });
    })
    .openapi(validatePayout, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return decide(c, {
        id,
        permission: 'payouts.read.any',
        partnerMay: true,
        partnerOnly: true,
        totpAction: null,
        fingerprint: ['validate', id, body],
        send: async (handle, actor, row) => {
          const amount = new Money(body.amount);
          if (!fitsScale(amount, row.currency)) throw new ApiError(409, 'amount_mismatch', `the payout's amount is ${formatMoney(row.amount, row.currency)}`, 'body.amount');
          // The invoice the partner validates is the current one now; the workflow's activity checks it still is.
          const invoice = await database.maybeOneFirst(sql.type(zod.object({ id: zod.string() }))`
            SELECT id FROM payout_invoices WHERE payout_id = ${id} ORDER BY id DESC LIMIT 1`);
          return handle.executeUpdate(validatePayoutUpdate, {
            args: [{ actor, amount: formatMoney(amount, row.currency), detailsHash: body.detailsHash, invoiceId: invoice ?? null }],
          });
        },
      });
    })
    .openapi(uploadInvoice, async (c) => {
      const { id } = c.req.valid('param');
      const user: AuthenticatedUser = c.get('user');
      const row = await loadPayout(id);
      if (user.role !== 'partner') throw new ApiError(403, 'forbidden', 'only the payout’s partner uploads its invoice');
      hideDraftFromPartner(user, row);
      if (user.partnerId !== row.partner_id) throw new ApiError(403, 'forbidden', 'partners may only upload invoices for their own payouts');

      const { type, fileName, content } = await readUploadedDocument(c.req.valid('form').file, 'an invoice');
      if (!(await partnerValidationFor(row.policy_version)).required) {
        throw new ApiError(409, 'invoice_not_expected', `policy version ${row.policy_version}, which this payout was requested under, asks for no partner validation`, 'status');
      }
      const sha256 = createHash('sha256').update(content).digest('hex');

      const result = await database.transaction(async (transaction) => {
        // The payout row is the lock the partner's validation takes too: an invoice lands before it or is refused after.
        const locked = await transaction.one(sql.type(lockedPayoutRow)`
          SELECT status, partner_validated_at IS NOT NULL AS partner_validated FROM payouts WHERE id = ${id} FOR UPDATE`);
        if (locked.partner_validated) throw new ApiError(409, 'invalid_state', 'the partner validated the payout already; its invoice can no longer change', 'status');
        if (!['REQUESTED', 'HELD', 'AWAITING_PARTNER'].includes(locked.status)) {
          throw new ApiError(409, 'invalid_state', `the payout is ${locked.status}; an invoice is uploaded while it waits for its partner`, 'status');
        }
        const current = await transaction.maybeOne(sql.type(invoiceRow)`
          SELECT ${invoiceColumns} FROM payout_invoices WHERE payout_id = ${id} ORDER BY id DESC LIMIT 1`);
        if (current && current.sha256 === sha256 && current.file_name === fileName && current.content_type === type) {
          return { status: 200 as const, invoice: current };
        }
        const inserted = await transaction.one(sql.type(invoiceRow)`
          INSERT INTO payout_invoices (payout_id, file_name, content_type, size_bytes, content, sha256, uploaded_by)
          VALUES (${id}, ${fileName}, ${type}, ${content.length}, ${sql.binary(content)}, ${sha256}, ${user.id})
          RETURNING ${invoiceColumns}`);
        await appendAuditRecord(transaction, {
          action: 'PAYOUT_INVOICE_UPLOAD',
          actor: user.id,
          targetType: 'payout',
          targetId: id,
          amount: formatMoney(row.amount, row.currency),
          currency: row.currency,
          ip: clientIp(c.req.raw.headers),
          details: { partnerId: row.partner_id, invoiceId: inserted.id, fileName, contentType: type, sizeBytes: content.length, sha256, replaces: current?.id ?? null },
        });
        return { status: 201 as const, invoice: inserted };
      });
      return c.json(toInvoice(result.invoice), result.status);
    })
    .openapi(getInvoice, async (c) => {
      const { id } = c.req.valid('param');
      const user: AuthenticatedUser = c.get('user');
      const row = await loadPayout(id);
      requirePartnerAccess(user, row.partner_id, 'payouts.read.any');
      hideDraftFromPartner(user, row);
      const file = await database.maybeOne(sql.type(invoiceFileRow)`
        SELECT id, file_name, content_type, content, sha256 FROM payout_invoices WHERE payout_id = ${id} ORDER BY id DESC LIMIT 1`);
      if (!file) throw new ApiError(404, 'not_found', `payout ${id} has no invoice`, 'params.id');
      return storedFileResponse(c, file, `the stored invoice ${file.id} of payout ${id}`, 'invoice_corrupted');
    });
}

/** An update's refusal as the API answers it; anything else is rethrown. */
function translateUpdateError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.type === payoutRefusedType) {
      const refusal = cause.details?.[0] as PayoutRefusal | undefined;
      return new ApiError(refusal?.status ?? 409, refusal?.code ?? 'refused', cause.message, refusal?.field ?? undefined);
    }
    return new ApiError(409, 'refused', cause instanceof Error ? cause.message : 'the payout refused the update');
  }
  if (error instanceof WorkflowNotFoundError) return new ApiError(409, 'invalid_state', 'the payout’s workflow is closed or missing', 'status');
  // Temporal unreachable (gRPC UNAVAILABLE or DEADLINE_EXCEEDED, after the client's own retries): nothing was decided.
  const grpc = error instanceof ServiceError ? error.cause : error;
  if (isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4)) {
    return new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; nothing was decided, send the decision again later');
  }
  return error;
}
