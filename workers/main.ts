import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.ts';
import { PolicyStore } from '../modules/policy/policy-store.ts';
import { commissionScheduleOptions } from '../stack/commission-schedules.ts';
import { payoutScheduleOptions, payoutSweepScheduleOptions } from '../stack/payout-schedules.ts';
import { ensurePoolSchedules, ensureSchedules } from '../stack/schedules.ts';
import { removeRetiredNotificationSchedules } from '../stack/notification-schedules.ts';
import { reconciliationScheduleOptions } from '../stack/reconciliation-schedules.ts';
import { reportScheduleOptions } from '../stack/report-schedules.ts';
import { auditScheduleOptions } from '../stack/audit-schedules.ts';
import { sealAuditRecords } from '../modules/audit/audit-store.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import { ConfigError, loadConfig } from '../stack/config.ts';
import { temporalConnectionOptions } from '../stack/temporal.ts';
import { SandboxProvider } from '../providers/sandbox/client.ts';
import { runUntilShutdown } from './run-until-shutdown.ts';
import { startNotificationWake, type NotificationWake } from './notification-wake.ts';
import { workerDeploymentOptions, workerTelemetryOptions } from './worker-options.ts';

/**
 * The worker process: hosts every workflow and activity on the task queue, and seals the audit log into its
 * hash chain once a second. Started by the supervisor (`npm start`) or on its own in a deployment.
 */
async function main() {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set: start the stack with `npm start`, or set it');
  if (!config.TEMPORAL_ADDRESS) throw new ConfigError('TEMPORAL_ADDRESS is not set: start the stack with `npm start`, or set it');
  // The SDK logs every bundling step and state change at INFO; the supervisor's terminal wants warnings only.
  // With LEDGERFLOW_WORKER_METRICS_ADDRESS the SDK also serves its metrics in Prometheus format there.
  Runtime.install({ logger: new DefaultLogger(config.LEDGERFLOW_WORKER_LOG_LEVEL), telemetryOptions: workerTelemetryOptions(config) });
  // Checked before connecting: half a versioning configuration is refused, not ignored.
  const deployment = workerDeploymentOptions(config);
  const database = await createDatabase(applicationUrl(config.DATABASE_URL, config.DATABASE_APP_URL));
  const connection = await NativeConnection.connect(temporalConnectionOptions(config, config.TEMPORAL_ADDRESS));
  // The client the batch decisions (pay runs, payment files) deliver their per-payout updates through.
  const deliveryConnection = await Connection.connect(temporalConnectionOptions(config, config.TEMPORAL_ADDRESS));
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.LEDGERFLOW_TASK_QUEUE,
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    // A versioned worker (docs/operations.md#safe-deploys); unset: unversioned.
    ...(deployment ? { workerDeploymentOptions: deployment } : {}),
    // AUTOMATIC payout methods are paid through the configured provider; without one they wait (retrying).
    activities: createActivities({
      database,
      provider: config.LEDGERFLOW_PROVIDER_URL
        ? {
            provider: new SandboxProvider({ baseUrl: config.LEDGERFLOW_PROVIDER_URL }),
            publicUrl: config.publicUrl,
            batching: config.LEDGERFLOW_PROVIDER_BATCH_SIZE === 1 ? false : { maxItems: config.LEDGERFLOW_PROVIDER_BATCH_SIZE, maxWaitMs: config.LEDGERFLOW_PROVIDER_BATCH_WAIT_MS },
          }
        : null,
      // Without an SMTP relay notifications wait in the outbox (GET /v1/notifications shows them).
      smtp: config.LEDGERFLOW_SMTP_URL ? { url: config.LEDGERFLOW_SMTP_URL, from: config.LEDGERFLOW_MAIL_FROM } : null,
      temporal: new Client({ connection: deliveryConnection, namespace: config.TEMPORAL_NAMESPACE }),
    }),
  });

  let notificationWake: NotificationWake | undefined;
  if (config.LEDGERFLOW_SCHEDULES) {
    // The calendar work (hold release, pay batch, pools) runs from Temporal Schedules that every worker keeps
    // current on start: creating them is idempotent, and the sweep interval comes from the policy in force.
    const clientConnection = await Connection.connect(temporalConnectionOptions(config, config.TEMPORAL_ADDRESS));
    try {
      const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
      const { policy } = await new PolicyStore(database).active();
      await ensureSchedules(client, commissionScheduleOptions(config.LEDGERFLOW_TASK_QUEUE, policy));
      await ensureSchedules(client, payoutScheduleOptions(config.LEDGERFLOW_TASK_QUEUE, policy));
      await ensureSchedules(client, payoutSweepScheduleOptions(config.LEDGERFLOW_TASK_QUEUE));
      await ensurePoolSchedules(client, config.LEDGERFLOW_TASK_QUEUE);
      await removeRetiredNotificationSchedules(client);
      await ensureSchedules(client, reconciliationScheduleOptions(config.LEDGERFLOW_TASK_QUEUE));
      await ensureSchedules(client, reportScheduleOptions(config.LEDGERFLOW_TASK_QUEUE));
      await ensureSchedules(client, auditScheduleOptions(config.LEDGERFLOW_TASK_QUEUE));
    } finally {
      await clientConnection.close();
    }
    // The long-lived notification-delivery workflow, woken after each commit that wrote outbox rows (and started
    // now if it is not running): docs/rules.md#notification-delivery.
    notificationWake = await startNotificationWake({
      client: new Client({ connection: deliveryConnection, namespace: config.TEMPORAL_NAMESPACE }),
      taskQueue: config.LEDGERFLOW_TASK_QUEUE,
      databaseUrl: applicationUrl(config.DATABASE_URL, config.DATABASE_APP_URL),
    });
  }

  const sealer = setInterval(() => {
    sealAuditRecords(database).catch((error: unknown) => console.error('audit sealer:', (error as Error).message));
  }, 1_000);

  console.log(`worker polling task queue ${config.LEDGERFLOW_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}${deployment ? ` as ${deployment.version.deploymentName}:${deployment.version.buildId} (${deployment.defaultVersioningBehavior})` : ''}`);
  try {
    await runUntilShutdown(worker);
  } finally {
    clearInterval(sealer);
    await notificationWake?.stop();
    await connection.close();
    await deliveryConnection.close();
    await database.end();
  }
}

main().catch((error: unknown) => {
  console.error(`ledgerflow worker: ${(error as Error).message}`);
  process.exit(1);
});
