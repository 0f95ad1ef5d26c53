import { randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBonusWorkflow } from '../../modules/bonuses/start-bonus.ts';
import type { BonusRequest } from '../../domain/bonus.ts';
import { defaultPolicy } from '../../domain/policy.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { connectClient, startWorkerProcess, uniqueTaskQueue, waitForExit } from '../helpers/temporal.ts';
import { bonusWorkflowId } from '../../workflows/bonus-messages.ts';

let testDatabase: TestDatabase;
let owner: pg.Client;
let client: Client;
let connection: Connection;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
  await owner.connect();
  ({ client, connection } = await connectClient());
});

afterAll(async () => {
  await connection?.close();
  await owner?.end();
  await testDatabase?.drop();
});

describe('a worker killed while the bonus activity runs', () => {
  it('after a restart the workflow completes and exactly one entry exists', async () => {
    const taskQueue = uniqueTaskQueue('crash');
    const adminId = randomUUID();
    await owner.query(`INSERT INTO users (id, email, password_hash, role, totp_secret) VALUES ($1, 'crash@test', 'x', 'admin', 'JBSWY3DPEHPK3PXP')`, [adminId]);
    await owner.query(`INSERT INTO partners (id, name, rank, status, kyc_status, joined_at) VALUES ('crash-p', 'P', '1', 'ACTIVE', 'APPROVED', now())`);
    const request: BonusRequest = { bonusId: randomUUID(), partnerId: 'crash-p', amount: '12.34', currency: 'USD', reason: 'crash test', actorUserId: adminId, ip: null };
    await owner.query(`INSERT INTO bonuses (id, partner_id, amount, currency, reason, status, created_by) VALUES ($1, 'crash-p', '12.34', 'USD', 'crash test', 'PENDING', $2)`, [request.bonusId, adminId]);

    // Lock the bonuses table so the activity stops inside its database transaction, then kill the worker there.
    // (A table lock takes no transaction id, so it does not hold back the audit sealer of other test files.)
    const blocker = new pg.Client({ connectionString: testDatabase.ownerUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE bonuses IN EXCLUSIVE MODE');

    const first = await startWorkerProcess({ ownerUrl: testDatabase.ownerUrl, taskQueue });
    // A short activity timeout (from the policy the workflow captures) keeps the retry quick.
    await startBonusWorkflow(client, taskQueue, request, { ...defaultPolicy, bonuses: { postTimeoutSeconds: 5 } });
    await expect.poll(async () => {
      const waiting = await owner.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM bonuses WHERE id%'`,
      );
      return waiting.rows[0].n;
    }, { timeout: 30_000, interval: 200 }).toBe(1);
    first.process.kill('SIGKILL');
    await waitForExit(first.process);
    await blocker.query('COMMIT');
    await blocker.end();

    const second = await startWorkerProcess({ ownerUrl: testDatabase.ownerUrl, taskQueue });
    try {
      const result = await client.workflow.getHandle(bonusWorkflowId(request.bonusId)).result();
      expect(result.status).toBe('COMPLETED');
    } finally {
      second.process.kill('SIGTERM');
      await waitForExit(second.process);
    }

    const entries = await owner.query(`SELECT count(*)::int AS n FROM journal_entries WHERE idempotency_key = $1`, [`bonus-${request.bonusId}`]);
    expect(entries.rows[0].n).toBe(1);
    const audit = await owner.query(`SELECT count(*)::int AS n FROM audit_records WHERE action = 'BONUS_POST' AND target_id = 'crash-p'`);
    expect(audit.rows[0].n).toBe(1);
    const balance = await owner.query(
      `SELECT b.balance FROM account_balances b JOIN accounts a ON a.id = b.account_id WHERE a.owner_id = 'crash-p' AND a.bucket = 'available'`,
    );
    expect(balance.rows[0].balance).toBe('12.34');
    await assertLedgerInvariants(testDatabase.ownerUrl);
  }, 120_000);
});
