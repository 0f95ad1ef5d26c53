import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { bunBinary, repositoryRoot, startWorkerProcess, uniqueTaskQueue, waitForExit } from '../helpers/temporal.ts';

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
  const child = spawn(bunBinary, [path.join(repositoryRoot, 'bench', 'ceiling', 'worker.ts')], {
    cwd: repositoryRoot,
    env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), BENCH_TASK_QUEUE: uniqueTaskQueue('ceiling-shutdown') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ceiling worker polling')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`ceiling worker exited with ${code} before polling:\n${output}`)));
  });
  const exited = waitForExit(child);
  child.kill('SIGTERM');
  await exited;

  expect(output).not.toMatch(/ceiling worker:|Failed to terminate/);
  expect(child.exitCode).toBe(0);
}, 60_000);
