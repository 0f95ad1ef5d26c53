import { Connection } from '@temporalio/client';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import { ConfigError, loadConfig } from '../stack/config.ts';
import { temporalConnectionOptions } from '../stack/temporal.ts';
import { createApp } from './app.ts';
import { createApiDependencies } from './dependencies.ts';

/** The API server process (Bun). Started by the supervisor (`npm start`) or on its own in a deployment. */
async function main() {
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set: start the stack with `npm start`, or set it');
  if (!config.TEMPORAL_ADDRESS) throw new ConfigError('TEMPORAL_ADDRESS is not set: start the stack with `npm start`, or set it');
  const database = await createDatabase(applicationUrl(config.DATABASE_URL, config.DATABASE_APP_URL));
  const temporalConnection = await Connection.connect(temporalConnectionOptions(config, config.TEMPORAL_ADDRESS));
  const temporalUiUrl = config.TEMPORAL_UI_URL ?? null;
  const app = createApp(
    createApiDependencies({
      database,
      temporalConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.LEDGERFLOW_TASK_QUEUE,
      temporalUiUrl,
      providerWebhookSecret: config.LEDGERFLOW_PROVIDER_WEBHOOK_SECRET ?? null,
      trustedProxies: config.LEDGERFLOW_TRUSTED_PROXIES ?? null,
    }),
    { metricsToken: config.LEDGERFLOW_METRICS_TOKEN ?? null },
  );
  // Bun passes the server as the app's env, so api/client-address.ts reads the peer with server.requestIP().
  // A bulk request (500 payouts, 5,000 events) can take longer than Bun's default 10-s idle timeout on a busy machine.
  const server = Bun.serve({ port: config.PORT, fetch: app.fetch, idleTimeout: 120 });
  console.log(`API listening on http://localhost:${server.port} (docs at /docs)`);

  const shutdown = async () => {
    await server.stop();
    await temporalConnection.close();
    await database.end();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(`ledgerflow api: ${(error as Error).message}`);
  process.exit(1);
});
