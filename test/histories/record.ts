/**
 * Records the histories of the commission and pool workflow branches that test/workflows/replay.test.ts replays.
 *
 *   npx bun test/histories/record.ts              # every branch below
 *   npx bun test/histories/record.ts pool-distribution-weekly   # only the named file(s), without `.json`
 *
 * It starts its own throwaway PostgreSQL (migrated) and in-memory Temporal dev server, runs an in-process
 * worker with the real workflows and activities on a unique task queue, arranges data, runs each workflow to
 * completion and writes its history in the format of `temporal workflow show --output json`. Re-record a
 * branch when its code changes on purpose (behind `patched()` for running workflows); the bonus histories are
 * not recorded here. The name has no `.test.ts`, so vitest does not collect it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pg from 'pg';
import { CommissionEngine, type EventInput } from '../../modules/commissions/ingest-events.ts';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import { createActivities } from '../../activities/index.ts';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { PolicyStore } from '../../modules/policy/policy-store.ts';
import { migrate } from '../../db/migrate.ts';
import { applicationUrl, createDatabase, type Database } from '../../db/pool.ts';
import { ensureDatabase, startEmbeddedPostgres } from '../../stack/postgres.ts';
import { freePort } from '../../stack/ports.ts';
import { findTemporalCli, startTemporalDevServer } from '../../stack/temporal.ts';
import { commissionPayBatchWorkflow, commissionReleaseWorkflow } from '../../workflows/commissions.ts';
import { poolDistributionWorkflow } from '../../workflows/pools.ts';

const historiesDirectory = path.dirname(fileURLToPath(import.meta.url));
const repositoryRoot = path.resolve(historiesDirectory, '..', '..');
const dayMs = 86_400_000;

interface Context {
  client: Client;
  taskQueue: string;
  owner: pg.Client;
  database: Database;
  engine: CommissionEngine;
}

/**
 * One history file per branch, recorded in this order against one database. Each branch arranges its own data;
 * nothing-due runs first, while no hold has ended yet.
 */
const branches: { file: string; record(context: Context): Promise<string> }[] = [
  {
    // First, on an empty database: the sweep finds nothing whose hold has ended.
    file: 'commission-release-nothing-due',
    async record({ client, taskQueue }) {
      const workflowId = `record-commission-release-nothing-${suffix()}`;
      const result = await client.workflow.execute(commissionReleaseWorkflow, { taskQueue, workflowId, args: [{ asOf: new Date().toISOString() }] });
      expect(result.approved === 0, `nothing due, got ${JSON.stringify(result)}`);
      return workflowId;
    },
  },
  {
    // Orders completed 15 days ago: their 14-day product hold has ended, so the sweep approves their commissions.
    file: 'commission-release-approved',
    async record({ client, taskQueue, owner, engine }) {
      await partners(owner, [
        { id: 'record-top', sponsor: null, rank: '6' },
        { id: 'record-middle', sponsor: 'record-top', rank: '4' },
        { id: 'record-seller', sponsor: 'record-middle', rank: '2' },
      ]);
      const completedAt = new Date(Date.now() - 15 * dayMs).toISOString();
      const events: EventInput[] = ['1', '2'].map((index) => ({
        externalId: `record-order-${index}`, kind: 'ORDER_COMPLETED', sourceId: `record-order-${index}`, partnerId: 'record-seller',
        completedAt, amount: '100.00', currency: 'USD',
      }));
      const results = await engine.ingest(events, 'system:record-histories');
      expect(results.every((result) => result.status === 'PROCESSED'), `ingest: ${JSON.stringify(results)}`);
      const workflowId = `record-commission-release-approved-${suffix()}`;
      const result = await client.workflow.execute(commissionReleaseWorkflow, { taskQueue, workflowId, args: [{ asOf: new Date().toISOString() }] });
      expect(result.approved > 0, `some approved, got ${JSON.stringify(result)}`);
      return workflowId;
    },
  },
  {
    // Its own seller's orders, past their hold and approved by a direct sweep: the batch pays them to `available`.
    file: 'commission-pay-batch',
    async record({ client, taskQueue, owner, database, engine }) {
      await partners(owner, [
        { id: 'record-pay-top', sponsor: null, rank: '6' },
        { id: 'record-pay-seller', sponsor: 'record-pay-top', rank: '2' },
      ]);
      const completedAt = new Date(Date.now() - 15 * dayMs).toISOString();
      await ingestOrders(engine, [{ partnerId: 'record-pay-seller', amount: '250.00', completedAt }]);
      const released = await new CommissionRelease(database, new LedgerStore(database)).releaseDue(new Date());
      expect(released.approved > 0, `release before the pay batch approved nothing: ${JSON.stringify(released)}`);
      const workflowId = `record-commission-pay-batch-${suffix()}`;
      const result = await client.workflow.execute(commissionPayBatchWorkflow, { taskQueue, workflowId, args: [{ asOf: new Date().toISOString() }] });
      expect(result.commissions > 0, `some paid, got ${JSON.stringify(result)}`);
      return workflowId;
    },
  },
  {
    // Two rank 5 leaders with two legs of 2,500 USD each inside the week: both qualify for POOL_5.
    file: 'pool-distribution-weekly',
    async record({ client, taskQueue, owner, engine }) {
      const periodStart = '2025-03-03T00:00:00.000Z';
      const inWeek = '2025-03-05T00:00:00.000Z';
      for (const leader of ['record-weekly-a', 'record-weekly-b']) {
        await partners(owner, [{ id: leader, sponsor: null, rank: '5' }, ...['1', '2'].map((leg) => ({ id: `${leader}-${leg}`, sponsor: leader, rank: '1' }))]);
        await ingestOrders(engine, ['1', '2'].map((leg) => ({ partnerId: `${leader}-${leg}`, amount: '2500.00', completedAt: inWeek })));
      }
      const workflowId = `record-pool-distribution-weekly-${suffix()}`;
      const result = await client.workflow.execute(poolDistributionWorkflow, { taskQueue, workflowId, args: [{ frequency: 'WEEKLY', periodStart }] });
      const pool = result.runs.find((run) => run.pool === 'POOL_5');
      expect(pool !== undefined && pool.created && pool.qualified > 0, `POOL_5 qualified, got ${JSON.stringify(result)}`);
      return workflowId;
    },
  },
  {
    // A rank 9 leader (monthly pools qualify by rank alone) and volume inside the month: POOL_9 is shared out.
    file: 'pool-distribution-monthly',
    async record({ client, taskQueue, owner, engine }) {
      const periodStart = '2025-04-01T00:00:00.000Z';
      await partners(owner, [{ id: 'record-monthly', sponsor: null, rank: '9' }, { id: 'record-monthly-1', sponsor: 'record-monthly', rank: '1' }]);
      await ingestOrders(engine, [{ partnerId: 'record-monthly-1', amount: '10000.00', completedAt: '2025-04-10T00:00:00.000Z' }]);
      const workflowId = `record-pool-distribution-monthly-${suffix()}`;
      const result = await client.workflow.execute(poolDistributionWorkflow, { taskQueue, workflowId, args: [{ frequency: 'MONTHLY', periodStart }] });
      const pool = result.runs.find((run) => run.pool === 'POOL_9');
      expect(pool !== undefined && pool.created && pool.qualified > 0, `POOL_9 qualified, got ${JSON.stringify(result)}`);
      return workflowId;
    },
  },
  {
    // Orders whose 14-day product hold ends 4 seconds after the run starts: the run (following due times within its
    // 30-second window, issue #19's hourly cadence in miniature) releases nothing at first, sleeps until the hold
    // ends and approves them then, behind patched('commission-release-follows-due-times').
    file: 'commission-release-followed',
    async record({ client, taskQueue, owner, engine }) {
      await partners(owner, [
        { id: 'record-follow-top', sponsor: null, rank: '6' },
        { id: 'record-follow-seller', sponsor: 'record-follow-top', rank: '2' },
      ]);
      const completedAt = new Date(Date.now() - 14 * dayMs + 4_000).toISOString();
      await ingestOrders(engine, [{ partnerId: 'record-follow-seller', amount: '100.00', completedAt }]);
      const workflowId = `record-commission-release-followed-${suffix()}`;
      const result = await client.workflow.execute(commissionReleaseWorkflow, {
        taskQueue, workflowId, args: [{ asOf: new Date().toISOString(), followDueTimesForMs: 30_000, stepMs: 1_000 }],
      });
      expect(result.approved > 0, `approved after sleeping to the hold end, got ${JSON.stringify(result)}`);
      return workflowId;
    },
  },
];

function suffix(): string {
  return randomBytes(4).toString('hex');
}

function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`record: ${message}`);
}

async function partners(owner: pg.Client, rows: { id: string; sponsor: string | null; rank: string }[]) {
  for (const row of rows) {
    await owner.query(
      `INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at) VALUES ($1, $1, $2, $3, 'ACTIVE', 'APPROVED', '2024-01-01T00:00:00Z')`,
      [row.id, row.sponsor, row.rank],
    );
  }
}

async function ingestOrders(engine: CommissionEngine, orders: { partnerId: string; amount: string; completedAt: string }[]) {
  const events: EventInput[] = orders.map((order) => {
    const id = `record-order-${suffix()}`;
    return { externalId: id, kind: 'ORDER_COMPLETED', sourceId: id, partnerId: order.partnerId, completedAt: order.completedAt, amount: order.amount, currency: 'USD' };
  });
  const results = await engine.ingest(events, 'system:record-histories');
  expect(results.every((result) => result.status === 'PROCESSED'), `ingest: ${JSON.stringify(results)}`);
}

async function main() {
  const only = process.argv.slice(2).map((name) => name.replace(/\.json$/, ''));
  const unknown = only.filter((name) => !branches.some((branch) => branch.file === name));
  if (unknown.length > 0) throw new Error(`unknown branch(es) ${unknown.join(', ')}; known: ${branches.map((branch) => branch.file).join(', ')}`);

  const stops: (() => Promise<unknown>)[] = [];
  const temporary = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-record-'));
  // As root, initdb hands the data directory to the `postgres` user, which must be able to reach it.
  await chmod(temporary, 0o755);
  stops.push(() => rm(temporary, { recursive: true, force: true }));
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const [postgres, temporal] = await Promise.all([
      startEmbeddedPostgres({ directory: path.join(temporary, 'postgres'), port: await freePort(), durable: false }).then((server) => {
        stops.push(() => server.stop());
        return server;
      }),
      (async () => {
        const cli = await findTemporalCli({ TEMPORAL_CLI: process.env.TEMPORAL_CLI || undefined });
        const server = await startTemporalDevServer({
          cli, port: await freePort(), uiPort: await freePort(), databaseFile: undefined, headless: true,
          logFile: path.join(temporary, 'temporal.log'), namespace: 'default',
        });
        stops.push(() => server.stop());
        return { ...server, cli };
      })(),
    ]);

    await ensureDatabase(postgres.ownerUrl('postgres'), 'ledgerflow');
    const ownerUrl = postgres.ownerUrl('ledgerflow');
    await migrate(ownerUrl);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    stops.push(() => owner.end());
    const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 4 });
    stops.push(() => database.end());

    const taskQueue = `record-histories-${suffix()}`;
    const workerConnection = await NativeConnection.connect({ address: temporal.address });
    stops.push(() => workerConnection.close());
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowsPath: path.join(repositoryRoot, 'workflows', 'index.ts'),
      activities: createActivities({ database }),
    });
    const clientConnection = await Connection.connect({ address: temporal.address });
    stops.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection });

    const engine = new CommissionEngine(database, new LedgerStore(database), new PolicyStore(database));
    const context: Context = { client, taskQueue, owner, database, engine };
    await worker.runUntil(async () => {
      for (const branch of branches) {
        if (only.length > 0 && !only.includes(branch.file)) continue;
        const workflowId = await branch.record(context);
        // The CLI writes the format the existing histories have (historyToJSON trips over the installed
        // proto3-json-serializer's handling of bytes in maps).
        const { stdout } = await promisify(execFile)(
          temporal.cli,
          ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', temporal.address, '--namespace', 'default'],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        const history = JSON.parse(stdout) as { events?: unknown[] };
        expect((history.events?.length ?? 0) > 0, `temporal workflow show returned no events for ${workflowId}`);
        const file = path.join(historiesDirectory, `${branch.file}.json`);
        await writeFile(file, stdout.endsWith('\n') ? stdout : `${stdout}\n`);
        console.log(`recorded ${path.relative(repositoryRoot, file)} (${history.events?.length ?? 0} events, workflow ${workflowId})`);
      }
    });
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error('cleanup:', (error as Error).message));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
