import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clearPartnerFlags, partnerFlags, raisePartnerFlag } from '../../modules/partner-flags/partner-flags-store.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

/**
 * Partner flags (issue #5) through the real API, Postgres and a Temporal worker: a flag that holds payouts makes
 * the payout checklist hold; clearing it through the API re-runs the HELD payout's checklist at once (the policy's
 * re-check timer is an hour away), so the payout moves on without an admin's release.
 */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const payoutIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await kit.insertRubRate();
});

afterAll(async () => {
  await Promise.allSettled(
    [...payoutIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

const bankDetails = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };

async function requestPayout(partner: { partnerId: string; token: string }, amount: string) {
  const response = await api.request('/v1/payouts', {
    token: partner.token,
    body: { partnerId: partner.partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = (await response.json()) as { id: string };
  payoutIds.add(created.id);
  return created.id;
}

async function clearAs(flagId: string, reason: string, role: 'senior_admin' | 'admin' = 'senior_admin', withTotp = true) {
  const admin = await api.createAdmin(role);
  const token = await api.signIn(admin);
  const headers: Record<string, string> = withTotp ? { 'x-totp-code': await api.nextTotp(admin) } : {};
  return { response: await api.request(`/v1/partner-flags/${flagId}/clear`, { token, headers, body: { reason } }), admin };
}

describe('partner flags hold payouts', () => {
  it('a debt-limit flag holds a payout; clearing it through the API sends the payout on at once, audited', async () => {
    const partner = await kit.partnerWithLogin({ USD: '500.00' });
    const { flag } = await api.database.transaction((transaction) =>
      raisePartnerFlag(transaction, { partnerId: partner.partnerId, kind: 'DEBT_LIMIT', sourceType: 'refund', sourceId: 'r-1', reason: 'debt 500.00 reached the limit 500', actor: 'system:test' }));
    const payoutId = await requestPayout(partner, '100.00');
    const held = await kit.waitForStatus(payoutId, 'HELD');
    expect(held).toMatchObject({ status: 'HELD' });
    const checklist = (held as unknown as { checklist: { check: string; passed: boolean; action: string; detail: string }[] }).checklist;
    expect(checklist.find((check) => check.check === 'NO_ACCOUNT_REVIEW')).toMatchObject({ passed: false, action: 'HOLD', detail: 'DEBT_LIMIT: debt 500.00 reached the limit 500' });

    // The partner reads their own flags; another partner may not.
    const own = await api.request(`/v1/partners/${partner.partnerId}/flags?active=true`, { token: partner.token });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { data: unknown[] }).data).toEqual([
      expect.objectContaining({ id: flag.id, kind: 'DEBT_LIMIT', holdsPayouts: true, active: true, source: { type: 'refund', id: 'r-1' }, clearance: null }),
    ]);
    const stranger = await kit.partnerWithLogin();
    expect((await api.request(`/v1/partners/${partner.partnerId}/flags`, { token: stranger.token })).status).toBe(403);

    // Without TOTP, or by a role that may not: refused, nothing cleared.
    const { response: noCode } = await clearAs(flag.id, 'reviewed', 'senior_admin', false);
    expect(noCode.status).toBe(401);
    expect(await errorOf(noCode)).toMatchObject({ field: 'X-TOTP-Code' });
    const { response: wrongRole } = await clearAs(flag.id, 'reviewed', 'admin');
    expect(wrongRole.status).toBe(403);
    expect(await partnerFlags(api.database, partner.partnerId, { activeOnly: true })).toHaveLength(1);

    const { response: cleared, admin } = await clearAs(flag.id, 'debt repaid by agreement');
    expect(cleared.status, await cleared.clone().text()).toBe(200);
    expect(await cleared.json()).toMatchObject({ id: flag.id, active: false, clearance: { by: admin.id, reason: 'debt repaid by agreement' }, nudgedPayouts: [payoutId] });
    // The re-check timer is an hour away: only the nudge moves it now.
    const moved = await kit.waitForStatus(payoutId, 'AWAITING_APPROVAL', 15_000);
    expect(moved.status).toBe('AWAITING_APPROVAL');

    const { response: again } = await clearAs(flag.id, 'twice');
    expect(again.status).toBe(409);
    const audit = await api.owner.any(sql.type(z.object({ action: z.string(), actor: z.string(), reason: z.string() }))`
      SELECT action, actor, reason FROM audit_records WHERE target_type = 'partner' AND target_id = ${partner.partnerId} AND action LIKE 'PARTNER_%FLAG' ORDER BY id`);
    expect(audit).toEqual([
      { action: 'PARTNER_FLAG', actor: 'system:test', reason: 'debt 500.00 reached the limit 500' },
      { action: 'PARTNER_UNFLAG', actor: admin.id, reason: 'debt repaid by agreement' },
    ]);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('a flag a lifecycle owns (an open dispute) is refused by the clear route, and its source clears it once', async () => {
    const partner = await kit.partnerWithLogin();
    const raise = () => api.database.transaction((transaction) =>
      raisePartnerFlag(transaction, { partnerId: partner.partnerId, kind: 'OPEN_DISPUTE', sourceType: 'dispute', sourceId: 'd-9', reason: 'dispute d-9 is open', actor: 'system:test' }));
    const first = await raise();
    const retried = await raise();
    expect(first.raised).toBe(true);
    expect(retried).toMatchObject({ raised: false, flag: { id: first.flag.id } });
    const { response } = await clearAs(first.flag.id, 'not mine to clear');
    expect(response.status).toBe(409);
    expect(await errorOf(response)).toMatchObject({ code: 'owned_by_lifecycle', field: 'params.flagId' });

    const clear = () => api.database.transaction((transaction) =>
      clearPartnerFlags(transaction, { sourceType: 'dispute', sourceId: 'd-9', actor: 'system:test', reason: 'dispute closed' }));
    expect(await clear()).toHaveLength(1);
    expect(await clear()).toHaveLength(0);
    expect(await partnerFlags(api.database, partner.partnerId, { activeOnly: true })).toEqual([]);
    const rows = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM audit_records WHERE target_id = ${partner.partnerId} AND action IN ('PARTNER_FLAG', 'PARTNER_UNFLAG')`);
    expect(rows).toBe(2);
    await expect(api.owner.query(sql.unsafe`DELETE FROM partner_flags WHERE id = ${first.flag.id}`)).rejects.toThrow(/not allowed/);
  });
});
