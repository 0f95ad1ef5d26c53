import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { migrate } from '../db/migrate.ts';
import { ConfigError, dataPaths, loadConfig, type Config } from './config.ts';
import { resolveDatabase } from './postgres.ts';
import { freePort } from './ports.ts';
import { ServerKeeper, type RestartableServer } from './supervise.ts';
import {
  commandLineOf,
  isProcessAlive,
  oneLine,
  readStackState,
  readStackStateFile,
  removeStackState,
  StackError,
  writeStackState,
} from './state.ts';
import { findClusterBinaries } from './cluster-binaries.ts';
import { clusterServices, startTemporalCluster, type ClusterService, type ClusterServiceProcess } from './cluster.ts';
import {
  connectTemporal,
  ensureSearchAttributes,
  findTemporalCli,
  startTemporalDevServer,
} from './temporal.ts';

/**
 * The supervisor behind `npm start`: brings up PostgreSQL and Temporal (embedded unless DATABASE_URL and
 * TEMPORAL_ADDRESS name external ones), migrates, seeds the demo, then runs the worker and the API as child
 * processes and restarts them when they die, as it restarts the embedded PostgreSQL and the Temporal dev server
 * (stack/supervise.ts). Ctrl-C stops everything in reverse order; data persists in
 * LEDGERFLOW_DATA_DIR, so the next start resumes where this one stopped.
 *
 * Children run under the same runtime as the supervisor (`process.execPath` with its `execArgv`), so
 * `bun stack/start.ts` runs them with Bun and `node --import <ts loader> stack/start.ts` with Node.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const childStopTimeoutMs = 10_000;
const apiWaitTimeoutMs = 60_000;

interface ChildDefinition {
  name: 'worker' | 'api' | 'sandbox-provider' | 'mail-sink' | 'worker-2' | 'api-2';
  script: string;
  /** Settings of this child only (cluster mode's second API listens on PORT + 1). */
  environment?: NodeJS.ProcessEnv;
}

const childDefinitions: ChildDefinition[] = [
  { name: 'worker', script: path.join(repositoryRoot, 'workers', 'main.ts') },
  { name: 'api', script: path.join(repositoryRoot, 'api', 'server.ts') },
];

/** What to stop on the way out, most recent first. */
const cleanups: { name: string; run: () => Promise<void> }[] = [];
/** Processes to kill outright if we must exit without an orderly shutdown (second Ctrl-C, crash). */
const emergencyKills = new Map<string, () => void>();
let shuttingDown = false;
let shutdownRequestedAt = 0;
let startupComplete = false;

function say(line: string) {
  process.stdout.write(`${line}\n`);
}

/** One line, `ledgerflow: <what failed>: <what to do>`, then an orderly stop of what was started. */
async function fail(error: unknown): Promise<never> {
  // A step interrupted by Ctrl-C (the terminal signals `go install` too) is not worth reporting.
  if (!shuttingDown) {
    const message =
      error instanceof StackError || error instanceof ConfigError
        ? oneLine(error.message)
        : `${startupComplete ? 'supervisor' : 'startup'} failed: ${oneLine((error as Error)?.message ?? String(error))}: see the logs`;
    process.stderr.write(`ledgerflow: ${message}\n`);
  }
  shuttingDown = true;
  await runCleanups();
  if (shutdownRequestedAt > 0) say('ledgerflow: stopped');
  process.exit(shutdownRequestedAt > 0 ? 0 : 1);
}

/** Runs one startup step; a failure that is not already a StackError becomes one naming the step and the advice. */
async function step<T>(name: string, advice: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof StackError || error instanceof ConfigError) throw error;
    throw new StackError(`${name} failed: ${oneLine((error as Error)?.message ?? String(error))}`, advice);
  }
}

/** Called after each startup step has registered its cleanup: a Ctrl-C that arrived during the step acts now. */
async function checkpoint() {
  if (shuttingDown) await stopEverything();
}

function onCleanup(name: string, run: () => Promise<void>) {
  cleanups.push({ name, run });
}

async function runCleanups() {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup.run();
    } catch (error) {
      process.stderr.write(`ledgerflow: stopping ${cleanup.name} failed: ${oneLine((error as Error).message)}\n`);
    }
  }
}

async function stopEverything(): Promise<never> {
  await runCleanups();
  say('ledgerflow: stopped');
  process.exit(0);
}

function onSignal(signal: NodeJS.Signals) {
  // A wrapper (npm, a process manager) may relay the terminal's Ctrl-C that we also received directly: only a
  // second signal at least half a second later is a person insisting.
  if (shuttingDown && Date.now() - shutdownRequestedAt < 500) return;
  if (shuttingDown) {
    process.stderr.write('\nledgerflow: forced exit\n');
    for (const kill of emergencyKills.values()) kill();
    process.exit(130);
  }
  shuttingDown = true;
  shutdownRequestedAt = Date.now();
  say(`\nledgerflow: ${signal} received, stopping (press Ctrl-C again to force)`);
  // During startup the step in progress finishes first, so that what it started is stopped too.
  if (startupComplete) void stopEverything();
}

/**
 * A worker or API process, restarted after it dies unexpectedly. Its output goes to the terminal prefixed with
 * its name, and to its own log file. It runs in its own process group so the terminal's Ctrl-C reaches only the
 * supervisor, which stops the children first and the servers they use last.
 */
class SupervisedChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private quickFailures = 0;
  private readonly log: WriteStream;

  constructor(
    private readonly definition: ChildDefinition,
    private readonly environment: NodeJS.ProcessEnv,
    logDirectory: string,
    private readonly onPidChange: () => void,
  ) {
    this.log = createWriteStream(path.join(logDirectory, `${definition.name}.log`), { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  start() {
    const { name, script } = this.definition;
    const startedAt = Date.now();
    const child = spawn(process.execPath, [...process.execArgv, script], {
      cwd: repositoryRoot,
      env: this.environment,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.log.write(`--- ${new Date().toISOString()} started (pid ${child.pid})\n`);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        (stream === child.stderr ? process.stderr : process.stdout).write(`[${name}] ${line}\n`);
        this.log.write(`${line}\n`);
      });
    }
    child.once('error', (error) => {
      process.stderr.write(`[${name}] could not start: ${error.message}\n`);
    });
    child.once('exit', (code, signal) => {
      this.onPidChange();
      if (this.stopping || shuttingDown) return;
      // A child that dies right after starting (a syntax error, a port in use) is retried more slowly.
      this.quickFailures = Date.now() - startedAt < 10_000 ? this.quickFailures + 1 : 0;
      const delayMs = Math.min(1_000 * 2 ** Math.max(0, this.quickFailures - 3), 30_000);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      process.stderr.write(`[${name}] ${how}; restarting in ${delayMs / 1000} s\n`);
      this.log.write(`--- ${new Date().toISOString()} ${how}\n`);
      this.restartTimer = setTimeout(() => {
        if (!this.stopping && !shuttingDown) this.start();
      }, delayMs);
    });
    this.onPidChange();
  }

  /** SIGTERM to its process group, SIGKILL after 10 s. */
  async stop() {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        process.stderr.write(`[${this.definition.name}] did not stop within ${childStopTimeoutMs / 1000} s; killing it\n`);
        signalGroup(child.pid!, 'SIGKILL');
      }, childStopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  kill() {
    if (this.child?.pid) signalGroup(this.child.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Children a crashed supervisor left running would hold the API port and poll with stale settings. */
async function stopLeftoverChildren(config: Config) {
  const previous = await readStackStateFile(config);
  if (!previous) return;
  for (const [name, pid] of Object.entries(previous.children)) {
    const definition = childDefinitions.find((candidate) => candidate.name === name);
    if (!definition || !isProcessAlive(pid) || !commandLineOf(pid).includes(definition.script)) continue;
    say(`ledgerflow: stopping the ${name} (pid ${pid}) left running by an earlier start`);
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + childStopTimeoutMs;
    while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isProcessAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
}

function waitForPort(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const attempt = () => {
      if (shuttingDown) return resolve(false);
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) resolve(false);
        else setTimeout(attempt, 250);
      });
    };
    attempt();
  });
}

interface DemoCredentials {
  email: string;
  password: string;
  role: string;
  totpSecret?: string;
}

function printCredentials(credentials: DemoCredentials[]) {
  const rows = credentials.map((entry) => [entry.role, entry.email, entry.password, entry.totpSecret ?? '']);
  const header = ['role', 'email', 'password', 'TOTP secret'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: string[]) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd();
  say('Demo logins:');
  say(format(header));
  say(format(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) say(format(row));
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** A server of ours restarted in place when it dies, with a line on the terminal each time (stack/supervise.ts). */
function keepRunning<T extends RestartableServer>(server: T, name: string, keeps: string, start: () => Promise<T>): ServerKeeper<T> {
  return new ServerKeeper(server, {
    name,
    keeps,
    start,
    report: (line) => process.stderr.write(`${line}\n`),
    stackStopping: () => shuttingDown,
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // If the supervisor dies without an orderly shutdown, take the servers and children down with it.
  process.on('exit', () => {
    for (const kill of emergencyKills.values()) kill();
  });
  process.on('uncaughtException', (error) => void fail(error));
  process.on('unhandledRejection', (error) => void fail(error));

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ledgerflow: ${oneLine(error.message)}\n`);
      process.exit(1);
    }
    throw error;
  }
  const paths = dataPaths(config);
  const clusterMode = !config.TEMPORAL_ADDRESS && config.LEDGERFLOW_TEMPORAL === 'cluster';
  if (clusterMode) {
    // Two of each, as on two machines: the second worker leaves the Schedules to the first.
    childDefinitions.push(
      { name: 'worker-2', script: path.join(repositoryRoot, 'workers', 'main.ts'), environment: { LEDGERFLOW_SCHEDULES: '0' } },
      { name: 'api-2', script: path.join(repositoryRoot, 'api', 'server.ts'), environment: { PORT: String(config.PORT + 1) } },
    );
  }

  await step('creating the data directory', `set LEDGERFLOW_DATA_DIR to a writable directory (now ${config.dataDir})`, async () => {
    await mkdir(paths.logs, { recursive: true });
  });

  const running = await readStackState(config);
  if (running && running.pid !== process.pid) {
    throw new StackError(
      `ledgerflow is already running from ${config.dataDir} (pid ${running.pid})`,
      `stop it first (Ctrl-C in its terminal, or kill ${running.pid}), or set LEDGERFLOW_DATA_DIR to another directory`,
    );
  }
  await stopLeftoverChildren(config);

  const startDatabase = () => resolveDatabase(config, { logFile: path.join(paths.logs, 'postgres.log'), detached: true, log: say });
  const database = await step('starting PostgreSQL', 'set DATABASE_URL to an external PostgreSQL', startDatabase);
  if (database.embedded) {
    // Restarted in place when it dies; the URL stays the same, so the API and the worker simply reconnect.
    const server = keepRunning(database.embedded, 'PostgreSQL', `its data in ${paths.postgres}`, async () => (await startDatabase()).embedded!);
    emergencyKills.set('postgres', () => server.kill('SIGQUIT'));
    onCleanup('PostgreSQL', async () => {
      say('ledgerflow: stopping PostgreSQL');
      await server.stop();
      emergencyKills.delete('postgres');
    });
  }
  await checkpoint();
  // Run as root under a private directory, the cluster lives outside the data directory: every start says where.
  const relocatedCluster = database.embedded?.linkedFrom ? database.embedded : undefined;
  say(
    database.embedded
      ? `ledgerflow: PostgreSQL ready (embedded, port ${database.embedded.port}${relocatedCluster ? `, cluster in ${relocatedCluster.directory}` : ''})`
      : 'ledgerflow: using the PostgreSQL at DATABASE_URL',
  );

  const migrations = await step(
    'migrating the database',
    database.embedded
      ? `see ${path.join(paths.logs, 'postgres.log')}`
      : 'check that DATABASE_URL names a PostgreSQL 14+ database whose user may create roles, tables and functions',
    () => migrate(database.ownerUrl),
  );
  await checkpoint();
  say(
    migrations.applied.length > 0
      ? `ledgerflow: applied migrations ${migrations.applied.join(', ')}`
      : `ledgerflow: database schema up to date (${migrations.alreadyApplied} migrations)`,
  );

  let temporalAddress: string;
  let temporalUiUrl: string | undefined;
  if (config.TEMPORAL_ADDRESS) {
    temporalAddress = config.TEMPORAL_ADDRESS;
    temporalUiUrl = config.TEMPORAL_UI_URL;
    await step(
      `connecting to Temporal at ${temporalAddress}`,
      'check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the TLS or API key settings, or unset TEMPORAL_ADDRESS to use a local dev server',
      async () => {
        const connection = await connectTemporal(config);
        try {
          await connection.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE });
          await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
        } finally {
          await connection.close();
        }
      },
    );
    await checkpoint();
    say(`ledgerflow: Temporal ready (${temporalAddress}, namespace ${config.TEMPORAL_NAMESPACE})`);
  } else if (clusterMode) {
    const binaries = await step('finding the Temporal server', 'set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL, or TEMPORAL_ADDRESS to a running cluster', () =>
      findClusterBinaries({ log: say }),
    );
    await checkpoint();
    const clusterDirectory = path.join(config.dataDir, 'temporal-cluster');
    const cluster = await step('starting the Temporal cluster', `see the logs in ${path.join(clusterDirectory, 'logs')}`, () =>
      startTemporalCluster({
        binaries,
        postgresUrl: database.ownerUrl,
        directory: clusterDirectory,
        namespace: config.TEMPORAL_NAMESPACE,
        frontendPort: config.TEMPORAL_DEV_PORT,
        detached: true,
        log: say,
      }),
    );
    // Each service is kept running on its own, as the dev server is: restarted in place with the same configuration.
    const keepers = new Map<ClusterService, ServerKeeper<ClusterServiceProcess>>();
    for (const name of clusterServices) {
      const keeper = keepRunning(cluster.services.get(name)!, `the Temporal ${name} service`, 'its state in PostgreSQL', () => cluster.startService(name));
      keepers.set(name, keeper);
      emergencyKills.set(`temporal-${name}`, () => keeper.kill('SIGKILL'));
    }
    onCleanup('the Temporal cluster', async () => {
      say('ledgerflow: stopping the Temporal cluster');
      for (const name of ['worker', 'frontend', 'matching', 'history'] as const) {
        await keepers.get(name)!.stop();
        emergencyKills.delete(`temporal-${name}`);
      }
    });
    await checkpoint();
    temporalAddress = cluster.address;
    temporalUiUrl = config.TEMPORAL_UI_URL;
    say(`ledgerflow: Temporal cluster ready (${temporalAddress}; ${[...cluster.services.values()].map((service) => `${service.name} pid ${service.process.pid}`).join(', ')}; logs in ${path.join(clusterDirectory, 'logs')})`);
  } else {
    const cli = await step('finding the Temporal CLI', 'set TEMPORAL_CLI to a temporal binary, or TEMPORAL_ADDRESS to a running cluster', () =>
      findTemporalCli(config, { log: say }),
    );
    await checkpoint();
    const startServer = () =>
      startTemporalDevServer({
        cli,
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        databaseFile: paths.temporalDatabase,
        headless: false,
        logFile: path.join(paths.logs, 'temporal.log'),
        namespace: config.TEMPORAL_NAMESPACE,
        detached: true,
      });
    const started = await step('starting the Temporal dev server', `see ${path.join(paths.logs, 'temporal.log')}`, startServer);
    const server = keepRunning(started, 'the Temporal dev server', `its workflows in ${paths.temporalDatabase}`, startServer);
    emergencyKills.set('temporal', () => server.kill('SIGKILL'));
    onCleanup('the Temporal dev server', async () => {
      say('ledgerflow: stopping the Temporal dev server');
      await server.stop();
      emergencyKills.delete('temporal');
    });
    await checkpoint();
    temporalAddress = started.address;
    temporalUiUrl = config.TEMPORAL_UI_URL ?? started.uiUrl;
    say(`ledgerflow: Temporal dev server ready (${temporalAddress})`);
  }

  const apiUrl = `http://localhost:${config.PORT}`;
  const startedAt = new Date().toISOString();
  const children: SupervisedChild[] = [];
  const saveState = () =>
    writeStackState(config, {
      databaseUrl: database.ownerUrl,
      temporalAddress,
      temporalNamespace: config.TEMPORAL_NAMESPACE,
      temporalUiUrl: temporalUiUrl ?? null,
      apiUrl,
      pid: process.pid,
      startedAt,
      children: Object.fromEntries(
        children.flatMap((child, index) => (child.pid ? [[childDefinitions[index]!.name, child.pid]] : [])),
      ),
    });
  await step('writing the stack state', `set LEDGERFLOW_DATA_DIR to a writable directory (now ${config.dataDir})`, saveState);
  // Rewritten when a child restarts; serialised, so an older write never lands after a newer one.
  let stateWrite = Promise.resolve();
  const onPidChange = () => {
    if (shuttingDown) return;
    stateWrite = stateWrite.then(saveState).catch(() => {});
  };
  onCleanup('the stack state file', async () => {
    await stateWrite;
    await removeStackState(config);
  });
  await checkpoint();

  if (config.LEDGERFLOW_DEMO) {
    const demo = await step('seeding the demo data', 'set LEDGERFLOW_DEMO=0 to start without demo data', async () => {
      // Loaded only when wanted: the demo's dependencies stay out of a production start.
      const { seedDemo } = await import('./demo.ts');
      return seedDemo({
        databaseUrl: database.ownerUrl,
        temporalAddress,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.LEDGERFLOW_TASK_QUEUE,
      });
    });
    await checkpoint();
    if (demo.created) say('ledgerflow: demo data created');
    printCredentials(demo.credentials);
  }

  // Without a configured payment provider the sandbox provider runs alongside, so AUTOMATIC payout methods are
  // paid (and can be made to fail) on one machine; its secret is new on every start, like its in-memory state.
  const sandbox = config.LEDGERFLOW_PROVIDER_URL
    ? null
    : { port: await freePort(), secret: randomBytes(24).toString('base64url') };
  if (sandbox) childDefinitions.push({ name: 'sandbox-provider', script: path.join(repositoryRoot, 'providers', 'sandbox', 'server.ts') });
  // Without a configured SMTP relay a local mail sink runs alongside: notifications go out over real SMTP and land
  // in a file in the data directory instead of anyone's inbox.
  const mailSink = config.LEDGERFLOW_SMTP_URL ? null : { port: await freePort(), file: path.join(config.dataDir, 'mail.mbox') };
  if (mailSink) childDefinitions.push({ name: 'mail-sink', script: path.join(repositoryRoot, 'stack', 'mail-sink.ts') });
  const missing = childDefinitions.find((definition) => !existsSync(definition.script));
  if (missing) {
    throw new StackError(`${path.relative(repositoryRoot, missing.script)} is missing`, 'restore it (git checkout -- .) and start again');
  }
  const childEnvironment: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.ownerUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    // The API links each lifecycle to its history in the Temporal UI.
    ...(temporalUiUrl ? { TEMPORAL_UI_URL: temporalUiUrl } : {}),
    ...(sandbox
      ? {
          SANDBOX_PORT: String(sandbox.port),
          SANDBOX_WEBHOOK_SECRET: sandbox.secret,
          LEDGERFLOW_PROVIDER_URL: `http://127.0.0.1:${sandbox.port}`,
          LEDGERFLOW_PROVIDER_WEBHOOK_SECRET: sandbox.secret,
        }
      : {}),
    ...(mailSink
      ? { MAIL_SINK_PORT: String(mailSink.port), MAIL_SINK_FILE: mailSink.file, LEDGERFLOW_SMTP_URL: `smtp://127.0.0.1:${mailSink.port}` }
      : {}),
  };
  for (const definition of childDefinitions) {
    const child = new SupervisedChild(definition, { ...childEnvironment, ...definition.environment }, paths.logs, onPidChange);
    children.push(child);
    emergencyKills.set(definition.name, () => child.kill());
    child.start();
  }
  onCleanup('the worker and the API', async () => {
    say(`ledgerflow: stopping the worker and the API${sandbox ? ' and the sandbox payment provider' : ''}`);
    await Promise.all(children.map((child) => child.stop()));
    for (const definition of childDefinitions) emergencyKills.delete(definition.name);
  });
  startupComplete = true;
  await checkpoint();

  const apiAnswers = await waitForPort(config.PORT, apiWaitTimeoutMs);
  if (shuttingDown) return;
  say('');
  say(`ledgerflow is running${apiAnswers ? '' : ` (the API is not answering on port ${config.PORT} yet; see its output above)`}`);
  say(`  Web console  ${apiUrl}/app/ (admins and partners sign in with the logins above)`);
  say(`  API          ${apiUrl}`);
  if (clusterMode) say(`  Second API   http://localhost:${config.PORT + 1} (the same service, another process; two workers poll ${config.LEDGERFLOW_TASK_QUEUE})`);
  say(`  API docs     ${apiUrl}/docs`);
  say(`  Temporal UI  ${temporalUiUrl ?? '(none: TEMPORAL_UI_URL is not set)'}`);
  say(`  Temporal     ${temporalAddress}, namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.LEDGERFLOW_TASK_QUEUE}`);
  say(`  Database     ${redactPassword(database.ownerUrl)}`);
  say(`  Payments     ${sandbox ? `sandbox provider on http://127.0.0.1:${sandbox.port} (set LEDGERFLOW_PROVIDER_URL for a real one)` : config.LEDGERFLOW_PROVIDER_URL}`);
  say(`  Mail         ${mailSink ? `captured in ${mailSink.file} (set LEDGERFLOW_SMTP_URL for a real relay)` : redactPassword(config.LEDGERFLOW_SMTP_URL!)}`);
  say(
    `  Data         ${config.dataDir} (logs in ${paths.logs}${relocatedCluster ? `; PostgreSQL cluster in ${relocatedCluster.directory}, linked from ${relocatedCluster.linkedFrom}` : ''})`,
  );
  say('Press Ctrl-C to stop.');
}

main().catch((error: unknown) => fail(error));
