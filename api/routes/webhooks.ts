import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ZodError } from 'zod';
import { attemptOfKey } from '../../domain/payout.ts';
import { payoutExists } from '../../modules/payouts/payout-store.ts';
import { parseWebhook, signatureHeaderName, WebhookSignatureError } from '../../providers/webhooks.ts';
import type { ProviderWebhookEvent } from '../../providers/adapter.ts';
import { payoutWorkflowId, providerResultSignal } from '../../workflows/payout-messages.ts';
import { createSubApp, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
import { errorResponse } from '../schemas.ts';


const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const providerWebhook = createRoute({
  method: 'post',
  path: '/provider',
  summary: "The payment provider's outcome of an automatic payout (signed; no session)",
  operationId: 'receiveProviderWebhook',
  // No session: the provider signs each delivery instead (the description says how); api/app.ts lets it through.
  security: [],
  description:
    `Authenticated by \`${signatureHeaderName}: t=<unix seconds>,v1=<HMAC-SHA256 hex of "t.rawBody">\` with the shared ` +
    'secret (LEDGERFLOW_PROVIDER_WEBHOOK_SECRET), within 5 minutes. The raw body is verified before parsing. The result ' +
    'is passed to workflow payout-<payoutId> as the `providerResult` signal; repeated deliveries are answered 200 and ignored.',
  responses: {
    200: { description: 'Received', content: { 'application/json': { schema: z.object({ received: z.literal(true) }) } } },
    400: errorResponse('Signed, but not a provider event'),
    401: errorResponse(`Missing, stale or wrong ${signatureHeaderName}`),
    404: errorResponse('No such payout, or the key is not one of its attempts'),
    503: errorResponse('No webhook secret configured, or Temporal unavailable'),
  },
});

/** POST /v1/webhooks/provider: outside the session check (api/app.ts), authenticated by the signature. */
export function webhookRoutes(dependencies: ApiDependencies) {
  const { database, temporal } = dependencies;
  return createSubApp().openapi(providerWebhook, async (c) => {
    const secret = dependencies.providerWebhookSecret;
    if (!secret) throw new ApiError(503, 'not_configured', 'no provider webhook secret is configured (LEDGERFLOW_PROVIDER_WEBHOOK_SECRET)');
    const rawBody = new Uint8Array(await c.req.arrayBuffer());
    let event: ProviderWebhookEvent;
    try {
      event = parseWebhook({ rawBody, header: c.req.header(signatureHeaderName), secret });
    } catch (error) {
      if (error instanceof WebhookSignatureError) throw new ApiError(401, 'invalid_signature', error.message, signatureHeaderName);
      if (error instanceof ZodError || error instanceof SyntaxError) throw new ApiError(400, 'invalid_request', `not a provider event: ${error.message.slice(0, 200)}`, 'body');
      throw error;
    }
    if (!uuidPattern.test(event.payoutId) || attemptOfKey(event.payoutId, event.idempotencyKey) === null) {
      throw new ApiError(404, 'not_found', `no payout attempt ${event.idempotencyKey}`, 'body.idempotencyKey');
    }
    if (!(await payoutExists(database, event.payoutId))) throw new ApiError(404, 'not_found', `payout ${event.payoutId} does not exist`, 'body.payoutId');
    try {
      await temporal.workflow.getHandle(payoutWorkflowId(event.payoutId)).signal(providerResultSignal, {
        eventId: event.eventId,
        idempotencyKey: event.idempotencyKey,
        providerReference: event.providerReference,
        status: event.status,
        occurredAt: event.occurredAt,
        ...(event.failureCode ? { failureCode: event.failureCode } : {}),
        ...(event.message !== undefined ? { message: event.message } : {}),
      });
    } catch (error) {
      // A closed lifecycle has nothing left to learn: the delivery is done.
      if (!(error instanceof WorkflowNotFoundError)) throw new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; deliver again later');
    }
    return c.json({ received: true as const }, 200);
  });
}
