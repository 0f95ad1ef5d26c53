/**
 * What every benchmark needs: a PostgreSQL server (DATABASE_URL's, or an embedded one in a temporary directory),
 * a freshly created database on it, a line describing the server's settings, and numeric settings from the
 * environment. For the benchmarks of the whole stack (bench/payouts.ts, bench/pay-runs.ts): the processes
 * `npm start` runs, each its own (`startPayoutStack`), partners seeded with sessions and balances
 * (`seedPayoutPartners`), and the CPU each process used over a phase, read from /proc (`cpuSnapshot`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import { formatMoney } from '../domain/money.ts';
import { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../stack/postgres.ts';
import { removeCluster } from '../stack/postgres-location.ts';
import { freePort } from '../stack/ports.ts';
import { findTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../stack/temporal.ts';

export interface Server {
  adminUrl: string;
  label: string;
  stop(): Promise<void>;
}

/** DATABASE_URL's server when set (we neither start nor stop it), otherwise an embedded one in a temporary directory. */
export async function resolveServer(name: string, durable: boolean, settings?: Record<string, string>): Promise<Server> {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    return { adminUrl: process.env.DATABASE_URL, label: `external server ${url.hostname}:${url.port || 5432}`, stop: async () => {} };
  }
  const directory = path.join(os.tmpdir(), `ledgerflow-${name}-postgres-${process.pid}`);
  await removeCluster(directory);
  console.error(`${name}: starting embedded PostgreSQL in ${directory}`);
  const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ directory, port: await freePort(), durable, settings });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await embedded.stop();
    // With its cluster in the fallback directory when the server's user cannot reach TMPDIR (as root).
    await removeCluster(directory);
    await rm(`${directory}.log`, { force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stop().finally(() => process.exit(130)));
  }
  return { adminUrl: embedded.ownerUrl('postgres'), label: `embedded server (port ${embedded.port})`, stop };
}

/** Drops and recreates the database on the server; returns the owner's URL of it. */
export async function freshDatabase(adminUrl: string, databaseName: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(databaseName)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

export async function describeServer(ownerClient: pg.Client, label: string): Promise<string> {
  const settings = ['server_version', 'shared_buffers', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'max_wal_size'];
  const { rows } = await ownerClient.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name`,
    [settings],
  );
  const values = new Map(rows.map((row) => [row.name, row.setting]));
  return `PostgreSQL ${values.get('server_version')}, ${label}: ` +
    settings.slice(1).map((name) => `${name}=${values.get(name)}`).join(', ');
}

export function positiveNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

export function nonNegativeNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be zero or a positive number`);
  return value;
}

/**
 * CPU seconds (user + system) a process and all its descendants have used so far, from /proc: the live ones'
 * own time plus what exited children left in their parents' cutime/cstime. Undefined off Linux or for a pid that
 * is not here.
 */
export async function processTreeCpuSeconds(root: number): Promise<number | undefined> {
  const stats = new Map<number, { parent: number; own: number; children: number }>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // After the command name: state is field 3, ppid 4, utime/stime 14/15, cutime/cstime 16/17 (clock ticks).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), {
        parent: Number(fields[1]),
        own: (Number(fields[11]) + Number(fields[12])) / 100,
        children: (Number(fields[13]) + Number(fields[14])) / 100,
      });
    } catch {
      // The process exited while we looked.
    }
  }
  if (!stats.has(root)) return undefined;
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const stat = stats.get(pid)!;
    total += stat.own + stat.children;
    for (const [child, candidate] of stats) if (candidate.parent === pid) pending.push(child);
  }
  return total;
}

/** The postmaster's pid of a server on this machine (the parent of its checkpointer), or undefined for a remote one. */
export async function postmasterPid(ownerClient: pg.Client): Promise<number | undefined> {
  const { rows } = await ownerClient.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`);
  const checkpointer = rows[0]?.pid;
  if (checkpointer === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${checkpointer}/status`, 'utf8');
    const comm = (await readFile(`/proc/${checkpointer}/comm`, 'utf8')).trim();
    if (comm !== 'postgres') return undefined;
    return Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** Runs `work(index)` for 0..count-1 with `limit` at a time. */
export async function pool(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat; zero where that file does not exist. */
export async function machineCpuSeconds(): Promise<{ busy: number }> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
    // Fields: user nice system idle iowait irq softirq steal, in clock ticks (USER_HZ, 100 on Linux).
    const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
    return { busy: (user! + nice! + system! + irq! + softirq! + steal!) / 100 };
  } catch {
    return { busy: 0 };
  }
}

/** The key of `cpuSnapshot`'s busy CPU of the whole machine, every program on it included. */
const machineKey = 'machine';

/**
 * CPU seconds each process (with its children) has used so far; this benchmark's own process under "bench client";
 * and the whole machine's busy seconds (so a report can say what other programs took meanwhile).
 */
export async function cpuSnapshot(processes: Record<string, number | undefined>): Promise<Map<string, number>> {
  const snapshot = new Map<string, number>();
  for (const [name, pid] of Object.entries(processes)) {
    const seconds = pid === undefined ? undefined : await processTreeCpuSeconds(pid);
    if (seconds !== undefined) snapshot.set(name, seconds);
  }
  const own = process.cpuUsage();
  snapshot.set('bench client', (own.user + own.system) / 1e6);
  const machine = (await machineCpuSeconds()).busy;
  if (machine > 0) snapshot.set(machineKey, machine);
  return snapshot;
}

export function cpuDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)]));
}

/** Peak resident set size of a process so far (Linux: VmHWM), in MiB. */
export function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bun = createRequire(import.meta.url).resolve('bun/bin/bun.exe');

/** Every child started with `startChild`, with its output kept (the last 64 KiB) for the error report. */
const childOutputs = new Map<string, () => string>();

/** The last output of every child started, for the report of a failed run. */
export function printChildOutputs(): void {
  for (const [name, output] of childOutputs) console.error(`--- ${name} (last output) ---\n${output().slice(-4_000)}`);
}

/**
 * Starts `bun <script>` in the repository with `environment` added; resolves once its output matches `ready`.
 * `cpuProfileDirectory`: the API and the worker run under Bun's sampling profiler, writing markdown profiles there.
 */
export async function startChild(
  name: string,
  script: string,
  environment: NodeJS.ProcessEnv,
  ready: RegExp,
  options: { cpuProfileDirectory?: string; logPrefix?: string } = {},
): Promise<ChildProcess> {
  const { cpuProfileDirectory } = options;
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
    if (code !== 0 && signal === null) console.error(`${options.logPrefix ?? 'bench'}: ${name} exited with ${code}:\n${output}`);
  });
  return child;
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** The id of the i-th (from 0) seeded partner: bp000001… */
export function benchPartnerId(index: number): string {
  return `bp${String(index + 1).padStart(6, '0')}`;
}

/**
 * `count` partners who have been members for 60 days, KYC approved (names of letters only, valid account holder names), each with a session (the tokens, in partner
 * order) and `amount` USD available (an opening-balance entry from the platform's commission expense). Also a RUB
 * rate (the approval chain and the checklist's caps need one).
 */
export async function seedPayoutPartners(owner: pg.Client, ownerUrl: string, count: number, amount: string): Promise<string[]> {
  const tokens = Array.from({ length: count }, () => randomBytes(32).toString('base64url'));
  const hashes = tokens.map((token) => createHash('sha256').update(token).digest());
  await owner.query(`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    SELECT 'bp' || lpad(g::text, 6, '0'), 'Bench Partner ' || translate(lpad(g::text, 6, '0'), '0123456789', 'abcdefghij'), '1', 'ACTIVE', 'APPROVED', now() - interval '60 days'
    FROM generate_series(1, $1) AS g`, [count]);
  await owner.query(`
    INSERT INTO users (id, email, password_hash, role, partner_id)
    SELECT gen_random_uuid(), 'bp' || lpad(g::text, 6, '0') || '@bench.invalid', 'not-a-login', 'partner', 'bp' || lpad(g::text, 6, '0')
    FROM generate_series(1, $1) AS g`, [count]);
  await owner.query(`
    INSERT INTO sessions (token_hash, user_id, expires_at)
    SELECT hash, u.id, now() + interval '1 day'
    FROM unnest($1::bytea[]) WITH ORDINALITY AS t (hash, g)
    JOIN users u ON u.email = 'bp' || lpad(g::text, 6, '0') || '@bench.invalid'`, [hashes]);
  await owner.query(`INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.011, 'bench')`);

  const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 4 });
  try {
    const ledger = new LedgerStore(database);
    for (let start = 0; start < count; start += 1_000) {
      const chunk = Array.from({ length: Math.min(1_000, count - start) }, (_, offset) => benchPartnerId(start + offset));
      await ledger.postEntries(
        chunk.map((partnerId) => ({
          idempotencyKey: `bench-opening-${partnerId}`,
          kind: 'opening_balance',
          description: 'bench opening balance',
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
  return tokens;
}

/** An admin user with a TOTP secret and a session: the token signs its requests, `totp()` gives a code of the current step. */
export interface BenchAdmin {
  id: string;
  role: string;
  token: string;
  secret: string;
}

export async function seedAdmin(owner: pg.Client, role: string, name: string, secret: string): Promise<BenchAdmin> {
  const token = randomBytes(32).toString('base64url');
  const { rows } = await owner.query<{ id: string }>(
    `INSERT INTO users (id, email, password_hash, role, totp_secret) VALUES (gen_random_uuid(), $1, 'not-a-login', $2, $3) RETURNING id`,
    [`${name}@bench.invalid`, role, secret],
  );
  const id = rows[0]!.id;
  await owner.query(`INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`, [createHash('sha256').update(token).digest(), id]);
  return { id, role, token, secret };
}

/** The processes `npm start` runs, each its own, on a fresh database: what bench/payouts.ts and bench/pay-runs.ts drive. */
export interface PayoutStack {
  ownerUrl: string;
  /** The database owner's connection (seeding, checks). */
  owner: pg.Client;
  /** The server's settings in one line. */
  description: string;
  temporal: TemporalDevServer;
  client: Client;
  apiUrl: string;
  api: ChildProcess;
  worker: ChildProcess;
  sandbox: ChildProcess;
  postgresPid: number | undefined;
  /** The pids whose CPU is reported, with the worker of the phase (the real one, or the ceiling's). */
  processes(workerPid: number | undefined): Record<string, number | undefined>;
  /** Starts another child (the ceiling's worker), stopped with the stack. */
  startChild(name: string, script: string, environment: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess>;
  stop(): Promise<void>;
}

export interface PayoutStackOptions {
  /** The prefix of progress lines ("payout bench"). */
  name: string;
  databaseName: string;
  durable: boolean;
  /** The Temporal dev server in memory instead of on a SQLite file (as `npm start` keeps it). */
  temporalInMemory: boolean;
  sandboxDelayMs: number;
  taskQueue: string;
  postgresSettings?: Record<string, string>;
  cpuProfileDirectory?: string;
  /** Seeds the migrated database before the Temporal server and the services start. */
  seed(owner: pg.Client, ownerUrl: string): Promise<void>;
}

/**
 * PostgreSQL (embedded in a temporary directory unless DATABASE_URL names a server) with a fresh migrated database,
 * seeded by `options.seed`; then a Temporal dev server, the sandbox payment provider, the API and the worker, each
 * its own process on free ports. On a failure everything started is stopped, with the children's last output printed.
 */
export async function startPayoutStack(options: PayoutStackOptions): Promise<PayoutStack> {
  const webhookSecret = 'whsec_payout_bench';
  const scratch = path.join(os.tmpdir(), `ledgerflow-${options.databaseName}-${process.pid}`);
  const children: ChildProcess[] = [];
  let owner: pg.Client | undefined;
  let temporal: TemporalDevServer | undefined;
  let connection: Connection | undefined;
  const server = await resolveServer(options.name, options.durable, options.postgresSettings);
  const stop = async () => {
    await connection?.close();
    for (const child of children.reverse()) await stopChild(child);
    await temporal?.stop();
    await owner?.end();
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    const ownerUrl = await freshDatabase(server.adminUrl, options.databaseName);
    await migrate(ownerUrl);
    owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    const description = await describeServer(owner, server.label);
    console.error(`${options.name}: ${description}`);
    await options.seed(owner, ownerUrl);

    temporal = await startTemporalDevServer({
      cli: await findTemporalCli({ TEMPORAL_CLI: undefined }),
      port: await freePort(),
      uiPort: await freePort(),
      databaseFile: options.temporalInMemory ? undefined : path.join(scratch, 'temporal.sqlite'),
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
      LEDGERFLOW_TASK_QUEUE: options.taskQueue,
      LEDGERFLOW_SCHEDULES: '0',
      LEDGERFLOW_PROVIDER_URL: `http://127.0.0.1:${sandboxPort}`,
      LEDGERFLOW_PROVIDER_WEBHOOK_SECRET: webhookSecret,
      LEDGERFLOW_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
    };
    const start = async (name: string, script: string, env: NodeJS.ProcessEnv, ready: RegExp) => {
      const child = await startChild(name, script, env, ready, { cpuProfileDirectory: options.cpuProfileDirectory, logPrefix: options.name });
      children.push(child);
      return child;
    };
    const sandbox = await start('sandbox provider', 'providers/sandbox/server.ts', { SANDBOX_PORT: String(sandboxPort), SANDBOX_WEBHOOK_SECRET: webhookSecret, SANDBOX_DELAY_MS: String(options.sandboxDelayMs) }, /listening/);
    const api = await start('API', 'api/server.ts', environment, /API listening/);
    const worker = await start('worker', 'workers/main.ts', environment, /worker polling task queue/);
    connection = await Connection.connect({ address: temporal.address });
    const postgresPid = await postmasterPid(owner);
    const temporalPid = temporal.process.pid;
    return {
      ownerUrl,
      owner,
      description,
      temporal,
      client: new Client({ connection }),
      apiUrl: `http://127.0.0.1:${apiPort}`,
      api,
      worker,
      sandbox,
      postgresPid,
      processes: (workerPid) => ({ 'Temporal server': temporalPid, PostgreSQL: postgresPid, API: api.pid, worker: workerPid, 'sandbox provider': sandbox.pid }),
      startChild: start,
      stop,
    };
  } catch (error) {
    printChildOutputs();
    await stop();
    throw error;
  }
}

/**
 * CPU seconds per process over phases, and per item of each phase (ms), as a markdown table; with what other
 * programs on the machine took meanwhile (the machine's busy time less the processes listed), where /proc/stat says.
 */
export function cpuTable(phases: { title: string; usage: Map<string, number>; items: number; seconds: number }[], unit: string): string {
  const names = [...new Set(phases.flatMap((phase) => [...phase.usage.keys()]))].filter((name) => name !== machineKey);
  const cell = (phase: (typeof phases)[number], seconds: number | undefined) =>
    seconds === undefined ? '–' : `${seconds.toFixed(1)} s (${((1000 * seconds) / phase.items).toFixed(1)} ms)`;
  const total = (usage: Map<string, number>) => [...usage].filter(([name]) => name !== machineKey).reduce((sum, [, seconds]) => sum + seconds, 0);
  const others = (usage: Map<string, number>) => (usage.has(machineKey) ? `${Math.max(0, usage.get(machineKey)! - total(usage)).toFixed(1)} s` : '–');
  return [
    `| CPU by process: seconds (per ${unit}) | ${phases.map((phase) => phase.title).join(' | ')} |`,
    `|---|${phases.map(() => '---').join('|')}|`,
    ...names.map((name) => `| ${name} | ${phases.map((phase) => cell(phase, phase.usage.get(name))).join(' | ')} |`),
    `| all of them | ${phases.map((phase) => cell(phase, total(phase.usage))).join(' | ')} |`,
    `| other programs on the machine meanwhile | ${phases.map((phase) => others(phase.usage)).join(' | ')} |`,
    `| machine capacity over the phase (${os.cpus().length} cores × wall time) | ${phases.map((phase) => `${(os.cpus().length * phase.seconds).toFixed(1)} s`).join(' | ')} |`,
  ].join('\n');
}
