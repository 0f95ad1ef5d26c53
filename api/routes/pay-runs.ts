import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Permission } from '../../domain/access.ts';
import { Money, fitsScale } from '../../domain/money.ts';
import { payRunItemStates, payRunStatuses } from '../../domain/pay-run.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import {
  approvePayRunAsRun,
  createPayRun,
  declarePlatformFunds,
  decisionView,
  excludePayRunItems,
  findPayRun,
  listPayRuns,
  listPlatformFunds,
  openPayRunIds,
  payRunItems,
  payRunView,
  recordPayRunDecision,
  rejectPayRun,
  type PayRunRow,
} from '../../modules/pay-runs/pay-run-store.ts';
import { startPayRunWorkflow } from '../../modules/pay-runs/start-pay-run.ts';
import { assertRetryable, retryPayRun } from '../../modules/pay-runs/retry-pay-run.ts';
import {
  approveGroupUpdate,
  approveRunUpdate,
  excludeItemsUpdate,
  fundsDeclaredSignal,
  payRunWorkflowId,
  rejectPayRunUpdate,
} from '../../workflows/pay-run-messages.ts';
import { clientIp, createSubApp, personRole, requireFreshTotp, requirePermission, workflowUrl, type ApiDependencies } from '../context.ts';
import { ApiError, isTemporalUnavailable, toApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountSchema, currencySchema, errorResponse, partnerIdSchema } from '../schemas.ts';
import { errors, idParam, route, totpHeaders } from './adjustment-schemas.ts';

/**
 * Pay runs (docs/rules.md#pay-runs, `pay-run-<id>`): created from a selection (or by the payment schedule), approved
 * with one TOTP code per approver and tier group bound to the hash of the items they saw, delivered to each payout by
 * the workflow, and followed until every payout is closed. Platform funds: what each method and currency has to pay with.
 */

const selectionSchema = z
  .object({
    methodIds: z.array(z.string().min(1).max(64)).min(1).max(50).optional(),
    currencies: z.array(currencySchema).min(1).max(50).optional(),
    partnerIds: z.array(partnerIdSchema).min(1).max(20_000).optional(),
    payoutIds: z.array(z.string().uuid()).min(1).max(20_000).optional(),
    createdFrom: z.string().datetime({ offset: true }).optional(),
    createdTo: z.string().datetime({ offset: true }).optional().openapi({ description: 'Exclusive' }),
  })
  .strict();
const createBody = z.object({ selection: selectionSchema, note: z.string().trim().min(1).max(1000).optional() }).strict().openapi('CreatePayRunRequest');

const currencyTotal = z.object({ currency: z.string(), count: z.number(), amount: z.string(), fee: z.string(), amountToTransfer: z.string(), amountRub: z.string().nullable() });
const methodTotal = z.object({
  methodId: z.string(), currency: z.string(), count: z.number(), amountToTransfer: z.string(), fundsDeclared: z.string().nullable(),
  fundsShort: z.string().nullable(), waitingForFunds: z.boolean(),
});
const payRunSchema = z
  .object({
    id: z.string(), workflowId: z.string(), workflowUrl: z.string().nullable(), status: z.enum(payRunStatuses), source: z.enum(['SCHEDULE', 'ADMIN']),
    paymentDate: z.string().nullable(), note: z.string().nullable(), createdBy: z.string(), createdAt: z.string(), attempt: z.number(),
    previousRunId: z.string().nullable(),
    totals: z.object({ byCurrency: z.array(currencyTotal), byMethod: z.array(methodTotal) }),
    excluded: z.array(z.object({ reason: z.string(), count: z.number() })),
    runApproval: z.object({ required: z.boolean(), roles: z.array(z.string()), approvedBy: z.string().nullable() }),
    rejection: z.object({ by: z.string(), reason: z.string().nullable() }).nullable(),
    progress: z.object({ byPayoutStatus: z.record(z.string(), z.number()), delivered: z.number(), refused: z.number(), pending: z.number() }),
    decisions: z.array(z.object({ id: z.string(), by: z.string(), role: z.string(), at: z.string(), approved: z.number(), refused: z.number() })),
    finishedAt: z.string().nullable(),
  })
  .openapi('PayRun');
const itemSchema = z.object({
  payoutId: z.string(), partnerId: z.string(), partnerName: z.string(), methodId: z.string(), currency: z.string(), amount: z.string(),
  detailsHash: z.string(), state: z.enum(payRunItemStates), reason: z.string().nullable(), payoutStatus: z.string(),
  note: z.string().nullable().openapi({ description: 'The admin’s words for an exclusion or rejection, or the payout’s refusal message' }),
});
const refusedItem = z.object({ payoutId: z.string(), code: z.string() });
const decisionSchema = z
  .object({
    items: z.number(),
    totals: z.array(z.object({ currency: z.string(), count: z.number(), amount: z.string() })),
    itemsHash: z.string(),
    lines: z.string().openapi({ description: 'The lines the hash is taken over: `payoutId,amount,detailsHash` per item, sorted, newline-separated' }),
    refusedUpfront: z.array(refusedItem),
  })
  .openapi('PayRunDecision');
const fundsSchema = z.object({ methodId: z.string(), currency: z.string(), available: z.string(), declaredBy: z.string(), declaredAt: z.string() }).openapi('PlatformFunds');

const listRoute = route({
  method: 'get', path: '/pay-runs', operationId: 'listPayRuns', summary: 'Pay runs, newest first',
  request: { query: z.object({ status: z.enum(payRunStatuses).optional(), cursor: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }) },
  responses: { 200: { description: 'A page', content: { 'application/json': { schema: z.object({ payRuns: z.array(payRunSchema), nextCursor: z.string().nullable() }) } } }, ...errors },
});
const createRouteDefinition = route({
  method: 'post', path: '/pay-runs', operationId: 'createPayRun', summary: 'Create a pay run from a selection of payouts awaiting approval; runs as pay-run-<id>',
  description: 'Included: the selection’s payouts AWAITING_APPROVAL that are not held, flagged, below the minimum, without payment details or in another open run; the rest are listed with their reason. Honours `Idempotency-Key`.',
  request: { headers: totpHeaders, body: { content: { 'application/json': { schema: createBody } }, required: true } },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: payRunSchema } } }, ...errors, 422: errorResponse('Nothing selected'), 503: errorResponse('Temporal unavailable') },
});
const getRoute = route({
  method: 'get', path: '/pay-runs/{id}', operationId: 'getPayRun', summary: 'A pay run: totals, funds, exclusions, run-level approval, progress, decisions',
  request: { params: idParam },
  responses: { 200: { description: 'The pay run', content: { 'application/json': { schema: payRunSchema } } }, ...errors, 404: errorResponse('No such pay run') },
});
const itemsRoute = route({
  method: 'get', path: '/pay-runs/{id}/items', operationId: 'listPayRunItems', summary: 'A pay run’s items by payout id, optionally in one state',
  request: { params: idParam, query: z.object({ state: z.enum(payRunItemStates).optional(), cursor: z.string().uuid().optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }) },
  responses: { 200: { description: 'A page', content: { 'application/json': { schema: z.object({ items: z.array(itemSchema), nextCursor: z.string().nullable() }) } } }, ...errors, 404: errorResponse('No such pay run') },
});
const decisionRoute = route({
  method: 'get', path: '/pay-runs/{id}/decision', operationId: 'getPayRunDecision', summary: 'What the signed-in approver may approve now, and the hash their decision binds',
  request: { params: idParam },
  responses: { 200: { description: 'The decision', content: { 'application/json': { schema: decisionSchema } } }, ...errors, 404: errorResponse('No such pay run') },
});
const approveRoute = route({
  method: 'post', path: '/pay-runs/{id}/approve', operationId: 'approvePayRun', summary: 'Approve everything the approver may approve now, with one fresh TOTP code',
  description: '`itemsHash` is what GET /decision gave; if the items changed since, 409 `items_changed` and nothing is decided. The workflow delivers the approval to each payout; a payout that refuses (details changed, amount changed, …) is reported on its item.',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: z.object({ itemsHash: z.string().regex(/^[0-9a-f]{64}$/) }).strict().openapi('ApprovePayRunRequest') } }, required: true } },
  responses: {
    202: { description: 'Recorded; being delivered', content: { 'application/json': { schema: z.object({ decisionId: z.string(), approving: z.number(), refused: z.array(refusedItem.extend({ message: z.string() })) }).openapi('PayRunDecisionAccepted') } } },
    ...errors, 404: errorResponse('No such pay run'), 409: errorResponse('Items changed, or nothing to approve'), 503: errorResponse('Temporal unavailable'),
  },
});
const runApprovalRoute = route({
  method: 'post', path: '/pay-runs/{id}/run-approval', operationId: 'approvePayRunTotal', summary: 'Run-level approval of a run whose total passes the policy’s run limits (not its creator)',
  request: { params: idParam, headers: totpHeaders },
  responses: { 200: { description: 'Approved', content: { 'application/json': { schema: payRunSchema } } }, ...errors, 404: errorResponse('No such pay run'), 409: errorResponse('Not required or already approved') },
});
const excludeRoute = route({
  method: 'post', path: '/pay-runs/{id}/exclude', operationId: 'excludePayRunItems', summary: 'Take items out of the run (not those a decision is delivering)',
  request: { params: idParam, body: { content: { 'application/json': { schema: z.object({ payoutIds: z.array(z.string().uuid()).min(1).max(20_000), reason: z.string().trim().min(1).max(500) }).strict().openapi('ExcludePayRunItemsRequest') } }, required: true } },
  responses: { 200: { description: 'The run', content: { 'application/json': { schema: payRunSchema.extend({ excludedNow: z.array(z.string()) }) } } }, ...errors, 404: errorResponse('No such pay run') },
});
const rejectRoute = route({
  method: 'post', path: '/pay-runs/{id}/reject', operationId: 'rejectPayRun', summary: 'Reject what is left undecided; those payouts stay AWAITING_APPROVAL',
  request: { params: idParam, headers: totpHeaders, body: { content: { 'application/json': { schema: z.object({ reason: z.string().trim().min(1).max(1000) }).strict().openapi('RejectPayRunRequest') } }, required: true } },
  responses: { 200: { description: 'The run', content: { 'application/json': { schema: payRunSchema } } }, ...errors, 404: errorResponse('No such pay run'), 409: errorResponse('Closed') },
});
const retryRoute = route({
  method: 'post', path: '/pay-runs/{id}/retry', operationId: 'retryPayRun', summary: 'A new attempt for a finished run’s FAILED payouts: new payout requests, a new linked run',
  description: 'Each FAILED payout is requested again (same partner, method, currency, amount and details), initiated by the caller, who therefore cannot approve them; paid payouts are not touched. Needs a fresh TOTP code. Honours `Idempotency-Key`.',
  request: { params: idParam, headers: totpHeaders },
  responses: {
    201: { description: 'The new run', content: { 'application/json': { schema: payRunSchema.extend({ notRetried: z.array(refusedItem.extend({ message: z.string() })) }) } } },
    ...errors, 404: errorResponse('No such pay run'), 409: errorResponse('Not finished, or already retried'), 422: errorResponse('No FAILED payouts'),
  },
});
const fundsListRoute = route({
  method: 'get', path: '/platform-funds', operationId: 'listPlatformFunds', summary: 'What the platform declares available per payment method and currency',
  responses: { 200: { description: 'Declared funds', content: { 'application/json': { schema: z.object({ funds: z.array(fundsSchema) }) } } }, ...errors },
});
const fundsPutRoute = route({
  method: 'put', path: '/platform-funds/{methodId}/{currency}', operationId: 'declarePlatformFunds', summary: 'Declare what a method and currency has available; needs a fresh TOTP code',
  request: {
    params: z.object({ methodId: z.string().min(1).max(64).openapi({ param: { name: 'methodId', in: 'path' } }), currency: currencySchema.openapi({ param: { name: 'currency', in: 'path' } }) }),
    headers: totpHeaders,
    body: { content: { 'application/json': { schema: z.object({ available: amountSchema }).strict().openapi('DeclarePlatformFundsRequest') } }, required: true },
  },
  responses: { 200: { description: 'Declared', content: { 'application/json': { schema: fundsSchema } } }, ...errors },
});

function requireAdmin(user: AuthenticatedUser, permission: Permission): void {
  if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'pay runs are for admins');
  requirePermission(user, permission);
}

export function payRunRoutes(dependencies: ApiDependencies): OpenAPIHono<import('../context.ts').ApiEnv> {
  const { database, identity, temporal, policies } = dependencies;
  const payRunPolicy = async () => (await policies.active()).policy.payRuns;

  const loadRun = async (id: string) => {
    const run = await findPayRun(database, id);
    if (!run) throw new ApiError(404, 'not_found', `no pay run ${id}`, 'params.id');
    return run;
  };
  const present = async (run: PayRunRow) => ({
    ...(await payRunView(database, run, await payRunPolicy())),
    workflowId: payRunWorkflowId(run.id),
    workflowUrl: workflowUrl(dependencies, payRunWorkflowId(run.id)),
  });
  /**
   * Tells the run's workflow what the database already holds. Temporal unreachable is not a refusal: the change is
   * recorded and the run picks it up on its next progress check (docs/rules.md#pay-runs), so the answer stands.
   */
  const tell = async (run: PayRunRow, send: (handle: ReturnType<typeof temporal.workflow.getHandle>) => Promise<unknown>) => {
    try {
      await send(temporal.workflow.getHandle(payRunWorkflowId(run.id)));
    } catch (error) {
      if (isTemporalUnavailable(error)) return;
      throw toApiError(error, 'the pay run');
    }
  };

  return createSubApp()
    .openapi(listRoute, async (c) => {
      requireAdmin(c.get('user'), 'payRuns.read');
      const query = c.req.valid('query');
      const rows = await listPayRuns(database, {
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.cursor === undefined ? {} : { cursor: decodeTimeCursor(query.cursor) }),
        limit: query.limit,
      });
      const last = rows.at(-1);
      return c.json({ payRuns: await Promise.all(rows.map(present)), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.created_at.toISOString(), last.id) : null }, 200);
    })
    .openapi(createRouteDefinition, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'payRuns.create');
      const body = c.req.valid('json');
      const key = c.req.header('idempotency-key');
      const result = await runIdempotent(database, { userId: user.id, key, fingerprint: ['pay-run', body] }, async () => {
        const active = await policies.active();
        let run: PayRunRow;
        try {
          ({ run } = await createPayRun(database, {
            source: 'ADMIN', paymentDate: null, selection: body.selection, note: body.note ?? null, createdBy: user.id, idempotencyKey: key ?? null,
            policyVersion: active.version, payouts: active.policy.payouts, payRuns: active.policy.payRuns,
          }));
        } catch (error) {
          throw toApiError(error, 'the pay run');
        }
        try {
          await startPayRunWorkflow(temporal, dependencies.taskQueue, run, active.policy.payRuns);
        } catch (error) {
          throw toApiError(error, 'the pay run');
        }
        return { status: 201, body: await present(run) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as z.infer<typeof payRunSchema>, 201);
    })
    .openapi(getRoute, async (c) => {
      requireAdmin(c.get('user'), 'payRuns.read');
      return c.json(await present(await loadRun(c.req.valid('param').id)), 200);
    })
    .openapi(itemsRoute, async (c) => {
      requireAdmin(c.get('user'), 'payRuns.read');
      const run = await loadRun(c.req.valid('param').id);
      const query = c.req.valid('query');
      const items = await payRunItems(database, run.id, { ...(query.state ? { state: query.state } : {}), ...(query.cursor ? { after: query.cursor } : {}), limit: query.limit });
      return c.json({ items, nextCursor: items.length === query.limit ? items.at(-1)!.payoutId : null }, 200);
    })
    .openapi(decisionRoute, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'payRuns.approve');
      const run = await loadRun(c.req.valid('param').id);
      const { view } = await decisionView(database, run.id, { userId: user.id, role: personRole(user) });
      return c.json(view, 200);
    })
    .openapi(approveRoute, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'payRuns.approve');
      const run = await loadRun(c.req.valid('param').id);
      const { itemsHash } = c.req.valid('json');
      const approver = { userId: user.id, role: personRole(user) };
      // A stale hash is answered before the code is spent, so the approver can look again and use the same code.
      const current = await decisionView(database, run.id, approver);
      if (current.view.itemsHash !== itemsHash) throw new ApiError(409, 'items_changed', 'the items you may approve changed since you looked; fetch the decision again', 'body.itemsHash');
      await requireFreshTotp(identity, user, c.req.header('x-totp-code'), 'approving a pay run');
      let decision;
      try {
        decision = await recordPayRunDecision(database, { runId: run.id, approver, itemsHash, totpVerifiedAt: new Date(), ip: clientIp(c) });
      } catch (error) {
        throw toApiError(error, 'the pay run');
      }
      await tell(run, (handle) => handle.executeUpdate(approveGroupUpdate, { args: [{ decisionId: decision.decisionId }] }));
      return c.json(decision, 202);
    })
    .openapi(runApprovalRoute, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'payRuns.approve');
      const run = await loadRun(c.req.valid('param').id);
      await requireFreshTotp(identity, user, c.req.header('x-totp-code'), 'approving a pay run’s total');
      let approved: PayRunRow;
      try {
        approved = await approvePayRunAsRun(database, { runId: run.id, approver: { userId: user.id, role: personRole(user) }, ip: clientIp(c) });
      } catch (error) {
        throw toApiError(error, 'the pay run');
      }
      await tell(run, (handle) => handle.executeUpdate(approveRunUpdate, { args: [{ by: user.id }] }));
      return c.json(await present(approved), 200);
    })
    .openapi(excludeRoute, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'payRuns.create');
      const run = await loadRun(c.req.valid('param').id);
      if (['COMPLETED', 'COMPLETED_WITH_FAILURES', 'REJECTED'].includes(run.status)) throw new ApiError(409, 'invalid_state', `the pay run is ${run.status}`, 'status');
      const body = c.req.valid('json');
      const excluded = await excludePayRunItems(database, { runId: run.id, payoutIds: body.payoutIds, reason: 'excluded_by_admin', note: body.reason, by: user.id });
      await tell(run, (handle) => handle.executeUpdate(excludeItemsUpdate, { args: [{ payoutIds: excluded }] }));
      return c.json({ ...(await present(await loadRun(run.id))), excludedNow: excluded }, 200);
    })
    .openapi(rejectRoute, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'payRuns.approve');
      const run = await loadRun(c.req.valid('param').id);
      const { reason } = c.req.valid('json');
      await requireFreshTotp(identity, user, c.req.header('x-totp-code'), 'rejecting a pay run');
      try {
        await rejectPayRun(database, { runId: run.id, by: user.id, reason });
      } catch (error) {
        throw toApiError(error, 'the pay run');
      }
      await tell(run, (handle) => handle.executeUpdate(rejectPayRunUpdate, { args: [{ by: user.id, reason }] }));
      return c.json(await present(await loadRun(run.id)), 200);
    })
    .openapi(retryRoute, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'payRuns.create');
      requirePermission(user, 'payouts.create.any');
      const run = await loadRun(c.req.valid('param').id);
      const key = c.req.header('idempotency-key');
      const result = await runIdempotent(database, { userId: user.id, key, fingerprint: ['pay-run-retry', run.id] }, async () => {
        // What the run's state refuses is answered before the code is spent.
        try {
          await assertRetryable(database, run.id);
        } catch (error) {
          throw toApiError(error, 'the pay run');
        }
        await requireFreshTotp(identity, user, c.req.header('x-totp-code'), 'retrying a pay run');
        let retried;
        try {
          retried = await retryPayRun(
            { database, ledger: dependencies.ledger, policies, temporal, taskQueue: dependencies.taskQueue },
            { runId: run.id, initiator: { userId: user.id, role: personRole(user), auditActor: user.id }, ip: clientIp(c) },
          );
        } catch (error) {
          throw toApiError(error, 'the pay run');
        }
        return { status: 201, body: { ...(await present(retried.run)), notRetried: retried.notRetried } };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as z.infer<typeof payRunSchema> & { notRetried: { payoutId: string; code: string; message: string }[] }, 201);
    })
    .openapi(fundsListRoute, async (c) => {
      requireAdmin(c.get('user'), 'payRuns.read');
      const rows = await listPlatformFunds(database);
      return c.json({ funds: rows.map((row) => ({ methodId: row.method_id, currency: row.currency, available: row.available, declaredBy: row.declared_by, declaredAt: row.declared_at.toISOString() })) }, 200);
    })
    .openapi(fundsPutRoute, async (c) => {
      const user = c.get('user');
      requireAdmin(user, 'platformFunds.manage');
      const { methodId, currency } = c.req.valid('param');
      const { available } = c.req.valid('json');
      if (new Money(available).isNegative()) throw new ApiError(400, 'invalid_request', 'available is not negative', 'body.available');
      if (!fitsScale(new Money(available), currency)) throw new ApiError(400, 'invalid_request', `${currency} has fewer decimal places`, 'body.available');
      if (!(await policies.active()).policy.payouts.methods.some((method) => method.id === methodId)) {
        throw new ApiError(404, 'not_found', `no payment method ${methodId}`, 'params.methodId');
      }
      await requireFreshTotp(identity, user, c.req.header('x-totp-code'), 'declaring platform funds');
      await declarePlatformFunds(database, { methodId, currency, available, by: user.id });
      // Runs waiting for funds check again now; a run that cannot be reached re-checks on its own timer.
      await Promise.allSettled((await openPayRunIds(database)).map((id) => temporal.workflow.getHandle(payRunWorkflowId(id)).signal(fundsDeclaredSignal)));
      const row = (await listPlatformFunds(database)).find((funds) => funds.method_id === methodId && funds.currency === currency)!;
      return c.json({ methodId, currency, available: row.available, declaredBy: row.declared_by, declaredAt: row.declared_at.toISOString() }, 200);
    });
}
