import { createRoute, z } from '@hono/zod-openapi';
import { clientIp, createSubApp, requireFreshTotp, requirePermission, type ApiDependencies } from '../context.ts';
import { withFields } from '../errors.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });

const unlockUser = createRoute({
  operationId: 'unlockUser',
  method: 'post',
  path: '/{id}/unlock',
  summary: 'Lift a user’s sign-in lockout and delays now; audited as USER_UNLOCK',
  description:
    'After 10 failed sign-ins an account is locked for an hour (docs/rules.md#sign-in); this ends the lock and forgets ' +
    'the account’s failures. Needs a fresh TOTP code. The addresses the guesses came from keep their own counters.',
  security: bearerSecurity,
  request: {
    params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
    headers: z.object({ 'x-totp-code': z.string().optional() }),
  },
  responses: {
    200: {
      description: 'The account is unlocked',
      ...json(
        z
          .object({
            id: z.string(),
            email: z.string(),
            failuresCleared: z.number().int().openapi({ description: 'The failed sign-ins the account had on record (0: it was not throttled)' }),
          })
          .openapi('UnlockedUser'),
      ),
    },
    400: errorResponse('Malformed user id'),
    401: errorResponse('No valid session token, or no valid TOTP code'),
    403: errorResponse('The role may not unlock users'),
    404: errorResponse('No such user'),
  },
});

export function userRoutes(dependencies: ApiDependencies) {
  const { identity } = dependencies;
  return createSubApp().openapi(unlockUser, async (c) => {
    const user = c.get('user');
    requirePermission(user, 'users.unlock');
    const { id } = c.req.valid('param');
    await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'unlocking a user');
    const unlocked = await withFields(identity.unlockUser(id, { actor: user.id, ip: clientIp(c) }), { id: 'params.id' });
    return c.json(unlocked, 200);
  });
}
