import { randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deliveryBatchSize } from '../../modules/notifications/delivery.ts';
import { enqueueNotification } from '../../modules/notifications/outbox.ts';
import { payoutNotices } from '../../modules/notifications/payout-notices.ts';
import { removeRetiredNotificationSchedules } from '../../stack/notification-schedules.ts';
import { startNotificationWake, wakeNotificationDelivery, type NotificationWake } from '../../workers/notification-wake.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.ts';

/**
 * The notification outbox's delivery through a real Temporal server and a real PostgreSQL (docs/rules.md#notification-delivery):
 * one long-lived workflow, woken by the worker's LISTEN on the NOTIFY that migration 039's trigger raises when an
 * outbox write commits, sends by SMTP (a real smtp-server); with no wake-up its own slow sweep still sends.
 */

let api: ApiHarness;
let capture: SmtpCapture;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let wake: NotificationWake | undefined;
const unique = () => randomBytes(4).toString('hex');
const workflowIds: string[] = [];

beforeAll(async () => {
  api = await createApiHarness();
  capture = await startSmtpCapture();
  ({ worker, connection: workerConnection } = await createInProcessWorker({
    database: api.database,
    taskQueue: api.taskQueue,
    smtp: { url: capture.url, from: 'ledgerflow <no-reply@ledgerflow.test>' },
  }));
  workerRun = worker.run();
});

afterAll(async () => {
  await wake?.stop();
  const client = api?.dependencies.temporal;
  await Promise.allSettled(workflowIds.map((id) => client.workflow.getHandle(id).terminate('test file finished')));
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await capture?.stop();
  await api?.close();
});

/** `count` payout-completed notices for one partner, written in ONE transaction, as an activity would. */
async function enqueueNotices(partnerId: string, count: number, label: string) {
  await api.database.transaction(async (transaction) => {
    for (let index = 0; index < count; index += 1) {
      await enqueueNotification(transaction, {
        dedupeKey: `payout-completed:${label}-${index}`,
        kind: 'PAYOUT_COMPLETED',
        recipient: { kind: 'partner', partnerId },
        ...payoutNotices.completed({ payoutId: `${label}-${index}`, partnerId, amount: '10', currency: 'USD', fee: '1', amountToTransfer: '9', reference: null }),
      });
    }
  });
}

const pendingCount = () => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
  SELECT count(*)::int AS count FROM notifications WHERE status <> 'SENT'`);

async function executionsOf(workflowId: string) {
  const runs: { runId: string; status: string }[] = [];
  for await (const execution of api.dependencies.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: execution.runId, status: execution.status.name });
  return runs;
}

describe('notification delivery', () => {
  it('a notice is mailed within seconds of the commit that wrote it, by one long-lived workflow woken by a signal, with no Schedule', async () => {
    const workflowId = `notification-delivery-test-${unique()}`;
    workflowIds.push(workflowId);
    // A sweep far longer than the test: only the wake-ups can explain a prompt delivery.
    wake = await startNotificationWake({
      client: api.dependencies.temporal, taskQueue: api.taskQueue, databaseUrl: api.testDatabase.appUrl, workflowId,
      workflowInput: { sweepIntervalMs: 60 * 60 * 1_000 },
    });
    const partner = await api.createPartnerUser();
    const startedAt = Date.now();

    await enqueueNotices(partner.partnerId, deliveryBatchSize + 5, `wake-a-${unique()}`);
    await capture.waitForMessages(deliveryBatchSize + 5, 15_000);
    await enqueueNotices(partner.partnerId, 1, `wake-b-${unique()}`);
    await capture.waitForMessages(deliveryBatchSize + 6, 15_000);
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    await expect.poll(pendingCount, { timeout: 10_000, interval: 100 }).toBe(0);

    // A rolled-back write wakes nobody: its NOTIFY is dropped with it.
    const signalsBefore = wake.signals();
    await api.database.transaction(async (transaction) => {
      await enqueueNotification(transaction, {
        dedupeKey: `payout-completed:rolled-back-${unique()}`, kind: 'PAYOUT_COMPLETED', recipient: { kind: 'partner', partnerId: partner.partnerId },
        ...payoutNotices.completed({ payoutId: 'rolled-back', partnerId: partner.partnerId, amount: '10', currency: 'USD', fee: '1', amountToTransfer: '9', reference: null }),
      });
      throw new Error('roll back');
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(wake.signals()).toBe(signalsBefore);

    // Idle, it sleeps: with nothing pending its history does not grow (no polling every second).
    const handle = api.dependencies.temporal.workflow.getHandle(workflowId);
    const idleFrom = (await handle.fetchHistory()).events!.length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await handle.fetchHistory()).events!.length).toBe(idleFrom);

    // One execution did all of it, and it is still running, waiting for the next wake-up.
    const runs = await executionsOf(workflowId);
    expect(runs).toEqual([{ runId: expect.any(String), status: 'RUNNING' }]);
    const history = await api.dependencies.temporal.workflow.getHandle(workflowId).fetchHistory();
    const signals = history.events!.filter((event) => event.workflowExecutionSignaledEventAttributes);
    expect(signals.length).toBeGreaterThanOrEqual(2);
    expect(signals.every((event) => event.workflowExecutionSignaledEventAttributes!.signalName === 'wakeNotificationDeliverySignal')).toBe(true);
    const ids = capture.messages.map((message) => message.headers.get('x-ledgerflow-notification'));
    expect(new Set(ids).size).toBe(deliveryBatchSize + 6);
    await wake.stop();
    wake = undefined;
  }, 90_000);

  it('with nobody listening, the workflow’s own sweep still sends what was written', async () => {
    const workflowId = `notification-delivery-sweep-${unique()}`;
    workflowIds.push(workflowId);
    // Started once, then never signalled again: only its 2-second sweep can find the next rows.
    await wakeNotificationDelivery(api.dependencies.temporal, api.taskQueue, workflowId, { sweepIntervalMs: 2_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const partner = await api.createPartnerUser();
    const before = capture.messages.length;
    await enqueueNotices(partner.partnerId, 3, `sweep-${unique()}`);
    await capture.waitForMessages(before + 3, 15_000);
    await expect.poll(pendingCount, { timeout: 10_000, interval: 100 }).toBe(0);
    const history = await api.dependencies.temporal.workflow.getHandle(workflowId).fetchHistory();
    expect(history.events!.filter((event) => event.workflowExecutionSignaledEventAttributes)).toHaveLength(1);
    expect(history.events!.filter((event) => event.timerFiredEventAttributes).length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a worker start deletes the retired per-minute notification-delivery Schedule, and is fine when it is already gone', async () => {
    const client = api.dependencies.temporal;
    const scheduleId = `notification-delivery-retired-${unique()}`;
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 minute' }] },
      action: { type: 'startWorkflow', workflowType: 'notificationDeliveryWorkflow', workflowId: scheduleId, taskQueue: api.taskQueue, args: [] },
      state: { paused: true },
    });
    expect(await removeRetiredNotificationSchedules(client, [scheduleId])).toEqual([scheduleId]);
    expect(await removeRetiredNotificationSchedules(client, [scheduleId])).toEqual([]);
  });
});
