/**
 * Refund reversals per second for orders with 10-level commission chains, through the real workflow path:
 * BENCH_CHAINS chains of 10 partners (ranks 1 … 7 from the seller up, so every level earns a differential
 * commission), BENCH_ORDERS orders spread over them (half completed 20 days ago, released and paid, so their
 * commissions are PAID and are clawed back from `available`; half recent, PENDING), one refund request per order
 * through the API (POST /v1/refunds: the order amount claimed, workflow `refund-<id>` started; every other request
 * partial with PARTIAL_DAMAGE, the rest full), then every refund approved at once by BENCH_CONCURRENCY concurrent
 * Temporal updates carrying the verified admin, as the API sends them after the TOTP step-up (the TOTP check itself
 * is left out: one code per admin and step). Each approval returns once its order's 10 commissions are reversed.
 *
 *   npx bun bench/refunds.ts                                     # 400 orders over 10 chains
 *   BENCH_ORDERS=2000 BENCH_CONCURRENCY=64 npx bun bench/refunds.ts
 *
 * PostgreSQL is embedded in a temporary directory unless DATABASE_URL names a server (a fresh database
 * `ledgerflow_refund_bench` is made there); the Temporal dev server runs in memory; the API (in process) and the
 * worker (real workflows and activities) run in this process. Prints refunds processed/s (each one reversal of a
 * whole order) and commission reversals/s. Settings: BENCH_ORDERS (400), BENCH_CHAINS (10), BENCH_CONCURRENCY (32),
 * BENCH_DURABLE (1).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pg from 'pg';
import { CommissionRelease } from '../modules/commissions/commission-release.ts';
import { createActivities } from '../activities/index.ts';
import { createApp } from '../api/app.ts';
import { totpCode, totpStep } from '../modules/identity/totp.ts';
import { createApiDependencies } from '../api/dependencies.ts';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import type { RefundState } from '../domain/refund.ts';
import { freePort } from '../stack/ports.ts';
import { findTemporalCli, startTemporalDevServer } from '../stack/temporal.ts';
import { approveRefundUpdate, refundWorkflowId } from '../workflows/refund-messages.ts';
import { describeServer, freshDatabase, positiveNumber, resolveServer } from './support.ts';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const orders = Math.floor(positiveNumber('BENCH_ORDERS', 400));
const chains = Math.floor(positiveNumber('BENCH_CHAINS', 10));
const concurrency = Math.floor(positiveNumber('BENCH_CONCURRENCY', 32));
const durable = process.env.BENCH_DURABLE !== '0';
/** Top first: the seller is rank 1 (5 %), each sponsor one step higher, so all ten levels earn. */
const chainRanks = ['7', '6_PRO', '6', '5_PRO', '5', '4_PRO', '4', '3', '2', '1'];

async function pool<T>(items: T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  }));
}

async function main() {
  const stops: (() => Promise<unknown>)[] = [];
  const temporary = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-refund-bench-'));
  stops.push(() => rm(temporary, { recursive: true, force: true }));
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const server = await resolveServer('refunds', durable);
    stops.push(() => server.stop());
    const ownerUrl = await freshDatabase(server.adminUrl, 'ledgerflow_refund_bench');
    await migrate(ownerUrl);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    stops.push(() => owner.end());
    const serverLine = await describeServer(owner, server.label);
    const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 10 });
    stops.push(() => database.end());

    const cli = await findTemporalCli({ TEMPORAL_CLI: process.env.TEMPORAL_CLI || undefined });
    const temporal = await startTemporalDevServer({
      cli, port: await freePort(), uiPort: await freePort(), databaseFile: undefined, headless: true,
      logFile: path.join(temporary, 'temporal.log'), namespace: 'default',
    });
    stops.push(() => temporal.stop());
    const taskQueue = `refund-bench-${randomBytes(4).toString('hex')}`;
    const workerConnection = await NativeConnection.connect({ address: temporal.address });
    stops.push(() => workerConnection.close());
    const worker = await Worker.create({
      connection: workerConnection, taskQueue, workflowsPath: path.join(repositoryRoot, 'workflows', 'index.ts'),
      activities: createActivities({ database }), maxConcurrentActivityTaskExecutions: 10,
    });
    const clientConnection = await Connection.connect({ address: temporal.address });
    stops.push(() => clientConnection.close());
    const dependencies = createApiDependencies({ database, temporalConnection: clientConnection, namespace: 'default', taskQueue, temporalUiUrl: null });
    const app = createApp(dependencies);

    // The network: `chains` chains of 10, sponsors first (the placement trigger fills each upline).
    for (let chain = 0; chain < chains; chain += 1) {
      for (const [level, rank] of chainRanks.entries()) {
        await owner.query(`
          INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
          VALUES ($1, $1, $2, $3, 'ACTIVE', 'APPROVED', now() - interval '1 year')`,
        [`bench-${chain}-${level}`, level === 0 ? null : `bench-${chain}-${level - 1}`, rank]);
      }
    }
    // The orders: half paid (completed 20 days ago, released and paid), half recent (PENDING).
    const orderIds = Array.from({ length: orders }, (_, index) => `bench-order-${index}`);
    const now = Date.now();
    const events = orderIds.map((orderId, index) => ({
      externalId: `bench-event-${index}`, kind: 'ORDER_COMPLETED' as const, sourceId: orderId,
      partnerId: `bench-${index % chains}-${chainRanks.length - 1}`, customerId: `customer-${index}`,
      completedAt: new Date(index % 2 === 0 ? now - 20 * 86_400_000 : now - 60_000).toISOString(), amount: '1000.00', currency: 'USD',
    }));
    let started = performance.now();
    for (let start = 0; start < events.length; start += 500) {
      const results = await dependencies.engine.ingest(events.slice(start, start + 500), 'bench');
      const rejected = results.find((result) => result.status !== 'PROCESSED');
      if (rejected) throw new Error(`event not processed: ${JSON.stringify(rejected)}`);
    }
    const ingestSeconds = (performance.now() - started) / 1000;
    const release = new CommissionRelease(database, dependencies.ledger);
    await release.releaseDue(new Date());
    await release.payBatch('bench-pay', new Date());
    const commissions = await owner.query<{ status: string; count: string }>(`SELECT status, count(*) FROM commissions GROUP BY status ORDER BY status`);
    await owner.query('ANALYZE');

    await worker.runUntil(async () => {
      const signIn = async (role: 'financial_support' | 'finance_manager') => {
        const email = `${role.replaceAll('_', '-')}-${randomBytes(4).toString('hex')}@bench.ledgerflow`;
        const user = await dependencies.identity.createUser({ email, password: 'bench-password-1', role });
        const response = await app.request('/v1/auth/login', {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: 'bench-password-1', totp: totpCode(user.totpSecret!, totpStep(new Date())) }),
        });
        const { token } = (await response.json()) as { token: string };
        return { token, userId: user.id };
      };
      const requester = await signIn('financial_support');
      const approver = await signIn('finance_manager');

      const refundIds: string[] = new Array(orders);
      started = performance.now();
      await pool(orderIds, concurrency, async (orderId, index) => {
        const partial = index % 4 >= 2;
        const response = await app.request('/v1/refunds', {
          method: 'POST', headers: { authorization: `Bearer ${requester.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(partial ? { orderId, amount: '250.00', reason: 'PARTIAL_DAMAGE' } : { orderId, reason: 'PRODUCT_DEFECTIVE' }),
        });
        if (response.status !== 202) throw new Error(`POST /v1/refunds answered ${response.status}: ${await response.text()}`);
        refundIds[index] = ((await response.json()) as { id: string }).id;
      });
      const requestSeconds = (performance.now() - started) / 1000;

      let reversedCommissions = 0;
      const latencies: number[] = [];
      started = performance.now();
      await pool(refundIds, concurrency, async (refundId) => {
        const begun = performance.now();
        const state: RefundState = await dependencies.temporal.workflow.getHandle(refundWorkflowId(refundId)).executeUpdate(approveRefundUpdate, {
          args: [{ actor: { userId: approver.userId, role: 'finance_manager' }, reason: 'bench' }],
        });
        if (state.status !== 'PROCESSED') throw new Error(`refund ${refundId} is ${state.status}`);
        reversedCommissions += state.reversedCount;
        latencies.push(performance.now() - begun);
      });
      const approveSeconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(0);
      const check = await owner.query<{ processed: string; reversals: string; debt: string }>(`
        SELECT (SELECT count(*) FROM refunds WHERE status = 'PROCESSED') AS processed,
               (SELECT count(*) FROM refund_reversals) AS reversals,
               (SELECT coalesce(-sum(b.balance), 0) FROM accounts a JOIN account_balances b ON b.account_id = a.id WHERE a.bucket = 'debt') AS debt`);
      const unbalanced = await owner.query(`SELECT currency, sum(amount) FROM postings GROUP BY currency HAVING sum(amount) <> 0`);

      console.log(serverLine);
      console.log(`orders ${orders} over ${chains} chains of ${chainRanks.length} levels (ingest ${ingestSeconds.toFixed(2)} s); commissions before: ${commissions.rows.map((row) => `${row.status} ${row.count}`).join(', ')}; concurrency ${concurrency}`);
      console.log(`| phase | seconds | per second |`);
      console.log(`|---|---|---|`);
      console.log(`| refund requests (POST /v1/refunds, workflow started) | ${requestSeconds.toFixed(2)} | ${(orders / requestSeconds).toFixed(1)} requests/s |`);
      console.log(`| approvals → PROCESSED (update, reversal of the whole order) | ${approveSeconds.toFixed(2)} | **${(orders / approveSeconds).toFixed(1)} refund reversals/s** |`);
      console.log(`| commission reversals (${reversedCommissions} commissions) | ${approveSeconds.toFixed(2)} | **${(reversedCommissions / approveSeconds).toFixed(1)} commission reversals/s** |`);
      console.log(`approval latency p50 ${percentile(50)} ms, p99 ${percentile(99)} ms; refunds PROCESSED ${check.rows[0]!.processed}, reversal rows ${check.rows[0]!.reversals}, partners' debt ${check.rows[0]!.debt} USD; ledger ${unbalanced.rowCount === 0 ? 'balanced' : 'UNBALANCED'}`);
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
