import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { partnerFlags } from '../../modules/partner-flags/partner-flags-store.ts';

import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { adjustmentKit } from '../adjustments/kit.ts';
import { chargebackMonitoringWorkflowId } from '../../workflows/chargeback-messages.ts';

/**
 * The penalty matrix in docs/rules.md#chargeback-penalties, applied automatically when each chargeback opens, by the seller's chargeback count:
 * 1 WARNING, 2 MONITORING (its flag cleared by a durable timer when the policy's monitoringPeriod ends — '5s' here),
 * 3 ACCOUNT_REVIEW (holds a new payout: HELD), 4 SUSPENSION (status SUSPENDED, recorded as a partner change). A
 * chargeback left undecided past the policy's decisionWait ('3s' here) is escalated to the admins and keeps waiting.
 */

let api: ApiHarness;
let kit: ReturnType<typeof adjustmentKit>;
let payouts: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();
const unique = () => randomBytes(4).toString('hex');

beforeAll(async () => {
  api = await createApiHarness();
  kit = adjustmentKit(api);
  payouts = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await payouts.insertRubRate();
  await api.createAdmin('senior_admin');
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({
    document: { ...policy, chargebacks: { ...policy.chargebacks, monitoringPeriod: '5s', decisionWait: '3s' } },
    effectiveFrom: new Date(), reason: 'chargeback tests: short monitoring and decision wait', actor: 'test',
  });
});

afterAll(() => endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection }));

async function completeOrder(seller: string, amount: string): Promise<string> {
  const orderId = `order-${unique()}`;
  const { token } = await kit.admin('finance_manager');
  const response = await api.request('/v1/events', {
    token, body: { externalId: `ev-${unique()}`, kind: 'ORDER_COMPLETED', sourceId: orderId, partnerId: seller, completedAt: new Date().toISOString(), amount, currency: 'USD' },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return orderId;
}

/** Opens a chargeback on a new order of the seller and waits until its penalty is applied. */
async function chargeback(seller: string): Promise<{ id: string; workflowId: string; penalty: string | null; count: number }> {
  const orderId = await completeOrder(seller, '100.00');
  const { token } = await kit.admin('admin');
  const response = await api.request('/v1/chargebacks', {
    token, body: { orderId, amount: '100.00', currency: 'USD', providerReference: `cb-${unique()}`, reasonCode: '10.4' },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = (await response.json()) as { id: string; workflowId: string };
  workflowIds.add(created.workflowId);
  const row = await kit.poll(
    () => api.owner.one(sql.type(z.object({ penalty: z.string().nullable(), applied: z.boolean(), count: z.number() }))`
      SELECT penalty, penalty_applied_at IS NOT NULL AS applied, partner_sequence AS count FROM chargebacks WHERE id = ${created.id}`),
    (value) => value.applied, `penalty of chargeback ${created.id}`,
  );
  return { ...created, penalty: row.penalty, count: row.count };
}

const activeKinds = async (partnerId: string) => (await partnerFlags(api.database, partnerId, { activeOnly: true })).map((flag) => flag.kind).sort();
const penaltyNotices = (partnerId: string) => api.owner.anyFirst(sql.type(z.object({ subject: z.string() }))`
  SELECT subject FROM notifications WHERE kind = 'CHARGEBACK_PENALTY' AND partner_id = ${partnerId} ORDER BY id`);

describe('the penalty matrix through the fourth chargeback', () => {
  it('warns, monitors until the timer ends it, holds payouts for an account review, and suspends', async () => {
    const seller = await payouts.partnerWithLogin({ USD: '500.00' });

    const first = await chargeback(seller.partnerId);
    expect(first).toMatchObject({ penalty: 'WARNING', count: 1 });
    expect(await activeKinds(seller.partnerId)).toEqual(['CHARGEBACK', 'CHARGEBACK_WARNING']);
    expect(await penaltyNotices(seller.partnerId)).toEqual(['Chargeback penalty: warning']);

    const second = await chargeback(seller.partnerId);
    expect(second).toMatchObject({ penalty: 'MONITORING', count: 2 });
    const monitoring = (await partnerFlags(api.database, seller.partnerId, { activeOnly: true })).find((flag) => flag.kind === 'CHARGEBACK_MONITORING');
    expect(monitoring).toMatchObject({ sourceType: 'chargeback', sourceId: second.id, holdsPayouts: false });
    expect(monitoring!.expiresAt!.getTime() - monitoring!.raisedAt.getTime()).toBeGreaterThanOrEqual(4_900);
    const monitoringWorkflowId = chargebackMonitoringWorkflowId(second.id);
    workflowIds.add(monitoringWorkflowId);

    const third = await chargeback(seller.partnerId);
    expect(third).toMatchObject({ penalty: 'ACCOUNT_REVIEW', count: 3 });
    expect(await activeKinds(seller.partnerId)).toEqual(expect.arrayContaining(['ACCOUNT_REVIEW']));
    // A payout requested under the account review is HELD by the checklist's NO_ACCOUNT_REVIEW.
    const requested = await api.request('/v1/payouts', {
      token: seller.token,
      body: { partnerId: seller.partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' } },
    });
    expect(requested.status, await requested.clone().text()).toBe(201);
    const payoutId = ((await requested.json()) as { id: string }).id;
    workflowIds.add(`payout-${payoutId}`);
    const held = (await payouts.waitForStatus(payoutId, 'HELD')) as unknown as { checklist: { check: string; passed: boolean; action: string; detail: string }[] };
    expect(held.checklist.find((check) => check.check === 'NO_ACCOUNT_REVIEW')).toMatchObject({ passed: false, action: 'HOLD' });
    expect(held.checklist.find((check) => check.check === 'NO_ACCOUNT_REVIEW')!.detail).toMatch(/ACCOUNT_REVIEW/);

    // The monitoring period (5 s) ends by its durable timer: the flag is cleared and the partner told.
    await kit.poll(() => activeKinds(seller.partnerId), (kinds) => !kinds.includes('CHARGEBACK_MONITORING'), 'monitoring cleared by its timer', 30_000);
    const cleared = (await partnerFlags(api.database, seller.partnerId)).find((flag) => flag.kind === 'CHARGEBACK_MONITORING')!;
    expect(cleared).toMatchObject({ clearedBy: 'system:chargeback', clearanceReason: 'monitoring period ended' });
    expect(cleared.clearedAt!.getTime()).toBeGreaterThanOrEqual(cleared.expiresAt!.getTime() - 1_000);
    await kit.recordHistory(monitoringWorkflowId, 'chargeback-monitoring-ended');
    // The chargeback that started the monitoring is decided on its own (LOST): its history includes the child's start.
    const lost = await kit.asNew('finance_manager', `/v1/chargebacks/${second.id}/decision`, { outcome: 'LOST' });
    expect(lost.status, await lost.clone().text()).toBe(200);
    await kit.recordHistory(second.workflowId, 'chargeback-monitoring-lost');

    const fourth = await chargeback(seller.partnerId);
    expect(fourth).toMatchObject({ penalty: 'SUSPENSION', count: 4 });
    // The status change follows the penalty's own transaction (applyChargebackPenalty), so it may land a moment later.
    const status = await kit.poll(
      () => api.owner.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM partners WHERE id = ${seller.partnerId}`),
      (value) => value === 'SUSPENDED', 'suspension after the fourth chargeback',
    );
    expect(status).toBe('SUSPENDED');
    const change = await api.owner.one(sql.type(z.object({ old_value: z.string(), new_value: z.string(), recorded_by: z.string() }))`
      SELECT old_value, new_value, recorded_by FROM partner_changes WHERE partner_id = ${seller.partnerId} AND field = 'status'`);
    expect(change).toEqual({ old_value: 'ACTIVE', new_value: 'SUSPENDED', recorded_by: 'system:chargeback' });
    expect(await penaltyNotices(seller.partnerId)).toEqual([
      'Chargeback penalty: warning', 'Chargeback penalty: monitoring', 'Chargeback penalty: account review',
      'Enhanced monitoring of your account has ended', 'Chargeback penalty: suspension',
    ]);
    const audits = await api.owner.anyFirst(sql.type(z.object({ reason: z.string() }))`
      SELECT reason FROM audit_records WHERE action = 'CHARGEBACK_PENALTY' AND target_id = ${seller.partnerId} ORDER BY id`);
    expect(audits).toEqual(['WARNING', 'MONITORING', 'ACCOUNT_REVIEW', 'MONITORING ended', 'SUSPENSION']);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('a chargeback with no decision past decisionWait is escalated to the admins and keeps waiting for one', async () => {
    const seller = await payouts.partnerWithLogin();
    const open = await chargeback(seller.partnerId);
    const escalated = await kit.poll(
      () => api.owner.oneFirst(sql.type(z.object({ escalations: z.number() }))`SELECT escalations FROM chargebacks WHERE id = ${open.id}`),
      (count) => count >= 1, 'escalated', 20_000,
    );
    expect(escalated).toBeGreaterThanOrEqual(1);
    const notice = await api.owner.oneFirst(sql.type(z.object({ subject: z.string() }))`
      SELECT subject FROM notifications WHERE dedupe_key = ${`chargeback-escalated:${open.id}:1`}`);
    expect(notice).toMatch(/^Escalated: chargeback cb-/);
    // Still waiting: a decision is taken afterwards.
    const won = await kit.asNew('finance_manager', `/v1/chargebacks/${open.id}/decision`, { outcome: 'WON' });
    expect(won.status, await won.clone().text()).toBe(200);
    expect(await won.json()).toMatchObject({ status: 'WON' });
    expect(await api.dependencies.temporal.workflow.getHandle(open.workflowId).result()).toMatchObject({ status: 'WON' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await kit.recordHistory(open.workflowId, 'chargeback-escalated-won');
  });
});
