import { createRoute, z } from '@hono/zod-openapi';
import { AuthError } from '../../modules/identity/identity.ts';
import { partnerTotpDue } from '../../modules/payouts/payment-details-changes.ts';
import { clientIp, createSubApp, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/**
 * A partner's own second factor (docs/rules.md#details-change-controls). Partners sign in with a password alone until
 * they enrol: start with the password (a secret and its otpauth URI, shown once), confirm with a code from it, and
 * from then on sign-in and every change of payment details ask for a code, as they do of admins.
 */

const statusSchema = z
  .object({
    enrolled: z.boolean(),
    pending: z.boolean().openapi({ description: 'An enrolment was started and awaits its confirming code' }),
    required: z.boolean().openapi({ description: 'Partners: the policy requires TOTP at the current balance before details changes and payout requests' }),
  })
  .openapi('TotpStatus');

const errors = {
  400: errorResponse('Malformed request, or a wrong code'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Wrong password'),
  409: errorResponse('Already enrolled, or no enrolment started'),
};

const getStatus = createRoute({
  operationId: 'getMyTotp',
  method: 'get',
  path: '/me/totp',
  summary: 'Whether the signed-in user has TOTP, has an enrolment pending, and must enrol under the policy',
  security: bearerSecurity,
  responses: { 200: { description: 'Status', content: { 'application/json': { schema: statusSchema } } }, 401: errors[401] },
});

const startEnrolment = createRoute({
  operationId: 'startTotpEnrolment',
  method: 'post',
  path: '/me/totp',
  summary: 'Starts TOTP enrolment with the account password: returns a new secret and its otpauth URI (shown once)',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: z.object({ password: z.string().min(1).max(200) }).strict() } }, required: true } },
  responses: {
    200: {
      description: 'A pending secret; confirm it with a code',
      content: { 'application/json': { schema: z.object({ secret: z.string(), otpauthUri: z.string() }).openapi('TotpEnrolment') } },
    },
    ...errors,
  },
});

const confirmEnrolment = createRoute({
  operationId: 'confirmTotpEnrolment',
  method: 'post',
  path: '/me/totp/confirm',
  summary: 'Confirms the pending secret with a code from it; sign-in and payment-details changes then ask for a code',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: z.object({ code: z.string().regex(/^\d{6}$/, 'six digits') }).strict() } }, required: true } },
  responses: { 200: { description: 'Enrolled', content: { 'application/json': { schema: statusSchema } } }, ...errors },
});

export function meTotpRoutes(dependencies: ApiDependencies) {
  const { database, identity, ledger } = dependencies;

  const status = async (user: { id: string; partnerId: string | null }) => {
    const row = await identity.totpState(user.id);
    const required =
      user.partnerId !== null && !row.enrolled
        ? await partnerTotpDue(database, { ledger, partnerId: user.partnerId, policy: (await dependencies.policies.active()).policy.payouts.detailsChange })
        : false;
    return { ...row, required };
  };

  /** A wrong password or code is the caller's input at fault (never a 401, which would end the console's session). */
  const asApiError = (error: unknown): unknown => {
    if (!(error instanceof AuthError)) return error;
    if (error.code === 'invalid_credentials') return new ApiError(403, error.code, error.message, error.field);
    if (error.code === 'invalid_totp') return new ApiError(400, error.code, error.message, error.field);
    return new ApiError(409, error.code, error.message, error.field);
  };

  return createSubApp()
    .openapi(getStatus, async (c) => c.json(await status(c.get('user')), 200))
    .openapi(startEnrolment, async (c) => {
      const { password } = c.req.valid('json');
      try {
        return c.json(await identity.startTotpEnrolment(c.get('user').id, password), 200);
      } catch (error) {
        throw asApiError(error);
      }
    })
    .openapi(confirmEnrolment, async (c) => {
      const user = c.get('user');
      const { code } = c.req.valid('json');
      try {
        await identity.confirmTotpEnrolment(user.id, code, { ip: clientIp(c) });
      } catch (error) {
        throw asApiError(error);
      }
      return c.json(await status(user), 200);
    });
}
