import { randomInt } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/pool.ts';
import { utcDay } from '../../domain/reconciliation.ts';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { computeReport, getReconciliation } from '../../modules/reconciliation/reconciliation-store.ts';
import { reconciliationStateQuery, reconciliationWorkflow, reconciliationWorkflowId } from '../../workflows/reconciliation.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { connectClient, startWorkerProcess, uniqueTaskQueue, waitForExit } from '../helpers/temporal.ts';
import { reconciliationKit } from './kit.ts';

/**
 * Issue #18: "a reconciliation interrupted by a worker crash resumes and produces the same report". The production
 * worker (workers/main.ts, a Bun process) is killed with SIGKILL while its activity has computed the day and waits to
 * store it; the ledger moves on (an entry posted today); a second worker retries the activity, which stores the same
 * report, once, with one notification and one audit record.
 */

let testDatabase: TestDatabase;
let database: Database;
let owner: pg.Client;
let client: Client;
let clientConnection: Connection;
const taskQueue = uniqueTaskQueue('reconciliation-crash');
const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];
const day = utcDay(new Date(Date.UTC(2001 + randomInt(20), randomInt(12), 1 + randomInt(28))));
const workflowId = `${reconciliationWorkflowId(day)}-${taskQueue}`;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 3 });
  owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
  await owner.connect();
  const kit = reconciliationKit(owner);
  await kit.arrangeDay(day, 'crash');
  // A variance, so the run also notifies: a cached balance off by 1.00 (put back at the end).
  await owner.query(`UPDATE account_balances SET balance = balance + 1 WHERE account_id = $1`, [await kit.accountId({ ownerType: 'partner', ownerId: 'crash-p', bucket: 'commission_approved' })]);
  ({ client, connection: clientConnection } = await connectClient());
});

afterAll(async () => {
  const handle = client?.workflow.getHandle(workflowId);
  if (handle && (await handle.describe().catch(() => null))?.status.name === 'RUNNING') await handle.terminate('test file finished');
  for (const worker of workers) {
    if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGTERM');
    await waitForExit(worker.process);
  }
  await clientConnection?.close();
  if (owner) {
    await owner.query(`UPDATE account_balances b SET balance = balance - 1 FROM accounts a WHERE a.id = b.account_id AND a.owner_id = 'crash-p' AND a.bucket = 'commission_approved'`);
    await assertLedgerInvariants(owner);
  }
  await owner?.end();
  await database?.end();
  await testDatabase?.drop();
});

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}; last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('a reconciliation whose worker is killed midway', () => {
  it('resumes on another worker and stores the same report, once', async () => {
    const expected = await computeReport(database, day);
    expect(expected.balanced).toBe(false);

    // Hold the table: the activity computes the day, then waits to store it; the worker dies there.
    const blocker = new pg.Client({ connectionString: testDatabase.ownerUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE reconciliations IN SHARE ROW EXCLUSIVE MODE');
    const blockerPid = (await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    try {
      workers.push(await startWorkerProcess({ ownerUrl: testDatabase.ownerUrl, taskQueue }));
      const handle = await client.workflow.start(reconciliationWorkflow, { workflowId, taskQueue, args: [{ day, requestedBy: null }] });
      await poll(
        async () => Number((await owner.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE '%INSERT INTO reconciliations%'`, [blockerPid])).rows[0].n),
        (waiting) => waiting >= 1,
        'the activity waiting to store the day',
      );
      workers[0]!.process.kill('SIGKILL');
      await waitForExit(workers[0]!.process);

      // The ledger moves on meanwhile: an entry today changes every current balance the closing figures start from.
      await new LedgerStore(database).postEntry({
        idempotencyKey: 'commission-event:after-crash', kind: 'commission',
        postings: [
          { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'commission_expense', currency: 'USD' }, amount: '-9.00' },
          { account: { ownerType: 'partner', ownerId: 'crash-p', bucket: 'commission_pending', currency: 'USD' }, amount: '9.00' },
        ],
      });
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(await getReconciliation(database, day)).toBeNull();

    workers.push(await startWorkerProcess({ ownerUrl: testDatabase.ownerUrl, taskQueue }));
    const state = await poll(() => client.workflow.getHandle(workflowId).query(reconciliationStateQuery), (value) => value.status === 'AWAITING_SIGN_OFF', 'the day stored after the crash');
    expect(state.outcome).toMatchObject({ day, balanced: false, items: 3, created: true });

    const stored = await getReconciliation(database, day);
    expect(stored?.report).toEqual(expected);
    const counts = await owner.query(`
      SELECT (SELECT count(*)::int FROM notifications WHERE dedupe_key = $1) AS notifications,
             (SELECT count(*)::int FROM audit_records WHERE action = 'RECONCILIATION_RUN' AND target_id = $2) AS audits`, [`reconciliation-variance:${day}`, day]);
    expect(counts.rows[0]).toEqual({ notifications: 1, audits: 1 });
  }, 120_000);
});

