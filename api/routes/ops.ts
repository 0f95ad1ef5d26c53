import { createRoute, z } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import { OpsSwitchStore, type MethodSwitchState, type PartnerFreezeState, type SwitchState } from '../../modules/ops/ops-switches-store.ts';
import { ExclusionInputError, PaymentExclusionStore, type PaymentExclusion } from '../../modules/ops/payment-exclusions-store.ts';
import type { Policy } from '../../domain/policy.ts';
import { commissionSourceTypes, effectiveProcessing, exclusionMatchFields, matchValueProblem, partnerFreezeKinds } from '../../domain/ops-switches.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError, withFields } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * docs/rules.md#payment-exclusions over HTTP: the payments exclude list (`/v1/payment-exclusions`) and the emergency switches
 * (`/v1/ops/...`). Every change needs its permission and a fresh TOTP code, and is audited with its reason.
 */

const reasonSchema = z.string().trim().min(1).max(500).openapi({ description: 'Why: kept on the row and in the audit record' });
const totpHeaders = z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }) });
const createHeaders = totpHeaders.extend({ 'idempotency-key': z.string().optional() });

const createExclusionBody = z
  .object({
    matchField: z.enum(exclusionMatchFields).openapi({ description: 'SOURCE_TYPE: a whole source type; SOURCE_ID: one order, investment or profit distribution' }),
    matchValue: z.string().min(1).max(128).openapi({ description: `SOURCE_TYPE: one of ${commissionSourceTypes.join(', ')}; SOURCE_ID: the event's sourceId`, example: 'PRODUCT' }),
    from: z.string().datetime({ offset: true }).openapi({ description: 'Transactions completed at or after this time are excluded' }),
    to: z.string().datetime({ offset: true }).nullable().optional().openapi({ description: 'Transactions completed before this time; null or omitted: no end' }),
    reason: reasonSchema,
  })
  .strict()
  .superRefine((body, context) => {
    const problem = matchValueProblem(body.matchField, body.matchValue);
    if (problem) context.addIssue({ code: z.ZodIssueCode.custom, path: ['matchValue'], message: problem });
    if (body.to && new Date(body.to).getTime() <= new Date(body.from).getTime()) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'must be after from' });
    }
  })
  .openapi('CreatePaymentExclusionRequest');

const exclusionSchema = z
  .object({
    id: z.string(),
    matchField: z.enum(exclusionMatchFields),
    matchValue: z.string(),
    from: z.string(),
    to: z.string().nullable(),
    reason: z.string(),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    removal: z.object({ by: z.string(), at: z.string(), reason: z.string() }).nullable(),
    withheld: z
      .array(z.object({ currency: z.string(), commissions: z.number(), amount: z.string() }))
      .openapi({ description: 'APPROVED commissions this exclusion keeps out of the pay batch now, per currency (lists only)' }),
  })
  .openapi('PaymentExclusion');

const processingSchema = z.object({ paused: z.boolean(), reason: z.string().nullable(), changedBy: z.string().nullable(), changedAt: z.string().nullable() }).openapi('ProcessingSwitch');
const methodSwitchSchema = z
  .object({
    methodId: z.string(),
    name: z.string().nullable(),
    processing: z.enum(['MANUAL', 'AUTOMATIC']).nullable().openapi({ description: 'The method’s processing in the policy in force; null: not in it' }),
    forceManual: z.boolean(),
    effectiveProcessing: z.enum(['MANUAL', 'AUTOMATIC']).nullable(),
    reason: z.string().nullable(),
    changedBy: z.string().nullable(),
    changedAt: z.string().nullable(),
  })
  .openapi('MethodSwitch');
const partnerFreezeSchema = z
  .object({
    partnerId: z.string(),
    frozen: z.boolean(),
    kind: z.enum(partnerFreezeKinds).nullable(),
    reason: z.string().nullable(),
    changedBy: z.string().nullable(),
    changedAt: z.string().nullable(),
  })
  .openapi('PartnerFreeze');
const changedSchema = z.boolean().openapi({ description: 'false: the switch was in that state already; nothing changed and nothing was audited' });

const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed'),
};
const idParams = z.object({ id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'an exclusion id').openapi({ param: { name: 'id', in: 'path' } }) });
const partnerParams = z.object({ id: partnerIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const methodParams = z.object({ methodId: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'a payment method id').openapi({ param: { name: 'methodId', in: 'path' } }) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });

const createExclusion = createRoute({
  operationId: 'createPaymentExclusion',
  method: 'post',
  path: '/payment-exclusions',
  summary: 'Stop paying commissions from one source over a range of transaction times (docs/rules.md#payment-exclusions exclude list)',
  description: 'Needs a fresh TOTP code in `X-TOTP-Code`. Honours `Idempotency-Key`. The excluded commissions stay APPROVED and in statistics; the pay batch skips them until the exclusion is removed.',
  security: bearerSecurity,
  request: { headers: createHeaders, body: { ...json(createExclusionBody), required: true } },
  responses: { 201: { description: 'Added', ...json(exclusionSchema) }, ...errors, 409: errorResponse('Same Idempotency-Key still in progress'), 422: errorResponse('Idempotency-Key reused') },
});

const listExclusions = createRoute({
  operationId: 'listPaymentExclusions',
  method: 'get',
  path: '/payment-exclusions',
  summary: 'The exclude list, newest first, with what each active exclusion withholds now',
  security: bearerSecurity,
  request: {
    query: z.object({
      active: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: { description: 'Exclusions', ...json(z.object({ exclusions: z.array(exclusionSchema) })) }, ...errors },
});

const removeExclusion = createRoute({
  operationId: 'removePaymentExclusion',
  method: 'post',
  path: '/payment-exclusions/{id}/remove',
  summary: 'Remove an exclusion: the next pay batch pays what it held back',
  description: 'Needs a fresh TOTP code. Removing a removed exclusion changes nothing (`changed: false`).',
  security: bearerSecurity,
  request: { params: idParams, headers: totpHeaders, body: { ...json(z.object({ reason: reasonSchema }).strict()), required: true } },
  responses: {
    200: { description: 'Removed', ...json(z.object({ exclusion: exclusionSchema, changed: changedSchema })) },
    ...errors,
    404: errorResponse('No such exclusion'),
  },
});

const getSwitches = createRoute({
  operationId: 'getOpsSwitches',
  method: 'get',
  path: '/ops/switches',
  summary: 'The emergency switches: processing pause, methods forced to manual, frozen partners',
  security: bearerSecurity,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(200).openapi({ description: 'At most this many frozen partners' }) }) },
  responses: {
    200: {
      description: 'Switches',
      ...json(z.object({ processing: processingSchema, methods: z.array(methodSwitchSchema), frozenPartners: z.array(partnerFreezeSchema) }).openapi('OpsSwitches')),
    },
    ...errors,
  },
});

const setProcessing = createRoute({
  operationId: 'updateProcessingSwitch',
  method: 'put',
  path: '/ops/switches/processing',
  summary: 'Pause or resume payout processing (docs/rules.md#emergency-switches: system error)',
  description: 'Paused: no payout goes to a provider and none may be marked processing. Needs a fresh TOTP code.',
  security: bearerSecurity,
  request: { headers: totpHeaders, body: { ...json(z.object({ paused: z.boolean(), reason: reasonSchema }).strict()), required: true } },
  responses: { 200: { description: 'The switch after the change', ...json(processingSchema.extend({ changed: changedSchema })) }, ...errors },
});

const setMethod = createRoute({
  operationId: 'updateMethodSwitch',
  method: 'put',
  path: '/ops/switches/methods/{methodId}',
  summary: 'Force a payment method to manual processing, or back (docs/rules.md#emergency-switches: provider outage)',
  description: 'Forced: its automatic payouts are queued for manual processing instead of going to the provider. Needs a fresh TOTP code.',
  security: bearerSecurity,
  request: { params: methodParams, headers: totpHeaders, body: { ...json(z.object({ forceManual: z.boolean(), reason: reasonSchema }).strict()), required: true } },
  responses: {
    200: { description: 'The switch after the change', ...json(methodSwitchSchema.extend({ changed: changedSchema })) },
    ...errors,
    404: errorResponse('No such payment method in the policy in force'),
  },
});

const freezeBody = z.object({ kind: z.enum(partnerFreezeKinds), reason: reasonSchema }).strict().openapi('FreezePartnerRequest');
const unfreezeBody = z.object({ reason: reasonSchema }).strict().openapi('UnfreezePartnerRequest');

function freezeRoute<Body extends z.ZodTypeAny>(action: 'freeze' | 'unfreeze', body: Body) {
  return createRoute({
    operationId: action === 'freeze' ? 'freezePartner' : 'unfreezePartner',
    method: 'post',
    path: `/ops/partners/{id}/${action}`,
    summary:
      action === 'freeze'
        ? 'Freeze a partner’s payouts (docs/rules.md#emergency-switches: suspected fraud, balance discrepancy); audited as BALANCE_FREEZE'
        : 'Lift a partner’s freeze; audited as BALANCE_UNFREEZE',
    description: 'Needs a fresh TOTP code. Repeating it changes nothing (`changed: false`).',
    security: bearerSecurity,
    request: { params: partnerParams, headers: totpHeaders, body: { ...json(body), required: true } },
    responses: {
      200: { description: 'The partner’s freeze after the change', ...json(partnerFreezeSchema.extend({ changed: changedSchema })) },
      ...errors,
      404: errorResponse('No such partner'),
    },
  });
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

function toExclusionBody(exclusion: PaymentExclusion): zod.infer<typeof exclusionSchema> {
  return {
    id: exclusion.id,
    matchField: exclusion.matchField,
    matchValue: exclusion.matchValue,
    from: exclusion.from.toISOString(),
    to: iso(exclusion.to),
    reason: exclusion.reason,
    active: exclusion.removal === null,
    createdBy: exclusion.createdBy,
    createdAt: exclusion.createdAt.toISOString(),
    removal: exclusion.removal && { by: exclusion.removal.by, at: exclusion.removal.at.toISOString(), reason: exclusion.removal.reason },
    withheld: exclusion.withheld,
  };
}

const toSwitchBody = (state: SwitchState) => ({ reason: state.reason, changedBy: state.changedBy, changedAt: iso(state.changedAt) });
const toProcessingBody = (state: SwitchState) => ({ paused: state.active, ...toSwitchBody(state) });
const toFreezeBody = (state: PartnerFreezeState) => ({ partnerId: state.partnerId, frozen: state.active, kind: state.kind, ...toSwitchBody(state) });

export function opsRoutes(dependencies: ApiDependencies) {
  const { database, identity, policies } = dependencies;
  const exclusions = new PaymentExclusionStore(database);
  const switches = new OpsSwitchStore(database);

  /** A method's row: its policy settings (null when the policy in force has no such method) and its switch. */
  const methodBody = (state: MethodSwitchState, policy: Policy) => {
    const method = policy.payouts.methods.find((candidate) => candidate.id === state.methodId);
    return {
      methodId: state.methodId,
      name: method?.name ?? null,
      processing: method?.processing ?? null,
      forceManual: state.active,
      effectiveProcessing: method ? effectiveProcessing(method.processing, { methodForcedManual: state.active }) : null,
      ...toSwitchBody(state),
    };
  };

  return createSubApp()
    .openapi(createExclusion, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'commissions.run');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/payment-exclusions', body] },
        async () => {
          await requireFreshTotp(identity, user, headers['x-totp-code'], 'a payment exclusion');
          try {
            const exclusion = await exclusions.add({
              matchField: body.matchField,
              matchValue: body.matchValue,
              from: new Date(body.from),
              to: body.to ? new Date(body.to) : null,
              reason: body.reason,
              actor: user.id,
              ip: clientIp(c),
            });
            return { status: 201, body: toExclusionBody(exclusion) };
          } catch (error) {
            if (error instanceof ExclusionInputError) throw new ApiError(400, 'invalid_request', `body.${error.field}: ${error.message}`, `body.${error.field}`);
            throw error;
          }
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof exclusionSchema>, 201);
    })
    .openapi(listExclusions, async (c) => {
      requirePermission(c.get('user'), 'commissions.read.any');
      const { active, limit } = c.req.valid('query');
      const list = await exclusions.list({ active, limit });
      return c.json({ exclusions: list.map(toExclusionBody) }, 200);
    })
    .openapi(removeExclusion, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'commissions.run');
      const { id } = c.req.valid('param');
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'removing a payment exclusion');
      const removal = exclusions.remove({ id, reason: c.req.valid('json').reason, actor: user.id, ip: clientIp(c) });
      const { exclusion, changed } = await withFields(removal, { id: 'params.id' });
      return c.json({ exclusion: toExclusionBody(exclusion), changed }, 200);
    })
    .openapi(getSwitches, async (c) => {
      requirePermission(c.get('user'), 'payouts.read.any');
      const { limit } = c.req.valid('query');
      const [processing, stored, frozen, { policy }] = await Promise.all([
        switches.processing(), switches.methods(), switches.frozenPartners(limit), policies.active(),
      ]);
      // Every method of the policy in force, then any switch left on a method the policy no longer has.
      const storedById = new Map(stored.map((state) => [state.methodId, state]));
      const states: MethodSwitchState[] = [
        ...policy.payouts.methods.map((method) => storedById.get(method.id) ?? { methodId: method.id, active: false, reason: null, changedBy: null, changedAt: null }),
        ...stored.filter((state) => !policy.payouts.methods.some((method) => method.id === state.methodId)),
      ];
      return c.json({ processing: toProcessingBody(processing), methods: states.map((state) => methodBody(state, policy)), frozenPartners: frozen.map(toFreezeBody) }, 200);
    })
    .openapi(setProcessing, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'payouts.process');
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'pausing or resuming payout processing');
      const body = c.req.valid('json');
      const { state, changed } = await switches.setProcessingPaused({ paused: body.paused, reason: body.reason, actor: user.id, ip: clientIp(c) });
      return c.json({ ...toProcessingBody(state), changed }, 200);
    })
    .openapi(setMethod, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'payouts.process');
      const { methodId } = c.req.valid('param');
      const body = c.req.valid('json');
      // Forcing needs a method the policy in force has; lifting is allowed for any method, so a switch left on a
      // method that a later policy dropped can still be cleared.
      const { policy } = await policies.active();
      const known = policy.payouts.methods.some((method) => method.id === methodId);
      if (!known && body.forceManual) throw new ApiError(404, 'method_not_found', `the policy in force has no payment method ${methodId}`, 'params.methodId');
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'switching a payment method');
      const { state, changed } = await switches.setMethodForceManual({ methodId, forceManual: body.forceManual, reason: body.reason, actor: user.id, ip: clientIp(c) });
      return c.json({ ...methodBody(state, policy), changed }, 200);
    })
    .openapi(freezeRoute('freeze', freezeBody), async (c) => {
      const user = c.get('user');
      requirePermission(user, 'partners.update');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'freezing a partner');
      return c.json(await setFrozen({ partnerId: id, frozen: true, kind: body.kind, reason: body.reason, actor: user.id, ip: clientIp(c) }), 200);
    })
    .openapi(freezeRoute('unfreeze', unfreezeBody), async (c) => {
      const user = c.get('user');
      requirePermission(user, 'partners.update');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'unfreezing a partner');
      return c.json(await setFrozen({ partnerId: id, frozen: false, reason: body.reason, actor: user.id, ip: clientIp(c) }), 200);
    });

  async function setFrozen(input: Parameters<OpsSwitchStore['setPartnerFrozen']>[0]) {
    const { state, changed } = await withFields(switches.setPartnerFrozen(input), { partnerId: 'params.id' });
    return { ...toFreezeBody(state), changed };
  }
}
