import { createRoute, z } from '@hono/zod-openapi';
import { requirePartnerExists } from '../../modules/partners/partner-store.ts';
import { savePaymentMethod, savedPaymentMethods, type SavedPaymentMethod } from '../../modules/payouts/saved-payment-methods.ts';
import { readPayoutSwitches } from '../../modules/ops/ops-switches-store.ts';
import { listDetailsChanges, requirePartnerTotpWhereDue } from '../../modules/payouts/payment-details-changes.ts';
import { findPaymentMethod, validatePaymentDetails } from '../../domain/payout.ts';
import { clientIp, createSubApp, personRole, requireFreshTotp, requirePartnerAccess, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError, withFields } from '../errors.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * The payment methods a partner can be paid by (the policy in force) and the details each partner keeps per method
 * (docs/rules.md#payment-methods). A payout copies the details at creation; changing them here changes no payout already
 * requested. Each saved method shows the fields changed since the partner's last completed payout by that method
 * (the warning in docs/rules.md#details-changed), and every change is audited with the fields it touched (never their values).
 */

const methodSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    currency: z.string(),
    fields: z.array(z.object({ name: z.string(), label: z.string(), pattern: z.string(), required: z.boolean() })),
    feePercent: z.string(),
    minFee: z.string(),
    minPayout: z.string(),
    nonRegularSurchargePercent: z.string().openapi({ description: 'docs/rules.md#payout-fees: the surcharge a non-regular payout (off schedule or below the minimum) adds to the fee' }),
    processing: z.enum(['MANUAL', 'AUTOMATIC']).openapi({ description: 'As the policy sets it' }),
    forcedManual: z.boolean().openapi({ description: 'An outage switched the method to manual processing for now (docs/rules.md#emergency-switches)' }),
  })
  .openapi('PaymentMethod');

const savedSchema = z
  .object({
    methodId: z.string(),
    details: z.record(z.string()),
    updatedAt: z.string(),
    changedSinceLastCompleted: z.array(z.string()).openapi({ description: 'Fields that differ from the details of the last completed payout by this method; empty when none or no such payout' }),
    lastCompletedPayoutId: z.string().nullable(),
  })
  .openapi('SavedPaymentMethod');

const detailsChangeSchema = z
  .object({
    id: z.string(),
    methodId: z.string(),
    changedBy: z.string().openapi({ description: 'A user id, or system:<component>' }),
    changedByRole: z.string(),
    source: z.enum(['SAVED_METHOD', 'PAYOUT_REQUEST', 'DRAFT_SUBMISSION']),
    initial: z.boolean().openapi({ description: 'The partner’s first details of all: a setup, not a change of where money goes' }),
    changedFields: z.array(z.string()),
    before: z.record(z.string()).nullable().openapi({ description: 'Masked: at most the last four characters of each value' }),
    after: z.record(z.string()).openapi({ description: 'Masked like `before`' }),
    changedAt: z.string(),
  })
  .openapi('PaymentDetailsChange');

const partnerParams = z.object({ id: partnerIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const methodParams = partnerParams.extend({
  methodId: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'a payment method id').openapi({ param: { name: 'methodId', in: 'path' } }),
});
const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or no fresh TOTP code'),
  403: errorResponse('Not allowed'),
  404: errorResponse('No such partner or method'),
};

const listMethods = createRoute({
  operationId: 'listPaymentMethods',
  method: 'get',
  path: '/payment-methods',
  summary: 'The payment methods of the policy in force, with their fields, fees and minimums',
  security: bearerSecurity,
  responses: { 200: { description: 'Methods', content: { 'application/json': { schema: z.object({ methods: z.array(methodSchema) }) } } }, ...errors },
});

const listSaved = createRoute({
  operationId: 'listPartnerPaymentMethods',
  method: 'get',
  path: '/partners/{id}/payment-methods',
  summary: 'The payment details a partner keeps per method, with the fields changed since their last completed payout',
  security: bearerSecurity,
  request: { params: partnerParams },
  responses: { 200: { description: 'Saved methods', content: { 'application/json': { schema: z.object({ methods: z.array(savedSchema) }) } } }, ...errors },
});

const saveMethod = createRoute({
  operationId: 'updatePartnerPaymentMethod',
  method: 'put',
  path: '/partners/{id}/payment-methods/{methodId}',
  summary: 'Saves the partner’s details for a method (the partner themself, with a TOTP code once enrolled; or an admin with a fresh TOTP code)',
  description:
    'Every change is recorded with who made it, audited with masked values and e-mailed to the partner. For the policy’s window (`payouts.detailsChange.windowDays`) ' +
    'an admin who changed a partner’s details may not approve that partner’s payouts, and payouts to the changed details need at least the policy’s minimum tier. ' +
    'A partner above the policy’s `partnerTotpRequiredAboveRub` without TOTP is refused with 403 `totp_enrolment_required`.',
  security: bearerSecurity,
  request: {
    params: methodParams,
    headers: z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code: admins always, partners once they enrolled TOTP' }) }),
    body: { content: { 'application/json': { schema: z.object({ details: z.record(z.string().max(1_000)) }).strict() } }, required: true },
  },
  responses: { 200: { description: 'Saved', content: { 'application/json': { schema: savedSchema } } }, ...errors },
});

const listChanges = createRoute({
  operationId: 'listPaymentDetailsChanges',
  method: 'get',
  path: '/partners/{id}/payment-details-changes',
  summary: 'Every change of the partner’s payment details, newest first (the latest 100), with who made it and masked values',
  security: bearerSecurity,
  request: { params: partnerParams },
  responses: { 200: { description: 'Changes', content: { 'application/json': { schema: z.object({ changes: z.array(detailsChangeSchema) }) } } }, ...errors },
});

export function paymentMethodRoutes(dependencies: ApiDependencies) {
  const { database, identity, ledger } = dependencies;

  const toSaved = (saved: SavedPaymentMethod) => ({ ...saved, updatedAt: saved.updatedAt.toISOString() });

  return createSubApp()
    .openapi(listMethods, async (c) => {
      const { policy } = await dependencies.policies.active();
      const methods = await Promise.all(
        policy.payouts.methods.map(async (method) => ({
          ...method,
          forcedManual: (await readPayoutSwitches(database, { methodId: method.id, partnerId: '' })).methodForcedManual,
        })),
      );
      return c.json({ methods }, 200);
    })
    .openapi(listSaved, async (c) => {
      const { id } = c.req.valid('param');
      requirePartnerAccess(c.get('user'), id, 'partners.read.any');
      return c.json({ methods: (await savedPaymentMethods(database, id)).map(toSaved) }, 200);
    })
    .openapi(listChanges, async (c) => {
      const { id } = c.req.valid('param');
      requirePartnerAccess(c.get('user'), id, 'partners.read.any');
      const rows = await listDetailsChanges(database, id);
      const changes = rows.map((row) => ({
        id: row.id,
        methodId: row.method_id,
        changedBy: row.changed_by,
        changedByRole: row.changed_by_role,
        source: row.source,
        initial: row.initial,
        changedFields: row.changed_fields,
        before: row.details_before,
        after: row.details_after,
        changedAt: row.changed_at.toISOString(),
      }));
      return c.json({ changes }, 200);
    })
    .openapi(saveMethod, async (c) => {
      const user = c.get('user');
      const { id, methodId } = c.req.valid('param');
      const { details } = c.req.valid('json');
      if (user.role === 'partner') {
        if (user.partnerId !== id) throw new ApiError(403, 'forbidden', 'partners may only change their own payment details', 'params.id');
      } else {
        requirePermission(user, 'partners.update');
      }
      const { policy } = await dependencies.policies.active();
      const method = findPaymentMethod(policy.payouts, methodId);
      if (!method) throw new ApiError(404, 'not_found', `no payment method ${methodId}`, 'params.methodId');
      const issue = validatePaymentDetails(method, details)[0];
      if (issue) throw new ApiError(400, 'invalid_request', `body.details.${issue.field}: ${issue.message}`, `body.details.${issue.field}`);
      await withFields(requirePartnerExists(database, id), { partnerId: 'params.id' });
      // Where the money goes is what an account takeover changes first: an admin doing it for a partner steps up, and
      // so does a partner who enrolled TOTP (docs/rules.md#details-change-controls).
      const code = c.req.valid('header')['x-totp-code'];
      if (user.role === 'partner') {
        const hasTotp = await identity.hasTotp(user.id);
        await requirePartnerTotpWhereDue(database, { ledger, partnerId: id, userHasTotp: hasTotp, policy: policy.payouts.detailsChange, field: 'X-TOTP-Code' });
        if (hasTotp) await requireFreshTotp(identity, user, code, 'changing payment details');
      } else {
        await requireFreshTotp(identity, user, code, 'changing a partner’s payment details');
      }
      const saved = await savePaymentMethod(database, {
        partnerId: id, methodId, details, changer: { userId: user.id, role: personRole(user) }, ip: clientIp(c),
      });
      return c.json(toSaved(saved), 200);
    });
}
