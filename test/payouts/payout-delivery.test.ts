import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deliverPayoutUpdates, type PayoutDelivery } from '../../modules/payouts/payout-delivery.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit, type PayoutView } from '../helpers/payouts.ts';
import { endLifecycleTestFile, createInProcessWorker } from '../helpers/temporal.ts';

/**
 * One decision delivered to many payouts (modules/payouts/payout-delivery.ts), the piece pay runs and payment files
 * fan out through: each payout's own rules still judge the update, a refusal is that payout's answer, and a delivery
 * repeated under the same update id (a retried activity) never runs the handler twice.
 */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await kit.insertRubRate();
});

afterAll(async () => {
  await endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection });
});

const bankDetails = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };

async function awaitingPayout(): Promise<PayoutView> {
  const { partnerId, token } = await kit.partnerWithLogin({ USD: '500.00' });
  const response = await api.request('/v1/payouts', { token, body: { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
  expect(response.status, await response.clone().text()).toBe(201);
  const { id } = (await response.json()) as { id: string };
  workflowIds.add(`payout-${id}`);
  return kit.waitForStatus(id, 'AWAITING_APPROVAL');
}

const approvalRows = (payoutId: string) =>
  api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM payout_approvals WHERE payout_id = ${payoutId}`);

describe('delivering one decision to many payouts', () => {
  it('approves each payout once, names the one whose details changed, and a repeated delivery changes nothing', async () => {
    const payouts = await Promise.all([awaitingPayout(), awaitingPayout(), awaitingPayout()]);
    const approver = await api.createAdmin('admin');
    const actor = { userId: approver.id, role: 'admin' as const };
    const deliveries: PayoutDelivery[] = payouts.map((payout, index) => ({
      payoutId: payout.id,
      updateId: `test-decision-1-${payout.id}`,
      update: 'approve',
      // The third approver saw other payment details than the payout has now.
      input: { actor, amount: payout.amount, detailsHash: index === 2 ? '0'.repeat(64) : payout.detailsHash },
    }));
    const missing: PayoutDelivery = { payoutId: 'po_no_such_payout', updateId: 'test-decision-1-missing', update: 'approve', input: { actor, amount: '1.00', detailsHash: '0'.repeat(64) } };

    const first = await deliverPayoutUpdates(api.dependencies.temporal, [...deliveries, missing], { concurrency: 2 });
    expect(first.map((outcome) => [outcome.payoutId, outcome.outcome, outcome.code, outcome.status])).toEqual([
      [payouts[0]!.id, 'accepted', null, 'APPROVED'],
      [payouts[1]!.id, 'accepted', null, 'APPROVED'],
      [payouts[2]!.id, 'refused', 'details_changed', null],
      ['po_no_such_payout', 'missing', 'workflow_closed', null],
    ]);
    expect(await Promise.all(payouts.map((payout) => approvalRows(payout.id)))).toEqual([1, 1, 0]);

    // The activity retried after a worker died: the same update ids again.
    const again = await deliverPayoutUpdates(api.dependencies.temporal, deliveries, { concurrency: 3 });
    expect(again.map((outcome) => [outcome.outcome, outcome.status])).toEqual([['accepted', 'APPROVED'], ['accepted', 'APPROVED'], ['refused', null]]);
    for (const payout of payouts.slice(0, 2)) expect((await kit.read(payout.id)).approvals).toHaveLength(1);
    expect((await kit.read(payouts[2]!.id)).status).toBe('AWAITING_APPROVAL');
    expect(await Promise.all(payouts.map((payout) => approvalRows(payout.id)))).toEqual([1, 1, 0]);

    // A new decision (a new update id) is judged afresh by the payout: it is no longer awaiting approval.
    const second = await deliverPayoutUpdates(api.dependencies.temporal, [{ ...deliveries[0]!, updateId: `test-decision-2-${payouts[0]!.id}` }], { concurrency: 1 });
    expect(second[0]).toMatchObject({ outcome: 'refused', code: 'invalid_state' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
