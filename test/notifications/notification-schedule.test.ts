import { randomBytes } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { deliveryBatchSize } from '../../modules/notifications/delivery.ts';
import { enqueueNotification } from '../../modules/notifications/outbox.ts';
import { payoutNotices } from '../../modules/notifications/payout-notices.ts';
import { ensureSchedules } from '../../stack/schedules.ts';
import { notificationScheduleOptions } from '../../stack/notification-schedules.ts';
import type { notificationDeliveryWorkflow } from '../../workflows/notifications.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.ts';

/**
 * The `notification-delivery` Schedule through a real Temporal server: the schedule options the worker ensures
 * start notificationDeliveryWorkflow, whose activity sends the outbox by SMTP (a real smtp-server) batch by batch.
 */

let api: ApiHarness;
let capture: SmtpCapture;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const scheduleId = `notification-delivery-test-${randomBytes(4).toString('hex')}`;

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
  await api?.dependencies.temporal.schedule.getHandle(scheduleId).delete().catch(() => {});
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await capture?.stop();
  await api?.close();
});

it('the notification-delivery schedule runs the delivery workflow, which sends batch after batch until one comes back short', async () => {
  const partner = await api.createPartnerUser();
  const count = deliveryBatchSize + 5;
  await api.database.transaction(async (transaction) => {
    for (let index = 0; index < count; index += 1) {
      await enqueueNotification(transaction, {
        dedupeKey: `payout-completed:schedule-${index}`,
        kind: 'PAYOUT_COMPLETED',
        recipient: { kind: 'partner', partnerId: partner.partnerId },
        ...payoutNotices.completed({ payoutId: `p-${index}`, partnerId: partner.partnerId, amount: '10', currency: 'USD', fee: '1', amountToTransfer: '9', reference: null }),
      });
    }
  });
  const client = api.dependencies.temporal;
  const options = notificationScheduleOptions(api.taskQueue, { delivery: scheduleId });
  // Twice: the worker ensures its schedules on every start, and the second call updates in place.
  await ensureSchedules(client, options);
  await ensureSchedules(client, options);
  const handle = client.schedule.getHandle(scheduleId);
  const description = await handle.describe();
  expect(description.spec.intervals).toMatchObject([{ every: 60_000 }]);
  expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'notificationDeliveryWorkflow', taskQueue: api.taskQueue });

  // Now rather than at the next minute; SKIP so that a run the interval starts meanwhile is the only one.
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  await capture.waitForMessages(count);

  // The SMTP server sees a message before the activity records it as SENT, so wait for the runs to finish first.
  // The run that did the work called the activity twice: a full batch, then a short one.
  const runs = (await handle.describe()).info.recentActions;
  const results = await Promise.all(
    runs.map((run) => client.workflow.getHandle<typeof notificationDeliveryWorkflow>(run.action.workflow.workflowId, run.action.workflow.firstExecutionRunId).result()),
  );
  expect(results.filter((result) => result.sent > 0)).toEqual([{ configured: true, claimed: count, sent: count, retrying: 0, gaveUp: 0, batches: 2 }]);
  const pending = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM notifications WHERE status <> 'SENT'`);
  expect(pending).toBe(0);
  const ids = capture.messages.map((message) => message.headers.get('x-ledgerflow-notification'));
  expect(new Set(ids).size).toBe(count);
});
