import { createRoute, z } from '@hono/zod-openapi';
import { partnerFlagKinds, type PartnerFlag } from '../../domain/partner-flags.ts';
import { checkFlagClearable, clearFlagByAdmin, listPartnerFlags } from '../../modules/partner-flags/admin-clearance.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePartnerAccess, requirePermission, type ApiDependencies } from '../context.ts';
import { withFields } from '../errors.ts';

import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * Partner flags (issue #5) over HTTP: what holds or marks a partner (debt limit, chargebacks and their penalties,
 * open disputes). Lifecycles raise and clear their own flags; an admin clears a review (debt limit, account
 * review) here, which also tells the partner's HELD payouts to re-run their checklist at once.
 */

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });

const flagSchema = z
  .object({
    id: z.string(),
    partnerId: z.string(),
    kind: z.enum(partnerFlagKinds),
    holdsPayouts: z.boolean().openapi({ description: 'While active, the payout checklist holds this partner’s payouts' }),
    source: z.object({ type: z.string(), id: z.string() }).openapi({ description: 'What raised it: refund, chargeback, dispute, order-cancel, …' }),
    reason: z.string(),
    raisedBy: z.string(),
    raisedAt: z.string(),
    expiresAt: z.string().nullable(),
    active: z.boolean(),
    clearance: z.object({ by: z.string(), at: z.string(), reason: z.string() }).nullable(),
  })
  .openapi('PartnerFlag');

const errors = {
  400: errorResponse('Invalid input; `field` names it'),
  401: errorResponse('Not signed in, or the TOTP code is missing, wrong or used'),
  403: errorResponse('Not allowed'),
};

const listFlags = createRoute({
  operationId: 'listPartnerFlags',
  method: 'get',
  path: '/partners/{id}/flags',
  summary: 'A partner’s flags, active first (a partner reads their own)',
  security: bearerSecurity,
  request: {
    params: z.object({ id: partnerIdSchema.openapi({ param: { name: 'id', in: 'path' } }) }),
    query: z.object({ active: z.enum(['true', 'false']).optional().openapi({ description: 'true: only the flags in force' }) }),
  },
  responses: { 200: { description: 'Flags', ...json(z.object({ data: z.array(flagSchema) })) }, ...errors, 404: errorResponse('No such partner') },
});

const clearFlag = createRoute({
  operationId: 'clearPartnerFlag',
  method: 'post',
  path: '/partner-flags/{flagId}/clear',
  summary: 'Clear an active flag (an account review, a debt-limit review); audited as PARTNER_UNFLAG',
  description:
    'Needs a fresh TOTP code. The partner’s HELD payouts re-run their checklist at once. Flags a lifecycle owns ' +
    '(an open dispute, an open chargeback, a running monitoring period) are cleared by that lifecycle and refused here.',
  security: bearerSecurity,
  request: {
    params: z.object({ flagId: z.string().regex(/^[1-9]\d{0,17}$/, 'a flag id').openapi({ param: { name: 'flagId', in: 'path' } }) }),
    headers: z.object({ 'x-totp-code': z.string().optional() }),
    body: { ...json(z.object({ reason: z.string().trim().min(1).max(500) }).strict().openapi('ClearPartnerFlagRequest')), required: true },
  },
  responses: {
    200: { description: 'The cleared flag, and the HELD payouts told to re-check', ...json(flagSchema.extend({ nudgedPayouts: z.array(z.string()) })) },
    ...errors,
    404: errorResponse('No such flag'),
    409: errorResponse('Cleared already, or owned by a running lifecycle'),
  },
});

function toBody(flag: PartnerFlag) {
  return {
    id: flag.id,
    partnerId: flag.partnerId,
    kind: flag.kind,
    holdsPayouts: flag.holdsPayouts,
    source: { type: flag.sourceType, id: flag.sourceId },
    reason: flag.reason,
    raisedBy: flag.raisedBy,
    raisedAt: flag.raisedAt.toISOString(),
    expiresAt: flag.expiresAt?.toISOString() ?? null,
    active: flag.clearedAt === null,
    clearance: flag.clearedAt && { by: flag.clearedBy!, at: flag.clearedAt.toISOString(), reason: flag.clearanceReason! },
  };
}

export function partnerFlagRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal } = dependencies;
  return createSubApp()
    .openapi(listFlags, async (c) => {
      const user = c.get('user');
      const { id } = c.req.valid('param');
      requirePartnerAccess(user, id, 'flags.read.any');
      const flags = await withFields(listPartnerFlags(database, id, { activeOnly: c.req.valid('query').active === 'true' }), { partnerId: 'params.id' });
      return c.json({ data: flags.map(toBody) }, 200);
    })
    .openapi(clearFlag, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'flags.clear');
      const { flagId } = c.req.valid('param');
      const { reason } = c.req.valid('json');
      await withFields(checkFlagClearable(database, flagId), { flagId: 'params.flagId' });
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'clearing a partner flag');
      const { flag, nudgedPayouts } = await withFields(clearFlagByAdmin({ database, temporal }, { flagId, actor: user.id, reason, ip: clientIp(c) }), { flagId: 'params.flagId' });
      return c.json({ ...toBody(flag), nudgedPayouts }, 200);
    });
}
