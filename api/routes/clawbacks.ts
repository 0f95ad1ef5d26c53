import { randomUUID } from 'node:crypto';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { seniorAdjustmentRoles } from '../../domain/adjustment.ts';
import { Money, fitsScale } from '../../domain/money.ts';
import { clawbackCommission, commissionCurrency } from '../../modules/adjustments/clawback.ts';
import { clientIp, createSubApp, requireFreshTotp, type ApiDependencies, type ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { amountWhere, errorResponse } from '../schemas.ts';
import { actorOf, errors, requireAdjustmentAdmin, route, totpHeaders } from './adjustment-schemas.ts';

/** Clawbacks (docs/rules.md#clawbacks): a senior admin reverses a commission, in full or in part, with a fresh TOTP code. */

const clawbackBody = z
  .object({
    amount: amountWhere((amount) => amount.gt(0), 'a clawback is positive').optional().openapi({ description: 'Absent: the full remaining amount' }),
    reason: z.string().trim().min(1).max(1000),
  })
  .strict()
  .openapi('ClawbackRequest');
const clawbackSchema = z
  .object({
    clawbackId: z.string(), commissionId: z.string(), amount: z.string(), currency: z.string(), full: z.boolean(),
    statusBefore: z.string(), commissionStatus: z.string(), entryId: z.string(),
  })
  .openapi('Clawback');

const clawback = route({
  method: 'post', path: '/commissions/{id}/clawback', operationId: 'clawBackCommission',
  summary: 'Claw a commission back, in full or in part (a reversing entry; the original REVERSED when full)',
  description: 'Senior admins only (docs/rules.md#clawbacks: "Reverse commission — senior admin"). Requires a fresh TOTP code in `X-TOTP-Code`. Honours `Idempotency-Key`.',
  request: {
    params: z.object({ id: z.string().regex(/^[1-9]\d{0,17}$/, 'a commission id').openapi({ param: { name: 'id', in: 'path' } }) }),
    headers: totpHeaders, body: { content: { 'application/json': { schema: clawbackBody } }, required: true },
  },
  responses: { 200: { description: 'Clawed back', content: { 'application/json': { schema: clawbackSchema } } }, ...errors, 404: errorResponse('No such commission'), 409: errorResponse('Already REVERSED'), 422: errorResponse('Amount beyond what is left') },
});

export function clawbackRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, ledger } = dependencies;
  return createSubApp().openapi(clawback, async (c) => {
    const user = c.get('user');
    requireAdjustmentAdmin(user, 'adjustments.approve');
    if (!seniorAdjustmentRoles.includes(user.role as AdminRole)) throw new ApiError(403, 'senior_required', 'a clawback is a senior admin’s decision');
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const headers = c.req.valid('header');
    const currency = await commissionCurrency(database, id);
    if (currency === null) throw new ApiError(404, 'not_found', `no commission ${id}`, 'params.id');
    if (body.amount !== undefined && !fitsScale(new Money(body.amount), currency)) throw new ApiError(400, 'invalid_request', `more decimal places than ${currency} allows`, 'body.amount');
    const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['clawback', id, body] }, async () => {
      await requireFreshTotp(identity, user, headers['x-totp-code'], 'a clawback');
      const done = await clawbackCommission(database, ledger, {
        commissionId: id, ...(body.amount === undefined ? {} : { amount: body.amount }), reason: body.reason, actor: actorOf(user),
        ip: clientIp(c), idempotencyKey: headers['idempotency-key'] ? `${user.id}:${headers['idempotency-key']}` : randomUUID(),
      });
      return {
        status: 200,
        body: {
          clawbackId: done.clawbackId, commissionId: done.commissionId, amount: done.amount, currency: done.currency, full: done.full,
          statusBefore: done.statusBefore, commissionStatus: done.commissionStatus, entryId: done.entryId,
        },
      };
    });
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as zod.infer<typeof clawbackSchema>, 200);
  });
}
