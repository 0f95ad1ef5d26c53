import { createRoute, z } from '@hono/zod-openapi';
import { userRoles } from '../../domain/access.ts';
import { AuthError } from '../../modules/identity/identity.ts';
import { clientIp, createSubApp, personRole, type ApiDependencies } from '../context.ts';
import { ApiError, errorBody } from '../errors.ts';
import { bearerSecurity, errorResponse, errorSchema } from '../schemas.ts';

const loginBody = z
  .object({
    email: z.string().email().max(254),
    // Any length signs in (a password set before the 12-character minimum still works); new ones are checked where set.
    password: z.string().min(1).max(200),
    totp: z.string().regex(/^\d{6}$/, 'six digits').optional(),
  })
  .strict()
  .openapi('LoginRequest');

const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(userRoles),
  partnerId: z.string().nullable(),
});

const login = createRoute({
  method: 'post',
  path: '/login',
  summary: 'Sign in with email and password (admins add a TOTP code); returns a new session token',
  description:
    'The password and, for admins, the TOTP code are checked together: every failure (unknown email, wrong password, ' +
    'missing or wrong code, disabled or locked account) is the same 401 invalid_credentials. After 5 failures of an ' +
    'account or a client address each attempt waits a growing delay (429 with Retry-After, nothing checked); after 10 ' +
    'it is locked for an hour or until an admin unlocks it (docs/rules.md#sign-in).',
  operationId: 'logIn',
  // Public: this is where a session token comes from (api/app.ts lets it through the session check).
  security: [],
  request: { body: { content: { 'application/json': { schema: loginBody } }, required: true } },
  responses: {
    200: {
      description: 'Signed in',
      content: { 'application/json': { schema: z.object({ token: z.string(), expiresAt: z.string(), user: userSchema }) } },
    },
    400: errorResponse('Malformed body'),
    401: errorResponse('Wrong email, password or TOTP code, or a disabled or locked account: one answer for all'),
    429: {
      description: 'Too many failed sign-ins of this account or from this address: wait Retry-After seconds',
      headers: z.object({ 'Retry-After': z.string().openapi({ description: 'Seconds to wait', example: '4' }) }),
      content: { 'application/json': { schema: errorSchema } },
    },
  },
});

const logout = createRoute({
  method: 'post',
  path: '/logout',
  summary: 'Revoke the current session token',
  operationId: 'logOut',
  security: bearerSecurity,
  responses: { 204: { description: 'Signed out' }, 401: errorResponse('No valid session token') },
});

const me = createRoute({
  method: 'get',
  path: '/me',
  summary: 'The signed-in user',
  operationId: 'getCurrentUser',
  security: bearerSecurity,
  responses: {
    200: { description: 'The user', content: { 'application/json': { schema: userSchema } } },
    401: errorResponse('No valid session token'),
  },
});

export function authRoutes(dependencies: ApiDependencies) {
  return createSubApp()
    .openapi(login, async (c) => {
      const body = c.req.valid('json');
      try {
        const session = await dependencies.identity.login({ ...body, address: clientIp(c) });
        return c.json({ token: session.token, expiresAt: session.expiresAt.toISOString(), user: session.user }, 200);
      } catch (error) {
        if (error instanceof AuthError && error.code === 'sign_in_delayed') {
          return c.json(errorBody(error.code, error.message), 429, { 'Retry-After': String(error.retryAfterSeconds ?? 1) });
        }
        if (error instanceof AuthError) throw new ApiError(401, error.code, error.message, error.field);
        throw error;
      }
    })
    .openapi(logout, async (c) => {
      await dependencies.identity.logout(c.get('token'));
      return c.body(null, 204);
    })
    .openapi(me, (c) => {
      const user = c.get('user');
      return c.json({ id: user.id, email: user.email, role: personRole(user), partnerId: user.partnerId }, 200);
    });
}
