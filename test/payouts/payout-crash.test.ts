import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isTerminalPayoutStatus } from '../../domain/payout.ts';
import { freePort } from '../../stack/ports.ts';
import { startTemporalDevServer, type TemporalDevServer, type TemporalDevServerOptions } from '../../stack/temporal.ts';
import type { payoutWorkflow } from '../../workflows/payout.ts';
import { getPayoutStateQuery } from '../../workflows/payout-messages.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit, type PayoutView } from '../helpers/payouts.ts';
import { startSandboxProcess, type SandboxPaymentRecord, type SandboxProcess } from '../helpers/sandbox-process.ts';
import { createInProcessWorker, startWorkerProcess, waitForExit } from '../helpers/temporal.ts';

/**
 * Issue #4's crash requirements for payouts, with every part real and the crashing part a separate process:
 * the production worker (workers/main.ts) killed with SIGKILL while the provider holds a payment it made, and the
 * Temporal dev server killed and restarted between two approvals.
 */

/** Polls `probe` every 50 ms until it returns a value other than undefined, for at most `timeoutMs`. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function terminateOpenPayouts(api: ApiHarness, payoutIds: Iterable<string>) {
  await Promise.allSettled(
    [...payoutIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
}

describe('a worker killed after the provider paid and before the answer was recorded', () => {
  const secret = 'whsec_payout_crash_test';
  // The worker process reads its provider settings from the environment it inherits (startWorkerProcess passes
  // process.env on); this file runs in its own process, and the values are put back afterwards.
  const environmentNames = ['LEDGERFLOW_PROVIDER_URL', 'LEDGERFLOW_PUBLIC_URL'] as const;
  const savedEnvironment = Object.fromEntries(environmentNames.map((name) => [name, process.env[name]]));
  let api: ApiHarness;
  let kit: ReturnType<typeof payoutKit>;
  let served: ServedApp;
  let sandbox: SandboxProcess;
  const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];
  const payoutIds = new Set<string>();

  beforeAll(async () => {
    api = await createApiHarness({ providerWebhookSecret: secret });
    kit = payoutKit(api);
    // Without an FX rate a payout needs the highest approval tier; with it 100 USD is one admin's approval.
    await kit.insertRubRate();
    // The sandbox (another process) delivers its signed webhooks to the API over real HTTP.
    served = await serve((request) => api.app.fetch(request));
    sandbox = await startSandboxProcess({ secret, delayMs: 50 });
    process.env.LEDGERFLOW_PROVIDER_URL = sandbox.url;
    process.env.LEDGERFLOW_PUBLIC_URL = served.url;
    // Payout activities time out after 5 s instead of 30: the killed worker's send is retried soon after.
    const { policy } = await api.dependencies.policies.active();
    await api.dependencies.policies.add({
      document: { ...policy, payouts: { ...policy.payouts, activityTimeoutSeconds: 5 } },
      effectiveFrom: new Date(),
      reason: 'payout crash test: short activity timeout',
      actor: 'test',
    });
  });

  afterAll(async () => {
    for (const worker of workers) {
      if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGTERM');
      await waitForExit(worker.process);
    }
    for (const name of environmentNames) {
      if (savedEnvironment[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnvironment[name];
    }
    if (api) await terminateOpenPayouts(api, payoutIds);
    await sandbox?.stop();
    await served?.close();
    await api?.close();
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess({ ownerUrl: api.testDatabase.ownerUrl, taskQueue: api.taskQueue });
    workers.push(worker);
    return worker;
  };

  it('when the restarted worker retries the send, it finds the payment at the provider: paid once, completed once', async () => {
    // The provider will accept (and pay) the next payout but never answer the request.
    await sandbox.queueResponse({ status: 'timeout', afterAccepting: true });
    const first = await startWorker();
    const { partnerId, token } = await kit.partnerWithLogin({ USD: '1000.00' });
    const response = await api.request('/v1/payouts', {
      token,
      body: { partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'jane@example.com' } },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as PayoutView;
    payoutIds.add(created.id);
    expect(created).toMatchObject({ fee: '2.00', amountToTransfer: '98.00' });
    await kit.waitForStatus(created.id, 'AWAITING_APPROVAL');
    const approved = await kit.decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
    expect(approved.status, await approved.clone().text()).toBe(200);

    // The moment the provider has executed the payment, the worker dies (its send still waits for the answer).
    const paymentsFor = async (payoutId: string): Promise<SandboxPaymentRecord[]> =>
      (await sandbox.payments()).filter((payment) => payment.payoutId === payoutId);
    const [payment] = await eventually(async () => {
      const payments = await paymentsFor(created.id);
      return payments.length > 0 ? payments : undefined;
    }, `the sandbox pays payout ${created.id}`);
    first.process.kill('SIGKILL');
    await waitForExit(first.process);
    expect(first.process.signalCode).toBe('SIGKILL');

    // Sent, paid, not recorded: the payout row knows the attempt but not the provider's reference, and no ledger
    // entry says it was paid.
    const atCrash = await kit.read(created.id);
    expect(atCrash).toMatchObject({ status: 'PROCESSING', provider: { attempt: 1, reference: null, needsReview: false } });
    expect(await kit.entryCount(`payout-complete-${created.id}`)).toBe(0);
    expect(payment).toMatchObject({ idempotencyKey: `${created.id}:1`, amount: '98.00', currency: 'USD', method: 'PAYQUICKER' });

    const second = await startWorker();
    const done = await kit.waitFor(created.id, (payout) => isTerminalPayoutStatus(payout.status), 'COMPLETED', 60_000);
    expect(done).toMatchObject({ status: 'COMPLETED', provider: { attempt: 1, reference: payment!.providerReference, needsReview: false } });
    // The workflow is closed: nothing can send another attempt after this point.
    const handle = api.dependencies.temporal.workflow.getHandle<typeof payoutWorkflow>(created.workflowId);
    expect(await handle.result()).toMatchObject({ status: 'COMPLETED', attempt: 1 });

    expect(await paymentsFor(created.id)).toEqual([payment]);
    expect(await kit.entryCount(`payout-complete-${created.id}`)).toBe(1);
    expect(await kit.auditCount(created.id, 'PAYOUT_COMPLETE')).toBe(1);
    expect(await kit.auditCount(created.id, 'PAYOUT_PROCESS')).toBe(1);
    expect(await kit.balances(partnerId, 'USD')).toMatchObject({ available: '900.00', payout_reserved: '0.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    expect(second.process.exitCode).toBeNull();
  });
});

describe('the Temporal server killed and restarted between two approvals', () => {
  // Its own dev server with a SQLite file, on its own ports: the shared one (global setup) serves other files.
  let directory: string;
  let serverOptions: TemporalDevServerOptions;
  let server: TemporalDevServer;
  let api: ApiHarness;
  let kit: ReturnType<typeof payoutKit>;
  let worker: Worker;
  let workerConnection: NativeConnection;
  let workerRun: Promise<void>;
  const payoutIds = new Set<string>();

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-payout-crash-'));
    serverOptions = {
      cli: inject('temporalCli'),
      port: await freePort(),
      uiPort: await freePort(),
      databaseFile: path.join(directory, 'temporal.sqlite'),
      headless: true,
      logFile: path.join(directory, 'temporal.log'),
      namespace: 'default',
    };
    // startTemporalDevServer registers ledgerflow's search attributes (the payout workflow upserts PayoutStatus).
    server = await startTemporalDevServer(serverOptions);
    api = await createApiHarness({ temporalAddress: server.address });
    kit = payoutKit(api);
    await kit.insertRubRate();
    ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue, temporalAddress: server.address }));
    workerRun = worker.run();
  });

  afterAll(async () => {
    if (api) await terminateOpenPayouts(api, payoutIds);
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await workerConnection?.close();
    await api?.close();
    await server?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('when the server comes back with its history, the second approval completes the chain and the payout is paid', async () => {
    const { partnerId, token } = await kit.partnerWithLogin({ RUB: '400000.00' });
    const response = await api.request('/v1/payouts', {
      token,
      body: { partnerId, amount: '300000.00', currency: 'RUB', methodId: 'YOOMONEY', paymentDetails: { wallet: '410011234567890' } },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as PayoutView;
    payoutIds.add(created.id);
    // 200,001–1,000,000 RUB (docs/rules.md#payout-approval): a finance manager, then a senior admin.
    expect(created).toMatchObject({ amountRub: '300000.00', fee: '6000.00', amountToTransfer: '294000.00' });
    expect(created.requiredChain).toEqual([{ roles: ['finance_manager'] }, { roles: ['senior_admin'] }]);
    await kit.waitForStatus(created.id, 'AWAITING_APPROVAL');
    const approval = { amount: '300000.00', detailsHash: created.detailsHash };

    const first = await kit.decide(created.id, 'approve', 'finance_manager', approval);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toMatchObject({ status: 'AWAITING_APPROVAL', approvals: [{ role: 'finance_manager', step: 0 }] });

    server.process.kill('SIGKILL');
    await waitForExit(server.process);
    // With Temporal down the payout still reads from its database row.
    expect(await kit.read(created.id)).toMatchObject({ status: 'AWAITING_APPROVAL', approvals: [{ role: 'finance_manager' }] });
    server = await startTemporalDevServer(serverOptions);

    const second = await kit.decide(created.id, 'approve', 'senior_admin', approval);
    expect(second.status, await second.clone().text()).toBe(200);
    const approved = (await second.json()) as PayoutView;
    expect(approved.status).toBe('APPROVED');
    expect(approved.approvals.map((row) => [row.role, row.step])).toEqual([['finance_manager', 0], ['senior_admin', 1]]);

    const processing = await kit.decide(created.id, 'process', 'finance_manager', { externalReference: 'YOOMONEY-REF-1' });
    expect(processing.status, await processing.clone().text()).toBe(200);
    expect(await processing.json()).toMatchObject({ status: 'PROCESSING', externalReference: 'YOOMONEY-REF-1' });
    const completed = await kit.decide(created.id, 'complete', 'finance_manager');
    expect(completed.status, await completed.clone().text()).toBe(200);
    expect(await completed.json()).toMatchObject({ status: 'COMPLETED' });

    // The workflow kept the first approval across the restart and holds both; each step is in the ledger and the
    // audit log exactly once.
    const handle = api.dependencies.temporal.workflow.getHandle<typeof payoutWorkflow>(created.workflowId);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'COMPLETED' });
    expect(result.approvals.map((row) => row.role)).toEqual(['finance_manager', 'senior_admin']);
    expect((await handle.query(getPayoutStateQuery)).status).toBe('COMPLETED');
    expect(await kit.auditCount(created.id, 'PAYOUT_APPROVE')).toBe(2);
    expect(await kit.auditCount(created.id, 'PAYOUT_PROCESS')).toBe(1);
    expect(await kit.auditCount(created.id, 'PAYOUT_COMPLETE')).toBe(1);
    expect(await kit.entryCount(`payout-complete-${created.id}`)).toBe(1);
    expect(await kit.balances(partnerId, 'RUB')).toMatchObject({ available: '100000.00', payout_reserved: '0.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('while the server is down, a decision is answered 503 temporal_unavailable and changes nothing', async () => {
    const { partnerId, token } = await kit.partnerWithLogin({ RUB: '20000.00' });
    const response = await api.request('/v1/payouts', {
      token,
      body: { partnerId, amount: '10000.00', currency: 'RUB', methodId: 'YOOMONEY', paymentDetails: { wallet: '410011234567891' } },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const created = (await response.json()) as PayoutView;
    payoutIds.add(created.id);
    await kit.waitForStatus(created.id, 'AWAITING_APPROVAL');
    const approval = { amount: '10000.00', detailsHash: created.detailsHash };
    const approver = await api.createAdmin('admin');
    const approverToken = await api.signIn(approver);
    const before = await api.countRows();

    server.process.kill('SIGKILL');
    await waitForExit(server.process);
    let whileDown: Response;
    try {
      whileDown = await api.request(`/v1/payouts/${created.id}/approve`, { token: approverToken, headers: { 'x-totp-code': await api.nextTotp(approver) }, body: approval });
    } finally {
      // Whatever the answer, the other tests and the teardown need the server back.
      server = await startTemporalDevServer(serverOptions);
    }
    // The route documents 503 for an unreachable Temporal, as POST /v1/payouts answers it. Soft, so that what
    // follows is checked whatever the status.
    expect.soft(whileDown.status, await whileDown.clone().text()).toBe(503);
    expect.soft(((await whileDown.json()) as { error: { code: string } }).error).toMatchObject({ code: 'temporal_unavailable' });
    expect(await api.countRows()).toEqual(before);
    expect(await kit.read(created.id)).toMatchObject({ status: 'AWAITING_APPROVAL', approvals: [] });

    // The refused decision left the lifecycle as it was: approving now works.
    const approved = await kit.decide(created.id, 'approve', 'admin', approval);
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'APPROVED', approvals: [{ role: 'admin' }] });
    expect(await kit.auditCount(created.id, 'PAYOUT_APPROVE')).toBe(1);
  });
});
