import { createRoute, z } from '@hono/zod-openapi';
import { decimalPattern, parseMoney } from '../../domain/money.ts';
import { addPolicyVersion } from '../../modules/policy/add-policy-version.ts';
import { addFxRate, listFxRates, type FxRateRow } from '../../modules/policy/fx-rates.ts';
import type { PolicyVersion } from '../../modules/policy/policy-store.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePermission, type ApiDependencies } from '../context.ts';
import { bearerSecurity, currencySchema, errorResponse } from '../schemas.ts';

const versionSchema = z
  .object({
    version: z.number(),
    effectiveFrom: z.string().nullable().openapi({ description: 'null: in force from the beginning' }),
    reason: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    policy: z.object({}).passthrough(),
  })
  .openapi('PolicyVersion');

function toVersion(version: PolicyVersion) {
  return {
    version: version.version,
    effectiveFrom: version.effectiveFrom?.toISOString() ?? null,
    reason: version.reason,
    createdBy: version.createdBy,
    createdAt: version.createdAt.toISOString(),
    policy: version.policy as unknown as Record<string, unknown>,
  };
}

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed'),
};

const getPolicy = createRoute({
  method: 'get',
  path: '/policy',
  operationId: 'getPolicy',
  summary: 'The policy version in force now (rates, holds, pools, limits), or at ?at=',
  security: bearerSecurity,
  request: { query: z.object({ at: z.string().datetime({ offset: true }).optional() }) },
  responses: { 200: { description: 'The version', content: { 'application/json': { schema: versionSchema } } }, ...errors },
});

const listVersions = createRoute({
  method: 'get',
  path: '/policy/versions',
  operationId: 'listPolicyVersions',
  summary: 'Every policy version, oldest first',
  security: bearerSecurity,
  responses: { 200: { description: 'Versions', content: { 'application/json': { schema: z.object({ versions: z.array(versionSchema) }) } } }, ...errors },
});

const addVersion = createRoute({
  method: 'post',
  path: '/policy/versions',
  operationId: 'createPolicyVersion',
  summary: 'Add a policy version that applies to events completing from effectiveFrom on (needs X-TOTP-Code)',
  security: bearerSecurity,
  request: {
    headers: z.object({ 'x-totp-code': z.string().optional() }),
    body: {
      content: {
        'application/json': {
          schema: z.object({
            effectiveFrom: z.string().datetime({ offset: true }),
            reason: z.string().trim().min(1).max(500),
            policy: z.object({}).passthrough().openapi({ description: 'The whole policy document (its version number is assigned)' }),
          }).strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    201: { description: 'Added', content: { 'application/json': { schema: versionSchema } } },
    ...errors,
    422: errorResponse('The document is invalid (the field is named), or effectiveFrom is not after the latest version'),
  },
});

const rateSchema = z.object({ currency: z.string(), usdRate: z.string(), effectiveAt: z.string(), createdBy: z.string() }).openapi('FxRate');

const listRates = createRoute({
  method: 'get',
  path: '/fx-rates',
  operationId: 'listFxRates',
  summary: 'Platform exchange rates to USD (used at each event’s completion time)',
  security: bearerSecurity,
  request: { query: z.object({ currency: currencySchema.optional() }) },
  responses: { 200: { description: 'Rates, newest first', content: { 'application/json': { schema: z.object({ rates: z.array(rateSchema) }) } } }, ...errors },
});

const addRate = createRoute({
  method: 'post',
  path: '/fx-rates',
  operationId: 'createFxRate',
  summary: 'Add a platform rate: USD per one unit of the currency, from effectiveAt on',
  security: bearerSecurity,
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            currency: currencySchema.refine((code) => code !== 'USD', 'USD is the base currency'),
            usdRate: z.string().regex(decimalPattern, 'a decimal string such as "0.0108"').refine((value) => decimalPattern.test(value) && parseMoney(value).gt(0), 'must be positive'),
            effectiveAt: z.string().datetime({ offset: true }),
          }).strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    201: { description: 'Added', content: { 'application/json': { schema: rateSchema } } },
    ...errors,
    409: errorResponse('A rate for that currency and time exists already'),
  },
});

const toRate = (row: FxRateRow) => ({ currency: row.currency, usdRate: row.usd_rate, effectiveAt: row.effective_at.toISOString(), createdBy: row.created_by });

export function policyRoutes(dependencies: ApiDependencies) {
  const { database, policies, identity } = dependencies;
  return createSubApp()
    .openapi(getPolicy, async (c) => {
      const { at } = c.req.valid('query');
      return c.json(toVersion(await policies.at(at ? new Date(at) : new Date())), 200);
    })
    .openapi(listVersions, async (c) => c.json({ versions: (await policies.versions()).map(toVersion) }, 200))
    .openapi(addVersion, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'policy.manage');
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'a policy change');
      const body = c.req.valid('json');
      const added = await addPolicyVersion({ database, policies }, {
        document: body.policy, effectiveFrom: body.effectiveFrom, reason: body.reason, actor: user.id, ip: clientIp(c),
      });
      return c.json(toVersion(added), 201);
    })
    .openapi(listRates, async (c) => {
      const { currency } = c.req.valid('query');
      return c.json({ rates: (await listFxRates(database, currency)).map(toRate) }, 200);
    })
    .openapi(addRate, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'fx.manage');
      const body = c.req.valid('json');
      const row = await addFxRate(database, { currency: body.currency, usdRate: body.usdRate, effectiveAt: body.effectiveAt, actor: user.id });
      return c.json(toRate(row), 201);
    });
}
