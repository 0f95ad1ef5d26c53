/**
 * The payout lifecycle of bench/payouts.ts on three Temporal set-ups, in one run, one after the other on the same
 * PostgreSQL server and the same fresh data each time:
 *
 *   (a) the dev server (`temporal server start-dev`, one process, SQLite file) and one ledgerflow worker — `npm start`;
 *   (b) the cluster (stack/cluster.ts: frontend, history, matching and worker services as four processes,
 *       persistence and SQL visibility in PostgreSQL) and one ledgerflow worker;
 *   (c) the same cluster set-up and two ledgerflow workers polling the same task queue.
 *
 * Each payout: HTTP POST /v1/payouts to the API process → checklist → an admin's approval (a Temporal update) →
 * batched send to the sandbox provider (its own process) → signed webhook to the API → signal → COMPLETED.
 * BENCH_CONCURRENCY payouts in flight. Reported: throughput, request→COMPLETED p50/p99, and the CPU each process
 * used per payout, each Temporal service on its own line.
 *
 *   npm run bench:cluster
 *
 * Settings: BENCH_CLUSTER_PAYOUTS (1000 per set-up), BENCH_CONCURRENCY (50), BENCH_SANDBOX_DELAY_MS (200),
 * BENCH_DURABLE (1), BENCH_HISTORY_SHARDS (4). Writes bench/results/cluster.md.
 */
import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import pg from 'pg';
import { migrate } from '../db/migrate.ts';
import type { Refusal } from '../domain/errors.ts';
import { findClusterBinaries } from '../stack/cluster-binaries.ts';
import { startTemporalCluster, type TemporalCluster } from '../stack/cluster.ts';
import { freePort } from '../stack/ports.ts';
import { findTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../stack/temporal.ts';
import { approvePayoutUpdate, payoutRefusedType } from '../workflows/payout-messages.ts';
import {
  cpuDelta,
  cpuSnapshot,
  cpuTable,
  describeServer,
  freshDatabase,
  nonNegativeNumber,
  percentile,
  pool,
  positiveNumber,
  postmasterPid,
  printChildOutputs,
  resolveServer,
  seedPayoutPartners,
  sleep,
  startChild,
  stopChild,
} from './support.ts';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.join(benchDirectory, 'results', 'cluster.md');
const databaseName = 'ledgerflow_cluster_bench';
const temporalDatabase = 'ledgerflow_cluster_bench_temporal';
const visibilityDatabase = 'ledgerflow_cluster_bench_temporal_visibility';

const payouts = Math.floor(positiveNumber('BENCH_CLUSTER_PAYOUTS', 1_000));
const concurrency = Math.floor(positiveNumber('BENCH_CONCURRENCY', 50));
const sandboxDelayMs = Math.floor(nonNegativeNumber('BENCH_SANDBOX_DELAY_MS', 200));
const durable = process.env.BENCH_DURABLE !== '0';
const historyShards = Math.floor(positiveNumber('BENCH_HISTORY_SHARDS', 4));
const taskQueue = 'ledgerflow-cluster-bench';
const amount = '100.00';
const webhookSecret = 'whsec_cluster_bench';

interface SetUp {
  title: string;
  temporal: 'dev' | 'cluster';
  workers: number;
}

const setUps: SetUp[] = [
  { title: 'dev server, 1 worker', temporal: 'dev', workers: 1 },
  { title: 'cluster, 1 worker', temporal: 'cluster', workers: 1 },
  { title: 'cluster, 2 workers', temporal: 'cluster', workers: 2 },
];

interface Result {
  setUp: SetUp;
  completed: number;
  seconds: number;
  lifecycleMs: number[];
  createMs: number[];
  refusedApprovals: number;
  cpu: Map<string, number>;
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function runSetUp(setUp: SetUp, adminUrl: string, scratch: string): Promise<Result> {
  const children: ChildProcess[] = [];
  let devServer: TemporalDevServer | undefined;
  let cluster: TemporalCluster | undefined;
  let connection: Connection | undefined;
  let owner: pg.Client | undefined;
  try {
    const ownerUrl = await freshDatabase(adminUrl, databaseName);
    await migrate(ownerUrl);
    owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    console.error(`cluster bench: ${setUp.title}: seeding ${payouts.toLocaleString('en-US')} partners…`);
    const tokens = await seedPayoutPartners(owner, ownerUrl, payouts, amount);
    const adminId = randomUUID();
    await owner.query(`INSERT INTO users (id, email, password_hash, role, totp_secret) VALUES ($1, 'approver@bench.invalid', 'not-a-login', 'admin', 'JBSWY3DPEHPK3PXP')`, [adminId]);

    let address: string;
    let temporalPids: Record<string, number | undefined>;
    if (setUp.temporal === 'dev') {
      devServer = await startTemporalDevServer({
        cli: await findTemporalCli({ TEMPORAL_CLI: undefined }),
        port: await freePort(),
        uiPort: await freePort(),
        databaseFile: path.join(scratch, `temporal-${Date.now()}.sqlite`),
        headless: true,
        logFile: path.join(scratch, 'temporal-dev.log'),
        namespace: 'default',
      });
      address = devServer.address;
      temporalPids = { 'Temporal dev server': devServer.process.pid };
    } else {
      // A cluster on fresh databases: no history of the previous set-up.
      await dropDatabase(adminUrl, temporalDatabase);
      await dropDatabase(adminUrl, visibilityDatabase);
      cluster = await startTemporalCluster({
        binaries: await findClusterBinaries(),
        postgresUrl: adminUrl,
        persistenceDatabase: temporalDatabase,
        visibilityDatabase,
        directory: path.join(scratch, 'cluster'),
        namespace: 'default',
        historyShards,
      });
      address = cluster.address;
      temporalPids = Object.fromEntries([...cluster.services.values()].map((service) => [`Temporal ${service.name}`, service.process.pid]));
    }

    const apiPort = await freePort();
    const sandboxPort = await freePort();
    const environment = {
      DATABASE_URL: ownerUrl,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'default',
      PORT: String(apiPort),
      LEDGERFLOW_TASK_QUEUE: taskQueue,
      LEDGERFLOW_SCHEDULES: '0',
      LEDGERFLOW_PROVIDER_URL: `http://127.0.0.1:${sandboxPort}`,
      LEDGERFLOW_PROVIDER_WEBHOOK_SECRET: webhookSecret,
      LEDGERFLOW_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    };
    const start = async (name: string, script: string, env: NodeJS.ProcessEnv, ready: RegExp) => {
      const child = await startChild(name, script, env, ready, { logPrefix: 'cluster bench' });
      children.push(child);
      return child;
    };
    const sandbox = await start('sandbox provider', 'providers/sandbox/server.ts', { SANDBOX_PORT: String(sandboxPort), SANDBOX_WEBHOOK_SECRET: webhookSecret, SANDBOX_DELAY_MS: String(sandboxDelayMs) }, /listening/);
    const api = await start('API', 'api/server.ts', environment, /API listening/);
    const workers: ChildProcess[] = [];
    for (let index = 1; index <= setUp.workers; index += 1) workers.push(await start(`worker ${index}`, 'workers/main.ts', environment, /worker polling task queue/));
    connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const processes: Record<string, number | undefined> = {
      ...temporalPids,
      PostgreSQL: await postmasterPid(owner),
      API: api.pid,
      ...Object.fromEntries(workers.map((worker, index) => [`ledgerflow worker ${index + 1}`, worker.pid])),
      'sandbox provider': sandbox.pid,
    };

    console.error(`cluster bench: ${setUp.title}: ${payouts.toLocaleString('en-US')} payouts, ${concurrency} in flight…`);
    const before = await cpuSnapshot(processes);
    const createMs: number[] = [];
    const lifecycleMs: number[] = [];
    let refusedApprovals = 0;
    let completed = 0;
    const started = performance.now();
    await pool(payouts, concurrency, async (index) => {
      const requested = performance.now();
      const response = await fetch(`http://127.0.0.1:${apiPort}/v1/payouts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[index]}`, 'content-type': 'application/json', 'idempotency-key': `bench-${index}` },
        body: JSON.stringify({ partnerId: `bp${String(index + 1).padStart(6, '0')}`, amount, currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: `bp${index + 1}@payee.invalid` } }),
      });
      const body = (await response.json()) as { id: string; workflowId: string; amount: string; detailsHash: string };
      createMs.push(performance.now() - requested);
      if (response.status !== 201) throw new Error(`POST /v1/payouts answered ${response.status}: ${JSON.stringify(body)}`);
      const handle = client.workflow.getHandle(body.workflowId);
      // An approval that arrives before the checklist finished is refused (409) and sent again, as in bench/payouts.ts.
      for (;;) {
        try {
          await handle.executeUpdate(approvePayoutUpdate, { args: [{ actor: { userId: adminId, role: 'admin' }, amount: body.amount, detailsHash: body.detailsHash }] });
          break;
        } catch (error) {
          const refusal = error instanceof WorkflowUpdateFailedError && (error.cause as { type?: string; details?: unknown[] } | undefined);
          if (refusal && refusal.type === payoutRefusedType && (refusal.details?.[0] as Refusal | undefined)?.code === 'invalid_state') {
            refusedApprovals += 1;
            await sleep(50);
            continue;
          }
          throw error;
        }
      }
      const state = (await handle.result()) as { status: string };
      if (state.status !== 'COMPLETED') throw new Error(`payout ${body.id} ended ${state.status}`);
      lifecycleMs.push(performance.now() - requested);
      completed += 1;
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuDelta(before, await cpuSnapshot(processes));
    const { rows } = await owner.query<{ completed: string }>(`SELECT count(*) AS completed FROM payouts WHERE status = 'COMPLETED'`);
    if (Number(rows[0]!.completed) !== payouts) throw new Error(`${rows[0]!.completed} payouts COMPLETED in the database, expected ${payouts}`);
    console.error(`cluster bench: ${setUp.title}: ${(completed / seconds).toFixed(1)} payouts/s`);
    return { setUp, completed, seconds, lifecycleMs, createMs, refusedApprovals, cpu };
  } catch (error) {
    printChildOutputs();
    throw error;
  } finally {
    await connection?.close();
    for (const child of children.reverse()) await stopChild(child);
    await devServer?.stop();
    await cluster?.stop();
    await owner?.end();
  }
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAverageAtStart = os.loadavg()[0]!;
  const scratch = path.join(os.tmpdir(), `ledgerflow-cluster-bench-${process.pid}`);
  await mkdir(scratch, { recursive: true });
  // Four Temporal processes hold up to 13 connections each, beside the API's and the workers' pools.
  const server = await resolveServer('cluster bench', durable, { max_connections: '300' });
  try {
    // The binaries before anything is timed (a fresh machine builds them).
    await findClusterBinaries({ log: (line) => console.error(line) });
    const description = await (async () => {
      const client = new pg.Client({ connectionString: server.adminUrl });
      await client.connect();
      try {
        return await describeServer(client, server.label);
      } finally {
        await client.end();
      }
    })();
    const results: Result[] = [];
    for (const setUp of setUps) results.push(await runSetUp(setUp, server.adminUrl, scratch));

    const ms = (value: number) => `${value.toFixed(0)} ms`;
    const rate = (result: Result) => result.completed / result.seconds;
    const baseline = rate(results[0]!);
    const table = [
      `| measure | ${results.map((result) => result.setUp.title).join(' | ')} |`,
      `|---|${results.map(() => '---').join('|')}|`,
      `| completed/s | ${results.map((result) => `${rate(result).toFixed(1)} (${((100 * rate(result)) / baseline).toFixed(0)} %)`).join(' | ')} |`,
      `| request → COMPLETED p50 / p99 | ${results.map((result) => `${ms(percentile(result.lifecycleMs, 0.5))} / ${ms(percentile(result.lifecycleMs, 0.99))}`).join(' | ')} |`,
      `| POST /v1/payouts p50 / p99 | ${results.map((result) => `${ms(percentile(result.createMs, 0.5))} / ${ms(percentile(result.createMs, 0.99))}`).join(' | ')} |`,
      `| approvals resent (checklist not finished) | ${results.map((result) => result.refusedApprovals).join(' | ')} |`,
      `| wall time | ${results.map((result) => `${result.seconds.toFixed(1)} s`).join(' | ')} |`,
    ].join('\n');
    const cpu = cpuTable(results.map((result) => ({ title: result.setUp.title, usage: result.cpu, items: result.completed, seconds: result.seconds })), 'payout');
    const temporalCpu = (result: Result) => [...result.cpu].filter(([name]) => name.startsWith('Temporal')).reduce((sum, [, seconds]) => sum + seconds, 0);
    const report = [
      '# Payouts on the Temporal dev server and on the cluster',
      '',
      `${new Date().toISOString()} · ${description} · ${os.cpus().length} cores, load average ${loadAverageAtStart.toFixed(2)} at start · Temporal server 1.29.1 (cluster: ${historyShards} history shards, PostgreSQL persistence and SQL visibility on the same server as the ledger)`,
      `${payouts.toLocaleString('en-US')} PAYQUICKER payouts of ${amount} USD per set-up, ${concurrency} in flight; the sandbox settles after ${sandboxDelayMs} ms.`,
      '',
      table,
      '',
      cpu,
      '',
      `| Temporal, all its processes | ${results.map((result) => result.setUp.title).join(' | ')} |`,
      `|---|${results.map(() => '---').join('|')}|`,
      `| CPU per payout | ${results.map((result) => `${((1000 * temporalCpu(result)) / result.completed).toFixed(1)} ms`).join(' | ')} |`,
      '',
      `Total run time ${((Date.now() - startedAt) / 1000).toFixed(0)} s. Command: \`${payouts === 1_000 ? '' : `BENCH_CLUSTER_PAYOUTS=${payouts} `}npm run bench:cluster\`.`,
      '',
    ].join('\n');
    console.log(report);
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, report);
  } finally {
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`cluster bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
