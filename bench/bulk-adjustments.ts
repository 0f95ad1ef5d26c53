/**
 * The time for a BENCH_PARTNERS (100,000) partner bulk adjustment end to end: import the partners, create the bulk
 * adjustment through the API (targets by filter, every partner's amount fixed: the preview), read the preview, approve
 * it (a finance director's Temporal update with a fresh TOTP, as the API sends it), and execute it with workflow
 * `bulk-adjustment-<id>` on a real worker until COMPLETED (chunks of `adjustments.bulkChunkSize`, one transaction
 * each, continue-as-new every `bulkChunksPerRun` chunks).
 *
 *   npx bun bench/bulk-adjustments.ts                          # 100,000 partners
 *   BENCH_PARTNERS=10000 npx bun bench/bulk-adjustments.ts     # a shorter run
 *
 * PostgreSQL is embedded in a temporary directory unless DATABASE_URL names a server (a fresh database
 * `ledgerflow_bulk_bench` is made there); the Temporal dev server runs in memory; the API (createApp, called in
 * process) and the worker (real workflows and activities) run in this process. Partners are imported with one
 * INSERT … SELECT (the network's placement trigger fills their upline), half of them with an `available` balance
 * so the REMOVE run has something to take. Settings: BENCH_PARTNERS (100000), BENCH_DIRECTION (ADD | REMOVE, ADD),
 * BENCH_CHUNK (the policy's bulkChunkSize, 1000), BENCH_DURABLE (1).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pg from 'pg';
import { createActivities } from '../activities/index.ts';
import { createApp } from '../api/app.ts';
import { totpCode, totpStep } from '../modules/identity/totp.ts';
import { createApiDependencies } from '../api/dependencies.ts';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import type { AdminRole } from '../domain/access.ts';
import { freePort } from '../stack/ports.ts';
import { findTemporalCli, startTemporalDevServer } from '../stack/temporal.ts';
import { describeServer, freshDatabase, positiveNumber, resolveServer } from './support.ts';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const partners = Math.floor(positiveNumber('BENCH_PARTNERS', 100_000));
const chunk = Math.floor(positiveNumber('BENCH_CHUNK', 1_000));
const direction = process.env.BENCH_DIRECTION === 'REMOVE' ? 'REMOVE' : 'ADD';
const durable = process.env.BENCH_DURABLE !== '0';

async function main() {
  const stops: (() => Promise<unknown>)[] = [];
  const temporary = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-bulk-bench-'));
  stops.push(() => rm(temporary, { recursive: true, force: true }));
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const server = await resolveServer('bulk-adjustments', durable);
    stops.push(() => server.stop());
    const ownerUrl = await freshDatabase(server.adminUrl, 'ledgerflow_bulk_bench');
    await migrate(ownerUrl);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    stops.push(() => owner.end());
    const serverLine = await describeServer(owner, server.label);
    const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 6 });
    stops.push(() => database.end());

    const cli = await findTemporalCli({ TEMPORAL_CLI: process.env.TEMPORAL_CLI || undefined });
    const temporal = await startTemporalDevServer({
      cli, port: await freePort(), uiPort: await freePort(), databaseFile: undefined, headless: true,
      logFile: path.join(temporary, 'temporal.log'), namespace: 'default',
    });
    stops.push(() => temporal.stop());
    const taskQueue = `bulk-bench-${randomBytes(4).toString('hex')}`;
    const workerConnection = await NativeConnection.connect({ address: temporal.address });
    stops.push(() => workerConnection.close());
    const worker = await Worker.create({
      connection: workerConnection, taskQueue, workflowsPath: path.join(repositoryRoot, 'workflows', 'index.ts'),
      activities: createActivities({ database }),
    });
    const clientConnection = await Connection.connect({ address: temporal.address });
    stops.push(() => clientConnection.close());
    const dependencies = createApiDependencies({ database, temporalConnection: clientConnection, namespace: 'default', taskQueue, temporalUiUrl: null });
    const app = createApp(dependencies);
    const { policy } = await dependencies.policies.active();
    await dependencies.policies.add({ document: { ...policy, adjustments: { ...policy.adjustments, bulkChunkSize: chunk } }, effectiveFrom: new Date(), reason: 'bench', actor: 'bench' });
    await owner.query(`INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'bench')`);

    const request = async (pathName: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await app.request(pathName, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status >= 300) throw new Error(`${pathName} answered ${response.status}: ${await response.text()}`);
      return response.json() as Promise<Record<string, unknown>>;
    };
    const signIn = async (role: AdminRole) => {
      const email = `${role.replaceAll('_', '-')}-${randomBytes(4).toString('hex')}@bench.ledgerflow`;
      const user = await dependencies.identity.createUser({ email, password: 'bench-password-1', role });
      const step = totpStep(new Date());
      const response = await app.request('/v1/auth/login', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'bench-password-1', totp: totpCode(user.totpSecret!, step) }),
      });
      const { token } = (await response.json()) as { token: string };
      return { token, nextTotp: () => totpCode(user.totpSecret!, step + 1) };
    };

    console.error(`bulk-adjustments: importing ${partners} partners`);
    let started = performance.now();
    await owner.query(`
      INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
      SELECT 'bench_' || lpad(n::text, 7, '0'), 'Bench ' || n, '5', 'ACTIVE', 'APPROVED', timestamptz '2021-01-01' + n * interval '1 second'
      FROM generate_series(1, $1::int) AS n`, [partners]);
    const importSeconds = (performance.now() - started) / 1000;
    // Half of them with 10.00 available (one funding entry per 5,000 partners), for REMOVE runs.
    const funded = Math.floor(partners / 2);
    for (let start = 0; start < funded; start += 5_000) {
      const ids = Array.from({ length: Math.min(5_000, funded - start) }, (_, index) => `bench_${String(start + index + 1).padStart(7, '0')}`);
      await dependencies.ledger.postEntry({
        idempotencyKey: `bench-fund-${start}`, kind: 'bench',
        postings: [
          { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: (-10 * ids.length).toFixed(2) },
          ...ids.map((id) => ({ account: { ownerType: 'partner' as const, ownerId: id, bucket: 'available' as const, currency: 'USD' }, amount: '10.00' })),
        ],
      });
    }
    await owner.query('ANALYZE');

    await worker.runUntil(async () => {
      const maker = await signIn('admin');
      const checker = await signIn('finance_director');
      started = performance.now();
      const bulk = await request('/v1/bulk-adjustments', maker.token, {
        direction, amountKind: direction === 'ADD' ? 'FIXED' : 'PERCENTAGE', value: direction === 'ADD' ? '1.25' : '10', currency: 'USD',
        reason: 'benchmark', target: { kind: 'FILTER', ranks: ['5'] },
      });
      const createSeconds = (performance.now() - started) / 1000;
      const id = bulk.id as string;
      started = performance.now();
      const preview = await request(`/v1/bulk-adjustments/${id}/preview?offset=0&limit=1000`, maker.token);
      const previewSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      await request(`/v1/bulk-adjustments/${id}/approve`, checker.token, {}, { 'x-totp-code': checker.nextTotp() });
      const approveSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      let view: Record<string, unknown>;
      for (;;) {
        view = await request(`/v1/bulk-adjustments/${id}`, maker.token);
        if (view.status === 'COMPLETED') break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const executeSeconds = (performance.now() - started) / 1000;
      const total = createSeconds + previewSeconds + approveSeconds + executeSeconds;
      const progress = view.progress as { applied: number; skipped: number; appliedTotal: string };
      console.log(serverLine);
      console.log(`partners ${partners}, direction ${direction}, chunk ${chunk}; preview total ${String(preview.totalImpact)} USD over ${String(preview.affected)} partners (tier ${String(preview.tier)})`);
      console.log(`| phase | seconds | partners/s |`);
      console.log(`|---|---|---|`);
      console.log(`| import (INSERT … SELECT) | ${importSeconds.toFixed(2)} | ${(partners / importSeconds).toFixed(0)} |`);
      console.log(`| create + preview (POST /v1/bulk-adjustments) | ${createSeconds.toFixed(2)} | ${(partners / createSeconds).toFixed(0)} |`);
      console.log(`| preview page (GET …/preview, 1,000 items) | ${previewSeconds.toFixed(2)} | |`);
      console.log(`| approve (update, TOTP) | ${approveSeconds.toFixed(2)} | |`);
      console.log(`| execute (workflow, ${Math.ceil(partners / chunk)} chunks) | ${executeSeconds.toFixed(2)} | ${(partners / executeSeconds).toFixed(0)} |`);
      console.log(`| **end to end (create → COMPLETED)** | **${total.toFixed(2)}** | **${(partners / total).toFixed(0)}** |`);
      console.log(`applied ${progress.applied}, skipped ${progress.skipped}, applied total ${progress.appliedTotal} USD`);
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
