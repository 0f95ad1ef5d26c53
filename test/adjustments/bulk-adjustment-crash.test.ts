import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { startWorkerProcess, waitForExit } from '../helpers/temporal.ts';
import { adjustmentKit } from './kit.ts';

/**
 * Issue #5: "a bulk adjustment of 10,000 partners whose worker is killed midway completes with every partner adjusted
 * exactly once". The production worker (workers/main.ts, a separate Bun process) is killed with SIGKILL while a chunk's
 * transaction has posted its entries and is blocked before its commit; a second worker resumes the workflow.
 */

let api: ApiHarness;
let kit: ReturnType<typeof adjustmentKit>;
const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];
const partners = 10_000;

beforeAll(async () => {
  api = await createApiHarness();
  kit = adjustmentKit(api);
  await kit.insertRubRate();
  // Chunks of 500, a continue-as-new every 8 chunks, and a 5 s activity timeout so the killed chunk is retried soon.
  await kit.setAdjustmentPolicy({ bulkChunkSize: 500, bulkChunksPerRun: 8, activityTimeoutSeconds: 5 });
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    SELECT 'crash_' || lpad(n::text, 5, '0'), 'Crash ' || n, '8', 'ACTIVE', 'APPROVED', timestamptz '2019-05-01' + n * interval '1 second'
    FROM generate_series(1, ${partners}) AS n`);
  // Its `available` account exists before the run (the test holds its balance row to stop the run midway).
  await kit.fund('crash_05250', '1.00');
});

afterAll(async () => {
  for (const worker of workers) {
    if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGTERM');
    await waitForExit(worker.process);
  }
  await api?.close();
});

describe('a bulk adjustment of 10,000 partners whose worker is killed midway', () => {
  it('completes after a restart with every partner adjusted exactly once', async () => {
    const maker = await kit.admin('admin');
    const created = await api.request('/v1/bulk-adjustments', {
      token: maker.token,
      body: { direction: 'ADD', amountKind: 'FIXED', value: '1.25', currency: 'USD', reason: 'crash test bonus', target: { kind: 'FILTER', ranks: ['8'], joinedFrom: '2019-05-01T00:00:00Z', joinedTo: '2019-05-02T00:00:00Z' } },
    });
    expect(created.status).toBe(202);
    const bulk = (await created.json()) as { id: string; workflowId: string; partners: number; totalImpact: string };
    expect(bulk).toMatchObject({ partners, totalImpact: '12500.00' });
    api.startedWorkflowIds.add(bulk.workflowId);

    // Hold crash_05250's balance row: the chunk that reaches it waits there, midway through the run.
    const accountBlocker = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
    const bulkBlocker = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
    await Promise.all([accountBlocker.connect(), bulkBlocker.connect()]);
    await accountBlocker.query('BEGIN');
    await accountBlocker.query(`
      SELECT b.balance FROM account_balances b JOIN accounts a ON a.id = b.account_id
      WHERE a.owner_type = 'partner' AND a.owner_id = 'crash_05250' AND a.bucket = 'available' FOR UPDATE OF b`);

    workers.push(await startWorkerProcess({ ownerUrl: api.testDatabase.ownerUrl, taskQueue: api.taskQueue }));
    // 12,500 USD is 1,250,000 RUB: a finance director's approval.
    const approved = await kit.asNew('finance_director', `/v1/bulk-adjustments/${bulk.id}/approve`, {});
    expect(approved.status).toBe(200);

    const processed = () => api.owner.oneFirst(sql.type(z.object({ processed: z.number() }))`SELECT processed FROM bulk_adjustments WHERE id = ${bulk.id}`);
    // Sessions waiting for a lock the given blocker holds.
    const blockedBy = (blocker: pg.Client) => async () => (await api.owner.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE ${(await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number} = ANY(pg_blocking_pids(pid))`));
    try {
      // The chunk holding crash_05250 (items 5000–5499, the 11th of 20) first waits for that partner's balance row...
      await kit.poll(blockedBy(accountBlocker), (waiting) => waiting >= 1, 'the 11th chunk waiting for a balance lock', 60_000);
      expect(await processed()).toBe(5_000);
      // ...then, with its entries posted but not committed, for the bulk row it updates last: the worker dies there.
      await bulkBlocker.query('BEGIN');
      await bulkBlocker.query('SELECT id FROM bulk_adjustments WHERE id = $1 FOR UPDATE', [bulk.id]);
      await accountBlocker.query('COMMIT');
      await kit.poll(blockedBy(bulkBlocker), (waiting) => waiting >= 1, 'the chunk blocked before its commit', 30_000);
      // Its entries are posted (visible to nobody yet) when the worker dies.
      workers[0]!.process.kill('SIGKILL');
      await waitForExit(workers[0]!.process);
      await bulkBlocker.query('COMMIT');
    } finally {
      await Promise.allSettled([accountBlocker.end(), bulkBlocker.end()]);
    }
    expect(await processed()).toBe(5_000);

    workers.push(await startWorkerProcess({ ownerUrl: api.testDatabase.ownerUrl, taskQueue: api.taskQueue }));
    const result = (await api.dependencies.temporal.workflow.getHandle(bulk.workflowId).result()) as { status: string; applied: number; appliedTotal: string };
    expect(result).toMatchObject({ status: 'COMPLETED', applied: partners, appliedTotal: '12500' });

    // The ledger's view: one entry per partner, 1.25 each, 12,500.00 in all.
    const ledger = await api.owner.one(sql.type(z.object({ entries: z.number(), partners: z.number(), total: z.string(), wrong: z.number() }))`
      WITH moved AS (
        SELECT a.owner_id, count(DISTINCT e.id)::int AS entries, sum(p.amount) AS amount
        FROM journal_entries e JOIN postings p ON p.entry_id = e.id JOIN accounts a ON a.id = p.account_id
        WHERE e.idempotency_key LIKE ${`bulk-adjustment-${bulk.id}:%`} AND a.owner_type = 'partner'
        GROUP BY a.owner_id)
      SELECT sum(entries)::int AS entries, count(*)::int AS partners, sum(amount)::text AS total,
             count(*) FILTER (WHERE entries <> 1 OR amount <> 1.25)::int AS wrong
      FROM moved`);
    expect(ledger).toEqual({ entries: partners, partners, total: '12500.00', wrong: 0 });
    const items = await api.owner.oneFirst(sql.type(z.object({ applied: z.number() }))`
      SELECT count(*)::int AS applied FROM bulk_adjustment_items WHERE bulk_id = ${bulk.id} AND status = 'APPLIED'`);
    expect(items).toBe(partners);
    const audits = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM audit_records WHERE action = 'BALANCE_ADJUST' AND details->>'bulkAdjustmentId' = ${bulk.id}`);
    expect(audits).toBe(partners);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 120_000);
});
