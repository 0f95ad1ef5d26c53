import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { startBunScript, startWorkerProcess, uniqueTaskQueue, waitForExit } from '../helpers/temporal.ts';

/**
 * The production worker (workers/main.ts on Bun) stops cleanly on SIGTERM, as `npm start` stops it on Ctrl-C: exit
 * code 0 and no error. With Temporal SDK 1.15 on Bun 1.4 the SDK reported the workflow thread's normal exit as a
 * failure at the end of every shutdown (docs/decisions.md); the worker treats that one case as the clean stop it is.
 * The payout benchmark's no-op worker shares that handling (workers/run-until-shutdown.ts) and is held to the same.
 */

let api: ApiHarness;

beforeAll(async () => {
  api = await createApiHarness();
});

afterAll(async () => {
  await api?.close();
});

it('a worker process asked to stop with SIGTERM exits with code 0 and reports no error', async () => {
  const worker = await startWorkerProcess({ ownerUrl: api.testDatabase.ownerUrl, taskQueue: uniqueTaskQueue('shutdown') });
  const exited = waitForExit(worker.process);
  worker.process.kill('SIGTERM');
  await exited;

  expect(worker.output()).not.toMatch(/ledgerflow worker:|Failed to terminate/);
  expect(worker.process.exitCode).toBe(0);
}, 60_000);

it('the payout benchmark\'s no-op worker asked to stop with SIGTERM exits with code 0 and reports no error', async () => {
  const worker = await startBunScript({
    name: 'ceiling worker',
    script: 'bench/ceiling/worker.ts',
    env: { TEMPORAL_ADDRESS: inject('temporalAddress'), BENCH_TASK_QUEUE: uniqueTaskQueue('ceiling-shutdown') },
    ready: 'ceiling worker polling',
  });
  const exited = waitForExit(worker.process);
  worker.process.kill('SIGTERM');
  await exited;

  expect(worker.output()).not.toMatch(/ceiling worker:|Failed to terminate/);
  expect(worker.process.exitCode).toBe(0);
}, 60_000);
