import { createRoute, z } from '@hono/zod-openapi';
import { apiKeyIdPattern, apiKeyNamePattern, apiKeyRateLimit, apiKeyScopeNames, apiKeyScopes, type ApiKeyScope } from '../../domain/api-keys.ts';
import { createApiKey, findApiKey, listApiKeyCalls, listApiKeys, revokeApiKey, type ApiKeySummary } from '../../modules/api-keys/api-key-store.ts';
import { clientIp, createSubApp, personRole, requireFreshTotp, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError, withFields } from '../errors.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/**
 * API keys for machines over HTTP (docs/rules.md#api-keys): listed by any admin, created and revoked by the roles
 * with `api_keys.manage`, each change with a fresh TOTP code and an audit record. A key is shown once, in the
 * answer that creates it.
 */

const scopeSchema = z.enum(apiKeyScopeNames as [ApiKeyScope, ...ApiKeyScope[]]).openapi({
  description: apiKeyScopeNames.map((scope) => `\`${scope}\`: ${apiKeyScopes[scope].description}`).join('; '),
});

const apiKeySchema = z
  .object({
    id: z.string().openapi({ description: 'The public part of the key (`lf_<id>_…`): how it is listed, revoked and audited' }),
    name: z.string(),
    scopes: z.array(scopeSchema),
    requestsPerMinute: z.number().int(),
    createdBy: z.string().openapi({ description: 'A user id, or `system:cli`' }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().openapi({ description: 'The last call that passed the rate limit; null: never used' }),
    revokedBy: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

const createApiKeyBody = z
  .object({
    name: z.string().trim().regex(apiKeyNamePattern, '1 to 100 letters, digits, spaces and ._:/()-').openapi({ example: 'shop checkout' }),
    scopes: z.array(scopeSchema).min(1).max(apiKeyScopeNames.length),
    requestsPerMinute: z
      .number()
      .int()
      .min(apiKeyRateLimit.minimumRequestsPerMinute)
      .max(apiKeyRateLimit.maximumRequestsPerMinute)
      .optional()
      .openapi({ description: `The key's rate limit (a token bucket of this many calls, refilled at this rate); default ${apiKeyRateLimit.defaultRequestsPerMinute}` }),
  })
  .strict()
  .openapi('CreateApiKeyRequest');

const totpHeaders = z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }) });
const idParams = z.object({ id: z.string().regex(apiKeyIdPattern, 'an API key id: 16 hex digits').openapi({ param: { name: 'id', in: 'path' } }) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });
const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed'),
};

const listRoute = createRoute({
  operationId: 'listApiKeys',
  method: 'get',
  path: '/api-keys',
  summary: 'Every API key, newest first, with its scopes, last use and revocation (never its secret)',
  security: bearerSecurity,
  responses: { 200: { description: 'The keys', ...json(z.object({ data: z.array(apiKeySchema) })) }, 401: errors[401], 403: errors[403] },
});

const createKeyRoute = createRoute({
  operationId: 'createApiKey',
  method: 'post',
  path: '/api-keys',
  summary: 'Create an API key for a machine; the answer shows the key once',
  description:
    'Requires a fresh TOTP code in `X-TOTP-Code`. The key (`lf_<id>_<secret>`) is sent as `Authorization: Bearer lf_…`; only the SHA-256 of its secret is kept, so it cannot be shown again. A key gets no scope its creator’s role lacks.',
  security: bearerSecurity,
  request: { headers: totpHeaders, body: { ...json(createApiKeyBody), required: true } },
  responses: {
    201: { description: 'Created', ...json(apiKeySchema.extend({ key: z.string().openapi({ description: 'The key itself, shown this once' }) })) },
    ...errors,
  },
});

const revokeRoute = createRoute({
  operationId: 'revokeApiKey',
  method: 'post',
  path: '/api-keys/{id}/revoke',
  summary: 'Revoke an API key: its next call is a 401',
  description: 'Requires a fresh TOTP code in `X-TOTP-Code`. Revoking a revoked key changes nothing (`changed: false`).',
  security: bearerSecurity,
  request: { params: idParams, headers: totpHeaders },
  responses: {
    200: { description: 'Revoked', ...json(z.object({ apiKey: apiKeySchema, changed: z.boolean() })) },
    ...errors,
    404: errorResponse('No such key'),
  },
});

const callsRoute = createRoute({
  operationId: 'listApiKeyCalls',
  method: 'get',
  path: '/api-keys/{id}/calls',
  summary: 'The latest calls made with a key, newest first, refused ones included (wrong scope, rate limit)',
  security: bearerSecurity,
  request: { params: idParams, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
  responses: {
    200: {
      description: 'The calls',
      ...json(z.object({ data: z.array(z.object({ id: z.string(), calledAt: z.string(), method: z.string(), path: z.string(), status: z.number().int(), ip: z.string().nullable() })) })),
    },
    ...errors,
    404: errorResponse('No such key'),
  },
});

function toBody(key: ApiKeySummary) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    requestsPerMinute: key.requestsPerMinute,
    createdBy: key.createdBy,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedBy: key.revokedBy,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

export function apiKeyRoutes(dependencies: ApiDependencies) {
  const { database, identity } = dependencies;
  return createSubApp()
    .openapi(listRoute, async (c) => {
      requirePermission(c.get('user'), 'api_keys.read');
      return c.json({ data: (await listApiKeys(database)).map(toBody) }, 200);
    })
    .openapi(createKeyRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'api_keys.manage');
      const creatorRole = personRole(user);
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'creating an API key');
      const body = c.req.valid('json');
      const created = createApiKey(database, { ...body, actor: user.id, creatorRole, ip: clientIp(c) });
      const fields = ['name', 'requestsPerMinute', 'scopes', ...body.scopes.map((_, index) => `scopes.${index}`)];
      const { key, ...summary } = await withFields(created, Object.fromEntries(fields.map((field) => [field, `body.${field}`])));
      return c.json({ ...toBody(summary), key }, 201);
    })
    .openapi(callsRoute, async (c) => {
      requirePermission(c.get('user'), 'api_keys.read');
      const { id } = c.req.valid('param');
      if (!(await findApiKey(database, id))) throw new ApiError(404, 'not_found', `no API key ${id}`, 'params.id');
      const calls = await listApiKeyCalls(database, id, c.req.valid('query').limit);
      return c.json({ data: calls.map((call) => ({ ...call, calledAt: call.calledAt.toISOString() })) }, 200);
    })
    .openapi(revokeRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'api_keys.manage');
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'revoking an API key');
      const { id } = c.req.valid('param');
      const { changed, ...apiKey } = await withFields(revokeApiKey(database, { id, actor: user.id, ip: clientIp(c) }), { id: 'params.id' });
      return c.json({ apiKey: toBody(apiKey), changed }, 200);
    });
}
