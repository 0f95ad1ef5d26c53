import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { runUntilShutdown } from '../../workers/run-until-shutdown.ts';
import { createCeilingActivities } from './activities.ts';

/**
 * The ceiling's worker, a Bun process like workers/main.ts, with the SDK's default limits. TEMPORAL_ADDRESS and
 * BENCH_TASK_QUEUE say where; it runs until SIGTERM or SIGINT. It has a Temporal client, as the real worker has, for
 * the pay run ceiling's fan-out; BENCH_CEILING_SIGNAL_ON_SEND=1 makes the `send` step signal the provider's result
 * (bench/pay-runs.ts; bench/payouts.ts signals from its clients instead).
 */
async function main() {
  Runtime.install({ logger: new (class { log() {} trace() {} debug() {} info() {} warn() {} error(message: string) { console.error(message); } })() });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const clientConnection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.BENCH_TASK_QUEUE!,
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    activities: createCeilingActivities({ client: new Client({ connection: clientConnection }), signalOnSend: process.env.BENCH_CEILING_SIGNAL_ON_SEND === '1' }),
  });
  console.log('ceiling worker polling');
  try {
    await runUntilShutdown(worker);
  } finally {
    await clientConnection.close();
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(`ceiling worker: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
