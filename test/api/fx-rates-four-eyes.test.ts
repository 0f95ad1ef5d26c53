import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { amountInRub } from '../../modules/policy/fx-rates.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';

/**
 * FX rates under four eyes (docs/rules.md#four-eyes): a step-up TOTP code always; every change audited with the rate
 * before and after; a rate more than 10 % away from the one in force is stored PENDING and applied only when a
 * finance director or manager other than the maker approves it. The payout tiers read the rates in force, so a
 * pending rate moves no tier.
 */

let api: ApiHarness;

beforeAll(async () => {
  api = await createApiHarness();
});

afterAll(async () => {
  await api?.close();
});

async function signedIn(role: AdminRole = 'finance_manager'): Promise<{ admin: TestAdmin; token: string }> {
  const admin = await api.createAdmin(role);
  return { admin, token: await api.signIn(admin) };
}

interface RateRequest { id: string; status: string; usdRate: string; previousUsdRate: string | null; decidedBy: string | null }

async function postRate(who: { admin: TestAdmin; token: string }, body: Record<string, unknown>): Promise<Response> {
  return api.request('/v1/fx-rates', { token: who.token, headers: { 'x-totp-code': await api.nextTotp(who.admin) }, body });
}

const hourAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
const auditRow = z.object({ action: z.string(), actor: z.string(), details: z.record(z.string(), z.unknown()) });
const auditOf = (currency: string) =>
  api.owner.any(sql.type(auditRow)`SELECT action, actor, details FROM audit_records WHERE target_type = 'fx_rate' AND target_id = ${currency} ORDER BY id`);
const appliedRates = (currency: string) =>
  api.owner.anyFirst(sql.type(z.object({ usd_rate: z.string() }))`SELECT usd_rate::text AS usd_rate FROM fx_rates WHERE currency = ${currency} ORDER BY effective_at`);

describe('POST /v1/fx-rates step-up', () => {
  it('without X-TOTP-Code, it answers 401 naming the header and writes nothing', async () => {
    const { token } = await signedIn();
    const response = await api.request('/v1/fx-rates', { token, body: { currency: 'EUR', usdRate: '1.08', effectiveAt: hourAgo(5) } });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    expect(await appliedRates('EUR')).toEqual([]);
    expect(await auditOf('EUR')).toEqual([]);
  });
});

describe('FX rates inside and outside the band', () => {
  it('a first rate and a 5 % move apply at once, each audited with the rate before and after', async () => {
    const maker = await signedIn();
    const first = await postRate(maker, { currency: 'EUR', usdRate: '1.0000', effectiveAt: hourAgo(4) });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ status: 'APPLIED', previousUsdRate: null, usdRate: '1.0000' });
    const second = await postRate(maker, { currency: 'EUR', usdRate: '1.05', effectiveAt: hourAgo(3) });
    expect(second.status).toBe(201);
    expect(await second.json()).toMatchObject({ status: 'APPLIED', previousUsdRate: '1.0000' });
    expect(await appliedRates('EUR')).toEqual(['1.0000', '1.05']);
    const audit = await auditOf('EUR');
    expect(audit.map((record) => [record.action, record.details.usdRateBefore, record.details.usdRateAfter])).toEqual([
      ['FX_RATE_CHANGE', null, '1.0000'],
      ['FX_RATE_CHANGE', '1.0000', '1.05'],
    ]);
  }, 150_000);

  it('when one finance manager moves the RUB rate by 50 %, it is not applied until a finance director approves it; the maker cannot', async () => {
    const maker = await signedIn('finance_manager');
    await api.owner.query(sql.unsafe`INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', ${hourAgo(4)}, 0.01, 'test')`);
    const rubBefore = await amountInRub(api.database, '1000.00', 'USD');
    expect(rubBefore).toBe('100000.00');

    const moved = await postRate(maker, { currency: 'RUB', usdRate: '0.015', effectiveAt: hourAgo(1) });
    expect(moved.status).toBe(202);
    const request = (await moved.json()) as RateRequest;
    expect(request).toMatchObject({ status: 'PENDING', previousUsdRate: '0.01', usdRate: '0.015', decidedBy: null });
    // Nothing moved: the tiers still read the rate in force.
    expect(await appliedRates('RUB')).toEqual(['0.01']);
    expect(await amountInRub(api.database, '1000.00', 'USD')).toBe(rubBefore);
    const listed = await api.request('/v1/fx-rates/requests?status=PENDING', { token: maker.token });
    expect(((await listed.json()) as { requests: RateRequest[] }).requests.map((row) => row.id)).toEqual([request.id]);

    const own = await api.request(`/v1/fx-rates/${request.id}/approve`, { token: maker.token, headers: { 'x-totp-code': await api.nextTotp(maker.admin) }, body: {} });
    expect(own.status).toBe(403);
    expect(await errorOf(own)).toMatchObject({ code: 'maker_checker' });
    const senior = await signedIn('senior_admin');
    const notFinance = await api.request(`/v1/fx-rates/${request.id}/approve`, { token: senior.token, headers: { 'x-totp-code': await api.nextTotp(senior.admin) }, body: {} });
    expect(notFinance.status).toBe(403);
    const director = await signedIn('finance_director');
    const noCode = await api.request(`/v1/fx-rates/${request.id}/approve`, { token: director.token, body: {} });
    expect(noCode.status).toBe(401);
    expect(await appliedRates('RUB')).toEqual(['0.01']);

    const approved = await api.request(`/v1/fx-rates/${request.id}/approve`, {
      token: director.token, headers: { 'x-totp-code': await api.nextTotp(director.admin) }, body: { reason: 'central bank moved' },
    });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'APPLIED', decidedBy: director.admin.id });
    expect(await appliedRates('RUB')).toEqual(['0.01', '0.015']);
    expect(await amountInRub(api.database, '1000.00', 'USD')).toBe('66666.67');
    const audit = await auditOf('RUB');
    expect(audit.map((record) => [record.action, record.actor, record.details.usdRateBefore, record.details.usdRateAfter])).toEqual([
      ['FX_RATE_REQUEST', maker.admin.id, '0.01', '0.015'],
      ['FX_RATE_APPROVE', director.admin.id, '0.01', '0.015'],
    ]);
    const again = await api.request(`/v1/fx-rates/${request.id}/reject`, { token: director.token, headers: { 'x-totp-code': await api.nextTotp(director.admin) }, body: {} });
    expect(again.status).toBe(409);
  }, 150_000);

  it('when a second finance manager rejects a rate outside the band, it is never applied', async () => {
    const maker = await signedIn('finance_manager');
    expect((await postRate(maker, { currency: 'GBP', usdRate: '0.14', effectiveAt: hourAgo(4) })).status).toBe(201);
    const moved = await postRate(maker, { currency: 'GBP', usdRate: '0.07', effectiveAt: hourAgo(1) });
    expect(moved.status).toBe(202);
    const request = (await moved.json()) as RateRequest;
    const checker = await signedIn('finance_manager');
    const rejected = await api.request(`/v1/fx-rates/${request.id}/reject`, { token: checker.token, headers: { 'x-totp-code': await api.nextTotp(checker.admin) }, body: { reason: 'typo' } });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: 'REJECTED', decidedBy: checker.admin.id });
    expect(await appliedRates('GBP')).toEqual(['0.14']);
  }, 150_000);
});
