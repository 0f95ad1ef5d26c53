import { randomInt } from 'node:crypto';
import { WorkflowFailedError, type Client, type Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/pool.ts';
import { previousDay, utcDay } from '../../domain/reconciliation.ts';
import { computeReport, getReconciliation, signOffReconciliation } from '../../modules/reconciliation/reconciliation-store.ts';
import { reconciliationScheduleIds, reconciliationScheduleOptions } from '../../stack/reconciliation-schedules.ts';
import { ensureSchedules } from '../../stack/schedules.ts';
import {
  reconciliationScheduleWorkflow,
  reconciliationSignedSignal,
  reconciliationStateQuery,
  reconciliationWorkflow,
  reconciliationWorkflowId,
} from '../../workflows/reconciliation.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { connectClient, createInProcessWorker, uniqueTaskQueue } from '../helpers/temporal.ts';
import { reconciliationKit, recordHistory } from './kit.ts';

/**
 * `reconciliation-<day>` on a real Temporal server with the real activities (docs/rules.md#daily-reconciliation):
 * computes and stores the day, waits for sign-off; a future day is refused; the daily Schedule's workflow starts the
 * day that just ended, once.
 */

let testDatabase: TestDatabase;
let database: Database;
let owner: pg.Client;
let client: Client;
let clientConnection: Connection;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const taskQueue = uniqueTaskQueue('reconciliation');
const started: string[] = [];
const scheduleId = `${taskQueue}-daily`;
// A day of its own on the shared Temporal server, where workflow ids are per day.
const day = utcDay(new Date(Date.UTC(2001 + randomInt(20), randomInt(12), 1 + randomInt(28))));
const director = { userId: '00000000-0000-4000-8000-0000000000d1', role: 'finance_director' as const };

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 4 });
  owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
  await owner.connect();
  await reconciliationKit(owner).arrangeDay(day, 'wf');
  ({ client, connection: clientConnection } = await connectClient());
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database, taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  await Promise.allSettled(started.map(async (id) => {
    const handle = client.workflow.getHandle(id);
    if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
  }));
  await client?.schedule.getHandle(scheduleId).delete().catch(() => undefined);
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await clientConnection?.close();
  await owner?.end();
  await database?.end();
  await testDatabase?.drop();
});

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}; last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('reconciliation-<day>', () => {
  it('stores the day\'s report, waits for sign-off, and completes once the day is signed', async () => {
    const workflowId = reconciliationWorkflowId(day);
    started.push(workflowId);
    const handle = await client.workflow.start(reconciliationWorkflow, { workflowId, taskQueue, args: [{ day, requestedBy: null }] });
    const waiting = await poll(() => handle.query(reconciliationStateQuery), (state) => state.status === 'AWAITING_SIGN_OFF', 'awaiting sign-off');
    expect(waiting.outcome).toEqual({ day, status: 'AWAITING_SIGN_OFF', balanced: true, items: 0, created: true });

    const stored = await getReconciliation(database, day);
    expect(stored?.report).toEqual(await computeReport(database, day));
    expect(stored?.report.movements.map((line) => [line.movement, line.bucket, line.amount])).toEqual([
      ['commissions_created', 'commission_pending', '40'],
      ['commissions_created', 'commission_expense', '-40'],
      ['commissions_approved', 'commission_approved', '40'],
      ['commissions_approved', 'commission_pending', '-40'],
    ]);

    await signOffReconciliation(database, { day, signer: director });
    await handle.signal(reconciliationSignedSignal, { signedBy: director.userId });
    const result = await handle.result();
    expect(result).toMatchObject({ day, status: 'SIGNED', signedBy: director.userId });
    await recordHistory(workflowId, 'reconciliation-signed');

    // Run again on demand: the stored, signed day is returned as it is.
    const rerunId = `${workflowId}-rerun`;
    started.push(rerunId);
    const rerun = await client.workflow.execute(reconciliationWorkflow, { workflowId: rerunId, taskQueue, args: [{ day, requestedBy: director.userId }] });
    expect(rerun.outcome).toEqual({ day, status: 'SIGNED', balanced: true, items: 0, created: false });
    await recordHistory(rerunId, 'reconciliation-already-signed');
    await assertLedgerInvariants(owner);
  });

  it('refuses a future day, naming the field, and stores nothing', async () => {
    const future = utcDay(new Date(Date.now() + 2 * 86_400_000));
    const workflowId = `${reconciliationWorkflowId(future)}-${taskQueue}`;
    started.push(workflowId);
    const failure = await client.workflow.execute(reconciliationWorkflow, { workflowId, taskQueue, args: [{ day: future, requestedBy: null }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause?.cause as { type?: string; details?: unknown[] } | undefined;
    expect(cause?.type).toBe('ReconciliationRefused');
    expect(cause?.details).toEqual([{ kind: 'invalid', code: 'future_date', field: 'day' }]);
    expect(await getReconciliation(database, future)).toBeNull();
  });
});

describe('the daily Schedule', () => {
  it('starts reconciliation-<the day that just ended> once, however often it fires', async () => {
    const yesterday = previousDay(utcDay(new Date()));
    started.push(reconciliationWorkflowId(yesterday));
    const first = await client.workflow.execute(reconciliationScheduleWorkflow, { workflowId: `${scheduleId}-1`, taskQueue });
    const second = await client.workflow.execute(reconciliationScheduleWorkflow, { workflowId: `${scheduleId}-2`, taskQueue });
    expect(first).toEqual({ day: yesterday, started: true });
    expect(second).toEqual({ day: yesterday, started: false });
    await recordHistory(`${scheduleId}-1`, 'reconciliation-schedule-started');
    await recordHistory(`${scheduleId}-2`, 'reconciliation-schedule-already-started');
    const child = client.workflow.getHandle(reconciliationWorkflowId(yesterday));
    await poll(() => child.query(reconciliationStateQuery), (state) => state.status === 'AWAITING_SIGN_OFF', 'the scheduled day computed');
    expect((await getReconciliation(database, yesterday))?.requestedBy).toBeNull();
  });

  it('is a daily calendar at 00:30 UTC, created by the worker\'s ensureSchedules', async () => {
    const [options] = reconciliationScheduleOptions(taskQueue, { daily: scheduleId });
    expect(reconciliationScheduleIds.daily).toBe('reconciliation-daily');
    await ensureSchedules(client, [options!]);
    const described = await client.schedule.getHandle(scheduleId).describe();
    expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationScheduleWorkflow' });
  });
});
