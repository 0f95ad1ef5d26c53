import type { Client } from '@temporalio/client';
import pg from 'pg';
import type { notificationDeliveryWorkflow } from '../workflows/notifications.ts';
import { notificationDeliveryWorkflowId, wakeNotificationDeliverySignal, type NotificationDeliveryInput } from '../workflows/notification-messages.ts';

/**
 * The outbox's doorbell (docs/rules.md#notification-delivery): the worker LISTENs on `ledgerflow_notifications`,
 * which migration 039's trigger NOTIFYs when a transaction that wrote outbox rows commits, and signals the
 * long-lived delivery workflow, starting it if it is not running (signalWithStart). Wake-ups that arrive together
 * are coalesced into one signal. If the listening connection drops it reconnects with a growing delay and wakes the
 * workflow once (rows may have been written meanwhile); the workflow's own sweep covers whatever is still missed.
 */

export interface NotificationWakeOptions {
  client: Client;
  taskQueue: string;
  /** A connection string for the LISTEN connection (any role may LISTEN). */
  databaseUrl: string;
  workflowId?: string;
  /** Passed to the workflow when the signal starts it. */
  workflowInput?: NotificationDeliveryInput;
  /** Wake-ups within this window become one signal. */
  coalesceMs?: number;
  log?: (line: string) => void;
}

export interface NotificationWake {
  /** Signals (or starts) the delivery workflow now. */
  wake(): Promise<void>;
  /** How many signals were sent, for tests and the metrics. */
  signals(): number;
  stop(): Promise<void>;
}

/** Signals the delivery workflow, starting it with `input` if it is not running. */
export async function wakeNotificationDelivery(client: Client, taskQueue: string, workflowId: string = notificationDeliveryWorkflowId, input: NotificationDeliveryInput = {}): Promise<void> {
  await client.workflow.signalWithStart<typeof notificationDeliveryWorkflow, []>('notificationDeliveryWorkflow', {
    workflowId,
    taskQueue,
    args: [input],
    signal: wakeNotificationDeliverySignal,
    signalArgs: [],
  });
}

export async function startNotificationWake(options: NotificationWakeOptions): Promise<NotificationWake> {
  const workflowId = options.workflowId ?? notificationDeliveryWorkflowId;
  const coalesceMs = options.coalesceMs ?? 100;
  const log = options.log ?? ((line: string) => console.error(line));
  let stopped = false;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let connection: pg.Client | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const wake = async () => {
    sent += 1;
    await wakeNotificationDelivery(options.client, options.taskQueue, workflowId, options.workflowInput ?? {});
  };
  const scheduleWake = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = inFlight.then(wake).catch((error: unknown) => log(`notification wake-up: ${(error as Error).message}`));
    }, coalesceMs);
  };

  const connect = async (attempt: number): Promise<void> => {
    if (stopped) return;
    const client = new pg.Client({ connectionString: options.databaseUrl });
    client.on('notification', scheduleWake);
    client.on('error', (error) => {
      log(`notification listener: ${error.message}; reconnecting`);
      client.end().catch(() => undefined);
      if (connection === client) connection = undefined;
      setTimeout(() => void connect(1), 1_000).unref();
    });
    try {
      await client.connect();
      await client.query('LISTEN ledgerflow_notifications');
      connection = client;
      if (stopped) await client.end();
      // Rows written while nobody listened are delivered now rather than at the next sweep.
      else scheduleWake();
    } catch (error) {
      await client.end().catch(() => undefined);
      const delayMs = Math.min(30_000, 500 * 2 ** attempt);
      log(`notification listener: ${(error as Error).message}; retrying in ${delayMs} ms`);
      setTimeout(() => void connect(attempt + 1), delayMs).unref();
    }
  };
  await connect(0);

  return {
    wake,
    signals: () => sent,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      await connection?.end().catch(() => undefined);
    },
  };
}
