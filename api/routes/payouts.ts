import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { Context } from 'hono';
import { sql, UniqueIntegrityConstraintViolationError } from 'slonik';
import { z as zod } from 'zod';
import { InsufficientFundsError } from '../../activities/ledger-store.ts';
import { createPayoutActivities } from '../../activities/payout.ts';
import type { Permission } from '../../domain/access.ts';
import type { AuthenticatedUser } from '../auth/identity.ts';
import { Money, fitsScale, formatMoney } from '../../domain/money.ts';
import {
  approvalChainFor,
  computePayoutFee,
  findPaymentMethod,
  isTerminalPayoutStatus,
  payoutFailureCodes,
  payoutPriority,
  payoutRejectionCodes,
  payoutStatuses,
  rubEquivalent,
  validatePaymentDetails,
  type PayoutActor,
} from '../../domain/payout.ts';
import { payoutPriorities } from '../../domain/payout-policy.ts';
import type { Rank } from '../../domain/network.ts';
import type { payoutWorkflow } from '../../workflows/payout.ts';
import {
  approvePayoutUpdate,
  cancelPayoutUpdate,
  completePayoutUpdate,
  failPayoutUpdate,
  markPayoutProcessingUpdate,
  payoutRefusedType,
  rejectPayoutUpdate,
  releasePayoutUpdate,
  type PayoutRefusal,
  type PayoutRequest,
} from '../../workflows/payout-messages.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import {
  payoutColumns,
  payoutRow,
  payoutWorkflowId,
  paymentDetailsHash,
  recordPayoutRequest,
  startPayoutWorkflow,
  usdRatesForRub,
  type PayoutRow,
} from '../start-payout.ts';
import { amountSchema, bearerSecurity, currencySchema, errorResponse, partnerIdSchema, refineAmountScale } from '../schemas.ts';

const createPayoutBody = z
  .object({
    partnerId: partnerIdSchema,
    amount: amountSchema.refine((value) => new Money(value).isPositive(), 'a payout amount must be positive'),
    currency: currencySchema,
    methodId: z.string().min(1).max(40).openapi({ example: 'BANK_TRANSFER' }),
    paymentDetails: z
      .record(z.string().max(200))
      .optional()
      .openapi({ description: 'The method’s fields (policy `payouts.methods[].fields`); omitted: the partner’s saved details for the method' }),
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

const payoutSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    workflowUrl: z.string().nullable(),
    status: z.enum(payoutStatuses),
    partnerId: z.string(),
    methodId: z.string(),
    currency: z.string(),
    amount: z.string(),
    fee: z.string(),
    amountToTransfer: z.string(),
    amountRub: z.string().nullable().openapi({ description: 'RUB-equivalent at creation; null when no FX rate was known (highest approval tier)' }),
    priority: z.enum(payoutPriorities),
    slaDueAt: z.string(),
    paymentDetails: z.record(z.string()),
    detailsHash: z.string().openapi({ description: 'Send it back with an approval: what the approver saw' }),
    initiatedBy: z.object({ userId: z.string(), role: z.string() }),
    requiredChain: z.array(z.object({ roles: z.array(z.string()) })),
    approvals: z.array(approvalSchema),
    checklist: z.array(z.object({ check: z.string(), passed: z.boolean(), action: z.string(), detail: z.string() })),
    rejection: z.object({ code: z.string(), reason: z.string().nullable() }).nullable(),
    externalReference: z.string().nullable(),
    failure: z.object({ code: z.string(), reason: z.string().nullable() }).nullable(),
    reserveEntryId: z.string(),
    settleEntryId: z.string().nullable(),
    provider: z
      .object({
        attempt: z.number().openapi({ description: 'The current attempt at the provider (idempotency key <id>:<attempt>)' }),
        reference: z.string().nullable(),
        needsReview: z.boolean().openapi({ description: 'Attempts ran out: an admin completes or fails it' }),
      })
      .openapi({ description: 'AUTOMATIC methods: processing through the payment provider' }),
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
  summary: 'Request a payout: reserves the amount (available → payout_reserved) and starts workflow payout-<id>',
  description: 'A partner for themself, or an admin with a fresh TOTP code in `X-TOTP-Code`. Honours `Idempotency-Key`.',
  security: bearerSecurity,
  request: { headers: stepUpHeaders, body: { content: { 'application/json': { schema: createPayoutBody } }, required: true } },
  responses: {
    201: payoutResponse('Requested; the amount is reserved'),
    ...errors,
    409: errorResponse('An active payout exists for this partner and currency, or the Idempotency-Key is in progress'),
    422: errorResponse('Unknown partner or method, below the minimum, or not enough available balance'),
    503: errorResponse('Temporal unavailable; the reservation was undone'),
  },
});

const listQuery = z.object({
  status: z.enum(payoutStatuses).optional(),
  partnerId: partnerIdSchema.optional(),
  methodId: z.string().max(40).optional(),
  priority: z.enum(payoutPriorities).optional(),
  needsReview: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .openapi({ description: 'true: the manual review queue (automatic payouts whose provider attempts ran out)' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const listPayouts = createRoute({
  method: 'get',
  path: '/',
  summary: 'The payout queue, soonest SLA first (partners see their own)',
  security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: { description: 'Payouts', content: { 'application/json': { schema: z.object({ payouts: z.array(payoutSchema) }) } } },
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

const approvePayout = updateRoute('/{id}/approve', 'Approve (one step of the chain); needs a fresh TOTP code', approveBody, true);
const rejectPayout = updateRoute('/{id}/reject', 'Reject with a reason code; needs a fresh TOTP code', rejectBody, true);
const cancelPayout = updateRoute('/{id}/cancel', 'Cancel before processing (the partner for their own, or an admin)', cancelBody, false);
const releasePayout = updateRoute('/{id}/release', 'Re-run the checklist of a HELD payout', emptyBody, false);
const processPayout = updateRoute('/{id}/process', 'Record the external reference (manual processing); needs a fresh TOTP code', processBody, true);
const completePayout = updateRoute('/{id}/complete', 'Mark paid; posts payout-complete-<id>; needs a fresh TOTP code', emptyBody, false);
const failPayout = updateRoute('/{id}/fail', 'Mark failed; the amount returns to available; needs a fresh TOTP code', failBody, true);

const approvalRow = zod.object({ approver_id: zod.string(), role: zod.string(), decision: zod.enum(['APPROVE', 'REJECT']), step: zod.number().nullable(), decided_at: zod.date() });

export function payoutRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal, ledger } = dependencies;
  const settlements = createPayoutActivities({ ledger });

  const toPayout = async (row: PayoutRow): Promise<PayoutBody> => {
    const approvals = await database.any(sql.type(approvalRow)`
      SELECT approver_id, role, decision, step, decided_at FROM payout_approvals WHERE payout_id = ${row.id} ORDER BY decided_at, approver_id`);
    const money = (value: string) => formatMoney(value, row.currency);
    return {
      id: row.id,
      workflowId: payoutWorkflowId(row.id),
      workflowUrl: workflowUrl(dependencies, payoutWorkflowId(row.id)),
      status: row.status,
      partnerId: row.partner_id,
      methodId: row.method_id,
      currency: row.currency,
      amount: money(row.amount),
      fee: money(row.fee),
      amountToTransfer: money(row.amount_to_transfer),
      amountRub: row.amount_rub,
      priority: row.priority,
      slaDueAt: row.sla_due_at.toISOString(),
      paymentDetails: row.payment_details,
      detailsHash: row.details_hash,
      initiatedBy: { userId: row.initiated_by, role: row.initiated_role },
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
      provider: { attempt: row.provider_attempt, reference: row.provider_reference, needsReview: row.needs_review },
      policyVersion: row.policy_version,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  };

  const loadPayout = async (id: string) => {
    const row = await database.maybeOne(sql.type(payoutRow)`SELECT ${payoutColumns} FROM payouts WHERE id = ${id}`);
    if (!row) throw new ApiError(404, 'not_found', `payout ${id} does not exist`, 'params.id');
    return row;
  };

  /**
   * Sends one update to `payout-<id>` with the verified actor, and answers with the payout as the database has it
   * afterwards (the update's activities wrote it before the update returned). Refusals become 403/409/422.
   */
  const decide = async (
    c: Context<ApiEnv>,
    input: {
      id: string;
      permission: Permission;
      /** The payout's partner may do it for themself (cancel). */
      partnerMay: boolean;
      /** Completes "… needs a fresh TOTP code"; null: no step-up. */
      totpAction: string | null;
      fingerprint: unknown;
      send: (handle: WorkflowHandle<typeof payoutWorkflow>, actor: PayoutActor, row: PayoutRow) => Promise<unknown>;
    },
  ) => {
    const user: AuthenticatedUser = c.get('user');
    const headers = c.req.header();
    const row = await loadPayout(input.id);
    if (user.role === 'partner') {
      if (!input.partnerMay || user.partnerId !== row.partner_id) throw new ApiError(403, 'forbidden', 'partners may only cancel their own payouts');
    } else {
      requirePermission(user, input.permission);
    }
    const result = await runIdempotent(
      database,
      { userId: user.id, key: headers['idempotency-key'], fingerprint: input.fingerprint },
      async () => {
        if (user.role !== 'partner' && input.totpAction) await requireFreshTotp(identity, user, headers['x-totp-code'], input.totpAction);
        if (isTerminalPayoutStatus(row.status)) throw new ApiError(409, 'invalid_state', `the payout is ${row.status}`, 'status');
        const handle = temporal.workflow.getHandle<typeof payoutWorkflow>(payoutWorkflowId(input.id));
        try {
          await input.send(handle, { userId: user.id, role: user.role }, row);
        } catch (error) {
          throw translateUpdateError(error);
        }
        return { status: 200, body: await toPayout(await loadPayout(input.id)) };
      },
    );
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as PayoutBody, 200);
  };

  return createSubApp()
    .openapi(createPayout, async (c) => {
      const user = c.get('user');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      if (user.role === 'partner') {
        if (user.partnerId !== body.partnerId) throw new ApiError(403, 'forbidden', 'partners may only request payouts for themselves', 'body.partnerId');
      } else {
        requirePermission(user, 'payouts.create.any');
      }
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/payouts', body] },
        async () => {
          if (user.role !== 'partner') await requireFreshTotp(identity, user, headers['x-totp-code'], 'a payout requested by an admin');
          const { policy, version } = await dependencies.policies.active();
          const method = findPaymentMethod(policy.payouts, body.methodId);
          if (!method) throw new ApiError(422, 'unknown_method', `no payment method ${body.methodId}`, 'body.methodId');
          if (method.currency !== body.currency) {
            throw new ApiError(422, 'currency_mismatch', `${method.id} pays in ${method.currency}, not ${body.currency}`, 'body.currency');
          }
          const partner = await database.maybeOne(sql.type(zod.object({ rank: zod.string(), age_days: zod.number() }))`
            SELECT rank, (extract(epoch FROM now() - joined_at) / 86400)::float8 AS age_days FROM partners WHERE id = ${body.partnerId}`);
          if (!partner) throw new ApiError(422, 'partner_not_found', `partner ${body.partnerId} does not exist`, 'body.partnerId');

          let details = body.paymentDetails;
          if (details === undefined) {
            const saved = await database.maybeOneFirst(sql.type(zod.object({ details: zod.record(zod.string()) }))`
              SELECT details FROM partner_payment_methods WHERE partner_id = ${body.partnerId} AND method_id = ${method.id}`);
            if (!saved) throw new ApiError(400, 'invalid_request', `no saved details for ${method.id}: send paymentDetails`, 'body.paymentDetails');
            details = saved;
          }
          const issue = validatePaymentDetails(method, details)[0];
          if (issue) throw new ApiError(400, 'invalid_request', `body.paymentDetails.${issue.field}: ${issue.message}`, `body.paymentDetails.${issue.field}`);

          const amount = formatMoney(body.amount, body.currency);
          if (new Money(amount).lessThan(method.minPayout)) {
            throw new ApiError(422, 'below_minimum', `${method.id} pays at least ${method.minPayout} ${method.currency}`, 'body.amount');
          }
          const { fee, amountToTransfer } = computePayoutFee(amount, body.currency, method);
          if (!new Money(amountToTransfer).isPositive()) throw new ApiError(422, 'below_fee', `the fee ${fee} takes the whole amount`, 'body.amount');

          const amountRub = rubEquivalent(amount, body.currency, await usdRatesForRub(database, body.currency));
          const priority = payoutPriority({ amountRub, rank: partner.rank as Rank, accountAgeDays: partner.age_days }, policy.payouts.priority);
          const request: PayoutRequest = {
            payoutId: randomUUID(),
            partnerId: body.partnerId,
            methodId: method.id,
            processing: method.processing,
            currency: body.currency,
            amount,
            fee,
            amountToTransfer,
            amountRub,
            priority,
            detailsHash: paymentDetailsHash({ amount, currency: body.currency, methodId: method.id, details }),
            requiredChain: approvalChainFor(amountRub, policy.payouts.approvalChain),
            initiatedBy: { userId: user.id, role: user.role },
          };
          let row: PayoutRow;
          try {
            row = await database.transaction((transaction) =>
              recordPayoutRequest(transaction, ledger, {
                request,
                paymentDetails: details,
                policyVersion: version,
                slaHours: policy.payouts.slaHours[priority],
                ip: clientIp(c.req.raw.headers),
              }),
            );
          } catch (error) {
            if (error instanceof InsufficientFundsError) {
              throw new ApiError(422, 'insufficient_funds', `the available ${body.currency} balance is less than ${amount}`, 'body.amount');
            }
            if (error instanceof UniqueIntegrityConstraintViolationError && error.constraint === 'payouts_one_active_per_wallet') {
              throw new ApiError(409, 'duplicate_request', `partner ${body.partnerId} already has an active ${body.currency} payout`, 'body.currency');
            }
            throw error;
          }
          await startWorkflow(request, { version, payouts: policy.payouts });
          return { status: 201, body: await toPayout(row) };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as PayoutBody, 201);
    })
    .openapi(listPayouts, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'payouts.read.any');
      const conditions = [sql.fragment`TRUE`];
      if (query.status) conditions.push(sql.fragment`status = ${query.status}`);
      if (partnerId) conditions.push(sql.fragment`partner_id = ${partnerId}`);
      if (query.methodId) conditions.push(sql.fragment`method_id = ${query.methodId}`);
      if (query.priority) conditions.push(sql.fragment`priority = ${query.priority}`);
      if (query.needsReview === true) conditions.push(sql.fragment`needs_review AND status = 'PROCESSING'`);
      if (query.needsReview === false) conditions.push(sql.fragment`NOT (needs_review AND status = 'PROCESSING')`);
      const rows = await database.any(sql.type(payoutRow)`
        SELECT ${payoutColumns} FROM payouts WHERE ${sql.join(conditions, sql.fragment` AND `)}
        ORDER BY sla_due_at, id LIMIT ${query.limit}`);
      return c.json({ payouts: await Promise.all(rows.map(toPayout)) }, 200);
    })
    .openapi(getPayout, async (c) => {
      const { id } = c.req.valid('param');
      const row = await loadPayout(id);
      requirePartnerAccess(c.get('user'), row.partner_id, 'payouts.read.any');
      return c.json(await toPayout(row), 200);
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
    });

  /**
   * Starts the workflow; tolerates one that already exists (a start whose answer was lost). When Temporal cannot
   * be reached and no workflow exists, the reservation is undone (CANCELLED, amount back) and the client gets 503.
   */
  async function startWorkflow(request: PayoutRequest, policy: Parameters<typeof startPayoutWorkflow>[3]) {
    try {
      await startPayoutWorkflow(temporal, dependencies.taskQueue, request, policy);
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      try {
        await temporal.workflow.getHandle(payoutWorkflowId(request.payoutId)).describe();
        return;
      } catch (describeError) {
        if (!(describeError instanceof WorkflowNotFoundError)) {
          throw new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; the payout stays REQUESTED until its workflow starts');
        }
      }
      await settlements.releasePayoutReserve({
        payoutId: request.payoutId,
        outcome: 'CANCELLED',
        destination: 'available',
        actor: 'system:api',
        rejectionCode: null,
        failureCode: null,
        reason: 'the workflow could not be started',
      });
      throw new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; the reservation was undone');
    }
  }
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
  return error;
}
