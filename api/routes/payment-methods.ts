import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'slonik';
import { z as zod } from 'zod';
import { appendAuditRecord } from '../../modules/audit/audit-store.ts';
import { readPayoutSwitches } from '../../activities/ops-switches-store.ts';
import { findPaymentMethod, validatePaymentDetails } from '../../domain/payout.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePartnerAccess, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * The payment methods a partner can be paid by (the policy in force) and the details each partner keeps per method
 * (SPEC 6.2, source 004). A payout copies the details at creation; changing them here changes no payout already
 * requested. Each saved method shows the fields changed since the partner's last completed payout by that method
 * (SPEC 6.6's warning), and every change is audited with the fields it touched (never their values).
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
    nonRegularSurchargePercent: z.string().openapi({ description: 'Source 004: the surcharge a non-regular payout (off schedule or below the minimum) adds to the fee' }),
    processing: z.enum(['MANUAL', 'AUTOMATIC']).openapi({ description: 'As the policy sets it' }),
    forcedManual: z.boolean().openapi({ description: 'An outage switched the method to manual processing for now (SPEC 6.9)' }),
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

const savedRow = zod.object({
  method_id: zod.string(),
  details: zod.record(zod.string()),
  updated_at: zod.date(),
  last_completed_id: zod.string().nullable(),
  last_completed_details: zod.record(zod.string()).nullable(),
});

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
  method: 'get',
  path: '/payment-methods',
  summary: 'The payment methods of the policy in force, with their fields, fees and minimums',
  security: bearerSecurity,
  responses: { 200: { description: 'Methods', content: { 'application/json': { schema: z.object({ methods: z.array(methodSchema) }) } } }, ...errors },
});

const listSaved = createRoute({
  method: 'get',
  path: '/partners/{id}/payment-methods',
  summary: 'The payment details a partner keeps per method, with the fields changed since their last completed payout',
  security: bearerSecurity,
  request: { params: partnerParams },
  responses: { 200: { description: 'Saved methods', content: { 'application/json': { schema: z.object({ methods: z.array(savedSchema) }) } } }, ...errors },
});

const saveMethod = createRoute({
  method: 'put',
  path: '/partners/{id}/payment-methods/{methodId}',
  summary: 'Saves the partner’s details for a method (the partner themself, or an admin with a fresh TOTP code)',
  security: bearerSecurity,
  request: {
    params: methodParams,
    headers: z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'Admins: a fresh TOTP code' }) }),
    body: { content: { 'application/json': { schema: z.object({ details: z.record(z.string().max(1_000)) }).strict() } }, required: true },
  },
  responses: { 200: { description: 'Saved', content: { 'application/json': { schema: savedSchema } } }, ...errors },
});

/** The fields whose values differ between two sets of details (added and removed fields included). */
function changedFields(current: Record<string, string>, previous: Record<string, string> | null): string[] {
  if (previous === null) return [];
  return [...new Set([...Object.keys(current), ...Object.keys(previous)])].filter((key) => current[key] !== previous[key]).sort();
}

export function paymentMethodRoutes(dependencies: ApiDependencies) {
  const { database, identity } = dependencies;

  const loadSaved = (partnerId: string, methodId: string | null) =>
    database.any(sql.type(savedRow)`
      SELECT m.method_id, m.details, m.updated_at, last.id AS last_completed_id, last.payment_details AS last_completed_details
      FROM partner_payment_methods m
      LEFT JOIN LATERAL (
        SELECT id, payment_details FROM payouts
        WHERE partner_id = m.partner_id AND method_id = m.method_id AND status = 'COMPLETED'
        ORDER BY closed_at DESC, id DESC LIMIT 1
      ) last ON TRUE
      WHERE m.partner_id = ${partnerId} ${methodId === null ? sql.fragment`` : sql.fragment`AND m.method_id = ${methodId}`}
      ORDER BY m.method_id`);

  const toSaved = (row: zod.infer<typeof savedRow>) => ({
    methodId: row.method_id,
    details: row.details,
    updatedAt: row.updated_at.toISOString(),
    changedSinceLastCompleted: changedFields(row.details, row.last_completed_details),
    lastCompletedPayoutId: row.last_completed_id,
  });

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
      return c.json({ methods: (await loadSaved(id, null)).map(toSaved) }, 200);
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
      const exists = await database.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${id}`);
      if (!exists) throw new ApiError(404, 'not_found', `partner ${id} does not exist`, 'params.id');
      // Where the money goes is what an account takeover changes first: an admin doing it for a partner steps up.
      if (user.role !== 'partner') await requireFreshTotp(identity, user, c.req.valid('header')['x-totp-code'], 'changing a partner’s payment details');
      await database.transaction(async (transaction) => {
        const before = await transaction.maybeOneFirst(sql.type(zod.object({ details: zod.record(zod.string()) }))`
          SELECT details FROM partner_payment_methods WHERE partner_id = ${id} AND method_id = ${methodId} FOR UPDATE`);
        await transaction.query(sql.unsafe`
          INSERT INTO partner_payment_methods (partner_id, method_id, details) VALUES (${id}, ${methodId}, ${sql.jsonb(details)})
          ON CONFLICT (partner_id, method_id) DO UPDATE SET details = EXCLUDED.details, updated_at = now()`);
        await appendAuditRecord(transaction, {
          action: 'PARTNER_CHANGE',
          actor: user.id,
          targetType: 'partner',
          targetId: id,
          ip: clientIp(c.req.raw.headers),
          // The fields, not their values: the audit log is read more widely than payment details should be.
          details: { paymentMethod: methodId, changedFields: changedFields(details, before ?? {}), created: before === null },
        });
      });
      return c.json(toSaved((await loadSaved(id, methodId))[0]!), 200);
    });
}
