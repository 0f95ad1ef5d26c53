import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import { bonusStatuses } from '../../domain/bonus.ts';
import { formatMoney } from '../../domain/money.ts';
import { findBonus, type BonusRow } from '../../modules/bonuses/bonus-store.ts';
import { requestBonus } from '../../modules/bonuses/start-bonus.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePartnerAccess, requirePermission, workflowUrl, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
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
  })
  .openapi('Bonus');


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
  description: 'Requires a fresh TOTP code in `X-TOTP-Code` (step-up). Honours `Idempotency-Key`.',
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
    503: errorResponse('Temporal unavailable; nothing was posted'),
  },
});

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
  });

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
          const row = await requestBonus({ database, temporal, taskQueue: dependencies.taskQueue, policy: dependencies.policy }, {
            bonusId: randomUUID(),
            partnerId: body.partnerId,
            amount: formatMoney(body.amount, body.currency),
            currency: body.currency,
            reason: body.reason,
            actorUserId: user.id,
            ip: clientIp(c),
          });
          return { status: 202, body: toBonus(row) };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof bonusSchema>, 202);
    })
    .openapi(getBonus, async (c) => {
      const { id } = c.req.valid('param');
      const row = await findBonus(database, id);
      if (!row) throw new ApiError(404, 'not_found', `bonus ${id} does not exist`, 'id');
      requirePartnerAccess(c.get('user'), row.partner_id, 'bonuses.read.any');
      return c.json(toBonus(row), 200);
    });
}
