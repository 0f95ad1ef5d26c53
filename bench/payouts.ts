/**
 * BENCH_PAYOUTS (10,000) automatic payouts through the whole lifecycle on a Temporal dev server, and the ceiling
 * of the same server and worker kind for the same count of workflows, activity calls, updates and signals.
 *
 *   (1) lifecycle: a partner requests the payout (HTTP POST /v1/payouts to the API process: reserve entry, payout
 *       row, audit record, workflow start) → checklist → an admin's approval (a Temporal update carrying the
 *       verified admin, as the API sends it after checking the TOTP code) → batched per method and sent to the
 *       sandbox provider (its own process) → the provider's signed webhook to the API → signal → COMPLETED with
 *       the settlement entry. BENCH_CONCURRENCY payouts are in flight at once.
 *   (2) ceiling: as many workflows, each making the same five activity calls, one update and one signal, every
 *       one a no-op (bench/ceiling/), driven the same way from the same number of concurrent clients.
 *
 * Every process is the one `npm start` runs (API and worker on Bun); PostgreSQL is embedded in a temporary
 * directory unless DATABASE_URL names a server; the Temporal dev server keeps its state in a SQLite file as
 * `npm start` does (BENCH_TEMPORAL_MEMORY=1: in memory).
 *
 *   npm run bench:payouts
 *
 * Settings: BENCH_PAYOUTS (10000), BENCH_CONCURRENCY (50), BENCH_DURABLE (1), BENCH_SANDBOX_DELAY_MS (200),
 * BENCH_PG_STATEMENTS (0; 1 adds the costliest SQL statements), BENCH_CPU_PROFILE (a directory: Bun CPU profiles of the
 * API and the worker, as markdown, written when they stop), LEDGERFLOW_PROVIDER_BATCH_SIZE / _WAIT_MS (the
 * worker's batching, defaults 100 / 100). Prints markdown tables (the measures, then the CPU each process used) and
 * writes them to bench/results/payouts.md (payouts-<n>.md for another BENCH_PAYOUTS).
 */
import { type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type pg from 'pg';
import type { Refusal } from '../domain/errors.ts';
import { approvePayoutUpdate, payoutRefusedType } from '../workflows/payout-messages.ts';
import { approveCeilingUpdate, providerResultCeilingSignal, type ceilingWorkflow } from './ceiling/workflows.ts';
import {
  cpuDelta,
  cpuSnapshot,
  cpuTable,
  nonNegativeNumber,
  peakRssMb,
  percentile,
  pool,
  positiveNumber,
  printChildOutputs,
  seedPayoutPartners,
  sleep,
  stopChild as stopProcess,
  startPayoutStack,
  type PayoutStack,
} from './support.ts';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const databaseName = 'ledgerflow_payout_bench';

const payouts = Math.floor(positiveNumber('BENCH_PAYOUTS', 10_000));
/** The full run writes payouts.md; a run of another size keeps its own file (payouts-1000.md), so neither hides the other. */
const resultsFile = path.join(benchDirectory, 'results', payouts === 10_000 ? 'payouts.md' : `payouts-${payouts}.md`);
const concurrency = Math.floor(positiveNumber('BENCH_CONCURRENCY', 50));
const durable = process.env.BENCH_DURABLE !== '0';
const sandboxDelayMs = Math.floor(nonNegativeNumber('BENCH_SANDBOX_DELAY_MS', 200));
const temporalInMemory = process.env.BENCH_TEMPORAL_MEMORY === '1';
/** BENCH_PG_STATEMENTS=1: load pg_stat_statements in the embedded server and report the lifecycle's costliest statements. */
const statementStats = process.env.BENCH_PG_STATEMENTS === '1';
/** BENCH_CPU_PROFILE=<dir>: the API and the worker run under Bun's CPU profiler, writing markdown profiles there on exit. */
const cpuProfileDirectory = process.env.BENCH_CPU_PROFILE ? path.resolve(process.env.BENCH_CPU_PROFILE) : undefined;
const taskQueue = 'ledgerflow-payout-bench';
const ceilingQueue = 'ledgerflow-payout-bench-ceiling';
const amount = '100.00';

interface Phase {
  completed: number;
  seconds: number;
  /** Per payout: from its request to its COMPLETED, in ms. */
  lifecycleMs: number[];
  createMs: number[];
  refusedApprovals: number;
  workerPeakRssMb: number;
}

/** The statements that took the most time in the lifecycle phase (pg_stat_statements, with nested ones). */
async function costliestStatements(owner: pg.Client, completed: number): Promise<string> {
  const { rows } = await owner.query<{ query: string; calls: string; total: number; mean: number; rows: string }>(`
    SELECT regexp_replace(left(query, 160), '\\s+', ' ', 'g') AS query, calls, total_exec_time AS total, mean_exec_time AS mean, rows
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY total_exec_time DESC LIMIT 20`);
  return [
    '| statement (pg_stat_statements, lifecycle phase, top 20 by total time) | calls per payout | ms per payout | mean ms |',
    '|---|---:|---:|---:|',
    ...rows.map((row) => `| \`${row.query.replaceAll('|', '\\|').replaceAll('`', "'")}\` | ${(Number(row.calls) / completed).toFixed(2)} | ${(row.total / completed).toFixed(2)} | ${row.mean.toFixed(3)} |`),
  ].join('\n');
}

async function measureLifecycle(input: { apiUrl: string; client: Client; tokens: string[]; adminId: string; worker: ChildProcess; owner: pg.Client }): Promise<Phase> {
  const createMs: number[] = [];
  const lifecycleMs: number[] = [];
  let refusedApprovals = 0;
  let completed = 0;
  const started = performance.now();
  let lastReport = started;
  await pool(payouts, concurrency, async (index) => {
    const requested = performance.now();
    const response = await fetch(`${input.apiUrl}/v1/payouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${input.tokens[index]}`, 'content-type': 'application/json', 'idempotency-key': `bench-${index}` },
      body: JSON.stringify({ partnerId: `bp${String(index + 1).padStart(6, '0')}`, amount, currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: `bp${index + 1}@payee.invalid` } }),
    });
    const body = (await response.json()) as { id: string; workflowId: string; amount: string; detailsHash: string };
    createMs.push(performance.now() - requested);
    if (response.status !== 201) throw new Error(`POST /v1/payouts answered ${response.status}: ${JSON.stringify(body)}`);

    const handle = input.client.workflow.getHandle(body.workflowId);
    // The checklist runs first; an approval that arrives before it finished is refused (409) and sent again.
    for (;;) {
      try {
        await handle.executeUpdate(approvePayoutUpdate, { args: [{ actor: { userId: input.adminId, role: 'admin' }, amount: body.amount, detailsHash: body.detailsHash }] });
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
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      console.error(`payout bench: ${completed} / ${payouts} completed (${(completed / ((lastReport - started) / 1000)).toFixed(1)}/s)`);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await input.owner.query<{ completed: string }>(`SELECT count(*) AS completed FROM payouts WHERE status = 'COMPLETED'`);
  if (Number(rows[0]!.completed) !== payouts) throw new Error(`${rows[0]!.completed} payouts COMPLETED in the database, expected ${payouts}`);
  return { completed, seconds, lifecycleMs, createMs, refusedApprovals, workerPeakRssMb: peakRssMb(input.worker.pid) };
}

async function measureCeiling(input: { client: Client; worker: ChildProcess }): Promise<Phase> {
  const createMs: number[] = [];
  const lifecycleMs: number[] = [];
  let completed = 0;
  const run = randomBytes(3).toString('hex');
  const started = performance.now();
  await pool(payouts, concurrency, async (index) => {
    const requested = performance.now();
    const handle = await input.client.workflow.start<typeof ceilingWorkflow>('ceilingWorkflow', {
      workflowId: `ceiling-${run}-${index}`,
      taskQueue: ceilingQueue,
      args: [String(index)],
    });
    createMs.push(performance.now() - requested);
    await handle.executeUpdate(approveCeilingUpdate, { args: ['bench'] });
    await handle.signal(providerResultCeilingSignal, 'COMPLETED');
    await handle.result();
    lifecycleMs.push(performance.now() - requested);
    completed += 1;
  });
  return { completed, seconds: (performance.now() - started) / 1000, lifecycleMs, createMs, refusedApprovals: 0, workerPeakRssMb: peakRssMb(input.worker.pid) };
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAverageAtStart = os.loadavg()[0]!;
  let seeded: { tokens: string[]; adminId: string } | undefined;
  const stack: PayoutStack = await startPayoutStack({
    name: 'payout bench',
    databaseName,
    durable,
    temporalInMemory,
    sandboxDelayMs,
    taskQueue,
    postgresSettings: statementStats ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : undefined,
    cpuProfileDirectory,
    seed: async (owner, ownerUrl) => {
      console.error(`payout bench: seeding ${payouts.toLocaleString('en-US')} partners with sessions and balances…`);
      const tokens = await seedPayoutPartners(owner, ownerUrl, payouts, amount);
      const adminId = randomUUID();
      await owner.query(`INSERT INTO users (id, email, password_hash, role, totp_secret) VALUES ($1, 'approver@bench.invalid', 'not-a-login', 'admin', 'JBSWY3DPEHPK3PXP')`, [adminId]);
      seeded = { tokens, adminId };
    },
  });
  const owner = { client: stack.owner };
  try {
    const { tokens, adminId } = seeded!;
    const { client, worker, processes, description, temporal } = stack;
    const apiUrl = stack.apiUrl;
    console.error(`payout bench: ${payouts.toLocaleString('en-US')} payouts, ${concurrency} in flight…`);
    if (statementStats) {
      await owner.client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await owner.client.query('SELECT pg_stat_statements_reset()');
    }
    const lifecycleCpuBefore = await cpuSnapshot(processes(worker.pid));
    const lifecycle = await measureLifecycle({ apiUrl, client, tokens, adminId, worker, owner: owner.client });
    const lifecycleCpu = cpuDelta(lifecycleCpuBefore, await cpuSnapshot(processes(worker.pid)));
    const statements = statementStats ? await costliestStatements(owner.client, lifecycle.completed) : '';
    const batches = await owner.client.query<{ batches: string; items: string; average: string }>(
      `SELECT count(DISTINCT b.id) AS batches, count(*) AS items, round(count(*)::numeric / greatest(count(DISTINCT b.id), 1), 1) AS average
       FROM payout_batches b JOIN payout_batch_items i ON i.batch_id = b.id`,
    );
    const batchLine = batches.rows[0]!;
    await stopProcess(worker);

    console.error(`payout bench: ceiling, ${payouts.toLocaleString('en-US')} no-op workflows…`);
    const ceilingWorker = await stack.startChild('ceiling worker', 'bench/ceiling/worker.ts', { TEMPORAL_ADDRESS: temporal.address, BENCH_TASK_QUEUE: ceilingQueue }, /ceiling worker polling/);
    const ceilingCpuBefore = await cpuSnapshot(processes(ceilingWorker.pid));
    const ceiling = await measureCeiling({ client, worker: ceilingWorker });
    const ceilingCpu = cpuDelta(ceilingCpuBefore, await cpuSnapshot(processes(ceilingWorker.pid)));

    const rate = (phase: Phase) => phase.completed / phase.seconds;
    const share = rate(lifecycle) / rate(ceiling);
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const table = [
      '| measure | lifecycle | ceiling (no-op) | goal | met |',
      '|---|---|---|---|---|',
      `| completed/s | ${rate(lifecycle).toFixed(1)} | ${rate(ceiling).toFixed(1)} | ≥ 50/s | ${rate(lifecycle) >= 50 ? 'yes' : 'no'} |`,
      `| share of the ceiling | ${(share * 100).toFixed(0)} % | 100 % | ≥ 70 % | ${share >= 0.7 ? 'yes' : 'no'} |`,
      `| request creation p50 / p99 | ${ms(percentile(lifecycle.createMs, 0.5))} / ${ms(percentile(lifecycle.createMs, 0.99))} | ${ms(percentile(ceiling.createMs, 0.5))} / ${ms(percentile(ceiling.createMs, 0.99))} (start) | p99 < 200 ms | ${percentile(lifecycle.createMs, 0.99) < 200 ? 'yes' : 'no'} |`,
      `| request → COMPLETED p50 / p99 | ${ms(percentile(lifecycle.lifecycleMs, 0.5))} / ${ms(percentile(lifecycle.lifecycleMs, 0.99))} | ${ms(percentile(ceiling.lifecycleMs, 0.5))} / ${ms(percentile(ceiling.lifecycleMs, 0.99))} | — | — |`,
      `| worker peak RSS | ${lifecycle.workerPeakRssMb.toFixed(0)} MiB | ${ceiling.workerPeakRssMb.toFixed(0)} MiB | — | — |`,
      `| wall time | ${lifecycle.seconds.toFixed(1)} s | ${ceiling.seconds.toFixed(1)} s | — | — |`,
    ].join('\n');
    // Where the CPU went: seconds per process over each phase, and milliseconds per completed payout.
    const cpu = cpuTable(
      [
        { title: 'lifecycle', usage: lifecycleCpu, items: lifecycle.completed, seconds: lifecycle.seconds },
        { title: 'ceiling (no-op)', usage: ceilingCpu, items: ceiling.completed, seconds: ceiling.seconds },
      ],
      'payout',
    );
    const report = [
      '# Payout lifecycle benchmark',
      '',
      `${new Date().toISOString()} · ${description} · Temporal dev server ${temporalInMemory ? 'in memory' : 'on a SQLite file'} · ${os.cpus().length} cores, load average ${loadAverageAtStart.toFixed(2)} at start`,
      `${payouts.toLocaleString('en-US')} PAYQUICKER payouts of ${amount} USD, ${concurrency} in flight; sandbox settles after ${sandboxDelayMs} ms; ${batchLine.batches} provider batches (${batchLine.average} payouts each on average, ${batchLine.items} sends). Approvals refused because the checklist had not finished yet, then resent: ${lifecycle.refusedApprovals}.`,
      '',
      table,
      '',
      cpu,
      '',
      ...(statements ? [statements, ''] : []),
      `Total run time ${((Date.now() - startedAt) / 1000).toFixed(0)} s. Command: \`npm run bench:payouts\`.`,
      '',
    ].join('\n');
    console.log(report);
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, report);
  } catch (error) {
    printChildOutputs();
    throw error;
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`payout bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
