import type { Client, Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastCompletePeriod } from '../../domain/pools.ts';
import { ensurePoolSchedules, poolDistributionWorkflowId, poolScheduleIds } from '../../stack/schedules.ts';
import { poolDistributionWorkflow } from '../../workflows/pools.ts';
import { statusKey } from '../../workflows/search-attributes.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { connectClient, createInProcessWorker, uniqueTaskQueue } from '../helpers/temporal.ts';
import { createPoolScenario, pendingBalances, type PoolScenario } from './helpers.ts';

let scenario: PoolScenario;
let client: Client;
let clientConnection: Connection;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const taskQueue = uniqueTaskQueue('pools');
// The shared dev server's real pool Schedules are not this test's business: it makes its own, with the real specs.
const scheduleIds = { WEEKLY: `${taskQueue}-weekly`, MONTHLY: `${taskQueue}-monthly` };

beforeAll(async () => {
  scenario = await createPoolScenario();
  ({ client, connection: clientConnection } = await connectClient());
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: scenario.database, taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  for (const scheduleId of Object.values(scheduleIds)) {
    await client?.schedule.getHandle(scheduleId).delete().catch(() => undefined);
  }
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await clientConnection?.close();
  await scenario?.close();
});

/** Two rank 5 leaders at the branch cap, with volume inside the week that starts at `weekStart`. */
async function seedWeek(prefix: string, weekStart: Date) {
  const inWeek = new Date(weekStart.getTime() + 2 * 86_400_000).toISOString();
  for (const leader of ['a', 'b']) {
    const id = `${prefix}-${leader}`;
    await scenario.partner({ id, rank: '5' });
    for (const leg of ['1', '2']) {
      await scenario.partner({ id: `${id}-${leg}`, sponsor: id });
      await scenario.event({ partnerId: `${id}-${leg}`, baseUsd: '2500.00', completedAt: inWeek });
    }
  }
}

describe('pool distribution workflow', () => {
  it('when started for an explicit week, it distributes every weekly pool once and shows COMPLETED', async () => {
    const periodStart = '2025-03-03T00:00:00.000Z';
    await seedWeek('explicit', new Date(periodStart));

    const handle = await client.workflow.start(poolDistributionWorkflow, {
      taskQueue,
      workflowId: poolDistributionWorkflowId('WEEKLY', periodStart),
      args: [{ frequency: 'WEEKLY', periodStart }],
    });
    const result = await handle.result();

    expect(result).toMatchObject({ frequency: 'WEEKLY', periodStart, periodEnd: '2025-03-10T00:00:00.000Z', policyVersion: 1 });
    expect(result.runs.find((run) => run.pool === 'POOL_5')).toMatchObject({ created: true, qualified: 2, poolAmount: '100.00', share: '50.00' });
    expect(await pendingBalances(scenario.owner)).toEqual({ 'explicit-a': '50.00', 'explicit-b': '50.00' });
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(statusKey)).toBe('COMPLETED');
    expect(String((await description.memo)?.summary)).toMatch(/POOL_5: 2 qualified × 50.00/);

    // A second run of the same week (another id) finds the runs and posts nothing.
    const again = await client.workflow.execute(poolDistributionWorkflow, {
      taskQueue,
      workflowId: `${poolDistributionWorkflowId('WEEKLY', periodStart)}-again`,
      args: [{ frequency: 'WEEKLY', periodStart }],
    });
    expect(again.runs.every((run) => !run.created)).toBe(true);
    expect(await pendingBalances(scenario.owner)).toEqual({ 'explicit-a': '50.00', 'explicit-b': '50.00' });
    await assertLedgerInvariants(scenario.testDatabase.ownerUrl);
  });

  it('when the period start is not a Monday, the workflow fails without retrying', async () => {
    const handle = await client.workflow.start(poolDistributionWorkflow, {
      taskQueue,
      workflowId: poolDistributionWorkflowId('WEEKLY', 'tuesday'),
      args: [{ frequency: 'WEEKLY', periodStart: '2025-03-04T00:00:00.000Z' }],
    });
    await expect(handle.result()).rejects.toThrow();
    const description = await handle.describe();
    expect(description.status.name).toBe('FAILED');
  });

  it('the Schedules exist after ensurePoolSchedules (twice), and a triggered weekly run distributes the last complete week', async () => {
    expect(poolScheduleIds).toEqual({ WEEKLY: 'pool-distribution-weekly', MONTHLY: 'pool-distribution-monthly' });
    await ensurePoolSchedules(client, taskQueue, scheduleIds);
    await ensurePoolSchedules(client, taskQueue, scheduleIds);

    const weekly = await client.schedule.getHandle(scheduleIds.WEEKLY).describe();
    expect(weekly.spec.calendars?.[0]).toMatchObject({ dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }], hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] });
    expect(weekly.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 7 * 86_400_000 });
    expect(weekly.action).toMatchObject({ workflowType: 'poolDistributionWorkflow', workflowId: scheduleIds.WEEKLY, taskQueue, args: [{ frequency: 'WEEKLY' }] });
    const monthly = await client.schedule.getHandle(scheduleIds.MONTHLY).describe();
    expect(monthly.spec.calendars?.[0]).toMatchObject({ dayOfMonth: [{ start: 1, end: 1, step: 1 }], hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] });
    expect(monthly.action).toMatchObject({ workflowId: scheduleIds.MONTHLY, args: [{ frequency: 'MONTHLY' }] });

    const expected = lastCompletePeriod('WEEKLY', new Date());
    await seedWeek('scheduled', expected.start);
    const schedule = client.schedule.getHandle(scheduleIds.WEEKLY);
    await schedule.trigger();
    let workflowId: string | undefined;
    for (let attempt = 0; attempt < 100 && !workflowId; attempt += 1) {
      workflowId = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(workflowId?.startsWith(`${scheduleIds.WEEKLY}-`)).toBe(true);
    const result = await client.workflow.getHandle<typeof poolDistributionWorkflow>(workflowId!).result();
    // Judged from the scheduled time, which (for a trigger) is now: unless the test straddles Monday 00:00 UTC.
    expect([expected.start.toISOString(), lastCompletePeriod('WEEKLY', new Date()).start.toISOString()]).toContain(result.periodStart);
    expect(result.runs.find((run) => run.pool === 'POOL_5')).toMatchObject({ qualified: 2 });
    await assertLedgerInvariants(scenario.testDatabase.ownerUrl);
  });
});
