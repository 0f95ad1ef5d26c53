import type { Client, Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/pool.ts';
import { scheduledPeriod } from '../../domain/summary-reports.ts';
import { listSummaryReports, summaryReportFile } from '../../modules/reports/summary-report-store.ts';
import { reportScheduleIds, reportScheduleOptions } from '../../stack/report-schedules.ts';
import { ensureSchedules } from '../../stack/schedules.ts';
import { summaryReportScheduleWorkflow } from '../../workflows/reports.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { connectClient, createInProcessWorker, uniqueTaskQueue } from '../helpers/temporal.ts';
import { recordHistory } from '../reconciliation/kit.ts';
import { at, pdfText, reportKit, utcMidnight } from './kit.ts';

/**
 * The summary reports' Schedules (docs/rules.md#summary-reports) on a real Temporal server with the real activities:
 * the period each run reports, a run storing both summaries once per period, and a triggered Schedule doing the same.
 */

let testDatabase: TestDatabase;
let database: Database;
let owner: pg.Client;
let client: Client;
let clientConnection: Connection;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const taskQueue = uniqueTaskQueue('summary-reports');
const scheduleIds = { DAILY: `${taskQueue}-daily`, WEEKLY: `${taskQueue}-weekly`, MONTHLY: `${taskQueue}-monthly` };

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 4 });
  owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
  await owner.connect();
  const kit = reportKit(owner, database, 'sch');
  await kit.payout({ partnerId: 'sch-q1', methodId: 'BANK_TRANSFER', amount: '42.42', status: 'COMPLETED', requestedAt: at(-1, 6), closedAt: at(-1, 7) });
  await kit.commission({ partnerId: 'sch-p1', level: 2, sourceType: 'INVESTMENT', amount: '12.34', createdAt: at(-1, 5) });
  ({ client, connection: clientConnection } = await connectClient());
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database, taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  await Promise.allSettled(Object.values(scheduleIds).map((id) => client?.schedule.getHandle(id).delete()));
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await clientConnection?.close();
  await owner?.end();
  await database?.end();
  await testDatabase?.drop();
});

describe('the period a scheduled run reports', () => {
  it('is the UTC day, ISO week or month that ended before the run was due', () => {
    const due = new Date('2026-03-04T01:00:00Z'); // a Wednesday
    expect(scheduledPeriod('DAILY', due)).toEqual({ from: '2026-03-03T00:00:00.000Z', to: '2026-03-04T00:00:00.000Z' });
    expect(scheduledPeriod('WEEKLY', due)).toEqual({ from: '2026-02-23T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' });
    expect(scheduledPeriod('WEEKLY', new Date('2026-03-02T01:10:00Z'))).toEqual({ from: '2026-02-23T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' });
    expect(scheduledPeriod('MONTHLY', new Date('2026-03-01T01:20:00Z'))).toEqual({ from: '2026-02-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' });
    expect(scheduledPeriod('MONTHLY', new Date('2026-01-01T01:20:00Z'))).toEqual({ from: '2025-12-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' });
  });
});

describe('summaryReportScheduleWorkflow', () => {
  it('stores the commission and payout summaries of yesterday once, however often it runs', async () => {
    const first = await client.workflow.execute(summaryReportScheduleWorkflow, { workflowId: `${taskQueue}-run-1`, taskQueue, args: [{ period: 'DAILY' }] });
    const second = await client.workflow.execute(summaryReportScheduleWorkflow, { workflowId: `${taskQueue}-run-2`, taskQueue, args: [{ period: 'DAILY' }] });
    const yesterday = { from: utcMidnight(-1).toISOString(), to: utcMidnight(0).toISOString() };
    expect(first).toMatchObject({ period: 'DAILY', ...yesterday, created: 2 });
    expect(second).toMatchObject({ period: 'DAILY', ...yesterday, created: 0, reportIds: first.reportIds });
    await recordHistory(`${taskQueue}-run-1`, 'summary-reports-daily-created');
    await recordHistory(`${taskQueue}-run-2`, 'summary-reports-daily-stored-before');
    const stored = await listSummaryReports(database, { period: 'DAILY', limit: 10 });
    expect(stored.map((report) => report.kind).sort()).toEqual(['commissions', 'payouts']);
    const payouts = stored.find((report) => report.kind === 'payouts')!;
    const json = JSON.parse((await summaryReportFile(database, payouts.id, 'json'))!.bytes.toString('utf8'));
    expect(json.totals.totalAmount).toEqual([{ currency: 'USD', amount: '42.42' }]);
    expect(pdfText((await summaryReportFile(database, payouts.id, 'pdf'))!.bytes)).toContain('42.42');
  });

  it('runs from its Schedules: a triggered weekly Schedule stores last week’s reports', async () => {
    const options = reportScheduleOptions(taskQueue, scheduleIds);
    expect(reportScheduleIds).toEqual({ DAILY: 'summary-reports-daily', WEEKLY: 'summary-reports-weekly', MONTHLY: 'summary-reports-monthly' });
    await ensureSchedules(client, options);
    const weekly = client.schedule.getHandle(scheduleIds.WEEKLY);
    const described = await weekly.describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'summaryReportScheduleWorkflow' });
    expect(described.spec.calendars?.[0]).toMatchObject({ dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }], hour: [{ start: 1, end: 1, step: 1 }] });
    await weekly.trigger();
    const week = scheduledPeriod('WEEKLY', new Date());
    const deadline = Date.now() + 30_000;
    let stored = await listSummaryReports(database, { period: 'WEEKLY', limit: 10 });
    while (stored.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      stored = await listSummaryReports(database, { period: 'WEEKLY', limit: 10 });
    }
    expect(stored.map((report) => [report.kind, report.from, report.to, report.requestedBy]).sort()).toEqual([
      ['commissions', week.from, week.to, null],
      ['payouts', week.from, week.to, null],
    ]);
  });
});
