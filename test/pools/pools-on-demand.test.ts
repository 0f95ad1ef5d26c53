import { randomInt } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOfWeekUtc } from '../../domain/pools.ts';
import { scheduledPoolWorkflowId } from '../../stack/schedules.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';
import { poolSeeder } from './helpers.ts';

/**
 * /v1/pools (docs/rules.md#pools-on-demand): the preview of a past week equals, figure for figure, what the run of that
 * week posts; the run is the Schedule's workflow for the period (same id), so running twice is one run; a period
 * that is not over, or not a period boundary, is refused naming the field and starts nothing.
 */

let api: ApiHarness;
let owner: pg.Client;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();
// A random past week, so reruns on the shared Temporal server never meet an earlier file's workflow id.
const weekStart = startOfWeekUtc(new Date(Date.UTC(2001 + randomInt(19), randomInt(12), 1 + randomInt(28))));
const periodStart = weekStart.toISOString();
const prefix = `pod${randomInt(1_000_000)}`;

beforeAll(async () => {
  api = await createApiHarness();
  owner = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
  await owner.connect();
  const seed = poolSeeder(owner);
  const joinedAt = '2000-01-01T00:00:00Z';
  const inWeek = new Date(weekStart.getTime() + 2 * 86_400_000).toISOString();
  // Three rank 5 leaders at the branch cap (2 legs × 2,500), one short of volume, and 2.00 more turnover: a remainder.
  for (const leader of ['a', 'b', 'c', 'short']) {
    const id = `${prefix}-${leader}`;
    await seed.partner({ id, rank: '5', joinedAt });
    for (const leg of ['1', '2']) {
      await seed.partner({ id: `${id}-${leg}`, sponsor: id, joinedAt });
      await seed.event({ partnerId: `${id}-${leg}`, baseUsd: leader === 'short' ? '100.00' : '2500.00', completedAt: inWeek });
    }
  }
  await seed.partner({ id: `${prefix}-x`, joinedAt });
  await seed.event({ partnerId: `${prefix}-x`, baseUsd: '2.00', completedAt: inWeek });
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  if (owner) {
    await assertLedgerInvariants(owner);
    await owner.end();
  }
  await endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection });
});

async function financeToken(role: 'finance_manager' | 'admin' = 'finance_manager'): Promise<string> {
  return api.signIn(await api.createAdmin(role));
}

type Preview = {
  periodEnd: string;
  currency: string;
  rounding: Record<string, string>;
  pools: {
    pool: string;
    turnover: string;
    poolAmount: string;
    qualifiedCount: number;
    share: string;
    remainder: string;
    qualified: { partnerId: string; share: string; volume: { counted: string; requirement: string } | null }[];
    run: { runId: string; entryId: string | null; poolAmount: string; qualified: number; share: string; remainder: string } | null;
  }[];
};

async function preview(token: string, query = `frequency=WEEKLY&periodStart=${encodeURIComponent(periodStart)}`): Promise<Response> {
  return api.request(`/v1/pools/preview?${query}`, { method: 'GET', token });
}

async function poolRunCount(): Promise<number> {
  const { rows } = await owner.query<{ count: string }>(`SELECT count(*) FROM pool_runs WHERE period_start = $1`, [periodStart]);
  return Number(rows[0]!.count);
}

describe('pools on demand', () => {
  it('refuses a period that has not begun, is under way or is not a Monday, naming periodStart, and runs nothing', async () => {
    const token = await financeToken();
    const thisWeek = startOfWeekUtc(new Date());
    const cases: [string, string][] = [
      [new Date(thisWeek.getTime() + 14 * 86_400_000).toISOString(), 'future_period'],
      [thisWeek.toISOString(), 'period_not_ended'],
      [new Date(weekStart.getTime() + 86_400_000).toISOString(), 'invalid_pool_period'],
    ];
    for (const [start, code] of cases) {
      const run = await api.request('/v1/pools/runs', { token, body: { frequency: 'WEEKLY', periodStart: start } });
      expect(run.status).toBe(400);
      expect(await errorOf(run)).toMatchObject({ code, field: 'body.periodStart' });
      const previewed = await preview(token, `frequency=WEEKLY&periodStart=${encodeURIComponent(start)}`);
      expect(previewed.status).toBe(400);
      expect(await errorOf(previewed)).toMatchObject({ code, field: 'query.periodStart' });
    }
    const badFrequency = await api.request('/v1/pools/runs', { token, body: { frequency: 'DAILY', periodStart } });
    expect(badFrequency.status).toBe(400);
    expect((await errorOf(badFrequency)).field).toMatch(/frequency/);
    const notFinance = await api.request('/v1/pools/runs', { token: await financeToken('admin'), body: { frequency: 'WEEKLY', periodStart } });
    expect(notFinance.status).toBe(403);
    expect(await poolRunCount()).toBe(0);
  });

  it('previews the week, runs it, and the postings equal the preview; a second run is the same workflow run', async () => {
    const token = await financeToken();
    const before = await preview(token);
    expect(before.status).toBe(200);
    const shown = (await before.json()) as Preview;
    expect(shown.rounding.share).toMatch(/ROUND_FLOOR/);
    expect(shown.periodEnd).toBe(new Date(weekStart.getTime() + 7 * 86_400_000).toISOString());
    const pool5 = shown.pools.find((pool) => pool.pool === 'POOL_5')!;
    // 3 × 5,000 + 200 + 2.00 = 15,202.00 turnover; 1 % = 152.02; ÷ 3 = 50.67 each (floored); 0.01 left.
    expect(pool5).toMatchObject({ turnover: '15202.00', poolAmount: '152.02', qualifiedCount: 3, share: '50.67', remainder: '0.01', run: null });
    expect(pool5.qualified.map((partner) => partner.partnerId)).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    expect(pool5.qualified[0]!.volume).toMatchObject({ counted: '5000.00', requirement: '5000.00' });
    expect(await poolRunCount()).toBe(0);

    const first = await api.request('/v1/pools/runs', { token, body: { frequency: 'WEEKLY', periodStart } });
    expect(first.status).toBe(202);
    const started = (await first.json()) as { workflowId: string; runId: string };
    expect(started.workflowId).toBe(scheduledPoolWorkflowId('WEEKLY', new Date(shown.periodEnd)));
    expect(started.workflowId).toMatch(/^pool-distribution-weekly-\d{4}-\d{2}-\d{2}T00:15:00Z$/);
    workflowIds.add(started.workflowId);
    await api.dependencies.temporal.workflow.getHandle(started.workflowId).result();

    // The run's postings, pool by pool, are the preview's figures.
    for (const pool of shown.pools) {
      const { rows } = await owner.query<{ owner_type: string; owner_id: string; bucket: string; amount: string }>(
        `SELECT a.owner_type, a.owner_id, a.bucket, p.amount::text AS amount
         FROM pool_runs r JOIN postings p ON p.entry_id = r.entry_id JOIN accounts a ON a.id = p.account_id
         WHERE r.pool = $1 AND r.period_start = $2 ORDER BY a.owner_id`,
        [pool.pool, periodStart],
      );
      if (pool.qualifiedCount === 0) {
        expect(rows).toEqual([]);
        continue;
      }
      expect(rows.find((row) => row.bucket === 'pool_funding')!.amount).toBe(`-${pool.poolAmount}`);
      const credited = rows.filter((row) => row.bucket === 'commission_pending').map((row) => [row.owner_id, row.amount]);
      expect(credited).toEqual(pool.qualified.map((partner) => [partner.partnerId, partner.share]));
      expect(rows.find((row) => row.bucket === 'pool_remainder')?.amount ?? '0.00').toBe(pool.remainder);
    }
    const after = (await (await preview(token)).json()) as Preview;
    for (const pool of after.pools) {
      expect(pool.run).toMatchObject({ poolAmount: pool.poolAmount, qualified: pool.qualifiedCount, share: pool.share, remainder: pool.remainder });
    }

    // Twice: the same workflow and run, one pool run per pool, one journal entry.
    const second = await api.request('/v1/pools/runs', { token, body: { frequency: 'WEEKLY', periodStart } });
    expect(second.status).toBe(202);
    expect(await second.json()).toMatchObject({ workflowId: started.workflowId, runId: started.runId });
    expect(await poolRunCount()).toBe(shown.pools.length);
    const { rows: entries } = await owner.query<{ count: string }>(
      `SELECT count(*) FROM journal_entries WHERE kind = 'leadership_pool' AND idempotency_key LIKE $1`,
      [`pool:%:${periodStart}`],
    );
    expect(Number(entries[0]!.count)).toBe(1);
    await assertLedgerInvariants(owner);
  });
});
