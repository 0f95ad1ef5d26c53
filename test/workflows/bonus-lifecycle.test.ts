import { randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { startBonusWorkflow } from '../../modules/bonuses/start-bonus.ts';
import type { BonusRequest } from '../../domain/bonus.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { bonusWorkflowId, getBonusStateQuery } from '../../workflows/bonus-messages.ts';
import { statusKey, partnerIdKey } from '../../workflows/search-attributes.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { connectClient, createInProcessWorker, uniqueTaskQueue } from '../helpers/temporal.ts';

let testDatabase: TestDatabase;
let database: Database;
let owner: pg.Client;
let client: Client;
let clientConnection: Connection;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const taskQueue = uniqueTaskQueue('bonus');
const adminId = randomUUID();

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase(testDatabase.appUrl);
  owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
  await owner.connect();
  await owner.query(
    `INSERT INTO users (id, email, password_hash, role, totp_secret) VALUES ($1, 'admin@test', 'unused', 'admin', 'JBSWY3DPEHPK3PXP')`,
    [adminId],
  );
  ({ client, connection: clientConnection } = await connectClient());
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database, taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await clientConnection?.close();
  await owner?.end();
  await database?.end();
  await testDatabase?.drop();
});

async function createPartner(id = `p-${randomUUID().slice(0, 8)}`) {
  await owner.query(
    `INSERT INTO partners (id, name, rank, status, kyc_status, joined_at) VALUES ($1, 'Test', '3', 'ACTIVE', 'APPROVED', now())`,
    [id],
  );
  return id;
}

/** Inserts the bonus row as the API does, starts its workflow and waits for the result. */
async function runBonus(partnerId: string, amount: string, currency = 'USD') {
  const request: BonusRequest = { bonusId: randomUUID(), partnerId, amount, currency, reason: 'test bonus', actorUserId: adminId, ip: '203.0.113.7' };
  await owner.query(
    `INSERT INTO bonuses (id, partner_id, amount, currency, reason, status, created_by) VALUES ($1, $2, $3, $4, $5, 'PENDING', $6)`,
    [request.bonusId, partnerId, amount, currency, request.reason, adminId],
  );
  await startBonusWorkflow(client, taskQueue, request);
  const handle = client.workflow.getHandle(bonusWorkflowId(request.bonusId));
  return { request, result: await handle.result(), handle };
}

async function balances(partnerId: string) {
  const [usd] = await new LedgerStore(database).partnerBalances(partnerId);
  return usd!;
}

describe('bonus lifecycle', () => {
  it('when an admin grants a positive bonus, it lands in available with an audit record and the workflow shows COMPLETED', async () => {
    const partnerId = await createPartner();
    const { request, result, handle } = await runBonus(partnerId, '25.50');

    expect(result.status).toBe('COMPLETED');
    expect((await balances(partnerId)).available).toBe('25.50');
    const audit = await owner.query(`SELECT * FROM audit_records WHERE action = 'BONUS_POST' AND target_id = $1`, [partnerId]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({
      actor: adminId,
      amount: '25.50',
      currency: 'USD',
      balance_before: '0.00',
      balance_after: '25.50',
      reason: 'test bonus',
      ip: '203.0.113.7',
      entry_id: result.entryId,
    });
    expect(await handle.query(getBonusStateQuery)).toEqual({ status: 'COMPLETED', entryId: result.entryId, failure: null, policyVersion: 1 });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(statusKey)).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(partnerIdKey)).toBe(partnerId);
    const bonus = await owner.query(`SELECT status, entry_id FROM bonuses WHERE id = $1`, [request.bonusId]);
    expect(bonus.rows[0]).toEqual({ status: 'COMPLETED', entry_id: result.entryId });
    await assertLedgerInvariants(testDatabase.ownerUrl);
  });

  it('when a negative bonus exceeds available, available goes to zero and the rest becomes debt', async () => {
    const partnerId = await createPartner();
    await runBonus(partnerId, '10.00');
    await runBonus(partnerId, '-25.00');

    const after = await balances(partnerId);
    expect(after.available).toBe('0.00');
    // The store reports debt as the balance of the debt account, which runs below zero.
    expect(after.debt).toBe('-15.00');
    await assertLedgerInvariants(testDatabase.ownerUrl);
  });

  it('when a partner in debt receives a positive bonus, the debt is repaid first', async () => {
    const partnerId = await createPartner();
    await runBonus(partnerId, '-40.00');
    await runBonus(partnerId, '55.00');

    const after = await balances(partnerId);
    expect(after.debt).toBe('0.00');
    expect(after.available).toBe('15.00');
    await assertLedgerInvariants(testDatabase.ownerUrl);
  });

  it('when the posting activity runs twice for one bonus, exactly one entry exists', async () => {
    const partnerId = await createPartner();
    const request: BonusRequest = { bonusId: randomUUID(), partnerId, amount: '7.00', currency: 'USD', reason: 'retry', actorUserId: adminId, ip: null };
    await owner.query(
      `INSERT INTO bonuses (id, partner_id, amount, currency, reason, status, created_by) VALUES ($1, $2, '7.00', 'USD', 'retry', 'PENDING', $3)`,
      [request.bonusId, partnerId, adminId],
    );
    const activities = createActivities({ database });
    const [first, second] = await Promise.all([activities.postBonus(request), activities.postBonus(request)]);

    expect(second.entryId).toBe(first.entryId);
    const entries = await owner.query(`SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = $1`, [`bonus-${request.bonusId}`]);
    expect(entries.rows[0].n).toBe(1);
    expect((await balances(partnerId)).available).toBe('7.00');
  });

  it('when the partner does not exist, the bonus fails without posting anything', async () => {
    const partnerId = await createPartner();
    await owner.query(`ALTER TABLE bonuses DROP CONSTRAINT bonuses_partner_id_fkey`);
    try {
      const { result } = await runBonus('no-such-partner', '5.00');
      expect(result.status).toBe('FAILED');
      expect(result.failure).toMatch(/does not exist/);
    } finally {
      await owner.query(`DELETE FROM bonuses WHERE partner_id = 'no-such-partner'`);
      await owner.query(`ALTER TABLE bonuses ADD CONSTRAINT bonuses_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES partners (id)`);
    }
    expect((await balances(partnerId).catch(() => undefined))?.available ?? '0.00').toBe('0.00');
    await assertLedgerInvariants(testDatabase.ownerUrl);
  });
});
