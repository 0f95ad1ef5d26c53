import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Money } from '../../domain/money.ts';
import { defaultPolicy } from '../../domain/policy.ts';
import { CommissionEngine } from '../../modules/commissions/ingest-events.ts';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { PolicyStore } from '../../modules/policy/policy-store.ts';
import { commissionScheduleOptions } from '../../stack/commission-schedules.ts';
import type { commissionReleaseWorkflow } from '../../workflows/commissions.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

/**
 * The release cadence (docs/rules.md#release-cadence): one release run per Schedule interval (an hour by default)
 * that sleeps until each hold end inside its interval and releases it then, against a real Temporal and PostgreSQL.
 */

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowId = `commission-release-cadence-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  api = await createApiHarness();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  await api?.dependencies.temporal.workflow.getHandle(workflowId).terminate('test file finished').catch(() => undefined);
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

const statusCount = (status: string) => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
  SELECT count(*)::int AS count FROM commissions WHERE status = ${status}`);

describe('the commission release cadence', () => {
  it('the default policy starts one release run an hour, and each run carries the interval it must cover', () => {
    const [release] = commissionScheduleOptions('queue', defaultPolicy);
    expect(release!.spec.intervals).toEqual([{ every: 60 * 60 * 1_000 }]);
    expect(release!.action).toMatchObject({ workflowType: 'commissionReleaseWorkflow', args: [{ followDueTimesForMs: 60 * 60 * 1_000 }] });
  });

  it('one run releases holds that end after it started at their end time, and stays a single execution', async () => {
    const policies = new PolicyStore(api.database, 0);
    await policies.add({
      document: { ...defaultPolicy, commissions: { ...defaultPolicy.commissions, holds: { ...defaultPolicy.commissions.holds, PRODUCT: '4s' } } },
      effectiveFrom: new Date(Date.now() + 200),
      reason: 'short holds for the cadence test',
      actor: 'test',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await api.owner.query(sql.unsafe`INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at) VALUES
      ('cadence-top', 'Top', NULL, '6', 'ACTIVE', 'APPROVED', now() - interval '1 day'),
      ('cadence-seller', 'Seller', 'cadence-top', '2', 'ACTIVE', 'APPROVED', now() - interval '1 day')`);

    // The run starts before any hold has ended: its first release finds nothing; it then sleeps until the holds end.
    const handle = await api.dependencies.temporal.workflow.start<typeof commissionReleaseWorkflow>('commissionReleaseWorkflow', {
      workflowId, taskQueue: api.taskQueue, args: [{ followDueTimesForMs: 25_000, stepMs: 1_000 }],
    });
    const engine = new CommissionEngine(api.database, new LedgerStore(api.database), policies);
    const ingestedAt = Date.now();
    const results = await engine.ingest(
      Array.from({ length: 5 }, (_, index) => ({
        externalId: `cadence-${index}`, kind: 'ORDER_COMPLETED' as const, sourceId: `cadence-order-${index}`, partnerId: 'cadence-seller',
        completedAt: new Date().toISOString(), amount: '100.00', currency: 'USD',
      })),
      'test',
    );
    expect(results.every((result) => result.status === 'PROCESSED')).toBe(true);
    expect(await statusCount('PENDING')).toBe(10);

    // Released about when the 4-second holds end, by the run that is still up, not a minute or an hour later.
    await expect.poll(() => statusCount('APPROVED'), { timeout: 15_000, interval: 200 }).toBe(10);
    const releasedAfterMs = Date.now() - ingestedAt;
    expect(releasedAfterMs).toBeGreaterThanOrEqual(3_500);
    expect(releasedAfterMs).toBeLessThan(12_000);

    const result = await handle.result();
    const approvedTotal = await api.owner.oneFirst(sql.type(z.object({ total: z.string() }))`
      SELECT sum(amount)::text AS total FROM commissions WHERE status = 'APPROVED'`);
    expect(result.approved).toBe(10);
    expect(new Money(approvedTotal).gt(0)).toBe(true);
    expect(new Money(result.total).eq(approvedTotal)).toBe(true);
    const history = await handle.fetchHistory();
    const activities = history.events!.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    // The first release (nothing due yet), the one at the hold end, and no more: with nothing left pending the run
    // ends instead of waking every step until its window closes.
    expect(activities.filter((name) => name === 'releaseDueCommissions').length).toBeGreaterThanOrEqual(2);
    expect(activities.filter((name) => name === 'releaseDueCommissions').length).toBeLessThanOrEqual(3);
    expect(history.events!.some((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')).toBe(true);
    const runs: string[] = [];
    for await (const execution of api.dependencies.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(execution.runId);
    expect(runs).toHaveLength(1);
    expect(await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM journal_entries WHERE kind = 'commission_approval'`)).toBe(10);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 90_000);
});
