import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../stack/ports.ts';
import { startEmbeddedPostgres } from '../../stack/postgres.ts';
import { commandLineOf, isProcessAlive } from '../../stack/state.ts';
import { repositoryRoot } from '../helpers/temporal.ts';

/**
 * `npm start` heals itself (issue #16): the real supervisor (`bun stack/start.ts`, its own data directory and ports,
 * no demo data) with its own Temporal dev server and embedded PostgreSQL. Each server is killed with SIGKILL; /healthz
 * answers 503 naming it, the supervisor says what died and restarts it on its data, and /healthz answers 200 again
 * within a bound — the API and the worker having reconnected by themselves, which a workflow run end to end shows.
 *
 * Both servers come back within seconds, faster than a health check notices they were gone. To see the outage every
 * time, the supervisor is paused (SIGSTOP) just before a kill and let go (SIGCONT) once /healthz has answered 503: the
 * API and the worker run in their own processes meanwhile, and the restart itself is the supervisor's as usual.
 */

const bunBinary = createRequire(import.meta.url).resolve('bun/bin/bun.exe');
const dataDirectory = path.join(repositoryRoot, '.test-data', `self-healing-${process.pid}-${randomBytes(3).toString('hex')}`);
const startTimeoutMs = 240_000;
const recoveryTimeoutMs = 120_000;

interface Health {
  status: 'ok' | 'down';
  components: Record<'postgres' | 'temporal' | 'worker', { status: 'up' | 'down'; error?: string }>;
  error?: { code: string; message: string };
}

let supervisor: ChildProcess;
let output = '';
let apiUrl: string;
let temporalAddress: string;

beforeAll(async () => {
  await mkdir(dataDirectory, { recursive: true });
  const [port, postgresPort, temporalPort, temporalUiPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${port}`;
  temporalAddress = `127.0.0.1:${temporalPort}`;
  supervisor = spawn(bunBinary, [path.join(repositoryRoot, 'stack', 'start.ts')], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      LEDGERFLOW_DATA_DIR: dataDirectory,
      PORT: String(port),
      LEDGERFLOW_PG_PORT: String(postgresPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(temporalUiPort),
      TEMPORAL_CLI: inject('temporalCli'),
      LEDGERFLOW_DEMO: '0',
      // Its own servers: nothing external the environment might name.
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      LEDGERFLOW_PROVIDER_URL: '',
      LEDGERFLOW_SMTP_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  supervisor.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  supervisor.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<never>((_, reject) => supervisor.once('exit', (code) => reject(new Error(`the supervisor exited with ${code}:\n${output}`))));
  await Promise.race([exited, waitForHealth((health) => health?.status === 'ok', 'the stack up', startTimeoutMs)]);
}, startTimeoutMs + 30_000);

afterAll(async () => {
  if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) {
    supervisor.kill('SIGCONT');
    const exited = new Promise((resolve) => supervisor.once('exit', resolve));
    supervisor.kill('SIGTERM');
    await Promise.race([exited, sleep(60_000)]);
  }
  // Whatever an interrupted run left: the servers by their pid files, the children by the state file.
  const pids = [readPid(path.join(dataDirectory, 'temporal.sqlite.pid')), readPid(path.join(dataDirectory, 'postgres', 'postmaster.pid'))];
  try {
    pids.push(...Object.values((JSON.parse(readFileSync(path.join(dataDirectory, 'stack.json'), 'utf8')) as { children: Record<string, number> }).children));
  } catch {
    // No state file: the supervisor removed it on its way out.
  }
  for (const pid of pids) {
    if (pid && isProcessAlive(pid) && (commandLineOf(pid).includes(dataDirectory) || commandLineOf(pid).includes(repositoryRoot))) process.kill(pid, 'SIGKILL');
  }
  await rm(dataDirectory, { recursive: true, force: true });
}, 90_000);

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0]!, 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** GET /healthz: its JSON (on 200 and 503 alike), or null while the API does not answer. */
async function health(): Promise<Health | null> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
  } catch {
    return null;
  }
  const body = (await response.json()) as Health;
  if (response.status !== (body.status === 'ok' ? 200 : 503)) throw new Error(`/healthz answered ${response.status} with ${JSON.stringify(body)}`);
  return body;
}

async function waitForHealth(done: (health: Health | null) => boolean, what: string, timeoutMs: number): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  let last: Health | null = null;
  while (Date.now() < deadline) {
    last = await health();
    if (done(last)) return last!;
    await sleep(250);
  }
  throw new Error(`not within ${timeoutMs / 1000} s: ${what} (last /healthz: ${JSON.stringify(last)})\n${output.slice(-4000)}`);
}

/** The supervisor's line saying a server is back comes just after the server answers: wait for it a little. */
async function waitForOutput(pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(output)) {
    if (Date.now() > deadline) throw new Error(`the supervisor did not print ${pattern}:\n${output.slice(-4000)}`);
    await sleep(100);
  }
}

/** Kills a server with SIGKILL while the supervisor is paused, and returns once /healthz has seen the outage. */
async function killWhileSupervisorWaits(pid: number, component: 'postgres' | 'temporal'): Promise<Health> {
  supervisor.kill('SIGSTOP');
  try {
    process.kill(pid, 'SIGKILL');
    return await waitForHealth((health) => health?.components[component].status === 'down', `/healthz naming ${component} down`, 30_000);
  } finally {
    supervisor.kill('SIGCONT');
  }
}

describe('npm start’s supervisor', () => {
  it('restarts a Temporal dev server killed with SIGKILL on its SQLite file; meanwhile /healthz answers 503 naming temporal', async () => {
    const pid = readPid(path.join(dataDirectory, 'temporal.sqlite.pid'))!;
    expect(commandLineOf(pid)).toContain('start-dev');

    const down = await killWhileSupervisorWaits(pid, 'temporal');
    expect(down.status).toBe('down');
    expect(down.error?.message).toContain('temporal');
    const startedAt = Date.now();
    await waitForHealth((health) => health?.status === 'ok', 'everything up again', recoveryTimeoutMs);
    console.log(`self-healing: Temporal dev server up again ${Date.now() - startedAt} ms after the supervisor resumed`);

    expect(output).toContain(`ledgerflow: the Temporal dev server (pid ${pid}) was killed by SIGKILL; restarting it with its workflows in ${path.join(dataDirectory, 'temporal.sqlite')}`);
    await waitForOutput(/ledgerflow: the Temporal dev server is back \(pid \d+/);
    const newPid = readPid(path.join(dataDirectory, 'temporal.sqlite.pid'))!;
    expect(newPid).not.toBe(pid);
    expect(isProcessAlive(newPid)).toBe(true);
  }, recoveryTimeoutMs + 60_000);

  it('restarts a PostgreSQL killed with SIGKILL on its data directory; meanwhile /healthz answers 503 naming postgres', async () => {
    const pid = readPid(path.join(dataDirectory, 'postgres', 'postmaster.pid'))!;
    expect(commandLineOf(pid)).toContain(path.join(dataDirectory, 'postgres'));

    const down = await killWhileSupervisorWaits(pid, 'postgres');
    expect(down.error?.message).toContain('postgres');
    const startedAt = Date.now();
    await waitForHealth((health) => health?.status === 'ok', 'everything up again', recoveryTimeoutMs);
    console.log(`self-healing: PostgreSQL up again ${Date.now() - startedAt} ms after the supervisor resumed`);

    expect(output).toContain(`ledgerflow: PostgreSQL (pid ${pid}) was killed by SIGKILL; restarting it with its data in ${path.join(dataDirectory, 'postgres')}`);
    await waitForOutput(/ledgerflow: PostgreSQL is back \(pid \d+/);
  }, recoveryTimeoutMs + 60_000);

  it('after both restarts, the worker runs a workflow whose activity reads the database, and the API still serves requests', async () => {
    const connection = await Connection.connect({ address: temporalAddress });
    try {
      const client = new Client({ connection });
      // The payout sweep's activity queries the payouts table from the worker's own pool.
      const run = client.workflow.execute('payoutSweepWorkflow', {
        taskQueue: 'ledgerflow',
        workflowId: `self-healing-sweep-${randomBytes(4).toString('hex')}`,
        args: [{}],
        workflowExecutionTimeout: '2 minutes',
      });
      await expect(run).resolves.toEqual({ started: 0, alreadyStarted: 0 });
    } finally {
      await connection.close();
    }
    const login = await fetch(`${apiUrl}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@example.com', password: 'not a password at all' }) });
    expect(login.status).toBe(401);
    // One line per event: what died and what was done, then that it is back; nothing else from the supervisor.
    expect(output.split('\n').filter((line) => /^ledgerflow: (the Temporal dev server|PostgreSQL) \(pid/.test(line))).toHaveLength(2);
    expect(output).not.toMatch(/restarting (the Temporal dev server|PostgreSQL) failed/);
  }, 150_000);
});

describe('embedded PostgreSQL', () => {
  it('starts although a server killed outright left postmaster.pid naming a pid another process has since taken', async () => {
    const directory = path.join(repositoryRoot, '.test-data', `stale-lock-${process.pid}-${randomBytes(3).toString('hex')}`);
    let squatter: ChildProcess | undefined;
    try {
      const first = await startEmbeddedPostgres({ directory, port: await freePort(), durable: false });
      const lockFile = path.join(directory, 'postmaster.pid');
      const lock = await readFile(lockFile, 'utf8');
      await first.stop();
      // The pid is now another process of the user the server runs as (PostgreSQL ignores processes it may not signal).
      const runAs = process.getuid?.() === 0
        ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) }
        : {};
      squatter = spawn('sleep', ['300'], { ...runAs, stdio: 'ignore' });
      await writeFile(lockFile, lock.replace(/^\d+/, String(squatter.pid)));

      const second = await startEmbeddedPostgres({ directory, port: await freePort(), durable: false });
      expect(existsSync(lockFile)).toBe(true);
      expect(readPid(lockFile)).toBe(second.process.pid);
      await second.stop();
    } finally {
      squatter?.kill('SIGKILL');
      await rm(directory, { recursive: true, force: true });
      await rm(`${directory}.log`, { force: true });
    }
  }, 120_000);
});
