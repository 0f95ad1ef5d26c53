import { createRoute, z } from '@hono/zod-openapi';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { decimalPattern, parseMoney } from '../../domain/money.ts';
import {
  addPolicyVersion, decidePolicyChange, findPolicyChangeRequest, listPolicyChangeRequests, policyChangeRequestStatuses, type PolicyChangeRequestRow,
} from '../../modules/policy/add-policy-version.ts';
import { isAdminRole } from '../../domain/access.ts';
import {
  decideFxRate, findFxRateRequest, fxRateRequestStatuses, listFxRateRequests, listFxRates, requestFxRate, type FxRateRequestRow, type FxRateRow,
} from '../../modules/policy/fx-rates.ts';
import type { PolicyVersion } from '../../modules/policy/policy-store.ts';
import { clientIp, createSubApp, personRole, requireFreshTotp, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
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

const policyRequestSchema = z
  .object({
    id: z.string(),
    baseVersion: z.number().openapi({ description: 'The latest version when it was requested; approving it after another version was added is refused' }),
    effectiveFrom: z.string(),
    reason: z.string(),
    policy: z.object({}).passthrough().openapi({ description: 'The requested policy document' }),
    tiersBefore: z.object({}).passthrough().openapi({ description: 'The limit sections of the base version' }),
    tiersAfter: z.object({}).passthrough().openapi({ description: 'The limit sections of the requested document' }),
    status: z.enum(policyChangeRequestStatuses),
    appliedVersion: z.number().nullable().openapi({ description: 'The version it became (APPROVED)' }),
    createdBy: z.string(),
    createdAt: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
  })
  .openapi('PolicyChangeRequest');

const toPolicyRequest = (row: PolicyChangeRequestRow) => ({
  id: row.id, baseVersion: row.base_version, effectiveFrom: row.effective_from.toISOString(), reason: row.reason, policy: row.document,
  tiersBefore: row.tiers_before, tiersAfter: row.tiers_after, status: row.status, appliedVersion: row.applied_version,
  createdBy: row.created_by, createdAt: row.created_at.toISOString(), decidedBy: row.decided_by, decidedAt: row.decided_at?.toISOString() ?? null,
  decisionReason: row.decision_reason,
});

const listPolicyRequests = createRoute({
  method: 'get',
  path: '/policy/requests',
  operationId: 'listPolicyChangeRequests',
  summary: 'Policy changes that move a limit, newest first; ?status=PENDING lists those waiting for a second person',
  security: bearerSecurity,
  request: { query: z.object({ status: z.enum(policyChangeRequestStatuses).optional() }) },
  responses: { 200: { description: 'Requests', content: { 'application/json': { schema: z.object({ requests: z.array(policyRequestSchema) }) } } }, ...errors },
});

/**
 * A second person's decision on a PENDING four-eyes request (docs/rules.md#four-eyes): the one route shape of the policy
 * changes and the FX rates, approve or reject, with a fresh TOTP code and an optional reason.
 */
function fourEyesDecisionRoute<Schema extends z.ZodTypeAny>(
  kind: 'approve' | 'reject',
  request: { path: string; operationIds: { approve: string; reject: string }; subject: string; checkers: string; schema: Schema; conflict: string },
) {
  return createRoute({
    method: 'post',
    path: `${request.path}/{id}/${kind}`,
    operationId: request.operationIds[kind],
    summary: `${kind === 'approve' ? 'Apply' : 'Reject'} a PENDING ${request.subject} (four eyes)`,
    description: `A second person: never the maker, ${request.checkers}, with a fresh TOTP code in \`X-TOTP-Code\`.`,
    security: bearerSecurity,
    request: {
      params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
      headers: z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }) }),
      body: { content: { 'application/json': { schema: z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict() } }, required: false },
    },
    responses: {
      200: { description: 'The request after the decision', content: { 'application/json': { schema: request.schema } } },
      ...errors,
      404: errorResponse('No such request'),
      409: errorResponse(request.conflict),
    },
  });
}

const policyDecisionRoute = (kind: 'approve' | 'reject') =>
  fourEyesDecisionRoute(kind, {
    path: '/policy/requests',
    operationIds: { approve: 'approvePolicyChange', reject: 'rejectPolicyChange' },
    subject: 'policy change',
    checkers: 'one of the latest version’s `fourEyes.moneyCheckerRoles` holding `policy.manage`',
    schema: policyRequestSchema,
    conflict: 'The request is not PENDING, or (approve) another policy version was added after it was requested',
  });

const addVersion = createRoute({
  method: 'post',
  path: '/policy/versions',
  operationId: 'createPolicyVersion',
  summary: 'Add a policy version that applies to events completing from effectiveFrom on (needs X-TOTP-Code)',
  description:
    'A version that changes no limit section (payout approval tiers and details-change window, adjustment thresholds, dispute ' +
    'goodwill limit, sign-in limits, `fourEyes`) is applied (201). One that moves a limit is stored as a PENDING policy change ' +
    'request (202) until a second person approves it (`POST /v1/policy/requests/{id}/approve`).',
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
    202: { description: 'It moves a limit: PENDING until a second person approves it', content: { 'application/json': { schema: policyRequestSchema } } },
    ...errors,
    422: errorResponse('The document is invalid (the field is named), or effectiveFrom is not after the latest version'),
  },
});

const rateSchema = z.object({ currency: z.string(), usdRate: z.string(), effectiveAt: z.string(), createdBy: z.string() }).openapi('FxRate');

const rateRequestSchema = z
  .object({
    id: z.string(),
    currency: z.string(),
    usdRate: z.string(),
    effectiveAt: z.string(),
    previousUsdRate: z.string().nullable().openapi({ description: 'The rate in force it replaces (null: the currency’s first rate)' }),
    status: z.enum(fxRateRequestStatuses).openapi({ description: 'APPLIED: in fx_rates; PENDING: outside the band, waiting for a second person; REJECTED' }),
    createdBy: z.string(),
    createdAt: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    decisionReason: z.string().nullable(),
  })
  .openapi('FxRateRequest');

const toRateRequest = (row: FxRateRequestRow) => ({
  id: row.id, currency: row.currency, usdRate: row.usd_rate, effectiveAt: row.effective_at.toISOString(), previousUsdRate: row.previous_usd_rate,
  status: row.status, createdBy: row.created_by, createdAt: row.created_at.toISOString(), decidedBy: row.decided_by,
  decidedAt: row.decided_at?.toISOString() ?? null, decisionReason: row.decision_reason,
});

const listRateRequests = createRoute({
  method: 'get',
  path: '/fx-rates/requests',
  operationId: 'listFxRateRequests',
  summary: 'Requested FX rates (each POST /v1/fx-rates), newest first; ?status=PENDING lists those waiting for a second person',
  security: bearerSecurity,
  request: { query: z.object({ status: z.enum(fxRateRequestStatuses).optional() }) },
  responses: { 200: { description: 'Requests', content: { 'application/json': { schema: z.object({ requests: z.array(rateRequestSchema) }) } } }, ...errors },
});

const rateDecisionRoute = (kind: 'approve' | 'reject') =>
  fourEyesDecisionRoute(kind, {
    path: '/fx-rates',
    operationIds: { approve: 'approveFxRate', reject: 'rejectFxRate' },
    subject: 'FX rate',
    checkers: 'one of the policy’s `fourEyes.fxCheckerRoles`',
    schema: rateRequestSchema,
    conflict: 'The request is not PENDING, or a rate for that currency and time exists already',
  });

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
  summary: 'Add a platform rate: USD per one unit of the currency, from effectiveAt on (needs X-TOTP-Code)',
  description:
    'Inside `fourEyes.fxRateBand` around the rate in force the rate is applied (201); outside it, it is stored PENDING (202) ' +
    'until a second person approves it (`POST /v1/fx-rates/{id}/approve`). Either way it is audited with the rate before and after.',
  security: bearerSecurity,
  request: {
    headers: z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }) }),
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
    201: { description: 'Applied', content: { 'application/json': { schema: rateRequestSchema } } },
    202: { description: 'Outside the band: PENDING until a second person approves it', content: { 'application/json': { schema: rateRequestSchema } } },
    ...errors,
    409: errorResponse('A rate for that currency and time exists already'),
  },
});

const toRate = (row: FxRateRow) => ({ currency: row.currency, usdRate: row.usd_rate, effectiveAt: row.effective_at.toISOString(), createdBy: row.created_by });

export function policyRoutes(dependencies: ApiDependencies) {
  const { database, policies, identity } = dependencies;
  /** A checker's decision on a PENDING rate: the row refuses what it can before the TOTP code is spent. */
  async function decideRate(
    user: AuthenticatedUser, decision: 'APPROVED' | 'REJECTED', id: string, totp: string | undefined, reason: string | null, ip: string | null,
  ): Promise<FxRateRequestRow> {
    requirePermission(user, 'fx.manage');
    if (!isAdminRole(user.role)) throw new ApiError(403, 'forbidden', 'an admin decides');
    const requested = await findFxRateRequest(database, id);
    if (!requested) throw new ApiError(404, 'not_found', `FX rate request ${id} does not exist`, 'id');
    if (requested.status !== 'PENDING') throw new ApiError(409, 'invalid_state', `the FX rate request is ${requested.status}`, 'status');
    if (requested.created_by === user.id) throw new ApiError(403, 'maker_checker', 'the maker cannot approve or reject their own rate; a second person decides');
    await requireFreshTotp(identity, user, totp, `an FX rate ${decision === 'APPROVED' ? 'approval' : 'rejection'}`);
    const { policy } = await policies.active();
    return decideFxRate(database, { requestId: id, decision, actor: { userId: user.id, role: user.role }, reason, ip, policy: policy.fourEyes });
  }
  /** A checker's decision on a PENDING policy change: what the row refuses is refused before the TOTP code is spent. */
  async function decidePolicy(
    user: AuthenticatedUser, decision: 'APPROVED' | 'REJECTED', id: string, totp: string | undefined, reason: string | null, ip: string | null,
  ): Promise<PolicyChangeRequestRow> {
    requirePermission(user, 'policy.manage');
    const role = personRole(user);
    const requested = await findPolicyChangeRequest(database, id);
    if (!requested) throw new ApiError(404, 'not_found', `policy change request ${id} does not exist`, 'id');
    if (requested.status !== 'PENDING') throw new ApiError(409, 'invalid_state', `the policy change request is ${requested.status}`, 'status');
    if (requested.created_by === user.id) throw new ApiError(403, 'maker_checker', 'the maker cannot approve or reject their own policy change; a second person decides');
    await requireFreshTotp(identity, user, totp, `a policy change ${decision === 'APPROVED' ? 'approval' : 'rejection'}`);
    return decidePolicyChange({ database, policies }, { requestId: id, decision, actor: { userId: user.id, role }, reason, ip });
  }
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
      return added.status === 'APPLIED' ? c.json(toVersion(added.version), 201) : c.json(toPolicyRequest(added.request), 202);
    })
    .openapi(listPolicyRequests, async (c) => {
      requirePermission(c.get('user'), 'policy.manage');
      return c.json({ requests: (await listPolicyChangeRequests(database, c.req.valid('query').status)).map(toPolicyRequest) }, 200);
    })
    .openapi(policyDecisionRoute('approve'), async (c) => c.json(toPolicyRequest(await decidePolicy(c.get('user'), 'APPROVED', c.req.valid('param').id, c.req.valid('header')['x-totp-code'], c.req.valid('json')?.reason ?? null, clientIp(c))), 200))
    .openapi(policyDecisionRoute('reject'), async (c) => c.json(toPolicyRequest(await decidePolicy(c.get('user'), 'REJECTED', c.req.valid('param').id, c.req.valid('header')['x-totp-code'], c.req.valid('json')?.reason ?? null, clientIp(c))), 200))
    .openapi(listRates, async (c) => {
      const { currency } = c.req.valid('query');
      return c.json({ rates: (await listFxRates(database, currency)).map(toRate) }, 200);
    })
    .openapi(addRate, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'fx.manage');
      const body = c.req.valid('json');
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'an FX rate change');
      const { policy } = await policies.active();
      const row = await requestFxRate(database, {
        currency: body.currency, usdRate: body.usdRate, effectiveAt: body.effectiveAt, actor: { userId: user.id, role: personRole(user) },
        ip: clientIp(c), policy: policy.fourEyes,
      });
      return row.status === 'APPLIED' ? c.json(toRateRequest(row), 201) : c.json(toRateRequest(row), 202);
    })
    .openapi(listRateRequests, async (c) => {
      requirePermission(c.get('user'), 'fx.manage');
      return c.json({ requests: (await listFxRateRequests(database, c.req.valid('query').status)).map(toRateRequest) }, 200);
    })
    .openapi(rateDecisionRoute('approve'), async (c) => c.json(toRateRequest(await decideRate(c.get('user'), 'APPROVED', c.req.valid('param').id, c.req.valid('header')['x-totp-code'], c.req.valid('json')?.reason ?? null, clientIp(c))), 200))
    .openapi(rateDecisionRoute('reject'), async (c) => c.json(toRateRequest(await decideRate(c.get('user'), 'REJECTED', c.req.valid('param').id, c.req.valid('header')['x-totp-code'], c.req.valid('json')?.reason ?? null, clientIp(c))), 200));
}
