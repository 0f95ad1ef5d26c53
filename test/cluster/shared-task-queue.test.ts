import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isTerminalPayoutStatus } from '../../domain/payout.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit, type PayoutView } from '../helpers/payouts.ts';
import { startSandboxProcess, type SandboxPaymentRecord, type SandboxProcess } from '../helpers/sandbox-process.ts';
import { startWorkerProcess, waitForExit } from '../helpers/temporal.ts';

/**
 * Issue #19, on the cluster (vitest.cluster.config.ts): two production worker processes (workers/main.ts) poll the
 * same task queue of the four-process Temporal server; lifecycles spread over both, a worker killed with SIGKILL in
 * the middle of the provider send has its activity retried by the other one (already running: nothing is restarted),
 * and the lifecycles are found again through SQL visibility by their search attributes.
 */

type WorkerProcess = Awaited<ReturnType<typeof startWorkerProcess>>;

/** The SDK's default worker identity is `<pid>@<host>`. */
const pidOfIdentity = (identity: string | null | undefined) => Number(/^(\d+)@/.exec(identity ?? '')?.[1]);

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Which worker processes completed the workflow's tasks, and who ran each attempt of an activity (by type). */
async function workersInHistory(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  const workflowTaskPids = new Set<number>();
  const activityTypes = new Map<number, string>();
  const activityRuns: { type: string; pid: number; attempt: number }[] = [];
  for (const event of history.events ?? []) {
    const eventId = Number(event.eventId);
    if (event.workflowTaskCompletedEventAttributes) workflowTaskPids.add(pidOfIdentity(event.workflowTaskCompletedEventAttributes.identity));
    if (event.activityTaskScheduledEventAttributes) activityTypes.set(eventId, event.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      activityRuns.push({ type: activityTypes.get(Number(started.scheduledEventId)) ?? '', pid: pidOfIdentity(started.identity), attempt: started.attempt ?? 1 });
    }
  }
  return { workflowTaskPids, activityRuns };
}

// Part of the cluster run (vitest.cluster.config.ts) only: `npm test`'s dev-server run skips it.
describe.skipIf(!inject('temporalCluster'))('two worker processes on one task queue of the cluster', () => {
  const secret = 'whsec_cluster_shared_queue';
  const environmentNames = ['LEDGERFLOW_PROVIDER_URL', 'LEDGERFLOW_PUBLIC_URL'] as const;
  const savedEnvironment = Object.fromEntries(environmentNames.map((name) => [name, process.env[name]]));
  let api: ApiHarness;
  let kit: ReturnType<typeof payoutKit>;
  let served: ServedApp;
  let sandbox: SandboxProcess;
  const workers: WorkerProcess[] = [];
  const payoutIds = new Set<string>();

  beforeAll(async () => {
    api = await createApiHarness({ providerWebhookSecret: secret });
    kit = payoutKit(api);
    // With the rate, 100 USD needs one admin's approval.
    await kit.insertRubRate();
    served = await serve((request) => api.app.fetch(request));
    sandbox = await startSandboxProcess({ secret, delayMs: 50 });
    // The worker processes inherit these (startWorkerProcess passes process.env on); put back in afterAll.
    process.env.LEDGERFLOW_PROVIDER_URL = sandbox.url;
    process.env.LEDGERFLOW_PUBLIC_URL = served.url;
    // The killed worker's send times out after 5 s (not 30) and is retried on the other worker.
    const { policy } = await api.dependencies.policies.active();
    await api.dependencies.policies.add({
      document: { ...policy, payouts: { ...policy.payouts, activityTimeoutSeconds: 5 } },
      effectiveFrom: new Date(),
      reason: 'cluster shared task queue test: short activity timeout',
      actor: 'test',
    });
    const started = await Promise.all([0, 1].map(() => startWorkerProcess({ ownerUrl: api.testDatabase.ownerUrl, taskQueue: api.taskQueue })));
    workers.push(...started);
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
    if (api) {
      await Promise.allSettled([...payoutIds].map(async (id) => {
        const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
        if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
      }));
    }
    await sandbox?.stop();
    await served?.close();
    await api?.close();
  });

  /** Requests 100 USD by PAYQUICKER for a new partner holding 1000.00 and approves it; the provider pays it. */
  async function approvedAutomaticPayout(): Promise<{ payout: PayoutView; partnerId: string }> {
    const { partnerId, token } = await kit.partnerWithLogin({ USD: '1000.00' });
    const response = await api.request('/v1/payouts', {
      token,
      body: { partnerId, amount: '100', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'jane@example.com' } },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const payout = (await response.json()) as PayoutView;
    payoutIds.add(payout.id);
    await kit.waitForStatus(payout.id, 'AWAITING_APPROVAL');
    const approved = await kit.decide(payout.id, 'approve', 'admin', { amount: '100.00', detailsHash: payout.detailsHash });
    expect(approved.status, await approved.clone().text()).toBe(200);
    return { payout, partnerId };
  }

  it('lifecycles spread over both workers, and SQL visibility finds them by their search attributes', async () => {
    const workerPids = new Set(workers.map((worker) => worker.process.pid!));
    const created = await Promise.all(Array.from({ length: 10 }, () => approvedAutomaticPayout()));
    for (const { payout, partnerId } of created) {
      const done = await kit.waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED', 60_000);
      expect(done).toMatchObject({ status: 'COMPLETED', provider: { attempt: 1, needsReview: false } });
      expect(await kit.balances(partnerId, 'USD')).toMatchObject({ available: '900.00', payout_reserved: '0.00' });
    }

    // Every task was done by one of the two processes, and each of them did some.
    const seen = new Set<number>();
    for (const { payout } of created) {
      const { workflowTaskPids, activityRuns } = await workersInHistory(api.dependencies.temporal.workflow.getHandle(payout.workflowId));
      for (const pid of [...workflowTaskPids, ...activityRuns.map((run) => run.pid)]) {
        expect(workerPids).toContain(pid);
        seen.add(pid);
      }
    }
    expect([...seen].sort()).toEqual([...workerPids].sort());

    // SQL visibility (the temporal_visibility database) answers queries on ledgerflow's search attributes; it is
    // written asynchronously after each workflow change, hence the wait.
    const client = api.dependencies.temporal;
    const query = `TaskQueue = '${api.taskQueue}' AND PayoutStatus = 'COMPLETED' AND Method = 'PAYQUICKER' AND Currency = 'USD' AND Amount >= 100`;
    const listed = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.length === created.length ? ids : undefined;
    }, `visibility lists the ${created.length} completed payouts`);
    expect(listed.sort()).toEqual(created.map(({ payout }) => payout.workflowId).sort());
    const one = created[0]!;
    const byPartner = [];
    for await (const execution of client.workflow.list({ query: `PartnerId = '${one.partnerId}'` })) byPartner.push(execution.workflowId);
    expect(byPartner).toEqual([one.payout.workflowId]);
    expect((await client.workflow.count(`TaskQueue = '${api.taskQueue}' AND PayoutStatus = 'COMPLETED'`)).count).toBe(created.length);
    expect((await client.workflow.count(`TaskQueue = '${api.taskQueue}' AND PayoutStatus = 'FAILED'`)).count).toBe(0);
  });

  it('a worker killed in the middle of the provider send: the other worker, already polling, retries it; paid once, completed once', async () => {
    // The provider accepts (and pays) the next payout but never answers the request.
    await sandbox.queueResponse({ status: 'timeout', afterAccepting: true });
    const { payout, partnerId } = await approvedAutomaticPayout();
    const paymentsFor = async (payoutId: string): Promise<SandboxPaymentRecord[]> =>
      (await sandbox.payments()).filter((payment) => payment.payoutId === payoutId);
    const [payment] = await eventually(async () => {
      const payments = await paymentsFor(payout.id);
      return payments.length > 0 ? payments : undefined;
    }, `the sandbox pays payout ${payout.id}`);

    // The send is running on one of the two workers (the server says which): that one dies.
    const handle = api.dependencies.temporal.workflow.getHandle(payout.workflowId);
    const sending = await eventually(async () => {
      const { raw } = await handle.describe();
      const pending = (raw.pendingActivities ?? []).find((activity) => activity.activityType?.name === 'sendPayoutToProvider' && activity.lastWorkerIdentity);
      return pending ?? undefined;
    }, 'the send activity is pending with a worker identity');
    const victimPid = pidOfIdentity(sending.lastWorkerIdentity);
    const victim = workers.find((worker) => worker.process.pid === victimPid);
    const survivor = workers.find((worker) => worker.process.pid !== victimPid);
    expect(victim, `the send runs on ${sending.lastWorkerIdentity}, one of ${workers.map((worker) => worker.process.pid).join(', ')}`).toBeDefined();
    victim!.process.kill('SIGKILL');
    await waitForExit(victim!.process);
    expect(victim!.process.signalCode).toBe('SIGKILL');
    expect(await kit.read(payout.id)).toMatchObject({ status: 'PROCESSING', provider: { attempt: 1, reference: null } });

    const done = await kit.waitFor(payout.id, (row) => isTerminalPayoutStatus(row.status), 'COMPLETED', 60_000);
    expect(done).toMatchObject({ status: 'COMPLETED', provider: { attempt: 1, reference: payment!.providerReference, needsReview: false } });
    expect(await paymentsFor(payout.id)).toEqual([payment]);
    expect(await kit.entryCount(`payout-complete-${payout.id}`)).toBe(1);
    expect(await kit.auditCount(payout.id, 'PAYOUT_COMPLETE')).toBe(1);
    expect(await kit.balances(partnerId, 'USD')).toMatchObject({ available: '900.00', payout_reserved: '0.00' });

    // The history says who finished the send: the survivor, on a later attempt of the same activity.
    const { activityRuns } = await workersInHistory(handle);
    const sends = activityRuns.filter((run) => run.type === 'sendPayoutToProvider');
    expect(sends).toEqual([expect.objectContaining({ pid: survivor!.process.pid })]);
    expect(sends[0]!.attempt).toBeGreaterThanOrEqual(2);
    expect(survivor!.process.exitCode).toBeNull();
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
