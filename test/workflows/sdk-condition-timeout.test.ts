import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { repositoryRoot } from '../helpers/temporal.ts';
import type { shortWorkflow, waitInSlicesWorkflow } from './fixtures/condition-timeout.ts';

/**
 * A regression test for the Temporal SDK the project pins (docs/decisions.md, "Temporal SDK 1.15"): with
 * @temporalio/* 1.14.2 a workflow waiting with condition(fn, timeout) on a Node worker failed with "Workflow
 * cancelled" once another workflow on that worker had completed and the wait's timer fired. The payout, dispute and
 * adjustment workflows wait so; this test runs on the Node worker vitest hosts, where the bug showed.
 */

let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let connection: Connection;
let client: Client;
const taskQueue = `condition-timeout-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowsPath: path.join(repositoryRoot, 'test', 'workflows', 'fixtures', 'condition-timeout.ts'),
  });
  workerRun = worker.run();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await connection?.close();
});

it('a condition(fn, timeout) wait survives another workflow completing on the same worker, and ends by its signal', async () => {
  const id = `${taskQueue}-waiting`;
  const waiting = await client.workflow.start<typeof waitInSlicesWorkflow>('waitInSlicesWorkflow', { taskQueue, workflowId: id, args: ['1 second'] });
  // Completes (and is disposed of by the worker) while the other waits; the waits' timers fire after that.
  const short = await client.workflow.start<typeof shortWorkflow>('shortWorkflow', { taskQueue, workflowId: `${taskQueue}-short`, args: ['1500 milliseconds'] });
  expect(await short.result()).toBe('done');
  await new Promise((resolve) => setTimeout(resolve, 3_000));

  await waiting.signal('decide');

  // Several slices ended by their timers after the other workflow was gone, and the workflow still completed.
  expect(await waiting.result()).toBeGreaterThanOrEqual(3);
}, 30_000);
