import { createRequire } from 'node:module';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { ApiDependencies, ApiEnv } from './context.ts';
import { DomainError } from '../domain/errors.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { ApiError, domainApiError, errorBody, sendError } from './errors.ts';
import { clientAddress, peerAddress } from './client-address.ts';
import { kibibyte, limitRequestBodies, mebibyte, type BodyLimitRule } from './body-limit.ts';
import { refuseNulCharacters } from './nul-characters.ts';
import { documentMaxBytes } from '../domain/documents.ts';
import { authRoutes } from './routes/auth.ts';
import { bonusRoutes } from './routes/bonuses.ts';
import { commissionRoutes } from './routes/commissions.ts';
import { policyRoutes } from './routes/policy.ts';
import { HttpMetrics, prometheusContentType } from './metrics.ts';
import { healthRoutes } from './routes/health.ts';
import { networkRoutes } from './routes/network.ts';
import { partnerRoutes } from './routes/partners.ts';
import { payoutCreationRoutes } from './routes/payouts/creation.ts';
import { payoutQueueRoutes } from './routes/payouts/queue.ts';
import { payoutDecisionRoutes } from './routes/payouts/decisions.ts';
import { payoutInvoiceRoutes } from './routes/payouts/invoices.ts';
import { payoutBatchRoutes } from './routes/payout-batches.ts';
import { meTotpRoutes } from './routes/me-totp.ts';
import { paymentMethodRoutes } from './routes/payment-methods.ts';
import { payoutScheduleRoutes } from './routes/payout-schedule.ts';
import { payoutExportRoutes } from './routes/payout-exports.ts';
import { paymentHistoryRoutes } from './routes/payment-history.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { opsRoutes } from './routes/ops.ts';
import { partnerFlagRoutes } from './routes/partner-flags.ts';
import { payoutConfirmationRoutes } from './routes/payout-confirmations.ts';
import { adjustmentRoutes } from './routes/adjustments.ts';
import { bulkAdjustmentRoutes } from './routes/bulk-adjustments.ts';
import { clawbackRoutes } from './routes/clawbacks.ts';
import { refundRoutes } from './routes/refunds.ts';
import { chargebackRoutes } from './routes/chargebacks.ts';
import { disputeRoutes } from './routes/disputes.ts';
import { webRoutes } from './routes/web.ts';
import { reportRoutes } from './routes/reports.ts';
import { userRoutes } from './routes/users.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { reconciliationRoutes, statementRoutes } from './routes/reconciliations.ts';
import { payRunRoutes } from './routes/pay-runs.ts';
import { auditRoutes } from './routes/audits.ts';
import { poolRoutes } from './routes/pools.ts';
import { apiKeyAuthentication } from './api-key-authentication.ts';

/** The /v1 routes without a session: login, and the provider's webhook (authenticated by its signature). */
export const sessionFreeRoutes = new Set(['/v1/auth/login', '/v1/webhooks/provider', '/v1/webhooks/chargebacks']);

/**
 * The routes whose bodies may be larger than the 1 MiB every other route takes (api/body-limit.ts), each with the
 * largest legitimate body it was measured or computed against (test/api/body-limits.test.ts), and room to spare.
 * The webhooks take less: one signed event each, capped before their signature is checked.
 */
export const bodyLimits: readonly BodyLimitRule[] = [
  // 5,000 events, every field at its longest: 3.6 MB as compact JSON, 4.1 MB indented.
  { method: 'POST', path: '/v1/events/bulk', bytes: 8 * mebibyte },
  // 500 payouts with the bank details at their longest: 0.45 MB compact, 0.5 MB indented.
  { method: 'POST', path: '/v1/payouts/bulk', bytes: 2 * mebibyte },
  // A CSV target of up to 8 MiB, or up to 200,000 partner ids of up to 64 characters (13.4 MB).
  { method: 'POST', path: '/v1/bulk-adjustments', bytes: 16 * mebibyte },
  // A document of up to 5 MiB in base64 (6.7 MiB) with its text.
  { method: 'POST', path: '/v1/adjustments', bytes: documentMaxBytes * 2 },
  { method: 'POST', path: '/v1/disputes', bytes: documentMaxBytes * 2 },
  { method: 'POST', path: '/v1/disputes/:id/evidence', bytes: documentMaxBytes * 2 },
  // Multipart uploads: the route's own limit (5 MiB and the envelope) answers first, naming `body.file`.
  { method: 'POST', path: '/v1/payouts/:id/invoice', bytes: documentMaxBytes * 2 },
  { method: 'POST', path: '/v1/payouts/:id/confirmation', bytes: documentMaxBytes * 2 },
  // A payment file's result: up to 50,000 rows (the most a file lists) of a 36-character reference, status, failure
  // code and a reason of ~150 characters: 10 MB as a CSV in JSON, less as the lists.
  { method: 'POST', path: '/v1/payout-exports/:id/results', bytes: 12 * mebibyte },
  { method: 'POST', path: '/v1/webhooks/provider', bytes: 64 * kibibyte },
  { method: 'POST', path: '/v1/webhooks/chargebacks', bytes: 64 * kibibyte },
  // A bank statement of up to 50,000 lines (the most one upload takes) of ~120 characters: 6 MB as CSV text in JSON.
  { method: 'POST', path: '/v1/reconciliations/:date/statements', bytes: 8 * mebibyte },
];

const swaggerDirectory = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ledgerflow API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs' });</script>
</body></html>`;

/**
 * The document-level part of /openapi.json; the routes add their paths (api/openapi-document.ts builds the same
 * document without a server, for the linter). There is no document-level `security`: each operation declares its
 * own, `bearerSecurity` or `[]` for the few public ones, so the linter's security-defined rule catches an operation
 * that forgot to (docs/api.md).
 */
export const openApiConfiguration = {
  openapi: '3.1.0',
  info: {
    title: 'ledgerflow',
    version: '0.1.0',
    description: 'Commissions, payouts and a double-entry ledger for affiliate and MLM programs. Money is a decimal string.',
  },
  // A deployment serves the API and this document from one origin, and the API does not know that origin's
  // address (LEDGERFLOW_PUBLIC_URL is only the provider's view of it): "/" names it, and a client generated from
  // the document is given the deployment's address as its base URL.
  servers: [{ url: '/', description: 'The origin that serves this document' }],
};

/** The HTTP API: one sub-app per resource under /v1, health at /healthz, the OpenAPI 3.1 document and its docs. */
export function createApp(dependencies: ApiDependencies, options: { metricsToken?: string | null } = {}) {
  const app = new OpenAPIHono<ApiEnv>();

  app.onError((error, c) => {
    if (error instanceof ApiError) return sendError(c, error);
    if (error instanceof DomainError) return sendError(c, domainApiError(error));
    if (error instanceof HTTPException) {
      // Hono's own refusals (a body that is not JSON, for one) keep the shared error shape.
      return c.json(errorBody('invalid_request', error.message || 'malformed request', 'body'), error.status as 400);
    }
    // PostgreSQL down or restarting is not a fault of the request: a 503 naming it, as for Temporal, and one log line.
    if (isDatabaseUnavailable(error)) {
      console.error(`database unavailable: ${(error as Error).message}`);
      return sendError(c, new ApiError(503, 'database_unavailable', 'the database is unreachable or restarting; send the request again later (with the same Idempotency-Key)'));
    }
    console.error('unhandled API error', error);
    return c.json(errorBody('internal', 'internal error'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));

  // First of all middleware: every request is counted and timed, refusals included (GET /metrics, api/metrics.ts).
  const metrics = new HttpMetrics();
  app.use('*', metrics.middleware());

  // The client's address, once per request: the socket's peer, or X-Forwarded-For behind a trusted proxy only.
  app.use('*', async (c, next) => {
    c.set('clientAddress', clientAddress(peerAddress(c.env, c.req.raw), c.req.header('x-forwarded-for'), dependencies.trustedProxies));
    return next();
  });

  // Before anything reads a body, the session check included: a body over its limit is refused unread.
  app.use('*', limitRequestBodies(bodyLimits));

  // A machine's API key (`Bearer lf_…`) is checked first, with its scopes and rate limit (api/api-key-authentication.ts).
  app.use('/v1/*', apiKeyAuthentication(dependencies.database, sessionFreeRoutes));

  // Every /v1 route but login and the provider's webhook (signed instead) needs a session token, checked on the
  // server for each request; a request an API key signed in already has its caller.
  app.use('/v1/*', async (c, next) => {
    if (sessionFreeRoutes.has(c.req.path) || c.get('user')) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header);
    const user = match ? await dependencies.identity.authenticate(match[1]!) : null;
    if (!match || !user) {
      return sendError(c, new ApiError(401, 'unauthenticated', 'a valid session token is required', 'Authorization'));
    }
    c.set('user', user);
    c.set('token', match[1]!);
    return next();
  });

  // A NUL in the path, the query or a JSON body: 400 naming the field, before a route passes it to PostgreSQL.
  app.use('*', refuseNulCharacters());

  app.route('/', healthRoutes(dependencies));
  app.route('/v1/auth', authRoutes(dependencies));
  app.route('/v1/users', userRoutes(dependencies));
  app.route('/v1/partners', partnerRoutes(dependencies));
  app.route('/v1/partners', networkRoutes(dependencies));
  app.route('/v1/bonuses', bonusRoutes(dependencies));
  app.route('/v1', commissionRoutes(dependencies));
  app.route('/v1', policyRoutes(dependencies));
  app.route('/v1/payouts', payoutCreationRoutes(dependencies));
  app.route('/v1/payouts', payoutQueueRoutes(dependencies));
  app.route('/v1/payouts', payoutDecisionRoutes(dependencies));
  app.route('/v1/payouts', payoutInvoiceRoutes(dependencies));
  app.route('/v1/payouts', payoutConfirmationRoutes(dependencies));
  app.route('/v1/payout-batches', payoutBatchRoutes(dependencies));
  app.route('/v1', paymentMethodRoutes(dependencies));
  app.route('/v1', meTotpRoutes(dependencies));
  app.route('/v1', payoutScheduleRoutes(dependencies));
  app.route('/v1/payout-exports', payoutExportRoutes(dependencies));
  app.route('/v1/payment-history', paymentHistoryRoutes(dependencies));
  app.route('/v1/notifications', notificationRoutes(dependencies));
  app.route('/v1/webhooks', webhookRoutes(dependencies));
  app.route('/v1', opsRoutes(dependencies));
  app.route('/v1', partnerFlagRoutes(dependencies));
  app.route('/v1', adjustmentRoutes(dependencies));
  app.route('/v1', bulkAdjustmentRoutes(dependencies));
  app.route('/v1', clawbackRoutes(dependencies));
  app.route('/v1', refundRoutes(dependencies));
  app.route('/v1', chargebackRoutes(dependencies));
  app.route('/v1', disputeRoutes(dependencies));
  app.route('/v1', reportRoutes(dependencies));
  app.route('/v1', apiKeyRoutes(dependencies));
  app.route('/v1/reconciliations', reconciliationRoutes(dependencies));
  app.route('/v1', payRunRoutes(dependencies));
  app.route('/v1', statementRoutes(dependencies));
  app.route('/v1/audits', auditRoutes(dependencies));
  app.route('/v1/pools', poolRoutes(dependencies));
  app.route('/', webRoutes());
  // Prometheus scrapes this (docs/operations.md#metrics); with LEDGERFLOW_METRICS_TOKEN only with that bearer token.
  app.get('/metrics', (c) => {
    if (options.metricsToken && c.req.header('authorization') !== `Bearer ${options.metricsToken}`) {
      return sendError(c, new ApiError(401, 'unauthenticated', 'the metrics token is required', 'Authorization'));
    }
    return c.body(metrics.render(), 200, { 'content-type': prometheusContentType, 'cache-control': 'no-store' });
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'lf_<id>_<secret>',
    description: 'A machine’s API key, in `Authorization: Bearer lf_…`; an operation lists the scope it needs (docs/rules.md#api-keys)',
  });
  app.doc31('/openapi.json', openApiConfiguration);
  app.get('/docs', (c) => c.html(docsPage));
  app.get('/docs/assets/:file{swagger-ui\\.css|swagger-ui-bundle\\.js}', async (c) => {
    const file = c.req.param('file');
    const body = await readFile(path.join(swaggerDirectory, file));
    return c.body(body, 200, {
      'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript',
      'cache-control': 'public, max-age=86400',
    });
  });
  return app;
}
