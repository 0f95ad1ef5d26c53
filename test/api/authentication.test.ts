import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionFreeRoutes } from '../../api/app.ts';
import { totpCode, totpStep } from '../../modules/identity/totp.ts';
import { createApiHarness, errorOf, someUuid, unknownToken, wrongTotp, type ApiHarness } from '../helpers/api.ts';

let api: ApiHarness;

beforeAll(async () => {
  api = await createApiHarness();
});

afterAll(async () => {
  await api?.close();
});

/** Every route behind the session check, with a concrete path to call it on. */
const protectedRoutes = [
  { method: 'GET', route: '/v1/auth/me', path: () => '/v1/auth/me' },
  { method: 'POST', route: '/v1/auth/logout', path: () => '/v1/auth/logout' },
  { method: 'POST', route: '/v1/partners', path: () => '/v1/partners' },
  { method: 'GET', route: '/v1/partners/:id', path: () => '/v1/partners/p_1' },
  { method: 'GET', route: '/v1/partners/:id/balances', path: () => '/v1/partners/p_1/balances' },
  { method: 'GET', route: '/v1/partners/:id/ledger', path: () => '/v1/partners/p_1/ledger' },
  { method: 'POST', route: '/v1/bonuses', path: () => '/v1/bonuses' },
  { method: 'GET', route: '/v1/bonuses/:id', path: () => `/v1/bonuses/${someUuid()}` },
  { method: 'GET', route: '/v1/bonuses', path: () => '/v1/bonuses?status=AWAITING_APPROVAL' },
  { method: 'POST', route: '/v1/bonuses/:id/approve', path: () => `/v1/bonuses/${someUuid()}/approve` },
  { method: 'POST', route: '/v1/bonuses/:id/reject', path: () => `/v1/bonuses/${someUuid()}/reject` },
  { method: 'GET', route: '/v1/partners/:id/upline', path: () => '/v1/partners/p_1/upline' },
  { method: 'GET', route: '/v1/partners/:id/downline', path: () => '/v1/partners/p_1/downline' },
  { method: 'GET', route: '/v1/partners/:id/changes', path: () => '/v1/partners/p_1/changes' },
  { method: 'POST', route: '/v1/partners/:id/changes', path: () => '/v1/partners/p_1/changes' },
  { method: 'POST', route: '/v1/events', path: () => '/v1/events' },
  { method: 'POST', route: '/v1/events/bulk', path: () => '/v1/events/bulk' },
  { method: 'GET', route: '/v1/events/:externalId', path: () => '/v1/events/ev-1' },
  { method: 'GET', route: '/v1/commissions', path: () => '/v1/commissions' },
  { method: 'GET', route: '/v1/commissions/:id', path: () => '/v1/commissions/1' },
  { method: 'POST', route: '/v1/commission-runs', path: () => '/v1/commission-runs' },
  { method: 'GET', route: '/v1/policy', path: () => '/v1/policy' },
  { method: 'GET', route: '/v1/policy/versions', path: () => '/v1/policy/versions' },
  { method: 'POST', route: '/v1/policy/versions', path: () => '/v1/policy/versions' },
  { method: 'GET', route: '/v1/policy/requests', path: () => '/v1/policy/requests' },
  { method: 'POST', route: '/v1/policy/requests/:id/approve', path: () => `/v1/policy/requests/${someUuid()}/approve` },
  { method: 'POST', route: '/v1/policy/requests/:id/reject', path: () => `/v1/policy/requests/${someUuid()}/reject` },
  { method: 'GET', route: '/v1/fx-rates', path: () => '/v1/fx-rates' },
  { method: 'POST', route: '/v1/fx-rates', path: () => '/v1/fx-rates' },
  { method: 'GET', route: '/v1/fx-rates/requests', path: () => '/v1/fx-rates/requests' },
  { method: 'POST', route: '/v1/fx-rates/:id/approve', path: () => `/v1/fx-rates/${someUuid()}/approve` },
  { method: 'POST', route: '/v1/fx-rates/:id/reject', path: () => `/v1/fx-rates/${someUuid()}/reject` },
  { method: 'POST', route: '/v1/payouts', path: () => '/v1/payouts' },
  { method: 'GET', route: '/v1/payouts', path: () => '/v1/payouts' },
  { method: 'GET', route: '/v1/payouts/:id', path: () => `/v1/payouts/${someUuid()}` },
  { method: 'POST', route: '/v1/payouts/:id/approve', path: () => `/v1/payouts/${someUuid()}/approve` },
  { method: 'POST', route: '/v1/payouts/:id/reject', path: () => `/v1/payouts/${someUuid()}/reject` },
  { method: 'POST', route: '/v1/payouts/:id/cancel', path: () => `/v1/payouts/${someUuid()}/cancel` },
  { method: 'POST', route: '/v1/payouts/:id/release', path: () => `/v1/payouts/${someUuid()}/release` },
  { method: 'POST', route: '/v1/payouts/:id/process', path: () => `/v1/payouts/${someUuid()}/process` },
  { method: 'POST', route: '/v1/payouts/:id/complete', path: () => `/v1/payouts/${someUuid()}/complete` },
  { method: 'POST', route: '/v1/payouts/:id/fail', path: () => `/v1/payouts/${someUuid()}/fail` },
  { method: 'GET', route: '/v1/notifications', path: () => '/v1/notifications' },
  { method: 'GET', route: '/v1/payment-methods', path: () => '/v1/payment-methods' },
  { method: 'GET', route: '/v1/partners/:id/payment-methods', path: () => '/v1/partners/p_1/payment-methods' },
  { method: 'PUT', route: '/v1/partners/:id/payment-methods/:methodId', path: () => '/v1/partners/p_1/payment-methods/BANK_TRANSFER' },
  { method: 'GET', route: '/v1/ops/switches', path: () => '/v1/ops/switches' },
  { method: 'GET', route: '/v1/partners/:id/next-payment', path: () => '/v1/partners/p_1/next-payment' },
  { method: 'GET', route: '/v1/payment-exclusions', path: () => '/v1/payment-exclusions' },
  { method: 'GET', route: '/v1/payment-history', path: () => '/v1/payment-history' },
  { method: 'GET', route: '/v1/payout-batches', path: () => '/v1/payout-batches' },
  { method: 'GET', route: '/v1/payout-batches/:id', path: () => `/v1/payout-batches/${someUuid()}` },
  { method: 'GET', route: '/v1/payout-exports', path: () => '/v1/payout-exports' },
  { method: 'GET', route: '/v1/payout-exports/:id/file', path: () => `/v1/payout-exports/${someUuid()}/file` },
  { method: 'GET', route: '/v1/payout-exports/:id', path: () => `/v1/payout-exports/${someUuid()}` },
  { method: 'GET', route: '/v1/payout-exports/:id/items', path: () => `/v1/payout-exports/${someUuid()}/items` },
  { method: 'POST', route: '/v1/payout-exports/:id/results', path: () => `/v1/payout-exports/${someUuid()}/results` },
  { method: 'GET', route: '/v1/payout-exports/:id/results/:closeId', path: () => `/v1/payout-exports/${someUuid()}/results/${someUuid()}` },
  { method: 'GET', route: '/v1/payout-schedule/preview', path: () => '/v1/payout-schedule/preview' },
  { method: 'POST', route: '/v1/ops/partners/:id/freeze', path: () => '/v1/ops/partners/p_1/freeze' },
  { method: 'POST', route: '/v1/ops/partners/:id/unfreeze', path: () => '/v1/ops/partners/p_1/unfreeze' },
  { method: 'POST', route: '/v1/payment-exclusions', path: () => '/v1/payment-exclusions' },
  { method: 'POST', route: '/v1/payment-exclusions/:id/remove', path: () => '/v1/payment-exclusions/1/remove' },
  { method: 'POST', route: '/v1/payout-exports', path: () => '/v1/payout-exports' },
  { method: 'POST', route: '/v1/payouts/:id/assign', path: () => `/v1/payouts/${someUuid()}/assign` },
  { method: 'POST', route: '/v1/payouts/:id/discard', path: () => `/v1/payouts/${someUuid()}/discard` },
  { method: 'POST', route: '/v1/payouts/:id/submit', path: () => `/v1/payouts/${someUuid()}/submit` },
  { method: 'POST', route: '/v1/payouts/bulk', path: () => '/v1/payouts/bulk' },
  { method: 'POST', route: '/v1/payouts/:id/validate', path: () => `/v1/payouts/${someUuid()}/validate` },
  { method: 'POST', route: '/v1/payouts/:id/invoice', path: () => `/v1/payouts/${someUuid()}/invoice` },
  { method: 'GET', route: '/v1/payouts/:id/invoice', path: () => `/v1/payouts/${someUuid()}/invoice` },
  { method: 'PUT', route: '/v1/ops/switches/methods/:methodId', path: () => '/v1/ops/switches/methods/PAYQUICKER' },
  { method: 'PUT', route: '/v1/ops/switches/processing', path: () => '/v1/ops/switches/processing' },
  { method: 'GET', route: '/v1/partners/:id/flags', path: () => '/v1/partners/p_1/flags' },
  { method: 'POST', route: '/v1/payouts/:id/confirmation', path: () => `/v1/payouts/${someUuid()}/confirmation` },
  { method: 'GET', route: '/v1/payouts/:id/confirmation', path: () => `/v1/payouts/${someUuid()}/confirmation` },
  { method: 'POST', route: '/v1/partner-flags/:flagId/clear', path: () => '/v1/partner-flags/1/clear' },
  { method: 'POST', route: '/v1/adjustments', path: () => '/v1/adjustments' },
  { method: 'GET', route: '/v1/adjustments/:id', path: () => `/v1/adjustments/${someUuid()}` },
  { method: 'GET', route: '/v1/adjustments/:id/documentation', path: () => `/v1/adjustments/${someUuid()}/documentation` },
  { method: 'POST', route: '/v1/adjustments/:id/approve', path: () => `/v1/adjustments/${someUuid()}/approve` },
  { method: 'POST', route: '/v1/adjustments/:id/reject', path: () => `/v1/adjustments/${someUuid()}/reject` },
  { method: 'POST', route: '/v1/commissions/:id/clawback', path: () => '/v1/commissions/1/clawback' },
  { method: 'POST', route: '/v1/bulk-adjustments', path: () => '/v1/bulk-adjustments' },
  { method: 'GET', route: '/v1/bulk-adjustments/:id', path: () => `/v1/bulk-adjustments/${someUuid()}` },
  { method: 'GET', route: '/v1/bulk-adjustments/:id/preview', path: () => `/v1/bulk-adjustments/${someUuid()}/preview` },
  { method: 'POST', route: '/v1/bulk-adjustments/:id/approve', path: () => `/v1/bulk-adjustments/${someUuid()}/approve` },
  { method: 'POST', route: '/v1/bulk-adjustments/:id/reject', path: () => `/v1/bulk-adjustments/${someUuid()}/reject` },
  { method: 'GET', route: '/v1/bulk-adjustments/:id/report', path: () => `/v1/bulk-adjustments/${someUuid()}/report` },
  { method: 'GET', route: '/v1/adjustments', path: () => '/v1/adjustments' },
  { method: 'GET', route: '/v1/bulk-adjustments', path: () => '/v1/bulk-adjustments' },
  { method: 'POST', route: '/v1/refunds', path: () => '/v1/refunds' },
  { method: 'GET', route: '/v1/refunds', path: () => '/v1/refunds' },
  { method: 'GET', route: '/v1/refunds/:id', path: () => `/v1/refunds/${someUuid()}` },
  { method: 'POST', route: '/v1/refunds/:id/approve', path: () => `/v1/refunds/${someUuid()}/approve` },
  { method: 'POST', route: '/v1/refunds/:id/reject', path: () => `/v1/refunds/${someUuid()}/reject` },
  { method: 'POST', route: '/v1/chargebacks', path: () => '/v1/chargebacks' },
  { method: 'GET', route: '/v1/chargebacks', path: () => '/v1/chargebacks' },
  { method: 'GET', route: '/v1/chargebacks/:id', path: () => `/v1/chargebacks/${someUuid()}` },
  { method: 'POST', route: '/v1/chargebacks/:id/steps', path: () => `/v1/chargebacks/${someUuid()}/steps` },
  { method: 'POST', route: '/v1/chargebacks/:id/decision', path: () => `/v1/chargebacks/${someUuid()}/decision` },
  { method: 'POST', route: '/v1/disputes', path: () => '/v1/disputes' },
  { method: 'GET', route: '/v1/disputes', path: () => '/v1/disputes' },
  { method: 'GET', route: '/v1/disputes/:id', path: () => `/v1/disputes/${someUuid()}` },
  { method: 'POST', route: '/v1/disputes/:id/evidence', path: () => `/v1/disputes/${someUuid()}/evidence` },
  { method: 'GET', route: '/v1/disputes/:id/evidence/:evidenceId', path: () => `/v1/disputes/${someUuid()}/evidence/1` },
  { method: 'POST', route: '/v1/disputes/:id/assign', path: () => `/v1/disputes/${someUuid()}/assign` },
  { method: 'POST', route: '/v1/disputes/:id/resolve', path: () => `/v1/disputes/${someUuid()}/resolve` },
  { method: 'POST', route: '/v1/disputes/:id/resolution/approve', path: () => `/v1/disputes/${someUuid()}/resolution/approve` },
  { method: 'POST', route: '/v1/disputes/:id/resolution/reject', path: () => `/v1/disputes/${someUuid()}/resolution/reject` },
  { method: 'POST', route: '/v1/disputes/:id/escalate', path: () => `/v1/disputes/${someUuid()}/escalate` },
  { method: 'GET', route: '/v1/reports/payouts-by-status-method', path: () => '/v1/reports/payouts-by-status-method' },
  { method: 'GET', route: '/v1/reports/commissions-by-level-source', path: () => '/v1/reports/commissions-by-level-source' },
  { method: 'GET', route: '/v1/reports/audit-trail', path: () => '/v1/reports/audit-trail' },
  { method: 'GET', route: '/v1/partners', path: () => '/v1/partners?q=partner' },
  { method: 'POST', route: '/v1/users/:id/unlock', path: () => `/v1/users/${someUuid()}/unlock` },
  { method: 'GET', route: '/v1/api-keys', path: () => '/v1/api-keys' },
  { method: 'POST', route: '/v1/api-keys', path: () => '/v1/api-keys' },
  { method: 'POST', route: '/v1/api-keys/:id/revoke', path: () => '/v1/api-keys/0123456789abcdef/revoke' },
  { method: 'GET', route: '/v1/partners/:id/payment-details-changes', path: () => '/v1/partners/p_1/payment-details-changes' },
  { method: 'GET', route: '/v1/me/totp', path: () => '/v1/me/totp' },
  { method: 'POST', route: '/v1/me/totp', path: () => '/v1/me/totp' },
  { method: 'POST', route: '/v1/me/totp/confirm', path: () => '/v1/me/totp/confirm' },
  { method: 'GET', route: '/v1/api-keys/:id/calls', path: () => '/v1/api-keys/0123456789abcdef/calls' },
  { method: 'POST', route: '/v1/reconciliations', path: () => '/v1/reconciliations' },
  { method: 'GET', route: '/v1/reconciliations', path: () => '/v1/reconciliations' },
  { method: 'GET', route: '/v1/reconciliations/:date', path: () => '/v1/reconciliations/2026-01-01' },
  { method: 'POST', route: '/v1/reconciliations/:date/findings', path: () => '/v1/reconciliations/2026-01-01/findings' },
  { method: 'POST', route: '/v1/reconciliations/:date/sign-off', path: () => '/v1/reconciliations/2026-01-01/sign-off' },
  { method: 'GET', route: '/v1/reconciliations/:date/archive.csv', path: () => '/v1/reconciliations/2026-01-01/archive.csv' },
  { method: 'GET', route: '/v1/pay-runs', path: () => '/v1/pay-runs' },
  { method: 'POST', route: '/v1/pay-runs', path: () => '/v1/pay-runs' },
  { method: 'GET', route: '/v1/pay-runs/:id', path: () => `/v1/pay-runs/${someUuid()}` },
  { method: 'GET', route: '/v1/pay-runs/:id/items', path: () => `/v1/pay-runs/${someUuid()}/items` },
  { method: 'GET', route: '/v1/pay-runs/:id/decision', path: () => `/v1/pay-runs/${someUuid()}/decision` },
  { method: 'POST', route: '/v1/pay-runs/:id/approve', path: () => `/v1/pay-runs/${someUuid()}/approve` },
  { method: 'POST', route: '/v1/pay-runs/:id/run-approval', path: () => `/v1/pay-runs/${someUuid()}/run-approval` },
  { method: 'POST', route: '/v1/pay-runs/:id/exclude', path: () => `/v1/pay-runs/${someUuid()}/exclude` },
  { method: 'POST', route: '/v1/pay-runs/:id/reject', path: () => `/v1/pay-runs/${someUuid()}/reject` },
  { method: 'POST', route: '/v1/pay-runs/:id/retry', path: () => `/v1/pay-runs/${someUuid()}/retry` },
  { method: 'GET', route: '/v1/platform-funds', path: () => '/v1/platform-funds' },
  { method: 'PUT', route: '/v1/platform-funds/:methodId/:currency', path: () => '/v1/platform-funds/BANK_TRANSFER/USD' },
  { method: 'GET', route: '/v1/reconciliations/:date/archive.pdf', path: () => '/v1/reconciliations/2026-01-01/archive.pdf' },
  { method: 'GET', route: '/v1/reconciliations/:date/statements', path: () => '/v1/reconciliations/2026-01-01/statements' },
  { method: 'POST', route: '/v1/reconciliations/:date/statements', path: () => '/v1/reconciliations/2026-01-01/statements' },
  { method: 'GET', route: '/v1/reconciliations/:date/exceptions', path: () => '/v1/reconciliations/2026-01-01/exceptions' },
  { method: 'POST', route: '/v1/reconciliations/:date/exceptions/:id/:action', path: () => '/v1/reconciliations/2026-01-01/exceptions/1/acknowledge' },
  { method: 'GET', route: '/v1/statement-matching-rules/:source', path: () => '/v1/statement-matching-rules/bank' },
  { method: 'PUT', route: '/v1/statement-matching-rules/:source', path: () => '/v1/statement-matching-rules/bank' },
  { method: 'GET', route: '/v1/reports/commission-summary', path: () => '/v1/reports/commission-summary' },
  { method: 'GET', route: '/v1/reports/payout-summary', path: () => '/v1/reports/payout-summary' },
  { method: 'GET', route: '/v1/reports/summaries', path: () => '/v1/reports/summaries' },
  { method: 'POST', route: '/v1/reports/summaries', path: () => '/v1/reports/summaries' },
  { method: 'GET', route: '/v1/reports/summaries/:id', path: () => '/v1/reports/summaries/1' },
  { method: 'GET', route: '/v1/reports/summaries/:id/:format', path: () => '/v1/reports/summaries/1/pdf' },
  { method: 'GET', route: '/v1/audits', path: () => '/v1/audits' },
  { method: 'POST', route: '/v1/audits', path: () => '/v1/audits' },
  { method: 'GET', route: '/v1/audits/:id', path: () => '/v1/audits/1' },
  { method: 'GET', route: '/v1/audits/:id/export.tar', path: () => '/v1/audits/1/export.tar' },
  { method: 'POST', route: '/v1/audits/:id/findings/:findingId', path: () => '/v1/audits/1/findings/1' },
  { method: 'POST', route: '/v1/audits/:id/sign-off', path: () => '/v1/audits/1/sign-off' },
  { method: 'GET', route: '/v1/pools/preview', path: () => '/v1/pools/preview' },
  { method: 'POST', route: '/v1/pools/runs', path: () => '/v1/pools/runs' },
] as const;

/** Login, and the provider's webhook, which is authenticated by its signature instead (test/payouts/payout-automatic). */
const sessionFree = ['/v1/auth/login', '/v1/webhooks/provider', '/v1/webhooks/chargebacks'];

describe('session check on every /v1 route', () => {
  it('exactly login and the provider webhook are exempt from the session check', () => {
    expect([...sessionFreeRoutes].sort()).toEqual([...sessionFree].sort());
  });

  it('POST /v1/webhooks/provider without a token is judged by its signature, not the session (no secret here: 503)', async () => {
    const response = await api.request('/v1/webhooks/provider', { body: { eventId: 'e' } });
    expect(response.status).toBe(503);
    expect(await errorOf(response)).toMatchObject({ code: 'not_configured' });
  });

  it('the routes listed here are all the /v1 routes the app serves, login aside', () => {
    const served = new Set(
      api.app.routes
        .filter((route) => route.path.startsWith('/v1/') && route.method !== 'ALL' && !sessionFree.includes(route.path))
        .map((route) => `${route.method} ${route.path}`),
    );
    expect([...served].sort()).toEqual(protectedRoutes.map((route) => `${route.method} ${route.route}`).sort());
  });

  describe.each(protectedRoutes)('$method $route', ({ method, path }) => {
    const body = method === 'POST' ? { name: 'anything' } : undefined;

    it('without a token, it answers 401 unauthenticated naming Authorization', async () => {
      const response = await api.request(path(), { method, body });
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toEqual({
        code: 'unauthenticated',
        message: expect.any(String),
        field: 'Authorization',
      });
    });

    it('with a token no session has, it answers 401 unauthenticated naming Authorization', async () => {
      const response = await api.request(path(), { method, body, token: unknownToken() });
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toMatchObject({ code: 'unauthenticated', field: 'Authorization' });
    });

    it('with an Authorization header that is not a bearer token, it answers 401', async () => {
      const response = await api.request(path(), { method, body, headers: { authorization: 'Basic dXNlcjpwYXNzd29yZA==' } });
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toMatchObject({ code: 'unauthenticated', field: 'Authorization' });
    });
  });
});

describe('POST /v1/auth/login', () => {
  const login = (body: Record<string, unknown>) => api.request('/v1/auth/login', { body });

  // One answer for every failure (docs/decisions.md); test/api/sign-in-throttle.test.ts compares them all.
  const failure = { code: 'invalid_credentials', message: 'the email, password or TOTP code is wrong' };

  it('with a wrong password, it answers 401 invalid_credentials', async () => {
    const partner = await api.createPartnerUser();
    const response = await login({ email: partner.email, password: 'not-the-password' });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toEqual(failure);
  });

  it('with an unknown email, it answers the same 401 as a wrong password', async () => {
    const response = await login({ email: 'nobody@example.com', password: 'whatever' });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toEqual(failure);
  });

  it('when an admin gives no TOTP code, it answers the same 401 invalid_credentials', async () => {
    const admin = await api.createAdmin();
    const response = await login({ email: admin.email, password: admin.password });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toEqual(failure);
  });

  it('when an admin gives a wrong TOTP code, it answers the same 401 invalid_credentials', async () => {
    const admin = await api.createAdmin();
    const response = await login({ email: admin.email, password: admin.password, totp: wrongTotp(admin.totpSecret) });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toEqual(failure);
  });

  it('when an admin gives a valid TOTP code, it answers 200 with a token that signs requests in', async () => {
    const admin = await api.createAdmin('finance_manager');
    const response = await login({ email: admin.email, password: admin.password, totp: totpCode(admin.totpSecret, totpStep(new Date())) });
    expect(response.status).toBe(200);
    const session = (await response.json()) as { token: string; expiresAt: string; user: unknown };
    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(session.user).toEqual({ id: admin.id, email: admin.email, role: 'finance_manager', partnerId: null });

    const me = await api.request('/v1/auth/me', { token: session.token });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ id: admin.id, email: admin.email, role: 'finance_manager', partnerId: null });
  });

  it('when the same TOTP code is replayed, the second login is refused', async () => {
    const admin = await api.createAdmin();
    const totp = totpCode(admin.totpSecret, totpStep(new Date()) + 1);
    const first = await login({ email: admin.email, password: admin.password, totp });
    expect(first.status).toBe(200);
    const replayed = await login({ email: admin.email, password: admin.password, totp });
    expect(replayed.status).toBe(401);
    expect(await errorOf(replayed)).toMatchObject({ code: 'invalid_credentials' });
  });

  it('when a partner signs in twice, each login gets its own new token', async () => {
    const partner = await api.createPartnerUser();
    const first = await api.signIn(partner);
    const second = await api.signIn(partner);
    expect(second).not.toBe(first);
    for (const token of [first, second]) {
      const me = await api.request('/v1/auth/me', { token });
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual({ id: partner.id, email: partner.email, role: 'partner', partnerId: partner.partnerId });
    }
  });

  it('when the body has an unknown field, it answers 400 and signs nobody in', async () => {
    const partner = await api.createPartnerUser();
    const response = await login({ email: partner.email, password: partner.password, remember: true });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('remember') });
  });
});

describe('sessions', () => {
  it('after logout, the token is refused with 401 and other sessions of the user keep working', async () => {
    const partner = await api.createPartnerUser();
    const token = await api.signIn(partner);
    const otherToken = await api.signIn(partner);

    const logout = await api.request('/v1/auth/logout', { method: 'POST', token });
    expect(logout.status).toBe(204);

    const me = await api.request('/v1/auth/me', { token });
    expect(me.status).toBe(401);
    expect(await errorOf(me)).toMatchObject({ code: 'unauthenticated', field: 'Authorization' });
    expect((await api.request('/v1/auth/me', { token: otherToken })).status).toBe(200);
  });

  it('a session used within the idle timeout slides on, and one left idle longer than the timeout ends', async () => {
    const partner = await api.createPartnerUser();
    const token = await api.signIn(partner);
    const idleMilliseconds = api.dependencies.policy.sessions.idleTimeoutMinutes * 60_000;
    const start = Date.now();

    const justInTime = new Date(start + idleMilliseconds - 60_000);
    expect(await api.dependencies.identity.authenticate(token, justInTime)).toMatchObject({ id: partner.id });
    const againJustInTime = new Date(justInTime.getTime() + idleMilliseconds - 60_000);
    expect(await api.dependencies.identity.authenticate(token, againJustInTime)).toMatchObject({ id: partner.id });

    const tooLate = new Date(againJustInTime.getTime() + idleMilliseconds + 60_000);
    expect(await api.dependencies.identity.authenticate(token, tooLate)).toBeNull();
  });

  it('a session ends at its absolute timeout even when it is used all along', async () => {
    const partner = await api.createPartnerUser();
    const response = await api.request('/v1/auth/login', { body: { email: partner.email, password: partner.password } });
    const { token, expiresAt } = (await response.json()) as { token: string; expiresAt: string };
    const absoluteEnd = new Date(expiresAt).getTime();
    const stepMilliseconds = (api.dependencies.policy.sessions.idleTimeoutMinutes - 1) * 60_000;

    // Used every (idle timeout - 1) minutes, so it never goes idle, right up to a second before the end.
    for (let at = Date.now() + stepMilliseconds; at < absoluteEnd - 1_000; at += stepMilliseconds) {
      expect(await api.dependencies.identity.authenticate(token, new Date(at))).not.toBeNull();
    }
    expect(await api.dependencies.identity.authenticate(token, new Date(absoluteEnd - 1_000))).toMatchObject({ id: partner.id });
    expect(await api.dependencies.identity.authenticate(token, new Date(absoluteEnd + 1_000))).toBeNull();
  });

  it('when a user is disabled, their token stops working at once and they cannot sign in again', async () => {
    const partner = await api.createPartnerUser();
    const token = await api.signIn(partner);
    expect((await api.request('/v1/auth/me', { token })).status).toBe(200);

    expect(await api.dependencies.identity.disableUser(partner.id)).toBe(true);

    const me = await api.request('/v1/auth/me', { token });
    expect(me.status).toBe(401);
    expect(await errorOf(me)).toMatchObject({ code: 'unauthenticated' });
    const login = await api.request('/v1/auth/login', { body: { email: partner.email, password: partner.password } });
    expect(login.status).toBe(401);
    expect(await errorOf(login)).toMatchObject({ code: 'invalid_credentials' });
  });
});
