import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../api/openapi-document.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';

let api: ApiHarness;

beforeAll(async () => {
  api = await createApiHarness();
});

afterAll(async () => {
  await api?.close();
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document listing every route with its method', async () => {
    const response = await api.request('/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      info: { title: string };
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('ledgerflow');
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /healthz',
        'POST /v1/auth/login',
        'POST /v1/auth/logout',
        'GET /v1/auth/me',
        'POST /v1/partners',
        'GET /v1/partners/{id}',
        'GET /v1/partners/{id}/balances',
        'GET /v1/partners/{id}/ledger',
        'POST /v1/bonuses',
        'GET /v1/bonuses',
        'GET /v1/bonuses/{id}',
        'POST /v1/bonuses/{id}/approve',
        'POST /v1/bonuses/{id}/reject',
        'POST /v1/disputes/{id}/resolution/approve',
        'POST /v1/disputes/{id}/resolution/reject',
        'GET /v1/fx-rates/requests',
        'POST /v1/fx-rates/{id}/approve',
        'POST /v1/fx-rates/{id}/reject',
        'GET /v1/partners/{id}/upline',
        'GET /v1/partners/{id}/downline',
        'GET /v1/partners/{id}/changes',
        'POST /v1/partners/{id}/changes',
        'POST /v1/events',
        'POST /v1/events/bulk',
        'GET /v1/events/{externalId}',
        'GET /v1/commissions',
        'GET /v1/commissions/{id}',
        'POST /v1/commission-runs',
        'GET /v1/policy',
        'GET /v1/policy/versions',
        'POST /v1/policy/versions',
        'GET /v1/policy/requests',
        'POST /v1/policy/requests/{id}/approve',
        'POST /v1/policy/requests/{id}/reject',
        'GET /v1/fx-rates',
        'POST /v1/fx-rates',
        'POST /v1/payouts',
        'GET /v1/payouts',
        'GET /v1/payouts/{id}',
        'POST /v1/payouts/{id}/approve',
        'POST /v1/payouts/{id}/reject',
        'POST /v1/payouts/{id}/cancel',
        'POST /v1/payouts/{id}/release',
        'POST /v1/payouts/{id}/process',
        'POST /v1/payouts/{id}/complete',
        'POST /v1/payouts/{id}/fail',
        'GET /v1/notifications',
        'GET /v1/payment-methods',
        'GET /v1/partners/{id}/payment-methods',
        'PUT /v1/partners/{id}/payment-methods/{methodId}',
        'GET /v1/ops/switches',
        'GET /v1/partners/{id}/next-payment',
        'GET /v1/payment-exclusions',
        'GET /v1/payment-history',
        'GET /v1/payout-batches',
        'GET /v1/payout-batches/{id}',
        'GET /v1/payout-exports',
        'GET /v1/payout-exports/{id}/file',
        'GET /v1/payout-exports/{id}',
        'GET /v1/payout-exports/{id}/items',
        'POST /v1/payout-exports/{id}/results',
        'GET /v1/payout-exports/{id}/results/{closeId}',
        'GET /v1/payout-schedule/preview',
        'POST /v1/ops/partners/{id}/freeze',
        'POST /v1/ops/partners/{id}/unfreeze',
        'POST /v1/payment-exclusions',
        'POST /v1/payment-exclusions/{id}/remove',
        'POST /v1/payout-exports',
        'POST /v1/payouts/{id}/assign',
        'POST /v1/payouts/{id}/discard',
        'POST /v1/payouts/{id}/submit',
        'POST /v1/payouts/bulk',
        'POST /v1/payouts/{id}/validate',
        'POST /v1/payouts/{id}/invoice',
        'GET /v1/payouts/{id}/invoice',
        'PUT /v1/ops/switches/methods/{methodId}',
        'PUT /v1/ops/switches/processing',
        'GET /v1/partners/{id}/flags',
        'POST /v1/payouts/{id}/confirmation',
        'GET /v1/payouts/{id}/confirmation',
        'POST /v1/partner-flags/{flagId}/clear',
        'POST /v1/adjustments',
        'GET /v1/adjustments/{id}',
        'GET /v1/adjustments/{id}/documentation',
        'POST /v1/adjustments/{id}/approve',
        'POST /v1/adjustments/{id}/reject',
        'POST /v1/commissions/{id}/clawback',
        'POST /v1/bulk-adjustments',
        'GET /v1/bulk-adjustments/{id}',
        'GET /v1/bulk-adjustments/{id}/preview',
        'POST /v1/bulk-adjustments/{id}/approve',
        'POST /v1/bulk-adjustments/{id}/reject',
        'GET /v1/bulk-adjustments/{id}/report',
        'GET /v1/adjustments',
        'GET /v1/bulk-adjustments',
        'POST /v1/refunds',
        'GET /v1/refunds',
        'GET /v1/refunds/{id}',
        'POST /v1/refunds/{id}/approve',
        'POST /v1/refunds/{id}/reject',
        'POST /v1/chargebacks',
        'GET /v1/chargebacks',
        'GET /v1/chargebacks/{id}',
        'POST /v1/chargebacks/{id}/steps',
        'POST /v1/chargebacks/{id}/decision',
        'POST /v1/disputes',
        'GET /v1/disputes',
        'GET /v1/disputes/{id}',
        'POST /v1/disputes/{id}/evidence',
        'GET /v1/disputes/{id}/evidence/{evidenceId}',
        'POST /v1/disputes/{id}/assign',
        'POST /v1/disputes/{id}/resolve',
        'POST /v1/disputes/{id}/escalate',
        'GET /v1/reports/payouts-by-status-method',
        'GET /v1/reports/commissions-by-level-source',
        'GET /v1/reports/audit-trail',
        'GET /v1/partners',
        'GET /v1/api-keys',
        'POST /v1/api-keys',
        'POST /v1/api-keys/{id}/revoke',
        'GET /v1/api-keys/{id}/calls',
        'POST /v1/webhooks/chargebacks',
        'POST /v1/webhooks/provider',
        'GET /v1/partners/{id}/payment-details-changes',
        'GET /v1/me/totp',
        'POST /v1/me/totp',
        'POST /v1/me/totp/confirm',
        'POST /v1/users/{id}/unlock',
        'POST /v1/reconciliations',
        'GET /v1/reconciliations',
        'GET /v1/reconciliations/{date}',
        'POST /v1/reconciliations/{date}/findings',
        'POST /v1/reconciliations/{date}/sign-off',
        'GET /v1/reconciliations/{date}/archive.csv',
        'GET /v1/pay-runs',
        'POST /v1/pay-runs',
        'GET /v1/pay-runs/{id}',
        'GET /v1/pay-runs/{id}/items',
        'GET /v1/pay-runs/{id}/decision',
        'POST /v1/pay-runs/{id}/approve',
        'POST /v1/pay-runs/{id}/run-approval',
        'POST /v1/pay-runs/{id}/exclude',
        'POST /v1/pay-runs/{id}/reject',
        'POST /v1/pay-runs/{id}/retry',
        'GET /v1/platform-funds',
        'PUT /v1/platform-funds/{methodId}/{currency}',
        'GET /v1/pools/preview',
        'POST /v1/pools/runs',
        'GET /v1/reconciliations/{date}/archive.pdf',
        'GET /v1/reconciliations/{date}/statements',
        'POST /v1/reconciliations/{date}/statements',
        'GET /v1/reconciliations/{date}/exceptions',
        'POST /v1/reconciliations/{date}/exceptions/{id}/{action}',
        'GET /v1/statement-matching-rules/{source}',
        'PUT /v1/statement-matching-rules/{source}',
        'GET /v1/reports/commission-summary',
        'GET /v1/reports/payout-summary',
        'GET /v1/reports/summaries',
        'POST /v1/reports/summaries',
        'GET /v1/reports/summaries/{id}',
        'GET /v1/reports/summaries/{id}/{format}',
        'GET /v1/audits',
        'POST /v1/audits',
        'GET /v1/audits/{id}',
        'GET /v1/audits/{id}/export.tar',
        'POST /v1/audits/{id}/findings/{findingId}',
        'POST /v1/audits/{id}/sign-off',
      ].sort(),
    );
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'lf_<id>_<secret>' });
    expect(document.paths['/v1/events']!.post!.security).toEqual([{ bearer: [] }, { apiKey: ['events:write'] }]);
    expect(document.paths['/v1/bonuses']!.post!.security).toEqual([{ bearer: [] }]);
    // Public operations say so (`security: []`) rather than leave it out: see docs/api.md.
    expect(document.paths['/v1/auth/login']!.post!.security).toEqual([]);
    expect(document.paths['/v1/webhooks/provider']!.post!.security).toEqual([]);
    expect(document.paths['/healthz']!.get!.security).toEqual([]);
  });

  it('is the document the linter checks (api/openapi-document.ts builds it without a server)', async () => {
    const response = await api.request('/openapi.json');
    expect(await response.json()).toEqual(openApiDocument());
  });
});

describe('GET /docs', () => {
  it('serves HTML whose scripts and styles all load from this server, not from another host', async () => {
    const response = await api.request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/(?:src|href)=["']\/\//);

    const assets = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)=["']([^"']+)["']/g)].map((match) => match[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js']));
    for (const asset of assets) {
      const loaded = await api.request(asset);
      expect(loaded.status, asset).toBe(200);
      expect(loaded.headers.get('content-type'), asset).toMatch(asset.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect((await loaded.arrayBuffer()).byteLength, asset).toBeGreaterThan(1_000);
    }
  });

  it('serves no other file from the swagger-ui package', async () => {
    const response = await api.request('/docs/assets/package.json');
    expect(response.status).toBe(404);
  });
});

describe('GET /healthz', () => {
  it('with no worker polling the task queue, answers 503 naming the worker while postgres and temporal are up', async () => {
    const response = await api.request('/healthz');
    expect(response.status).toBe(503);
    const health = (await response.json()) as {
      status: string;
      components: Record<string, { status: string; error?: string }>;
      error: { code: string; message: string };
    };
    expect(health.status).toBe('down');
    expect(health.components.postgres).toEqual({ status: 'up' });
    expect(health.components.temporal).toEqual({ status: 'up' });
    expect(health.components.worker).toEqual({ status: 'down', error: expect.stringContaining(api.taskQueue) });
    expect(health.error.code).toBe('unavailable');
    expect(health.error.message).toMatch(/\bworker\b/);
    expect(health.error.message).not.toMatch(/postgres|temporal/);
  });

  it('needs no session token', async () => {
    const response = await api.request('/healthz', { headers: { authorization: 'Bearer nonsense' } });
    expect(response.status).not.toBe(401);
  });
});
