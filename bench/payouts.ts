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
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import pg from 'pg';
import { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import type { Refusal } from '../domain/errors.ts';
import { formatMoney } from '../domain/money.ts';
import { findTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../stack/temporal.ts';
import { freePort } from '../stack/ports.ts';
import { approvePayoutUpdate, payoutRefusedType } from '../workflows/payout-messages.ts';
import { approveCeilingUpdate, providerResultCeilingSignal, type ceilingWorkflow } from './ceiling/workflows.ts';
import { describeServer, freshDatabase, nonNegativeNumber, positiveNumber, postmasterPid, processTreeCpuSeconds, resolveServer } from './support.ts';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const repositoryRoot = path.resolve(benchDirectory, '..');
const databaseName = 'ledgerflow_payout_bench';
const bun = createRequire(import.meta.url).resolve('bun/bin/bun.exe');

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
const webhookSecret = 'whsec_payout_bench';
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

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** CPU seconds each process (with its children) has used so far; this benchmark's own process under "bench client". */
async function cpuSnapshot(processes: Record<string, number | undefined>): Promise<Map<string, number>> {
  const snapshot = new Map<string, number>();
  for (const [name, pid] of Object.entries(processes)) {
    const seconds = pid === undefined ? undefined : await processTreeCpuSeconds(pid);
    if (seconds !== undefined) snapshot.set(name, seconds);
  }
  const own = process.cpuUsage();
  snapshot.set('bench client', (own.user + own.system) / 1e6);
  return snapshot;
}

function cpuDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)]));
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Peak resident set size of a process so far (Linux: VmHWM), in MiB. */
function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A child process with its output kept (the last 64 KiB) for the error report; resolves once `ready` is printed. */
const childOutputs = new Map<string, () => string>();

async function startChild(name: string, script: string, environment: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  const profiled = cpuProfileDirectory !== undefined && (script === 'api/server.ts' || script === 'workers/main.ts');
  const flags = profiled ? ['--cpu-prof', '--cpu-prof-md', `--cpu-prof-dir=${cpuProfileDirectory}`, `--cpu-prof-name=${path.basename(script, '.ts')}.cpuprofile`] : [];
  const child = spawn(bun, [...flags, script], { cwd: repositoryRoot, env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65_536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  childOutputs.set(name, () => output);
  const deadline = Date.now() + 120_000;
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${name} did not start within 120 s:\n${output}`);
    await sleep(50);
  }
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`payout bench: ${name} exited with ${code}:\n${output}`);
  });
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Runs `work(index)` for 0..count-1 with `limit` at a time. */
async function pool(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Partners who have been members for 60 days, KYC approved, each with a session and `amount` available. */
async function seed(owner: pg.Client, ownerUrl: string): Promise<{ tokens: string[]; adminId: string }> {
  const tokens = Array.from({ length: payouts }, () => randomBytes(32).toString('base64url'));
  const hashes = tokens.map((token) => createHash('sha256').update(token).digest());
  await owner.query(`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    SELECT 'bp' || lpad(g::text, 6, '0'), 'Bench Partner ' || g, '1', 'ACTIVE', 'APPROVED', now() - interval '60 days'
    FROM generate_series(1, $1) AS g`, [payouts]);
  await owner.query(`
    INSERT INTO users (id, email, password_hash, role, partner_id)
    SELECT gen_random_uuid(), 'bp' || lpad(g::text, 6, '0') || '@bench.invalid', 'not-a-login', 'partner', 'bp' || lpad(g::text, 6, '0')
    FROM generate_series(1, $1) AS g`, [payouts]);
  await owner.query(`
    INSERT INTO sessions (token_hash, user_id, expires_at)
    SELECT hash, u.id, now() + interval '1 day'
    FROM unnest($1::bytea[]) WITH ORDINALITY AS t (hash, g)
    JOIN users u ON u.email = 'bp' || lpad(g::text, 6, '0') || '@bench.invalid'`, [hashes]);
  const adminId = randomUUID();
  await owner.query(`INSERT INTO users (id, email, password_hash, role, totp_secret) VALUES ($1, 'approver@bench.invalid', 'not-a-login', 'admin', 'JBSWY3DPEHPK3PXP')`, [adminId]);
  await owner.query(`INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.011, 'bench')`);

  const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 4 });
  try {
    const ledger = new LedgerStore(database);
    for (let start = 0; start < payouts; start += 1_000) {
      const chunk = Array.from({ length: Math.min(1_000, payouts - start) }, (_, offset) => `bp${String(start + offset + 1).padStart(6, '0')}`);
      await ledger.postEntries(
        chunk.map((partnerId) => ({
          idempotencyKey: `bench-opening-${partnerId}`,
          kind: 'opening_balance',
          description: 'payout bench opening balance',
          metadata: { partnerId },
          postings: [
            { account: { ownerType: 'platform' as const, ownerId: 'platform', bucket: 'commission_expense' as const, currency: 'USD' }, amount: formatMoney(`-${amount}`, 'USD') },
            { account: { ownerType: 'partner' as const, ownerId: partnerId, bucket: 'available' as const, currency: 'USD' }, amount },
          ],
        })),
      );
    }
  } finally {
    await database.end();
  }
  return { tokens, adminId };
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
  const server = await resolveServer('payout bench', durable, statementStats ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : undefined);
  const scratch = path.join(os.tmpdir(), `ledgerflow-payout-bench-${process.pid}`);
  const owner = { client: undefined as pg.Client | undefined };
  const children: ChildProcess[] = [];
  let temporal: TemporalDevServer | undefined;
  let connection: Connection | undefined;
  try {
    const ownerUrl = await freshDatabase(server.adminUrl, databaseName);
    await migrate(ownerUrl);
    owner.client = new pg.Client({ connectionString: ownerUrl });
    await owner.client.connect();
    const description = await describeServer(owner.client, server.label);
    console.error(`payout bench: ${description}`);
    console.error(`payout bench: seeding ${payouts.toLocaleString('en-US')} partners with sessions and balances…`);
    const { tokens, adminId } = await seed(owner.client, ownerUrl);

    const temporalPort = await freePort();
    temporal = await startTemporalDevServer({
      cli: await findTemporalCli({ TEMPORAL_CLI: undefined }),
      port: temporalPort,
      uiPort: await freePort(),
      databaseFile: temporalInMemory ? undefined : path.join(scratch, 'temporal.sqlite'),
      headless: true,
      logFile: path.join(scratch, 'temporal.log'),
      namespace: 'default',
    });
    const apiPort = await freePort();
    const sandboxPort = await freePort();
    const environment = {
      DATABASE_URL: ownerUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      PORT: String(apiPort),
      LEDGERFLOW_TASK_QUEUE: taskQueue,
      LEDGERFLOW_SCHEDULES: '0',
      LEDGERFLOW_PROVIDER_URL: `http://127.0.0.1:${sandboxPort}`,
      LEDGERFLOW_PROVIDER_WEBHOOK_SECRET: webhookSecret,
      LEDGERFLOW_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    };
    const sandbox = await startChild('sandbox provider', 'providers/sandbox/server.ts', { SANDBOX_PORT: String(sandboxPort), SANDBOX_WEBHOOK_SECRET: webhookSecret, SANDBOX_DELAY_MS: String(sandboxDelayMs) }, /listening/);
    children.push(sandbox);
    const api = await startChild('API', 'api/server.ts', environment, /API listening/);
    children.push(api);
    const worker = await startChild('worker', 'workers/main.ts', environment, /worker polling task queue/);
    children.push(worker);
    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });

    const postgresPid = await postmasterPid(owner.client);
    const processes = (workerPid: number | undefined) => ({
      'Temporal server': temporal!.process.pid,
      PostgreSQL: postgresPid,
      API: api.pid,
      worker: workerPid,
      'sandbox provider': sandbox.pid,
    });

    console.error(`payout bench: ${payouts.toLocaleString('en-US')} payouts, ${concurrency} in flight…`);
    if (statementStats) {
      await owner.client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await owner.client.query('SELECT pg_stat_statements_reset()');
    }
    const lifecycleCpuBefore = await cpuSnapshot(processes(worker.pid));
    const lifecycle = await measureLifecycle({ apiUrl: `http://127.0.0.1:${apiPort}`, client, tokens, adminId, worker, owner: owner.client });
    const lifecycleCpu = cpuDelta(lifecycleCpuBefore, await cpuSnapshot(processes(worker.pid)));
    const statements = statementStats ? await costliestStatements(owner.client, lifecycle.completed) : '';
    const batches = await owner.client.query<{ batches: string; items: string; average: string }>(
      `SELECT count(DISTINCT b.id) AS batches, count(*) AS items, round(count(*)::numeric / greatest(count(DISTINCT b.id), 1), 1) AS average
       FROM payout_batches b JOIN payout_batch_items i ON i.batch_id = b.id`,
    );
    const batchLine = batches.rows[0]!;
    await stopChild(worker);

    console.error(`payout bench: ceiling, ${payouts.toLocaleString('en-US')} no-op workflows…`);
    const ceilingWorker = await startChild('ceiling worker', 'bench/ceiling/worker.ts', { TEMPORAL_ADDRESS: temporal.address, BENCH_TASK_QUEUE: ceilingQueue }, /ceiling worker polling/);
    children.push(ceilingWorker);
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
    const cpuNames = [...new Set([...lifecycleCpu.keys(), ...ceilingCpu.keys()])];
    const cpuCell = (usage: Map<string, number>, phase: Phase, name: string) => {
      const seconds = usage.get(name);
      return seconds === undefined ? '–' : `${seconds.toFixed(1)} s (${((1000 * seconds) / phase.completed).toFixed(1)} ms)`;
    };
    const total = (usage: Map<string, number>) => [...usage.values()].reduce((sum, seconds) => sum + seconds, 0);
    const cpuTable = [
      '| CPU by process: seconds (per payout) | lifecycle | ceiling (no-op) |',
      '|---|---|---|',
      ...cpuNames.map((name) => `| ${name} | ${cpuCell(lifecycleCpu, lifecycle, name)} | ${cpuCell(ceilingCpu, ceiling, name)} |`),
      `| all of them | ${total(lifecycleCpu).toFixed(1)} s (${((1000 * total(lifecycleCpu)) / lifecycle.completed).toFixed(1)} ms) | ${total(ceilingCpu).toFixed(1)} s (${((1000 * total(ceilingCpu)) / ceiling.completed).toFixed(1)} ms) |`,
      `| machine capacity over the phase (${os.cpus().length} cores × wall time) | ${(os.cpus().length * lifecycle.seconds).toFixed(1)} s | ${(os.cpus().length * ceiling.seconds).toFixed(1)} s |`,
    ].join('\n');
    const report = [
      '# Payout lifecycle benchmark',
      '',
      `${new Date().toISOString()} · ${description} · Temporal dev server ${temporalInMemory ? 'in memory' : 'on a SQLite file'} · ${os.cpus().length} cores, load average ${loadAverageAtStart.toFixed(2)} at start`,
      `${payouts.toLocaleString('en-US')} PAYQUICKER payouts of ${amount} USD, ${concurrency} in flight; sandbox settles after ${sandboxDelayMs} ms; ${batchLine.batches} provider batches (${batchLine.average} payouts each on average, ${batchLine.items} sends). Approvals refused because the checklist had not finished yet, then resent: ${lifecycle.refusedApprovals}.`,
      '',
      table,
      '',
      cpuTable,
      '',
      ...(statements ? [statements, ''] : []),
      `Total run time ${((Date.now() - startedAt) / 1000).toFixed(0)} s. Command: \`npm run bench:payouts\`.`,
      '',
    ].join('\n');
    console.log(report);
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, report);
  } catch (error) {
    for (const [name, output] of childOutputs) console.error(`--- ${name} (last output) ---\n${output().slice(-4_000)}`);
    throw error;
  } finally {
    await connection?.close();
    for (const child of children.reverse()) await stopChild(child);
    await temporal?.stop();
    await owner.client?.end();
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`payout bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
