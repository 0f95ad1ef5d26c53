import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import { bonusStatuses } from '../../domain/bonus.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { isAdminRole } from '../../domain/access.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { findBonus, listBonusesAwaitingApproval, type BonusRow } from '../../modules/bonuses/bonus-store.ts';
import { decideBonus, requestBonus } from '../../modules/bonuses/start-bonus.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies } from '../context.ts';
import { ApiError, toApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { amountWhere, bearerSecurity, currencySchema, errorResponse, partnerIdSchema, refineAmountScale } from '../schemas.ts';
import { bonusWorkflowId } from '../../workflows/bonus-messages.ts';

const createBonusBody = z
  .object({
    partnerId: partnerIdSchema,
    amount: amountWhere((amount) => !amount.isZero(), 'a bonus cannot be zero').openapi({
      description: 'Positive credits the partner; negative deducts (beyond `available` it becomes debt)',
    }),
    currency: currencySchema,
    reason: z.string().trim().min(1).max(500),
  })
  .strict()
  .superRefine(refineAmountScale)
  .openapi('CreateBonusRequest');

const bonusSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    workflowUrl: z.string().nullable(),
    status: z.enum(bonusStatuses),
    partnerId: z.string(),
    amount: z.string(),
    currency: z.string(),
    reason: z.string(),
    entryId: z.string().nullable(),
    failure: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string(),
    needsApproval: z.boolean().openapi({ description: 'Above the four-eyes threshold: a second person approves before it posts' }),
    amountRub: z.string().nullable().openapi({ description: 'RUB-equivalent at the rates in force when requested; null when unknown' }),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .openapi('Bonus');

const decisionBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict().openapi('BonusDecisionRequest');


const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed'),
};

const createBonus = createRoute({
  method: 'post',
  path: '/',
  operationId: 'createBonus',
  summary: 'Credit or debit a partner with a bonus (no hold); runs as workflow bonus-<id>',
  description:
    'Requires a fresh TOTP code in `X-TOTP-Code` (step-up). Above `fourEyes.bonusAboveRub` (RUB-equivalent) the bonus is ' +
    'AWAITING_APPROVAL until a second person approves it. Honours `Idempotency-Key`: a retry with the same key finds the same bonus.',
  security: bearerSecurity,
  request: {
    headers: z.object({
      'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }),
      'idempotency-key': z.string().optional(),
    }),
    body: { content: { 'application/json': { schema: createBonusBody } }, required: true },
  },
  responses: {
    202: { description: 'Accepted; the workflow posts it', content: { 'application/json': { schema: bonusSchema } } },
    ...errors,
    409: errorResponse('Same Idempotency-Key still in progress'),
    422: errorResponse('Unknown partner, or Idempotency-Key reused'),
    503: errorResponse('Temporal unavailable; nothing was posted (retry with the same Idempotency-Key)'),
  },
});

const listAwaiting = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listBonuses',
  summary: 'Bonuses waiting for a second person (AWAITING_APPROVAL), oldest first',
  security: bearerSecurity,
  request: { query: z.object({ status: z.literal('AWAITING_APPROVAL').openapi({ description: 'Only AWAITING_APPROVAL is listed' }) }) },
  responses: {
    200: { description: 'Bonuses', content: { 'application/json': { schema: z.object({ bonuses: z.array(bonusSchema) }) } } },
    ...errors,
  },
});

function decisionRoute(kind: 'approve' | 'reject') {
  return createRoute({
    method: 'post',
    path: `/{id}/${kind}`,
    operationId: kind === 'approve' ? 'approveBonus' : 'rejectBonus',
    summary: kind === 'approve'
      ? 'Approve a bonus AWAITING_APPROVAL (four eyes): answers once it is posted'
      : 'Reject a bonus AWAITING_APPROVAL (four eyes)',
    description: 'A second person: never the maker, one of the policy’s `fourEyes.moneyCheckerRoles`, with a fresh TOTP code in `X-TOTP-Code`.',
    security: bearerSecurity,
    request: {
      params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
      headers: z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }) }),
      body: { content: { 'application/json': { schema: decisionBody } }, required: false },
    },
    responses: {
      200: { description: 'The bonus after the decision', content: { 'application/json': { schema: bonusSchema } } },
      ...errors,
      404: errorResponse('No such bonus'),
      409: errorResponse('The bonus is not AWAITING_APPROVAL'),
      503: errorResponse('Temporal unavailable; nothing was decided'),
    },
  });
}

const getBonus = createRoute({
  method: 'get',
  path: '/{id}',
  operationId: 'getBonus',
  summary: 'One bonus and its status',
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The bonus', content: { 'application/json': { schema: bonusSchema } } },
    ...errors,
    404: errorResponse('No such bonus'),
  },
});

export function bonusRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal } = dependencies;
  const toBonus = (row: BonusRow) => ({
    id: row.id,
    workflowId: bonusWorkflowId(row.id),
    workflowUrl: workflowUrl(dependencies, bonusWorkflowId(row.id)),
    status: row.status,
    partnerId: row.partner_id,
    amount: formatMoney(row.amount, row.currency),
    currency: row.currency,
    reason: row.reason,
    entryId: row.entry_id,
    failure: row.failure,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    needsApproval: row.needs_approval,
    amountRub: row.amount_rub,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at?.toISOString() ?? null,
  });

  /**
   * A checker's decision (docs/rules.md#four-eyes): the row refuses what it can before the TOTP code is spent; the
   * workflow's validator refuses the maker and roles outside the policy's list.
   */
  async function decide(
    decision: 'APPROVED' | 'REJECTED',
    input: { user: AuthenticatedUser; id: string; totp: string | undefined; reason: string | null; ip: string | null },
  ): Promise<BonusRow> {
    const { user, id } = input;
    requirePermission(user, 'bonuses.decide');
    const row = await findBonus(database, id);
    if (!row) throw new ApiError(404, 'not_found', `bonus ${id} does not exist`, 'id');
    if (row.status !== 'AWAITING_APPROVAL') throw new ApiError(409, 'invalid_state', `the bonus is ${row.status}`, 'status');
    if (row.created_by === user.id) throw new ApiError(403, 'maker_checker', 'the maker cannot approve or reject their own bonus; a second person decides');
    if (!isAdminRole(user.role)) throw new ApiError(403, 'forbidden', 'an admin decides');
    await requireFreshTotp(identity, user, input.totp, `a bonus ${decision === 'APPROVED' ? 'approval' : 'rejection'}`);
    try {
      await decideBonus(temporal, id, decision, {
        actor: { userId: user.id, role: user.role }, reason: input.reason, ip: input.ip,
      });
    } catch (error) {
      throw toApiError(error, 'the bonus');
    }
    return (await findBonus(database, id))!;
  }

  return createSubApp()
    .openapi(createBonus, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'bonuses.create');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/bonuses', body] },
        async () => {
          await requireFreshTotp(identity, user, headers['x-totp-code'], 'a bonus');
          const row = await requestBonus({ database, temporal, taskQueue: dependencies.taskQueue, policy: (await dependencies.policies.active()).policy }, {
            bonusId: randomUUID(),
            partnerId: body.partnerId,
            amount: formatMoney(body.amount, body.currency),
            currency: body.currency,
            reason: body.reason,
            actorUserId: user.id,
            ip: clientIp(c),
          }, { idempotencyKey: headers['idempotency-key'] ?? null });
          return { status: 202, body: toBonus(row) };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof bonusSchema>, 202);
    })
    .openapi(listAwaiting, async (c) => {
      requirePermission(c.get('user'), 'bonuses.read.any');
      return c.json({ bonuses: (await listBonusesAwaitingApproval(database)).map(toBonus) }, 200);
    })
    .openapi(decisionRoute('approve'), async (c) => {
      const row = await decide('APPROVED', {
        user: c.get('user'), id: c.req.valid('param').id, totp: c.req.valid('header')['x-totp-code'],
        reason: c.req.valid('json')?.reason ?? null, ip: clientIp(c),
      });
      return c.json(toBonus(row), 200);
    })
    .openapi(decisionRoute('reject'), async (c) => {
      const row = await decide('REJECTED', {
        user: c.get('user'), id: c.req.valid('param').id, totp: c.req.valid('header')['x-totp-code'],
        reason: c.req.valid('json')?.reason ?? null, ip: clientIp(c),
      });
      return c.json(toBonus(row), 200);
    })
    .openapi(getBonus, async (c) => {
      const { id } = c.req.valid('param');
      const row = await findBonus(database, id);
      if (!row) throw new ApiError(404, 'not_found', `bonus ${id} does not exist`, 'id');
      requirePartnerAccess(c.get('user'), row.partner_id, 'bonuses.read.any');
      return c.json(toBonus(row), 200);
    });
}
