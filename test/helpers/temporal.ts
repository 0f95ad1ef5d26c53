import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import type { PayoutProviderDependencies } from '../../activities/payout.ts';
import type { NotificationSmtp } from '../../modules/notifications/delivery.ts';
import type { Database } from '../../db/pool.ts';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const workflowsPath = path.join(repositoryRoot, 'workflows', 'index.ts');

let runtimeQuiet = false;
/** Keeps the SDK's per-task INFO lines out of test output; warnings and errors still show. */
export function quietRuntime() {
  if (runtimeQuiet) return;
  runtimeQuiet = true;
  Runtime.install({ logger: new (class { log() {} trace() {} debug() {} info() {} warn(message: string) { console.warn(message); } error(message: string, meta?: unknown) { console.error(message, meta); } })() });
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function connectClient(): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return { client: new Client({ connection }), connection };
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test file (bundling takes a couple of seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } });
  return bundle;
}

/** An in-process worker (on the test's Node) hosting the real workflows and activities. */
export async function createInProcessWorker(input: { database: Database; taskQueue: string; provider?: PayoutProviderDependencies | null; temporalAddress?: string; smtp?: NotificationSmtp | null }) {
  quietRuntime();
  const address = input.temporalAddress ?? inject('temporalAddress');
  const connection = await NativeConnection.connect({ address });
  // The batch decisions' deliveries (pay runs, payment files) go through a client on the same server, connected
  // on first use and closed with the worker's connection.
  const deliveryConnection = Connection.lazy({ address });
  const worker = await Worker.create({
    connection,
    taskQueue: input.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ database: input.database, provider: input.provider ?? null, smtp: input.smtp ?? null, temporal: new Client({ connection: deliveryConnection }) }),
  });
  const close = connection.close.bind(connection);
  connection.close = async () => {
    await deliveryConnection.close();
    await close();
  };
  return { worker, connection };
}

/**
 * A lifecycle test file's teardown: terminates the workflows it started that are still running (timers of days would
 * keep them alive on the shared dev server), stops its in-process worker, and closes the API harness.
 */
export async function endLifecycleTestFile(input: {
  api: { dependencies: { temporal: Client }; close(): Promise<void> } | undefined;
  workflowIds: Iterable<string>;
  worker: Worker | undefined;
  workerRun: Promise<void> | undefined;
  workerConnection: NativeConnection | undefined;
}): Promise<void> {
  const { api } = input;
  if (api) {
    await Promise.allSettled([...input.workflowIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(id);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }));
  }
  input.worker?.shutdown();
  await input.workerRun?.catch(() => undefined);
  await input.workerConnection?.close();
  await api?.close();
}

const bunBinary = createRequire(import.meta.url).resolve('bun/bin/bun.exe');

/**
 * A repository script as a separate Bun process, resolving once its output (stdout or stderr) contains `ready`;
 * rejects if it exits first or is not ready within 60 s.
 */
export async function startBunScript(input: { script: string; env: NodeJS.ProcessEnv; ready: string; name: string }): Promise<{ process: ChildProcess; output: () => string }> {
  const child = spawn(bunBinary, [path.join(repositoryRoot, input.script)], {
    cwd: repositoryRoot,
    env: { ...process.env, ...input.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(input.ready)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${input.name} exited with ${code} before it was ready:\n${output}`)));
    setTimeout(() => reject(new Error(`${input.name} was not ready within 60 s:\n${output}`)), 60_000).unref();
  });
  await ready;
  return { process: child, output: () => output };
}

/**
 * The production worker entry point (workers/main.ts) as a separate Bun process, as `npm start` runs it, so a
 * test can kill it with SIGKILL. Resolves once the worker polls its task queue.
 */
export function startWorkerProcess(input: { ownerUrl: string; taskQueue: string }): Promise<{ process: ChildProcess; output: () => string }> {
  return startBunScript({
    name: 'worker',
    script: 'workers/main.ts',
    env: {
      DATABASE_URL: input.ownerUrl,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      LEDGERFLOW_TASK_QUEUE: input.taskQueue,
      // The shared dev server's Schedules are not a test worker's business; tests that need one make their own.
      LEDGERFLOW_SCHEDULES: '0',
    },
    ready: 'worker polling task queue',
  });
}

export function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
