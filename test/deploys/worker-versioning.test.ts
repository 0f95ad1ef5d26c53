import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { workerDeploymentOptions } from '../../workers/worker-options.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit, type PayoutView } from '../helpers/payouts.ts';
import { quietRuntime, repositoryRoot, workflowBundle } from '../helpers/temporal.ts';

/**
 * Safe deploys with Temporal Worker Deployments (docs/operations.md#safe-deploys), on the real dev server: payouts
 * start on build N and wait for an approval; build N+1, whose payout workflow changed incompatibly
 * (test/deploys/fixtures/workflows-next.ts), is deployed and made current; the waiting payouts finish on build N
 * (PINNED), a payout requested afterwards runs on build N+1. Which build ran what is read from Temporal itself:
 * each workflow's versioning info and the build stamped on every workflow task its history records.
 */

const deploymentName = `ledgerflow-deploy-test-${randomBytes(4).toString('hex')}`;
const buildN = 'build-n';
const buildNext = 'build-n-plus-1';
const bankDetails = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
const workers: { worker: Worker; run: Promise<void>; connection: NativeConnection }[] = [];
const payoutIds: string[] = [];

async function startVersionedWorker(buildId: string, workflowBundleOfBuild: Awaited<ReturnType<typeof workflowBundle>>) {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await Worker.create({
    connection,
    taskQueue: api.taskQueue,
    workflowBundle: workflowBundleOfBuild,
    activities: createActivities({ database: api.database, temporal: api.dependencies.temporal }),
    // The worker's own configuration path: the same function reads LEDGERFLOW_DEPLOYMENT_NAME and LEDGERFLOW_BUILD_ID.
    workerDeploymentOptions: workerDeploymentOptions({ LEDGERFLOW_DEPLOYMENT_NAME: deploymentName, LEDGERFLOW_BUILD_ID: buildId, LEDGERFLOW_VERSIONING_BEHAVIOR: 'PINNED' }),
  });
  const entry = { worker, run: worker.run(), connection };
  workers.push(entry);
  return entry;
}

/** `temporal worker deployment set-current-version`, through the client; retried until the version's worker has polled. */
async function setCurrentVersion(client: Client, buildId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId, identity: 'deploy-test' });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function buildsThatRan(workflowId: string) {
  const handle = api.dependencies.temporal.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const versioning = description.raw.workflowExecutionInfo?.versioningInfo;
  const history = await handle.fetchHistory();
  const taskBuilds = new Set(
    history.events!.flatMap((event) => {
      const completed = event.workflowTaskCompletedEventAttributes;
      if (!completed) return [];
      return [completed.deploymentVersion?.buildId ?? completed.workerVersion?.buildId ?? 'unversioned'];
    }),
  );
  const timersAtStart = history.events!.slice(0, 6).filter((event) => event.timerStartedEventAttributes).length;
  return {
    status: description.status.name,
    pinnedTo: versioning?.deploymentVersion?.buildId ?? versioning?.versioningOverride?.pinned?.version?.buildId ?? null,
    behavior: versioning?.behavior ?? null,
    taskBuilds: [...taskBuilds].sort(),
    timersAtStart,
  };
}

beforeAll(async () => {
  quietRuntime();
  api = await createApiHarness();
  kit = payoutKit(api);
  await kit.insertRubRate();
});

afterAll(async () => {
  const client = api?.dependencies.temporal;
  await Promise.allSettled(payoutIds.map(async (id) => {
    const handle = client.workflow.getHandle(`payout-${id}`);
    if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
  }));
  for (const { worker, run, connection } of workers) {
    worker.shutdown();
    await run.catch(() => undefined);
    await connection.close();
  }
  await api?.close();
});

async function requestPayout(amount: string): Promise<PayoutView> {
  const { partnerId, token } = await kit.partnerWithLogin({ USD: '1000.00' });
  const response = await api.request('/v1/payouts', { token, body: { partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = (await response.json()) as PayoutView;
  payoutIds.push(created.id);
  return created;
}

async function approveProcessComplete(payout: PayoutView) {
  const approved = await kit.decide(payout.id, 'approve', 'admin', { amount: payout.amount, detailsHash: payout.detailsHash });
  expect(approved.status, await approved.clone().text()).toBe(200);
  const processing = await kit.decide(payout.id, 'process', 'finance_manager', { externalReference: `REF-${payout.id}` });
  expect(processing.status, await processing.clone().text()).toBe(200);
  const completed = await kit.decide(payout.id, 'complete', 'finance_manager');
  expect(completed.status, await completed.clone().text()).toBe(200);
  return kit.waitForStatus(payout.id, 'COMPLETED');
}

describe('a deploy with worker versioning', () => {
  it('payouts begun on build N finish on N after N+1 becomes current, while new payouts start on N+1', async () => {
    const client = api.dependencies.temporal;
    await startVersionedWorker(buildN, await workflowBundle());
    await setCurrentVersion(client, buildN);

    // Two payouts start on build N and wait for an approval.
    const inFlight = [await requestPayout('100.00'), await requestPayout('120.00')];
    for (const payout of inFlight) await kit.waitForStatus(payout.id, 'AWAITING_APPROVAL');

    // Deploy N+1 (a changed payout workflow) next to N, and make it current. N keeps running to drain.
    const bundleNext = await bundleWorkflowCode({
      workflowsPath: path.join(repositoryRoot, 'test', 'deploys', 'fixtures', 'workflows-next.ts'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    });
    await startVersionedWorker(buildNext, bundleNext);
    await setCurrentVersion(client, buildNext);
    const deployment = await client.workflowService.describeWorkerDeployment({ namespace: 'default', deploymentName });
    expect(deployment.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId).toBe(buildNext);

    // A payout requested now starts on N+1.
    const fresh = await requestPayout('90.00');
    await kit.waitForStatus(fresh.id, 'AWAITING_APPROVAL');

    // The documented saved views (docs/operations.md#visibility-queries) find them: awaiting approval, a partner's
    // lifecycles, and what still runs on the old build.
    const count = async (query: string) => (await client.workflow.count(query)).count;
    const mine = `(${[...inFlight, fresh].map((payout) => `WorkflowId = '${payout.workflowId}'`).join(' OR ')})`;
    await expect.poll(() => count(`WorkflowType = 'payoutWorkflow' AND PayoutStatus = 'AWAITING_APPROVAL' AND ${mine}`), { timeout: 10_000 }).toBe(3);
    await expect.poll(() => count(`PartnerId = '${fresh.partnerId}' AND ExecutionStatus = 'Running'`), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => count(`TemporalWorkerDeploymentVersion = '${deploymentName}:${buildN}' AND ExecutionStatus = 'Running' AND ${mine}`), { timeout: 10_000 }).toBe(2);

    // The in-flight payouts are approved after the deploy: they complete, on build N.
    for (const payout of inFlight) expect((await approveProcessComplete(payout)).status).toBe('COMPLETED');
    expect((await approveProcessComplete(fresh)).status).toBe('COMPLETED');

    for (const payout of inFlight) {
      expect(await buildsThatRan(payout.workflowId)).toEqual({ status: 'COMPLETED', pinnedTo: buildN, behavior: expect.anything(), taskBuilds: [buildN], timersAtStart: 0 });
    }
    // Build N+1's code ran it (its payout workflow starts with a timer), and only N+1 did.
    expect(await buildsThatRan(fresh.workflowId)).toEqual({ status: 'COMPLETED', pinnedTo: buildNext, behavior: expect.anything(), taskBuilds: [buildNext], timersAtStart: 1 });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  }, 180_000);
});
