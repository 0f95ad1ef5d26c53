import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { totpCode, totpStep } from '../../modules/identity/totp.ts';
import { Money } from '../../domain/money.ts';
import { seedDemo, type DemoCredentials } from '../../stack/demo.ts';
import { createApiHarness, testPasswordCost, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { chargebackWorkflowId } from '../../workflows/chargeback-messages.ts';
import { disputeWorkflowId } from '../../workflows/dispute-messages.ts';
import { refundWorkflowId } from '../../workflows/refund-messages.ts';

/**
 * The demo data set as `npm start` seeds it: into a fresh database, before the worker runs (the workflows wait in
 * the task queue), then a worker takes them up. The lifecycles of issues #4 and #5 must be visible at once — payouts
 * waiting for an admin, a refund, a chargeback, a dispute and a manual commission — and a second start adds nothing.
 */

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let first: Awaited<ReturnType<typeof seedDemo>>;

const seedInput = () => ({
  databaseUrl: api.testDatabase.ownerUrl, temporalAddress: inject('temporalAddress'), namespace: 'default', taskQueue: api.taskQueue,
  passwordCost: testPasswordCost,
});

beforeAll(async () => {
  api = await createApiHarness();
  first = await seedDemo(seedInput());
  // As `npm start` does: the worker starts after the demo is seeded.
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  const ids = await api?.owner.anyFirst(sql.type(z.object({ id: z.string() }))`
    SELECT 'payout-' || id AS id FROM payouts UNION ALL SELECT 'refund-' || id FROM refunds
    UNION ALL SELECT 'chargeback-' || id FROM chargebacks UNION ALL SELECT 'dispute-' || id FROM disputes
    UNION ALL SELECT 'adjustment-' || id FROM adjustments UNION ALL SELECT 'bonus-' || id FROM bonuses`).catch(() => []);
  await endLifecycleTestFile({ api, workflowIds: ids ?? [], worker, workerRun, workerConnection });
});

async function workflowStatus(workflowId: string): Promise<string> {
  return (await api.dependencies.temporal.workflow.getHandle(workflowId).describe()).status.name;
}

/** Waits until the worker has run the workflow's first task (a workflow nobody ran has two history events). */
async function takenUp(workflowId: string): Promise<void> {
  await expect.poll(async () => (await api.dependencies.temporal.workflow.getHandle(workflowId).describe()).historyLength, { timeout: 30_000 })
    .toBeGreaterThan(2);
}

async function signIn(credentials: DemoCredentials): Promise<number> {
  const totp = credentials.totpSecret ? totpCode(credentials.totpSecret, totpStep(new Date())) : undefined;
  const response = await api.request('/v1/auth/login', { body: { email: credentials.email, password: credentials.password, ...(totp ? { totp } : {}) } });
  return response.status;
}

const payoutRow = z.object({
  id: z.string(), partner_id: z.string(), method_id: z.string(), status: z.string(), amount: z.string(), reserve_entry_id: z.string().nullable(),
  initiated_role: z.string(),
});
const payouts = () => api.owner.any(sql.type(payoutRow)`
  SELECT id::text, partner_id, method_id, status, amount::text AS amount, reserve_entry_id::text AS reserve_entry_id, initiated_role
  FROM payouts ORDER BY partner_id`);

const countRow = z.object({ table_name: z.string(), count: z.number() });
/** Row counts of every table the seeding writes, and of the ledger and audit log. */
const seededCounts = async () => Object.fromEntries((await api.owner.any(sql.type(countRow)`
  SELECT 'users' AS table_name, count(*)::int AS count FROM users WHERE email LIKE '%@demo.ledgerflow' UNION ALL SELECT 'partners', count(*)::int FROM partners
  UNION ALL SELECT 'commission_events', count(*)::int FROM commission_events UNION ALL SELECT 'bonuses', count(*)::int FROM bonuses
  UNION ALL SELECT 'payouts', count(*)::int FROM payouts UNION ALL SELECT 'refunds', count(*)::int FROM refunds
  UNION ALL SELECT 'chargebacks', count(*)::int FROM chargebacks UNION ALL SELECT 'disputes', count(*)::int FROM disputes
  UNION ALL SELECT 'adjustments', count(*)::int FROM adjustments UNION ALL SELECT 'journal_entries', count(*)::int FROM journal_entries
  UNION ALL SELECT 'audit_records', count(*)::int FROM audit_records`)).map((row) => [row.table_name, row.count]));

describe('the demo data set', () => {
  it('creates a login for each admin role (with a TOTP secret) and two partners, each able to sign in', async () => {
    expect(first.created).toBe(true);
    expect(first.credentials.map((user) => [user.email, user.role, user.totpSecret !== undefined])).toEqual([
      ['admin@demo.ledgerflow', 'admin', true],
      ['senior@demo.ledgerflow', 'senior_admin', true],
      ['manager@demo.ledgerflow', 'finance_manager', true],
      ['director@demo.ledgerflow', 'finance_director', true],
      ['support@demo.ledgerflow', 'financial_support', true],
      ['leader@demo.ledgerflow', 'partner', false],
      ['partner@demo.ledgerflow', 'partner', false],
    ]);
    const admin = first.credentials.find((user) => user.email === 'admin@demo.ledgerflow')!;
    const partner = first.credentials.find((user) => user.email === 'partner@demo.ledgerflow')!;
    expect(await signIn(admin)).toBe(200);
    expect(await signIn(partner)).toBe(200);
    expect(await signIn({ ...partner, password: 'not-the-demo-password' })).toBe(401);
  });

  it('when the worker runs, the partner login’s automatic payout and an admin’s bank transfer wait for approval, and a payout of a partner without KYC is held', async () => {
    await expect.poll(async () => (await payouts()).map((row) => [row.partner_id, row.method_id, row.status]), { timeout: 30_000 }).toEqual([
      ['demo-0003', 'BANK_TRANSFER', 'AWAITING_APPROVAL'],
      ['demo-0014', 'WEBMONEY', 'HELD'],
      ['demo-0042', 'PAYQUICKER', 'AWAITING_APPROVAL'],
    ]);
    const rows = await payouts();
    expect(rows.map((row) => row.initiated_role)).toEqual(['finance_manager', 'finance_manager', 'partner']);
    for (const row of rows) {
      // Created as the API creates them: the amount reserved by an entry, audited, and run by `payout-<id>`.
      expect(row.reserve_entry_id, `payout ${row.id} has no reserve entry`).not.toBeNull();
      const reserved = await api.owner.oneFirst(sql.type(z.object({ amount: z.string() }))`
        SELECT p.amount::text AS amount FROM postings p JOIN accounts a ON a.id = p.account_id
        WHERE p.entry_id = ${row.reserve_entry_id} AND a.bucket = 'payout_reserved'`);
      expect(new Money(reserved).equals(row.amount)).toBe(true);
      expect(await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
        SELECT count(*)::int AS count FROM audit_records WHERE action = 'PAYOUT_REQUEST' AND target_id = ${row.id}`)).toBe(1);
      expect(await workflowStatus(`payout-${row.id}`)).toBe('RUNNING');
    }
  });

  it('when the worker runs, the refund waits for approval, the chargeback has reversed its order’s commissions, the dispute is under review and the manual commission waits for approval', async () => {
    const refund = await api.owner.one(sql.type(z.object({ id: z.string(), status: z.string(), order_id: z.string() }))`
      SELECT id::text, status, order_id FROM refunds`);
    await takenUp(refundWorkflowId(refund.id));
    expect(await workflowStatus(refundWorkflowId(refund.id))).toBe('RUNNING');
    expect((await api.owner.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM refunds WHERE id = ${refund.id}`))).toBe('PENDING');

    const chargebackOf = () => api.owner.one(sql.type(z.object({ id: z.string(), status: z.string(), order_id: z.string(), reversed_count: z.number(), reversed: z.boolean() }))`
      SELECT id::text, status, order_id, reversed_count, reversed_at IS NOT NULL AS reversed FROM chargebacks`);
    await expect.poll(async () => (await chargebackOf()).reversed, { timeout: 30_000 }).toBe(true);
    const chargeback = await chargebackOf();
    expect(chargeback.status).toBe('OPEN');
    expect(chargeback.order_id).not.toBe(refund.order_id);
    const orderCommissions = await api.owner.any(sql.type(z.object({ status: z.string(), amount: z.string(), reversed_amount: z.string() }))`
      SELECT c.status, c.amount::text AS amount, c.reversed_amount::text AS reversed_amount
      FROM commissions c JOIN commission_events e ON e.id = c.event_id WHERE e.kind = 'ORDER_COMPLETED' AND e.source_id = ${chargeback.order_id}`);
    expect(orderCommissions.length).toBeGreaterThan(0);
    expect(chargeback.reversed_count).toBe(orderCommissions.length);
    expect(orderCommissions.every((row) => row.status === 'REVERSED' && new Money(row.reversed_amount).equals(row.amount))).toBe(true);
    expect(await workflowStatus(chargebackWorkflowId(chargeback.id))).toBe('RUNNING');

    const disputeOf = () => api.owner.one(sql.type(z.object({ id: z.string(), status: z.string(), partner_id: z.string(), type: z.string() }))`
      SELECT id::text, status, partner_id, type FROM disputes`);
    await expect.poll(async () => (await disputeOf()).status, { timeout: 30_000 }).toBe('UNDER_REVIEW');
    const dispute = await disputeOf();
    expect([dispute.partner_id, dispute.type]).toEqual(['demo-0001', 'COMMISSION']);
    expect(await api.owner.anyFirst(sql.type(z.object({ kind: z.string() }))`
      SELECT kind FROM partner_flags WHERE partner_id = 'demo-0001' AND cleared_at IS NULL`)).toContain('OPEN_DISPUTE');
    expect(await workflowStatus(disputeWorkflowId(dispute.id))).toBe('RUNNING');

    const adjustmentOf = () => api.owner.one(sql.type(z.object({ id: z.string(), status: z.string(), partner_id: z.string(), amount: z.string(), needs_senior_approval: z.boolean() }))`
      SELECT id::text, status, partner_id, amount::text AS amount, needs_senior_approval FROM adjustments`);
    const adjustment = await adjustmentOf();
    expect([adjustment.partner_id, new Money(adjustment.amount).toFixed(2), adjustment.needs_senior_approval]).toEqual(['demo-0042', '150.00', true]);
    // Taken up by the worker, and still waiting for a senior admin.
    await takenUp(`adjustment-${adjustment.id}`);
    expect(await workflowStatus(`adjustment-${adjustment.id}`)).toBe('RUNNING');
    expect((await adjustmentOf()).status).toBe('AWAITING_APPROVAL');
  });

  it('once the demo’s workflows have run, the ledger’s invariants hold and the bonuses are posted', async () => {
    await expect.poll(async () => api.owner.anyFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM bonuses ORDER BY status`), { timeout: 30_000 })
      .toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('when the demo is seeded a second time, nothing new is created and the same logins come back', async () => {
    const before = await seededCounts();
    const second = await seedDemo(seedInput());
    expect(second.created).toBe(false);
    expect(second.credentials).toEqual(first.credentials);
    expect(await seededCounts()).toEqual(before);
    expect(before).toMatchObject({ users: 7, partners: 300, bonuses: 4, payouts: 3, refunds: 1, chargebacks: 1, disputes: 1, adjustments: 1 });
  });
});
