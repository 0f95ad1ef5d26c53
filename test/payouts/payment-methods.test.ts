import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

/** Partners keep their payment details per method; a change since their last completed payout is shown by field. */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;

// The kit's partners are named 'Robust Partner': the account holder name matches, so the checklist passes.
const bank = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

const save = (token: string, partnerId: string, methodId: string, details: Record<string, string>, headers: Record<string, string> = {}) =>
  api.request(`/v1/partners/${partnerId}/payment-methods/${methodId}`, { method: 'PUT', token, headers, body: { details } });

describe('payment methods', () => {
  it('lists the policy’s methods with their fields, fees and minimums', async () => {
    const { token } = await kit.partnerWithLogin();
    const response = await api.request('/v1/payment-methods', { token });
    expect(response.status).toBe(200);
    const { methods } = (await response.json()) as { methods: { id: string; processing: string; forcedManual: boolean; minPayout: string }[] };
    expect(methods.map((method) => method.id)).toEqual(expect.arrayContaining(['BANK_TRANSFER', 'PAYQUICKER', 'YOOMONEY', 'CRYPTO_WALLET']));
    expect(methods.find((method) => method.id === 'PAYQUICKER')).toMatchObject({ processing: 'AUTOMATIC', forcedManual: false, minPayout: '25.00' });
  });

  it('a partner saves their details, bad ones are refused naming the field, and nobody else may change them', async () => {
    const { partnerId, token } = await kit.partnerWithLogin();
    const saved = await save(token, partnerId, 'BANK_TRANSFER', bank);
    expect(saved.status, await saved.clone().text()).toBe(200);
    expect(await saved.json()).toMatchObject({ methodId: 'BANK_TRANSFER', details: bank, changedSinceLastCompleted: [], lastCompletedPayoutId: null });

    const bad = await save(token, partnerId, 'BANK_TRANSFER', { ...bank, routingNumber: '12' });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).field).toBe('body.details.routingNumber');
    expect((await save(token, partnerId, 'NO_SUCH_METHOD', bank)).status).toBe(404);

    const other = await kit.partnerWithLogin();
    expect((await save(other.token, partnerId, 'BANK_TRANSFER', bank)).status).toBe(403);
    // An admin steps up with a fresh TOTP code.
    const admin = await api.createAdmin('admin');
    const adminToken = await api.signIn(admin);
    const withoutCode = await save(adminToken, partnerId, 'BANK_TRANSFER', bank);
    expect(withoutCode.status).toBe(401);
    expect((await errorOf(withoutCode)).field).toBe('X-TOTP-Code');
    expect((await save(adminToken, partnerId, 'BANK_TRANSFER', bank, { 'x-totp-code': await api.nextTotp(admin) })).status).toBe(200);

    const listed = await api.request(`/v1/partners/${partnerId}/payment-methods`, { token });
    expect(((await listed.json()) as { methods: unknown[] }).methods).toHaveLength(1);
    expect((await api.request(`/v1/partners/${partnerId}/payment-methods`, { token: other.token })).status).toBe(403);
    // Audited by field names, never by values.
    const audit = await api.owner.any(sql.type(z.object({ details: z.record(z.unknown()) }))`
      SELECT details FROM audit_records WHERE action = 'PARTNER_CHANGE' AND target_id = ${partnerId} ORDER BY id`);
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(audit)).not.toContain(bank.accountNumber);
  });

  it('after a completed payout, a changed account number is listed as changed since then', async () => {
    const { partnerId, token } = await kit.partnerWithLogin({ USD: '500.00' });
    const created = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bank } });
    expect(created.status, await created.clone().text()).toBe(201);
    const payout = (await created.json()) as { id: string; detailsHash: string };
    await kit.waitForStatus(payout.id, 'AWAITING_APPROVAL');
    expect((await kit.decide(payout.id, 'approve', 'admin', { amount: '100.00', detailsHash: payout.detailsHash })).status).toBe(200);
    expect((await kit.decide(payout.id, 'process', 'finance_manager', { externalReference: 'BANK-1' })).status).toBe(200);
    expect((await kit.decide(payout.id, 'complete', 'finance_manager')).status).toBe(200);

    const changed = await save(token, partnerId, 'BANK_TRANSFER', { ...bank, accountNumber: '87654321' });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ changedSinceLastCompleted: ['accountNumber'], lastCompletedPayoutId: payout.id });
    // The completed payout keeps the details it was paid to.
    expect((await kit.read(payout.id)) as unknown).toMatchObject({ paymentDetails: bank });
  });
});
