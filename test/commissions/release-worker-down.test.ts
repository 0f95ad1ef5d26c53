import { randomBytes } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommissionEngine } from '../../modules/commissions/ingest-events.ts';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { PolicyStore } from '../../modules/policy/policy-store.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { defaultPolicy } from '../../domain/policy.ts';
import { commissionScheduleOptions } from '../../stack/commission-schedules.ts';
import { ensureSchedules } from '../../stack/schedules.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { connectClient, startWorkerProcess, uniqueTaskQueue, waitForExit } from '../helpers/temporal.ts';

let testDatabase: TestDatabase;
let owner: pg.Client;
let database: Database;
let client: Client;
let connection: Connection;
const scheduleIds = { release: `test-release-${randomBytes(4).toString('hex')}`, payBatch: `test-pay-${randomBytes(4).toString('hex')}` };

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
  await owner.connect();
  database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 3 });
  ({ client, connection } = await connectClient());
});

afterAll(async () => {
  for (const id of Object.values(scheduleIds)) await client?.schedule.getHandle(id).delete().catch(() => undefined);
  await connection?.close();
  await database?.end();
  await owner?.end();
  await testDatabase?.drop();
});

const count = async (query: string) => Number((await owner.query(query)).rows[0].count);

describe('a hold that ends while the worker is down', () => {
  it('is released by the schedule after the worker restarts, exactly once', async () => {
    const taskQueue = uniqueTaskQueue('release');
    // A policy version whose product hold is 3 seconds, in force from now on.
    const policies = new PolicyStore(database, 0);
    await policies.add({
      document: { ...defaultPolicy, commissions: { ...defaultPolicy.commissions, holds: { ...defaultPolicy.commissions.holds, PRODUCT: '3s' }, releaseSweepInterval: '1s' } },
      effectiveFrom: new Date(Date.now() + 200),
      reason: 'short holds for the test',
      actor: 'test',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await owner.query(`INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at) VALUES
      ('hold-top', 'Top', NULL, '6', 'ACTIVE', 'APPROVED', now() - interval '1 day')`);
    await owner.query(`INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at) VALUES
      ('hold-seller', 'Seller', 'hold-top', '2', 'ACTIVE', 'APPROVED', now() - interval '1 day')`);

    const worker = await startWorkerProcess({ ownerUrl: testDatabase.ownerUrl, taskQueue });
    const { policy } = await policies.active();
    await ensureSchedules(client, commissionScheduleOptions(taskQueue, policy, scheduleIds).slice(0, 1));

    const engine = new CommissionEngine(database, new LedgerStore(database), policies);
    const results = await engine.ingest(
      Array.from({ length: 20 }, (_, index) => ({
        externalId: `hold-${index}`, kind: 'ORDER_COMPLETED' as const, sourceId: `hold-order-${index}`, partnerId: 'hold-seller',
        completedAt: new Date().toISOString(), amount: '100.00', currency: 'USD',
      })),
      'test',
    );
    expect(results.every((result) => result.status === 'PROCESSED')).toBe(true);
    expect(await count(`SELECT count(*) FROM commissions WHERE status = 'PENDING'`)).toBe(40);

    // The worker dies before any hold ends; the holds end while it is down.
    worker.process.kill('SIGKILL');
    await waitForExit(worker.process);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await count(`SELECT count(*) FROM commissions WHERE status = 'PENDING' AND release_at < now()`)).toBe(40);

    const restarted = await startWorkerProcess({ ownerUrl: testDatabase.ownerUrl, taskQueue });
    try {
      await expect.poll(() => count(`SELECT count(*) FROM commissions WHERE status = 'APPROVED'`), { timeout: 30_000, interval: 250 }).toBe(40).catch(async (error) => {
        const schedule = await client.schedule.getHandle(scheduleIds.release).describe();
        console.log(JSON.stringify(schedule.info, null, 1).slice(0, 3000), restarted.output());
        for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) console.log(execution.workflowId, execution.status.name);
        throw error;
      });
      // Let a few more scheduled sweeps run over the same rows: none may approve anything twice.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      restarted.process.kill('SIGTERM');
      await waitForExit(restarted.process);
    }
    expect(await count(`SELECT count(*) FROM journal_entries WHERE kind = 'commission_approval'`)).toBe(40);
    expect(await count(`SELECT count(*) FROM audit_records WHERE action = 'COMMISSION_APPROVE'`)).toBe(40);
    const pending = await owner.query(`SELECT b.balance FROM account_balances b JOIN accounts a ON a.id = b.account_id WHERE a.owner_id = 'hold-seller' AND a.bucket = 'commission_approved'`);
    expect(pending.rows.map((row) => row.balance)).toEqual(['160.00']);
    await assertLedgerInvariants(owner);
  }, 120_000);
});
