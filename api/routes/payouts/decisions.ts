import { createRoute, z } from '@hono/zod-openapi';
import type { WorkflowHandle } from '@temporalio/client';
import type { Context } from 'hono';
import type { Permission } from '../../../domain/access.ts';
import { Money, fitsScale, formatMoney } from '../../../domain/money.ts';
import { isTerminalPayoutStatus, payoutFailureCodes, payoutRejectionCodes, type PayoutActor } from '../../../domain/payout.ts';
import type { AuthenticatedUser } from '../../../modules/identity/identity.ts';
import { currentInvoiceId } from '../../../modules/payouts/invoices.ts';
import { refuseInPaymentFile } from '../../../modules/payouts/payment-files.ts';
import type { QueueRow } from '../../../modules/payouts/payout-queue.ts';
import type { payoutWorkflow } from '../../../workflows/payout.ts';
import {
  approvePayoutUpdate,
  cancelPayoutUpdate,
  completePayoutUpdate,
  failPayoutUpdate,
  markPayoutProcessingUpdate,
  payoutWorkflowId,
  rejectPayoutUpdate,
  releasePayoutUpdate,
  validatePayoutUpdate,
} from '../../../workflows/payout-messages.ts';
import { clientIp, createSubApp, personRole, requireFreshTotp, requirePermission, type ApiDependencies, type ApiEnv } from '../../context.ts';
import { ApiError, toApiError } from '../../errors.ts';
import { runIdempotent } from '../../idempotency.ts';
import { amountSchema, bearerSecurity } from '../../schemas.ts';
import { emptyBody, hideDraftFromPartner, idParams, payoutActionRoute, payoutResponse, payoutViews, stepUpHeaders, updateErrors, type PayoutBody } from './views.ts';

/**
 * The decisions on a payout, each sent to `payout-<id>` as a Temporal update with the verified actor: the partner's
 * validation, the approval chain, rejection and cancellation, the release of a HELD payout, and manual processing.
 */

const approveBody = z
  .object({
    amount: amountSchema.openapi({ description: 'The amount the approver saw' }),
    detailsHash: z.string().regex(/^[0-9a-f]{64}$/, 'the detailsHash the payout shows'),
  })
  .strict()
  .openapi('ApprovePayoutRequest');
const rejectBody = z.object({ code: z.enum(payoutRejectionCodes), reason: z.string().trim().min(1).max(500) }).strict().openapi('RejectPayoutRequest');
const cancelBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict().openapi('CancelPayoutRequest');
const processBody = z.object({ externalReference: z.string().trim().min(1).max(200) }).strict().openapi('ProcessPayoutRequest');
const failBody = z
  .object({ failureCode: z.enum(payoutFailureCodes), reason: z.string().trim().min(1).max(500).optional() })
  .strict()
  .openapi('FailPayoutRequest');

const approvePayout = payoutActionRoute('approvePayout', '/{id}/approve', 'Approve (one step of the chain); needs a fresh TOTP code', approveBody, true);
const rejectPayout = payoutActionRoute('rejectPayout', '/{id}/reject', 'Reject with a reason code; needs a fresh TOTP code', rejectBody, true);
const cancelPayout = payoutActionRoute('cancelPayout', '/{id}/cancel', 'Cancel before processing (the partner for their own, or an admin)', cancelBody, false);
const releasePayout = payoutActionRoute('releasePayout', '/{id}/release', 'Re-run the checklist of a HELD payout', emptyBody, false);
const processPayout = payoutActionRoute('processPayout', '/{id}/process', 'Record the external reference (manual processing); needs a fresh TOTP code', processBody, true);
const completePayout = payoutActionRoute('completePayout', '/{id}/complete', 'Mark paid; posts payout-complete-<id>; needs a fresh TOTP code', emptyBody, false);
const failPayout = payoutActionRoute('failPayout', '/{id}/fail', 'Mark failed; the amount returns to available; needs a fresh TOTP code', failBody, true);

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
  operationId: 'validatePayout',
  summary: 'The partner validates their payout (AWAITING_PARTNER → AWAITING_APPROVAL), bound to the amount and details hash they saw',
  description:
    'docs/rules.md#partner-validation: the partner confirms the amount and the payment details; when the payout’s policy requires an invoice, it must be uploaded first (409 `invoice_required`, field `invoice`), and the invoice current at this moment is the one recorded with the validation. Only the payout’s own partner. Honours `Idempotency-Key`.',
  security: bearerSecurity,
  request: { params: idParams, headers: stepUpHeaders, body: { content: { 'application/json': { schema: validateBody } }, required: true } },
  responses: { 200: payoutResponse('The payout after the validation'), ...updateErrors },
});

export function payoutDecisionRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal } = dependencies;
  const { loadPayout, reloadPayout } = payoutViews(dependencies);

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
          await input.send(handle, { userId: user.id, role: personRole(user), ip: clientIp(c) }, row);
        } catch (error) {
          throw toApiError(error, 'the payout');
        }
        return { status: 200, body: await reloadPayout(input.id) };
      },
    );
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as PayoutBody, 200);
  };

  return createSubApp()
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
        send: async (handle, actor) => {
          await refuseInPaymentFile(database, id);
          return handle.executeUpdate(rejectPayoutUpdate, { args: [{ actor, code: body.code, reason: body.reason }] });
        },
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
        send: async (handle, actor) => {
          await refuseInPaymentFile(database, id);
          return handle.executeUpdate(cancelPayoutUpdate, { args: [{ actor, reason: body.reason ?? null }] });
        },
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
          const invoiceId = await currentInvoiceId(database, id);
          return handle.executeUpdate(validatePayoutUpdate, {
            args: [{ actor, amount: formatMoney(amount, row.currency), detailsHash: body.detailsHash, invoiceId }],
          });
        },
      });
    });
}
