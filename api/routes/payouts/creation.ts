import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DomainError } from '../../../domain/errors.ts';
import type { AuthenticatedUser } from '../../../modules/identity/identity.ts';
import { createPayout as createPayoutRecord, discardPayoutDraft, submitPayoutDraft } from '../../../modules/payouts/create-payout.ts';
import { requestChangesDetails, requirePartnerTotpWhereDue } from '../../../modules/payouts/payment-details-changes.ts';
import { findQueueRows } from '../../../modules/payouts/payout-queue.ts';
import { startPayoutOrUndo } from '../../../modules/payouts/start-payout.ts';
import { clientIp, createSubApp, requireFreshTotp, requirePermission, type ApiDependencies, type ApiEnv } from '../../context.ts';
import { ApiError, domainApiError, validationError } from '../../errors.ts';
import { runIdempotent } from '../../idempotency.ts';
import { amountWhere, bearerSecurity, currencySchema, errorResponse, partnerIdSchema, refineAmountScale } from '../../schemas.ts';
import { emptyBody, errors, hideDraftFromPartner, initiatorOf, payoutActionRoute, payoutResponse, payoutSchema, payoutViews, stepUpHeaders, type PayoutBody } from './views.ts';

/**
 * Requesting payouts: one (a partner's, an admin's, or an admin's DRAFT), or up to `maxBulkPayouts` at once; and an
 * admin's submission or discarding of a DRAFT.
 */

/** At most this many lines per bulk request. */
export const maxBulkPayouts = 500;
/** Wallets a bulk request works on at once (each holds a database connection while it writes). */
const bulkConcurrency = 4;

const payoutItemFields = {
  partnerId: partnerIdSchema,
  amount: amountWhere((amount) => amount.isPositive(), 'a payout amount must be positive'),
  currency: currencySchema,
  methodId: z.string().min(1).max(40).openapi({ example: 'BANK_TRANSFER' }),
  paymentDetails: z
    .record(z.string().max(200))
    .optional()
    .openapi({ description: 'The method’s fields (policy `payouts.methods[].fields`); omitted: the partner’s saved details for the method' }),
  nonRegular: z
    .boolean()
    .optional()
    .openapi({ description: 'The non-regular payment in docs/rules.md#payout-fees: off the schedule or below the method’s minimum, at the method’s `nonRegularSurchargePercent` (added to the fee)' }),
};

/** One line of a bulk request: a payout without the `draft` flag (the request carries it). */
const payoutItemSchema = z.object(payoutItemFields).strict().superRefine(refineAmountScale).openapi('BulkPayoutItem');

const createPayoutBody = z
  .object({
    ...payoutItemFields,
    draft: z
      .boolean()
      .optional()
      .openapi({ description: 'Admins only: a DRAFT — nothing is reserved, no workflow starts, the partner does not see it until it is submitted' }),
  })
  .strict()
  .superRefine(refineAmountScale)
  .openapi('CreatePayoutRequest');

const createPayout = createRoute({
  method: 'post',
  path: '/',
  operationId: 'createPayout',
  summary: 'Request a payout: reserves the amount (available → payout_reserved) and starts workflow payout-<id>; or an admin’s DRAFT',
  description:
    'A partner for themself (with their TOTP code in `X-TOTP-Code` when they enrolled and the request changes their saved payment details), or an admin with a fresh TOTP code in `X-TOTP-Code`. ' +
    'A payout to details changed within the policy’s window needs at least the policy’s minimum approval tier. With `"draft": true` (admins only, no TOTP: nothing moves) the payout is a DRAFT: validated and priced, nothing reserved, no workflow, invisible to the partner, until `POST /v1/payouts/{id}/submit`. Honours `Idempotency-Key`.',
  security: bearerSecurity,
  request: { headers: stepUpHeaders, body: { content: { 'application/json': { schema: createPayoutBody } }, required: true } },
  responses: {
    201: payoutResponse('Requested (the amount is reserved), or drafted'),
    ...errors,
    409: errorResponse('An active payout exists for this partner and currency, or the Idempotency-Key is in progress'),
    422: errorResponse('Unknown partner or method, below the minimum, or not enough available balance'),
    503: errorResponse('Temporal unavailable; the reservation was undone'),
  },
});

const bulkResultSchema = z
  .object({
    index: z.number(),
    status: z.enum(['CREATED', 'REFUSED']),
    payout: payoutSchema.optional(),
    error: z.object({ code: z.string(), field: z.string().optional(), message: z.string() }).optional().openapi({ description: 'The field is named as sent: `items[3].amount`' }),
  })
  .openapi('BulkPayoutResult');

const bulkPayouts = createRoute({
  method: 'post',
  path: '/bulk',
  operationId: 'bulkCreatePayouts',
  summary: `Create up to ${maxBulkPayouts} payouts (or drafts) in one request; each line is processed on its own`,
  description:
    'Admins, with one fresh TOTP code for the request (none for drafts). A refused line (its error names the field, e.g. `items[3].amount`) changes nothing and does not stop the others. Honours `Idempotency-Key`: a replay answers the first response and creates nothing.',
  security: bearerSecurity,
  request: {
    headers: stepUpHeaders,
    body: {
      content: {
        'application/json': {
          schema: z.object({ draft: z.boolean().optional(), items: z.array(z.unknown()).min(1).max(maxBulkPayouts) }).strict().openapi('BulkPayoutRequest'),
        },
      },
      required: true,
    },
  },
  responses: {
    200: {
      description: 'One result per line, in order',
      content: { 'application/json': { schema: z.object({ created: z.number(), refused: z.number(), results: z.array(bulkResultSchema) }) } },
    },
    ...errors,
    409: errorResponse('The Idempotency-Key is in progress'),
  },
});

const discardBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict().openapi('DiscardPayoutDraftRequest');
const submitDraft = payoutActionRoute('submitPayout', '/{id}/submit', 'Submit a DRAFT: reserves the amount and starts payout-<id> (same id); needs a fresh TOTP code', emptyBody, false);
const discardDraft = payoutActionRoute('discardPayout', '/{id}/discard', 'Discard a DRAFT (it becomes CANCELLED; nothing was reserved)', discardBody, false);

export function payoutCreationRoutes(dependencies: ApiDependencies) {
  const { database, identity, temporal, ledger } = dependencies;
  const creation = { database, ledger, policies: dependencies.policies };
  const starter = { temporal, taskQueue: dependencies.taskQueue, ledger };
  const { toPayouts, loadPayout, reloadPayout } = payoutViews(dependencies);

  /** An admin's action on a DRAFT (submit, discard): permission, idempotency, then the action. */
  const onDraft = async (c: Context<ApiEnv>, id: string, fingerprint: unknown, action: (user: AuthenticatedUser, headers: Record<string, string>) => Promise<PayoutBody>) => {
    const user: AuthenticatedUser = c.get('user');
    const headers = c.req.header();
    if (user.role === 'partner') {
      hideDraftFromPartner(user, await loadPayout(id));
      throw new ApiError(403, 'forbidden', 'only admins act on drafts');
    }
    requirePermission(user, 'payouts.create.any');
    const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint }, async () => ({
      status: 200,
      body: await action(user, headers),
    }));
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as PayoutBody, 200);
  };

  /**
   * docs/rules.md#details-change-controls for a partner's own request: refused without TOTP where the policy requires
   * it at their balance, and a request that changes their saved details asks for their code once they enrolled.
   */
  const requirePartnerStepUp = async (user: AuthenticatedUser, body: { partnerId: string; methodId: string; paymentDetails?: Record<string, string> }, code: string | undefined) => {
    const hasTotp = await identity.hasTotp(user.id);
    const { policy } = await dependencies.policies.active();
    await requirePartnerTotpWhereDue(database, { ledger, partnerId: body.partnerId, userHasTotp: hasTotp, policy: policy.payouts.detailsChange, field: 'X-TOTP-Code' });
    if (hasTotp && body.paymentDetails && (await requestChangesDetails(database, { partnerId: body.partnerId, methodId: body.methodId, details: body.paymentDetails }))) {
      await requireFreshTotp(identity, user, code, 'a payout request that changes your payment details');
    }
  };

  return createSubApp()
    .openapi(createPayout, async (c) => {
      const user = c.get('user');
      const { draft = false, ...body } = c.req.valid('json');
      const headers = c.req.valid('header');
      if (user.role === 'partner') {
        if (draft) throw new ApiError(403, 'forbidden', 'only admins draft payouts', 'body.draft');
        if (user.partnerId !== body.partnerId) throw new ApiError(403, 'forbidden', 'partners may only request payouts for themselves', 'body.partnerId');
      } else {
        requirePermission(user, 'payouts.create.any');
      }
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: draft ? ['POST /v1/payouts', body, 'draft'] : ['POST /v1/payouts', body] },
        async () => {
          if (user.role !== 'partner' && !draft) await requireFreshTotp(identity, user, headers['x-totp-code'], 'a payout requested by an admin');
          if (user.role === 'partner') await requirePartnerStepUp(user, body, headers['x-totp-code']);
          const created = await createPayoutRecord(creation, body, {
            initiator: initiatorOf(user),
            field: (name) => `body.${name}`,
            ip: clientIp(c),
            draft,
          });
          if (created.start) await startPayoutOrUndo(starter, created.start);
          return { status: 201, body: await reloadPayout(created.row.id) };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as PayoutBody, 201);
    })
    .openapi(bulkPayouts, async (c) => {
      const user = c.get('user');
      const { draft = false, items } = c.req.valid('json');
      const headers = c.req.valid('header');
      requirePermission(user, 'payouts.create.any');
      const result = await runIdempotent(
        database,
        { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/payouts/bulk', items, draft] },
        async () => {
          if (!draft) await requireFreshTotp(identity, user, headers['x-totp-code'], 'a bulk payout request');
          const ip = clientIp(c);
          const results: z.infer<typeof bulkResultSchema>[] = new Array(items.length);
          const refuse = (index: number, error: ApiError) => {
            results[index] = { index, status: 'REFUSED', error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
          };
          // Lines of one wallet (partner and currency) run in order, so the earlier line wins a conflict exactly as
          // if the request ran line by line; different wallets run a few at a time. Each line is its own
          // transaction: a refused line changes nothing and the others go on.
          const wallets = new Map<string, { index: number; input: z.infer<typeof payoutItemSchema> }[]>();
          for (const [index, item] of items.entries()) {
            const parsed = payoutItemSchema.safeParse(item);
            if (!parsed.success) {
              refuse(index, validationError(parsed.error, `items[${index}]`));
              continue;
            }
            const wallet = `${parsed.data.partnerId}\u0000${parsed.data.currency}`;
            wallets.set(wallet, [...(wallets.get(wallet) ?? []), { index, input: parsed.data }]);
          }
          const queue = [...wallets.values()];
          const createdIds = new Map<number, string>();
          let failure: { error: unknown } | null = null;
          const work = async () => {
            for (let lines = queue.shift(); lines && !failure; lines = queue.shift()) {
              for (const { index, input } of lines) {
                try {
                  const created = await createPayoutRecord(creation, input, { initiator: initiatorOf(user), field: (name) => `items[${index}].${name}`, ip, draft });
                  if (created.start) await startPayoutOrUndo(starter, created.start);
                  createdIds.set(index, created.row.id);
                } catch (error) {
                  if (error instanceof DomainError) refuse(index, domainApiError(error));
                  else failure ??= { error };
                }
              }
            }
          };
          await Promise.all(Array.from({ length: Math.min(bulkConcurrency, queue.length) }, work));
          if (failure) throw (failure as { error: unknown }).error;
          // The created payouts as they are now, read in one go.
          const rows = await findQueueRows(database, [...createdIds.values()]);
          const bodies = new Map((await toPayouts(rows)).map((payout) => [payout.id, payout]));
          for (const [index, id] of createdIds) results[index] = { index, status: 'CREATED', payout: bodies.get(id)! };
          const created = results.filter((line) => line.status === 'CREATED').length;
          return { status: 200, body: { created, refused: results.length - created, results } };
        },
      );
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as { created: number; refused: number; results: z.infer<typeof bulkResultSchema>[] }, 200);
    })
    .openapi(submitDraft, async (c) => {
      const { id } = c.req.valid('param');
      return onDraft(c, id, ['submit', id], async (user, headers) => {
        await requireFreshTotp(identity, user, headers['x-totp-code'], 'submitting a draft payout');
        const submitted = await submitPayoutDraft(creation, id, { initiator: initiatorOf(user), ip: clientIp(c) });
        await startPayoutOrUndo(starter, submitted.start!);
        return reloadPayout(id);
      });
    })
    .openapi(discardDraft, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return onDraft(c, id, ['discard', id, body], async (user) => {
        await discardPayoutDraft(database, id, { actor: user.id, reason: body.reason ?? null, ip: clientIp(c) });
        return reloadPayout(id);
      });
    });
}
